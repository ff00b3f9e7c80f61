"""Words and lines of a PDF page, with their positions, sizes and fonts (pdfplumber).

A line is the words on one baseline; a wide gap between two of its words (against the line's usual gap,
so a justified line is not split) becomes a tab: a column gap in a contents line or an unruled table.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_CID_RE = re.compile(r"\(cid:\d+\)")
_GLUED_LEADER_RE = re.compile(r"\s*(?:\.\s?){4,}\s*(?=\S*$)")
_LEADER_RE = re.compile(r"^[.\u2026\u00b7 ]{3,}$")


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class Line:
    page: int
    words: list[Word]
    top: float = 0.0
    bottom: float = 0.0
    x0: float = 0.0
    x1: float = 0.0
    text: str = ""
    size: float = 0.0
    bold: bool = False
    bullet: int | None = None  # list depth when a drawn bullet (a small disc or square) precedes the line
    column: int = 0  # 0 full width (or the page's only column), 1 left, 2 right (ingest.pdf_columns)
    band: int = 0  # how many full-width lines or tables of a two-column page start at or above it

    def finish(self, tab_gap: float) -> Line:
        self.words.sort(key=lambda w: w.x0)
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        self.x0 = self.words[0].x0
        self.x1 = max(w.x1 for w in self.words)
        sizes = Counter()
        for w in self.words:
            sizes[round(w.size, 1)] += len(w.text)
        self.size = sizes.most_common(1)[0][0]
        self.bold = all(w.bold for w in self.words if w.text.strip())
        gaps = sorted(b.x0 - a.x1 for a, b in zip(self.words, self.words[1:], strict=False))
        # a justified line spreads every gap evenly: a column gap is wide against the line's usual gap
        usual = gaps[: max(1, len(gaps) // 2)][-1] if len(gaps) > 2 else 0.0
        parts: list[str] = []
        prev: Word | None = None
        for w in self.words:
            if _LEADER_RE.match(w.text):  # dot leaders of a contents line: a column gap
                if parts and parts[-1] != "\t":
                    parts.append("\t")
                prev = w
                continue
            if prev is not None and parts and parts[-1] != "\t":
                gap = w.x0 - prev.x1
                parts.append("\t" if gap > tab_gap * max(w.size, 1.0) and gap > 2.5 * usual else " ")
            parts.append(w.text)
            prev = w
        # dot leaders glued to a contents title ("Introduction.......2") are a column gap too
        self.text = _GLUED_LEADER_RE.sub("\t", "".join(parts)).strip("\t ")
        return self


def page_words(page) -> list[Word]:
    raw = page.extract_words(extra_attrs=["size", "fontname"], x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False)
    raw = [w for w in raw if not _CID_RE.fullmatch(w["text"])]
    for w in raw:
        w["text"] = _CID_RE.sub("", w["text"])  # glyphs without a Unicode mapping
    return [
        Word(w["text"], float(w["x0"]), float(w["x1"]), float(w["top"]), float(w["bottom"]), float(w["size"]),
              "bold" in str(w["fontname"]).lower() or "black" in str(w["fontname"]).lower())
        for w in raw
    ]


def group_lines(words: list[Word], page: int, tab_gap: float = 2.5) -> list[Line]:
    """Words on one baseline form a line (tolerance: a third of the font size)."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (round(w.bottom, 1), w.x0)):
        if lines and abs(lines[-1].words[-1].bottom - w.bottom) <= max(1.5, w.size / 3):
            lines[-1].words.append(w)
        else:
            lines.append(Line(page, [w]))
    return sorted((ln.finish(tab_gap) for ln in lines), key=lambda ln: ln.top)


def cell(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


