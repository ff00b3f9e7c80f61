"""Render the report's text to PDF with two engines and four layouts (test and evaluation inputs).

* ``chromium``: HTML printed by headless Chromium (Playwright, Debian's /usr/bin/chromium): A4, serif,
  tables as real ruled ``<table>`` grids, PDF outline (bookmarks) from the headings, a running header
  and a centred page number in the footer.
* ``chromium-plain``: HTML printed by Chromium again, in another layout: US Letter, sans-serif, justified
  text, tables as unruled aligned text, no bookmarks, a left running header and "Page N of M".
* ``fpdf2``: drawn with fpdf2: US Letter, DejaVu Sans (the copy shipped inside matplotlib), tables with
  horizontal rules only, bookmarks via ``start_section``, a running header, and "Page N" in the
  footer after roman-numbered front pages (PDF page labels "i, ii, ... 1, 2, ...").
* ``chromium-2col``: HTML printed by Chromium in two columns: A4, Liberation Serif, narrow tables inside
  a column and wide ones spanning both, all with horizontal rules only, no bookmarks, a running header
  on the left and a bare page number on the right of the footer.

The structure to render (headings, tables, references) is read from the text with the ingest parsers;
the printed text is the cleaned text (no Markdown escapes). Output is deterministic: same input, same
bytes (fixed creation dates, no random ids). Run ``python -m evals.render_pdfs OUT_DIR``.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.clean import clean_markup
from ingest.structure import FRONT_MATTER, TOC_TITLE, build_sections, parse_toc
from ingest.tables import extract_tables

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
REPORT_TEXT = ROOT / "corpus" / "NIST.AMS.600-17.txt"
RUNNING_HEADER = "NIST AMS 600-17 - China's Manufacturing Innovation Centers"
PLAIN_HEADER = "China's Manufacturing Innovation Centers (NIST AMS 600-17)"
ENGINES = ("chromium", "fpdf2", "chromium-plain", "chromium-2col")
FIXED_DATE = datetime(2025, 5, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Block:
    kind: str  # heading | para | item | table | toc
    text: str = ""
    level: int = 0  # heading level or list depth
    header: tuple[str, ...] | None = None  # table header (None: headerless table)
    rows: tuple[tuple[str, ...], ...] = ()
    page: str = ""  # toc entries: the printed page as the report's contents give it


def report_blocks(text: str) -> list[Block]:
    """The report as a sequence of blocks to lay out."""
    toc = parse_toc(text)
    sections = build_sections("r", text, toc)
    parsed = extract_tables("r", text, sections, toc)
    tab_tables = {t.start: t for t in parsed.tables if t.id != "table-1"}  # table 1 is printed as paragraphs
    blocks: list[Block] = []
    for sec in sections:
        body_start = sec.start
        if sec.title != FRONT_MATTER:
            blocks.append(Block("heading", clean_markup(sec.title), level=sec.level))
            body_start = text.find("\n", sec.start, sec.end)
            body_start = sec.end if body_start == -1 else body_start
        if sec.title == TOC_TITLE and toc is not None:
            for line in text[body_start:toc.end].splitlines():
                if not line.strip():
                    continue
                head, _, page = line.rpartition("\t") if "\t" in line else (line, "", "")
                head = head.replace("\t", "") if head else line
                blocks.append(Block("toc", clean_markup(head.strip()), page=page.strip()))
            body_start = toc.end
        blocks.extend(_body_blocks(text, body_start, sec.end, tab_tables))
    return blocks


def _body_blocks(text: str, start: int, end: int, tables: dict) -> list[Block]:
    out: list[Block] = []
    pos = start
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("para", clean_markup(" ".join(p.strip() for p in para))))
            para.clear()

    while pos < end:
        table = tables.get(pos)
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        line = text[pos:stop]
        if table is not None:
            flush()
            header = None
            if table.columns != ["Acronym", "Definition"]:
                header = tuple(clean_markup(c) for c in table.columns)
            rows = tuple(tuple(clean_markup(r.raw_cells[c]) for c in table.columns) for r in table.rows)
            if header is not None:
                # the header line as printed (with its hyphenation), not the cleaned column names
                first_row = table.rows[0].start if table.rows else table.end
                lines = [ln for ln in text[table.start:first_row].splitlines() if ln.strip()]
                if len(lines) > 1:  # a caption line before the header
                    out.append(Block("para", clean_markup(lines[0].strip())))
                header = tuple(clean_markup(c.strip()) for c in lines[-1].split("\t"))
            out.append(Block("table", header=header, rows=rows))
            pos = table.end + 1
            continue
        stripped = line.strip()
        item = re.match(r"^(\s*)(?:[-\u2022]|o)\s+(.*)$", line)
        if not stripped:
            flush()
        elif item and (line.lstrip().startswith("- ") or line.startswith(" ")):
            flush()
            depth = 2 if item.group(1) else 1
            out.append(Block("item", clean_markup(item.group(2).strip()), level=depth))
        elif out and out[-1].kind == "item" and not para and line.startswith(" "):
            prev = out.pop()  # a list item's wrapped line
            out.append(Block("item", prev.text + " " + clean_markup(stripped), level=prev.level))
        else:
            para.append(line)
        pos = stop + 1
    flush()
    return [b for b in out if b.text or b.kind == "table"]


# --------------------------------------------------------------------------------------------
# Chromium (HTML + CSS)
# --------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm; }
body { font-family: 'DejaVu Serif', 'Liberation Serif', serif; font-size: 10.5pt; line-height: 1.35; }
h1 { font-size: 17pt; margin: 18pt 0 8pt; } h2 { font-size: 13.5pt; margin: 14pt 0 6pt; }
h3 { font-size: 11.5pt; margin: 10pt 0 4pt; }
p { margin: 0 0 7pt; text-align: left; }
ul { margin: 0 0 7pt 14pt; padding-left: 12pt; } ul ul { margin-bottom: 0; }
table { border-collapse: collapse; margin: 6pt 0 10pt; font-size: 8.5pt; width: 100%; }
th, td { border: 0.8pt solid #333; padding: 2pt 3pt; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
.toc { display: flex; justify-content: space-between; margin: 0 0 2pt; }
.toc span.p { padding-left: 24pt; }
.title { font-size: 24pt; font-weight: bold; margin-top: 60pt; }
"""


