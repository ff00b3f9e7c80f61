"""The LangChain-tutorial baseline on a tiny corpus, with the real MiniLM embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.baseline import corpus_files, run_baseline
from evals.scoring import score
from rag.settings import Settings

PARAGRAPHS = {
    "batteries.txt": (
        "The power battery centre in Beijing develops lithium-ion cells for electric cars, scooters and buses. "
        "Its pilot plant tests new cathode chemistries for longer driving range."
    ),
    "farming.md": (
        "The agriculture machine centre in Luoyang builds tractors and harvesters for wheat and corn farms. "
        "Farmers use its combine harvesters during the autumn harvest."
    ),
    "fraunhofer.txt": (
        "The Fraunhofer Society in Germany runs 76 applied research institutes. "
        "Its Senate appoints the Executive Board, which manages the institutes centrally."
    ),
}


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in PARAGRAPHS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "ignored.pdf").write_bytes(b"%PDF-1.4 not read by the baseline")
    return corpus


def test_corpus_files_reads_only_text_and_markdown(tiny_corpus):
    assert [p.name for p in corpus_files([tiny_corpus])] == ["batteries.txt", "farming.md", "fraunhofer.txt"]


@pytest.mark.slow
def test_baseline_returns_the_expected_top_context(tiny_corpus):
    settings = Settings(corpus_paths=(tiny_corpus,))
    questions = [
        "Which centre works on tractors and harvesters?",
        "Who appoints the executive board of the German research society?",
        "Where are lithium-ion batteries for electric vehicles developed?",
    ]
    results = run_baseline(questions, settings, k=10)
    assert len(results) == 3
    assert "Luoyang" in results[0]["contexts"][0]["text"]
    assert "Senate" in results[1]["contexts"][0]["text"]
    assert "lithium-ion" in results[2]["contexts"][0]["text"]
    # Three tiny files, one chunk each: k=10 returns them all, in the ask --json shape.
    assert all(len(r["contexts"]) == 3 for r in results)
    assert set(results[0]) >= {"question", "answer", "refused", "citations", "contexts", "latency_ms"}
    assert results[0]["backend"] == "baseline"

    # The same scorer computes retrieval figures for it.
    items = [
        {
            "id": "1",
            "question": questions[0],
            "answer": "",
            "key_facts": [["Luoyang"]],
            "evidence": [["Luoyang"]],
            "answerable": True,
            "kind": "fact",
        },
        {
            "id": "2",
            "question": questions[1],
            "answer": "",
            "key_facts": [["Senate"]],
            "evidence": [["Senate"]],
            "answerable": True,
            "kind": "fact",
        },
    ]
    out = score(items, results[:2], retrieval_only=True)
    assert out["recall@1"] == 1.0 and out["mrr@10"] == 1.0
