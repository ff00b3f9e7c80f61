"""micqa Streamlit app: cited chat, citation lookup, report browser and evaluation.

Run with ``streamlit run ui/app.py``. The app is a thin face over ``rag.api`` (the same
calls the CLI makes); rendering helpers live in ``ui/views.py``.

State: everything a user does lives in ``st.session_state`` (one per browser session), never
in module globals, so two analysts never see each other's conversation. The only thing
shared across sessions is the read-only engine, loaded once per process.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import sqlite3
import sys
from datetime import datetime
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
from rag.records import Answer, Chunk, Citation, Section, Segment, Turn  # noqa: E402
from rag.settings import PROJECT_ROOT, Settings  # noqa: E402
from rag.store import current_build_dir  # noqa: E402
from ui import components, uploads, views  # noqa: E402
from ui.conversations import ConversationStore  # noqa: E402

log = logging.getLogger("micqa.ui")

PAGES = ("Chat", "Look up a citation", "Report browser", "Evaluation")
BACKEND_EMBEDDED = "default"  # rag.api.ask: "default" (or None) = the embedded answerer, else an LLM spec
# What a first-time reader asks, in their own words (worded apart from the evaluation's questions).
EXAMPLES = (
    "How many innovation centers has China set up, and when did they start?",
    "How are China's manufacturing innovation centers funded?",
    "Which industry sectors do the MICs focus on?",
    "How does China's program compare with Manufacturing USA and the Fraunhofer Institutes?",
    "What role does the central government play in China's innovation centers?",
)
STAGES = {"parse": "Reading documents", "embed": "Embedding passages", "embed sentences": "Embedding sentences",
          "write": "Writing the index"}
EVAL_REPORT = PROJECT_ROOT / "evals" / "REPORT.md"
EVAL_CHART = PROJECT_ROOT / "evals" / "REPORT-chart.png"


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
    ss.setdefault("selected", None)  # (turn index, citation n) shown in the source dialog
    ss.setdefault("ref_open", None)  # a report reference opened from a passage's own [26] marker
    ss.setdefault("lookup", None)  # (ref, LookupResult | None, error | None)
    ss.setdefault("conversation", None)  # id in the conversation store (also in the URL as ?c=)


def store() -> ConversationStore:
    return ConversationStore(st.session_state["data_dir"])


def restore_conversation() -> None:
    """A reload (or a shared link) reopens the conversation named in the URL."""
    cid = st.query_params.get("c")
    ss = st.session_state
    if not cid or cid == ss.conversation:
        return
    try:
        if store().exists(cid):
            ss.turns = store().load(cid)
            ss.conversation = cid
            ss.selected = ss.ref_open = None
            return
    except sqlite3.Error:
        log.exception("could not read conversation %s", cid)
    del st.query_params["c"]  # an unknown or unreadable id: start afresh rather than fail


def save_turn(index: int) -> None:
    """Written as soon as the turn changes, so a reload or a crash loses nothing."""
    ss = st.session_state
    try:
        if ss.conversation is None:
            ss.conversation = store().create(ss.turns[0]["question"])
            st.query_params["c"] = ss.conversation
        store().save_turn(ss.conversation, index, ss.turns[index])
    except sqlite3.Error:  # a full or locked disk must not stop the chat
        log.exception("could not save the conversation")


def new_turn(question: str) -> None:
    """Record the user's turn first: an error or a rerun then never loses or repeats it."""
    st.session_state.turns.append({"question": question, "status": "pending", "answer": None, "error": None})
    save_turn(len(st.session_state.turns) - 1)


# ---------------------------------------------------------------------------------- callbacks


def on_example(question: str) -> None:
    new_turn(question)
    st.session_state.page = "Chat"


def on_select(turn_index: int, n: int) -> None:
    st.session_state.selected = (turn_index, n)
    st.session_state.ref_open = None


def on_open_ref(number: int) -> None:
    st.session_state.ref_open = number


def on_back_from_ref() -> None:
    st.session_state.ref_open = None


def on_close_source() -> None:
    st.session_state.selected = None
    st.session_state.ref_open = None


def on_new_conversation() -> None:
    ss = st.session_state
    ss.turns, ss.conversation, ss.selected, ss.ref_open = [], None, None, None
    if "c" in st.query_params:
        del st.query_params["c"]


