"""Words of the report that mean what a question's unknown word means, by meaning (word vectors).

A reader writes "automakers" where the report says "car manufacturers", "decides" where it says
"selected by". A word the report never uses can match nothing by spelling; here it is met by the report's
own words whose vector (the same sentence model that embeds the passages, fed one word) is close to its
own. Only words the report never uses are looked up: a word it uses keeps its own sense (the same rule as
``SAME_MEANING`` in open answers). Single-word vectors of a sentence model are rough, so the bar is high
and only the few nearest words count (``AnswerSettings.neighbour_min_sim``, ``neighbour_top``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import numpy as np

from rag.text import STOPWORDS, fold, stem

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z][a-z'-]+")


def report_words(texts: Iterable[str]) -> list[str]:
    """The report's distinct words worth a vector: folded, no stopwords, no one- or two-letter words."""
    out: set[str] = set()
    for t in texts:
        out.update(w.strip("'-") for w in _WORD.findall(fold(t).lower()))
    return sorted(w for w in out if len(w) > 2 and w not in STOPWORDS)


class WordNeighbours:
    """Near words of the report for a word it never uses, each looked up once per process."""

    def __init__(self, words: list[str], vectors: np.ndarray, embed: Callable[[str], np.ndarray],
                 min_sim: float, top: int) -> None:
        self.words = words
        self.stems = [stem(w) for w in words]
        self.vectors = vectors
        self.embed = embed
        self.min_sim = min_sim
        self.top = top
        # by stem: the first form of a word looked up stands for its other forms ("automakers", "automaker")
        self.cache: dict[str, frozenset[str]] = {}

    def look_up(self, word: str) -> frozenset[str]:
        """Stems of the report's words at least ``min_sim`` close to ``word`` (its own stem excluded), embedded
        once per stem."""
        own = stem(word.lower())
        got = self.cache.get(own)
        if got is None:
            got = frozenset()
            if len(self.words):
                sims = self.vectors @ np.asarray(self.embed(word.lower()), dtype=np.float32)
                best = np.argsort(-sims)[:self.top]
                got = frozenset(self.stems[i] for i in best if sims[i] >= self.min_sim and self.stems[i] != own)
            self.cache[own] = got
            if got:
                log.debug("neighbours of %r: %s", word, sorted(got))
        return got

    def of(self, tok: str) -> frozenset[str]:
        """The neighbours of a stem already looked up (``look_up``), else none."""
        return self.cache.get(tok, frozenset())
