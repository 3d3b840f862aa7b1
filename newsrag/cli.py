"""The `newsrag` command: one entry point, a subcommand per job.

Only the standard library is imported at module level so that `newsrag --help` and
`newsrag stats` start instantly; each subcommand imports what it needs. Errors the user can
act on are one line on stderr with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import newsrag.offline  # noqa: F401  (sets the no-network switches before anything else loads)
from newsrag.commands.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    UsageError,
    as_of_date,
    check_text,
    filters_from,
    print_json,
    read_jsonl,
    settings_from,
)
from newsrag.messages import one_line


def _store_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("store")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--store", type=Path, metavar="DIR", help="embedded store folder (default: $NEWSRAG_HOME/store)")
    where.add_argument("--chroma-url", metavar="URL", help="Chroma server, http://HOST:PORT (started with `chroma run`)")
    group.add_argument("--collection", metavar="NAME", help="collection name (default: news)")
    group.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    group.add_argument(
        "--embed-backend",
        choices=["auto", "torch", "onnx", "onnx-int8"],
        help="embedding runtime (auto: the store's own; onnx-int8 for a new store)",
    )


def _answer_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("answering")
    group.add_argument("--backend", choices=["local", "openai", "ollama", "extractive"], help="answer backend")
    group.add_argument("--model", help="model name on an openai/ollama server")
    group.add_argument("--model-path", type=Path, help="GGUF file for the local backend")
    group.add_argument("--api-base", help="URL of an openai-compatible or ollama server")


def _filter_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--top-k", type=int, help="number of passages")
    group.add_argument("--source", action="append", default=[], help="only this outlet (repeatable)")
    group.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="published on or after")
    group.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="published on or before")
    group.add_argument("--doc", action="append", default=[], dest="doc_ids", help="only this document id (repeatable)")
    group.add_argument(
        "--as-of",
        dest="as_of",
        metavar="YYYY-MM-DD",
        help="ask as of this date (default: today): nothing published later is used; 'this week' means the week before it",
    )


# ----- commands ---------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    """Load, clean, chunk, embed and store articles."""
    from newsrag.components import open_encoder, open_store
    from newsrag.index.ingest import Ingestor

    settings = settings_from(args)
    store = open_store(settings)
    encoder = open_encoder(settings, store)
    if args.watch:
        return _watch(args, settings, Ingestor(settings, store, encoder, progress=False))
    report = Ingestor(settings, store, encoder, progress=not args.no_progress).run(args.paths)
    if args.json:
        print_json({**report.__dict__, "store": store.location, "collection": store.collection_name})
    else:
        print(report.summary(), file=sys.stderr)
    return EXIT_PROBLEM if report.skipped else EXIT_OK


def _watch(args: argparse.Namespace, settings, ingestor) -> int:
    """`ingest --watch`: the folders now, then each file as it appears or changes, until Ctrl-C."""
    from newsrag.index.watch import FolderWatcher

    folders = [Path(p) for p in args.paths]
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"{folder}: --watch needs a folder")
    settle = args.settle if args.settle is not None else settings.ingest.watch_settle_s
    print(
        f"newsrag: watching {', '.join(map(str, folders))} (a file is read once unchanged for {settle:g} s); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    import signal
    import threading

    # Ctrl-C and a service manager's SIGTERM finish the batch being ingested, then stop. Set here
    # explicitly: a process started in the background by a script inherits SIGINT ignored.
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    FolderWatcher(ingestor, folders, settle, on_line=lambda line: print(line, file=sys.stderr, flush=True)).run(stop)
    print("newsrag: stopped watching", file=sys.stderr)
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete documents by id."""
    from newsrag.components import open_store
    from newsrag.index.ingest import delete_documents

    store = open_store(settings_from(args))
    deleted = delete_documents(store, args.doc_ids)
    missing = [d for d in args.doc_ids if d not in deleted]
    for doc_id in missing:
        print(f"newsrag: no document {doc_id!r} in {store.location}", file=sys.stderr)
    if args.json:
        print_json({"deleted": deleted, "missing": missing})
    else:
        print(f"deleted {len(deleted)} document(s)", file=sys.stderr)
    return EXIT_PROBLEM if missing else EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    """Documents, chunks, model and store location."""
    from newsrag.components import open_store

    stats = open_store(settings_from(args)).stats()
    if args.json:
        print_json(stats)
    else:
        width = max(map(len, stats))
        for key, value in stats.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """Hybrid search: passages, best first."""
    from newsrag.components import open_retriever

    if (args.query is None) == (args.batch is None):
        raise UsageError("give a QUERY or --batch FILE, not both")
    queries = read_jsonl(args.batch, ("query",)) if args.batch else [{"id": None, "query": args.query}]
    settings = settings_from(args)
    retriever = open_retriever(settings)
    filters = filters_from(args)
    for record in queries:
        query = check_text(str(record["query"]), "query")
        as_of = as_of_date(record.get("as_of") or args.as_of)
        hits = retriever.run(query, top_k=settings.retrieval.top_k, filters=filters, as_of=as_of)
        if args.json:
            print_json({"id": record.get("id"), "query": query, "hits": [h.to_json() for h in hits]})
        else:
            for rank, hit in enumerate(hits, 1):
                meta = ", ".join(x for x in (hit.source, hit.published) if x)
                print(f"[{rank}] {hit.title or hit.doc_id} ({meta}) score={hit.score:.4f}  {hit.doc_id}")
                print("    " + " ".join(hit.text.split())[:300])
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the store: encoder record, half-written documents, keyword index; repair on request."""
    from newsrag.components import open_store

    settings = settings_from(args)
    store = open_store(settings)
    problems: list[str] = []
    stats = store.stats()
    if stats["incomplete_documents"]:
        problems.append(f"{stats['incomplete_documents']} half-written document(s)")
    if stats["keyword_index"] != "ready" and stats["chunks"]:
        problems.append(f"keyword index {stats['keyword_index']}")
    try:
        from newsrag.components import open_encoder

        encoder = open_encoder(settings, store)
        store.check_encoder(encoder.identity, encoder.dimension)
    except Exception as exc:  # the mismatch message is the diagnosis
        problems.append(str(exc))
    if args.repair and problems:
        with store.writing():
            store.finish_writing(rebuild=True)
        print("repaired: half-written documents removed, keyword index rebuilt", file=sys.stderr)
        problems = [p for p in problems if "embedded with" in p]
    if args.json:
        print_json({"ok": not problems, "problems": problems, **store.stats()})
    else:
        for problem in problems:
            print(f"problem: {problem}")
        print("store is healthy" if not problems else "run `newsrag doctor --repair` to fix what can be fixed")
    return EXIT_OK if not problems else EXIT_PROBLEM


def cmd_reindex(args: argparse.Namespace) -> int:
    """Re-embed the whole store with the encoder the settings choose (resumable)."""
    from newsrag.components import for_new_store, open_encoder, open_store
    from newsrag.index.reindex import reindex

    settings = for_new_store(settings_from(args))  # `auto`: re-embedding moves a store to the runtime new stores get
    store = open_store(settings)
    encoder = open_encoder(settings, store)
    if store.encoder_record().get("embed_model") == encoder.identity:
        print(f"{store.location}: already embedded with {encoder.identity}", file=sys.stderr)
        return EXIT_OK
    report = reindex(store, encoder, settings.embed.batch_size, progress=not args.no_progress)
    print(
        f"re-embedded {report.copied} chunks ({report.resumed} done before) with {encoder.identity} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


def _delegate(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A command implemented in another package, imported only when run."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return importlib.import_module(module).__getattribute__(function)(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="newsrag", description="Grounded answers, with citations, from your news articles.")
    from newsrag import __version__

    parser.add_argument("--version", action="version", version=f"newsrag {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("ingest", help="add or update articles (folders walked recursively)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--watch", action="store_true", help="keep ingesting files as they appear or change in the folders (Ctrl-C stops)")
    p.add_argument("--settle", type=float, metavar="SECONDS", help="--watch: a file unchanged this long is complete (default 2)")
    _store_flags(p)
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("delete", help="delete documents by id")
    p.add_argument("doc_ids", nargs="+", metavar="DOC_ID")
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    p.set_defaults(run=cmd_delete)

    p = commands.add_parser("stats", help="documents, chunks, model, store location")
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    p.set_defaults(run=cmd_stats)

    p = commands.add_parser("search", help="find passages (hybrid vectors + BM25)")
    p.add_argument("query", nargs="?", help="what to look for")
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl", help='one {"id", "query"} per line')
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    _filter_flags(p)
    p.set_defaults(run=cmd_search)

    p = commands.add_parser("timeline", help="how a story developed: matching articles in date order")
    p.add_argument("query", help="the story to follow")
    p.add_argument("--limit", type=int, metavar="N", help="most articles (default: 30)")
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    _filter_flags(p)
    p.set_defaults(run=_delegate("newsrag.commands.answer", "cmd_timeline"))

    p = commands.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question", nargs="?")
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl", help='one {"id", "question", "history"} per line')
    p.add_argument("--history", type=Path, metavar="FILE", help="JSON list of [user, assistant] turns")
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    _answer_flags(p)
    _filter_flags(p)
    p.set_defaults(run=_delegate("newsrag.commands.answer", "cmd_ask"))

    p = commands.add_parser("chat", help="chat in the terminal")
    _store_flags(p)
    _answer_flags(p)
    _filter_flags(p)
    p.set_defaults(run=_delegate("newsrag.commands.answer", "cmd_chat"))

    p = commands.add_parser("serve", help="open the browser chat")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--auth", metavar="USER:PASS", help="require a login (or NEWSRAG_SERVE__AUTH)")
    _store_flags(p)
    _answer_flags(p)
    p.set_defaults(run=_delegate("newsrag.commands.serve", "cmd_serve"))

    p = commands.add_parser("doctor", help="check the store and repair what can be repaired")
    p.add_argument("--repair", action="store_true")
    p.add_argument("--json", action="store_true")
    _store_flags(p)
    p.set_defaults(run=cmd_doctor)

    p = commands.add_parser("reindex", help="re-embed the whole store with the chosen encoder (resumable)")
    p.add_argument("--no-progress", action="store_true")
    _store_flags(p)
    p.set_defaults(run=cmd_reindex)

    p = commands.add_parser("eval", help="measure retrieval and answer quality, and speed")
    p.add_argument("eval_args", nargs=argparse.REMAINDER, help="see `newsrag eval --help`")
    p.set_defaults(run=_delegate("newsrag.commands.evaluate", "cmd_eval"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"newsrag {args.command}: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("newsrag: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an error we know how to explain ends in one line, not a traceback
        if _is_user_facing(exc):
            print(f"newsrag {args.command}: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_PROBLEM
        raise


def _is_user_facing(exc: Exception) -> bool:
    """Errors whose message already tells the user what is wrong."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"StoreError", "EmbeddingModelError", "BackendError", "LoadError", "AnswerError"})


if __name__ == "__main__":
    sys.exit(main())
