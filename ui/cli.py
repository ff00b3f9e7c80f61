"""The `micqa` command line: ingest | ask | chat | lookup | eval | bench | serve-index.

Every command maps its flags onto the one Settings object and calls the same API the app uses.
Errors a user can act on print one sentence to stderr and exit non-zero (2 for a bad question).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import typer

from rag.errors import MicqaError
from rag.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from NIST AMS 600-17.")
log = logging.getLogger("micqa")


def _settings(
    data_dir: Path | None = None, chroma_url: str | None = None, llm: str | None = None, k: int | None = None
) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, chroma_url=chroma_url, llm=llm, k=k)
    except ValueError as exc:
        _fail(str(exc), 2)
        raise  # unreachable


def _setup_logging(settings: Settings, verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "chromadb", "bm25s", "sentence_transformers", "transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # every Q&A is appended to a log beside the index (never inside a build)
    try:
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(logs / "qa.jsonl", encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(message)s"))
        qa = logging.getLogger("micqa.qa")
        qa.setLevel(logging.INFO)
        qa.propagate = False
        qa.addHandler(fh)
    except OSError:
        pass  # a read-only data dir must not stop answering


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _err(exc: MicqaError) -> None:
    _fail(str(exc), getattr(exc, "exit_code", 1))


DataDir = typer.Option(None, "--data-dir", help="Index folder (env MICQA_DATA_DIR).")
ChromaUrl = typer.Option(
    None, "--chroma-url", help="Chroma server URL, e.g. http://127.0.0.1:8000 (env MICQA_CHROMA_URL)."
)
Llm = typer.Option(None, "--llm", help="PROVIDER:MODEL, e.g. openai:gpt-4o-mini or ollama:llama3.1 (env MICQA_LLM).")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders (default: corpus/ and the app's uploads)."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of a progress bar."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when nothing changed."),
    wait: bool = typer.Option(False, "--wait", help="Wait for another running ingest instead of exiting."),
    data_dir: Path | None = DataDir,
    chroma_url: str | None = ChromaUrl,
) -> None:
    """Build (or refresh) the index from the corpus."""
    from ingest.build import build_index
    from ui.uploads import corpus_with_uploads

    settings = _settings(data_dir, chroma_url)
    _setup_logging(settings)
    # With no paths: the corpus and the documents added in the app (<data dir>/uploads), as the app builds it.
    paths = list(paths or []) or corpus_with_uploads(settings)
    try:
        if json_out:
            report = build_index(settings, paths, force=force, wait_for_lock=wait)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as prog:
                tasks: dict[str, int] = {}

                def cb(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = prog.add_task(stage.capitalize(), total=total or 1)
                    prog.update(tasks[stage], completed=done, total=total or 1)

                report = build_index(settings, paths, progress=cb, force=force, wait_for_lock=wait)
    except MicqaError as exc:
        failed = getattr(exc, "report", None)
        if json_out and failed is not None:  # a script reading --json gets the problems, not an empty stdout
            typer.echo(json.dumps({**failed.to_json(), "error": str(exc)}, indent=2))
        _err(exc)
        return
    for p in report.problems:
        typer.echo(p, err=True)
    if json_out:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        state = "unchanged (nothing re-embedded)" if report.unchanged else f"built {report.build}"
        typer.echo(
            f"Index {state}: {report.documents} document(s), {report.sections} sections, {report.chunks} chunks "
            f"({', '.join(f'{k} {v}' for k, v in report.chunks_by_kind.items())}), {report.tables} tables / "
            f"{report.table_rows} rows, {report.references} references, {report.acronyms} acronyms, "
            f"{report.seconds:.1f} s."
        )
        for doc_id, c in report.by_document.items():
            pages = f"{c['pages']} pages, " if c.get("pages") else ""
            typer.echo(
                f"  {doc_id}: {pages}{c['sections']} sections, {c['tables']} tables / {c['table_rows']} rows, "
                f"{c['references']} references, {c['acronyms']} acronyms, {c['chunks']} chunks"
            )
    if report.problems:
        raise typer.Exit(1)


def _print_answer(ans, as_json: bool, streamed: str = "") -> None:
    """The answer, unless it was already streamed as is, then its warnings and citations."""
    if as_json:
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        return
    if streamed.strip() != ans.text.strip():
        typer.echo(ans.text)
    for w in ans.warnings:
        typer.echo(f"warning: {w}")
    if ans.standalone_question != ans.question:
        typer.echo(f"\n(read as: {ans.standalone_question})")
    for c in ans.citations:
        page = f", p. {c.page}" if c.page is not None else ""
        doc = f"{c.doc_short or c.doc}, " if (c.doc_short or c.doc) else ""
        typer.echo(
            f"\n[{c.n}] {doc}{c.section}{page} ({c.chunk_id})\n    “{c.quote[:300]}{'…' if len(c.quote) > 300 else ''}”"
        )
        for r in c.references:
            typer.echo(f"    report ref [{r.number}] {r.text[:200]}")
    if ans.refused and ans.related:
        typer.echo("\nRelated passages (not an answer):")
        for sc in ans.related:
            typer.echo(f"  - {sc.chunk.section} ({sc.chunk.id}): {sc.chunk.text[:160]}…")


# a JSON string (to its closing quote, or to the end when it has none) or a bracket: strings are skipped
# whole so brackets inside them do not count, and every match moves forward, so the scan stays linear
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.S)
_TURN_SHAPE = '{"role": "user" or "assistant", "content": text, optionally "entities": [names]}'


def _nests_deeper(text: str, limit: int) -> bool:
    """True when brackets nest deeper than limit, judged by a loop (json.loads recurses once per level)."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        ch = m.group()[0]
        if ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _load_history(path: Path | None, settings: Settings):
    """Earlier turns from a file, refused with one sentence (exit 2) beyond the caps, checked before parsing."""
    from rag.records import Turn

    if path is None:
        return []
    hint = f"give a JSON list of turns, each {_TURN_SHAPE}"
    cap = settings.max_history_bytes
    try:
        with open(path, "rb") as fh:  # at most cap + 1 bytes, whatever the file is (/dev/zero, a pipe)
            raw = fh.read(cap + 1)
    except OSError as exc:
        _fail(f"Could not read the history file {path} ({exc.strerror or type(exc).__name__}); {hint}.", 2)
    if len(raw) > cap:
        _fail(f"The history file {path} is larger than {cap / 2**20:g} MB; keep only the recent turns.", 2)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"The history file {path} is not UTF-8 text; save it as UTF-8 and {hint}.", 2)
    if _nests_deeper(text, settings.max_json_depth):
        _fail(f"The history file {path} nests brackets deeper than {settings.max_json_depth} levels; {hint}.", 2)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"The history file {path} is not valid JSON ({exc.msg} at line {exc.lineno}); {hint}.", 2)
    except ValueError:  # e.g. a number with more digits than Python converts
        _fail(f"The history file {path} is not usable JSON; {hint}.", 2)
    if not isinstance(data, list):
        _fail(f"The history file {path} holds a JSON {type(data).__name__}, not a list; {hint}.", 2)
    if len(data) > settings.max_history_turns:
        _fail(f"The history file {path} has {len(data):,} turns; the limit is {settings.max_history_turns}, "
              "so keep only the recent ones.", 2)
    turns = []
    for i, t in enumerate(data, 1):
        if not (isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)):
            _fail(f"Turn {i} of the history file {path} is not {_TURN_SHAPE}; fix or remove it.", 2)
        if len(t["content"]) > settings.max_turn_chars:
            _fail(f"Turn {i} of the history file {path} is {len(t['content']):,} characters long; the limit is "
                  f"{settings.max_turn_chars:,}, so shorten it.", 2)
        ents = t.get("entities")  # optional: what an answer was about, as `ask --json` gives it
        turns.append(Turn(t["role"], t["content"], [e for e in ents if isinstance(e, str)] if isinstance(ents, list) else []))
    return turns


