"""Print the evidence features behind the abstention decision, for answerable and unanswerable questions.

Positives: answerable questions over the store that holds their answers. Negatives: the
negative seed questions, plus questions asked of a store that cannot answer them (RealTime QA
quiz questions over the seed articles). The script prints each group's best-sentence
coverage, similarity, names found and score, and how a range of thresholds would decide.

    python bench/calibrate_abstention.py --seed-store DIR [--rtqa-store DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import newsrag.offline  # noqa: F401
from newsrag.settings import load_settings
from rag.condense import condense_by_rule
from rag.pipeline import AnswerPipeline

SHARED = Path(__file__).resolve().parents[2] / "shared"


def features(pipeline: AnswerPipeline, question: str, history) -> dict:
    standalone = condense_by_rule(question, history)
    passages = pipeline.retriever.run(standalone)
    evidence = pipeline._select_evidence(question, standalone, history, passages)
    best = evidence.sentences[0] if evidence.sentences else None
    return {
        "score": evidence.best_score,
        "coverage": best.coverage if best else 0.0,
        "similarity": best.similarity if best else 0.0,
        "entities": best.entities if best else 0.0,
        "question": question,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-store", type=Path, required=True)
    parser.add_argument("--rtqa-store", type=Path)
    parser.add_argument("--limit", type=int, default=144)
    args = parser.parse_args()
    seed = AnswerPipeline(load_settings({"store": {"path": str(args.seed_store)}, "llm": {"backend": "extractive"}}))
    seed_questions = [json.loads(l) for l in (SHARED / "eval" / "seed_dev.jsonl").read_text().splitlines()]
    rtqa_questions = [json.loads(l) for l in (SHARED / "corpus" / "realtimeqa" / "dev_questions.jsonl").read_text().splitlines()][: args.limit]
    groups = {
        "positive: seed": [features(seed, q["question"], q["history"]) for q in seed_questions if q["type"] != "negative"],
        "negative: seed": [features(seed, q["question"], q["history"]) for q in seed_questions if q["type"] == "negative"],
        "negative: rtqa over seed": [features(seed, q["question"], []) for q in rtqa_questions],
    }
    if args.rtqa_store:
        rtqa = AnswerPipeline(load_settings({"store": {"path": str(args.rtqa_store)}, "llm": {"backend": "extractive"}}))
        groups["positive: rtqa"] = [features(rtqa, q["question"], []) for q in rtqa_questions]
    for name, rows in groups.items():
        print(f"{name:28} n={len(rows):3}", " ".join(
            f"{key}: median {statistics.median(r[key] for r in rows):.2f} min {min(r[key] for r in rows):.2f} max {max(r[key] for r in rows):.2f}"
            for key in ("score", "coverage", "similarity")))
    print("\nthreshold  answered(positives)  abstained(negatives)")
    for threshold in [x / 100 for x in range(25, 66, 5)]:
        pos = [r for n, rows in groups.items() if n.startswith("positive") for r in rows]
        neg = [r for n, rows in groups.items() if n.startswith("negative") for r in rows]
        print(f"{threshold:9.2f}  {sum(r['score'] >= threshold for r in pos) / len(pos):19.3f}  {sum(r['score'] < threshold for r in neg) / len(neg):20.3f}")
    print("\nlowest-scoring positives:", file=sys.stderr)
    for r in sorted((r for n, rows in groups.items() if n.startswith("positive") for r in rows), key=lambda r: r["score"])[:5]:
        print(f"  {r['score']:.2f} {r['question']}", file=sys.stderr)
    print("highest-scoring negatives:", file=sys.stderr)
    for r in sorted((r for n, rows in groups.items() if n.startswith("negative") for r in rows), key=lambda r: -r["score"])[:5]:
        print(f"  {r['score']:.2f} {r['question']}", file=sys.stderr)


if __name__ == "__main__":
    main()
