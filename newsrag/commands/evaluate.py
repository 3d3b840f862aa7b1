"""`newsrag eval retrieval|answers|bench`: argument parsing and dispatch.

`newsrag.cli` hands over the arguments after `eval` (`args.eval_args`); they are parsed here so
that the eval package owns its options. Every run writes `report.md`, `report.json` and PNG
plots into `--out DIR` (default `eval-reports/<timestamp>-<kind>/` in the current directory)
and prints the main figures.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from newsrag.eval.datasets import DEV_CORPUS, DEV_QUESTIONS, SEED_CORPUS, SEED_QUESTIONS, SHARED, TOPIC_CORPUS, WRITTEN_QUESTIONS  # noqa: F401

DEFAULT_SIZES = "1000,10000,20000,50000,100000"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="DIR", help="report folder (default: eval-reports/<timestamp>-<kind>/)")
    parser.add_argument("--store", type=Path, metavar="DIR", help="folder for the eval stores (default: $NEWSRAG_HOME/eval-stores)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    parser.add_argument(
        "--embed-backend", choices=["auto", "torch", "onnx", "onnx-int8"], help="embedding runtime (auto: onnx-int8 for a new store)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _answer_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["local", "openai", "ollama", "extractive"], help="answer backend")
    parser.add_argument("--model", help="model name on an openai/ollama server")
    parser.add_argument("--model-path", type=Path, help="GGUF file for the local backend")
    parser.add_argument("--api-base", help="URL of an openai-compatible or ollama server")


def build_parser() -> argparse.ArgumentParser:
    """The `newsrag eval` parser with its subcommands."""
    parser = argparse.ArgumentParser(prog="newsrag eval", description="Measure retrieval and answer quality, and speed.")
    sub = parser.add_subparsers(dest="kind", metavar="KIND", required=True)

    p = sub.add_parser("retrieval", help="hit@k, MRR@10 and recall@k against gold article ids")
    p.add_argument("--questions", type=Path, required=True, metavar="FILE", help="seed-set or RealTime QA questions (JSONL)")
    p.add_argument("--corpus", type=Path, required=True, metavar="PATH", help="the articles (JSONL[.gz] or a folder)")
    p.add_argument("--top-k", type=int, default=10, help="articles ranked per question (default 10)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--compare", nargs="*", metavar="CONFIG", help="also run these configurations (default: baseline); see eval.configs")
    p.add_argument(
        "--fit-time",
        action="store_true",
        help="fit the ranking priors (retrieval.headline_share, window_*, week_*) on half A first, then evaluate with them",
    )
    _common(p)

    p = sub.add_parser(
        "answers", help="run the answer pipeline and score facts, citations, abstention (rerun with the same --out to resume)"
    )
    p.add_argument("--questions", type=Path, required=True, metavar="FILE")
    p.add_argument(
        "--corpus", type=Path, metavar="PATH", help="build/reuse an eval store of these articles (default: the configured store)"
    )
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--compare", nargs="*", metavar="CONFIG", help="also run these configurations (default: baseline)")
    p.add_argument(
        "--time-budget",
        type=float,
        metavar="MINUTES",
        help="each configuration asks no new question after this many minutes (the report compares the questions all answered)",
    )
    p.add_argument(
        "--judge-backend",
        choices=["auto", "none", "local", "openai", "ollama"],
        default="auto",
        help="LLM for the faithfulness judge (auto: the answer backend when it is an LLM)",
    )
    p.add_argument(
        "--hard-negatives",
        action="store_true",
        help="ask each RealTime QA question without every article that answers it (gold, silver, audited): abstaining is right",
    )
    _answer_flags(p)
    _common(p)

    p = sub.add_parser("calibrate", help="fit what the model reads and when to abstain on half the questions, report both halves")
    p.add_argument("--sets", default="realtimeqa,seed,written", help="question sets: realtimeqa, seed, written (comma-separated)")
    p.add_argument("--limit", type=int, help="only the first N questions of each set")
    p.add_argument(
        "--model-band",
        action="store_true",
        help="also ask the model (--backend) below the threshold and fit the floor from which its checked answer may stand",
    )
    _answer_flags(p)
    _common(p)

    p = sub.add_parser("bench", help="ingestion throughput, query latency against size, answer latency")
    p.add_argument("--what", default="ingest,query,answer", help="comma-separated parts: ingest, query, answer")
    p.add_argument(
        "--corpus", type=Path, default=DEV_CORPUS, metavar="PATH", help="corpus for ingestion and scaling (default: RealTime QA dev)"
    )
    p.add_argument("--limit", type=int, default=0, help="ingest only the first N articles (0: all)")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"collection sizes in chunks (default {DEFAULT_SIZES})")
    p.add_argument("--queries", type=Path, default=DEV_QUESTIONS, metavar="FILE", help="questions used as queries for latency")
    p.add_argument("--backends", default="extractive,local", help="answer backends to time (comma-separated)")
    p.add_argument("--answer-questions", type=Path, default=SEED_QUESTIONS, metavar="FILE")
    p.add_argument("--answer-corpus", type=Path, default=SEED_CORPUS, metavar="PATH")
    p.add_argument("--answer-limit", type=int, help="time only the first N answer questions (the first is a warm-up)")
    _answer_flags(p)
    _common(p)
    return parser


def _settings(args: argparse.Namespace):
    from newsrag.commands.common import settings_from

    # settings_from reads only the attributes present; --store here is the eval-store folder, not the store.
    view = argparse.Namespace(**{k: v for k, v in vars(args).items() if k != "store"})
    return settings_from(view)


def _usage(message: str):
    from newsrag.commands.common import UsageError

    return UsageError(message)


def _load_questions(path: Path, limit: int | None):
    from newsrag.eval.datasets import DatasetError, load_questions

    try:
        return load_questions(path, limit)
    except DatasetError as exc:
        raise _usage(str(exc)) from None


def _configs(values: list[str] | None):
    from newsrag.eval.configs import ConfigError, parse_configs

    try:
        return parse_configs(values)
    except ConfigError as exc:
        raise _usage(f"--compare: {exc}") from None


def _report(kind: str, title: str, args: argparse.Namespace, argv: list[str]):
    from newsrag.eval.report import Report, default_out_dir

    report = Report(kind, title, args.out or default_out_dir(kind))
    report.data["argv"] = argv
    return report


def _finish(report) -> None:
    md_path, json_path = report.write()
    print(f"report: {md_path}\njson:   {json_path}")
    for name in report.plots:
        if (report.out_dir / name).exists():
            print(f"plot:   {report.out_dir / name}")


def cmd_retrieval(args: argparse.Namespace, argv: list[str]) -> int:
    """Retrieval metrics for ours and the compared configurations."""
    from newsrag.eval import retrieval
    from newsrag.eval.datasets import with_answer_audit
    from newsrag.eval.report import md_table

    if args.top_k < 1:
        raise _usage("--top-k must be at least 1")
    if not args.corpus.exists():
        raise _usage(f"{args.corpus}: no such corpus file or folder")
    questions = with_answer_audit(_load_questions(args.questions, args.limit))  # RealTime QA dev: every article known to answer
    configs = _configs(args.compare)
    settings = _settings(args)
    report = _report("retrieval", "newsrag retrieval evaluation", args, argv)
    if args.fit_time:
        from newsrag.eval.stores import ensure_store

        store = ensure_store(settings, args.corpus, args.store, not args.no_progress)
        fitted, table = retrieval.fit_time_priors(questions, store.settings, not args.no_progress)
        settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=fitted)})
        report.add(
            "## Headline and time priors fitted on half A (MRR@10)\n\nChosen: "
            + ", ".join(f"`{k}={v}`" for k, v in fitted.items())
            + "\n\n"
            + md_table(["point", "MRR@10 half A", "MRR@10 half B", "hit@5 half A", "hit@5 half B"], table)
        )
        report.data["time_fit"] = {"chosen": fitted, "table": table}
        print("headline and time priors fitted on half A: " + ", ".join(f"{k}={v}" for k, v in fitted.items()))
    runs = retrieval.evaluate(questions, configs, settings, args.corpus, args.store, args.top_k, not args.no_progress)
    retrieval.write_report(report, runs, questions, args.corpus)
    report.data["questions_file"] = str(args.questions)
    for run in runs:
        s = run.summary()
        figures = ", ".join(f"{k}={s[k]:.3f}" for k in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "recall@10") if s.get(k) is not None)
        print(f"{run.config.name}: {figures} ({s['scored']} questions)")
    _finish(report)
    return 0


def _judge(args: argparse.Namespace, settings) -> Any:
    """The faithfulness judge, or None when no LLM is available (or it was turned off)."""
    from newsrag.eval.answers import FaithfulnessJudge
    from newsrag.rag.backends import BackendError, get_llm

    choice = args.judge_backend
    if choice == "none":
        return None
    backend = settings.llm.backend if choice == "auto" else choice
    if backend == "extractive":
        return None
    try:
        llm = get_llm(settings.llm.model_copy(update={"backend": backend}), settings.home)
    except BackendError as exc:
        print(f"newsrag eval: no LLM for the faithfulness judge ({exc}); skipping it", file=sys.stderr)
        return None
    return FaithfulnessJudge(llm) if llm is not None else None


def _journal(report, config_name: str) -> Path:
    """Where one configuration's answers are written as they come (the same `--out` resumes a run)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in config_name)
    return report.out_dir / f"journal-{safe}.jsonl"


