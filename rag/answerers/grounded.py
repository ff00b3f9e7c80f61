"""The lookup answerers over the grounded answerer's machinery (rag/answer.py).

- ``SourceAnswerer``: a numbered reference of the report ("what is reference [20]") or its front
  matter (authors, publication date, contact, DOI);
- ``TableAnswerer``: an exact computation over a parsed table, when the table accounts for the
  question (it never answers a why / how question with a cell);
- ``FactAnswerer``: the fewest report sentences that answer a lookup, checked by the grounding rules,
  or the refusal. It is the last stop of every route, so a question always gets an answer or a refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answerers.base import AnswerJob

if TYPE_CHECKING:
    from rag.answer import Drafted, GroundedAnswerer


class SourceAnswerer:
    name = "source"

    def __init__(self, grounded: GroundedAnswerer, **_: object) -> None:
        self.grounded = grounded

    def answer(self, job: AnswerJob) -> Drafted | None:
        q = job.query.text
        return self.grounded._reference_answer(q, job.contexts) or self.grounded._front_answer(q, job.contexts)


class _RowsAnswerer:
    """An answerer over the grounded answerer that may cite table rows."""

    def __init__(self, grounded: GroundedAnswerer, row_chunk=None, **_: object) -> None:
        self.grounded = grounded
        self.row_chunk = row_chunk


class TableAnswerer(_RowsAnswerer):
    name = "table"

    def answer(self, job: AnswerJob) -> Drafted | None:
        t = job.table
        if t is None or self.row_chunk is None or not t.rows:
            return None
        scored = self.grounded.score_units(job.query.text, job.contexts, job.query_vec) if job.contexts else []
        if self.grounded._text_explains_more(job.query.text, t, scored, job.contexts):
            return None
        drafted = self.grounded._table_answer(t, self.row_chunk)
        other = self.grounded.text_tells_another_date(job.query.text, t, scored, job.contexts) if drafted else None
        if drafted is not None and other is not None:
            from rag.route import merge_parts

            drafted = merge_parts([drafted, other])
        return drafted


class FactAnswerer(_RowsAnswerer):
    name = "fact"

    def answer(self, job: AnswerJob) -> Drafted | None:
        # the table had its turn on the route (or was not on it: an open question never gets a bare cell)
        table = job.table if "table" not in job.tried and not job.query.synthesis else None
        kw = {"max_chars": job.max_chars} if job.max_chars else {}
        return self.grounded.answer(job.query.text, job.contexts, table, self.row_chunk, query_vec=job.query_vec, **kw)
