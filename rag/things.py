"""The things a document names in its tables' row-name columns ("National Power Battery Manufacturing
Innovation Center"), to tell which one a question asks about and which one a sentence speaks of.

A question about one center ("how many shareholders does the power battery center have?") is not answered
by a sentence about another one ("Run by the ... Digital Design ... Center Co., this MIC has 15 shareholders"),
however well the rest of its words match. Names come from the tables themselves
(the row-name column of every table with enough rows), and the words all of a table's names share ("National",
"Innovation", "Center") do not tell them apart, so nothing here knows the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rag.text import countries_of, tokens


class ThingNames:
    """Row names of the documents' tables, each with the words that set it apart from its table's other rows."""

    def __init__(self, tables: Iterable[list[str]], shared_share: float, min_rows: int,
                 places: dict[str, frozenset[str]] | None = None) -> None:
        """``tables``: the row names of each table; a word in ``shared_share`` of a table's names or more is
        shared; tables of fewer than ``min_rows`` rows are left out (three countries are no list of things).
        ``places``: each name's places (the words of its row's city, province and country cells)."""
        self.own: dict[str, frozenset[str]] = {}
        self.places: dict[str, frozenset[str]] = dict(places or {})
        for names in tables:
            names = [n for n in names if len(n.split()) >= 2]
            if len(names) < min_rows:
                continue
            if sum(any(ch.isdigit() for ch in n) for n in names) * 2 >= len(names):
                continue  # labels ("Part Two, Article IV, Section 4"), not names
            toks = {n: frozenset(tokens(n)) for n in names}
            counts = Counter(t for ts in toks.values() for t in ts)
            shared = {t for t, c in counts.items() if c >= shared_share * len(names)}
            if not shared:
                continue  # names of things of many kinds (an acronym list), not a list of one kind of thing
            for n, ts in toks.items():
                if ts - shared:
                    self.own[n] = frozenset(ts - shared)

    def asked(self, toks: set[str], min_share: float) -> str | None:
        """The one name most of whose own words the question uses (none when two fit as well)."""
        scored = sorted(((len(own & toks) / len(own), n) for n, own in self.own.items() if own & toks), reverse=True)
        if not scored or scored[0][0] < min_share or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        return scored[0][1]

    def named(self, toks: set[str], share: float) -> set[str]:
        """The names of which a sentence holds ``share`` of the own words, two at least when there are two
        (an operator "Alder Lake Dam Co." names the "National Institute of the Alder Lake Dam")."""
        return {n for n, own in self.own.items()
                if len(own & toks) >= min(2, len(own)) and len(own & toks) / len(own) >= share}

    def names(self, asked: str, toks: set[str], min_share: float) -> bool:
        """Does a sentence name this thing (``min_share`` of its own words)?"""
        own = self.own[asked]
        return len(own & toks) / len(own) >= min_share

    def speaks_of_another(self, asked: str, toks: set[str], min_share: float, named_share: float) -> bool:
        """Does a sentence name another thing and not (mostly) the one asked about?"""
        return bool(self.named(toks, named_share) - {asked}) and not self.names(asked, toks, min_share)


class PlaceNames:
    """The places of the documents' tables (the cells of their city, province and country columns), each one word.

    A question about one place ("How many EVs did Shanghai make?") is not answered by a sentence about another
    ("... were in China") that does not name it, however well its other words match.
    """

    def __init__(self, values: Iterable[str]) -> None:
        # a place of several words ("Inner Mongolia") would make its parts places: one-word names only
        self.words = frozenset(t for v in values if len(ts := tokens(v)) == 1 and len(t := ts[0]) >= 4)

    def asked(self, toks: set[str]) -> frozenset[str]:
        # "the German initiative" asks about Germany
        return self.words & (toks | countries_of(toks))

    def speaks_of_another(self, asked: frozenset[str], text: str, toks: set[str]) -> bool:
        """Does a sentence name another place in its words (``text``) and not every place asked about (in its
        ``toks``, which hold what it borrows)? A demonym of a name's expansion names no place ("CASS": "Chinese
        Academy ...")."""
        said = set(tokens(text))
        return bool(asked) and not asked <= toks | countries_of(said) and \
            bool((self.words & (said | countries_of(said))) - asked)
