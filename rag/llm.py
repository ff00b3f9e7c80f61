"""LangChain plumbing for the LLM answerer (rag/answerers/llm.py): ``openai:MODEL`` (any
OpenAI-compatible server) and ``ollama:MODEL``.

The answerer's flow, with the parts this module provides (LangChain, LCEL):
  1. condense: with history, the model rewrites the follow-up as a standalone question;
  2. retrieve: the hybrid retriever, exposed as a LangChain ``BaseRetriever`` (``MicqaRetriever``);
  3. gate: the default answerer's refusal decision; nothing relevant -> refuse with no model call;
  4. generate: a constant system prompt, numbered and fenced passages, table facts, valid keys;
  5. check in code, sentence by sentence (``CitationCheck`` behind a ``SentenceGate``, so a stream
     shows only checked sentences): unknown markers removed, a sentence that cites no passage
     dropped, each cited sentence checked against its passage (lexical and embedding support),
     quotes picked verbatim from the passage, report references attached by ``make_citation``;
     images, HTML and outside links stripped (``StreamSanitizer`` while streaming).

Errors (missing package, key, server, timeout) raise ``BackendError`` with one sentence that
never contains a key or a prompt.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.answer import units_of
from rag.citations import make_citation
from rag.errors import BackendError
from rag.prompts import (
    CONDENSE_PROMPT,
    SYSTEM_PROMPT,
    PromptContext,
    condense_user_message,
)
from rag.records import CANNOT_ANSWER, Chunk, Citation, ScoredChunk, Segment, compacted, render, segments_stripped
from rag.sanitize import clean_text
from rag.tables import TableAnswer
from rag.text import sentence_spans, tokens

log = logging.getLogger(__name__)

PROVIDERS = ("openai", "ollama")
# A cited sentence is flagged when it is below BOTH: the share of its content tokens found in the
# passage, and the cosine between its embedding and the passage's vector.
# With MiniLM a faithful paraphrase of a passage scores ~0.55-0.75 while an on-topic but unsupported
# claim scores ~0.4-0.5, so the dense bar sits above the latter; lexical overlap catches the rest.
MIN_LEXICAL_SUPPORT = 0.5
MIN_DENSE_SUPPORT = 0.6
# Sentences this short (content tokens) are connective tissue; they need no citation.
MIN_TOKENS_TO_CITE = 4
MAX_RETRIES = 0  # a retry doubles the worst-case wait; the user can simply ask again
MAX_CONDENSED_CHARS = 500


# ---------------------------------------------------------------------------- chat models
def parse_spec(spec: str) -> tuple[str, str]:
    provider, sep, model = (spec or "").partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if not sep or provider not in PROVIDERS or not model:
        raise BackendError(f"Unknown LLM backend {spec!r}; use openai:MODEL or ollama:MODEL, e.g. ollama:llama3.1.")
    return provider, model


def _where(provider: str) -> str:
    """host:port of the server, without credentials or path (for error messages)."""
    if provider == "openai":
        url = os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or "https://api.openai.com"
    else:
        url = os.environ.get("OLLAMA_HOST") or "http://localhost:11434"
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "the configured address"


def make_chat_model(spec: str, settings: Any) -> Any:
    """A LangChain chat model with a timeout, a token cap and few retries; no network call is made here."""
    provider, model = parse_spec(spec)
    timeout = float(settings.llm_timeout_s)
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:
            raise BackendError("The openai backend needs the langchain-openai package; install it with "
                               "`pip install langchain-openai`.") from None
        if not os.environ.get("OPENAI_API_KEY"):
            raise BackendError("Set OPENAI_API_KEY to use the openai backend (for a local OpenAI-compatible server "
                               "set OPENAI_BASE_URL to it; any key value works).")
        # base URL and key are read from OPENAI_BASE_URL / OPENAI_API_KEY by the client itself
        # o-series reasoning models reject a temperature other than the default
        temp = None if re.match(r"o\d", model) else 0
        return ChatOpenAI(model=model, timeout=timeout, max_completion_tokens=settings.llm_max_tokens,
                          max_retries=MAX_RETRIES, temperature=temp)
    try:
        from langchain_ollama import ChatOllama
    except ImportError:
        raise BackendError("The ollama backend needs the langchain-ollama package; install it with "
                           "`pip install langchain-ollama`.") from None
    # base_url None -> the ollama client reads OLLAMA_HOST
    return ChatOllama(model=model, num_predict=settings.llm_max_tokens, temperature=0,
                      client_kwargs={"timeout": timeout})


_TIMEOUTS = {"APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "WriteTimeout", "PoolTimeout",
             "TimeoutError", "StreamChunkTimeoutError"}
_CONNECTS = {"APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError", "NetworkError",
             "ConnectionRefusedError"}


_PROVIDER_MODULES = ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "ollama", "langchain_openai", "langchain_ollama")


def is_provider_error(exc: BaseException) -> bool:
    """True for failures of the model call (client libraries, network), not of our own retrieval."""
    return any(c.__module__.split(".")[0] in _PROVIDER_MODULES or c.__name__ in _TIMEOUTS | _CONNECTS
               for c in type(exc).__mro__)


def backend_error(exc: BaseException, spec: str, settings: Any) -> BackendError:
    """One sentence for a failed model call. Built from the exception's type and status only: the
    exception's own text can quote the request or part of a key."""
    provider, model = parse_spec(spec)
    where = _where(provider)
    names = {c.__name__ for c in type(exc).__mro__}
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    log.warning("LLM call to %s failed: %s (status %s)", where, type(exc).__name__, status)
    var = "OPENAI_BASE_URL" if provider == "openai" else "OLLAMA_HOST"
    if names & _TIMEOUTS:
        return BackendError(f"The {provider} model {model} at {where} did not reply within "
                            f"{settings.llm_timeout_s:g} seconds; check the server or raise MICQA_LLM_TIMEOUT.")
    if names & _CONNECTS and not status:
        return BackendError(f"Could not reach the {provider} server at {where}; start it or set {var} to its address.")
    if status in (401, 403):
        return BackendError(f"The {provider} server at {where} rejected the API key; set OPENAI_API_KEY to a valid key.")
    if status == 404:
        hint = f"run `ollama pull {model}`" if provider == "ollama" else "check the model name"
        return BackendError(f"The {provider} server at {where} has no model {model!r}; {hint} or pick another "
                            "with --llm PROVIDER:MODEL.")
    if status == 429:
        return BackendError(f"The {provider} server at {where} is rate limiting requests; wait a moment and ask again.")
    if status:
        return BackendError(f"The {provider} server at {where} failed with HTTP {status}; check its log and try again.")
    return BackendError(f"The {provider} backend failed ({type(exc).__name__}); check the server at {where} "
                        "and try again.")


