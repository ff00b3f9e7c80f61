"""Parse a question once into a typed ``Query``.

Users word the same question many ways: lower case, polite, casual, with a typo. The parser folds
those away so every later stage sees one canonical wording (``Query.text``), and says what kind of
answer the question wants (``Query.intent``):

- wrappers and filler ("could you tell me", "according to the report", "actually") are dropped
  (the lists are data, in ``rag/vocab.py``);
- a word the report never uses and English does not know ("bencmharking") is mended to the closest
  word the report uses, when one is a single edit away (two for long words);
- a lower-case word the report always writes capitalised ("china", "mics", "fraunhofer") gets the
  report's casing back, so names are recognised as names whatever the user typed;
- the intent comes from the question's shape (why / how / compare / summarize / list / the whole
  report), a compound question ("how many ..., and when ...?") is split into its parts.

Nothing here knows a topic of the report: the vocabulary comes from the index.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rag.text import STOPWORDS, fold, tokens
from rag.vocab import (
    ANSWER_LENGTH,
    CAPITAL_GOVERNMENTS,
    COMPOUND_SPLIT,
    ENGLISH_SUFFIXES,
    FIGURE_SHAPE,
    FILLER_ADVERBS,
    INTENT_CUES,
    INTENT_VERBS,
    IRREGULAR_PLURALS,
    LIGHT_VERB_PHRASES,
    NUMBER_MODIFIERS,
    ORDINAL_WORDS,
    PERIOD_END_MONTH,
    PERIOD_PHRASE,
    PLACE_NAMES,
    POLITE_PREFIXES,
    POLITE_SUFFIXES,
    QUANTITY_SHAPE,
    REPORT_NOUNS,
    SHORT_FORMS,
    TOPIC_FRAME_WORDS,
    WHY_SHAPE,
)

Intent = Literal["lookup", "explain", "compare", "list", "summary", "whole_report"]
# Intents answered by several sentences drawn together (rag/answerers/synthesis.py).
SYNTHESIS_INTENTS: frozenset[str] = frozenset({"explain", "compare", "list", "summary", "whole_report"})

_PREFIX_RE = re.compile(r"^\s*(?:" + "|".join(POLITE_PREFIXES) + r")\s*", re.I)
_SUFFIX_RE = re.compile(r"(?:" + "|".join(POLITE_SUFFIXES) + r")\s*[?.!]*\s*$", re.I)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_FRAME_TOKENS = frozenset(x for w in TOPIC_FRAME_WORDS for x in tokens(w))  # once, not per question
_WH_START = re.compile(r"^(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
                       r"has|have|had|will|would|should)\b", re.I)
_JOINERS = frozenset({"of", "and", "for", "the", "&", "in", "on", "de"})
_QUESTION_OPENERS = frozenset("what which who whom whose when where why how is are was were do does did can could has "
                              "have had will would should tell list name give".split())
_QUOTED = re.compile(r"(?:^|(?<=\s))['‘\"“][^'’\"”]+\s[^'’\"”]+['’\"”](?=[\s?.!,:;]|$)")
_US_COUNTRY = re.compile(r"\b((?:the|vs\.?|versus|and|or|between)\s+)us\b(?!\s+(?:to|with)\b)")
_HYPHENATED = re.compile(r"\b([A-Za-z]{2,})-([A-Za-z]{2,})\b")
_GLUED_PHRASAL = re.compile(r"\b([a-z]{2,})(up|out|off|about)\b")
_GLUED_ACRONYM_YEAR = re.compile(r"\b([A-Za-z]{2,6})-?((?:19|20)\d\d)\b")
_NAME_YEAR = re.compile(r"\b((?:[A-Z][\w'’-]*\s+(?:(?:in|of|and|for|the|de)\s+)?){1,6})((?:19|20)\d\d)\b")
_REPORT_NOUNS = frozenset(tokens(REPORT_NOUNS))
# "according to NIST", ", per the NIST study" (the words are checked against the documents' names)
_ACCORDING_TO = re.compile(r"(^|,?\s*)\b(?:according to|per|based on)\s+((?:(?:the|this)\s+)?(?:[\w.'-]+\s+){0,5}?"
                           r"[\w.'-]+)(?=\s*(?:[,?.!]|$))", re.I)
# "the China MIC benchmarking report": a run of one to five words before a noun naming a publication
_NAMED_REPORT = re.compile(r"\b(the|this|that)\s+((?:[\w.'-]+\s+){0,4}[\w.'-]+)\s+(" + "|".join(REPORT_NOUNS.split())
                           + r")\b", re.I)
_INITIALISM = re.compile(r"\b[A-Z]{3,6}s?\b")
_CAPITAL_GOVERNMENT = re.compile(r"\b(" + "|".join(CAPITAL_GOVERNMENTS) + r")(?=\s+(?:(?:really|also|originally|"
                                 r"initially|first)\s+)?(?:" + "|".join(INTENT_VERBS.split()) + r")\b)", re.I)
_AMERICA = re.compile(r"(?<!Bank of )(?<!North )(?<!South )(?<!Latin )(?<!Central )(?:\bthe\s+)?\bAmerica\b(?!n)", re.I)
_SHORT_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)[-–](\d\d)\b(?![-–\d])")
_DIGIT_ORDINAL = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\b", re.I)
_GLUED_UNIT = re.compile(r"\b(\d+(?:[.,]\d+)?)(?!st\b|nd\b|rd\b|th\b|s\b)([A-Za-z]{2,})\b")
# "number of" opening a terse question ("wuhan: number of universities") asks "how many"
# ("the target number of X": the "target" stays a word of the question, only "number of" is its phrasing)
NUMBER_OF = (r"(?:^\W*(?:what\s+is\s+|what's\s+)?|[:,–-]\s*|\bthe\s+|" + "|".join(
    rf"(?<=\b{w}\s)" for w in NUMBER_MODIFIERS)
    + r")(?:the\s+|total\s+)*number\s+of\b")
# "how many X", and "number of X" as terse questions write it ("wuhan: number of universities"), not "a number of X"
_HOW_MANY_WORDS = r"(?:\bhow\s+many|" + NUMBER_OF + ")"
_HOW_MANY = re.compile(_HOW_MANY_WORDS + r"\s+(?:\w+\s+){0,3}?([A-Za-z][\w-]*s)\b(?!['’])", re.I)  # "china's" is no plural
_HOW_MANY_IRREGULAR = re.compile(_HOW_MANY_WORDS + r"\s+(?:\w+\s+){0,2}?(" + "|".join(IRREGULAR_PLURALS) + r")\b", re.I)
_SECTION_WORD = re.compile(r"\b(?:section|subsection|chapter|appendix)\b", re.I)
_SECTION_REF = re.compile(r"\b(?:section|chapter|appendix|part)\s+([A-Z]?\d+(?:\.\d+)*|[A-D])\b", re.I)


@dataclass
class Query:
    """One question, parsed once. ``text`` is what every later stage reads."""

    original: str
    text: str
    intent: Intent = "lookup"
    parts: list[str] = field(default_factory=list)  # a compound question's parts (else empty)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (typed, read as)
    section_numbers: list[str] = field(default_factory=list)  # "section 4.2" named in the question
    topic_terms: list[str] = field(default_factory=list)  # stemmed content words, framing removed
    absent_names: list[str] = field(default_factory=list)  # names no document mentions ("India", "Huawei")
    # a period the question asks about that ends after the documents were published ("late 2025")
    after_publication: str | None = None

    @property
    def synthesis(self) -> bool:
        return self.intent in SYNTHESIS_INTENTS


class Lexicon:
    """The report's own words: which ones it uses, and how it writes them (case).

    Built from chunk texts once per engine. ``english`` is the embedding model's whole-word vocabulary:
    a word English knows is never "mended", even when the report does not use it.
    """

    # Only mend words at least this long: short words are too easily another word.
    MIN_TYPO_LEN = 5
    # A lower-case word takes the report's capitals when the report writes it so this often, mid-sentence.
    CASE_SHARE = 0.9
    CASE_MIN_COUNT = 3

    # A single word takes the report's capitals only when the report also uses it as a name on its own
    # (not just inside longer names: "center" stays lower case, "china" becomes "China").
    SOLO_SHARE = 0.25
    # ... or when it is never written in lower case and occurs at least this often
    CASE_NEVER_LOWER_MIN = 5

    def __init__(self, texts: Iterable[str], english: Iterable[str] = (), case_texts: Iterable[str] | None = None) -> None:
        """``texts``: every passage (which words the report uses); ``case_texts``: running prose only (how it
        writes them; table cells and headings capitalise common nouns). Defaults to ``texts``."""
        texts = list(texts)
        self._texts = texts  # for acronyms' initials, read only when a question has an unknown acronym
        # (year, month) the latest document was published, when its front matter says (set by the engine)
        self.published: tuple[int, int] | None = None
        # stems of words that name the documents themselves (title, its acronyms), and of those the title block
        # writes as acronyms ("nist"): set by the engine from the front matter
        self.report_names: frozenset[str] = frozenset()
        self.report_acronyms: frozenset[str] = frozenset()
        self._initials: frozenset[str] | None = None
        self._runs: dict[str, Counter[str]] | None = None  # initials -> runs of words, read on the first unknown initialism
        self._named_years: dict[tuple[str, str], str] | None = None  # read on the first glued acronym and year
        self._digit_ordinals: frozenset[str] | None = None
        self._sorted_words: list[str] | None = None  # for completing clipped words, sorted on the first one
        self.english = frozenset(w for w in english if w.isalpha())  # "construction" is a word, "fraunhofer" a name
        vocab: Counter[str] = Counter(w.strip("'’-").lower() for t in texts for w in _WORD_RE.findall(t))
        counts: Counter[str] = Counter()
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        solo: Counter[str] = Counter()
        phrases: dict[str, Counter[str]] = defaultdict(Counter)
        for text in (texts if case_texts is None else case_texts):
            run: list[str] = []
            last_end = 0
            for m in _WORD_RE.finditer(text):
                w = m.group(0).strip("'’-")
                if not w:
                    continue
                low = w.lower()
                counts[low] += 1
                before = text[max(0, m.start() - 3):m.start()].strip()
                sentence_start = not before or before[-1:] in ".!?\n\"“•-"
                if not sentence_start:
                    forms[low][w] += 1
                gap = text[last_end:m.start()]
                joined = gap.strip() == "" and "\n" not in gap
                capital = w[0].isupper() and not sentence_start
                if capital and joined and run:
                    run.append(w)
                elif w in _JOINERS and run and joined:
                    run.append(w)
                else:
                    self._close(run, solo, phrases)
                    run = [w] if capital else []
                last_end = m.end()
            self._close(run, solo, phrases)
        self.counts = vocab
        self.case: dict[str, str] = {}
        for low, c in forms.items():
            form, n = c.most_common(1)[0]
            total = sum(c.values())
            acronym = sum(ch.isupper() for ch in form) >= 2
            # a word the report never writes in lower case inside a sentence and English does not know
            # ("Fraunhofer") is a name, even when it mostly stands inside longer names ("Fraunhofer Society")
            never_lower = c[low] == 0 and total >= self.CASE_NEVER_LOWER_MIN and low not in self.english
            if len(low) >= 2 and (form != low and n >= self.CASE_MIN_COUNT and n / total >= self.CASE_SHARE
                    and (acronym or solo[form] / total >= self.SOLO_SHARE or never_lower)):
                self.case[low] = form
        # names of several words, as the report writes them ("china development bank" -> "China Development Bank")
        self.phrases = {low: c.most_common(1)[0][0] for low, c in phrases.items()}
        self._phrase_re = re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(self.phrases, key=len,
                                                                                 reverse=True)) + r")\b") \
            if self.phrases else None
        self._eng_by_len: dict[int, list[str]] | None = None  # built on the first word only English can mend
        self._by_len: dict[int, list[str]] = defaultdict(list)
        for w in vocab:
            if w.isalpha():
                self._by_len[len(w)].append(w)

    @staticmethod
    def _close(run: list[str], solo: Counter[str], phrases: dict[str, Counter[str]]) -> None:
        while run and run[-1] in _JOINERS:
            run.pop()
        if len(run) == 1:
            solo[run[0]] += 1
        elif len(run) >= 2:
            phrase = " ".join(run)
            phrases[phrase.lower()][phrase] += 1

    def restore_names(self, text: str) -> str:
        """Lower-case names of several words get the report's capitals back."""
        if self._phrase_re is None:
            return text
        return self._phrase_re.sub(lambda m: self.phrases[m.group(1)], text)

    def known(self, low: str) -> bool:
        if low in self.counts or low in self.english or low in STOPWORDS:
            return True
        # an English base with a regular ending ("staffing", "onshoring") is a word, not a typo
        return any(low.endswith(suf) and (low[: -len(suf)] in self.english or low[: -len(suf)] + "e" in self.english
                                          or (len(low) - len(suf) > 3 and low[-len(suf) - 1] == low[-len(suf) - 2]
                                              and low[: -len(suf) - 1] in self.english))
                   for suf in ENGLISH_SUFFIXES if len(low) - len(suf) >= 3)

    def long_form(self, low: str) -> str | None:
        """The word in full when the user typed a short form the documents never use ("lab", "Nov")."""
        full = SHORT_FORMS.get(low)
        return full if full is not None and low not in self.counts and full.lower() in self.counts else None

    def mentions(self, low: str) -> bool:
        """Whether the documents use this word or a form of it ("japanese" for "Japan", "mics" for "MIC")."""
        return any(low[:n] in self.counts for n in range(max(4, len(low) - 3), len(low) + 1)) or low + "s" in self.counts

    def name_the_report(self, text: str) -> str:
        """Words that name the publication itself are no subject of the question: "according to NIST" (its
        publisher) is framing, and "the NIST China MIC benchmarking report" is "the report"."""
        if not self.report_names:
            return text

        def framing(m: re.Match[str]) -> str:
            toks = set(tokens(m.group(2)))
            names = toks - _REPORT_NOUNS
            ok = toks and names <= self.report_names and (toks & _REPORT_NOUNS or names <= self.report_acronyms)
            return "" if ok else m.group(0)

        def named(m: re.Match[str]) -> str:
            toks = set(tokens(m.group(2)))
            if not toks or not toks <= self.report_names:
                return m.group(0)
            # the names go; a common word stays, it may be what a passage says ("benchmarking trips")
            kept = [w for w in m.group(2).split() if not w[:1].isupper()]
            return " ".join([m.group(1), *kept, m.group(3)])

        text = _ACCORDING_TO.sub(framing, text)
        return _NAMED_REPORT.sub(named, text)

    def after_publication(self, text: str) -> str | None:
        """The period a question asks about when it lies after the latest document's publication date ("late 2025"
        for a report of May 2025), as written; None when there is none or the date is unknown."""
        if self.published is None:
            return None
        year, month = self.published
        for m in PERIOD_PHRASE.finditer(text):
            asked = int(m.group("year"))
            when = " ".join(m.group("when").lower().split())
            # a named month reaches that month; "late", "end of", "second half of", "all of" reach December
            reach = PERIOD_END_MONTH.get(when, 12)
            if asked > year or (asked == year and reach > month):
                return " ".join(m.group(0).split())
        return None

    def absent_names(self, text: str) -> list[str]:
        """Names in a question that no document mentions: a country or region (any casing), or a word capitalised
        mid-sentence that is neither the documents' nor English nor a typo of either ("Huawei", "TSMC").
        A question about them asks about something the documents do not cover."""
        out: list[str] = []
        for i, m in enumerate(_WORD_RE.finditer(text)):
            w = m.group(0).strip("'’-")
            w = w[:-2] if w[-2:] in ("'s", "’s") else w
            low = w.lower()
            if len(low) < 3 or not low.isalpha() or self.mentions(low):
                continue
            place = low in PLACE_NAMES
            caps = sum(ch.isupper() for ch in w) >= 2
            # an acronym is no typo of a word ("BYD" is not "by"), and names something first in a question too
            name = (i > 0 and w[0].isupper() and not self.known(low) and not self._near(low)) or \
                (caps and w[:2].isupper() and not self.known(low))
            if name and caps:
                name = not self.spelled_out(w)  # "FYP", "KPIs": the report writes them in full
            if place or name:
                full = _whole_name(text, m.group(0)) if w[0].isupper() else w
                if full not in out:
                    out.append(full)
        return out

    MAX_ACRONYM = 6

    def _within(self, low: str) -> list[tuple[int, str]]:
        """The documents' words a typo away from ``low`` (one edit, two for long words), with their distance.
        Typos rarely hit the first letter; requiring it also keeps the search small."""
        limit = 1 if len(low) <= 7 else 2
        return [(d, w) for n in range(len(low) - limit, len(low) + limit + 1) for w in self._by_len.get(n, ())
                if (w[0] == low[0] or w[:2] == low[:2][::-1]) and (d := _edit_distance(low, w, limit)) <= limit]

    def _near(self, low: str) -> bool:
        """Whether a word of the documents is a typo away (then the name may be that word misspelt)."""
        return bool(self._within(low))

    def spelled_out(self, acronym: str) -> bool:
        """Whether some run of words in the documents has these initials ("FYP": "Five-Year Plan")."""
        if self._initials is None:
            found: set[str] = set()
            for t in self._texts:
                words = re.findall(r"[A-Za-z0-9]+", t)
                # with and without the small words ("Office of Science and Technology Policy": OSTP)
                for firsts in ("".join(w[0] for w in words).lower(),
                               "".join(w[0] for w in words if w.lower() not in _JOINERS).lower()):
                    for n in range(2, self.MAX_ACRONYM + 1):
                        found.update(firsts[i:i + n] for i in range(len(firsts) - n + 1))
            self._initials = frozenset(found)
        letters = acronym.rstrip("s") if acronym[-1:] == "s" and acronym[:-1].isupper() else acronym
        return letters.lower() in self._initials

    def spell_out(self, acronym: str) -> str | None:
        """The words the documents write for an initialism they never use ("KPIs": "key performance indicators"),
        when one run of three or more words has those initials; the plural follows the acronym's."""
        letters = acronym[:-1] if acronym[-1:] == "s" and acronym[:-1].isupper() else acronym
        if len(letters) < 3 or letters.lower() in self.counts or letters.lower() in self.english:
            return None  # the documents' own word, or an English one shouted ("WHAT")
        if self._runs is None:
            runs: dict[str, Counter[str]] = defaultdict(Counter)  # initials -> runs as written
            for t in self._texts:
                ws = re.findall(r"[A-Za-z][A-Za-z-]*", t)
                for n in range(3, self.MAX_ACRONYM + 1):
                    for i in range(len(ws) - n + 1):
                        run = ws[i:i + n]
                        if not any(w.lower() in _JOINERS for w in run):
                            runs["".join(w[0] for w in run).lower()][" ".join(run)] += 1
            self._runs = runs
        found = self._runs.get(letters.lower())
        if not found or len({p.lower() for p in found}) != 1:
            return None  # none, or several: no one reading
        return found.most_common(1)[0][0]  # as the documents write it most often

    def named_year(self, letters: str, year: str) -> str | None:
        """The name a glued acronym and year stands for ("MIC2025": "Made in China 2025"): a run of the documents'
        capitalised words (small words within) followed by that year, whose initials are the letters."""
        if self._named_years is None:
            found: dict[tuple[str, str], str] = {}
            for t in self._texts:
                for m in _NAME_YEAR.finditer(t):
                    run = m.group(1).split()
                    for i in range(len(run)):  # "The Made in China 2025": "Made in China 2025" too
                        words = run[i:]
                        if words[0] in _JOINERS:
                            continue
                        for firsts in ("".join(w[0] for w in words),
                                       "".join(w[0] for w in words if w not in _JOINERS)):
                            found.setdefault((firsts.lower(), m.group(2)), f"{' '.join(words)} {m.group(2)}")
            self._named_years = found
        return self._named_years.get((letters.lower(), year))

    def ordinal_word(self, digits: str) -> str | None:
        """"3rd" as the documents write it ("third"), when they write it in words and never in digits."""
        n = int(re.sub(r"\D", "", digits))
        if not 0 < n <= len(ORDINAL_WORDS) or ORDINAL_WORDS[n - 1] not in self.counts:
            return None
        if self._digit_ordinals is None:
            self._digit_ordinals = frozenset(m.lower() for t in self._texts for m in _DIGIT_ORDINAL.findall(t))
        return None if digits.lower() in self._digit_ordinals else ORDINAL_WORDS[n - 1]

    def mend(self, low: str) -> str | None:
        """The report's word one edit away (a swap, a missing, extra or wrong letter), if exactly one is."""
        if len(low) < self.MIN_TYPO_LEN or not low.isalpha() or self.known(low) or not self.english:
            return None
        if fold(low) != low:
            return None  # a British spelling ("centres"): the tokens fold it already
        american = re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", low)
        if american != low:
            # a British spelling is a spelling, not a typo: use the report's form when it has one
            return american if self.known(american) and american in self.counts else None
        best = [(d, -self.counts[w], w) for d, w in self._within(low)]
        # another form of the same word ("summarize" -> "summarizes") is an inflection the report lacks, not a typo
        best = [b for b in best if not (b[2].startswith(low[:-1]) or low.startswith(b[2][:-1]))]
        if not best:
            return self._mend_english(low)
        best.sort()
        if best[0][0] > 1 and (closer := self._mend_english(low)):
            return closer  # one edit to an English word beats two to a word of the report ("sumamrize")
        if len(best) > 1 and best[0][0] == best[1][0] and best[0][1] == best[1][1]:
            return None  # two words equally close and common: do not guess
        return best[0][2]

    MIN_NAME_TYPO_LEN = 9

    def mend_name(self, word: str) -> str | None:
        """A long capitalised word one edit from a name the documents always capitalise ("Fraunhoffer"). Short
        names are left as typed: "Hebei" is another province than "Hefei", not a typo of it."""
        if len(word) < self.MIN_NAME_TYPO_LEN or not (word[:1].isupper() and word[1:].islower()):
            return None
        mended = self.mend(word.lower())
        return mended if mended is not None and self.case.get(mended, mended)[:1].isupper() else None

    MIN_CLIPPED_LEN = 6

    def complete(self, low: str) -> str | None:
        """A clipped word ("biopharma", "semicond") as the documents write it in full, when they never write the
        clipped form, English does not know it, and its completions are one word's forms ("biopharmaceutical(s)")."""
        if len(low) < self.MIN_CLIPPED_LEN or not low.isalpha() or self.known(low) or low in self.english:
            return None
        if self._sorted_words is None:
            self._sorted_words = sorted(w for ws in self._by_len.values() for w in ws)
        i = bisect.bisect_right(self._sorted_words, low)  # the longer words that start with it follow it in order
        full: list[str] = []
        while i < len(self._sorted_words) and self._sorted_words[i].startswith(low):
            full.append(self._sorted_words[i])
            i += 1
        full.sort(key=len)
        if not full or any(not w.startswith(full[0]) for w in full):
            return None  # none, or several different words ("inter" -> "internal", "international")
        return full[0]

    def _mend_english(self, low: str) -> str | None:
        """An English word one edit away ("atuhors" -> "authors", "sumamry" -> "summary") when the report has
        no close word: the question may use words the report does not. Only a single closest word counts."""
        if self._eng_by_len is None:
            self._eng_by_len = defaultdict(list)
            for w in self.english:
                if len(w) >= self.MIN_TYPO_LEN:
                    self._eng_by_len[len(w)].append(w)
        found = {w for n in (len(low) - 1, len(low), len(low) + 1) for w in self._eng_by_len.get(n, ())
                 if (w[0] == low[0] or w[:2] == low[:2][::-1]) and _edit_distance(low, w, 1) <= 1
                 and not (w.startswith(low[:-1]) or low.startswith(w[:-1]))}
        return found.pop() if len(found) == 1 else None


