"""Hybrid retrieval: BM25 over stemmed tokens and MiniLM vectors in Chroma, fused by reciprocal rank.

Acronyms from the report's own list are expanded at query time ("MIIT" adds "Ministry of
Industry and Information Technology"), so a question written with either form finds both.
A passage's meaning score is that of its closest sentence. The candidates both lists return are
also ranked by their best sentence's share of the question's terms (the answerer's weights), a
third list fused at half weight: one sentence that says it all is not outranked by long passages
on the topic.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.records import Acronym, Chunk, ScoredChunk
from rag.text import tokens
from rag.units import sentence_key, unit_spans, unit_tokens

log = logging.getLogger(__name__)

RRF_K = 60
EXACT_DENSE_MAX = 2000
# Weight in the fusion of the third list (candidates by their best sentence's share of the question's terms);
# calibrated on the whole evaluation set (0.5 / 0.75 / 1.0 tried).
SENTENCE_LIST_WEIGHT = 0.5


@dataclass
class Filters:
    """Metadata filters available to callers of retrieval."""

    doc_id: str | None = None
    section_prefix: str | None = None  # a section number such as "3.2" (matches 3.2, 3.2.1 ...)
    kinds: tuple[str, ...] | None = None

    def accepts(self, c: Chunk) -> bool:
        if self.doc_id and c.doc_id != self.doc_id:
            return False
        if self.kinds and c.kind not in self.kinds:
            return False
        if self.section_prefix:
            num = (c.section_number or "").lower()
            want = self.section_prefix.lower().rstrip(".")
            if not (num == want or num.startswith(want + ".")):
                return False
        return True


def acronym_keys(acronym: str) -> list[str]:
    """"EV(s)" -> ["EV", "EVs"]; "U.S. or USA" -> ["U.S.", "USA"]."""
    keys: list[str] = []
    for part in re.split(r"\s+or\s+", acronym):
        m = re.fullmatch(r"(.+?)\((\w+)\)", part.strip())
        if m:
            keys += [m.group(1), m.group(1) + m.group(2)]
        elif part.strip():
            keys.append(part.strip())
    return keys


def strip_parenthetical(expansion: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", expansion).replace("(s)", "")


class AcronymExpander:
    def __init__(self, acronyms: list[Acronym]) -> None:
        self.table: list[tuple[re.Pattern[str], str]] = []
        # the other way: a question that writes a name out also searches for its acronym ("manufacturing
        # innovation centers" meets "MICs"), when every word of the expansion is in the question
        self.reverse: list[tuple[frozenset[str], str]] = []
        self.written_out: list[tuple[tuple[str, ...], str]] = []  # the expansion's words in order, its acronym
        # each acronym's letters as a text writes them ("MIC", "MICs"), with its expansion's words (``named``)
        self.lettered: list[tuple[re.Pattern[str], str, frozenset[str]]] = []
        for a in acronyms:
            toks = frozenset(tokens(strip_parenthetical(a.expansion)))
            keys = [k for k in acronym_keys(a.acronym) if len(k) >= 2 and any(ch.isupper() for ch in k)]
            if len(toks) >= 2 and keys:
                self.reverse.append((toks, " ".join(dict.fromkeys(keys))))
                self.written_out.append((tuple(tokens(strip_parenthetical(a.expansion))), " ".join(dict.fromkeys(keys))))
                self.lettered.append((re.compile("|".join(rf"(?<![\w.]){re.escape(k)}(?![\w])" for k in dict.fromkeys(keys))),
                                      " ".join(dict.fromkeys(keys)), toks))
            for key in acronym_keys(a.acronym):
                if len(key) < 2 or not any(ch.isupper() for ch in key):
                    continue  # "nm" and the like would match ordinary words
                self.table.append((re.compile(rf"(?<![\w.]){re.escape(key)}(?![\w])"), strip_parenthetical(a.expansion)))

    def expansions(self, question: str) -> list[str]:
        out: list[str] = []
        for pat, exp in self.table:
            if pat.search(question) and exp.lower() not in question.lower() and exp not in out:
                out.append(exp)
        return out

    def acronyms_of(self, question: str) -> list[str]:
        qt = set(tokens(question))
        return list(dict.fromkeys(acr for toks, acr in self.reverse if toks <= qt and acr not in question))

    def acronyms_written(self, text: str) -> list[str]:
        """Acronyms whose expansion a text writes out word for word ("manufacturing innovation centers": MIC)."""
        toks = tokens(text)
        out: list[str] = []
        for full, acr in self.written_out:
            # a long expansion's head word may be left out ("China's Manufacturing Innovation Center": MIC)
            for seq in (full, full[1:]) if len(full) >= 4 else (full,):
                n = len(seq)
                if any(tuple(toks[i:i + n]) == seq for i in range(len(toks) - n + 1)) and acr not in out:
                    out.append(acr)
        return out

    def named(self, text: str) -> dict[str, frozenset[str]]:
        """The acronyms a text names, by their letters or written out, each with its expansion's words."""
        written = set(self.acronyms_written(text))
        out = {acr: frozenset(full) for full, acr in self.written_out if acr in written}
        for pat, acr, toks in self.lettered:
            if acr not in out and pat.search(text):
                out[acr] = toks
        return out

    def names_a_longer_one(self, asked: dict[str, frozenset[str]], text: str) -> bool:
        """Does the text name, instead of a name asked about (``asked``, from ``named``: "Society of Engineers",
        SE), a longer one holding all its words ("Society of Marine Engineers", SME)?"""
        if not asked:
            return False
        said = self.named(text)
        return any(a not in said and any(b != a and toks < other for b, other in said.items())
                   for a, toks in asked.items())

    def expand(self, question: str) -> str:
        extra = self.expansions(question) + self.acronyms_of(question)
        return f"{question} ({'; '.join(extra)})" if extra else question


