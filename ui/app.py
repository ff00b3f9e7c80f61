"""micqa Streamlit app: cited chat, citation lookup, report browser and evaluation.

Run with ``streamlit run ui/app.py``. The app is a thin face over ``rag.api`` (the same
calls the CLI makes); rendering helpers live in ``ui/views.py``.

State: everything a user does lives in ``st.session_state`` (one per browser session), never
in module globals, so two analysts never see each other's conversation. The only thing
shared across sessions is the read-only engine, loaded once per process.
"""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any

import streamlit as st
from rich.console import Console

# `streamlit run ui/app.py` puts ui/ (not the project root) on sys.path.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from rag import api  # noqa: E402  (module import on purpose: tests monkeypatch api.ask etc.)
from rag.errors import IndexMissing, IndexNeedsRebuild, MicqaError  # noqa: E402
from rag.export import conversation_to_markdown  # noqa: E402
from rag.records import Answer, Turn  # noqa: E402
from rag.settings import PROJECT_ROOT, Settings  # noqa: E402
from rag.store import current_build_dir  # noqa: E402
from ui import views  # noqa: E402

log = logging.getLogger("micqa.ui")

PAGES = ("Chat", "Look up a citation", "Report browser", "Evaluation")
BACKEND_EMBEDDED = "default"  # rag.api.ask: "default" (or None) = the embedded answerer, else an LLM spec
EXAMPLES = (
    "How many manufacturing innovation centers does China have, and when did they start?",
    "How are China's manufacturing innovation centers funded?",
    "Which industry sectors do the MICs focus on?",
    "How does China's program compare with Manufacturing USA and the Fraunhofer Institutes?",
    "What does the report say about the role of the central government?",
)
EVAL_REPORT = PROJECT_ROOT / "evals" / "REPORT.md"
EVAL_CHART = PROJECT_ROOT / "evals" / "report_chart.png"


# ------------------------------------------------------------------------------ engine + state


@st.cache_resource(show_spinner="Loading the report index…", max_entries=2)
def load_engine(_settings: Settings, cache_key: str) -> Any:
    """One engine per process (and per data dir/index build); read-only, so safe to share."""
    del cache_key  # only there to key the cache: Settings itself is not hashed
    return api.get_engine(_settings)


def engine_key(settings: Settings) -> str:
    """The current build is part of the key, so a `micqa ingest` run in a shell is picked up."""
    try:
        build = current_build_dir(settings)
    except Exception:  # an unreadable pointer: let get_engine raise the one-sentence error
        build = None
    return f"{settings.data_dir}|{settings.chroma_url}|{settings.settings_hash}|{build}"


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("turns", [])  # list of dicts: question, status, answer, error
    ss.setdefault("selected", None)  # (turn index, citation n) shown in the source column
    ss.setdefault("lookup", None)  # (ref, LookupResult | None, error | None)


def new_turn(question: str) -> None:
    """Record the user's turn first: an error or a rerun then never loses or repeats it."""
    st.session_state.turns.append({"question": question, "status": "pending", "answer": None, "error": None})


# ---------------------------------------------------------------------------------- callbacks


def on_example(question: str) -> None:
    new_turn(question)
    st.session_state.page = "Chat"


def on_select(turn_index: int, n: int) -> None:
    current = st.session_state.get("selected")
    st.session_state.selected = None if current == (turn_index, n) else (turn_index, n)


def on_close_source() -> None:
    st.session_state.selected = None


def on_clear() -> None:
    st.session_state.turns = []
    st.session_state.selected = None


def on_retry(turn_index: int) -> None:
    turn = st.session_state.turns[turn_index]
    turn.update(status="pending", answer=None, error=None)


# --------------------------------------------------------------------------------------- chat


