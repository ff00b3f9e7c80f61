"""Pure-Python helpers for the faces: a conversation as Markdown, and quote highlighting.

No streamlit here (rag/ never imports it), so the export and the highlighting are tested
without a running app and can be reused by the CLI.

The Markdown export is meant to be pasted into a memo, so it is *neutralised*: answers may
come from an LLM and passages from a PDF, and neither should smuggle raw HTML, images or
links to arbitrary sites into someone's document. Only the report's own reference URLs
(the bibliography entries cited) stay as links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from rag.records import SECTION_SEP, Answer, Citation, ReportReference, ScoredChunk

log = logging.getLogger(__name__)

REPORT_TITLE = "NIST AMS 600-17, China's Manufacturing Innovation Centers (May 2025)"

# Markdown images: ![alt](target) -- the target may hold one level of parentheses.
_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
# Inline links: [text](target "title")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*((?:[^()\s]|\([^()]*\))*)(?:\s+\"[^\"]*\")?\s*\)")
# Reference-style link definitions: [label]: url
_LINK_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
# Bare URLs (autolinked by GitHub-flavoured Markdown and most memo tools) and www. hosts.
_BARE_URL = re.compile(r"(?:(?:https?|ftp|file|javascript|data|mailto):|www\.)[^\s`]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?)]}'\""


def highlight_segments(text: str, quote: str) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(segment, is_quote)`` pieces, marking the first match of ``quote``.

    The quote is meant to be a verbatim substring; when it is not (different spacing, line
    breaks or case, e.g. a quote checked against a normalised text) the match is retried
    ignoring whitespace runs and case. No match returns the whole text unmarked.
    Joining the segments always gives back ``text`` exactly.
    """
    if not text:
        return []
    quote = (quote or "").strip()
    if not quote:
        return [(text, False)]
    start = text.find(quote)
    end = start + len(quote)
    if start < 0:
        words = quote.split()
        pattern = r"\s+".join(re.escape(w) for w in words)
        match = re.search(pattern, text, flags=re.IGNORECASE)
        if match is None:
            log.debug("quote not found in passage: %r", quote[:80])
            return [(text, False)]
        start, end = match.start(), match.end()
    segments: list[tuple[str, bool]] = []
    if start > 0:
        segments.append((text[:start], False))
    segments.append((text[start:end], True))
    if end < len(text):
        segments.append((text[end:], False))
    return segments


