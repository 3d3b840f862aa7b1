"""Fit `answer.stale_after_days` on half A of two `newsrag eval answers` runs, and report half B.

The rule it fits (rag/timeframe.old_news): an answer resting only on coverage older than the news
its question asks about, by more than N days, is dropped for an abstention. It is read off the
journals of two runs over RealTime QA dev made with the rule off (`--config` setting
`answer.stale_after_days: 0`, or a tree from before it): the questions asked of their archive as of
their dates, and the same with `--hard-negatives`. Each answered question that the rule reads (no
time named, or a window counted back) is a case: the age of its newest cited source, and whether
dropping it loses a right answer (the quiz answer given, in either run) or abstains on a wrong
answer to a hard negative. Why journals: the answers do not change with N, so one pair of runs
measures every N without asking the model again.

    python -m newsrag.eval.stale_fit RUN_DIR NEGATIVES_RUN_DIR
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from newsrag.eval.calibrate import half_of
from newsrag.rag.timeframe import newest_source, resolve

GRID = (8, 15, 30, 45, 60, 90, 120, 180, 365)  # days tried
JOURNAL = "journal-ours.jsonl"


@dataclass(frozen=True)
class StaleCase:
    """One answered question the rule reads: its half, the age of its newest source, what dropping it does."""

    half: str
    age_days: int
    loses_right: bool  # a right answer (an answerable question, or a hard negative another article answers)
    drops_wrong_negative: bool  # a wrong answer to a hard negative


def stale_cases(journal: Path, negatives: bool) -> list[StaleCase]:
    """The cases of one run's journal (`negatives`: a `--hard-negatives` run)."""
    cases = []
    for line in Path(journal).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        answer, scores = record["answer"], record["scores"]
        if answer.get("abstained") or not answer.get("as_of"):
            continue
        frame = resolve(answer.get("standalone_question") or answer["question"], dt.date.fromisoformat(answer["as_of"]))
        newest = newest_source([c.get("published") or "" for c in answer["citations"]], frame)
        if newest is None:
            continue
        right = bool((scores.get("answer_text_anyway" if negatives else "answer_text_match") or {}).get("value"))
        cases.append(StaleCase(half_of(record["question"]["id"]), (frame.news_from - newest).days, right, negatives and not right))
    return cases


def fit(cases: list[StaleCase], grid: tuple[int, ...] = GRID) -> tuple[int, list[list]]:
    """The N of `grid` that abstains on most wrong hard-negative answers less right answers lost on
    half A (ties: the largest N, the rule at its most lenient), and the table of every N per half."""
    table = []
    best, best_net = grid[-1], None
    for days in grid:
        row: list = [days]
        for half in ("A", "B"):
            dropped = [c for c in cases if c.half == half and c.age_days > days]
            gained, lost = sum(c.drops_wrong_negative for c in dropped), sum(c.loses_right for c in dropped)
            row += [gained, lost]
            if half == "A" and (best_net is None or gained - lost >= best_net):
                best, best_net = days, gained - lost
        table.append(row)
    return best, table


def main(argv: list[str] | None = None) -> int:
    """Print the fit for two run folders (answerable, hard negatives)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m newsrag.eval.stale_fit RUN_DIR NEGATIVES_RUN_DIR", file=sys.stderr)
        return 2
    cases = stale_cases(Path(argv[0]) / JOURNAL, False) + stale_cases(Path(argv[1]) / JOURNAL, True)
    chosen, table = fit(cases)
    print("days | A: wrong negatives dropped | A: right answers lost | B: wrong negatives dropped | B: right answers lost")
    for row in table:
        print(" | ".join(str(v) for v in row))
    print(f"chosen on half A: {chosen} days")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
