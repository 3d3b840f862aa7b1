"""Does int8 quantization cost retrieval quality? hit@5 and MRR@10, torch fp32 vs ONNX int8.

Run: `.venv/bin/python bench/encoder_quality.py [--backends torch,onnx-int8] [--vectors DIR]`

The 144 RealTimeQA dev questions are asked over a candidate pool of articles: every question's
gold articles plus its `retrieved_doc_ids` (about 1,200 articles, ~10k passages), shared by all
questions. Embedding all 2,890 articles with torch would take 20+ minutes on 2 shared cores;
the pool keeps the hard negatives (the articles a search engine returned) and makes the two
encoders face exactly the same task. Articles (title + text) are split into ~180-word passages;
an article scores the max cosine of its passages (brute-force numpy); a question hits@5 when a
gold article is in the top 5, and MRR@10 is 1/rank of the first gold article within the top 10.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
from encoders import CORPUS, article_passages, read_articles  # noqa: E402  (a sibling script: bench/ is on sys.path when run)

import newsrag.offline  # noqa: E402,F401  (before any Hugging Face import)

QUESTIONS = CORPUS.parent / "dev_questions.jsonl"


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    """Questions with at least one gold article."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row.get("gold_doc_ids")]


def candidate_pool(questions: list[dict]) -> set[str]:
    """Gold plus retrieved article ids over all questions: the shared search space."""
    pool: set[str] = set()
    for question in questions:
        pool.update(question["gold_doc_ids"])
        pool.update(question.get("retrieved_doc_ids") or [])
    return pool


def pool_passages(pool: set[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """Passages of the pool's articles, the article index of each passage, and the article ids."""
    texts: list[str] = []
    owner: list[int] = []
    doc_ids: list[str] = []
    for article in read_articles():
        if article["doc_id"] in pool:
            passages = article_passages(article)
            texts.extend(passages)
            owner.extend([len(doc_ids)] * len(passages))
            doc_ids.append(article["doc_id"])
    return texts, np.asarray(owner), doc_ids


def make_encoder(backend: str):
    """An encoder for a backend name, with the default packaged model."""
    from newsrag.index.embed import load_encoder
    from newsrag.settings import EmbedSettings

    return load_encoder(EmbedSettings(backend=backend))


def embed(backend: str, passages: list[str], questions: list[str], cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """Passage and question vectors for one backend, reusing `cache/<backend>.npz` when present."""
    saved = cache / f"{backend}.npz" if cache else None
    if saved and saved.is_file():
        data = np.load(saved)
        if data["passages"].shape[0] == len(passages):
            print(f"{backend}: reusing {saved}")
            return data["passages"], data["questions"]
    encoder = make_encoder(backend)
    start = time.perf_counter()
    passage_vectors = encoder.encode(passages, batch_size=32)
    question_vectors = encoder.encode(questions, batch_size=32)
    seconds = time.perf_counter() - start
    print(f"{backend}: {len(passages)} passages in {seconds:.0f} s ({len(passages) / seconds:.1f}/s, load shared)")
    if saved:
        saved.parent.mkdir(parents=True, exist_ok=True)
        np.savez(saved, passages=passage_vectors, questions=question_vectors)
    return passage_vectors, question_vectors


def article_ranking(question_vector: np.ndarray, passage_vectors: np.ndarray, owner: np.ndarray, articles: int) -> np.ndarray:
    """Article indices, best first, each scored by its best passage."""
    scores = np.full(articles, -np.inf, dtype=np.float32)
    np.maximum.at(scores, owner, passage_vectors @ question_vector)
    return np.argsort(-scores, kind="stable")


def score(rankings: list[np.ndarray], golds: list[set[int]]) -> dict[str, float]:
    """hit@5 and MRR@10 at article level, averaged over questions."""
    hits, reciprocal = [], []
    for ranking, gold in zip(rankings, golds):
        top = ranking[:10].tolist()
        first = next((rank for rank, article in enumerate(top, 1) if article in gold), None)
        hits.append(first is not None and first <= 5)
        reciprocal.append(1.0 / first if first else 0.0)
    return {"hit@5": float(np.mean(hits)), "MRR@10": float(np.mean(reciprocal))}


def main(argv: list[str] | None = None) -> None:
    """Embed the pool with each backend, rank articles per question, print the metrics side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="torch,onnx-int8", help="comma-separated: torch, onnx, onnx-int8")
    parser.add_argument("--vectors", type=Path, help="folder to save/reuse the vectors (npz per backend)")
    args = parser.parse_args(argv)

    questions = load_questions()
    texts, owner, doc_ids = pool_passages(candidate_pool(questions))
    index = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    golds = [{index[d] for d in q["gold_doc_ids"] if d in index} for q in questions]
    print(f"{len(questions)} questions, pool of {len(doc_ids)} articles, {len(texts)} passages")

    results, top5, cosine = {}, {}, {}
    reference: np.ndarray | None = None
    for backend in args.backends.split(","):
        passages, queries = embed(backend, texts, [q["question"] for q in questions], args.vectors)
        rankings = [article_ranking(query, passages, owner, len(doc_ids)) for query in queries]
        results[backend] = score(rankings, golds)
        top5[backend] = [set(r[:5].tolist()) for r in rankings]
        if backend == "torch":
            reference = passages
        cosine[backend] = float((passages * reference).sum(axis=1).mean()) if reference is not None else float("nan")

    print(f"\n{'backend':10s} {'hit@5':>7s} {'MRR@10':>7s} {'top-5 overlap w/ torch':>23s} {'passage cos':>12s}")
    for backend, metrics in results.items():
        overlap = np.mean([len(a & b) / 5 for a, b in zip(top5[backend], top5.get("torch", top5[backend]))])
        print(f"{backend:10s} {metrics['hit@5']:7.3f} {metrics['MRR@10']:7.3f} {overlap:23.3f} {cosine[backend]:12.4f}")


if __name__ == "__main__":
    main()
