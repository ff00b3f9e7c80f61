"""The router: which answerers a question's intent tries, in order; the first that answers wins.

Each answerer declines (returns None) what it cannot answer well, so the order only says who gets
the first try. ``fact`` ends every route: it answers from the report's sentences or refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rag.answerers.base import Answerer, AnswerJob
from rag.records import Citation, Segment, compacted

if TYPE_CHECKING:
    from rag.answer import Drafted
    from rag.query import Query

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
        refused = _out_of_scope(job.query)
        if refused is not None:
            from rag.answer import Drafted

            why, by = refused
            return Routed(Drafted.refusal(why=why), by)
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


def _out_of_scope(query: Query) -> tuple[str, str] | None:
    """(reason, refused by) for a question the documents cannot answer whatever the passages say, checked before
    any answerer runs; else None. A question about a name no document mentions ("India's centers") would
    otherwise get the nearest passages about something else, and one about a period after the documents were
    written ("late 2025" of a report from May 2025) passages from before it."""
    if query.absent_names:
        # a few names, each kept short: a pasted list of names makes a refusal, not a wall of text
        names = " or ".join(n if len(n) <= 60 else n[:57].rstrip() + "..." for n in query.absent_names[:3])
        return f"it does not mention {names}.", "names"
    if query.after_publication:
        return f"it was written before {query.after_publication}.", "dates"
    return None


def merge_parts(parts: list[Drafted]) -> Drafted:
    """One answer from the answers to a compound question's parts: their segments in order, a space between
    parts, each part's citations renumbered after the ones before.

    A part that says nothing new (its words, without markers, already said by an earlier part) is left out.
    """
    from rag.answer import Drafted

    answered: list[Drafted] = []
    said = ""
    for p in parts:
        plain = _words(p.segments)
        if p.refused or (answered and plain in said):
            continue  # one sentence of the report answered two parts: said once
        answered.append(p)
        said += " " + plain
    if not answered:
        return parts[0]
    segments: list[Segment] = []
    cits: list[Citation] = []
    for p in answered:
        shift = len(cits)
        if segments:
            segments.append(Segment(" "))
        segments += [Segment(s.text, None if s.n is None else s.n + shift) for s in p.segments]
        cits += [replace(c, n=c.n + shift) for c in p.citations]
    contexts = [sc for p in answered for sc in (p.contexts or [])]
    return Drafted(compacted(segments), " ".join(p.raw_text for p in answered), cits, False, [], contexts or None)


def _words(segments: list[Segment]) -> str:
    """What the segments say, markers left out and spacing normalised."""
    return " ".join(" ".join(s.text for s in segments).split())