def _whole_name(text: str, word: str) -> str:
    """The run of capitalised words ``word`` stands in ("Huawei Technologies Co"), without the question's first
    word ("Does") or an owner before it ("the UK's Catapult": "Catapult")."""
    run = re.search(rf"(?:\b[A-Z][\w'’.-]*\s+)*{re.escape(word)}(?:\s+[A-Z][\w'’.-]*)*", text)
    words = (run.group(0) if run else word).split()
    if len(words) > 1 and words[0].lower() in _QUESTION_OPENERS:
        words = words[1:]
    owner = max((i for i, t in enumerate(words[:-1]) if t.endswith(("'s", "’s"))), default=-1)
    full = " ".join(words[owner + 1:])
    return full[:-2] if full.endswith(("'s", "’s")) else full


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def strip_wrappers(question: str) -> str:
    """Drop politeness and "according to the report" framing, at either end, as often as they repeat."""
    q = question.strip()
    for _ in range(4):
        new = _PREFIX_RE.sub("", q, count=1).strip()
        new = _SUFFIX_RE.sub("", new).strip() or new
        if new == q:
            break
        q = new
    return q or question.strip()


def drop_fillers(question: str) -> str:
    out = [w for w in question.split(" ") if w.strip(",.;:!?").lower() not in FILLER_ADVERBS or not w.strip()]
    q = " ".join(out)
    return re.sub(r"^(?:so|well),?\s+", "", q, flags=re.I) if len(out) != len(question.split(" ")) else q


