"""Cited synthesis for open questions (why / how, compare, list, summarize, the whole report), no LLM.

1. Candidate passages: the retrieved ones (searched wider than for a lookup), plus the sections the
   question is about: a section it names ("section 4.2"), sections whose title holds its topic, and
   for a question about the whole report the Abstract, Executive Summary and the closing section.
2. Every sentence of those passages is scored for relevance: meaning (its vector, made at ingest,
   against the question's) and words (the IDF-weighted share of the question's topic terms), with a
   bonus inside the sections the question is about.
3. Sentences are chosen by maximal marginal relevance over the sentence vectors (relevant, and unlike
   what is already chosen) until enough is said or the next one is much weaker than the best. For a
   comparison every side named gets at least one sentence that names it (searched per side).
4. A lead-in keeps its bullets, the answer never ends on a dangling ":", sentences are shown in the
   report's order, each cited.

It declines (the lookup path, then a refusal, follows) when the best sentence is weak or when a name
or number the question asks about is in none of the chosen passages.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import numpy as np

from rag.answer import ENDS_STATEMENT, asks_number, ends_with_colon
from rag.answerers.base import AnswerJob
from rag.citations import strip_report_markers
from rag.records import Chunk, ScoredChunk
from rag.settings import AnswerSettings
from rag.text import alike, paragraph_spans, tokens
from rag.units import SOURCE_LINE, sentence_key, unit_spans
from rag.vocab import (
    CAUSE_MARKERS,
    CONSEQUENCE_OPENERS,
    DEMONSTRATIVE_OPENERS,
    DERIVED_ENDINGS,
    DOCUMENT_REFERENCE,
    METADISCOURSE,
    NUMBER_WORDS,
    PART_WORDS,
    REASON_OPENERS,
    REPORT_ASPECT_WORDS,
    WHOLE_REPORT_FRAME_WORDS,
    WHOLE_REPORT_SECTIONS,
    WHY_SHAPE,
)

if TYPE_CHECKING:
    from rag.answer import Drafted, GroundedAnswerer, Unit

def _bases(tok: str) -> list[str]:
    """The bases a derived noun is made from ("linkag" -> "link"), at least four letters long."""
    return [tok[:-len(e)] for e in DERIVED_ENDINGS if tok.endswith(e) and len(tok) - len(e) >= 4]


_REPORT_ASPECTS = frozenset(t for w in REPORT_ASPECT_WORDS for t in tokens(w))
_TEXT_KINDS = ("prose", "figure_caption")
# a statement ends like a sentence (titles and table-of-contents lines do not)
_PART_TOKENS = frozenset(tokens(" ".join(PART_WORDS)))  # "the Financing section": "section" is no name word
_CREDIT = re.compile(r"^(?:excerpt|data|image|photo|figure)?\s*(?:source|credit)s?\s*:", re.I)
_BULLET_AFTER = re.compile(r"\s*\n\s*(?:[-•*]|o\s|\d+[.)])")
_NUM = re.compile(r"\b\d[\d.,]*(?:st|nd|rd|th)?\b")
# a comparison of quantities ("compare the share of GDP ...", "... the budget in the comparison table")
_QUANTITY = re.compile(r"\b(?:shares?|percent(?:age)?s?|budgets?|gdp|value added|rates?|amounts?|numbers?|counts?|"
                       r"index(?:ed)?|figures?|table)\b", re.I)
# a sentence whose subject is a pronoun: it leans on the sentence before it ("This is one of ...")
_PRONOUN_SUBJECT = re.compile(r"^\W*(?:this|these|it|they|such)\s+(?:is|are|was|were|has|have|had)\b", re.I)
# a figure that carries a finding: a share, an amount, a count of things ("5.3 %", "300 billion", "9 of 11")
_FIGURE = re.compile(r"\b\d[\d.,]*\s*(?:%|percent|billion|million|trillion|times|of\s+\d)|\b(?:twice|five times|"
                     r"one and a half times)\b", re.I)


class SynthesisAnswerer:
    name = "synthesis"

    def __init__(self, grounded: GroundedAnswerer, retriever=None, embedder=None, index=None,
                 answer_settings: AnswerSettings | None = None, **_: object) -> None:
        self.g = grounded
        self.retriever = retriever
        self.embedder = embedder
        self.index = index
        self.s = answer_settings or AnswerSettings()
        self._section_chunks: dict[tuple[str, ...], list[Chunk]] | None = None
        self._centroids: tuple[list[tuple[str, ...]], np.ndarray] | None = None
        self._titles: tuple[list[tuple[str, ...]], np.ndarray] | None = None
        self._self_paragraphs: dict[str, tuple[Chunk, list[tuple[int, int]]]] | None = None

    # ------------------------------------------------------------ candidates
    def _chunks_by_section(self) -> dict[tuple[str, ...], list[Chunk]]:
        if self._section_chunks is None:
            out: dict[tuple[str, ...], list[Chunk]] = {}
            for c in self.index.chunks if self.index is not None else []:
                if c.kind in _TEXT_KINDS:
                    out.setdefault(tuple(c.section_path), []).append(c)
            self._section_chunks = out
        return self._section_chunks

    def _self_describing(self, job: AnswerJob) -> dict[str, tuple[Chunk, list[tuple[int, int]]]]:
        """Passages in which the document speaks of itself ("This report ..."), by id, with those paragraphs
        (found once per index, then filtered to the documents the question is about)."""
        if self._self_paragraphs is None:
            found: dict[str, tuple[Chunk, list[tuple[int, int]]]] = {}
            for chunks in self._chunks_by_section().values():
                for c in chunks:
                    starts = [x for x, y in unit_spans(c) if METADISCOURSE.match(c.text[x:y])]
                    if starts:
                        found[c.id] = (c, [(a, b) for a, b in paragraph_spans(c.text)
                                           if any(a <= x < b for x in starts)])
            self._self_paragraphs = found
        return {cid: v for cid, v in self._self_paragraphs.items()
                if job.filters is None or job.filters.accepts(v[0])}

    def _section_matrix(self) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """The mean sentence vector of every section (built on the first open question, then kept)."""
        if self._centroids is None:
            paths, rows = [], []
            for p, chunks in self._chunks_by_section().items():
                vs = [m for c in chunks if self.retriever is not None
                      and (m := self.retriever._sentence_matrix(c.id)) is not None]
                if vs:
                    v = np.concatenate(vs).mean(axis=0)
                    paths.append(p)
                    rows.append(v / (np.linalg.norm(v) or 1.0))
            self._centroids = (paths, np.stack(rows) if rows else np.zeros((0, 1), dtype=np.float32))
        return self._centroids

    def _section_sims(self, query_vec: np.ndarray) -> dict[tuple[str, ...], float]:
        paths, m = self._section_matrix()
        if not paths:
            return {}
        return dict(zip(paths, (m @ query_vec).tolist(), strict=True))

    def _named_sections(self, job: AnswerJob) -> set[tuple[str, ...]]:
        """Sections the question names ("section 4.2", "appendix B") or, for the whole report, the parts that
        speak for it: the abstract, the executive summary and the closing section before the appendices."""
        paths = self._chunks_by_section()
        out: set[tuple[str, ...]] = set()
        q = job.query
        for num in q.section_numbers:
            want = num.lower().rstrip(".")
            out |= {p for p in paths if any(_sec_number(t) == want or _sec_number(t).startswith(want + ".")
                                            for t in p)}
        if q.intent == "summary" and q.topic_terms:
            # "summarize the introduction": a section named by its title (all of the title's words asked), with
            # the sections under it
            # (a title may hold a framing word: "summarize the executive summary"; one topic word must be in it)
            topic = set(q.topic_terms)
            asked = set(tokens(q.text))
            titled = {p for p in paths if (tt := set(tokens(_title(p[-1])))) and tt <= asked and tt & topic}
            out |= {p for p in paths if any(p[:len(t)] == t for t in titled)}
        if q.intent == "whole_report":
            out |= {p for p in paths if _title(p[0]) in WHOLE_REPORT_SECTIONS}
            numbered = {p: int(m.group(1)) for p in paths if (m := re.match(r"(\d+)\.?\s", p[0]))}
            body = [p for p in numbered if not re.search(r"appendi|reference", p[0], re.I)]
            if body:
                last_top = max(body, key=lambda p: numbered[p])[0]
                out |= {p for p in paths if p[0] == last_top}
        return out

    def _focus_sections(self, job: AnswerJob) -> set[tuple[str, ...]]:
        """Section paths whose title holds the question's topic."""
        paths = self._chunks_by_section()
        out: set[tuple[str, ...]] = set()
        q = job.query
        topic = set(q.topic_terms)
        if topic and q.intent in ("summary", "explain", "list", "compare"):
            # what is asked about the names ("how do X and Y differ in *structure*"): a section titled by it is on
            # topic even though the names outweigh it among the question's words
            names = set().union(*self.g.entity_phrases(q.text)) if q.text else set()
            # a word the documents never use ("pick" for "selection") can be in no title: it weighs nothing here
            known = {t for t in topic if self.g.idf.df.get(t) or any(self.g.idf.df.get(a) for a in alike(t))}
            aspects = [w for w in ({t: self.g.idf(t) for t in known}, {t: self.g.idf(t) for t in known - names}) if w]
            for p in paths:
                title_toks = set(tokens(_title(p[-1])))
                title_toks |= {a for t in title_toks for a in alike(t)}  # "Selection Criteria" is what "pick" asks
                title_toks |= {b for t in title_toks for b in _bases(t)}  # "Linkage with ..." is what "link" asks
                if title_toks and any(math.fsum(v for t, v in w.items() if t in title_toks) / (math.fsum(w.values()) or 1.0) >= 0.5
                                      for w in aspects):
                    out.add(p)
        return out

    def _aspect_sections(self, job: AnswerJob) -> set[tuple[str, ...]]:
        """Sections whose title means what the question asks about its names ("how they're organized":
        "Structure"; "funded": "Financing"), for explain, compare and list questions."""
        q = job.query
        if q.intent not in ("explain", "compare", "list") or self.embedder is None or not q.text:
            return set()
        # the names as the user wrote them: a lower-case "intellectual property" is the aspect, even though the
        # report capitalises it in a title
        names = set().union(*self.g.entity_phrases(q.original))
        topic = set(q.topic_terms)
        common = self.s.synth_aspect_common_share * self.g.idf.n
        aspect = [w for w in re.findall(r"[A-Za-z][\w-]*", q.text)
                  if (t := tokens(w)) and t[0] in topic and t[0] not in names and w.lower() not in NUMBER_WORDS
                  and self.g.idf.df.get(t[0], 0) < common]
        if not aspect:
            return set()
        paths, titles = self._title_matrix()
        if not paths:
            return set()
        sims = titles @ self.embedder.embed_query(" ".join(aspect))
        return {p for p, v in zip(paths, sims.tolist(), strict=True) if v >= self.s.synth_aspect_title_sim}

    def _title_matrix(self) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """Every section's title in meaning (embedded on the first question that needs it, then kept)."""
        if self._titles is None:
            paths = [p for p in self._chunks_by_section() if _title(p[-1])]
            vecs = self.embedder.embed_documents([_title(p[-1]) for p in paths]) \
                if self.embedder is not None and paths else np.zeros((0, 1), dtype=np.float32)
            self._titles = (paths, np.asarray(vecs, dtype=np.float32))
        return self._titles

    def _pool(self, job: AnswerJob, focus: set[tuple[str, ...]]) -> list[ScoredChunk]:
        pool = [sc for sc in job.contexts if sc.chunk.kind in _TEXT_KINDS]
        if self.retriever is not None and len(job.contexts) < self.s.synth_k:
            wider = self.retriever.search(job.query.text, k=self.s.synth_k, filters=job.filters,
                                          query_vec=job.query_vec)
            have = {sc.chunk.id for sc in pool}
            pool += [sc for sc in wider if sc.chunk.kind in _TEXT_KINDS and sc.chunk.id not in have]
        have = {sc.chunk.id for sc in pool}
        for p in sorted(focus):
            for c in self._chunks_by_section().get(p, []):
                if job.filters is not None and not job.filters.accepts(c):
                    continue  # a question about one document draws on that document only
                if c.id not in have:
                    pool.append(ScoredChunk(c, 0.0))
                    have.add(c.id)
        return pool

    # ------------------------------------------------------------ scoring
    def _vec(self, u: Unit) -> np.ndarray | None:
        return self.g.vectors.get(sentence_key(u.chunk.id, u.start, u.end))

    def _score(self, job: AnswerJob, pool: list[ScoredChunk], focus: set[tuple[str, ...]], central: bool = False,
               section_sims: dict[tuple[str, ...], float] | None = None,
               self_paragraphs: dict[str, list[tuple[int, int]]] | None = None):
        """(relevance, unit, vector, tokens) per statement, best first.

        ``central``: for the whole report, meaning is measured against the centre of the pool's sentences
        (what the summaries keep coming back to) as well as against the question.
        """
        from rag.answer import units_of

        weights = {t: min(self.g.idf(t), self.g.max_idf) for t in set(job.query.topic_terms)}
        total = math.fsum(weights.values()) or 1.0
        # a word the documents never use ("fast") is met by a word of its group ("rapidly"); one they use keeps
        # its own sense ("goal" is not the "target" of "target industry sectors")
        unknown = {t for t in weights if not self.g.idf.df.get(t)}
        out = []
        units = []
        for rank, sc in enumerate(pool):
            for u in units_of(sc, rank):
                text = u.text.strip()
                # a footnote set in the text flow starts with its mark ("*GDP numbers ...", "^{**}2023 ...")
                if len(text) < self.s.synth_min_chars or text.startswith(("^{", "*")) or not ENDS_STATEMENT.search(text):
                    continue  # headings, titles and footnotes are not statements
                if SOURCE_LINE.match(text) or _CREDIT.match(text):
                    continue  # "Data Source: ..." says where a figure comes from, not what the report finds
                if ends_with_colon(text) and not _BULLET_AFTER.match(sc.chunk.text, u.end):
                    continue  # a lead-in is worth showing only with the list it introduces
                # acronyms written out, for this sentence only (the passage's others say nothing about it)
                extra = set(tokens(" ".join(self.g.expander.expansions(text)))) if self.g.expander is not None else set()
                units.append((u, extra))
        why = bool(WHY_SHAPE.search(job.query.text))
        # summaries, lists and comparisons keep the figures; a why question wants reasons, not numbers
        figures_count = job.query.intent in ("summary", "list", "compare")
        target = job.query_vec
        if central and units:
            vs = [v for u, _e in units if (v := self._vec(u)) is not None]
            if vs and job.query_vec is not None:
                centre = np.mean(vs, axis=0)
                centre = centre / (np.linalg.norm(centre) or 1.0)
                share = self.s.synth_centre_share
                target = (1 - share) * job.query_vec + share * centre
        for u, extra in units:
            text = u.text.strip()
            toks = set(u.toks) | extra
            v = self._vec(u)
            sim = float(np.dot(v, target)) if v is not None and target is not None else 0.0
            cov = math.fsum(w for t, w in weights.items() if t in toks or t in unknown and not alike(t).isdisjoint(toks)) / total
            path = tuple(u.chunk.section_path)
            sec = max((section_sims or {}).get(path, 0.0), 0.0)
            rel = (self.s.synth_sim_weight * max(sim, 0.0) + self.s.synth_cov_weight * cov
                   + self.s.synth_section_weight * sec)
            if path in focus:
                rel += self.s.synth_section_bonus
            if job.query.intent != "whole_report" and METADISCOURSE.match(text):
                rel -= self.s.synth_metadiscourse_penalty
            if self_paragraphs and any(a <= u.start < b for a, b in self_paragraphs.get(u.chunk.id, ())):
                rel += self.s.synth_self_bonus
            if why and CAUSE_MARKERS.search(text):
                rel += self.s.synth_cause_bonus
            if figures_count and _FIGURE.search(strip_report_markers(text)):
                rel += self.s.synth_figure_bonus
            out.append((rel, u, v, toks))
        out.sort(key=lambda x: -x[0])
        if job.query.intent == "explain" and out and self.s.synth_home_bonus:
            out = self._with_home_bonus(out)
        return out

    def _with_home_bonus(self, scored: list) -> list:
        """An explanation usually lives in one section: the section whose best few sentences are most relevant
        (its "home") lifts all its sentences a little, so the answer reads from there before it borrows."""
        by_section: dict[tuple[str, ...], list[float]] = {}
        for rel, u, _v, _t in scored:
            by_section.setdefault(tuple(u.chunk.section_path), []).append(rel)
        n = self.s.synth_home_top
        home = max(by_section, key=lambda p: math.fsum(sorted(by_section[p], reverse=True)[:n]) / n)
        out = [(rel + self.s.synth_home_bonus if tuple(u.chunk.section_path) == home else rel, u, v, t)
               for rel, u, v, t in scored]
        out.sort(key=lambda x: -x[0])
        return out

    # ------------------------------------------------------------ choosing
    def _mmr(self, scored, limit: int, chosen: list | None = None, keep_share: float | None = None) -> list:
        chosen = list(chosen or [])
        if not scored:
            return chosen
        best = scored[0][0]
        share = self.s.synth_keep_share if keep_share is None else keep_share
        length = sum(len(c[1].text) for c in chosen)
        while len(chosen) < limit:
            pick, pick_val = None, -1e9
            for cand in scored[:80]:
                if any(cand[1] is c[1] or cand[1].text.strip() == c[1].text.strip() for c in chosen):
                    continue
                if cand[0] < share * best and len(chosen) >= self.s.synth_min_sentences:
                    break
                red = max((float(np.dot(cand[2], c[2])) for c in chosen if cand[2] is not None and c[2] is not None),
                          default=0.0)
                val = self.s.synth_mmr_lambda * cand[0] - (1 - self.s.synth_mmr_lambda) * red
                if val > pick_val:
                    pick, pick_val = cand, val
            if pick is None or length + len(pick[1].text) > self.s.synth_max_chars:  # _compose trims to the limit
                break
            chosen.append(pick)
            length += len(pick[1].text)
        return chosen

    def _sides(self, job: AnswerJob) -> list[set[str]]:
        return [p for p in self.g.entity_phrases(job.query.text) if p]

    def answer(self, job: AnswerJob) -> Drafted | None:
        if not job.query.synthesis or job.query_vec is None:
            return None
        named = self._named_sections(job)
        sims = self._section_sims(job.query_vec)
        closest = {p for p, _v in sorted(sims.items(), key=lambda kv: -kv[1])[: self.s.synth_top_sections]}
        focus = named | self._focus_sections(job) | self._aspect_sections(job)
        pool = self._pool(job, focus | closest)
        own: dict[str, tuple[Chunk, list[tuple[int, int]]]] = {}
        # a question about the report's own method, sources or caveats ("what methods does it rely on")
        topical = job.query.intent == "whole_report" and not self._no_topic_of_its_own(job) and bool(
            set(job.query.topic_terms) & _REPORT_ASPECTS)
        if topical:
            # where the report speaks of itself ("This report is based on ... two benchmarking trips"): its
            # method, scope and caveats, wherever they stand, are about the whole report too
            own = self._self_describing(job)
            have = {sc.chunk.id for sc in pool}
            pool += [ScoredChunk(c, 0.0) for cid, (c, _p) in own.items() if cid not in have]
            focus = focus | {tuple(c.section_path) for c, _p in own.values()}
        if named:  # "summarize section 4.2": the answer comes from that section
            inside = [sc for sc in pool if tuple(sc.chunk.section_path) in named or sc.chunk.id in own]
            pool = inside or pool
        # the whole report, or a section asked for by name: what the section keeps coming back to, not only the
        # words of the question ("summarize appendix B" shares few words with appendix B's sentences)
        # (a whole-report question with a topic of its own, "what methods ...", is asked in its own words)
        central = bool(named) and job.query.intent in ("whole_report", "summary") and not topical
        scored = self._score(job, pool, focus, central=central, section_sims=sims,
                             self_paragraphs={cid: paras for cid, (_c, paras) in own.items()} if topical else None)
        if not scored or scored[0][0] < self.s.synth_min_relevance:
            return None
        # a comparison starts from a sentence naming each side, then adds what is most relevant and new
        seeds = self._side_seeds(job, scored, focus) if job.query.intent == "compare" else []
        if job.query.intent == "summary" and named:
            seeds = self._part_seeds(scored, named)
        if job.query.intent == "whole_report" and self._no_topic_of_its_own(job):
            seeds = self._abstract_seeds(scored)
        keep = self.s.synth_summary_keep_share if job.query.intent == "summary" else self.s.synth_keep_share
        chosen = self._mmr(scored, self.s.synth_max_sentences, chosen=seeds, keep_share=keep)
        if not self._grounded(job, [c[1] for c in chosen]):
            return None
        units = [c[1] for c in chosen]
        if WHY_SHAPE.search(job.query.text):
            units = self._with_reasons(units)
        units = self._with_antecedents(units)
        ctx = pool
        units = self.g._with_list_items(units, ctx)
        units = self.g._with_attribution(units, ctx)
        # the section that answers best comes first; within a section the report's own order
        best_of: dict[tuple[str, tuple[str, ...]], int] = {}
        for n, c in enumerate(chosen):
            best_of.setdefault((c[1].chunk.doc_id, tuple(c[1].chunk.section_path)), n)
        units = _no_dangling(_fit(sorted(_dedupe(units), key=lambda u: (
            best_of.get((u.chunk.doc_id, tuple(u.chunk.section_path)), len(chosen)), u.chunk.doc_id,
            u.chunk.start + u.start)), self._limit(job)))
        if not units:
            return None
        drafted = self.g._compose(units, max_chars=self._limit(job))
        if drafted.refused:
            return None
        drafted.contexts = self.g.rerank(job.contexts or pool, self.g.score_units(job.query.text, job.contexts or pool,
                                                                                job.query_vec))
        return drafted

    def _with_antecedents(self, units: list[Unit]) -> list[Unit]:
        """A chosen sentence that points back ("This direction from the central government ...") comes after the
        sentence it points to, when that one stands right before it in the report."""
        out: list[Unit] = []
        for u in units:
            before = self.g.neighbour(u) if DEMONSTRATIVE_OPENERS.match(u.text) else None
            if before is not None and not any(v.chunk.id == before.chunk.id and v.start == before.start
                                              for v in units + out):
                out.append(before)
            out.append(u)
        return out

    def _with_reasons(self, units: list[Unit]) -> list[Unit]:
        """A chosen sentence that states a consequence ("Hence, ...") comes after the sentence that gives its
        reasons (in the same paragraph or at the end of the passage before), and one whose next sentence explains
        it ("This is due in part to ...") comes with that sentence."""
        out: list[Unit] = []

        def have(x: Unit) -> bool:
            return any(v.chunk.id == x.chunk.id and v.start == x.start for v in units + out)

        for u in units:
            before = self.g.neighbour(u) if CONSEQUENCE_OPENERS.match(u.text) else None
            if before is not None and not have(before):
                out.append(before)
            out.append(u)
            after = self.g.neighbour(u, after=True)
            if after is not None and REASON_OPENERS.match(after.text) and not have(after):
                out.append(after)  # "... is lagging behind China. This is due in part to ..."
        return out

    def _no_topic_of_its_own(self, job: AnswerJob) -> bool:
        """Asks about the whole report and nothing narrower: no word left once the framing ("the big picture"),
        the document's name for itself ("this NIST report") and the report's own subject ("China",
        "manufacturing": words of most passages) are set aside."""
        common = self.s.subject_name_share * self.g.idf.n
        words = set(tokens(DOCUMENT_REFERENCE.sub(" ", job.query.text))) & set(job.query.topic_terms)
        frame = {t for w in WHOLE_REPORT_FRAME_WORDS for t in tokens(w)}
        return not {t for t in words if t not in frame and self.g.idf.df.get(t, 0) < common}

    def _abstract_seeds(self, scored) -> list:
        """The report's own abstract, sentence by sentence: the authors' summary of the whole, which a question
        about the whole report with no topic of its own ("what are the main findings?") starts from."""
        # two sentences are left for the executive summary and the closing chapter
        return [c for c in scored if _title(c[1].chunk.section_path[0]) == "abstract"][: self.s.synth_max_sentences - 2]

    def _part_seeds(self, scored, named: set[tuple[str, ...]]) -> list:
        """A section summarised with its subsections: the best sentence of each subsection, in the report's
        order, so the summary spans the section rather than its most central part."""
        if not scored:
            return []
        paths = sorted(named)
        depth = 0  # the named section's own depth: what all its paths share ("3.2" has only subsections)
        while all(len(p) > depth for p in paths) and len({p[depth] for p in paths}) == 1:
            depth += 1
        parts = list(dict.fromkeys(p[:depth + 1] for p in paths if len(p) > depth))
        if len(parts) < 2:
            return []
        seeds = []
        for part in parts:
            # neither a lead-in (it brings its whole list) nor a sentence whose subject is in the one before it
            best = next((c for c in scored if tuple(c[1].chunk.section_path[:len(part)]) == part
                         and not ends_with_colon(c[1].text) and not _PRONOUN_SUBJECT.match(c[1].text)), None)
            if best is not None:
                seeds.append(best)
        return sorted(seeds, key=lambda c: (c[1].chunk.doc_id, c[1].chunk.start + c[1].start))

    def _side_seeds(self, job: AnswerJob, scored, focus: set[tuple[str, ...]] | None = None) -> list:
        """The best sentence naming each side of a comparison, searched for that side when none does."""
        sides = self._sides(job)
        chosen: list = []
        if len(sides) < 2:
            return chosen
        for side in sides:
            if any(side <= c[3] for c in chosen):
                continue
            # a sentence of the section that makes the comparison first; a lead-in would bring its whole list
            cands = sorted((c for c in scored if side <= c[3] and not ends_with_colon(c[1].text)),
                           key=lambda c: tuple(c[1].chunk.section_path) not in (focus or set()))
            if not cands and self.retriever is not None and self.embedder is not None:
                topic = " ".join(t for t in job.query.topic_terms if t not in side)
                side_q = " ".join(sorted(side)) + " " + topic
                vec = self.embedder.embed_query(side_q)
                extra = self.retriever.search(side_q, k=6, query_vec=vec)
                side_job = AnswerJob(job.query, extra, None, job.query_vec)
                cands = [c for c in self._score(side_job, [sc for sc in extra if sc.chunk.kind in _TEXT_KINDS],
                                                set()) if side <= c[3]]
            if cands and not any(cands[0][1] is c[1] for c in chosen):
                chosen.append(cands[0])
        return chosen

    def _limit(self, job: AnswerJob) -> int:
        # a comparison of figures reads best side by side in a few sentences; one of ways and means needs the room
        # of any explanation
        short = job.query.intent == "compare" and (asks_number(job.query.text) or bool(_QUANTITY.search(job.query.text)))
        limit = self.s.synth_compare_max_chars if short else self.s.synth_max_chars
        return min(limit, job.max_chars or limit)

    def _grounded(self, job: AnswerJob, units: list[Unit]) -> bool:
        """The names and numbers the question asks about are in the chosen passages."""
        toks: set[str] = set()
        for u in units:
            toks |= self.g.passage_tokens(u.chunk)
            # "summarize the Innovation Leadership section": a section's passages speak under its title's name
            toks |= {t for title in u.chunk.section_path for t in tokens(_title(title))}
        toks |= _PART_TOKENS
        for phrase in self.g.entity_phrases(job.query.text):
            w = {t: self.g.idf(t) for t in phrase}
            if self.g.coverage(w, toks) < 0.5:
                return False
        numbers = {t for t in tokens(" ".join(_NUM.findall(job.query.text)))}
        return not (numbers - toks)



