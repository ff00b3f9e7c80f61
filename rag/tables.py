"""Exact answers computed over the parsed tables (counts, lists, filters, maxima, cell lookups).

Nothing here knows the report: the vocabulary (row names, provinces, cities, sectors, years,
column names) comes from the tables themselves, so a report with other tables gets the same
behaviour. A question that is not a table computation returns None and takes the text path.

How a question is read:
- the *table* is the one whose caption, column names and cell values the question mentions most;
- *filters* are cell values mentioned (matched on whole words, or on words unique to one value
  of that column), and year constraints ("in 2018", "between 2019 and 2021", "after 2020");
- the *operation*: "how many" -> count, "which/list" -> list, "most/fewest" -> group maximum,
  a named row plus an asked-for column -> a cell lookup; "stand for" -> acronym lookup.

The answer is a typed ``TableAnswer``: prose pieces and ``RowCite`` citations in reading order, which
the answerer renders as markers. Every threshold and weight is a ``table_*`` field of ``AnswerSettings``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache, partial

from rag.query import counted_stem
from rag.records import Acronym, Chunk, Table, TableRow
from rag.settings import AnswerSettings
from rag.text import DEMONYM_STEMS, STOPWORDS, alike, demonyms_of, fold, stem, tokens, words
from rag.vocab import (
    COUNT_COLUMN,
    NUMBER_WORDS,
    SMALLER_WORDS,
    TABLE_OP_WORDS,
    TABLE_PERCENT_WORDS,
    TABLE_PLACE_WORDS,
    TABLE_RATE_PHRASES,
    TABLE_SIZE_WORDS,
    TABLE_YEAR_WORDS,
    WHEN_CLAUSE_LEAD,
)

log = logging.getLogger(__name__)

_ASKED_KIND = re.compile(r"^\W*(?:which|what)\s+([A-Za-z]+)\b", re.I)
_FUTURE = re.compile(r"\b(plan(?:s|ned)? to|will|would|goal|target(?:ed|s)?|aim(?:s|ed)? (?:to|for)|expect(?:s|ed)? to|"
                     r"forecast|projected|by the end of)\b", re.I)
# "... per GDP when indexed to the U.S.": a "when" before a participle opens a clause, it does not ask a year
_WHEN_CLAUSE = re.compile(r"(?<=\w)\s+when(?=\s+\w+(?:ed|en|ing)\b)", re.I)
_PLACE_STEMS = {stem(w) for w in ("city", "province", "location", "country", "region")}
# "which year / where ...": nouns that ask a year or place column by kind, as written and stemmed
_KIND_WORDS = TABLE_YEAR_WORDS | TABLE_PLACE_WORDS | {stem(w) for w in TABLE_YEAR_WORDS | TABLE_PLACE_WORDS}
_SIZE_WORDS = TABLE_SIZE_WORDS | {stem(w) for w in TABLE_SIZE_WORDS}
# a capitalised name of hyphenated words ("Made-in-Country", "Five-Year"): one name, not words apart
_HYPHEN_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:-[A-Za-z]+)+\b")
# words every table question may use (operations, years, places), with their stems: built once
_ALWAYS_KNOWN = frozenset(TABLE_OP_WORDS | {stem(w) for w in TABLE_OP_WORDS} | _KIND_WORDS | _SIZE_WORDS)
# ("mic count beijing?": a noun before "count" is what is counted)
_COUNT = re.compile(r"\b(how many|(?:the|total|a) number of|count of|count the)\b|^\s*(?:number|count) of\b"
                    r"|^\W*[A-Za-z]+s?\s+count\b", re.I)
_LIST = re.compile(r"\b(which|list|name|what are|what were|enumerate|show)\b"
                   r"|^\s*(?:(?:into|in|under|to|of|from)\s+)?what\s+(?!does\b|is\b|was\b|has\b|address\b|process\b)\w+s\b"
                   # "into what three categories": a number of things asked for is a list of them
                   r"|\bwhat\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\s+\w+s\b")
_MOST = re.compile(r"\b(most|largest|highest|greatest|biggest|maximum|max|top|leading)\b")
_LEAST = re.compile(r"\b(fewest|least|lowest|smallest|minimum|min)\b")
_ACRONYM_Q = re.compile(
    r"(?:what\s+(?:does|do|is|are|'s)\s+(?:the\s+)?(?:acronym\s+|abbreviation\s+)?[\"'“]?(?P<a>[A-Za-z&.()]{2,12})[\"'”]?\s+"
    r"(?:acronym\s+|abbreviation\s+)?(?:stand\s+for|mean|short\s+for|abbreviate|refer\s+to))"
    r"|(?:(?:expand|meaning\s+of|definition\s+of|spell\s+out|full\s+(?:name|form)\s+(?:of|for))\s+(?:the\s+)?"
    r"(?:acronym\s+|abbreviation\s+)?"
    r"[\"'“]?(?P<b>[A-Za-z&.()]{2,12})[\"'”]?)",
    re.IGNORECASE,
)
# "bigger", "more", "fewer": a comparison between the rows a question names
_COMPARATIVE = re.compile(r"\b(bigger|larger|higher|greater|more|smaller|lower|less|fewer)\b")
# "span more than one province": rows whose cell holds several values
_MULTI = re.compile(r"\b(?:more than one|multiple|several|two or more|over one)\s+(\w+)")
_GENERIC_NAME_WORDS = {"national", "innovation", "center", "centre", "institute", "manufacturing", "technology",
                       "the", "of", "and", "for", "&", "co", "china", "chinese"}


_GENERIC_NAME_STEMS = {stem(w) for w in _GENERIC_NAME_WORDS} | _GENERIC_NAME_WORDS


@dataclass(frozen=True)
class RowCite:
    """A citation of one table row at this point of a table answer; the answerer draws its marker."""

    row: int  # the cited row's ``TableRow.index`` in ``TableAnswer.table``


# One piece of a table answer: prose, or a row citation where it stands. A citation follows its words
# directly ("City: Bengbu", RowCite(3)), so the answerer draws it as " [n]" (or nothing, for a row with no
# passage to cite) and the prose pieces joined are the answer's plain text.
Segment = str | RowCite


@dataclass
class TableAnswer:
    segments: list[Segment]  # the answer in reading order; the answerer renders the citations
    rows: list[TableRow]
    table: Table
    facts: list[str] = field(default_factory=list)  # plain statements, for the LLM prompt
    # question words the table could not account for ("overtake", "company"): the text may answer better
    unexplained: set[str] = field(default_factory=set)
    columns: list[str] = field(default_factory=list)  # the columns whose cells a cell answer gives

    @property
    def plain_text(self) -> str:
        """The answer without its row citations."""
        return "".join(s for s in self.segments if isinstance(s, str))

    @property
    def cited_rows(self) -> list[int]:
        """The rows cited, in reading order (a row cited twice appears twice)."""
        return [s.row for s in self.segments if isinstance(s, RowCite)]


def _cited(words: str, rows: Iterable[TableRow]) -> list[Segment]:
    """Words followed by the citations of the rows that say them."""
    return [words, *(RowCite(r.index) for r in rows)]


def _joined(items: Iterable[list[Segment]], sep: str) -> list[Segment]:
    """Cited items one after another, ``sep`` between them (as ``str.join`` does for plain text)."""
    out: list[Segment] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out += item
    return out


@lru_cache(maxsize=65536)
def _norm_words(s: str) -> tuple[str, ...]:
    # cached: table cells and column names are read again on every question
    return tuple(stem(w) for w in words(s))


def _year_like(values: list[object], share: float) -> bool:
    ints = [v for v in values if isinstance(v, int)]
    return bool(ints) and len(ints) >= share * len(values) and all(1800 <= v <= 2100 for v in ints)


class TableProfile:
    """Column roles inferred from the data."""

    def __init__(self, table: Table, settings: AnswerSettings) -> None:
        self.table = table
        cols = table.columns
        vals = {c: [r.cells.get(c) for r in table.rows] for c in cols}
        self.year_cols = [c for c in cols if _year_like(vals[c], settings.table_year_share)]
        strs = {c: [v for v in vals[c] if isinstance(v, str)] for c in cols}
        self.name_col: str | None = None
        # the row-name column: all-distinct strings, the longest on average
        # (long free-text columns such as quotations are not names)
        filled = {c: [x for x in strs[c] if x.strip()] for c in cols}
        # columns whose values identify a row (Country, Program Name, a title left blank in one row ...)
        cands = [c for c in cols if filled[c] and len(set(filled[c])) == len(filled[c])
                 and len(filled[c]) >= settings.table_key_share * len(table.rows)
                 and sum(len(x) for x in filled[c]) / len(filled[c]) <= settings.table_key_max_chars]
        full = [c for c in cands if len(filled[c]) == len(table.rows)]
        if full or cands:
            self.name_col = max(full or cands, key=lambda c: sum(len(s) for s in filled[c]) / len(filled[c]))
        self.key_cols = cands
        self.cat_cols = [c for c in cols if strs[c] and c not in cands and len(set(strs[c])) < len(table.rows)]
        self.num_cols = [c for c in cols if c not in self.year_cols and any(isinstance(v, int | float) for v in vals[c])
                         and not any(isinstance(v, str) for v in vals[c])]
        # value vocabulary for categorical columns: whole values and their parts ("Liaoning, Heilongjiang")
        self.parts: dict[str, dict[str, set[int]]] = {}
        for c in self.cat_cols:
            m: dict[str, set[int]] = {}
            for r in table.rows:
                v = r.cells.get(c)
                if not isinstance(v, str):
                    continue
                for p in _split_multi(v, settings.table_multi_part_words):
                    m.setdefault(p, set()).add(r.index)
            self.parts[c] = m
        # "%" in a column name reads "percent"
        self.col_words = {c: set(_norm_words(c)) | ({"percent"} if "%" in c else set()) for c in cols}
        # words most values of a column share ("Part", "Section") name no row in particular
        self.common_words: dict[str, set[str]] = {}
        for c in cols:
            df = Counter(w for x in strs[c] for w in set(_norm_words(x)))
            self.common_words[c] = {w for w, n in df.items()
                                    if n >= settings.table_common_min and n > len(table.rows) / settings.table_common_divisor}
        # a column is named by its distinctive words: not the caption's, not shared by half the columns
        caption = set(_norm_words(table.caption))
        freq = Counter(w for c in cols for w in self.col_words[c])
        # "Owner" stems to "own", a stopword: a column's only word is its name all the same
        self.col_name_words = {c: (self.col_words[c] - STOPWORDS) or self.col_words[c] for c in cols}
        self.col_key_words = {
            c: {w for w in self.col_name_words[c]
                if w not in caption and freq[w] <= max(1, len(cols) // settings.table_col_word_divisor)}
            for c in cols
        }


def _split_multi(v: str, max_words: int) -> list[str]:
    """A cell's values ("Liaoning, Heilongjiang"), when each part is short enough to be one (``max_words``)."""
    parts = [p.strip() for p in re.split(r",\s*|\s+&\s+", v) if p.strip()]
    return parts if len(parts) > 1 and all(len(p.split()) <= max_words for p in parts) else [v]


