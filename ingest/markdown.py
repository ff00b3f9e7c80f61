"""Markdown to the normalised document layout (``ingest.document``), with markdown-it-py.

Headings come from the Markdown itself (``#`` levels), so nothing is guessed; emphasis, links and
inline code become their plain text; list items become "- " lines (" - " when nested; "n. " when the
list is numbered); GFM tables
become tab-separated rows, header first.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

from ingest.clean import clean_markup
from ingest.document import Heading


def _inline(token) -> str:
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content if child.type != "html_inline" else "")
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return clean_markup("".join(out)).strip()


def markdown_to_layout(source: str) -> tuple[str, list[Heading]]:
    """(text in the normalised layout, headings with their offsets)."""
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(source)
    blocks: list[tuple[str, int | None]] = []  # (text, heading level or None)
    lists: list[list[int]] = []  # open lists: [next number] for ordered ones, [] for bullets
    marker = ""
    row: list[str] | None = None
    table: list[str] | None = None
    heading_level: int | None = None
    in_item = False
    for tok in tokens:
        t = tok.type
        if t == "heading_open":
            heading_level = int(tok.tag[1:])
        elif t == "bullet_list_open":
            lists.append([])
        elif t == "ordered_list_open":
            lists.append([int(tok.attrGet("start") or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "list_item_open":
            in_item = True
            indent = " " * (len(lists) - 1)
            if lists and lists[-1]:  # ordered: the item keeps its number ("12. text")
                marker = f"{indent}{lists[-1][0]}. "
                lists[-1][0] += 1
            else:
                marker = f"{indent}- "
        elif t == "table_open":
            table = []
        elif t == "table_close" and table is not None:
            blocks.append(("\n".join(table), None))
            table = None
        elif t == "tr_open":
            row = []
        elif t == "tr_close" and row is not None and table is not None:
            table.append("\t".join(c.replace("\t", " ") for c in row))
            row = None
        elif t == "inline":
            text = _inline(tok)
            if row is not None:
                row.append(text)
            elif heading_level is not None:
                blocks.append((text, heading_level))
                heading_level = None
            elif text:
                if in_item:
                    text = marker + text
                    in_item = False
                blocks.append((text, None))
        elif t in ("fence", "code_block") and tok.content.strip():
            blocks.append((tok.content.strip(), None))
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for text, level in blocks:
        if not text:
            continue
        if level is not None:
            headings.append(Heading(start=offset, title=text, level=level))
        parts.append(text)
        offset += len(text) + 2
    return "\n\n".join(parts), headings
