"""Contents, section tree and figure captions of the real report (plus a synthetic text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.structure import Toc, build_sections, find_figure_captions, parse_toc
from rag.records import Section

REPORT = Path(__file__).resolve().parents[1] / "corpus" / "NIST.AMS.600-17.txt"


@pytest.fixture(scope="module")
def text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def toc(text: str) -> Toc:
    parsed = parse_toc(text)
    assert parsed is not None
    return parsed


@pytest.fixture(scope="module")
def sections(text: str, toc: Toc) -> list[Section]:
    return build_sections("nist-ams-600-17", text, toc)


def by_number(sections: list[Section], number: str) -> Section:
    return next(s for s in sections if s.number == number)


def test_toc_pages(toc: Toc) -> None:
    assert toc.find("section", number="2.2").page == 5
    assert toc.find("section", number="2.2").title == "14th Five-Year Plan"  # "14 th" artefact folded
    assert toc.find("section", number="3.2.3").page is None  # no page printed: never guessed
    assert toc.find("section", number="Appendix D").page == 32
    assert toc.find("section", title="References").page == 33
    assert toc.find("section", title="Executive Summary").page == 1
    assert toc.find("table", number="2").page == 13
    assert toc.find("table", number="1").page == 6
    assert toc.find("figure", number="6").page == 26
    assert toc.find("figure", number="7").page is None  # "-" page
    assert toc.find("figure", number="8").page is None  # no page at all
    fig9 = toc.find("figure", number="9")
    assert fig9.page == 29  # title broken by a tab: "... and Chin<TAB>a 29"
    assert fig9.title.endswith("Germany, and China")


def test_toc_span(text: str, toc: Toc) -> None:
    block = text[toc.start : toc.end]
    assert block.startswith("Table of Contents")
    assert "List of Tables" in block and "List of Figures" in block
    assert block.rstrip().endswith("30")  # last figure line
    assert "Acknowledgments" not in block
    kinds = [e.kind for e in toc.entries]
    assert kinds.count("table") == 2 and kinds.count("figure") == 11


def test_sections_contiguous(text: str, sections: list[Section]) -> None:
    assert sections[0].title == "Front matter" and sections[0].start == 0
    assert sections[-1].end == len(text)
    for a, b in zip(sections, sections[1:], strict=False):
        assert a.end == b.start
        assert 0 <= a.start < a.end <= len(text)


def test_section_numbers_in_order(sections: list[Section]) -> None:
    numbers = [s.number for s in sections if s.number]
    assert numbers == [
        "1", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.2", "3.2.1", "3.2.2", "3.2.3", "3.2.4",
        "4", "4.1", "4.2", "4.3", "5", "6", "Appendix A", "A.1", "A.2", "Appendix B",
        "Appendix C", "C.1", "C.2", "Appendix D",
    ]  # fmt: skip


def test_section_paths_levels_pages(text: str, sections: list[Section]) -> None:
    fin = by_number(sections, "3.2.3")
    assert fin.title == "3.2.3. Financing"
    assert fin.path == (
        "3. China's Manufacturing Innovation Centers",
        "3.2. Comparing China's MICs to Manufacturing USA and Germany's Fraunhofer Institutes",
        "3.2.3. Financing",
    )
    assert fin.level == 3 and fin.page is None
    assert text[fin.start : fin.end].startswith("3.2.3. Financing\n")
    assert by_number(sections, "2.2").page == 5
    a1 = by_number(sections, "A.1")
    assert a1.level == 2 and a1.path[0].startswith("Appendix A.") and a1.page == 23
    assert by_number(sections, "Appendix D").level == 1 and by_number(sections, "Appendix D").page == 32
    refs = next(s for s in sections if s.title == "References")
    assert refs.number is None and refs.page == 33 and refs.path == ("References",)
    titles = [s.title for s in sections if s.number is None]
    assert {"Abstract", "Keywords", "Acknowledgments", "Executive Summary", "Table of Contents"} <= set(titles)


def test_toc_is_its_own_section(text: str, toc: Toc, sections: list[Section]) -> None:
    toc_sec = next(s for s in sections if s.title == "Table of Contents")
    assert toc_sec.number is None
    assert toc_sec.start == toc.start and toc_sec.end >= toc.end
    # nothing inside the contents block became a heading
    assert not [s for s in sections if toc.start < s.start < toc.end]


def test_inset_boxes_stay_in_parent(text: str, sections: list[Section]) -> None:
    linkage = by_number(sections, "3.2.4")
    body = text[linkage.start : linkage.end]
    assert "Wuhan: the Pilot City for" in body
    assert "China's Network Strategy for End-to-end Manufacturing" in body


def test_page_of_offset(text: str, toc: Toc) -> None:
    secs = build_sections("d", text, toc, page_of_offset=lambda off: off // 1000 + 1)
    assert all(s.page == s.start // 1000 + 1 for s in secs)


def test_figure_captions(text: str, toc: Toc, sections: list[Section]) -> None:
    figs = find_figure_captions(text, toc, sections)
    assert [f.number for f in figs] == [str(n) for n in range(1, 12)]
    by = {f.number: f for f in figs}
    assert by["6"].page == 26 and by["7"].page is None and by["9"].page == 29
    assert by["6"].section_path[-1] == "A.2. Map of Manufacturing Innovation Centers"
    f4 = text[by["4"].start : by["4"].end]
    assert f4.startswith("Figure 4: Selected Made in China 2025") and "Excerpt source:" in f4
    assert text[by["1"].start : by["1"].end].rstrip().endswith("[7]")  # its Data Source line
    assert all(not (toc.start <= f.start < toc.end) for f in figs)


SYNTHETIC = """Widget Report

Table of Contents

1. Overview\t1
1.1. Scope\t
2. Details\t3
References\t-

1. Overview

Some prose about widgets. It spans a sentence or two.

1.1. Scope

1.2. Not In Contents

More prose.

2. Details

3. This line ends with a period.

References

- [1] Doe J (2020) A title. Available at https://example.org/x
"""


def test_synthetic_text() -> None:
    toc = parse_toc(SYNTHETIC)
    assert toc is not None
    assert [(e.number, e.page) for e in toc.entries] == [("1", 1), ("1.1", None), ("2", 3), (None, None)]
    secs = build_sections("w", SYNTHETIC, toc)
    assert [s.number for s in secs] == [None, None, "1", "1.1", "1.2", "2", None]
    assert secs[4].path == ("1. Overview", "1.2. Not In Contents")  # plausible heading missing from contents
    assert secs[-1].title == "References"
    # without contents the numbered-heading pattern alone is used
    plain = build_sections("w", SYNTHETIC.replace("Table of Contents", "Contents list"), None)
    assert "1.1" in [s.number for s in plain] and "3" not in [s.number for s in plain]


def test_no_toc() -> None:
    assert parse_toc("Just prose.\n\nNo contents here.\n") is None
    secs = build_sections("x", "Just prose.\n", None)
    assert len(secs) == 1 and secs[0].title == "Front matter" and secs[0].end == len("Just prose.\n")