def on_open_conversation(cid: str) -> None:
    ss = st.session_state
    ss.turns = store().load(cid)
    ss.conversation, ss.selected, ss.ref_open = cid, None, None
    st.query_params["c"] = cid
    ss.page = "Chat"


def on_rename_conversation() -> None:
    ss = st.session_state
    title = (ss.get("rename-title") or "").strip()
    if ss.conversation and title:
        store().rename(ss.conversation, title)


def on_delete_conversation() -> None:
    if st.session_state.conversation:
        store().delete(st.session_state.conversation)
    on_new_conversation()


def on_retry(turn_index: int) -> None:
    turn = st.session_state.turns[turn_index]
    turn.update(status="pending", answer=None, error=None)
    save_turn(turn_index)


# --------------------------------------------------------------------------------------- chat


def history_before(turns: list[dict[str, Any]], upto: int) -> list[Turn]:
    """Earlier answered turns, in the shape rag.api.ask takes for follow-up questions."""
    out: list[Turn] = []
    for turn in turns[:upto]:
        if turn["status"] == "done" and turn["answer"] is not None:
            out.append(Turn("user", turn["question"]))
            # the answer's entities let "it" and "the second one" resolve from structure, not from its prose
            out.append(Turn("assistant", turn["answer"].text, list(turn["answer"].entities)))
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
    save_turn(index)


