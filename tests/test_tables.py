"""Typed tables, references and acronyms of the real report, plus a synthetic text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.structure import build_sections, parse_toc
from ingest.tables import ParsedTables, clean_column, extract_tables, type_cell
from rag.records import Table

REPORT = Path(__file__).resolve().parents[1] / "corpus" / "NIST.AMS.600-17.txt"
BUDGET = "Est. Total 2023 Annual Program Budget (USD millions)"


@pytest.fixture(scope="module")
def text() -> str:
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(text: str) -> ParsedTables:
    toc = parse_toc(text)
    return extract_tables("nist", text, build_sections("nist", text, toc), toc)


def table(parsed: ParsedTables, table_id: str) -> Table:
    return next(t for t in parsed.tables if t.id == table_id)


def test_table_ids(parsed: ParsedTables) -> None:
    assert [t.id for t in parsed.tables] == ["table-1", "table-2", "A.1", "D"]


def test_mic_table(text: str, parsed: ParsedTables) -> None:
    mic = table(parsed, "A.1")
    assert mic.columns == [
        "No.",
        "Manufacturing Innovation Center",
        "Year",
        "Province",
        "City",
        "Principal Industry Sector",
    ]
    assert len(mic.rows) == 33 and mic.page == 23
    assert mic.section_path[-1] == "A.1. Table of Manufacturing Innovation Centers"
    assert [r.cells["No."] for r in mic.rows] == list(range(1, 34))
    r26 = mic.rows[25]
    assert r26.key == "A.1/26"
    assert r26.cells == {
        "No.": 26,
        "Manufacturing Innovation Center": "National Graphene Innovation Center",
        "Year": 2022,
        "Province": "Zhejiang",
        "City": "Ningbo",
        "Principal Industry Sector": "Advanced materials",
    }
    assert mic.rows[5].cells["Province"] == "Liaoning, Heilongjiang"
    assert isinstance(mic.rows[0].cells["Year"], int)
    assert mic.rows[32].raw_cells["Manufacturing Innovation Center"].startswith("National and Local co- Build")
    for r in mic.rows:
        assert text[r.start : r.end] == "\t".join(r.raw_cells.values())


def test_table_2(text: str, parsed: ParsedTables) -> None:
    t2 = table(parsed, "table-2")
    assert t2.page == 13 and t2.caption.startswith("Table 2: Manufacturing Innovation Programs")
    assert t2.section_path[-1] == "3.2.3. Financing"
    assert len(t2.rows) == 3
    assert "Percent 2023 GDP From Manufacturing" in t2.columns and BUDGET in t2.columns
    assert not any("*" in c or "Manu- " in c for c in t2.columns)
    usa, china, germany = (r.cells for r in t2.rows)
    assert germany[BUDGET] == 3225
    assert usa["# of Institutes"] == 18 and isinstance(usa["# of Institutes"], int)
    assert china[BUDGET] is None
    assert usa["Percent 2023 GDP From Manufacturing"] == 10.0
    assert isinstance(usa["Percent 2023 GDP From Manufacturing"], float)
    assert usa["2023 Value Added by Manufacturing (USD millions)"] == 2840447
    assert usa[BUDGET] == 540
    assert t2.rows[0].raw_cells[BUDGET] == "\\$540"
    assert (
        len(t2.notes) == 2 and t2.notes[0].startswith("*GDP numbers") and t2.notes[1].startswith("**2023 expenditure")
    )
    assert text[t2.start : t2.end].startswith("Table 2:")


def test_table_1(text: str, parsed: ParsedTables) -> None:
    t1 = table(parsed, "table-1")
    assert t1.columns == ["Category", "Reference", "Title", "Text"] and t1.page == 6
    assert len(t1.rows) == 8
    cats = [r.cells["Category"] for r in t1.rows]
    # entry before the first label belongs to the first category
    assert cats == ["Technology Innovation"] * 4 + ["Regional Hubs"] * 3 + ["Societal Norms"]
    first = t1.rows[0].cells
    assert first["Reference"] == "Part Two, Article IV, Section 1"
    assert first["Title"] == "Consolidate and optimize science and technology (S&T) resource allocation"
    assert first["Text"].startswith('"We will optimize and upgrade innovation bases')
    third = t1.rows[2].cells  # quoted text on the same line as the reference
    assert third["Reference"] == "Part Two, Article V, Section 2" and third["Text"].startswith('"We will concentrate')
    assert t1.rows[7].cells["Reference"] == "Part Thirteen, Article XLIV, Table 17"
    for r in t1.rows:
        assert text[r.start : r.end].startswith(r.raw_cells["Reference"])
        assert r.raw_cells["Text"].split()[-1] in text[r.start : r.end]


def test_references(text: str, parsed: ParsedTables) -> None:
    refs = {r.number: r for r in parsed.references}
    assert sorted(refs) == list(range(1, 62))
    assert refs[20].url == (
        "https://www.jiegroup.com/news/industry-information/gong-xin-bu-yin-fa-guan-yu-wan-shan-zhi-zao-ye-chuang-"
        "xin-ti-xi-tui-jin-zhi-zao-ye-chuang-xin-zhong-xin-jian-she-de-zhi-dao-yi-jian.html"
    )
    assert refs[25].year == "2024" and refs[25].authors == "Conroy G"
    assert refs[25].title.startswith("How 'Made in China 2025' helped supercharge")
    assert (
        refs[1].authors == "Belton KB"
        and refs[1].title == "Advanced Manufacturing Policy: Different Approaches, One Goal."
    )
    assert refs[55].year is None
    assert refs[7].url is None
    # continuation line after a page break is joined
    assert refs[18].url == "https://www.uschamber.com/assets/documents/final_made_in_china_2025_report_full.pdf"
    for r in refs.values():
        assert not r.text.startswith("[")
        assert text[r.start : r.end].startswith(f"- [{r.number}]")


def test_acronyms(parsed: ParsedTables) -> None:
    assert len(parsed.acronyms) == 36
    acr = {a.acronym: a.expansion for a in parsed.acronyms}
    assert acr["MIIT"] == "Ministry of Industry and Information Technology"
    d = table(parsed, "D")
    assert d.columns == ["Acronym", "Definition"] and len(d.rows) == 36 and d.page == 32
    assert all(isinstance(v, str) for r in d.rows for v in r.cells.values())


def test_spans(text: str, parsed: ParsedTables) -> None:
    spans = parsed.spans
    assert spans == sorted(spans)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))  # merged, disjoint
    covered = lambda off: any(s <= off < e for s, e in spans)  # noqa: E731
    for t in parsed.tables:
        assert covered(t.start) and covered(t.end - 1)
    for r in parsed.references:
        assert covered(r.start)
    # a table's footnotes stay in the text flow (searchable, citable as prose) and on the table as notes
    assert not covered(text.index("^{**2023}"))
    assert any("17 March 2025" in n for t in parsed.tables for n in t.notes)
    assert not covered(text.index("Continuing this effort, China released"))  # prose


def test_type_cell_and_columns() -> None:
    assert type_cell("\\$2,840,447") == 2840447
    assert type_cell("$540") == 540
    assert type_cell("10%") == 10.0 and type_cell("0.019%") == 0.019
    assert type_cell("Unknown") is None and type_cell("N/A") is None
    assert type_cell("2016") == 2016 and type_cell("19.6") == 19.6
    assert type_cell("Liaoning, Heilongjiang") == "Liaoning, Heilongjiang"
    assert clean_column("Percent 2023 GDP From Manu- facturing*") == "Percent 2023 GDP From Manufacturing"


SYNTHETIC = """Gadget Study

