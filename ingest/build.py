"""Build the index: load -> structure -> tables -> chunks -> embed -> Chroma + BM25 + records.

One writer at a time (an flock on ``ingest.lock``). Everything is written into a fresh build
directory, validated (counts and a probe query), and only then made current by an atomic
pointer switch, so an ingest that fails or is killed leaves the previous index serving.
Vectors of unchanged chunks are copied from the previous build: nothing is re-embedded twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest.chunking import chunk_document
from ingest.document import StructuredDocument, analyse
from ingest.loaders import LoadedDocument, LoadError, list_corpus_files, load
from rag.errors import IngestLocked, MicqaError
from rag.integrity import VerifiedCache, check_files, digest_tree
from rag.onnx_embed import SLOW_FALLBACK
from rag.records import Chunk, Manifest
from rag.settings import CHUNKER_VERSION, Settings
from rag.store import (
    builds_dir,
    chroma_client,
    collection_name_for,
    current_build_dir,
    read_manifest,
    records_to_json,
    switch_current,
    verify_build,
)

log = logging.getLogger(__name__)

# (stage, done, total): stages "parse" (documents), "embed" (chunks), "embed sentences", "write" (steps),
# so a face can show one bar per stage
Progress = Callable[[str, int, int], None]
# a document of more than this many pages that yields no sections (or no tables) is reported
FEW_PAGES = 3


@dataclass
class BuildReport:
    documents: int = 0
    sections: int = 0
    chunks: int = 0
    chunks_by_kind: dict[str, int] = field(default_factory=dict)
    tables: int = 0
    table_rows: int = 0
    references: int = 0
    acronyms: int = 0
    seconds: float = 0.0
    embedded: int = 0
    reused_vectors: int = 0
    sentences_embedded: int = 0  # answerable sentences embedded (unchanged ones are copied)
    # seconds per stage: parse, embed_chunks, embed_sentences, write, validate (what an ingest spends where)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    unchanged: bool = False
    build: str = ""
    problems: list[str] = field(default_factory=list)
    by_document: dict[str, dict[str, int]] = field(default_factory=dict)  # doc id -> counts

    def to_json(self) -> dict:
        return asdict(self)


class IngestFailed(MicqaError):
    exit_code = 1

    def __init__(self, message: str, report: BuildReport | None = None) -> None:
        super().__init__(message)
        self.report = report  # what was found so far (the problems), for `ingest --json`


class _Lock:
    def __init__(self, path: Path, wait: bool) -> None:
        self.path = path
        self.wait = wait
        self.fh = None

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            self.fh.close()
            raise IngestLocked(
                f"Another ingest is writing the index (lock {self.path}); wait for it to finish, then run it again."
            ) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.fh is not None
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _corpus_fingerprint(settings: Settings, files: list[Path]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(settings.index_fields(), sort_keys=True).encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.resolve()}\x00{st.st_size}\x00{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _intact_current(settings: Settings, names: tuple[str, ...] | None = None) -> Path | None:
    """The current build when its files (all, or only ``names``) match the manifest's SHA-256; else None.

    Only intact files are reused: vectors copied from a damaged build would carry the damage into
    the rebuild that was meant to repair it.
    """
    try:
        cur = current_build_dir(settings)
        if cur is None or not cur.is_dir():
            return None
        manifest = read_manifest(cur)
        if names is None:
            problem = verify_build(settings, cur, manifest)
        else:
            cache = VerifiedCache(settings.data_dir)
            problem = check_files(cur, {n: f for n, f in manifest.files.items() if n in names}, cache)
            if not problem and not set(names) <= set(manifest.files):
                problem = f"its manifest has no checksum for {', '.join(sorted(set(names) - set(manifest.files)))}"
            cache.save()
    except (OSError, MicqaError):
        return None
    if problem:
        log.warning("The current index %s is damaged (%s); it is not reused.", cur, problem)
        return None
    return cur


def _unchanged(settings: Settings, fingerprint: str) -> bool:
    cur = _intact_current(settings)
    if cur is None:
        return False
    try:
        stamp = json.loads((cur / "fingerprint.json").read_text())
        manifest = read_manifest(cur)
    except (OSError, ValueError, MicqaError):
        return False
    return stamp.get("fingerprint") == fingerprint and manifest.settings_hash == settings.settings_hash


def _previous_vectors(settings: Settings) -> dict[str, np.ndarray]:
    try:
        cur = _intact_current(settings, ("vectors.npy", "vector_ids.json"))
        if cur is None:
            return {}
        manifest = read_manifest(cur)
        if manifest.model_id != settings.embed_model_id:
            return {}
        ids = json.loads((cur / "vector_ids.json").read_text())
        vecs = np.load(cur / "vectors.npy")
        return dict(zip(ids, vecs, strict=True))
    except (OSError, ValueError, MicqaError):
        return {}


def load_embedder(settings: Settings):
    from rag.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embed_model_path, settings.embed_model_id)


def _open_onnx(settings: Settings, onnx_dir: Path):
    """Export MiniLM to ONNX (cached in data_dir/onnx-cache) into the build; None when that fails."""
    from ingest.onnx_export import ensure_onnx
    from rag.onnx_embed import OnnxEmbedder

    try:
        ensure_onnx(settings.embed_model_path, settings.data_dir / "onnx-cache", onnx_dir)
        return OnnxEmbedder(onnx_dir, settings.embed_model_id, spin=False)  # bulk work: threads sleep when idle
    except Exception as exc:  # the query path falls back to sentence-transformers: slower, still right
        log.warning("ONNX export of %s failed (%s: %s), so this build has no ONNX model: %s Fix the cause and "
                    "run `micqa ingest --force`.", settings.embed_model_path or settings.embed_model_id,
                    type(exc).__name__, exc, SLOW_FALLBACK)
        shutil.rmtree(onnx_dir, ignore_errors=True)
        return None


def _default_embedder(settings: Settings, build_tmp: Path, n_chunks: int = 0):
    # opened even when every vector is re-used: the export must land in each build for the query path
    onnx = _open_onnx(settings, build_tmp / "onnx")
    if onnx is None:
        return load_embedder(settings)
    if n_chunks >= settings.bulk_embed_min_chunks:
        return BulkEmbedder(onnx, lambda: _bf16_embedder(settings))
    return onnx


def _bf16_embedder(settings: Settings):
    from rag.embeddings import SentenceTransformerEmbedder, bf16_in_hardware

    if not bf16_in_hardware():
        return None
    return SentenceTransformerEmbedder(settings.embed_model_path, settings.embed_model_id, bf16=True)


class BulkEmbedder:
    """The ONNX embedder, swapped on the first call for a faster bulk one when ``load_bulk`` gives one.

    Loaded lazily, so a large but unchanged corpus (every vector re-used) never imports torch; when the
    CPU has no bf16 hardware ``load_bulk`` returns None and the ONNX graph does the work.
    """

    def __init__(self, base, load_bulk) -> None:
        self.base = base
        self.model_id = base.model_id
        self.dim = base.dim
        self._load_bulk = load_bulk
        self._bulk = None
        self._tried = False

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not self._tried:
            self._tried = True
            self._bulk = self._load_bulk()
            log.info("bulk embedding with %s", type(self._bulk or self.base).__name__)
        return (self._bulk or self.base).embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.base.embed_query(text)


def build_index(
    settings: Settings,
    paths: list[Path] | None = None,
    progress: Progress | None = None,
    embedder=None,
    force: bool = False,
    wait_for_lock: bool = False,
) -> BuildReport:
    t0 = time.perf_counter()
    paths = list(paths) if paths else list(settings.corpus_paths)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _Lock(settings.data_dir / "ingest.lock", wait_for_lock):
        report = BuildReport()
        files, problems = list_corpus_files(paths)
        report.problems.extend(problems)
        fingerprint = _corpus_fingerprint(settings, files)
        if not force and not problems and _unchanged(settings, fingerprint):
            cur = current_build_dir(settings)
            assert cur is not None
            m = read_manifest(cur)
            report = _report_from_manifest(m, cur)
            report.unchanged = True
            report.seconds = time.perf_counter() - t0
            return report

        docs = []
        for n, f in enumerate(files):
            if progress:
                progress("parse", n, len(files))
            try:
                docs.append(load(f, settings.max_file_bytes))
            except LoadError as exc:
                report.problems.append(str(exc))
            except OSError as exc:
                report.problems.append(f"{f}: could not be read ({exc.strerror}); check the file's permissions.")
        seen_ids: set[str] = set()
        unique = []
        for d in docs:  # two files with one name stem would share chunk ids; keep the first, name the other
            if d.document.id in seen_ids:
                report.problems.append(f"{d.document.source_path}: another file has the same name stem; rename one.")
                continue
            seen_ids.add(d.document.id)
            unique.append(d)
        docs = unique
        if not docs:
            report.seconds = time.perf_counter() - t0
            raise IngestFailed(
                "No document could be ingested"
                + (": " + " ".join(report.problems) if report.problems else "; put .pdf, .txt or .md files in corpus/."),
                report,
            )

        t_parse = time.perf_counter()
        all_sections, all_tables, all_refs, all_acr, all_chunks = [], [], [], [], []
        for n_done, d in enumerate(docs):
            if progress:
                progress("parse", n_done, len(docs))
            p = parse_document(d, settings.chunk_max_chars)
            report.by_document[d.document.id] = {**p.counts, "chunks": len(p.chunks)}
            report.problems.extend(p.warnings)
            all_sections += p.sections
            all_tables += p.tables
            all_refs += p.references
            all_acr += p.acronyms
            all_chunks += p.chunks
        if progress:
            progress("parse", len(docs), len(docs))

        stages = report.stage_seconds
        stages["parse"] = time.perf_counter() - t_parse
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + settings.settings_hash[:6]
        root = builds_dir(settings)
        root.mkdir(parents=True, exist_ok=True)
        _clean_partial(root)
        tmp = root / f"tmp-{build_id}"
        tmp.mkdir()
        previous = _current_name(settings)
        try:
            if embedder is None:  # the real model: export it for the query path, embed with the same graph
                embedder = _default_embedder(settings, tmp, len(all_chunks))
            t = time.perf_counter()
            vectors, reused = _embed(settings, all_chunks, progress, embedder)
            stages["embed_chunks"] = time.perf_counter() - t
            report.embedded = len(all_chunks) - reused
            report.reused_vectors = reused
            t = time.perf_counter()
            report.sentences_embedded = _write_sentence_vectors(settings, tmp, all_chunks, embedder, vectors.shape[1],
                                                                progress)
            stages["embed_sentences"] = time.perf_counter() - t
            t = time.perf_counter()
            _write_word_vectors(settings, tmp, all_chunks, embedder, vectors.shape[1])
            stages["embed_words"] = time.perf_counter() - t
            t = time.perf_counter()
            if progress:
                progress("write", 0, 3)
            _write_build(settings, tmp, build_id, docs, all_sections, all_tables, all_refs, all_acr, all_chunks,
                         vectors, embedder_dim=vectors.shape[1], fingerprint=fingerprint,
                         by_document=report.by_document)
            _write_document_frequencies(tmp, all_chunks)
            if progress:
                progress("write", 1, 3)
            final = root / build_id
            tmp.rename(final)
            seal_build(settings, final)
            stages["write"] = time.perf_counter() - t
            t = time.perf_counter()
            _validate(settings, final, build_id)
            if progress:
                progress("write", 2, 3)
            switch_current(settings, build_id)
            stages["validate"] = time.perf_counter() - t
            if progress:
                progress("write", 3, 3)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(root / build_id, ignore_errors=True)  # renamed but failed validation: never current
            raise
        _prune(settings, root, keep=build_id, previous=previous)

        kinds = Counter(c.kind for c in all_chunks)
        report.documents = len(docs)
        report.sections = len(all_sections)
        report.chunks = len(all_chunks)
        report.chunks_by_kind = dict(sorted(kinds.items()))
        report.tables = len(all_tables)
        report.table_rows = sum(len(t.rows) for t in all_tables)
        report.references = len(all_refs)
        report.acronyms = len(all_acr)
        report.build = build_id
        report.seconds = time.perf_counter() - t0
        return report


@dataclass
class ParsedDocument:
    """Everything parsed from one loaded document (no model involved)."""

    sections: list
    tables: list
    references: list
    acronyms: list
    chunks: list[Chunk]
    counts: dict[str, int]
    warnings: list[str]


def parse_document(d: LoadedDocument, chunk_max_chars: int) -> ParsedDocument:
    """Sections, tables, references, acronyms, figures and chunks of one document, whatever its format.

    Every step is linear in the size of the text (tests/test_scale_parse.py checks 1 MB against 4 MB)."""
    sd = analyse(d)
    pof = d.page_of_offset if d.paged else None
    chunks = chunk_document(
        d.document, d.text, sd.sections, sd.toc, sd.tables, sd.references, sd.acronyms, sd.figures,
        sd.table_spans, chunk_max_chars, pof,
    )
    return ParsedDocument(sd.sections, sd.tables, sd.references, sd.acronyms, chunks, sd.counts(),
                          structure_warnings(sd))


def structure_warnings(sd: StructuredDocument) -> list[str]:
    """Problems to report when a document of more than a few pages comes out without structure."""
    pages = sd.counts()["pages"] or sd.loaded.text.count("\f") + len(sd.loaded.text) // 3000
    if pages <= FEW_PAGES:
        return []
    name = sd.document.source_path
    out: list[str] = []
    if not any(s.number is not None or s.title != "Front matter" for s in sd.sections):
        out.append(f"{name}: no section headings were found in {pages} pages; answers will cite no sections "
                   "(for a PDF, one with bookmarks or a text version gives better results).")
    if not sd.tables:
        out.append(f"{name}: no tables were found in {pages} pages; if the document has tables, table questions "
                   "will not be computed from them (a PDF with ruled tables or a text version helps).")
    return out


def _report_from_manifest(m: Manifest, build_dir: Path) -> BuildReport:
    extra = json.loads((build_dir / "fingerprint.json").read_text()).get("report", {})
    r = BuildReport(**{k: v for k, v in extra.items() if k in BuildReport.__dataclass_fields__})
    r.build = build_dir.name
    r.embedded = 0
    return r


def _embed(settings: Settings, chunks: list[Chunk], progress: Progress | None, embedder) -> tuple[np.ndarray, int]:
    prev = _previous_vectors(settings)
    if embedder is not None and prev and len(next(iter(prev.values()))) != embedder.dim:
        prev = {}  # same model id but another dimension: old vectors cannot be mixed with new ones
    todo = [i for i, c in enumerate(chunks) if c.id not in prev]
    dim = None
    if todo:
        embedder = embedder or load_embedder(settings)
        dim = embedder.dim
        if prev and len(next(iter(prev.values()))) != dim:
            prev, todo = {}, list(range(len(chunks)))
    elif prev:
        dim = len(next(iter(prev.values())))
    out = np.zeros((len(chunks), dim or 384), dtype=np.float32)
    for i, c in enumerate(chunks):
        if c.id in prev:
            out[i] = prev[c.id]
    # identical texts (a document ingested twice, repeated rows) are embedded once
    groups = _same_text([chunks[i].embed_text for i in todo])
    # longest first, so each batch holds texts of similar length and pads little
    firsts = sorted(groups, key=lambda i: len(chunks[todo[i]].embed_text), reverse=True)
    batch = 32
    total = len(todo)
    done = 0
    if progress:
        progress("embed", 0, total)
    for b in range(0, len(firsts), batch):
        part = firsts[b:b + batch]
        vecs = embedder.embed_documents([chunks[todo[i]].embed_text for i in part])
        for v, i in zip(vecs, part, strict=True):
            same = [todo[j] for j in groups[i]]
            out[same] = v
            done += len(same)
        if progress:
            progress("embed", done, total)
    return out, len(chunks) - total


def _same_text(texts: list[str]) -> dict[int, list[int]]:
    """First position of each distinct text -> every position holding it."""
    first: dict[str, int] = {}
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(texts):
        groups.setdefault(first.setdefault(t, i), []).append(i)
    return groups


def _write_document_frequencies(tmp: Path, chunks: list[Chunk]) -> None:
    """The answerer's term weights, computed once here instead of at every start-up."""
    from rag.answer import document_frequencies

    (tmp / "df.json").write_text(json.dumps(document_frequencies(chunks)))


