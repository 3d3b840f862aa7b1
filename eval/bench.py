"""Speed and scale: ingestion throughput, query latency against collection size, answer latency.

- Ingestion: the full pipeline (load, clean, chunk, embed, store, keyword index) on N articles,
  then the bare encoder on exactly the same chunk texts in the same batches, in one run:
  their ratio is the pipeline's overhead, comparable across machines (absolute chunks/s is not).
- Query latency at about 1k, 10k and 50k chunks. Smaller collections are whole documents taken
  from the eval store of the corpus; larger ones add perturbed copies of its documents (new
  ids, sentences shuffled, one word in ten dropped) whose vectors are the ORIGINAL vectors plus
  small gaussian noise, renormalised, written straight into Chroma, after which the keyword
  index is rebuilt by the store. Re-encoding 50k chunks would take hours on two cores and would
  measure the encoder again, not the search. Each size is measured in its own process, so peak
  memory (ru_maxrss) belongs to that size alone.
- Answer latency per backend: time to first token and to the full answer, streamed through
  the answer pipeline as the chat does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from newsrag.eval.datasets import Question, fingerprint_key, load_questions, write_jsonl_subset
from newsrag.eval.metrics import percentile
from newsrag.eval.report import Report, fmt, md_table, plot_latency, plot_scaling
from newsrag.settings import Settings

BENCH_VERSION = 1
NOISE_SIGMA = 0.02  # per dimension: cosine of a copy to its original is about 0.93 for 384-d vectors
DROP_WORDS = 0.1
WARMUP_QUERIES = 5
TRACEMALLOC_QUERIES = 20
DOCUMENT_BATCH = 64  # as index.ingest embeds: the bare encoder gets the same calls


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux's VmHWM, which starts afresh in a new program; `ru_maxrss` (the fallback) survives
    `exec` and would report the parent's peak in a worker process.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return float("nan")


def _store_settings(settings: Settings, folder: Path) -> Settings:
    return settings.model_copy(update={"store": settings.store.model_copy(update={"path": folder, "chroma_url": None})})


def _all_chunks(store) -> list[tuple[str, str, dict[str, Any], np.ndarray | None]]:
    """(id, text, metadata, vector) of every chunk, in document then position order."""
    collection = store.collection()
    rows = []
    offset = 0
    while collection is not None:
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        if not page["ids"]:
            break
        for chunk_id, text, meta, vector in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
            rows.append((chunk_id, text, dict(meta), np.asarray(vector, dtype=np.float32)))
        offset += len(page["ids"])
    rows.sort(key=lambda r: (str(r[2]["doc_id"]), int(r[2].get("position", 0))))
    return rows


# ----- ingestion ----------------------------------------------------------------------------------
def bench_ingest(settings: Settings, corpus: Path, limit: int | None, work_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Pipeline chunks/s and bare-encoder chunks/s on the same chunks, measured in one run."""
    from newsrag.components import open_encoder, open_store
    from newsrag.index.ingest import Ingestor

    work_dir.mkdir(parents=True, exist_ok=True)
    source = corpus
    if limit:
        source = work_dir / "ingest-corpus.jsonl"
        write_jsonl_subset(corpus, source, limit)
    folder = work_dir / "ingest-store"
    shutil.rmtree(folder, ignore_errors=True)
    store_settings = _store_settings(settings, folder)
    store = open_store(store_settings)
    encoder = open_encoder(store_settings)
    encoder.encode(["warm-up sentence for the encoder"] * 64, settings.embed.batch_size)
    report = Ingestor(store_settings, store, encoder, progress=progress).run([source])

    # The same chunk texts, grouped in the same document batches, through the bare encoder.
    chunks = _all_chunks(store)
    order = _document_order(source)
    by_doc: dict[str, list[str]] = OrderedDict()
    for _, text, meta, _ in sorted(chunks, key=lambda r: (order.get(str(r[2]["doc_id"]), 1 << 30), int(r[2].get("position", 0)))):
        title = str(meta.get("title", ""))
        by_doc.setdefault(str(meta["doc_id"]), []).append(f"{title}\n{text}" if title else text)
    documents = list(by_doc.values())
    began = time.perf_counter()
    for start in range(0, len(documents), DOCUMENT_BATCH):
        texts = [t for doc in documents[start : start + DOCUMENT_BATCH] for t in doc]
        encoder.encode(texts, settings.embed.batch_size)
    bare_s = time.perf_counter() - began
    total = sum(len(d) for d in documents)
    pipeline_rate = report.chunks / report.seconds if report.seconds else 0.0
    bare_rate = total / bare_s if bare_s else 0.0
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "corpus": str(corpus),
        "articles": report.added + report.updated,
        "skipped": report.skipped,
        "chunks": report.chunks,
        "pipeline_s": report.seconds,
        "pipeline_encode_s": report.encode_seconds,
        "pipeline_chunks_per_s": pipeline_rate,
        "bare_chunks": total,
        "bare_s": bare_s,
        "bare_chunks_per_s": bare_rate,
        "ratio": pipeline_rate / bare_rate if bare_rate else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def _document_order(corpus: Path) -> dict[str, int]:
    """Position of each document id in the corpus, to replay ingestion's batches."""
    from newsrag.eval.datasets import read_corpus

    return {doc.doc_id: i for i, doc in enumerate(read_corpus(corpus))}


