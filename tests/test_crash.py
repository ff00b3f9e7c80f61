"""Crash safety and the one-writer rule.

- An ingest SIGKILLed at any moment leaves the previous index answering exactly as before,
  and the next ingest completes.
- A second ingest while one is running exits with IngestLocked's message (or waits, if asked).
- Asking never writes into the index.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.build import build_index
from rag.api import Engine, ask, lookup
from rag.embeddings import FakeEmbedder
from rag.errors import IngestLocked
from rag.settings import Settings
from rag.store import current_build_dir

from .conftest import CORPUS, ROOT

log = logging.getLogger(__name__)

QUESTIONS = [
    "How many MICs are there?",
    "What is a manufacturing innovation center?",
    "Who funds the MICs?",
    "What does MIIT do?",
]

# The slow-down lives only in this child script (a wrapper around the FakeEmbedder), not in product code.
CHILD = """
import os, sys, time
from pathlib import Path
from ingest.build import build_index
from rag.embeddings import FakeEmbedder
from rag.settings import Settings

class SlowEmbedder(FakeEmbedder):
    def embed_documents(self, texts):
        time.sleep(float(os.environ.get("MICQA_TEST_SLOW_EMBED", "0")))
        return super().embed_documents(texts)

def progress(stage, done, total):
    if stage == "write" and done == 0:
        Path(sys.argv[3]).touch()  # all chunks and sentences embedded: the build is being written next

settings = Settings(data_dir=Path(sys.argv[1]), corpus_paths=(Path(sys.argv[2]),),
                    embed_model_id="fake-hash-embedder")
build_index(settings, embedder=SlowEmbedder(), force=True, progress=progress)
"""


def _answers(settings: Settings) -> list[tuple[str, list[str]]]:
    eng = Engine(settings, embedder=FakeEmbedder())  # fresh: never a cached engine
    out = []
    for q in QUESTIONS:
        a = ask(q, settings=settings, engine=eng)
        out.append((a.text, [c.chunk_id for c in a.citations]))
    return out


@pytest.fixture
def served(fake_index, tmp_path) -> Settings:
    """A private copy of the fake index: the 'previous index' a crashing ingest must not harm."""
    settings, _ = fake_index
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("ingest.lock"))
    return replace(settings, data_dir=data)


def _new_corpus(tmp_path: Path) -> Path:
    # another file name gives other chunk ids, so every chunk is embedded again (slowly) by the child
    corpus = tmp_path / "corpus-v2"
    corpus.mkdir()
    shutil.copy(CORPUS, corpus / "report-v2.txt")
    return corpus


def _start_child(tmp_path: Path, settings: Settings, corpus: Path, marker: Path) -> subprocess.Popen:
    script = tmp_path / "child_ingest.py"
    script.write_text(CHILD)
    env = {**os.environ, "MICQA_TEST_SLOW_EMBED": "0.1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script), str(settings.data_dir), str(corpus), str(marker)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL; True when the child was still running (the kill really interrupted something)."""
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return running


# Seconds after start, or (event, extra seconds). Events: "embedded" (all vectors made; writing
# next), "final" (the build dir was renamed into place; validating next), "switched" (CURRENT now
# names the new build; pruning next).
MOMENTS: list[float | tuple[str, float]] = [0.05, 0.2, 0.5, 1.0, ("embedded", 0.0), ("embedded", 0.3),
                                            ("final", 0.0), ("switched", 0.0)]


def _event(name: str, settings: Settings, marker: Path, base: Path | None) -> bool:
    if name == "embedded":
        return marker.exists()
    if name == "final":
        return any(p != base and not p.name.startswith("tmp-") for p in (settings.data_dir / "builds").iterdir())
    return current_build_dir(settings) != base


