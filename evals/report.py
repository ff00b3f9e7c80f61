"""evals/REPORT.md and its chart, written from a ``run_eval`` result dict."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from evals.scoring import ALL_METRICS, RETRIEVAL_METRICS

logger = logging.getLogger(__name__)

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_REPORT = EVALS_DIR / "REPORT.md"
DEFAULT_CHART = EVALS_DIR / "REPORT-chart.png"  # <report stem>-chart.png, beside its report

# Columns of the by-kind table (the headline table shows ALL_METRICS).
KIND_COLUMNS: tuple[str, ...] = (
    "answer_accuracy",
    "open_pass_rate",
    "refusal_accuracy",
    "false_refusal_rate",
    "recall@1",
    "recall@5",
    "mrr@10",
    "citation_recall",
    "citation_precision",
)
MAX_FAILURE_ANSWER = 300
# The baseline's answer is its top passage: these figures mean something for it, refusal and citations do not.
BASELINE_ANSWER_METRICS = frozenset({"answer_accuracy", "closed_accuracy", "open_pass_rate", "open_coverage"})


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
                fmt(base.get(metric), metric) if metric in RETRIEVAL_METRICS or metric in BASELINE_ANSWER_METRICS else "",
                fmt(ratios.get(metric)) if metric in ratios else "",
            )
        )
    return rows


def _acc(m: dict[str, Any] | None) -> float:
    """A kind's headline: answer accuracy (pass rate for open kinds), refusal accuracy for unanswerable."""
    if not m:
        return 0.0
    value = m.get("answer_accuracy") if m.get("n_answerable") else m.get("refusal_accuracy")
    return float(value or 0.0)


