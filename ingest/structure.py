"""Section tree, table of contents and figure captions of a report's plain text.

The input is the Markdown-ish text extracted from the report PDF: headings stand on their own
line, the table of contents is a block of ``title<TAB>page`` lines. Everything here is generic
(patterns plus the report's own table of contents); nothing is keyed to a particular heading.

Decisions worth knowing:

* Headings are recognised only as standalone lines. When a table of contents exists, numbered
  headings are matched against its entries (number + normalised title); a numbered line that is
  not in the contents is still accepted when its number plausibly continues the outline (child or
  next sibling of a heading already seen). Without a table of contents a numbered-heading pattern
  is used alone.
* Unnumbered headings are the usual report headings (Abstract, Keywords, Acknowledgments,
  Executive Summary, References, ...) plus any unnumbered title in the table of contents.
* Unnumbered inset-box headings inside a section (a short title line above a boxed case study) are
  NOT sections: they stay part of their parent
  numbered section, so the section path of an inset passage is the enclosing numbered section.
* The contents block ("Table of Contents" + "List of Tables" + "List of Figures") is one section
  titled "Table of Contents" so it is never indexed as prose.
* Pages are never guessed: a TOC line without a printed page gives ``page=None``.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rag.records import Section

if TYPE_CHECKING:
    from ingest.document import Heading

log = logging.getLogger(__name__)

TocKind = Literal["section", "table", "figure"]

FRONT_MATTER = "Front matter"
TOC_TITLE = "Table of Contents"

# Standard unnumbered headings of a technical report (matched case-insensitively, whole line).
UNNUMBERED_HEADINGS: frozenset[str] = frozenset(
    {
        "abstract",
        "keywords",
        "acknowledgments",
        "acknowledgements",
        "executive summary",
        "references",
        "bibliography",
        "table of contents",
        "contents",
        "list of tables",
        "list of figures",
        "contact information",
        "foreword",
        "preface",
        "glossary",
    }
)

# "3.2.3. Financing", "A.1. Table of ...", "Appendix A. China's ..."
_NUMBERED_RE = re.compile(
    r"^(?:(?P<appendix>Appendix\s+[A-Z])|(?P<letter>[A-Z](?:\.\d+)+)|(?P<digits>\d+(?:\.\d+)+|\d+(?=\.)))\.?\s+(?P<title>\S.*)$"
)
_CAPTION_RE = re.compile(r"^(?P<kind>Table|Figure)\s+(?P<number>\d+)\s*[:.]\s*(?P<title>\S.*)$")
_LIST_OF_RE = re.compile(r"^List of (Tables|Figures)\b", re.IGNORECASE)
_ORDINAL_RE = re.compile(r"\b(\d+)\s+(st|nd|rd|th)\b")
_FIGURE_FOLLOW_RE = re.compile(r"^(Source|Data Source|Sources|Excerpt)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TocEntry:
    """One contents line. ``number`` is "3.2.3", "A.1", "Appendix A" (sections) or "2" (tables,
    figures); ``title`` is the text without that label ("Financing"); ``page`` is None when the
    contents print no page."""

    kind: TocKind
    number: str | None
    title: str
    page: int | None


@dataclass
class Toc:
    entries: list[TocEntry] = field(default_factory=list)
    start: int = 0  # span of the whole contents block in the text
    end: int = 0
    _by_number: dict[tuple[str, str], TocEntry] | None = field(default=None, init=False, repr=False, compare=False)
    _by_title: dict[tuple[str, str], TocEntry] | None = field(default=None, init=False, repr=False, compare=False)

    def find(self, kind: TocKind, number: str | None = None, title: str | None = None) -> TocEntry | None:
        """The entry of ``kind`` with this number, else with this normalised title (first one wins)."""
        if self._by_number is None or self._by_title is None:
            # built once: a look-up per section must not scan every entry
            self._by_number, self._by_title = {}, {}
            for e in self.entries:
                if e.number is not None:
                    self._by_number.setdefault((e.kind, e.number), e)
                self._by_title.setdefault((e.kind, normalize_title(e.title)), e)
        if number is not None and (e := self._by_number.get((kind, number))) is not None:
            return e
        if title is not None:
            return self._by_title.get((kind, normalize_title(title)))
        return None


@dataclass(frozen=True)
class FigureCaption:
    number: str
    caption: str  # caption text without the "Figure N:" label
    page: int | None
    start: int  # span covers the caption line and its Source/Excerpt lines
    end: int
    section_path: tuple[str, ...]


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # exclusive, without the newline
    text: str


def _lines(text: str, start: int = 0, end: int | None = None) -> list[_Line]:
    """Lines of text[start:end] with their absolute offsets."""
    end = len(text) if end is None else end
    out: list[_Line] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        out.append(_Line(pos, stop, text[pos:stop]))
        pos = stop + 1
    return out


def normalize_title(title: str) -> str:
    """Comparable form of a heading: quotes/ordinals/whitespace/case folded, trailing dots gone."""
    s = title.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    s = s.replace("\t", " ")
    s = _ORDINAL_RE.sub(r"\1\2", s)  # "14 th" -> "14th" (PDF kerning artefact)
    s = re.sub(r"\s+", " ", s).strip().rstrip(".:").strip()
    return s.lower()


def _clean_title(title: str) -> str:
    return re.sub(r"\s+", " ", _ORDINAL_RE.sub(r"\1\2", title)).strip()


def split_heading(line: str) -> tuple[str | None, str]:
    """("3.2.3", "Financing") for "3.2.3. Financing"; (None, line) when not numbered."""
    m = _NUMBERED_RE.match(line.strip())
    if not m:
        return None, line.strip()
    number = m.group("appendix") or m.group("letter") or m.group("digits")
    number = re.sub(r"\s+", " ", number)
    return number, m.group("title").strip()


def _level(number: str | None) -> int:
    if number is None or number.startswith("Appendix"):
        return 1
    return number.count(".") + 1


# --------------------------------------------------------------------------------------------
# Table of contents
# --------------------------------------------------------------------------------------------


def _parse_toc_line(raw: str) -> tuple[str, int | None]:
    """Title and printed page of one contents line; page None when none is printed."""
    if "\t" not in raw:
        return _clean_title(raw), None
    head, tail = raw.rsplit("\t", 1)
    head = head.replace("\t", "")
    tail = tail.strip()
    if re.fullmatch(r"\d+", tail):
        return _clean_title(head), int(tail)
    if tail in ("", "-", "\u2013", "\u2014"):
        return _clean_title(head), None
    # A tab inside the title ("... and Chin<TAB>a 29"): the tail's last token is the page.
    m = re.fullmatch(r"(.*?)\s*(\d+)", tail)
    if m:
        return _clean_title(head + m.group(1)), int(m.group(2))
    return _clean_title(head + tail), None


def _next_nonblank(lines: list[_Line], i: int) -> str:
    """Text of the first non-blank line from lines[i] on ("" at the end); no copy of the list."""
    for k in range(i, len(lines)):
        if lines[k].text.strip():
            return lines[k].text
    return ""


def parse_toc(text: str) -> Toc | None:
    """Parse the contents block starting at a "Table of Contents" (or "Contents") line.

    The block runs over ``title<TAB>page`` lines and blank lines; a line without a tab (no page
    printed, e.g. "List of Figures") is kept only when the next non-blank line is a tab line or a
    caption, and a section number seen twice ends the block. Returns None without such a block.
    """
    lines = _lines(text)
    head_idx = next(
        (i for i, ln in enumerate(lines) if ln.text.strip().lower() in ("table of contents", "contents")), None
    )
    if head_idx is None:
        return None
    entries: list[TocEntry] = []
    end = lines[head_idx].end
    in_list: TocKind = "section"
    numbers: set[str] = set()  # section numbers listed so far
    for i in range(head_idx + 1, len(lines)):
        ln = lines[i]
        s = ln.text.strip()
        if not s:
            continue
        if "\t" not in ln.text:
            # a line without a page must be followed by more contents lines (else the body began)
            nxt = _next_nonblank(lines, i + 1)
            if len(s) > 120 or not ("\t" in nxt or _CAPTION_RE.match(nxt.strip())):
                break
        title, page = _parse_toc_line(ln.text)
        if split_heading(title)[0] in numbers:
            break  # a section number seen twice: the body's first heading
        m_list = _LIST_OF_RE.match(title)
        m_cap = _CAPTION_RE.match(title)
        if m_list:
            in_list = "table" if m_list.group(1).lower() == "tables" else "figure"
            entries.append(TocEntry("section", None, title, page))
        elif m_cap and in_list != "section":
            kind: TocKind = "table" if m_cap.group("kind") == "Table" else "figure"
            entries.append(TocEntry(kind, m_cap.group("number"), m_cap.group("title").strip(), page))
        else:
            number, rest = split_heading(title)
            entries.append(TocEntry("section", number, rest, page))
            if number:
                numbers.add(number)
        end = ln.end
    if not entries:
        return None
    log.debug("parsed %d contents entries", len(entries))
    return Toc(entries=entries, start=lines[head_idx].start, end=end)


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _looks_like_heading(title: str, line: str) -> bool:
    """Pattern test for a numbered heading's title: short, no sentence end, capital/quote/digit."""
    if len(line) > 150 or len(title.split()) > 20:
        return False
    if title.endswith((".", ",", ";", ":")):
        return False
    return bool(re.match(r"""^["'\u201c\u2018A-Z0-9]""", title))


