"""The Streamlit app, driven in-process with streamlit.testing.v1.AppTest.

rag.api is replaced by fakes returning real records (Answer, Citation, ScoredChunk, a small
fake Index), so these tests check the app's behaviour, not retrieval quality.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from rag import api
from rag.errors import BackendError, IndexMissing, MicqaError
from rag.export import conversation_to_markdown
from rag.records import (
    CANNOT_ANSWER,
    Answer,
    Chunk,
    Citation,
    ReportReference,
    ScoredChunk,
    Section,
    Segment,
    Table,
    TableRow,
    Turn,
    render,
)
from ui.components import answer_parts
from ui.conversations import DB_NAME

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
DOC_TITLE = "China's Manufacturing Innovation Centers"
DOC_TEXT = (
    "3.2.3. Financing\n"
    "The MICs are funded by central, provincial and local governments. Banks <b>also</b> lend.\n"
    "Appendix A\nA.1. Table of Manufacturing Innovation Centers\n"
)
QUOTE = "funded by central, provincial and local governments"
REF20 = ReportReference(
    number=20,
    text="Smith J (2020) Made in China 2025 explained. https://example.org/mic2025",
    authors="Smith J",
    year="2020",
    title="Made in China 2025 explained",
    url="https://example.org/mic2025",
    start=0,
    end=10,
)


def _chunk(cid: str, text: str, page: int = 12) -> Chunk:
    start = DOC_TEXT.find(text)
    return Chunk(
        id=cid,
        doc_id="nist-ams-600-17",
        doc_title=DOC_TITLE,
        section_number="3.2.3",
        section_path=("3. China's MICs", "3.2. Program", "3.2.3. Financing"),
        page=page,
        start=max(start, 0),
        end=max(start, 0) + len(text),
        kind="prose",
        text=text,
        embed_text=text,
    )


CHUNK = _chunk("c-funding", "The MICs are funded by central, provincial and local governments. Banks <b>also</b> lend.")
OTHER = _chunk("c-other", "Appendix A\nA.1. Table of Manufacturing Innovation Centers", page=23)
SECTION = Section(
    doc_id="nist-ams-600-17",
    number="3.2.3",
    title="3.2.3. Financing",
    path=CHUNK.section_path,
    level=3,
    page=12,
    start=0,
    end=DOC_TEXT.find("Appendix A"),
)


def _mic_table() -> Table:
    cols = ["No.", "Manufacturing Innovation Center", "Year", "Province", "City", "Principal Industry Sector"]
    data = [
        (1, "National Power Battery MIC", 2016, "Beijing", "Beijing", "New energy vehicles"),
        (2, "National Institute of Additive Manufacturing", 2016, "Shaanxi", "Xi'an", "Advanced materials"),
        (6, "National Robot Innovation Center", 2018, "Liaoning, Heilongjiang", "Shenyang, Harbin", "Robotics"),
        (26, "National Graphene Innovation Center", 2022, "Zhejiang", "Ningbo", "Advanced materials"),
    ]
    rows = [
        TableRow("A.1", i, dict(zip(cols, d, strict=True)), {c: str(v) for c, v in zip(cols, d, strict=True)}, 0, 1)
        for i, d in enumerate(data, start=1)
    ]
    return Table("A.1", "nist-ams-600-17", "Table of MICs", cols, rows, ("Appendix A",), 23, 0, 1)


def _programs_table() -> Table:
    cols = ["Country", "Program", "Est. Total 2023 Annual Program Budget** (USD millions)"]
    data = [
        ("USA", "Manufacturing USA", 540.0, "$540"),
        ("China", "MICs", None, "Unknown"),
        ("Germany", "Fraunhofer", 3225.0, "$3,225"),
    ]
    rows = [
        TableRow(
            "table-2", i, dict(zip(cols, d[:3], strict=True)), dict(zip(cols, (d[0], d[1], d[3]), strict=True)), 0, 1
        )
        for i, d in enumerate(data, start=1)
    ]
    return Table("table-2", "nist-ams-600-17", "Table 2: Programs", cols, rows, ("2. Background",), 13, 0, 1)


class FakeIndex:
    """The attributes docs/CONTRACT.md lists for rag.store.Index."""

    def __init__(self) -> None:
        self.manifest = None
        self.documents: list[Any] = []
        self.doc_texts = {"nist-ams-600-17": DOC_TEXT}
        self.chunks = [CHUNK, OTHER]
        self.chunk_by_id = {c.id: c for c in self.chunks}
        self.sections = [SECTION]
        self.tables = {"A.1": _mic_table(), "table-2": _programs_table()}
        self.references = {("nist-ams-600-17", 20): REF20}  # keyed by (document, number)
        self.acronyms: list[Any] = []

    def section_text(self, section: Section) -> str:
        return self.doc_texts[section.doc_id][section.start : section.end]

    def find_section(self, number: str) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)


class FakeEngine:
    def __init__(self) -> None:
        self.index = FakeIndex()
        self.retriever = None


def _answer(question: str, *, refused: bool = False) -> Answer:
    if refused:
        return Answer(
            question=question,
            standalone_question=question,
            text=CANNOT_ANSWER,
            raw_text=CANNOT_ANSWER,
            citations=[],
            contexts=[],
            refused=True,
            backend="embedded",
            latency_ms=5.0,
            related=[ScoredChunk(OTHER, 0.2)],
            segments=[Segment(CANNOT_ANSWER)],
        )
    citation = Citation(
        n=1,
        chunk_id=CHUNK.id,
        doc=DOC_TITLE,
        section=CHUNK.section,
        page=12,
        quote=QUOTE,
        references=[REF20],
    )
    segments = [Segment(f"The MICs are {QUOTE} ", 1), Segment(".")]
    text = render(segments)
    return Answer(
        question=question,
        standalone_question=question,
        text=text,
        raw_text=text,
        citations=[citation],
        contexts=[ScoredChunk(CHUNK, 0.9), ScoredChunk(OTHER, 0.1)],
        refused=False,
        backend="embedded",
        latency_ms=12.0,
        segments=segments,
    )


class FakeApi:
    """Records calls; refuses on 'weather', fails on 'explode'."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.engine = FakeEngine()
        self.answers: dict[str, Answer] = {}  # a question's own answer, when a test gives one

    def ask(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        settings: Any = None,
        *,
        k: int | None = None,
        backend: str | None = None,
        filters: Any = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        self.calls.append({"question": question, "history": list(history or []), "k": k, "backend": backend})
        if "explode" in question:
            raise BackendError("The language model did not answer in time; try again or use the embedded backend.")
        answer = self.answers.get(question) or _answer(question, refused="weather" in question)
        if on_token:
            for word in answer.text.split(" "):
                on_token(word + " ")
        return answer

    def lookup(self, ref: str, settings: Any = None) -> api.LookupResult:
        if ref == "3.2.3":
            return api.LookupResult(ref=ref, kind="section", title=SECTION.title, text=DOC_TEXT[: SECTION.end])
        if ref == "[20]":
            return api.LookupResult(
                ref=ref, kind="reference", title="[20] " + REF20.title, text=REF20.text, reference=REF20
            )
        raise MicqaError(f"No chunk, section, table row or reference matches {ref!r}.")

    def get_engine(self, settings: Any = None) -> FakeEngine:
        return self.engine


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApi:
    fake = FakeApi()
    # Each test gets its own data dir, so the app's cached engine is keyed apart too.
    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(api, "ask", fake.ask)
    monkeypatch.setattr(api, "lookup", fake.lookup)
    monkeypatch.setattr(api, "get_engine", fake.get_engine, raising=False)
    return fake


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="chat-input").set_value(question).run()
    assert not at.exception, at.exception
    return at


