"""The answering core: one typed Query, the router, synthesis, structured follow-ups, wordings.

Parser and router tests run on small inputs; answer tests on the report indexed with the fake
embedder (tables, follow-ups, wordings) or with the real MiniLM (open questions, where meaning matters).
"""

from __future__ import annotations

import re

import pytest

from rag import api
from rag.answer import Drafted
from rag.answerers.base import AnswerJob
from rag.citations import mark_table_cells
from rag.query import Lexicon, classify, parse_query
from rag.records import CANNOT_ANSWER, Chunk, Citation, Segment, Table, TableRow, Turn, render
from rag.route import Router, merge_parts

TEXTS = [
    "The Chinese MICs were initiated in 2015 in response to Manufacturing USA. China established the centers "
    "to reach world leadership. The China Development Bank pledged funds. Germany's Fraunhofer Institutes differ.",
    "In 2018 China set up six MICs; the MICs work with universities and the China Development Bank.",
]
ENGLISH = ["benchmarking", "report", "when", "were", "established", "how", "many", "the", "did", "pledge", "what",
           "staff", "summary", "centers", "initiated", "funds"]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(TEXTS, ENGLISH)


# ------------------------------------------------------------------ parsing


def test_wordings_parse_to_the_same_query(lexicon):
    base = parse_query("When were the MICs initiated?", lexicon).text
    for wording in ("when were the mics initiated", "Could you tell me when were the MICs initiated?",
                    "According to the report, when were the MICs initiated?",
                    "When were the MICs actually initiated?", "Hi! When were the MICs initiated? Thanks!",
                    "When were the MICs intiated?"):
        assert parse_query(wording, lexicon).text == base, wording


def test_typos_are_mended_only_to_the_reports_words(lexicon):
    q = parse_query("When were the MICs intiated?", lexicon)
    assert q.corrections == [("intiated", "initiated")]
    # English words the report does not use stay as typed, and so do their regular forms
    assert parse_query("What about staffing?", lexicon).corrections == []
    assert parse_query("Give me a summary", lexicon).corrections == []
    # a British spelling is not a typo
    assert parse_query("How are the centres organised?", lexicon).corrections == []


def test_names_get_the_reports_capitals(lexicon):
    assert "China Development Bank" in parse_query("what did the china development bank pledge", lexicon).text
    assert "MICs" in parse_query("how many mics were established in 2018", lexicon).text


@pytest.mark.parametrize("question,intent", [
    ("Why did China create manufacturing innovation centers?", "explain"),
    ("Why is it hard to tell how much the MICs have achieved?", "explain"),  # "why" wins over "how much"
    ("How are the MICs funded?", "explain"),
    ("How many MICs were established in 2018?", "lookup"),
    ("Compare the MICs with Fraunhofer.", "compare"),
    ("what do MICs and Manufacturing USA institutes have in common?", "compare"),
    ("Summarize section 4.2", "summary"),
    ("What does the report say about IP?", "summary"),
    ("In which areas, per the executive summary, are MICs moving forward?", "lookup"),
    ("What are the report's key findings, in a nutshell?", "whole_report"),
    ("What are the main challenges MICs face?", "list"),
    ("What challenges does China face in reaching its goals?", "list"),
    ("Which MICs are in Wuhan?", "lookup"),
    # the document's own view, or its story as a whole
    ("Does this doc expect China to win the race?", "whole_report"),
    ("what is the big picture here", "whole_report"),
    ("Give me the overall narrative.", "whole_report"),
    ("tell me what this document is about", "whole_report"),
    # a why after a clause asks for reasons too
    ("If the centers are open to all, why do some draw one bid?", "explain"),
    # what a named part of the report suggests or shows
    ("What does appendix C indicate about staffing?", "summary"),
    # a quantity asked first is a lookup, even with "versus" in it (the figures must be there)
    ("What share of the dam budget comes from the towns versus the state?", "lookup"),
    ("how much do the towns pay vs the state?", "lookup"),
    ("Compare the shares the towns and the state pay.", "compare"),
    # "what kind of" asks for one kind (a lookup); "what kinds of" asks for several
    ("What kind of boats does the river office license?", "lookup"),
    ("What kinds of boats does the river office license?", "list"),
    # a section named by its title, asked what it says
    ("What does the Staffing Rules section say?", "summary"),
    ("what's the section on river dams about", "summary"),
    ("what is in the boat building chapter", "summary"),
    ("In the staffing section, how many guards are there?", "lookup"),
    # the report's own method and caveats
    ("what are the main caveats of this NIST study", "whole_report"),
    ("How did the authors collect their data?", "whole_report"),
    # a "comparison table" is a name, not a comparison asked for
    ("Which year does the comparison table give for the budgets?", "lookup"),
])
def test_intent_comes_from_the_shape_of_the_question(question, intent):
    assert classify(question) == intent


