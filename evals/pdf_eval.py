"""The gold set on PDFs of the report: each rendering ingested on its own, scored beside the text.

``run_pdf_evals(settings)`` renders the report with every engine of ``evals.render_pdfs``, ingests
each PDF (and the shipped text, as the reference) into its own temporary data dir with the real
embedding model, runs the gold set through ``rag.api.ask`` (``evals.runner.run_eval``) and returns,
per source, the structure counts of its ingest and the accuracy overall and by kind.
Run ``python -m evals.pdf_eval`` for a table on screen (and build/pdfs/pdf_eval.json).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from evals.render_pdfs import ENGINES, REPORT_TEXT, ROOT, render_all
from evals.runner import DEFAULT_GOLD, run_eval
from rag.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_PDF_DIR = ROOT / "build" / "pdfs"
SCORE_KEYS = ("answer_accuracy", "refusal_accuracy", "recall@5", "citation_recall")


def evaluate_source(name: str, source: Path, settings: Settings, gold: Path = DEFAULT_GOLD, k: int = 10) -> dict[str, Any]:
    """Ingest ``source`` alone into a temporary data dir and score the gold set on it."""
    from ingest.build import build_index

    with tempfile.TemporaryDirectory(prefix=f"micqa-eval-{name}-") as tmp:
        s = settings.with_(data_dir=Path(tmp), corpus_paths=(source,))
        report = build_index(s)
        counts = next(iter(report.by_document.values()), {})
        result = run_eval(gold, s, k=k, variants=False)
    scores = {key: result.get(key) for key in SCORE_KEYS}
    # accuracy by kind; for the unanswerable kind, the share correctly refused
    scores["by_kind"] = {kind: m.get("answer_accuracy") if m.get("answer_accuracy") is not None
                         else m.get("refusal_accuracy") for kind, m in result.get("by_kind", {}).items()}
    return {
        "name": name,
        "source": str(source),
        "counts": counts,
        "problems": report.problems,
        "scores": scores,
        "failures": [f["id"] for f in result.get("failures", [])],
    }


def run_pdf_evals(
    settings: Settings | None = None,
    pdf_dir: Path = DEFAULT_PDF_DIR,
    engines: tuple[str, ...] = ENGINES,
    gold: Path = DEFAULT_GOLD,
    with_text: bool = True,
) -> list[dict[str, Any]]:
    """[{name, source, counts, problems, scores, failures}] for the text (first) and each rendered PDF."""
    settings = settings or Settings.from_env()
    sources: list[tuple[str, Path]] = [("text", REPORT_TEXT)] if with_text else []
    sources += [(f"pdf-{engine}", path) for engine, path in render_all(pdf_dir, engines=engines).items()]
    out = []
    for name, path in sources:
        log.info("Evaluating the gold set on %s (%s)", name, path)
        out.append(evaluate_source(name, path, settings, gold))
    return out


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: counts and accuracy per source, by kind."""
    kinds = sorted({k for r in rows for k in r["scores"]["by_kind"]})
    head = ["source", "sections", "tables/rows", "refs", "acronyms", "accuracy", *kinds]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        c, s = r["counts"], r["scores"]
        cells = [r["name"], str(c.get("sections")), f"{c.get('tables')}/{c.get('table_rows')}", str(c.get("references")),
                 str(c.get("acronyms")), _pct(s.get("answer_accuracy"))] + [_pct(s["by_kind"].get(k)) for k in kinds]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO)
    results = run_pdf_evals()
    (DEFAULT_PDF_DIR / "pdf_eval.json").write_text(json.dumps(results, indent=2))
    print(format_table(results))  # noqa: T201 - a command-line report
