"""Text utilities shared by ingest and answering: sentence spans, tokens, light stemming.

Sentence spans are offsets, never copies, so a quote taken from them is verbatim by construction.
"""

from __future__ import annotations

import re
import unicodedata

from rag.vocab import DEMONYMS, SAME_MEANING

# Abbreviations after which a period does not end a sentence (common in policy reports).
_ABBREV = {
    "u.s", "u.n", "fig", "figs", "no", "nos", "e.g", "i.e", "vs", "etc", "al", "co", "ltd", "inc", "dr", "mr",
    "ms", "st", "jr", "approx", "est", "dept", "gov", "corp", "vol", "pp", "p", "ed", "eds", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "adv",
}

_SENT_END = re.compile(r"[.!?][\"”’')\]]*\s+")
_PARA_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-•o]|\d+\.)\s)")
_CITE_AT_START = re.compile(r"^((?:\[\d+(?:\s*[,–-]\s*\d+)*\]\s*)+)")


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of paragraphs (blank-line separated; list items are paragraphs of their own)."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _PARA_BREAK.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    spans = [s for s in (_strip_span(text, a, b) for a, b in spans) if s[1] > s[0]]
    spans = [piece for a, b in spans for piece in _split_title_line(text, a, b)]
    # a sentence broken by a page break ("... Science and\n\nTechnology, widely known ...") is one paragraph
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged:
            pa, pb = merged[-1]
            prev_open = text[pb - 1] not in ".:;!?\"”')]" and (pb - pa) > 60
            nxt = text[a]
            if prev_open and nxt not in "-•o*" and not text[a:b].lstrip().startswith(("- ", "o ")) and (
                # the last word, read from a short window: slicing the whole merged paragraph was quadratic
                nxt.islower() or text[max(pa, pb - 64):pb].split()[-1].lower() in _JOINERS
            ):
                merged[-1] = (pa, b)
                continue
        merged.append((a, b))
    return merged