# A second Chromium layout: US Letter, sans-serif, tables as plain aligned text (no rules at all).
_PLAIN_CSS = """
@page { size: Letter; margin: 20mm 22mm 22mm 22mm; }
body { font-family: 'Liberation Sans', 'DejaVu Sans', sans-serif; font-size: 11pt; line-height: 1.4; }
h1 { font-size: 15pt; margin: 16pt 0 6pt; } h2 { font-size: 13pt; margin: 12pt 0 5pt; }
h3 { font-size: 11.5pt; font-style: italic; margin: 10pt 0 4pt; }
p { margin: 0 0 8pt; text-align: justify; }
ul { margin: 0 0 8pt 0; padding-left: 18pt; }
table { border-collapse: separate; border-spacing: 10pt 3pt; margin: 6pt 0 10pt -10pt; font-size: 8.5pt; }
th, td { border: none; padding: 0; vertical-align: top; text-align: left; }
th { font-weight: bold; }
.toc { display: flex; justify-content: space-between; margin: 0 0 2pt; }
"""


# A third Chromium layout: two columns (a journal's layout), tables with horizontal rules only; a table of
# more than four columns spans both columns. A row is never split over a column break.
_TWOCOL_CSS = """
@page { size: A4; margin: 18mm 15mm 20mm 15mm; }
body { font-family: 'Liberation Serif', serif; font-size: 10pt; line-height: 1.25;
       column-count: 2; column-gap: 8mm; overflow-wrap: break-word; }
h1 { font-size: 14pt; margin: 12pt 0 5pt; } h2 { font-size: 12pt; margin: 10pt 0 4pt; }
h3 { font-size: 10.5pt; font-weight: bold; margin: 8pt 0 3pt; }
p { margin: 0 0 6pt; text-align: left; }
ul { margin: 0 0 6pt 0; padding-left: 14pt; } ul ul { margin-bottom: 0; }
table { border-collapse: collapse; margin: 5pt 0 8pt; font-size: 7.5pt; width: 100%; }
table.wide { column-span: all; font-size: 7pt; }
th, td { border-top: 0.6pt solid #222; border-bottom: 0.6pt solid #222; padding: 1.5pt 3pt;
         vertical-align: top; text-align: left; }
tr { break-inside: avoid; }
.toc { display: flex; justify-content: space-between; margin: 0 0 1pt; }
.toc span.p { padding-left: 12pt; }
"""


