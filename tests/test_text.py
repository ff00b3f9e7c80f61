"""Sentence spans and tokens: the units every answer is made of."""

from __future__ import annotations

from rag.text import sentence_spans, tokens


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_middle_initials_and_abbreviations_do_not_end_sentences():
    text = "Written by Karen M. Sutter and Michael D. Sutherland. The U.S. program began in 2014. It grew."
    assert _sentences(text) == [
        "Written by Karen M. Sutter and Michael D. Sutherland.",
        "The U.S. program began in 2014.",
        "It grew.",
    ]


def test_report_markers_stay_with_their_sentence():
    assert _sentences("Funding rose sharply. [38] Staff grew too.") == ["Funding rose sharply. [38]", "Staff grew too."]


def test_a_reading_list_entry_is_one_unit_with_its_date_and_authors():
    # split at its full stops, the date would be quoted without the title it dates
    entry = "- Trade Policy Notes | Library of Congress. March 3, 2024. Jane Q. Doe and Rui Li."
    assert _sentences(entry) == [entry]
    # a sentence of prose on the same line still ends at its full stop
    assert _sentences("Output grew. Exports fell in 2020.") == ["Output grew.", "Exports fell in 2020."]
    # a field on a line of its own is not joined to the line above
    assert _sentences("Output grew.\nMarch 3, 2024.") == ["Output grew.", "March 3, 2024."]


def test_stopwords_are_dropped_before_and_after_stemming():
    # "reports" stems to "report", a stopword: neither a question nor a passage is matched on it
    toks = tokens("Which reports discuss tariffs?")
    assert "report" not in toks and "tariff" in toks
    assert tokens("who owns the IP") == ["own", "ip"]  # "owns" is content: who owns what


def test_stems_meet_across_word_forms():
    from rag.text import stem

    assert stem("membership") == stem("members") and stem("ownership") == stem("owners")
    assert stem("worship") != "wor"


def test_a_noun_in_ation_stems_as_its_verb_does():
    from rag.text import tokens

    assert tokens("creation") == tokens("created") == tokens("creations")
    assert tokens("location") == tokens("located")
    assert tokens("nation") != tokens("nated")  # a short word keeps its ending


def test_a_supplier_and_its_supply_share_a_stem():
    from rag.text import tokens

    assert tokens("suppliers") == tokens("supply") == tokens("supplies") == tokens("supplied")
    assert tokens("carriers") == tokens("carry")
    assert tokens("deeply") == tokens("deep")  # an adverb in "-ly" still loses it


def test_a_consonant_doubled_before_an_ending_goes():
    from rag.text import tokens

    assert tokens("planned planning") == tokens("plan plan")
    assert tokens("running") == tokens("run")
    assert tokens("added installed") == tokens("add install")  # a double that is the word's own stays


def test_an_acronym_plural_is_the_acronym():
    # "EVs" is too short for the stemmer to tell a plural; written in capitals it is the acronym's plural
    assert tokens("EVs and HQs") == tokens("EV and HQ") == ["ev", "hq"]
    assert tokens("MICs") == ["mic"]
    assert tokens("bus gas") == ["bus", "gas"]
