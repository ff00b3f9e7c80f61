"""The development / test split of the gold set.

Every gold item carries ``split`` ("dev" or "test"), written into gold.jsonl once and fixed by id.
The split is stratified by kind: within each kind the items are ordered by a hash of their id and the
first ``DEV_SHARE`` of them go to ``dev``. A hash, not the file order, so items written in a batch
about one topic do not all land on one side.

Rules of use (README, "What the evaluation shows"): everything that is calibrated (thresholds,
weights, word lists) is tuned on ``dev`` only; ``test`` is only ever scored.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEV_SHARE = 0.6
SPLITS: tuple[str, ...] = ("dev", "test")


def _order_key(item_id: str) -> str:
    return hashlib.sha256(item_id.encode("utf-8")).hexdigest()


def assign_splits(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each item without a ``split`` one, stratified by kind; items that have one keep it.

    Keeping existing splits means adding items later never moves an old item across the line.
    """
    items = list(items)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_kind[item["kind"]].append(item)
    for group in by_kind.values():
        fixed = [i for i in group if i.get("split") in SPLITS]
        new = sorted((i for i in group if i.get("split") not in SPLITS), key=lambda i: _order_key(i["id"]))
        want_dev = round(DEV_SHARE * len(group))
        dev_left = max(0, want_dev - sum(1 for i in fixed if i["split"] == "dev"))
        for n, item in enumerate(new):
            item["split"] = "dev" if n < dev_left else "test"
    return items


def write_gold(items: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


if __name__ == "__main__":  # one-off: `python -m evals.split` adds splits to items that have none
    import sys

    gold = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("gold.jsonl")
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    write_gold(assign_splits(rows), gold)