def render_html(blocks: list[Block], css: str = _CSS, span_wide: bool = False) -> str:
    """``span_wide``: a table of more than four columns is marked to span the page's columns."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(RUNNING_HEADER)}</title>",
           f"<style>{css}</style></head><body>"]
    open_lists = 0
    for b in blocks:
        if b.kind != "item" and open_lists:
            out.append("</ul>" * open_lists)
            open_lists = 0
        e = html.escape(b.text)
        if b.kind == "heading":
            level = min(b.level, 3)
            out.append(f"<h{level}>{e}</h{level}>")
        elif b.kind == "para":
            out.append(f"<p>{e}</p>")
        elif b.kind == "toc":
            out.append(f"<div class='toc'><span>{e}</span><span class='p'>{html.escape(b.page)}</span></div>")
        elif b.kind == "item":
            while open_lists < b.level:
                out.append("<ul>")
                open_lists += 1
            while open_lists > b.level:
                out.append("</ul>")
                open_lists -= 1
            out.append(f"<li>{e}</li>")
        elif b.kind == "table":
            wide = span_wide and len(b.header or (b.rows[0] if b.rows else ())) > 4
            out.append("<table class='wide'>" if wide else "<table>")
            if b.header:
                out.append("<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in b.header) + "</tr></thead>")
            out.append("<tbody>")
            for r in b.rows:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
            out.append("</tbody></table>")
    out.append("</ul>" * open_lists + "</body></html>")
    return "\n".join(out)


def render_chromium(blocks: list[Block], out: Path, executable: str = "/usr/bin/chromium", plain: bool = False,
                    two_columns: bool = False) -> Path:
    """``plain``: the Letter/sans-serif layout with unruled tables, "Page N of M" and no bookmarks;
    ``two_columns``: the two-column A4 layout without bookmarks.

    Runs in a thread of its own: Playwright's sync API refuses a thread whose asyncio loop is already
    running (a caller that drives another browser, a test session with one open)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_render_chromium, blocks, out, executable, plain, two_columns).result()


def _render_chromium(blocks: list[Block], out: Path, executable: str, plain: bool, two_columns: bool) -> Path:
    from playwright.sync_api import sync_playwright

    header = (f"<div style='font-size:7.5pt;width:100%;text-align:right;margin:0 18mm;color:#444'>"
              f"{html.escape(RUNNING_HEADER)}</div>")
    footer = ("<div style='font-size:8pt;width:100%;text-align:center;color:#444'>"
              "<span class='pageNumber'></span></div>")
    if plain:
        header = ("<div style='font-size:8pt;width:100%;text-align:left;margin:0 22mm;color:#444'>"
                  f"{html.escape(PLAIN_HEADER)}</div>")
        footer = ("<div style='font-size:8pt;width:100%;text-align:right;margin:0 22mm;color:#444'>"
                  "Page <span class='pageNumber'></span> of <span class='totalPages'></span></div>")
    if two_columns:
        header = ("<div style='font-size:7pt;width:100%;text-align:left;margin:0 15mm;color:#444'>"
                  "NIST AMS 600-17</div>")
        footer = ("<div style='font-size:8pt;width:100%;text-align:right;margin:0 15mm;color:#444'>"
                  "<span class='pageNumber'></span></div>")
    html_text = render_html(blocks, _TWOCOL_CSS, span_wide=True) if two_columns else \
        render_html(blocks, _PLAIN_CSS if plain else _CSS)
    bookmarks = not plain and not two_columns
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=args)
        try:
            page = browser.new_page()
            page.set_content(html_text, wait_until="load")
            pdf = page.pdf(display_header_footer=True, header_template=header, footer_template=footer,
                           prefer_css_page_size=True, outline=bookmarks, tagged=bookmarks, print_background=True)
        finally:
            browser.close()
    out.write_bytes(_strip_dates(pdf))
    return out


def _strip_dates(pdf: bytes) -> bytes:
    """Chromium stamps the current time; a fixed one keeps the file byte-identical run to run."""
    stamp = FIXED_DATE.strftime("D:%Y%m%d%H%M%S+00'00'").encode()
    return re.sub(rb"D:\d{14}[^)]*", lambda m: stamp.ljust(len(m.group(0)))[: len(m.group(0))], pdf)


