"""Property tests: cleaning is idempotent and strips what it should; the question chain never crashes,
respects its caps and only shows citations whose quote is verbatim in the cited chunk."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.api import ask, get_engine
from rag.embeddings import FakeEmbedder
from rag.errors import BadQuestion, MicqaError
from rag.sanitize import clean_question, clean_text

CAP = 2000
# Answers are a few cited sentences, a table summary or one reference: well under this.
MAX_ANSWER = 8000

# The awkward parts of Unicode, named explicitly: surrogates (Cs), format characters (Cf: zero
# width, bidi, soft hyphen...), the tag block, controls, combining marks, plus letters and spaces.
awkward = st.characters(categories=["Cs", "Cf", "Cc", "Mn", "Zs", "Zl", "Zp"])
tags = st.characters(min_codepoint=0xE0000, max_codepoint=0xE007F)
letters = st.characters(categories=["L", "Nd", "P", "So"])
any_text = st.text(st.one_of(awkward, tags, letters), max_size=300)

VOCAB = [
    "MIC", "MICs", "China", "manufacturing", "innovation", "center", "funding", "MIIT", "Wuhan", "how", "many",
    "what", "who", "is", "the", "are", "there", "reference", "[20]", "table", "A.1", "Made", "in", "2025",
    "province", "city", "year", "additive", "graphene", "industry", "government", "?", "\u200b", "\u202e",
    "\ud800", "\U000e0041", "👍🏽", "مركز", "'; DROP TABLE", "$(id)",
]
questions = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=14).map(" ".join)
mixed_questions = st.one_of(questions, any_text, st.tuples(questions, any_text).map("".join))

_INVISIBLE = ("Cs", "Cf", "Cc", "Co", "Cn")


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_clean_text_idempotent_and_clean(x: str) -> None:
    y = clean_text(x)
    assert clean_text(y) == y
    assert y == y.strip() and "  " not in y
    assert not any(unicodedata.category(c) in _INVISIBLE for c in y)
    assert not any(0xE0000 <= ord(c) <= 0xE007F for c in y)
    y.encode("utf-8")  # no lone surrogates left: always encodable (logs, JSON, terminals)


@settings(max_examples=200, deadline=None)
@given(st.text(st.one_of(awkward, tags, letters), max_size=CAP * 5))
def test_clean_question_caps_or_rejects(x: str) -> None:
    try:
        q = clean_question(x, CAP)
    except BadQuestion as err:
        assert "\n" not in str(err)
        return
    assert 0 < len(q) <= CAP
    assert q == clean_text(q)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mixed_questions)
def test_chain_never_crashes_and_citations_are_verbatim(fake_index, q: str) -> None:
    cfg, _ = fake_index
    eng = get_engine(cfg, embedder=FakeEmbedder())
    try:
        ans = ask(q, settings=cfg, engine=eng)
    except MicqaError as err:  # the only errors a question may raise
        assert str(err) and "\n" not in str(err)
        return
    assert 0 < len(ans.question) <= CAP
    assert 0 < len(ans.text) <= MAX_ANSWER
    for c in ans.citations:
        chunk = eng.index.chunk_by_id[c.chunk_id]
        assert c.quote and c.quote in chunk.text, (c.chunk_id, c.quote[:80])
        assert f"[{c.n}]" in ans.text
    json.dumps(ans.to_json(), ensure_ascii=False).encode("utf-8")  # always serialisable


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mixed_questions, min_size=1, max_size=4), questions)
def test_chain_with_history(fake_index, turns: list[str], q: str) -> None:
    from rag.records import Turn

    cfg, _ = fake_index
    eng = get_engine(cfg, embedder=FakeEmbedder())
    history = [Turn("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(turns)]
    try:
        ans = ask(q, history, settings=cfg, engine=eng)
    except MicqaError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert len(ans.standalone_question) <= CAP * 6
    for c in ans.citations:
        assert c.quote in eng.index.chunk_by_id[c.chunk_id].text
