"""The grounded answerer (the default backend; no LLM).

It answers with the fewest sentences of the retrieved passages that together cover what the
question asks about, each followed by its citation marker. Sentences are scored by the
IDF-weighted share of the question's terms they contain (with their passage as context), a small
bonus when the question wants a number and the sentence has one, and the passage's retrieval
rank. If even the best sentence covers too little of the question, it refuses with
``CANNOT_ANSWER`` and offers the closest passages as "related".

Every threshold and weight is a field of ``AnswerSettings`` (rag/settings.py), with what it trades;
they are calibrated on the development split of the evaluation set, never per question.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.citations import make_citation, report_marker_numbers, strip_report_markers
from rag.frontmatter import FrontMatter
from rag.neighbours import WordNeighbours
from rag.query import NUMBER_OF, counted_stem
from rag.records import CANNOT_ANSWER, Chunk, Citation, ReportReference, ScoredChunk, Segment, render
from rag.settings import AnswerSettings
from rag.tables import TableAnswer
from rag.text import DEMONYM_STEMS, alike, demonyms_of, stem, tokens, words
from rag.things import PlaceNames, ThingNames
from rag.units import SOURCE_LINE, sentence_key, unit_tokens
from rag.vocab import (
    ANSWER_FRAME_WORDS,
    BROADER_WORDS,
    CHANGE_HEADER_WORDS,
    CHANGE_SHAPE,
    CURRENCIES,
    EXCLUSION_PHRASE,
    FIGURE_SOURCE_WORDS,
    FRAMING_WORDS,
    LABEL_NOUNS,
    LIGHT_VERB_PHRASES,
    NAME_ABBREVIATIONS,
    NOT_ASKED_VERBS,
    NUMBER_MODIFIERS,
    ORDINAL_WORDS,
    ORGANISATION_WORDS,
    PEOPLE_NOUNS,
    PEOPLE_WORDS,
    PERSON_ROLES,
    QUESTION_WORDS,
    REFERENCE_FIELD_WORDS,
    RELATIVE_QUANTITY,
    ROLE_QUALIFIERS,
    ROLE_WORDS,
    SHORT_FORMS,
    SOURCE_LIST_SECTION_WORDS,
    SOURCE_WORDS,
    WHEN_CLAUSE_LEAD,
)

# "when" asks for a date only as the question's own word ("When was ...", "..., and when did ..."), not in a clause
# ("who owns IP when a company uses ...")
_NUMERIC_Q = re.compile(r"^\W*when\b|(?:,|\band)\s+when\b|(?<!\ba\s)\bnumber\s+of\b|\b(how many|how much|what percent|what percentage|what share|"
                        r"what proportion|what fraction|what year|which year|how large|how big|how long|how old|what number|what amount|"
                        r"what is the value|what was the value|what rate|by how much|growth rate|"
                        r"(?:largest|greatest|highest|smallest|lowest|biggest)\s+(?:number|share|amount)\s+of|"
                        r"(?:" + "|".join(NUMBER_MODIFIERS) + r")\s+numbers?)\b", re.I)
_HAS_NUM = re.compile(r"\d")
_PHRASING = re.compile(NUMBER_OF + "|" + "|".join(  # "its target number for 2025": a figure, not the word "number"
    rf"(?<=\b{w}\s)numbers?\b" for w in NUMBER_MODIFIERS) + r"|\bhow\s+(fast|big|large|much|many|long|often|quickly|far|high|old|significant|"
                       r"important|strong|well)\b|\b(so far|to date|as of now|these days|nowadays|in total|besides|"
                       r"apart from|other than|rather than|in addition to|except|typically|usually|generally|"
                       r"normally|commonly|typical|usual|average)\b"
                       # "set up their own centers": "own" stresses whose, it is no word the answer must hold
                       r"|\b(?:my|our|your|his|her|its|their)\s+own\b"
                       # "over what years" asks for dates: the answer holds them, not the word "years"
                       r"|\b(?:around|roughly|approximately|about)\s+when\b"
                       r"|\b(?:(?:over|in|during|for|on|by|as of)\s+)?(?:what|which)\s+(?:years?|period|time\s*frame|timeframe|"
                       r"dates?|months?|day)\b", re.I)
_SOURCE_Q = re.compile(r"\b(reference|references|source|sources|cite|cites|cited|citation|author|authors|published|"
                       r"publication|journal|article|paper|url|link|available at)\b", re.I)
# What the answer must hold, by the shape of the question (generic English, not tuned per question):
# a quantity asked for ("what is the budget of ...", "what does it cost") needs a number in the answer.
_QUANTITY_Q = re.compile(r"\b(?:what|how much)\s+(?:does|did|do|will|would)\s+(?:it|they|\w+)\s+cost\b|"
                         r"\bwhat(?:'s|s|\s+(?:is|was|are|were))\s+(?:the\s+|its\s+|their\s+)?(?:\w+\s+)?"
                         r"(?:budget|cost|price|revenue|population|gdp|salary|fee|fees|headcount|turnover|valuation)\b(?!\s+(?:model|structure|"
                         r"process|mechanism|source|sources|plan|category|categories))", re.I)
_NUMBER_WORD = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                          r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|"
                          r"dozens|half|quarter|third|decade|decades)\b", re.I)
_MONEY = re.compile(r"[$€£¥]|\b(?:usd|cny|eur|rmb|dollars?|yuan|euros?|million|billion|trillion)\b", re.I)
_HOW_MUCH = re.compile(r"\bhow\s+much\b", re.I)  # "how much funding ..." asks an amount, not "four other MICs"
_MONEY_Q = re.compile(r"\b(?:cost|costs|price|fee|fees|budget|revenue|salary|spend|spent|funding|money|pay|pays|paid)\b",
                      re.I)
# "... are determined by China's Ministry ...": a passive with its agent says who does it, in other words
_PASSIVE_AGENT = re.compile(r"\b(?:is|are|was|were)\s+(?:\w+\s+)?\w+(?:ed|en)\s+by\s+(?:the\s+)?[A-Z]")
# an ordinal that picks one thing ("the second MIC"), not one that opens a span ("its first five years")
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)\b"
                      r"(?!\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|few|several|couple)\b)", re.I)
# Acronym-list entries answer "what does X stand for", nothing else.
_DEFINITION_Q = re.compile(r"\b(stand|stands|mean|means|meaning|acronym|abbreviation|abbreviate|short for|full name|"
                           r"spelled out|spell out|expand|expansion|refer to|refers to|define|definition)\b", re.I)
# A question about where a statement comes from: the answer names the report's references it cites.
_ASKS_SOURCE = re.compile(r"\b(?:which|what|whose|what's|whats)\s+(?:\w+\s+)?(?:source|sources|reference|study|studies|"
                          r"survey|article|paper|database|translation|version|edition|publication|publications)\b|"
                          r"\b(?:cite|cites|cited|citation|sourced|according to whom|"
                          r"who (?:reported|found|says|said|estimated))\b|\bwhere\s+(?:do|does|did)\b.*\bcome from\b", re.I)
_CAPTION = re.compile(r"^\W*(?:figure|fig\.|table)\s+[A-Z]?\d+(?:\.\d+)*\s*:", re.I)
# "how does X differ from Y", "vs": the question's framing, not what it asks about
FRAMING_TOKENS = frozenset(tokens(FRAMING_WORDS))
_SOURCE_WORDS = set(tokens(SOURCE_WORDS))
def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"),
                           (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


_MONTH_NAMES = frozenset("january february march april may june july august september october november december".split())
_LABELLED = re.compile(r"\b([A-Za-z][a-z]+)\s+(\d{1,3})\b(?![.,]\d|\s*%)")
# "Figure 7", "Fig. 9", "figures 9 to 11": the figures a question asks about, by number
_FIGURE_REF = re.compile(r"\b(?:figures?|figs?\.?)\s+(\d+)\b", re.I)
# a question about a figure that asks where its data is from, in words beyond the source words ("what dataset")
_FIGURE_SOURCE_WORDS = _SOURCE_WORDS | set(tokens(FIGURE_SOURCE_WORDS))
_PART_REF = re.compile(r"\b(?:table|figure|fig\.|section|appendix|chapter|part|box)\s+[A-Z]?\d+(?:\.\d+)*\b", re.I)
# question words and answer framing ("named on the title page"): neither a name nor an attribute to find
_ANSWER_FRAME = {t for w in ANSWER_FRAME_WORDS for t in tokens(w)}
_FRAME_TOKENS = {t for w in QUESTION_WORDS for t in tokens(w)} | _ANSWER_FRAME


def _in_footnote(u: Unit) -> bool:
    """Is this unit part of a footnote paragraph set in the text flow ("*GDP numbers were ...", "^{**2023} ...")?"""
    text = u.chunk.text
    para_start = text.rfind("\n\n", 0, u.start)
    head = text[para_start + 2 if para_start >= 0 else 0:u.start + 2].lstrip()
    return head.startswith(("^{", "*"))


def _initials(text: str) -> set[str]:
    """A name the acronym list lacks stands for its initials too ("Congressional Research Service": CRS), and
    dotted, as names of two words are written ("United States": U.S.)."""
    got: set[str] = set()
    for m in _CAPITAL_RUN.finditer(text):
        words = m.group(0).split()
        for ws in (words, [w for w in words if w[0].isupper()]):
            if len(ws) >= 2:
                got |= {"".join(w[0] for w in ws).lower(), ".".join(w[0] for w in ws).lower()}
    return got


def _parent_item(text: str, at: int) -> str | None:
    """The first line of the list item that the indented item at ``at`` stands under (None: not a sub-item)."""
    line_start = text.rfind("\n", 0, at) + 1
    if not re.match(r"[ \t]+[-•]\s", text[line_start:at + 3]):
        return None
    for m in reversed(list(re.finditer(r"(?m)^[-•]\s[^\n]*", text[:line_start]))):
        return m.group(0)
    return None


def _pairs_in(text: str, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs of words that stand next to each other in the text (as tokens)."""
    return pairs & _adjacent(text) if pairs else set()


