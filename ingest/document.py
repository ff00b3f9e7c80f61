"""The one document model every loader produces, and its analysis into typed records.

Every loader (PDF with layout, plain text, Markdown) returns a ``LoadedDocument``: the document's
text in one normalised layout, its pages, and its headings when the format states them (PDF outline
or type, Markdown headings; ``None`` for plain text, whose headings are recognised from the layout).

The normalised layout, which the table reader and the chunker rely on whatever the format was:

* blocks (paragraphs, headings, list items, tables) are separated by a blank line;
* a table is a block with one row per line and its cells separated by tabs (a row that wrapped over
  several lines in the source is one line here); the first row is the header unless the table is a
  two-column list (acronyms);
* a list item starts with "- " (" - " one level down); a reference entry with "[n]";
* the text is plain: no Markdown or LaTeX markup (``ingest.clean``).

``analyse`` turns a loaded document into sections, tables, references, acronyms and figure captions;
nothing after it knows which format the document came from.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from rag.records import Acronym, Document, Page, ReportReference, Section, Table


@dataclass(frozen=True)
class Heading:
    """A heading a loader found: ``text[start:]`` begins with ``title`` (number included)."""

    start: int
    title: str
    level: int


@dataclass
class LoadedDocument:
    document: Document
    text: str
    pages: list[Page]
    headings: list[Heading] | None = None  # None: recognise them from the text's layout
    paged: bool = False  # True when ``pages`` come from the source's own pages (PDF)

    def page_of_offset(self, offset: int) -> int | None:
        """The printed page at ``offset`` (None when the page prints none, or the format has no pages)."""
        if not self.pages or not self.paged:
            return None
        starts = [p.start for p in self.pages]
        i = max(0, bisect.bisect_right(starts, offset) - 1)
        # pages without text share their start with the next page: the last of them holds the text
        return self.pages[i].number


@dataclass
class StructuredDocument:
    loaded: LoadedDocument
    sections: list[Section]
    tables: list[Table]
    references: list[ReportReference]
    acronyms: list[Acronym]
    figures: list = field(default_factory=list)  # ingest.structure.FigureCaption
    toc: object | None = None  # ingest.structure.Toc
    table_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def document(self) -> Document:
        return self.loaded.document

    def counts(self) -> dict[str, int]:
        return {
            "pages": sum(1 for p in self.loaded.pages if p.index is not None) if self.loaded.paged else 0,
            "sections": len(self.sections),
            "tables": len(self.tables),
            "table_rows": sum(len(t.rows) for t in self.tables),
            "references": len(self.references),
            "acronyms": len(self.acronyms),
            "figures": len(self.figures),
        }


def analyse(loaded: LoadedDocument) -> StructuredDocument:
    """Sections, tables, references, acronyms and figure captions of a loaded document."""
    from ingest.structure import build_sections, find_figure_captions, parse_toc
    from ingest.tables import extract_tables

    text = loaded.text
    pof = loaded.page_of_offset if loaded.paged else None
    toc = parse_toc(text)
    sections = build_sections(loaded.document.id, text, toc, pof, headings=loaded.headings)
    parsed = extract_tables(loaded.document.id, text, sections, toc)
    figures = find_figure_captions(text, toc, sections)
    return StructuredDocument(
        loaded=loaded,
        sections=sections,
        tables=parsed.tables,
        references=parsed.references,
        acronyms=parsed.acronyms,
        figures=figures,
        toc=toc,
        table_spans=parsed.spans,
    )