# --------------------------------------------------------------------------------------------
# fpdf2
# --------------------------------------------------------------------------------------------


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def render_fpdf(blocks: list[Block], out: Path) -> Path:
    from fpdf import FPDF
    from fpdf.enums import TableBordersLayout

    class Report(FPDF):
        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 7)
            self.set_text_color(90)
            self.cell(0, 6, RUNNING_HEADER, align="L")
            self.ln(9)
            self.set_text_color(0)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90)
            self.cell(0, 6, f"Page {self.get_page_label()}", align="R")
            self.set_text_color(0)

    pdf = Report(format="Letter", unit="mm")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title("China's Manufacturing Innovation Centers")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page(label_style="r", label_start=1)
    body_started = False
    sizes = {1: 15, 2: 12.5, 3: 11}
    for b in blocks:
        if b.kind == "heading":
            if not body_started and b.text.lower() == "executive summary":
                # the body starts on a new page numbered 1; front pages are numbered i, ii, ...
                body_started = True
                pdf.add_page(label_style="D", label_start=1)
            elif b.level == 1:
                pdf.ln(3)
            pdf.set_font("DejaVu", "B", sizes.get(b.level, 11))
            pdf.start_section(b.text, level=max(0, min(b.level, 3) - 1))
            pdf.multi_cell(0, 7, _safe(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif b.kind in ("para", "item"):
            pdf.set_font("DejaVu", "", 9.5)
            indent = 6 * b.level if b.kind == "item" else 0
            text = ("\u2022 " if b.kind == "item" else "") + _safe(b.text)
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif b.kind == "toc":
            pdf.set_font("DejaVu", "", 9)
            if pdf.will_page_break(10):
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_x(pdf.l_margin + pdf.epw - 12)
            pdf.cell(12, 5, b.page, align="R")  # the page on the entry's first line
            pdf.set_xy(pdf.l_margin, y)
            pdf.multi_cell(pdf.epw - 15, 5, _safe(b.text), new_x="LMARGIN", new_y="NEXT")
        elif b.kind == "table":
            pdf.set_font("DejaVu", "", 5.5 if b.header and len(b.header) > 8 else 8)
            with pdf.table(borders_layout=TableBordersLayout.HORIZONTAL_LINES, line_height=3.6,
                           col_widths=_col_widths(pdf, b),
                           first_row_as_headings=b.header is not None, text_align="LEFT",
                           padding=1) as table:
                if b.header:
                    table.row([_safe(c) for c in b.header])
                for r in b.rows:
                    table.row([_safe(c) for c in r])
            pdf.ln(3)
    out.write_bytes(bytes(pdf.output()))
    return out


def _col_widths(pdf, b: Block) -> tuple[float, ...]:
    """Columns at least as wide as their longest word (so no word is broken), the rest by content."""
    cols = list(zip(*([b.header] if b.header else []), *b.rows, strict=True))
    longest = [max(pdf.get_string_width(w) for cell in col for w in (cell.split() or [""])) * 1.15 + 3 for col in cols]
    content = [sum(len(cell) for cell in col) + 1 for col in cols]
    spare = max(0.0, pdf.epw - sum(longest))
    return tuple(lw + spare * c / sum(content) for lw, c in zip(longest, content, strict=True))


def _safe(s: str) -> str:
    """DejaVu Sans has no CJK glyphs: those characters are left out of this rendering."""
    return "".join(ch for ch in s if not ("\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"))


def render_all(out_dir: Path, text_path: Path = REPORT_TEXT, engines: tuple[str, ...] = ENGINES) -> dict[str, Path]:
    """Render the report with each engine into ``out_dir``; returns {engine: pdf path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = report_blocks(text_path.read_text(encoding="utf-8"))
    paths: dict[str, Path] = {}
    for engine in engines:
        target = out_dir / f"report-{engine}.pdf"
        if engine == "chromium":
            paths[engine] = render_chromium(blocks, target)
        elif engine == "chromium-plain":
            paths[engine] = render_chromium(blocks, target, plain=True)
        elif engine == "chromium-2col":
            paths[engine] = render_chromium(blocks, target, two_columns=True)
        elif engine == "fpdf2":
            paths[engine] = render_fpdf(blocks, target)
        else:
            raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}.")
    return paths


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    target_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "pdfs"
    for name, path in render_all(target_dir).items():
        log.info("%s: %s (%d bytes)", name, path, path.stat().st_size)
