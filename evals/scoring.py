"""Scoring of ``micqa ask --json`` results against the gold set (evals/gold.jsonl).

Everything is plain text matching on normalised strings, so the numbers are reproducible and
do not depend on a judge model. A gold item says *what* must be in a correct answer
(``key_facts``: groups of acceptable alternatives) and *where* the report says it
(``evidence``: alternatives, each a list of strings that must all occur in one passage).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 1000  # a longer answer is a dump of the context, not an answer
# Open questions (explain, summarize, compare, list, whole report) need a few sentences: a longer limit.
MAX_OPEN_ANSWER_CHARS = 1500
OPEN_KINDS: tuple[str, ...] = ("explain", "summary", "compare", "list", "whole_report")
RECALL_KS: tuple[int, ...] = (1, 5, 10)
MRR_K = 10

ANSWER_METRICS: tuple[str, ...] = (
    "answer_accuracy",
    "closed_accuracy",
    "open_pass_rate",
    "open_coverage",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_recall",
    "citation_precision",
)
RETRIEVAL_METRICS: tuple[str, ...] = tuple(f"recall@{k}" for k in RECALL_KS) + (f"mrr@{MRR_K}",)
LATENCY_METRICS: tuple[str, ...] = ("latency_p50_ms", "latency_p95_ms")
ALL_METRICS: tuple[str, ...] = ANSWER_METRICS + RETRIEVAL_METRICS + LATENCY_METRICS

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord("\u201c"): '"', ord("\u201d"): '"', ord("\u201e"): '"', ord("\u2018"): "'", ord("\u2019"): "'"}
# A backslash before Markdown punctuation is an escape (the report text has "\$540").
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$|<>~])")
# "2,840,447" -> "2840447"; only a comma between a digit and exactly three digits.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Emphasis markers hugging a word: "*Industrie 4.0.*", "**bold**", "_x_".
_EMPHASIS = re.compile(r"(?<![\w*_])[*_]+(?=\S)|(?<=\S)[*_]+(?![\w*_])")
_SPACE = re.compile(r"\s+")
_PERCENT = re.compile(r"(?<=\d) +%")  # the report writes "80 %"; answers write "80%"


def normalize(text: str) -> str:
    """Canonical form used on both sides of every comparison."""
    if not text:
        return ""
    out = unicodedata.normalize("NFKC", text)  # also turns no-break spaces into spaces
    out = _MD_ESCAPE.sub(r"\1", out)
    out = out.translate(_DASHES).translate(_QUOTES)
    out = _THOUSANDS.sub("", out)
    out = _EMPHASIS.sub("", out)
    out = _PERCENT.sub("%", out)
    out = out.casefold()
    return _SPACE.sub(" ", out).strip()


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion".split()
)


def contains(text: str, needle: str) -> bool:
    """Substring test on normalised text that respects word and number edges.

    Why: a plain substring test would let "6" match "2016", "40" match "400", "ten" match
    "often" and "IP" match "ship". So a needle must start at a word start; it must also end
    at a word end when it ends in a digit, is a number word or is a short acronym (<= 4
    letters). Other needles may end mid-word, on purpose: word stems ("batter" matches
    "batteries", "standard" matches "standards").
    """
    if not needle:
        return False
    check_left = needle[0].isalnum()
    check_right = needle[-1].isdigit() or needle in _NUMBER_WORDS or (len(needle) <= 4 and needle.isalpha())
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        ok_left = not check_left or start == 0 or not (text[start - 1].isalnum() or _decimal_before(text, start))
        ok_right = not check_right or end == len(text) or not (text[end].isalnum() or _decimal_after(text, end))
        if ok_left and ok_right:
            return True
        start = text.find(needle, start + 1)
    return False


def _decimal_before(text: str, i: int) -> bool:
    """True when text[:i] ends in "<digit>." (the needle would continue a decimal number)."""
    return i >= 2 and text[i - 1] == "." and text[i - 2].isdigit()


def _decimal_after(text: str, i: int) -> bool:
    """True when text[i:] starts with ".<digit>"."""
    return i + 1 < len(text) and text[i] == "." and text[i + 1].isdigit()


def matches_key_facts(answer: str, key_facts: Sequence[Sequence[str]]) -> bool:
    """True when the answer contains one alternative of every group (no groups: False)."""
    if not key_facts:
        return False
    text = normalize(answer)
    return all(any(contains(text, normalize(alt)) for alt in group if alt) for group in key_facts)


def missing_key_facts(answer: str, key_facts: Sequence[Sequence[str]]) -> list[list[str]]:
    """The groups of which the answer contains no alternative (for the failure list)."""
    text = normalize(answer)
    return [list(group) for group in key_facts if not any(contains(text, normalize(alt)) for alt in group if alt)]


def key_point_coverage(answer: str, key_points: Sequence[Sequence[str]]) -> float:
    """Share of the rubric's points the answer makes (a point is made when one of its alternatives occurs)."""
    if not key_points:
        return 0.0
    text = normalize(answer)
    made = sum(1 for point in key_points if any(contains(text, normalize(alt)) for alt in point if alt))
    return made / len(key_points)


