"""Export MiniLM to ONNX once, at ingest, so the query path never imports torch.

The exported graph is the whole sentence-transformers pipeline (BERT -> mean pooling over the
attention mask -> L2 normalisation) with dynamic batch and sequence axes; the tokenizer is the
model's own ``tokenizer.json``. Exports are cached in ``data_dir/onnx-cache/<key>`` keyed by the
model folder's path and the weights' size/mtime, so a re-ingest copies instead of re-exporting.
Each cache entry records its files' SHA-256 (``checksums.json``); an entry that no longer matches is
exported again rather than copied, and each build gets its own copy (never a hard link), so damage
to one build's model cannot reach the cache or another build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from rag.integrity import VerifiedCache, check_files, sha256_file

log = logging.getLogger(__name__)

OPSET = 17
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
EXPORT_VERSION = "1"  # bump when the graph layout changes
WEIGHTS_FILE = "model.onnx.data"
FILES = ("model.onnx", WEIGHTS_FILE, "tokenizer.json", "config.json")
CHECKSUMS = "checksums.json"


def model_folder(model_path: str | None) -> Path:
    if model_path:
        return Path(model_path)
    from rag.embeddings import default_model_path

    return Path(default_model_path())


def _weights_file(folder: Path) -> Path | None:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).exists():
            return folder / name
    return None


def cache_key(model_path: str | None) -> str:
    folder = model_folder(model_path).resolve()
    h = hashlib.sha256(f"{EXPORT_VERSION}\x00{folder}".encode())
    w = _weights_file(folder)
    if w is not None:  # a changed weights file at the same path must not reuse a stale export
        st = w.stat()
        h.update(f"\x00{st.st_size}\x00{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _max_seq_length(folder: Path) -> int:
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return MAX_SEQ_LENGTH


def export_onnx(model_path: str | None, out_dir: Path, st_model=None) -> Path:
    """Write ``model.onnx`` + ``tokenizer.json`` + ``config.json`` into out_dir (created). Needs torch."""
    import onnx
    import torch

    folder = model_folder(model_path)
    if st_model is None:
        from sentence_transformers import SentenceTransformer

        st_model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    bert = st_model[0].auto_model.eval()

    class _Pooled(torch.nn.Module):
        """BERT + mean pooling with the attention mask + L2 normalise, as sentence-transformers does."""

        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            hidden = self.m(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed / counts, p=2.0, dim=1)

    out_dir.mkdir(parents=True, exist_ok=True)
    enc = getattr(st_model, "preprocess", None) or st_model.tokenize
    dummy = enc(["a sentence to trace the export", "and another one"])
    args = (dummy["input_ids"], dummy["attention_mask"],
            dummy.get("token_type_ids", torch.zeros_like(dummy["input_ids"])))
    traced = out_dir / "traced.onnx"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape constants that do not apply to BERT
        torch.onnx.export(
            _Pooled(bert), args, str(traced),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                          "token_type_ids": {0: "batch", 1: "seq"}, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the dynamo exporter needs onnxscript, which we do not ship
        )
    # weights in a side file: onnxruntime then reads them without a second in-memory copy of the
    # protobuf, which cuts the query process's peak memory by ~85 MB
    model = onnx.load(str(traced))
    onnx.save_model(model, str(out_dir / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS_FILE, size_threshold=1024)
    traced.unlink()
    os.chmod(out_dir / WEIGHTS_FILE, 0o644)
    shutil.copyfile(folder / "tokenizer.json", out_dir / "tokenizer.json")
    dim = int(st_model.get_embedding_dimension()) if hasattr(st_model, "get_embedding_dimension") else int(
        st_model.get_sentence_embedding_dimension())
    (out_dir / "config.json").write_text(json.dumps({
        "dim": dim, "max_seq_length": _max_seq_length(folder), "opset": OPSET, "export_version": EXPORT_VERSION,
        "source": str(folder.resolve()),
    }, indent=2))
    _verify(st_model, out_dir)
    log.info("exported %s to ONNX in %s", folder, out_dir)
    return out_dir


_PROBES = [
    "How many Manufacturing Innovation Centers were established in 2018?",
    "MIIT",
    "The national centers focus on common key technologies, transfer and commercialization, and talent. " * 12,
]


def _verify(st_model, out_dir: Path) -> None:
    """The export must reproduce sentence-transformers (any pooling other than mean would fail here)."""
    import numpy as np

    from rag.onnx_embed import OnnxEmbedder

    ref = np.asarray(st_model.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32)
    got = OnnxEmbedder(out_dir, "verify", threads=1).embed_documents(_PROBES)
    worst = float((ref * got).sum(axis=1).min())
    if worst < 0.999:
        raise ValueError(f"the ONNX export differs from sentence-transformers (cosine {worst:.4f})")


def _intact(d: Path, cache: VerifiedCache) -> bool:
    """Every file of the cache entry is there with the size and SHA-256 recorded when it was exported."""
    try:
        want = json.loads((d / CHECKSUMS).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(want, dict) and set(want) == set(FILES) and check_files(d, want, cache) is None


def _write_checksums(d: Path) -> None:
    sums = {f: {"size": (d / f).stat().st_size, "sha256": sha256_file(d / f)} for f in FILES}
    (d / CHECKSUMS).write_text(json.dumps(sums, indent=2))


def ensure_onnx(model_path: str | None, cache_root: Path, dest: Path, st_model=None) -> Path:
    """Put a copy of the model's ONNX export at dest, exporting into the cache only when it holds no intact one."""
    cached = cache_root / cache_key(model_path)
    cache = VerifiedCache(cache_root.parent)  # the data dir: a warm re-ingest does not hash 90 MB again
    if not _intact(cached, cache):
        if cached.exists():
            log.warning("The cached ONNX export %s is damaged or incomplete; exporting the model again.", cached)
        cache_root.mkdir(parents=True, exist_ok=True)
        # export into a sibling tmp dir and rename: a killed export never leaves a half cache entry
        work = Path(tempfile.mkdtemp(prefix="export-", dir=cache_root))
        try:
            export_onnx(model_path, work, st_model=st_model)
            _write_checksums(work)
            shutil.rmtree(cached, ignore_errors=True)
            os.replace(work, cached)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    cache.save()
    dest.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        shutil.copyfile(cached / f, dest / f)
    return dest
