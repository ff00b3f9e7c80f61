"""Runs the gold set through ``rag.api.ask`` (the ``micqa ask --json`` path) and scores it.

``main_eval`` is what ``micqa eval`` calls: run, print a table, write JSON and REPORT.md,
and optionally fail when a figure is under its floor in evals/thresholds.toml.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.report import DEFAULT_CHART, DEFAULT_REPORT, EVALS_DIR, KIND_COLUMNS, fmt, headline_rows, write_report
from evals.scoring import RETRIEVAL_METRICS, score
from rag.errors import BadQuestion, MicqaError
from rag.records import Turn
from rag.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_GOLD = EVALS_DIR / "gold.jsonl"
DEFAULT_THRESHOLDS = EVALS_DIR / "thresholds.toml"
# Short column labels so the by-kind table fits an 80-column terminal.
SHORT_NAMES = {
    "answer_accuracy": "ans acc",
    "refusal_accuracy": "ref acc",
    "false_refusal_rate": "false ref",
    "recall@1": "r@1",
    "recall@5": "r@5",
    "mrr@10": "mrr",
    "citation_recall": "cit R",
    "citation_precision": "cit P",
}
GOLD_FIELDS = frozenset({"id", "question", "answer", "key_facts", "evidence", "answerable", "kind", "history"})


def load_gold(path: Path = DEFAULT_GOLD) -> list[dict[str, Any]]:
    """Parse gold.jsonl (blank lines skipped); raises ValueError naming the bad line."""
    items: list[dict[str, Any]] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{lineno} is not valid JSON: {exc}") from exc
        unknown = set(item) - GOLD_FIELDS
        if unknown:
            raise ValueError(f"{path}:{lineno} has unknown fields {sorted(unknown)}.")
        items.append(item)
    return items


def _ask_one(item: dict[str, Any], settings: Settings, k: int, backend: str | None) -> dict[str, Any]:
    # Imported at call time so tests can monkeypatch rag.api.ask.
    from rag import api

    history = [Turn(**t) for t in item.get("history") or []]
    t0 = time.perf_counter()
    try:
        answer = api.ask(item["question"], history=history, settings=settings, k=k, backend=backend)
    except BadQuestion as exc:
        return _error_result(item, str(exc), t0)
    except MicqaError:
        raise  # index missing / backend down: every item would fail the same way
    except Exception as exc:  # noqa: BLE001 - one broken item must not lose the whole run
        logger.exception("Item %s failed", item.get("id"))
        return _error_result(item, f"{type(exc).__name__}: {exc}", t0)
    return answer.to_json()


def _error_result(item: dict[str, Any], error: str, t0: float) -> dict[str, Any]:
    return {
        "question": item["question"],
        "standalone_question": item["question"],
        "answer": "",
        "refused": False,
        "citations": [],
        "contexts": [],
        "backend": None,
        "latency_ms": round((time.perf_counter() - t0) * 1000.0, 3),
        "error": error,
    }


def _retriever_alone(items: list[dict[str, Any]], results: list[dict[str, Any]], settings: Settings,
                     k: int) -> dict[str, Any]:
    """Retrieval figures of the hybrid retriever by itself (the standalone question, before the answer
    re-ranks passages and puts the ones it cites first), so the two can be told apart in the report."""
    from rag import api
    from rag.retrieve import top_n_stable

    try:
        eng = api.get_engine(settings)
    except MicqaError as exc:  # answers came from elsewhere (a test's stand-in): nothing to compare
        logger.warning("No index to score the retriever alone (%s)", exc)
        return {}
    ranked, lexical = [], []
    ret = eng.retriever
    for item, res in zip(items, results, strict=True):
        q = res.get("standalone_question") or item["question"]
        ranked.append({"contexts": [{"chunk_id": sc.chunk.id, "text": sc.chunk.text} for sc in ret.search(q, k=k)]})
        # BM25 by itself over the same chunks and tokens (acronyms expanded), for comparison
        scores = ret.lexical.scores(ret.expander.expand(q))
        top = [ret.lexical.ids[int(i)] for i in top_n_stable(scores, k)]
        lexical.append({"contexts": [{"chunk_id": cid, "text": ret.by_id[cid].text} for cid in top]})
    out = score(items, ranked, retrieval_only=True)
    out["bm25"] = score(items, lexical, retrieval_only=True)
    return out


def _ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric in RETRIEVAL_METRICS:
        o, b = ours.get(metric), base.get(metric)
        out[metric] = (o / b) if (o is not None and b) else None
    return out


def run_eval(
    gold: Path,
    settings: Settings,
    backend: str | None = None,
    llm: str | None = None,
    k: int = 10,
    baseline: bool = False,
) -> dict[str, Any]:
    """Ask every gold question, score the answers; with ``baseline`` also score the tutorial retriever."""
    items = load_gold(gold)
    if llm:
        settings = settings.with_(llm=llm)
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    for i, item in enumerate(items, start=1):
        results.append(_ask_one(item, settings, k, backend))
        if i % 25 == 0 or i == len(items):
            logger.info("Asked %d/%d gold questions", i, len(items))
    result = score(items, results)
    backends = sorted({str(r.get("backend")) for r in results if r.get("backend")})
    result["meta"] = {
        "gold": str(gold),
        "items": len(items),
        "backend": ", ".join(backends) or backend,
        "llm": settings.llm,
        "k": k,
        "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(time.perf_counter() - started, 1),
    }
    result["retriever"] = _retriever_alone(items, results, settings, k)
    if baseline:
        from evals.baseline import run_baseline

        logger.info("Running the LangChain tutorial baseline on %d questions", len(items))
        base_results = run_baseline([item["question"] for item in items], settings, k=k)
        result["baseline"] = score(items, base_results, retrieval_only=True)
        result["ratios"] = _ratios(result, result["baseline"])
    # Per-item records for the JSON output (ids line up with gold.jsonl).
    result["results"] = [{"id": item["id"], **res} for item, res in zip(items, results, strict=True)]
    return result


def print_table(result: dict[str, Any], console: Console) -> None:
    """Headline figures and the by-kind breakdown as rich tables."""
    has_base = "baseline" in result
    head = Table(title="micqa evaluation")
    head.add_column("metric")
    head.add_column("micqa", justify="right")
    if has_base:
        head.add_column("baseline", justify="right")
        head.add_column("ratio", justify="right")
    for metric, ours, base, ratio in headline_rows(result):
        head.add_row(metric, ours, *((base, ratio) if has_base else ()))
    console.print(head)

    base_by_kind = (result.get("baseline") or {}).get("by_kind", {})
    kinds = Table(title="by kind")
    kinds.add_column("kind", min_width=12, no_wrap=True)
    kinds.add_column("n", justify="right")
    for col in KIND_COLUMNS:
        kinds.add_column(SHORT_NAMES.get(col, col), justify="right")
    if has_base:
        kinds.add_column("base r@5", justify="right")
    for kind, m in result.get("by_kind", {}).items():
        cells = [kind, str(m.get("n"))] + [fmt(m.get(c), c) for c in KIND_COLUMNS]
        if has_base:
            cells.append(fmt((base_by_kind.get(kind) or {}).get("recall@5")))
        kinds.add_row(*cells)
    console.print(kinds)
    ret = result.get("retriever") or {}
    if ret:
        console.print("hybrid retriever alone (before the answer re-ranks): "
                      + ", ".join(f"{m} {fmt(ret.get(m), m)}" for m in RETRIEVAL_METRICS))
        bm = ret.get("bm25") or {}
        console.print("BM25 alone over the same chunks: " + ", ".join(f"{m} {fmt(bm.get(m), m)}" for m in RETRIEVAL_METRICS))
    console.print(f"{len(result.get('failures', []))} failure(s); see the report for details.")


def check_thresholds(result: dict[str, Any], path: Path = DEFAULT_THRESHOLDS) -> list[str]:
    """One message per figure under its floor (or over its ceiling); empty when all pass."""
    config = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    messages: list[str] = []
    for metric, floor in (config.get("floors") or {}).items():
        value = result.get(metric)
        if value is None:
            messages.append(f"{metric} is missing from the result (floor {floor:.3f}).")
        elif value < floor:
            messages.append(f"{metric} = {value:.3f} is below its floor {floor:.3f}.")
    for metric, ceiling in (config.get("ceilings") or {}).items():
        value = result.get(metric)
        if value is None:
            messages.append(f"{metric} is missing from the result (ceiling {ceiling:.3f}).")
        elif value > ceiling:
            messages.append(f"{metric} = {value:.3f} is above its ceiling {ceiling:.3f}.")
    return messages


def main_eval(
    gold: Path,
    settings: Settings,
    backend: str | None,
    llm: str | None,
    json_out: Path | None,
    baseline: bool,
    check: bool,
    *,
    console: Console | None = None,
    report_path: Path = DEFAULT_REPORT,
    chart_path: Path | None = DEFAULT_CHART,
    thresholds_path: Path = DEFAULT_THRESHOLDS,
) -> int:
    """Run, print, write JSON and REPORT.md; 1 when ``check`` and a threshold fails, else 0."""
    # wide enough for the by-kind table when output goes to a log (CI) rather than a terminal
    console = console or Console(width=None if sys.stdout.isatty() else 150)
    result = run_eval(gold, settings, backend=backend, llm=llm, baseline=baseline)
    print_table(result, console)
    if json_out is not None:
        json_out = Path(json_out)
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        console.print(f"Wrote {json_out}")
    write_report(result, report_path, chart_path)
    console.print(f"Wrote {report_path}")
    if check:
        messages = check_thresholds(result, thresholds_path)
        for msg in messages:
            console.print(f"[red]threshold:[/red] {msg}")
        if messages:
            return 1
        console.print("All thresholds met.")
    return 0
