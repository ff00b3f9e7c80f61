"""Facts about the publication itself, read from its front matter: authors, date, contact, DOI.

"Who wrote the report?", "When was it published?", "How can I contact the authors?" ask about the
document, not its subject, and their answers sit in front-matter lines that share no words with
the question ("May 2025", "manufacturingusa@nist.gov"). This reader takes them from the
unnumbered passages before the first numbered section, with generic patterns (an e-mail
address, a DOI link, "Name: ORCID iD" pairs, a line holding only a month and year), so any report
laid out the usual way gets the same behaviour. Every fact keeps its verbatim quote and chunk.

It answers only when the question is about the publication as a whole: after the words that
ask for the fact, what is left must name the report (words of its title or "report", "paper" ...).
A question about one author's affiliation or role asks more than that and goes to the text path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.records import Acronym, Chunk
from rag.text import demonyms_of, tokens

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOI = re.compile(r"https?://doi\.org/\S+[\w/]")
_ORCID = re.compile(r"([A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3}): (\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# the publisher as a citation gives it: "(National Institute of Standards and Technology, Gaithersburg, MD)"
_PUBLISHER = re.compile(r"\(([A-Z][A-Za-z&' .-]+?), [A-Z][a-z]+(?: [A-Z][a-z]+)*, [A-Z]{2}\)")
_DATE_LINE = re.compile(rf"^\s*((?:{_MONTHS}) (?:19|20)\d\d)\s*$", re.M)

# What a question asks for, and the words that ask it (removed before checking what is left).
_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    # (before "date": "who published it" asks who, "and when" asks the date)
    ("publisher", re.compile(r"\b(who (?:published|issued|released|produced|is behind|puts? (?:\w+ ){0,2}out)|"
                             r"which (?:agency|organi[sz]ation|institute|institution|body|office|department|lab) "
                             r"(?:\w+ ){0,2}(?:published|issued|released|produced|put (?:\w+ ){0,2}out|is behind)|"
                             r"publisher|publishing (?:agency|organi[sz]ation|body))\b", re.I)),
    ("email", re.compile(r"\b(e-?mail(?: address)?|contact(?:ed)?|reach|write to)\b", re.I)),
    ("lead_author", re.compile(r"\b(lead|first|main|principal|primary|corresponding) author\b", re.I)),
    ("authors", re.compile(r"\b(who (?:wrote|authored|are the authors of)|authors?|written by|authored by)\b", re.I)),
    ("date", re.compile(r"\b(when was|what (?:date|month|year) was|publication date|date of publication|"
                        r"published|released|issued|come out|came out|when)\b", re.I)),
    ("doi", re.compile(r"\b(doi|digital object identifier)\b", re.I)),
]
# Words that name "the report" in general; together with the title's words they may be left over.
_REPORT_WORDS = set(tokens("report publication paper document study benchmarking this the nist address use can i "
                           "who what when which how is was are were its it for about on regarding question questions "
                           "inquiries"))


@dataclass
class FrontFact:
    kind: str
    text: str  # the answer sentence, without citation markers
    chunk: Chunk
    quote: str  # verbatim in chunk.text


class _DocFront:
    """The facts of one document's front matter and the words that name that document."""

    def __init__(self, chunks: list[Chunk], acronyms: list[Acronym]) -> None:
        # offsets are compared within this document only (another document's offsets mean nothing here)
        numbered = [c.start for c in chunks if c.kind == "prose" and c.section_number]
        first = min(numbered) if numbered else None
        front = sorted((c for c in chunks if c.kind == "prose" and not c.section_number
                        and (first is None or c.start < first)), key=lambda c: c.start)
        self.facts: dict[str, FrontFact] = {}
        self.title_words: set[str] = set()
        self.title_acronyms: set[str] = set()  # the publisher and series ("NIST", "AMS"), as the title block writes them
        for c in front:
            if c is front[0]:
                # the title block: the first lines of the first passage
                block = " ".join(c.text.split("\n\n")[:4])
                self.title_words |= set(tokens(block))
                self.title_acronyms |= {t for w in re.findall(r"\b[A-Z]{2,}\b", block) for t in tokens(w)}
            self._read(c)
        if chunks:
            self.title_words |= set(tokens(f"{chunks[0].doc_title} {chunks[0].doc_short}"))
        # an acronym of the title's words names the report too ("MIC" for Manufacturing Innovation Center)
        short = {t for a in acronyms if set(tokens(a.expansion)) <= self.title_words for t in tokens(a.acronym)}
        # "the study on Chinese innovation centers" names "China's Manufacturing Innovation Centers" too
        self.names = self.title_words | short | demonyms_of(self.title_words)
        self.allowed = self.names | _REPORT_WORDS

    def _read(self, c: Chunk) -> None:
        t = c.text
        if "email" not in self.facts and (m := _EMAIL.search(t)):
            self.facts["email"] = FrontFact("email", f"Contact: {m.group(0)}", c, m.group(0))
        if "doi" not in self.facts and (m := _DOI.search(t)):
            self.facts["doi"] = FrontFact("doi", f"DOI: {m.group(0)}", c, m.group(0))
        if "publisher" not in self.facts and (m := _PUBLISHER.search(t)):
            self.facts["publisher"] = FrontFact("publisher", f"Published by {m.group(1)}", c, m.group(1))
        if "date" not in self.facts and (m := _DATE_LINE.search(t)):
            self.facts["date"] = FrontFact("date", f"Published {m.group(1)}", c, m.group(1))
        pairs = list(_ORCID.finditer(t))
        if pairs and "authors" not in self.facts:
            quote = t[pairs[0].start():pairs[-1].end()]
            names = [p.group(1) for p in pairs]
            self.facts["authors"] = FrontFact("authors", "Authors: " + ", ".join(names), c, quote)
            self.facts["lead_author"] = FrontFact("lead_author", f"Lead (first-listed) author: {names[0]}", c,
                                                  pairs[0].group(0))


