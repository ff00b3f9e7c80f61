"""Clean and bound a question before anything else touches it.

Terminal escape sequences (CSI such as ``ESC[31m``, OSC such as a window title) are removed whole,
then control, format (zero-width, bidi) and Unicode tag characters, lone surrogates are dropped,
whitespace is collapsed. Cleaning is idempotent: clean(clean(x)) == clean(x).
The length cap is checked on the raw input first, so a 10 MB paste is rejected before any work.
"""

from __future__ import annotations

import re
import unicodedata

from rag.errors import BadQuestion

_WS = re.compile(r"\s+")
# ECMA-48: CSI = ESC [ (or 8-bit 0x9B) params, intermediates, final byte; OSC = ESC ] ... BEL or ESC \;
# other two-byte escapes (ESC ( B, ESC 7 ...). Removing only the ESC would leave "[31m" in the question.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)


def _keep(ch: str) -> bool:
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ch in "\t\n"  # whitespace controls become spaces below
    return True


def clean_text(text: str) -> str:
    text = _ANSI.sub("", text)  # no ESC survives the filter below, so a second pass finds none: idempotent
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if _keep(ch)))
    # NFC can in principle compose into new characters; filter again so the result is a fixed point
    text = "".join(ch for ch in text if _keep(ch))
    return _WS.sub(" ", text).strip()


def clean_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise BadQuestion("The question must be text; type a question about the report.")
    if len(question) > max_chars * 4:
        raise BadQuestion(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,}. Shorten it and ask again."
        )
    q = clean_text(question)
    if not q:
        raise BadQuestion("The question is empty; type a question about the report.")
    if len(q) > max_chars:
        raise BadQuestion(f"The question is {len(q):,} characters long; the limit is {max_chars:,}. Shorten it and ask again.")
    return q
