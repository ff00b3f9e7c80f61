"""Look-up accepts what people type and answers in the report's words (issue #15 item 7, #16 [9999])."""

from __future__ import annotations

import re

import pytest

from rag import api
from rag.errors import MicqaError


@pytest.fixture
def lookup(fake_index, monkeypatch):
    settings, emb = fake_index
    eng = api.get_engine(settings, embedder=emb)
    monkeypatch.setattr(api, "get_engine", lambda s=None, embedder=None: eng)
    return lambda ref: api.lookup(ref, settings)


@pytest.mark.parametrize("ref", ["A.1/26", "a.1/26", "A.1 row 26", "a.1, row 26", "Table A.1 row 26", "A.1 #26"])
def test_table_row_forms(lookup, ref):
    res = lookup(ref)
    assert res.kind == "table_row" and res.row.index == 26 and res.table.id == "A.1"
    assert "National Graphene Innovation Center" in res.text


@pytest.mark.parametrize("ref", ["20", "[20]", "[ 20 ]", "ref 20", "reference 20"])
def test_reference_forms(lookup, ref):
    res = lookup(ref)
    assert res.kind == "reference" and res.reference.number == 20 and res.title == "Reference [20]"


@pytest.mark.parametrize("ref,caption", [("Table 2", "Table 2:"), ("table 1", "Table 1:"), ("D", "Appendix D")])
def test_table_forms(lookup, ref, caption):
    res = lookup(ref)
    assert res.kind == "table" and res.title.startswith(caption) and res.table is not None


@pytest.mark.parametrize("ref", ["Figure 5", "figure 5", "Fig. 5"])
def test_figure_forms(lookup, ref):
    res = lookup(ref)
    assert res.kind == "figure" and res.title.startswith("Figure 5:")


@pytest.mark.parametrize("ref,title", [("3.2.3", "3.2.3. Financing"), ("Financing", "3.2.3. Financing"),
                                       ("financing", "3.2.3. Financing"), ("the 14th five-year plan", "2.2."),
                                       ("Appendix D", "Appendix D."), ("3", "3. China")])
def test_section_forms(lookup, ref, title):
    res = lookup(ref)
    assert res.kind == "section" and res.title.startswith(title) and res.section is not None


@pytest.mark.parametrize("ref,message", [
    ("[9999]", r"no reference \[9999\]; it has references \[1\]–\[61\]"),
    ("9999", r"no reference \[9999\]"),
    ("A.1/99", r"^A\.1 has rows 1 to 33; there is no row 99\.$"),
    ("Table 9", r"no Table 9; its tables are Table 1, Table 2, A\.1, Appendix D\."),
    ("Z.9/1", r"no table 'Z\.9'; its tables are Table 1, Table 2"),
    ("Figure 99", r"no Figure 99"),
])
def test_misses_say_what_the_report_has_in_its_own_words(lookup, message, ref):
    with pytest.raises(MicqaError) as err:
        lookup(ref)
    text = str(err.value)
    assert re.search(message, text), text
    assert "table-1" not in text and "table-2" not in text and "table_row" not in text  # no internal ids


def test_answers_never_show_internal_table_ids(lookup):
    for ref in ("A.1/26", "Table 2", "Table 1 row 1"):
        res = lookup(ref)
        assert "table-" not in res.title