def counted_stem(question: str) -> str | None:
    """The stem of what a "how many" question counts ("how many national MICs" -> "mic").

    A plural in "s" within the next four words, else an irregular plural ("how many people work ...");
    "how many attained ..." counts nothing named, so nothing is required."""
    found = [m for m in (_HOW_MANY.search(question), _HOW_MANY_IRREGULAR.search(question)) if m]
    m = min(found, key=lambda x: x.start(1)) if found else None  # the nearer plural is the thing counted
    toks = tokens(m.group(1)) if m else []
    return toks[0] if toks else None


def classify(text: str) -> Intent:
    if WHY_SHAPE.search(text):
        return "explain"
    if QUANTITY_SHAPE.search(text):
        return "lookup"  # "what share of X comes from A versus B" asks for figures, whatever else it says
    if FIGURE_SHAPE.search(text):
        return "lookup"
    for intent, cue in INTENT_CUES:
        if re.search(cue, text, re.I):
            return intent  # type: ignore[return-value]
    return "lookup"


# "# of MICs", "no. of centers": the number of them
_NUMBER_SIGN = re.compile(r"(?<![\w#])(?:#|no\.)\s*of\b", re.I)


def _full_year_range(m: re.Match[str]) -> str:
    start = int(m.group(1))
    end = start // 100 * 100 + int(m.group(2))
    end += 100 if end < start else 0  # "1995-05" ends in 2005
    return f"{start}-{end}"


