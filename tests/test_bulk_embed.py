"""Large ingests embed with MiniLM in torch/bfloat16 when the CPU has bf16 hardware; small ones keep ONNX."""

from __future__ import annotations

import numpy as np
import pytest

import ingest.build as build
from rag.embeddings import FakeEmbedder
from rag.settings import Settings


class _Counting(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed_documents(self, texts):
        self.seen += texts
        return super().embed_documents(texts)


def test_bulk_embedder_loads_once_and_only_when_asked_to_embed():
    base, bulk, loads = _Counting(), _Counting(), []
    emb = build.BulkEmbedder(base, lambda: loads.append(1) or bulk)
    assert loads == []  # nothing loaded until there is something to embed (an unchanged corpus never imports torch)
    emb.embed_documents(["a"])
    emb.embed_documents(["b"])
    assert (loads, bulk.seen, base.seen) == ([1], ["a", "b"], [])
    emb.embed_query("q")
    assert "q" not in bulk.seen and emb.dim == base.dim and emb.model_id == base.model_id


def test_bulk_embedder_without_bf16_hardware_keeps_the_base():
    base = _Counting()
    emb = build.BulkEmbedder(base, lambda: None)
    out = emb.embed_documents(["a", "b"])
    assert base.seen == ["a", "b"] and out.shape == (2, base.dim)


@pytest.mark.parametrize(("n_chunks", "bulk"), [(1999, False), (2000, True)])
def test_default_embedder_switches_at_the_setting(monkeypatch, tmp_path, n_chunks, bulk):
    fake = FakeEmbedder()
    monkeypatch.setattr(build, "_open_onnx", lambda settings, d: fake)
    got = build._default_embedder(Settings(data_dir=tmp_path, bulk_embed_min_chunks=2000), tmp_path, n_chunks)
    assert isinstance(got, build.BulkEmbedder) is bulk
    assert (got.base if bulk else got) is fake


def test_bf16_vectors_match_fp32_ones():
    """The bulk vectors sit in the same index as fp32 query vectors: they must be the same vectors."""
    from rag.embeddings import SentenceTransformerEmbedder, bf16_in_hardware

    if not bf16_in_hardware():
        pytest.skip("this CPU has no bf16 hardware, so ingest never uses the bf16 path")
    texts = [
        "China established its first manufacturing innovation center in 2016.",
        "The centers are funded by central and provincial governments and by member companies.",
        "Fraunhofer runs 76 institutes across Germany.",
        "Power batteries",
    ] * 3
    fp32 = SentenceTransformerEmbedder().embed_documents(texts)
    bf16 = SentenceTransformerEmbedder(bf16=True).embed_documents(texts)
    cos = (fp32 * bf16).sum(axis=1)
    assert cos.min() >= 0.999, cos
    assert np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-4)