def _plausible_next(number: str, seen: set[str], top: int | None) -> bool:
    """A numbered heading missing from the contents is kept only if it continues the outline.

    ``seen`` holds the numbers accepted so far and ``top`` the highest top-level one (kept by the
    caller, so each test is O(1) however many headings came before)."""
    if number in seen:
        return False
    if number.startswith("Appendix"):
        return True
    parent = number.rsplit(".", 1)[0] if "." in number else None
    if parent is not None:
        return parent in seen or f"Appendix {parent}" in seen
    return number.isdigit() and (top is None or int(number) == top + 1)


def _is_standalone(text: str, ln: _Line) -> bool:
    """Heading lines are preceded by a blank line (or the text start).

    Looks back over the spaces before the line only: copying ``text[:ln.start]`` for every line
    made section detection quadratic in the size of the document."""
    i = ln.start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i == 0 or text[max(0, i - 2):i] == "\n\n" or text[max(0, i - 3):i] == "\n \n"


def _find_headings(text: str, toc: Toc | None) -> list[tuple[int, str | None, str]]:
    """(offset, number, heading line as written) of every recognised heading, in order."""
    toc_numbers = {e.number: e for e in toc.entries if e.kind == "section" and e.number} if toc else {}
    toc_unnumbered = (
        {normalize_title(e.title) for e in toc.entries if e.kind == "section" and not e.number} if toc else set()
    )
    unnumbered = UNNUMBERED_HEADINGS | toc_unnumbered
    skip = (toc.start, toc.end) if toc else (-1, -1)
    found: list[tuple[int, str | None, str]] = []
    seen: set[str] = set()
    top: int | None = None  # highest top-level number accepted
    for ln in _lines(text):
        s = ln.text.strip()
        if not s or "\t" in ln.text or skip[0] <= ln.start < skip[1]:
            continue
        if not _is_standalone(text, ln):
            continue
        number, title = split_heading(s)
        if number is not None:
            if not _looks_like_heading(title, s):
                continue
            entry = toc_numbers.get(number)
            if entry is not None and number not in seen:
                ratio = difflib.SequenceMatcher(None, normalize_title(entry.title), normalize_title(title)).ratio()
                if ratio < 0.6:
                    log.debug("heading %r does not match contents title %r", s, entry.title)
                    continue
            elif not _plausible_next(number, seen, top):
                continue
            seen.add(number)
            if number.isdigit():
                top = max(top or 0, int(number))
            found.append((ln.start, number, _clean_title(s)))
        elif normalize_title(s) in unnumbered and len(s) < 80:
            found.append((ln.start, None, _clean_title(s)))
    if toc is not None:
        found.append((toc.start, None, TOC_TITLE))
        # the contents block is one section: drop headings recognised inside it
        found = [h for h in found if not (toc.start < h[0] < toc.end)]
        found = sorted({h[0]: h for h in found}.values(), key=lambda h: h[0])
    missing = [n for n in toc_numbers if n not in seen]
    if missing:
        log.warning("contents entries without a heading in the text: %s", missing)
    return found


