"""Many readers at once give the same answers as one at a time: 8 threads on one engine, 4 processes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading

from rag.api import ask, get_engine
from rag.settings import Settings

from .conftest import ROOT

QUESTIONS = [
    "How many MICs are there?",
    "Who funds the MICs?",
    "What does MIIT stand for?",
    "Which MICs are in Wuhan?",
    "What is reference [20]?",
    "What is the role of Manufacturing USA institutes?",
]

Result = tuple[str, tuple[str, ...], bool]


def _key(ans) -> Result:
    return ans.text, tuple(c.chunk_id for c in ans.citations), ans.refused


def _sequential(settings: Settings, emb) -> dict[str, Result]:
    eng = get_engine(settings, embedder=emb)
    return {q: _key(ask(q, settings=settings, engine=eng)) for q in QUESTIONS}


def test_eight_threads_same_answers(fake_index) -> None:
    settings, emb = fake_index
    expected = _sequential(settings, emb)
    eng = get_engine(settings, embedder=emb)
    barrier = threading.Barrier(8)
    results: list[tuple[str, Result]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        order = QUESTIONS * 3
        random.Random(seed).shuffle(order)  # different interleavings per thread
        try:
            barrier.wait(timeout=30)
            for q in order:
                r = _key(ask(q, settings=settings, engine=eng))
                with lock:
                    results.append((q, r))
        except BaseException as exc:  # reported by the assertion below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == 8 * 3 * len(QUESTIONS)
    for q, r in results:
        assert r == expected[q], q


CHILD = """
import json, sys
from pathlib import Path
from rag.api import Engine, ask
from rag.embeddings import FakeEmbedder
from rag.settings import Settings

settings = Settings(data_dir=Path(sys.argv[1]), corpus_paths=(), embed_model_id="fake-hash-embedder")
eng = Engine(settings, embedder=FakeEmbedder())
out = {}
for q in json.loads(sys.argv[2]):
    a = ask(q, settings=settings, engine=eng)
    out[q] = [a.text, [c.chunk_id for c in a.citations], a.refused]
sys.stdout.write(json.dumps(out))
"""


def test_four_processes_same_answers(fake_index, tmp_path) -> None:
    settings, emb = fake_index
    assert emb.model_id == "fake-hash-embedder"
    expected = _sequential(settings, emb)
    script = tmp_path / "reader.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(4):
        order = list(QUESTIONS)
        random.Random(i).shuffle(order)
        procs.append(subprocess.Popen(
            [sys.executable, str(script), str(settings.data_dir), json.dumps(order)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        got = json.loads(out)
        assert set(got) == set(QUESTIONS)
        for q, (text, ids, refused) in got.items():
            assert (text, tuple(ids), refused) == expected[q], q
