"""The one entry point every face uses: the CLI, the Streamlit app and the evaluation.

    ask(question, history=None, settings=None, *, k=None, backend=None, filters=None, on_token=None) -> Answer
    lookup(ref, settings=None) -> LookupResult
    get_engine(settings=None) -> Engine          (loaded once per process, read-only)
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.answer import GroundedAnswerer
from rag.answerers.base import AnswerJob
from rag.citations import mark_table_cells
from rag.conversation import condense, names_in
from rag.errors import BadQuestion, IndexNeedsRebuild, MicqaError
from rag.frontmatter import FrontMatter
from rag.neighbours import WordNeighbours
from rag.query import Lexicon, Query, counted_stem, parse_query
from rag.records import CANNOT_ANSWER, Answer, Chunk, ReportReference, Section, Table, TableRow, Turn
from rag.retrieve import Filters
from rag.route import ROUTES, Router, merge_parts
from rag.sanitize import clean_question, clean_text
from rag.settings import AnswerSettings, Settings
from rag.store import Index, chroma_reader, current_build_dir, open_index
from rag.table_names import find_table, table_label
from rag.tables import TableQA
from rag.things import PlaceNames, ThingNames

__all__ = ["CANNOT_ANSWER", "Engine", "Filters", "LookupResult", "ask", "get_engine", "lookup"]

log = logging.getLogger(__name__)
MAX_REF_CHARS = 200
LEXICON_MAX_CHUNKS = 20000
PART_MAX_CHARS = 900  # all parts of a compound question together  # the longest real ref (a chunk id, "Appendix A.1", "A.1/26") is far shorter
qa_log = logging.getLogger("micqa.qa")


@dataclass
class LookupResult:
    """What ``micqa lookup REF`` prints: a passage (chunk), a table row or a report reference.

    With several documents a section number, table row or reference may exist in more than one:
    then ``matches`` holds one result per document (and ``text`` lists them), unless a document
    was named."""

    ref: str
    kind: str  # "chunk" | "section" | "table_row" | "table" | "figure" | "reference"
    title: str
    text: str
    chunk: Chunk | None = None
    row: TableRow | None = None
    reference: ReportReference | None = None
    table: Table | None = None  # a table row's or a whole table's table
    section: Section | None = None
    doc_id: str = ""
    doc: str = ""  # the document's title
    doc_short: str = ""
    matches: list[LookupResult] = field(default_factory=list)


class Engine:
    """Everything loaded once per process: the index, the retriever, the table reader, the answerer."""

    def __init__(self, settings: Settings, embedder=None) -> None:
        from rag.retrieve import HybridRetriever, LexicalIndex

        self.settings = settings
        self.index: Index = open_index(settings)
        m = self.index.manifest
        try:
            self.lexical = LexicalIndex.load(self.index.build_dir / "bm25")
            if not settings.chroma_url and not (self.index.build_dir / "chroma" / "chroma.sqlite3").is_file():
                # checked first because opening a PersistentClient on a missing folder would create one
                raise FileNotFoundError("the chroma store is missing")
            client = chroma_reader(settings, self.index.build_dir)  # a private copy: queries never write the build
            self.collection = client.get_collection(m.collection, embedding_function=None)
            stored = self.collection.count()
        except MicqaError:
            raise
        except Exception as exc:  # any failure to open the stores means the same thing to a user
            raise IndexNeedsRebuild(
                f"The index in {self.index.build_dir} could not be opened ({type(exc).__name__}): index needs rebuild; "
                "run `micqa ingest --force`."
            ) from exc
        if stored != m.counts.get("chunks"):
            raise IndexNeedsRebuild(
                f"The vector store holds {stored} vectors but the manifest lists {m.counts.get('chunks')} chunks: "
                "index needs rebuild; run `micqa ingest --force`."
            )
        _check_store(self.index, self.collection)
        self.embedder = embedder or load_query_embedder(settings, self.index.build_dir)
        if self.embedder.dim != m.dimension or getattr(self.embedder, "model_id", m.model_id) != m.model_id:
            raise IndexNeedsRebuild(
                f"The index was built with {m.model_id} ({m.dimension} dimensions) but the embedder is "
                f"{self.embedder.model_id} ({self.embedder.dim}): index needs rebuild; run `micqa ingest`."
            )
        unit_vectors = _load_unit_vectors(self.index.build_dir)
        self.retriever = HybridRetriever(self.index.chunks, self.lexical, self.collection, self.embedder,
                                         self.index.acronyms, vectors=unit_vectors)
        self.answer_settings = AnswerSettings()
        self.tables = TableQA(self.index.table_list, self.index.chunks, self.index.acronyms, self.answer_settings)
        self._doc_tables: dict[str, TableQA] = {}
        self.answerer = GroundedAnswerer(self.index.chunks, self.index.references, vectors=unit_vectors,
                                         settings=self.answer_settings,
                                         expander=self.retriever.expander, df=_load_df(self.index.build_dir),
                                         front=FrontMatter(self.index.chunks, self.index.acronyms),
                                         neighbours=_word_neighbours(self.index.build_dir, self.embedder,
                                                                     self.answer_settings))
        self.retriever.sentence_weights = self.answerer._weights
        self.answerer.things = ThingNames(self.tables.row_labels(), self.answer_settings.thing_shared_share,
                                          self.answer_settings.thing_min_rows, self.tables.row_places())
        self.answerer.places = PlaceNames(self.tables.place_values())
        from rag.answerers import REGISTRY

        parts = {"grounded": self.answerer, "row_chunk": self.tables.row_chunk, "retriever": self.retriever,
                 "embedder": self.embedder, "index": self.index, "answer_settings": self.answer_settings,
                 "engine": self, "settings": settings}
        self.router = Router({name: cls(**parts) for name, cls in REGISTRY.items()})
        # with a model asked for, the model answers every intent (it refuses, with no call, what retrieval cannot support)
        self.llm_router = Router(self.router.answerers, {intent: ("llm",) for intent in ROUTES})
        self._lexicon: Lexicon | None = None
        self.build_id = self.index.build_dir.name
        self.table_chunks = {c.table_id: c for c in self.index.chunks if c.kind == "table" and c.table_id}

    @property
    def lexicon(self) -> Lexicon:
        """The report's words and casing, for parsing questions (built on first use: start-up stays flat)."""
        if self._lexicon is None:
            tok = getattr(self.embedder, "tokenizer", None)
            english = tok.get_vocab().keys() if tok is not None and hasattr(tok, "get_vocab") else ()
            chunks = self.index.chunks[:LEXICON_MAX_CHUNKS]  # the vocabulary saturates long before
            # names that stand only in a table ("National Graphene Innovation Center") are names too; a cell is
            # read after a lead word so that its first word is not taken for a sentence's capital
            cells = [f"The {v}." for t in self.index.table_list for r in t.rows for v in r.raw_cells.values()
                     if isinstance(v, str) and len(v.split()) >= 2 and v[:1].isupper()]
            self._lexicon = Lexicon([c.text for c in chunks], english,
                                    case_texts=[c.text for c in chunks if c.kind == "prose"] + cells)
            if self.answerer.front is not None:
                self._lexicon.published = self.answerer.front.published()
                self._lexicon.report_names, self._lexicon.report_acronyms = self.answerer.front.naming_words()
        return self._lexicon

    def parse(self, question: str) -> Query:
        return parse_query(question, self.lexicon)

    def tables_for(self, doc_id: str | None) -> TableQA:
        """The table reader over one document's tables (made on first use), or over all of them."""
        if doc_id is None or not self.index.several_documents:
            return self.tables
        if doc_id not in self._doc_tables:
            self._doc_tables[doc_id] = TableQA([t for t in self.index.table_list if t.doc_id == doc_id],
                                               [c for c in self.index.chunks if c.doc_id == doc_id],
                                               [a for a in self.index.acronyms if a.doc_id in (doc_id, "")],
                                               self.answer_settings)
        return self._doc_tables[doc_id]

    def table_answer(self, question: str, filters: Filters | None = None):
        """The table reader's answer (within the filtered document); with several documents indexed it
        says whose table it computed over, since each may hold a "Table 1"."""
        table = self.tables_for(filters.doc_id if filters else None).answer(question)
        if table is not None and self.index.several_documents:
            d = self.index.doc_by_id.get(table.table.doc_id)
            if d is not None:
                table.segments.insert(0, f"In {d.short_name} ({d.title}): ")
        return table

    def similarity(self, a: str, b: str) -> float:
        """Cosine of two short texts (used to tell which earlier name a follow-up replaces)."""
        return float(np.dot(self.embedder.embed_query(a), self.embedder.embed_query(b)))


