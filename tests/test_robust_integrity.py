"""Every index file carries its SHA-256 in the manifest and is checked at open (issue 16, item 3).

An edited year in records.json used to be served as truth and a partly garbled vectors.npy only
printed a NumPy warning; both now give "index needs rebuild; run `micqa ingest --force`" (exit 3),
and the rebuild does not copy the damage forward.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import rag.integrity as integrity
from ingest.build import build_index
from rag.api import Engine
from rag.embeddings import FakeEmbedder
from rag.errors import IndexNeedsRebuild
from rag.settings import Settings
from rag.store import current_build_dir, read_manifest, verify_build


@pytest.fixture
def index_copy(fake_index, tmp_path) -> tuple[Settings, Path]:
    settings, _ = fake_index
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("ingest.lock", "verified.json"))
    s = replace(settings, data_dir=data)
    build = current_build_dir(s)
    assert build is not None
    return s, build


def _needs_rebuild(settings: Settings, *words: str) -> str:
    with pytest.raises(IndexNeedsRebuild) as err:
        Engine(settings, embedder=FakeEmbedder())
    msg = str(err.value)
    assert "index needs rebuild; run `micqa ingest --force`" in msg, msg
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg
    return msg


def _edit_a_year(build: Path) -> None:
    """Change one MIC's year in place: same size, so only the checksum can tell."""
    path = build / "records.json"
    text = path.read_text(encoding="utf-8")
    m = re.search(r'"Year": "?(20\d\d)', text)  # the typed cell the table answers count
    assert m, "no year cell in records.json"
    year = m.group(1)
    other = "2011" if year != "2011" else "2012"
    path.write_text(text[: m.start(1)] + other + text[m.end(1):], encoding="utf-8")


def _garble_vectors(build: Path) -> None:
    """Overwrite 256 bytes in the middle of vectors.npy: it still loads, with wrong numbers."""
    path = build / "vectors.npy"
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(size // 2)
        fh.write(os.urandom(256))


def test_every_index_file_is_in_the_manifest(index_copy) -> None:
    settings, build = index_copy
    files = read_manifest(build).files
    for name in ("records.json", "vectors.npy", "vector_ids.json", "sentences.npy", "sentence_keys.json",
                 "df.json", "fingerprint.json"):
        assert name in files, sorted(files)
    assert any(f.startswith("bm25/") for f in files) and any(f.startswith("texts/") for f in files)
    assert not any(f.startswith("chroma/") or f == "manifest.json" for f in files)
    for rel, f in files.items():
        assert f["size"] == (build / rel).stat().st_size
        assert f["sha256"] == integrity.sha256_file(build / rel)


def test_a_year_edited_in_records(index_copy) -> None:
    settings, build = index_copy
    _edit_a_year(build)
    _needs_rebuild(settings, "records.json does not match its SHA-256")


def test_an_edit_that_restores_size_and_mtime_is_still_seen(index_copy) -> None:
    """The verified cache is keyed by ctime and inode too, which an edit cannot set back."""
    settings, build = index_copy
    Engine(settings, embedder=FakeEmbedder())  # verified once: now cached
    st = (build / "records.json").stat()
    _edit_a_year(build)
    os.utime(build / "records.json", ns=(st.st_atime_ns, st.st_mtime_ns))
    _needs_rebuild(settings, "records.json")


def test_partly_garbled_vectors(index_copy) -> None:
    settings, build = index_copy
    _garble_vectors(build)
    _needs_rebuild(settings, "vectors.npy")


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("sentences.npy", lambda p: p.write_bytes(p.read_bytes()[:-100])),
        ("df.json", lambda p: p.write_text(p.read_text().replace("1", "2", 1))),
        ("bm25/vocab.index.json", lambda p: p.unlink()),
        ("texts/nist-ams-600-17.txt", lambda p: p.write_text(p.read_text().replace("2018", "2019", 1))),
    ],
)
def test_other_index_files(name: str, damage, index_copy) -> None:
    settings, build = index_copy
    damage(build / name)
    _needs_rebuild(settings, name)


