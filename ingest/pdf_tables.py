"""Tables on a PDF page, three ways: ruled grids (pdfplumber), horizontal rules only (rows between the
rules, columns at the white gutters or where per-cell borders meet), and unruled aligned text (runs of
lines whose wide gaps line up). Each gives rows of cell texts; a row that wraps stays one row.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from ingest.pdf_words import Line, Word, cell, group_lines


@dataclass
class PdfTable:
    page: int
    top: float
    bottom: float
    rows: list[list[str]]
    x0: float = 0.0
    x1: float = float("inf")
    column: int = 0  # as on ``Line``: 0 full width or single column, 1 left, 2 right
    band: int = 0

    @property
    def chars(self) -> int:
        return sum(len(c) for r in self.rows for c in r)


def ruled_tables(page, index: int) -> list[PdfTable]:
    """Grids with ruling lines on both axes (pdfplumber's own detection)."""
    out: list[PdfTable] = []
    for t in page.find_tables():
        rows = [[cell(c) for c in r] for r in t.extract()]
        rows = [r for r in rows if any(r)]
        if len(rows) >= 2 and len(rows[0]) >= 2:
            out.append(PdfTable(index, float(t.bbox[1]), float(t.bbox[3]), rows, float(t.bbox[0]), float(t.bbox[2])))
    return out


def _rules(page) -> list[tuple[float, float, float, tuple[float, ...]]]:
    """Horizontal rules (y, x0, x1, joints) drawn as lines or thin rectangles; segments that touch on
    one y are one rule, and where they meet (a cell border drawn per cell) is kept as a joint."""
    segs: list[tuple[float, float, float]] = []
    for ln in page.lines:
        if abs(ln["top"] - ln["bottom"]) < 1 and ln["x1"] - ln["x0"] > 5:
            segs.append((round(float(ln["top"]), 1), float(ln["x0"]), float(ln["x1"])))
    for r in page.rects:
        if r["height"] < 1.5 and r["width"] > 5:
            segs.append((round(float(r["top"]), 1), float(r["x0"]), float(r["x1"])))
    out: list[tuple[float, float, float, tuple[float, ...]]] = []
    for y, a, b in sorted(segs):
        if out and abs(out[-1][0] - y) < 0.6 and a - out[-1][2] < 2:
            py, pa, pb, joints = out[-1]
            out[-1] = (py, pa, max(pb, b), (*joints, a) if a > pa + 1 else joints)
        else:
            out.append((y, a, b, ()))
    return [r for r in out if r[2] - r[1] > 40]


def rule_tables(page, index: int, words: list[Word]) -> list[PdfTable]:
    """Tables drawn with horizontal rules only: rows between rules, columns at the white gutters."""
    rules = _rules(page)
    groups: list[list[tuple[float, float, float, tuple[float, ...]]]] = []
    for r in rules:
        g = groups[-1] if groups else None
        if g and abs(g[-1][1] - r[1]) < 3 and abs(g[-1][2] - r[2]) < 3 and r[0] - g[-1][0] < 150:
            g.append(r)
        else:
            groups.append([r])
    out: list[PdfTable] = []
    for g in groups:
        if len(g) < 2:
            continue
        x0, x1 = g[0][1], g[0][2]
        ys = [r[0] for r in g]
        body = [w for w in words if ys[0] < (w.top + w.bottom) / 2 < ys[-1] and x0 - 2 <= w.x0 and w.x1 <= x1 + 2]
        if not body:
            continue
        joints: list[float] = []
        for j in sorted(g[0][3]):
            if all(any(abs(j - k) < 1.5 for k in r[3]) for r in g) and (not joints or j - joints[-1] > 1.5):
                joints.append(j)
        cuts = joints or _gutters(body, x0, x1)  # per-cell borders meet at the column edges
        if len(cuts) < 1:
            continue
        # header: the lines right above the first rule whose words all sit inside one column
        # the first row (or header) sits above the first rule: the lines right above it that are set
        # no larger than the table's text, whose words all sit inside one column, within a row's height
        above = [w for w in words if w.bottom <= ys[0] + 1 and x0 - 2 <= w.x0 and w.x1 <= x1 + 2]
        head_lines = group_lines(above, index)
        body_size = statistics.median(w.size for w in body)
        tallest = max(b - a for a, b in zip(ys, ys[1:], strict=False)) if len(ys) > 1 else 4 * body_size
        header_top = ys[0]
        for ln in reversed(head_lines):
            crosses = any(w.x0 < c < w.x1 for w in ln.words for c in cuts)
            if crosses or ln.size > body_size * 1.15 or header_top - ln.bottom > 1.5 * ln.size \
                    or ys[0] - ln.top > max(2 * tallest, 6 * body_size):
                break
            header_top = ln.top - 0.5
        # likewise the last row when no rule closes the table
        below = [w for w in words if w.top >= ys[-1] - 1 and x0 - 2 <= w.x0 and w.x1 <= x1 + 2]
        footer_bottom = ys[-1]
        for ln in group_lines(below, index):
            crosses = any(w.x0 < c < w.x1 for w in ln.words for c in cuts)
            if crosses or ln.size > body_size * 1.15 or ln.top - footer_bottom > 1.5 * ln.size \
                    or ln.bottom - ys[-1] > tallest * 1.2:
                break
            footer_bottom = ln.bottom + 0.5
        bands = ([header_top] if header_top < ys[0] else []) + ys + ([footer_bottom] if footer_bottom > ys[-1] else [])
        rows: list[list[str]] = []
        edges = [x0 - 2, *cuts, x1 + 2]
        for top, bottom in zip(bands, bands[1:], strict=False):
            inband = [w for w in words if top < (w.top + w.bottom) / 2 < bottom and x0 - 2 <= w.x0 and w.x1 <= x1 + 2]
            cells = []
            for a, b in zip(edges, edges[1:], strict=False):
                cw = [w for w in inband if a <= (w.x0 + w.x1) / 2 < b]
                cells.append(" ".join(ln.text for ln in group_lines(cw, index, tab_gap=1e9)))
            if any(cells):
                rows.append([cell(c) for c in cells])
        if len(rows) >= 2:
            out.append(PdfTable(index, bands[0], bands[-1], rows, x0, x1))
    return out


def _gutters(words: list[Word], x0: float, x1: float, min_gap: float = 3.0) -> list[float]:
    """x positions (gap middles) no body word covers: the column boundaries."""
    spans = sorted((w.x0, w.x1) for w in words)
    cuts: list[float] = []
    reach = spans[0][1]
    for a, b in spans[1:]:
        if a - reach >= min_gap:
            cuts.append((a + reach) / 2)
        reach = max(reach, b)
    return [c for c in cuts if x0 < c < x1]


def _column_gaps(ln: Line, min_gap: float) -> int:
    return sum(1 for a, b in zip(ln.words, ln.words[1:], strict=False) if b.x0 - a.x1 >= min_gap)


def aligned_tables(lines: list[Line], page: int) -> tuple[list[PdfTable], set[int]]:
    """Tables set as aligned text without rules: runs of lines with wide gaps that line up.

    Columns are the white gutters no word of the run crosses; a line with nothing in the first column
    continues the row above (a wrapped cell), so a row that wraps stays one row; the first row is the
    header when the table has one. A paragraph never lines up its gaps over several lines.
    """
    tables: list[PdfTable] = []
    used: set[int] = set()
    k = 0
    while k < len(lines):
        ln = lines[k]
        gap = 0.9 * ln.size
        if _column_gaps(ln, gap) == 0:
            k += 1
            continue
        run = [ln]
        j = k + 1
        while j < len(lines):
            nxt = lines[j]
            if nxt.top - run[-1].bottom > 1.6 * nxt.size or abs(nxt.size - ln.size) > 0.6 * ln.size \
                    or (nxt.band, nxt.column) != (ln.band, ln.column):
                break  # a table never runs on into the next column
            if _column_gaps(nxt, gap) == 0:
                # a wrapped cell alone on its line belongs to the run only if the run goes on after it
                after = lines[j + 1] if j + 1 < len(lines) else None
                if after is None or after.top - nxt.bottom > 1.6 * nxt.size or _column_gaps(after, gap) == 0:
                    break
            run.append(nxt)
            j += 1
        table = _aligned_table(run, page, gap) if len(run) >= 3 else None
        if table is None:
            k += 1
            continue
        tables.append(table)
        used.update(id(x) for x in run)
        k = j
    return tables, used


def _aligned_table(run: list[Line], page: int, gap: float) -> PdfTable | None:
    right = Counter(round(ln.words[-1].x1) for ln in run)
    if right.most_common(1)[0][1] >= 0.6 * len(run):
        return None  # lines flush on the right: a justified paragraph, whose wide gaps only look aligned
    words = [w for ln in run for w in ln.words]
    x0, x1 = min(w.x0 for w in words), max(w.x1 for w in words)
    cuts = _gutters(words, x0, x1, min_gap=gap)
    if not cuts:
        return None
    edges = [x0 - 1, *cuts, x1 + 1]

    def cells_of(ln: Line) -> list[str]:
        cells = []
        for a, b in zip(edges, edges[1:], strict=False):
            cells.append(" ".join(w.text for w in ln.words if a <= (w.x0 + w.x1) / 2 < b))
        return cells

    rows: list[list[str]] = []
    for ln in run:
        cells = cells_of(ln)
        if rows and not cells[0]:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]  # a wrapped row
        else:
            rows.append(cells)
    # most rows must fill most columns, or these were not columns (a list of short phrases, say)
    filled = sum(1 for r in rows if sum(1 for c in r if c) >= max(2, (len(r) + 1) // 2))
    if len(rows) < 2 or filled < 0.6 * len(rows):
        return None
    if any(len({r[i] for r in rows}) == 1 for i in range(len(edges) - 1)):
        return None  # a column holding one value on every row is a bullet or a marker, not data
    return PdfTable(page, run[0].top, run[-1].bottom, [[cell(c) for c in r] for r in rows], x0, x1,
                    run[0].column, run[0].band)


