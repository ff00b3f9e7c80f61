"""How the report is organised: its top-level sections in order, built from the document model.

"How is the report organized?", "what are its chapters?", "give me an outline": the answer lists the
numbered sections and appendices (with their printed pages when known), each cited to the first
sentence of that section, so a reader can open every part from the answer. It declines every other
question. With several documents, the best-ranked passage's document is the one described.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answerers.base import AnswerJob
from rag.citations import make_citation
from rag.records import Chunk, Citation, Segment, render
from rag.units import unit_spans
from rag.vocab import STRUCTURE_SHAPE

if TYPE_CHECKING:
    from rag.answer import Drafted, GroundedAnswerer

_TEXT_KINDS = ("prose", "figure_caption", "table")


class ContentsAnswerer:
    name = "contents"

    def __init__(self, grounded: GroundedAnswerer, index=None, **_: object) -> None:
        self.g = grounded
        self.index = index

    def answer(self, job: AnswerJob) -> Drafted | None:
        from rag.answer import Drafted

        if self.index is None or job.query.intent != "whole_report" or not STRUCTURE_SHAPE.search(job.query.text):
            return None
        docs = [sc.chunk.doc_id for sc in job.contexts] + [c.doc_id for c in self.index.chunks[:1]]
        doc_id = docs[0] if docs else None
        tops = [s for s in self.index.sections if s.doc_id == doc_id and s.level == 1 and s.number]
        if len(tops) < 2:
            return None  # a document without numbered parts has no outline to give
        firsts = self._first_chunks(doc_id)
        segments: list[Segment] = []
        words = f"The report is organised in {len(tops)} numbered parts: "  # since the last citation marker
        cits: list[Citation] = []
        for i, s in enumerate(tops):
            ch = firsts.get(s.title)
            quote = _first_sentence(ch) if ch is not None else None
            cit = make_citation(len(cits) + 1, ch, quote, self.g.references) if ch is not None and quote else None
            page = f", p. {s.page}" if s.page is not None else ""
            words += f"{'; ' if i else ''}{s.title}{page}"
            if cit is not None:  # a part with no sentence to cite is named without a marker
                cits.append(cit)
                segments.append(Segment(words + " ", cit.n))
                words = ""
        if not cits:
            return None
        segments.append(Segment(words + "."))
        return Drafted(segments, render(segments), cits, False, [])

    def _first_chunks(self, doc_id: str | None) -> dict[str, Chunk]:
        """The first text passage under each top-level section (its own, or its first subsection's)."""
        out: dict[str, Chunk] = {}
        for c in sorted((c for c in self.index.chunks if c.doc_id == doc_id and c.kind in _TEXT_KINDS
                         and c.section_path), key=lambda c: c.start):
            out.setdefault(c.section_path[0], c)
        return out


def _first_sentence(chunk: Chunk) -> str | None:
    if chunk.kind == "table":
        return chunk.text.split("\n", 1)[0].strip() or None
    for a, b in unit_spans(chunk):
        quote = chunk.text[a:b].strip()
        if quote:
            return quote
    return None