def test_a_summary_of_one_section_of_the_report_is_not_of_the_whole(lexicon):
    assert parse_query("Summarize the report's section on staffing rules.", lexicon).intent == "summary"
    assert parse_query("Summarize the report.", lexicon).intent == "whole_report"


def test_a_compound_question_is_split_into_parts(lexicon):
    q = parse_query("How many MICs does China have, and when did they start?", lexicon)
    assert q.parts == ["How many MICs does China have?", "When did they start?"]
    assert parse_query("Where and when was it set up?", lexicon).parts == []  # a part needs its own words


def test_a_wish_about_the_answers_length_is_no_figure_to_find(lexicon):
    q = parse_query("give me a 3-4 sentence summary of the funding", lexicon)
    assert not any(ch.isdigit() for ch in q.text) and "summary of the funding" in q.text
    assert "two" not in parse_query("Explain IP management in two paragraphs", lexicon).text
    assert parse_query("briefly, how are MICs funded?", lexicon).text == "How are MICs funded?"
    assert parse_query("what does table 2 show, in short?", lexicon).text == "What does table 2 show?"
    assert "2019" in parse_query("how many centers opened in 2019?", lexicon).text


def test_a_phrasal_verb_written_as_one_word_is_read_as_two(lexicon):
    assert "set up in 2019" in parse_query("which centers were setup in 2019", lexicon).text
    assert "kick off" in parse_query("when was the kickoff", lexicon).text
    # a word the documents use stays whole
    assert "Without" in parse_query("Without funding, what happens?", lexicon).text


def test_an_acronym_glued_to_a_year_and_digit_ordinals_read_as_the_documents_write_them():
    lexicon = Lexicon(["The Made in China 2025 initiative began in 2015.",
                       "China announced a third investment phase. The 13th Five-Year Plan ran to 2020."], ENGLISH)
    assert "Made in China 2025" in parse_query("what did MIC2025 set out to do", lexicon).text
    assert "Made in China 2025" in parse_query("goals of the mic-2025 plan", lexicon).text
    assert "XYZ2025" in parse_query("what is XYZ2025", lexicon).text  # no such name: left as typed
    assert "third phase" in parse_query("size of the 3rd phase of the fund", lexicon).text
    assert "13th" in parse_query("what does the 13th Five-Year Plan say", lexicon).text  # the report's own digits


def test_a_hyphenated_compound_reads_as_the_documents_write_it():
    lexicon = Lexicon(["The Lightweight Materials Technology Institute opened. The Five-Year Plan ran."], ENGLISH)
    assert "lightweight materials" in parse_query("who runs the light-weight materials institute", lexicon).text
    assert "Five-Year Plan" in parse_query("what is the Five-Year Plan", lexicon).text  # written with the hyphen


def test_a_clipped_word_reads_as_the_documents_full_word():
    lexicon = Lexicon(["Biopharmaceuticals and semiconductors lead. The biopharmaceutical sector grew. Second, internal "
                       "and international work."], ["second", "lead", "work"])
    assert "biopharmaceutical" in parse_query("list the biopharma centers", lexicon).text
    assert "semiconductor" in parse_query("what about semicond output", lexicon).text  # not the typo "second"
    assert "interna " in parse_query("what about interna work", lexicon).text + " "  # two different words: left


def test_section_numbers_are_read(lexicon):
    assert parse_query("summarize section 4.2 please", lexicon).section_numbers == ["4.2"]
    # a whole-report cue about a named section asks for that section
    assert parse_query("the bottom line of section 4.2?", lexicon).intent == "summary"
    assert parse_query("what's the bottom line?", lexicon).intent == "whole_report"


# ------------------------------------------------------------------ routing


class _Fixed:
    def __init__(self, name: str, drafted: Drafted | None) -> None:
        self.name = name
        self.drafted = drafted
        self.calls = 0

    def answer(self, job: AnswerJob) -> Drafted | None:
        self.calls += 1
        return self.drafted