def _content(msg: Any) -> str:
    c = getattr(msg, "content", msg)
    if isinstance(c, str):
        return c
    if isinstance(c, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in c)
    return str(c or "")


# ---------------------------------------------------------------------------- retrieval (LCEL)
def _make_retriever_class() -> type:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class MicqaRetriever(BaseRetriever):
        """The hybrid retriever (BM25 + vectors, RRF) as a LangChain retriever.

        Each Document carries the ScoredChunk in ``metadata["scored"]`` so nothing is lost on the way.
        """

        model_config = ConfigDict(arbitrary_types_allowed=True)
        hybrid: Any
        k: int = 8
        filters: Any = None

        def _get_relevant_documents(self, query: str, *,
                                    run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            return [
                Document(page_content=sc.chunk.text,
                         metadata={"chunk_id": sc.chunk.id, "section": sc.chunk.section, "page": sc.chunk.page,
                                   "kind": sc.chunk.kind, "score": sc.score, "scored": sc})
                for sc in self.hybrid.search(query, k=self.k, filters=self.filters)
            ]

    return MicqaRetriever


_retriever_cls: type | None = None


def micqa_retriever(engine: Any, k: int, filters: Any = None) -> Any:
    """A ``MicqaRetriever`` over engine.retriever (the class is built lazily: langchain loads on first use)."""
    global _retriever_cls
    if _retriever_cls is None:
        _retriever_cls = _make_retriever_class()
    return _retriever_cls(hybrid=engine.retriever, k=k, filters=filters)


def _pick_condensed(text: str, fallback: str) -> str:
    """The model's rewrite if it looks like a question; otherwise the rule-based standalone question."""
    line = clean_text(next((ln for ln in text.strip().splitlines() if ln.strip()), ""))
    line = re.sub(r"^(standalone question|question)\s*:\s*", "", line, flags=re.I).strip().strip('"“”\'')
    if not line or len(line) > MAX_CONDENSED_CHARS or CANNOT_ANSWER.lower() in line.lower():
        return fallback
    return line


def build_retrieval_chain(model: Any, engine: Any, k: int, filters: Any = None) -> Any:
    """LCEL: {question, standalone, history, contexts} -> adds the condensed ``standalone`` and its ``contexts``.

    With history the model condenses (the rule-based ``standalone`` is the fallback); contexts already
    retrieved for the same question are reused instead of searching twice.
    """
    from langchain_core.messages import SystemMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnableBranch, RunnableLambda, RunnablePassthrough

    condense_prompt = ChatPromptTemplate.from_messages([SystemMessage(content=CONDENSE_PROMPT), ("human", "{body}")])
    llm_condense = (
        RunnablePassthrough.assign(
            rewritten=RunnableLambda(lambda x: {"body": condense_user_message(x["question"], x["history"])})
            | condense_prompt | model | StrOutputParser())
        | RunnableLambda(lambda x: _pick_condensed(x["rewritten"], x["standalone"]))
    )
    condense = RunnableBranch((lambda x: bool(x["history"]), llm_condense), RunnableLambda(lambda x: x["standalone"]))
    retriever = micqa_retriever(engine, k, filters)

    def scored_of(docs: list[Any]) -> list[ScoredChunk]:
        return [d.metadata["scored"] for d in docs]

    to_scored = RunnableLambda(scored_of)

    def retrieve(x: dict[str, Any]) -> list[ScoredChunk]:
        if x["standalone"] == x["given_standalone"] and x["contexts"] is not None:
            return x["contexts"]
        return (retriever | to_scored).invoke(x["standalone"])

    return (
        RunnablePassthrough.assign(given_standalone=lambda x: x["standalone"])
        | RunnablePassthrough.assign(standalone=condense)
        | RunnablePassthrough.assign(contexts=RunnableLambda(retrieve))
    )


def build_answer_chain(model: Any) -> Any:
    """LCEL: {body} -> AIMessage. The system message is the constant SYSTEM_PROMPT, never templated."""
    from langchain_core.messages import SystemMessage
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages([SystemMessage(content=SYSTEM_PROMPT), ("human", "{body}")]) | model


# ---------------------------------------------------------------------------- prompt contexts
def prompt_contexts(contexts: Sequence[ScoredChunk], table: TableAnswer | None, engine: Any,
                    budget: int) -> list[PromptContext]:
    """Number the passages [1]..[n]: table rows behind a computed fact first, then retrieved passages,
    while the total passage text fits in ``budget`` characters (the first one is cut to fit if needed)."""
    chunks: list[Chunk] = []
    if table is not None:
        for r in table.rows:
            ch = engine.tables.row_chunk(table.table, r)
            if ch is not None:
                chunks.append(ch)
    chunks += [sc.chunk for sc in contexts]
    out: list[PromptContext] = []
    seen: set[str] = set()
    used = sum(len(f) for f in (table.facts if table else []))
    for ch in chunks:
        if ch.id in seen:
            continue
        room = budget - used
        if len(ch.text) > room:
            if out or room < 200:
                break
            out.append(PromptContext(len(out) + 1, ch, ch.text[:room]))
            break
        seen.add(ch.id)
        out.append(PromptContext(len(out) + 1, ch, ch.text))
        used += len(ch.text)
    return out


# ---------------------------------------------------------------------------- output sanitising
_IMG_MD = re.compile(r"!\s*\[[^\]\n]*\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]*:|www\.)[^<>\s]*)>", re.I)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<[A-Za-z][A-Za-z0-9:-]*\s[^<>]*$")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)\n]*)?\)")
_REF_DEF = re.compile(r"(?m)^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S.*$")
_BARE_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\[\]()\"']+")
_DATA_URI = re.compile(r"(?i)\b(?:data|javascript|vbscript):[^\s)\]]+")


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/.,;:").lower()