def _mentions(question: str, value: str, column_values: list[str], s: AnswerSettings,
              ignore: frozenset[str] = frozenset()) -> bool:
    """Is this cell value mentioned? Whole value, or a word unique to this value within its column.

    ``ignore``: words of the table's caption ("... References to Innovation Centers"), which a
    question uses to name the table, not a value.
    """
    q = fold(question)
    v = fold(value)
    if re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", q):
        return True
    vw = [w for w in _norm_words(value) if w not in STOPWORDS and len(w) >= s.table_value_word_min_chars]
    if not vw:
        return False
    qw = set(_norm_words(question))
    others = [set(_norm_words(o)) for o in column_values if o != value]
    unique = [w for w in vw if not any(w in o for o in others) and w not in ignore]
    short_upper = [w for w in value.split() if w.isupper() and len(w) <= s.table_caps_max_chars]
    for w in short_upper:  # "IT" must be written in capitals: "it" is a pronoun
        if re.search(rf"\b{re.escape(w)}\b", question):
            return True
    return any(w in qw for w in unique if w not in {"advanced", "new", "national"})


@dataclass
class ReadQuestion:
    table: Table
    prof: TableProfile
    filters: list[tuple[str, str]]  # (column, value)
    year_range: tuple[int, int] | None
    row: TableRow | None
    asked_cols: list[str]
    score: float
    row_score: float = 0.0
    unexplained: set[str] = field(default_factory=set)
    asked_scores: dict[str, float] = field(default_factory=dict)


