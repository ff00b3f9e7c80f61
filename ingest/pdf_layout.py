"""A PDF read with its layout: the same normalised text and headings as any other loader produces.

pdfplumber (MIT, on pdfminer.six) gives every word with its position, size and font, and finds ruled
tables; pypdf gives the outline (bookmarks) and page labels. From those:

* **Page furniture** (running headers, footers, page numbers) is a line in the top or bottom margin
  band whose text, digits aside, repeats on several pages, or that is only a page number ("7",
  "Page 7", "7 of 20", "vii"). It is dropped from the text.
* **Printed pages** come from the PDF's page labels when the file has them, else from a page-number
  line in the margin band; a page with neither has no printed page (None), never a guessed one.
* **Headings** come from the outline when there is one (each entry found on its page by its title);
  otherwise from type: lines set larger than the body text, or wholly bold short lines, with the level
  from the number ("3.2.1." is level 3) or from the size rank.
* **Tables** (``ingest.pdf_tables``): ruled grids, tables with horizontal rules only, and unruled aligned
  text; a row that wraps over several lines stays one row. A table continued on the next page is one
  table, its repeated header dropped.
* **Columns** (``ingest.pdf_columns``): a page set in two columns is read left column, then right
  column (full-width titles and spanning tables in place between them); a paragraph whose last line
  fills the left column runs on at the head of the right one.
* **Paragraphs** are separated by a vertical gap larger than the page's usual line spacing; a line
  starting with a bullet or a ``[n]`` marker starts a new block (list items, reference entries).

The text follows the layout every loader emits (see ``ingest/document.py``): blocks separated by a
blank line, a table row per line with cells separated by tabs, list items starting with "- ".
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.document import Heading
from ingest.pdf_columns import Columns, column_of, find_gutter, page_lines, set_bands
from ingest.pdf_tables import PdfTable, aligned_tables, rule_tables, ruled_tables
from ingest.pdf_words import Line, page_words
from rag.records import Page

log = logging.getLogger(__name__)

MARGIN_BAND = 0.09  # share of the page height at top and bottom where furniture sits
_PAGE_NO_RE = re.compile(r"^(?:page\s+)?(?P<n>\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?$|^[-\u2013\u2014]\s*(?P<m>\d{1,4})\s*[-\u2013\u2014]$", re.I)
_ROMAN_RE = re.compile(r"^(?:page\s+)?[ivxlc]{1,6}$", re.I)
# bullet glyphs (the last two are the Symbol/Wingdings private-use bullets office suites write)
_BULLETS = {"\u2022": "- ", "\u25cf": "- ", "\u25aa": " - ", "\u25e6": " - ", "\u2023": "- ", "\u2013": "- ",
            "-": "- ", "o": " - ", "\uf0b7": "- ", "\uf0a7": " - "}
_REF_START_RE = re.compile(r"^\[\d+\]\s")
_NUMBERED_RE = re.compile(r"^(?:Appendix\s+[A-Z]|[A-Z](?:\.\d+)+|\d+(?:\.\d+)*)\.?\s")
_NUMBER_ONLY_RE = re.compile(r"^(?:appendix\s+[a-z]|[a-z](?:\.\d+)+|\d+(?:\.\d+)*)\.?$")  # on lowercased text
_URL_RE = re.compile(r"^(?:https?://|www\.)\S+$")


@dataclass
class _Block:
    kind: str  # para | heading | table
    page: int
    lines: list[str] = field(default_factory=list)
    level: int = 0
    open_end: bool = False  # a paragraph that may continue on the next page


@dataclass
class PdfLayout:
    text: str
    pages: list[Page]
    headings: list[Heading]
    title: str | None


def read_pdf(data: bytes, doc_id: str, password: str = "") -> PdfLayout:
    """Text, pages (with printed numbers) and headings of a PDF (see the module docstring)."""
    import pdfplumber
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt(password)
    labels = _page_labels(reader)
    outline = _outline(reader)
    title = None
    try:
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "").strip() or None
    except Exception:  # a broken info dict must not fail the load
        title = None

    with pdfplumber.open(io.BytesIO(data), password=password) as pdf:
        all_lines: list[list[Line]] = []
        page_tables: list[list[PdfTable]] = []
        heights: list[float] = []
        for i, page in enumerate(pdf.pages):
            words = page_words(page)
            tables = ruled_tables(page, i) or rule_tables(page, i, words)
            # a table takes the words inside its box only (beside it may be another column's text)
            inside = [w for w in words if not any(t.top - 1 <= (w.top + w.bottom) / 2 <= t.bottom + 1
                                                  and t.x0 - 2 <= (w.x0 + w.x1) / 2 <= t.x1 + 2 for t in tables)]
            cols = find_gutter(inside, i, tables)
            lines = page_lines(inside, i, cols)
            set_bands(lines, tables, cols)
            _mark_drawn_bullets(page, lines, cols)
            all_lines.append(lines)
            page_tables.append(tables)
            heights.append(float(page.height))

    furniture, printed = _furniture(all_lines, heights)
    if labels is not None:
        printed = [_label_number(lb) for lb in labels]
    # in reading order: a two-column page's left column, then its right one (a single column: by top)
    body = [sorted((ln for ln in lines if id(ln) not in furniture), key=_reading_key) for lines in all_lines]
    for p, lines in enumerate(body):
        aligned, used = aligned_tables(lines, p)
        if aligned:
            page_tables[p] = sorted(page_tables[p] + aligned, key=_reading_key)
            body[p] = [ln for ln in lines if id(ln) not in used]
    heading_lines = _outline_headings(body, outline) if outline else {}
    if len(heading_lines) < len(outline) / 2 or not heading_lines:
        # no outline, or one that does not match the pages' text: headings from the type instead
        heading_lines = _type_headings(body)
    blocks = _blocks(body, page_tables, heading_lines)
    return _assemble(blocks, printed, doc_id, title)


# --------------------------------------------------------------------------------------------
# pypdf: labels and outline
# --------------------------------------------------------------------------------------------


def _page_labels(reader) -> list[str] | None:
    """Labels only when the file defines them (pypdf otherwise numbers pages 1, 2, ... itself)."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return None
        return list(reader.page_labels)
    except Exception:  # a damaged label tree: fall back to the footers
        return None