def render_chart(result: dict[str, Any], chart: Path) -> Path:
    """One chart: on the test split, how often answers are right by kind of question, micqa vs the baseline."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display in CI or on servers
    import matplotlib.pyplot as plt

    test = (result.get("splits") or {}).get("test") or result
    by_kind = test.get("by_kind", {})
    base_by_kind = (((result.get("baseline") or {}).get("splits") or {}).get("test") or {}).get("by_kind", {})
    kinds = sorted(by_kind, key=lambda k: (k == "unanswerable", k))
    xs = list(range(len(kinds)))
    width = 0.4
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ours = [_acc(by_kind[k]) for k in kinds]
    ax.bar([x - width / 2 for x in xs], ours, width, label="micqa (default answerer, no LLM)")
    if base_by_kind:
        base = [_acc(base_by_kind.get(k)) if k != "unanswerable" else 0.0 for k in kinds]
        ax.bar([x + width / 2 for x in xs], base, width, label="LangChain tutorial: its top passage as the answer")
    for x, v in zip(xs, ours, strict=True):
        ax.text(x - width / 2, v + 0.01, f"{v:.0%}", ha="center", fontsize=8)
    labels = [f"{k}\n(n={by_kind[k].get('n')})" for k in kinds]
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("share right (refused, for unanswerable)")
    ax.set_title("Test split (never tuned on): how often the answer is right, by kind of question")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    fig.tight_layout()
    chart.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(chart, dpi=110)
    plt.close(fig)
    return chart


def _pct(v: Any) -> str:
    return "-" if v is None else f"{float(v):.0%}"


def plain_summary(result: dict[str, Any]) -> list[str]:
    """The few sentences a user wants first, about the test split (questions nothing was tuned on)."""
    splits = result.get("splits") or {}
    test = splits.get("test")
    if not test:
        return [f"On {result.get('n')} questions, {_pct(result.get('answer_accuracy'))} of the answerable ones were "
                "answered right."]
    base = (((result.get("baseline") or {}).get("splits") or {}).get("test")) or {}
    lines = [
        f"On the **{test.get('n')} test questions** (set aside when the gold set was split and never used to tune "
        f"anything), micqa answered **{_pct(test.get('answer_accuracy'))}** of the answerable ones right"
        + (f" (reading the LangChain tutorial's top passage instead: {_pct(base.get('answer_accuracy'))})" if base
           else "") + ".",
        f"- Lookups and facts (fact, table, aggregation, comparison, reference, follow-up): "
        f"**{_pct(test.get('closed_accuracy'))}** right.",
    ]
    if test.get("n_open"):
        lines.append(f"- Open questions (why / how, summaries, comparisons, lists, the whole report): "
                     f"**{_pct(test.get('open_pass_rate'))}** make enough of the points a good answer makes "
                     f"(mean coverage {_pct(test.get('open_coverage'))}; refused {_pct(test.get('open_refusal_rate'))}).")
    lines.append(f"- Questions the report does not answer: **{_pct(test.get('refusal_accuracy'))}** were declined; "
                 f"answerable questions wrongly declined: **{_pct(test.get('false_refusal_rate'))}**.")
    var = ((result.get("variants") or {}).get("by_kind") or {}).get("test", {}).get("all")
    if var:
        lines.append(f"- Reworded questions (polite, lower case, \"according to the report\", a filler word, a typo): "
                     f"**{_pct(var['accuracy'])}** right, against {_pct(var['original_accuracy'])} for the same "
                     "questions as written.")
    dev = splits.get("dev")
    if dev:
        lines.append(f"- For comparison, on the {dev.get('n')} development questions (the ones thresholds were "
                     f"calibrated on): {_pct(dev.get('answer_accuracy'))} right, {_pct(dev.get('false_refusal_rate'))} "
                     "wrongly declined.")
    return lines


SPLIT_ROWS: tuple[str, ...] = ("answer_accuracy", "closed_accuracy", "open_pass_rate", "open_coverage",
                               "open_refusal_rate", "refusal_accuracy", "false_refusal_rate", "recall@1", "recall@5",
                               "mrr@10", "citation_recall", "citation_precision", "latency_p50_ms")


def render_markdown(result: dict[str, Any], chart_name: str | None) -> str:
    meta = result.get("meta", {})
    lines = ["# micqa evaluation report", "", *plain_summary(result), ""]
    if chart_name:
        lines += [f"![accuracy by kind on the test split]({chart_name})", ""]
    splits = result.get("splits") or {}
    base_splits = (result.get("baseline") or {}).get("splits") or {}
    if splits:
        names = list(splits)
        lines += ["## Development vs test split", "",
                  "`dev` is what thresholds, weights and word lists were calibrated on; `test` is only ever scored. "
                  "The baseline is the LangChain tutorial pipeline (its top passage read as the answer).", ""]
        header = ["metric", *[f"{n} (n={splits[n].get('n')})" for n in names]]
        if base_splits.get("test"):
            header.append("baseline, test")
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for metric in SPLIT_ROWS:
            cells = [metric, *[fmt(splits[n].get(metric), metric) for n in names]]
            if base_splits.get("test"):
                keep = metric in ("answer_accuracy", "closed_accuracy", "open_pass_rate", "open_coverage",
                                  "recall@1", "recall@5", "mrr@10")
                cells.append(fmt(base_splits["test"].get(metric), metric) if keep else "")
            lines.append("| " + " | ".join(cells) + " |")
        open_kinds = sorted({k for n in names for k, m in (splits[n].get("by_kind") or {}).items() if m.get("n_open")})
        if open_kinds:
            lines += ["", "### Open questions by kind (pass rate / mean key-point coverage)", "",
                      "| kind | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
            for kind in open_kinds:
                cells = [kind]
                for n in names:
                    m = (splits[n].get("by_kind") or {}).get(kind) or {}
                    cells.append(f"{fmt(m.get('open_pass_rate'))} / {fmt(m.get('open_coverage'))} (n={m.get('n_open')})"
                                 if m.get("n_open") else "-")
                lines.append("| " + " | ".join(cells) + " |")
    var = (result.get("variants") or {}).get("by_kind") or {}
    if var:
        cols = list(var)
        lines += ["", "### Paraphrased variants", "",
                  "Each answerable single-turn question reworded in code five ways; the variant keeps its original's "
                  "key facts. Accuracy on the variants vs on the same originals:", "",
                  "| variant | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
        for vk in sorted({vk for c in cols for vk in var[c]}, key=lambda v: (v != "all", v)):
            cells = [vk]
            for c in cols:
                m = var[c].get(vk)
                cells.append(f"{m['accuracy']:.3f} vs {m['original_accuracy']:.3f} (n={m['n']})" if m else "-")
            lines.append("| " + " | ".join(cells) + " |")
    if result.get("pdfs"):
        from evals.pdf_eval import format_table

        n_pdfs = sum(1 for r in result["pdfs"] if str(r.get("name") or "").startswith("pdf"))
        lines += ["", "### The report as PDF", "",
                  f"The report rendered to PDF by two engines in {n_pdfs} layouts (evals/render_pdfs.py), each ingested "
                  "alone and scored on the whole gold set, beside the text (the structure counts are what ingest "
                  f"found). Largest drop in accuracy: {fmt(result.get('pdf_gap'))}.", "",
                  format_table(result["pdfs"])]
    hg = result.get("hand_grades")
    if hg:
        lines += ["", "### Hand grades", "",
                  f"{hg['graded']} open-kind answers were graded by hand (good / partial / wrong); {hg['current']} of "
                  f"them are still the answer given now. The automatic pass agrees with the hand grade on "
                  f"{_pct(hg.get('agreement'))} of those (a pass should be \"good\")."]
        for d in hg.get("disagreements", []):
            lines.append(f"- {d['id']}: hand grade {d['grade']}, automatic {'pass' if d['auto_pass'] else 'fail'}"
                         + (f" ({_md_cell(d['note'])})" if d.get("note") else ""))
    lines += ["", "<details><summary>All items: every metric, by kind, and the run</summary>", ""]
    if meta:
        lines.append(", ".join(f"{key}: `{value}`" for key, value in meta.items() if value is not None and value != ""))
        lines.append("")
    lines += [
        f"Items: {result.get('n')} ({result.get('n_answerable')} answerable, "
        f"{result.get('n_unanswerable')} unanswerable); citations scored: {result.get('n_citations')}.",
        "",
        "| metric | micqa | baseline | micqa / baseline |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m} | {o} | {b} | {r} |" for m, o, b, r in headline_rows(result)]
    ret = result.get("retriever") or {}
    if ret:
        lines += ["", "Retrieval figures are over the contexts `ask --json` returns (the passages the answer cites "
                  "first). The hybrid retriever alone: "
                  + ", ".join(f"{m} {fmt(ret.get(m), m)}" for m in RETRIEVAL_METRICS) + "; BM25 alone: "
                  + ", ".join(f"{m} {fmt((ret.get('bm25') or {}).get(m), m)}" for m in RETRIEVAL_METRICS) + "."]
    lines += [""]
    base_by_kind = (result.get("baseline") or {}).get("by_kind", {})
    header = ["kind", "n", *KIND_COLUMNS] + (["baseline recall@5"] if base_by_kind else [])
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for kind, metrics in result.get("by_kind", {}).items():
        cells = [kind, str(metrics.get("n"))] + [fmt(metrics.get(c), c) for c in KIND_COLUMNS]
        if base_by_kind:
            cells.append(fmt((base_by_kind.get(kind) or {}).get("recall@5")))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "</details>", ""]

    failures = result.get("failures", [])
    lines += [f"<details><summary>Failures ({len(failures)}; test split first)</summary>", ""]
    if not failures:
        lines.append("None.")
    for f in sorted(failures, key=lambda f: (f.get("split") != "test", str(f.get("id")))):
        answer = str(f.get("answer") or "")
        if len(answer) > MAX_FAILURE_ANSWER:
            answer = answer[:MAX_FAILURE_ANSWER] + "..."
        lines += [
            f"- **{f.get('id')}** ({f.get('kind')}, {f.get('split') or '-'}): {_md_cell(f.get('question'))}",
            f"  - expected: {_md_cell(f.get('expected'))}",
            f"  - got{' (refused)' if f.get('refused') else ''}: {_md_cell(answer) or '(empty)'}",
            f"  - why: {_md_cell(f.get('reason'))}",
        ]
    vfail = (result.get("variants") or {}).get("failures") or []
    if vfail:
        lines += ["", f"Variants that failed where their original passed ({len(vfail)}):", ""]
        for f in vfail[:80]:
            lines.append(f"- {f.get('id')}: {_md_cell(f.get('question'))} — {_md_cell(f.get('reason'))}")
    lines += ["", "</details>"]
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
