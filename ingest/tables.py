"""Tables, the acronym list and the reference list of a report's plain text, as typed records.

Detection is generic (no row is written in code):

* Captioned tables: a standalone ``Table N: caption`` line outside the contents block. If the
  next non-blank line is tab-separated it is the header and the rows follow (see below). If it is
  not, the table is parsed as an *entry table* (how Table 1 of the MIC report is printed):
  paragraphs starting with a legal-style reference ("Part Two, Article IV, Section 1: <title>")
  followed by the quoted text (on the same line or the next paragraphs), interleaved with group
  labels ("Category N: Name"). Columns are ["Category", "Reference", "Title", "Text"]. The group
  labels are merged cells in the PDF, so the extracted order is ambiguous; the rule is: a label
  applies to the entries after it, and entries before the first label belong to the first label.
* Uncaptioned tab blocks inside a numbered section (the appendix tables "A.1" and "D"): the id is
  the section number without "Appendix ". In a section about acronyms/abbreviations the block
  has no header line and the columns are ["Acronym", "Definition"]; otherwise the first line is
  the header.
* Tab rows: a row is a line with exactly as many tab-separated cells as the header; blank lines
  between rows are allowed; any other line ends the table.
* Footnotes: lines starting ``^{*`` after a table (before the next heading or caption) are the
  table's notes when its header uses ``*`` markers.
* References: entries ``- [n] text`` of the "References" section; continuation lines
  (``- https://...`` after a page break) are joined with a space.

Every ``start``/``end`` is an offset into the given text: ``text[start:end]`` is the source.
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from ingest.structure import SectionLocator, Toc, _Line, _lines, merge_spans, normalize_title
from rag.records import Acronym, ReportReference, Section, Table, TableRow

log = logging.getLogger(__name__)

_CAPTION_RE = re.compile(r"^Table\s+(?P<number>\d+)\s*[:.]\s*(?P<title>\S.*)$")
# "^{*}GDP ..." as converted, or "*GDP ..." once the markup is cleaned (and in a PDF)
_FOOTNOTE_RE = re.compile(r"^(?:\^\{(?P<stars>\*+)(?P<inner>[^}]*)\}|(?P<bare>\*+)(?=\S))\s*(?P<rest>.*)$")
_GROUP_RE = re.compile(r"""^(?P<label>[A-Z][a-z]+\s+\d+)\s*:\s*(?P<name>[^"\u201c]{1,80})$""")
# "Part Two, Article IV, Section 1:", "Part Ten, Article XXXVI, Section 3. Table 13:", "Part Thirteen, Article XLIV, Table 17:"
_ENTRY_RE = re.compile(
    r"^(?P<ref>Part\s+[A-Z][a-z]+(?:,\s*(?:Article|Section|Chapter|Table)\s+[\w]+)+(?:\.\s*Table\s+\d+)?)\s*[:.]\s*(?P<rest>.*)$"
)
# a reference entry: "[12] text" (as a list item "- [12] text" or not), or "12. text"
_REF_ENTRY_RE = re.compile(r"^(?:[-\u2022]\s*)?(?:\[(?P<n>\d+)\]|(?P<dot>\d+)\.(?=\s))\s*(?P<text>.*)$")
_YEAR_RE = re.compile(r"\((?P<year>(?:19|20)\d{2})\)")
_URL_RE = re.compile(r"https?://\S+")
_MONEY_RE = re.compile(r"^\\?\$\s*(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?$")
_INT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")
_FLOAT_RE = re.compile(r"^\d+\.\d+$")
_PERCENT_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*%$")
_MISSING = {"unknown", "n/a", "na", "-", "\u2013", "\u2014", ""}
_ACRONYM_SECTION_RE = re.compile(r"acronym|abbreviation", re.IGNORECASE)
_ACRONYM_HEADER_RE = re.compile(
    r"^(?:acronyms?|abbreviations?|terms?)\t(?:definitions?|meanings?|expansions?|descriptions?|full (?:name|form))$",
    re.IGNORECASE,
)

ENTRY_COLUMNS = ["Category", "Reference", "Title", "Text"]
ACRONYM_COLUMNS = ["Acronym", "Definition"]


@dataclass
class ParsedTables:
    tables: list[Table] = field(default_factory=list)
    references: list[ReportReference] = field(default_factory=list)
    acronyms: list[Acronym] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # ranges the prose chunker skips


# --------------------------------------------------------------------------------------------
# Cell helpers
# --------------------------------------------------------------------------------------------


def dehyphenate(s: str) -> str:
    """Undo PDF line-break hyphenation: "Manu- facturing" -> "Manufacturing", "co- Build" -> "co-Build"."""
    s = re.sub(r"([a-z])- ([a-z])", r"\1\2", s)
    s = re.sub(r"(\w)- (?=[A-Z])", r"\1-", s)
    return s


def clean_column(name: str) -> str:
    """Column header without hyphenation artefacts and footnote stars."""
    s = dehyphenate(name).replace("*", "")
    return re.sub(r"\s+", " ", s).strip()


def type_cell(raw: str) -> Any:
    """Typed value of a cell: int, float (percent as a number: "10%" -> 10.0), money as a number
    ("\\$2,840,447" -> 2840447), None for "Unknown"/"N/A", otherwise the cleaned string."""
    s = raw.strip()
    if s.lower() in _MISSING:
        return None
    if _INT_RE.match(s):
        return int(s.replace(",", ""))
    if _FLOAT_RE.match(s):
        return float(s)
    m = _MONEY_RE.match(s)
    if m:
        num = int(m.group("num").replace(",", ""))
        return num + float(m.group("frac")) if m.group("frac") else num
    m = _PERCENT_RE.match(s)
    if m:
        return float(m.group("num"))
    return re.sub(r"\s+", " ", dehyphenate(s))


def _unique(columns: list[str]) -> list[str]:
    out: list[str] = []
    for i, c in enumerate(columns):
        name = c or f"Column {i + 1}"
        while name in out:
            name = f"{name} ({i + 1})"
        out.append(name)
    return out


# --------------------------------------------------------------------------------------------
# Tab tables
# --------------------------------------------------------------------------------------------


def _tab_block(lines: list[_Line], i: int, width: int) -> list[_Line]:
    """Rows of ``width`` tab cells from lines[i]; blank lines allowed, anything else stops."""
    rows: list[_Line] = []
    for k in range(i, len(lines)):  # indices: slicing the rest of the document per table was quadratic
        ln = lines[k]
        if not ln.text.strip():
            continue
        if "\t" not in ln.text or len(ln.text.split("\t")) != width:
            break
        rows.append(ln)
    return rows


def _tab_table(
    table_id: str,
    doc_id: str,
    caption: str,
    header: list[str] | None,
    rows: list[_Line],
    section: Section | None,
    page: int | None,
    start: int,
) -> Table:
    width = len(rows[0].text.split("\t")) if rows else len(header or [])
    if header is None:
        columns = ACRONYM_COLUMNS if width == 2 else [f"Column {i + 1}" for i in range(width)]
        typed = False  # acronym lists: every cell stays a string ("nm", "IT" ...)
    else:
        columns = _unique([clean_column(c) for c in header])
        typed = True
    out_rows: list[TableRow] = []
    for idx, ln in enumerate(rows, start=1):
        cells_raw = [c.strip() for c in ln.text.split("\t")]
        raw = dict(zip(columns, cells_raw, strict=True))
        cells = {c: (type_cell(v) if typed else v) for c, v in raw.items()}
        out_rows.append(TableRow(table_id, idx, cells, raw, ln.start, ln.end))
    end = rows[-1].end if rows else start
    return Table(
        id=table_id,
        doc_id=doc_id,
        caption=caption,
        columns=columns,
        rows=out_rows,
        section_path=section.path if section else (),
        page=page,
        start=start,
        end=end,
    )


def _first_at(lines: list[_Line], offset: int) -> int:
    """Index of the first line starting at or after ``offset`` (lines are sorted by start)."""
    return bisect.bisect_left(lines, offset, key=lambda ln: ln.start)


def _index_after(lines: list[_Line], last: _Line, lo: int) -> int:
    """Index just after ``last`` in ``lines`` (searched from ``lo`` by bisection, not by a scan)."""
    return bisect.bisect_left(lines, last.start, lo=lo, key=lambda ln: ln.start) + 1


def _footnotes(lines: list[_Line], after: int, limit: int, stop: set[int]) -> list[_Line]:
    """Footnote lines (``^{*...``) between ``after`` and ``limit``, stopping at a caption."""
    out: list[_Line] = []
    for ln in lines[_first_at(lines, after):]:
        if ln.start >= limit:
            break
        if ln.start in stop:
            break
        if _FOOTNOTE_RE.match(ln.text.strip()):
            out.append(ln)
    return out


def _note_text(line: str) -> str:
    """ "^{**2023} expenditure ..." -> "**2023 expenditure ..." (marker kept so it maps to the column)."""
    m = _FOOTNOTE_RE.match(line.strip())
    if not m:
        return line.strip()
    if m.group("bare"):
        return f"{m.group('bare')}{m.group('rest')}".strip()
    sep = " " if m.group("inner") and m.group("rest") else ""
    return f"{m.group('stars')}{m.group('inner')}{sep}{m.group('rest')}".strip()


# --------------------------------------------------------------------------------------------
# Entry tables (Table 1 style)
# --------------------------------------------------------------------------------------------


def _split_ref_rest(rest: str) -> tuple[str, str]:
    """Title and quoted text of an entry's first line remainder."""
    q = re.search(r"[\"\u201c]", rest)
    if q is None:
        return rest.strip(), ""
    title, text = rest[: q.start()].strip(), rest[q.start() :].strip()
    return title.rstrip(":").strip(), text


def _entry_table(
    table_id: str,
    doc_id: str,
    caption: _Line,
    lines: list[_Line],
    limit: int,
    section: Section | None,
    page: int | None,
) -> Table | None:
    """Parse paragraphs after ``caption`` into Category/Reference/Title/Text rows (docstring rule)."""
    body = []
    for ln in lines[_first_at(lines, caption.end + 1):]:
        if ln.start >= limit:
            break
        if ln.text.strip():
            body.append(ln)
    entries: list[dict[str, Any]] = []
    label: str | None = None
    first_label: str | None = None
    for ln in body:
        s = ln.text.strip()
        m_entry = _ENTRY_RE.match(s)
        m_group = _GROUP_RE.match(s)
        if m_entry:
            title, quoted = _split_ref_rest(m_entry.group("rest"))
            ref = re.sub(r"\s+", " ", m_entry.group("ref"))
            if not title and not quoted:
                title = ""
            entries.append(
                {
                    "label": label,
                    "ref": ref,
                    "title": title,
                    "text": [quoted] if quoted else [],
                    "start": ln.start,
                    "end": ln.end,
                }
            )
        elif m_group and not s.endswith("."):
            label = s
            first_label = first_label or s
        elif entries and s[0] in "\"\u201c'":
            entries[-1]["text"].append(s)  # quoted text in its own paragraph
            entries[-1]["end"] = ln.end
        else:
            break  # prose after the table
    if not entries:
        return None
    rows: list[TableRow] = []
    for idx, e in enumerate(entries, start=1):
        raw_label = e["label"] or first_label or ""
        m = _GROUP_RE.match(raw_label)
        category = m.group("name").strip() if m else raw_label
        raw = {"Category": raw_label, "Reference": e["ref"], "Title": e["title"], "Text": " ".join(e["text"])}
        cells: dict[str, Any] = {**raw, "Category": category, "Title": e["title"].rstrip(".").strip()}
        rows.append(TableRow(table_id, idx, cells, raw, e["start"], e["end"]))
    return Table(
        id=table_id,
        doc_id=doc_id,
        caption=caption.text.strip(),
        columns=list(ENTRY_COLUMNS),
        rows=rows,
        section_path=section.path if section else (),
        page=page,
        start=caption.start,
        end=rows[-1].end,
    )


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def _first_sentence(s: str) -> str:
    """Up to the first sentence end; a period after a lone capital ("U.S.", "J.") is no end."""
    s = re.split(r"(?i)\bavailable at\b|https?://", s, maxsplit=1)[0].strip()
    m = re.match(r"""^(.+?(?<![\s.][A-Z])[.?!]["'\u201d\u2019*]*)(?=\s|$)""", s)
    return (m.group(1) if m else s).strip().rstrip(":").strip()


_NAME = r"[A-Z][\w'\-]+(?: [A-Z][\w'\-]+)* [A-Z]{1,3}"  # "Belton KB", "Van Pay LM"
_AUTHOR_NAMES_RE = re.compile(rf"^{_NAME}(?:, {_NAME})*$")


def _venue_after(rest: str) -> str | None:
    """A short sentence before "Available at" / the URL / the end: where the work appeared."""
    head = re.split(r"(?i)\bavailable at\b|https?://", rest, maxsplit=1)[0].strip()
    if not head:
        return None
    venue = _first_sentence(head).strip(" .()*")
    return venue if venue and len(venue.split()) <= 8 else None


def parse_reference(number: int, text: str, start: int, end: int, doc_id: str = "") -> ReportReference:
    """Authors = text before "(YYYY)", year, title = the sentence after the year, venue = the short
    sentence after the title (an italic run when the text still has its markup). When only a venue
    follows the year ("*Nature*", "(OECD)", "The World Bank. Available at ...") the title is the text
    before the year (entries printed "Title (YYYY) Venue"). url = first http(s) URL, cut at the first
    space (URLs broken by the PDF extraction stay truncated: nothing is guessed)."""
    m_url = _URL_RE.search(text)
    url = m_url.group(0).rstrip(".,;)") if m_url else None
    m = _YEAR_RE.search(text)
    venue: str | None = None
    if m:
        authors = text[: m.start()].strip()
        year: str | None = m.group("year")
        after = text[m.end() :].strip()
        italic = re.match(r"\*([^*]+)\*", after)
        # a short italic run right after the year is a venue ("*Nature*"); a long one is the title
        is_venue = bool(italic and len(italic.group(1).split()) <= 5) or after.startswith("(")
        # without markup: a short sentence after the year, when what precedes the year is no author list
        if not italic and not is_venue and not _AUTHOR_NAMES_RE.match(authors):
            short = _venue_after(after)
            is_venue = bool(short) and len(short.split()) <= 5 and _first_sentence(after).strip(" .*") == short
        venue_only = not after or is_venue or re.match(r"(?i)(available at|https?://)", after)
        title = authors if venue_only else _first_sentence(after)
        title = title or authors
        if venue_only:
            venue = _venue_after(after)
        else:
            rest = after[after.find(title) + len(title):] if title in after else ""
            venue = _venue_after(rest)
    else:
        authors, year = "", None
        title = _first_sentence(text)
    italics = re.findall(r"\*([^*]+)\*", text)
    if italics:
        venue = " ".join(i.strip(" .") for i in italics if i.strip(" .") != title.replace("*", "").strip(" ."))
        venue = venue or None
    title = title.replace("*", "").strip()
    return ReportReference(
        number=number, text=text, authors=authors, year=year, title=title, url=url, start=start, end=end,
        doc_id=doc_id,
        venue=venue,
    )


def _references(text: str, sections: list[Section]) -> list[ReportReference]:
    secs = [s for s in sections if s.number is None and normalize_title(s.title) in ("references", "bibliography")]
    out: list[ReportReference] = []
    for sec in secs:
        current: list[Any] | None = None  # [number, [text parts], start, end]
        for ln in _lines(text, sec.start, sec.end)[1:]:
            s = ln.text.strip()
            if not s:
                continue
            m = _REF_ENTRY_RE.match(s)
            if m and m.group("dot") and int(m.group("dot")) != (current[0] + 1 if current else 1):
                m = None  # "2024. ..." inside an entry is not a new "n." entry; numbers run 1, 2, 3 ...
            if m:
                if current:
                    out.append(parse_reference(current[0], " ".join(current[1]), current[2], current[3], sec.doc_id))
                current = [int(m.group("n") or m.group("dot")), [m.group("text").strip()], ln.start, ln.end]
            elif current is not None:
                current[1].append(re.sub(r"^-\s*", "", s))  # continuation after a page break
                current[3] = ln.end
        if current:
            out.append(parse_reference(current[0], " ".join(current[1]), current[2], current[3], sec.doc_id))
    return out


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def extract_tables(doc_id: str, text: str, sections: list[Section], toc: Toc | None) -> ParsedTables:
    """Tables, references and acronyms of ``text`` (see the module docstring for the rules)."""
    lines = _lines(text)
    in_toc = (lambda off: toc.start <= off < toc.end) if toc else (lambda off: False)
    section_starts = {s.start for s in sections}
    captions = [
        (i, ln)
        for i, ln in enumerate(lines)
        if "\t" not in ln.text and _CAPTION_RE.match(ln.text.strip()) and not in_toc(ln.start)
    ]
    caption_starts = {ln.start for _, ln in captions}
    sorted_captions = sorted(caption_starts)
    locate = SectionLocator(sections)
    result = ParsedTables()
    spans: list[tuple[int, int]] = []
    consumed: set[int] = set()  # line starts already part of a table

    for i, cap in captions:
        m = _CAPTION_RE.match(cap.text.strip())
        assert m is not None
        number = m.group("number")
        table_id = f"table-{number}"
        sec = locate.at(cap.start)
        limit = sec.end if sec else len(text)
        after = bisect.bisect_right(sorted_captions, cap.start)
        nxt_caption = sorted_captions[after] if after < len(sorted_captions) else limit
        limit = min(limit, nxt_caption)
        entry = toc.find("table", number=number) if toc else None
        page = entry.page if entry else None
        j = next((k for k in range(i + 1, len(lines)) if lines[k].text.strip()), None)
        table: Table | None = None
        if j is not None and lines[j].start < limit and "\t" in lines[j].text:
            header = lines[j].text.split("\t")
            rows = [r for r in _tab_block(lines, j + 1, len(header)) if r.start < limit]
            table = _tab_table(table_id, doc_id, cap.text.strip(), header, rows, sec, page, cap.start)
            consumed.update(ln.start for ln in [lines[j], *rows])
            if "*" in lines[j].text:
                notes = _footnotes(lines, table.end, limit, caption_starts)
                # kept in the text flow too (not a hole), so the notes are searchable and citable as prose
                table.notes = [_note_text(n.text) for n in notes]
        else:
            table = _entry_table(table_id, doc_id, cap, lines, limit, sec, page)
        if table is None or not table.rows:
            log.warning("caption %r has no parsable rows", cap.text.strip())
            continue
        result.tables.append(table)
        spans.append((table.start, table.end))

    # Uncaptioned tab blocks inside sections (appendix tables, acronym lists).
    for sec in sections:
        acronym_section = bool(_ACRONYM_SECTION_RE.search(sec.title))
        if (sec.number is None and not acronym_section) or in_toc(sec.start):
            continue
        sec_lines = []
        for ln in lines[_first_at(lines, sec.start):]:  # this section's lines only, not a scan per section
            if ln.start >= sec.end:
                break
            if ln.start not in section_starts:
                sec_lines.append(ln)
        k = 0
        block_no = 0
        while k < len(sec_lines):
            ln = sec_lines[k]
            if "\t" not in ln.text or ln.start in consumed:
                k += 1
                continue
            width = len(ln.text.split("\t"))
            headerless = acronym_section
            block = _tab_block(sec_lines, k, width)
            header = None if headerless else ln.text.split("\t")
            rows = block if headerless else block[1:]
            if headerless and rows and _ACRONYM_HEADER_RE.match(rows[0].text.strip()):
                rows = rows[1:]  # an "Acronym | Definition" heading row printed above the list
            block_no += 1
            base = sec.number.replace("Appendix ", "") if sec.number else normalize_title(sec.title)
            table_id = base if block_no == 1 else f"{base}-{block_no}"
            table = _tab_table(table_id, doc_id, sec.title, header, rows, sec, sec.page, ln.start)
            consumed.update(b.start for b in block)
            k = _index_after(sec_lines, block[-1], k) if block else k + 1
            if not table.rows:
                continue
            result.tables.append(table)
            spans.append((table.start, table.end))
            if headerless and table.columns == ACRONYM_COLUMNS:
                result.acronyms.extend(Acronym(r.cells["Acronym"], r.cells["Definition"], doc_id) for r in table.rows)

    result.references = _references(text, sections)
    spans.extend((r.start, r.end) for r in result.references)
    result.tables.sort(key=lambda t: t.start)
    result.spans = merge_spans(spans)
    log.info(
        "extracted %d tables, %d references, %d acronyms",
        len(result.tables),
        len(result.references),
        len(result.acronyms),
    )
    return result


__all__ = ["ParsedTables", "extract_tables", "type_cell", "clean_column", "parse_reference"]
