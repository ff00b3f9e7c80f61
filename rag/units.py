"""The answerable units of a chunk (sentences of prose, lines of a whole table, else the whole chunk).

Ingest embeds one vector per unit (keyed by ``sentence_key``), retrieval ranks passages by their best
unit and the answerer quotes units; all three read them from here, and the token sets are computed
once per chunk text rather than on every question.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.records import Chunk
from rag.text import sentence_spans, tokens

# A figure's "Source: ..." line: its full stops end bibliographic fields, not sentences.
SOURCE_LINE = re.compile(r"^(?:Data\s+)?Sources?:", re.I | re.M)


def unit_spans(c: Chunk) -> list[tuple[int, int]]:
    """Offsets of the units within ``c.text``."""
    return list(_spans(c.kind, c.text))


@lru_cache(maxsize=65536)
def _spans(kind: str, text: str) -> tuple[tuple[int, int], ...]:
    if kind in ("prose", "figure_caption"):
        spans = [(a, b) for a, b in sentence_spans(text) if b > a]
        for m in SOURCE_LINE.finditer(text):
            end = text.find("\n", m.start())
            end = len(text) if end == -1 else end
            inside = [(a, b) for a, b in spans if m.start() <= a < end]
            if len(inside) > 1:
                spans = [x for x in spans if x not in inside] + [(inside[0][0], max(b for _a, b in inside))]
        return tuple(sorted(spans))
    if kind == "table":
        spans = []
        pos = 0
        for line in text.split("\n"):
            if line.strip():
                spans.append((pos, pos + len(line)))
            pos += len(line) + 1
        return tuple(spans)
    return ((0, len(text)),)


@lru_cache(maxsize=65536)
def unit_tokens(kind: str, text: str) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """(start, end, stemmed tokens) of each non-empty unit; cached by the chunk's kind and text."""
    return tuple((a, b, frozenset(tokens(text[a:b]))) for a, b in _spans(kind, text) if b > a)


def sentence_key(chunk_id: str, start: int, end: int) -> str:
    return f"{chunk_id}:{start}:{end}"