class TableQA:
    def __init__(self, tables: list[Table], chunks: list[Chunk], acronyms: list[Acronym],
                 settings: AnswerSettings | None = None) -> None:
        self.s = settings or AnswerSettings()
        self.tables = [t for t in tables if t.rows]
        self.profiles = {id(t): TableProfile(t, self.s) for t in self.tables}
        self.row_chunks: dict[tuple[str, str, int], Chunk] = {}
        for c in chunks:
            if c.kind in ("table_row", "acronym") and c.table_id is not None and c.row_index is not None:
                self.row_chunks[(c.doc_id, c.table_id, c.row_index)] = c
        self.acronyms = acronyms
        # (the documents' words, read on first use: see ``vocab``)
        self._texts = chunks
        self._vocab: set[str] | None = None
        # words naming each table's kind of entity ("Manufacturing Innovation Center"), singular or plural
        self._unique_cache: dict[tuple[int, str], bool] = {}
        self._text_cache: dict[int, str] = {}
        # acronyms the question may use ("MICs"): their expansions, not the letters, are what a table holds
        # (each with the words of its expansion, to tell whether a table holds what the acronym names)
        self.acronym_meaning: dict[str, set[str]] = defaultdict(set)
        for a in acronyms:
            for k in acronym_keys_simple(a.acronym):
                self.acronym_meaning[stem(k.lower())] |= set(_norm_words(re.sub(r"\(.*?\)", "", a.expansion))) - STOPWORDS
        self.acronym_stems = set(self.acronym_meaning)
        self.entity_types = [set(_norm_words(p.name_col)) for p in self.profiles.values() if p.name_col]
        self.acronym_spellings: dict[str, list[set[str]]] = {}
        for a in acronyms:
            spellings = {x for x in acronym_variants(a.acronym, a.expansion) if len(x) >= 2 and x.isupper()}
            for x in spellings:
                self.acronym_spellings.setdefault(x, []).append(spellings - {x})

    @property
    def vocab(self) -> set[str]:
        """Every word the documents use: a question word none of them uses may be a typo ("innovaton")."""
        if self._vocab is None:
            self._vocab = {t for text in {c.text for c in self._texts} for t in tokens(text)}
        return self._vocab

    def _unused(self, w: str) -> bool:
        return w not in self.vocab

    def _table_text(self, t: Table) -> str:
        """The table's caption, headers and cells, folded as ``fold`` folds a question (built once per table)."""
        key = id(t)
        if key not in self._text_cache:
            self._text_cache[key] = fold(" ".join([t.caption, *t.columns, *(v for r in t.rows
                                                                          for v in r.raw_cells.values())]))
        return self._text_cache[key]

    def _same_acronym(self, value: str, question: str) -> bool:
        """"US" in a question names the row "USA": spellings of one entry of the acronym list are one name."""
        for variants in self.acronym_spellings.get(value, ()):
            if any(re.search(rf"(?<![\w.]){re.escape(x)}(?![\w])", question) for x in variants):
                return True
        return False

    def row_labels(self) -> list[list[str]]:
        """Each table's row names, as written (the row-name column's cells)."""
        out = []
        for t in self.tables:
            col = self.profiles[id(t)].name_col
            if col is not None:
                out.append([r.raw_cells.get(col, "") for r in t.rows if r.raw_cells.get(col, "").strip()])
        return out

    def place_values(self) -> list[str]:
        """The cells of every column of places ("City", "Province", "Country")."""
        return [r.raw_cells.get(c, "") for t in self.tables if not is_acronym_table(t) for c in _place_columns(t)
                for r in t.rows if r.raw_cells.get(c, "").strip()]

    def row_places(self) -> dict[str, frozenset[str]]:
        """Each named row's places (the words of its city, province and country cells), by its name as written."""
        out: dict[str, frozenset[str]] = {}
        for t in self.tables:
            col = self.profiles[id(t)].name_col
            places = _place_columns(t)
            if col is None or not places or is_acronym_table(t):
                continue
            for r in t.rows:
                name = r.raw_cells.get(col, "").strip()
                if name:
                    out[name] = frozenset(tk for c in places for tk in tokens(r.raw_cells.get(c, "")))
        return out

    def row_names(self, table: Table, rows: list[TableRow]) -> list[str]:
        """What the rows are called (their name column, else their key): the things a table answer is about."""
        prof = self.profiles.get(id(table))
        if prof is None:
            return []
        col = prof.name_col or (prof.key_cols[0] if prof.key_cols else None)
        return [str(r.cells[col]) for r in rows if col and isinstance(r.cells.get(col), str | int) and r.cells.get(col)]

    def row_chunk(self, table: Table, row: TableRow) -> Chunk | None:
        return self.row_chunks.get((table.doc_id, table.id, row.index))

    # ------------------------------------------------------------------ reading the question
    def _year_range(self, q: str) -> tuple[int, int] | None:
        ql = q.lower()
        m = re.search(r"\b(?:between|from)\s+((?:19|20)\d\d)\s+(?:and|to|-|–|through|until)\s+((?:19|20)\d\d)\b", ql) or \
            re.search(r"\b((?:19|20)\d\d)\s*(?:-|–|to|through)\s*((?:19|20)\d\d)\b", ql)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            return (min(a, b), max(a, b))
        m = re.search(r"\b(after|since|from|before|prior to|until|by|in or after|in or before)\s+((?:19|20)\d\d)\b", ql)
        if m:
            y = int(m.group(2))
            w = m.group(1)
            if w in ("after",):
                return (y + 1, 2100)
            if w in ("since", "from", "in or after"):
                return (y, 2100)
            if w in ("before", "prior to"):
                return (1800, y - 1)
            return (1800, y)
        years = re.findall(r"\b((?:19|20)\d\d)\b", ql)
        if len(years) == 1:
            y = int(years[0])
            return (y, y)
        if len(years) > 1:
            ys = sorted(int(y) for y in years)
            return (ys[0], ys[-1]) if " or " not in ql and " and " not in ql else (ys[0], ys[-1])
        return None

    def _row_scores(self, q: str, t: Table, prof: TableProfile) -> list[tuple[float, TableRow]]:
        qwords = set(_norm_words(q))
        qfold = fold(q)
        col_words = set().union(*(prof.col_words[c] for c in t.columns)) if t.columns else set()
        m = re.search(r"\b(?:number|no\.?|#|row|entry)\s*(\d{1,3})\b", q, re.I)
        if m and prof.name_col:
            # "Which MIC is number 26": the row's own number
            idx = int(m.group(1))
            hit = [r for r in t.rows if r.index == idx]
            if hit:
                return [(1.0, hit[0])]
        q_acronyms = {w.lower() for w in re.findall(r"\b[A-Z]{2,4}\b", q)}
        # (only a question with a demonym reads the cells for one: this runs for every row of every table)
        q_demonyms = set(_norm_words(q)) & DEMONYM_STEMS
        by_demonym: set[int] = set()
        out: list[tuple[float, TableRow]] = []
        for r in t.rows:
            score = 0.0
            for col in prof.key_cols:
                v = r.cells.get(col)
                if not isinstance(v, str) or not v.strip():
                    continue
                vw = set(_norm_words(v))
                if vw and any(vw == names for names in self.entity_types):
                    continue  # "Manufacturing Innovation Centers" names a kind of thing, not one row
                if re.search(rf"(?<![\w]){re.escape(fold(v))}(?![\w])", qfold) or self._same_acronym(v, q):
                    score = max(score, 1.0)
                    continue
                if q_demonyms and len(vt := _norm_words(v)) == 1 and demonyms_of(set(vt)) & q_demonyms:
                    by_demonym.add(r.index)  # "the US, Chinese and German programs" (see below)
                    continue
                if q_acronyms and q_acronyms & _distinct_initialisms(v, self.s.table_initialism_sizes):
                    # "the VR innovation center": the initials of the words that set this name apart
                    score = max(score, self.s.table_row_partial_max)
                    continue
                common = prof.common_words[col]
                dist = [w for w in _norm_words(v) if w not in _GENERIC_NAME_STEMS
                        and len(w) >= self.s.table_name_word_min_chars
                        and w not in col_words and w not in common]
                if not dist:
                    continue
                matched = sum(1 for w in dist if _same_word(w, qwords, self.s.table_prefix_min_chars))
                if matched:
                    # share of the name matched, and how many words: "embodied ... robot" beats "robot" alone
                    share = self.s.table_row_share_weight
                    sc = share * matched / len(dist) + (1 - share) * min(1.0, matched / self.s.table_row_full_words)
                    # a word that names this row alone ("graphene", "embodied") identifies it
                    if any(w in qwords and w not in NUMBER_WORDS and self._unique_word(t, prof, w) for w in dist):
                        sc += self.s.table_row_unique_bonus
                    score = max(score, min(sc, self.s.table_row_partial_max))
            out.append((score, r))
        # a country is named by its demonym only among others ("the US, Chinese and German programs"): alone,
        # "Chinese" qualifies something else ("Chinese manufacturers", "the Chinese MICs")
        if sum(1 for sc, r in out if sc >= 1.0 or r.index in by_demonym) >= 2:
            out = [(1.0 if r.index in by_demonym else sc, r) for sc, r in out]
        out = [(sc, r) for sc, r in out if sc >= self.s.table_row_min]
        out.sort(key=lambda x: -x[0])
        return out

    def _unique_word(self, t: Table, prof: TableProfile, w: str) -> bool:
        key = (id(t), w)
        if key not in self._unique_cache:
            n = sum(1 for r in t.rows if any(isinstance(r.cells.get(col), str) and w in _norm_words(r.cells[col])
                                             for col in prof.key_cols))
            self._unique_cache[key] = n == 1 and len(w) >= self.s.table_unique_min_chars
        return self._unique_cache[key]

    def _match_row(self, q: str, t: Table, prof: TableProfile) -> tuple[TableRow | None, float]:
        scored = self._row_scores(q, t, prof)
        if not scored:
            return None, 0.0
        if len(scored) > 1 and scored[0][0] - scored[1][0] < self.s.table_row_margin:
            return None, 0.0
        return scored[0][1], scored[0][0]

    def _naming_cols(self, q: str, prof: TableProfile, row: TableRow) -> set[str]:
        """The key columns through which the question names this row (its distinctive words are in the question)."""
        qw = set(_norm_words(q))
        out = {c for c in prof.key_cols if isinstance(row.cells.get(c), str)
               and (set(_norm_words(row.cells[c])) - prof.common_words[c] - _GENERIC_NAME_STEMS) & qw}
        return out or set(prof.key_cols)

    def _asked_scored(self, q: str, prof: TableProfile, exclude: set[str],
                      row: TableRow | None = None) -> list[tuple[float, str]]:
        """Columns the question asks for, best first, with how strongly each is asked."""
        qw = _with_alike(set(_norm_words(q)) | set(words(q)))
        if qw & TABLE_PERCENT_WORDS:
            qw.add("percent")  # "Germany's share of GDP" asks the "Percent ... GDP" column
        if row is not None:  # the row's own name ("Silicon-Based ...") is not a column asked for
            qw -= {w for col in self._naming_cols(q, prof, row) if isinstance(row.cells.get(col), str)
                   for w in (*words(row.cells[col]), *_norm_words(row.cells[col]))}
        out: list[tuple[float, str]] = []
        named_col = any((prof.col_key_words[c] or prof.col_name_words[c]) & qw for c in prof.table.columns
                        if c not in exclude and c not in prof.key_cols and c not in prof.year_cols
                        and not COUNT_COLUMN.match(c))
        for c in prof.table.columns:
            if c in exclude:
                continue
            # "which part, article and section": words the values of a short column share say it is asked
            shared = len((prof.common_words[c] - STOPWORDS) & qw) if c in prof.key_cols + prof.cat_cols else 0
            if row is not None and c in prof.key_cols:
                # another name of a row named in the question is asked by its own words or its values' words
                hit = len(prof.col_key_words[c] & qw)
                if hit or shared >= self.s.table_shared_min:
                    out.append((hit + self.s.table_shared_weight * shared, c))
                continue
            cw = prof.col_key_words[c] or prof.col_name_words[c]
            hit = len(cw & qw)
            if not hit and shared >= self.s.table_shared_min:
                out.append((self.s.table_shared_weight * shared, c))
                continue
            bonus = 0.0
            if c in prof.year_cols and qw & TABLE_YEAR_WORDS:
                bonus = self.s.table_year_col_bonus
            if COUNT_COLUMN.match(c) and qw & TABLE_SIZE_WORDS and not named_col:
                # "how big is each program": its count of institutes, unless a column is named ("the budget")
                bonus = self.s.table_year_col_bonus
            if cw & _PLACE_STEMS and qw & TABLE_PLACE_WORDS:
                bonus = max(bonus, self.s.table_place_col_bonus)
            if hit or bonus:
                out.append((hit / max(len(cw), 1) + hit * self.s.table_col_hit_weight + bonus, c))
        out.sort(reverse=True)
        return out

    def _acronym_words(self, question: str) -> set[str]:
        """Words of the expansions of acronyms the question uses ("MICs" -> manufacturing, innovation, center)."""
        out: set[str] = set()
        for a in self.acronyms:
            for key in acronym_variants(a.acronym, a.expansion):
                if len(key) >= 2 and any(ch.isupper() for ch in key) and re.search(rf"(?<![\w.]){re.escape(key)}(?!\w)",
                                                                                  question):
                    out |= set(_norm_words(re.sub(r"\(.*?\)", "", a.expansion)))
        return out

    def read(self, question: str) -> ReadQuestion | None:
        s = self.s
        best: ReadQuestion | None = None
        acr_words = self._acronym_words(question)
        qw = _with_alike(set(_norm_words(question))) | acr_words
        for t in self.tables:
            if is_acronym_table(t):
                continue  # acronyms have their own reader
            prof = self.profiles[id(t)]
            filters: list[tuple[str, str]] = []
            caption_only = frozenset(_norm_words(t.caption))
            for c in prof.cat_cols:
                vals = list(prof.parts[c])
                for v in vals:
                    if _mentions(question, v, vals, self.s, caption_only):
                        filters.append((c, v))
            row, row_score = self._match_row(question, t, prof)
            yr = self._year_range(question) if prof.year_cols else None
            header_text = " ".join(t.columns) + " " + t.caption
            asked_years = re.findall(r"\b((?:19|20)\d\d)\b", question)
            if yr and asked_years and all(y in header_text for y in asked_years):
                yr = None  # "the 2023 budget" names a column ("Est. Total 2023 Annual Program Budget")
            caption_words = set(_norm_words(t.caption)) - STOPWORDS - {"table"}
            for c in t.columns:
                caption_words |= prof.col_name_words[c]
            vocab_hits = len(qw & caption_words)
            score = (vocab_hits * s.table_vocab_weight + len(filters) * s.table_filter_weight
                     + (s.table_row_weight * row_score) + (s.table_year_weight if yr else 0))
            if _names_table(question, t):
                score += s.table_names_table_bonus
            # the question is about this table's entities ("MICs" for a table of innovation centers)
            name_words = set(_norm_words(prof.name_col or "")) - STOPWORDS
            # "centers" names what a table of "... Center"s lists ("Program Name": "programs")
            head = [w for w in _norm_words(prof.name_col or "") if w not in ("name", "title")][-1:]
            if (name_words and name_words <= qw) or (head and head[0] in qw):
                score += s.table_entity_bonus
            context_words = set()
            for title in t.section_path:
                context_words |= set(_norm_words(title))
            known = caption_words | context_words | acr_words | _ALWAYS_KNOWN
            known |= demonyms_of(known)  # "China's centers": "Chinese centers" too
            for _c, v in filters:
                known |= set(_norm_words(v))
            if row is not None:
                for v in row.raw_cells.values():
                    known |= set(_norm_words(v))
            row_name_words: set[str] = set()
            named_rows = [row] if row is not None else [r for _s, r in self._row_scores(question, t, prof)]
            for nr in named_rows:
                for col in prof.key_cols:
                    cell = nr.cells.get(col)
                    if isinstance(cell, str):
                        row_name_words |= set(_norm_words(cell))
            known |= row_name_words | _initialisms(named_rows, prof, s.table_initialism_sizes)
            content = [w for w in tokens(question) if not re.fullmatch(r"(19|20)\d\d", w)
                       and w not in row_name_words
                       and not (w in self.acronym_stems and self._acronym_held(w, caption_words | context_words))]
            # (_known may run difflib: once per word)
            unknown = {w for w in content if not _known(w, known, s, typo=partial(self._unused, w))}
            explained = sum(1 for w in content if w not in unknown) / len(content) if content else 1.0
            # a name the table does not know ("California", "NSF Engines") means the question is about something else
            names = {stem(w.lower()) for i, w in enumerate(re.findall(r"[A-Za-z][\w&.-]*", question))
                     if i > 0 and w[0].isupper()} & set(content)
            if names & unknown:
                explained = 0.0
            # a hyphenated name ("the Made-in-Country Index") is one name: the table must hold it, not its words apart
            compounds = [m.group(0) for m in _HYPHEN_NAME.finditer(question)]
            if compounds and any(fold(c) not in self._table_text(t) for c in compounds):
                explained = 0.0
            # "Which university hosts ...": the kind of thing asked for must be one the table holds (a column, the
            # things its rows are, a value), or its answer would be a cell of another kind
            kind = _ASKED_KIND.match(question)
            asked = (tokens(kind.group(1))[:1] if kind else []) + [c for c in [counted_stem(question)] if c]
            if set(asked) & unknown:
                explained = 0.0  # ... and "how many employees" counts things the table's rows are not
            if yr and prof.year_cols:
                ys = [v for v in (r.cells.get(prof.year_cols[0]) for r in t.rows) if isinstance(v, int)]
                outside = [int(y) for y in asked_years if y not in header_text]
                if ys and any(y > max(ys) or y < min(ys) for y in outside):
                    explained = 0.0  # a year the table does not cover: a forecast or history it cannot compute
            if asked_years and (row is not None or not prof.year_cols):
                # "Fraunhofer's institutes in 2010": the row (or a table without a year column) says no other year
                said = header_text + " " + " ".join(str(v) for r in ([row] if row is not None else t.rows)
                                                    for v in r.raw_cells.values())
                if any(y not in said for y in asked_years):
                    explained = 0.0
            log.debug("table %s: score %.2f explained %.2f content %s unknown %s", t.id, score, explained, content, unknown)
            if explained < s.table_min_explained:
                score = min(score, s.table_unexplained_cap)  # most of the question is about something the table doesn't hold
            if row is not None:
                # a row named in the question: drop filters that are just words of its own name
                name_words = set()
                for col in prof.key_cols:
                    cell = row.cells.get(col)
                    if isinstance(cell, str):
                        name_words |= set(_norm_words(cell))
                filters = [(c, v) for c, v in filters if not set(_norm_words(v)) <= name_words]
            asked_scored = self._asked_scored(question, prof, row=row,
                                              exclude=self._naming_cols(question, prof, row) if row else set())
            asked = [c for _s, c in asked_scored]
            rq = ReadQuestion(t, prof, filters, yr, row, asked, score, row_score, unknown,
                              {c: sc for sc, c in asked_scored})
            if best is None or rq.score > best.score:
                best = rq
        return best

    # ------------------------------------------------------------------ answering
    def answer(self, question: str) -> TableAnswer | None:
        acr = self.answer_acronym(question)
        if acr:
            return acr
        question = TABLE_RATE_PHRASES.sub("annual", question)
        question = _WHEN_CLAUSE.sub(" ", question)
        if WHEN_CLAUSE_LEAD.match(question):  # "When indexed to the US, what's ...": no year asked either
            question = re.sub(r"^\W*when\b", "", question, flags=re.I).strip()
        rq = self.read(question) if not _FUTURE.search(question) else None
        ans = self._answer(question, rq)
        if ans is not None and rq is not None and ans.table is rq.table:
            ans.unexplained = set(rq.unexplained)
        return ans

    def _answer(self, question: str, rq: ReadQuestion | None) -> TableAnswer | None:
        # rq is None for plans, targets and forecasts: they are not in a table of what exists
        if rq is None or rq.score < self.s.table_min_score:
            return None
        ql = question.lower()
        is_count = bool(_COUNT.search(ql))
        is_most = bool(_MOST.search(ql))
        is_least = bool(_LEAST.search(ql))
        is_list = bool(_LIST.search(ql))
        prof, t = rq.prof, rq.table
        if (is_most or is_least) and not self._groups_by_known(ql, prof):
            return None  # "which state has the most ...": the table has no such column to group by

        qset = set(words(question)) | set(_norm_words(question)) | ({"%"} if "%" in question else set())
        if rq.row is not None:
            # words of the row's own name ("Silicon-Based ...") do not say which column is asked for
            qset -= {w for col in prof.key_cols if isinstance(rq.row.cells.get(col), str)
                     for w in (*words(rq.row.cells[col]), *_norm_words(rq.row.cells[col]))}
        filtered = (is_count or is_list) and bool(rq.filters or rq.year_range)
        filter_cols = {c for c, _v in rq.filters}
        other_cols = [c for c in rq.asked_cols if c not in prof.key_cols and c not in filter_cols]
        if rq.row is not None and filtered and rq.row_score < 1.0 and not other_cols:
            rq.row = None  # "How many MICs focus on robotics": a filter on a category, not the one row named so
        rows_named = [r for _s, r in self._row_scores(question, t, prof)] if not filtered else []
        every = bool(re.search(r"\b(each|every|all|respectively|the three|across)\b", ql))
        if rq.row is not None or len(rows_named) > 1 or (every and prof.key_cols and not prof.cat_cols):
            cols = self._cell_cols(question, prof, rq, qset)
            if rq.row is not None and re.match(r"\s*how\s+many\b", ql) and all(c in prof.year_cols for c in cols):
                # "how many centers has China set up": a count asked of a row is its one count column ("# of
                # Institutes"), not a year a word of the question happened to match ("set up" ~ "Year Started")
                counts = [c for c in t.columns if COUNT_COLUMN.match(c)]
                cols = counts if len(counts) == 1 else cols
            if re.match(r"\s*how\s+(much|many)\b", ql) and cols and all(c in prof.year_cols for c in cols):
                return None  # "how much funding ... when it was created" asks an amount, not the year
            if re.match(r"\s*who(?:m|se)?\b", ql) and len(rows_named) < 2 and cols and \
                    all(c in prof.year_cols or c in prof.num_cols for c in cols):
                return None  # "who founded ..." asks for a person or a body, not a year or a figure
            if set(words(question)) & TABLE_PERCENT_WORDS and cols and \
                    not any("percent" in prof.col_words[c] for c in cols):
                return None  # "what share of SMEs use the cloud" asks a percent: a city or a year is no answer
            if not cols and rq.row is not None and re.search(r"\b(?:number|no\.?|#|row|entry)\s*\d", question, re.I):
                cols = [c for c in t.columns if c not in prof.num_cols]  # "Which MIC is number 26": the whole row
            if not cols:
                return None  # a question about a named row but no column: the text says more
            if rq.row is not None:
                return self._cell_answer(t, prof, rq.row, cols)
            rows = rows_named if len(rows_named) > 1 and not every else list(t.rows)
            ans = self._cells_answer(t, prof, rows, cols)
            cmp = _COMPARATIVE.search(ql)
            num = next((c for c in cols if c in prof.num_cols), None)
            if cmp and num and len(rows) > 1:
                ans = self._compared(ans, prof, rows, num, smaller=cmp.group(1) in SMALLER_WORDS,
                                     difference=bool(re.search(r"\bby how (?:many|much)\b", ql)))
            return ans

        multi = self._multi_col(ql, prof)
        if multi and rq.row is None:
            return self._multi_answer(t, prof, multi, rq)

        having = self._having(ql)
        if having is not None and not rq.row:
            group_col = self._group_col(question, prof, rq)
            if group_col:
                return self._having_answer(t, prof, group_col, rq, having)

        # group maximum: "which sector has the most MICs", "which year saw the most"
        if (is_most or is_least) and not rq.row:
            group_col = self._group_col(question, prof, rq)
            if group_col:
                return self._group_answer(t, prof, group_col, rq, least=is_least)
            num_col = next((c for c in rq.asked_cols if c in prof.num_cols), None)
            if num_col:
                return self._numeric_extreme(t, prof, num_col, least=is_least)

        if not is_count and (rq.filters or rq.year_range) and rq.row is None and re.match(r"\s*(what|which)\b", ql):
            col = self._value_col(question, prof, rq, plural=False)
            if col and col not in {c for c, _v in rq.filters}:
                # "which sectors do the Guangdong MICs cover", "what sector is the Nanjing MIC in"
                return self._values_answer(t, prof, col, rq)
        if (is_count or is_list) and (rq.filters or rq.year_range):
            rows = self._filter(t, prof, rq)
            return self._rows_answer(t, prof, rq, rows, count=is_count)
        if is_count and self._about_rows(question, t, prof):
            return self._rows_answer(t, prof, rq, list(t.rows), count=True)
        if is_list and rq.row is None:
            col = self._value_col(question, prof, rq)
            if col:
                return self._values_answer(t, prof, col, rq)
        return None

    def _acronym_held(self, w: str, known: set[str]) -> bool:
        """An acronym names what the table holds ("MICs" in a table of innovation centers), or something it does
        not ("IP" in a table with an "Owner" column): then it is a word of the question left unexplained."""
        meaning = self.acronym_meaning.get(w)
        return not meaning or len(meaning & known) * 2 >= len(meaning)

    def _groups_by_known(self, ql: str, prof: TableProfile) -> bool:
        """"Which sector has the most": the noun asked for is a column, the rows' kind, or a year/place word."""
        m = _ASKED_KIND.match(ql)
        if not m or m.group(1) in ("of", "one", "is", "are", "was", "were", "has", "have", "had", "do", "does", "did"):
            return True
        w = stem(m.group(1))
        known = set().union(*prof.col_words.values()) | set(_norm_words(prof.name_col or "")) | self.acronym_stems
        return w in known or m.group(1) in _KIND_WORDS or w in _KIND_WORDS

    def _value_col(self, question: str, prof: TableProfile, rq: ReadQuestion, plural: bool = True) -> str | None:
        """The categorical column whose values are asked for: "which categories ...", "what sectors ...".

        ``plural=False``: over rows a filter picks, "which province is Zhuzhou in" asks that column too.
        """
        asked = _with_alike({stem(w) for w in words(question)
                             if not plural or (len(w) > 3 and w.endswith("s") and not w.endswith("ss"))})
        return next((c for c in rq.asked_cols if c in prof.cat_cols and prof.col_name_words[c] & asked), None)

    def _values_answer(self, t: Table, prof: TableProfile, col: str, rq: ReadQuestion) -> TableAnswer:
        members = self._groups(t, prof, col, rq)
        total = sum(len(m) for m in members.values())
        # every row is cited when the counts are stated; a long table cites one row per value
        if total <= self.s.table_value_rows_max:
            parts = [_cited(f"{v} ({len(m)})", m) for v, m in members.items()]
            used = [r for m in members.values() for r in m]
        else:
            parts = [_cited(v, m[:1]) for v, m in members.items()]
            used = [m[0] for m in members.values()]
        used = list({r.index: r for r in used}.values())  # a row with two values is cited once
        what = self._describe(prof, rq)
        head = (f"{col} of the entries in {_caption(t)} that match {what}" if what else
                f"{_caption(t)} has {len(members)} {col} value{'s' if len(members) != 1 else ''}")
        segments = [f"{head}: ", *_joined(parts, "; "), "."]
        return TableAnswer(segments, used, t, [f"{col} values: " + "; ".join(members)])

    def _multi_col(self, ql: str, prof: TableProfile) -> str | None:
        m = _MULTI.search(ql)
        if not m:
            return None
        w = stem(m.group(1))
        return next((c for c in prof.cat_cols if w in prof.col_words[c]), None)

    def _multi_answer(self, t: Table, prof: TableProfile, col: str, rq: ReadQuestion) -> TableAnswer | None:
        base = self._filter(t, prof, rq) if (rq.filters or rq.year_range) else list(t.rows)
        rows = [r for r in base if isinstance(r.cells.get(col), str)
                and len(_split_multi(r.cells[col], self.s.table_multi_part_words)) > 1]
        if not rows:
            return None
        items = _joined((_cited(f"{self._label(prof, r)}: {r.raw_cells.get(col)}", [r]) for r in rows), "; ")
        head = f"{len(rows)} of the {len(t.rows)} entries in {_caption(t)} list more than one {col}: "
        ans = TableAnswer([head, *items, "."], rows, t)
        ans.facts = [ans.plain_text]
        return ans

    @staticmethod
    def _compared(ans: TableAnswer, prof: TableProfile, rows: list[TableRow], col: str, smaller: bool,
                  difference: bool = False) -> TableAnswer:
        """Lead a comparison of named rows with the one that has the bigger (or smaller) value."""
        vals: list[tuple[float, TableRow]] = [(x, r) for r in rows if isinstance(x := r.cells.get(col), int | float)]
        if len(vals) < 2:
            return ans
        v, win = (min if smaller else max)(vals, key=lambda x: x[0])
        key = prof.name_col or (prof.key_cols[0] if prof.key_cols else None)
        who = win.cells.get(key) if key else None
        by = ""
        if difference and len(vals) == 2:
            other = next(x for x, r in vals if r is not win)
            gap = abs(v - other)
            by = f", by {gap:g}" if isinstance(gap, int) or float(gap).is_integer() else f", by {gap:.3g}"
        said = f"{who} has the {'smaller' if smaller else 'larger'} {col} ({win.raw_cells.get(col)}{by})"
        # the lead sentence is cited like the rest
        lead = _cited(said, (r for _x, r in vals)) + [". "]
        return TableAnswer(lead + ans.segments, ans.rows, ans.table, [f"{said}."] + ans.facts)

    def _cell_cols(self, question: str, prof: TableProfile, rq: ReadQuestion, qset: set[str]) -> list[str]:
        # a row named in the question is named by its key columns; across rows ("each country's owner") a key
        # column other than the one that labels the rows may be what is asked
        label_cols = (self._naming_cols(question, prof, rq.row) if rq.row is not None
                      else {prof.key_cols[0], prof.name_col} & set(prof.key_cols))
        cols = [c for c in rq.asked_cols if c not in label_cols and self._column_fits(c, prof, qset)]
        picked: list[str] = []
        if qset & TABLE_PLACE_WORDS:
            picked += [c for c in cols if prof.col_words[c] & _PLACE_STEMS]
        if qset & TABLE_YEAR_WORDS:
            picked += [c for c in cols if c in prof.year_cols]
        if qset & TABLE_SIZE_WORDS and all(c in prof.year_cols or COUNT_COLUMN.match(c) for c in cols):
            # "how big is each program": its count, unless a column is asked by name ("how big is the budget")
            picked += [c for c in cols if COUNT_COLUMN.match(c)]
        others = [c for c in cols if c not in picked]
        if not picked:
            picked = others[:2] if " and " in question.lower() else others[:1]
            sc = rq.asked_scores
            if len(others) > 1 and others[1] not in picked and \
                    sc.get(others[1], 0) >= self.s.table_close_column * sc.get(others[0], 0):
                picked.append(others[1])  # two columns asked almost equally ("share of GDP"): show both
        elif " and " in question.lower() and others and others[0] not in picked:
            named = prof.col_key_words[others[0]] & qset
            if named:
                picked.append(others[0])
        return list(dict.fromkeys(picked))

    @staticmethod
    def _column_fits(col: str, prof: TableProfile, qset: set[str]) -> bool:
        """A percent column answers only a question about a share ("What is the GDP of Germany?" does not
        ask "Percent 2023 GDP From Manufacturing")."""
        q = qset | ({"percent"} if qset & TABLE_PERCENT_WORDS else set())
        return "percent" not in prof.col_words[col] or "percent" in q

    def _cells_answer(self, t: Table, prof: TableProfile, rows: list[TableRow], cols: list[str]) -> TableAnswer:
        key = prof.key_cols[0] if prof.key_cols else None
        parts = []
        for r in rows:
            label = r.cells.get(prof.name_col) if prof.name_col and prof.name_col != key else None
            who = f"{r.cells.get(key)}" + (f" ({label})" if label else "") if key else f"row {r.index}"
            vals = "; ".join(f"{c}: {r.raw_cells.get(c) or 'not given'}" for c in cols)
            parts.append(f"{who} — {vals}")
        segments = _joined((_cited(p, [r]) for p, r in zip(parts, rows, strict=True)), "; ") + ["."]
        return TableAnswer(segments, rows, t, parts, columns=list(cols))

    @staticmethod
    def _having(ql: str) -> tuple[str, int] | None:
        words_n = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a single": 1, "single": 1}
        m = re.search(r"\b(more than|over|at least|fewer than|less than)\s+(one|two|three|four|five|\d+)\b", ql)
        if m:
            n = int(m.group(2)) if m.group(2).isdigit() else words_n[m.group(2)]
            op = {"more than": ">", "over": ">", "at least": ">=", "fewer than": "<", "less than": "<"}[m.group(1)]
            return op, n
        if re.search(r"\b(only one|only a single|just one|a single|exactly one|only 1)\b", ql):
            return "==", 1
        return None

    def _groups(self, t: Table, prof: TableProfile, col: str, rq: ReadQuestion) -> dict[str, list[TableRow]]:
        """Rows (after the question's filters) grouped by a column's values; multi-valued cells count for each."""
        rows = self._filter(t, prof, rq) if (rq.filters or rq.year_range) else list(t.rows)
        members: dict[str, list[TableRow]] = {}
        for r in rows:
            v = r.cells.get(col)
            if v is None:
                continue
            for p in _split_multi(str(v), self.s.table_multi_part_words) if col in prof.cat_cols else [str(v)]:
                members.setdefault(p, []).append(r)
        return members

    def _having_answer(self, t: Table, prof: TableProfile, col: str, rq: ReadQuestion, having: tuple[str, int]):
        op, n = having
        members = self._groups(t, prof, col, rq)
        test = {">": lambda k: k > n, ">=": lambda k: k >= n, "<": lambda k: k < n, "==": lambda k: k == n}[op]
        hits = sorted(((v, m) for v, m in members.items() if test(len(m))), key=lambda x: (-len(x[1]), x[0]))
        if not hits:
            return None
        said = {">": "more than", ">=": "at least", "<": "fewer than", "==": "exactly"}[op]
        head = f"{col} values with {said} {n} entr{'y' if n == 1 else 'ies'} in {_caption(t)}: "
        segments = [head, *_joined((_cited(f"{v} ({len(m)})", m) for v, m in hits), "; "), "."]
        used = [r for _v, m in hits for r in m]
        return TableAnswer(segments, used, t, [f"{v}: {len(m)}" for v, m in hits])

    def _about_rows(self, question: str, t: Table, prof: TableProfile) -> bool:
        """Does the question count the table's own rows ("how many MICs are listed")?"""
        qw = set(_norm_words(question)) | self._acronym_words(question)
        # the kind of entity the rows are ("Manufacturing Innovation Center"), all of its words
        name_words = set(_norm_words(prof.name_col or "")) - STOPWORDS
        return bool(name_words) and name_words <= qw

    def _group_col(self, question: str, prof: TableProfile, rq: ReadQuestion) -> str | None:
        qw = set(_norm_words(question)) | set(words(question))
        for c in rq.asked_cols:
            if c in prof.cat_cols or c in prof.year_cols:
                return c
        for c in prof.cat_cols + prof.year_cols:
            if prof.col_words[c] & qw:
                return c
        if qw & TABLE_YEAR_WORDS and prof.year_cols:
            return prof.year_cols[0]
        return None

    def _filter(self, t: Table, prof: TableProfile, rq: ReadQuestion) -> list[TableRow]:
        rows = list(t.rows)
        if rq.filters:
            by_value: dict[str, tuple[set[str], set[int]]] = {}
            for c, v in rq.filters:
                cols, ids = by_value.setdefault(fold(v), (set(), set()))
                cols.add(c)
                ids |= prof.parts[c].get(v, set())
            # values sharing a column are alternatives (Beijing or Shanghai; Beijing is also a city);
            # values of different columns combine (advanced materials in Jiangsu)
            groups: list[tuple[set[str], set[int]]] = []
            for cols, ids in by_value.values():
                for g in groups:
                    if g[0] & cols:
                        g[0].update(cols)
                        g[1].update(ids)
                        break
                else:
                    groups.append((set(cols), set(ids)))
            keep = set.intersection(*(g[1] for g in groups))
            rows = [r for r in rows if r.index in keep]
        if rq.year_range and prof.year_cols:
            a, b = rq.year_range
            yc = prof.year_cols[0]
            rows = [r for r in rows if isinstance(r.cells.get(yc), int) and a <= r.cells[yc] <= b]
        return rows

    def _describe(self, prof: TableProfile, rq: ReadQuestion) -> str:
        bits = [f"{c} {v}" for c, v in rq.filters]
        if rq.year_range and prof.year_cols:
            a, b = rq.year_range
            yc = prof.year_cols[0]
            if a == b:
                bits.append(f"{yc} {a}")
            elif b >= 2100:
                bits.append(f"{yc} {a} or later")
            elif a <= 1800:
                bits.append(f"{yc} {b} or earlier")
            else:
                bits.append(f"{yc} {a}–{b}")
        return ", ".join(bits)

    def _label(self, prof: TableProfile, r: TableRow, shown: tuple[str, ...] = ()) -> str:
        name = r.cells.get(prof.name_col) if prof.name_col else None
        parts = []
        if prof.year_cols and isinstance(r.cells.get(prof.year_cols[0]), int):
            parts.append(str(r.cells[prof.year_cols[0]]))
        # columns the question asks besides the count ("... and which cities"): each row's value
        parts += [f"{c}: {r.raw_cells.get(c) or 'not given'}" for c in shown]
        extra = f" ({'; '.join(parts)})" if parts else ""
        return f"{name}{extra}" if name else f"row {r.index}{extra}"

    def _rows_answer(self, t: Table, prof: TableProfile, rq: ReadQuestion, rows: list[TableRow], count: bool):
        what = self._describe(prof, rq)
        where = _caption(t)
        if not rows:
            text = f"None of the {len(t.rows)} rows of {where} match {what}."
            return TableAnswer([text], [], t, [text])
        label, noun = _table_label(t)
        scope = f"the {len(t.rows)} {noun} in {label}" if noun else f"the {len(t.rows)} entries in {where}"
        head = f"{len(rows)} of {scope}" + (f" have {_with(what)}" if what else "")
        whole = not what and len(rows) == len(t.rows)
        if whole:  # no filter: the table's size, not "33 of the 33"
            head = f"{label if noun else where} lists {len(rows)} {noun or 'entries'}"
        filtered = {c for c, _v in rq.filters}
        shown = tuple(c for c in rq.asked_cols if c not in filtered and c != prof.name_col and c not in prof.year_cols
                      and c not in prof.key_cols and c in prof.cat_cols)
        if count and len(rows) > self.s.table_count_names_max:
            segments = _cited(head if whole else f"{head}:", rows)  # a long count cites its rows, names stay in them
        else:
            segments = [f"{head}: ", *_joined((_cited(self._label(prof, r, shown), [r]) for r in rows), "; ")]
        facts = [f"{head}: " + "; ".join(self._label(prof, r, shown) for r in rows)]
        return TableAnswer(segments + ["."], rows, t, facts)

    def _group_answer(self, t: Table, prof: TableProfile, col: str, rq: ReadQuestion, least: bool):
        members = self._groups(t, prof, col, rq)
        counts: Counter[str] = Counter({v: len(m) for v, m in members.items()})
        if not counts:
            return None
        target = min(counts.values()) if least else max(counts.values())
        winners = [v for v, n in counts.items() if n == target]
        used = [r for v in winners for r in members[v]]
        word = "fewest" if least else "most"
        scope = self._describe(prof, rq)
        scope = f" (among entries with {scope})" if scope else ""
        ties = " and ".join(winners)
        runner = [f"{v} ({n})" for v, n in counts.most_common() if v not in winners][:self.s.table_runners_up]
        head = (f"{ties} {'have' if len(winners) > 1 else 'has'} the {word} entries by {col} in "
                f"{_caption(t)}{scope}, with {target} each" if len(winners) > 1 else
                f"{ties} has the {word} entries by {col} in {_caption(t)}{scope}, with {target}")
        lines = [_cited(f"{v}: {len(members[v])}", members[v]) for v in winners]
        segments = [f"{head}: ", *_joined(lines, "; "), "."]
        if runner and not least:
            segments.append(" Next: " + ", ".join(runner) + ".")
        facts = [f"{v}: {n}" for v, n in counts.most_common()]
        # the lead fact: the sentence up to its first citation (the winner and its count)
        lead = f"{head}: " + "".join(s for s in lines[0] if isinstance(s, str))
        return TableAnswer(segments, used, t, [lead] + facts)

    def _numeric_extreme(self, t: Table, prof: TableProfile, col: str, least: bool):
        rows = [r for r in t.rows if isinstance(r.cells.get(col), int | float)]
        if not rows:
            return None
        r = (min if least else max)(rows, key=lambda r: r.cells[col])
        label = r.cells.get(prof.key_cols[0]) if prof.key_cols else r.index
        said = f"{label} has the {'lowest' if least else 'highest'} {col}: {r.raw_cells.get(col)}"
        return TableAnswer(_cited(said, [r]) + ["."], [r], t, [f"{said}."])

    def _cell_answer(self, t: Table, prof: TableProfile, row: TableRow, cols: list[str]):
        # "where" questions want both place columns
        label = self._label(prof, row) if prof.name_col else str(row.cells.get(prof.key_cols[0]))
        if prof.year_cols and prof.year_cols[0] not in cols:
            label = str(row.cells.get(prof.name_col)) if prof.name_col else label
        parts = []
        for c in cols:
            raw = row.raw_cells.get(c, "")
            shown = raw if raw else "not given"
            parts.append(f"{c}: {shown}")
        said = f"{label} — " + "; ".join(parts)
        return TableAnswer(_cited(said, [row]) + ["."], [row], t, [f"{said}."], columns=list(cols))

    # ------------------------------------------------------------------ acronyms
    def answer_acronym(self, question: str) -> TableAnswer | None:
        m = _ACRONYM_Q.search(question)
        if not m:
            return None
        key = (m.group("a") or m.group("b") or "").strip(".()\"'")
        if not key:
            return None
        for table in (t for t in self.tables if is_acronym_table(t)):  # one list per document, in order
            for r in table.rows:
                acr = str(r.cells.get(table.columns[0], ""))
                if key in acronym_variants(acr, str(r.cells.get(table.columns[1], ""))):
                    definition = r.raw_cells.get(table.columns[1], "")
                    segments = _cited(f"{key} stands for {definition}", [r]) + ["."]
                    return TableAnswer(segments, [r], table, [f"{key} = {definition}"])
        return None