def missing_key_points(answer: str, key_points: Sequence[Sequence[str]]) -> list[list[str]]:
    text = normalize(answer)
    return [list(p) for p in key_points if not any(contains(text, normalize(alt)) for alt in p if alt)]


def satisfies_evidence(context_text: str, evidence: Sequence[Sequence[str]]) -> bool:
    """True when some alternative has all of its strings in this one passage."""
    text = normalize(context_text)
    return any(alt and all(contains(text, normalize(s)) for s in alt) for alt in evidence)


def _contains_any_fact(text: str, key_facts: Sequence[Sequence[str]]) -> bool:
    norm = normalize(text)
    return any(contains(norm, normalize(alt)) for group in key_facts for alt in group if alt)


def first_evidence_rank(contexts: Sequence[Mapping[str, Any]], evidence: Sequence[Sequence[str]]) -> int | None:
    """1-based rank of the first context satisfying the evidence, or None."""
    for rank, ctx in enumerate(contexts, start=1):
        if satisfies_evidence(str(ctx.get("text", "")), evidence):
            return rank
    return None


def _cited_texts(result: Mapping[str, Any]) -> list[str]:
    """Text of each cited chunk, looked up among the result's contexts by chunk_id.

    Why the fallback: an answerer may cite a passage it fetched outside the top-k (a table
    row by lookup); then the citation's verbatim quote is the only text we have.
    """
    by_id = {str(c.get("chunk_id")): str(c.get("text", "")) for c in result.get("contexts") or []}
    texts = []
    for cit in result.get("citations") or []:
        text = by_id.get(str(cit.get("chunk_id")))
        texts.append(text if text is not None else str(cit.get("quote", "")))
    return texts


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    vals = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def _ratio(num: float, den: int) -> float | None:
    return num / den if den else None


