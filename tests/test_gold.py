"""The gold set is well-formed and grounded in the report text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.scoring import contains, matches_key_facts, normalize

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold.jsonl"
REPORT = ROOT / "corpus" / "NIST.AMS.600-17.txt"

REQUIRED = {"id", "question", "answer", "key_facts", "evidence", "answerable", "kind", "split"}
OPTIONAL = {"history", "key_points", "need"}
KINDS = {"fact", "table", "aggregation", "comparison", "unanswerable", "followup", "reference",
         "explain", "summary", "compare", "list", "whole_report"}
# All strings of one evidence alternative must fit in one retrieved passage.
MAX_EVIDENCE_SPAN = 900


@pytest.fixture(scope="module")
def items() -> list[dict]:
    lines = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def report() -> str:
    return normalize(REPORT.read_text(encoding="utf-8"))


def test_every_line_is_json_with_the_allowed_fields(items):
    for item in items:
        keys = set(item)
        assert REQUIRED <= keys, (item.get("id"), REQUIRED - keys)
        assert keys <= REQUIRED | OPTIONAL, (item["id"], keys - REQUIRED - OPTIONAL)
        assert isinstance(item["question"], str) and item["question"].strip()
        assert isinstance(item["answer"], str) and item["answer"].strip()
        assert isinstance(item["answerable"], bool)
        assert item["kind"] in KINDS, item["id"]


def test_ids_unique_and_enough_items(items):
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert len(items) >= 150


def test_kind_counts(items):
    kinds = Counter(item["kind"] for item in items)
    assert kinds["unanswerable"] >= 20
    assert kinds["followup"] >= 10
    for kind in ("fact", "table", "aggregation", "comparison", "reference"):
        assert kinds[kind] >= 10, kind
    assert all(not item["answerable"] for item in items if item["kind"] == "unanswerable")


def test_answerable_items_have_facts_and_evidence(items):
    for item in items:
        if item["answerable"]:
            # open items are scored on their key points (tests/test_eval_split.py), not key facts
            assert (item["key_facts"] or item.get("key_points")) and item["evidence"], item["id"]
            assert all(
                isinstance(g, list) and g and all(isinstance(a, str) and a for a in g) for g in item["key_facts"]
            )
            assert all(
                isinstance(alt, list) and alt and all(isinstance(s, str) and s for s in alt) for alt in item["evidence"]
            )
        else:
            assert item["key_facts"] == [] and item["evidence"] == [], item["id"]


def test_reference_answer_satisfies_its_own_key_facts(items):
    for item in items:
        if item["answerable"] and item["key_facts"]:
            assert matches_key_facts(item["answer"], item["key_facts"]), item["id"]


def test_history_turns_are_well_formed(items):
    for item in items:
        if "history" in item:
            assert item["history"], item["id"]
            for turn in item["history"]:
                assert set(turn) == {"role", "content"}, item["id"]
                assert turn["role"] in {"user", "assistant"}
                assert turn["content"].strip()
    assert all("history" in item for item in items if item["kind"] == "followup")


def _positions(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i != -1:
        if contains(text[max(0, i - 1) : i + len(needle) + 2], needle):
            out.append(i)
        i = text.find(needle, i + 1)
    return out


def test_every_evidence_string_occurs_in_the_report(items, report):
    missing = [
        (item["id"], s) for item in items for alt in item["evidence"] for s in alt if not contains(report, normalize(s))
    ]
    assert not missing


def _narrowest_span(report: str, needles: list[str]) -> int:
    """Width of the narrowest window around an occurrence of the first needle that holds them all."""
    spots = [_positions(report, n) for n in needles]
    best = len(report)
    for p0 in spots[0]:
        lo, hi = p0, p0 + len(needles[0])
        for ps, n in zip(spots[1:], needles[1:], strict=True):
            q = min(ps, key=lambda x: abs(x - p0))
            lo, hi = min(lo, q), max(hi, q + len(n))
        best = min(best, hi - lo)
    return best


def test_evidence_alternatives_fit_in_one_passage(items, report):
    too_wide = []
    for item in items:
        for alt in item["evidence"]:
            width = _narrowest_span(report, [normalize(s) for s in alt])
            if width > MAX_EVIDENCE_SPAN:
                too_wide.append((item["id"], alt, width))
    assert not too_wide
