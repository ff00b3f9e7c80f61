"""Typed records passed between the stages (ingest -> store -> retrieval -> answer -> faces).

Plain dataclasses on purpose: they are cheap to build, easy to compare in tests and
serialise with ``dataclasses.asdict``. Every stage boundary uses one of these; nothing
passes free-form metadata dicts between stages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ChunkKind = Literal["prose", "table", "table_row", "reference", "acronym", "figure_caption"]
CHUNK_KINDS: tuple[str, ...] = ("prose", "table", "table_row", "reference", "acronym", "figure_caption")

# The one refusal sentence: shared by the default answerer, the LLM prompt, the parser and tests.
CANNOT_ANSWER = "The report does not answer this question."

SECTION_SEP = " > "


@dataclass(frozen=True)
class Document:
    id: str  # stable: derived from the file name (slug)
    title: str
    source_path: str
    sha256: str
    kind: Literal["pdf", "txt", "md"]

    @property
    def short_name(self) -> str:
        """A short name a person would type or read in a citation: the file name without extension,
        its separators as spaces ("NIST.AMS.600-17.txt" -> "NIST AMS 600-17")."""
        return short_name_of(self.source_path) or self.id


def short_name_of(source_path: str) -> str:
    import re
    from pathlib import PurePath

    return re.sub(r"[\s._]+", " ", PurePath(source_path).stem).strip()


@dataclass(frozen=True)
class Page:
    """A page of a loaded document. ``number`` is the printed page (from the PDF's page labels or its
    footer; None when the page prints none, and for text files); ``index`` the PDF page (1-based)."""

    doc_id: str
    number: int | None
    start: int  # offset of the page's first character in the document's full text
    text: str
    index: int | None = None


@dataclass
class Section:
    doc_id: str
    number: str | None  # "3.2.3", "A.1", "Appendix A", or None for unnumbered headings
    title: str  # heading text as written, e.g. "3.2.3. Financing"
    path: tuple[str, ...]  # titles from the top level down to this section
    level: int
    page: int | None  # printed page from the table of contents (or PDF page); never guessed
    start: int  # offsets into the document text: [start, end)
    end: int

    @property
    def path_str(self) -> str:
        return SECTION_SEP.join(self.path)


@dataclass
class TableRow:
    table_id: str
    index: int  # 1-based position in the table
    cells: dict[str, Any]  # column name -> typed value (int, float, str or None)
    raw_cells: dict[str, str]  # column name -> text as written in the report
    start: int
    end: int

    @property
    def key(self) -> str:
        """Row reference used by ``micqa lookup`` (``A.1/26``)."""
        return f"{self.table_id}/{self.index}"


@dataclass
class Table:
    id: str  # "table-1", "table-2", "A.1", "D" ... (what the report calls it)
    doc_id: str
    caption: str
    columns: list[str]
    rows: list[TableRow]
    section_path: tuple[str, ...]
    page: int | None
    start: int
    end: int
    notes: list[str] = field(default_factory=list)  # footnotes printed with the table


@dataclass
class ReportReference:
    number: int
    text: str  # the entry as printed (without the "[n]" marker)
    authors: str
    year: str | None
    title: str
    url: str | None
    start: int
    end: int
    doc_id: str = ""  # references are numbered per document: [20] of one report is not [20] of another
    venue: str | None = None  # journal, publisher or site the work appeared in ("Nature")


@dataclass
class Acronym:
    acronym: str
    expansion: str
    doc_id: str = ""  # the document whose acronym list defines it


@dataclass
class Chunk:
    id: str  # hash of doc id and content: stable across re-ingests
    doc_id: str
    doc_title: str
    section_number: str | None
    section_path: tuple[str, ...]
    page: int | None
    start: int
    end: int
    kind: str  # one of CHUNK_KINDS
    text: str  # exactly doc_text[start:end] for prose; a worded rendering for rows/tables
    embed_text: str  # section path prefixed to the text
    table_id: str | None = None
    row_index: int | None = None
    raw: str | None = None  # the raw table text for display (tables and rows)
    doc_short: str = ""  # the document's short name, shown beside its title in citations

    @property
    def section(self) -> str:
        return SECTION_SEP.join(self.section_path)


@dataclass
class ScoredChunk:
    chunk: Chunk
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_sim: float | None = None  # cosine similarity of the question to the chunk


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc: str  # document title
    section: str
    page: int | None
    quote: str  # verbatim substring of the chunk's text (checked in code)
    references: list[ReportReference] = field(default_factory=list)
    supported: bool = True  # False when an LLM sentence is not supported by its passage
    doc_id: str = ""
    doc_short: str = ""  # short name of the document ("NIST AMS 600-17"), for chips and one-line citations
    # for a table-row citation: the columns whose cells the answer used (stated, or named by the question)
    cells: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Segment:
    """One piece of an answer as shown: the text since the previous citation marker, then the marker that ends it.

    An answer is a list of segments; its text is theirs joined (``render``), so the stages after the
    answerer (merging a compound question's parts, marking the table cells an answer states) read
    which words precede which citation from here, never by re-parsing "[n]" out of the text.
    ``text`` keeps its spacing exactly as shown; ``n`` is the number of the citation drawn "[n]" right
    after it, or None for text no citation follows (a closing full stop, a refusal). Markers side by
    side ("... [1] [2]") are consecutive segments, the later ones holding only what stands between.
    """

    text: str
    n: int | None = None

    def render(self) -> str:
        return self.text if self.n is None else f"{self.text}[{self.n}]"


def render(segments: list[Segment]) -> str:
    """The answer text the segments make, markers drawn where they stand."""
    return "".join(s.render() for s in segments)


def compacted(segments: list[Segment]) -> list[Segment]:
    """The same text with each piece no citation follows joined to the next, so that every segment but
    the last ends with its marker and holds all the words since the marker before it."""
    out: list[Segment] = []
    carry = ""
    for s in segments:
        if s.n is None:
            carry += s.text
        else:
            out.append(Segment(carry + s.text, s.n))
            carry = ""
    if carry:
        out.append(Segment(carry))
    return out


def segments_stripped(segments: list[Segment]) -> list[Segment]:
    """The segments with the rendered text's outer whitespace removed (as ``str.strip`` would)."""
    out = list(segments)
    while out and out[0].n is None and not out[0].text.strip():
        out.pop(0)
    while out and out[-1].n is None and not out[-1].text.strip():
        out.pop()
    if out:
        out[0] = Segment(out[0].text.lstrip(), out[0].n)
    if out and out[-1].n is None:
        out[-1] = Segment(out[-1].text.rstrip(), None)
    return out


@dataclass
class Turn:
    role: Literal["user", "assistant"]
    content: str
    # what an answer was about (Answer.entities): follow-ups resolve "it" and "the second one" from this
    # structure when it is given, from the text otherwise
    entities: list[str] = field(default_factory=list)


@dataclass
class Answer:
    question: str
    standalone_question: str
    text: str  # formatted answer with [n] markers
    raw_text: str  # what the answerer produced before citation checking
    citations: list[Citation]
    contexts: list[ScoredChunk]
    refused: bool
    backend: str
    latency_ms: float
    related: list[ScoredChunk] = field(default_factory=list)  # offered when refused
    warnings: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)  # the things the answer is about, in order
    intent: str = "lookup"  # what the question asked for (rag/query.py): lookup, explain, compare, ...
    answerer: str = ""  # which answerer answered (rag/route.py)
    # ``text`` piece by piece, each with the marker after it (``render(segments) == text``): faces draw the
    # markers from here, so a "[7]" among an answer's words is never mistaken for a citation
    segments: list[Segment] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``micqa ask --json`` shape (read by the evaluation and other tools)."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "segments": [{"text": s.text, "n": s.n} for s in self.segments],
            "refused": self.refused,
            "citations": [
                {
                    "n": c.n,
                    "chunk_id": c.chunk_id,
                    "doc": c.doc,
                    "doc_id": c.doc_id,
                    "doc_short": c.doc_short,
                    "section": c.section,
                    "page": c.page,
                    "quote": c.quote,
                    "references": [asdict(r) for r in c.references],
                }
                for c in self.citations
            ],
            "contexts": [
                {
                    "chunk_id": s.chunk.id,
                    "doc": s.chunk.doc_title,
                    "doc_id": s.chunk.doc_id,
                    "doc_short": s.chunk.doc_short,
                    "section": s.chunk.section,
                    "page": s.chunk.page,
                    "kind": s.chunk.kind,
                    "score": round(s.score, 6),
                    "text": s.chunk.text,
                }
                for s in self.contexts
            ],
            "backend": self.backend,
            "intent": self.intent,
            "entities": list(self.entities),
            "answerer": self.answerer,
            "warnings": list(self.warnings),
            "latency_ms": round(self.latency_ms, 3),
        }


@dataclass
class Manifest:
    collection: str
    settings_hash: str
    model_id: str
    dimension: int
    chromadb_version: str
    chunker_version: str
    documents: list[dict[str, str]]  # id, title, sha256, source_path
    corpus_sha256: str
    counts: dict[str, int]  # chunks, and chunks by kind
    probe_query: str
    probe_chunk_id: str
    created_at: str
    # {relative path: {size, sha256}} of every build file but the manifest and the Chroma store
    files: dict[str, dict[str, int | str]] = field(default_factory=dict)