def _metrics(rows: list[dict[str, Any]], retrieval_only: bool) -> dict[str, Any]:
    """Aggregate per-item rows (built in ``score``) into the metric dict."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    out: dict[str, Any] = {}
    if not retrieval_only:
        out["answer_accuracy"] = _ratio(sum(r["correct"] for r in answerable), len(answerable))
        closed = [r for r in answerable if not r["open"]]
        opened = [r for r in answerable if r["open"]]
        out["closed_accuracy"] = _ratio(sum(r["correct"] for r in closed), len(closed))
        out["open_pass_rate"] = _ratio(sum(r["correct"] for r in opened), len(opened))
        out["open_coverage"] = _ratio(sum(r["coverage"] for r in opened), len(opened))
        out["open_refusal_rate"] = _ratio(sum(r["refused"] for r in opened), len(opened))
        out["n_open"] = len(opened)
        out["refusal_accuracy"] = _ratio(sum(r["refused"] for r in unanswerable), len(unanswerable))
        out["false_refusal_rate"] = _ratio(sum(r["refused"] for r in answerable), len(answerable))
    for k in RECALL_KS:
        hits = sum(1 for r in answerable if r["rank"] is not None and r["rank"] <= k)
        out[f"recall@{k}"] = _ratio(hits, len(answerable))
    rr = sum(1.0 / r["rank"] for r in answerable if r["rank"] is not None and r["rank"] <= MRR_K)
    out[f"mrr@{MRR_K}"] = _ratio(rr, len(answerable))
    n_citations = sum(r["n_citations"] for r in answerable)
    if not retrieval_only:
        out["citation_recall"] = _ratio(sum(r["cited_evidence"] for r in answerable), len(answerable))
        out["citation_precision"] = _ratio(sum(r["precise_citations"] for r in answerable), n_citations)
    latencies = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["n"] = len(rows)
    out["n_answerable"] = len(answerable)
    out["n_unanswerable"] = len(unanswerable)
    out["n_citations"] = n_citations
    return out


def _align(items: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> list:
    """Results may be a list in gold order or a mapping from item id to result."""
    if isinstance(results, Mapping):
        return [results.get(item["id"]) for item in items]
    if len(results) != len(items):
        raise ValueError(f"Got {len(results)} results for {len(items)} gold items.")
    return list(results)


def score(
    items: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    retrieval_only: bool = False,
) -> dict[str, Any]:
    """Score results (``micqa ask --json`` dicts) against gold items.

    ``retrieval_only`` leaves out the answer and citation figures (used for the baseline,
    which retrieves but does not answer).
    """
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for item, result in zip(items, _align(items, results), strict=True):
        result = result or {"answer": "", "refused": False, "contexts": [], "citations": [], "error": "no result"}
        answer = str(result.get("answer") or "")
        refused = bool(result.get("refused"))
        answerable = bool(item.get("answerable", True))
        key_facts = item.get("key_facts") or []
        evidence = item.get("evidence") or []
        contexts = result.get("contexts") or []
        rank = first_evidence_rank(contexts, evidence) if answerable else None
        cited = _cited_texts(result) if answerable else []
        key_points = item.get("key_points") or []
        is_open = bool(key_points)
        limit = MAX_OPEN_ANSWER_CHARS if is_open else MAX_ANSWER_CHARS
        too_long = len(answer) > limit
        coverage = key_point_coverage(answer, key_points) if is_open else 0.0
        if is_open:
            # a rubric item passes on coverage of its points, as answered (refusal and length still fail it)
            correct = answerable and not refused and not too_long and coverage >= float(item.get("need", 0.5)) - 1e-9
        else:
            correct = answerable and not refused and not too_long and matches_key_facts(answer, key_facts)
        rows.append(
            {
                "kind": item.get("kind", "unknown"),
                "answerable": answerable,
                "refused": refused,
                "correct": correct,
                "open": is_open,
                "coverage": coverage,
                "rank": rank,
                "n_citations": len(cited),
                "cited_evidence": any(satisfies_evidence(t, evidence) for t in cited),
                "precise_citations": sum(_contains_any_fact(t, key_facts) for t in cited),
                "latency_ms": result.get("latency_ms"),
            }
        )
        if retrieval_only:
            continue
        reason = _failure_reason(answerable, refused, correct, too_long, answer, key_facts, result, limit,
                                 key_points, coverage, float(item.get("need", 0.5)))
        if reason:
            if answerable and rank is None:
                reason += f"; evidence not in the top {len(contexts)} contexts"
            failures.append(
                {
                    "id": item.get("id"),
                    "kind": item.get("kind"),
                    "question": item.get("question"),
                    "expected": item.get("answer"),
                    "answer": answer,
                    "refused": refused,
                    "reason": reason,
                    "split": item.get("split"),
                }
            )

    out = _metrics(rows, retrieval_only)
    kinds = sorted({r["kind"] for r in rows})
    out["by_kind"] = {kind: _metrics([r for r in rows if r["kind"] == kind], retrieval_only) for kind in kinds}
    if not retrieval_only:
        out["failures"] = failures
    return out


def _failure_reason(
    answerable: bool,
    refused: bool,
    correct: bool,
    too_long: bool,
    answer: str,
    key_facts: Iterable[Sequence[str]],
    result: Mapping[str, Any],
    limit: int = MAX_ANSWER_CHARS,
    key_points: Sequence[Sequence[str]] = (),
    coverage: float = 0.0,
    need: float = 0.5,
) -> str | None:
    """One line saying why an item failed, or None when it passed."""
    error = result.get("error")
    prefix = f"error: {error}; " if error else ""
    if not answerable:
        return None if refused else prefix + "answered a question the report does not answer"
    if correct:
        return None
    if refused:
        return prefix + "refused an answerable question"
    if too_long:
        return prefix + f"answer too long ({len(answer)} > {limit} characters)"
    if key_points:
        missing_p = missing_key_points(answer, key_points)
        return prefix + f"covers {coverage:.0%} of the key points (needs {need:.0%}); missing: " + "; ".join(
            " | ".join(p) for p in missing_p)
    missing = missing_key_facts(answer, list(key_facts))
    return prefix + "missing key facts: " + "; ".join(" | ".join(g) for g in missing)