def _label_number(label: str) -> int | None:
    return int(label) if label.isdigit() else None


def _outline(reader) -> list[tuple[str, int, int]]:
    """(title, page index, level 1..) of every outline entry, in order."""
    out: list[tuple[str, int, int]] = []

    def walk(items, level: int) -> None:
        for it in items:
            if isinstance(it, list):
                walk(it, level + 1)
                continue
            try:
                idx = reader.get_destination_page_number(it)
            except Exception:  # an entry pointing nowhere is skipped
                continue
            if idx is None or idx < 0:
                continue
            out.append((str(it.title).strip(), idx, level))

    try:
        walk(reader.outline, 1)
    except Exception:  # a damaged outline: headings come from the type instead
        return []
    return [o for o in out if o[0]]


# --------------------------------------------------------------------------------------------
# Words, lines, tables
# --------------------------------------------------------------------------------------------


def _mark_drawn_bullets(page, lines: list[Line], cols: Columns | None) -> None:
    """List items: a line whose first word is a bullet character, or one with a bullet drawn as a shape
    (Chromium's list discs: a small disc or square just left of its first word); the depth is the rank
    of the bullet's x among the bullets of the page's column."""
    # on a two-column page, x is measured from the left edge of the bullet's column (where most lines start)
    starts: dict[int, Counter[int]] = {}
    for ln in lines:
        starts.setdefault(ln.column, Counter())[round(ln.x0)] += 1
    left = {c: float(n.most_common(1)[0][0]) for c, n in starts.items()}

    def indent(x: float) -> int:
        side = column_of(x, x, cols)
        return round(x - left.get(side, 0.0)) if side else round(x)

    glyphs = [ln for ln in lines if len(ln.words) > 1 and ln.words[0].text in _BULLETS and ln.words[0].text not in "-o"]
    xs = sorted({indent(ln.words[0].x0) for ln in glyphs})
    for ln in glyphs:  # a bullet character: same depth rule, the glyph itself left out of the text
        ln.bullet = min(1, xs.index(indent(ln.words[0].x0)))
        ln.text = ln.text[len(ln.words[0].text):].lstrip()
    marks = [o for o in (*page.curves, *page.rects) if 0.5 < o["width"] <= 8 and 0.5 < o["height"] <= 8]
    if not marks:
        return
    columns = sorted({indent(float(o["x0"])) for o in marks})
    for ln in lines:
        for o in marks:
            mid = (float(o["top"]) + float(o["bottom"])) / 2
            if 0 <= ln.x0 - float(o["x1"]) < 15 and ln.top - 1 <= mid <= ln.bottom + 1:
                ln.bullet = min(1, columns.index(indent(float(o["x0"]))))
                break


