"""A table the question names, summarised: its caption, how many rows, and what the rows are.

"Summarize Table 1", "what is in table A.1?", "what does table 2 show?": the answer is built from the
parsed table (caption, row and column counts, the column that groups the rows, else the rows' names)
and cites the whole table once. It declines a question that names no table, and a lookup that asks
for a value in it ("in Table 2, what is Germany's share"), which the table answerer takes first.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rag.answerers.base import AnswerJob
from rag.citations import make_citation, strip_report_markers
from rag.records import Segment, Table
from rag.settings import AnswerSettings
from rag.table_names import find_table, table_label
from rag.text import tokens
from rag.vocab import TABLE_REF, TABLE_WHOLE_WORDS

if TYPE_CHECKING:
    from rag.answer import Drafted, GroundedAnswerer

_TABLE_WORDS = set(tokens(" ".join(TABLE_WHOLE_WORDS)))


class TableSummaryAnswerer:
    name = "table_summary"

    def __init__(self, grounded: GroundedAnswerer, index=None, engine=None,
                 answer_settings: AnswerSettings | None = None, **_: object) -> None:
        self.g = grounded
        self.index = index
        self.engine = engine
        self.s = answer_settings or AnswerSettings()

    def answer(self, job: AnswerJob) -> Drafted | None:
        from rag.answer import Drafted

        m = TABLE_REF.search(job.query.text)
        if m is None or self.index is None or self.engine is None or not _about_whole_table(job.query):
            return None
        docs = list(dict.fromkeys([sc.chunk.doc_id for sc in job.contexts] + [t.doc_id for t in self.index.table_list]))
        table = next((t for d in docs if (t := find_table(self.index.table_list, m.group(1), d)) is not None), None)
        whole = self.g.table_chunks.get((table.doc_id, table.id)) if table is not None else None
        if table is None or whole is None or not table.rows:
            return None
        caption = whole.text.split("\n", 1)[0].strip()
        cit = make_citation(1, whole, caption, self.g.references)
        if cit is None:
            return None
        label = table_label(table)
        title = strip_report_markers(table.caption or "").removeprefix(label).strip(" .:")
        cols = ", ".join(table.columns[:self.s.table_summary_columns])
        if len(table.columns) > self.s.table_summary_columns:
            cols += f" and {len(table.columns) - self.s.table_summary_columns} more"
        parts = [f"{label}{f' ({title})' if title else ''} has {len(table.rows)} rows"
                 + (f" and {len(table.columns)} columns ({cols})" if table.columns else "") + "."]
        col, groups = _grouping(table, self.s.table_summary_groups)
        if col is not None:
            parts.append(f"By {col}: " + "; ".join(f"{v} ({n})" for v, n in groups) + ".")
        names = self.engine.tables_for(table.doc_id).row_names(table, table.rows)
        if names and col is None:
            shown = names[:self.s.table_summary_rows]
            more = f", and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
            parts.append(f"Its rows: {'; '.join(shown)}{more}.")
        return Drafted([Segment(" ".join(parts).rstrip(".") + " ", cit.n), Segment(".")], caption, [cit], False, [])


def _about_whole_table(query) -> bool:
    """The question asks about the table itself ("what does table 2 show"), not a value in it."""
    if query.intent == "summary":
        return True
    rest = [t for t in query.topic_terms if t not in _TABLE_WORDS and not TABLE_REF.fullmatch(f"table {t}")]
    return not rest


def _grouping(table: Table, max_groups: int) -> tuple[str | None, list[tuple[str, int]]]:
    """The column that sorts the rows into a few groups (fewest distinct values, at least two), with its counts."""
    best: tuple[str | None, list[tuple[str, int]]] = (None, [])
    n = len(table.rows)
    for col in table.columns:
        vals = [str(r.raw_cells.get(col) or "").strip() for r in table.rows]
        if not all(vals) or any(len(v) > 60 for v in vals):
            continue  # free text or gaps: not a grouping
        counts = Counter(vals)
        if 2 <= len(counts) <= min(max_groups, n // 2) and (best[0] is None or len(counts) < len(best[1])):
            numeric = all(v.replace(".", "", 1).isdigit() for v in counts)
            # years and other numbers read in their order, names by how many rows they hold
            order = sorted(counts.items(), key=(lambda kv: float(kv[0])) if numeric else (lambda kv: (-kv[1], kv[0])))
            best = (col, order)
    return best
