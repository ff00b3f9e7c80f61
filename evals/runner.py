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

from evals.report import EVALS_DIR, KIND_COLUMNS, fmt, headline_rows, write_report
from evals.scoring import RETRIEVAL_METRICS, score
from evals.split import SPLITS
from evals.variants import VARIANT_KINDS, make_variants
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
GOLD_FIELDS = frozenset({"id", "question", "answer", "key_facts", "evidence", "answerable", "kind", "history",
                         "split", "key_points", "need"})
HAND_GRADES = EVALS_DIR / "hand_grades.jsonl"


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


def _ask_all(items: list[dict[str, Any]], settings: Settings, k: int, backend: str | None,
             what: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for i, item in enumerate(items, start=1):
        results.append(_ask_one(item, settings, k, backend))
        if i % 100 == 0 or i == len(items):
            logger.info("Asked %d/%d %s", i, len(items), what)
    return results


def _by_split(items: list[dict[str, Any]], results: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    """The same figures for the development split (calibrated on) and the test split (only ever scored)."""
    out: dict[str, Any] = {}
    for split in SPLITS:
        pairs = [(i, r) for i, r in zip(items, results, strict=True) if i.get("split") == split]
        if pairs:
            out[split] = score([p[0] for p in pairs], [p[1] for p in pairs], **kw)
    return out


def _variant_figures(items: list[dict[str, Any]], results: list[dict[str, Any]], settings: Settings, k: int,
                     backend: str | None) -> dict[str, Any]:
    """Accuracy on each kind of rewording beside the accuracy of the same originals, overall and per split."""
    from evals.scoring import score as score_items

    correct_by_id: dict[str, bool] = {}
    orig = score_items(items, results)
    failed = {f["id"] for f in orig.get("failures", [])}
    for item in items:
        correct_by_id[item["id"]] = item.get("answerable", True) and item["id"] not in failed
    variants = [v for item in items for v in make_variants(item)]
    v_results = _ask_all(variants, settings, k, backend, "paraphrased variants")
    v_scored = score_items(variants, v_results)
    v_failed = {f["id"]: f for f in v_scored.get("failures", [])}
    out: dict[str, Any] = {"by_kind": {}, "failures": []}
    for split in ("all", *SPLITS):
        for vk in ("all", *VARIANT_KINDS):
            vs = [v for v in variants if (vk == "all" or v["variant"] == vk)
                  and (split == "all" or v.get("split") == split)]
            if not vs:
                continue
            n = len(vs)
            acc = sum(v["id"] not in v_failed for v in vs) / n
            base = sum(correct_by_id[v["original"]] for v in vs) / n
            out["by_kind"].setdefault(split, {})[vk] = {"n": n, "accuracy": acc, "original_accuracy": base,
                                                        "gap": base - acc}
    # the variants that failed where their original passed: what a paraphrase breaks
    for v in variants:
        if v["id"] in v_failed and correct_by_id[v["original"]]:
            out["failures"].append({**v_failed[v["id"]], "original": v["original"], "variant": v["variant"]})
    return out


def _hand_grade_agreement(items: list[dict[str, Any]], results: list[dict[str, Any]], scored: dict[str, Any],
                          path: Path = HAND_GRADES) -> dict[str, Any] | None:
    """How often the automatic rubric pass agrees with a human grade of the same answer text.

    A grade counts only while the answer it graded is the one given now (matched by a hash of the
    answer text); "good" agrees with a pass, "partial" and "wrong" with a fail.
    """
    if not Path(path).is_file():
        return None
    grades = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {i["id"]: (i, r) for i, r in zip(items, results, strict=True)}
    failed = {f["id"] for f in scored.get("failures", [])}
    n = agree = stale = 0
    disagreements = []
    for g in grades:
        pair = by_id.get(g["id"])
        if pair is None:
            continue
        if answer_digest(pair[1].get("answer") or "") != g.get("answer_sha1"):
            stale += 1
            continue
        n += 1
        auto_pass = g["id"] not in failed
        ok = auto_pass == (g["grade"] == "good")
        agree += ok
        if not ok:
            disagreements.append({"id": g["id"], "grade": g["grade"], "auto_pass": auto_pass, "note": g.get("note")})
    return {"graded": len(grades), "current": n, "stale": stale, "agreement": (agree / n) if n else None,
            "disagreements": disagreements}


def answer_digest(answer: str) -> str:
    import hashlib

    return hashlib.sha1(answer.encode("utf-8")).hexdigest()[:16]


def run_eval(
    gold: Path,
    settings: Settings,
    backend: str | None = None,
    llm: str | None = None,
    k: int = 10,
    baseline: bool = False,
    variants: bool = True,
) -> dict[str, Any]:
    """Ask every gold question, score the answers (all, dev and test); with ``variants`` also every
    paraphrased variant; with ``baseline`` also the tutorial pipeline."""
    items = load_gold(gold)
    if llm:
        settings = settings.with_(llm=llm)
    started = time.perf_counter()
    results = _ask_all(items, settings, k, backend, "gold questions")
    result = score(items, results)
    result["splits"] = _by_split(items, results)
    backends = sorted({str(r.get("backend")) for r in results if r.get("backend")})
    result["meta"] = {
        "gold": str(gold),
        "items": len(items),
        "backend": ", ".join(backends) or backend,
        "llm": settings.llm,
        "k": k,
        "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    result["retriever"] = _retriever_alone(items, results, settings, k)
    if variants:
        result["variants"] = _variant_figures(items, results, settings, k, backend)
    result["hand_grades"] = _hand_grade_agreement(items, results, result)
    if baseline:
        from evals.baseline import run_baseline

        logger.info("Running the LangChain tutorial baseline on %d questions", len(items))
        base_results = run_baseline([item["question"] for item in items], settings, k=k)
        result["baseline"] = score(items, base_results)
        result["baseline"]["splits"] = _by_split(items, base_results)
        result["baseline"].pop("failures", None)
        result["ratios"] = _ratios(result, result["baseline"])
    result["meta"]["duration_s"] = round(time.perf_counter() - started, 1)
    # Per-item records for the JSON output (ids line up with gold.jsonl).
    result["results"] = [{"id": item["id"], "split": item.get("split"), **res}
                         for item, res in zip(items, results, strict=True)]
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
    splits = result.get("splits") or {}
    if splits:
        sp = Table(title="development split (calibrated on) vs test split (never tuned on)")
        sp.add_column("metric")
        for name in splits:
            sp.add_column(f"{name} (n={splits[name].get('n')})", justify="right")
        base_splits = (result.get("baseline") or {}).get("splits") or {}
        if base_splits.get("test"):
            sp.add_column("baseline test", justify="right")
        for metric in SPLIT_METRICS:
            row = [metric] + [fmt(splits[n].get(metric), metric) for n in splits]
            if base_splits.get("test"):
                row.append(fmt(base_splits["test"].get(metric), metric) if metric in BASELINE_METRICS else "")
            sp.add_row(*row)
        console.print(sp)
        ok = Table(title="open questions: pass rate / mean key-point coverage, by kind and split")
        ok.add_column("kind")
        for name in splits:
            ok.add_column(name, justify="right")
        open_kinds = sorted({k for n in splits for k, m in splits[n].get("by_kind", {}).items() if m.get("n_open")})
        for kind in open_kinds:
            ok.add_row(kind, *[_pass_cov((splits[n].get("by_kind") or {}).get(kind)) for n in splits])
        if open_kinds:
            console.print(ok)
    var = (result.get("variants") or {}).get("by_kind") or {}
    if var:
        vt = Table(title="paraphrased variants: accuracy on the variants vs their originals")
        vt.add_column("variant")
        for split in var:
            vt.add_column(split, justify="right")
        for vk in ("all", *VARIANT_KINDS):
            vt.add_row(vk, *[_var_cell(var[split].get(vk)) for split in var])
        console.print(vt)
    hg = result.get("hand_grades")
    if hg:
        console.print(f"hand grades: {hg['current']} current of {hg['graded']}, automatic pass agrees with "
                      f"{fmt(hg.get('agreement'))} of them")
    console.print(f"{len(result.get('failures', []))} failure(s); see the report for details.")


SPLIT_METRICS: tuple[str, ...] = ("answer_accuracy", "closed_accuracy", "open_pass_rate", "open_coverage",
                                  "open_refusal_rate", "refusal_accuracy", "false_refusal_rate", "recall@5",
                                  "citation_recall")
BASELINE_METRICS = frozenset({"answer_accuracy", "closed_accuracy", "open_pass_rate", "open_coverage", "recall@5"})


def _pass_cov(m: dict[str, Any] | None) -> str:
    if not m or not m.get("n_open"):
        return "-"
    return f"{fmt(m.get('open_pass_rate'))} / {fmt(m.get('open_coverage'))} (n={m.get('n_open')})"


def _var_cell(m: dict[str, Any] | None) -> str:
    if not m:
        return "-"
    return f"{m['accuracy']:.3f} vs {m['original_accuracy']:.3f}"


def _lookup(result: dict[str, Any], dotted: str) -> Any:
    """``test.open_pass_rate`` -> result["splits"]["test"]["open_pass_rate"]; ``variants.test.all.gap`` likewise."""
    head, _, rest = dotted.partition(".")
    if head in SPLITS and rest:
        node: Any = (result.get("splits") or {}).get(head) or {}
        path = rest.split(".")
    elif head == "variants" and rest:
        node = (result.get("variants") or {}).get("by_kind") or {}
        path = rest.split(".")
    else:
        return result.get(dotted)
    # a metric name may itself hold a dot-free suffix like "recall@5"; walk the remaining keys
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def check_thresholds(result: dict[str, Any], path: Path = DEFAULT_THRESHOLDS) -> list[str]:
    """One message per figure under its floor (or over its ceiling); empty when all pass.

    Keys may name a split (``test.answer_accuracy``) or a variant figure (``variants.test.all.gap``).
    """
    config = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    messages: list[str] = []
    for metric, floor in (config.get("floors") or {}).items():
        value = _lookup(result, metric)
        if value is None:
            messages.append(f"{metric} is missing from the result (floor {floor:.3f}).")
        elif value < floor:
            messages.append(f"{metric} = {value:.3f} is below its floor {floor:.3f}.")
    for metric, ceiling in (config.get("ceilings") or {}).items():
        value = _lookup(result, metric)
        if value is None:
            messages.append(f"{metric} is missing from the result (ceiling {ceiling:.3f}).")
        elif value > ceiling:
            messages.append(f"{metric} = {value:.3f} is above its ceiling {ceiling:.3f}.")
    return messages


def default_report_path(settings: Settings) -> Path:
    """Where a run writes its report unless told otherwise: the data folder, one file per run.

    The committed evals/REPORT.md changes only when asked for by path (``make eval`` does), so an
    evaluation of another gold file, or two evaluations at once, never overwrite it or each other.
    """
    import os

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return settings.data_dir / "evals" / f"REPORT-{stamp}-{os.getpid()}.md"


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
    report_path: Path | None = None,
    chart_path: Path | None = None,
    thresholds_path: Path = DEFAULT_THRESHOLDS,
    variants: bool = True,
    pdfs: bool = False,
) -> int:
    """Run, print, write JSON and the report; 1 when ``check`` and a threshold fails, else 0.

    ``pdfs``: also render the report to PDF (evals/render_pdfs.py), ingest each rendering alone and score
    the gold set on it, beside the text (``pdf_gap`` is the largest drop in accuracy).

    ``report_path`` None: a new file in the data folder (see ``default_report_path``); the chart is
    written beside the report unless ``chart_path`` says otherwise.
    """
    # wide enough for the by-kind table when output goes to a log (CI) rather than a terminal
    console = console or Console(width=None if sys.stdout.isatty() else 150)
    result = run_eval(gold, settings, backend=backend, llm=llm, baseline=baseline, variants=variants)
    if pdfs:
        from evals.pdf_eval import format_table, run_pdf_evals

        rows = run_pdf_evals(settings, gold=gold, with_text=False)
        from rag import api

        idx = api.get_engine(settings).index
        counts = {"sections": len(idx.sections), "tables": len(idx.table_list),
                  "table_rows": sum(len(t.rows) for t in idx.table_list), "references": len(idx.reference_list),
                  "acronyms": len(idx.acronyms)}
        text_row = {"name": "text", "counts": counts, "scores": {
            "answer_accuracy": result.get("answer_accuracy"),
            "by_kind": {k: m.get("answer_accuracy") if m.get("answer_accuracy") is not None else m.get("refusal_accuracy")
                        for k, m in result.get("by_kind", {}).items()}}}
        result["pdfs"] = [text_row, *rows]
        result["pdf_gap"] = max((result["answer_accuracy"] or 0) - (r["scores"].get("answer_accuracy") or 0)
                                for r in rows) if rows else None
        console.print("The report as PDF (each rendering ingested alone), accuracy beside the text:")
        console.print(format_table(result["pdfs"]))
    print_table(result, console)
    if json_out is not None:
        json_out = Path(json_out)
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        console.print(f"Wrote {json_out}")
    report_path = Path(report_path) if report_path is not None else default_report_path(settings)
    if chart_path is None:
        chart_path = report_path.with_name(report_path.stem + "-chart.png")
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
