"""What every command shares: exit codes, one-line usage errors, settings and filters from flags.

The command modules (`newsrag.cli` and `newsrag.commands.*`) import this; it imports only the
core (`newsrag.settings`) and, lazily, the types it builds. Nothing below the command line
imports it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit status 2."""


# ----- settings from flags -------------------------------------------------------------------
def settings_from(args: argparse.Namespace):
    """Settings: config file and environment, overridden by the flags given."""
    from pydantic import ValidationError

    from newsrag.settings import load_settings

    overrides: dict[str, Any] = {"store": {}, "embed": {}, "llm": {}, "retrieval": {}, "serve": {}}
    for flag, section, key in (
        ("store", "store", "path"),
        ("chroma_url", "store", "chroma_url"),
        ("collection", "store", "collection"),
        ("embed_backend", "embed", "backend"),
        ("backend", "llm", "backend"),
        ("model", "llm", "model"),
        ("model_path", "llm", "model_path"),
        ("api_base", "llm", "api_base"),
        ("top_k", "retrieval", "top_k"),
        ("host", "serve", "host"),
        ("port", "serve", "port"),
        ("auth", "serve", "auth"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[section][key] = value
    try:
        return load_settings(overrides, config_file=getattr(args, "config", None))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read settings: {exc}") from None


def filters_from(args: argparse.Namespace):
    """The metadata filters given on the command line."""
    from newsrag.rag.passage import Filters

    for value in (args.date_from, args.date_to, getattr(args, "as_of", None)):
        if value and not _is_iso_date(value):
            raise UsageError(f"not a date (YYYY-MM-DD): {value}")
    return Filters(sources=args.source, date_from=args.date_from or "", date_to=args.date_to or "", doc_ids=args.doc_ids)


def _is_iso_date(value: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """Lines of a JSONL input file, each checked to have the `required` fields."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}: line {number}: malformed JSON ({exc.msg})") from None
        missing = [field for field in required if not isinstance(record, dict) or field not in record]
        if missing:
            raise UsageError(f"{path}: line {number}: missing field {missing[0]!r}")
        records.append(record)
    return records


def as_of_date(value: Any):
    """The as-of date of a query (a flag or a batch line's `as_of`); today when none is given."""
    from newsrag.rag.timeframe import parse_as_of

    try:
        return parse_as_of(value)
    except ValueError as exc:
        raise UsageError(f"as_of: {exc}") from None


def check_text(text: str, what: str) -> str:
    """Refuse empty, enormous or binary queries with a clear message (the answer pipeline's rule)."""
    from newsrag.rag.pipeline import AnswerError, check_question

    try:
        return check_question(text)
    except AnswerError as exc:
        raise UsageError(str(exc).replace("the question", f"the {what}")) from None