1. Results

Some prose before the table.

Table 7: Gadget counts by region

Region\tGadgets\tShare*\tBudget
North\t1,200\t40%\t\\$1,500

South\t1,800\tN/A\tUnknown

^{*}Share of all gadgets.

More prose after the table.

2. Glossary of Abbreviations

GW\tGadget Works
RX\tRegion X
"""


def test_synthetic_generic_detection() -> None:
    toc = parse_toc(SYNTHETIC)
    assert toc is None
    secs = build_sections("g", SYNTHETIC, toc)
    assert [s.number for s in secs] == [None, "1", "2"]
    parsed = extract_tables("g", SYNTHETIC, secs, toc)
    t7 = next(t for t in parsed.tables if t.id == "table-7")
    assert t7.columns == ["Region", "Gadgets", "Share", "Budget"]
    assert t7.page is None and t7.section_path == ("1. Results",)
    assert [r.cells for r in t7.rows] == [
        {"Region": "North", "Gadgets": 1200, "Share": 40.0, "Budget": 1500},
        {"Region": "South", "Gadgets": 1800, "Share": None, "Budget": None},
    ]
    assert t7.notes == ["*Share of all gadgets."]
    assert SYNTHETIC[t7.rows[1].start : t7.rows[1].end] == "South\t1,800\tN/A\tUnknown"
    glossary = next(t for t in parsed.tables if t.id == "2")
    assert glossary.columns == ["Acronym", "Definition"] and len(glossary.rows) == 2
    assert [a.acronym for a in parsed.acronyms] == ["GW", "RX"]
    assert parsed.references == []


def test_a_when_clause_asks_no_year(fake_engine):
    # "when measured ..." opens a clause: the question asks the share column, not the year a program started
    ans = fake_engine.tables.answer("What is Germany's percent of GDP from manufacturing when measured for 2023?")
    assert ans is not None and "Year Started" not in ans.plain_text and "19%" in ans.plain_text, ans.plain_text
    assert "Year Started" in fake_engine.tables.answer("When was the Fraunhofer program started?").plain_text


def test_age_and_size_ask_the_year_and_count_columns_unless_a_column_is_named(fake_engine):
    ans = fake_engine.tables.answer("how old and how big is each of the three programs?")
    assert ans is not None and "Year Started: 1949" in ans.plain_text and "# of Institutes: 76" in ans.plain_text
    budget = fake_engine.tables.answer("how big is the Fraunhofer budget?")
    assert budget is not None and "# of Institutes" not in budget.plain_text and "Budget" in budget.plain_text


def test_a_named_row_answers_no_year_it_does_not_name(fake_engine):
    # the row says how many institutes there are now; a question about 2011 is about a year it does not hold
    assert fake_engine.tables.answer("How many Fraunhofer institutes were there in 2011?") is None
    now = fake_engine.tables.answer("How many Fraunhofer institutes were there in 2023?")
    assert now is not None and "76" in now.plain_text
    since = fake_engine.tables.answer("Which city is the robot center founded in 2018 in?")
    assert since is not None and "Shenyang" in since.plain_text


def test_a_share_is_answered_by_a_percent_column_only(fake_engine):
    # "medium" names the 5G Medium & High Frequency center; its city is no share of anything
    assert fake_engine.tables.answer("what percentage of chinese small and medium manufacturers are using cloud-based tools") is None
    gdp = fake_engine.tables.answer("What share of Germany's GDP comes from manufacturing?")
    assert gdp is not None and "19%" in gdp.plain_text


def test_a_count_shows_the_other_column_it_asks_for(fake_engine):
    ans = fake_engine.tables.answer("Shandong has how many MICs, and in what cities?")
    assert ans is not None and ans.plain_text.startswith("3 of the 33"), ans.plain_text
    assert "City: Qingdao" in ans.plain_text and "City: Yantai" in ans.plain_text
    plain = fake_engine.tables.answer("What is the number of MICs in Shandong?")
    assert plain is not None and "City:" not in plain.plain_text


def test_a_typo_past_a_known_stem_is_that_word_but_a_longer_real_word_is_not(fake_engine):
    ans = fake_engine.tables.answer("In what city is the National Agriculture Machine Innovaton Center?")
    assert ans is not None and "Luoyang" in ans.plain_text
    # "shareholders" is a word of the report, not a typo of "share": the table holds no shareholders
    assert fake_engine.tables.answer("How many shareholders does the Wuhan optoelectronics center have?") is None


def test_a_hyphenated_name_the_table_does_not_hold_is_not_its_words_apart(fake_engine):
    # "Made-in-Country Index" is not the "Country" column plus "Program Investment ... Indexed to the U.S."
    assert fake_engine.tables.answer("Where did China land, per the Made-in-Country Index?") is None
    five = fake_engine.tables.answer("In the 14th Five-Year Plan table, how many references to innovation centers are listed?")
    assert five is not None and "8" in five.plain_text


def test_to_place_is_to_rank():
    from rag.text import alike, tokens

    assert tokens("ranked")[0] in alike(tokens("place")[0])


def test_into_what_three_categories_asks_for_a_list():
    from rag.tables import _LIST

    assert _LIST.search("into what three categories does the plan sort its dams?")
    assert _LIST.search("the report groups the dams under what 4 headings?")
    assert not _LIST.search("in what year did the dam open?")