def _current_vectors(settings: Settings, vectors_name: str, keys_name: str, dim: int) -> dict[str, np.ndarray]:
    """The current build's vectors by key (``vectors_name`` .npy, ``keys_name`` .json), to copy rather than embed
    again; empty when there is no intact current build, it lacks them, or their dimension differs."""
    try:
        cur = _intact_current(settings, (vectors_name, keys_name))
        if cur is not None and (cur / vectors_name).exists():
            old = np.load(cur / vectors_name)
            if old.shape[1] == dim:
                return dict(zip(json.loads((cur / keys_name).read_text()), old, strict=True))
    except (OSError, ValueError, MicqaError):
        pass
    return {}


def _write_sentence_vectors(settings: Settings, tmp: Path, chunks: list[Chunk], embedder, dim: int,
                            progress: Progress | None = None) -> int:
    """One vector per answerable sentence, so the answerer can weigh meaning as well as shared words.

    Keys are ``chunk_id:start:end``; vectors of unchanged sentences are copied from the current build.
    Returns how many sentences needed a vector (identical texts among them are embedded once).
    """
    from rag.units import sentence_key, unit_spans

    keys: list[str] = []
    texts: list[str] = []
    for c in chunks:
        if c.kind not in ("prose", "figure_caption"):
            continue
        for a, b in unit_spans(c):
            keys.append(sentence_key(c.id, a, b))
            texts.append(c.text[a:b])
    prev = _current_vectors(settings, "sentences.npy", "sentence_keys.json", dim)
    out = np.zeros((len(keys), dim), dtype=np.float32)
    todo = [i for i, k in enumerate(keys) if k not in prev]
    for i, k in enumerate(keys):
        if k in prev:
            out[i] = prev[k]
    if progress:
        progress("embed sentences", 0, len(todo))
    groups = _same_text([texts[i] for i in todo])  # a repeated sentence is embedded once
    # longest first, so each batch holds sentences of similar length and pads little
    firsts = sorted(groups, key=lambda i: len(texts[todo[i]]), reverse=True)
    done = 0
    for b in range(0, len(firsts), 64):
        part = firsts[b:b + 64]
        vecs = embedder.embed_documents([texts[todo[i]] for i in part])
        for v, i in zip(vecs, part, strict=True):
            same = [todo[j] for j in groups[i]]
            out[same] = v
            done += len(same)
        if progress:
            progress("embed sentences", done, len(todo))
    np.save(tmp / "sentences.npy", out)
    (tmp / "sentence_keys.json").write_text(json.dumps(keys))
    return len(todo)


