"""The protocol every answerer follows, and the job it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.query import Query
from rag.records import ScoredChunk, Turn

if TYPE_CHECKING:
    from rag.answer import Drafted
    from rag.retrieve import Filters
    from rag.settings import Settings
    from rag.tables import TableAnswer


@dataclass
class AnswerJob:
    """What an answerer works from: parsed once, retrieved once."""

    query: Query
    contexts: list[ScoredChunk]
    table: TableAnswer | None
    query_vec: np.ndarray | None
    tried: list[str] = field(default_factory=list)  # answerers that declined before this one
    max_chars: int | None = None  # a shorter answer (one part of a compound question)
    # the request around the question, for an answerer that works from more than the parsed query (the LLM's)
    asked: str = ""  # the question as typed
    history: list[Turn] = field(default_factory=list)
    filters: Filters | None = None
    backend: str | None = None  # "openai:MODEL" or "ollama:MODEL" when a model is asked for
    on_token: Callable[[str], None] | None = None  # receives the answer as it is written
    settings: Settings | None = None  # this request's settings (the model's timeout, token and context caps)


class Answerer(Protocol):
    name: str

    def answer(self, job: AnswerJob) -> Drafted | None:
        """A drafted answer, or None to let the next answerer on the route try."""
        ...
