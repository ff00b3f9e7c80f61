"""A damaged or mismatched index is reported as "index needs rebuild" plus the command, never a stack trace.

Each test breaks a private copy of the session's fake index, then opens a fresh Engine.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ingest.build import build_index
from rag.api import Engine, ask
from rag.embeddings import FakeEmbedder
from rag.errors import IndexNeedsRebuild
from rag.settings import Settings
from rag.store import current_build_dir

from .conftest import CORPUS


@pytest.fixture
def index_copy(fake_index, tmp_path) -> tuple[Settings, Path]:
    """(settings, build dir) of a private copy of the fake index (breaking it harms no other test)."""
    settings, _ = fake_index
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("ingest.lock"))
    s = replace(settings, data_dir=data)
    build = current_build_dir(s)
    assert build is not None
    return s, build


def _rewrite_manifest(build: Path, **changes: object) -> None:
    path = build / "manifest.json"
    m = json.loads(path.read_text())
    m.update(changes)
    path.write_text(json.dumps(m))


def _expect_rebuild(settings: Settings, embedder: FakeEmbedder | None = None) -> str:
    with pytest.raises(IndexNeedsRebuild) as err:
        Engine(settings, embedder=embedder or FakeEmbedder())
    msg = str(err.value)
    assert "index needs rebuild" in msg and "micqa ingest" in msg, msg
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_intact_copy_opens(index_copy) -> None:
    settings, _ = index_copy
    eng = Engine(settings, embedder=FakeEmbedder())
    assert len(eng.index.chunks) == eng.index.manifest.counts["chunks"]


def _corrupt_records(b: Path) -> None:
    data = (b / "records.json").read_bytes()
    (b / "records.json").write_bytes(data[: len(data) // 2])


def _drop_a_chunk_record(b: Path) -> None:
    blob = json.loads((b / "records.json").read_text())
    blob["chunks"] = blob["chunks"][:-1]
    (b / "records.json").write_text(json.dumps(blob))


def _shuffle_vectors(b: Path) -> None:
    vecs = np.load(b / "vectors.npy")
    np.save(b / "vectors.npy", vecs[::-1].copy())  # ids no longer match their vectors


BREAKERS: dict[str, Callable[[Path], None]] = {
    "manifest_deleted": lambda b: (b / "manifest.json").unlink(),
    "manifest_garbage": lambda b: (b / "manifest.json").write_text("{not json"),
    "manifest_missing_field": lambda b: (b / "manifest.json").write_text(json.dumps({"collection": "x"})),
    "manifest_wrong_counts": lambda b: _rewrite_manifest(b, counts={"chunks": 7}),
    "records_corrupted": _corrupt_records,
    "records_deleted": lambda b: (b / "records.json").unlink(),
    "records_missing_a_chunk": _drop_a_chunk_record,
    "chroma_deleted": lambda b: shutil.rmtree(b / "chroma"),
    "bm25_deleted": lambda b: shutil.rmtree(b / "bm25"),
    "chromadb_version": lambda b: _rewrite_manifest(b, chromadb_version="0.4.0"),
    "probe_chunk_unknown": lambda b: _rewrite_manifest(b, probe_chunk_id="no-such-chunk"),
    "vectors_deleted": lambda b: (b / "vectors.npy").unlink(),
    "vectors_shuffled": _shuffle_vectors,
    "model_id_in_manifest": lambda b: _rewrite_manifest(b, model_id="other-model"),
    "dimension_in_manifest": lambda b: _rewrite_manifest(b, dimension=64),
    "settings_hash": lambda b: _rewrite_manifest(b, settings_hash="000000000000"),
}


@pytest.mark.parametrize("name", list(BREAKERS))
def test_broken_index_needs_rebuild(name: str, index_copy) -> None:
    settings, build = index_copy
    BREAKERS[name](build)
    _expect_rebuild(settings)
    if name == "chroma_deleted":
        assert not (build / "chroma").exists()  # opening did not quietly create an empty store


def test_current_pointer_garbage(index_copy) -> None:
    settings, _ = index_copy
    (settings.data_dir / "CURRENT").write_bytes(b"\x00\xffgarbage")
    _expect_rebuild(settings)
    with pytest.raises(IndexNeedsRebuild, match="micqa ingest"):
        ask("What is a MIC?", settings=settings)


def test_current_pointer_to_missing_build(index_copy) -> None:
    settings, _ = index_copy
    (settings.data_dir / "CURRENT").write_text(json.dumps({"build": "20000101T000000-gone"}))
    _expect_rebuild(settings)


def test_build_dir_deleted(index_copy) -> None:
    settings, build = index_copy
    shutil.rmtree(build)
    _expect_rebuild(settings)


def test_embedder_of_other_dimension(index_copy) -> None:
    settings, _ = index_copy
    msg = _expect_rebuild(settings, FakeEmbedder(dim=64))
    assert "64" in msg


def test_cli_reports_rebuild_in_one_line(index_copy, monkeypatch) -> None:
    from ui.cli import app

    settings, build = index_copy
    (build / "manifest.json").unlink()
    monkeypatch.setenv("MICQA_DATA_DIR", str(settings.data_dir))
    res = CliRunner().invoke(app, ["ask", "What is a MIC?"])
    assert res.exit_code == IndexNeedsRebuild.exit_code
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "index needs rebuild" in lines[0] and "micqa ingest" in lines[0], res.stderr
    assert "Traceback" not in res.output


def test_rebuild_repairs_a_damaged_index(index_copy) -> None:
    """The remedy the message names works: a forced ingest makes a fresh, valid build current."""
    settings, build = index_copy
    shutil.rmtree(build / "chroma")
    emb = FakeEmbedder()
    report = build_index(settings, embedder=emb, force=True)
    assert report.build and current_build_dir(settings) != build
    eng = Engine(settings, embedder=emb)
    assert eng.collection.count() == report.chunks


# ---------------------------------------------------------------- model changes


def _settings_for(tmp: Path, emb: FakeEmbedder) -> Settings:
    return Settings(data_dir=tmp / "data", corpus_paths=(CORPUS,), embed_model_id=emb.model_id)


def test_model_change_is_a_new_collection_not_a_dimension_error(tmp_path) -> None:
    small, big = FakeEmbedder(dim=64, model_id="fake-64"), FakeEmbedder(dim=384, model_id="fake-384")
    s_small, s_big = _settings_for(tmp_path, small), _settings_for(tmp_path, big)
    assert s_small.collection_name != s_big.collection_name

    build_index(s_small, embedder=small)
    assert Engine(s_small, embedder=small).index.manifest.dimension == 64
    # the app configured for the other model is told to rebuild, not handed a dimension error
    msg = _expect_rebuild(s_big, big)
    assert "other settings" in msg

    report = build_index(s_big, embedder=big)  # same data dir: a new build and collection
    assert report.embedded == report.chunks  # no 64-d vectors were re-used for the 384-d model
    eng = Engine(s_big, embedder=big)
    assert eng.index.manifest.dimension == 384
    assert eng.index.manifest.collection == s_big.collection_name
    assert ask("How many MICs are there?", settings=s_big, engine=eng).text


def test_same_model_id_other_dimension_rebuilds_cleanly(tmp_path) -> None:
    """A misconfigured model (same id, new size) must not mix old vectors into the new build."""
    old, new = FakeEmbedder(dim=64), FakeEmbedder(dim=384)
    settings = _settings_for(tmp_path, old)
    build_index(settings, embedder=old)
    _expect_rebuild(settings, new)
    report = build_index(settings, embedder=new, force=True)
    assert report.embedded == report.chunks
    eng = Engine(settings, embedder=new)
    assert eng.index.manifest.dimension == 384
