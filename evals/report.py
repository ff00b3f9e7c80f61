"""evals/REPORT.md and its chart, written from a ``run_eval`` result dict."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from evals.scoring import ALL_METRICS, RETRIEVAL_METRICS

logger = logging.getLogger(__name__)

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_REPORT = EVALS_DIR / "REPORT.md"
DEFAULT_CHART = EVALS_DIR / "report_chart.png"

# Columns of the by-kind table (the headline table shows ALL_METRICS).
KIND_COLUMNS: tuple[str, ...] = (
    "answer_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "recall@1",
    "recall@5",
    "mrr@10",
    "citation_recall",
    "citation_precision",
)
MAX_FAILURE_ANSWER = 300


def fmt(value: Any, metric: str = "") -> str:
    """Fractions to 3 decimals, latencies to whole milliseconds, missing as a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if metric.startswith("latency") else f"{value:.3f}"
    return str(value)


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def headline_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, ours, baseline, ours/baseline) for every headline metric."""
    base = result.get("baseline") or {}
    ratios = result.get("ratios") or {}
    rows = []
    for metric in ALL_METRICS:
        rows.append(
            (
                metric,
                fmt(result.get(metric), metric),
                fmt(base.get(metric), metric) if metric in RETRIEVAL_METRICS else "",
                fmt(ratios.get(metric)) if metric in ratios else "",
            )
        )
    return rows


def render_chart(result: dict[str, Any], chart: Path) -> Path:
    """Two panels: recall@5 by kind (ours vs baseline) and answer/refusal accuracy by kind."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display in CI or on servers
    import matplotlib.pyplot as plt

    by_kind = result.get("by_kind", {})
    base_by_kind = (result.get("baseline") or {}).get("by_kind", {})
    kinds = list(by_kind)
    xs = range(len(kinds))
    width = 0.4

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    ours_r5 = [by_kind[k].get("recall@5") or 0.0 for k in kinds]
    ax1.bar([x - width / 2 for x in xs], ours_r5, width, label="micqa")
    if base_by_kind:
        base_r5 = [(base_by_kind.get(k) or {}).get("recall@5") or 0.0 for k in kinds]
        ax1.bar([x + width / 2 for x in xs], base_r5, width, label="LangChain tutorial baseline")
    ax1.set_title("recall@5 by kind (answerable items)")
    ax1.set_xticks(list(xs), kinds, rotation=30, ha="right")
    ax1.set_ylim(0, 1.25)  # headroom so the legend does not cover bars
    ax1.legend(loc="upper center", ncol=2, fontsize=8)

    # Answerable kinds show answer accuracy; the unanswerable kind shows refusal accuracy.
    acc = []
    for k in kinds:
        m = by_kind[k]
        value = m.get("answer_accuracy") if m.get("n_answerable") else m.get("refusal_accuracy")
        acc.append(value or 0.0)
    ax2.bar(list(xs), acc, 0.6, color="tab:green")
    ax2.set_title("answer accuracy by kind (refusal accuracy for unanswerable)")
    ax2.set_xticks(list(xs), kinds, rotation=30, ha="right")
    ax2.set_ylim(0, 1.05)

    fig.tight_layout()
    chart.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(chart, dpi=110)
    plt.close(fig)
    return chart


def render_markdown(result: dict[str, Any], chart_name: str | None) -> str:
    meta = result.get("meta", {})
    lines = ["# micqa evaluation report", ""]
    if meta:
        lines.append(", ".join(f"{key}: `{value}`" for key, value in meta.items() if value is not None and value != ""))
        lines.append("")
    lines += [
        f"Items: {result.get('n')} ({result.get('n_answerable')} answerable, "
        f"{result.get('n_unanswerable')} unanswerable); citations scored: {result.get('n_citations')}.",
        "",
        "## Headline figures",
        "",
        "| metric | micqa | baseline | micqa / baseline |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m} | {o} | {b} | {r} |" for m, o, b, r in headline_rows(result)]

    ret = result.get("retriever") or {}
    if ret:
        lines += ["", "Retrieval figures above are over the contexts `ask --json` returns: the hybrid retriever's "
                  "passages re-ranked by their best sentence, with the passages the answer cites first. The "
                  "hybrid retriever alone (same standalone questions, before the answer): "
                  + ", ".join(f"{m} {fmt(ret.get(m), m)}" for m in RETRIEVAL_METRICS) + "; BM25 alone over the "
                  "same chunks and tokens: "
                  + ", ".join(f"{m} {fmt((ret.get('bm25') or {}).get(m), m)}" for m in RETRIEVAL_METRICS) + "."]
    lines += ["", "## By kind", ""]
    base_by_kind = (result.get("baseline") or {}).get("by_kind", {})
    header = ["kind", "n", *KIND_COLUMNS] + (["baseline recall@5"] if base_by_kind else [])
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for kind, metrics in result.get("by_kind", {}).items():
        cells = [kind, str(metrics.get("n"))] + [fmt(metrics.get(c), c) for c in KIND_COLUMNS]
        if base_by_kind:
            cells.append(fmt((base_by_kind.get(kind) or {}).get("recall@5")))
        lines.append("| " + " | ".join(cells) + " |")

    if chart_name:
        lines += ["", f"![metrics by kind]({chart_name})"]

    failures = result.get("failures", [])
    lines += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        lines.append("None.")
    for f in failures:
        answer = str(f.get("answer") or "")
        if len(answer) > MAX_FAILURE_ANSWER:
            answer = answer[:MAX_FAILURE_ANSWER] + "..."
        lines += [
            f"- **{f.get('id')}** ({f.get('kind')}): {_md_cell(f.get('question'))}",
            f"  - expected: {_md_cell(f.get('expected'))}",
            f"  - got{' (refused)' if f.get('refused') else ''}: {_md_cell(answer) or '(empty)'}",
            f"  - why: {_md_cell(f.get('reason'))}",
        ]
    return "\n".join(lines) + "\n"


def write_report(result: dict[str, Any], path: Path = DEFAULT_REPORT, chart: Path | None = DEFAULT_CHART) -> Path:
    """Write REPORT.md (and the PNG chart next to it, linked relatively). Returns the report path."""
    path = Path(path)
    chart_name = None
    if chart is not None:
        chart = Path(chart)
        render_chart(result, chart)
        try:
            chart_name = chart.relative_to(path.parent).as_posix()
        except ValueError:
            chart_name = chart.as_posix()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(result, chart_name), encoding="utf-8")
    logger.info("Wrote %s", path)
    return path
