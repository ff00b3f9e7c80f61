"""The LLM answerer: a chat model (``openai:MODEL`` or ``ollama:MODEL``) answers over the retrieved passages.

It answers only when the job names a backend (``AnswerJob.backend``); otherwise it declines. The
LangChain plumbing (chat models, chains, prompts, sanitising, the citation check) is rag/llm.py.

1. condense: with history, the model rewrites the follow-up as a standalone question (then retrieval
   runs again for it);
2. gate: the grounded answerer's refusal decision; nothing relevant -> refuse with no model call;
3. generate over numbered, fenced passages and the table's computed facts;
4. check in code, sentence by sentence: markers that name no passage are removed, a sentence left
   with no valid citation is dropped, a cited passage that does not support its sentence marks the
   citation unsupported; each is listed in ``warnings``. While streaming, a sentence reaches
   ``on_token`` only once checked, so the stream shows exactly the checked answer.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from rag.answerers.base import AnswerJob
from rag.records import CANNOT_ANSWER, ScoredChunk

if TYPE_CHECKING:
    from rag.answer import Drafted

log = logging.getLogger(__name__)

NOTHING_CITED = "The model's answer cited none of the retrieved passages, so it is not shown."


class LLMAnswerer:
    name = "llm"

    def __init__(self, engine: Any = None, settings: Any = None, **_: object) -> None:
        self.engine = engine
        self.settings = settings

    def answer(self, job: AnswerJob) -> Drafted | None:
        settings = job.settings or self.settings
        if not job.backend or self.engine is None or settings is None:
            return None  # no model asked for: the report's own answerers answer
        # loaded on first use, as LangChain is: a default answer's cold start does not pay for them
        from rag.answer import Drafted
        from rag.llm import (
            CitationCheck,
            SentenceGate,
            StreamSanitizer,
            allowed_urls,
            backend_error,
            build_retrieval_chain,
            generate,
            is_provider_error,
            is_refusal,
            make_chat_model,
            parse_spec,
            prompt_contexts,
            sanitize_output,
        )
        from rag.prompts import answer_user_message

        engine = self.engine
        provider, model_name = parse_spec(job.backend)
        backend = f"{provider}:{model_name}"
        model = make_chat_model(backend, settings)  # fail fast on a missing package or key
        k = max(len(job.contexts), settings.k)
        try:
            state = build_retrieval_chain(model, engine, k, job.filters).invoke(
                {"question": job.asked or job.query.text, "standalone": job.query.text, "history": list(job.history),
                 "contexts": job.contexts})
        except Exception as exc:
            if not is_provider_error(exc):
                raise  # a retrieval bug is not a backend problem; let it surface as itself
            raise backend_error(exc, backend, settings) from None
        standalone: str = state["standalone"]
        contexts, table = job.contexts, job.table
        rewritten = standalone if standalone != job.query.text else None
        if rewritten is not None:
            contexts = state["contexts"]
            table = engine.table_answer(standalone, job.filters)

        def refused(raw: str, related: list[ScoredChunk], warnings: list[str] | None = None) -> Drafted:
            if job.on_token:
                job.on_token(CANNOT_ANSWER)
            return Drafted.refusal(related, list(contexts), raw=raw, warnings=warnings, standalone=rewritten)

        # the grounded answerer's refusal decision: nothing relevant -> no model call at all
        gate = engine.answerer.answer(standalone, contexts, table, engine.tables.row_chunk)
        if gate.refused:
            log.info("LLM answerer: retrieval found nothing relevant; refusing without a model call")
            return refused(CANNOT_ANSWER, gate.related or contexts[:3])
        pcs = prompt_contexts(contexts, table, engine, settings.llm_max_context_chars)
        if not pcs:
            return refused(CANNOT_ANSWER, contexts[:3])
        body = answer_user_message(standalone, pcs, table.facts if table else [])
        allowed = allowed_urls(engine)
        check = CitationCheck(pcs, engine, engine.index.references)
        gate_out = SentenceGate(check, job.on_token)
        t0 = time.perf_counter()
        if job.on_token:
            sanitizer = StreamSanitizer(gate_out.feed, allowed)
            raw = generate(model, body, backend, settings, on_piece=sanitizer.feed)
            sanitizer.close()
            cleaned = sanitize_output(raw, allowed)
            if not sanitizer.ok:  # sanitising rewrote shown text (it should not): the stream stopped there
                log.warning("LLM answerer: the stream was cut; the answer is checked from the whole reply")
                check = CitationCheck(pcs, engine, engine.index.references)
                gate_out = SentenceGate(check)
                gate_out.feed(cleaned)
        else:
            raw = generate(model, body, backend, settings)
            cleaned = sanitize_output(raw, allowed)
            gate_out.feed(cleaned)
        segments = gate_out.close()
        log.info("LLM answerer %s answered in %.0f ms (%d passages, %d chars out)", backend,
                 (time.perf_counter() - t0) * 1000, len(pcs), len(raw))
        warnings = check.finish()
        if not cleaned or is_refusal(cleaned):
            return refused(raw, contexts[:3])
        if not check.citations:  # nothing was shown either: the gate streams only once a sentence is cited
            return refused(raw, contexts[:3], [NOTHING_CITED, *warnings])
        seen = {sc.chunk.id for sc in contexts}
        shown = list(contexts) + [ScoredChunk(pc.chunk, 0.0) for pc in pcs if pc.chunk.id not in seen]
        return Drafted(segments, raw, check.citations, False, [], shown, warnings=warnings, standalone=rewritten)
