"""Answers built from the document model: the report's outline, a named table summarised, a section
named by its title, and lookups whose framing words ("named on the title page") are not the topic."""

from __future__ import annotations

import pytest

from rag import api


def ask(engine, q):
    return api.ask(q, None, engine.settings, engine=engine)


@pytest.mark.parametrize("q", ["How is the report organized?", "what are the chapters of the report",
                               "Give me an outline of the document, please"])
def test_the_outline_lists_every_numbered_part_in_order_each_cited(fake_engine, q):
    ans = ask(fake_engine, q)
    assert ans.answerer == "contents", (q, ans.answerer, ans.text)
    tops = [s for s in fake_engine.index.sections if s.level == 1 and s.number]
    positions = [ans.text.index(s.title) for s in tops]
    assert positions == sorted(positions)  # the report's order
    assert len(ans.citations) == len(tops)
    for c, s in zip(ans.citations, tops, strict=True):
        assert c.section.startswith(s.title)  # each part cites its own first sentence


def test_a_named_table_is_summarised_from_its_rows(fake_engine):
    ans = ask(fake_engine, "Please give me a summary of table A.1")
    assert ans.answerer == "table_summary"
    assert "33 rows" in ans.text and "By Year: 2016 (2); 2017 (1); 2018 (6)" in ans.text
    assert len(ans.citations) == 1
    assert fake_engine.index.chunk_by_id[ans.citations[0].chunk_id].kind == "table"
    shows = ask(fake_engine, "what does table 2 show?")
    assert shows.answerer == "table_summary" and "Manufacturing USA" in shows.text and "3 rows" in shows.text


def test_a_value_in_a_named_table_is_not_answered_with_a_summary(fake_engine):
    ans = ask(fake_engine, "In Table 2, what share of GDP comes from manufacturing in Germany?")
    assert ans.answerer != "table_summary"
    assert "19%" in ans.text


def test_answer_framing_words_are_not_the_topic(fake_engine):
    ans = ask(fake_engine, "Who is the Commerce Secretary named on the title page?")
    assert not ans.refused and "Howard Lutnick" in ans.text


@pytest.fixture(scope="module")
def real(real_index):
    return api.get_engine(real_index)


def test_how_many_needs_a_count_of_the_thing_asked_about(real):
    # the report gives no head count: a sentence with some other figure ("30 percent") is no answer
    assert ask(real, "How many people work at a typical MIC?").refused
    assert ask(real, "How many employees does a MIC have?").refused
    assert "33" in ask(real, "How many MICs had China created as of early 2025?").text


def test_a_section_named_by_its_title_is_summarised_from_that_section(real):
    ans = ask(real, "Summarize the introduction, please.")
    assert not ans.refused and ans.answerer == "synthesis"
    assert ans.citations and all(c.section.startswith("1. Introduction") for c in ans.citations)


def test_a_section_named_by_its_capitalised_title_is_summarised_from_that_section(real):
    # the title's words are a name ("Innovation Leadership") and "Section" labels it: the section's passages hold it
    ans = ask(real, "Please summarize the Innovation Leadership section.")
    assert not ans.refused and ans.answerer == "synthesis"
    assert ans.citations and all(c.section.startswith("5. Innovation Leadership") for c in ans.citations)


def test_a_phrasal_verb_is_not_a_term_the_answer_must_share(real):
    # "set up" is the report's "established": the count is found, not refused for want of the word "set"
    ans = ask(real, "How many MICs has China set up?")
    assert not ans.refused and "33" in ans.text


def test_a_compound_question_answered_by_one_passage_says_it_once(real):
    ans = ask(real, "How many MICs has China set up, and when was the first established?")
    assert not ans.refused
    quotes = [" ".join(c.quote.split()) for c in ans.citations]
    assert len(quotes) == len(set(quotes)), ans.text
    assert "33" in ans.text and "2016" in ans.text


@pytest.mark.parametrize(("q", "count"), [("How many innovation centers has China set up?", "33"),
                                          ("how many institutes does fraunhofer have", "76")])
def test_how_many_of_a_row_reads_its_count_column(fake_engine, q, count):
    # "set up" must not steer the count to "Year Started"; the row's one "# of ..." column says how many
    ans = ask(fake_engine, q)
    assert ans.answerer == "table" and f"# of Institutes: {count}" in ans.text, ans.text


def test_when_inside_a_clause_does_not_ask_for_a_date(real):
    # "... when a company uses its facilities" is a condition, not a question about a date or a figure
    ans = ask(real, "who owns IP at fraunhofer when a company uses its facilities")
    assert not ans.refused and "Fraunhofer Society owns IP" in ans.text


@pytest.mark.parametrize(("q", "parts"), [("summarize section 4", ("4.1.", "4.2.", "4.3.")),
                                          ("what does section 3.2 say?", ("3.2.1.", "3.2.2.", "3.2.3.", "3.2.4."))])
def test_a_section_summary_spans_its_subsections(real, q, parts):
    ans = ask(real, q)
    assert ans.intent == "summary" and ans.answerer == "synthesis"
    cited = {p for c in ans.citations for p in parts if p in c.section}
    assert cited == set(parts), (cited, ans.text)
    assert not any(c.quote.startswith(("*", "^{")) for c in ans.citations)  # footnotes are not findings


