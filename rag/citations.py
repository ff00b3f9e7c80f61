"""Citation records, checked in code.

A citation's quote must be an exact substring of the cited chunk's text; one that is not is
dropped and never shown. Report markers inside a quote (``[24, 25]``, ``[45–47]``) are resolved
against the report's own reference list and attached to the citation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from rag.records import Chunk, Citation, ReportReference, Segment, Table

log = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\]")


def report_marker_numbers(text: str) -> list[int]:
    nums: list[int] = []
    for m in _MARKER.finditer(text):
        for part in re.split(r"\s*,\s*", m.group(1)):
            rng = re.split(r"\s*[–-]\s*", part)
            if len(rng) == 2 and rng[0].isdigit() and rng[1].isdigit():
                a, b = int(rng[0]), int(rng[1])
                if 0 < b - a < 50:
                    nums.extend(range(a, b + 1))
                    continue
            if part.strip().isdigit():
                nums.append(int(part.strip()))
    return list(dict.fromkeys(nums))  # first occurrence of each, in order


def strip_report_markers(text: str) -> str:
    """The sentence as shown in an answer: report markers move to the citation's reference list."""
    out = _MARKER.sub("", text)
    out = re.sub(r"\s+([.,;:])", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def make_citation(
    n: int, chunk: Chunk, quote: str, references: Mapping[tuple[str, int], ReportReference], supported: bool = True
) -> Citation | None:
    """``references`` are keyed by (document id, number): a marker resolves in the chunk's own document."""
    if not quote or quote not in chunk.text:
        log.warning("dropping citation %s: quote is not verbatim in chunk %s", n, chunk.id)
        return None
    refs: list[ReportReference] = []
    if chunk.kind != "reference":  # a reference entry cites nothing itself
        refs = [references[(chunk.doc_id, k)] for k in report_marker_numbers(quote) if (chunk.doc_id, k) in references]
    return Citation(
        n=n,
        chunk_id=chunk.id,
        doc=chunk.doc_title,
        section=chunk.section,
        page=chunk.page,
        quote=quote,
        references=refs,
        supported=supported,
        doc_id=chunk.doc_id,
        doc_short=chunk.doc_short,
    )


def verify(citations: list[Citation], chunks: Mapping[str, Chunk]) -> list[Citation]:
    """Keep only citations whose quote is verbatim in the chunk they name."""
    ok = []
    for c in citations:
        ch = chunks.get(c.chunk_id)
        if ch is not None and c.quote and c.quote in ch.text:
            ok.append(c)
        else:
            log.warning("citation %s failed the verbatim check and is not shown", c.n)
    return ok


def mark_table_cells(segments: list[Segment], question: str, citations: list[Citation], chunks: Mapping[str, Chunk],
                     tables: Mapping[str, Table]) -> None:
    """Fill ``Citation.cells`` for table-row citations: the row's cells whose value the answer states in
    the words before its marker (the text of the segment the marker ends), or that the question names (a
    filter such as a year or a city).

    Cheap and exact-match only (whole words, case-blind); a citation with no match keeps an empty list.
    """
    clause_of: dict[int, str] = {}
    for seg in segments:
        if seg.n is not None:
            clause_of.setdefault(seg.n, seg.text)  # a citation drawn twice: the words before its first marker
    for c in citations:
        chunk = chunks.get(c.chunk_id)
        if chunk is None or chunk.kind != "table_row" or chunk.table_id is None:
            continue
        table = tables.get(f"{chunk.doc_id}:{chunk.table_id}") or tables.get(chunk.table_id)
        row = next((r for r in table.rows if r.index == chunk.row_index), None) if table else None
        if row is None:
            continue
        said = clause_of.get(c.n, "") + "\n" + question
        c.cells = [col for col, raw in row.raw_cells.items()
                   if raw and raw.strip() and re.search(rf"(?<!\w){re.escape(raw.strip())}(?!\w)", said, re.I)]