def _given_headings(given: list[Heading], toc: Toc | None) -> list[tuple[int, str | None, str]]:
    """Headings a loader found (outline, type, Markdown) in the form ``_find_headings`` returns.

    The contents block runs from its heading to the first heading that is not a "List of ..." one,
    so the lists of tables and figures stay inside it (as for text), never indexed as prose.
    """
    found = [(h.start, split_heading(h.title)[0], _clean_title(h.title)) for h in given]
    if toc is None:
        return found
    after = [h for h in found if h[0] > toc.start and normalize_title(h[2]) not in (TOC_TITLE.lower(), "contents")
             and not _LIST_OF_RE.match(h[2])]
    toc.end = max(toc.end, after[0][0] - 1) if after else toc.end
    found = [h for h in found if not (toc.start <= h[0] < toc.end)] + [(toc.start, None, TOC_TITLE)]
    return sorted(found, key=lambda h: h[0])


def build_sections(
    doc_id: str,
    text: str,
    toc: Toc | None,
    page_of_offset: Callable[[int], int | None] | None = None,
    headings: list[Heading] | None = None,
) -> list[Section]:
    """Contiguous sections covering the whole text, starting with "Front matter" at 0.

    ``headings``: the ones the loader found (None: recognised here from the text's layout).
    ``page``: ``page_of_offset(start)`` when given (PDF pages), else the printed page of the
    contents entry with the same number (or normalised title), else None.
    """
    headings = _given_headings(headings, toc) if headings is not None else _find_headings(text, toc)
    if not headings or headings[0][0] != 0:
        headings.insert(0, (0, None, FRONT_MATTER))
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, title) of the open numbered headings
    for i, (start, number, title) in enumerate(headings):
        end = headings[i + 1][0] if i + 1 < len(headings) else len(text)
        level = _level(number)
        if number is None:
            stack = [(1, title)]  # unnumbered headings are top level
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
        if page_of_offset is not None:
            page = page_of_offset(start)
        elif toc is not None and title not in (FRONT_MATTER, TOC_TITLE):
            _, bare = split_heading(title)
            entry = toc.find("section", number=number) if number else toc.find("section", title=bare)
            page = entry.page if entry else None
        else:
            page = None
        sections.append(
            Section(
                doc_id=doc_id,
                number=number,
                title=title,
                path=tuple(t for _, t in stack),
                level=level,
                page=page,
                start=start,
                end=end,
            )
        )
    return sections