DocOpt = typer.Option(None, "--doc", help="Search one document only: its short name, file name or title words.")


def _doc_filter(doc: str | None, settings):
    """Filters for ``--doc NAME`` (None without it); an unknown name is one sentence listing the documents."""
    if not doc:
        return None
    from rag import api

    d = api.resolve_document(doc, api.get_engine(settings).index)
    return api.Filters(doc_id=d.id)


@app.command()
def ask(
    question: str = typer.Argument(..., help="Your question about the report."),
    json_out: bool = typer.Option(False, "--json", help="Print the answer record as JSON."),
    k: int | None = typer.Option(None, "--k", min=1, max=50, help="Passages to retrieve."),
    history: Path | None = typer.Option(None, "--history", help="JSON file of earlier turns [{role, content}]."),
    doc: str | None = DocOpt,
    llm: str | None = Llm,
    data_dir: Path | None = DataDir,
    chroma_url: str | None = ChromaUrl,
) -> None:
    """Answer one question with citations."""
    from rag import api

    settings = _settings(data_dir, chroma_url, llm, k)
    _setup_logging(settings)
    hist = _load_history(history, settings)
    try:
        filters = _doc_filter(doc, settings)
    except MicqaError as exc:
        _err(exc)
        return
    on_token = None
    streamed: list[str] = []
    if settings.llm and not json_out:

        def on_token(tok: str) -> None:
            streamed.append(tok)
            sys.stdout.write(tok)
            sys.stdout.flush()

    try:
        ans = api.ask(question, hist, settings, k=k, backend=settings.llm, on_token=on_token, filters=filters)
    except MicqaError as exc:
        _err(exc)
        return
    if streamed:
        typer.echo("\n")
    _print_answer(ans, json_out, "".join(streamed))


