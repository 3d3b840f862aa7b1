"""The embedded runtimes side by side on the answer prompts newsrag really sends.

Run: `.venv/bin/python bench/runtimes.py [--every 6] [--max-tokens 60] [--json]`

Builds the answer prompt (system prompt + evidence + question) of every `--every`-th RealTime QA
dev question, as of its date, over the eval store of the dev corpus (built on first use, as
`newsrag eval answers` builds it), then sends the same prompts, in the same order, to each
runtime: ik_llama.cpp (`llm.runtime = ik_llama`) and llama.cpp through xllamacpp. Each runtime
keeps the system prompt read between questions, as in the chat. Prints, per runtime, load time,
first token p50 / p95 (the time to read the prompt's new tokens and choose the first answer
token), reading and writing speed in tokens/s, and how many greedy answers are word for word the
other runtime's; then the ratios. The first prompt of each runtime is left out of the medians
(nothing read before it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QUESTIONS = SHARED / "corpus" / "realtimeqa" / "dev_questions.jsonl"
CORPUS = SHARED / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz"
RUNTIMES = ("ik_llama", "xllamacpp")


def answer_prompts(every: int) -> list[list[dict[str, str]]]:
    """The chat messages newsrag sends the model for every `every`-th RealTime QA dev question."""
    from newsrag.components import open_pipeline
    from newsrag.eval.datasets import load_questions
    from newsrag.eval.retrieval import question_as_of
    from newsrag.eval.stores import ensure_store
    from newsrag.rag.prompts import SYSTEM_PROMPT
    from newsrag.settings import load_settings

    store = ensure_store(load_settings(), CORPUS, None, False)
    pipeline = open_pipeline(store.settings)
    prompts = []
    for question in load_questions(QUESTIONS)[::every]:
        passages, evidence, _verdict = pipeline.gather(question.question, question.question, [], None, None, question_as_of(question))
        _order, prompt = pipeline._prompt(question.question, passages, pipeline.context(evidence, passages))
        prompts.append([{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}])
    return prompts


def run(runtime: str, prompts: list[list[dict[str, str]]], max_tokens: int) -> dict:
    """Load the default model under `runtime`, stream every prompt; timings and answers."""
    from newsrag.eval.metrics import percentile
    from newsrag.rag.backends.gguf import resolve_model_path
    from newsrag.rag.backends.llamacpp import GenerationInfo, default_threads, load_runtime, stream_chat_deltas
    from newsrag.settings import load_settings

    settings = load_settings()
    model = resolve_model_path(settings.llm.model_path, settings.home)
    began = time.perf_counter()
    engine = load_runtime(model, settings.llm.context_window, settings.llm.threads or default_threads(), runtime)
    load_s = time.perf_counter() - began
    firsts, reading, writing, answers = [], [], [], []
    for messages in prompts:
        info = GenerationInfo()
        answers.append("".join(stream_chat_deltas(engine, messages, max_tokens=max_tokens, temperature=0.0, timeout_s=300, info=info)))
        firsts.append(info.first_token_seconds or 0.0)
        reading.append(info.timings.get("prompt_per_second", 0.0))
        writing.append(info.timings.get("predicted_per_second", 0.0))
    return {
        "runtime": engine.engine,
        "load_s": load_s,
        "first_token_p50_s": statistics.median(firsts[1:]),
        "first_token_p95_s": percentile(firsts[1:], 95),
        "read_tokens_per_s": statistics.median(reading[1:]),
        "write_tokens_per_s": statistics.median(writing[1:]),
        "answers": answers,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure both runtimes on the same prompts and print the figures and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=6, help="take every Nth RealTime QA dev question (default 6: 24 prompts)")
    parser.add_argument("--max-tokens", type=int, default=60, help="answer tokens per prompt")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    prompts = answer_prompts(args.every)
    results = {runtime: run(runtime, prompts, args.max_tokens) for runtime in RUNTIMES}
    fast, base = results["ik_llama"], results["xllamacpp"]
    same = sum(a == b for a, b in zip(fast.pop("answers"), base.pop("answers"), strict=True))
    summary = {
        "prompts": len(prompts),
        "runtimes": results,
        "answers_word_for_word_the_same": same,
        "first_token_ratio": fast["first_token_p50_s"] / base["first_token_p50_s"],
        "read_speed_ratio": fast["read_tokens_per_s"] / base["read_tokens_per_s"],
        "write_speed_ratio": fast["write_tokens_per_s"] / base["write_tokens_per_s"],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{len(prompts)} answer prompts of RealTime QA dev questions, the default model, greedy, {args.max_tokens} tokens")
    for name, figures in results.items():
        print(
            f"{name:10} (ran as {figures['runtime']}): load {figures['load_s']:.1f} s, first token p50 / p95 "
            f"{figures['first_token_p50_s']:.2f} / {figures['first_token_p95_s']:.2f} s, reads {figures['read_tokens_per_s']:.0f} tokens/s, "
            f"writes {figures['write_tokens_per_s']:.1f} tokens/s"
        )
    print(f"answers word for word the same: {same} of {len(prompts)}")
    print(
        f"ik_llama / xllamacpp: first token {summary['first_token_ratio']:.2f}, reading {summary['read_speed_ratio']:.2f}, "
        f"writing {summary['write_speed_ratio']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
