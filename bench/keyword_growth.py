"""What a write costs as the archive grows: the incremental keyword index against the full rebuild.

Run: `.venv/bin/python bench/keyword_growth.py --source-store DIR [--sizes 10000 50000 100000] [--adds 1 10 100] [--json FILE]`
     `.venv/bin/python bench/keyword_growth.py`  (no source store: embeds the RealTime QA corpora once, see below)

What it measures, and why (issue #15): every write (ingest, delete) ends in
`ChunkStore.finish_writing()`, which used to scan every chunk's metadata and rebuild the whole
BM25 index from every chunk's text: adding one article cost seconds at 11k chunks and about a
minute at 100k. Now a write checks, reads back and indexes only the documents it touched (one
new keyword segment; tombstones for old versions; tiered merges, index/keyword.py), and the full
scan and rebuild is the repair path after a killed writer (`finish_writing(rebuild=True)`). For
stores of `--sizes` chunks this script times adding `--adds` articles in one write, both ways in
the same run, and prints the ratio, plus the keyword query latency at that size.

A measured write is `ChunkStore.replace(chunks, vectors)` + `finish_writing()` inside
`writing()`, on a fresh `ChunkStore` handle (so the keyword index is loaded from disk, as a new
`newsrag ingest` process does; the Chroma client stays open in this process): the store part of
`newsrag ingest`, without reading, cleaning and embedding, which cost the same at any archive
size. Columns: `chroma_s` (replace: Chroma delete + add, real inserts into the real HNSW index),
`finish_s` (finish_writing), `total_s`; `ratio` = full total / incremental total.

Where the chunks come from: embedding 100k chunks on 2 cores takes hours, so the texts of the
RealTime QA corpora are embedded once and their vectors reused: each store is filled with copies
of those articles under new ids (`<doc_id>~c<n>`, same text, same vector), so BM25 statistics are
those of a real archive where stories repeat. `--source-store` names a store that already holds
them (e.g. an eval store, `$NEWSRAG_HOME/eval-stores/dev_corpus-*`, built by `newsrag eval`); without it
the dev and topic corpora are ingested once into `$NEWSRAG_HOME/bench/keyword-growth-source`
(real embedding, reused by later runs). The stores grow in `--work` (default
`$NEWSRAG_HOME/bench/keyword-growth`, emptied first): filled to the next size by bulk Chroma
inserts and one rebuild (timed as `fill_rebuild_s`: the repair path at that size).

Query latency: the keyword part of retrieval for each RealTime QA dev question (`search` for 50
chunks, `all_scores`, `article_scores` of 40 articles), each question once on a freshly loaded
index (no cached term weights), p50/p95 over the questions, on the index as the incremental writes
left it (several segments) and right after a rebuild (one segment).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = [
    SHARED / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz",
    SHARED / "corpus" / "realtimeqa" / "topic_ukraine_russia_iran.jsonl.gz",
]
QUESTIONS = SHARED / "corpus" / "realtimeqa" / "dev_questions.jsonl"
FILL_BATCH = 5000  # chunks per Chroma `add` when filling a store to the next size


def settings_for(path: Path):
    from newsrag.settings import load_settings

    return load_settings({"store": {"path": str(path)}})


def source_documents(source: Path | None) -> list[list[tuple[str, str, dict, np.ndarray]]]:
    """Every article of the source store as its chunks: (chunk id, text, metadata, vector), in order."""
    from newsrag.components import open_encoder, open_store
    from newsrag.index.ingest import Ingestor
    from newsrag.settings import load_settings

    if source is None:
        source = load_settings().home / "bench" / "keyword-growth-source"
        store = open_store(settings_for(source))
        if store.count() == 0:
            print(f"embedding the RealTime QA corpora once into {source} (reused by later runs)", file=sys.stderr)
            Ingestor(settings_for(source), store, open_encoder(settings_for(source)), progress=True).run(CORPORA)
    store = open_store(settings_for(source))
    collection = store.collection()
    if collection is None or collection.count() == 0:
        raise SystemExit(f"{source}: no chunks")
    documents: dict[str, list] = defaultdict(list)
    offset = 0
    while True:
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        if not page["ids"]:
            break
        offset += len(page["ids"])
        for chunk_id, text, meta, vector in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
            documents[str(meta["doc_id"])].append((chunk_id, text, dict(meta), np.asarray(vector, dtype=np.float32)))
    return [sorted(chunks, key=lambda c: int(c[2].get("position", 0))) for _, chunks in sorted(documents.items())]


class Copier:
    """Hands out copies of the source articles under ids never used before."""

    def __init__(self, documents, identity: tuple[str, int]) -> None:
        self.documents = documents
        self.identity = identity  # the encoder that embedded them: recorded on the new store
        self.next = 0

    def take(self, count: int) -> list[list[tuple[str, str, dict, np.ndarray]]]:
        out = []
        for _ in range(count):
            number, index = divmod(self.next, len(self.documents))
            self.next += 1
            source = self.documents[index]
            doc_id = f"{source[0][2]['doc_id']}~c{number}"
            out.append(
                [(f"{doc_id}::{m.get('doc_hash', '')}::{m.get('position', 0)}", t, {**m, "doc_id": doc_id}, v) for _, t, m, v in source]
            )
        return out


def as_chunks(copies):
    """`Chunk` objects and their vectors, as `Ingestor` hands them to `ChunkStore.replace`."""
    from newsrag.index.documents import Chunk

    chunks, vectors = [], []
    for document in copies:
        for _, text, meta, vector in document:
            chunks.append(
                Chunk(
                    doc_id=meta["doc_id"],
                    position=int(meta.get("position", 0)),
                    text=text,
                    start=int(meta.get("start", 0)),
                    end=int(meta.get("end", 0)),
                    title=str(meta.get("title", "")),
                    source=str(meta.get("source", "")),
                    url=str(meta.get("url", "")),
                    published=str(meta.get("published", "")),
                    doc_hash=str(meta.get("doc_hash", "")),
                    doc_chunks=int(meta.get("doc_chunks", 0)),
                )
            )
            vectors.append(vector)
    return chunks, np.stack(vectors)


def fill(folder: Path, copier: Copier, target: int) -> dict:
    """Bulk-insert copies until the store holds `target` chunks, then rebuild the keyword index once."""
    from newsrag.components import open_store

    store = open_store(settings_for(folder))
    store.bind_encoder(*copier.identity)
    collection = store.collection()
    began = time.perf_counter()
    pending: list = []
    with store.writing():
        count = collection.count()
        while count < target:
            document = copier.take(1)[0]  # whole articles: the store may pass `target` by part of one
            pending.extend(document)
            count += len(document)
            if len(pending) >= FILL_BATCH or count >= target:
                ids, texts, metas, vectors = zip(*pending)
                collection.add(ids=list(ids), documents=list(texts), metadatas=list(metas), embeddings=np.stack(vectors))
                pending = []
        inserted = time.perf_counter() - began
        began = time.perf_counter()
        store.finish_writing(rebuild=True)
    return {"fill_insert_s": inserted, "fill_rebuild_s": time.perf_counter() - began}


def timed_write(folder: Path, copier: Copier, articles: int, rebuild: bool) -> dict:
    """Add `articles` new articles in one write on a fresh handle; the timings of its two halves."""
    from newsrag.components import open_store

    chunks, vectors = as_chunks(copier.take(articles))
    store = open_store(settings_for(folder))
    before = store.count()
    began = time.perf_counter()
    with store.writing():
        store.replace(chunks, vectors)
        replaced = time.perf_counter()
        index = store.finish_writing(rebuild=rebuild)
    done = time.perf_counter()
    assert len(index) == before + len(chunks) == store.count()
    return {
        "chunks_before": before,
        "added_chunks": len(chunks),
        "chroma_s": replaced - began,
        "finish_s": done - replaced,
        "total_s": done - began,
        "segments": len(index.parts),
    }


def query_latency(folder: Path) -> dict:
    """Keyword query time per RealTime QA dev question on a freshly loaded index (see the module docstring)."""
    from newsrag.components import open_store

    store = open_store(settings_for(folder))
    began = time.perf_counter()
    index = store.keyword_index()
    opened = time.perf_counter() - began
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = list(dict.fromkeys(r.doc_id for r in index.rows[:: max(1, len(index.rows) // 40)]))[:40]
    times = []
    for question in questions:
        t = time.perf_counter()
        index.search(question, 50)
        index.all_scores(question)
        index.article_scores(question, docs)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "open_s": opened,
        "segments": len(index.parts),
        "p50_ms": 1000 * times[len(times) // 2],
        "p95_ms": 1000 * times[int(len(times) * 0.95)],
        "mean_ms": 1000 * statistics.mean(times),
    }


def machine() -> str:
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-store", type=Path, help="a store holding the RealTime QA chunks and vectors (default: embed once)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000], help="store sizes in chunks")
    parser.add_argument("--adds", type=int, nargs="+", default=[1, 10, 100], help="articles added per measured write")
    parser.add_argument("--work", type=Path, help="folder for the growing store (emptied first)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from newsrag.components import open_store
    from newsrag.settings import load_settings

    began = time.perf_counter()
    documents = source_documents(args.source_store)
    source = args.source_store or load_settings().home / "bench" / "keyword-growth-source"
    record = open_store(settings_for(source)).encoder_record()
    copier = Copier(documents, (record["embed_model"], int(record["embed_dim"])))
    work = args.work or load_settings().home / "bench" / "keyword-growth"
    shutil.rmtree(work, ignore_errors=True)
    chunks = sum(len(d) for d in documents)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"source: {len(documents)} articles, {chunks} chunks embedded once ({source}); stores are copies under new ids, same vectors")
    print(f"machine: {machine()}; commit {commit}")
    print(
        "write = ChunkStore.replace + finish_writing on a fresh handle; incremental: finish_writing(), full: finish_writing(rebuild=True)"
    )
    results = []
    header = f"{'store':>8} {'articles':>8} {'chunks':>6} | {'incr chroma':>11} {'incr finish':>11} {'incr total':>10} | {'full total':>10} | {'ratio':>6}"
    for size in args.sizes:
        filled = fill(work, copier, size)
        row = {"size": size, **filled, "writes": []}
        print(f"\n{size} chunks: filled by bulk insert in {filled['fill_insert_s']:.1f} s, rebuilt in {filled['fill_rebuild_s']:.1f} s")
        row["latency_one_segment"] = query_latency(work)
        print(header)
        for articles in args.adds:
            incremental = timed_write(work, copier, articles, rebuild=False)
            full = timed_write(work, copier, articles, rebuild=True)
            row["writes"].append({"articles": articles, "incremental": incremental, "full": full})
            print(
                f"{incremental['chunks_before']:>8} {articles:>8} {incremental['added_chunks']:>6} | {incremental['chroma_s']:>10.2f}s "
                f"{incremental['finish_s']:>10.2f}s {incremental['total_s']:>9.2f}s | {full['total_s']:>9.2f}s | {full['total_s'] / incremental['total_s']:>5.1f}x"
            )
        for articles in args.adds:  # the index as incremental writes leave it: several segments
            timed_write(work, copier, articles, rebuild=False)
        row["latency_segments"] = query_latency(work)
        for name in ("latency_one_segment", "latency_segments"):
            figures = row[name]
            print(
                f"query ({figures['segments']} segment{'s' if figures['segments'] != 1 else ''}): p50 {figures['p50_ms']:.2f} ms, "
                f"p95 {figures['p95_ms']:.2f} ms, mean {figures['mean_ms']:.2f} ms; index loaded in {figures['open_s']:.2f} s"
            )
        results.append(row)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "commit": commit, "results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
