"""Ingest end to end through the CLI: the JSON summary, idempotent re-runs, chunk provenance."""

from __future__ import annotations

import hashlib
import json

from typer.testing import CliRunner

from tests.conftest import CORPUS
from ui.cli import app


def test_corpus_is_the_report_unchanged():
    digest = hashlib.sha256(CORPUS.read_bytes()).hexdigest()
    assert digest == "3b4e0a69dd82685de7789c7dd1b6c29b2092b7ee5c4457bcd47debb59614bd3d"


def test_ingest_json_summary_and_idempotent_rerun(tmp_path):
    runner = CliRunner()
    args = ["ingest", str(CORPUS), "--json", "--data-dir", str(tmp_path / "d")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["documents"] == 1
    assert summary["references"] == 61
    assert summary["acronyms"] == 36
    assert summary["tables"] == 4
    assert summary["chunks_by_kind"]["table_row"] == 33 + 3 + 8  # A.1, Table 2, Table 1
    assert summary["chunks_by_kind"]["acronym"] == 36
    assert summary["chunks_by_kind"]["reference"] == 61
    assert summary["embedded"] == summary["chunks"] and not summary["unchanged"]
    counts = summary["by_document"]["nist-ams-600-17"]
    assert {k: counts[k] for k in ("sections", "tables", "table_rows", "references", "acronyms")} == {
        "sections": 34, "tables": 4, "table_rows": 80, "references": 61, "acronyms": 36}
    assert summary["problems"] == []

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["unchanged"] and second["embedded"] == 0
    assert second["chunks"] == summary["chunks"]

    shown = runner.invoke(app, [a for a in args if a != "--json"])  # the counts per document on screen
    assert "nist-ams-600-17: 34 sections, 4 tables / 80 rows, 61 references, 36 acronyms" in shown.stdout

    forced = json.loads(runner.invoke(app, [*args, "--force"]).stdout)
    assert forced["embedded"] == 0 and forced["reused_vectors"] == summary["chunks"]  # nothing re-embedded


def test_every_chunk_knows_where_it_came_from(fake_engine):
    idx = fake_engine.index
    text = idx.doc_text(idx.documents[0].id)
    for c in idx.chunks:
        assert c.doc_id == idx.documents[0].id and c.doc_title
        assert 0 <= c.start < c.end <= len(text)
        assert c.kind in {"prose", "table", "table_row", "reference", "acronym", "figure_caption"}
        assert c.section_path, c.id
        if c.kind in ("prose", "table", "reference", "figure_caption"):
            assert text[c.start:c.end] == c.text  # verbatim, so citations quote the source
        assert c.embed_text.startswith(" > ".join(c.section_path))
    row26 = next(c for c in idx.chunks if c.table_id == "A.1" and c.row_index == 26)
    for fact in ("National Graphene Innovation Center", "2022", "Zhejiang", "Ningbo", "Advanced materials"):
        assert fact in row26.text
    # printed pages from the table of contents; none where the report gives none
    fin = next(c for c in idx.chunks if c.section_number == "3.2.3" and c.kind == "prose")
    assert fin.page is None
    table2 = next(c for c in idx.chunks if c.kind == "table" and c.table_id == "table-2")
    assert table2.page == 13


def test_a_passage_does_not_end_on_what_introduces_the_next(fake_engine):
    """"A 2025 IMD study [48] makes a similar observation:" stays with the quotation it introduces."""
    from rag.units import unit_spans

    prose = sorted((c for c in fake_engine.index.chunks if c.kind == "prose"), key=lambda c: c.start)
    for c, nxt in zip(prose, prose[1:], strict=False):
        if nxt.section_path != c.section_path or len(unit_spans(c)) < 2:
            continue
        a, b = unit_spans(c)[-1]
        assert not c.text[a:b].rstrip().endswith(":"), c.text[a:b]
    imd = next(c for c in prose if "IMD study" in c.text)
    assert "highly dependent on imported high-end machine tools" in imd.text
    # a figure's source line is one unit, full stops of its bibliographic fields notwithstanding
    fig1 = next(c for c in fake_engine.index.chunks if c.kind == "figure_caption" and "Trade in Value Added" in c.text)
    assert any(fig1.text[a:b].startswith("Data Source: Organisation") and fig1.text[a:b].endswith("[7]")
               for a, b in unit_spans(fig1))