def _same_words(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(re.findall(r"\w+", s.lower()))

    return norm(a) == norm(b)


def citation_page(engine: Any, citation: Citation) -> int | None:
    """The one page shown for a citation (chip, dialog, contents agree; see views.passage_page)."""
    index = engine.index
    chunk = index.chunk_by_id.get(citation.chunk_id)
    return views.passage_page(chunk, section_of(index, chunk), citation.page)


def chunk_page(engine: Any, chunk: Chunk) -> int | None:
    return views.passage_page(chunk, section_of(engine.index, chunk))


def section_of(index: Any, chunk: Chunk | None) -> Section | None:
    if chunk is None:
        return None
    finder = getattr(index, "section_of_chunk", None)
    section = finder(chunk) if finder else None
    if section is None and chunk.section_number:
        section = index.find_section(chunk.section_number)
    return section


def render_answer(index: int, turn: dict[str, Any], answer: Answer, engine: Any) -> None:
    if answer.standalone_question and not _same_words(answer.standalone_question, turn["question"]):
        st.caption("Read as: " + views.md_escape(answer.standalone_question))
    if answer.refused:
        st.info("**Not in the report.** " + views.md_escape(answer.text))
        views.render_related(answer.related, key=f"related-{index}", page_of=lambda ch: chunk_page(engine, ch))
        return
    pages = {c.n: citation_page(engine, c) for c in answer.citations}
    # an answer built without segments (none comes from rag.api.ask or the store) still shows its words
    segments = answer.segments or [Segment(answer.text)]
    parts = components.answer_parts(
        segments, answer.citations, lambda c: f"{c.section} · {views.page_label(pages[c.n])}"
    )
    with st.container(key=f"answer-{index}"):
        components.marked_text(parts, key=f"answer-text-{index}", on_cite=functools.partial(on_select, index))
    if answer.citations:
        with st.container(horizontal=True, gap="small", key=f"chips-{index}"):
            for j, c in enumerate(answer.citations):
                st.button(
                    f"[{c.n}] · {views.page_label(pages[c.n])}" + ("" if c.supported else " ⚠"),
                    key=f"chip-{index}-{j}",
                    on_click=on_select,
                    args=(index, c.n),
                    help=f"Open source {c.n}" + (f" ({views.md_escape(c.doc_short)})" if c.doc_short else ""),
                )
    for warning in answer.warnings:
        st.caption("⚠ " + views.md_escape(warning))
    backend = "embedded" if answer.backend in ("default", BACKEND_EMBEDDED) else answer.backend
    st.caption(f"{views.md_escape(backend)} · {answer.latency_ms / 1000:.1f} s")


def render_turn(index: int, turn: dict[str, Any], settings: Settings, engine: Any) -> None:
    with st.chat_message("user"):
        st.markdown(views.md_escape(turn["question"]))
    with st.chat_message("assistant"):
        if turn["status"] == "pending":
            run_answer(index, turn, settings)
        if turn["status"] == "done":
            render_answer(index, turn, turn["answer"], engine)
        elif turn["status"] == "error":
            st.error(views.md_escape(turn["error"]))
            st.button("Try again", key=f"retry-{index}", on_click=on_retry, args=(index,))
        elif turn["status"] == "running":
            st.warning("This answer was interrupted.")
            st.button("Try again", key=f"retry-{index}", on_click=on_retry, args=(index,))


def _table_of(index: Any, chunk: Chunk) -> Any:
    return index.tables.get(f"{chunk.doc_id}:{chunk.table_id}") or index.tables.get(chunk.table_id)


def _ref_numbers(index: Any, doc_id: str | None) -> list[int]:
    """The report reference numbers of one document (references are keyed by document and number)."""
    return sorted({n for d, n in index.references if doc_id is None or d == doc_id})


@st.dialog("Source", width="large", on_dismiss=on_close_source)
def source_dialog(engine: Any) -> None:
    """Opens over the chat, so the passage is where the reader is looking on any screen."""
    ss = st.session_state
    turns = ss.turns
    turn_index, n = ss.selected
    answer = turns[turn_index]["answer"] if turn_index < len(turns) else None
    citation = next((c for c in answer.citations if c.n == n), None) if answer else None
    if citation is None:
        st.info("This source is no longer available.")
        return
    index = engine.index
    doc_id = citation.doc_id or (index.documents[0].id if index.documents else "")
    if ss.ref_open is not None:
        ref = index.references.get((doc_id, ss.ref_open))
        st.button(f"Back to source [{n}]", key="ref-back", on_click=on_back_from_ref, icon=":material/arrow_back:")
        if ref is None:
            st.info(f"The report has no reference [{ss.ref_open}].")
        else:
            views.render_references([ref], key="ref-open")
        return
    chunk = next((sc.chunk for sc in answer.contexts if sc.chunk.id == citation.chunk_id), None)
    chunk = chunk or index.chunk_by_id.get(citation.chunk_id)
    section = section_of(index, chunk)
    section_text = index.section_text(section) if section is not None else None
    table, rows, cells = None, [], {}
    if chunk is not None and chunk.kind == "table_row" and chunk.table_id:
        table = _table_of(index, chunk)
        if table is not None:
            cited = {}  # the rows of this table the answer used, each with its used cells
            for c in answer.citations:
                ch = index.chunk_by_id.get(c.chunk_id)
                if ch is not None and ch.kind == "table_row" and ch.table_id == chunk.table_id:
                    cited[ch.row_index] = set(c.cells)
            rows = [r for r in table.rows if r.index in cited]
            cells = cited
    views.render_source_panel(
        citation, chunk, section, section_text, key=f"src-{turn_index}-{n}",
        page=citation_page(engine, citation), known_refs=_ref_numbers(index, doc_id), on_ref=on_open_ref,
        table=table, table_rows=rows, cells=cells,
    )


def chat_page(settings: Settings, engine: Any) -> None:
    prompt = st.chat_input(
        "Ask about the report…",
        max_chars=settings.max_question_chars,
        key="chat-input",
    )
    if prompt and prompt.strip():
        new_turn(prompt.strip())
    turns = st.session_state.turns
    if not turns:
        st.markdown(
            "Ask a question about NIST AMS 600-17, *China's Manufacturing Innovation Centers* "
            "(May 2025). Every answer cites the report: hover a number such as **[1]** to see the quoted "
            "words, click it to read the passage."
        )
        st.markdown("**Try one of these:**")
        with st.container(key="examples"):
            for i, q in enumerate(EXAMPLES):
                st.button(q, key=f"example-{i}", on_click=on_example, args=(q,), icon=":material/chat:")
    for i, turn in enumerate(turns):
        render_turn(i, turn, settings, engine)
    selected = st.session_state.selected
    if selected is not None and selected[0] < len(turns):
        source_dialog(engine)


# -------------------------------------------------------------------------------- other pages


def on_lookup_ref(settings: Settings, number: int) -> None:
    """A report marker such as [26] inside a looked-up passage opens that reference."""
    try:
        st.session_state.lookup = (f"[{number}]", api.lookup(f"[{number}]", settings), None)
    except MicqaError as err:
        st.session_state.lookup = (f"[{number}]", None, str(err))


def lookup_page(settings: Settings, engine: Any) -> None:
    st.header("Look up a citation")
    st.markdown(
        "Type what you see in the report: a section number (`3.2.3`) or title (`Financing`), a table row "
        "(`A.1/26` or `A.1 row 26`), a table (`Table 2`), a figure (`Figure 5`) or a reference (`[20]` or `20`)."
    )
    with st.form("lookup-form"):
        ref = st.text_input("Reference", key="lookup-ref", placeholder="3.2.3, A.1 row 26, Table 2, Figure 5, [20]")
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
            section = getattr(result, "section", None)
            page = chunk_page(engine, result.chunk) if result.chunk is not None else (
                section.page if section is not None else None)
            views.render_lookup_result(result, page=page, text_renderer=lambda text: components.marked_text(
                components.passage_parts(text, "", _ref_numbers(engine.index, result.doc_id or None)),
                key="lookup-text", on_ref=functools.partial(on_lookup_ref, settings)))


def report_page(engine: Any) -> None:
    index = engine.index
    st.header("Report browser")
    toc, mics, programs = st.tabs(["Contents", "MIC table and map", "Programs (Table 2)"])
    with toc:
        views.render_toc(index.sections, index.section_text, index.chunks)
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
    # a rerun here writes its own report into the data folder (never over the committed one): show the newest
    mine = sorted((settings.data_dir / "evals").glob("REPORT-*.md"), key=lambda p: p.stat().st_mtime)
    if mine:
        st.caption(f"Your latest run ({views.md_escape(mine[-1].name)}); the committed report is evals/REPORT.md.")
        views.render_eval_report(mine[-1], mine[-1].with_name(mine[-1].stem + "-chart.png"))
    else:
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
                    variants=False,  # the quick run: the gold set as written (make eval adds the variants)
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
        bar.progress(min(1.0, done / total) if total else 0.0, text=f"{STAGES.get(stage, stage)}: {done}/{total}")

    try:
        report = build_index(settings, uploads.corpus_with_uploads(settings), progress=progress)
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


def sidebar_controls(settings: Settings, box: Any, engine: Any = None) -> None:
    with box:
        turns = st.session_state.turns
        st.button("New conversation", key="new-conversation", on_click=on_new_conversation, disabled=not turns,
                  icon=":material/add_comment:", width="stretch")
        render_conversation_list()
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
        st.divider()
        render_uploads(settings, engine)
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


def on_upload(settings: Settings) -> None:
    ss = st.session_state
    key = f"uploader-{ss.get('upload_gen', 0)}"
    file = ss.get(key)
    ss.upload_gen = ss.get("upload_gen", 0) + 1  # a fresh, empty uploader next run
    ss.upload_error = None
    if file is None:
        return
    try:
        uploads.save_upload(settings, file.name, file.getvalue())
    except MicqaError as err:
        ss.upload_error = str(err)
        return
    except OSError as err:
        ss.upload_error = f"{file.name} could not be saved ({err.strerror}); check the data folder's free space."
        return
    uploads.start_ingest(settings)


def on_remove_upload(settings: Settings, name: str) -> None:
    uploads.remove_upload(settings, name)
    uploads.start_ingest(settings)  # rebuild without it; the current index answers meanwhile


@st.fragment(run_every=0.7)
def ingest_progress(settings: Settings) -> None:
    """Polls the background build; when it ends, one full rerun picks up the new index."""
    job = uploads.current_job(settings)
    if job is None or job.finished:
        st.rerun(scope="app")
    st.progress(job.fraction, text=f"{STAGES.get(job.stage, job.stage)}: {job.done}/{job.total} "
                                   "(the current index keeps answering)")


def render_uploads(settings: Settings, engine: Any) -> None:
    """Add a PDF or text file; it is ingested in the background beside the report."""
    ss = st.session_state
    st.markdown("**Your documents**")
    job = uploads.current_job(settings)
    running = job is not None and not job.finished
    st.file_uploader(
        "Add a PDF or text file", type=["pdf", "txt", "md"], key=f"uploader-{ss.get('upload_gen', 0)}",
        on_change=on_upload, args=(settings,), disabled=running,
        help="Ingested in the background into a new index; the current one keeps answering until it is ready.",
    )
    if ss.get("upload_error"):
        st.error(views.md_escape(ss.upload_error))
    if running:
        with st.container(key="ingest-progress"):
            ingest_progress(settings)
    elif job is not None:
        if job.error:
            st.error(views.md_escape(job.error))
        else:
            with st.container(key="ingest-done"):
                st.progress(1.0, text="Done: the index now includes your documents.")
        for problem in job.problems:
            st.warning(views.md_escape(problem))
    counts = document_counts(engine) if engine is not None else {}
    for path in uploads.uploaded_files(settings):
        c = counts.get(str(path.resolve()))
        label = (f"{c['chunks']} passages, {c['sections']} sections, {c['tables']} tables" if c
                 else "not in the index yet")
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].markdown(f"{views.md_escape(path.name)}  \n:gray[{label}]")
        cols[1].button("", key=f"remove-{path.name}", icon=":material/delete:", help=f"Remove {path.name}",
                       on_click=on_remove_upload, args=(settings, path.name), disabled=running)


