"""Follow-up -> standalone question, from the previous turns, without a model.

A follow-up leans on an earlier turn in one of a few ways, each rewritten generically:
- a pronoun or a definite phrase ("it", "its", "they", "that center", "the city"): replaced by the
  subject of the conversation -- the names in the last answer when the last question asked *which*
  thing, else the names in the last question;
- an ordinal ("the second one"): the n-th name in the last answer;
- ellipsis ("And Germany's program?", "What about 2021?", "and for china?"): the last question with its
  matching part swapped for the new one (a year for a year; otherwise the name most alike in meaning
  when a similarity function is given, else the longest name).
Standalone questions pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.records import Turn

Similarity = Callable[[str, str], float]

_PRONOUN = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|she|his|her|there)\b", re.IGNORECASE
)
_DEFINITE = re.compile(
    r"\b(?:the|that|this|these|those)\s+(center|centre|institute|program|programme|plan|mic|organization|"
    r"country|initiative|city|province|company|report|source|reference|lab|laboratory|one|ones|network|"
    r"office|agency|fund|study|survey|sector|region)\b",
    re.IGNORECASE,
)
# "What province is that in?": a demonstrative standing for a thing (followed by a preposition), not a conjunction
_DEMONSTRATIVE = re.compile(r"\b(?:is|was|are|were|does|did|do)\s+(that|this)\b(?=\s+(?:in|on|at|from|for|located|based|"
                            r"situated|about|part of)\b)", re.IGNORECASE)
_THAT_ALONE = re.compile(r"\b(that|this)\b(?!\s+\w+\s+(?:is|was|are|were)\b)\s*\??$", re.IGNORECASE)
_ORDINAL = re.compile(r"\bthe\s+(first|second|third|fourth|fifth|last|former|latter)(?:\s+one)?\b", re.IGNORECASE)
_ORD_N = {"first": 0, "former": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "latter": -1}
_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|and what about|same for|and for|what of|and in|"
                       r"and the)\b\s*(.*?)\s*\??\s*$", re.IGNORECASE)
_NAME = re.compile(
    r"((?:[A-Z][\w'&.-]*|[0-9]+[A-Za-z]*)(?:\s+(?:[A-Z0-9][\w'&.-]*|of|and|for|&|the|in|on|de)){0,12})"
)
_SKIP_START = {"What", "Which", "Who", "Where", "When", "How", "Why", "Does", "Do", "Did", "Is", "Are", "Was",
               "Were", "Can", "Tell", "List", "Name", "Give", "And", "The", "In", "Of", "For", "I", "A", "An",
               "It", "They", "Its", "About", "According", "Per", "Yes", "No"}
_JOINERS = {"of", "and", "for", "&", "the", "in", "on", "de"}


def names_in(text: str) -> list[str]:
    """Capitalised phrases (centers, programs, places, acronyms) in reading order."""
    text = re.sub(r"\[\d+(?:[,\s–-]+\d+)*\]", " ", text)
    # "A and the B", "A, B": list separators, not parts of one name
    text = re.sub(r"\s+and\s+the\s+|,\s*(?:and\s+)?|;\s*|\s+\(", " | ", text)
    out: list[str] = []
    for m in _NAME.finditer(text):
        toks = m.group(1).split()
        while toks and (toks[0] in _SKIP_START or toks[0].lower() in _JOINERS):
            toks = toks[1:]
        while toks and toks[-1].lower() in _JOINERS:
            toks = toks[:-1]
        phrase = " ".join(toks).rstrip(".,;:!?'’")
        if phrase.endswith(("'s", "’s")):
            phrase = phrase[:-2]
        if phrase and not phrase.split()[0].isdigit() and phrase not in out:  # "1 of the 33" is no name
            out.append(phrase)
    return out


def answer_names(answer: str) -> list[str]:
    """The names an answer gives, the items it lists first.

    An answer that introduces a list ("3 of the 33 entries in <table> match City Ningbo: <names>",
    "City values with more than 1 entry ...: Beijing (4); ...") names its items after the colon.
    """
    head, sep, tail = answer.partition(": ")
    if sep and len(head) <= 250:
        items = names_in(tail)
        if items:
            return items + [n for n in names_in(head) if n not in items]
    return names_in(answer)


def subject_of(text: str) -> str | None:
    names = names_in(text)
    return max(names, key=len) if names else None


def needs_context(question: str) -> bool:
    if _ELLIPSIS.match(question) or _ORDINAL.search(question) or _DEFINITE.search(question):
        return True
    if _PRONOUN.search(question) or _THAT_ALONE.search(question) or _DEMONSTRATIVE.search(question):
        return True
    return len(question.split()) <= 3 and not names_in(question)


_IDENTIFY = re.compile(r"^\s*(?:which|what)\s+(?!is\b|are\b|was\b|were\b|does\b|do\b|did\b|has\b|have\b)\w+",
                       re.IGNORECASE)


def _conversation_subject(users: list[str], answers: list[str]) -> str | None:
    """The thing being talked about: what the last answer named when the last question asked to identify
    something ("Which MIC works on graphene?"), else the name in the last question ("Who runs <X>?")."""
    last_q = users[-1] if users else ""
    last_a = answers[-1] if answers else ""
    a_names = [n for n in answer_names(last_a) if n not in last_q] if last_a else []
    if a_names and (_IDENTIFY.match(last_q) or not names_in(last_q)):
        return a_names[0]
    for u in reversed(users):
        s = subject_of(u)
        if s:
            return s
    return None


def condense(question: str, history: Sequence[Turn] | None, similar: Similarity | None = None) -> str:
    if not history:
        return question
    users = [t.content for t in history if t.role == "user" and t.content.strip()]
    answers = [t.content for t in history if t.role == "assistant" and t.content.strip()]
    if not users or not needs_context(question):
        return question
    prev_q = users[-1]
    last = next((t for t in reversed(history) if t.role == "assistant"), None)
    known = list(getattr(last, "entities", None) or [])
    if known:
        # the last answer said what it was about: "it" is its first thing, "the second one" its second
        om = _ORDINAL.search(question)
        if om:
            i = _ORD_N[om.group(1).lower()]
            if -len(known) <= i < len(known):
                return question[: om.start()] + known[i] + question[om.end():]
        elif not _ELLIPSIS.match(question):
            out = _replace_reference(question, known[0])
            if out is not None:
                return out

    m = _ELLIPSIS.match(question)
    if m:
        rest = m.group(1).strip(" ?")
        if re.match(r"(what|which|who|when|where|how|why)\b", rest, re.I):
            # "And what <wh-question>?": a new question about the same thing
            subject = _conversation_subject(users, answers)
            return f"{rest} ({subject or prev_q.rstrip(' ?')})?"
        return _swap(prev_q, rest, similar)

    om = _ORDINAL.search(question)
    if om and answers:
        listed = answer_names(answers[-1])
        if listed:
            i = _ORD_N[om.group(1).lower()]
            if i < len(listed):
                return question[: om.start()] + listed[i] + question[om.end():]

    subject = _conversation_subject(users, answers)
    if subject:
        replaced = _replace_reference(question, subject)
        if replaced is not None:
            return replaced
    if _THAT_ALONE.search(question):
        # "Which reference is that?": the thing is the last question itself
        return f"{question.rstrip(' ?')}: {prev_q}"
    if subject:
        return f"{question.rstrip(' ?')} ({subject})?"
    return f"{question.rstrip(' ?')} ({prev_q.rstrip(' ?')})?"


def _replace_reference(question: str, subject: str) -> str | None:
    """The question with its definite phrase ("that center") or pronoun ("it") replaced by the subject."""
    out, n = _DEFINITE.subn(subject, question, count=1)
    if n:
        return out

    def repl(mm: re.Match[str]) -> str:
        word = mm.group(1).lower()
        if word in ("its", "their", "theirs", "his", "her"):
            return f"{subject}'s"
        if word == "there":
            return f"in {subject}"
        return subject

    out, n = _PRONOUN.subn(repl, question, count=1)
    if not n:
        m = _DEMONSTRATIVE.search(question)
        if m:
            return question[: m.start(1)] + subject + question[m.end(1):]
    return out if n else None


def _swap(prev_q: str, new_part: str, similar: Similarity | None) -> str:
    years = re.findall(r"\b(?:19|20)\d\d\b", new_part)
    old_years = re.findall(r"\b(?:19|20)\d\d\b", prev_q)
    if years and old_years:
        return prev_q.replace(old_years[0], years[0], 1)
    new_part = re.sub(r"^(?:for|in|about|of|on|with|to)\s+", "", new_part, flags=re.I)
    new_names = names_in(new_part) or ([new_part] if new_part else [])
    new = new_names[0] if new_names else new_part
    # "Germany's program" -> swap in "Germany"; keep the rest of the earlier question's wording
    new = re.sub(r"(?:'s|’s)\b.*$", "", new).strip() or new
    old = [n for n in names_in(prev_q)]
    # short forms ("US" inside "What share ... the US get") count too, unless part of a longer name found
    # ("Manufacturing" of "Manufacturing USA": "And Fraunhofer?" swaps the whole name)
    old += [w for w in re.findall(r"\b[A-Z][A-Za-z.]{1,}\b", prev_q)
            if w not in old and w not in _SKIP_START and not any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", n)
                                                                 for n in old)]
    if not old or not new:
        return f"{prev_q.rstrip(' ?')} ({new_part})?"
    if similar is not None:
        target = max(old, key=lambda o: similar(o, new))
    else:
        target = max(old, key=len)
    return re.sub(rf"(?<!\w){re.escape(target)}(?!\w)", new, prev_q, count=1)