def _plain(value: str) -> str:
    """Undo the app's Markdown escaping (every error and passage is escaped before display)."""
    return re.sub(r"\\(.)", r"\1", value)


def _all_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _marked(at: AppTest) -> list[dict[str, Any]]:
    """The parts given to the marked-text component (answers and passages): text, highlights, markers."""
    out: list[dict[str, Any]] = []
    for el in at.get("bidi_component"):
        out += json.loads(el.proto.json)["parts"]
    return out


def _marked_text(at: AppTest) -> str:
    return "".join(p["text"] for p in _marked(at))


def test_ask_shows_answer_and_citation_chips(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    assert fake.calls[0]["question"] == "How are MICs funded?"
    assert fake.calls[0]["backend"] in (None, "default")  # the embedded answerer
    assert fake.calls[0]["k"] == at.slider(key="k").value
    md = _all_markdown(at)
    assert "How are MICs funded" in md  # the question is echoed
    assert "funded by central" in _marked_text(at)  # the answer text
    cite = [p for p in _marked(at) if p["kind"] == "cite"]
    assert [p["n"] for p in cite] == [1] and QUOTE in cite[0]["tip"]  # the inline marker shows the quote on hover
    assert "p. 12" in cite[0]["where"]
    assert [b.label for b in at.button if b.key and b.key.startswith("chip-")] == ["[1] · p. 12"]
    turns = at.session_state["turns"]
    assert len(turns) == 1 and turns[0]["status"] == "done"


def _naming_answer(question: str) -> Answer:
    """An answer whose words name the report's "[7]" and whose one citation is also numbered 7."""
    segments = [Segment("Reference [7] of the report says ", 7), Segment(" it, as [3] does", 3), Segment(".")]
    cits = [Citation(n=n, chunk_id=CHUNK.id, doc=DOC_TITLE, section=CHUNK.section, page=12, quote=QUOTE)
            for n in (7, 3)]
    return Answer(question=question, standalone_question=question, text=render(segments), raw_text="",
                  citations=cits, contexts=[ScoredChunk(CHUNK, 0.9)], refused=False, backend="default",
                  latency_ms=1.0, segments=segments)


def test_answer_parts_come_from_the_segments_not_the_text() -> None:
    answer = _naming_answer("q")
    parts = answer_parts(answer.segments, answer.citations, lambda c: c.section)
    assert [(p["kind"], p["text"]) for p in parts] == [
        ("text", "Reference [7] of the report says "), ("cite", "[7]"), ("text", " it, as [3] does"), ("cite", "[3]"),
        ("text", "."),
    ]
    assert "".join(p["text"] for p in parts) == answer.text
    # a number no citation has is drawn as words, not as a button that opens nothing
    assert answer_parts([Segment("x ", 5)], answer.citations, str) == [{"kind": "text", "text": "x [5]"}]


def test_a_bracketed_number_in_the_words_is_not_a_marker(fake: FakeApi) -> None:
    fake.answers["Which reference?"] = _naming_answer("Which reference?")
    at = _ask(_app(), "Which reference?")
    cite = [p for p in _marked(at) if p["kind"] == "cite"]
    assert [p["n"] for p in cite] == [7, 3]
    assert "Reference [7] of the report says " in [p["text"] for p in _marked(at) if p["kind"] == "text"]


def test_an_answer_without_segments_shows_its_words_and_no_guessed_markers(fake: FakeApi) -> None:
    bare = _answer("Bare?")
    bare.segments = []
    fake.answers["Bare?"] = bare
    at = _ask(_app(), "Bare?")
    assert [p for p in _marked(at) if p["kind"] == "cite"] == [] and _marked_text(at) == bare.text


def test_clicking_chip_shows_highlighted_passage(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    at.button(key="chip-0-0").click().run()
    assert not at.exception
    assert at.session_state["selected"] == (0, 1)
    md = _all_markdown(at)
    assert "**Source \\[1\\]**" in md and "3\\.2\\.3\\. Financing" in md and "p. 12" in md
    # The quote is highlighted, the rest of the passage is plain text (never markup).
    parts = [p for p in _marked(at) if p["kind"] in ("hl", "text")]
    assert {"kind": "hl", "text": QUOTE} in parts
    assert any("Banks <b>also</b> lend." in p["text"] and p["kind"] == "text" for p in parts)
    assert "<b>" not in md
    assert "Made in China 2025 explained" in md and "Smith J" in md and "2020" in md
    assert any(e.label.startswith("Open in report") and "p. 12" in e.label for e in at.expander)


def test_follow_up_gets_history(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    _ask(at, "And who lends?")
    history = fake.calls[1]["history"]
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].content == "How are MICs funded?"
    assert len(at.session_state["turns"]) == 2


def test_follow_up_history_carries_what_the_answer_was_about(fake: FakeApi) -> None:
    first = _answer("Which MICs are in Wuhan?")
    first.entities = ["National Digital Design Center", "National Optoelectronics Center"]
    fake.answers["Which MICs are in Wuhan?"] = first
    at = _ask(_app(), "Which MICs are in Wuhan?")
    _ask(at, "When was the second one set up?")
    assert fake.calls[1]["history"][1].entities == first.entities


def test_refused_answer_shows_related_passages(fake: FakeApi) -> None:
    at = _ask(_app(), "What is the weather in Wuxi?")
    assert any("Not in the report" in i.value for i in at.info)
    related = [e for e in at.expander if "p. 23" in e.label]
    assert len(related) == 1 and "Table of Manufacturing" in related[0].markdown[0].value
    assert not [b for b in at.button if b.key and b.key.startswith("chip-")]


def test_backend_error_keeps_chat_usable(fake: FakeApi) -> None:
    at = _ask(_app(), "Please explode")
    assert [_plain(e.value) for e in at.error] == [
        "The language model did not answer in time; try again or use the embedded backend."
    ]
    turns = at.session_state["turns"]
    assert len(turns) == 1 and turns[0]["status"] == "error"
    _ask(at, "How are MICs funded?")
    turns = at.session_state["turns"]
    assert [t["status"] for t in turns] == ["error", "done"]  # nothing lost, nothing duplicated
    # Retrying the failed turn re-asks it in place.
    assert at.button(key="retry-0")


def test_two_sessions_do_not_share_history(fake: FakeApi) -> None:
    first, second = _app(), _app()
    _ask(first, "How are MICs funded?")
    second.run()
    assert len(first.session_state["turns"]) == 1
    assert second.session_state["turns"] == []
    assert "funded by central" not in _all_markdown(second)


def test_example_question_is_asked(fake: FakeApi) -> None:
    at = _app()
    at.button(key="example-0").click().run()
    assert not at.exception
    assert len(fake.calls) == 1
    assert at.session_state["turns"][0]["status"] == "done"


def test_lookup_section_reference_and_bad_ref(fake: FakeApi) -> None:
    at = _app()
    at.sidebar.radio(key="page").set_value("Look up a citation").run()
    at.text_input(key="lookup-ref").input("3.2.3")
    at.button[[b.label for b in at.button].index("Look up")].click().run()
    assert not at.exception
    assert "3\\.2\\.3\\. Financing" in [s.value for s in at.subheader]
    at.text_input(key="lookup-ref").input("[20]")
    at.button[[b.label for b in at.button].index("Look up")].click().run()
    assert any("example\\.org" in c.value for c in at.caption)
    at.text_input(key="lookup-ref").input("nope")
    at.button[[b.label for b in at.button].index("Look up")].click().run()
    assert [_plain(e.value) for e in at.error] == ["No chunk, section, table row or reference matches 'nope'."]


def test_export_matches_conversation(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    # Capture what the download button actually serves (AppTest keeps it in a media store).
    served: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self: MemoryMediaFileStorage, path_or_data: Any, mimetype: str, kind: Any, filename: Any = None) -> str:
        if mimetype == "text/markdown":
            served.append(path_or_data if isinstance(path_or_data, bytes) else str(path_or_data).encode())
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    at = _ask(_app(), "How are MICs funded?")
    _ask(at, "What is the weather in Wuxi?")
    download = at.get("download_button")
    assert download and not download[0].proto.disabled
    md = served[-1].decode()  # the latest run already includes the question just asked
    turns = at.session_state["turns"]
    assert (
        md.split("Exported")[1].split("\n", 1)[1]
        == conversation_to_markdown([(t["question"], t["answer"]) for t in turns])
        .split("Exported")[1]
        .split("\n", 1)[1]
    )
    assert "## Q1. How are MICs funded?" in md and "## Q2. What is the weather in Wuxi?" in md
    assert QUOTE in md and "page 12" in md and "https://example.org/mic2025" in md
    assert "Not in the report" in md


def test_new_conversation_clears_the_chat(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    at.button(key="new-conversation").click().run()
    assert at.session_state["turns"] == []
    assert at.session_state["conversation"] is None


def test_report_browser_renders(fake: FakeApi) -> None:
    at = _app()
    at.sidebar.radio(key="page").set_value("Report browser").run()
    assert not at.exception, at.exception
    assert any("Financing" in e.label for e in at.expander)
    assert at.multiselect(key="mic-year").options == ["2016", "2018", "2022"]
    at.multiselect(key="mic-province").set_value(["Heilongjiang"]).run()
    assert not at.exception, at.exception
    assert any("1 of 4 centres" in c.value for c in at.caption)
    assert any("Budget unknown" in c.value and "China" in c.value for c in at.caption)


def test_missing_index_explains_what_to_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "empty"))

    def missing(settings: Any = None) -> Any:
        raise IndexMissing("No index found; run `micqa ingest` to build it.")

    monkeypatch.setattr(api, "get_engine", missing, raising=False)
    at = _app()
    assert [_plain(e.value) for e in at.error] == ["No index found; run `micqa ingest` to build it."]
    assert at.button(key="build-index")
    assert any("micqa ingest" in m.value for m in at.markdown)


def test_evaluation_page_without_report(fake: FakeApi) -> None:
    at = _app()
    at.sidebar.radio(key="page").set_value("Evaluation").run()
    assert not at.exception, at.exception
    assert at.button(key="rerun-eval")


def test_evaluation_page_leads_with_the_plain_summary_and_folds_the_details(
    fake: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report the user's own rerun wrote (newest in the data folder) is shown: summary first, details folded."""
    import os

    from evals.report import render_markdown

    result = {"n": 3, "answer_accuracy": 0.5, "by_kind": {}, "failures": [
        {"id": "f-1", "kind": "fact", "question": "q?", "expected": "a", "answer": "b", "refused": False,
         "reason": "missing key facts: a", "split": "test"}],
        "splits": {"test": {"n": 3, "answer_accuracy": 0.5, "closed_accuracy": 0.5, "refusal_accuracy": 1.0,
                            "false_refusal_rate": 0.0, "by_kind": {}}}}
    folder = Path(os.environ["MICQA_DATA_DIR"]) / "evals"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "REPORT-20260101T000000-1.md").write_text(render_markdown(result, None), encoding="utf-8")
    at = _app()
    at.sidebar.radio(key="page").set_value("Evaluation").run()
    assert not at.exception, at.exception
    texts = [m.value for m in at.markdown]
    lead = next(i for i, t in enumerate(texts) if "test questions" in t)
    assert "50%" in texts[lead]  # the plain answer first
    labels = [e.label for e in at.expander]
    assert any(lab.startswith("Failures (1") for lab in labels) and any("every metric" in lab for lab in labels)
    assert not any("<details>" in t for t in texts)


def test_build_index_button_calls_ingest_with_progress(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ingest.build

    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "empty"))
    built: list[Any] = []

    def missing(settings: Any = None) -> Any:
        raise IndexMissing("No index found; run `micqa ingest` to build it.")

    def fake_build(settings: Any, paths: Any = None, progress: Any = None) -> Any:
        progress("embed", 0, 10)
        progress("embed", 10, 10)
        built.append(settings)
        return None

    monkeypatch.setattr(api, "get_engine", missing, raising=False)
    monkeypatch.setattr(ingest.build, "build_index", fake_build)
    at = _app()
    at.button(key="build-index").click().run()
    assert not at.exception, at.exception
    assert len(built) == 1 and str(built[0].data_dir) == str(tmp_path / "empty")


