"""The scorer (evals/scoring.py) on hand-made answers with known scores, and the runner around it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

from evals import runner
from evals.scoring import (
    contains,
    first_evidence_rank,
    matches_key_facts,
    normalize,
    percentile,
    satisfies_evidence,
    score,
)
from rag.records import CANNOT_ANSWER, Answer, Chunk, Citation, ScoredChunk
from rag.settings import Settings

# ------------------------------------------------------------------ normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello   World\n\tAgain", "hello world again"),
        ("\\$540 and \\*x\\* 3 \\* 4", "$540 and x 3 * 4"),  # escapes go; a lone * stays
        ("2016–2020 — 10‑22 nm", "2016-2020 - 10-22 nm"),
        ("“quoted” ‘single’", "\"quoted\" 'single'"),
        ("$2,840,447 million; 1,800 funds", "$2840447 million; 1800 funds"),
        ("*Industrie 4.0.* and **bold** and _under_", "industrie 4.0. and bold and under"),
        ("[1, 2] and 2016, 2017", "[1, 2] and 2016, 2017"),  # a comma and a space is not a separator
        ("80 % of it", "80% of it"),
        ("snake_case_name", "snake_case_name"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_contains_respects_number_and_word_edges():
    assert contains("six mics, 6 in all", "6")
    assert not contains("founded in 2016", "6")
    assert not contains("400 million", "40")
    assert not contains("4.2% growth", "4")
    assert contains("4.2% growth", "4.2%")
    assert not contains("often", "ten")
    assert not contains("partnership", "ip")
    assert contains("batteries", "batter")  # stems still match


# ------------------------------------------------------------------ key facts and evidence


def test_key_facts_exact_and_near_misses():
    kf = [["33", "thirty-three"], ["40", "forty"]]
    assert matches_key_facts("At least 33 MICs exist; the goal was 40 by 2025.", kf)
    assert matches_key_facts("Thirty-three so far, forty planned.", kf)
    assert not matches_key_facts("At least 34 MICs exist; the goal was 40.", kf)  # wrong number
    assert not matches_key_facts("At least 33 MICs exist.", kf)  # one group missing
    assert not matches_key_facts("anything", [])


def test_key_facts_list_items_each_required():
    kf = [["Power Battery"], ["Additive Manufacturing"]]
    assert matches_key_facts(
        "The **National Power Battery** MIC and the National Institute of *Additive Manufacturing*.", kf
    )
    assert not matches_key_facts("Only the National Power Battery Manufacturing Innovation Center.", kf)


def test_key_facts_number_formats():
    assert matches_key_facts("$2,840,447 million", [["2840447"]])
    assert matches_key_facts("2840447 million USD", [["2,840,447"]])
    assert matches_key_facts("about \\$540 million", [["$540"]])
    assert matches_key_facts("about $540 million", [["\\$540"]])
    assert matches_key_facts("400 million USD", [["400 million"]])
    assert not matches_key_facts("4 billion USD", [["400 million"]])


def test_satisfies_evidence_needs_all_strings_of_one_alternative():
    ev = [["National Graphene Innovation Center", "Ningbo"], ["graphene", "Zhejiang"]]
    assert satisfies_evidence("26\tNational Graphene Innovation Center\t2022\tZhejiang\tNingbo", ev)
    assert satisfies_evidence("A graphene centre in Zhejiang.", ev)
    assert not satisfies_evidence("National Graphene Innovation Center, 2022", ev)
    assert not satisfies_evidence("anything", [])


# ------------------------------------------------------------------ score()


def ctx(cid: str, text: str) -> dict:
    return {"chunk_id": cid, "doc": "d", "section": "s", "page": None, "kind": "prose", "score": 1.0, "text": text}


def res(answer: str, contexts: list[dict], cited: list[str] = (), refused: bool = False, latency: float = 10.0) -> dict:
    cites = [
        {"n": i, "chunk_id": c, "doc": "d", "section": "s", "page": None, "quote": "", "references": []}
        for i, c in enumerate(cited, 1)
    ]
    return {
        "question": "q",
        "standalone_question": "q",
        "answer": answer,
        "refused": refused,
        "citations": cites,
        "contexts": contexts,
        "backend": "test",
        "latency_ms": latency,
    }


def item(iid: str, kind: str, kf: list, ev: list, answerable: bool = True) -> dict:
    return {
        "id": iid,
        "question": f"question {iid}",
        "answer": "ref",
        "key_facts": kf,
        "evidence": ev,
        "answerable": answerable,
        "kind": kind,
    }


FILLER = [ctx(f"f{i}", f"unrelated passage {i}") for i in range(10)]
HIT = ctx("hit", "The National Power Battery MIC reportedly received 400 million USD during its creation.")
EV = [["National Power Battery MIC", "400 million USD"]]
KF = [["400 million"]]


def test_answer_accuracy_refusals_and_length():
    items = [
        item("a", "fact", KF, EV),  # correct
        item("b", "fact", KF, EV),  # wrong number
        item("c", "fact", KF, EV),  # refused: a false refusal
        item("d", "fact", KF, EV),  # right but over 1000 characters
        item("u1", "unanswerable", [], [], answerable=False),  # refused: right
        item("u2", "unanswerable", [], [], answerable=False),  # answered: wrong
    ]
    results = [
        res("It received 400 million USD [1].", [HIT], ["hit"]),
        res("It received 300 million USD [1].", [HIT], ["hit"]),
        res(CANNOT_ANSWER, [HIT], refused=True),
        res("400 million USD. " + "x" * 1000, [HIT], ["hit"]),
        res(CANNOT_ANSWER, [], refused=True),
        res("It was about 5 billion.", [HIT]),
    ]
    out = score(items, results)
    assert out["answer_accuracy"] == pytest.approx(1 / 4)
    assert out["false_refusal_rate"] == pytest.approx(1 / 4)
    assert out["refusal_accuracy"] == pytest.approx(1 / 2)
    assert out["n"] == 6 and out["n_answerable"] == 4 and out["n_unanswerable"] == 2
    assert out["by_kind"]["fact"]["answer_accuracy"] == pytest.approx(1 / 4)
    assert out["by_kind"]["unanswerable"]["refusal_accuracy"] == pytest.approx(1 / 2)
    assert out["by_kind"]["unanswerable"]["answer_accuracy"] is None
    reasons = {f["id"]: f["reason"] for f in out["failures"]}
    assert set(reasons) == {"b", "c", "d", "u2"}
    assert "missing key facts" in reasons["b"]
    assert "refused" in reasons["c"]
    assert "too long" in reasons["d"]
    assert "does not answer" in reasons["u2"]
    failure = next(f for f in out["failures"] if f["id"] == "c")
    assert set(failure) == {"id", "kind", "question", "expected", "answer", "refused", "reason", "split"}
    assert failure["refused"] is True


def test_recall_and_mrr_on_constructed_rankings():
    def at(rank: int | None) -> list[dict]:
        ranked = list(FILLER)
        if rank is not None:
            ranked.insert(rank - 1, HIT)
        return ranked[:10]

    items = [item(str(r), "fact", KF, EV) for r in range(4)] + [item("u", "unanswerable", [], [], answerable=False)]
    results = [
        res("", at(1)),
        res("", at(3)),
        res("", at(7)),
        res("", at(None)),
        res(CANNOT_ANSWER, at(1), refused=True),
    ]
    out = score(items, results)
    assert out["recall@1"] == pytest.approx(1 / 4)
    assert out["recall@5"] == pytest.approx(2 / 4)
    assert out["recall@10"] == pytest.approx(3 / 4)
    assert out["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 7 + 0) / 4)
    assert first_evidence_rank(at(7), EV) == 7


def test_citation_recall_and_precision():
    other = ctx("other", "Germany's Fraunhofer Institutes began in 1949.")
    items = [item("a", "fact", KF, EV), item("b", "fact", KF, EV), item("c", "fact", KF, EV)]
    results = [
        res("400 million USD [1][2].", [HIT, other], ["hit", "other"]),  # recall yes; 1 of 2 precise
        res("400 million USD [1].", [other, HIT], ["other"]),  # retrieved but cited the wrong chunk
        res("400 million USD.", [HIT]),  # no citations at all
    ]
    out = score(items, results)
    assert out["citation_recall"] == pytest.approx(1 / 3)
    assert out["citation_precision"] == pytest.approx(1 / 3)
    assert out["n_citations"] == 3
    assert out["answer_accuracy"] == pytest.approx(1.0)


def test_citation_text_falls_back_to_quote_when_chunk_not_in_contexts():
    r = res("400 million USD [1].", [], ["elsewhere"])
    r["citations"][0]["quote"] = "the National Power Battery MIC reportedly received 400 million USD"
    out = score([item("a", "fact", KF, EV)], [r])
    assert out["citation_recall"] == 1.0 and out["citation_precision"] == 1.0


def test_latency_percentiles_and_result_mapping():
    items = [item(str(i), "fact", KF, EV) for i in range(1, 5)]
    results = {str(i): res("400 million", [HIT], latency=float(i * 100)) for i in range(1, 5)}
    out = score(items, results)
    assert out["latency_p50_ms"] == pytest.approx(250.0)
    assert out["latency_p95_ms"] == pytest.approx(385.0)
    assert percentile([], 50) is None


def test_retrieval_only_leaves_out_answer_figures():
    out = score([item("a", "fact", KF, EV)], [res("", [HIT])], retrieval_only=True)
    assert out["recall@1"] == 1.0
    assert "answer_accuracy" not in out and "failures" not in out


def test_missing_result_is_a_failure():
    out = score([item("a", "fact", KF, EV)], {})
    assert out["answer_accuracy"] == 0.0
    assert out["failures"][0]["reason"].startswith("error")


# ------------------------------------------------------------------ runner (with a fake rag.api.ask)


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(
        id=cid,
        doc_id="doc",
        doc_title="Doc",
        section_number="1",
        section_path=("1. Intro",),
        page=1,
        start=0,
        end=len(text),
        kind="prose",
        text=text,
        embed_text=text,
    )


@pytest.fixture
def tiny_gold(tmp_path: Path) -> Path:
    rows = [
        item("fact-001", "fact", KF, EV),
        item("unanswerable-001", "unanswerable", [], [], answerable=False),
        {
            **item("followup-001", "followup", [["Ningbo"]], [["Graphene", "Ningbo"]]),
            "history": [
                {"role": "user", "content": "When was the graphene center set up?"},
                {"role": "assistant", "content": "2022."},
            ],
        },
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fake_ask(monkeypatch):
    calls: list[dict] = []
    hit = _chunk("c-hit", HIT["text"])
    graphene = _chunk("c-g", "26 National Graphene Innovation Center 2022 Zhejiang Ningbo Advanced materials")

    def ask(question, history=None, settings=None, *, k=None, backend=None, filters=None, on_token=None):
        calls.append({"question": question, "history": history, "k": k, "backend": backend})
        if question.startswith("question unanswerable"):
            return Answer(question, question, CANNOT_ANSWER, CANNOT_ANSWER, [], [], True, "fake", 5.0)
        chunk = graphene if history else hit
        text = "It is in Ningbo [1]." if history else "400 million USD [1]."
        cite = Citation(n=1, chunk_id=chunk.id, doc="Doc", section="1. Intro", page=1, quote=chunk.text[:20])
        return Answer(question, question, text, text, [cite], [ScoredChunk(chunk, 0.9)], False, "fake", 12.0)

    import rag.api

    monkeypatch.setattr(rag.api, "ask", ask)
    return calls


def test_run_eval_uses_the_api_and_scores(tiny_gold, fake_ask):
    out = runner.run_eval(tiny_gold, Settings(), backend="extractive", k=10, variants=False)
    assert out["answer_accuracy"] == 1.0
    assert out["refusal_accuracy"] == 1.0
    assert out["recall@1"] == 1.0 and out["citation_recall"] == 1.0
    assert [c["k"] for c in fake_ask] == [10, 10, 10]
    assert fake_ask[0]["backend"] == "extractive"
    assert fake_ask[2]["history"][0].role == "user"  # history became Turn objects
    assert [r["id"] for r in out["results"]] == ["fact-001", "unanswerable-001", "followup-001"]
    assert out["meta"]["backend"] == "fake"


def test_run_eval_records_an_item_that_raises(tiny_gold, monkeypatch):
    import rag.api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(rag.api, "ask", broken)
    out = runner.run_eval(tiny_gold, Settings())
    assert out["answer_accuracy"] == 0.0
    assert any("boom" in f["reason"] for f in out["failures"])


def test_thresholds(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[floors]\nanswer_accuracy = 0.5\n"recall@5" = 0.5\n[ceilings]\nfalse_refusal_rate = 0.1\n')
    ok = {"answer_accuracy": 0.6, "recall@5": 0.9, "false_refusal_rate": 0.0}
    assert runner.check_thresholds(ok, path) == []
    bad = {"answer_accuracy": 0.4, "recall@5": 0.9, "false_refusal_rate": 0.2}
    msgs = runner.check_thresholds(bad, path)
    assert len(msgs) == 2 and any("answer_accuracy" in m for m in msgs) and any("false_refusal_rate" in m for m in msgs)
    # The shipped floors reject a system that answers nothing, on every figure they name.
    nothing = {"answer_accuracy": 0.0, "closed_accuracy": 0.0, "open_pass_rate": 0.0, "refusal_accuracy": 0.0,
               "recall@5": 0.0, "citation_recall": 0.0, "false_refusal_rate": 1.0, "open_refusal_rate": 1.0}
    zero = {**nothing, "splits": {"dev": nothing, "test": nothing}, "pdf_gap": 1.0,
            "variants": {"by_kind": {"test": {"all": {"gap": 1.0}}}}}
    config = tomllib.loads(runner.DEFAULT_THRESHOLDS.read_text())
    assert len(runner.check_thresholds(zero)) == len(config["floors"]) + len(config["ceilings"])


def test_main_eval_writes_json_report_and_chart(tiny_gold, fake_ask, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text("[floors]\nanswer_accuracy = 1.01\n")
    console = Console(record=True, width=200)
    kwargs = {"console": console, "report_path": tmp_path / "REPORT.md", "chart_path": tmp_path / "chart.png"}
    code = runner.main_eval(
        tiny_gold, Settings(), None, None, tmp_path / "out.json", False, True, thresholds_path=strict, **kwargs
    )
    assert code == 1
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["answer_accuracy"] == 1.0 and "by_kind" in data
    report = (tmp_path / "REPORT.md").read_text()
    assert "answer_accuracy" in report and "](chart.png)" in report
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "micqa evaluation" in console.export_text()
    assert runner.main_eval(tiny_gold, Settings(), None, None, None, False, False, **kwargs) == 0


def test_run_eval_also_scores_the_retriever_alone(real_index, tmp_path):
    """The report separates the hybrid retriever by itself from the contexts an answer returns."""
    from evals.report import render_markdown

    settings = real_index
    gold = tmp_path / "gold.jsonl"
    item = {"id": "fact-001", "question": "How many active institutes does Manufacturing USA have?",
            "answer": "18.", "key_facts": [["18"]],
            "evidence": [["has 18 active institutes"], ["Country: USA", "# of Institutes: 18"]],
            "answerable": True, "kind": "fact"}
    gold.write_text(json.dumps(item) + "\n")
    out = runner.run_eval(gold, settings, k=10)
    assert out["recall@1"] == 1.0 and out["retriever"]["recall@10"] == 1.0
    assert "hybrid retriever alone" in render_markdown(out, None)
