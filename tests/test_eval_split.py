"""The development / test split, the open-question rubrics, the paraphrased variants and where reports go."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.runner import _lookup, check_thresholds, default_report_path, load_gold
from evals.scoring import key_point_coverage, normalize, score
from evals.split import DEV_SHARE, assign_splits
from evals.variants import VARIANT_KINDS, make_variants
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold.jsonl"
REPORT = ROOT / "corpus" / "NIST.AMS.600-17.txt"
OPEN_KINDS = ("explain", "summary", "compare", "list", "whole_report")


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return load_gold(GOLD)


def test_every_item_has_a_split_stratified_by_kind(items):
    assert {i["split"] for i in items} == {"dev", "test"}
    by_kind = Counter(i["kind"] for i in items)
    dev = Counter(i["kind"] for i in items if i["split"] == "dev")
    for kind, n in by_kind.items():
        assert abs(dev[kind] - DEV_SHARE * n) <= 1, kind


def test_assign_splits_is_stable_and_keeps_existing():
    rows = [{"id": f"x-{i}", "kind": "fact"} for i in range(10)]
    a = assign_splits([dict(r) for r in rows])
    b = assign_splits([dict(r) for r in reversed(rows)])
    assert {r["id"]: r["split"] for r in a} == {r["id"]: r["split"] for r in b}
    assert sum(r["split"] == "dev" for r in a) == 6
    # adding items later never moves an old one
    more = assign_splits(a + [{"id": f"y-{i}", "kind": "fact"} for i in range(5)])
    assert {r["id"]: r["split"] for r in more if r["id"].startswith("x")} == {r["id"]: r["split"] for r in a}


def test_open_items_and_their_key_points_are_in_the_report(items):
    report = normalize(REPORT.read_text(encoding="utf-8"))
    opened = [i for i in items if i["kind"] in OPEN_KINDS]
    assert len(opened) + sum(1 for i in items if i["id"].startswith("unanswerable-o-")) >= 80
    assert len(items) >= 370
    for item in opened:
        assert item["answerable"] and item["key_points"], item["id"]
        assert 0 < item["need"] <= 1, item["id"]
        for point in item["key_points"]:
            assert point, item["id"]
            for alt in point:
                assert normalize(alt) in report, (item["id"], alt)


def test_rubric_scoring_passes_on_coverage_and_fails_refusals_and_long_answers():
    item = {"id": "o", "question": "why?", "answer": "", "key_facts": [], "evidence": [], "answerable": True,
            "kind": "explain", "key_points": [["private capital"], ["equity"], ["local government"]], "need": 0.6}
    good = {"answer": "They draw on private capital and equity.", "refused": False, "contexts": [], "citations": []}
    thin = {"answer": "They draw on equity.", "refused": False, "contexts": [], "citations": []}
    refused = {**good, "refused": True}
    long = {**good, "answer": good["answer"] + " x" * 800}
    assert key_point_coverage(good["answer"], item["key_points"]) == pytest.approx(2 / 3)
    for res, ok in ((good, True), (thin, False), (refused, False), (long, False)):
        out = score([item], [res])
        assert out["open_pass_rate"] == (1.0 if ok else 0.0), res["answer"][:40]
    assert score([item], [good])["by_kind"]["explain"]["n_open"] == 1


def test_variants_keep_the_facts_and_change_the_wording(items):
    item = next(i for i in items if i["answerable"] and not i.get("history"))
    vs = make_variants(item)
    assert {v["variant"] for v in vs} == set(VARIANT_KINDS)
    for v in vs:
        assert v["question"] != item["question"]
        assert v["key_facts"] == item["key_facts"] and v["evidence"] == item["evidence"]
        assert v["split"] == item["split"] and v["original"] == item["id"]
    assert make_variants(item) == vs  # the same every run
    lower = next(v for v in vs if v["variant"] == "lowercase")["question"]
    assert lower == lower.lower() and not lower.endswith("?")
    assert not make_variants({**item, "history": [{"role": "user", "content": "x"}]})
    assert not make_variants({**item, "answerable": False})


def test_thresholds_read_split_and_variant_figures():
    result = {"answer_accuracy": 0.9, "splits": {"test": {"open_pass_rate": 0.5, "recall@5": 0.97}},
              "variants": {"by_kind": {"test": {"all": {"gap": 0.01}}}}}
    assert _lookup(result, "test.open_pass_rate") == 0.5
    assert _lookup(result, "test.recall@5") == 0.97
    assert _lookup(result, "variants.test.all.gap") == 0.01
    cfg = Path(__file__).parent / "_thr.toml"
    try:
        cfg.write_text('[floors]\n"test.open_pass_rate" = 0.6\n[ceilings]\n"variants.test.all.gap" = 0.02\n')
        msgs = check_thresholds(result, cfg)
        assert len(msgs) == 1 and "test.open_pass_rate" in msgs[0]
    finally:
        cfg.unlink()


def test_a_report_goes_to_the_data_folder_unless_a_path_is_given(tmp_path):
    s = Settings(data_dir=tmp_path)
    a, b = default_report_path(s), default_report_path(s)
    assert a.is_relative_to(tmp_path / "evals")
    assert "REPORT-" in a.name and a.parent == b.parent


def test_eval_of_another_gold_file_leaves_the_committed_report_alone(tmp_path, monkeypatch):
    import evals.runner as runner

    committed = ROOT / "evals" / "REPORT.md"
    before = committed.read_bytes()
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"id": "f", "question": "q?", "answer": "a", "key_facts": [["a"]], "evidence": [],
                                "answerable": True, "kind": "fact", "split": "test"}) + "\n")

    def fake_ask(item, settings, k, backend):
        return {"answer": "a", "refused": False, "contexts": [], "citations": [], "latency_ms": 1.0}

    monkeypatch.setattr(runner, "_ask_one", fake_ask)
    monkeypatch.setattr(runner, "_retriever_alone", lambda *a, **kw: {})
    code = runner.main_eval(gold, Settings(data_dir=tmp_path), None, None, None, False, False)
    assert code == 0
    assert committed.read_bytes() == before
    written = list((tmp_path / "evals").glob("REPORT-*.md"))
    assert len(written) == 1 and "test questions" in written[0].read_text()


@pytest.mark.parametrize("path", sorted((ROOT / "evals" / "fresh").glob("*.jsonl")), ids=lambda p: p.name)
def test_the_fresh_sets_load_and_their_answers_are_in_the_report(path):
    # the sets written without seeing the gold set (README: "What the evaluation shows")
    report = normalize(REPORT.read_text(encoding="utf-8"))
    fresh = load_gold(path)
    assert len(fresh) >= 80 and len({i["id"] for i in fresh}) == len(fresh)
    for item in fresh:
        for alt in [a for fact in item.get("key_facts", []) for a in fact] + \
                   [a for point in item.get("key_points", []) for a in point]:
            assert normalize(alt) in report, (item["id"], alt)
        if item.get("key_points"):
            assert 0 < item["need"] <= 1, item["id"]
