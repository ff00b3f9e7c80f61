"""One small Streamlit component (st.components.v2, no iframe): text with clickable markers.

Used for an answer (its ``[n]`` markers open the source and show the quote on hover or
focus) and for a cited passage (the quoted words highlighted, the report's own ``[26]``
markers open that reference). Safety: the text arrives as data and the script builds the
page with ``textContent`` only, never ``innerHTML``, so nothing in an answer, a passage or a
question can become markup or script. The HTML, CSS and JS below are our own constants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from rag.citations import report_marker_numbers
from rag.export import highlight_segments
from rag.records import Citation, Segment

_CSS = """
.micqa-text { white-space: pre-wrap; line-height: 1.6; font-size: 1rem; overflow-wrap: anywhere; }
.micqa-text mark { background: rgba(255, 164, 33, 0.35); color: inherit; font-weight: 600; padding: 0 1px; }
.micqa-mark { position: relative; display: inline; font: inherit; font-size: 0.85em; font-weight: 600;
  color: #1c62b9; background: rgba(28, 98, 185, 0.08); border: 1px solid rgba(28, 98, 185, 0.35);
  border-radius: 4px; padding: 0 3px; margin: 0 1px; cursor: pointer; vertical-align: baseline; }
.micqa-mark:hover, .micqa-mark:focus-visible { background: rgba(28, 98, 185, 0.18); outline: none; }
.micqa-tip { display: none; position: absolute; left: 0; bottom: calc(100% + 6px); z-index: 1000;
  width: max-content; max-width: min(26rem, 78vw); white-space: normal; text-align: left;
  font-weight: 400; font-size: 0.85rem; line-height: 1.4; color: #262730; background: #ffffff;
  border: 1px solid #c9ccd6; border-radius: 6px; padding: 8px 10px; box-shadow: 0 4px 14px rgba(0,0,0,.15); }
.micqa-tip .micqa-where { display: block; margin-top: 4px; color: #6b6f7b; font-size: 0.78rem; }
.micqa-mark:hover .micqa-tip, .micqa-mark:focus .micqa-tip { display: block; }
"""

_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector('.micqa-text');
  if (!root) {
    root = document.createElement('div');
    root.className = 'micqa-text';
    parentElement.appendChild(root);
  }
  root.replaceChildren();
  for (const part of (data && data.parts) || []) {
    if (part.kind === 'text') {
      root.appendChild(document.createTextNode(part.text));
    } else if (part.kind === 'hl') {
      const mark = document.createElement('mark');
      mark.textContent = part.text;
      root.appendChild(mark);
    } else {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'micqa-mark';
      btn.dataset.kind = part.kind;
      btn.dataset.n = String(part.n);
      btn.setAttribute('aria-label', part.label);
      btn.appendChild(document.createTextNode(part.text));
      if (part.tip) {
        const tip = document.createElement('span');
        tip.className = 'micqa-tip';
        tip.setAttribute('role', 'tooltip');
        tip.appendChild(document.createTextNode(part.tip));
        if (part.where) {
          const where = document.createElement('span');
          where.className = 'micqa-where';
          where.textContent = part.where;
          tip.appendChild(where);
        }
        btn.appendChild(tip);
        // Keep the quote on screen: shift it left at the right edge, drop it below the marker near the top.
        const place = () => {
          tip.style.left = '0px'; tip.style.top = ''; tip.style.bottom = '';
          const r = tip.getBoundingClientRect();
          const over = r.right - (window.innerWidth - 8);
          if (over > 0) tip.style.left = `${-Math.min(over, btn.getBoundingClientRect().left - 8)}px`;
          if (r.top < 8) { tip.style.bottom = 'auto'; tip.style.top = 'calc(100% + 6px)'; }
        };
        btn.addEventListener('mouseenter', place);
        btn.addEventListener('focus', place);
      }
      btn.addEventListener('click', () => setTriggerValue(part.kind, part.n));
      root.appendChild(btn);
    }
  }
}
"""

# In the page, not a shadow root: the text is then found by find-in-page, copied and read like any other.
_marked_text = st.components.v2.component("micqa_marked_text", css=_CSS, js=_JS, isolate_styles=False)

# The report's own markers in a passage: "[24]", "[24, 25]", "[24-26]".
_REPORT_REF = re.compile(r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\]")


def answer_parts(segments: Sequence[Segment], citations: Sequence[Citation],
                 where: Callable[[Citation], str]) -> list[dict[str, Any]]:
    """The answer as text and one clickable marker per citation, from its typed segments (``Answer.segments``).

    The markers are the segments' numbers, never found by reading the text: a "[7]" among the words (a
    report reference named in an answer) stays words. A number no citation has is drawn as plain text."""
    by_n = {c.n: c for c in citations}
    parts: list[dict[str, Any]] = []

    def words(text: str) -> None:
        if not text:
            return
        if parts and parts[-1]["kind"] == "text":
            parts[-1]["text"] += text
        else:
            parts.append({"kind": "text", "text": text})

    for seg in segments:
        words(seg.text)
        if seg.n is None:
            continue
        c = by_n.get(seg.n)
        if c is None:
            words(f"[{seg.n}]")
            continue
        parts.append({"kind": "cite", "n": seg.n, "text": f"[{seg.n}]", "label": f"Source {seg.n}: show the passage",
                      "tip": f"\u201c{c.quote}\u201d", "where": where(c)})
    return parts


def passage_parts(text: str, quote: str, known_refs: Sequence[int]) -> list[dict[str, Any]]:
    """A passage with the quoted words highlighted and the report's own markers clickable."""
    known = set(known_refs)
    parts: list[dict[str, Any]] = []
    for segment, is_quote in highlight_segments(text, quote):
        pos = 0
        for m in _REPORT_REF.finditer(segment):
            nums = report_marker_numbers(m.group(0))
            if not nums or not all(n in known for n in nums):
                continue
            if m.start() > pos:
                parts.append({"kind": "hl" if is_quote else "text", "text": segment[pos : m.start()]})
            if len(nums) == 1:
                parts.append(_ref_part(nums[0], f"[{nums[0]}]"))
            else:  # "[24, 25]": each number its own button, the brackets plain text
                parts.append({"kind": "text", "text": "["})
                for i, n in enumerate(nums):
                    if i:
                        parts.append({"kind": "text", "text": ", "})
                    parts.append(_ref_part(n, str(n)))
                parts.append({"kind": "text", "text": "]"})
            pos = m.end()
        if pos < len(segment):
            parts.append({"kind": "hl" if is_quote else "text", "text": segment[pos:]})
    return parts


def _ref_part(n: int, text: str) -> dict[str, Any]:
    return {"kind": "ref", "n": n, "text": text, "label": f"Open the report's reference {n}"}


def marked_text(parts: list[dict[str, Any]], key: str, on_cite: Callable[[int], None] | None = None,
                on_ref: Callable[[int], None] | None = None) -> None:
    """Draw ``parts``; a click on a marker calls ``on_cite(n)`` or ``on_ref(n)`` before the rerun."""

    def fire(kind: str, handler: Callable[[int], None] | None) -> Callable[[], None]:
        def callback() -> None:
            value = getattr(st.session_state.get(key), kind, None)
            if handler is not None and value is not None:
                handler(int(value))

        return callback

    _marked_text(key=key, data={"parts": parts}, on_cite_change=fire("cite", on_cite),
                 on_ref_change=fire("ref", on_ref))