@lru_cache(maxsize=16384)
def _adjacent(text: str) -> frozenset[tuple[str, str]]:
    """The text's pairs of adjacent tokens (read once per sentence: the report's sentences come back question after
    question, and stemming them each time cost a quarter of a warm answer)."""
    t = tokens(text)
    return frozenset(zip(t, t[1:], strict=False))


def _opens_paragraph(u: Unit) -> bool:
    """Does this unit start its paragraph (or its passage)?"""
    text = u.chunk.text
    return text[max(0, text.rfind("\n\n", 0, u.start)):u.start].strip() == ""


_CHANGE_HEADERS = frozenset(tokens(" ".join(CHANGE_HEADER_WORDS)))
# a statement closes with a stop, perhaps behind a quote mark and the report's own citation marker ("... 2025. [4]")
ENDS_STATEMENT = re.compile(r"[.!?:;][\"”')\]]*\s*(?:\[\d+(?:[,\s–-]+\d+)*\])?\s*$")


def _is_heading(u: Unit) -> bool:
    """A paragraph of its own that is no statement (no closing stop) and no bullet: the title of what follows
    (an inset box's title such as "Regional Strategies for Dams")."""
    text = u.chunk.text
    before, after = text[:u.start], text[u.end:]
    alone = (not before.strip() or before.rstrip(" ").endswith("\n\n")) and \
        (not after.strip() or after.lstrip(" ").startswith("\n\n"))
    # (the front matter's lines stand alone too: "Approved by ... on 2025-04-28" heads nothing)
    return alone and not ENDS_STATEMENT.search(u.text) and not _in_bullet(u) and u.chunk.kind == "prose" \
        and u.chunk.section_number is not None


def _in_bullet(u: Unit) -> bool:
    """Is this unit part of a bullet paragraph ("- item. Its second sentence.")?"""
    text = u.chunk.text
    para_start = max(text.rfind("\n\n", 0, u.start), text.rfind("\n-", 0, u.start), text.rfind("\n•", 0, u.start))
    head = text[para_start:u.start].lstrip() if para_start >= 0 else text[:u.start].lstrip()
    first = head or u.text.lstrip()
    return first[:1] in "-•*" or first[:2] == "o "


_WHO_VERB = re.compile(r"^\s*who\s+(?:(?:typically|usually|jointly|actually|currently|first)\s+)?([a-z]+(?:s|ed))\b",
                       re.I)
_ROLE = set(tokens(ROLE_WORDS))
_SOURCE_LIST_SECTIONS = frozenset(tokens(SOURCE_LIST_SECTION_WORDS))
_REFERENCE_FIELDS = frozenset(tokens(REFERENCE_FIELD_WORDS))
_CAPITAL_RUN = re.compile(r"\b(?!The\b)[A-Z][a-z]+(?:\s+(?:of|and|for|the|on)?\s*[A-Z][a-z]+)+")
_NARROWER: dict[str, frozenset[str]] = {t: frozenset(tokens(narrow)) for broad, narrow in BROADER_WORDS.items()
                                         for t in tokens(broad)}