def _deadline(args: argparse.Namespace) -> float | None:
    """When a configuration stops asking new questions (`--time-budget`), from now."""
    import time

    return time.monotonic() + 60 * args.time_budget if args.time_budget else None


def cmd_answers(args: argparse.Namespace, argv: list[str]) -> int:
    """Answer metrics for ours and the compared configurations."""
    from newsrag.eval import answers
    from newsrag.eval.baseline import LlamaIndexBaseline, describe
    from newsrag.eval.stores import ensure_store, eval_root

    questions = _load_questions(args.questions, args.limit)
    configs = _configs(args.compare)
    settings = _settings(args)
    if args.hard_negatives:
        from newsrag.eval.datasets import hard_negatives, with_answer_audit

        if any(c.baseline for c in configs):
            raise _usage("--hard-negatives: the llama-index baseline cannot be asked without some articles; drop --compare baseline")
        questions = hard_negatives(with_answer_audit(questions))
        if not questions:
            raise _usage(f"--hard-negatives: {args.questions} has no RealTime QA questions with gold articles")
    if args.corpus is not None and not args.corpus.exists():
        raise _usage(f"{args.corpus}: no such corpus file or folder")
    if any(c.baseline for c in configs) and args.corpus is None:
        raise _usage("--compare baseline needs --corpus (the baseline indexes the articles itself)")
    report = _report("answers", "newsrag answer evaluation", args, argv)
    judge = _judge(args, settings)
    runs = []
    progress = not args.no_progress
    for config in configs:
        if config.baseline:
            baseline = LlamaIndexBaseline(settings, args.corpus, eval_root(settings, args.store), progress=progress)
            _ = baseline.index
            outcomes = answers.run_questions(
                questions, answers.baseline_answerer(baseline), judge, config.name, progress, _journal(report, config.name), _deadline(args)
            )
            info = {
                "description": describe()
                + f"; answer LLM: {'none (extractive, labelled)' if baseline.llm is None else settings.llm.backend}"
            }
        else:
            config_settings = config.apply(settings)
            if args.corpus is not None:
                config_settings = ensure_store(config_settings, args.corpus, args.store, progress).settings
            answerer, info = answers.pipeline_answerer(config_settings, use_dates=config.question_dates)
            outcomes = answers.run_questions(
                questions, answerer, judge, config.name, progress, _journal(report, config.name), _deadline(args)
            )
            info["description"] = (
                f"{config.describe()}; backend {info.get('backend_used', info['backend'])}; store {config_settings.store_path}"
            )
        runs.append(answers.AnswerRun(config, outcomes, info))
    answers.write_report(report, runs, questions)
    report.data.update({"questions_file": str(args.questions), "corpus": str(args.corpus or ""), "judge": judge is not None})
    for run in runs:
        print(f"{run.config.name}: {answers.fmt_summary(run.summary())}")
    _finish(report)
    return 0


