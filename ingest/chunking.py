"""Section-aware chunks: prose packed on sentence boundaries (never across sections), one chunk
per table row, one per whole table, one per reference entry, acronym and figure caption.

Prose chunk text is exactly ``doc_text[start:end]`` so citations quote the source verbatim.
Row chunks name their columns in words ("Year: 2022; City: Ningbo"), which both the embedder and
BM25 can match, and keep the raw row for display. ``embed_text`` prefixes the section path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ingest.structure import FigureCaption, Toc
from ingest.tables import ACRONYM_COLUMNS
from rag.records import Acronym, Chunk, Document, ReportReference, Section, Table, TableRow
from rag.text import paragraph_spans, sentence_spans


def chunk_id(doc_id: str, kind: str, start: int, text: str) -> str:
    return hashlib.sha256(f"{doc_id}\x00{kind}\x00{start}\x00{text}".encode()).hexdigest()[:16]


def _subtract(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) minus the holes, as ordered spans."""
    spans = [(start, end)]
    for ha, hb in holes:
        nxt: list[tuple[int, int]] = []
        for a, b in spans:
            if hb <= a or ha >= b:
                nxt.append((a, b))
                continue
            if a < ha:
                nxt.append((a, ha))
            if hb < b:
                nxt.append((hb, b))
        spans = nxt
    return [(a, b) for a, b in spans if b > a]


def _make(
    doc: Document, section: Section | None, kind: str, start: int, end: int, text: str, page: int | None, **extra
) -> Chunk:
    path = section.path if section else ()
    prefix = " > ".join(path)
    return Chunk(
        id=chunk_id(doc.id, kind, start, text),
        doc_id=doc.id,
        doc_title=doc.title,
        section_number=section.number if section else None,
        section_path=tuple(path),
        page=page,
        start=start,
        end=end,
        kind=kind,
        text=text,
        embed_text=f"{prefix}\n{text}" if prefix else text,
        **extra,
    )


def section_at(sections: list[Section], offset: int) -> Section | None:
    for s in sections:
        if s.start <= offset < s.end:
            return s
    return sections[-1] if sections and offset >= sections[-1].start else None


def prose_chunks(
    doc: Document, text: str, sections: list[Section], holes: list[tuple[int, int]], max_chars: int,
    page_of_offset=None,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for sec in sections:
        body_start = sec.start
        first_line_end = text.find("\n", sec.start, sec.end)
        if sec.number is not None or sec.title:
            # the heading line itself is carried by the section path, not indexed as prose
            heading_end = first_line_end if first_line_end != -1 else sec.end
            if text[sec.start:heading_end].strip() == sec.title.strip():
                body_start = heading_end
        for a, b in _subtract(body_start, sec.end, holes):
            units: list[tuple[int, int]] = []
            for pa, pb in paragraph_spans(text, a, b):
                units.extend(sentence_spans(text, pa, pb))
            chunks.extend(_pack(doc, text, sec, units, max_chars, page_of_offset))
    return chunks


def _introduces(unit: str) -> bool:
    u = unit.rstrip()
    return u.endswith(":") or (len(u) <= 100 and u[-1:] not in ".!?\"”')]" and "\n" not in u)


def _pack(doc, text, sec, units, max_chars, page_of_offset) -> Iterable[Chunk]:
    cur: list[tuple[int, int]] = []

    def flush() -> Chunk | None:
        if not cur:
            return None
        a, b = cur[0][0], cur[-1][1]
        body = text[a:b]
        if len(body.strip()) < 3:
            return None
        page = page_of_offset(a) if page_of_offset else sec.page
        return _make(doc, sec, "prose", a, b, body, page)

    for ua, ub in units:
        if cur and (ub - cur[0][0]) > max_chars:
            # a sentence that introduces what follows ("... makes a similar observation:") or a title line
            # goes with what it introduces, so a quotation keeps its attribution
            carry = cur[-1:] if len(cur) > 1 and _introduces(text[cur[-1][0]:cur[-1][1]]) else []
            if carry:
                cur = cur[:-1]
            c = flush()
            if c:
                yield c
            cur = list(carry)
        cur.append((ua, ub))
    c = flush()
    if c:
        yield c


def row_text(table: Table, row: TableRow) -> str:
    cells = "; ".join(f"{col}: {row.raw_cells.get(col, '')}" for col in table.columns if row.raw_cells.get(col))
    label = table.caption or table.id
    return f"{label}, row {row.index}: {cells}."


def table_chunks(
    doc: Document, text: str, tables: list[Table], sections: list[Section], page_of_offset=None
) -> list[Chunk]:
    out: list[Chunk] = []
    for t in tables:
        sec = section_at(sections, t.start)
        page = page_of_offset(t.start) if page_of_offset else t.page
        whole = text[t.start:t.end]
        out.append(_make(doc, sec, "table", t.start, t.end, whole, page, table_id=t.id, raw=whole))
        kind = "acronym" if t.columns == ACRONYM_COLUMNS else "table_row"
        for r in t.rows:
            body = row_text(t, r)
            rpage = page_of_offset(r.start) if page_of_offset else t.page
            out.append(
                _make(doc, sec, kind, r.start, r.end, body, rpage, table_id=t.id, row_index=r.index,
                      raw=text[r.start:r.end])
            )
    return out


def reference_chunks(
    doc: Document, text: str, refs: list[ReportReference], sections: list[Section], page_of_offset=None
) -> list[Chunk]:
    out: list[Chunk] = []
    for r in refs:
        sec = section_at(sections, r.start)
        body = text[r.start:r.end]
        page = page_of_offset(r.start) if page_of_offset else (sec.page if sec else None)
        out.append(_make(doc, sec, "reference", r.start, r.end, body, page, row_index=r.number))
    return out


def figure_chunks(
    doc: Document, text: str, figures: list[FigureCaption], sections: list[Section], page_of_offset=None
) -> list[Chunk]:
    out: list[Chunk] = []
    for f in figures:
        sec = section_at(sections, f.start)
        page = page_of_offset(f.start) if page_of_offset else f.page
        out.append(_make(doc, sec, "figure_caption", f.start, f.end, text[f.start:f.end], page))
    return out


def chunk_document(
    doc: Document,
    text: str,
    sections: list[Section],
    toc: Toc | None,
    tables: list[Table],
    references: list[ReportReference],
    acronyms: list[Acronym],
    figures: list[FigureCaption],
    table_spans: list[tuple[int, int]],
    max_chars: int,
    page_of_offset=None,
) -> list[Chunk]:
    holes = list(table_spans) + [(f.start, f.end) for f in figures]
    if toc is not None:
        holes.append((toc.start, toc.end))
    holes.sort()
    chunks = prose_chunks(doc, text, sections, holes, max_chars, page_of_offset)
    chunks += table_chunks(doc, text, tables, sections, page_of_offset)
    chunks += reference_chunks(doc, text, references, sections, page_of_offset)
    chunks += figure_chunks(doc, text, figures, sections, page_of_offset)
    # Identical text at the same place would collide; keep the first (ids are content hashes).
    seen: set[str] = set()
    unique: list[Chunk] = []
    for c in sorted(chunks, key=lambda c: (c.start, c.kind)):
        if c.id not in seen:
            seen.add(c.id)
            unique.append(c)
    return unique