class LexicalIndex:
    """bm25s over our own tokenizer (stemmed, stopwords removed), persisted beside the vectors."""

    def __init__(self, bm25, ids: list[str]) -> None:
        self.bm25 = bm25
        self.ids = ids

    @classmethod
    def build(cls, chunks: list[Chunk]) -> LexicalIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import

        bm = bm25s.BM25()
        bm.index([tokens(c.embed_text) or ["_"] for c in chunks], show_progress=False)
        return cls(bm, [c.id for c in chunks])

    def save(self, path: Path) -> None:
        import json

        self.bm25.save(str(path))
        (path / "ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        import json

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import

        return cls(bm25s.BM25.load(str(path)), json.loads((path / "ids.json").read_text()))

    def scores(self, query: str) -> np.ndarray:
        q = tokens(query)
        if not q:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)


def top_n_stable(scores: np.ndarray, n: int) -> np.ndarray:
    """``np.argsort(-scores, kind="stable")[:n]`` in O(N): a full sort of 235k scores costs ~20 ms a query.

    Every score tied with the n-th best is kept before the stable sort, so ties break by
    position exactly as the full sort does.
    """
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(scores) <= max(2 * n, 1024):
        return np.argsort(-scores, kind="stable")[:n]
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th largest value
    cand = np.flatnonzero(scores >= kth)  # ascending positions, so the stable sort keeps them in order
    return cand[np.argsort(-scores[cand], kind="stable")][:n]


