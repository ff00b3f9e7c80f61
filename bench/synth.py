"""Distinct synthetic documents made from the report: numbers and names rewritten per copy.

Used by the scale test (tests/test_scale_parse.py) and the ingest benchmark (bench/ingest_scale.py).
A copy keeps the report's layout (contents, headings, tab tables, reference list) so every parser
runs on it; its capitalised words and its numbers are rewritten consistently within the copy, so
copies share no sentence and the contents still match the headings.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "corpus" / "NIST.AMS.600-17.txt"

# Words the parsers read as structure (heading names, captions, legal references, months): kept as written.
_KEEP = set(
    """Abstract Keywords Acknowledgments Acknowledgements Executive Summary References Bibliography Table Contents
    List Tables Figures Figure Contact Information Foreword Preface Glossary Appendix Part Article Section Chapter
    Category Source Sources Data Excerpt Available January February March April May June July August September
    October November December Acronyms Abbreviations Unknown""".split()
)
_SYLLABLES = ["ka", "lo", "mi", "ren", "to", "va", "sel", "dor", "qu", "ni", "bar", "est", "ul", "zen", "pa", "ri"]
_WORD = re.compile(r"\b[A-Z][a-z]{3,}\b")
_NUMBER = re.compile(r"(?<![\d.])\d{2,}(?![\d.])")


def _pseudo(word: str, seed: int) -> str:
    h = hashlib.sha256(f"{seed}:{word}".encode()).digest()
    body = "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in h[: 2 + len(word) // 4])
    return body.capitalize()


def rewrite(text: str, seed: int) -> str:
    """The text with names and numbers of two or more digits rewritten for copy ``seed`` (0 = unchanged)."""
    if seed == 0:
        return text
    names: dict[str, str] = {}

    def name(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in _KEEP:
            return w
        if w not in names:
            names[w] = _pseudo(w, seed)
        return names[w]

    def number(m: re.Match[str]) -> str:
        return str(int(m.group(0)) + seed)

    return _NUMBER.sub(number, _WORD.sub(name, text))


def synthetic_text(n_bytes: int, start_seed: int = 1) -> str:
    """Distinct copies of the report joined until the text holds at least ``n_bytes`` UTF-8 bytes."""
    base = REPORT.read_text(encoding="utf-8")
    parts: list[str] = []
    size = 0
    seed = start_seed
    while size < n_bytes:
        part = rewrite(base, seed)
        parts.append(part)
        size += len(part.encode("utf-8")) + 2
        seed += 1
    return "\n\n".join(parts)


def write_documents(folder: Path, count: int, start_seed: int = 1) -> list[Path]:
    """``count`` distinct one-copy documents in ``folder`` (report-<seed>.txt)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = REPORT.read_text(encoding="utf-8")
    out = []
    for seed in range(start_seed, start_seed + count):
        p = folder / f"report-{seed:03d}.txt"
        p.write_text(rewrite(base, seed), encoding="utf-8")
        out.append(p)
    return out