def test_rankings_do_not_depend_on_the_process_hash_seed(real_index):
    """Term weights come from sets, whose order changes with PYTHONHASHSEED; coverage sums are exact (fsum),
    so near-ties rank the same in every process."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys; from rag import api; from rag.settings import Settings; "
            "a = api.ask(sys.argv[1], None, Settings.from_env()); "
            "print(json.dumps([c.chunk.id for c in a.contexts]))")
    q = "How many employees work at the National Robot Innovation Center?"
    runs = set()
    for seed in ("1", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "MICQA_DATA_DIR": str(real_index.data_dir)}
        out = subprocess.run([sys.executable, "-c", code, q], env=env, capture_output=True, text=True, check=True)
        runs.add(tuple(json.loads(out.stdout.strip().splitlines()[-1])))
    assert len(runs) == 1


def test_a_section_titled_with_a_framing_word_is_summarized_from_itself(fake_engine):
    # "summary" frames the question and also titles the section: the section is still the one named
    ans = api.ask("Can you summarize the executive summary?", None, fake_engine.settings, engine=fake_engine)
    assert not ans.refused and ans.citations
    assert all(c.section.endswith("Executive Summary") for c in ans.citations), [c.section for c in ans.citations]


def test_a_comparison_the_table_holds_no_column_for_is_answered_from_the_sentences(fake_engine):
    ans = api.ask("compare how the three programs link up with other govt entities", None, fake_engine.settings,
                  engine=fake_engine)
    assert not ans.refused and "Base Funding" not in ans.text, ans.text


def test_a_name_only_a_table_holds_gets_its_capitals_and_an_unasked_attribute_is_not_answered(fake_engine):
    q = fake_engine.parse("name the person who heads the national graphene innovation center")
    assert "the National Graphene Innovation Center" in q.text
    # the table row names the center but holds no head
    ans = api.ask(q.original, None, fake_engine.settings, engine=fake_engine)
    assert ans.refused, ans.text


def test_what_a_comparison_asks_about_finds_the_section_titled_by_it_in_meaning(real):
    # "how they are organized" shares no word with the section title "Structure": its meaning does
    ans = ask(real, "how do china's mics and manufacturing usa differ in how they are organized")
    assert not ans.refused and any(c.section.endswith("3.2.1. Structure") for c in ans.citations), \
        [c.section for c in ans.citations]


def test_a_word_the_documents_never_use_does_not_hide_the_section_titled_by_the_rest(real):
    # "pick" is in no title; "research focus" is the title of the section that answers
    ans = ask(real, "how does china pick the research focus for its MICs?")
    assert not ans.refused and "Research Focus" in ans.citations[0].section, \
        [c.section for c in ans.citations]


def test_the_reports_own_method_and_caveats_come_from_where_it_speaks_of_itself(real):
    # the introduction's "This report is based on ... two benchmarking trips", not the chapters on sources of
    # technology
    ans = ask(real, "what is the methodology of this study, and its limitations?")
    assert ans.answerer.startswith("synthesis") and "two benchmarking trips" in ans.text, ans.text
    assert "may not be common to all MICs" in ans.text, ans.text


@pytest.mark.parametrize("q", ["how does china choose which technologies get a MIC?",
                               "how are technologies picked for new centers?"])
def test_choosing_asks_for_the_section_on_selection(real, q):
    # "choose" / "picked" mean the report's "Selection" (SAME_MEANING): its section answers first
    ans = ask(real, q)
    assert not ans.refused and "Selection Criteria" in ans.citations[0].section, [c.section for c in ans.citations]


def test_linking_up_with_bodies_asks_for_the_section_on_linkage_with_entities(real):
    # "linked" is the base of the title's "Linkage", "bodies" means its "Entities"
    ans = ask(real, "in what way are the three programs linked with other government bodies?")
    assert not ans.refused and any("3.2.4. Linkage" in c.section for c in ans.citations[:2]), \
        [c.section for c in ans.citations]


def test_a_sentence_that_points_back_comes_with_the_sentence_it_points_to(real):
    # "This direction from the central government ..." is quoted after "... a single central government providing
    # common direction", which it points to; "quickly" is the report's "rapidly" (SAME_MEANING)
    ans = ask(real, "why did the MIC program progress so quickly?")
    assert "This direction from the central government" in ans.text, ans.text
    assert ans.text.index("single central government providing common direction") < \
        ans.text.index("This direction from the central government"), ans.text


def test_a_why_answer_brings_the_reasons_before_a_consequence(real):
    # "Hence, Wuhan is home to two MICs ..." states the result; the sentence before it gives the reasons
    ans = ask(real, "why does wuhan have two MICs")
    assert "largest cluster of optoelectronics" in ans.text, ans.text


def test_a_why_answer_brings_the_sentence_that_explains_a_chosen_one(real):
    ans = ask(real, "why does the US lag behind China in turning inventions into products")
    assert "inadequate development of manufacturing technology" in ans.text, ans.text


def test_a_name_set_aside_is_not_required_and_a_written_out_name_meets_its_initials(real):
    # "apart from the MICs" sets the MICs aside; "CRS" is the sentence's "Congressional Research Service"
    ans = ask(real, "apart from the MICs, which industrial policy tactics does China use according to the CRS?")
    assert not ans.refused and "forced joint ventures" in ans.text, ans.text




def test_dates_across_programs_are_the_year_column_of_the_table_that_holds_them(real):
    # "dates" asks the "Year Started" column and "across" only frames the comparison: the table's cells answer
    for q in ("compare the number of institutes and the start dates across the three programs",
              "compare the number of institutes and the start dates across the programs"):  # all rows, not "three"
        ans = ask(real, q)
        assert "Year Started: 1949" in ans.text and "# of Institutes: 76" in ans.text, (q, ans.text)