def allowed_urls(engine: Any) -> frozenset[str]:
    """The only URLs an answer may carry: the report's own reference URLs."""
    return frozenset(_norm_url(r.url) for r in engine.index.references.values() if getattr(r, "url", None))


def sanitize_output(text: str, allowed: frozenset[str] = frozenset()) -> str:
    """No images (any host), no HTML, and no links or URLs other than the report's reference URLs."""
    t = _IMG_MD.sub("", text)
    t = _HTML_COMMENT.sub("", t)
    t = _AUTOLINK.sub(lambda m: m.group(1) if _norm_url(m.group(1)) in allowed else "", t)
    t = _HTML_TAG.sub("", t)
    t = _REF_DEF.sub("", t)
    t = _MD_LINK.sub(lambda m: m.group(0) if _norm_url(m.group(2)) in allowed else m.group(1), t)

    def bare(m: re.Match[str]) -> str:
        url = m.group(0)
        core = url.rstrip(".,;:!?")
        if _norm_url(core) in allowed:
            return url
        return url[len(core):]  # keep trailing sentence punctuation

    # markdown links to allowed hosts keep their URL; anything else bare goes
    parts = re.split(r"(\[[^\]\n]*\]\([^)\n]*\))", t)
    t = "".join(p if i % 2 else _DATA_URI.sub("", _BARE_URL.sub(bare, p)) for i, p in enumerate(parts))
    t = re.sub(r"[ \t]{2,}", " ", t)
    t = re.sub(r"[ \t]+([.,;:!?])", r"\1", t)
    return re.sub(r"\n{3,}", "\n\n", t).strip()