def _sec_number(title: str) -> str:
    m = re.match(r"(?:appendix\s+)?([A-Z]?\d+(?:\.\d+)*|[A-D])\b", title, re.I)
    return m.group(1).lower() if m else ""


def _title(title: str) -> str:
    return re.sub(r"^(?:appendix\s+)?(?:[A-Z]?\d+(?:\.\d+)*|[A-D])\.?\s+", "", title, flags=re.I).strip().lower()


def _fit(units: list[Unit], limit: int) -> list[Unit]:
    """The units that fit the answer's length, in order, cut *before* the dangling check so a lead-in cut from
    its list is dropped here (``_compose``'s own trim would instead let the lead-in run past the limit)."""
    out: list[Unit] = []
    length = 0
    for u in units:
        n = len(u.text.strip()) + 5  # the citation marker
        if out and length + n > limit:
            break
        out.append(u)
        length += n
    return out


def _no_dangling(units: list[Unit]) -> list[Unit]:
    """A lead-in ending in ":" is kept only when what it introduces follows it (in reading order)."""
    out = []
    for i, u in enumerate(units):
        if ends_with_colon(u.text):
            nxt = units[i + 1] if i + 1 < len(units) else None
            follows = nxt is not None and nxt.chunk.doc_id == u.chunk.doc_id and \
                0 <= (nxt.chunk.start + nxt.start) - (u.chunk.start + u.end) < 400
            if not follows:
                continue
        out.append(u)
    return out


def _dedupe(units: list[Unit]) -> list[Unit]:
    seen: set[tuple[str, int]] = set()
    out = []
    for u in units:
        key = (u.chunk.id, u.start)
        if key not in seen:
            seen.add(key)
            out.append(u)
    return out
