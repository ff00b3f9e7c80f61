"""Typos are mended to the report's words first, then to English words the report does not use."""

from __future__ import annotations

from rag.query import Lexicon, parse_query

TEXTS = ["The report names its authors. China pledged funds in 2016. The centers were established in 2016."]
ENGLISH = ["report", "authors", "summary", "founded", "belong", "pledge", "the", "who", "are", "which", "in",
           "were", "give", "me", "a", "of", "staff", "what", "title", "page", "named", "on", "was", "centres"]


def lex() -> Lexicon:
    return Lexicon(TEXTS, ENGLISH)


def test_a_swapped_pair_of_letters_is_one_edit():
    q = parse_query("Who are the atuhors?", lex())
    assert q.text == "Who are the authors?" and q.corrections == [("atuhors", "authors")]


def test_english_words_the_report_lacks_are_mended_too():
    assert parse_query("give me a sumamry", lex()).text == "Give me a sumamry".replace("sumamry", "summary")
    assert "founded" in parse_query("which centers were foudned in 2016", lex()).text


def test_a_possessive_keeps_its_ending():
    q = parse_query("What is named on the reprot's title page?", lex())
    assert "report's title page" in q.text and ("reprot", "report") in q.corrections


def test_known_words_and_ambiguous_typos_stay_as_typed():
    lx = Lexicon(TEXTS, [*ENGLISH, "pint", "pins"])
    assert parse_query("staffing", lx).corrections == []  # an English base with a regular ending
    assert lx.mend("pinx") is None  # "pint" and "pins" are equally close: no guess


def test_a_name_the_report_never_writes_in_lower_case_gets_its_capital():
    # both words only ever appear capitalised inside longer names; only one of them is a name
    texts = ["The Fraunhofer Society leads. Germany funds the Fraunhofer Institutes. A Fraunhofer group met. "
             "We met the Fraunhofer Society again. The Fraunhofer Institutes grew. The Construction Office began. "
             "The Center Construction Project ran. A Construction Bank lent. The Construction Bank lent again. "
             "The Construction Project ended."]
    lx = Lexicon(texts, ["the", "construction", "compare", "with", "centers"])
    assert parse_query("compare centers with fraunhofer", lx).text == "Compare centers with Fraunhofer"
    # an English word stays as typed even where the report capitalises it inside names
    assert "construction" in parse_query("what about construction", lx).text


def test_names_no_document_mentions_are_found_in_any_casing():
    texts = ["China funds centers that follow the Five-Year Plan. Japan and the U.S. are compared. The Congressional "
             "Research Service wrote on it."]
    lx = Lexicon(texts, [*ENGLISH, "india", "japan", "does", "run", "have", "centers", "key", "takeaways"])
    assert parse_query("what does the report say about india's centers", lx).absent_names == ["india"]
    assert parse_query("Does Huawei run a center?", lx).absent_names == ["Huawei"]
    assert parse_query("How does TSMC compare?", lx).absent_names == ["TSMC"]
    # an acronym is no typo of a short word ("BYD" is not "by"), and is a name at the start of a question too
    assert parse_query("How many cars did BYD sell?", lx).absent_names == ["BYD"]
    assert parse_query("BYD exports?", lx).absent_names == ["BYD"]
    # mentioned, an English word capitalised, a typo of a mentioned name, or an acronym the text spells out
    for q in ("Does Japan have centers?", "What are the Key Takeaways?", "What about Chinna's centers?",
              "What does the 14th FYP say?", "What did the CRS write?", "What do Japanese centers do?"):
        assert parse_query(q, lx).absent_names == [], q


def test_short_forms_are_read_in_full_when_the_documents_only_write_them_in_full():
    lx = Lexicon(["The bank pledged funds in November 2016 to each laboratory and the lab."], ENGLISH)
    q = parse_query("What did the bank pledge in Nov 2016?", lx)
    assert "in November 2016" in q.text and ("Nov", "November") in q.corrections
    assert "lab" in parse_query("Which lab got funds?", lx).text.split()  # the documents use "lab" too: kept


def test_an_acronym_spelled_out_with_small_words_is_mentioned():
    lx = Lexicon(["The White House Office of Science and Technology Policy listed them."], ENGLISH)
    assert parse_query("When did the White House OSTP list them?", lx).absent_names == []


def test_a_quoted_titles_words_are_no_intent_cue():
    assert parse_query("Who wrote 'Different Approaches, One Goal'?").intent == "lookup"
    assert parse_query("How do the approaches differ?").intent == "compare"


