"""The on-disk index: layout, (de)serialisation of records, and opening the current build read-only.

Layout under ``Settings.data_dir``::

    CURRENT                 {"build": "<id>"}  -- switched atomically with os.replace
    ingest.lock             one writer at a time (flock)
    verified.json           files already hashed and found right, by stat (rag/integrity.py)
    onnx-cache/<key>/       the model's ONNX export + checksums.json, copied into each build
    builds/<id>/manifest.json  counts, model, probe, and every other file's size and SHA-256
    builds/<id>/records.json   documents, sections, tables, references, acronyms, chunks
    builds/<id>/texts/<doc>.txt
    builds/<id>/vectors.npy + vector_ids.json   (re-used by the next ingest: nothing re-embedded)
    builds/<id>/bm25/          the lexical index
    builds/<id>/onnx/          the query embedder (a copy, never a link into onnx-cache)
    builds/<id>/chroma/        Chroma PersistentClient (unless MICQA_CHROMA_URL points at a server)
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from rag.errors import IndexMissing, IndexNeedsRebuild
from rag.integrity import VerifiedCache, check_files
from rag.records import Acronym, Chunk, Document, Manifest, ReportReference, Section, Table, TableRow
from rag.settings import Settings

log = logging.getLogger(__name__)

REBUILD_HINT = "run `micqa ingest` (or `make app`) to rebuild it"
FORCE_HINT = "run `micqa ingest --force`"


def builds_dir(settings: Settings) -> Path:
    return settings.data_dir / "builds"


def current_build_dir(settings: Settings) -> Path | None:
    ptr = settings.data_dir / "CURRENT"
    try:
        build = json.loads(ptr.read_text())["build"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexNeedsRebuild(f"The index pointer {ptr} is unreadable: index needs rebuild; {REBUILD_HINT}.") from exc
    path = builds_dir(settings) / build
    return path


def switch_current(settings: Settings, build_id: str) -> None:
    ptr = settings.data_dir / "CURRENT"
    tmp = ptr.with_suffix(".tmp")
    tmp.write_text(json.dumps({"build": build_id}))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, ptr)  # atomic: readers see the old build or the new one, never half


# ---------------------------------------------------------------- serialisation

def _tuple_path(d: dict[str, Any], key: str) -> dict[str, Any]:
    d[key] = tuple(d.get(key) or ())
    return d


def records_to_json(
    documents: list[Document], sections: list[Section], tables: list[Table], references: list[ReportReference],
    acronyms: list[Acronym], chunks: list[Chunk],
) -> dict[str, Any]:
    return {
        "documents": [asdict(d) for d in documents],
        "sections": [asdict(s) for s in sections],
        "tables": [asdict(t) for t in tables],
        "references": [asdict(r) for r in references],
        "acronyms": [asdict(a) for a in acronyms],
        "chunks": [asdict(c) for c in chunks],
    }


def _only(cls, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


def records_from_json(blob: dict[str, Any]) -> dict[str, list[Any]]:
    tables = []
    for t in blob["tables"]:
        rows = [TableRow(**_only(TableRow, r)) for r in t.pop("rows")]
        t = _tuple_path(t, "section_path")
        tables.append(Table(rows=rows, **_only(Table, t)))
    return {
        "documents": [Document(**_only(Document, d)) for d in blob["documents"]],
        "sections": [Section(**_only(Section, _tuple_path(s, "path"))) for s in blob["sections"]],
        "tables": tables,
        "references": [ReportReference(**_only(ReportReference, r)) for r in blob["references"]],
        "acronyms": [Acronym(**_only(Acronym, a)) for a in blob["acronyms"]],
        "chunks": [Chunk(**_only(Chunk, _tuple_path(c, "section_path"))) for c in blob["chunks"]],
    }


def verify_build(settings: Settings, build_dir: Path, manifest: Manifest) -> str | None:
    """None when every file of the build has the size and SHA-256 its manifest records; else what is wrong."""
    cache = VerifiedCache(settings.data_dir)
    problem = check_files(build_dir, manifest.files, cache)
    cache.save()
    return problem


def read_manifest(build_dir: Path) -> Manifest:
    try:
        return Manifest(**json.loads((build_dir / "manifest.json").read_text()))
    except FileNotFoundError as exc:
        raise IndexNeedsRebuild(f"The index at {build_dir} has no manifest: index needs rebuild; {REBUILD_HINT}.") from exc
    except (ValueError, TypeError) as exc:
        raise IndexNeedsRebuild(f"The index manifest in {build_dir} is damaged: index needs rebuild; {REBUILD_HINT}.") from exc


# ---------------------------------------------------------------- chroma

def chroma_client(settings: Settings, build_dir: Path):
    """A Chroma client: the server at MICQA_CHROMA_URL, else a PersistentClient in the build dir."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        u = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=chroma_settings
        )
    return chromadb.PersistentClient(path=str(build_dir / "chroma"), settings=chroma_settings)