def history_before(turns: list[dict[str, Any]], upto: int) -> list[Turn]:
    """Earlier answered turns, in the shape rag.api.ask takes for follow-up questions."""
    out: list[Turn] = []
    for turn in turns[:upto]:
        if turn["status"] == "done" and turn["answer"] is not None:
            out.append(Turn("user", turn["question"]))
            out.append(Turn("assistant", turn["answer"].text))
    return out


def run_answer(index: int, turn: dict[str, Any], settings: Settings) -> None:
    """Ask rag.api for this turn, streaming tokens into a placeholder as they come."""
    turn["status"] = "running"  # seen on a later run only if this one was interrupted
    placeholder = st.empty()
    streamed: list[str] = []

    def on_token(token: str) -> None:
        streamed.append(token)
        placeholder.markdown(views.md_escape("".join(streamed)) + " ▌")

    backend = st.session_state.get("backend", BACKEND_EMBEDDED)
    try:
        with st.spinner("Reading the report…"):
            answer = api.ask(
                turn["question"],
                history_before(st.session_state.turns, index),
                settings,
                k=st.session_state.get("k", settings.k),
                backend=backend,
                on_token=on_token,
            )
        turn.update(status="done", answer=answer)
    except MicqaError as err:  # one sentence for the user; the chat stays usable
        turn.update(status="error", error=str(err))
    except Exception as err:  # an unexpected bug must not break the session either
        log.exception("ask failed")
        turn.update(status="error", error=f"Something went wrong while answering ({type(err).__name__}).")
    placeholder.empty()


def render_answer(index: int, answer: Answer) -> None:
    if answer.refused:
        st.info("**Not in the report.** " + views.md_escape(answer.text))
        views.render_related(answer.related, key=f"related-{index}")
        return
    st.markdown(views.md_escape(answer.text))
    if answer.citations:
        selected = st.session_state.get("selected")
        with st.container(horizontal=True, gap="small", key=f"chips-{index}"):
            for j, c in enumerate(answer.citations):
                st.button(
                    f"[{c.n}]" if c.supported else f"[{c.n}] ⚠",
                    key=f"chip-{index}-{j}",
                    on_click=on_select,
                    args=(index, c.n),
                    type="primary" if selected == (index, c.n) else "secondary",
                    help=f"{views.md_escape(c.section)} · {views.page_label(c.page)}",
                )
    for warning in answer.warnings:
        st.caption("⚠ " + views.md_escape(warning))
    backend = "embedded" if answer.backend in ("default", BACKEND_EMBEDDED) else answer.backend
    st.caption(f"{views.md_escape(backend)} · {answer.latency_ms / 1000:.1f} s")


def render_turn(index: int, turn: dict[str, Any], settings: Settings) -> None:
    with st.chat_message("user"):
        st.markdown(views.md_escape(turn["question"]))
    with st.chat_message("assistant"):
        if turn["status"] == "pending":
            run_answer(index, turn, settings)
        if turn["status"] == "done":
            render_answer(index, turn["answer"])
        elif turn["status"] == "error":
            st.error(views.md_escape(turn["error"]))
            st.button("Try again", key=f"retry-{index}", on_click=on_retry, args=(index,))
        elif turn["status"] == "running":
            st.warning("This answer was interrupted.")
            st.button("Try again", key=f"retry-{index}", on_click=on_retry, args=(index,))


def render_source(engine: Any, settings: Settings) -> None:
    turns = st.session_state.turns
    turn_index, n = st.session_state.selected
    answer = turns[turn_index]["answer"] if turn_index < len(turns) else None
    citation = next((c for c in answer.citations if c.n == n), None) if answer else None
    if citation is None:
        st.session_state.selected = None
        return
    chunk = next((sc.chunk for sc in answer.contexts if sc.chunk.id == citation.chunk_id), None)
    index = engine.index
    if chunk is None:
        chunk = index.chunk_by_id.get(citation.chunk_id)
    section, section_text = None, None
    if chunk is not None:
        finder = getattr(index, "section_of_chunk", None)
        section = finder(chunk) if finder else None
        if section is None and chunk.section_number:
            section = index.find_section(chunk.section_number)
        if section is not None:
            section_text = index.section_text(section)
    st.button("Close", key="close-source", on_click=on_close_source, icon=":material/close:")
    views.render_source_panel(citation, chunk, section, section_text, key=f"src-{turn_index}-{n}")