def _load_df(build_dir: Path) -> dict[str, int] | None:
    """Document frequencies written at ingest (absent in older builds: then computed at start-up)."""
    try:
        return json.loads((build_dir / "df.json").read_text())
    except (OSError, ValueError):
        return None


def _word_neighbours(build_dir: Path, embedder, s: AnswerSettings) -> WordNeighbours | None:
    """The documents' word vectors (written at ingest), for meeting a question's unknown words; None when the
    build has none or they are unreadable (answers then match words by spelling and SAME_MEANING only)."""
    try:
        words = json.loads((build_dir / "words.json").read_text())
        vecs = np.load(build_dir / "words.npy")
    except (OSError, ValueError):
        return None
    if len(words) != len(vecs):
        return None
    return WordNeighbours(words, vecs, embedder.embed_query, s.neighbour_min_sim, s.neighbour_top)


def _load_unit_vectors(build_dir: Path) -> dict[str, np.ndarray]:
    """Vectors of answerable units: sentences (sentences.npy) and whole chunks (vectors.npy), by key."""
    out: dict[str, np.ndarray] = {}
    try:
        ids = json.loads((build_dir / "vector_ids.json").read_text())
        vecs = np.load(build_dir / "vectors.npy")
        out.update(zip(ids, vecs, strict=True))
        if (build_dir / "sentences.npy").exists():
            keys = json.loads((build_dir / "sentence_keys.json").read_text())
            out.update(zip(keys, np.load(build_dir / "sentences.npy"), strict=True))
    except (OSError, ValueError) as exc:
        raise IndexNeedsRebuild(
            f"The vectors in {build_dir} are unreadable ({type(exc).__name__}): index needs rebuild; "
            "run `micqa ingest --force`."
        ) from exc
    return out