_DIGIT_WORDS = {str(i): w for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_LONG_STEM: dict[str, str] = {short[0]: full[0] for short, full in ((tokens(a), tokens(b)) for a, b in SHORT_FORMS.items())
                               if short and full}
_WHEN_Q = re.compile(r"(?:,|\band)\s+(?:(?:over|in|during|for)\s+)?(?:what|which)\s+(?:years|period)\b|"
                     r"^\s*(?:around|roughly|approximately|about)\s+when\b|"
                     r",\s*(?:in|on|by|as of)\s+(?:what|which)\s+(?:years?|dates?|months?|day)\b|^\s*(?:when\b|(?:(?:in|on|by|as of)\s+)?(?:what|which)\s+(?:(?:were|was|is|are)\s+the\s+)?(?:exact\s+|precise\s+)?"
                     r"(?:years?|dates?|months?|decades?|day)\b|since when\b|(?:the\s+)?(?:date|year)\s+of\b)", re.I)
# month names as names (capitalised): the modal "may" is no date
_DATE = re.compile(r"\b(?:1[89]\d\d|20\d\d)s?\b|\b(?:January|February|March|April|May|June|July|August|September|"
                   r"October|November|December)\b|\b(?i:decade|century)\b")
_INTRODUCES_LIST = re.compile(r"\b(?:the following|as follows)\b", re.I)
_ABBREV_RE = re.compile(r"\b(" + "|".join(NAME_ABBREVIATIONS) + r")\.", re.I)
# A sentence that refers back ("this MIC", "It") is about what the sentence before it names.
_BACKREF = re.compile(r"\b(?:this|these|such|the same)\s+(?:\w+\s+)?(?:mics?|centers?|centres?|institutes?|"
                      r"programs?|plans?|initiatives?|strateg(?:y|ies)|polic(?:y|ies)|funds?|cit(?:y|ies)|compan(?:y|ies)|entit(?:y|ies)|models?|"
                      r"groups?|networks?|hubs?|regions?|provinces?|sectors?|laborator(?:y|ies))\b"
                      r"|^\W*(?:it|they|this|these)\b"
                      r"|\bthe\s+(?:mics?|centers?|centres?|institutes?|labs?|laborator(?:y|ies)|plan|strategy|policy|"
                      r"initiative)\b(?!\s+(?:of|for|in)\b)", re.I)
_REF_Q = re.compile(r"\b(?:reference|ref\.?|citation|source|footnote|entry)\s*(?:no\.?|number|#)?\s*\[?(\d{1,3})\]?"
                    r"|\[(\d{1,3})\]", re.I)


_NUMBER = re.compile(r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
                     r"hundreds?|thousands?)\b", re.I)


def _fitting(units: list[Unit], max_chars: int, keep: Iterable[Unit] = ()) -> list[Unit]:
    """The units that fit ``max_chars`` (at least one), never ending on a lead-in whose list was cut off, unless it
    is one of ``keep`` (a candidate answer: "... estimate state bank investments will exceed 10 billion CNY
    annually:" says the figure asked for before its quotation)."""
    out: list[Unit] = []
    length = 0
    for u in units:
        n = _shown_chars(u)
        # what a lead-in introduces comes with it, even past the limit
        if out and length + n > max_chars + 5 and not ends_with_colon(out[-1].text):
            break
        out.append(u)
        length += n
    kept = {id(u) for u in keep}
    while len(out) > 1 and ends_with_colon(out[-1].text) and id(out[-1]) not in kept:
        out.pop()
    return out


def _shown_chars(u: Unit) -> int:
    """The room a unit takes in an answer: its text as shown, and its citation marker."""
    return len(strip_report_markers(u.text.strip())) + 5


def _room_for_candidates(units: list[Unit], chosen: list[Unit], max_chars: int) -> list[Unit]:
    """A list a candidate introduces gives up its last items (its first stays) before a later candidate answer
    is cut: the reader sees every candidate, cited."""
    out = list(units)

    def picked(u: Unit) -> bool:
        return any(u is c for c in chosen)

    while sum(_shown_chars(u) for u in out) > max_chars:
        last = max((i for i, u in enumerate(out) if picked(u)), default=-1)
        drop = [i for i in range(1, last) if not picked(out[i]) and not picked(out[i - 1])]
        if not drop:
            break
        del out[drop[-1]]
    return out


def ends_with_colon(text: str) -> bool:
    """A lead-in ("... as follows:"), also when the report's own marker follows the colon ("...: [27]")."""
    return strip_report_markers(text).rstrip().endswith(":")


def asks_number(question: str) -> bool:
    """Questions whose answer is a figure: "how many", "what percent", "what is the budget of", "when"."""
    return bool(_NUMERIC_Q.search(question) or _QUANTITY_Q.search(question))


_YEAR = re.compile(r"(?<![\d.,$])(?:19|20)\d\d(?![\d%])")
_YEAR_NUMBER = re.compile(r"(?<![\d.,$])(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)?\d\d)?(?![\d%])")
_PEOPLE_STEMS = frozenset(t for w in PEOPLE_WORDS for t in tokens(w))


def _without(text: str, numbers: set[str]) -> str:
    """The text with these numbers taken out (as whole numbers, not inside longer ones)."""
    for n in numbers:
        text = re.sub(rf"(?<![\d.,]){re.escape(n)}(?![\d]|[.,]\d)", " ", text)
    return text


def has_number(text: str, money: bool = False) -> bool:
    """A figure in the text itself, not in the report's citation markers ("[41]").

    ``money``: "what does it cost" wants an amount of money ("$540", "300 billion CNY"), not "Ten
    years later" or "in 2014".
    """
    t = _PART_REF.sub(" ", strip_report_markers(text))  # "as shown in Fig. 4" names a part, not a figure
    if money:
        return bool(_MONEY.search(t))
    return bool(_HAS_NUM.search(t) or _NUMBER_WORD.search(t))


@dataclass(frozen=True)
class AnswerKind:
    """The kind of answer a question asks for, read once: a year or date ("when"), a figure ("how many"), an
    amount of money ("what does it cost"), never a figure the question already gives ("what share ... for 2025?")."""

    date: bool
    number: bool
    money: bool
    given: frozenset[str]
    count: bool = False  # "how many X", "the number of X": a count, which a year ("released in 2015") is not
    currency: str | None = None  # "... in US dollars": the amount must be written in it (rag/vocab.py CURRENCIES)
    # "who is the director of X": a person, named by capitalised words the question does not use (its words)
    person: frozenset[str] | None = None
    share: bool = False  # "what percentage / share of ...": a share (a percent or a fraction), not any figure

    @classmethod
    def of(cls, question: str) -> AnswerKind:
        bare = _PART_REF.sub(" ", _PHRASING.sub(" ", question))
        # "When MIIT announces a topic, how many ...": the "when" opens a clause, the question is what follows
        return cls(date=bool(_WHEN_Q.search(question)) and not WHEN_CLAUSE_LEAD.match(question),
                   number=asks_number(question),
                   money=bool((_QUANTITY_Q.search(question) or _HOW_MUCH.search(question))
                              and _MONEY_Q.search(question)),
                   given=frozenset(m.group(0) for m in re.finditer(r"\d[\d,.]*\d|\d", bare)),
                   count=counted_stem(question) is not None,
                   currency=next((c for c, (asked, _w) in CURRENCIES.items() if re.search(asked, question, re.I)), None),
                   person=frozenset(tokens(question)) if _PERSON_Q.search(question) else None,
                   share=bool(_SHARE_Q.search(question)))

    def held_by(self, text: str) -> bool:
        """"When ...?" is not answered by "four other MICs", nor "What does it cost ...?" by a sentence without
        a figure."""
        if self.date and not _DATE.search(strip_report_markers(text)):
            return False
        if self.currency and not re.search(CURRENCIES[self.currency][1], text, re.I):
            return False
        if self.person is not None and not _names_someone(text, self.person):
            return False
        if self.share and not _SHARE.search(_without(strip_report_markers(text), set(self.given))):
            return False
        if self.count and not self.date:
            text = _YEAR_NUMBER.sub(" ", text)
        if not self.number:
            return True
        if has_number(_without(text, set(self.given)), money=self.money):
            return True
        # "how much capacity has China built?": "enough factories to supply the entire world's needs" says how much
        return not (self.money or self.count or self.share) and bool(RELATIVE_QUANTITY.search(text))


_SHARE_Q = re.compile(r"\bwhat\s+(?:percent|percentage|share|fraction|proportion|portion)\b|"
                      r"\bhow\s+(?:large|big|much)\s+(?:a\s+|of\s+a\s+)?(?:share|fraction|proportion|portion)\b", re.I)
_SHARE = re.compile(r"\d\s*%|\bper\s?cent|\bhalf\b|\bthirds?\b|\bquarters?\b|\bfifths?\b|\btenths?\b|\bmajority\b",
                    re.I)
_ROLE_WORDS = PERSON_ROLES.split()
_PERSON_Q = re.compile(r"\bwho\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[\w'’]+\s+){0,2}?(?:" + "|".join(_ROLE_WORDS)
                       + r")s?\b|\bname\s+of\s+(?:the\s+)?(?:[\w'’]+\s+){0,3}?(?:" + "|".join(_ROLE_WORDS) + r")s?\b", re.I)
_NAME_RUN = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*(?:\s+(?:[A-Z]\.\s*)*[A-Z][a-z]+(?:-[A-Z][a-z]+)*)+")
_ORGANISATION = frozenset(tokens(ORGANISATION_WORDS))
_ROLE_STEMS = frozenset(tokens(PERSON_ROLES)) | frozenset(tokens(ROLE_QUALIFIERS))


def _names_someone(text: str, asked: frozenset[str]) -> bool:
    """Does the text name someone: two capitalised words or more (initials between) that are no word of the
    question, no role ("Vice Minister") and no place ("In Beijing")? "Howard Lutnick, Secretary" does; "The Vice
    Minister of MIIT is also the director" does not."""
    for m in _NAME_RUN.finditer(text):
        if set(tokens(m.group(0))) & _ORGANISATION:
            continue  # a body's name ("... Research Institute", "Accelink Technologies")
        run = 0  # capitalised words in a row that are none of those
        for w in re.findall(r"[A-Za-z]+", m.group(0)):
            if len(w) == 1:
                continue  # an initial ("Karen M. Sutter")
            toks = tokens(w)
            new = bool(toks) and not any(t in asked or t in _ROLE_STEMS for t in toks)
            run = run + 1 if new else 0
            if run >= 2:
                return True
    return False


@dataclass
class Unit:
    chunk: Chunk
    rank: int
    start: int  # offsets within chunk.text
    end: int
    toks: set[str]
    sim: float = 0.0  # cosine of the question and this unit (0 when no vector)
    # the words of the sentence before, when this one refers back to it ("... jointly initiated the MIC")
    borrowed: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]


@dataclass
class Drafted:
    """An answerer's answer. Its body is typed: ``segments``, the shown text piece by piece with the
    citation marker after each piece (rag/records.py ``Segment``); ``text`` is rendered from them."""

    segments: list[Segment]
    raw_text: str
    citations: list[Citation]
    refused: bool
    related: list[ScoredChunk]
    contexts: list[ScoredChunk] | None = None  # re-ranked by sentence scores, when the text path ran
    warnings: list[str] = field(default_factory=list)  # what a check removed or could not support
    standalone: str | None = None  # the question as the answerer read it, when it rewrote it (LLM condensing)

    @property
    def text(self) -> str:
        """The answer as shown, with its "[n]" markers."""
        return render(self.segments)

    @classmethod
    def refusal(cls, related: list[ScoredChunk] | None = None, contexts: list[ScoredChunk] | None = None,
                raw: str = CANNOT_ANSWER, warnings: list[str] | None = None,
                standalone: str | None = None, why: str | None = None) -> Drafted:
        """The one refusal sentence (with the reason after it when one is known), and the passages offered instead."""
        text = f"{CANNOT_ANSWER[:-1]}: {why}" if why else CANNOT_ANSWER
        return cls([Segment(text)], raw, [], True, related or [], contexts, warnings or [], standalone)


class IDF:
    """Inverse document frequency over chunks (``document_frequencies`` is what ingest stores as df.json)."""

    def __init__(self, chunks: list[Chunk], df: dict[str, int] | None = None) -> None:
        self.n = max(len(chunks), 1)
        self.df = df if df is not None else document_frequencies(chunks)

    def __call__(self, tok: str) -> float:
        return math.log(1 + (self.n - self.df.get(tok, 0) + 0.5) / (self.df.get(tok, 0) + 0.5))


def document_frequencies(chunks: list[Chunk]) -> dict[str, int]:
    df: Counter[str] = Counter()
    for c in chunks:
        df.update(set(tokens(c.embed_text)))
    return dict(df)


def units_of(sc: ScoredChunk, rank: int) -> list[Unit]:
    c = sc.chunk
    return [Unit(c, rank, a, b, set(toks)) for a, b, toks in unit_tokens(c.kind, c.text)]


