"""Columns of a PDF page: a two-column page is read left column first, then right column.

A page is set in two columns when a vertical gutter near the middle of its text is crossed by few
lines, both sides hold text over much of the page's height, both sides hold a good share of the text, and each
side reads as prose (its lines fill the side and no second gutter runs through it, which is what a
table's columns would show). Lines crossing the gutter (a title, a spanning table or figure caption)
stay full width and cut the page into bands: each band is read left column, then right column, and
the full-width lines sit between the bands where they are printed.

Every line and table gets a reading key ``(band, column, top)``: column 0 is full width (and the only
column of a single-column page, whose lines keep their top-to-bottom order), 1 the left, 2 the right.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ingest.pdf_words import Line, Word, group_lines

log = logging.getLogger(__name__)

MIN_ROWS = 8  # fewer lines than this: too little text to tell columns from a layout accident
MAX_CROSSING = 0.3  # share of the page's lines that may cross the gutter (full-width lines)
MIN_BESIDE = 0.4  # share of the text's height over which both sides of the gutter hold text
MIN_SIDE_TEXT = 0.25  # share of the characters each side must hold
MIN_FILL = 0.4  # a side's median line spans at least this share of the side's width (prose fills it)
MIN_CROSSED_INSIDE = 0.3  # inside a side, every x is crossed by at least this share of its lines


class Box(Protocol):
    """A table found before the columns: its box and how many characters it holds."""
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def chars(self) -> int: ...


@dataclass(frozen=True)
class Columns:
    gutter: float  # x of the gutter's middle
    crossing: frozenset[int]  # ids of the words in full-width lines


def find_gutter(words: list[Word], page: int, tables: Sequence[Box] = ()) -> Columns | None:
    """The gutter of a two-column page, or None for a page set in one column (see the module docstring).

    ``words`` are the page's words outside ``tables`` (found before): a table inside one column counts as
    text of that side, and the gutter never runs through it; a table across the middle is full width."""
    if len(words) < 2 * MIN_ROWS:
        return None
    rows = [ln.words for ln in group_lines(words, page, tab_gap=1e9)]
    if len(rows) < MIN_ROWS:
        return None
    lo = min([w.x0 for w in words] + [t.x0 for t in tables])
    hi = max([w.x1 for w in words] + [t.x1 for t in tables])
    width = hi - lo
    if width < 100:
        return None
    half = max(3.0, 0.4 * statistics.median(w.size for w in words))  # a gutter is wider than a word space
    xs = np.arange(int(lo + 0.3 * width), int(hi - 0.3 * width) + 1, dtype=float)
    cover = np.zeros((len(rows), len(xs)), dtype=bool)
    for r, row in enumerate(rows):
        for w in row:
            if not _unbreakable(w):
                cover[r] |= (xs > w.x0 - half) & (xs < w.x1 + half)
    crossed = cover.sum(axis=0)
    inside = [t for t in tables if not (t.x0 < xs[0] and t.x1 > xs[-1])]  # the others span the middle
    for t in inside:
        crossed[(xs > t.x0 - half) & (xs < t.x1 + half)] = len(rows) + 1
    best = int(crossed.min())
    if best > MAX_CROSSING * len(rows):
        log.debug("page %d: one column (%d of %d lines cross the middle)", page + 1, best, len(rows))
        return None
    # the middle of the widest run of least-crossed x (nearest the page's middle on a tie)
    runs: list[tuple[int, int]] = []
    start = None
    for i, v in enumerate([*crossed.tolist(), best + 1]):
        if v == best and start is None:
            start = i
        elif v != best and start is not None:
            runs.append((start, i - 1))
            start = None
    mid = (lo + hi) / 2
    a, b = max(runs, key=lambda r: (r[1] - r[0], -abs((xs[r[0]] + xs[r[1]]) / 2 - mid)))
    gutter = float(xs[a] + xs[b]) / 2
    col = int((a + b) // 2)
    free = [row for r, row in enumerate(rows) if not cover[r, col]]
    left = [[w for w in row if w.x1 < gutter] for row in free]
    right = [[w for w in row if w.x0 > gutter] for row in free]
    # the two sides run side by side (their lines need not share baselines) over much of the text's height
    boxes = [[t for t in inside if t.x1 < gutter], [t for t in inside if t.x0 > gutter]]
    spans = [(min([w.top for row in side if row for w in row] + [t.top for t in tbl]),
              max([w.bottom for row in side if row for w in row] + [t.bottom for t in tbl]))
             for side, tbl in zip((left, right), boxes, strict=True) if any(side) or tbl]
    height = max([w.bottom for w in words] + [t.bottom for t in tables]) - \
        min([w.top for w in words] + [t.top for t in tables])
    beside = min(b for _, b in spans) - max(a for a, _ in spans) if len(spans) == 2 else 0.0
    if beside < MIN_BESIDE * height:
        log.debug("page %d: one column (the sides of x=%.0f run side by side over %.0f of %.0f pt)",
                  page + 1, gutter, beside, height)
        return None
    counts = [sum(len(w.text) for row in side for w in row) + sum(t.chars for t in tbl)
              for side, tbl in zip((left, right), boxes, strict=True)]
    for side, tbl, n in zip((left, right), boxes, counts, strict=True):
        side = [row for row in side if row]
        # a side's text is prose, or it holds a table and little else
        if n < MIN_SIDE_TEXT * sum(counts) or not (_prose(side) or (tbl and len(side) < MIN_ROWS)):
            log.debug("page %d: one column (a side of x=%.0f holds little text, or not prose)", page + 1, gutter)
            return None
    crossing = frozenset(id(w) for r, row in enumerate(rows) if cover[r, col] for w in row)
    return Columns(gutter, crossing)


def _unbreakable(w: Word) -> bool:
    """A link or a word too long to break: it may overflow its column into the gutter (and the next
    column's text on its baseline), so it neither closes a gutter nor makes its line full width."""
    return len(w.text) >= 25 or "://" in w.text


def _prose(rows: list[list[Word]]) -> bool:
    """Lines that fill their side and leave no gutter inside it (a table's columns would)."""
    if len(rows) < MIN_ROWS // 2:
        return False
    lo = min(w.x0 for row in rows for w in row)
    hi = max(w.x1 for row in rows for w in row)
    width = hi - lo
    if width <= 0:
        return False
    extents = [max(w.x1 for w in row) - min(w.x0 for w in row) for row in rows]
    if statistics.median(extents) < MIN_FILL * width:
        return False
    xs = np.linspace(lo + 0.15 * width, lo + 0.7 * width, 24)
    crossed = np.zeros(len(xs), dtype=int)
    for row in rows:
        # a line covers the span from its first to its last word, less any gap wider than a word space
        first, last = min(w.x0 for w in row), max(w.x1 for w in row)
        crossed += (xs >= first) & (xs <= last) & _no_wide_gap(row, xs)
    return bool(crossed.min() >= MIN_CROSSED_INSIDE * len(rows))


def _no_wide_gap(row: list[Word], xs: np.ndarray) -> np.ndarray:
    """True where x is not inside a gap wider than a word space between two of the row's words."""
    ok = np.ones(len(xs), dtype=bool)
    ws = sorted(row, key=lambda w: w.x0)
    for a, b in zip(ws, ws[1:], strict=False):
        if b.x0 - a.x1 > 0.9 * max(a.size, b.size):
            ok &= ~((xs > a.x1) & (xs < b.x0))
    return ok


def column_of(x0: float, x1: float, cols: Columns | None) -> int:
    """0 for full width (or a single-column page), 1 left of the gutter, 2 right of it."""
    if cols is None or (x0 < cols.gutter < x1):
        return 0
    return 1 if x1 <= cols.gutter else 2


def page_lines(words: list[Word], page: int, cols: Columns | None) -> list[Line]:
    """Lines of a page, sorted by top; on a two-column page each column's words are grouped on their own
    (a left and a right line on one baseline are two lines) and every line carries its column."""
    if cols is None:
        return group_lines(words, page)
    full = [w for w in words if id(w) in cols.crossing]
    rest = [w for w in words if id(w) not in cols.crossing]
    lines: list[Line] = group_lines(full, page) if full else []
    for column in (1, 2):
        part = [w for w in rest if column_of(w.x0, w.x1, cols) == column or
                (column == 1 and column_of(w.x0, w.x1, cols) == 0)]
        for ln in group_lines(part, page) if part else []:
            ln.column = column
            lines.append(ln)
    return sorted(lines, key=lambda ln: ln.top)


def set_bands(lines: list[Line], tables: list, cols: Columns | None) -> None:
    """Band of every line and table: how many full-width lines or tables start at or above it."""
    if cols is None:
        return
    for t in tables:
        t.column = column_of(t.x0, t.x1, cols)
    cuts = sorted([ln.top for ln in lines if ln.column == 0] + [t.top for t in tables if t.column == 0])
    for item in [*lines, *tables]:
        item.band = sum(1 for c in cuts if c <= item.top + 0.01)