def is_acronym_table(t: Table) -> bool:
    """A document's acronym list (ingest names its columns so), whatever its appendix letter."""
    return t.columns == ["Acronym", "Definition"]


def acronym_variants(acr: str, expansion: str) -> set[str]:
    """Spellings a reader may use: "EV(s)" -> EV, EVs; "U.S. or USA"; OCR "Al" -> "AI" when the initials agree."""
    out: set[str] = set()
    for part in re.split(r"\s+or\s+", acr):
        part = part.strip()
        m = re.fullmatch(r"(.+?)\((\w+)\)", part)
        base = [m.group(1), m.group(1) + m.group(2)] if m else [part]
        for b in base:
            out |= {b, b.rstrip("."), b.replace(".", "")}
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", re.sub(r"\(.*?\)", "", expansion)))
    caps = "".join(w[0] for w in re.findall(r"[A-Za-z]+", expansion) if w[0].isupper())
    for v in list(out):
        fixed = v.replace("l", "I")
        if fixed != v and (fixed.upper() == caps.upper() or fixed.upper() == initials.upper()):
            out.add(fixed)
    return out


def acronym_keys_simple(acr: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s+or\s+|[()]", acr) if p.strip()]


def _distinct_initialisms(name: str, sizes: tuple[int, ...]) -> set[str]:
    """Initials of runs of a name's capitalised words that are not generic ("National Virtual Reality Innovation
    Center" -> "vr"): what a reader abbreviates to name this row rather than any."""
    caps = [w for w in re.findall(r"[A-Za-z][\w-]*", name) if w[0].isupper()]
    out: set[str] = set()
    for n in sizes:
        for i in range(len(caps) - n + 1):
            run = caps[i:i + n]
            if not any(stem(w.lower()) in _GENERIC_NAME_STEMS or w.lower() in _GENERIC_NAME_STEMS for w in run):
                out.add("".join(w[0] for w in run).lower())
    return out


def _initialisms(rows: list[TableRow], prof: TableProfile, sizes: tuple[int, ...]) -> set[str]:
    """"Integrated Circuit" -> "ic": readers abbreviate the names they ask about."""
    out: set[str] = set()
    for r in rows:
        for col in prof.key_cols:
            v = r.cells.get(col)
            if not isinstance(v, str):
                continue
            caps = [w for w in re.findall(r"[A-Za-z][\w-]*", v) if w[0].isupper()]
            for n in sizes:
                for i in range(len(caps) - n + 1):
                    out.add("".join(w[0] for w in caps[i:i + n]).lower())
    return out


def _same_word(w: str, qwords: set[str], min_chars: int) -> bool:
    """The word, or another form of it: one stem starts the other ("agriculture" and "agricultural", "machine"
    and "machinery"), the shorter at least ``min_chars`` long."""
    return w in qwords or any(min(len(w), len(q)) >= min_chars and (q.startswith(w) or w.startswith(q))
                              for q in qwords)


def _place_columns(t: Table) -> list[str]:
    """A table's columns of places ("City", "Province", "Country")."""
    return [c for c in t.columns if set(tokens(c)) & _PLACE_STEMS]


def _with_alike(qw: set[str]) -> set[str]:
    """The question's words and those meaning the same (SAME_MEANING: "buckets" asks the "Category" column)."""
    return qw | {a for w in qw for a in alike(w)}


def _known(w: str, known: set[str], s: AnswerSettings, typo: Callable[[], bool] = lambda: False) -> bool:
    """Known outright, an OCR twin ("ai"/"al"), or a typo of a known word ("princpal" for "principal")."""
    if w in known or w.replace("i", "l") in known or w.replace("l", "i") in known:
        return True
    if len(w) < s.table_typo_min_chars:
        return False
    # a typo past a known stem ("innovaton": "innov" of "Innovation") keeps the stem; a word the documents use
    # ("shareholders", "provincial") is no typo of a shorter one ("share", "province")
    if any(w.startswith(k) and len(k) >= s.table_typo_min_chars and len(w) - len(k) <= s.table_typo_stem_tail
           for k in known) and typo():
        return True
    import difflib

    # typos keep their first letter ("princpal"); "reaction" is no typo of "creation"
    near = [k for k in known if abs(len(k) - len(w)) <= s.table_typo_len_diff and k[:1] == w[:1]]
    return bool(difflib.get_close_matches(w, near, n=1, cutoff=s.table_typo_cutoff))


def _caption(t: Table) -> str:
    """The caption as an answer shows it: the report's own markers ("[4]") would read as our citations."""
    return re.sub(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]", "", t.caption).strip() or t.id


def _table_label(t: Table) -> tuple[str, str]:
    """("Table A.1", "Manufacturing Innovation Centers") from "A.1. Table of Manufacturing Innovation Centers":
    how a person names the table and what its rows are; ("", "") when the caption does not say."""
    cap = _caption(t)
    m = re.match(r"\s*(?:(?:table|appendix)\s+)?([A-Z](?:\.\d+)+|[A-Z]?\d+(?:\.\d+)*|[A-Z])[.:]?\s+(?:table|list)\s+of\s+(.+?)\.?$", cap,
                 re.I)
    if not m:
        return "", ""
    return f"Table {m.group(1)}", m.group(2).strip()


def _with(what: str) -> str:
    """"Year 2018, City Shanghai" -> "Year 2018 and City Shanghai"."""
    parts = [p.strip() for p in what.split(", ") if p.strip()]
    return " and ".join(parts)


def _names_table(question: str, t: Table) -> bool:
    """The question names the table itself: "Table 2", "the Appendix A table", "table A.1"."""
    q = question.lower()
    m = re.match(r"\s*table\s+(\w+)", t.caption, re.I)
    if m and re.search(rf"\btable\s+{re.escape(m.group(1).lower())}\b", q):
        return True
    m = re.match(r"\s*([a-z])\.(\d+)", t.caption, re.I) or re.match(r"([a-z])\.(\d+)$", t.id, re.I)
    if m:
        letter = m.group(1).lower()
        if re.search(rf"\bappendix\s+{letter}\b", q) or re.search(rf"\btable\s+{letter}\.{m.group(2)}\b", q):
            return True
    return False