def test_sigkill_during_ingest_keeps_previous_index(served, tmp_path) -> None:
    base_build = current_build_dir(served)
    before = _answers(served)
    corpus = _new_corpus(tmp_path)
    interrupted = 0
    for i, moment in enumerate(MOMENTS):
        marker = tmp_path / f"embedded-{i}"
        proc = _start_child(tmp_path, served, corpus, marker)
        t0 = time.monotonic()
        if isinstance(moment, float):
            time.sleep(moment)
        else:
            while not _event(moment[0], served, marker, base_build) and proc.poll() is None \
                    and time.monotonic() - t0 < 60:
                time.sleep(0.002)
            time.sleep(moment[1])
        interrupted += _kill(proc)
        if isinstance(moment, float):
            assert proc.returncode == -signal.SIGKILL, (moment, proc.stderr.read() if proc.stderr else "")
        now = current_build_dir(served)
        log.info("kill at %s: child returncode=%s, pointer %s", moment, proc.returncode,
                 "kept" if now == base_build else "switched")
        if now == base_build:
            assert _answers(served) == before, moment  # identical answers from the untouched index
        else:
            # killed after the pointer switch: the new build is complete and valid
            assert now is not None and (now / "manifest.json").exists(), moment
            eng = Engine(served, embedder=FakeEmbedder())
            assert eng.collection.count() == eng.index.manifest.counts["chunks"]
            assert {c.doc_id for c in eng.index.chunks} == {"report-v2"}
            base_build, before = now, _answers(served)
    assert interrupted >= len(MOMENTS) - 1  # the kills landed mid-ingest

    # the next ingest completes and cleans up what the killed ones left behind
    report = build_index(served, [corpus], embedder=FakeEmbedder(), force=True)
    assert report.chunks > 100
    builds = served.data_dir / "builds"
    assert not list(builds.glob("tmp-*"))
    assert current_build_dir(served) == builds / report.build
    # only the new build and the one current before it remain (no orphan of a killed ingest)
    assert sorted(p.name for p in builds.iterdir()) == sorted({report.build, base_build.name})
    eng = Engine(served, embedder=FakeEmbedder())
    assert eng.collection.count() == report.chunks
    assert {c.doc_id for c in eng.index.chunks} == {"report-v2"}


def _fake_cli_embedder(monkeypatch) -> None:
    """The CLI loads the real model (and exports ONNX); a fake with the same id keeps tests fast and offline."""
    import ingest.build as build

    fake = lambda settings, *rest: FakeEmbedder(model_id=settings.embed_model_id)  # noqa: E731
    monkeypatch.setattr(build, "load_embedder", fake)
    monkeypatch.setattr(build, "_default_embedder", fake, raising=False)


def _hold_lock(settings: Settings):
    fh = open(settings.data_dir / "ingest.lock", "a+")
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def test_second_ingest_is_refused_while_one_runs(served) -> None:
    fh = _hold_lock(served)
    try:
        with pytest.raises(IngestLocked) as err:
            build_index(served, embedder=FakeEmbedder(), force=True)
        msg = str(err.value)
        assert "Another ingest is writing the index" in msg and "\n" not in msg
    finally:
        fh.close()
    assert build_index(served, embedder=FakeEmbedder(), force=True).build  # free again


def test_cli_second_ingest_exits_with_lock_message(served, monkeypatch) -> None:
    from ui.cli import app

    monkeypatch.setenv("MICQA_DATA_DIR", str(served.data_dir))
    _fake_cli_embedder(monkeypatch)
    fh = _hold_lock(served)
    try:
        res = CliRunner().invoke(app, ["ingest", str(CORPUS), "--force", "--json"])
    finally:
        fh.close()
    assert res.exit_code == IngestLocked.exit_code, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Another ingest is writing the index" in lines[0]


def test_wait_for_lock_waits_then_builds(served) -> None:
    base = current_build_dir(served)
    fh = _hold_lock(served)
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["report"] = build_index(served, embedder=FakeEmbedder(), force=True, wait_for_lock=True)
        except Exception as exc:  # surfaced by the assertion below
            result["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    try:
        time.sleep(0.5)
        assert t.is_alive() and not result  # still waiting for the lock
        assert current_build_dir(served) == base
    finally:
        fh.close()
    t.join(timeout=60)
    assert not t.is_alive() and "error" not in result, result
    assert current_build_dir(served) != base


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_asking_never_writes_into_the_index(served, monkeypatch) -> None:
    build = current_build_dir(served)
    assert build is not None
    before = _snapshot(build)
    current_before = (served.data_dir / "CURRENT").read_bytes()
    for _ in range(3):
        eng = Engine(served, embedder=FakeEmbedder())
        for q in QUESTIONS * 5 + ["", "x" * 5000, "What is reference [20]?", "Which MIC is in Wuhan?"]:
            try:
                ask(q, settings=served, engine=eng)
            except Exception as exc:  # only the expected refusals of bad input
                assert type(exc).__name__ == "BadQuestion", exc
    from rag import api

    # lookup() opens the engine without an embedder; the real model is not needed to test writes
    monkeypatch.setattr(api, "load_query_embedder", lambda settings, build_dir: FakeEmbedder())
    api._engines.clear()
    engine = api.get_engine(served)
    for ref in ("3.2", "[20]", "A.1/26", engine.index.chunks[0].id):
        lookup(ref, served)
    assert _snapshot(build) == before
    assert (served.data_dir / "CURRENT").read_bytes() == current_before
    assert json.loads(current_before)["build"] == build.name