class HybridRetriever:
    def __init__(self, chunks: list[Chunk], lexical: LexicalIndex, collection, embedder, acronyms: list[Acronym],
                 vectors: dict[str, np.ndarray] | None = None):
        self.chunks = chunks
        self.vectors = vectors or {}
        self.by_id = {c.id: c for c in chunks}
        self.lexical = lexical
        self.collection = collection
        self.embedder = embedder
        self.expander = AcronymExpander(acronyms)
        self.sentence_weights: Callable[[str], dict[str, float]] | None = None  # question -> {term: weight}; set by the engine (the answerer's IDF)
        # sentence vectors stacked per chunk for the closest-sentence score, on first use (start-up stays flat)
        self._sentences: dict[str, np.ndarray | None] = {}
        self._doc_masks: dict[str, np.ndarray] = {}

    def _doc_mask(self, doc_id: str) -> np.ndarray:
        """True at the lexical positions of ``doc_id``'s chunks (computed once per document)."""
        if doc_id not in self._doc_masks:
            self._doc_masks[doc_id] = np.array(
                [(c := self.by_id.get(i)) is not None and c.doc_id == doc_id for i in self.lexical.ids], dtype=bool)
        return self._doc_masks[doc_id]

    def dense(self, query_vec: np.ndarray, n: int, doc_id: str | None = None) -> list[tuple[str, float]]:
        where = {"doc_id": doc_id} if doc_id else None  # filtered in the store, so n hits all come from it
        res = self.collection.query(query_embeddings=[query_vec.tolist()], n_results=n, include=["distances"],
                                    where=where)
        ids = res["ids"][0]
        dists = res["distances"][0]
        # cosine space: similarity = 1 - distance
        hits = [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]
        if self.vectors:
            # HNSW is approximate and its near-ties can order differently from one process to the next;
            # exact cosines over the candidates it returned make the ranking repeatable
            hits = [(i, float(np.dot(self.vectors[i], query_vec)) if i in self.vectors else sim) for i, sim in hits]
            # a passage is as close as its closest sentence: one fact in a long passage is not diluted
            hits.sort(key=lambda x: (-round(self._max_sentence(x[0], x[1], query_vec), 6), x[0]))
        return hits

    def _sentence_tokens(self, chunk_id: str) -> list[frozenset[str]]:
        c = self.by_id[chunk_id]  # the answerer's units, so both stages read sentences alike
        return [toks for _a, _b, toks in unit_tokens(c.kind, c.text)]

    def _sentence_matrix(self, chunk_id: str) -> np.ndarray | None:
        if chunk_id not in self._sentences:
            c = self.by_id.get(chunk_id)
            rows = [] if c is None or c.kind not in ("prose", "figure_caption") else [
                v for a, b in unit_spans(c) if (v := self.vectors.get(sentence_key(c.id, a, b))) is not None]
            self._sentences[chunk_id] = np.stack(rows) if rows else None
        return self._sentences[chunk_id]

    def _max_sentence(self, chunk_id: str, sim: float, query_vec: np.ndarray) -> float:
        m = self._sentence_matrix(chunk_id)
        return sim if m is None else max(sim, float((m @ query_vec).max()))

    def search(self, question: str, k: int = 8, filters: Filters | None = None,
               query_vec: np.ndarray | None = None) -> list[ScoredChunk]:
        expanded = self.expander.expand(question)
        n = min(len(self.chunks), max(50, k * 6))
        lex = self.lexical.scores(expanded)
        doc_id = filters.doc_id if filters else None
        if doc_id:
            lex = np.where(self._doc_mask(doc_id), lex, 0.0)  # one document: its passages fill the top n
        order = top_n_stable(lex, n)
        lex_rank: dict[str, int] = {}
        for r, i in enumerate(order):
            if lex[i] <= 0:
                break
            lex_rank[self.lexical.ids[int(i)]] = r + 1
        if query_vec is None:
            query_vec = self.embedder.embed_query(expanded)
        # a small library is searched whole (exact, repeatable); a large one through HNSW's top n
        dense = self.dense(query_vec, len(self.chunks) if len(self.chunks) <= EXACT_DENSE_MAX else n, doc_id)[:n]
        dense_rank = {cid: r + 1 for r, (cid, _) in enumerate(dense)}
        dense_sim = dict(dense)
        fused: dict[str, float] = {}
        for cid, r in lex_rank.items():
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + r)
        for cid, r in dense_rank.items():
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + r)
        if self.sentence_weights is not None:
            # a third list: the candidates ordered by their best sentence's share of the question's terms,
            # so a passage with one sentence that says it all is not outranked by long passages on the topic
            weights = self.sentence_weights(question)
            total = math.fsum(weights.values()) or 1.0
            best = {cid: max((math.fsum(w for t, w in weights.items() if t in toks) / total
                              for toks in self._sentence_tokens(cid)), default=0.0) for cid in fused}
            for r, (cid, _v) in enumerate(sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))):
                fused[cid] += SENTENCE_LIST_WEIGHT / (RRF_K + r + 1)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        out: list[ScoredChunk] = []
        for cid, s in ranked:
            c = self.by_id.get(cid)
            if c is None or (filters and not filters.accepts(c)):
                continue
            out.append(ScoredChunk(c, s, lex_rank.get(cid), dense_rank.get(cid), dense_sim.get(cid)))
            if len(out) >= k:
                break
        return out