def chat_page(settings: Settings, engine: Any) -> None:
    prompt = st.chat_input(
        "Ask about China's manufacturing innovation centers…",
        max_chars=settings.max_question_chars,
        key="chat-input",
    )
    if prompt and prompt.strip():
        new_turn(prompt.strip())
    turns = st.session_state.turns
    selected = st.session_state.selected
    if selected is not None and selected[0] < len(turns):
        chat_col, source_col = st.columns([3, 2], gap="large")
    else:
        chat_col, source_col = st.container(), None
    with chat_col:
        if not turns:
            st.markdown(
                "Ask a question about NIST AMS 600-17, *China's Manufacturing Innovation Centers* "
                "(May 2025). Every answer cites the report; click a number such as **[1]** to read the passage."
            )
        for i, turn in enumerate(turns):
            render_turn(i, turn, settings)
    if source_col is not None:
        # A scrolling box: a long passage or section must not push the chat out of view.
        with source_col, st.container(key="source-panel", height=760, border=False):
            render_source(engine, settings)


# -------------------------------------------------------------------------------- other pages


def lookup_page(settings: Settings) -> None:
    st.header("Look up a citation")
    st.markdown("Enter a chunk id, a section number (`3.2.3`), a table row (`A.1/26`) or a report reference (`[20]`).")
    with st.form("lookup-form"):
        ref = st.text_input("Reference", key="lookup-ref", placeholder="3.2.3, A.1/26, [20] or a chunk id")
        submitted = st.form_submit_button("Look up")
    if submitted and ref.strip():
        try:
            st.session_state.lookup = (ref.strip(), api.lookup(ref.strip(), settings), None)
        except MicqaError as err:
            st.session_state.lookup = (ref.strip(), None, str(err))
    if st.session_state.lookup:
        _, result, error = st.session_state.lookup
        if error:
            st.error(views.md_escape(error))
        elif result is not None:
            views.render_lookup_result(result)


def report_page(engine: Any) -> None:
    index = engine.index
    st.header("Report browser")
    toc, mics, programs = st.tabs(["Contents", "MIC table and map", "Programs (Table 2)"])
    with toc:
        views.render_toc(index.sections, index.section_text)
    with mics:
        table = index.tables.get("A.1")
        if table is None:
            st.info("The MIC table (A.1) is not in this index.")
        else:
            views.render_mic_table(table)
    with programs:
        table = index.tables.get("table-2")
        if table is None:
            st.info("Table 2 is not in this index.")
        else:
            views.render_programs_table(table)


def eval_page(settings: Settings) -> None:
    st.header("Evaluation")
    views.render_eval_report(EVAL_REPORT, EVAL_CHART)
    backend = st.session_state.get("backend", BACKEND_EMBEDDED)
    if st.button("Rerun the evaluation", key="rerun-eval", help=f"Scores the gold set with the {backend} backend."):
        try:
            from evals import runner  # written separately; guard in case it is absent
        except ImportError:
            st.warning("The evaluation runner (evals/runner.py) is not available in this install.")
            return
        out = io.StringIO()
        with st.spinner("Running the evaluation (this can take a few minutes)…"):
            try:
                # Same call as `micqa eval`: gold, settings, backend, llm, json_out, baseline, check.
                runner.main_eval(
                    runner.DEFAULT_GOLD,
                    settings,
                    backend,
                    None,
                    None,
                    False,
                    False,
                    console=Console(file=out, width=110),
                )
            except MicqaError as err:
                st.error(views.md_escape(str(err)))
                return
            except Exception as err:
                log.exception("evaluation failed")
                st.error(f"The evaluation failed ({type(err).__name__}); see the server log.")
                return
        st.session_state.eval_output = out.getvalue()
        st.rerun()
    if st.session_state.get("eval_output"):
        with st.expander("Output of the last run"):
            st.code(st.session_state.eval_output, language=None)


