"""rag.export: the Markdown conversation export and quote highlighting."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rag.export import conversation_to_markdown, highlight_segments, neutralise
from rag.records import CANNOT_ANSWER, Answer, Chunk, Citation, ReportReference, ScoredChunk

WHEN = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
REF = ReportReference(
    number=20,
    text="Smith J (2020) Made in China 2025 explained.",
    authors="Smith J",
    year="2020",
    title="Made in China 2025 explained",
    url="https://example.org/mic2025",
    start=0,
    end=1,
)


def _chunk(text: str, page: int | None = 12) -> Chunk:
    return Chunk(
        id="c1",
        doc_id="d",
        doc_title="China's Manufacturing Innovation Centers",
        section_number="3.2.3",
        section_path=("3. MICs", "3.2.3. Financing"),
        page=page,
        start=0,
        end=len(text),
        kind="prose",
        text=text,
        embed_text=text,
    )


def _answer(
    text: str, quote: str = "funded by central governments", *, refs: list[ReportReference] | None = None
) -> Answer:
    chunk = _chunk(f"MICs are {quote}.")
    return Answer(
        question="How are MICs funded?",
        standalone_question="How are MICs funded?",
        text=text,
        raw_text=text,
        citations=[
            Citation(
                n=1,
                chunk_id="c1",
                doc=chunk.doc_title,
                section=chunk.section,
                page=12,
                quote=quote,
                references=[REF] if refs is None else refs,
            )
        ],
        contexts=[ScoredChunk(chunk, 1.0)],
        refused=False,
        backend="embedded",
        latency_ms=1.0,
    )


def test_export_has_question_answer_quote_section_page_and_references() -> None:
    md = conversation_to_markdown(
        [("How are MICs funded?", _answer("They are funded by governments [1]."))], exported_at=WHEN
    )
    assert "## Q1. How are MICs funded?" in md
    assert "They are funded by governments [1]." in md
    assert "funded by central governments" in md
    assert "3. MICs \u203a 3.2.3. Financing, page 12" in md
    assert "2025-05-01 12:00 UTC" in md
    assert "[20] Smith J (2020) *Made in China 2025 explained*. https://example.org/mic2025" in md


def test_export_refused_answer_and_missing_answer() -> None:
    refused = Answer(
        question="Weather?",
        standalone_question="Weather?",
        text=CANNOT_ANSWER,
        raw_text=CANNOT_ANSWER,
        citations=[],
        contexts=[],
        refused=True,
        backend="embedded",
        latency_ms=1.0,
        related=[ScoredChunk(_chunk("Some related passage.", page=None), 0.1)],
    )
    md = conversation_to_markdown([("Weather?", refused), ("Interrupted?", None)], exported_at=WHEN)
    assert "**Not in the report.** " + CANNOT_ANSWER in md
    assert "Some related passage." in md and "page not known" in md
    assert "## Q2. Interrupted?" in md and "No answer" in md


def test_export_neutralises_html_images_and_outside_links() -> None:
    evil = (
        "See <script>alert(1)</script> and <img src=x onerror=alert(2)> "
        "![tracker](https://evil.example/pixel.png) [click](https://evil.example/phish) "
        "[the source](https://example.org/mic2025) https://evil.example/bare www.evil.example "
        "<https://evil.example/auto> [1]"
    )
    md = conversation_to_markdown(
        [("<b>bold</b> question https://evil.example/q", _answer(evil, quote="<i>quoted</i> https://evil.example/qq"))],
        exported_at=WHEN,
    )
    assert "<" not in md.replace("&lt;", "") and ">" not in re.sub(r"(&gt;|^\s*> |\s> )", "", md, flags=re.M)
    assert "&lt;script&gt;" in md and "&lt;img src=x" in md
    assert "![" not in md and "pixel.png" not in md and "[image: tracker]" in md
    assert "phish" not in md and "click" in md
    assert "[the source](https://example.org/mic2025)" in md  # a report reference URL stays a link
    # Every remaining outside URL is an inert code span, never a link.
    urls = re.findall(r"(?:https?://|www\.)[^\s`)&]+", md)
    outside = [u for u in urls if "example.org/mic2025" not in u]
    assert outside
    for url in outside:
        assert f"`{url}" in md


def test_neutralise_keeps_plain_text() -> None:
    text = "China has 33 MICs (as of March 2025); R&D spending rose [1][2]."
    assert neutralise(text) == text


def test_neutralise_drops_link_definitions() -> None:
    assert "evil" not in neutralise("[x][1]\n[1]: https://evil.example/")


def test_highlight_exact_and_whitespace_insensitive() -> None:
    text = "The MICs are funded by central,\n provincial and local governments. Banks lend."
    segs = highlight_segments(text, "funded by central, provincial and local governments")
    assert "".join(s for s, _ in segs) == text
    assert [s for s, hit in segs if hit] == ["funded by central,\n provincial and local governments"]
    assert highlight_segments("abc", "abc") == [("abc", True)]
    assert highlight_segments("abc def", "def") == [("abc ", False), ("def", True)]


def test_highlight_no_match_or_empty() -> None:
    assert highlight_segments("abc", "zzz") == [("abc", False)]
    assert highlight_segments("abc", "") == [("abc", False)]
    assert highlight_segments("", "abc") == []