def _drafted(*pieces: Segment | str) -> Drafted:
    """An answer from its segments (a bare string: words no citation follows), citing each number once."""
    segs = [p if isinstance(p, Segment) else Segment(p) for p in pieces]
    cits = [Citation(i, f"c{i}", "Doc", "S", 1, f"q{i}") for i in sorted({s.n for s in segs if s.n is not None})]
    return Drafted(segs, render(segs), cits, False, [])


def _job(text: str, intent: str = "lookup") -> AnswerJob:
    q = parse_query(text)
    q.intent = intent  # type: ignore[assignment]
    return AnswerJob(q, [], None, None)


def test_router_tries_the_route_in_order_until_one_answers():
    declines = _Fixed("a", None)
    refuses = _Fixed("b", Drafted.refusal())
    answers = _Fixed("c", _drafted(Segment("Yes ", 1), "."))
    router = Router({"a": declines, "b": refuses, "c": answers}, {"lookup": ("a", "b", "c")})
    job = _job("x?")
    routed = router.run(job)
    assert routed.answerer == "c" and routed.drafted.text == "Yes [1]."
    assert job.tried == ["a", "b"] and declines.calls == refuses.calls == answers.calls == 1


def test_router_returns_the_last_refusal_when_nobody_answers():
    router = Router({"a": _Fixed("a", None), "b": _Fixed("b", Drafted.refusal())},
                    {"lookup": ("a", "b")})
    assert router.run(_job("x?")).drafted.refused


def test_a_question_about_a_name_no_document_mentions_is_refused_before_any_answerer():
    answers = _Fixed("c", _drafted(Segment("Yes ", 1), "."))
    job = _job("What about India's centers?")
    job.query.absent_names = ["India"]
    routed = Router({"c": answers}, {"lookup": ("c",)}).run(job)
    assert routed.drafted.refused and answers.calls == 0
    assert routed.drafted.text == "The report does not answer this question: it does not mention India."


def test_router_rejects_routes_to_unknown_answerers():
    with pytest.raises(ValueError, match="unknown answerers"):
        Router({"a": _Fixed("a", None)}, {"lookup": ("a", "missing")})


def test_merge_parts_renumbers_citations_and_says_a_sentence_once():
    a = _drafted(Segment("First ", 1), Segment(". Second ", 2), ".")
    b = _drafted(Segment("Third ", 1), ".")
    merged = merge_parts([a, b])
    assert merged.text == "First [1]. Second [2]. Third [3]."
    assert [c.n for c in merged.citations] == [1, 2, 3]
    again = merge_parts([_drafted(Segment("Same ", 1), "."), _drafted(Segment("Same ", 1), ".")])
    assert again.text == "Same [1]." and len(again.citations) == 1
    assert CANNOT_ANSWER not in merge_parts([a, Drafted.refusal()]).text


def test_merge_parts_renumbers_the_segments_markers_not_bracketed_words():
    """A part naming the report's own entry ("Reference [12]") keeps those words; only its marker moves."""
    a = _drafted(Segment("First ", 1), ".")
    b = _drafted(Segment("Reference [12]: Smith, 2020 ", 1))
    merged = merge_parts([a, b])
    assert merged.segments == [Segment("First ", 1), Segment(". Reference [12]: Smith, 2020 ", 2)]
    assert merged.text == "First [1]. Reference [12]: Smith, 2020 [2]"
    assert [(c.n, c.chunk_id) for c in merged.citations] == [(1, "c1"), (2, "c1")]
    assert [c.n for c in b.citations] == [1]  # the part's own answer is left as it was
    # a part that says what an earlier part said, cited under another number, is said once
    c = _drafted(Segment("Other ", 1), Segment(". First ", 2), ".")
    d = _drafted(Segment("First ", 3), ".")
    assert merge_parts([c, d]).segments == c.segments


