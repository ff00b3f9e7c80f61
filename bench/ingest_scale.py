"""`make bench`, ingest at scale: parse throughput, embedding throughput, and the ingest time of
1, 10 and 100 distinct documents and of one 5 MB text, each a fresh `micqa ingest` process.

Distinct documents are copies of the report with names and numbers rewritten (bench/synth.py), so
no chunk or sentence vector can be re-used from another copy. Every run embeds with the real MiniLM
(as `micqa ingest` does: ONNX for small corpora, torch/bfloat16 for large ones); the ONNX export itself
is cached once before the runs.

    python bench/ingest_scale.py                      # 1, 10, 100 documents and 5 MB; writes RESULTS.md
    python bench/ingest_scale.py --docs 1,10 --no-five-mb
    python bench/ingest_scale.py --report-only        # rewrite the section and plot from the raw figures
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the project packages importable

from bench.run import finish_loglog, micqa_cmd, run_child  # noqa: E402
from bench.synth import synthetic_text, write_documents  # noqa: E402

log = logging.getLogger("bench.ingest")
WORK = ROOT / "bench" / "_work" / "ingest"
RAW = ROOT / "bench" / "_work" / "ingest_scale.json"
SECTION = "## Ingest at scale (bench/ingest_scale.py)"
STAGES = ("parse", "embed_chunks", "embed_sentences", "write", "validate")
MB = 2**20
LIMIT_5MB_S = 240.0


def parse_throughput(n_bytes: int) -> dict[str, float]:
    """MB/s of the parse path alone (contents, sections, tables, references, figures, chunks), in process."""
    from ingest.build import parse_document
    from ingest.loaders import LoadedDocument
    from rag.records import Document, Page

    text = synthetic_text(n_bytes)
    doc = Document(id="synthetic", title="Synthetic", source_path="synthetic.txt", sha256="0", kind="txt")
    loaded = LoadedDocument(doc, text, [Page(doc.id, None, 0, text)])
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = parse_document(loaded, 900)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = len(text.encode("utf-8")) / MB
    return {"mb": size, "wall_s": wall, "cpu_s": cpu, "mb_per_s": size / wall, "chunks": len(parsed.chunks)}


def ingest_run(label: str, corpus: Path, data_dir: Path) -> dict[str, Any]:
    """One `micqa ingest` in a fresh process: wall time, peak memory and the build report's stage times."""
    started, load = time.strftime("%H:%M UTC", time.gmtime()), os.getloadavg()[0]
    run = run_child([*micqa_cmd(), "ingest", str(corpus), "--json", "--force"],
                    env={"MICQA_DATA_DIR": str(data_dir)}, timeout=6 * 3600)
    if run.returncode != 0:
        raise RuntimeError(f"ingest of {label} failed ({run.returncode}): {run.stderr[-2000:]}")
    rep = json.loads(run.stdout)
    stages = rep.get("stage_seconds", {})
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / MB
    out = {
        "label": label, "documents": rep["documents"], "mb": size, "wall_s": run.wall_s, "cpu_s": run.cpu_s,
        "peak_rss_mib": run.peak_rss_mib, "chunks": rep["chunks"], "embedded": rep["embedded"],
        "sentences_embedded": rep.get("sentences_embedded", 0), "stages": stages, "started": started, "load": load,
    }
    if stages.get("embed_chunks"):
        out["chunks_per_s"] = rep["embedded"] / stages["embed_chunks"]
    if stages.get("embed_sentences"):
        out["sentences_per_s"] = out["sentences_embedded"] / stages["embed_sentences"]
    log.info("%s: %.1f s wall, %s", label, run.wall_s, {k: round(v, 1) for k, v in stages.items()})
    return out


def bench(args: argparse.Namespace, res: dict[str, Any]) -> None:
    def save() -> None:
        RAW.parent.mkdir(parents=True, exist_ok=True)
        RAW.write_text(json.dumps(res, indent=1))

    res["parse"] = parse_throughput(5 * MB)
    log.info("parse: %.2f MB/s", res["parse"]["mb_per_s"])
    save()
    data_dir = WORK / "data"  # one data dir: the ONNX export is made once and shared by hard link
    seed = 1
    order = sorted(args.docs)
    if args.five_mb:  # the 5 MB text before the largest run, so a time-boxed run still measures it
        order = order[:-1] + [0] + order[-1:] if len(order) > 1 else order + [0]
    for n in order:
        if n == 0:
            five_mb(res, data_dir, seed)
            seed += 1000
            save()
            continue
        corpus = WORK / f"docs-{n}"
        shutil.rmtree(corpus, ignore_errors=True)
        write_documents(corpus, n, start_seed=seed)  # new seeds per run: no vector can be re-used
        seed += n
        res["runs"] = [r for r in res.get("runs", []) if r["label"] != f"{n} documents"]
        res["runs"].append(ingest_run(f"{n} documents", corpus, data_dir))
        shutil.rmtree(corpus, ignore_errors=True)
        save()


def five_mb(res: dict[str, Any], data_dir: Path, seed: int) -> None:
    corpus = WORK / "five-mb"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    (corpus / "synthetic-5mb.txt").write_text(synthetic_text(5 * MB, start_seed=seed), encoding="utf-8")
    res["five_mb"] = ingest_run("one 5 MB text", corpus, data_dir)
    shutil.rmtree(corpus, ignore_errors=True)


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted(res.get("runs", []), key=lambda r: r["documents"])
    if not runs:
        return
    fig, ax = plt.subplots(figsize=(7, 4.2))
    x = [r["documents"] for r in runs]
    for stage in STAGES:
        ax.plot(x, [max(r["stages"].get(stage, 0.0), 1e-2) for r in runs], "o:", label=stage.replace("_", " "))
    ax.plot(x, [r["wall_s"] for r in runs], "s-", color="black", label="whole ingest (wall)")
    finish_loglog(fig, ax, path, "distinct documents ingested (each the size of the report, ~80 KB)", "seconds",
                  "micqa ingest time against the number of documents")