def cmd_calibrate(args: argparse.Namespace, argv: list[str]) -> int:
    """Fit the answer stage's context budget and abstention on half A of the labelled cases; report A and B."""
    from newsrag.components import open_pipeline
    from newsrag.eval import calibrate
    from newsrag.eval.datasets import with_answer_audit
    from newsrag.eval.stores import ensure_store

    settings = _settings(args)
    sets = calibrate.question_sets(args)
    unknown = [name for name, questions, corpus in sets if not questions.exists() or not corpus.exists()]
    if unknown:
        raise _usage(f"--sets: no questions or corpus for {', '.join(unknown)}")
    report = _report("calibrate", "newsrag answer-stage calibration", args, argv)
    progress = not args.no_progress
    if args.model_band and (args.backend or settings.llm.backend) == "extractive":
        raise _usage("--model-band needs a model: --backend local, openai or ollama")
    cases = []
    stores = {}
    for name, questions_path, corpus in sets:
        questions = _load_questions(questions_path, args.limit)
        if name == "realtimeqa":
            questions = with_answer_audit(questions)
        store = ensure_store(settings, corpus, args.store, progress)
        stores[name] = store.settings
        pipeline = open_pipeline(store.settings)
        needs_rewrite = any(q.history for q in questions)
        _, llm, _ = pipeline._backend(args.backend) if needs_rewrite else (None, None, None)
        cases.extend(calibrate.collect(pipeline, questions, name, llm, progress))
    chosen, per_budget = calibrate.choose_context_config(cases)
    fit = calibrate.fit_abstention(cases)
    model_floor, floor_table = None, []
    if args.model_band:
        for name, store_settings in stores.items():
            calibrate.ask_model(store_settings, [c for c in cases if c.set_name == name], fit, args.backend, progress)
        model_floor, floor_table = calibrate.choose_model_floor(cases, fit)
    calibrate.write_report(report, cases, chosen, per_budget, fit, model_floor, floor_table)
    print(calibrate.main_figures(fit, cases, chosen))
    if floor_table:
        print(f"model floor: {model_floor:.4f}")
    print(calibrate.settings_toml(chosen, fit, model_floor))
    _finish(report)
    return 0