class SectionLocator:
    """The section containing an offset, by bisection over starts computed once (sections sorted).

    ``open_end``: an offset past the last section's end still belongs to the last section."""

    def __init__(self, sections: list[Section], open_end: bool = False) -> None:
        self.sections = sections
        self.starts = [s.start for s in sections]
        self.open_end = open_end

    def at(self, offset: int) -> Section | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return None
        s = self.sections[i]
        return s if offset < s.end or (self.open_end and i == len(self.sections) - 1) else None


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint spans covering the same offsets."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def section_at(sections: list[Section], offset: int) -> Section | None:
    """The section containing ``offset`` (sections are contiguous and sorted); one look-up.
    Many look-ups: build a ``SectionLocator`` once."""
    return SectionLocator(sections).at(offset)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def find_figure_captions(text: str, toc: Toc | None, sections: list[Section]) -> list[FigureCaption]:
    """ "Figure N: caption" lines outside the contents, with their Source/Excerpt lines."""
    lines = _lines(text)
    locate = SectionLocator(sections)
    out: list[FigureCaption] = []
    for i, ln in enumerate(lines):
        if toc is not None and toc.start <= ln.start < toc.end:
            continue
        m = _CAPTION_RE.match(ln.text.strip())
        if not m or m.group("kind") != "Figure" or "\t" in ln.text:
            continue
        end = ln.end
        for k in range(i + 1, len(lines)):  # indices, not a copy of the remaining lines per caption
            nxt = lines[k]
            s = nxt.text.strip()
            if not s:
                continue
            if not _FIGURE_FOLLOW_RE.match(s):
                break
            end = nxt.end
        entry = toc.find("figure", number=m.group("number")) if toc else None
        sec = locate.at(ln.start)
        out.append(
            FigureCaption(
                number=m.group("number"),
                caption=m.group("title").strip(),
                page=entry.page if entry else None,
                start=ln.start,
                end=end,
                section_path=sec.path if sec else (),
            )
        )
    return out
