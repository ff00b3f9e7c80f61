"""The one document model: text, Markdown and PDF loaders give the same records; markup is cleaned."""

from __future__ import annotations

from pathlib import Path

from ingest.clean import clean_markup
from ingest.document import analyse
from ingest.loaders import load
from ingest.markdown import markdown_to_layout
from rag.settings import Settings

from .conftest import CORPUS

MAX = Settings().max_file_bytes


def test_clean_markup() -> None:
    assert clean_markup(r"budget of \$540 million") == "budget of $540 million"
    assert clean_markup("from Germany's *Industrie 4.0.* [1, 2]") == "from Germany's Industrie 4.0. [1, 2]"
    assert clean_markup("^{*}GDP numbers") == "*GDP numbers"
    assert clean_markup("^{**2023} expenditure") == "**2023 expenditure"
    assert clean_markup("<u>Copyright, Use</u> and") == "Copyright, Use and"
    assert clean_markup("the **National Power Battery Center** (2016)") == "the National Power Battery Center (2016)"
    # a lone footnote star and arithmetic stay
    assert clean_markup("From Manu- facturing*\t2023") == "From Manu- facturing*\t2023"
    assert clean_markup("5 * 3 = 15") == "5 * 3 = 15"
    # an emphasis mark that lost its partner goes; an underscore in a word or URL stays
    assert clean_markup("in current prices_ [accessed 2025]") == "in current prices [accessed 2025]"
    assert clean_markup("see gov.cn/state_council/ and final_made_in") == "see gov.cn/state_council/ and final_made_in"
    once = clean_markup(CORPUS.read_text(encoding="utf-8"))
    assert clean_markup(once) == once


def test_text_loader_keeps_structure_and_cleans_text() -> None:
    sd = analyse(load(CORPUS, MAX))
    c = sd.counts()
    assert (c["sections"], c["tables"], c["table_rows"], c["references"], c["acronyms"]) == (34, 4, 80, 61, 36)
    text = sd.loaded.text
    assert "\\$" not in text and "<u>" not in text and "^{" not in text and "*Industrie" not in text
    t2 = next(t for t in sd.tables if t.id == "table-2")
    assert t2.rows[0].cells["Owner"] == "Government Agencies" and t2.rows[0].raw_cells["Country"] == "USA"
    assert any(n.startswith("*GDP numbers") for n in t2.notes) or t2.notes == []


def test_chunks_quote_the_cleaned_text(fake_engine) -> None:
    """Every prose chunk is verbatim in the cleaned document text, which has no markup left."""
    prose = [c for c in fake_engine.index.chunks if c.kind == "prose"]
    assert prose and not any("\\$" in c.text or "<u>" in c.text for c in prose)
    assert any("$540" in c.text or "$63 billion" in c.text for c in prose)


def test_markdown_loader(tmp_path: Path) -> None:
    md = """# A Report on Centers

Intro paragraph with *emphasis* and a [link](https://example.org).

## 1. Background

Some text here.

- first item
- second item
  - nested item

## 2. Numbers

Table 1: Centers by year

| Name | Year |
|------|------|
| Alpha Center | 2016 |
| Beta Center | 2018 |

## References

- [1] Smith J (2020) A study of centers. Available at https://example.org/a
- [2] Doe J (2021) Another study.
"""
    text, headings = markdown_to_layout(md)
    assert [h.title for h in headings] == ["A Report on Centers", "1. Background", "2. Numbers", "References"]
    assert all(text[h.start:].startswith(h.title) for h in headings)
    assert "Name\tYear\nAlpha Center\t2016\nBeta Center\t2018" in text
    assert "- first item" in text and " - nested item" in text and "*emphasis*" not in text
    path = tmp_path / "centers.md"
    path.write_text(md, encoding="utf-8")
    sd = analyse(load(path, MAX))
    assert [s.number for s in sd.sections if s.number] == ["1", "2"]
    table = next(t for t in sd.tables if t.id == "table-1")
    assert table.columns == ["Name", "Year"] and [r.cells["Year"] for r in table.rows] == [2016, 2018]
    assert [r.number for r in sd.references] == [1, 2]


def test_acronym_list_found_by_its_section_and_shape(tmp_path: Path) -> None:
    """An unnumbered "Abbreviations" section holding a two-column list with a heading row."""
    md = """# Short Report

## Abbreviations

| Abbreviation | Definition |
|---|---|
| MIC | Manufacturing Innovation Center |
| CAE | Chinese Academy of Engineering |

## References

1. Smith J (2020) A study of centers.
2. Doe J (2021) Another study. Available at https://example.org/b
"""
    path = tmp_path / "short.md"
    path.write_text(md, encoding="utf-8")
    sd = analyse(load(path, MAX))
    assert {a.acronym: a.expansion for a in sd.acronyms} == {
        "MIC": "Manufacturing Innovation Center", "CAE": "Chinese Academy of Engineering"}
    # "n." entries are references by their section and shape too
    assert [(r.number, r.year) for r in sd.references] == [(1, "2020"), (2, "2021")]
    assert sd.references[1].url == "https://example.org/b"
