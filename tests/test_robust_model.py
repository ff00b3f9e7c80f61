"""The ONNX model is part of the build: copied in, checksummed, checked at open (issue 16, item 2).

A truncated or garbage weights file used to crash `ask` with a traceback or quietly refuse most
questions, and survived `ingest --force` (the build's files were hard links into the shared cache).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ingest.onnx_export as ox
from ingest.build import build_index
from rag.api import Engine, ask
from rag.errors import IndexNeedsRebuild
from rag.integrity import sha256_file
from rag.settings import Settings
from rag.store import current_build_dir, read_manifest
from ui.cli import app

WEIGHTS = f"onnx/{ox.WEIGHTS_FILE}"
COST = re.compile(r"cold ask takes about \d+ s and \d+ MB instead of about 1 s and \d+ MB")


def _copy(real_index: Settings, dest: Path, with_cache: bool) -> Settings:
    skip = ["ingest.lock", "verified.json", "logs"] + ([] if with_cache else ["onnx-cache"])
    shutil.copytree(real_index.data_dir, dest, ignore=shutil.ignore_patterns(*skip))
    return replace(real_index, data_dir=dest)


@pytest.fixture
def real_copy(real_index, tmp_path, monkeypatch) -> tuple[Settings, Path]:
    s = _copy(real_index, tmp_path / "data", with_cache=False)
    monkeypatch.setenv("MICQA_DATA_DIR", str(s.data_dir))
    build = current_build_dir(s)
    assert build is not None
    return s, build


def _cli_says_rebuild(*words: str) -> None:
    for args in (["ask", "How are the MICs funded?"], ["lookup", "3.2"]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 3, (args, res.exit_code, res.output, repr(res.exception))
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, res.stderr
        assert lines[0].endswith("index needs rebuild; run `micqa ingest --force`."), lines[0]
        for w in words:
            assert w in lines[0], lines[0]
        assert "Traceback" not in res.output


@pytest.mark.slow
def test_build_holds_its_own_checksummed_copy(real_index) -> None:
    build = current_build_dir(real_index)
    assert build is not None
    files = read_manifest(build).files
    cache = real_index.data_dir / "onnx-cache" / ox.cache_key(None)
    sums = json.loads((cache / ox.CHECKSUMS).read_text())
    for f in ox.FILES:
        path = build / "onnx" / f
        assert path.stat().st_nlink == 1, f"{f} is a hard link"
        assert path.stat().st_ino != (cache / f).stat().st_ino
        assert files[f"onnx/{f}"]["sha256"] == sums[f]["sha256"] == sha256_file(path)


@pytest.mark.slow
def test_truncated_weights(real_copy) -> None:
    settings, build = real_copy
    w = build / WEIGHTS
    os.truncate(w, w.stat().st_size // 2)
    _cli_says_rebuild(WEIGHTS)


@pytest.mark.slow
def test_garbage_weights_of_the_right_size(real_copy) -> None:
    """Random bytes of the same size load as a model and give wrong vectors: only the checksum tells."""
    settings, build = real_copy
    w = build / WEIGHTS
    w.write_bytes(os.urandom(w.stat().st_size))
    _cli_says_rebuild(WEIGHTS, "SHA-256")


@pytest.mark.slow
def test_damaged_cache_is_exported_again_by_ingest_force(real_index, tmp_path, monkeypatch, caplog) -> None:
    settings = _copy(real_index, tmp_path / "data", with_cache=True)
    cache = settings.data_dir / "onnx-cache" / ox.cache_key(None)
    garbage = os.urandom((cache / ox.WEIGHTS_FILE).stat().st_size)
    (cache / ox.WEIGHTS_FILE).write_bytes(garbage)
    build = current_build_dir(settings)
    assert build is not None
    (build / WEIGHTS).write_bytes(garbage)  # as a hard link used to share the damage
    with pytest.raises(IndexNeedsRebuild, match="index needs rebuild"):
        Engine(settings)

    exports = []
    real_export = ox.export_onnx
    monkeypatch.setattr(ox, "export_onnx", lambda *a, **k: exports.append(1) or real_export(*a, **k))
    with caplog.at_level(logging.WARNING):
        report = build_index(settings, force=True)
    assert exports == [1], "the damaged cache was reused"
    assert any("damaged" in r.getMessage() and "exporting the model again" in r.getMessage() for r in caplog.records)
    sums = json.loads((cache / ox.CHECKSUMS).read_text())
    assert sha256_file(cache / ox.WEIGHTS_FILE) == sums[ox.WEIGHTS_FILE]["sha256"] != sha256_file_of(garbage)
    new = current_build_dir(settings)
    assert new is not None and new.name == report.build
    assert sha256_file(new / WEIGHTS) == sums[ox.WEIGHTS_FILE]["sha256"]
    eng = Engine(settings)
    assert type(eng.embedder).__name__ == "OnnxEmbedder"
    ans = ask("How are the MICs funded?", settings=settings, engine=eng)
    assert ans.citations and not ans.refused


def sha256_file_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_damaged_build_model_is_repaired_from_the_cache(real_index, tmp_path, monkeypatch) -> None:
    """Only the build's model was damaged: `ingest --force` copies the intact cached export (no new export)
    and reuses the build's intact vectors."""
    settings = _copy(real_index, tmp_path / "data", with_cache=True)
    build = current_build_dir(settings)
    assert build is not None
    os.truncate(build / WEIGHTS, 1000)
    monkeypatch.setattr(ox, "export_onnx", lambda *a, **k: pytest.fail("re-exported an intact cache"))
    report = build_index(settings, force=True)
    assert report.embedded == 0 and report.reused_vectors == report.chunks
    new = current_build_dir(settings)
    assert new is not None and new != build
    sums = json.loads((settings.data_dir / "onnx-cache" / ox.cache_key(None) / ox.CHECKSUMS).read_text())
    assert sha256_file(new / WEIGHTS) == sums[ox.WEIGHTS_FILE]["sha256"]
    assert Engine(settings).embedder.dim == 384


def test_query_fallback_is_warned_with_its_cost(tmp_path, monkeypatch, caplog) -> None:
    import rag.api as api
    import rag.embeddings as embeddings

    monkeypatch.setattr(embeddings, "SentenceTransformerEmbedder", lambda *a, **k: "slow embedder")
    with caplog.at_level(logging.WARNING, logger="rag.api"):
        got = api.load_query_embedder(Settings(data_dir=tmp_path), tmp_path)
    assert got == "slow embedder"
    msg = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "no ONNX model" in msg and COST.search(msg), msg


def test_ingest_fallback_is_warned_with_its_cost(tmp_path, monkeypatch, caplog) -> None:
    import ingest.build as build

    def broken(*a, **k):
        raise RuntimeError("no torch here")

    monkeypatch.setattr(ox, "ensure_onnx", broken)
    with caplog.at_level(logging.WARNING, logger="ingest.build"):
        assert build._open_onnx(Settings(data_dir=tmp_path), tmp_path / "onnx") is None
    msg = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "no torch here" in msg and COST.search(msg) and "ingest --force" in msg, msg
