"""Hostile and broken corpus files: each is named once with a clear reason, the good files still go in.

Cases: corrupt, truncated, encrypted and zero-page PDFs; a 0-byte text file; non-UTF-8 text; a PNG
named .pdf; a PDF named .txt; a symlink leaving the corpus folder, a symlink loop and a dangling
link; a 200 MB (sparse) file; a second file with the same name stem. Beside them: a copy of the report and a 2-page PDF made by fpdf2.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfWriter
from typer.testing import CliRunner

from ingest.build import IngestFailed, build_index
from ingest.loaders import LoadError, load
from rag.embeddings import FakeEmbedder
from rag.settings import Settings
from rag.store import open_index

from .conftest import CORPUS

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def two_page_pdf(path: Path) -> None:
    """Page 1 mentions only Alphaword, page 2 only Bravoword: page numbers are checkable. The footers
    print 7 and 8 (an excerpt of a longer report): the printed numbers, not the PDF's 1 and 2."""

    class Excerpt(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, str(self.page_no() + 6), align="C")

    pdf = Excerpt()
    pdf.set_font("Helvetica", size=11)
    for i, word in enumerate(["Alphaword", "Bravoword"], start=1):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Page {i}. " + f"The {word} facility studies additive manufacturing processes. " * 8)
    pdf.output(str(path))


def encrypted_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="user")  # RC4: needs no extra package
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 10, "Secret text about manufacturing innovation centers.")
    pdf.output(str(path))