def document_counts(engine: Any) -> dict[str, dict[str, int]]:
    """Passages, sections and tables per document of the current index, by resolved source path."""
    index = engine.index
    out: dict[str, dict[str, int]] = {}
    for doc in getattr(index, "documents", []):
        out[str(Path(doc.source_path).resolve())] = {
            "chunks": sum(1 for c in index.chunks if c.doc_id == doc.id),
            "sections": sum(1 for s in index.sections if s.doc_id == doc.id),
            "tables": sum(1 for t in index.table_list if t.doc_id == doc.id),
        }
    return out


def render_conversation_list() -> None:
    """Saved conversations, newest first: open one, or rename / delete the current one."""
    try:
        saved = store().list()
    except sqlite3.Error:
        log.exception("could not list conversations")
        st.caption("Saved conversations cannot be read right now.")
        return
    current = st.session_state.conversation
    st.markdown("**Conversations**")
    # a long history scrolls in its own box instead of pushing the rest of the sidebar away
    with st.container(key="conversations", height=360 if len(saved) > 6 else "content", border=False):
        if not saved:
            st.caption("Your conversations are saved here as you ask.")
        for conv in saved[:50]:
            when = datetime.fromtimestamp(conv.updated).strftime("%d %b %Y, %H:%M")
            st.button(
                f"{conv.title}  \n:gray[{when} · {conv.turns} question{'s' if conv.turns != 1 else ''}]",
                key=f"conv-{conv.id}",
                on_click=on_open_conversation,
                args=(conv.id,),
                type="secondary" if conv.id == current else "tertiary",  # the open one framed
                width="stretch",
            )
    if current:
        with st.popover("Rename or delete this conversation", icon=":material/edit:", width="stretch"):
            title = next((c.title for c in saved if c.id == current), "")
            st.text_input("Title", value=title, key="rename-title", max_chars=80)
            st.button("Rename", key="rename", on_click=on_rename_conversation)
            st.button("Delete conversation", key="delete-conversation", on_click=on_delete_conversation,
                      type="primary", icon=":material/delete:")


# --------------------------------------------------------------------------------------- main


def main() -> None:
    st.set_page_config(page_title="micqa: China's Manufacturing Innovation Centers", page_icon="📄", layout="wide")
    init_state()
    try:
        settings = Settings.from_env()
    except ValueError as err:  # a malformed MICQA_* variable
        st.error(views.md_escape(str(err)))
        return
    st.session_state["data_dir"] = settings.data_dir
    restore_conversation()
    controls = sidebar_nav()
    page = st.session_state.get("page", PAGES[0])
    engine = None
    if page == "Evaluation":
        eval_page(settings)
    else:
        engine = get_engine_or_explain(settings)
        if engine is not None:
            if page == "Chat":
                chat_page(settings, engine)
            elif page == "Look up a citation":
                lookup_page(settings, engine)
            else:
                report_page(engine)
    sidebar_controls(settings, controls, engine)


main()
