"""Documents added in the app: kept under ``<data dir>/uploads/`` and ingested in the background.

An ingest runs in a thread into a new build (``ingest.build.build_index``); the current index
keeps answering until the new build is validated and switched in. One job per data dir at a
time (the build itself also holds the ingest lock); its progress is read by the app's polling
fragment. Removing a file rebuilds without it.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import MicqaError
from rag.settings import Settings

log = logging.getLogger(__name__)

ALLOWED = (".pdf", ".txt", ".md")


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def uploaded_files(settings: Settings) -> list[Path]:
    folder = uploads_dir(settings)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in ALLOWED)


def safe_name(name: str) -> str:
    """A plain file name: no folders, no hidden files, only letters, digits and ._- kept."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:80] or "document"
    return stem + suffix


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Keep an uploaded file; raise MicqaError with one sentence when it cannot be used."""
    clean = safe_name(name)
    if Path(clean).suffix not in ALLOWED:
        raise MicqaError(f"{name} is not a PDF, text or Markdown file; upload a .pdf, .txt or .md file.")
    if not data:
        raise MicqaError(f"{name} is empty; upload a file with text in it.")
    if len(data) > settings.max_file_bytes:
        raise MicqaError(f"{name} is larger than {settings.max_file_bytes // 2**20} MB; upload a smaller file.")
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / clean
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # never a half-written file in the folder an ingest reads
    return path


def remove_upload(settings: Settings, name: str) -> None:
    path = uploads_dir(settings) / safe_name(name)
    if path.parent == uploads_dir(settings) and path.is_file():
        path.unlink()


def corpus_with_uploads(settings: Settings) -> list[Path]:
    return [*settings.corpus_paths, *uploaded_files(settings)]


@dataclass
class IngestJob:
    """What the app shows while a build runs: the stage, its progress, then the outcome."""

    stage: str = "parse"
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total

    @property
    def fraction(self) -> float:
        order = {"parse": 0, "embed": 1, "write": 2}
        within = self.done / self.total if self.total else 0.0
        return 1.0 if self.finished else min(1.0, (order.get(self.stage, 0) + within) / 3)


_jobs: dict[str, IngestJob] = {}
_jobs_lock = threading.Lock()


def current_job(settings: Settings) -> IngestJob | None:
    with _jobs_lock:
        return _jobs.get(str(settings.data_dir))


def start_ingest(settings: Settings) -> IngestJob:
    """Build corpus + uploads in a background thread; a job already running is returned as is."""
    key = str(settings.data_dir)
    with _jobs_lock:
        job = _jobs.get(key)
        if job is not None and not job.finished:
            return job
        job = IngestJob()
        _jobs[key] = job

    def run() -> None:
        from ingest.build import build_index

        try:
            report = build_index(settings, corpus_with_uploads(settings), progress=job.progress, wait_for_lock=True)
            job.problems = list(report.problems)
        except MicqaError as exc:
            job.error = str(exc)
        except Exception as exc:  # a bug must not leave the bar spinning for ever
            log.exception("background ingest failed")
            job.error = f"The document could not be added ({type(exc).__name__}); the current index keeps answering."
        finally:
            job.finished = True

    job.thread = threading.Thread(target=run, name="micqa-ingest", daemon=True)
    job.thread.start()
    return job
