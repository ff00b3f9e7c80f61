"""Meaning-preserving rewordings of gold questions, made in code.

Users type the same question many ways. Each answerable single-turn item gets one variant of each
kind below; a variant keeps its original's key facts, key points and evidence, so it is scored
exactly like the original. The evaluation reports accuracy on the variants beside the originals,
by variant kind: a rule that answers one wording but not its paraphrase shows up as a gap.

All choices (which wrapper, which adverb, which word gets the typo) are seeded by the item id, so
the variants are the same on every run.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

VARIANT_KINDS: tuple[str, ...] = ("polite", "lowercase", "according", "filler", "typo")

POLITE_WRAPPERS: tuple[str, ...] = (
    "Could you tell me {q}",
    "Please tell me: {q}",
    "Hi! I'd like to know {q}",
    "Can you help me with this? {q}",
)
FILLER_ADVERBS: tuple[str, ...] = ("actually", "really")
# After one of these the adverb reads naturally ("How many MICs were actually established ...").
_AUXILIARIES = frozenset(
    "is are was were has have had can could will would should".split()  # not do/does/did: "does actually the plan" reads wrong
)
_WORD = re.compile(r"[A-Za-z]+")


def _pick(item_id: str, salt: str, n: int) -> int:
    digest = hashlib.sha256(f"{item_id}|{salt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % n


def _lower_first(q: str) -> str:
    """Lower the first letter unless the first word is a name or acronym ("MIIT", "China")."""
    first = q.split(" ", 1)[0]
    if first[:1].isupper() and first[1:].islower() and first.lower() in _QUESTION_OPENERS:
        return q[0].lower() + q[1:]
    return q


_QUESTION_OPENERS = frozenset(
    "what which who whom whose when where why how is are was were does do did has have had can could will would "
    "should list name give summarize summarise describe explain compare according in on for from by".split()
)


def polite(q: str, item_id: str) -> str:
    wrapper = POLITE_WRAPPERS[_pick(item_id, "polite", len(POLITE_WRAPPERS))]
    body = _lower_first(q.strip())
    if wrapper.startswith("Could you tell me"):
        body = body.rstrip("?").rstrip() + "?"
    return wrapper.format(q=body)


def lowercase(q: str, item_id: str) -> str:
    return q.strip().rstrip("?").rstrip().lower()


def according(q: str, item_id: str) -> str:
    return "According to the report, " + _lower_first(q.strip())


def filler(q: str, item_id: str) -> str:
    adverb = FILLER_ADVERBS[_pick(item_id, "filler", len(FILLER_ADVERBS))]
    words = q.strip().split(" ")
    for i, w in enumerate(words[:-1]):
        if w.lower() in _AUXILIARIES:
            return " ".join(words[: i + 1] + [adverb] + words[i + 1 :])
    return f"So, {adverb}, " + _lower_first(q.strip())


def typo(q: str, item_id: str) -> str:
    """Swap two adjacent inner letters of one longer lower-case word (not a name, number or acronym)."""
    spans = [m for m in _WORD.finditer(q) if len(m.group()) >= 6 and m.group().islower()]
    if not spans:
        return q
    m = spans[_pick(item_id, "typo", len(spans))]
    w = m.group()
    i = 1 + _pick(item_id, "typo-pos", len(w) - 3)  # never the first or the last letter
    w2 = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    if w2 == w:  # a double letter: drop one instead
        w2 = w[:i] + w[i + 1 :]
    return q[: m.start()] + w2 + q[m.end() :]


_MAKERS = {"polite": polite, "lowercase": lowercase, "according": according, "filler": filler, "typo": typo}


def make_variants(item: dict[str, Any]) -> list[dict[str, Any]]:
    """One variant per kind for an answerable single-turn item; none for the others."""
    if not item.get("answerable", True) or item.get("history"):
        return []
    out = []
    for kind in VARIANT_KINDS:
        q = _MAKERS[kind](item["question"], item["id"])
        if q == item["question"]:
            continue
        out.append({**item, "id": f"{item['id']}~{kind}", "question": q, "variant": kind, "original": item["id"]})
    return out
