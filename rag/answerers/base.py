"""The protocol every answerer follows, and the job it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.query import Query
from rag.records import ScoredChunk

if TYPE_CHECKING:
    from rag.answer import Drafted
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


class Answerer(Protocol):
    name: str

    def answer(self, job: AnswerJob) -> Drafted | None:
        """A drafted answer, or None to let the next answerer on the route try."""
        ...