class FrontMatter:
    """Front-matter facts per document. A question is answered from the document it names (words of its
    title left over once the asking words are removed), else from the first of ``prefer`` (the
    documents of the best-ranked passages), else from the first document."""

    def __init__(self, chunks: list[Chunk], acronyms: list[Acronym] | None = None) -> None:
        by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            by_doc.setdefault(c.doc_id, []).append(c)
        self.docs = {d: _DocFront(cs, [a for a in acronyms or [] if a.doc_id in (d, "")])
                     for d, cs in by_doc.items()}

    @property
    def facts(self) -> dict[str, FrontFact]:
        """The first document's facts (one-document indexes read them directly)."""
        return next(iter(self.docs.values())).facts if self.docs else {}

    def published(self) -> tuple[int, int] | None:
        """(year, month) of the latest publication date any document's front matter gives."""
        months = _MONTHS.lower().split("|")
        dates = [(int(y), months.index(m.lower()) + 1) for f in self.docs.values() if "date" in f.facts
                 for m, y in [f.facts["date"].quote.split()]]
        return max(dates) if dates else None

    def naming_words(self) -> tuple[frozenset[str], frozenset[str]]:
        """(words that name a document, of which those its title block writes as acronyms: "NIST", "AMS"),
        stemmed, over all documents: "the NIST China MIC report" names the publication, not a subject."""
        names = frozenset().union(*(f.names for f in self.docs.values()))
        return names, frozenset().union(*(f.title_acronyms for f in self.docs.values()))

    def answer(self, question: str, prefer: list[str] | None = None) -> FrontFact | None:
        facts = self.answers(question, prefer)
        return facts[0] if facts else None

    def answers(self, question: str, prefer: list[str] | None = None) -> list[FrontFact]:
        """Every front-matter fact the question asks ("who put this report out and when": publisher, date)."""
        asked_kinds: list[str] = []
        rest = question
        for kind, pat in _INTENTS:  # each asking phrase is read once: "who published" asks who, not when
            if pat.search(rest):
                asked_kinds.append(kind)
                rest = pat.sub(" ", rest)
        if not asked_kinds:
            return []
        left = set(tokens(rest))
        fits = [d for d, f in self.docs.items() if not left - f.allowed and any(k in f.facts for k in asked_kinds)]
        if not fits:
            return []  # the question asks about more than the publication itself
        # the document whose own title words the question uses most; ties go to the preferred documents
        order = {d: i for i, d in enumerate(dict.fromkeys([*(prefer or []), *self.docs]))}
        best = max(fits, key=lambda d: (len(left & self.docs[d].title_words), -order[d]))
        f = self.docs[best]
        return [f.facts[k] for k in asked_kinds if k in f.facts]