_snapshots: dict[tuple[str, int, int], Path] = {}
_snapshot_lock = threading.Lock()
SNAPSHOT_PREFIX = "micqa-snap-"
SNAPSHOT_OWNER = "owner.lock"
STALE_SNAPSHOT_S = 10 * 60
_owner_locks: list = []  # held open for the life of the process: the kernel frees them when it dies
_swept = False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def remove_stale_snapshots(tmp_root: Path | None = None, max_age_s: float = STALE_SNAPSHOT_S) -> list[Path]:
    """Remove private store copies left by readers killed before their exit handler ran (kill -9, OOM).

    A copy is stale when it is older than max_age_s, its owner's lock is free (the kernel releases
    an flock when a process dies, however it dies) and the pid in its name is not running.
    """
    root = Path(tmp_root or tempfile.gettempdir())
    removed: list[Path] = []
    for d in root.glob(f"{SNAPSHOT_PREFIX}*"):
        try:
            st = d.lstat()
            if not d.is_dir() or d.is_symlink() or st.st_uid != os.getuid() or time.time() - st.st_mtime < max_age_s:
                continue
            pid = d.name[len(SNAPSHOT_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and _pid_alive(int(pid)):
                continue
            with open(d / SNAPSHOT_OWNER, "a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # the owner is alive (in another pid namespace, say)
                shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
        except OSError:
            continue  # not ours to judge
    if removed:
        log.info("removed %d stale store copies left by killed processes", len(removed))
    return removed


def _new_snapshot(build_dir: Path) -> Path:
    global _swept
    if not _swept:  # once per process, before it adds a copy of its own
        _swept = True
        remove_stale_snapshots()
    snap = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-{build_dir.name}-"))
    atexit.register(shutil.rmtree, snap, True)
    fh = open(snap / SNAPSHOT_OWNER, "w")  # stays open (and locked) until the process ends
    fcntl.flock(fh, fcntl.LOCK_EX)
    _owner_locks.append(fh)
    return snap


def chroma_reader(settings: Settings, build_dir: Path):
    """A client for queries that never writes into the build.

    chromadb writes on open even to only read (a row in its sqlite file, HNSW files saved again), so a
    local build is opened from a private copy in the system temp folder (a few MB; removed at exit, and
    by the next process when this one is killed). One copy per build per process; a server
    (MICQA_CHROMA_URL) is used as is.
    """
    if settings.chroma_url:
        return chroma_client(settings, build_dir)
    src = build_dir / "chroma"
    st = (src / "chroma.sqlite3").stat()
    key = (str(build_dir.resolve()), st.st_mtime_ns, st.st_size)
    with _snapshot_lock:
        snap = _snapshots.get(key)
        if snap is None or not snap.is_dir():
            snap = _new_snapshot(build_dir)
            shutil.copytree(src, snap / "chroma")
            _snapshots[key] = snap
    return chroma_client(settings, snap)


def check_probe(collection, probe_id: str, vector) -> str | None:
    """None when the store holds ``probe_id`` with this vector and a search with it finds a vector at
    distance ~0 (the probe's own or a twin's: duplicate text is allowed); else what is wrong."""
    import numpy as np

    got = collection.get(ids=[probe_id], include=["embeddings"])
    if not got["ids"]:
        return f"the probe passage {probe_id} is not in the store"
    stored = np.asarray(got["embeddings"][0], dtype=np.float32)
    if stored.shape != vector.shape or not np.allclose(stored, vector, atol=1e-4):
        return f"the probe passage {probe_id} holds another vector than the build's"
    res = collection.query(query_embeddings=[vector.tolist()], n_results=1, include=["distances"])
    if not res["ids"] or not res["ids"][0] or float(res["distances"][0][0]) > 1e-3:
        return "a search with the probe's vector does not find it"
    return None


def collection_name_for(settings: Settings, build_id: str) -> str:
    # On a shared server several builds coexist; locally the build dir already isolates them.
    return f"{settings.collection_name}-{build_id}" if settings.chroma_url else settings.collection_name


# ---------------------------------------------------------------- the index

class Index:
    """Everything a query needs from one build, loaded read-only."""

    def __init__(self, settings: Settings, build_dir: Path, manifest: Manifest, recs: dict[str, list[Any]]):
        self.settings = settings
        self.build_dir = build_dir
        self.manifest = manifest
        self.documents: list[Document] = recs["documents"]
        self.sections: list[Section] = recs["sections"]
        self.table_list: list[Table] = recs["tables"]
        self.reference_list: list[ReportReference] = recs["references"]
        self.acronyms: list[Acronym] = recs["acronyms"]
        self.chunks: list[Chunk] = recs["chunks"]
        self.chunk_by_id: dict[str, Chunk] = {c.id: c for c in self.chunks}
        self.doc_by_id: dict[str, Document] = {d.id: d for d in self.documents}
        self.tables: dict[str, Table] = {}
        for t in self.table_list:
            self.tables.setdefault(t.id, t)
            self.tables[f"{t.doc_id}:{t.id}"] = t
        # numbered per document: (doc id, number), so one document's [20] never answers for another's
        self.references: dict[tuple[str, int], ReportReference] = {}
        for r in self.reference_list:
            self.references.setdefault((r.doc_id, r.number), r)
        self._texts: dict[str, str] = {}

    @property
    def doc_texts(self) -> dict[str, str]:
        for d in self.documents:
            if d.id not in self._texts:
                self._texts[d.id] = (self.build_dir / "texts" / f"{d.id}.txt").read_text(encoding="utf-8")
        return self._texts

    @property
    def several_documents(self) -> bool:
        return len(self.documents) > 1

    def find_document(self, name: str) -> Document | None:
        """The document a person names: its id, short name or file name, or words of its title
        (case and separators ignored); None when no document, or more than one, matches."""
        want = _name_key(name)
        if not want:
            return None
        for key in (lambda d: d.id, lambda d: d.short_name, lambda d: Path(d.source_path).name, lambda d: d.title):
            hits = [d for d in self.documents if _name_key(key(d)) == want]
            if len(hits) == 1:
                return hits[0]
        hits = [d for d in self.documents if want in _name_key(d.title) or want in _name_key(d.short_name)]
        return hits[0] if len(hits) == 1 else None

    def doc_label(self, doc_id: str) -> str:
        d = self.doc_by_id.get(doc_id)
        return d.short_name if d else doc_id

    def doc_text(self, doc_id: str) -> str:
        return self.doc_texts[doc_id]

    def section_text(self, section: Section) -> str:
        return self.doc_text(section.doc_id)[section.start:section.end]

    def find_section(self, number: str, doc_id: str | None = None) -> Section | None:
        want = number.strip().rstrip(".").lower()
        for s in self.sections:
            if doc_id and s.doc_id != doc_id:
                continue
            if s.number and s.number.lower().rstrip(".") == want:
                return s
        return None

    def section_of_chunk(self, chunk: Chunk) -> Section | None:
        for s in self.sections:
            if s.doc_id == chunk.doc_id and s.start <= chunk.start < s.end:
                return s
        return None


def _name_key(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def open_index(settings: Settings) -> Index:
    build_dir = current_build_dir(settings)
    if build_dir is None:
        raise IndexMissing(f"No index found in {settings.data_dir}; run `micqa ingest` (or `make app`) to build it.")
    if not build_dir.is_dir():
        raise IndexNeedsRebuild(f"The current index {build_dir} is missing: index needs rebuild; {REBUILD_HINT}.")
    manifest = read_manifest(build_dir)
    if manifest.settings_hash != settings.settings_hash:
        raise IndexNeedsRebuild(
            "The index was built with other settings (chunker or embedding model): index needs rebuild; "
            f"{REBUILD_HINT}."
        )
    problem = verify_build(settings, build_dir, manifest)
    if problem:
        raise IndexNeedsRebuild(f"The index in {build_dir} is damaged ({problem}): index needs rebuild; {FORCE_HINT}.")
    try:
        recs = records_from_json(json.loads((build_dir / "records.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexNeedsRebuild(f"The index records in {build_dir} are unreadable: index needs rebuild; {REBUILD_HINT}.") from exc
    if len(recs["chunks"]) != manifest.counts.get("chunks"):
        raise IndexNeedsRebuild(
            f"The index in {build_dir} holds {len(recs['chunks'])} chunks but its manifest says "
            f"{manifest.counts.get('chunks')}: index needs rebuild; {REBUILD_HINT}."
        )
    return Index(settings, build_dir, manifest, recs)
