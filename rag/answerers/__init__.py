"""Answerers behind one protocol, and the registry the router reads.

An answerer gets a ``Turn`` of work (the parsed ``Query``, the retrieved passages, the table
computation if any, the question's vector) and returns a ``Drafted`` answer or ``None`` to decline,
in which case the next answerer on the route tries. A new answerer is one module plus one line in
``REGISTRY``; which answerers a question's intent tries, in order, is ``ROUTES`` in ``rag/route.py``.
"""

from __future__ import annotations

from rag.answerers.base import Answerer, AnswerJob
from rag.answerers.compare import CompareAnswerer
from rag.answerers.contents import ContentsAnswerer
from rag.answerers.grounded import FactAnswerer, SourceAnswerer, TableAnswerer
from rag.answerers.llm import LLMAnswerer
from rag.answerers.synthesis import SynthesisAnswerer
from rag.answerers.table_summary import TableSummaryAnswerer

REGISTRY: dict[str, type[Answerer]] = {
    "source": SourceAnswerer,  # the report's references and its front matter (authors, date, DOI)
    "contents": ContentsAnswerer,  # the document's numbered parts in order, for "how is the report organized"
    "table": TableAnswerer,  # exact computations over the parsed tables
    "table_summary": TableSummaryAnswerer,  # a table the question names: caption, row count, the rows
    "synthesis": SynthesisAnswerer,  # 2-6 cited sentences for why / how / compare / list / summarize
    "compare": CompareAnswerer,  # a table's cells for each side, then the report's sentences
    "fact": FactAnswerer,  # the fewest cited sentences that answer a lookup (or a refusal)
    "llm": LLMAnswerer,  # a chat model over the passages, its citations checked in code (when a backend is asked)
}

__all__ = ["REGISTRY", "AnswerJob", "Answerer"]
