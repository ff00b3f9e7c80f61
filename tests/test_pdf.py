"""PDFs of the report, rendered in the session by two engines (evals/render_pdfs.py), read back with layout.

The renderings differ in engine, font, page size, one or two columns, table style (full grid vs horizontal
rules only, inside a column or spanning both),
numbering (page number in the footer vs "Page N" after roman-numbered front pages with PDF page
labels) and both carry a running header; each is also read with its bookmarks removed, so headings
must come from the type. The parser knows none of this: it is checked against the text's own records.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from evals.render_pdfs import PLAIN_HEADER, RUNNING_HEADER, render_all, render_fpdf, report_blocks
from ingest.document import analyse
from ingest.loaders import load
from rag.settings import Settings

from .conftest import CORPUS

HAS_CHROMIUM = Path("/usr/bin/chromium").exists()
MAX = Settings().max_file_bytes


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """{name: pdf}: each engine's rendering, and the same without its outline (bookmarks)."""
    out = tmp_path_factory.mktemp("pdfs")
    engines = ("chromium", "fpdf2", "chromium-plain", "chromium-2col") if HAS_CHROMIUM else ("fpdf2",)
    paths = dict(render_all(out, engines=engines))
    for engine, path in [(e, p) for e, p in paths.items() if e in ("chromium", "fpdf2")]:  # the others have none
        reader = PdfReader(path)
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)  # pages only: no outline
        bare = out / f"report-{engine}-no-outline.pdf"
        writer.write(bare)
        paths[f"{engine}-no-outline"] = bare
    return paths


@pytest.fixture(scope="session")
def text_doc():
    return analyse(load(CORPUS, MAX))


@pytest.fixture(scope="session")
def pdf_docs(rendered):
    return {name: analyse(load(path, MAX)) for name, path in rendered.items()}


NAMES = ["chromium", "fpdf2", "chromium-plain", "chromium-2col", "chromium-no-outline", "fpdf2-no-outline"]


