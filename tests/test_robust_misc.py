"""The smaller items of issue 16: ANSI escapes in questions, `ingest --json` when every file is bad,
and the private store copy a killed `ask` leaves in the temp folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.sanitize import clean_question, clean_text
from rag.store import SNAPSHOT_PREFIX, remove_stale_snapshots

from .conftest import ROOT

# ------------------------------------------------------------------ ANSI escape sequences


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b[31mHow many MICs are there?\x1b[0m",  # colour (CSI ... m)
        "\x1b[1;4;38;5;196mHow many MICs\x1b[0m are there?",
        "\x1b]0;a window title\x07How many MICs are there?",  # OSC ended by BEL
        "\x1b]8;;http://example.com\x1b\\How many MICs are there?\x1b]8;;\x1b\\",  # OSC 8 hyperlink, ended by ST
        "\x1b[2J\x1b[HHow many MICs are there?",  # clear screen, cursor home
        "\x9b31mHow many MICs are there?\x9b0m",  # 8-bit CSI
        "\x1b(BHow many MICs are there?",  # character set selection
    ],
)
def test_ansi_sequences_are_removed_whole(raw: str) -> None:
    assert clean_question(raw, 2000) == "How many MICs are there?"


def test_ansi_question_is_answered_like_the_plain_one(fake_engine) -> None:
    from rag.api import ask

    s = fake_engine.settings
    plain = ask("How many MICs were established in 2018?", settings=s, engine=fake_engine)
    coloured = ask("\x1b[31mHow many MICs were established in 2018?\x1b[0m", settings=s, engine=fake_engine)
    assert coloured.question == plain.question
    assert coloured.text == plain.text and not coloured.refused


def test_text_that_only_looks_like_an_escape_is_kept() -> None:
    assert clean_text("Table [31] and [0m] are cited") == "Table [31] and [0m] are cited"


# ------------------------------------------------------------------ ingest --json with nothing good


def test_ingest_json_prints_the_problems_when_every_file_is_bad(tmp_path, monkeypatch) -> None:
    from ui.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "picture.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "data"))
    res = CliRunner().invoke(app, ["ingest", str(corpus), "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["documents"] == 0 and out["chunks"] == 0
    assert len(out["problems"]) == 2
    assert any("empty.txt" in p for p in out["problems"]) and any("picture.pdf" in p for p in out["problems"])
    assert out["error"].startswith("No document could be ingested")
    assert "Traceback" not in res.output


# ------------------------------------------------------------------ store copies of killed readers

CHILD = """
import sys, time
from pathlib import Path
import rag.store as store
from rag.api import Engine
from rag.embeddings import FakeEmbedder
from rag.settings import Settings

settings = Settings(data_dir=Path(sys.argv[1]), embed_model_id="fake-hash-embedder")
Engine(settings, embedder=FakeEmbedder())
print(next(iter(store._snapshots.values())), flush=True)
time.sleep(600)
"""


def _reader(script: Path, data: Path, tmp: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), str(data)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    assert line, "the reader did not open the index"
    return proc, Path(line)


def _age(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


@pytest.mark.slow
def test_copy_left_by_a_sigkilled_reader_is_removed_at_the_next_start(fake_index, tmp_path) -> None:
    settings, _ = fake_index
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("ingest.lock"))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    script = tmp_path / "reader.py"
    script.write_text(CHILD)

    a, snap_a = _reader(script, data, tmp)
    assert snap_a.parent == tmp and snap_a.name.startswith(f"{SNAPSHOT_PREFIX}{a.pid}-")
    assert (snap_a / "chroma" / "chroma.sqlite3").is_file()
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=30)
    assert snap_a.is_dir()  # no exit handler ran: the copy is left behind
    assert remove_stale_snapshots(tmp) == []  # a recent copy is left alone (it may be being made)
    _age(snap_a)

    b, snap_b = _reader(script, data, tmp)  # the next reader cleans up as it starts
    try:
        assert not snap_a.exists()
        assert snap_b.is_dir()
        _age(snap_b)
        assert remove_stale_snapshots(tmp) == []  # old, but its owner is alive
        assert snap_b.is_dir()
    finally:
        b.send_signal(signal.SIGKILL)
        b.wait(timeout=30)
    assert remove_stale_snapshots(tmp) == [snap_b]
    assert not snap_b.exists()