def test_a_figure_glued_to_its_unit_is_read_apart_unless_the_documents_write_it_glued():
    lx = Lexicon(["China had 3 % at the 10-22 nm level and leads in 5G."], ENGLISH)
    assert "10-22 nm level" in parse_query("how much of the 10-22nm level", lx).text
    assert "5G" in parse_query("what about 5G", lx).text and "14th" in parse_query("the 14th plan", lx).text


def test_casual_ways_to_ask_for_a_summary_are_summaries():
    for q in ("sum up the innovation leadership chapter", "give me a rundown of section 4", "can you sum it up"):
        assert parse_query(q).intent == "summary", q
    assert parse_query("what is the sum of funding").intent == "lookup"


def test_the_us_after_an_article_or_versus_is_the_country():
    assert "the US" in parse_query("germany vs the us - who invests more", lex()).text
    assert "tell us about" in parse_query("what does this tell us about china", lex()).text


def test_what_explains_asks_why_and_differently_compares():
    assert parse_query("what explains how fast the program has grown").intent == "explain"
    assert parse_query("what accounts for the lead in batteries").intent == "explain"
    assert parse_query("how is IP handled differently in the three programs").intent == "compare"


def test_words_naming_the_publication_are_no_subject():
    from rag.text import tokens

    lx = Lexicon(["The Office of Fisheries (OOF) studied river fisheries in Norway."], ENGLISH)
    lx.report_names = frozenset(tokens("OOF Norway river fisheries review"))
    lx.report_acronyms = frozenset(tokens("OOF"))
    # the publisher as framing, at either end
    assert parse_query("how many boats are there according to OOF?", lx).text == "How many boats are there?"
    assert parse_query("According to OOF, how many boats are there?", lx).text == "How many boats are there?"
    # the publication named by its title's words is "the report"; its common words stay
    assert parse_query("When did the OOF Norway fisheries report appear?", lx).text == \
        "When did the fisheries report appear?"
    # another source is a constraint, not framing; the country alone is a subject, not the publisher
    assert "Coast Guard" in parse_query("How many boats are there according to the Coast Guard report?", lx).text
    assert "Norway" in parse_query("How many boats are there according to Norway?", lx).text


def test_now_is_filler_and_hedges_mean_reportedly():
    from rag.answer import alike
    from rag.text import tokens

    assert parse_query("how many boats are there now?").text == "How many boats are there?"
    assert tokens("reportedly")[0] in alike(tokens("supposedly")[0])


def test_worldwide_means_global():
    from rag.answer import alike
    from rag.text import tokens

    assert tokens("global")[0] in alike(tokens("worldwide")[0])


def test_an_initialism_the_documents_write_out_reads_as_their_words():
    texts = ["The dam met most key performance indicators of the River Water Board (RWB).",
             "Its annual growth rate was low; the average growth rate was high and the Alder Growth Report said so."]
    lx = Lexicon(texts, ENGLISH)
    assert parse_query("how many KPIs did the dam meet?", lx).text == "How many key performance indicators did the dam meet?"
    assert "RWB" in parse_query("what does the RWB do?", lx).text  # the documents use it: it stays
    assert "AGR" in parse_query("what was the AGR?", lx).text  # two readings ("annual growth rate", "Alder ..."): none


def test_a_number_sign_reads_as_the_number_of():
    assert parse_query("# of dams with a lock?").text == "Number of dams with a lock?"
    assert parse_query("no. of dams in the north").text.startswith("Number of dams")
    assert "#" in parse_query("what is dam #4?").text


def test_a_long_capitalised_name_one_edit_off_is_mended():
    texts = ["The Fraunhofer Society runs 76 institutes. Hefei hosts a center. The Fraunhofer groups meet. "
             "We met Fraunhofer staff. Fraunhofer grew. In Hefei, Fraunhofer came to visit."]
    lx = Lexicon(texts, [*ENGLISH, "runs", "institutes", "hosts", "groups", "meet", "many", "are", "there"])
    q = parse_query("How many Fraunhoffer groups are there?", lx)
    assert "Fraunhofer groups" in q.text and ("Fraunhoffer", "fraunhofer") in q.corrections
    # a short name is another name, not a typo ("Hebei" is a province of its own)
    assert "Hebei" in parse_query("How many centers are in Hebei?", lx).text


def test_a_capital_that_aims_or_wants_is_its_government():
    assert "did China aim" in parse_query("How many dams did Beijing aim to build by 2030?", lex()).text
    assert "did China want" in parse_query("what share of power did beijing want from dams", lex()).text
    # as a place it stays the city
    assert "in Beijing" in parse_query("How many dams are in Beijing?", lex()).text


def test_what_the_report_is_based_on_asks_about_the_report():
    from rag.query import classify

    assert classify("What was the report's information based on?") == "whole_report"
    assert classify("Where did the authors travel to?") == "whole_report"
    assert classify("Which dams is the city plan based on?") == "lookup"
