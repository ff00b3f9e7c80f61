"""Shared fixtures.

- Every test gets its own MICQA_DATA_DIR (autouse), so nothing touches the user's index.
- `fake_index`: the real report ingested with the deterministic FakeEmbedder (fast; no model).
- `real_index`: the real report ingested once per session with the real MiniLM (for tests where
  meaning matters). Both return Settings; pass them (and for the fake, its embedder) to the API.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "NIST.AMS.600-17.txt"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MICQA_DATA_DIR", str(tmp_path / "micqa-data"))
    for var in ("MICQA_CHROMA_URL", "MICQA_LLM", "MICQA_CORPUS", "MICQA_EMBED_MODEL", "MICQA_K"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory):
    """(settings, embedder): the report indexed with the FakeEmbedder."""
    from ingest.build import build_index
    from rag.embeddings import FakeEmbedder
    from rag.settings import Settings

    emb = FakeEmbedder()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("fake-index"), corpus_paths=(CORPUS,), embed_model_id=emb.model_id
    )
    build_index(settings, embedder=emb)
    return settings, emb


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """Settings of an index of the report built with the real MiniLM (once per session)."""
    from ingest.build import build_index
    from rag.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("real-index"), corpus_paths=(CORPUS,))
    build_index(settings)
    return settings


@pytest.fixture
def fake_engine(fake_index):
    from rag.api import get_engine

    settings, emb = fake_index
    return get_engine(settings, embedder=emb)