def test_mark_table_cells_reads_the_words_of_the_segment_before_each_marker():
    row_text = {1: {"City": "Hefei", "Year": "2018"}, 2: {"City": "Bengbu", "Year": "2019"}}
    rows = [TableRow("A.1", i, dict(v), dict(v), 0, 1) for i, v in row_text.items()]
    table = Table("A.1", "d", "Table A.1", ["City", "Year"], rows, ("A",), None, 0, 1)

    def chunk(cid: str, kind: str, row: int | None = None) -> Chunk:
        return Chunk(cid, "d", "Doc", None, ("A",), None, 0, 1, kind, cid, cid, "A.1" if row else None, row)

    chunks = {c.id: c for c in (chunk("ref", "reference"), chunk("r1", "table_row", 1), chunk("r2", "table_row", 2))}
    cits = [Citation(1, "ref", "Doc", "A", None, "q"), Citation(2, "r1", "Doc", "A", None, "q"),
            Citation(3, "r2", "Doc", "A", None, "q")]
    # the words "Reference [3]" are not citation 3's marker: Bengbu is stated before citation 3 itself
    segments = [Segment("Reference [3]: a survey ", 1), Segment(". Hefei ", 2), Segment(" and Bengbu ", 3),
                Segment(".")]
    mark_table_cells(segments, "Which MICs opened in 2019?", cits, chunks, {"d:A.1": table})
    assert [c.cells for c in cits] == [[], ["City"], ["City", "Year"]]


# ------------------------------------------------------------------ answers (fake embedder)


def ask(engine, q, history=None, **kw):
    return api.ask(q, history, engine.settings, engine=engine, **kw)


@pytest.mark.parametrize("order", ["city first", "year first"])
def test_follow_ups_resolve_in_either_order(fake_engine, order):
    qs = ["Which city is the National Graphene Innovation Center in?", "When was it established?"]
    if order == "year first":
        qs = ["When was the National Graphene Innovation Center established?", "Which city is it in?"]
    first = ask(fake_engine, qs[0])
    assert first.entities == ["National Graphene Innovation Center"]
    second = ask(fake_engine, qs[1], [Turn("user", qs[0]), Turn("assistant", first.text, first.entities)])
    assert "National Graphene Innovation Center" in second.standalone_question
    assert not second.refused
    assert ("2022" if order == "city first" else "Ningbo") in second.text


def test_the_second_one_is_the_second_thing_the_answer_listed(fake_engine):
    first = ask(fake_engine, "Which MICs are in Shanghai?")
    assert len(first.entities) == 3
    second = ask(fake_engine, "When was the second one set up?",
                 [Turn("user", "Which MICs are in Shanghai?"), Turn("assistant", first.text, first.entities)])
    assert first.entities[1] in second.standalone_question


def test_lower_case_and_casual_wordings_get_the_same_answer(fake_engine):
    base = ask(fake_engine, "How many MICs were established in 2018?")
    for wording in ("how many mics were established in 2018", "How many MICs were officially established in 2018?",
                    "Please tell me: how many MICs were established in 2018?"):
        assert ask(fake_engine, wording).text == base.text, wording


def test_a_table_answer_reads_as_a_sentence(fake_engine):
    text = ask(fake_engine, "How many MICs were established in 2018?").text
    assert text.startswith("6 of the 33 Manufacturing Innovation Centers in Table A.1 have Year 2018: ")
    assert "{ROW" not in text and "entries in A.1." not in text


def test_many_rows_cite_the_table_once_and_name_the_rows(fake_engine):
    ans = ask(fake_engine, "List every MIC founded from 2022 onwards.")
    assert ans.text.startswith("10 of the 33") and ans.text.endswith("[1].")
    assert len(ans.citations) == 1 and fake_engine.index.chunk_by_id[ans.citations[0].chunk_id].kind == "table"
    assert "National Graphene Innovation Center" in ans.text
    few = ask(fake_engine, "How many MICs were established in 2018?")
    assert len(few.citations) == 6  # a few rows: each row cited


def test_answers_quote_clean_text_without_markup_escapes(fake_engine):
    ans = ask(fake_engine, "What was the 2023 annual program budget of Manufacturing USA?")
    assert "\\$" not in ans.text and "$540" in ans.text
    for c in ans.citations:
        assert "\\$" not in c.quote and "^{" not in c.quote


# ------------------------------------------------------------------ open questions (real MiniLM)


@pytest.fixture(scope="module")
def real(real_index):
    return api.get_engine(real_index)


COMPOUND_EXAMPLE = "How many innovation centers has China set up, and when did they start?"
SIDEBAR = {
    # question -> (answerer, every pattern the answer must hold)
    COMPOUND_EXAMPLE: (None, [r"\b33\b", r"\b(2015|2016)\b"]),
    "How are China's manufacturing innovation centers funded?": ("synthesis", [r"fund|financ"]),
    "Which industry sectors do the MICs focus on?": ("table", [r"New energy vehicles", r"Advanced materials"]),
    "How does China's program compare with Manufacturing USA and the Fraunhofer Institutes?":
        ("compare", [r"Manufacturing USA", r"Fraunhofer", r"\b33\b"]),
    "What role does the central government play in China's innovation centers?": ("synthesis", [r"central government"]),
}