# ----- collections of a given size -------------------------------------------------------------------
def perturb_text(text: str, rng: random.Random) -> str:
    """Sentences shuffled and about one word in ten dropped: a near-duplicate, not a copy."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    rng.shuffle(sentences)
    words = " ".join(sentences).split()
    kept = [w for w in words if rng.random() >= DROP_WORDS] or words[:1]
    return " ".join(kept)


def perturb_vector(vector: np.ndarray, rng: np.random.Generator, sigma: float = NOISE_SIGMA) -> np.ndarray:
    """The vector plus gaussian noise, renormalised to unit length."""
    noisy = vector + rng.normal(0.0, sigma, size=vector.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy)


def build_sized_store(source_settings: Settings, size: int, folder: Path, seed: int = 0) -> dict[str, Any]:
    """A store of about `size` chunks (whole documents) from the source store, copies added as needed."""
    from newsrag.components import open_encoder, open_store

    marker = folder / "bench-store.json"
    if marker.exists():
        return {**json.loads(marker.read_text()), "reused": True}
    began = time.perf_counter()
    source = open_store(source_settings)
    rows = _all_chunks(source)
    documents: dict[str, list[tuple[str, str, dict[str, Any], np.ndarray]]] = OrderedDict()
    for row in rows:
        documents.setdefault(str(row[2]["doc_id"]), []).append(row)
    doc_list = list(documents.values())
    if not doc_list:
        raise RuntimeError(f"{source.location}: the source store is empty")
    random.Random(seed).shuffle(doc_list)
    text_rng, vector_rng = random.Random(seed), np.random.default_rng(seed)
    chosen: list[tuple[str, str, dict[str, Any], np.ndarray]] = []
    copies = 0
    round_number = 0
    while len(chosen) < size:
        for doc in doc_list:
            if len(chosen) >= size:
                break
            if round_number == 0:
                chosen.extend(doc)
                continue
            copies += 1
            new_doc = f"{doc[0][2]['doc_id']}~copy{round_number}"
            for _, text, meta, vector in doc:
                chunk_id = f"{new_doc}::{meta.get('doc_hash', '')}::{meta.get('position', 0)}"
                chosen.append((chunk_id, perturb_text(text, text_rng), {**meta, "doc_id": new_doc}, perturb_vector(vector, vector_rng)))
        round_number += 1
    ids, texts, metas, vectors = (list(column) for column in zip(*chosen))
    shutil.rmtree(folder, ignore_errors=True)
    settings = _store_settings(source_settings, folder)
    store = open_store(settings)
    encoder = open_encoder(source_settings, source)  # the copies carry the source's vectors
    store.bind_encoder(encoder.identity, encoder.dimension)
    collection = store.collection()
    batch = max(1, min(store.client.get_max_batch_size(), 5000))
    with store.writing():
        for start in range(0, len(ids), batch):
            collection.add(
                ids=ids[start : start + batch],
                embeddings=np.stack(vectors[start : start + batch]),
                documents=texts[start : start + batch],
                metadatas=metas[start : start + batch],
            )
        chroma_s = time.perf_counter() - began
        store.finish_writing()
    info = {
        "size": size,
        "chunks": store.count(),
        "documents": len(store.scan()),
        "original_chunks": len(ids) - sum(1 for i in ids if "~copy" in i),
        "copied_documents": copies,
        "build_s": time.perf_counter() - began,
        "chroma_insert_s": chroma_s,
        "folder": str(folder),
        "disk_mb": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024,
    }
    marker.write_text(json.dumps(info, indent=2))
    return {**info, "reused": False}


def query_worker(settings_json: str, queries_file: Path, repeat: int = 1) -> dict[str, Any]:
    """Runs in a child process: open the store, time the retriever on every query, report memory."""
    from newsrag.components import open_encoder, open_retriever
    from newsrag.eval.retrieval import question_as_of

    settings = Settings.model_validate_json(settings_json)
    # Each question as of its date where it has one (RealTime QA): a live chat always asks as of a
    # date (today by default), so its time priors are part of every query's cost.
    asked = [(q.question, question_as_of(q)) for q in load_questions(queries_file)] * repeat
    encoder = open_encoder(settings)
    encoder.encode(["warm-up"])
    rss_before = current_rss_mb()
    began = time.perf_counter()
    retriever = open_retriever(settings)
    retriever.store.keyword_index()
    open_s = time.perf_counter() - began
    first = time.perf_counter()
    retriever.run(asked[0][0], as_of=asked[0][1])
    first_query_s = time.perf_counter() - first
    for query, as_of in asked[:WARMUP_QUERIES]:
        retriever.run(query, as_of=as_of)
    latencies = []
    for query, as_of in asked:
        t0 = time.perf_counter()
        retriever.run(query, as_of=as_of)
        latencies.append((time.perf_counter() - t0) * 1000)
    tracemalloc.start()
    for query, as_of in asked[:TRACEMALLOC_QUERIES]:
        retriever.run(query, as_of=as_of)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "chunks": retriever.store.count(),
        "queries": len(latencies),
        "latencies_ms": latencies,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "mean_ms": statistics.fmean(latencies),
        "open_s": open_s,
        "first_query_s": first_query_s,
        "rss_before_store_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "store_rss_mb": peak_rss_mb() - rss_before,
        "python_heap_peak_mb": traced_peak / 1024 / 1024,
    }


def measure_queries(settings: Settings, queries_file: Path) -> dict[str, Any]:
    """`query_worker` in a fresh process, so its peak memory is this store's alone."""
    command = [sys.executable, "-m", "newsrag.eval.bench", "query-worker", "--queries", str(queries_file)]
    result = subprocess.run(
        command,
        input=settings.model_dump_json(),
        capture_output=True,
        text=True,
        check=False,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    if result.returncode != 0:
        raise RuntimeError(f"query worker failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fit_slopes(sizes: Sequence[float], values: Sequence[float]) -> dict[str, float | None]:
    """Log-log slope (1.0 = linear growth) and the increase per 10k chunks (linear fit)."""
    pairs = [(s, v) for s, v in zip(sizes, values) if s > 0 and v and v > 0]
    if len(pairs) < 2:
        return {"loglog_slope": None, "per_10k": None}
    xs, ys = zip(*pairs)
    loglog = float(np.polyfit(np.log(xs), np.log(ys), 1)[0])
    per_10k = float(np.polyfit(xs, ys, 1)[0] * 10_000)
    return {"loglog_slope": loglog, "per_10k": per_10k}


def bench_queries(
    source_settings: Settings, sizes: Sequence[int], queries_file: Path, cache_root: Path, progress: bool = True
) -> dict[str, Any]:
    """Latency and memory of retrieval at each collection size, with the growth slopes."""
    from newsrag.components import open_store

    source_folder = source_settings.store_path
    source_chunks = open_store(source_settings).count()
    results = []
    for size in sizes:
        key = fingerprint_key("bench-store", BENCH_VERSION, str(source_folder), source_chunks, size, NOISE_SIGMA, DROP_WORDS)
        folder = cache_root / f"bench-{size}-{key}"
        if progress:
            print(f"newsrag eval bench: collection of {size:,} chunks in {folder}", file=sys.stderr)
        built = build_sized_store(source_settings, size, folder)
        measured = measure_queries(_store_settings(source_settings, folder), queries_file)
        results.append({"size": size, "store": built, **measured})
    chunks = [r["chunks"] for r in results]
    return {
        "source_store": str(source_folder),
        "source_chunks": source_chunks,
        "queries_file": str(queries_file),
        "sizes": results,
        "slopes": {
            "p50_ms": fit_slopes(chunks, [r["p50_ms"] for r in results]),
            "p95_ms": fit_slopes(chunks, [r["p95_ms"] for r in results]),
            "peak_rss_mb": fit_slopes(chunks, [r["peak_rss_mb"] for r in results]),
            "store_rss_mb": fit_slopes(chunks, [r["store_rss_mb"] for r in results]),
        },
    }


# ----- answers ----------------------------------------------------------------------------------
def bench_answers(
    store_settings: Settings, backends: Sequence[str], questions: Sequence[Question], progress: bool = True
) -> list[dict[str, Any]]:
    """Time to first token and to the full answer per backend (first question = warm-up, reported apart)."""
    from tqdm import tqdm

    from newsrag.components import open_pipeline

    pipeline = open_pipeline(store_settings)
    results = []
    for backend in backends:
        entry: dict[str, Any] = {"backend": backend}
        try:
            firsts, totals = [], []
            for i, question in enumerate(
                tqdm(questions, desc=f"answers/{backend}", file=sys.stderr, disable=not progress or None, leave=False)
            ):
                began = time.perf_counter()
                first = None
                used = backend
                for event in pipeline.stream(question.question, history=[list(t) for t in question.history], backend=backend):
                    if event.kind == "token" and first is None:
                        first = time.perf_counter() - began
                    elif event.kind == "answer":
                        used = event.answer.backend
                total = time.perf_counter() - began
                if i == 0:
                    entry["warmup_first_token_s"], entry["warmup_total_s"] = first, total
                    continue
                firsts.append(first if first is not None else total)
                totals.append(total)
            entry.update(
                {
                    "backend_used": used,
                    "questions": len(totals),
                    "first_token_s": firsts,
                    "total_s": totals,
                    "first_token_p50_s": percentile(firsts, 50),
                    "first_token_p95_s": percentile(firsts, 95),
                    "total_p50_s": percentile(totals, 50),
                    "total_p95_s": percentile(totals, 95),
                    "peak_rss_mb_cumulative": peak_rss_mb(),
                }
            )
        except Exception as exc:  # one backend that cannot run must not hide the others
            entry["error"] = f"{type(exc).__name__}: {exc}"
        results.append(entry)
    return results


# ----- report -----------------------------------------------------------------------------------
def write_report(
    report: Report, ingest: dict[str, Any] | None, queries: dict[str, Any] | None, answers: list[dict[str, Any]] | None
) -> None:
    """Markdown tables, plots and JSON for whichever parts were run."""
    if ingest:
        report.add(
            "## Ingestion throughput\n\n"
            f"Corpus `{ingest['corpus']}`: {ingest['articles']:,} articles, {ingest['chunks']:,} chunks. "
            "The bare encoder got exactly the pipeline's chunk texts in the same document batches, in the same run.\n\n"
            + md_table(
                ["measure", "chunks", "seconds", "chunks/s"],
                [
                    [
                        "full pipeline (load, clean, chunk, embed, store, keyword index)",
                        ingest["chunks"],
                        ingest["pipeline_s"],
                        ingest["pipeline_chunks_per_s"],
                    ],
                    [
                        "of which inside the encoder",
                        ingest["chunks"],
                        ingest["pipeline_encode_s"],
                        (ingest["chunks"] / ingest["pipeline_encode_s"]) if ingest["pipeline_encode_s"] else None,
                    ],
                    ["bare encoder, same chunks", ingest["bare_chunks"], ingest["bare_s"], ingest["bare_chunks_per_s"]],
                ],
            )
            + f"\n\n**Ratio pipeline / bare encoder: {fmt(ingest['ratio'])}** (target >= 0.80: {'met' if (ingest['ratio'] or 0) >= 0.8 else 'NOT met'}). "
            f"Peak memory of the process: {ingest['peak_rss_mb']:.0f} MB."
        )
    if queries:
        sizes = queries["sizes"]
        rows = [
            [
                r["size"],
                r["chunks"],
                r["store"].get("copied_documents", 0),
                r["p50_ms"],
                r["p95_ms"],
                r["mean_ms"],
                r["first_query_s"],
                r["peak_rss_mb"],
                r["store_rss_mb"],
                r["python_heap_peak_mb"],
                r["store"].get("disk_mb"),
            ]
            for r in sizes
        ]
        slope_rows = [[name, s["loglog_slope"], s["per_10k"]] for name, s in queries["slopes"].items()]
        report.add(
            "## Query latency and memory against collection size\n\n"
            f"Source: the eval store `{queries['source_store']}` ({queries['source_chunks']:,} real chunks). Larger sizes add perturbed "
            f"copies of whole documents: new ids, sentences shuffled, ~{int(DROP_WORDS * 100)}% of words dropped, and the ORIGINAL vectors "
            f"plus gaussian noise (sigma {NOISE_SIGMA} per dimension), renormalised, inserted directly into Chroma; the keyword index is then rebuilt "
            "by the store. Queries: every question of "
            f"`{queries['queries_file']}` through `HybridRetriever.run` (top_k from the settings; each as of its question's date where it has one) after {WARMUP_QUERIES} warm-up queries; each size in its own process.\n\n"
            + md_table(
                [
                    "target size",
                    "chunks",
                    "copied docs",
                    "p50 ms",
                    "p95 ms",
                    "mean ms",
                    "first query s",
                    "peak RSS MB",
                    "RSS for the store MB",
                    "python heap peak MB",
                    "disk MB",
                ],
                rows,
            )
            + "\n\nGrowth (log-log slope: 1 = linear; and the fitted increase per 10k chunks):\n\n"
            + md_table(["measure", "log-log slope", "increase per 10k chunks"], slope_rows)
        )
        plot_latency(
            {f"{r['chunks']:,}": r["latencies_ms"] for r in sizes},
            report.plot_path("query_latency.png"),
            "retrieval latency by collection size (chunks)",
        )
        plot_scaling(
            [r["chunks"] for r in sizes],
            {"p50 ms": [r["p50_ms"] for r in sizes], "p95 ms": [r["p95_ms"] for r in sizes]},
            report.plot_path("latency_scaling.png"),
            "retrieval latency against size",
            "ms",
        )
        plot_scaling(
            [r["chunks"] for r in sizes],
            {"peak RSS MB": [r["peak_rss_mb"] for r in sizes], "RSS for the store MB": [max(r["store_rss_mb"], 1e-3) for r in sizes]},
            report.plot_path("memory_scaling.png"),
            "memory against size",
            "MB",
        )
        for r in sizes:
            r["latencies_ms"] = [round(v, 3) for v in r["latencies_ms"]]
    if answers:
        rows = []
        for a in answers:
            if "error" in a:
                rows.append([a["backend"], "error: " + a["error"][:120], None, None, None, None, None, None])
            else:
                rows.append(
                    [
                        a["backend"],
                        a["backend_used"],
                        a["questions"],
                        a["warmup_total_s"],
                        a["first_token_p50_s"],
                        a["first_token_p95_s"],
                        a["total_p50_s"],
                        a["total_p95_s"],
                    ]
                )
        report.add(
            "## Answer latency per backend\n\n"
            "Streamed through the answer pipeline; the first question warms the backend up (a local model loads then) and is reported apart. "
            "Peak memory is cumulative over the backends run before.\n\n"
            + md_table(
                [
                    "backend",
                    "backend used",
                    "questions",
                    "warm-up total s",
                    "first token p50 s",
                    "first token p95 s",
                    "answer p50 s",
                    "answer p95 s",
                ],
                rows,
            )
            + "\n\n"
            + "\n".join(
                f"- {a['backend']}: peak RSS {a['peak_rss_mb_cumulative']:.0f} MB" for a in answers if "peak_rss_mb_cumulative" in a
            )
        )
        ok = [a for a in answers if "total_s" in a]
        if ok:
            plot_latency(
                {a["backend"]: a["total_s"] for a in ok},
                report.plot_path("answer_latency.png"),
                "time to full answer per backend",
                unit="s",
            )
    report.data.update({"ingest": ingest, "queries": queries, "answers": answers})


def _worker_main(argv: list[str]) -> int:
    """`python -m eval.bench query-worker --queries FILE` with the settings JSON on stdin."""
    parser = argparse.ArgumentParser(prog="python -m eval.bench")
    parser.add_argument("mode", choices=["query-worker"])
    parser.add_argument("--queries", type=Path, required=True)
    args = parser.parse_args(argv)
    import newsrag.offline  # noqa: F401

    result = query_worker(sys.stdin.read(), args.queries)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