def _check_store(index: Index, collection) -> None:
    """The store must be the one the manifest describes: same chromadb, and the probe passage is there
    with its vector (looked up by id: a twin passage, duplicate text, is no error).

    Uses the probe chunk's stored vector (vectors.npy), so no model is needed and nothing is written.
    """
    import chromadb
    import numpy as np

    from rag.store import check_probe

    m = index.manifest
    hint = "index needs rebuild; run `micqa ingest --force`."
    if m.chromadb_version != chromadb.__version__:
        raise IndexNeedsRebuild(
            f"The index was written by chromadb {m.chromadb_version} but chromadb {chromadb.__version__} is "
            f"installed: {hint}"
        )
    try:
        ids = json.loads((index.build_dir / "vector_ids.json").read_text())
        vecs = np.load(index.build_dir / "vectors.npy", mmap_mode="r")
        vec = np.asarray(vecs[ids.index(m.probe_chunk_id)], dtype=np.float32)
        if vec.shape != (m.dimension,):
            raise ValueError(f"probe vector has shape {vec.shape}")
        problem = check_probe(collection, m.probe_chunk_id, vec)
    except Exception as exc:  # missing/damaged vectors or a store that cannot answer: same remedy
        raise IndexNeedsRebuild(
            f"The index in {index.build_dir} failed its probe query ({type(exc).__name__}): {hint}"
        ) from exc
    if problem:
        raise IndexNeedsRebuild(f"The index in {index.build_dir} is inconsistent ({problem}): {hint}")


def load_query_embedder(settings: Settings, build_dir: Path):
    """The query-time embedder: the ONNX export beside the index when present (fast start), else MiniLM."""
    from rag.onnx_embed import SLOW_FALLBACK, OnnxEmbedder

    onnx_dir = build_dir / "onnx"
    if (onnx_dir / "model.onnx").exists():
        try:
            return OnnxEmbedder(onnx_dir, settings.embed_model_id)
        except Exception as exc:  # its files passed their checksums, so the export itself is unusable
            raise IndexNeedsRebuild(
                f"The embedding model in {onnx_dir} cannot be loaded ({type(exc).__name__}): index needs rebuild; "
                "run `micqa ingest --force`."
            ) from exc
    log.warning("The index in %s has no ONNX model: %s Run `micqa ingest --force` to export it.", build_dir,
                SLOW_FALLBACK)
    from rag.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embed_model_path, settings.embed_model_id)


