"""Which chunk size and sentence overlap retrieve best? hit@1/5/10 and MRR@10 per ChunkSettings.

Run: `.venv/bin/python bench/chunking.py [--configs 96:1,160:1,256:1] [--pool-extra 2] [--out FILE]`

For every configuration `max_tokens:overlap_sentences`, a fresh embedded store is built in a
temp folder with the real pipeline (load -> clean -> chunk -> embed with onnx-int8 -> store,
via `index.ingest.Ingestor`), then the 144 RealTimeQA dev questions are asked through
`rag.retrieve.HybridRetriever` (top_k=10 passages, doc ids deduped in order). A question hits@k
when a gold article is among the first k distinct articles; MRR@10 is 1/rank of the first gold
article. Three retrieval modes are scored on the same store: hybrid (the product's setting),
vectors only (keyword_weight=0) and BM25 only (vector_weight=0).

Why a restricted pool: encoding the whole 2,890-article corpus once per configuration takes over
an hour on 2 shared cores. The pool is every question's gold articles plus the first
`--pool-extra` (default 2) of its `retrieved_doc_ids` - the articles a search engine returned,
i.e. hard negatives on the same topic - about 350-400 articles shared by all questions. Absolute
scores are therefore higher than over the full corpus; the comparison between configurations is
what this measures.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NEWSRAG_HOME", "/tmp/chunkbench-home")  # one onnx export cache for all configs
import newsrag.offline  # noqa: E402,F401  (before any Hugging Face import)

CORPUS_DIR = Path("/work/shared/corpus/realtimeqa")
QUESTIONS = CORPUS_DIR / "dev_questions.jsonl"
CORPUS = CORPUS_DIR / "dev_corpus.jsonl.gz"
MODES = ("hybrid", "vector", "bm25")


def log(*args) -> None:
    print(*args, flush=True)


def read_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def build_pool(questions: list[dict], extra: int) -> list[str]:
    """Gold articles plus the first `extra` retrieved ids of every question, deduped in order."""
    pool: dict[str, None] = {}
    for q in questions:
        for doc_id in q["gold_doc_ids"]:
            pool.setdefault(doc_id, None)
        for doc_id in q.get("retrieved_doc_ids", [])[:extra]:
            pool.setdefault(doc_id, None)
    return list(pool)


def load_documents(path: Path) -> dict:
    from newsrag.index.loaders import load_file
    from newsrag.settings import IngestSettings

    result = load_file(path, path.parent, IngestSettings())
    if result.problems:
        log(f"  {len(result.problems)} load problems, e.g. {result.problems[0]}")
    return {doc.doc_id: doc for doc in result.documents}


def write_pool(documents: list, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for doc in documents:
            record = {
                "id": doc.doc_id,
                "title": doc.title,
                "text": doc.text,
                "source": doc.source,
                "published": doc.published,
                "url": doc.url,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def score(ranked: list[list[str]], gold: list[set[str]]) -> dict:
    n = len(gold)
    hits = {1: 0, 5: 0, 10: 0}
    rr = 0.0
    for docs, wanted in zip(ranked, gold):
        rank = next((i + 1 for i, d in enumerate(docs[:10]) if d in wanted), None)
        if rank is None:
            continue
        rr += 1.0 / rank
        for k in hits:
            if rank <= k:
                hits[k] += 1
    return {"hit@1": hits[1] / n, "hit@5": hits[5] / n, "hit@10": hits[10] / n, "mrr@10": rr / n}


def run_config(max_tokens: int, overlap: int, documents: list, questions: list[dict]) -> dict:
    from newsrag.components import open_encoder, open_store
    from newsrag.index.ingest import Ingestor
    from newsrag.rag.retrieve import HybridRetriever
    from newsrag.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="chunkbench-") as tmp:
        settings = load_settings(
            {
                "store": {"path": tmp + "/store"},
                "chunk": {"max_tokens": max_tokens, "overlap_sentences": overlap},
                "embed": {"backend": "onnx-int8"},
                "llm": {"backend": "extractive"},
            }
        )
        jsonl = Path(tmp) / "pool.jsonl"
        write_pool(documents, jsonl)
        store = open_store(settings)
        encoder = open_encoder(settings)
        began = time.perf_counter()
        report = Ingestor(settings, store, encoder, progress=False).run([jsonl])
        ingest_s = time.perf_counter() - began
        log(f"  ingested: {report.summary()}")

        gold = [set(q["gold_doc_ids"]) for q in questions]
        retrieval = {
            "hybrid": settings.retrieval,
            "vector": settings.retrieval.model_copy(update={"keyword_weight": 0.0}),
            "bm25": settings.retrieval.model_copy(update={"vector_weight": 0.0}),
        }
        metrics = {}
        for mode, rsettings in retrieval.items():
            retriever = HybridRetriever(store, encoder, rsettings)
            t0 = time.perf_counter()
            ranked = []
            for q in questions:
                passages = retriever.run(q["question"], top_k=10)
                ranked.append(list(dict.fromkeys(p.doc_id for p in passages)))
            metrics[mode] = score(ranked, gold)
            metrics[mode]["seconds"] = round(time.perf_counter() - t0, 1)
            metrics[mode]["mean_docs"] = round(sum(len(r) for r in ranked) / len(ranked), 2)
            log(f"  {mode}: {fmt_metrics(metrics[mode])}  ({metrics[mode]['seconds']} s)")
        close = getattr(store, "close", None)
        if callable(close):
            close()
    return {
        "max_tokens": max_tokens,
        "overlap_sentences": overlap,
        "chunks": report.chunks,
        "documents": report.added,
        "ingest_seconds": round(ingest_s, 1),
        "encode_seconds": round(report.encode_seconds, 1),
        "metrics": metrics,
    }


def fmt_metrics(m: dict) -> str:
    return "  ".join(f"{k}={m[k]:.3f}" for k in ("hit@1", "hit@5", "hit@10", "mrr@10"))


def print_table(results: list[dict]) -> None:
    log("")
    log(f"{'config':>8} {'chunks':>6} {'ingest s':>8}  {'mode':<6} {'hit@1':>6} {'hit@5':>6} {'hit@10':>6} {'MRR@10':>6}")
    for r in results:
        name = f"{r['max_tokens']}:{r['overlap_sentences']}"
        for i, mode in enumerate(MODES):
            m = r["metrics"][mode]
            head = f"{name:>8} {r['chunks']:>6} {r['ingest_seconds']:>8.1f}" if i == 0 else " " * 24
            log(f"{head}  {mode:<6} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['hit@10']:>6.3f} {m['mrr@10']:>6.3f}")


def parse_configs(text: str) -> list[tuple[int, int]]:
    configs = []
    for part in text.split(","):
        m, _, o = part.strip().partition(":")
        configs.append((int(m), int(o or 1)))
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="96:1,160:1,256:1", help="max_tokens:overlap_sentences, comma separated")
    parser.add_argument("--pool-extra", type=int, default=2, help="retrieved ids per question added to the pool")
    parser.add_argument("--out", type=Path, default=Path("/tmp/chunkbench.json"))
    args = parser.parse_args()

    questions = read_questions(QUESTIONS)
    pool_ids = build_pool(questions, args.pool_extra)
    log(f"loading {CORPUS} ...")
    all_docs = load_documents(CORPUS)
    missing = [d for d in pool_ids if d not in all_docs]
    documents = [all_docs[d] for d in pool_ids if d in all_docs]
    log(
        f"questions: {len(questions)}; pool: {len(documents)} articles (gold + first {args.pool_extra} retrieved each)"
        + (f"; {len(missing)} ids not in corpus" if missing else "")
    )

    results = []
    for max_tokens, overlap in parse_configs(args.configs):
        log(f"config max_tokens={max_tokens} overlap_sentences={overlap} ...")
        results.append(run_config(max_tokens, overlap, documents, questions))
        args.out.write_text(json.dumps({"pool": len(documents), "questions": len(questions), "results": results}, indent=2))

    print_table(results)
    best = max(results, key=lambda r: (r["metrics"]["hybrid"]["mrr@10"], r["metrics"]["hybrid"]["hit@5"]))
    hb = best["metrics"]["hybrid"]
    log(
        f"\nrecommendation: max_tokens={best['max_tokens']} overlap_sentences={best['overlap_sentences']} "
        f"(hybrid MRR@10 {hb['mrr@10']:.3f}, hit@5 {hb['hit@5']:.3f}; pool {len(documents)} articles, {len(questions)} questions)"
    )
    log(f"results written to {args.out}")


if __name__ == "__main__":
    main()
