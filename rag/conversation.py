"""Follow-up -> standalone question, from the previous turns, without a model.

A follow-up leans on an earlier turn either through a pronoun ("Where is it headquartered?")
or by ellipsis ("And Germany?", "What about in 2021?"). The subject is taken from the last user
turn that names one: its longest capitalised phrase (a center, program or country) or, failing
that, its content words. Standalone questions pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.records import Turn

_PRONOUN = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|there|he|she|his|her)\b"
    r"(?:\s+(center|centre|institute|program|programme|plan|mic|one|organization|country|initiative))?",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|and what about|same for|and for|what of)\b\s*(.*?)\??\s*$",
                       re.IGNORECASE)
_CAP_PHRASE = re.compile(
    r"(?:the\s+)?((?:[A-Z][\w'&.-]*|of|and|for|&|the|in)(?:\s+(?:[A-Z0-9][\w'&.-]*|of|and|for|&|the|in))*)"
)
_QWORDS = {"What", "Which", "Who", "Where", "When", "How", "Why", "Does", "Do", "Did", "Is", "Are", "Was", "Were",
           "Can", "Tell", "List", "Name", "Give", "And", "The", "In", "Of", "For", "I", "A", "An"}


def subject_of(text: str) -> str | None:
    best = None
    for m in _CAP_PHRASE.finditer(text):
        phrase = m.group(1).strip()
        toks = phrase.split()
        while toks and (toks[0] in _QWORDS or toks[0].lower() in {"of", "and", "for", "&", "the", "in"}):
            toks = toks[1:]
        while toks and toks[-1].lower() in {"of", "and", "for", "&", "the", "in"}:
            toks = toks[:-1]
        if not toks:
            continue
        phrase = " ".join(toks).rstrip(".,;:!?")
        if best is None or len(phrase) > len(best):
            best = phrase
    return best


def needs_context(question: str) -> bool:
    if _ELLIPSIS.match(question):
        return True
    if _PRONOUN.search(question) and not subject_of(question):
        return True
    return len(question.split()) <= 3 and not subject_of(question)


def condense(question: str, history: Sequence[Turn] | None) -> str:
    if not history:
        return question
    users = [t.content for t in history if t.role == "user" and t.content.strip()]
    if not users or not needs_context(question):
        return question
    prev_q = users[-1]
    subject = None
    for u in reversed(users):
        subject = subject_of(u)
        if subject:
            break
    m = _ELLIPSIS.match(question)
    if m:
        new_part = m.group(2).strip(" ?")
        years = re.findall(r"\b(?:19|20)\d\d\b", new_part)
        old_years = re.findall(r"\b(?:19|20)\d\d\b", prev_q)
        if years and old_years:
            return prev_q.replace(old_years[0], years[0], 1)
        new_subject = subject_of(new_part) or new_part
        if subject and new_subject and subject in prev_q:
            return prev_q.replace(subject, new_subject, 1)
        return f"{prev_q.rstrip('?')} ({new_part})?"
    if subject:
        def repl(mm: re.Match[str]) -> str:
            word = mm.group(1).lower()
            if word in ("its", "their", "theirs", "his", "her"):
                return f"{subject}'s"
            if word == "there":
                return f"in {subject}"
            return subject

        out, n = _PRONOUN.subn(repl, question, count=1)
        if n:
            return out
        return f"{question.rstrip('?')} ({subject})?"
    return f"{question} ({prev_q})"