def _safe_cut(raw: str) -> int:
    """How much of a partial stream can be shown: hold back anything that may still become a link,
    an image or a tag (an unfinished word, an open ``<``, ``[`` or ``](``)."""
    m = re.search(r"\S+$", raw)
    cut = m.start() if m else len(raw)
    i = raw.rfind("<")
    if i >= 0 and ">" not in raw[i:]:
        cut = min(cut, i)
    i = raw.rfind("[")
    if i >= 0:
        rest = raw[i:]
        if "]" not in rest or re.fullmatch(r"\[[^\]]*\]\s*", rest) or (
                re.match(r"\[[^\]]*\]\(", rest) and ")" not in rest.split("](", 1)[1]):
            cut = min(cut, i - 1 if i > 0 and raw[i - 1] == "!" else i)
    return max(cut, 0)


class StreamSanitizer:
    """Passes streamed tokens on, sanitised: what has been shown never needs taking back.

    If sanitising ever rewrites text already shown (it should not), the stream stops and the final
    answer (which the caller renders from Answer.text) is the record.
    """

    def __init__(self, emit: Callable[[str], None], allowed: frozenset[str]) -> None:
        self.emit = emit
        self.allowed = allowed
        self.raw = ""
        self.sent = ""
        self.ok = True

    def feed(self, piece: str) -> None:
        self.raw += piece
        cut = _safe_cut(self.raw)
        self._push(sanitize_output(self.raw[:cut], self.allowed) if cut else "")

    def close(self) -> None:
        self._push(sanitize_output(self.raw, self.allowed))

    def _push(self, clean: str) -> None:
        if not self.ok or not clean:
            return
        if clean.startswith(self.sent):
            delta = clean[len(self.sent):]
            if delta:
                self.emit(delta)
                self.sent = clean
        else:
            self.ok = False


# ---------------------------------------------------------------------------- citation checking
_MODEL_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")


@dataclass
class Checked:
    segments: list[Segment]  # the checked answer, each piece with the citation marker after it
    citations: list[Citation]
    warnings: list[str]

    @property
    def text(self) -> str:
        return render(self.segments)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.dot(a, b) / (na * nb)) if na and nb else 0.0