def _f(x: float, nd: int = 1) -> str:
    return f"{x:,.{nd}f}"


def section(res: dict[str, Any]) -> str:
    p = res["parse"]
    lines = [
        SECTION, "",
        "Measured on this 2-core machine, shared with other work (the load average when each run started is in "
        "the table; a load of 8 means about four runnable processes per core); wall times move with that load. Every ingest is a fresh `micqa ingest --force` "
        "process on distinct documents (copies of the report with names and numbers rewritten, bench/synth.py), "
        "embedding everything with MiniLM: the ONNX graph under `bulk_embed_min_chunks` (2,000) chunks, above it "
        "MiniLM in torch with bfloat16 matrix products (this CPU has AMX / AVX512-BF16), as `micqa ingest` does.", "",
        f"- **Parse** (contents, sections, tables, references, figures, chunks; no model): {_f(p['mb'], 2)} MB in "
        f"{_f(p['wall_s'], 2)} s wall ({_f(p['cpu_s'], 2)} s CPU) = **{_f(p['mb_per_s'], 2)} MB/s**, "
        f"{p['chunks']:,} chunks. Linear: tests/test_scale_parse.py checks 4 MB against 1 MB.", "",
        "| ingest | started (load) | MB | chunks | sentences embedded | wall s | CPU s | parse s | embed chunks s | embed sentences s | "
        "write s | validate s | chunks/s | sentences/s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = sorted(res.get("runs", []), key=lambda r: r["documents"]) + ([res["five_mb"]] if "five_mb" in res else [])
    for r in rows:
        s = r["stages"]
        lines.append(
            f"| {r['label']} | {r.get('started', '?')} ({_f(r.get('load', 0.0))}) | {_f(r['mb'], 2)} | {r['chunks']:,} | {r['sentences_embedded']:,} | {_f(r['wall_s'])} | "
            f"{_f(r['cpu_s'])} | "
            + " | ".join(_f(s.get(k, 0.0)) for k in STAGES)
            + f" | {_f(r.get('chunks_per_s', 0.0))} | {_f(r.get('sentences_per_s', 0.0))} | {_f(r['peak_rss_mib'], 0)} |"
        )
    if "five_mb" in res:
        w = res["five_mb"]["wall_s"]
        verdict = "met" if w <= LIMIT_5MB_S else "NOT met"
        lines += ["", f"**5 MB of text, end to end: {_f(w)} s** (target <= {LIMIT_5MB_S:.0f} s: {verdict})."]
    lines += [""] + [f"- {n}" for n in res.get("notes", [])]
    lines += [
        "",
        "Embedding dominates: parsing 5 MB takes seconds, while every chunk and every answerable sentence "
        "goes through MiniLM once (identical texts once). chunks/s and sentences/s are the embedded counts over "
        "their stage's wall time.",
        "",
        "![ingest time against the number of documents](ingest_scale.png)",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str, path: Path) -> None:
    """Replace this benchmark's section of RESULTS.md (or append it): bench/run.py rewrites the file first."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# micqa benchmark\n"
    if SECTION in old:
        head, rest = old.split(SECTION, 1)
        nxt = rest.find("\n## ")
        old = head.rstrip("\n") + "\n" + (rest[nxt:] if nxt != -1 else "")
    path.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")


def _merged(paths: list[Path]) -> dict[str, Any]:
    """The raw figures of runs made side by side (``--tag``), one row per label."""
    res: dict[str, Any] = {"runs": []}
    for p in paths:
        part = json.loads(p.read_text())
        labels = {r["label"] for r in part.get("runs", [])}
        res["runs"] = [r for r in res["runs"] if r["label"] not in labels] + part.get("runs", [])
        for key in ("when", "load", "parse", "five_mb"):
            if key in part:
                res[key] = part[key]
        res.setdefault("notes", []).extend(part.get("notes", []))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", default="1,10,100", help="numbers of documents, comma-separated")
    ap.add_argument("--no-five-mb", dest="five_mb", action="store_false", help="skip the 5 MB text")
    ap.add_argument("--report-only", action="store_true", help="rewrite the section and plot from the raw figures")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--tag", default="", help="run beside another one: its own work folder and raw file")
    args = ap.parse_args()
    args.docs = [int(n) for n in args.docs.split(",") if n.strip()]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for var in ("MICQA_DATA_DIR", "MICQA_CHROMA_URL", "MICQA_CORPUS", "MICQA_EMBED_MODEL"):
        os.environ.pop(var, None)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    global WORK, RAW
    if args.tag:
        WORK, RAW = WORK.with_name(f"ingest-{args.tag}"), RAW.with_name(f"ingest_scale-{args.tag}.json")
    if args.report_only:
        res = _merged(sorted(RAW.parent.glob("ingest_scale*.json"), key=lambda p: p.stat().st_mtime))  # newest wins
    else:
        res = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load": ", ".join(f"{x:.1f}" for x in os.getloadavg())}
        bench(args, res)
    plot(res, args.out.with_name("ingest_scale.png"))
    text = section(res)
    write_section(text, args.out)
    print(text)


if __name__ == "__main__":
    main()