@pytest.mark.parametrize("question", list(SIDEBAR))
def test_every_sidebar_example_gets_a_good_answer(real, question):
    from ui.app import EXAMPLES

    assert set(EXAMPLES) == set(SIDEBAR), "keep this test's expectations in step with the sidebar"
    answerer, patterns = SIDEBAR[question]
    ans = api.ask(question, None, real.settings, engine=real)  # the app's default k
    assert not ans.refused, question
    if answerer:
        assert ans.answerer == answerer, (question, ans.answerer)
    for pat in patterns:
        assert re.search(pat, ans.text), (question, pat, ans.text[:300])
    assert len(ans.citations) >= (1 if ans.answerer == "table" else 2), question  # a long table list cites the table once
    assert len(ans.text) <= 1500, question


def test_why_is_answered_with_reasons_from_the_report(real):
    ans = api.ask("Why did China create manufacturing innovation centers?", None, real.settings, engine=real, k=10)
    assert ans.intent == "explain" and ans.answerer == "synthesis"
    assert "in response to the U.S. Manufacturing USA program" in ans.text
    assert 2 <= len(ans.citations) <= 8
    assert not re.search(r"Year Started", ans.text)  # a table cell never answers a why


def test_whole_report_questions_are_answered_from_the_summaries(real):
    for q in ("Summarize the report's main findings.", "What are the report's key findings, in a nutshell?"):
        ans = api.ask(q, None, real.settings, engine=real, k=10)
        assert not ans.refused and ans.intent == "whole_report", q
        assert len(ans.citations) >= 2


def test_the_whole_report_with_no_narrower_topic_starts_from_the_abstract(real):
    # the authors' own summary of the whole leads; a question with a topic of its own is answered on that topic
    for q in ("give me the big picture of this NIST report", "what's china's manufacturing story, in a nutshell?"):
        ans = api.ask(q, None, real.settings, engine=real, k=10)
        assert ans.citations[0].section == "Abstract" and "At least 33 MICs" in ans.text, (q, ans.text[:200])
    ans = api.ask("what sources does the report rely on?", None, real.settings, engine=real, k=10)
    assert ans.citations[0].section != "Abstract", ans.text[:200]


def test_a_synthesis_never_ends_on_a_lead_in(real):
    for q in ("What are the main tasks of the MICs?", "what do MICs and Manufacturing USA institutes have in common?",
              "Summarize section 3.2.1"):
        ans = api.ask(q, None, real.settings, engine=real, k=10)
        last = re.sub(r"\s*\[\d+\]\s*$", "", ans.text.strip())
        assert not last.endswith(":"), (q, ans.text[-200:])


def test_a_nearby_statistic_about_something_else_is_not_an_answer(real):
    ans = api.ask("How many patents have the MICs filed?", None, real.settings, engine=real, k=10)
    assert ans.refused and ans.text == CANNOT_ANSWER


def test_a_refusal_for_absent_names_stays_short():
    answers = _Fixed("c", _drafted(Segment("Yes ", 1), "."))
    job = _job("What about these?")
    job.query.absent_names = ["Xq " * 100, "B", "C", "D"]
    text = Router({"c": answers}, {"lookup": ("c",)}).run(job).drafted.text
    assert len(text) < 200 and "D" not in text.split(": it does not mention ")[1], text


def test_a_demonym_is_met_by_its_country(real):
    from rag.text import demonyms_of

    assert demonyms_of({"germany", "china", "u.s"}) == {"german", "chines", "american"}
    # the report's IP section says "China's MICs", not "Chinese": the question is still answered from it
    ans = api.ask("give an overview of IP ownership in chinese and german institutes", None, real.settings,
                  engine=real, k=10)
    assert not ans.refused and "IP" in ans.text, ans.text[:200]