def _write_word_vectors(settings: Settings, tmp: Path, chunks: list[Chunk], embedder, dim: int) -> int:
    """One vector per distinct word of the documents (``words.npy``, ``words.json``), so a question's word the
    documents never use can be met by their words of like meaning (rag.neighbours). Returns how many were new."""
    from rag.neighbours import report_words

    words = report_words(c.text for c in chunks)
    prev = _current_vectors(settings, "words.npy", "words.json", dim)
    todo = [w for w in words if w not in prev]
    for b in range(0, len(todo), 256):
        part = todo[b:b + 256]
        prev.update(zip(part, np.asarray(embedder.embed_documents(part), dtype=np.float32), strict=True))
    out = np.zeros((len(words), dim), dtype=np.float32)
    for i, w in enumerate(words):
        out[i] = prev[w]
    np.save(tmp / "words.npy", out)
    (tmp / "words.json").write_text(json.dumps(words))
    return len(todo)


def _write_build(settings, tmp: Path, build_id: str, docs, sections, tables, refs, acronyms, chunks,
                 vectors: np.ndarray, embedder_dim: int, fingerprint: str,
                 by_document: dict[str, dict[str, int]] | None = None) -> None:
    import chromadb

    from rag.retrieve import LexicalIndex

    (tmp / "texts").mkdir()
    for d in docs:
        (tmp / "texts" / f"{d.document.id}.txt").write_text(d.text, encoding="utf-8")
    documents = [d.document for d in docs]
    (tmp / "records.json").write_text(
        json.dumps(records_to_json(documents, sections, tables, refs, acronyms, chunks), ensure_ascii=False),
        encoding="utf-8",
    )
    np.save(tmp / "vectors.npy", vectors)
    (tmp / "vector_ids.json").write_text(json.dumps([c.id for c in chunks]))
    lex = LexicalIndex.build(chunks)
    (tmp / "bm25").mkdir()
    lex.save(tmp / "bm25")

    client = chroma_client(settings, tmp)
    name = collection_name_for(settings, build_id)
    col = client.get_or_create_collection(
        name=name,
        embedding_function=None,  # we pass vectors ourselves; Chroma's own (downloading) model is never used
        metadata={"hnsw:space": "cosine", "model_id": settings.embed_model_id, "dimension": embedder_dim},
    )
    step = 1000
    for b in range(0, len(chunks), step):
        part = chunks[b:b + step]
        col.add(
            ids=[c.id for c in part],
            embeddings=vectors[b:b + step].tolist(),
            documents=[c.text for c in part],
            metadatas=[_chroma_meta(c) for c in part],
        )
    probe = max((c for c in chunks if c.kind == "prose"), key=lambda c: len(c.text), default=chunks[0])
    kinds = Counter(c.kind for c in chunks)
    manifest = Manifest(
        collection=name,
        settings_hash=settings.settings_hash,
        model_id=settings.embed_model_id,
        dimension=embedder_dim,
        chromadb_version=chromadb.__version__,
        chunker_version=CHUNKER_VERSION,
        documents=[{"id": d.id, "title": d.title, "sha256": d.sha256, "source_path": d.source_path} for d in documents],
        corpus_sha256=hashlib.sha256("".join(sorted(d.sha256 for d in documents)).encode()).hexdigest(),
        counts={"chunks": len(chunks), **{f"kind:{k}": v for k, v in kinds.items()}},
        probe_query=probe.embed_text,
        probe_chunk_id=probe.id,
        created_at=datetime.now(UTC).isoformat(),
    )
    (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    summary = {
        "documents": len(documents), "sections": len(sections), "chunks": len(chunks),
        "chunks_by_kind": dict(sorted(kinds.items())), "tables": len(tables),
        "table_rows": sum(len(t.rows) for t in tables), "references": len(refs), "acronyms": len(acronyms),
        "by_document": by_document or {},
    }
    (tmp / "fingerprint.json").write_text(json.dumps({"fingerprint": fingerprint, "report": summary}))


def seal_build(settings: Settings, build_dir: Path) -> None:
    """Record every file's size and SHA-256 in the manifest (checked at each open), and remember them as verified.

    Runs once the build is complete and in its final place (the cache is keyed by path).
    """
    files = digest_tree(build_dir)
    path = build_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = files
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp, path)
    cache = VerifiedCache(settings.data_dir)
    for rel, f in files.items():
        cache.add(build_dir / rel, (build_dir / rel).stat(), str(f["sha256"]))
    cache.save()