def test_a_manifest_listing_a_path_outside_the_build(index_copy) -> None:
    settings, build = index_copy
    m = json.loads((build / "manifest.json").read_text())
    m["files"]["../../CURRENT"] = {"size": 1, "sha256": "0" * 64}
    (build / "manifest.json").write_text(json.dumps(m))
    _needs_rebuild(settings, "outside the build")


def test_a_build_without_checksums_is_rebuilt_by_plain_ingest(index_copy) -> None:
    """An index from before checksums: open says rebuild, and `micqa ingest` (no --force) does rebuild it."""
    settings, build = index_copy
    m = json.loads((build / "manifest.json").read_text())
    del m["files"]
    (build / "manifest.json").write_text(json.dumps(m))
    _needs_rebuild(settings, "no file checksums")
    report = build_index(settings, embedder=FakeEmbedder())
    assert not report.unchanged and current_build_dir(settings) != build
    Engine(settings, embedder=FakeEmbedder())


def test_warm_open_does_not_hash_again(index_copy, monkeypatch) -> None:
    settings, build = index_copy
    assert verify_build(settings, build, read_manifest(build)) is None  # hashes, and caches the result
    calls = []
    real = integrity.sha256_file
    monkeypatch.setattr(integrity, "sha256_file", lambda p: calls.append(p) or real(p))
    assert verify_build(settings, build, read_manifest(build)) is None
    assert calls == []
    (build / "df.json").write_text((build / "df.json").read_text())  # same bytes, new mtime: hashed again
    assert verify_build(settings, build, read_manifest(build)) is None
    assert [p.name for p in calls] == ["df.json"]


def test_ingest_primes_the_cache(tmp_path, monkeypatch) -> None:
    """The first open after an ingest hashes nothing: the build wrote its hashes as verified."""
    from .conftest import CORPUS

    emb = FakeEmbedder()
    settings = Settings(data_dir=tmp_path / "d", corpus_paths=(CORPUS,), embed_model_id=emb.model_id)
    build_index(settings, embedder=emb)
    monkeypatch.setattr(integrity, "sha256_file", lambda p: pytest.fail(f"hashed {p} again"))
    Engine(settings, embedder=emb)


def test_rebuild_after_garbled_vectors_does_not_reuse_them(index_copy) -> None:
    """`ingest --force` repairs: the damaged build's vectors are re-embedded, not copied into the new build."""
    settings, build = index_copy
    original = np.load(build / "vectors.npy")
    _garble_vectors(build)
    emb = FakeEmbedder()
    report = build_index(settings, embedder=emb, force=True)
    assert report.reused_vectors == 0 and report.embedded == report.chunks
    new = current_build_dir(settings)
    assert new is not None and new != build
    assert np.array_equal(np.load(new / "vectors.npy"), original)
    Engine(settings, embedder=emb)


def test_plain_ingest_repairs_a_damaged_current_build(index_copy) -> None:
    """An unchanged corpus over a damaged build is not 'unchanged': `micqa ingest` builds again."""
    settings, build = index_copy
    _edit_a_year(build)
    report = build_index(settings, embedder=FakeEmbedder())
    assert not report.unchanged and report.build != build.name
    Engine(settings, embedder=FakeEmbedder())


def test_cli_exit_3_in_one_line(index_copy, monkeypatch) -> None:
    """The CLI path (the fake index is opened with its own settings through the API)."""
    from typer.testing import CliRunner

    import rag.api as api
    from ui.cli import app

    settings, build = index_copy
    _edit_a_year(build)
    monkeypatch.setattr(api.Settings, "from_env", classmethod(lambda cls, **kw: settings))
    monkeypatch.setattr(api, "load_query_embedder", lambda s, b: FakeEmbedder())
    for args in (["ask", "How many MICs were established in 2018?"], ["lookup", "A.1/3"]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 3, (res.output, res.exception)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].endswith("index needs rebuild; run `micqa ingest --force`."), res.stderr
        assert "Traceback" not in res.output
