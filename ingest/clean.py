"""Markup left in extracted text, turned into the plain text a reader sees.

The shipped corpus text carries Markdown/LaTeX escapes from its conversion: ``\\$540``,
``*Industrie 4.0.*``, ``**bold**``, ``^{*}`` superscripts and ``<u>underlined</u>`` runs. They are
removed once, at ingest, so every chunk, quote and table cell is verbatim against the cleaned
text (and matches what a PDF of the same report yields).
"""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([$%&#_{}*\[\]])")
_SUPERSCRIPT = re.compile(r"\^\{([^{}\n]*)\}")
_UNDERLINE = re.compile(r"</?u>", re.IGNORECASE)
# the closing mark of an _emphasis_ whose opening was lost ("in USD current prices_ [accessed ..."); an
# underscore inside a word or a URL ("state_council") is followed by a letter and stays
_STRAY_UNDERSCORE = re.compile(r"(?<=[A-Za-z])_(?=\s)")
# *emphasis* / **strong**: the opening mark follows a non-word character and precedes a non-space,
# the closing one follows a non-space (so "5 * 3" and a lone footnote star "facturing*" stay)
_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")


def clean_markup(text: str) -> str:
    """Plain text of ``text``; idempotent, and line structure (newlines, tabs) is kept."""
    s = _UNDERLINE.sub("", text)
    s = _SUPERSCRIPT.sub(r"\1", s)
    s = _STRONG.sub(r"\1", s)
    s = _EMPHASIS.sub(r"\1", s)
    s = _STRAY_UNDERSCORE.sub("", s)
    return _ESCAPED.sub(r"\1", s)
