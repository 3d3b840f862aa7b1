"""`newsrag ask` and `newsrag chat`: the answer pipeline at the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from newsrag.commands.common import EXIT_OK, EXIT_PROBLEM, UsageError, filters_from, read_jsonl, settings_from


def _load_history(path: Path | None) -> list[list[str]]:
    """A conversation file: a JSON list of [user, assistant] pairs."""
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: cannot read history ({exc.__class__.__name__})") from None
    if not isinstance(data, list) or not all(isinstance(t, list) and len(t) >= 2 and all(isinstance(x, str) for x in t[:2]) for t in data):
        raise UsageError(f"{path}: history must be a JSON list of [user, assistant] pairs")
    return [t[:2] for t in data]


def _pipeline(args: argparse.Namespace):
    from newsrag.components import open_pipeline

    return open_pipeline(settings_from(args))


def print_sources(answer, out=sys.stdout) -> None:
    """The cited passages under an answer, for a terminal."""
    for citation in answer.citations:
        p = citation.passage
        meta = ", ".join(x for x in (p.source, p.published) if x)
        print(f"  [{citation.n}] {p.title or p.doc_id}" + (f" ({meta})" if meta else "") + f"  {p.doc_id}", file=out)
        quote = " ".join((citation.sentences[0] if citation.sentences else p.text).split())
        print(f"      “{quote[:280]}”", file=out)


def _stream_to_terminal(pipeline, question: str, history, filters, out=sys.stdout, as_of=None):
    """Print draft tokens as they come, then the verified answer if checking changed it, with the
    notes that say why (as the browser shows them)."""
    draft = ""
    answer = None
    for event in pipeline.stream(question, history, filters, as_of=as_of):
        if event.kind == "token":
            draft += event.text
            print(event.text, end="", flush=True, file=out)
        elif event.kind == "answer":
            answer = event.answer
    print(file=out)
    if answer.answer.strip() != draft.strip():
        print(f"\nChecked against the sources: {answer.answer}", file=out)
        for note in answer.notes:
            print(f"  ({note})", file=out)
    print_sources(answer, out)
    return answer


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question (or a batch file) with cited passages."""
    from newsrag.rag.pipeline import AnswerError

    if (args.question is None) == (args.batch is None):
        raise UsageError("give a QUESTION or --batch FILE, not both")
    filters = filters_from(args)
    if not args.batch:
        history = _load_history(args.history)
        pipeline = _pipeline(args)
        try:
            if args.json:
                print(json.dumps(pipeline.run(args.question, history, filters, as_of=args.as_of).to_json(), ensure_ascii=False))
            else:
                _stream_to_terminal(pipeline, args.question, history, filters, as_of=args.as_of)
        except AnswerError as exc:
            raise UsageError(str(exc)) from None
        return EXIT_OK
    records = read_jsonl(args.batch, ("question",))
    pipeline = _pipeline(args)
    failed = 0
    for record in records:
        try:
            as_of = record.get("as_of") or args.as_of
            data: dict[str, Any] = pipeline.run(str(record["question"]), record.get("history") or [], filters, as_of=as_of).to_json(
                record.get("id")
            )
        except AnswerError as exc:
            failed += 1
            data = {
                "id": record.get("id"),
                "question": record["question"],
                "answer": "",
                "abstained": True,
                "citations": [],
                "timings": {},
                "error": str(exc),
            }
        print(json.dumps(data, ensure_ascii=False), flush=True)
    return EXIT_PROBLEM if failed else EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal chat: streamed answers, sources after each, follow-ups understood."""
    from newsrag.rag.pipeline import AnswerError

    pipeline = _pipeline(args)
    filters = filters_from(args)
    history: list[list[str]] = []
    print("newsrag chat — ask about your articles; /new starts over, /quit or Ctrl-D leaves.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return EXIT_OK
        if question in ("/quit", "/exit"):
            return EXIT_OK
        if question == "/new":
            history = []
            print("(new conversation)")
            continue
        if not question:
            continue
        print("newsrag> ", end="", flush=True)
        try:
            answer = _stream_to_terminal(pipeline, question, history, filters, as_of=args.as_of)
        except AnswerError as exc:
            print(f"\n(can't ask that: {exc})")
            continue
        history.append([question, answer.answer])


def cmd_timeline(args: argparse.Namespace) -> int:
    """The articles matching a query in date order, each with its best-matching sentence."""
    from newsrag.commands.common import as_of_date, check_text
    from newsrag.components import open_timeline

    query = check_text(args.query, "query")
    settings = settings_from(args)
    timeline = open_timeline(settings).run(query, as_of=as_of_date(args.as_of), filters=filters_from(args), articles=args.limit)
    if args.json:
        print(json.dumps(timeline.to_json(), ensure_ascii=False))
        return EXIT_OK
    if not timeline.entries:
        print(f"No articles match “{query}” (as of {timeline.as_of}).")
        return EXIT_OK
    print(f"Timeline of “{query}”, as of {timeline.as_of}: {len(timeline.entries)} articles")
    for label, entries in timeline.groups():
        print(f"\n{label}")
        for entry in entries:
            meta = ", ".join(x for x in (entry.date if timeline.grouping != "day" else "", entry.source) if x)
            print(f"  {entry.title or entry.doc_id}" + (f" ({meta})" if meta else "") + f"  {entry.doc_id}")
            print(f"      “{' '.join(entry.sentence.split())[:280]}”")
    return EXIT_OK