class GroundedAnswerer:
    def __init__(self, chunks: list[Chunk], references: dict[tuple[str, int], ReportReference],
                 vectors: dict[str, np.ndarray] | None = None, expander=None, df: dict[str, int] | None = None,
                 front: FrontMatter | None = None, settings: AnswerSettings | None = None,
                 neighbours: WordNeighbours | None = None) -> None:
        self.s = settings or AnswerSettings()
        self.neighbours = neighbours  # the report's words near in meaning to a word it never uses
        self.front = front
        self.vectors = vectors or {}
        self.expander = expander
        # acronyms written out, per chunk (computed when a chunk is first scored, so start-up stays flat)
        self.chunk_extra: dict[str, set[str]] = {}
        self.unit_extra: dict[tuple[str, int], set[str]] = {}  # the same, per sentence (chunk id, start)
        self.chunk_toks: dict[str, set[str]] = {}
        self.chunk_src: dict[str, set[str]] = {}
        self.source_lists: dict[str, bool] = {}  # per passage: is it in a section that lists sources?
        self.headings: dict[str, set[str]] = {}  # per passage: its heading's words and initials
        self.idf = IDF(chunks, df)
        # a word the report never uses weighs no more than its rarest word: it may just be a synonym
        self.max_idf = self.idf("\x00never-seen") * self.s.unknown_word_idf_share
        self.references = references
        self.table_chunks = {(c.doc_id, c.table_id): c for c in chunks if c.kind == "table" and c.table_id}
        self.figure_chunks = {(c.doc_id, m.group(1)): c for c in chunks if c.kind == "figure_caption"
                              and (m := _FIGURE_REF.match(c.text.lstrip())) is not None}
        self.ref_chunks = {(c.doc_id, c.row_index): c for c in chunks if c.kind == "reference" and c.row_index is not None}
        self.doc_order = list(dict.fromkeys(c.doc_id for c in chunks))
        # the prose passage that continues each one (same document and section), for lists split between passages
        prose = sorted((c for c in chunks if c.kind == "prose"), key=lambda c: (c.doc_id, c.start))
        pairs = [(a, b) for a, b in zip(prose, prose[1:], strict=False)
                 if a.doc_id == b.doc_id and a.section_path == b.section_path]
        self.next_prose = {a.id: b for a, b in pairs}
        self.prev_prose = {b.id: a for a, b in pairs}
        self._chunks = chunks
        self.things: ThingNames | None = None  # the things the tables name (set by the engine)
        self.places: PlaceNames | None = None  # ... and their places
        self.item_words: dict[tuple[str, int], frozenset[str]] = {}  # _item_words, by sentence
        self._terms: set[tuple[str, str]] | None = None  # the documents' two-word terms, read on first use

    def terms_asked(self, question: str, attr: set[str]) -> list[tuple[str, str]]:
        """Two-word terms of the documents the question uses for what it asks ("registered capital"): an answer
        holds both words; one of them alone ("capital" of a city) is another thing."""
        if self._terms is None:
            self._terms = set()
            for c in self._chunks:
                if c.kind in ("prose", "figure_caption"):
                    for sent in re.split(r"[.;:,()\n]", c.text):
                        t = tokens(sent)
                        self._terms.update(zip(t, t[1:], strict=False))
        t = tokens(_PHRASING.sub(" ", question))
        return [(a, b) for a, b in zip(t, t[1:], strict=False) if a in attr and b in attr and (a, b) in self._terms
                and max(self.idf.df.get(a, 0), self.idf.df.get(b, 0)) <= self.s.term_max_df]

    # ------------------------------------------------------------------ scoring
    @staticmethod
    def content_tokens(question: str) -> set[str]:
        """The question's terms a passage should hold: without the words that only frame the question."""
        # "how fast", "so far", "besides" shape the question; the passage will not repeat them
        toks = set(tokens(LIGHT_VERB_PHRASES.sub(" ", _PHRASING.sub(" ", EXCLUSION_PHRASE.sub(" ", question)))))
        if _ASKS_SOURCE.search(question):
            toks -= _SOURCE_WORDS  # "which source is cited for X": the passage says X, not "source"
        # "how does X differ from Y": the answer states X and Y, not "differ"; nor "named on the title page"
        return toks - FRAMING_TOKENS - _ANSWER_FRAME

    def _counts(self, text: str, counted: str) -> bool:
        """Does a number stand shortly before the counted thing (or an acronym that writes it out: "33 MICs")?"""
        plain = strip_report_markers(text)
        people = counted in _PEOPLE_STEMS  # "how many people": "5,000 staff members" counts people too
        for m in _NUMBER.finditer(plain):
            if plain[m.end():m.end() + 1] in (",", ";", ":", ")") or re.match(r"\s+or\s+more\b", plain[m.end():]):
                # "In 2019, State Key Laboratories employed ...": the number ends its clause, it counts nothing; nor
                # does "one or more State Key Laboratory designations" say how many there are
                continue
            for word in re.findall(r"[A-Za-z][\w'-]*", plain[m.end():m.end() + 80])[:self.s.count_window]:
                if tokens(word)[:1] in ([counted], *([t] for t in self.like(counted))) or (
                        people and word.lower() in PEOPLE_NOUNS):
                    return True
                if self.expander is not None and any(tokens(e)[-1:] == [counted]
                                                     for e in self.expander.expansions(word)):
                    return True
        return False

    def _weights(self, question: str) -> dict[str, float]:
        weights = {t: min(self.idf(t), self.max_idf) for t in self.content_tokens(question)}
        if self.neighbours is not None:
            for w in words(question):
                t = stem(w)
                if t in weights and not self.idf.df.get(t, 0) and len(w) >= self.s.neighbour_min_chars:
                    self.neighbours.look_up(w)
        return weights

    def like(self, tok: str) -> frozenset[str]:
        """Words that meet ``tok``: its SAME_MEANING group, and for a word the report never uses, its neighbours
        (looked up by ``_weights``)."""
        near = self.neighbours.of(tok) if self.neighbours is not None else frozenset()
        return alike(tok) | near | _NARROWER.get(tok, frozenset())

    def split_terms(self, question: str) -> tuple[set[str], set[str]]:
        """(entity terms, attribute terms): capitalised names and acronyms vs the rest of the question."""
        entity = set().union(*self.entity_phrases(question)) if question else set()
        allt = self.content_tokens(question) - _FRAME_TOKENS
        return entity & allt, allt - entity

    def entity_phrases(self, question: str) -> list[set[str]]:
        """The names in a question, as runs of capitalised words, acronyms and years ("Manufacturing USA")."""
        phrases: list[set[str]] = []
        run: set[str] = set()
        prev_end = -1
        for i, m in enumerate(re.finditer(r"[A-Za-z][\w'&.-]*|\d+(?:st|nd|rd|th)?\b|\d+", question)):
            w = m.group(0)
            acronym = bool(re.fullmatch(r"[A-Z][A-Z0-9&.]+s?", w))
            is_name = w.lower() not in QUESTION_WORDS and not (
                # an unknown abbreviation ("CEO", "KPIs") is what is asked about, not a name the report uses
                acronym and all(self.idf.df.get(t, 0) == 0 for t in tokens(w))
            ) and ((w[0].isupper() and i > 0) or acronym or re.fullmatch(r"(19|20)\d\d|\d+(?:st|nd|rd|th)", w))
            toks = set(tokens(w)) if is_name else set()
            # a run continues over spaces and hyphens only ("GDP of Hubei" is two names)
            if toks and run and question[prev_end:m.start()].strip(" -") == "":
                run |= toks
            elif toks:
                if run:
                    phrases.append(run)
                run = set(toks)
            elif run:
                phrases.append(run)
                run = set()
            prev_end = m.end()
        if run:
            phrases.append(run)
        return [p for p in phrases if p]

    @staticmethod
    def labels(question: str) -> list[tuple[str, re.Pattern[str]]]:
        """Numbered labels the question names ("Category 3", "phase 2"): (the number, a pattern the answer must
        match). A part of the report ("Table 2") says where to look, not what to find."""
        bare = _PART_REF.sub(" ", question)
        out = []
        for m in _LABELLED.finditer(bare):
            word = m.group(1)
            if word.lower() in LABEL_NOUNS or (word[0].isupper() and m.start() > 0 and word.lower() not in QUESTION_WORDS
                                               and word.lower() not in _MONTH_NAMES):
                n, noun = m.group(2), re.escape(stem(word.lower()))
                alts = [rf"\b{noun}\w*\s*[:#-]?\s*(?:{n}|{_roman(int(n))})\b"]  # "Article 36" is also "Article XXXVI"
                if 0 < int(n) <= len(ORDINAL_WORDS):  # "phase 3" is also "the third (investment) phase"
                    alts.append(rf"\b(?:{ORDINAL_WORDS[int(n) - 1]}|{n}(?:st|nd|rd|th))\s+(?:[\w-]+\s+){{0,2}}{noun}")
                out.append((n, re.compile("|".join(alts), re.I)))
        return out

    @staticmethod
    def asked_verb(question: str) -> str | None:
        """The verb of a "Who <verb>s ...?" question ("chairs", "convenes"), stemmed: the answer must say it."""
        m = _WHO_VERB.match(question)
        if not m or m.group(1).lower() in NOT_ASKED_VERBS:
            return None
        toks = tokens(m.group(1))
        return toks[0] if toks else None

    def asks_definition(self, question: str) -> bool:
        """"What does CAE stand for?", "What is MIIT?": a question an acronym-list entry answers."""
        if _DEFINITION_Q.search(question):
            return True
        rest = [w for w in re.findall(r"[A-Za-z][\w'&.-]*", question) if w.lower() not in QUESTION_WORDS
                and w.lower() not in ("is", "are", "was")]
        return bool(rest) and all(w.isupper() for w in rest)

    def coverage(self, weights: dict[str, float], toks: set[str]) -> float:
        total = math.fsum(weights.values()) or 1.0
        # a short form asked ("lab") is met by the word in full ("laboratory")
        return math.fsum(w for t, w in weights.items() if t in toks or _LONG_STEM.get(t, "") in toks
                         or not self.like(t).isdisjoint(toks)) / total

    def _unit_extra(self, u: Unit) -> set[str]:
        """Tokens of the acronyms a sentence uses, written out: "CDB pledged" names the China Development Bank."""
        key = (u.chunk.id, u.start)
        got = self.unit_extra.get(key)
        if got is None:
            # and the other way: "manufacturing innovation centers" in a sentence meets "MICs" in the question
            got = set(tokens(" ".join(self.expander.expansions(u.text) + self.expander.acronyms_written(u.text)))) \
                if self.expander is not None else set()
            got |= _initials(u.text)
            self.unit_extra[key] = got
        return got

    def neighbour(self, u: Unit, after: bool = False) -> Unit | None:
        """The sentence just before (or after) ``u``: in its passage, else the last (first) of the passage before
        (after) it in the same section."""
        same = [v for v in units_of(ScoredChunk(u.chunk, 0.0), u.rank)
                if (v.start >= u.end if after else v.end <= u.start)]
        if not same:
            other = (self.next_prose if after else self.prev_prose).get(u.chunk.id)
            same = units_of(ScoredChunk(other, 0.0), u.rank) if other is not None else []
        if not same:
            return None
        return same[0] if after else same[-1]

    def _item_words(self, u: Unit) -> frozenset[str]:
        """The words (acronyms written out) of the list item a sub-item stands under; none for any other sentence.
        Read once per sentence."""
        key = (u.chunk.id, u.start)
        got = self.item_words.get(key)
        if got is None:
            parent = _parent_item(u.chunk.text, u.start)
            written = self.expander.acronyms_written(parent) if parent and self.expander is not None else []
            got = self.item_words[key] = frozenset(tokens(" ".join([parent, *written]))) if parent else frozenset()
        return got

    def _continues(self, chunk: Chunk) -> bool:
        """Does this passage begin inside the paragraph its previous passage ends in? The chunker splits a long
        paragraph between sentences (one space between the passages) and paragraphs at blank lines."""
        before = self.prev_prose.get(chunk.id)
        return before is not None and chunk.start - before.end == 1 and not chunk.text.lstrip().startswith(("-", "•"))

    def _lead_of(self, u: Unit) -> Unit | None:
        """The lead-in (a sentence ending in ":") before the paragraph ``u`` is in, read back over passages."""
        v = self.neighbour(u)
        for _ in range(self.s.lead_back_sentences):
            if v is None:
                return None
            first_of_passage = v.start == min(w.start for w in units_of(ScoredChunk(v.chunk, 0.0), v.rank))
            if _opens_paragraph(v) and not (first_of_passage and self._continues(v.chunk)):
                before = self.neighbour(v)
                return before if before is not None and ends_with_colon(before.text) else None
            v = self.neighbour(v)
        return None

    def _extra(self, chunk: Chunk) -> set[str]:
        """Tokens of the acronyms a chunk uses, written out: "U.S." in a passage meets "United States"."""
        got = self.chunk_extra.get(chunk.id)
        if got is None:
            got = set(tokens(" ".join(self.expander.expansions(chunk.text)))) if self.expander is not None else set()
            self.chunk_extra[chunk.id] = got
        return got

    def source_tokens(self, text: str, doc_id: str) -> set[str]:
        """Who a passage cites ("[25]" -> Conroy, *Nature*): "per the Nature article" names its source."""
        out: set[str] = set()
        for n in report_marker_numbers(text):
            ref = self.references.get((doc_id, n))
            if ref is not None:
                out.update(tokens(f"{ref.authors} {ref.venue or ''}"))
        return out

    def chunk_sources(self, chunk: Chunk) -> set[str]:
        got = self.chunk_src.get(chunk.id)
        if got is None:
            got = self.source_tokens(chunk.text, chunk.doc_id) if chunk.kind != "reference" else set()
            self.chunk_src[chunk.id] = got
        return got

    def passage_tokens(self, chunk: Chunk) -> set[str]:
        """Words of a passage (section path included), its acronyms written out, and the sources it cites."""
        got = self.chunk_toks.get(chunk.id)
        if got is None:
            got = set(tokens(chunk.embed_text)) | self._extra(chunk) | self.chunk_sources(chunk)
            got |= demonyms_of(got)
            self.chunk_toks[chunk.id] = got
        return got

    def unit_sim(self, u: Unit, query_vec: np.ndarray | None) -> float:
        if query_vec is None:
            return 0.0
        key = sentence_key(u.chunk.id, u.start, u.end) if u.chunk.kind in ("prose", "figure_caption") else u.chunk.id
        v = self.vectors.get(key)
        if v is None or u.chunk.kind == "table":
            return 0.0
        return float(np.dot(v, query_vec))

    def score_units(self, question: str, contexts: list[ScoredChunk],
                    query_vec: np.ndarray | None = None) -> list[tuple[float, float, Unit]]:
        weights = self._weights(question)
        numeric = bool(_NUMERIC_Q.search(question))
        about_sources = bool(_SOURCE_Q.search(question))
        defines = self.asks_definition(question)
        asks_source = bool(_ASKS_SOURCE.search(question))
        counted = counted_stem(question)
        scored: list[tuple[float, float, Unit]] = []
        for rank, sc in enumerate(contexts):
            extra = self._extra(sc.chunk)
            chunk_toks = self.passage_tokens(sc.chunk)
            units = units_of(sc, rank)
            # a passage's first sentence may refer back to the last one of the passage before it
            prev: Unit | None = self.neighbour(units[0]) if units else None
            while prev is not None and _in_footnote(prev):
                prev = self.neighbour(prev)  # a footnote set between two paragraphs is not what "this" refers to
            # the lead-in ("As quoted by the SCSP:") of the paragraph being read; a passage that begins inside a
            # paragraph (split between two sentences) reads on under the lead-in of the passage before
            lead: Unit | None = self._lead_of(units[0]) if units and self._continues(sc.chunk) else None
            for i, u in enumerate(units):
                if _opens_paragraph(u) and not (i == 0 and self._continues(sc.chunk)):
                    lead = prev if prev is not None and ends_with_colon(prev.text) else None
                u.toks |= extra | self._unit_extra(u)  # "Congressional Research Service" is the question's "CRS"
                if sc.chunk.kind != "reference":
                    u.toks |= self.source_tokens(u.text, u.chunk.doc_id)
                u.toks |= {NAME_ABBREVIATIONS[m.lower()] for m in _ABBREV_RE.findall(u.text)}
                u.sim = self.unit_sim(u, query_vec)
                cov_s = self.coverage(weights, u.toks)
                if prev is not None and _BACKREF.search(u.text):
                    u.borrowed = self._antecedent_toks(u, prev) - u.toks
                if lead is not None:
                    u.borrowed |= lead.toks - u.toks  # a quotation is what its lead-in says it is, and whose
                if sc.chunk.kind == "prose":
                    # a sub-item ("  - A pilot plant ... 890 million CNY") is about its item ("- In Beijing, the
                    # National Power Battery ... Center ...")
                    u.borrowed |= self._item_words(u) - u.toks
                if sc.chunk.kind == "prose" and self._source_entry(u):
                    # an entry of "C.1. Congressional Research Service" is the CRS's: its heading names the publisher
                    u.borrowed |= self._publisher(sc.chunk) - u.toks
                if u.borrowed:
                    cov_s += self.s.backref_share * self.coverage(weights, u.borrowed)
                # a footnote set in the text flow ("*GDP numbers ...", "^{*}" before cleaning) is not what "this"
                # refers to
                if not _in_footnote(u):
                    prev = u
                cov_c = self.coverage(weights, u.toks | chunk_toks)
                cov = self.s.sentence_cov_share * cov_s + (1 - self.s.sentence_cov_share) * cov_c
                s = (1 - self.s.sim_weight) * cov + self.s.sim_weight * max(u.sim, 0.0) + self.s.rank_bonus / (1 + rank)
                if numeric:
                    s += self.s.number_bonus if _HAS_NUM.search(u.text) else -self.s.number_bonus
                if counted and self._counts(u.text, counted):
                    s += self.s.count_bonus  # "how many MICs": "33 MICs" says how many, "2016-2020" next to "MICs" does not
                if len(u.text) < self.s.fragment_chars:
                    s -= self.s.fragment_penalty  # headings and fragments say little
                if sc.chunk.kind == "reference" and not about_sources:
                    s -= self.s.reference_penalty  # bibliography entries repeat topic words but answer nothing by themselves
                if asks_source and (SOURCE_LINE.match(u.text) or report_marker_numbers(u.text)):
                    s += self.s.source_line_bonus  # "where does the data come from": the line that names the source
                if sc.chunk.kind == "acronym" and not defines:
                    s -= self.s.acronym_penalty  # "GDP: Gross Domestic Product" says nothing about a region's GDP
                scored.append((s, cov_c, u))
        scored.sort(key=lambda x: -x[0])
        return scored

    # ------------------------------------------------------------------ answering
    def answer(self, question: str, contexts: list[ScoredChunk], table: TableAnswer | None = None,
               row_chunk=None, query_vec: np.ndarray | None = None, max_chars: int | None = None) -> Drafted:
        ref = self._reference_answer(question, contexts) or self._front_answer(question, contexts) \
            or self._figure_source_answer(question, contexts)
        if ref is not None:
            return ref
        scored = self.score_units(question, contexts, query_vec) if contexts else []
        if table is not None and row_chunk is not None and not self._text_explains_more(question, table, scored,
                                                                                       contexts):
            drafted = self._table_answer(table, row_chunk)
            if drafted is not None:
                return drafted
        if not contexts:
            return Drafted.refusal()
        if not scored:
            return Drafted.refusal(contexts[:self.s.related_shown])
        reranked = self.rerank(contexts, scored)
        best_s, best_cov, best = scored[0]
        top_dense = max((sc.dense_sim or 0.0) for sc in contexts[:self.s.dense_rescue_top])
        if best_cov < self.s.min_coverage and not (top_dense >= self.s.dense_rescue and best_cov >= self.s.min_coverage_dense):
            return Drafted.refusal(reranked[:self.s.related_shown], reranked)
        lead = self._grounded_unit(question, scored[:self.s.grounding_candidates], contexts)
        if lead is None:
            return Drafted.refusal(reranked[:self.s.related_shown], reranked)
        # the answer leads with the best sentence that holds what was asked (a figure, the names ...)
        best_s = next(s_ for s_, _c, u_ in scored if u_ is lead)
        best = lead
        if _is_heading(lead):
            # a heading names what its paragraph says: the answer is that paragraph's opening
            body = [u for u in units_of(ScoredChunk(lead.chunk, 0.0), lead.rank) if u.start >= lead.end]
            if body and ENDS_STATEMENT.search(body[0].text):
                heads = body[:self.s.max_sentences - 1]
                drafted = self._compose(self._with_attribution(heads, contexts), max_chars, keep=heads)
                drafted.contexts = reranked
                return drafted

        weights = self._weights(question)
        # a runner-up is shown as another candidate answer: it holds the kind of answer asked for, as the lead does
        kind = AnswerKind.of(question)
        figures = set(_FIGURE_REF.findall(question))  # "what does Figure 7 track": not a sentence that does not say
        # "who owns the IP in China's MICs": not a runner-up about Germany's institutes
        places = self.places.asked(self.content_tokens(question)) if self.places is not None else frozenset()
        chosen = [best]
        covered = set(best.toks)
        # the question's words that stand together ("project IP"): a sentence that says them together says more
        # than one that has both words apart ("project plans ... IP")
        q_toks = [t for t in tokens(question) if t in weights]
        pairs = {(a, b) for a, b in zip(q_toks, q_toks[1:], strict=False) if a != b}
        said_pairs = _pairs_in(best.text, pairs)
        for s, _cov, u in scored[:self.s.runner_up_pool]:
            if u is best:
                continue
            if len(chosen) >= self.s.max_sentences:
                break
            gain = math.fsum(w for t, w in weights.items() if t in u.toks and t not in covered)
            new_pairs = _pairs_in(u.text, pairs) - said_pairs
            gain += math.fsum(min(weights[a], weights[b]) for a, b in new_pairs)
            total = math.fsum(weights.values()) or 1.0
            # a runner-up almost as good as the lead is shown too: the reader sees both candidates, cited
            # (a sentence that scored higher but failed the grounding checks is no candidate)
            close = len(chosen) == 1 and self.s.close_second * best_s <= s <= best_s
            if not kind.held_by(u.text) or figures and not self._shows_figure(u, figures):
                continue
            if self.places is not None and u.chunk.section_path != best.chunk.section_path \
                    and self.places.speaks_of_another(places, u.text, u.toks | u.borrowed):
                continue  # (the lead's own section speaks of what the lead does: "North China" of the Wuhan MIC)
            if (close or (gain / total >= self.s.min_gain and s >= self.s.min_score_share * best_s)) and \
                    not self._same(u, chosen):
                chosen.append(u)
                covered |= u.toks
                said_pairs |= new_pairs
        chosen = self._with_credit_lines(chosen)
        # keep the report's reading order within a passage
        chosen.sort(key=lambda u: (u.chunk.id != best.chunk.id, u.rank, u.start))  # the lead's passage first
        units = _room_for_candidates(self._with_list_items(chosen, contexts), chosen,
                                     self.s.max_answer_chars if max_chars is None else max_chars)
        drafted = self._compose(self._with_attribution(units, contexts), max_chars, keep=chosen)
        if _ASKS_SOURCE.search(question):
            drafted = self._with_sources(drafted)
        drafted.contexts = reranked
        return drafted

    def _with_sources(self, drafted: Drafted) -> Drafted:
        """A question about where a claim comes from: the answer names the entries the cited sentences cite."""
        seen: set[int] = set()
        lines: list[Segment] = []
        for c in drafted.citations:
            for ref in c.references:
                if ref.number not in seen and len(seen) < self.s.max_source_refs:
                    seen.add(ref.number)
                    # the report's reference number is words of the answer; the citation is the marker after them
                    lead = " Cited there: " if not lines else " "
                    lines.append(Segment(f"{lead}Reference [{ref.number}]: {ref.text} ", c.n))
        drafted.segments += lines
        return drafted

    def _text_explains_more(self, question: str, table: TableAnswer, scored: list[tuple[float, float, Unit]],
                            contexts: list[ScoredChunk]) -> bool:
        """A table answer leaves words of the question unaccounted for ("overtake", "nation"); the best
        sentence, when it holds most of them and passes the grounding checks, answers what was asked."""
        if not table.unexplained or not scored:
            return False
        _s, cov, best = scored[0]
        # (a sentence close in meaning may cover less, as a passage may when answering: dense_rescue)
        if best.chunk.kind not in ("prose", "figure_caption") or cov < self.s.min_coverage and not (
                best.sim >= self.s.dense_rescue and cov >= self.s.min_coverage_dense):
            return False
        # words the report never uses are paraphrases that neither the table nor the text can hold
        # (one met by a word of its SAME_MEANING group is the report's word in other words: "reaction", "response")
        weights = {t: self.idf(t) for t in table.unexplained
                   if self.idf.df.get(t, 0) or any(self.idf.df.get(a, 0) for a in alike(t))}
        if not weights or self.coverage(weights, best.toks) < self.s.text_explains_share:
            return False
        label = re.match(r"\s*((?:table|appendix)\s+[\w.]+)", table.table.caption or "", re.I)
        if label and label.group(1).lower().rstrip(".:") in best.text.lower():
            return False  # "Table 2 below compares ..." introduces the table; it defers to it
        return self._grounded_unit(question, scored[:1], contexts) is not None

    def text_tells_another_date(self, question: str, table: TableAnswer, scored: list[tuple[float, float, Unit]],
                                contexts: list[ScoredChunk]) -> Drafted | None:
        """"When did China start its MICs?": a table's cell ("Year Started: 2016", the first center) and a sentence
        of the text that answers it with another year ("initiated in 2015", the plan) are both the report's
        answer; the reader is shown both rather than one picked."""
        if not AnswerKind.of(question).date or len(table.rows) != 1 or not scored:
            return None
        u = self._grounded_unit(question, scored[:self.s.grounding_candidates], contexts)
        if u is None or u.chunk.kind != "prose" or scored[0][1] < self.s.min_coverage:
            return None
        said = set(_YEAR.findall(u.text))
        if not said or said & set(_YEAR.findall(table.plain_text)):
            return None
        return self._compose([u])

    @staticmethod
    def rerank(contexts: list[ScoredChunk], scored: list[tuple[float, float, Unit]]) -> list[ScoredChunk]:
        """Passages ordered by their best sentence's score (words and meaning), retrieval order breaking ties."""
        best: dict[str, float] = {}
        for s, _c, u in scored:
            best[u.chunk.id] = max(best.get(u.chunk.id, -1.0), s)
        order = sorted(range(len(contexts)), key=lambda i: (-best.get(contexts[i].chunk.id, -1.0), i))
        return [ScoredChunk(contexts[i].chunk, round(best.get(contexts[i].chunk.id, -1.0), 6), contexts[i].lexical_rank,
                            contexts[i].dense_rank, contexts[i].dense_sim) for i in order]

    def _with_list_items(self, chosen: list[Unit], contexts: list[ScoredChunk]) -> list[Unit]:
        """A sentence that introduces a list ("... namely:", "The following ...") is followed by its items.

        An item is a bullet paragraph with all its sentences; one plain sentence may stand between
        "The following ..." and the list ("These resources can be found at ...").
        """
        out: list[Unit] = []
        for u in chosen:
            out.append(u)
            colon = ends_with_colon(u.text)
            if not (colon or _INTRODUCES_LIST.search(u.text)):
                continue
            sc = next((c for c in contexts if c.chunk.id == u.chunk.id), None)
            if sc is None:
                continue
            following = [x for x in units_of(sc, u.rank) if x.start >= u.end]
            nxt = self.next_prose.get(sc.chunk.id)
            if nxt is not None:  # the list may run on into the next passage
                following += units_of(ScoredChunk(nxt, 0.0), u.rank)
            items: list[Unit] = []
            skipped = 0
            for x in following:
                if len(items) >= self.s.max_list_units:
                    break
                if _in_bullet(x):
                    items.append(x)
                elif not items and not colon and skipped == 0:
                    skipped += 1  # the one sentence allowed between "The following ..." and its list
                else:
                    break
            out += [x for x in items if not self._same(x, out)]
        return out

    def _with_credit_lines(self, chosen: list[Unit]) -> list[Unit]:
        """A figure's caption comes with the "Source: ..." line under it: they are one passage, and a reader asking
        what the figure is drawn from says it in more ways than a word list holds ("what dataset", "based on")."""
        out: list[Unit] = []
        for u in chosen:
            out.append(u)
            nxt = self.neighbour(u, after=True) if _CAPTION.match(u.text) else None
            if nxt is not None and SOURCE_LINE.match(nxt.text.strip()) and not self._same(nxt, chosen + out):
                out.append(nxt)
        return out

    def _with_attribution(self, chosen: list[Unit], contexts: list[ScoredChunk]) -> list[Unit]:
        """A quotation is shown after the sentence that says whose it is ("A 2025 IMD study makes ... :")."""
        out: list[Unit] = []
        for u in chosen:
            if u.text.lstrip()[:1] in "\"“":
                sc = next((c for c in contexts if c.chunk.id == u.chunk.id), None)
                before = [x for x in units_of(sc, u.rank) if x.end <= u.start] if sc is not None else []
                if before and ends_with_colon(before[-1].text) and not self._same(before[-1], chosen + out):
                    out.append(before[-1])
            out.append(u)
        return out

    def says(self, question: str, chunk: Chunk, quote: str) -> bool:
        """Does this one sentence of the passage answer the question by itself (its coverage and every grounding
        check)? A compound question's parts are answered by one sentence when it says each of them."""
        ctx = [ScoredChunk(chunk, 1.0)]
        want = " ".join(quote.split())
        aw = {t: self.idf(t) for t in self.split_terms(question)[1]}
        for s, cov, u in self.score_units(question, ctx):
            if " ".join(u.text.split()) == want:
                # what the part asks must be in the sentence itself, not only in its passage (as a lead may have it)
                said = not aw or self.coverage(aw, u.toks | u.borrowed) >= self.s.min_attribute_coverage
                return said and cov >= self.s.min_coverage and self._grounded_unit(question, [(s, cov, u)], ctx) is u
        return False

    def _grounded_unit(self, question: str, top: list[tuple[float, float, Unit]],
                       contexts: list[ScoredChunk]) -> Unit | None:
        """The best of the top sentences that covers both the names and the asked-for attribute, if any."""
        entity, attr = self.split_terms(question)
        ew = {t: self.idf(t) for t in entity}
        aw = {t: self.idf(t) for t in attr}
        chunk_toks = {sc.chunk.id: self.passage_tokens(sc.chunk) for sc in contexts}
        # numbers and ordinals asked about ("15th", "2030", "first") must be in the passage: near misses are not answers
        # ("Table 2", "Figure 1" name a part of the report, not a figure the passage must hold)
        bare = _PART_REF.sub(" ", _PHRASING.sub(" ", question))
        numbers = {t for t in tokens(bare) if any(ch.isdigit() for ch in t)}
        numbers |= {m.lower() for m in _ORDINAL.findall(question)}
        kind = AnswerKind.of(question)
        counted = counted_stem(question)
        verb = self.asked_verb(question)
        phrases = [{t: self.idf(t) for t in p} for p in self.entity_phrases(EXCLUSION_PHRASE.sub(" ", question))
                   if not all(self.idf.df.get(t, 0) >= self.s.subject_name_share * self.idf.n for t in p)]
        labels = self.labels(question)
        terms = self.terms_asked(question, attr)
        # (with the acronyms it uses written out: "the battery MIC" is a "... Battery Manufacturing ... Center")
        content = self.content_tokens(question)
        asked_toks = content | (set(tokens(" ".join(self.expander.expansions(question))))
                                if self.expander is not None else set())
        thing = self.things.asked(asked_toks, self.s.thing_min_share) if self.things is not None else None
        places = self.places.asked(content) if self.places is not None else frozenset()
        numbers -= {n for n, _p in labels}  # the label says how its number is written ("the third phase")
        figures = set(_FIGURE_REF.findall(question))
        only_demonyms = bool(entity) and entity <= DEMONYM_STEMS
        acronyms_asked = self.expander.named(question) if self.expander is not None else {}
        asks_change = bool(CHANGE_SHAPE.search(question))
        for _s, _c, u in top:
            toks = u.toks | chunk_toks.get(u.chunk.id, set())
            # a sentence naming the thing asked about ("the National Power Battery MIC") names its place too (the
            # question's "Beijing battery MIC")
            held = u.toks | u.borrowed
            if thing is not None and self.things is not None and self.things.names(thing, u.toks, self.s.thing_named_share):
                held = held | self.things.places.get(thing, frozenset())
                toks = toks | held
            if {n for n in numbers - toks if _DIGIT_WORDS.get(n) not in toks}:
                continue  # "9 months" is met by "nine months"
            if figures and not self._shows_figure(u, figures):
                continue  # "what does Figure 7 track" is not answered by a sentence that does not point at it
            if thing is not None and self.things is not None \
                    and self.things.speaks_of_another(thing, u.toks, self.s.thing_min_share, self.s.thing_named_share):
                continue  # "the power battery center's shareholders" are not those of the Digital Design center
            if self.places is not None and self.places.speaks_of_another(places, u.text, held):
                continue  # "EVs made in Shanghai" are not those "registered in China"
            if asks_change and u.chunk.kind == "table_row" and not set(tokens(u.chunk.text)) & _CHANGE_HEADERS:
                continue  # "by how much did investment grow": a row of levels says no change
            if acronyms_asked and self.expander is not None and self.expander.names_a_longer_one(acronyms_asked, u.text):
                continue  # a "Society of Engineers" is not the "Society of Marine Engineers"
            if any(a not in toks or b not in toks for a, b in terms):
                continue  # "registered capital" is not answered by a passage that names neither
            if not all(p.search(u.text) for _n, p in labels):
                continue  # "Category 3" is not answered by a row of Category 2 that mentions a "Section 3"
            if verb and verb not in u.toks and alike(verb).isdisjoint(u.toks) and u.sim < self.s.sim_grounded \
                    and not (verb in _ROLE and u.toks & _ROLE) \
                    and not (verb in _REFERENCE_FIELDS and (report_marker_numbers(u.text) or self._source_entry(u))) \
                    and not self._passive_on(u.text, attr - {verb}):
                continue  # "Who chairs the Senate?" is not answered by a sentence that does not say who chairs
            if not kind.held_by(u.text):
                continue  # "When ...?" is answered by a date, "What does it cost ...?" by a figure
            if counted and not self._counts(u.text, counted) and u.sim < self.s.sim_grounded:
                continue  # "How many people work there?" is not answered by "30 percent of manufacturing"
            # every name asked about must be in the passage: "institutes in California" is not answered by
            # a passage that only names the University of California
            if any(self.coverage(p, toks | held) < self.s.min_phrase_coverage for p in phrases):
                continue
            # the names must be in the sentence itself (or be the sources its passage quotes); the attribute
            # may be anywhere in its passage
            # (u.toks already holds the sentence's acronyms both ways: score_units)
            # (a question whose only name is a demonym, "the Chinese centers", is met by the country: "China's")
            named = held | demonyms_of(held) if only_demonyms else held
            e_ok = not ew or self.coverage(ew, named | self.chunk_sources(u.chunk)) >= self.s.min_entity_coverage
            a_ok = not aw or self.coverage(aw, toks) >= self.s.min_attribute_coverage
            # an entry of the reference list is its authors, year and title: "who wrote <its title>" asks its fields
            a_ok = a_ok or (self._source_entry(u) and bool(attr & _REFERENCE_FIELDS))
            if e_ok and (a_ok or u.sim >= self.s.sim_grounded):
                return u
        return None

    @staticmethod
    def _shows_figure(u: Unit, figures: set[str]) -> bool:
        """A sentence of one of these figures' captions (its source line too), or one that points at them."""
        named = set(_FIGURE_REF.findall(u.text))
        if u.chunk.kind == "figure_caption":
            named |= set(_FIGURE_REF.findall(u.chunk.text.lstrip()[:20]))  # the caption the source line stands under
        return bool(named & figures)

    def _source_entry(self, u: Unit) -> bool:
        """An entry of a reference list, or a bullet of a section that lists sources ("Additional Resources")."""
        if u.chunk.kind == "reference":
            return True
        lists = self.source_lists.get(u.chunk.id)
        if lists is None:  # read once per passage: this runs for every sentence scored
            lists = self.source_lists[u.chunk.id] = bool(_SOURCE_LIST_SECTIONS & set(tokens(" ".join(u.chunk.section_path))))
        return lists and _in_bullet(u)

    def _publisher(self, chunk: Chunk) -> set[str]:
        """The words and initials of a passage's heading ("C.1. Congressional Research Service": CRS)."""
        if chunk.id not in self.headings:
            path = chunk.section_path
            self.headings[chunk.id] = (set(tokens(path[-1])) | _initials(" ".join(path))) if path else set()
        return self.headings[chunk.id]

    def _antecedent_toks(self, u: Unit, prev: Unit) -> set[str]:
        """What "this" at the start of ``u`` may refer to: the sentence before, or, when ``u`` opens a paragraph,
        the last few sentences of the paragraph before ("This equates to 41 billion USD" after a quotation whose
        second-to-last sentence gives the pledge)."""
        opens = _opens_paragraph(u)
        toks = set(prev.toks)
        back: Unit | None = prev
        for _ in range(self.s.backref_paragraph_sentences - 1 if opens else 0):
            back = self.neighbour(back) if back is not None else None
            if back is None or _in_footnote(back):
                break
            toks |= back.toks
        return toks

    @staticmethod
    def _passive_on(text: str, asked: set[str]) -> bool:
        """A passive with its agent whose subject is what the question asks about ("Topics ... are determined by
        MIIT" for "who decides the topics"): it says who does it, in other words. "Board members are appointed by
        the Senate" says nothing about who chairs the Senate."""
        m = _PASSIVE_AGENT.search(text)
        return bool(m and asked & set(tokens(text[:m.start()])))

    def _same(self, u: Unit, chosen: list[Unit]) -> bool:
        return any(c.chunk.id == u.chunk.id and c.start == u.start for c in chosen) or any(
            c.text.strip() == u.text.strip() for c in chosen
        )

    def _compose(self, units: list[Unit], max_chars: int | None = None, keep: Iterable[Unit] = ()) -> Drafted:
        units = _fitting(units, self.s.max_answer_chars if max_chars is None else max_chars, keep)
        citations: list[Citation] = []
        parts: list[Segment] = []
        raw_parts: list[str] = []
        by_chunk: dict[str, int] = {}
        length = 0
        for u in units:
            quote = u.text.strip()
            shown = strip_report_markers(quote) if u.chunk.kind != "reference" else quote
            n = by_chunk.get(f"{u.chunk.id}:{u.start}")
            if n is None:
                cit = make_citation(len(citations) + 1, u.chunk, quote, self.references)
                if cit is None:
                    continue
                citations.append(cit)
                n = cit.n
                by_chunk[f"{u.chunk.id}:{u.start}"] = n
            parts.append(Segment(f"{' ' if parts else ''}{shown} ", n))  # sentences joined by a space
            raw_parts.append(quote)
            length += len(shown) + 5
        if not citations:
            return Drafted.refusal()
        return Drafted(parts, " ".join(raw_parts), citations, False, [])

    def _table_answer(self, table: TableAnswer, row_chunk) -> Drafted | None:
        if not table.rows:
            return None  # "none match" is better said by the text path or a refusal
        whole = self.table_chunks.get((table.table.doc_id, table.table.id))
        if len(table.rows) > self.s.rows_cited_each and whole is not None:
            # many rows: one citation to the table (its caption line quoted), the rows named in the answer
            caption = whole.text.split("\n", 1)[0].strip()
            cit = make_citation(1, whole, caption, self.references)
            if cit is not None:
                return Drafted([Segment(table.plain_text.rstrip(" .") + " ", 1), Segment(".")], table.plain_text,
                               [cit], False, [])
        citations: list[Citation] = []
        marker: dict[int, int] = {}
        for r in table.rows:
            ch = row_chunk(table.table, r)
            cit = make_citation(len(citations) + 1, ch, ch.text, self.references) if ch is not None else None
            if cit is not None:
                citations.append(cit)
                marker[r.index] = cit.n
        if not citations:
            return None
        # each row citation is drawn where it stands, " [n]" after its words; a row without a passage to
        # cite is left unmarked
        segments: list[Segment] = []
        words = ""
        for s in table.segments:
            if isinstance(s, str):
                words += s
            elif s.row in marker:
                segments.append(Segment(words + " ", marker[s.row]))
                words = ""
        if words:
            segments.append(Segment(words))
        return Drafted(segments, table.plain_text, citations, False, [])

    def _front_answer(self, question: str, contexts: list[ScoredChunk]) -> Drafted | None:
        """Authors, publication date, contact, DOI: from the front matter, quoted and cited."""
        prefer = [sc.chunk.doc_id for sc in contexts]
        facts = self.front.answers(question, prefer) if self.front is not None else []
        segments: list[Segment] = []
        cits: list[Citation] = []
        for fact in facts:
            cit = make_citation(len(cits) + 1, fact.chunk, fact.quote, self.references)
            if cit is not None:
                cits.append(cit)
                segments.append(Segment(f"{' ' if segments else ''}{fact.text}. ", cit.n))
        if not cits:
            return None
        return Drafted(segments, " ".join(f.quote for f in facts), cits, False, [])

    def _figure_source_answer(self, question: str, contexts: list[ScoredChunk]) -> Drafted | None:
        """"Which think tank's study is Figure 4 drawn from?": the figure's caption and the source line under it,
        found by the figure's number (whatever the question calls the source), with the reference it cites."""
        figures = _FIGURE_REF.findall(question)
        if not figures or not (_ASKS_SOURCE.search(question) or self.content_tokens(question) & _FIGURE_SOURCE_WORDS):
            return None
        # figures are numbered per document: the best-ranked passage's document first
        docs = list(dict.fromkeys([sc.chunk.doc_id for sc in contexts] + self.doc_order))
        units: list[Unit] = []
        for num in dict.fromkeys(figures):
            ch = next((c for d in docs if (c := self.figure_chunks.get((d, num))) is not None), None)
            if ch is None:
                return None  # a figure the documents do not have: the usual answer says so
            units += units_of(ScoredChunk(ch, 0.0), len(units))
        if not any(SOURCE_LINE.match(u.text.strip()) for u in units):
            return None  # a caption with no source line under it ("Figure 6: Map of ..."): the text may say more
        return self._with_sources(self._compose(units))

    def _reference_answer(self, question: str, contexts: list[ScoredChunk]) -> Drafted | None:
        m = _REF_Q.search(question)
        if not m:
            return None
        num = int(m.group(1) or m.group(2))
        # references are numbered per document: the best-ranked passage's document first
        docs = [d for d in dict.fromkeys([sc.chunk.doc_id for sc in contexts] + self.doc_order)
                if (d, num) in self.references]
        ref = self.references.get((docs[0], num)) if docs else None
        ch = self.ref_chunks.get((docs[0], num)) if docs else None
        if ref is None or ch is None:
            return None
        cit = make_citation(1, ch, ch.text, self.references)
        if cit is None:
            return None
        cit.references = [ref]
        # "Reference [n]" names the report's entry: words of the answer, not one of its citation markers
        return Drafted([Segment(f"Reference [{num}]: {ref.text} ", 1)], ref.text, [cit], False, [])