class SupportChecker:
    """Lexical and embedding support of a generated sentence by a passage, and the best verbatim quote."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._vecs: dict[str, np.ndarray] = {}

    def passage_vec(self, chunk: Chunk) -> np.ndarray:
        v = self._vecs.get(chunk.id)
        if v is None:
            try:  # the stored vector: the exact one retrieval compared against
                got = self.engine.collection.get(ids=[chunk.id], include=["embeddings"])
                v = np.asarray(got["embeddings"][0], dtype=np.float32)
            except Exception:  # noqa: BLE001 - any store hiccup: embed the passage instead
                v = np.asarray(self.engine.embedder.embed_documents([chunk.embed_text])[0], dtype=np.float32)
            self._vecs[chunk.id] = v
        return v

    @staticmethod
    def lexical(sentence_toks: set[str], chunk: Chunk) -> float:
        if not sentence_toks:
            return 1.0
        return len(sentence_toks & set(tokens(chunk.embed_text))) / len(sentence_toks)

    def dense(self, sentence_vec: np.ndarray, chunk: Chunk) -> float:
        return _cos(sentence_vec, self.passage_vec(chunk))

    @staticmethod
    def best_quote(sentence_toks: set[str], chunk: Chunk) -> str:
        units = units_of(ScoredChunk(chunk, 0.0), 0)
        if not units:
            return chunk.text
        best = max(units, key=lambda u: (len(sentence_toks & u.toks) / (len(u.toks) or 1) ** 0.25, -u.start))
        return chunk.text[best.start:best.end].strip()


class CitationCheck:
    """Checks an answer one sentence at a time, in order, so a stream can show each sentence as checked.

    Per sentence: markers resolved against the numbered passages and renumbered in order of first
    use (a key no passage has is removed); each cited passage checked for support (lexical and
    embedding) and a verbatim quote picked from it; a substantive sentence left with no valid
    citation is dropped. What was removed, dropped or found unsupported goes to ``warnings``.
    """

    def __init__(self, pcs: Sequence[PromptContext], engine: Any,
                 references: Mapping[tuple[str, int], Any]) -> None:
        self.by_key = {pc.n: pc.chunk for pc in pcs}
        self.engine = engine
        self.references = references
        self.checker = SupportChecker(engine)
        self.citations: list[Citation] = []
        self.number_of: dict[tuple[str, str], int] = {}
        self.warnings: list[str] = []
        self.unknown: set[int] = set()
        self.seen = 0  # sentences checked so far (warnings number them from 1, as the model wrote them)

    def sentence(self, sentence: str) -> list[Segment] | None:
        """The sentence as segments, its markers checked and renumbered, or None when it is dropped."""
        self.seen += 1
        si = self.seen
        plain = _MODEL_MARKER.sub("", sentence)
        toks = set(tokens(plain))
        svec: np.ndarray | None = None
        cited_any = False
        fixed: list[Segment] = []
        words = ""  # the model's words since the last marker kept
        last = 0
        for m in _MODEL_MARKER.finditer(sentence):
            new: list[int] = []
            for part in m.group(1).split(","):
                key = int(part)
                chunk = self.by_key.get(key)
                if chunk is None:
                    self.unknown.add(key)
                    continue
                lex = self.checker.lexical(toks, chunk)
                if svec is None:
                    svec = np.asarray(self.engine.embedder.embed_query(plain), dtype=np.float32)
                den = self.checker.dense(svec, chunk)
                supported = lex >= MIN_LEXICAL_SUPPORT or den >= MIN_DENSE_SUPPORT
                quote = self.checker.best_quote(toks, chunk)
                n = self.number_of.get((chunk.id, quote))
                if n is None:
                    cit = make_citation(len(self.citations) + 1, chunk, quote, self.references, supported)
                    if cit is None:
                        continue
                    self.citations.append(cit)
                    n = self.number_of[(chunk.id, quote)] = cit.n
                elif not supported:
                    self.citations[n - 1].supported = False
                if not supported:
                    self.warnings.append(f"Sentence {si} is not supported by the passage it cites [{n}] "
                                         f"(word overlap {lex:.2f}, similarity {den:.2f}); check it against the source.")
                if n not in new:
                    new.append(n)
                cited_any = True
            words += sentence[last:m.start()]
            for n in new:  # "[2][3]": the second marker follows the first directly
                fixed.append(Segment(words, n))
                words = ""
            last = m.end()
        fixed.append(Segment(words + sentence[last:]))
        # spacing tidied where markers were removed; no space or full stop is ever split by a kept marker
        tidy = segments_stripped(compacted([Segment(_tidy(f.text), f.n) for f in fixed]))
        if not cited_any and len(toks) >= MIN_TOKENS_TO_CITE:
            self.warnings.append(f"Dropped sentence {si}, which cites no retrieved passage: {_shorten(render(tidy))}")
            return None
        return tidy

    def finish(self) -> list[str]:
        """All warnings, the removed markers last (a marker may be removed from several sentences)."""
        out = list(self.warnings)
        if self.unknown:
            keys = ", ".join(f"[{k}]" for k in sorted(self.unknown))
            out.append(f"Removed citation markers that name no retrieved passage: {keys}.")
        return out


def _tidy(text: str) -> str:
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text))


def _shorten(sentence: str, limit: int = 120) -> str:
    quoted = sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + " …"
    return f"\u201c{quoted}\u201d."


_LETTER_OUTSIDE_MARKERS = re.compile(r"[^\W\d_]")
_MARKER_OR_OPEN = re.compile(r"\[[^\]]*(?:\]|$)")


class SentenceGate:
    """Releases text sentence by sentence, each only once it is complete and its markers are checked.

    A sentence is complete when the text after it has begun a new sentence with a letter (a marker
    printed after the full stop still belongs to the sentence before, so it may yet arrive). The
    answer is what the gate released, so the stream and the final text are the same checked text.
    """

    def __init__(self, check: CitationCheck, emit: Callable[[str], None] | None = None) -> None:
        self.check = check
        self.emit = emit
        self.text = ""  # sanitised text received so far
        self.done = 0  # end offset in ``text`` of the last sentence checked
        self.out: list[list[Segment]] = []  # released sentences, each with the gap before it
        self.emitted = 0  # pieces passed to ``emit``: none before the first cited sentence, since an
        # answer that cites nothing is refused and must not have been shown

    def feed(self, piece: str) -> None:
        self.text += piece
        spans = sentence_spans(self.text, self.done)
        if len(spans) < 2:
            return
        a, b = spans[-1]
        if not _LETTER_OUTSIDE_MARKERS.search(_MARKER_OR_OPEN.sub("", self.text[a:b])):
            return  # what follows may still be a marker of the sentence before
        self._release(spans[:-1])

    def close(self) -> list[Segment]:
        """The checked answer: what was released, as segments."""
        self._release(sentence_spans(self.text, self.done))
        return segments_stripped(compacted([s for sent in self.out for s in sent]))

    def _release(self, spans: list[tuple[int, int]]) -> None:
        for a, b in spans:
            gap = self.text[self.done:a]
            gap = gap if not gap.strip() else " "  # spans cover all text but whitespace; nothing unchecked shows
            self.done = b
            fixed = self.check.sentence(self.text[a:b])
            if fixed is None:
                continue
            self.out.append(([Segment(gap)] if self.out else []) + fixed)
        if self.emit is not None and self.check.citations and self.emitted < len(self.out):
            self.emit("".join(render(sent) for sent in self.out[self.emitted:]))
            self.emitted = len(self.out)


def check_citations(text: str, pcs: Sequence[PromptContext], engine: Any,
                    references: Mapping[tuple[str, int], Any]) -> Checked:
    """Check a whole answer at once (the same checks, in the same order, as a checked stream)."""
    check = CitationCheck(pcs, engine, references)
    gate = SentenceGate(check)
    gate.feed(text)
    return Checked(gate.close(), check.citations, check.finish())


def is_refusal(text: str) -> bool:
    t = re.sub(r"\s+", " ", text).strip().strip("*_\"'“” ").lower()
    return t.startswith(CANNOT_ANSWER.lower().rstrip("."))


# ---------------------------------------------------------------------------- generation
def generate(model: Any, body: str, backend: str, settings: Any,
             on_piece: Callable[[str], None] | None = None) -> str:
    """The model's reply to the answer prompt, streamed piece by piece to ``on_piece`` when given.

    Every failure of the model call becomes one ``BackendError`` sentence; ``on_piece`` runs outside
    the try, so the caller's own errors surface as themselves."""
    chain = build_answer_chain(model)
    if on_piece is None:
        try:
            return _content(chain.invoke({"body": body}))
        except Exception as exc:
            raise backend_error(exc, backend, settings) from None
    pieces: list[str] = []
    tokens_in = iter(chain.stream({"body": body}))
    while True:
        try:
            piece = _content(next(tokens_in))
        except StopIteration:
            break
        except Exception as exc:
            raise backend_error(exc, backend, settings) from None
        if piece:
            pieces.append(piece)
            on_piece(piece)
    return "".join(pieces)