def test_a_summary_lets_in_weaker_different_sentences_than_an_answer_does():
    import numpy as np

    from rag.answerers.synthesis import SynthesisAnswerer
    from rag.settings import AnswerSettings

    class _U:
        def __init__(self, text: str) -> None:
            self.text = text

    s = AnswerSettings()
    syn = SynthesisAnswerer(None, answer_settings=s)  # type: ignore[arg-type]
    vecs = np.eye(4, dtype=np.float32)
    scored = [(rel, _U(f"sentence {n}"), vecs[n], set()) for n, rel in enumerate((1.0, 0.9, 0.65, 0.62))]
    assert len(syn._mmr(scored, 6)) == 2  # an answer stops where sentences get much weaker than the best
    assert len(syn._mmr(scored, 6, keep_share=s.synth_summary_keep_share)) == 4


def test_an_explanation_reads_from_the_section_that_holds_most_of_it():
    from rag.answerers.synthesis import SynthesisAnswerer
    from rag.settings import AnswerSettings

    class _C:
        def __init__(self, path: str) -> None:
            self.section_path = [path]

    class _U:
        def __init__(self, path: str) -> None:
            self.chunk = _C(path)

    syn = SynthesisAnswerer(None, answer_settings=AnswerSettings())  # type: ignore[arg-type]
    # one strong sentence elsewhere against a section with two strong ones: the section leads
    scored = [(0.95, _U("B"), None, set()), (0.9, _U("A"), None, set()), (0.85, _U("A"), None, set()),
              (0.3, _U("B"), None, set())]
    out = syn._with_home_bonus(scored)
    assert out[0][1].chunk.section_path == ["A"] and out[0][0] > 0.95


def test_a_comparison_of_ways_gets_the_room_of_an_explanation_and_one_of_figures_stays_short(lexicon):
    from rag.answerers.synthesis import SynthesisAnswerer
    from rag.settings import AnswerSettings

    s = AnswerSettings()
    syn = SynthesisAnswerer(None, answer_settings=s)  # type: ignore[arg-type]

    def limit(q: str) -> int:
        return syn._limit(AnswerJob(parse_query(q, lexicon), [], None, None))

    assert limit("How do Manufacturing USA and Fraunhofer differ in IP ownership?") == s.synth_max_chars
    assert limit("compare Germany's and the US's manufacturing share of their GDP") == s.synth_compare_max_chars


def test_a_later_part_that_names_nothing_asks_about_the_first_parts_subject(real):
    ans = api.ask("how many MICs had china set up by early 2025, and what was the goal?", None, real.settings,
                  engine=real, k=10)
    assert "33" in ans.text and "40" in ans.text, ans.text[:400]


def test_a_date_question_leads_with_its_dated_answer_and_shows_no_undated_runner_up(real):
    ans = api.ask("When did China kick off its manufacturing innovation center program?", None, real.settings,
                  engine=real, k=10)
    assert "initiated in 2015" in ans.text.split("[1]")[0], ans.text[:300]
    assert "This review discusses" not in ans.text


def test_a_passive_with_its_agent_says_who_does_it(real):
    from rag.answer import GroundedAnswerer

    ans = api.ask("who decides the topics of china's innovation centers?", None, real.settings, engine=real, k=10)
    assert not ans.refused and "Ministry of Industry and Information Technology" in ans.text, ans.text[:200]
    # "chooses" is met by the report's "select" (SAME_MEANING): the verb asked is said in other words
    assert not api.ask("who chooses the topics of china's innovation centers?", None, real.settings, engine=real,
                       k=10).refused
    # the passive must be about what is asked: the agent of another passive does not chair anything
    assert not GroundedAnswerer._passive_on("The Board members are appointed by the Senate.", {"chair"})


def test_a_word_the_report_never_uses_is_met_by_its_words_of_like_meaning(real):
    # the report writes "car manufacturers"; "automakers" is a word it never uses
    ans = api.ask("how many automakers call hefei home?", None, real.settings, engine=real, k=10)
    assert not ans.refused and "six car manufacturers" in ans.text, ans.text[:300]
    assert real.answerer.neighbours.of("automak")


def test_a_shortened_year_range_and_america_read_as_the_report_writes_them(lexicon):
    q = parse_query("what did america spend over 2016-20?", lexicon)
    assert "the United States" in q.text and "2016-2020" in q.text
    assert "Latin America" in parse_query("Is Latin America covered?", lexicon).text


