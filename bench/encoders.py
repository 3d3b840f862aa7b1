"""Benchmark the embedding backends on real news passages: throughput and agreement with torch.

Run: `.venv/bin/python bench/encoders.py [--chunks 600] [--batch-size 32] [--threads 0]`

Encodes the same ~180-word passages of RealTimeQA articles with TorchEncoder (fp32, the
reference), OnnxEncoder fp32 and OnnxEncoder int8, in one process, and prints chunks/s, the
ratios between backends and the mean/min cosine of each to torch fp32. The one-off ONNX
export (+ fusion) and quantization times are measured into a fresh temporary cache.

Timings are wall clock, the best of `--rounds` interleaved rounds, so a burst of load from
other processes hurts every backend alike; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

REPO = Path(__file__).resolve().parents[1]
import newsrag.offline  # noqa: E402,F401  (before any Hugging Face import)

CORPUS = REPO.parent / "shared" / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz"
PASSAGE_WORDS = 180


def read_articles(path: Path = CORPUS) -> Iterator[dict]:
    """Articles of a gzipped JSONL corpus, one dict per line, in file order."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def split_passages(text: str, words: int = PASSAGE_WORDS) -> list[str]:
    """Consecutive passages of `words` words (the last one shorter): a stand-in for real chunks."""
    tokens = text.split()
    return [" ".join(tokens[start : start + words]) for start in range(0, len(tokens), words)]


def article_passages(article: dict, words: int = PASSAGE_WORDS) -> list[str]:
    """An article's title and text, split into passages."""
    return split_passages(f"{article.get('title', '')}\n\n{article.get('text', '')}", words)


def sample_passages(count: int, articles: Iterable[dict]) -> list[str]:
    """The first `count` passages of the corpus, article by article (mixed lengths, as in ingestion)."""
    passages: list[str] = []
    for article in articles:
        passages.extend(article_passages(article))
        if len(passages) >= count:
            break
    return passages[:count]


def timed(call, *args, **kwargs) -> tuple[object, float]:
    """A call's result and its wall-clock duration in seconds."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return result, time.perf_counter() - start


def build_encoders(threads: int, cache: Path) -> tuple[dict, dict[str, float]]:
    """The three encoders, plus the one-off export and quantization times into `cache`."""
    from newsrag.index.embed import TorchEncoder, packaged_model_path
    from newsrag.index.onnx_encoder import OnnxEncoder

    path = packaged_model_path()
    onnx_fp32, export_s = timed(OnnxEncoder, path, cache_dir=cache, quantize=False, threads=threads)
    onnx_int8, quantize_s = timed(OnnxEncoder, path, cache_dir=cache, quantize=True, threads=threads)
    _, reload_s = timed(OnnxEncoder, path, cache_dir=cache, quantize=True, threads=threads)
    torch_fp32, torch_load_s = timed(TorchEncoder, path, threads=threads)
    encoders = {"torch fp32": torch_fp32, "onnx fp32": onnx_fp32, "onnx int8": onnx_int8}
    times = {"export+fuse (fp32)": export_s, "quantize (int8)": quantize_s, "load cached int8": reload_s, "load torch": torch_load_s}
    return encoders, times


def benchmark(encoders: dict, texts: list[str], batch_size: int, rounds: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Best wall time per encoder over interleaved rounds, and each encoder's vectors."""
    for encoder in encoders.values():  # warm-up: first-call allocations, thread pools
        encoder.encode(texts[:batch_size], batch_size=batch_size)
    best = {name: float("inf") for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, encoder in encoders.items():
            vectors[name], seconds = timed(encoder.encode, texts, batch_size=batch_size)
            best[name] = min(best[name], seconds)
    return best, vectors


def report(texts: list[str], best: dict[str, float], vectors: dict[str, np.ndarray], times: dict[str, float], tokens: list[int]) -> None:
    """Print the throughput/cosine table, the ratios and the one-off costs."""
    reference = vectors["torch fp32"]
    print(f"{len(texts)} passages, mean {np.mean(tokens):.0f} tokens (max {max(tokens)}, truncated at 256)")
    print(f"\n{'backend':12s} {'chunks/s':>9s} {'vs torch':>9s} {'cos mean':>9s} {'cos min':>9s}")
    torch_rate = len(texts) / best["torch fp32"]
    for name, seconds in best.items():
        cosine = (vectors[name] * reference).sum(axis=1)
        rate = len(texts) / seconds
        print(f"{name:12s} {rate:9.1f} {rate / torch_rate:8.2f}x {cosine.mean():9.4f} {cosine.min():9.4f}")
    print(f"\nratio onnx int8 / onnx fp32: {best['onnx fp32'] / best['onnx int8']:.2f}x")
    print("\none-off costs:")
    for name, seconds in times.items():
        print(f"  {name:20s} {seconds:6.1f} s")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the encoders, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="0 = all cores")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    texts = sample_passages(args.chunks, read_articles())
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="newsrag-bench-") as cache:
        encoders, times = build_encoders(args.threads, Path(cache))
        best, vectors = benchmark(encoders, texts, args.batch_size, args.rounds)
    report(texts, best, vectors, times, encoders["onnx fp32"].count_tokens(texts))
    print(f"load average after: {os.getloadavg()[0]:.2f} (other processes share these cores)")


if __name__ == "__main__":
    main()