def make_corpus(root: Path) -> tuple[Path, dict[str, Path]]:
    """A corpus folder with two good files and one of each kind of bad file; returns (folder, bad files)."""
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS, corpus / "report.txt")
    two_page_pdf(corpus / "small.pdf")
    good_pdf = (corpus / "small.pdf").read_bytes()

    bad: dict[str, Path] = {}
    bad["corrupt"] = corpus / "corrupt.pdf"
    bad["corrupt"].write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    bad["truncated"] = corpus / "truncated.pdf"
    bad["truncated"].write_bytes(good_pdf[: len(good_pdf) // 2])
    bad["encrypted"] = corpus / "encrypted.pdf"
    encrypted_pdf(bad["encrypted"])
    bad["zero_pages"] = corpus / "zero-pages.pdf"
    PdfWriter().write(str(bad["zero_pages"]))
    bad["empty"] = corpus / "empty.txt"
    bad["empty"].write_bytes(b"")
    bad["latin1"] = corpus / "latin1.txt"
    bad["latin1"].write_bytes("Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00e0 la carte".encode("latin-1") * 20)
    bad["png_as_pdf"] = corpus / "picture.pdf"
    bad["png_as_pdf"].write_bytes(PNG_HEADER + b"\x00" * 200)
    bad["pdf_as_txt"] = corpus / "disguised.txt"
    bad["pdf_as_txt"].write_bytes(good_pdf)
    outside = root / "outside.txt"
    outside.write_text("A file outside the corpus folder that must not be read.\n" * 5)
    bad["symlink_out"] = corpus / "escape.txt"
    bad["symlink_out"].symlink_to(outside)
    bad["symlink_loop"] = corpus / "loop.txt"
    bad["symlink_loop"].symlink_to("loop.txt")
    bad["symlink_dangling"] = corpus / "dangling.txt"
    bad["symlink_dangling"].symlink_to("missing.txt")
    bad["huge"] = corpus / "huge.txt"
    with open(bad["huge"], "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB by size, no disk used
    bad["same_stem"] = corpus / "report_.md"  # same doc id as report.txt (and sorted after it)
    bad["same_stem"].write_text("# Another report\n\nSome other text about manufacturing centers.\n")
    return corpus, bad


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    root = tmp_path_factory.mktemp("files")
    corpus, bad = make_corpus(root)
    emb = FakeEmbedder()
    settings = Settings(data_dir=root / "data", corpus_paths=(corpus,), embed_model_id=emb.model_id)
    report = build_index(settings, embedder=emb)
    return settings, report, corpus, bad


def test_good_files_are_ingested_beside_bad_ones(ingested) -> None:
    settings, report, _corpus, _bad = ingested
    assert report.documents == 2
    idx = open_index(settings)
    assert sorted(d.id for d in idx.documents) == ["report", "small"]
    assert idx.manifest.counts["chunks"] == len(idx.chunks) > 100


def test_each_bad_file_named_exactly_once(ingested) -> None:
    _settings, report, _corpus, bad = ingested
    assert len(report.problems) == len(bad), report.problems
    for kind, path in bad.items():
        hits = [p for p in report.problems if p.startswith(f"{path}:")]
        assert len(hits) == 1, (kind, report.problems)
        # one sentence that says what to do, no traceback
        assert "Traceback" not in hits[0] and hits[0].count("\n") == 0
    expect = {
        "corrupt": "damaged or truncated",
        "truncated": "damaged or truncated",
        "encrypted": "encrypted",
        "zero_pages": "no pages",
        "empty": "empty",
        "latin1": "not valid UTF-8",
        "png_as_pdf": "not a PDF",
        "pdf_as_txt": "PDF with a text extension",
        "symlink_out": "outside the corpus folder",
        "symlink_loop": "broken link",
        "symlink_dangling": "broken link",
        "huge": "limit",
        "same_stem": "same name stem",
    }
    for kind, phrase in expect.items():
        msg = next(p for p in report.problems if p.startswith(f"{bad[kind]}:"))
        assert phrase in msg, (kind, msg)


def test_symlinked_file_content_is_not_indexed(ingested) -> None:
    settings, _report, _corpus, _bad = ingested
    idx = open_index(settings)
    assert not any("outside the corpus folder that must not" in c.text for c in idx.chunks)


def test_pdf_page_numbers(ingested) -> None:
    """The loader maps offsets to printed pages (read from the footers); a chunk carries the page it starts
    on; the footer numbers themselves are furniture, not text."""
    settings, _report, corpus, _bad = ingested
    loaded = load(corpus / "small.pdf", settings.max_file_bytes)
    assert [p.number for p in loaded.pages] == [7, 8]
    assert [p.index for p in loaded.pages] == [1, 2]
    assert loaded.page_of_offset(0) == 7
    assert loaded.page_of_offset(loaded.pages[1].start) == 8
    assert loaded.page_of_offset(len(loaded.text) - 1) == 8
    assert loaded.text.index("Bravoword") >= loaded.pages[1].start  # page 2's word is on page 2
    assert "\n7\n" not in loaded.text and not loaded.text.rstrip().endswith("8")

    idx = open_index(settings)
    pdf_chunks = [c for c in idx.chunks if c.doc_id == "small"]
    assert {c.page for c in pdf_chunks} == {7, 8}
    for c in pdf_chunks:
        assert c.page == loaded.page_of_offset(c.start), c
        if "Alphaword" not in c.text:  # only page-2 text
            assert c.page == 8, c
        if "Bravoword" not in c.text:
            assert c.page == 7, c


def test_pdf_without_printed_numbers_has_no_pages(tmp_path) -> None:
    """No footer, no page labels: the printed page is unknown (None), never the PDF page."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for word in ("Alphaword", "Bravoword"):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"The {word} facility studies additive manufacturing processes. " * 8)
    pdf.output(str(tmp_path / "plain.pdf"))
    loaded = load(tmp_path / "plain.pdf", Settings().max_file_bytes)
    assert [p.number for p in loaded.pages] == [None, None] and [p.index for p in loaded.pages] == [1, 2]


def test_pdf_with_empty_user_password_is_read(tmp_path) -> None:
    """Encrypted with an empty user password (opens in any viewer without asking): decrypted and read."""
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Openly readable text about manufacturing innovation centers. " * 4)
    pdf.output(str(tmp_path / "open.pdf"))
    loaded = load(tmp_path / "open.pdf", Settings().max_file_bytes)
    assert "Openly readable text about manufacturing innovation centers." in loaded.text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_text_with_bom_is_decoded(tmp_path, codec: str) -> None:
    body = "Abstract\n\nThe Caf\u00e9 report studies manufacturing innovation centers in detail.\n"
    raw = body.encode(codec)
    if codec == "utf-16-be":
        raw = b"\xfe\xff" + raw  # Python adds the BOM only for plain "utf-16"
    (tmp_path / "wide.txt").write_bytes(raw)
    loaded = load(tmp_path / "wide.txt", Settings().max_file_bytes)
    assert "The Caf\u00e9 report studies" in loaded.text


def test_utf16_text_without_bom_asks_for_utf8(tmp_path) -> None:
    (tmp_path / "wide.txt").write_bytes("The report studies manufacturing innovation centers.".encode("utf-16-le"))
    with pytest.raises(LoadError, match="UTF-16 text without a byte-order mark; re-save it as UTF-8"):
        load(tmp_path / "wide.txt", Settings().max_file_bytes)


def test_size_cap_message(tmp_path) -> None:
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)
    with pytest.raises(LoadError, match=r"the file is 200 MB, over the 50 MB limit; split it or raise"):
        load(big, Settings().max_file_bytes)


def test_only_bad_files_fails_with_every_problem(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "picture.pdf").write_bytes(PNG_HEADER)
    settings = Settings(data_dir=tmp_path / "data", corpus_paths=(corpus,), embed_model_id="fake-hash-embedder")
    with pytest.raises(IngestFailed) as err:
        build_index(settings, embedder=FakeEmbedder())
    assert "empty.txt" in str(err.value) and "picture.pdf" in str(err.value)
    assert not (tmp_path / "data" / "CURRENT").exists()  # nothing half-built was made current


def test_cli_ingest_names_each_bad_file_once(tmp_path, monkeypatch) -> None:
    """`micqa ingest DIR` exits non-zero; stderr names every bad file once; the good files are indexed."""
    import ingest.build as build
    from ui.cli import app

    corpus, bad = make_corpus(tmp_path)
    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "cli-data"))
    # the CLI loads the real model (and exports ONNX); a fake with the same id keeps this test fast and offline
    fake = lambda settings, *rest: FakeEmbedder(model_id=settings.embed_model_id)  # noqa: E731
    monkeypatch.setattr(build, "load_embedder", fake)
    monkeypatch.setattr(build, "_default_embedder", fake, raising=False)
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--json"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    err_lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    for kind, path in bad.items():
        named = [ln for ln in err_lines if re.search(re.escape(str(path)) + r"\b", ln)]
        assert len(named) == 1, (kind, err_lines)
    summary = json.loads(result.stdout)
    assert summary["documents"] == 2 and len(summary["problems"]) == len(bad)