def _doc(pdf_docs, name):
    if name not in pdf_docs:
        pytest.skip("Chromium is not installed")
    return pdf_docs[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_structure_counts(pdf_docs, name: str) -> None:
    c = _doc(pdf_docs, name).counts()
    assert c["sections"] >= 30, c
    assert c["tables"] == 4 and c["table_rows"] >= 75, c
    assert c["references"] >= 58 and c["acronyms"] >= 34, c


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_same_records_as_the_text(pdf_docs, text_doc, name: str) -> None:
    """Section numbers, table cells (typed), acronyms and reference authors/years equal the text's."""
    sd = _doc(pdf_docs, name)
    assert [s.number for s in sd.sections if s.number] == [s.number for s in text_doc.sections if s.number]
    assert [t.id for t in sd.tables] == [t.id for t in text_doc.tables]
    for ours, theirs in zip(sd.tables, text_doc.tables, strict=True):
        assert ours.columns == theirs.columns, ours.id
        assert [r.cells for r in ours.rows] == [r.cells for r in theirs.rows], ours.id
    assert {a.acronym: a.expansion for a in sd.acronyms} == {a.acronym: a.expansion for a in text_doc.acronyms}
    assert {r.number: r.year for r in sd.references} == {r.number: r.year for r in text_doc.references}
    # authors too, except where the text has CJK characters (no font for them in these renderings)
    cjk = {r.number for r in text_doc.references if any("\u2e80" <= ch <= "\u9fff" for ch in r.text)}
    assert {r.number: r.authors for r in sd.references if r.number not in cjk} == {
        r.number: r.authors for r in text_doc.references if r.number not in cjk}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_furniture_dropped_and_printed_pages_read(pdf_docs, name: str) -> None:
    sd = _doc(pdf_docs, name)
    text = sd.loaded.text
    assert RUNNING_HEADER not in text and PLAIN_HEADER not in text and "NIST AMS 600-17 - China" not in text
    assert "\nPage 3\n" not in text and "Page 3 of" not in text
    pages = sd.loaded.pages
    numbered = [p.number for p in pages if p.number is not None]
    assert numbered == list(range(1, len(numbered) + 1))  # printed numbers, in order, none skipped
    sec = {s.number: s for s in sd.sections}
    assert sec["3.2.3"].page is not None and sec["A.1"].page is not None
    if name.startswith("fpdf2"):
        # roman-numbered front pages (page labels i, ii, ...) have no printed number; the body starts at 1
        assert pages[0].number is None and next(s for s in sd.sections if s.title == "Executive Summary").page == 1
    else:
        assert [p.number for p in pages] == [p.index for p in pages]  # the footer prints the PDF page


@pytest.mark.parametrize("name", ["fpdf2", "chromium-plain", "chromium-2col"])
def test_a_wrapped_row_is_one_row(pdf_docs, name: str) -> None:
    """Long cells wrap over several lines (rules between rows in fpdf2, no rules at all in the plain
    layout); each row is still one row."""
    a1 = next(t for t in _doc(pdf_docs, name).tables if t.id == "A.1")
    row = a1.rows[32].cells
    assert row["Manufacturing Innovation Center"] == "National and Local co-Build Embodied Al Robot Innovation Center"
    assert row["Year"] == 2024 and row["City"] == "Beijing"
    six = a1.rows[5].cells
    assert six["Province"] == "Liaoning, Heilongjiang" and six["Principal Industry Sector"] == (
        "Advanced machine tools and robotics")


def test_rendering_is_deterministic(tmp_path) -> None:
    blocks = report_blocks(CORPUS.read_text(encoding="utf-8"))
    a = render_fpdf(blocks, tmp_path / "a.pdf").read_bytes()
    b = render_fpdf(blocks, tmp_path / "b.pdf").read_bytes()
    assert a == b


def test_structure_warning_for_a_long_pdf_without_structure(tmp_path) -> None:
    """Five pages of plain prose: the ingest report says no sections and no tables were found."""
    from fpdf import FPDF

    from ingest.build import build_index
    from rag.embeddings import FakeEmbedder

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for i in range(5):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Part {i}: the plant studies additive manufacturing of turbine blades. " * 30)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pdf.output(str(corpus / "plain.pdf"))
    emb = FakeEmbedder()
    settings = Settings(data_dir=tmp_path / "data", corpus_paths=(corpus,), embed_model_id=emb.model_id)
    stages: list[tuple[str, int, int]] = []
    report = build_index(settings, embedder=emb, progress=lambda s, d, t: stages.append((s, d, t)))
    assert report.by_document["plain"]["pages"] == 5 and report.by_document["plain"]["tables"] == 0
    assert any("no section headings were found in 5 pages" in p for p in report.problems), report.problems
    assert any("no tables were found in 5 pages" in p for p in report.problems), report.problems
    # every stage reports progress, each reaching its total
    for stage in ("parse", "embed", "embed sentences", "write"):
        mine = [(d, t) for s, d, t in stages if s == stage]
        assert mine and mine[-1][0] == mine[-1][1], (stage, mine)


def test_encrypted_rendering_with_empty_password_ingests(rendered, tmp_path) -> None:
    reader = PdfReader(rendered["fpdf2"])
    writer = PdfWriter(clone_from=reader)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    (tmp_path / "locked.pdf").write_bytes(buf.getvalue())
    c = analyse(load(tmp_path / "locked.pdf", MAX)).counts()
    assert c["sections"] >= 30 and c["tables"] == 4


@pytest.mark.slow
@pytest.mark.timeout(3000)  # five ingests and five runs of the gold set with the real model
def test_gold_accuracy_on_each_pdf_within_3_points_of_the_text(rendered, tmp_path) -> None:
    """The whole gold set, real embeddings: every rendering scores within 0.03 of the text."""
    from evals.pdf_eval import evaluate_source

    settings = Settings(data_dir=tmp_path / "unused")
    text = evaluate_source("text", CORPUS, settings)
    for name in ("chromium", "fpdf2", "chromium-plain", "chromium-2col"):
        if name not in rendered:
            continue
        copy = tmp_path / f"{name}.pdf"
        shutil.copy(rendered[name], copy)
        got = evaluate_source(name, copy, settings)
        assert got["scores"]["answer_accuracy"] >= text["scores"]["answer_accuracy"] - 0.03, (name, got, text)


def test_page_number_inside_a_running_footer(tmp_path) -> None:
    """Footers "NIST AMS 600-17 ... 12" on the right of odd pages and "13 ... NIST AMS 600-17" on the left of
    even ones: the printed page is the footer's page number, never the 600 or 17 of the series name, and the
    footer is not text."""
    from fpdf import FPDF

    class Book(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            n = self.page_no() + 11
            if n % 2 == 0:
                self.cell(0, 8, "NIST AMS 600-17", align="L")
                self.set_x(self.l_margin)
                self.cell(0, 8, str(n), align="R")
            else:
                self.cell(0, 8, str(n), align="L")
                self.set_x(self.l_margin)
                self.cell(0, 8, "NIST AMS 600-17", align="R")

    pdf = Book()
    pdf.set_font("Helvetica", size=11)
    for i in range(4):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Section {i} text about centers and their funding. " * 12)
    pdf.output(str(tmp_path / "book.pdf"))
    loaded = load(tmp_path / "book.pdf", MAX)
    assert [p.number for p in loaded.pages] == [12, 13, 14, 15]
    assert "NIST AMS 600-17" not in loaded.text
