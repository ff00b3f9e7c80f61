"""The ONNX query embedder: same vectors as sentence-transformers, cached export, a torch-free ask path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "NIST.AMS.600-17.txt"
HEAVY = ("torch", "sentence_transformers", "transformers", "streamlit", "langchain", "langchain_core")


def _report_sentences(n: int = 20) -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    sents = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s.strip()) <= 600]
    step = max(1, len(sents) // n)
    picked = sents[::step][: n - 2]
    # a heading-like fragment and a text longer than 256 tokens (truncation must match too)
    return [*picked, "MIIT", " ".join(sents[:60])]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory) -> Path:
    from ingest.onnx_export import ensure_onnx

    root = tmp_path_factory.mktemp("onnx")
    return ensure_onnx(None, root / "cache", root / "build" / "onnx")


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers(onnx_dir: Path) -> None:
    from rag.embeddings import SentenceTransformerEmbedder
    from rag.onnx_embed import OnnxEmbedder

    texts = _report_sentences()
    st = SentenceTransformerEmbedder()
    ox = OnnxEmbedder(onnx_dir, st.model_id)
    assert ox.dim == st.dim == 384
    ref = st.embed_documents(texts)
    got = ox.embed_documents(texts, batch_size=7)  # odd batches: padding inside a batch must not matter
    cos = (ref * got).sum(axis=1)
    assert cos.min() >= 0.999, cos
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    for i in (0, len(texts) - 1):  # the single-query path agrees with the batch path
        assert float(ox.embed_query(texts[i]) @ ref[i]) >= 0.999


@pytest.mark.slow
def test_export_is_cached_per_model(onnx_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import ingest.onnx_export as ox

    cache = onnx_dir.parent.parent / "cache"
    key = ox.cache_key(None)
    assert (cache / key / "model.onnx").is_file()

    def boom(*a, **k):
        raise AssertionError("re-exported although the cache holds this model")

    monkeypatch.setattr(ox, "export_onnx", boom)
    dest = ox.ensure_onnx(None, cache, tmp_path / "b2" / "onnx")
    assert sorted(p.name for p in dest.iterdir()) == sorted(ox.FILES)
    assert json.loads((dest / "config.json").read_text())["dim"] == 384
    # another model folder gets another key
    assert ox.cache_key(str(tmp_path)) != key


@pytest.mark.slow
def test_ask_process_imports_no_torch(real_index, tmp_path: Path) -> None:
    """`micqa ask` in a new process answers from the ONNX export without torch, streamlit or langchain."""
    from rag.store import current_build_dir

    build = current_build_dir(real_index)
    assert build is not None and (build / "onnx" / "model.onnx").is_file(), "ingest did not export ONNX"
    snippet = (
        "import sys, json\n"
        "from ui.cli import main\n"
        "sys.argv = ['micqa', 'ask', '--json', 'How many MICs were established in 2018?']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "sys.stderr.write('HEAVY=' + json.dumps(heavy) + '\\n')\n"
        "sys.exit(code or 0)\n"
    )
    env = {**os.environ, "MICQA_DATA_DIR": str(real_index.data_dir)}
    out = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    heavy = json.loads(out.stderr.rsplit("HEAVY=", 1)[1].splitlines()[0])
    assert heavy == [], heavy
    ans = json.loads(out.stdout)
    assert ans["citations"]


def test_build_with_fake_embedder_exports_nothing(fake_index) -> None:
    """Only the real model is exported: a fake embedder's index must not get a MiniLM graph beside it."""
    from rag.store import current_build_dir

    settings, _ = fake_index
    build = current_build_dir(settings)
    assert build is not None and not (build / "onnx").exists()
