"""Read corpus files into (Document, full text, pages).

PDFs go through pypdf page by page: the full text is the pages joined by blank lines and each
Page records its PDF page number and start offset, so any character offset maps back to a page.
Text and Markdown files are one page whose number is None (printed pages come from the TOC).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from rag.records import Document, Page

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".pdf", ".txt", ".md", ".markdown"}


class LoadError(Exception):
    """A corpus file that cannot be read; ``str()`` names the file and what to do."""


@dataclass
class LoadedDocument:
    document: Document
    text: str
    pages: list[Page]

    @functools.cached_property
    def _page_starts(self) -> list[int]:
        return [p.start for p in self.pages]  # once per document, not once per chunk

    def page_of_offset(self, offset: int) -> int | None:
        if not self.pages or self.pages[0].number is None:
            return None
        i = max(0, bisect.bisect_right(self._page_starts, offset) - 1)
        return self.pages[i].number


def doc_id_for(path: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path.stem).strip("-").lower()
    return slug or "document"


def _title_from_text(text: str, fallback: str) -> str:
    """The first substantial line that is not a series banner or a URL."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if len(line) < 8 or line.lower().startswith(("http", "nist advanced manufacturing series")):
            continue
        return line[:200]
    return fallback


def list_corpus_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand folders; return (files to load, problems). Symlinks leaving their folder are refused."""
    files: list[Path] = []
    problems: list[str] = []
    for root in paths:
        if root.is_dir():
            base = root.resolve()
            for p in sorted(root.iterdir()):
                if p.name.startswith(".") or p.name.lower() == "readme.md":
                    continue  # the corpus README describes the corpus; it is not part of it
                if p.is_symlink():
                    try:
                        target = p.resolve(strict=True)
                    except (OSError, RuntimeError):  # dangling link or a link loop (RuntimeError on 3.11)
                        problems.append(f"{p}: is a broken link (missing target or a loop); remove it.")
                        continue
                    if not str(target).startswith(str(base) + "/"):
                        problems.append(f"{p}: is a link pointing outside the corpus folder; copy the file in instead.")
                        continue
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(p)
                elif p.is_file():
                    problems.append(f"{p}: unsupported file type {p.suffix or '(none)'}; use .pdf, .txt or .md.")
        elif root.is_file():
            files.append(root)
        else:
            problems.append(f"{root}: no such file or folder.")
    return files, problems


def load(path: Path, max_bytes: int) -> LoadedDocument:
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{path}: the file is empty; remove it or replace it with the real document.")
    if size > max_bytes:
        raise LoadError(
            # MiB on both sides, so a 50 MiB cap reads "50 MB" (as MICQA_MAX_FILE_MB would set it)
            f"{path}: the file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit; "
            "split it or raise MICQA_MAX_FILE_MB."
        )
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _load_pdf(path, data, sha)
    if suffix in {".txt", ".md", ".markdown"}:
        if data[:5] == b"%PDF-":
            raise LoadError(f"{path}: this is a PDF with a text extension; rename it to .pdf.")
        if b"\x00" in data[:4096]:
            raise LoadError(f"{path}: this looks like a binary file, not text; remove it from the corpus.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(f"{path}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8.") from exc
        if not text.strip():
            raise LoadError(f"{path}: the file has no text; remove it or replace it with the real document.")
        doc = Document(
            id=doc_id_for(path),
            title=_title_from_text(text, path.stem),
            source_path=str(path),
            sha256=sha,
            kind="md" if suffix != ".txt" else "txt",
        )
        return LoadedDocument(doc, text, [Page(doc.id, None, 0, text)])
    raise LoadError(f"{path}: unsupported file type {suffix}; use .pdf, .txt or .md.")


def _load_pdf(path: Path, data: bytes, sha: str) -> LoadedDocument:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise LoadError(f"{path}: not a PDF file (it does not start with %PDF-); remove it or fix its extension.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError(f"{path}: the PDF is encrypted; save an unencrypted copy and ingest that.")
        raw_pages = [p.extract_text() or "" for p in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise LoadError(f"{path}: the PDF is damaged or truncated ({type(exc).__name__}); replace it with a good copy.") from exc
    except Exception as exc:  # pypdf raises many kinds on hostile input; one sentence for all
        raise LoadError(f"{path}: the PDF could not be read ({type(exc).__name__}); replace it with a good copy.") from exc
    if not raw_pages:
        raise LoadError(f"{path}: the PDF has no pages; replace it with the real document.")
    doc_id = doc_id_for(path)
    pages: list[Page] = []
    parts: list[str] = []
    offset = 0
    for i, t in enumerate(raw_pages, start=1):
        pages.append(Page(doc_id, i, offset, t))
        parts.append(t)
        offset += len(t) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise LoadError(f"{path}: the PDF has no extractable text (scanned images?); add a text version instead.")
    meta_title = None
    try:
        meta_title = (reader.metadata or {}).get("/Title")
    except Exception:  # metadata is optional; a broken info dict must not fail the load
        meta_title = None
    title = str(meta_title).strip() if meta_title else _title_from_text(text, path.stem)
    doc = Document(id=doc_id, title=title, source_path=str(path), sha256=sha, kind="pdf")
    return LoadedDocument(doc, text, pages)