def cmd_bench(args: argparse.Namespace, argv: list[str]) -> int:
    """Ingestion throughput, query latency against size, answer latency per backend."""
    from newsrag.eval import bench
    from newsrag.eval.stores import ensure_store, eval_root

    parts = {p.strip() for p in args.what.split(",") if p.strip()}
    unknown = parts - {"ingest", "query", "answer"}
    if unknown:
        raise _usage(f"--what: unknown part(s) {', '.join(sorted(unknown))}")
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise _usage(f"--sizes: not a list of numbers: {args.sizes}") from None
    settings = _settings(args)
    root = eval_root(settings, args.store)
    report = _report("bench", "newsrag speed and scale", args, argv)
    progress = not args.no_progress
    ingest = queries = answer_results = None
    if "ingest" in parts:
        ingest = bench.bench_ingest(settings, args.corpus, args.limit or None, report.out_dir / "work", progress)
        print(
            f"ingest: pipeline {ingest['pipeline_chunks_per_s']:.1f} chunks/s, bare encoder {ingest['bare_chunks_per_s']:.1f} chunks/s, ratio {ingest['ratio']:.3f}"
        )
    if "query" in parts:
        source = ensure_store(settings, args.corpus, args.store, progress)
        queries = bench.bench_queries(source.settings, sizes, args.queries, root, progress)
        for r in queries["sizes"]:
            print(f"query: {r['chunks']:,} chunks: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, peak RSS {r['peak_rss_mb']:.0f} MB")
    if "answer" in parts:
        store = ensure_store(settings, args.answer_corpus, args.store, progress)
        questions = _load_questions(args.answer_questions, args.answer_limit)
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        answer_results = bench.bench_answers(store.settings, backends, questions, progress)
        for a in answer_results:
            if "error" in a:
                print(f"answer/{a['backend']}: {a['error']}")
            else:
                print(
                    f"answer/{a['backend']} ({a['backend_used']}): first token p50 {a['first_token_p50_s']:.2f} s, answer p50 {a['total_p50_s']:.2f} s"
                )
    bench.write_report(report, ingest, queries, answer_results)
    shutil.rmtree(report.out_dir / "work", ignore_errors=True)
    _finish(report)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Entry point from `newsrag eval ...`: parse `args.eval_args` and run the chosen evaluation."""
    import newsrag.offline  # noqa: F401

    argv = list(getattr(args, "eval_args", []) or [])
    parser = build_parser()
    eval_args = parser.parse_args(argv)
    handlers = {"retrieval": cmd_retrieval, "answers": cmd_answers, "calibrate": cmd_calibrate, "bench": cmd_bench}
    return handlers[eval_args.kind](eval_args, argv)
