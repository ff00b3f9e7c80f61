"""Read corpus files into the one document model (``ingest.document.LoadedDocument``).

PDFs are read with their layout (``ingest.pdf_layout``): each Page records its printed page number
and start offset, so any character offset maps back to a page. Markdown is parsed with markdown-it-py
(``ingest.markdown``); plain text is cleaned of markup (``ingest.clean``). Text and Markdown files are
one page whose number is None (printed pages come from the contents).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from pathlib import Path

from ingest.clean import clean_markup
from ingest.document import LoadedDocument
from rag.records import Document, Page

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".pdf", ".txt", ".md", ".markdown"}


class LoadError(Exception):
    """A corpus file that cannot be read; ``str()`` names the file and what to do."""


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
        text = _decode_text(path, data)
        kind = "md" if suffix != ".txt" else "txt"
        doc_id = doc_id_for(path)
        if kind == "md":
            from ingest.markdown import markdown_to_layout

            text, headings = markdown_to_layout(text)
        else:
            text, headings = clean_markup(text), None
        doc = Document(id=doc_id, title=_title_from_text(text, path.stem), source_path=str(path), sha256=sha,
                       kind=kind)
        return LoadedDocument(doc, text, [Page(doc.id, None, 0, text)], headings=headings)
    raise LoadError(f"{path}: unsupported file type {suffix}; use .pdf, .txt or .md.")


def _decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (a BOM allowed), or UTF-16/32 when the file starts with their byte-order mark."""
    if data[:5] == b"%PDF-":
        raise LoadError(f"{path}: this is a PDF with a text extension; rename it to .pdf.")
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise LoadError(f"{path}: the file says it is {codec.upper()} but is not valid {codec.upper()}; "
                                "re-save it as UTF-8.") from exc
            break
    else:
        head = data[:4096]
        if b"\x00" in head:
            if head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
                raise LoadError(f"{path}: this looks like UTF-16 text without a byte-order mark; re-save it as UTF-8.")
            raise LoadError(f"{path}: this looks like a binary file, not text; remove it from the corpus.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(f"{path}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8.") from exc
    if not text.strip():
        raise LoadError(f"{path}: the file has no text; remove it or replace it with the real document.")
    return text


def _load_pdf(path: Path, data: bytes, sha: str) -> LoadedDocument:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from ingest.pdf_layout import read_pdf

    if not data.startswith(b"%PDF-"):
        raise LoadError(f"{path}: not a PDF file (it does not start with %PDF-); remove it or fix its extension.")
    doc_id = doc_id_for(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            # an empty user password opens in any viewer, so only a real password stops us
            raise LoadError(f"{path}: the PDF is encrypted with a password; save an unencrypted copy and ingest that.")
        if len(reader.pages) == 0:
            raise LoadError(f"{path}: the PDF has no pages; replace it with the real document.")
        layout = read_pdf(data, doc_id)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise LoadError(f"{path}: the PDF is damaged or truncated ({type(exc).__name__}); replace it with a good copy.") from exc
    except Exception as exc:  # pypdf and pdfminer raise many kinds on hostile input; one sentence for all
        raise LoadError(f"{path}: the PDF could not be read ({type(exc).__name__}); replace it with a good copy.") from exc
    if not layout.text.strip():
        raise LoadError(f"{path}: the PDF has no extractable text (scanned images?); add a text version instead.")
    title = layout.title or _title_from_text(layout.text, path.stem)
    doc = Document(id=doc_id, title=title, source_path=str(path), sha256=sha, kind="pdf")
    return LoadedDocument(doc, layout.text, layout.pages, headings=layout.headings, paged=True)