# --------------------------------------------------------------------------------------------
# Furniture and page numbers
# --------------------------------------------------------------------------------------------


def _furniture(page_lines: list[list[Line]], heights: list[float]) -> tuple[set[int], list[int | None]]:
    """ids of furniture lines, and the printed page number of each page (None when none is printed)."""
    def key(ln: Line) -> str:
        return re.sub(r"\d+", "#", ln.text.lower()).strip()

    def in_band(ln: Line, h: float) -> bool:
        return ln.bottom < h * MARGIN_BAND + 12 or ln.top > h * (1 - MARGIN_BAND) - 12

    counts: Counter[str] = Counter()
    for lines, h in zip(page_lines, heights, strict=True):
        counts.update({key(ln) for ln in lines if in_band(ln, h)})
    repeat = max(2, len(page_lines) // 3)
    furniture: set[int] = set()
    printed: list[int | None] = []
    for lines, h in zip(page_lines, heights, strict=True):
        number: int | None = None
        band = [ln for ln in lines if in_band(ln, h)]
        # only the outermost lines of each band can be furniture
        edge = band[:2] + band[-2:] if len(band) > 4 else band
        for ln in edge:
            m = _PAGE_NO_RE.match(ln.text.strip())
            if m or _ROMAN_RE.match(ln.text.strip()):
                furniture.add(id(ln))
                if m and number is None:
                    number = int(m.group("n") or m.group("m"))
            elif counts[key(ln)] >= repeat and len(page_lines) > 1:
                furniture.add(id(ln))
                if number is None:
                    number = _number_in_furniture(ln.text)
        printed.append(number)
    return furniture, printed


def _number_in_furniture(text: str) -> int | None:
    """The page number inside a running line ("NIST AMS 600-17<TAB>3", "4 | Report title", "Page 3"):
    a part that is only a page number, else the one bare number among its words; None if unclear."""
    parts = [p.strip() for p in re.split(r"\t|\s{2,}|\s[|\u00b7\u2022\u2013\u2014-]\s", text) if p.strip()]
    for part in parts:
        m = _PAGE_NO_RE.match(part)
        if m:
            return int(m.group("n") or m.group("m"))
    bare = [w for w in text.split() if w.isdigit() and len(w) <= 4]
    return int(bare[0]) if len(bare) == 1 else None


# --------------------------------------------------------------------------------------------
# Headings
# --------------------------------------------------------------------------------------------


def _norm(s: str) -> str:
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", s).strip().lower()


def _bare(s: str) -> str:
    return s.replace(" ", "")


def _outline_headings(body: list[list[Line]], outline: list[tuple[str, int, int]]) -> dict[int, tuple[int, int]]:
    """{id of first line: (level, number of lines)} for each outline entry found on its page."""
    found: dict[int, tuple[int, int]] = {}
    used: set[int] = set()
    for title, idx, level in outline:
        if idx >= len(body):
            continue
        want = _norm(title)
        lines = body[idx]
        for k, ln in enumerate(lines):
            if id(ln) in used:
                continue
            got = _norm(ln.text.replace("\t", " "))
            n = 1
            # compared without spaces: an outline may glue the words a wrapped heading breaks between
            # ("the" / "Manufacturing" becomes "theManufacturing")
            while _bare(want).startswith(_bare(got)) and _bare(got) != _bare(want) and k + n < len(lines) and n < 4:
                got = f"{got} {_norm(lines[k + n].text)}"
                n += 1
            # the outline may leave out the number the page prints ("Introduction" for "1. Introduction")
            numbered = got.endswith(want) and _NUMBER_ONLY_RE.match(got[: len(got) - len(want)].strip())
            if _bare(got) == _bare(want) or numbered:
                found[id(ln)] = (level, n)
                used.update(id(x) for x in lines[k:k + n])
                break
        else:
            log.debug("outline entry %r not found on page %d", title, idx + 1)
    return found


def _type_headings(body: list[list[Line]]) -> dict[int, tuple[int, int]]:
    """Headings from type when the PDF has no outline: larger than body text, or wholly bold and short."""
    sizes: Counter[float] = Counter()
    for lines in body:
        for ln in lines:
            sizes[ln.size] += len(ln.text)
    if not sizes:
        return {}
    body_size = sizes.most_common(1)[0][0]
    cands: list[list[Line]] = []
    for lines in body:
        prev: Line | None = None
        for ln in lines:
            t = ln.text.strip()
            big = ln.size >= body_size * 1.12
            bold_short = ln.bold and ln.size >= body_size * 0.95 and len(t) < 100 and not t.endswith((".", ",", ";"))
            ok = (big or bold_short) and 2 < len(t) < 160 and "\t" not in ln.text and not _REF_START_RE.match(t)
            if ok and prev is not None and cands and cands[-1][-1] is prev and prev.size == ln.size \
                    and ln.top - prev.bottom < ln.size * 0.8 and not _NUMBERED_RE.match(t):
                cands[-1].append(ln)  # a heading wrapped over two lines
            elif ok:
                cands.append([ln])
            prev = ln
    ranks = sorted({c[0].size for c in cands if c[0].size >= body_size * 1.12}, reverse=True)
    found: dict[int, tuple[int, int]] = {}
    for c in cands:
        t = c[0].text.strip()
        m = _NUMBERED_RE.match(t)
        if m:
            num = m.group(0).strip().rstrip(".")
            level = 1 if num.startswith("Appendix") else num.count(".") + 1
        elif c[0].size in ranks:
            level = ranks.index(c[0].size) + 1
        else:
            level = len(ranks) + 1
        found[id(c[0])] = (level, len(c))
    return found


# --------------------------------------------------------------------------------------------
# Blocks and text
# --------------------------------------------------------------------------------------------


def _leading(pages: list[list[Line]]) -> float:
    """The usual gap between lines of a paragraph, over the whole document (a title page of one-line
    paragraphs would otherwise make its paragraph gap look like the line gap)."""
    gaps = Counter(round(b.top - a.bottom, 1) for lines in pages for a, b in zip(lines, lines[1:], strict=False)
                   if 0 <= b.top - a.bottom < 3 * a.size and a.size == b.size)
    return gaps.most_common(1)[0][0] if gaps else 2.0


def _item_text(text: str) -> str:
    head, _, rest = text.partition(" ")
    if head in _BULLETS and rest:
        return _BULLETS[head] + rest
    if head[:1] in _BULLETS and len(head) > 1 and head[0] in "\u2022\u25cf\u25aa\u25e6":
        return _BULLETS[head[0]] + head[1:] + (" " + rest if rest else "")
    return text


def _blocks(body: list[list[Line]], page_tables: list[list[PdfTable]], heads: dict[int, tuple[int, int]]) -> list[_Block]:
    blocks: list[_Block] = []
    leading = _leading(body)
    last_full = False  # the last line read filled its column (on a two-column page): its paragraph runs on
    for p, (lines, tables) in enumerate(zip(body, page_tables, strict=True)):
        edges: dict[int, tuple[float, float]] = {}
        for ln in lines:
            a, b = edges.get(ln.column, (ln.x0, ln.x1))
            edges[ln.column] = (min(a, ln.x0), max(b, ln.x1))
        # column-major: a two-column page's bands in order, each band's left column, then its right one
        items: list[tuple[tuple[int, int, float], object]] = [(_reading_key(ln), ln) for ln in lines]
        items += [(_reading_key(t), t) for t in tables]
        items.sort(key=lambda it: it[0])
        skip = 0
        prev_line: Line | None = None
        first_on_page = True
        flow: tuple[int, int] = (0, 0)
        for k, (key, it) in enumerate(items):
            if skip:
                skip -= 1
                continue
            if key[:2] != flow:
                # the top of the next column continues the text like the top of a new page
                flow = key[:2]
                first_on_page = True
                prev_line = None
            if isinstance(it, PdfTable):
                last = blocks[-1] if blocks else None
                if first_on_page and last is not None and last.kind == "table" and \
                        len(last.lines[0].split("\t")) == len(it.rows[0]):
                    rows = it.rows[1:] if "\t".join(it.rows[0]) == last.lines[0] else it.rows
                    last.lines.extend("\t".join(r) for r in rows)  # continued from the previous page
                else:
                    blocks.append(_Block("table", p, ["\t".join(r) for r in it.rows]))
                prev_line = None
                first_on_page = False
                continue
            ln = it  # type: ignore[assignment]
            assert isinstance(ln, Line)
            if id(ln) in heads:
                level, n = heads[id(ln)]
                parts = [ln.text] + [x.text for _, x in items[k + 1:k + n] if isinstance(x, Line)]
                blocks.append(_Block("heading", p, [re.sub(r"\s+", " ", " ".join(parts)).strip()], level=level))
                skip = n - 1
                prev_line = None
                first_on_page = False
                continue
            text = _item_text(ln.text.strip())
            if ln.bullet is not None and not text.startswith(("- ", " - ")):
                text = (" - " if ln.bullet else "- ") + text
            last = blocks[-1] if blocks else None
            # a "[n] " that starts a line of a narrow column is often a citation, not a reference entry:
            # only a reference list's entry starts a new one there
            ref_start = bool(_REF_START_RE.match(text)) and (
                ln.column == 0 or last is None or bool(_REF_START_RE.match(last.lines[0].lstrip("- "))))
            starts_new = text.startswith(("- ", " - ")) or ref_start or "\t" in text
            if first_on_page and last is not None and last.kind == "para" and last.open_end and not starts_new \
                    and (text[:1].islower() or last_full):
                last.lines.append(text)  # a sentence running over the page or column break
            elif last is not None and last.kind == "para" and prev_line is not None and not starts_new \
                    and "\t" not in last.lines[-1] \
                    and ln.top - prev_line.bottom <= leading + 0.4 * ln.size:
                last.lines.append(text)
            else:
                blocks.append(_Block("para", p, [text]))
            blocks[-1].open_end = not text.rstrip().endswith((".", ":", "?", "!", '"', "\u201d"))
            a, b = edges[ln.column]
            last_full = ln.column != 0 and ln.x1 >= b - 0.12 * (b - a)
            prev_line = ln
            first_on_page = False
    return blocks


def _reading_key(item: Line | PdfTable) -> tuple[int, int, float]:
    return (item.band, item.column, item.top)


def _join(lines: list[str]) -> str:
    out = lines[0]
    for nxt in lines[1:]:
        last = out.rsplit(" ", 1)[-1]
        if _URL_RE.match(last) and not last.endswith((".", ")", ",")) and nxt[:1] not in ("", " ") \
                and not nxt[:1].isupper():
            out = out + nxt.lstrip()  # a long link broken over two lines is one link
        elif out.endswith("-") and nxt[:1].isalnum() and not out.endswith(" -"):
            out = out + nxt  # a line broken after a hyphen: "industry-" + "leading", "Fraunhofer-" + "Gesellschaft"
        else:
            out = f"{out} {nxt.lstrip()}"
    return out


def _assemble(blocks: list[_Block], printed: list[int | None], doc_id: str, title: str | None) -> PdfLayout:
    parts: list[str] = []
    headings: list[Heading] = []
    page_starts: dict[int, int] = {}
    offset = 0
    for b in blocks:
        page_starts.setdefault(b.page, offset)
        body = "\n".join(b.lines) if b.kind == "table" else _join(b.lines)
        if b.kind == "heading":
            headings.append(Heading(start=offset, title=body, level=b.level))
        parts.append(body)
        offset += len(body) + 2
    text = "\n\n".join(parts)
    pages: list[Page] = []
    for i, number in enumerate(printed):
        start = page_starts.get(i)
        if start is None:  # a page with no text (a figure): it starts where the next text does
            start = next((page_starts[j] for j in range(i + 1, len(printed)) if j in page_starts), len(text))
        pages.append(Page(doc_id, number, start, "", index=i + 1))
    for i, pg in enumerate(pages):
        end = pages[i + 1].start if i + 1 < len(pages) else len(text)
        pages[i] = Page(doc_id, pg.number, pg.start, text[pg.start:end], index=pg.index)
    return PdfLayout(text=text, pages=pages, headings=headings, title=title)


__all__ = ["PdfLayout", "read_pdf"]
