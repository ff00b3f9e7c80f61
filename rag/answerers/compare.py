"""Comparisons side by side: a table's cells when a table covers the sides, and the report's sentences.

A comparison asks about several things at once ("How does China's program compare with Manufacturing
USA and Fraunhofer?"). A table that holds a row for each side gives exact figures; the report's
sentences say how the sides differ in kind (structure, ownership, funding). This answerer gives both:
the table's cells first, then a cited synthesis in the room left; either alone when only one answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rag.answer import FRAMING_TOKENS
from rag.answerers.base import AnswerJob
from rag.answerers.grounded import TableAnswerer
from rag.answerers.synthesis import SynthesisAnswerer

if TYPE_CHECKING:
    from rag.answer import Drafted


class CompareAnswerer:
    name = "compare"

    def __init__(self, **parts: object) -> None:
        self.table = TableAnswerer(**parts)  # type: ignore[arg-type]
        self.synthesis = SynthesisAnswerer(**parts)  # type: ignore[arg-type]

    def answer(self, job: AnswerJob) -> Drafted | None:
        from rag.route import merge_parts

        # a table that leaves words of the question the report uses unaccounted for ("link up" with other
        # entities) compares something else (its funding column): the sentences alone answer
        aside = job.table is not None and any(self.synthesis.g.idf.df.get(t, 0) for t in
                                              job.table.unexplained - FRAMING_TOKENS)
        table = None if aside else self.table.answer(job)
        room = self.synthesis._limit(job) - (len(table.text) if table is not None else 0)
        prose = self.synthesis.answer(replace(job, max_chars=room)) if room >= 200 else None
        found = [d for d in (table, prose) if d is not None and not d.refused]
        if not found:
            return None
        return found[0] if len(found) == 1 else merge_parts(found)