def index_problem(err: MicqaError, settings: Settings) -> None:
    """A missing or stale index: say what to run, and offer to build it here."""
    st.error(views.md_escape(str(err)))
    st.markdown("Build the index from a shell with `micqa ingest`, or here:")
    if not st.button("Build index", type="primary", key="build-index"):
        return
    try:
        from ingest.build import build_index
    except ImportError:
        st.error("The ingest package is not installed; run `micqa ingest` from the project.")
        return
    bar = st.progress(0.0, text="Building the index…")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 0.0, text=f"{stage.capitalize()}: {done}/{total}")

    try:
        report = build_index(settings, progress=progress)
    except MicqaError as e:
        st.error(views.md_escape(str(e)))
        return
    bar.progress(1.0, text="Done")
    log.info("index built: %s", getattr(report, "build", ""))
    load_engine.clear()
    st.rerun()


def get_engine_or_explain(settings: Settings) -> Any | None:
    try:
        return load_engine(settings, engine_key(settings))
    except (IndexMissing, IndexNeedsRebuild) as err:
        index_problem(err, settings)
    except MicqaError as err:
        st.error(views.md_escape(str(err)))
    return None


# ------------------------------------------------------------------------------------ sidebar


def sidebar_nav() -> Any:
    """Navigation first; returns a container the controls fill *after* the page has run,
    so the export and "Clear chat" already include a question answered in this run."""
    with st.sidebar:
        st.title("micqa")
        st.caption("Cited answers from NIST AMS 600-17, *China's Manufacturing Innovation Centers* (May 2025).")
        st.radio("View", PAGES, key="page")
        st.divider()
        return st.container()


def sidebar_controls(settings: Settings, box: Any) -> None:
    with box:
        st.markdown("**Example questions**")
        for i, q in enumerate(EXAMPLES):
            st.button(q, key=f"example-{i}", on_click=on_example, args=(q,), type="tertiary")
        st.divider()
        backends = [BACKEND_EMBEDDED] + ([settings.llm] if settings.llm else [])
        st.selectbox(
            "Answer backend",
            backends,
            format_func=lambda b: "Embedded (extractive, offline)" if b == BACKEND_EMBEDDED else f"LLM: {b}",
            key="backend",
            help="The embedded extractive answerer needs nothing else; an LLM appears when MICQA_LLM is set.",
        )
        st.slider("Passages to retrieve (k)", 1, 20, value=min(20, max(1, settings.k)), key="k")
        turns = st.session_state.turns
        st.download_button(
            "Download conversation (Markdown)",
            conversation_to_markdown([(t["question"], t["answer"]) for t in turns]),
            file_name="micqa-conversation.md",
            mime="text/markdown",
            key="download",
            on_click="ignore",
            disabled=not turns,
            icon=":material/download:",
        )
        st.button("Clear chat", key="clear", on_click=on_clear, disabled=not turns)


# --------------------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="micqa: China's Manufacturing Innovation Centers", page_icon="📄", layout="wide")
    init_state()
    try:
        settings = Settings.from_env()
    except ValueError as err:  # a malformed MICQA_* variable
        st.error(views.md_escape(str(err)))
        return
    controls = sidebar_nav()
    page = st.session_state.get("page", PAGES[0])
    if page == "Evaluation":
        eval_page(settings)
    else:
        engine = get_engine_or_explain(settings)
        if engine is not None:
            if page == "Chat":
                chat_page(settings, engine)
            elif page == "Look up a citation":
                lookup_page(settings)
            else:
                report_page(engine)
    sidebar_controls(settings, controls)


main()