def _chroma_meta(c: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {"doc_id": c.doc_id, "kind": c.kind, "start": c.start}
    if c.section_number:
        meta["section"] = c.section_number
    if c.page is not None:
        meta["page"] = c.page
    return meta


def _validate(settings: Settings, build_dir: Path, build_id: str) -> None:
    """The new build must hold exactly the manifest's chunk ids, and the probe chunk's stored vector.

    By id, not by a nearest-vector look-up: duplicate text (two copies of a report) gives twin
    vectors, and a look-up may rightly return the twin. The search itself is checked to return a
    vector at distance ~0 from the probe (its own, or a twin's).
    """
    from rag.store import check_probe

    m = read_manifest(build_dir)
    client = chroma_client(settings, build_dir)
    col = client.get_collection(m.collection, embedding_function=None)
    if col.count() != m.counts["chunks"]:
        raise IngestFailed(f"Validation failed: the store holds {col.count()} vectors for {m.counts['chunks']} chunks.")
    ids = json.loads((build_dir / "vector_ids.json").read_text())
    stored: set[str] = set()
    step = 5000
    for b in range(0, len(ids), step):
        stored.update(col.get(ids=ids[b:b + step], include=[])["ids"])
    if stored != set(ids):
        raise IngestFailed(
            f"Validation failed: {len(set(ids) - stored)} of the build's chunks are missing from the store; "
            "the store is inconsistent."
        )
    vecs = np.load(build_dir / "vectors.npy", mmap_mode="r")
    problem = check_probe(col, m.probe_chunk_id, np.asarray(vecs[ids.index(m.probe_chunk_id)], dtype=np.float32))
    if problem:
        raise IngestFailed(f"Validation failed: {problem}; the store is inconsistent.")


def _clean_partial(root: Path) -> None:
    for p in root.glob("tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def _current_name(settings: Settings) -> str | None:
    try:
        cur = current_build_dir(settings)
    except MicqaError:
        return None
    return cur.name if cur is not None else None


def _prune(settings: Settings, root: Path, keep: str, previous: str | None = None) -> None:
    """Keep the current build and the one that was current before it (a reader may still have it open).

    Builds that never became current (an ingest killed between rename and switch) are removed too.
    """
    builds = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("tmp-"))
    for p in builds:
        if p.name not in (keep, previous):
            if settings.chroma_url:
                try:
                    chroma_client(settings, p).delete_collection(collection_name_for(settings, p.name))
                except Exception as exc:  # an old collection already gone is not an error
                    log.debug("could not delete old collection for %s: %s", p.name, exc)
            shutil.rmtree(p, ignore_errors=True)