_engines: dict[tuple, Engine] = {}
_engine_lock = threading.Lock()


def get_engine(settings: Settings | None = None, embedder=None) -> Engine:
    """One engine per (data dir, server, settings, current build); a new build is picked up on the next call."""
    settings = settings or Settings.from_env()
    build = current_build_dir(settings)
    key = (str(settings.data_dir), settings.chroma_url, settings.settings_hash, str(build), id(embedder))
    with _engine_lock:
        eng = _engines.get(key)
        if eng is None:
            eng = Engine(settings, embedder=embedder)
            _engines.clear()  # the old build's engine is no longer current
            _engines[key] = eng
        return eng


def _clean_history(history: Sequence[Turn] | None, max_chars: int) -> list[Turn]:
    """Earlier turns come from the app (answers can be long): bound and clean them, never fail the question.

    Slicing before cleaning keeps a pasted 10 MB turn cheap; turns left empty (only invisible
    characters) and unknown roles are dropped.
    """
    out: list[Turn] = []
    for t in history or []:
        if getattr(t, "role", None) not in ("user", "assistant") or not isinstance(getattr(t, "content", None), str):
            continue
        text = clean_text(t.content[: max_chars * 4])[:max_chars]
        if text:
            ents = [clean_text(str(e))[:200] for e in (getattr(t, "entities", None) or [])[:50] if isinstance(e, str)]
            out.append(Turn(t.role, text, [e for e in ents if e]))
    return out


