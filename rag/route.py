"""The router: which answerers a question's intent tries, in order; the first that answers wins.

Each answerer declines (returns None) what it cannot answer well, so the order only says who gets
the first try. ``fact`` ends every route: it answers from the report's sentences or refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answerers.base import Answerer, AnswerJob
from rag.records import Citation

if TYPE_CHECKING:
    from rag.answer import Drafted

ROUTES: dict[str, tuple[str, ...]] = {
    "lookup": ("source", "table", "table_summary", "fact"),
    # a list or a comparison may be a table computation ("which MICs are in ...", "each program's budget")
    "list": ("source", "table", "synthesis", "fact"),
    # a comparison: the table's cells for the sides and the report's sentences, side by side
    "compare": ("source", "compare", "fact"),
    # why / how / summaries are never answered by a bare table cell
    "explain": ("source", "synthesis", "fact"),
    "summary": ("source", "table_summary", "synthesis", "fact"),
    # "how is the report organized" is answered by its parts in order
    "whole_report": ("source", "contents", "synthesis", "fact"),
}


@dataclass
class Routed:
    drafted: Drafted
    answerer: str  # which answerer answered (shown in the JSON and logged)


class Router:
    def __init__(self, answerers: dict[str, Answerer], routes: dict[str, tuple[str, ...]] = ROUTES) -> None:
        missing = {n for r in routes.values() for n in r} - set(answerers)
        if missing:
            raise ValueError(f"Routes name unknown answerers: {sorted(missing)}")
        self.answerers = answerers
        self.routes = routes

    def run(self, job: AnswerJob) -> Routed:
        route = self.routes.get(job.query.intent, self.routes["lookup"])
        last: Drafted | None = None
        for name in route:
            drafted = self.answerers[name].answer(job)
            if drafted is not None and not drafted.refused:
                return Routed(drafted, name)
            last = drafted if drafted is not None else last
            job.tried.append(name)
        assert last is not None, "the last answerer of a route always answers or refuses"
        return Routed(last, route[-1])


_MARKER = re.compile(r"\[(\d+)\]")


def merge_parts(parts: list[Drafted]) -> Drafted:
    """One answer from the answers to a compound question's parts: texts in order, citations renumbered.

    Markers are shifted in the text this module's answerers just wrote (their own "[n]" markers,
    never the report's, which are moved into the citation's references before composing).
    """
    from rag.answer import Drafted

    answered: list[Drafted] = []
    said = ""
    for p in parts:
        plain = " ".join(_MARKER.sub(" ", p.text).split())
        if p.refused or (answered and plain in said):
            continue  # one sentence of the report answered two parts: said once
        answered.append(p)
        said += " " + plain
    if not answered:
        return parts[0]
    texts: list[str] = []
    raws: list[str] = []
    cits: list[Citation] = []
    for p in answered:
        shift = len(cits)

        def renumber(m: re.Match[str], shift: int = shift) -> str:
            return f"[{int(m.group(1)) + shift}]"

        texts.append(_MARKER.sub(renumber, p.text))
        raws.append(p.raw_text)
        for c in p.citations:
            c.n += shift
            cits.append(c)
    contexts = [sc for p in answered for sc in (p.contexts or [])]
    return Drafted(" ".join(texts), " ".join(raws), cits, False, [], contexts or None)