def parse_query(question: str, lexicon: Lexicon | None = None) -> Query:
    """The one parse of a question (already cleaned and bounded by ``rag.sanitize``)."""
    text = _NUMBER_SIGN.sub("number of", drop_fillers(strip_wrappers(question)))
    text = re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", ANSWER_LENGTH.sub(" ", text))).strip(" ,;:") or text
    corrections: list[tuple[str, str]] = []
    if lexicon is not None:
        # typos first, then names of several words, then single words the report always capitalises
        def mend(m: re.Match[str]) -> str:
            w = m.group(0)
            base, own = (w[:-2], w[-2:]) if w[-2:] in ("'s", "’s") else (w, "")  # "reprot's" is "report's"
            mended = lexicon.long_form(base.lower()) or (
                (lexicon.complete(base.lower()) or lexicon.mend(base.lower())) if base.islower() else
                lexicon.mend_name(base))
            if mended:
                corrections.append((base, mended))
                return mended + own
            return w

        def case(m: re.Match[str]) -> str:
            w = m.group(0)
            if w.islower() and w in PLACE_NAMES:
                return w.capitalize()  # a country is a name however rarely the documents write it ("korea")
            return lexicon.case.get(w, w) if w.islower() else w

        text = _WORD_RE.sub(case, lexicon.restore_names(_WORD_RE.sub(mend, text)))
        text = lexicon.name_the_report(text).strip(" ,;:") or text
        # "America" is the country the documents call "the United States" (not "Latin America")
        text = _AMERICA.sub("the United States", text)
        # "did Beijing aim to ...": the government, named as the documents name its country
        text = _CAPITAL_GOVERNMENT.sub(lambda m: CAPITAL_GOVERNMENTS[m.group(1).lower()], text)
        # "the us", "germany vs us": the country, not the pronoun
        text = _US_COUNTRY.sub(lambda m: m.group(1) + "US", text)
        # a compound written with a hyphen the documents write as one word ("light-weight": "lightweight")
        text = _HYPHENATED.sub(lambda m: m.group(1) + m.group(2) if (m.group(1) + m.group(2)).lower() in lexicon.counts
                               and m.group(0).lower() not in lexicon.counts else m.group(0), text)
        # a phrasal verb written as one word ("setup", "kickoff") the documents do not use: its two words
        text = _GLUED_PHRASAL.sub(lambda m: m.group(0) if m.group(0).lower() in lexicon.counts
                                  or not LIGHT_VERB_PHRASES.fullmatch(f"{m.group(1)} {m.group(2)}")
                                  else f"{m.group(1)} {m.group(2)}", text)
        # an initialism the documents never use but write out ("KPIs": "key performance indicators")
        text = _INITIALISM.sub(lambda m: lexicon.spell_out(m.group(0)) or m.group(0), text)
        # an acronym glued to a year ("MIC2025", "MiC-2025") names what the documents write in full ("Made in China 2025")
        text = _GLUED_ACRONYM_YEAR.sub(lambda m: lexicon.named_year(m.group(1), m.group(2)) or m.group(0), text)
        # a year range with its end year shortened ("2021-25") names the full year, as the documents write it
        text = _SHORT_YEAR_RANGE.sub(_full_year_range, text)
        # "3rd" where the documents write "third"
        text = _DIGIT_ORDINAL.sub(lambda m: lexicon.ordinal_word(m.group(0)) or m.group(0), text)
        # a figure glued to its unit ("22nm", "5bn") the documents write apart ("22 nm"); "5G" stays as written
        text = _GLUED_UNIT.sub(lambda m: m.group(0) if m.group(0).lower() in lexicon.counts
                               else f"{m.group(1)} {m.group(2)}", text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and _WH_START.match(text) and not text.rstrip().endswith("?"):
        text = text.rstrip(" .!") + "?"
    parts = [p.strip(" ,") for p in COMPOUND_SPLIT.split(text) if p.strip(" ,")]
    if len(parts) > 1 and all(len(p.split()) >= 3 for p in parts):
        parts = [p if p.endswith("?") else p + "?" for p in parts]
        parts = [p[0].upper() + p[1:] for p in parts]
    else:
        parts = []
    intent = classify(_QUOTED.sub(" ", text))  # a quoted title's words ("Different Approaches") are no cue
    sections = [m.group(1) for m in _SECTION_REF.finditer(text)]
    if intent == "whole_report" and (sections or _SECTION_WORD.search(text)):
        # "the tl;dr of section 3.2", "summarize the report's section on funding": that section, not the whole report
        intent = "summary"
    topic = [t for t in tokens(text) if t not in _FRAME_TOKENS]
    absent = lexicon.absent_names(text) if lexicon is not None else []
    after = lexicon.after_publication(text) if lexicon is not None else None
    return Query(original=question, text=text, intent=intent, parts=parts, corrections=corrections,
                 section_numbers=sections, topic_terms=topic, absent_names=absent, after_publication=after)