@app.command()
def chat(
    llm: str | None = Llm,
    k: int | None = typer.Option(None, "--k", min=1, max=50),
    doc: str | None = DocOpt,
    data_dir: Path | None = DataDir,
    chroma_url: str | None = ChromaUrl,
) -> None:
    """A terminal chat with history (empty line or Ctrl-D to quit)."""
    from rag import api
    from rag.records import Turn

    settings = _settings(data_dir, chroma_url, llm, k)
    _setup_logging(settings)
    try:
        filters = _doc_filter(doc, settings)
    except MicqaError as exc:
        _err(exc)
        return
    history: list[Turn] = []
    typer.echo("Ask about NIST AMS 600-17 (empty line to quit).")
    while True:
        try:
            q = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            break
        if not q.strip():
            break
        try:
            ans = api.ask(q, history, settings, k=k, backend=settings.llm, filters=filters)
        except MicqaError as exc:
            typer.echo(str(exc), err=True)
            continue
        _print_answer(ans, False)
        history += [Turn("user", q), Turn("assistant", ans.text, ans.entities)]


@app.command()
def lookup(
    ref: str = typer.Argument(..., help="Chunk id, section number (3.2.3), table row (A.1/26) or reference ([20])."),
    json_out: bool = typer.Option(False, "--json"),
    doc: str | None = typer.Option(None, "--doc", help="The document to look in, when several are indexed."),
    data_dir: Path | None = DataDir,
    chroma_url: str | None = ChromaUrl,
) -> None:
    """Show a cited passage, a section, a table row or a report reference."""
    from dataclasses import asdict

    from rag import api

    settings = _settings(data_dir, chroma_url)
    _setup_logging(settings)
    try:
        res = api.lookup(ref, settings, doc=doc)
    except MicqaError as exc:
        _err(exc)
        return
    if json_out:

        def one(x) -> dict:
            return {
                "ref": x.ref,
                "kind": x.kind,
                "title": x.title,
                "text": x.text,
                "doc": x.doc,
                "doc_id": x.doc_id,
                "doc_short": x.doc_short,
                "chunk_id": x.chunk.id if x.chunk else None,
                "reference": asdict(x.reference) if x.reference else None,
            }

        out = one(res)
        if res.matches:
            out["matches"] = [one(x) for x in res.matches]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{res.title}\n\n{res.text}")
    if res.reference and res.reference.url:
        typer.echo(f"\n{res.reference.url}")


@app.command("eval")
def eval_cmd(
    gold: Path = typer.Option(Path("evals/gold.jsonl"), "--gold"),
    backend: str | None = typer.Option(None, "--backend", help="default, or PROVIDER:MODEL."),
    llm: str | None = Llm,
    json_out: Path | None = typer.Option(None, "--json", help="Write the figures as JSON here."),
    baseline: bool = typer.Option(False, "--baseline", help="Also score the LangChain tutorial pipeline."),
    check: bool = typer.Option(
        False, "--check", help="Exit 1 when a figure is under its floor in evals/thresholds.toml."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the Markdown report here (default: a new file under the data folder's evals/)."
    ),
    variants: bool = typer.Option(True, "--variants/--no-variants", help="Also score paraphrased variants."),
    pdfs: bool = typer.Option(False, "--pdfs", help="Also score the report rendered to PDF by two engines."),
    data_dir: Path | None = DataDir,
    chroma_url: str | None = ChromaUrl,
) -> None:
    """Score answers against the gold Q&A set (dev and test splits, open questions, paraphrased variants)."""
    from evals.runner import main_eval

    settings = _settings(data_dir, chroma_url, llm)
    _setup_logging(settings)
    try:
        code = main_eval(gold, settings, backend, llm or settings.llm, json_out, baseline, check,
                         report_path=report, variants=variants, pdfs=pdfs)
    except MicqaError as exc:
        _err(exc)
        return
    raise typer.Exit(code)


@app.command("serve-index")
def serve_index(
    path: Path = typer.Option(Path(".micqa/chroma-server"), "--path", help="Where the server keeps its data."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Start a Chroma server (`chroma run`) for many app processes; then set MICQA_CHROMA_URL."""
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [
        str(chroma if chroma.exists() else "chroma"),
        "run",
        "--path",
        str(path),
        "--host",
        host,
        "--port",
        str(port),
    ]
    typer.echo(f"Starting: {' '.join(cmd)}\nThen: export MICQA_CHROMA_URL=http://{host}:{port} && micqa ingest")
    os.execvp(cmd[0], cmd)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
