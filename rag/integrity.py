"""SHA-256 of every index file: recorded at ingest (in the manifest), checked when a build is opened.

Hashing a build on every start would cost a few hundred ms (the ONNX weights are ~90 MB), so a file
is hashed again only when its stat differs from the one recorded the last time it matched
(``<data dir>/verified.json``). The stat includes ctime and the inode, which an edit cannot set back,
so restoring a file's size and mtime after changing it does not hide the change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

# manifest.json holds the hashes; Chroma rewrites its own files whenever a client opens them, so the
# store is checked by its counts and a probe query instead (rag/api.py)
SKIP_FILES = ("manifest.json",)
SKIP_DIRS = ("chroma",)
CACHE_FILE = "verified.json"
_MAX_CACHE_BYTES = 4 * 2**20  # our own file, but a data dir is writable by others: never read it unbounded


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def digest_tree(root: Path) -> dict[str, dict[str, int | str]]:
    """{relative path: {size, sha256}} for every file of a build except the manifest and the Chroma store."""
    out: dict[str, dict[str, int | str]] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in SKIP_DIRS or rel.as_posix() in SKIP_FILES or not p.is_file():
            continue
        out[rel.as_posix()] = {"size": p.stat().st_size, "sha256": sha256_file(p)}
    return out


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class VerifiedCache:
    """Files already hashed and found right, by (path, size, mtime, ctime, inode)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / CACHE_FILE
        self.entries: dict[str, list] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(_MAX_CACHE_BYTES + 1)
            blob = json.loads(raw) if len(raw) <= _MAX_CACHE_BYTES else {}
            if isinstance(blob, dict):
                self.entries = {k: v for k, v in blob.items() if isinstance(v, list) and len(v) == 2}
        except (OSError, ValueError):
            self.entries = {}  # no cache (or a damaged one) only means hashing again

    def known(self, path: Path, st: os.stat_result, sha256: str) -> bool:
        hit = self.entries.get(str(path.resolve()))
        return hit is not None and hit[0] == _stamp(st) and hit[1] == sha256

    def add(self, path: Path, st: os.stat_result, sha256: str) -> None:
        self.entries[str(path.resolve())] = [_stamp(st), sha256]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        live = {k: v for k, v in self.entries.items() if os.path.exists(k)}  # builds pruned since
        tmp = self.path.with_name(f"{CACHE_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps(live))
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError as exc:  # a read-only data dir: the next start hashes again, nothing worse
            log.debug("could not write %s: %s", self.path, exc)
            tmp.unlink(missing_ok=True)


def check_files(root: Path, files: dict, cache: VerifiedCache | None = None) -> str | None:
    """None when every listed file has its recorded size and SHA-256; else what is wrong, in a few words."""
    if not isinstance(files, dict) or not files:
        return "it has no file checksums (built by an older micqa)"
    for rel, want in files.items():
        parts = PurePosixPath(rel).parts if isinstance(rel, str) else ()
        if not parts or ".." in parts or PurePosixPath(rel).is_absolute() or not isinstance(want, dict):
            return "its manifest lists a file outside the build"
        path = root.joinpath(*parts)
        try:
            st = path.stat()
        except OSError:
            return f"{rel} is missing"
        if st.st_size != want.get("size"):
            return f"{rel} has {st.st_size:,} bytes instead of {want.get('size')}"
        sha = want.get("sha256")
        if not isinstance(sha, str):
            return f"{rel} has no SHA-256 in the manifest"
        if cache is not None and cache.known(path, st, sha):
            continue
        try:
            ok = sha256_file(path) == sha
        except OSError:
            return f"{rel} cannot be read"
        if not ok:
            return f"{rel} does not match its SHA-256"
        if cache is not None:
            cache.add(path, st, sha)
    return None