def test_table_questions_in_a_readers_words(real):
    def ask_real(q):
        return api.ask(q, None, real.settings, engine=real, k=10)

    # "Chinese centers" are the centers of the table under "China's ..."; "going by the table" frames the question
    ans = ask_real("how many chinese centres were founded in 2021, going by the appendix table?")
    assert ans.answerer == "table" and ans.text.startswith("6 of the 33"), ans.text[:200]
    # a row named in another form of its words ("agricultural machinery" for "Agriculture Machine")
    assert "Luoyang" in ask_real("Where is the agricultural machinery innovation center?").text
    # a "when" clause before the question asks no year
    assert "19.6" in ask_real("When indexed to the US, what does Germany's program invest per unit of "
                              "manufacturing GDP?").text
    # "it" in a later part is the row the first part found
    ans = ask_real("which city hosts china's graphene centre, and what year was it set up?")
    assert "Ningbo" in ans.text and "2022" in ans.text, ans.text[:300]


def test_a_short_unknown_word_gets_no_neighbours(real):
    # "sep" is no word a sentence model reads on its own (its nearest report word is "separate")
    real.answerer._weights("How much was lent in jan-sep 2023 to industrial firms?")
    assert "sep" not in real.answerer.neighbours.cache and "jan" not in real.answerer.neighbours.cache
    ans = api.ask("How much net lending went to industrial firms in jan-sep 2023?", None, real.settings, engine=real,
                  k=10)
    assert "680 billion" in ans.text, ans.text[:300]


def test_a_nonprofit_is_the_reports_not_for_profit():
    lexicon = Lexicon(["Each institute is run as a not-for-profit entity. The labs are for-profit."], ENGLISH)
    assert "not-for-profit" in parse_query("are the labs nonprofits?", lexicon).text


def test_a_period_after_the_publication_is_declined_with_the_reason(real):
    lexicon = Lexicon(["The plan ran to 2025."], ENGLISH)
    lexicon.published = (2025, 5)
    assert lexicon.after_publication("what changed in late 2025?") == "late 2025"
    assert lexicon.after_publication("Which centers opened in December 2025?") == "December 2025"
    assert lexicon.after_publication("how many centers by 2025?") is None  # a target, not an event after
    assert lexicon.after_publication("what happened in March 2025?") is None
    ans = api.ask("which innovation centers did china open in the second half of 2025?", None, real.settings,
                  engine=real, k=10)
    assert ans.refused and "written before the second half of 2025" in ans.text, ans.text
    assert not api.ask("How many MICs did China aim to have by 2025?", None, real.settings, engine=real,
                       k=10).refused


def test_a_country_in_lower_case_is_a_name(lexicon):
    # a name the grounding checks then require in the answering sentence, however rarely the report writes it
    assert "Japan" in parse_query("what share of output goes to japan?", lexicon).text


def test_a_passage_close_in_meaning_answers_a_question_in_other_words(real):
    # few of the question's words are the report's ("jump", "sector group"), but the passage says it
    ans = api.ask("which group of sectors saw the biggest jump in china's 2024 manufacturing investment?", None,
                  real.settings, engine=real, k=10)
    assert not ans.refused and "34.9" in ans.text, ans.text[:300]


def test_words_a_reader_uses_for_the_reports_bids_and_firsts(real):
    def ask_real(q):
        return api.ask(q, None, real.settings, engine=real, k=10)

    ans = ask_real("how many bids did the national robot innovation center receive?")
    assert "three proposals" in ans.text, ans.text[:300]
    ans = ask_real("In what year was the earliest chinese MIC set up?")
    assert "2016" in ans.text.split("[1]")[0], ans.text[:300]


def test_terse_and_paraphrased_lookups(real):
    def ask_real(q):
        return api.ask(q, None, real.settings, engine=real, k=10)

    # "<things> count <place>" counts the things
    assert ask_real("center count shanghai?").text.startswith("3 of the 33")
    # "decides" is the report's "determined by"
    assert "Ministry of Industry and Information Technology" in ask_real(
        "who decides what topics china's centers work on?").text.split("[1]")[0]
    # a sentence close in meaning answers rather than a table's count of rows by sector
    ans = ask_real("in 2024, what sector got the biggest jump in china's manufacturing investment?")
    assert "34.9" in ans.text and ans.answerer == "fact", ans.text[:300]


def test_who_wrote_the_piece_a_sentence_cites_is_answered_with_its_reference(real):
    ans = api.ask("who authored the NYT piece cited about china shifting from real estate to manufacturing?",
                  None, real.settings, engine=real, k=10)
    assert "Bradsher" in ans.text, ans.text[:300]