def test_interrupted_turn_is_kept_and_can_be_retried(fake: FakeApi) -> None:
    at = _app()
    # What a rerun finds when the previous run was stopped while answering.
    at.session_state["turns"] = [
        {"question": "How are MICs funded?", "status": "running", "answer": None, "error": None}
    ]
    at.run()
    assert any("interrupted" in w.value for w in at.warning)
    assert fake.calls == []  # not re-asked behind the user's back
    at.button(key="retry-0").click().run()
    assert [t["status"] for t in at.session_state["turns"]] == ["done"]
    assert len(fake.calls) == 1


def test_evaluation_rerun_calls_runner(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    from evals import runner

    seen: list[tuple[Any, ...]] = []

    def fake_main_eval(*args: Any, console: Any = None, **kwargs: Any) -> int:
        seen.append(args)
        console.print("answer accuracy 0.9")
        return 0

    monkeypatch.setattr(runner, "main_eval", fake_main_eval)
    at = _app()
    at.sidebar.radio(key="page").set_value("Evaluation").run()
    at.button(key="rerun-eval").click().run()
    assert not at.exception, at.exception
    assert len(seen) == 1 and seen[0][0] == runner.DEFAULT_GOLD and seen[0][2] in (None, "default")
    assert any("answer accuracy 0.9" in c.value for c in at.code)


# ------------------------------------------------------------- conversations, follow-ups, table rows


def _reload(cid: str) -> AppTest:
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params["c"] = cid
    again.run()
    assert not again.exception, again.exception
    return again


def test_a_conversation_saved_before_segments_reloads_with_the_same_markers(fake: FakeApi, tmp_path: Path) -> None:
    two = [Segment("Banks lend ", 1), Segment(" ", 2), Segment(".")]
    cits = [Citation(n=n, chunk_id=CHUNK.id, doc=DOC_TITLE, section=CHUNK.section, page=12, quote=QUOTE) for n in (1, 2)]
    fake.answers["Who lends?"] = Answer(question="Who lends?", standalone_question="Who lends?", text=render(two),
                                        raw_text="", citations=cits, contexts=[ScoredChunk(CHUNK, 0.9)],
                                        refused=False, backend="default", latency_ms=1.0, segments=two)
    fake.answers["Which reference?"] = _naming_answer("Which reference?")
    at = _ask(_app(), "How are MICs funded?")
    _ask(at, "Who lends?")
    _ask(at, "Which reference?")
    shown = _marked(at)
    assert [p["n"] for p in shown if p["kind"] == "cite"] == [1, 1, 2, 7, 3]
    cid = at.session_state["conversation"]
    assert _marked(_reload(cid)) == shown  # stored segments: the same markers, "[7]" among the words stays words
    # as the app stored answers before they carried segments: the same JSON without the key
    with sqlite3.connect(tmp_path / "data" / DB_NAME) as con:
        for rowid, blob in con.execute("SELECT rowid, answer FROM turns").fetchall():
            old = json.loads(blob)
            del old["segments"]
            con.execute("UPDATE turns SET answer = ? WHERE rowid = ?", (json.dumps(old), rowid))
    again = _reload(cid)
    turns = again.session_state["turns"]
    assert [t["answer"].segments for t in turns[:2]] == [_answer("How are MICs funded?").segments, two]
    n_first_two = len(answer_parts(two, cits, str)) + len(answer_parts(turns[0]["answer"].segments, cits, str))
    assert _marked(again)[:n_first_two] == shown[:n_first_two]
    # an old row holds only text: a cited number among its words is drawn as a marker, as the chat drew it then
    assert [p["n"] for p in _marked(again) if p["kind"] == "cite"] == [1, 1, 2, 7, 7, 3, 3]


def test_conversation_is_saved_listed_and_restored_after_reload(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    _ask(at, "What is the weather in Wuxi?")
    cid = at.session_state["conversation"]
    assert cid and at.query_params["c"] in (cid, [cid])
    # A reload is a new session with the same URL: the conversation comes back from SQLite.
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params["c"] = cid
    again.run()
    assert not again.exception, again.exception
    turns = again.session_state["turns"]
    assert [t["question"] for t in turns] == ["How are MICs funded?", "What is the weather in Wuxi?"]
    assert turns[0]["answer"].citations[0].quote == QUOTE and turns[1]["answer"].refused
    assert "funded by central" in _marked_text(again)
    assert len(fake.calls) == 2  # restored, not asked again
    assert _marked(again) == _marked(at)  # the same markers, from the stored segments
    listed = [b for b in again.button if b.key == f"conv-{cid}"]
    assert listed and listed[0].label.startswith("How are MICs funded?")


def test_conversations_can_be_reopened_renamed_and_deleted(fake: FakeApi) -> None:
    at = _ask(_app(), "How are MICs funded?")
    first = at.session_state["conversation"]
    at.button(key="new-conversation").click().run()
    _ask(at, "Which sectors?")
    second = at.session_state["conversation"]
    assert first != second
    at.button(key=f"conv-{first}").click().run()
    assert [t["question"] for t in at.session_state["turns"]] == ["How are MICs funded?"]
    at.text_input(key="rename-title").input("Funding of the MICs")
    at.button(key="rename").click().run()
    assert at.button(key=f"conv-{first}").label.startswith("Funding of the MICs")
    at.button(key="delete-conversation").click().run()
    assert at.session_state["turns"] == [] and at.session_state["conversation"] is None
    assert not [b for b in at.button if b.key == f"conv-{first}"]
    assert [b for b in at.button if b.key == f"conv-{second}"]


def test_follow_up_shows_how_it_was_read(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    original = fake.ask

    def rewriting(question: str, *args: Any, **kwargs: Any) -> Answer:
        answer = original(question, *args, **kwargs)
        if question.startswith("Which city"):
            answer.standalone_question = "Which city is the National Graphene Innovation Center in?"
        return answer

    monkeypatch.setattr(api, "ask", rewriting)
    at = _ask(_app(), "How are MICs funded?")
    assert not [c for c in at.caption if c.value.startswith("Read as")]  # typed = read: nothing to say
    _ask(at, "Which city is it in?")
    read = [_plain(c.value) for c in at.caption if c.value.startswith("Read as")]
    assert read == ["Read as: Which city is the National Graphene Innovation Center in?"]


def test_table_row_citation_is_drawn_as_the_table_with_used_cells_marked(fake: FakeApi) -> None:
    table = fake.engine.index.tables["A.1"]
    row = table.rows[3]  # the graphene centre, row 4 of the small table
    chunk = Chunk(
        id="c-row", doc_id="nist-ams-600-17", doc_title=DOC_TITLE, section_number="A.1",
        section_path=("Appendix A", "A.1. Table of MICs"), page=23, start=0, end=1, kind="table_row",
        text="A.1, row 4: City: Ningbo", embed_text="x", table_id="A.1", row_index=row.index, raw="26\tGraphene",
    )
    fake.engine.index.chunks.append(chunk)
    fake.engine.index.chunk_by_id[chunk.id] = chunk
    citation = Citation(n=1, chunk_id=chunk.id, doc=DOC_TITLE, section=chunk.section, page=23, quote=chunk.text,
                        cells=["City", "Manufacturing Innovation Center"])
    segments = [Segment("National Graphene Innovation Center: Ningbo ", 1), Segment(".")]
    answer = Answer(question="q", standalone_question="q", text=render(segments), raw_text="", citations=[citation],
                    contexts=[ScoredChunk(chunk, 1.0)], refused=False, backend="default", latency_ms=1.0,
                    segments=segments)
    at = _app()
    at.session_state["turns"] = [{"question": "q", "status": "done", "answer": answer, "error": None}]
    at.run()
    at.button(key="chip-0-0").click().run()
    assert not at.exception, at.exception
    shown = at.table[0]
    frame = shown.value
    assert list(frame.columns) == table.columns and len(frame) == 1  # the header and the row used
    assert frame.iloc[0]["City"] == "Ningbo"
    styles = str(shown.proto.arrow_data.styler.styles)
    assert "rgba(255, 164, 33" in styles  # exactly the two used cells: the centre (column 1) and City (4)
    assert re.findall(r"row0_col(\d)", styles) == ["1", "4"]
