"""Two-column pages (ingest/pdf_columns.py): small PDFs drawn with fpdf2, read back with layout.

The left and right columns share baselines, so a reader that groups words by baseline alone would glue
a left line to a right one; these tests check the columns are read one after the other, that a
paragraph running from the foot of the left column to the head of the right one stays one paragraph,
that a title across both columns stays in place, and that single-column pages and tables are not
mistaken for columns.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from ingest.loaders import load
from ingest.pdf_columns import find_gutter
from ingest.pdf_words import Word
from rag.settings import Settings

MAX = Settings().max_file_bytes
WORDS = ("the centers fund shared research on advanced materials and robotics while local governments "
         "add land and buildings so that firms can test new processes at scale before they invest").split()


def _column_lines(prefix: str, n: int, width: int = 6) -> list[str]:
    return [f"{prefix}{k} " + " ".join(WORDS[(k + j) % len(WORDS)] for j in range(width)) for k in range(n)]


def _two_column_pdf(path: Path, left: list[str], right: list[str], title: str | None = None) -> Path:
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    y0 = 70.0
    if title:
        pdf.set_font("Helvetica", size=9)
        pdf.text(50, 60, title)
        y0 = 90.0
    for k, line in enumerate(left):
        pdf.text(50, y0 + 12 * k, line)
    for k, line in enumerate(right):
        pdf.text(310, y0 + 12 * k, line)
    pdf.output(str(path))
    return path


def test_columns_are_read_one_after_the_other(tmp_path) -> None:
    left = _column_lines("L", 30)
    right = _column_lines("R", 30)
    loaded = load(_two_column_pdf(tmp_path / "two.pdf", left, right), MAX)
    text = loaded.text
    assert "\t" not in text  # the gutter is no column of a table
    pos = [text.index(line) for line in left + right]
    assert pos == sorted(pos)  # every left line, in order, then every right line


def test_a_paragraph_over_the_column_break_stays_one(tmp_path) -> None:
    """The left column ends mid-sentence on a full line; the right column goes on with it."""
    left = _column_lines("L", 29) + ["and this sentence is continued at the top of the right column in"]
    right = ["Beijing where the centers meet and it ends here."] + _column_lines("R", 29)
    text = load(_two_column_pdf(tmp_path / "two.pdf", left, right), MAX).text
    assert "right column in Beijing where the centers meet" in text


def test_a_title_across_both_columns_stays_on_top(tmp_path) -> None:
    title = "A title set across both columns of the page, over the gutter, longer than one column is wide"
    left = _column_lines("L", 25)
    right = _column_lines("R", 25)
    text = load(_two_column_pdf(tmp_path / "two.pdf", left, right, title=title), MAX).text
    assert text.index(title) < text.index(left[0]) < text.index(left[-1]) < text.index(right[0])


def _words(rows: list[list[tuple[float, str]]], size: float = 9.0) -> list[Word]:
    out = []
    for r, row in enumerate(rows):
        for x, t in row:
            out.append(Word(t, x, x + size * 0.5 * len(t), 70 + 12 * r, 70 + 12 * r + size, size, False))
    return out


def _prose(x0: float, width: float, k: int, size: float = 9.0) -> list[tuple[float, str]]:
    """A line of words set one after the other with a word space, filling ``width``."""
    out: list[tuple[float, str]] = []
    x, j = x0, k
    while True:
        w = WORDS[j % len(WORDS)]
        if x + size * 0.5 * len(w) > x0 + width:
            return out
        out.append((x, w))
        x += size * 0.5 * len(w) + 2.5
        j += 1


def test_one_column_prose_has_no_gutter() -> None:
    rows = [_prose(50, 490, k) for k in range(40)]
    assert find_gutter(_words(rows), 0) is None


def test_a_table_of_many_columns_is_not_two_columns() -> None:
    """Aligned columns leave several gutters: a table, not a two-column page."""
    xs = (50, 140, 230, 320, 410, 500)
    rows = [[(x, f"c{k}{j}") for j, x in enumerate(xs)] for k in range(30)]
    assert find_gutter(_words(rows), 0) is None


def test_two_prose_columns_have_a_gutter() -> None:
    rows = [_prose(50, 235, k) + _prose(310, 235, k + 5) for k in range(40)]
    cols = find_gutter(_words(rows), 0)
    assert cols is not None and 285 < cols.gutter < 310


def test_a_link_overflowing_into_the_gutter_is_no_full_width_line(tmp_path) -> None:
    """A long link set in the left column runs over the gutter under the right column's text: it stays in
    its column, and the right column's line on its baseline stays in the right column."""
    link = "https://www.example.org/assets/documents/final_made_in_china_2025_report_full.pdf"
    left = _column_lines("L", 15) + [link] + _column_lines("M", 14)
    right = _column_lines("R", 30)
    text = load(_two_column_pdf(tmp_path / "two.pdf", left, right), MAX).text
    pos = [text.index(line) for line in left + right]
    assert pos == sorted(pos)