def ask(
    question: str,
    history: Sequence[Turn] | None = None,
    settings: Settings | None = None,
    *,
    k: int | None = None,
    backend: str | None = None,
    filters: Filters | None = None,
    on_token: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> Answer:
    """Answer one question (with optional history). Raises MicqaError subclasses with one-sentence messages."""
    t0 = time.perf_counter()
    settings = settings or Settings.from_env()
    q = clean_question(question, settings.max_question_chars)  # before anything is embedded
    hist = _clean_history(history, settings.max_turn_chars)
    eng = engine or get_engine(settings)
    k = k or settings.k
    # parse once: wrappers, filler and typos folded away, names cased as the report writes them
    typed = eng.parse(q)
    hist_parsed = [Turn(t.role, eng.parse(t.content).text if t.role == "user" else t.content, t.entities)
                   for t in hist]
    standalone = condense(typed.text, hist_parsed, similar=eng.similarity)
    if len(standalone) > settings.max_question_chars:  # a subject taken from a huge earlier turn: not a question
        log.info("the rewritten follow-up is %d characters long; the question is used as asked", len(standalone))
        standalone = typed.text
    query = eng.parse(standalone) if standalone != typed.text else typed
    shown = query.text if (standalone != typed.text or typed.corrections) else q
    backend = backend or settings.llm
    llm = backend if backend and backend != "default" else None
    filters = _document_filter(query.text, filters, eng)
    table = eng.table_answer(query.text, filters)
    query_vec = eng.embedder.embed_query(eng.retriever.expander.expand(query.text))
    contexts = eng.retriever.search(query.text, k=k, filters=filters, query_vec=query_vec)
    if llm:
        job = AnswerJob(query, contexts, table, query_vec, asked=q, history=hist, filters=filters, backend=llm,
                        on_token=on_token, settings=settings)
        routed = eng.llm_router.run(job)
        d = routed.drafted
        ans = Answer(question=q, standalone_question=d.standalone or shown, text=d.text, raw_text=d.raw_text,
                     citations=d.citations, contexts=d.contexts or contexts, refused=d.refused, backend=llm.strip(),
                     latency_ms=0.0, related=d.related, warnings=d.warnings, intent=query.intent,
                     answerer=routed.answerer, segments=list(d.segments))
    else:
        whole = eng.router.run(AnswerJob(query, contexts, table, query_vec, filters=filters))
        d, routed_by = whole.drafted, [whole.answerer]
        if query.parts:
            parts, reads = _answer_parts(query.parts, hist_parsed, eng, k, filters)
            # each part answered on its own says each thing; when a part finds no answer the whole question is
            # tried as asked (one sentence of the report may say both things)
            # when the parts quote the same sentence, one passage says both things: the whole question's answer
            # (if it has one) says it once (two cells of one table row are two different things said)
            quotes = [" ".join(c.quote.split()) for r in parts for c in r.drafted.citations
                      if eng.index.chunk_by_id[c.chunk_id].kind != "table_row"]
            overlap = len(quotes) != len(set(quotes)) and not d.refused
            # ... and so does the whole question's lead sentence when it alone answers every part ("33 MICs have been
            # established ..., within reach of its goal of 40")
            lead = d.citations[0] if whole.answerer == "fact" and not d.refused and d.citations else None
            overlap = overlap or (lead is not None and all(
                eng.answerer.says(r, eng.index.chunk_by_id[lead.chunk_id], lead.quote) for r in reads))
            # a table that computes the whole question (each program's year and count) answers it at once, rather
            # than a part that, read without the rest, goes to the text
            whole_table = whole.answerer == "table" and table is not None and not table.unexplained and \
                len(table.columns) >= len(parts) and any(r.answerer != "table" for r in parts)
            if all(not r.drafted.refused for r in parts) and not overlap and not whole_table:
                d = merge_parts([r.drafted for r in parts])
                routed_by = [r.answerer for r in parts]
        contexts = _evidence_first(d.citations, d.contexts or contexts, eng)[:k]
        entities = _entities(query, d, routed_by, table, eng)
        ans = Answer(
            question=q,
            standalone_question=shown,
            text=d.text,
            raw_text=d.raw_text,
            citations=d.citations,
            contexts=contexts,
            refused=d.refused,
            backend="default",
            latency_ms=0.0,
            related=d.related,
            intent=query.intent,
            answerer="+".join(routed_by),
            entities=entities,
            segments=list(d.segments),
        )
        if on_token:
            on_token(ans.text)
    mark_table_cells(d.segments, standalone, ans.citations, eng.index.chunk_by_id, eng.index.tables)
    ans.latency_ms = (time.perf_counter() - t0) * 1000
    qa_log.info(json.dumps({"question": q, "standalone": standalone, "answer": ans.text, "refused": ans.refused,
                            "citations": [c.chunk_id for c in ans.citations], "backend": ans.backend,
                            "intent": ans.intent, "answerer": ans.answerer, "latency_ms": round(ans.latency_ms, 1)}))
    return ans


def _entities(query: Query, d, routed_by: list[str], table, eng: Engine) -> list[str]:
    """What the answer is about, for follow-ups: a table answer's rows by name, else the question's names."""
    if d.refused:
        return []
    if routed_by == ["table"] and table is not None:
        names = eng.tables.row_names(table.table, table.rows)
        if names:
            return names
    return names_in(query.text)


def _answer_parts(parts: list[str], history: list[Turn], eng: Engine, k: int,
                  filters: Filters | None) -> tuple[list, list[str]]:
    """Each part of a compound question, the later ones read in the light of the earlier (pronouns resolved);
    with the parts as read."""
    out = []
    reads: list[str] = []
    prior: list[Turn] = []
    first = names_in(parts[0]) or [m.group(1) for m in [_COUNTED.search(parts[0])] if m]
    for n, part in enumerate(parts):
        read = condense(part, history + prior, similar=eng.similarity)
        if n and read == part and first and not names_in(part):
            # "..., and what was the goal?": a later part that names nothing asks about the first part's subject
            read = f"{part.rstrip(' ?')} ({first[0]})?"
        sub = eng.parse(read)
        reads.append(sub.text)
        vec = eng.embedder.embed_query(eng.retriever.expander.expand(sub.text))
        ctx = eng.retriever.search(sub.text, k=k, filters=filters, query_vec=vec)
        # each part says one thing: the parts together stay as short as one answer
        tab = eng.table_answer(sub.text, filters)
        r = eng.router.run(AnswerJob(sub, ctx, tab, vec, filters=filters, max_chars=PART_MAX_CHARS // len(parts)))
        out.append(r)
        if n == 0 and r.answerer == "table" and tab is not None and len(tab.rows) == 1 and \
                counted_stem(sub.text) is None:
            # "Which city hosts the graphene center, and what year was it set up?": "it" is the row found
            # (after "How many MICs ...", "they" are still the things counted)
            first = eng.tables.row_names(tab.table, tab.rows) or first
        # a pronoun in a later part means what the first part asked about ("how many X ..., and when did they ...")
        prior = [Turn("user", part), Turn("assistant", r.drafted.text, first[:1])]
    return out, reads


# "How many <things> does/are ...": the things counted, the subject of a compound question's later parts
_COUNTED = re.compile(r"\bhow many ((?:[\w'-]+\s+){0,4}?[\w'-]+)\s+(?:does|do|did|are|were|is|was|has|have|had|can|will)\b",
                      re.I)


def resolve_document(name: str, index: Index):
    """The document a person names (``--doc``), or one sentence saying which names exist."""
    d = index.find_document(name)
    if d is None:
        names = "; ".join(f"{x.short_name} ({x.title})" for x in index.documents)
        raise BadQuestion(f"No single document matches {name!r}; name one of: {names}.")
    return d


def _document_filter(question: str, filters: Filters | None, eng: Engine) -> Filters | None:
    """A question that names one indexed document (by its short name or full title) searches it only;
    a question that names none searches all."""
    if not eng.index.several_documents or (filters is not None and filters.doc_id):
        return filters
    q = f" {_name_words(question)} "
    named = [d for d in eng.index.documents
             if f" {_name_words(d.short_name)} " in q or (len(d.title) > 12 and f" {_name_words(d.title)} " in q)]
    if len(named) != 1:
        return filters
    base = filters or Filters()
    return Filters(doc_id=named[0].id, section_prefix=base.section_prefix, kinds=base.kinds)


def _name_words(s: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _evidence_first(citations, contexts: list, eng: Engine) -> list:
    """The passages the answer cites come first, in citation order, then the rest in retrieval order.

    A computed answer (table rows, a reference entry) rests on chunks retrieval may rank low. An
    answer over table rows also brings its whole table: before the rows when it used several (a
    count or a list rests on the table), after the row when it used one.
    """
    from rag.records import ScoredChunk

    by_id = eng.index.chunk_by_id
    cited = list(dict.fromkeys(c.chunk_id for c in citations if c.chunk_id in by_id))
    row_tables = list(dict.fromkeys(by_id[i].table_id for i in cited if by_id[i].kind == "table_row"))
    whole = [eng.table_chunks[t] for t in row_tables if t in eng.table_chunks]
    rows = sum(1 for i in cited if by_id[i].kind == "table_row")
    order = [w.id for w in whole] + cited if rows > 1 else cited + [w.id for w in whole]
    order = list(dict.fromkeys(order))
    if not order:
        return contexts
    have = {sc.chunk.id: sc for sc in contexts}
    top = contexts[0].score if contexts else 1.0
    lead = []
    for n, i in enumerate(order):  # scores above the rest, so the list stays in score order
        old = have.get(i)
        lead.append(ScoredChunk(by_id[i], top + 1.0 / (2 + n), old.lexical_rank if old else None,
                                old.dense_rank if old else None, old.dense_sim if old else None))
    led = set(order)
    return lead + [sc for sc in contexts if sc.chunk.id not in led]


_LOOKUP_HELP = ("a section number (3.2.3) or title, a table row (A.1/26 or A.1 row 26), a table (Table 2), "
                "a figure (Figure 5), a report reference ([20]) or a passage id")


def _find_table(idx: Index, name: str, doc_id: str | None = None) -> Table | None:
    return find_table(idx.table_list, name, doc_id)


def _tables_named(idx: Index, doc_id: str | None = None) -> str:
    return ", ".join(table_label(t) for t in idx.table_list if doc_id is None or t.doc_id == doc_id) or "none"


def lookup(ref: str, settings: Settings | None = None, doc: str | None = None) -> LookupResult:
    """Resolve what a reader types: "A.1/26", "a.1 row 26", "[20]", "20", "Table 2", "Figure 5", "3.2.3",
    a section title or a passage id. Messages use the report's own names.

    ``doc`` names the document (id, short name or title words) when several are indexed; without it
    a ref found in several documents comes back once per document in ``matches``."""
    settings = settings or Settings.from_env()
    # checked before the index is opened; a ref is short, and it is echoed back in messages
    if ref is not None and (not isinstance(ref, str) or len(ref) > MAX_REF_CHARS):
        raise BadQuestion(f"A reference is at most {MAX_REF_CHARS} characters: {_LOOKUP_HELP}.")
    r = " ".join(clean_text(ref or "").split())
    if not r:
        raise MicqaError(f"Give {_LOOKUP_HELP}.")
    idx = get_engine(settings).index
    docs = [resolve_document(clean_text(doc)[:MAX_REF_CHARS], idx)] if doc else list(idx.documents)
    if r in idx.chunk_by_id:
        c = idx.chunk_by_id[r]
        d = idx.doc_by_id.get(c.doc_id)
        res = LookupResult(r, "chunk", c.section or c.doc_title, c.text, chunk=c)
        return _in_doc(res, d, idx) if d is not None else res
    m = re.fullmatch(r"\[\s*(\d+)\s*\]|(?:ref(?:erence)?\.?|#)\s*(\d+)", r, re.I)
    bare = re.fullmatch(r"\d+", r)
    if bare and any(idx.find_section(r, d.id) is not None for d in docs):  # "3" is section 3; "[3]" is reference 3
        m = None
    elif bare:
        m = bare
    if m:
        num = int(next(g for g in (m.groups() or (m.group(0),)) if g))
        return _one_or_many(r, _each_doc(docs, idx, lambda d: _lookup_reference(idx, r, num, d.id)))
    m = re.fullmatch(r"(?:table\s+)?([A-Za-z0-9.\-]+?)\s*(?:/|,?\s*row\s*|\s+no\.?\s*|\s*#\s*)(\d+)", r, re.I)
    if m and (any(_find_table(idx, m.group(1), d.id) for d in docs) or "/" in r or re.search(r"row", r, re.I)):
        name, i = m.group(1), int(m.group(2))
        return _one_or_many(r, _each_doc(docs, idx, lambda d: _lookup_row(idx, r, _find_table(idx, name, d.id),
                                                                          name, i, d.id)))
    m = re.fullmatch(r"(?:table|tab\.)\s*(\S+)", r, re.I)
    if m or (any(_find_table(idx, r, d.id) for d in docs) and not any(idx.find_section(r, d.id) for d in docs)):
        return _one_or_many(r, _each_doc(docs, idx, lambda d: _lookup_table(idx, r, d.id)))
    m = re.fullmatch(r"(?:figure|fig\.?)\s*(\d+)", r, re.I)
    if m:
        num_s = m.group(1)
        return _one_or_many(r, _each_doc(docs, idx, lambda d: _lookup_figure(idx, r, num_s, d.id)))
    number = re.sub(r"^(section|appendix)\s+", lambda mm: "Appendix " if mm.group(1).lower() == "appendix" else "",
                    r, flags=re.I)

    def section(d) -> LookupResult:
        sec = idx.find_section(number, d.id) or _section_by_title(idx, r, d.id)
        if sec is None:
            raise MicqaError(f"Nothing in the report matches {r!r}; give {_LOOKUP_HELP}.")
        return LookupResult(r, "section", sec.title, idx.section_text(sec), section=sec)

    return _one_or_many(r, _each_doc(docs, idx, section))


def _each_doc(docs: list, idx: Index, find) -> list[LookupResult]:
    """The ref looked up in each document; the first document's message when none has it."""
    found: list[LookupResult] = []
    first_error: MicqaError | None = None
    for d in docs:
        try:
            found.append(_in_doc(find(d), d, idx))
        except MicqaError as exc:
            first_error = first_error or exc
    if not found:
        raise first_error or MicqaError(f"Give {_LOOKUP_HELP}.")
    return found


def _lookup_table(idx: Index, r: str, doc_id: str) -> LookupResult:
    table = _find_table(idx, r, doc_id)
    if table is None:
        raise MicqaError(f"The report has no {r}; its tables are {_tables_named(idx, doc_id)}.")
    chunk = next((c for c in idx.chunks if c.kind == "table" and c.table_id == table.id
                  and c.doc_id == table.doc_id), None)
    return LookupResult(r, "table", table.caption or table_label(table), chunk.text if chunk else table.caption,
                        chunk=chunk, table=table)


def _lookup_figure(idx: Index, r: str, num: str, doc_id: str) -> LookupResult:
    figs = [c for c in idx.chunks if c.kind == "figure_caption" and c.doc_id == doc_id]
    hit = next((c for c in figs if re.match(rf"\s*Figure\s+{num}\b", c.text, re.I)), None)
    if hit is None:
        raise MicqaError(f"The report has no Figure {num}; it has Figures 1 to {len(figs)}.")
    return LookupResult(r, "figure", hit.text.split("\n", 1)[0].strip(), hit.text, chunk=hit)


def _lookup_reference(idx: Index, r: str, num: int, doc_id: str) -> LookupResult:
    rr = idx.references.get((doc_id, num))
    if rr is None:
        nums = sorted(n for d, n in idx.references if d == doc_id)
        if not nums:
            raise MicqaError("This report has no numbered references.")
        raise MicqaError(f"The report has no reference [{num}]; it has references [{nums[0]}]\u2013[{nums[-1]}].")
    chunk = next((c for c in idx.chunks if c.kind == "reference" and c.row_index == num and c.doc_id == doc_id), None)
    return LookupResult(r, "reference", f"Reference [{num}]", rr.text, chunk=chunk, reference=rr)


def _lookup_row(idx: Index, r: str, table: Table | None, name: str, i: int, doc_id: str) -> LookupResult:
    if table is None:
        raise MicqaError(f"The report has no table {name!r}; its tables are {_tables_named(idx, doc_id)}.")
    row = next((x for x in table.rows if x.index == i), None)
    if row is None:
        raise MicqaError(f"{table_label(table)} has rows 1 to {len(table.rows)}; there is no row {i}.")
    chunk = next((c for c in idx.chunks if c.table_id == table.id and c.row_index == i
                  and c.doc_id == table.doc_id), None)
    text = chunk.text if chunk else "; ".join(f"{k}: {v}" for k, v in row.raw_cells.items())
    return LookupResult(r, "table_row", f"{table.caption or table_label(table)}, row {i}", text, chunk=chunk, row=row,
                        table=table)


def _section_by_title(idx: Index, r: str, doc_id: str | None = None) -> Section | None:
    """A section named by its title ("Financing", "the 14th five-year plan"): exact title first, then contained."""
    want = re.sub(r"^(?:the\s+)?", "", r.lower()).strip(" .")
    if len(want) < 3:
        return None

    def bare(s: Section) -> str:
        return re.sub(r"^(?:appendix\s+)?[a-z0-9]+(?:\.[a-z0-9]+)*\.?\s+", "", s.title.lower()).strip(" .")

    sections = [s for s in idx.sections if doc_id is None or s.doc_id == doc_id]
    exact = [s for s in sections if bare(s) == want or s.title.lower().strip(" .") == want]
    if exact:
        return exact[0]
    within = [s for s in sections if want in bare(s)]
    return min(within, key=lambda s: len(s.title)) if within else None


def _in_doc(res: LookupResult, d, idx: Index) -> LookupResult:
    res.doc_id, res.doc, res.doc_short = d.id, d.title, d.short_name
    if idx.several_documents:
        res.title = f"{res.title} — {d.short_name}"
    return res


def _one_or_many(ref: str, found: list[LookupResult]) -> LookupResult:
    """One match as is; several (one per document) listed in one result that names each document."""
    if len(found) == 1:
        return found[0]
    first = found[0]
    text = "\n\n".join(f"{f.doc_short} ({f.doc}):\n{f.text}" for f in found)
    return LookupResult(ref, first.kind, f"{ref} in {len(found)} documents (name one with --doc)", text,
                        matches=found)