def _split_trailing(url: str) -> tuple[str, str]:
    """Bare-URL matches swallow sentence punctuation ("see https://x.org)."): give it back."""
    tail = ""
    while url and url[-1] in _TRAILING_PUNCT:
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def neutralise(text: str, allowed_urls: Iterable[str] = ()) -> str:
    """Make untrusted text safe to paste as Markdown.

    - images are dropped (their alt text is kept, in brackets);
    - links keep their text; the target survives only if it is an allowed (report) URL;
    - link definitions are dropped; bare URLs that are not allowed become inert code spans;
    - ``<`` and ``>`` are escaped as entities, so no raw HTML (or ``<url>`` autolink) survives.
    """
    allowed = {_norm_url(u) for u in allowed_urls if u}

    def image(m: re.Match[str]) -> str:
        alt = m.group(1).strip()
        return f"[image: {alt}]" if alt else "[image]"

    def link(m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if _norm_url(target) in allowed:
            return f"[{label}]({target})"
        return label

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(link, text)
    text = _LINK_DEF.sub("", text)
    # "&" is left alone so "R&D" stays readable; entities alone cannot create markup.
    text = text.replace("<", "&lt;").replace(">", "&gt;")

    def bare(m: re.Match[str]) -> str:
        url, tail = _split_trailing(m.group(0))
        if _norm_url(url) in allowed:
            return url + tail
        # A code span is not a link in any Markdown flavour; backticks cannot occur (excluded above).
        return f"`{url}`{tail}"

    # Bare URLs outside allowed links: protect the kept [label](url) links from the bare pass.
    kept: list[str] = []

    def stash(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = re.sub(r"\[[^\]]*\]\([^)\s]*\)", stash, text)
    text = _BARE_URL.sub(bare, text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _section(path: str) -> str:
    """Section paths use " > " between levels; a "›" reads the same and needs no escaping."""
    return neutralise(_one_line(path.replace(SECTION_SEP, " \u203a ")))


def _reference_line(ref: ReportReference) -> str:
    parts = [f"[{ref.number}]"]
    if ref.authors:
        parts.append(neutralise(_one_line(ref.authors)))
    if ref.year:
        parts.append(f"({neutralise(ref.year)})")
    title = neutralise(_one_line(ref.title)) if ref.title else neutralise(_one_line(ref.text))
    parts.append(f"*{title}*" if title else "")
    line = " ".join(p for p in parts if p)
    url = (ref.url or "").strip()
    if url.lower().startswith(("http://", "https://")) and not re.search(r"[\s<>`]", url):
        line += f". {url}"  # the report's own reference URL: the one kind of link kept
    return line


def _citation_block(c: Citation, allowed: set[str]) -> list[str]:
    page = f"page {c.page}" if c.page is not None else "page not known"
    lines = [f"{c.n}. {_section(c.section) or '(no section)'}, {page}"]
    if c.doc:
        short = f"{c.doc_short}: " if c.doc_short and c.doc_short != c.doc else ""
        lines[0] += f" ({neutralise(_one_line(short + c.doc))})"
    if not c.supported:
        lines.append("   - *Note: this sentence was not supported by the passage.*")
    quote = neutralise(_one_line(c.quote), allowed)
    lines.append(f"   > \u201c{quote}\u201d")
    for ref in c.references:
        lines.append(f"   - Report reference {_reference_line(ref)}")
    return lines


def _related_block(related: Sequence[ScoredChunk]) -> list[str]:
    lines = ["", "**Related passages (the report may not answer the question directly):**", ""]
    for i, sc in enumerate(related, start=1):
        ch = sc.chunk
        page = f"page {ch.page}" if ch.page is not None else "page not known"
        lines.append(f"{i}. {_section(ch.section) or '(no section)'}, {page}")
        excerpt = _one_line(ch.text)
        if len(excerpt) > 400:
            excerpt = excerpt[:400].rsplit(" ", 1)[0] + " \u2026"
        lines.append(f"   > {neutralise(excerpt)}")
    return lines


def conversation_to_markdown(turns: list[tuple[str, Answer | None]], *, exported_at: datetime | None = None) -> str:
    """The conversation as memo-ready Markdown: each question, answer and every citation's
    quote, section, page and report references."""
    when = (exported_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# micqa conversation",
        "",
        f"Source: {REPORT_TITLE}. Exported {when}.",
        "",
    ]
    if not turns:
        out.append("*No questions asked yet.*")
    for i, (question, answer) in enumerate(turns, start=1):
        out += ["---", "", f"## Q{i}. {neutralise(_one_line(question))}", ""]
        if answer is None:
            out += ["*No answer (the question failed or was interrupted).*", ""]
            continue
        allowed = {r.url for c in answer.citations for r in c.references if r.url}
        body = neutralise(answer.text.strip(), allowed)
        if answer.refused:
            out += ["**Not in the report.** " + body, ""]
            if answer.related:
                out += _related_block(answer.related)
                out.append("")
            continue
        out += ["**Answer:**", "", body, ""]
        if answer.citations:
            out += ["**Sources:**", ""]
            for c in answer.citations:
                out += _citation_block(c, allowed)
            out.append("")
        if answer.warnings:
            out += ["*Warnings: " + neutralise("; ".join(answer.warnings)) + "*", ""]
    return "\n".join(out).rstrip() + "\n"
