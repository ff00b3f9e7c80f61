"""Query-time MiniLM through onnxruntime + tokenizers: no torch, no transformers, fast to start.

The ONNX graph (written by ingest/onnx_export.py) already does mean pooling over the attention
mask and L2 normalisation, so its output equals sentence-transformers' ``normalize_embeddings=True``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# measured: a cold `micqa ask` through sentence-transformers took 10.9-14.0 s and 652 MiB (median of 3 on a
# loaded 2-core machine; the outside test of issue 16 saw 13.7 s / 630 MB), through ONNX 1.1 s and 217 MiB
# (bench/RESULTS.md, quiet machine)
SLOW_FALLBACK = ("every `micqa ask` then loads sentence-transformers and torch instead: a cold ask takes about 12 s "
                 "and 650 MB instead of about 1 s and 220 MB.")


class OnnxEmbedder:
    def __init__(self, onnx_dir: Path | str, model_id: str, threads: int | None = None, spin: bool = True) -> None:
        """``spin=False`` for bulk embedding (ingest): idle threads sleep instead of spinning, which on a
        busy machine cost a third more CPU for the same vectors; queries keep spinning for latency."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_dir = Path(onnx_dir)
        cfg = json.loads((onnx_dir / "config.json").read_text()) if (onnx_dir / "config.json").exists() else {}
        self.model_id = model_id
        self.max_length = int(cfg.get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(onnx_dir / "tokenizer.json"))
        # the shipped tokenizer.json pads every input to 128; we pad to the longest in the batch instead
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        n = threads or min(4, os.cpu_count() or 1)
        opts.intra_op_num_threads = n
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if not spin:
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dim = int(cfg.get("dim") or self.session.get_outputs()[0].shape[-1])
        self._lock = threading.Lock()  # one run at a time: intra-op threads already use the cores

    def _run(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in enc], dtype=np.int64),
        }
        with self._lock:
            (out,) = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sort by length so each batch pads little, then restore the caller's order
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            out[idx] = self._run([texts[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]
