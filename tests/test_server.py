"""Chroma server mode: a real `chroma run`, an ingest into it, and two app processes querying it at once.

The answers served through the server must be the answers of the local (PersistentClient) store:
same text, same citations. The fake embedder keeps this fast; meaning does not matter here.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "NIST.AMS.600-17.txt"
CHROMA = Path(sys.executable).with_name("chroma")
QUESTIONS = [
    "How many MICs were established in 2018?",
    "What is the role of MIIT?",
    "Which city hosts the National Power Battery Innovation Center?",
    "How are the innovation centers funded?",
    "What does the report say about talent?",
]

CLIENT = """
import json, sys
from pathlib import Path
from rag.api import ask, get_engine
from rag.embeddings import FakeEmbedder
from rag.settings import Settings

data_dir, corpus, url, questions = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
emb = FakeEmbedder()
s = Settings(data_dir=Path(data_dir), corpus_paths=(Path(corpus),), chroma_url=url, embed_model_id=emb.model_id)
eng = get_engine(s, embedder=emb)
assert eng.settings.chroma_url == url
out = []
for _ in range(3):  # several passes, so the two processes' queries overlap on the server
    out = [ask(q, settings=s, engine=eng) for q in questions]
print(json.dumps([{"text": a.text, "citations": [c.chunk_id for c in a.citations]} for a in out]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _heartbeat(url: str) -> bool:
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            with urllib.request.urlopen(url + path, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            continue
    return False


@pytest.fixture
def chroma_server(tmp_path: Path):
    assert CHROMA.exists(), "the chroma CLI ships with chromadb and should be in the venv"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "chroma.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not _heartbeat(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_server_answers_match_local_store(chroma_server: str, fake_index, tmp_path: Path) -> None:
    from ingest.build import build_index
    from rag.api import ask, get_engine
    from rag.embeddings import FakeEmbedder
    from rag.settings import Settings
    from rag.store import chroma_client, collection_name_for, current_build_dir

    emb = FakeEmbedder()
    settings = Settings(data_dir=tmp_path / "served", corpus_paths=(CORPUS,), chroma_url=chroma_server,
                        embed_model_id=emb.model_id)
    report = build_index(settings, embedder=emb)
    build = current_build_dir(settings)
    assert build is not None and not (build / "chroma").exists(), "server mode must not write a local store"
    col = chroma_client(settings, build).get_collection(collection_name_for(settings, build.name))
    assert col.count() == report.chunks

    # the reference: the same report, same embedder, answered from a local PersistentClient store
    local_settings, local_emb = fake_index
    local = get_engine(local_settings, embedder=local_emb)
    expected = [{"text": a.text, "citations": [c.chunk_id for c in a.citations]}
                for a in (ask(q, settings=local_settings, engine=local) for q in QUESTIONS)]
    assert any(e["citations"] for e in expected)

    procs = [subprocess.Popen([sys.executable, "-c", CLIENT, str(settings.data_dir), str(CORPUS), chroma_server,
                               json.dumps(QUESTIONS)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
        got = json.loads(out.strip().splitlines()[-1])
        assert got == expected

    # ingest while serving: a forced rebuild makes a new collection and keeps the old one for open readers
    again = build_index(settings, embedder=emb, force=True)
    new_build = current_build_dir(settings)
    assert new_build is not None and new_build.name == again.build != build.name
    client = chroma_client(settings, new_build)
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert {collection_name_for(settings, build.name), collection_name_for(settings, new_build.name)} <= names