def _split_title_line(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """A short unpunctuated first line ("Beijing and Hefei: World Leaders in Electric Vehicles") is a title."""
    nl = text.find("\n", a, b)
    if nl == -1:
        return [(a, b)]
    first = text[a:nl].strip()
    rest = text[nl + 1:b].lstrip()
    if 0 < len(first) <= 80 and first[-1] not in ".:;,!?\"”')]" and rest[:1].isupper() and not first.startswith(("-", "•")):
        return [(a, a + len(text[a:nl].rstrip())), _strip_span(text, nl + 1, b)]
    return [(a, b)]


_JOINERS = {"and", "or", "of", "the", "a", "an", "to", "in", "for", "with", "by", "on", "at", "from", "as", "that",
            "which", "is", "are", "was", "were", "be", "any", "more", "than", "its", "their", "this", "these", "into"}


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans within [start, end), paragraph by paragraph.

    A report marker such as ``[3]`` printed after a full stop belongs to the sentence before it.
    """
    out: list[tuple[int, int]] = []
    for pa, pb in paragraph_spans(text, start, end):
        pos = pa
        for m in _SENT_END.finditer(text, pa, pb):
            cut = m.start() + 1
            # the tests below read only the last word: a bounded window keeps long paragraphs linear
            before = text[max(pos, cut - 64):cut]
            word = re.search(r"([A-Za-z.]+)\.$", before)
            if word and word.group(1).lower().rstrip(".") in _ABBREV:
                continue
            if re.search(r"(?:^|\s)[A-Z]\.$", before):
                continue  # a middle initial ("Karen M. Sutter") does not end a sentence
            nxt = text[m.end() : m.end() + 1]
            if nxt and not (nxt.isupper() or nxt.isdigit() or nxt in "\"“[(*'"):
                continue
            # a digit after "." as in "No. 28" or a decimal is not a boundary when preceded by a digit
            if before[-2:-1].isdigit() and nxt.isdigit():
                continue
            out.append(_strip_span(text, pos, m.end()))
            pos = m.end()
        if pos < pb:
            out.append(_strip_span(text, pos, pb))
    # move leading citation markers onto the previous sentence
    fixed: list[tuple[int, int]] = []
    for a, b in out:
        if b <= a:
            continue
        lead = _CITE_AT_START.match(text[a:b])
        if lead and fixed and fixed[-1][1] <= a:
            pa, _ = fixed[-1]
            cut = a + len(lead.group(1).rstrip())
            fixed[-1] = (pa, cut)
            a2, b2 = _strip_span(text, cut, b)
            if b2 > a2:
                fixed.append((a2, b2))
            continue
        fixed.append((a, b))
    return _join_fields(text, fixed)


_LOWER_WORD = re.compile(r"\b[a-z][a-z]+\b")


def _join_fields(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A "sentence" of names, titles and dates on the line of the one before is a field of it, not a sentence.

    A reading list's entry ("Title | Publisher. February 11, 2025. Karen M. Sutter.") is one unit: split at
    its full stops, its date and authors would be quoted without the title they belong to. A span with no
    lower-case word but joiners ("and", "of", "on") cannot be a sentence of prose.
    """
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and "\n" not in text[out[-1][1]:a] and not any(
            w not in _JOINERS for w in _LOWER_WORD.findall(text[a:b])
        ):
            out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
    return out


_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")

STOPWORDS = frozenset(
    """a an the and or of to in on for by with as at from into is are was were be been being it its this that these
    those what which who whom whose when where why how do does did has have had not no yes can could would should
    will shall may might must than then there their they them he she his her we our you your i me my about over
    under between among per also any all some such each other more most much many few very so if but only same
    too s t just via up out off again further once here both either neither nor whether while during before after
    above below against through until upon within without report according tell please give list name say said
    let us whats what's
    alongside besides beside toward towards along amid amidst onto ones going judging""".split()
    # (prepositions; "the ones"; "going by the table")
)

# Question words that carry meaning for matching but not for retrieval scoring.
_SUFFIXES = ("ational", "ations", "ation", "ments", "ment", "ingly", "ings", "ing", "ities", "ity", "ies", "ied",
             "ships", "ship", "ers", "er", "ed", "es", "ly", "s")


def fold(text: str) -> str:
    """Lower-case, strip accents, drop Markdown escapes and thousands separators."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("\\$", "$").replace("\\", " ")
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = t.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    t = t.lower()
    # British spellings meet the report's American ones
    return _BRITISH.sub(lambda m: _BRITISH_MAP[m.group(0)], t)


_BRITISH_MAP = {"centre": "center", "centres": "centers", "programme": "program", "programmes": "programs",
                "organisation": "organization", "organisations": "organizations", "specialise": "specialize",
                "specialises": "specializes", "specialised": "specialized", "labour": "labor", "defence": "defense",
                "licence": "license", "analyse": "analyze", "analysed": "analyzed", "digitisation": "digitization",
                "prioritise": "prioritize", "prioritised": "prioritized"}
_BRITISH = re.compile(r"\b(" + "|".join(_BRITISH_MAP) + r")\b")


# Irregular forms the suffix rules cannot reach (so "grew" meets "grow").
_IRREGULAR = {"grew": "grow", "grown": "grow", "began": "begin", "begun": "begin", "built": "build", "made": "make",
              "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "led": "lead", "held": "hold",
              "spent": "spend", "took": "take", "taken": "take", "gave": "give", "given": "give", "won": "win",
              "sold": "sell", "bought": "buy", "paid": "pay", "brought": "bring", "chose": "choose",
              "chosen": "choose", "drew": "draw", "drawn": "draw", "sought": "seek", "set": "set", "ran": "run",
              "met": "meet", "found": "found", "founded": "found", "wrote": "write", "written": "write",
              "became": "become", "saw": "see", "seen": "see", "went": "go", "gone": "go", "got": "get",
              # verbs in "-ply" are no adverbs in "-ly" ("supply" is not "supp" + "ly", as "deeply" is "deep" + "ly")
              **{v: v for v in ("supply", "apply", "reply", "comply", "imply", "multiply")}}


def stem(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word  # "was", "has", "gas": too short to tell a plural
    if len(word) == 4:
        # short plurals such as "mics", "evs", "labs"
        return word[:-1] if word.endswith("s") and not word.endswith(("ss", "us", "is")) else word
    for suf in _SUFFIXES:
        if suf == "s" and word.endswith(("ss", "us", "is")):
            return word
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            base = word[: -len(suf)]
            if suf in ("ship", "ships"):
                if len(base) < 4:
                    continue  # "worship" is not "wor" + "ship"
                return stem(base)  # "membership" -> "member" -> the stem of "members"
            if suf.startswith("ation") and len(base) < 4:
                base += "at"  # "creation" -> "creat", as "created": "cre" would meet nothing
            if suf in ("er", "ers") and base.endswith("i"):
                base = base[:-1] + "y"  # "suppliers" -> "supply", as "supplies" and "supplied"
            if suf in ("ies", "ied", "ities"):
                base += "y" if suf != "ities" else ""
            if suf in ("ing", "ings", "ed", "er", "ers") and len(base) >= 4 and base[-1] == base[-2] \
                    and base[-1] not in "aeiouylsfz":
                base = base[:-1]  # "planned", "running": the consonant doubled before the ending goes ("plan", "run")
            return _drop_e(base)
    return _drop_e(word)


def _drop_e(base: str) -> str:
    """"pledge" and "pledged" both become "pledg"."""
    return base[:-1] if len(base) > 4 and base.endswith("e") and not base.endswith("ee") else base


# the plural of an acronym ("EVs", "HQs"): the acronym, however short ("evs" is too short for stem() to tell)
_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")


def words(text: str) -> list[str]:
    """Folded word tokens (no stemming, stopwords kept)."""
    out: list[str] = []
    for w in _WORD.findall(fold(_ACRONYM_PLURAL.sub(r"\1", text))):
        w = w.strip(".'")
        if w.endswith("'s"):
            w = w[:-2]
        if w:
            out.append(w)
            if "." in w:  # "doi.org", "u.s": keep the whole and the meaningful parts
                out.extend(p for p in w.split(".") if len(p) >= 3 and not p.isdigit())
    return out


def tokens(text: str) -> list[str]:
    """Stemmed content tokens used by BM25 and by the answerer's overlap scores.

    Stopwords are dropped before and after stemming ("reports" stems to the stopword "report").
    """
    return [s for s in (stem(w) for w in words(text) if w not in STOPWORDS) if s not in STOPWORDS]


# a country's first word -> its demonym ("germany" -> "german"), stemmed as tokens() stems them
_DEMONYM_OF: dict[str, str] = {c: tokens(d)[0] for d, cs in DEMONYMS.items() for name in cs for c in tokens(name)[:1]}


_SAME: dict[str, frozenset[str]] = {t: frozenset(u for w in group for u in tokens(w)) - {t}
                                    for group in SAME_MEANING for w in group for t in tokens(w)}


def alike(tok: str) -> frozenset[str]:
    """The tokens that mean what this one means (rag/vocab.py SAME_MEANING), itself excluded."""
    return _SAME.get(tok, frozenset())


DEMONYM_STEMS: frozenset[str] = frozenset(_DEMONYM_OF.values())
# a demonym -> the first words of its countries ("german" -> {"germany"}), stemmed as tokens() stems them
_COUNTRIES_OF: dict[str, frozenset[str]] = {
    d: frozenset(c for c, d2 in _DEMONYM_OF.items() if d2 == d) for d in DEMONYM_STEMS}


def countries_of(toks: set[str]) -> set[str]:
    """The countries these demonyms name ("german" -> "germany")."""
    return {c for t in toks for c in _COUNTRIES_OF.get(t, ())}


def demonyms_of(toks: set[str]) -> set[str]:
    """The demonyms of the countries these words name ("germany" -> "german")."""
    return {d for t in toks if (d := _DEMONYM_OF.get(t)) is not None}
