"""Answer evaluation: run the answer pipeline on every question and score its public JSON.

Per question: fact recall and `min_facts`, a gold article cited, citation precision, dangling
markers, abstention (right on negative questions, wrong on answerable ones), RealTime QA's
`answer_text` found in the answer, and with an LLM available an LLM-judged faithfulness score
(RAGAS-style: the answer split into statements, each checked against the passages it cites).
The llama-index baseline is scored by the same code on the same JSON shape.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from newsrag.eval.configs import EvalConfig
from newsrag.eval.datasets import Question
from newsrag.eval.metrics import (
    AbstentionScore,
    AnswerTextMatch,
    CitationPrecision,
    DanglingMarkers,
    FactRecall,
    GoldCited,
    MinFactsReached,
    Score,
    markers,
    percentile,
    summarise,
)
from newsrag.eval.report import Report, fmt, md_escape, md_table, plot_latency

# ----- the LLM judge (RAGAS-style faithfulness) ------------------------------------------------------
STATEMENTS_PROMPT = (
    "Split the answer below into short, self-contained factual statements, one per line. "
    "Replace pronouns with the names they stand for. Keep the citation markers such as [1] that "
    "follow the part of the answer each statement comes from. Write only the statements.\n\n"
    "Question: {question}\n"
    "Answer: {answer}\n\n"
    "Statements:\n"
)
VERDICT_PROMPT = (
    "Decide for each statement whether the passages below support it. A statement is supported "
    "only when the passages say it or it follows directly from what they say.\n\n"
    "PASSAGES:\n{passages}\nEND OF PASSAGES\n\n"
    "STATEMENTS:\n{statements}\n\n"
    "Reply with one line per statement: its number, a colon, then yes or no. For example:\n"
    "1: yes\n2: no\n\n"
    "Verdicts:\n"
)
VERDICT_LINE = re.compile(r"^\s*(\d+)\s*[:.)\-]\s*\**\s*(yes|no)\b", re.I | re.M)
MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
STATEMENT_PREFIX = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
MAX_STATEMENTS = 8
PASSAGE_CHARS = 1500  # of each cited passage shown to the judge


@dataclass
class FaithfulnessJudge:
    """Faithfulness of an answer to its citations, judged by an LLM (0..1, None if not applicable).

    Statements carrying markers are checked against the passages they cite; statements without
    markers against all cited passages. Verdicts the judge did not give count as unsupported.
    """

    llm: Any
    name: str = "faithfulness"

    def _complete(self, prompt: str) -> str:
        return str(self.llm.complete(prompt)).strip()

    def statements(self, question: str, answer: str) -> list[str]:
        """The answer split into statements by the LLM (the answer's sentences if it returns none)."""
        lines = [
            STATEMENT_PREFIX.sub("", line).strip()
            for line in self._complete(STATEMENTS_PROMPT.format(question=question, answer=answer)).splitlines()
        ]
        found = [line for line in lines if len(line) > 3]
        if not found:
            found = [s for s in re.split(r"(?<=[.!?])\s+", answer) if s.strip()]
        return found[:MAX_STATEMENTS]

    def compute(self, question: str, answer: str, citations: Sequence[Mapping[str, Any]], abstained: bool) -> Score:
        """Share of the answer's statements that the cited passages support."""
        if abstained or not citations or not answer.strip():
            return Score(self.name, None)
        by_number = {int(c.get("n", 0)): c for c in citations}
        statements = self.statements(question, answer)
        groups: dict[tuple[int, ...], list[int]] = {}
        for index, statement in enumerate(statements):
            cited = tuple(n for n in markers(statement) if n in by_number) or tuple(sorted(by_number))
            groups.setdefault(cited, []).append(index)
        supported = [False] * len(statements)
        for cited, indices in groups.items():
            passages = "\n".join(f"[{n}] {' '.join(str(by_number[n].get('text', '')).split())[:PASSAGE_CHARS]}" for n in cited)
            listed = "\n".join(f"{i}: {MARKERS.sub('', statements[index]).strip()}" for i, index in enumerate(indices, 1))
            reply = self._complete(VERDICT_PROMPT.format(passages=passages, statements=listed))
            verdicts = {int(m.group(1)): m.group(2).lower() == "yes" for m in VERDICT_LINE.finditer(reply)}
            for i, index in enumerate(indices, 1):
                supported[index] = verdicts.get(i, False)
        if not statements:
            return Score(self.name, None)
        detail = [{"statement": s, "supported": ok} for s, ok in zip(statements, supported)]
        return Score(self.name, sum(supported) / len(statements), detail)


# ----- scoring ---------------------------------------------------------------------------------------
FAILING = {"min_facts", "gold_cited", "answered_when_answerable", "abstained_when_negative", "answer_text_match"}


def score_answer(question: Question, record: Mapping[str, Any], judge: FaithfulnessJudge | None = None) -> dict[str, Score]:
    """Every answer metric for one question, from the public Answer JSON."""
    answer = str(record.get("answer", ""))
    citations = list(record.get("citations", []))
    abstained = bool(record.get("abstained"))
    abstention = AbstentionScore().compute(abstained, question.answerable)
    abstention.name = "answered_when_answerable" if question.answerable else "abstained_when_negative"
    match = AnswerTextMatch().compute(answer, question.answer_texts)
    if not question.answerable:  # a hard negative (`--hard-negatives`): holding the quiz answer is no failure,
        match.name = "answer_text_anyway"  # it shows an article that still answers it
    scores = [
        FactRecall().compute(answer, question.facts),
        MinFactsReached().compute(answer, question.facts, question.min_facts),
        GoldCited().compute(citations, question.gold_docs),
        CitationPrecision().compute(citations, question.gold_docs),
        DanglingMarkers().compute(answer, citations),
        abstention,
        match,
    ]
    if judge is not None:
        from newsrag.eval.baseline import EXTRACTIVE_LABEL

        scores.append(judge.compute(question.question, answer.replace(EXTRACTIVE_LABEL, ""), citations, abstained))
    return {s.name: s for s in scores}


def failed_checks(scores: Mapping[str, Score]) -> list[str]:
    """Names of the pass/fail checks this answer failed (dangling markers count as a failure)."""
    failed = [name for name in FAILING if name in scores and scores[name].value == 0.0]
    if scores.get("dangling_markers") and (scores["dangling_markers"].value or 0) > 0:
        failed.append("dangling_markers")
    return sorted(failed)


@dataclass
class AnswerOutcome:
    """One question under one configuration: the answer JSON, its scores and timings."""

    question: Question
    record: dict[str, Any]
    scores: dict[str, Score]
    first_token_s: float | None
    total_s: float
    error: str = ""

    @property
    def failed(self) -> list[str]:
        """The failed checks (an error is a failure of its own)."""
        return (["error"] if self.error else []) + failed_checks(self.scores)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for reports."""
        return {
            "question": self.question.to_json(),
            "answer": self.record,
            "scores": {name: s.to_json() for name, s in self.scores.items()},
            "failed": self.failed,
            "first_token_s": self.first_token_s,
            "total_s": round(self.total_s, 4),
            "error": self.error,
        }


@dataclass
class AnswerRun:
    """All questions under one configuration."""

    config: EvalConfig
    outcomes: list[AnswerOutcome]
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self, half: str | None = None) -> dict[str, Any]:
        """Means of every metric, failures, and latency percentiles (of one half's questions, if given)."""
        from newsrag.eval.calibrate import half_of

        outcomes = [o for o in self.outcomes if half is None or half_of(o.question.id) == half]
        means = {name: s.mean for name, s in summarise(o.scores for o in outcomes).items()}
        totals = sorted(o.total_s for o in outcomes if not o.error)
        firsts = sorted(o.first_token_s for o in outcomes if o.first_token_s is not None)
        both = [o for o in outcomes if _right_and_cited(o)]
        sourced = [o for o in outcomes if _right_and_cited(o, with_silver=True)]
        applicable = [o for o in outcomes if o.question.answer_texts and o.question.answerable]
        return {
            **means,
            "answer_text_and_gold_cited": len(both) / len(applicable) if applicable else None,
            "answer_text_and_source_cited": len(sourced) / len(applicable) if applicable else None,
            "questions": len(outcomes),
            "failed": sum(1 for o in outcomes if o.failed),
            "errors": sum(1 for o in outcomes if o.error),
            "abstentions": sum(1 for o in outcomes if o.record.get("abstained")),
            "with_dangling_markers": sum(1 for o in outcomes if (o.scores.get("dangling_markers") and o.scores["dangling_markers"].value)),
            "total_p50_s": statistics.median(totals) if totals else None,
            "total_p95_s": percentile(totals, 95),
            "total_max_s": totals[-1] if totals else None,
            "first_token_p50_s": statistics.median(firsts) if firsts else None,
            "first_token_p95_s": percentile(firsts, 95),
        }


def _right_and_cited(outcome: AnswerOutcome, with_silver: bool = False) -> bool:
    """RealTime QA's main figure: the answer holds the quiz answer and cites a gold article (with
    `with_silver`, also one of the silver articles that RealTime QA lists as holding the answer)."""
    match, gold = outcome.scores.get("answer_text_match"), outcome.scores.get("gold_cited")
    if not (match and match.value):
        return False
    if gold and gold.value:
        return True
    wanted = set(outcome.question.silver_docs) if with_silver else set()
    return bool(wanted & {c.get("doc_id") for c in outcome.record.get("citations", [])})


Answerer = Callable[[Question], tuple[dict[str, Any], float | None]]  # -> (answer JSON, first-token seconds)


def pipeline_answerer(settings, backend: str | None = None, use_dates: bool = True) -> tuple[Answerer, dict[str, Any]]:
    """Answer with newsrag's `AnswerPipeline` (streamed, to time the first token), each dated
    question (RealTime QA) asked as of its date unless `use_dates` is off, and a hard negative
    without the articles it names (`Question.excluded_docs`)."""
    from newsrag.components import open_pipeline
    from newsrag.eval.retrieval import question_as_of
    from newsrag.rag.passage import Filters

    pipeline = open_pipeline(settings)
    info: dict[str, Any] = {"backend": backend or settings.llm.backend}

    def answer(question: Question) -> tuple[dict[str, Any], float | None]:
        began = time.perf_counter()
        first: float | None = None
        final = None
        history = [list(t) for t in question.history]
        filters = Filters(exclude_doc_ids=question.excluded_docs) if question.excluded_docs else None
        as_of = question_as_of(question, use_dates)
        for event in pipeline.stream(question.question, history=history, filters=filters, backend=backend, as_of=as_of):
            if event.kind == "token" and first is None:
                first = time.perf_counter() - began
            elif event.kind == "answer":
                final = event.answer
        if final is None:
            raise RuntimeError("the pipeline ended without an answer")
        info["backend_used"] = final.backend
        return final.to_json(question.id), first

    return answer, info


def baseline_answerer(baseline) -> Answerer:
    """Answer with the llama-index baseline (follow-ups asked as the condensed question)."""
    from newsrag.eval.retrieval import condensed_query

    def answer(question: Question) -> tuple[dict[str, Any], float | None]:
        record = baseline.answer(condensed_query(question), question.id)
        record["question"] = question.question
        return record, None

    return answer


def load_journal(journal: Path, questions: Sequence[Question]) -> dict[str, AnswerOutcome]:
    """Outcomes already written to `journal` by an earlier, interrupted run, by question id.

    Only questions of this run whose text is unchanged are taken; a damaged last line (the run
    was killed while writing it) is ignored, so that question is asked again. Answers are
    scored again (the metrics may have changed since); a judge's verdict is kept.
    """
    if not journal.exists():
        return {}
    by_id = {q.id: q for q in questions}
    done: dict[str, AnswerOutcome] = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        question = by_id.get(str(data.get("question", {}).get("id")))
        if question is None or data["question"].get("question") != question.question:
            continue
        record = data.get("answer", {})
        scores = score_answer(question, record) if not data.get("error") else {}  # rescored: the metrics may have changed since
        judged = data.get("scores", {}).get("faithfulness")
        if judged is not None:
            scores["faithfulness"] = Score("faithfulness", judged.get("value"), judged.get("detail"))
        done[question.id] = AnswerOutcome(
            question, record, scores, data.get("first_token_s"), float(data.get("total_s", 0.0)), data.get("error", "")
        )
    return done


def run_questions(
    questions: Sequence[Question],
    answerer: Answerer,
    judge: FaithfulnessJudge | None,
    desc: str,
    progress: bool = True,
    journal: Path | None = None,
    deadline: float | None = None,
) -> list[AnswerOutcome]:
    """Answer and score every question; a question that raises is recorded, not fatal.

    With a `journal`, each outcome is appended to it as soon as it is scored, and questions
    already in it are not asked again: a run stopped after 40 minutes keeps what it measured and
    the same command resumes it. Past `deadline` (a `time.monotonic()` value) no new question is
    asked: the run reports what it has, and the report compares configurations on the questions
    they all answered. Three errors in a row at the start mean a broken configuration: that error
    is raised.
    """
    from tqdm import tqdm

    done = load_journal(journal, questions) if journal is not None else {}
    outcomes: list[AnswerOutcome] = []
    for question in tqdm(questions, desc=desc, unit="q", file=sys.stderr, disable=not progress or None, leave=False):
        if question.id in done:
            outcomes.append(done[question.id])
            continue
        if deadline is not None and time.monotonic() > deadline:
            continue
        began = time.perf_counter()
        try:
            record, first = answerer(question)
        except Exception as exc:
            if len(outcomes) >= 2 and all(o.error for o in outcomes):
                raise
            error = f"{type(exc).__name__}: {exc}"
            outcomes.append(
                AnswerOutcome(question, {"answer": "", "abstained": False, "citations": []}, {}, None, time.perf_counter() - began, error)
            )
            _append(journal, outcomes[-1])
            continue
        total = time.perf_counter() - began
        try:
            scores = score_answer(question, record, judge)
        except Exception as exc:  # a failing judge must not lose the other scores
            scores = score_answer(question, record, None)
            scores["faithfulness"] = Score("faithfulness", None, f"judge failed: {type(exc).__name__}: {exc}")
        outcomes.append(AnswerOutcome(question, record, scores, first, total))
        _append(journal, outcomes[-1])
    return outcomes


def _append(journal: Path | None, outcome: AnswerOutcome) -> None:
    if journal is None:
        return
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(outcome.to_json(), ensure_ascii=False) + "\n")
        handle.flush()


# ----- report --------------------------------------------------------------------------------------
SUMMARY_COLUMNS = [
    ("fact_recall", "fact recall"),
    ("min_facts", "min facts"),
    ("gold_cited", "gold cited"),
    ("citation_precision", "citation precision"),
    ("with_dangling_markers", "answers with dangling [n]"),
    ("abstained_when_negative", "abstained on negatives"),
    ("answered_when_answerable", "answered answerables"),
    ("answer_text_match", "answer_text found"),
    ("answer_text_anyway", "answer_text found on negatives (an article still answers)"),
    ("answer_text_and_gold_cited", "answer_text found and gold cited"),
    ("answer_text_and_source_cited", "answer_text found, gold or silver cited"),
    ("abstentions", "abstentions"),
    ("faithfulness", "faithfulness (LLM judge)"),
    ("failed", "failed questions"),
    ("errors", "errors"),
    ("first_token_p50_s", "first token p50 s"),
    ("first_token_p95_s", "first token p95 s"),
    ("total_p50_s", "answer p50 s"),
    ("total_p95_s", "answer p95 s"),
]


def _answer_block(outcome: AnswerOutcome) -> str:
    q = outcome.question
    lines = [f"#### {q.id} ({q.type}): {md_escape(q.question)}", ""]
    for user, assistant in q.history:
        lines.append(f"> earlier: {md_escape(user)} → {md_escape(assistant, 160)}")
    if outcome.error:
        lines.append(f"- error: `{md_escape(outcome.error, 300)}`")
    lines.append(f"- failed: {', '.join(outcome.failed) or 'nothing'}")
    lines.append(f"- answer{' (abstained)' if outcome.record.get('abstained') else ''}: {md_escape(outcome.record.get('answer', ''), 700)}")
    for c in outcome.record.get("citations", []):
        gold = " **gold**" if c.get("doc_id") in q.gold_docs else ""
        lines.append(
            f"  - [{c.get('n')}] `{c.get('doc_id')}`{gold} {md_escape(c.get('title', ''), 80)}: {md_escape(c.get('text', ''), 220)}"
        )
    lines.append(f"- gold: {', '.join(f'`{d}`' for d in q.gold_docs) or 'none (unanswerable)'}")
    if q.facts:
        missing = outcome.scores.get("fact_recall")
        lines.append(f"- facts missing: {md_escape((missing.detail or {}).get('missing', []) if missing else q.facts)}")
    if q.answer_texts:
        lines.append(f"- accepted answers: {md_escape(q.answer_texts)}")
    faith = outcome.scores.get("faithfulness")
    if faith is not None and faith.value is not None:
        lines.append(
            f"- faithfulness {faith.value:.2f}: "
            + "; ".join(f"{'✓' if d['supported'] else '✗'} {md_escape(d['statement'], 120)}" for d in faith.detail)
        )
    return "\n".join(lines) + "\n"


def summary_table(runs: Sequence[AnswerRun], summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """The metric-by-configuration table of `SUMMARY_COLUMNS` for these summaries (one per run)."""
    rows = [[label] + [summaries[run.config.name].get(key) for run in runs] for key, label in SUMMARY_COLUMNS]
    return md_table(["metric", *[run.config.name for run in runs]], rows)


def write_report(report: Report, runs: Sequence[AnswerRun], questions: Sequence[Question]) -> None:
    """Summary table, failures first (question, answer, citations, gold), every answer, plots, JSON."""
    summaries = {run.config.name: run.summary() for run in runs}
    kinds = {}
    for q in questions:
        kinds[q.type] = kinds.get(q.type, 0) + 1
    report.add(
        f"## Summary\n\nQuestions: {len(questions)} ({', '.join(f'{n} {t}' for t, n in sorted(kinds.items()))}).\n\n"
        + summary_table(runs, summaries)
        + "\n\nMeans are over the questions a metric applies to (fact checks: questions with facts; gold and "
        "citation checks: answerable questions; answer_text: RealTime QA questions)."
    )
    for half in ("A", "B"):
        halves = {run.config.name: run.summary(half) for run in runs}
        report.add(
            f"### Half {half} only ({halves[runs[0].config.name]['questions']} questions)\n\n"
            "Half A is what any tuned number was fitted on (`newsrag eval calibrate`); half B was held back.\n\n"
            + summary_table(runs, halves)
        )
        summaries_by_half = report.data.setdefault("halves", {})
        summaries_by_half[half] = halves
    by_type = {}
    for run in runs:
        for kind in sorted({o.question.type for o in run.outcomes}):
            chosen = AnswerRun(run.config, [o for o in run.outcomes if o.question.type == kind], run.info).summary()
            by_type.setdefault(kind, {})[run.config.name] = chosen

    def kind_cell(kind: str, name: str) -> str:
        found = by_type[kind].get(name)  # a configuration stopped by --time-budget may have none of a kind
        if not found:
            return "–"
        return (
            f"{found['questions']} asked: fact recall {fmt(found.get('fact_recall'))}, min facts {fmt(found.get('min_facts'))}, "
            f"gold {fmt(found.get('gold_cited'))}, abstained {found.get('abstentions')}"
        )

    type_rows = [[kind] + [kind_cell(kind, r.config.name) for r in runs] for kind in by_type]
    report.add("### Per kind of question\n\n" + md_table(["kind", *[run.config.name for run in runs]], type_rows))
    common = set.intersection(*({o.question.id for o in run.outcomes} for run in runs)) if runs else set()
    if any(len(run.outcomes) != len(common) for run in runs):
        shared = {run.config.name: AnswerRun(run.config, [o for o in run.outcomes if o.question.id in common], run.info) for run in runs}
        report.add(
            f"### On the {len(common)} questions every configuration answered\n\n"
            + ", ".join(f"{run.config.name}: {len(run.outcomes)} of {len(questions)} questions" for run in runs)
            + " (a configuration stops asking at `--time-budget`).\n\n"
            + summary_table(runs, {name: run.summary() for name, run in shared.items()})
            + "\n\nHalf B of them only:\n\n"
            + summary_table(runs, {name: run.summary("B") for name, run in shared.items()})
        )
        report.data["common_questions"] = sorted(common)
    report.add("### Configurations\n\n" + "\n".join(f"- **{run.config.name}**: {run.info.get('description', '')}" for run in runs))
    for run in runs:
        failures = [o for o in run.outcomes if o.failed]
        report.add(
            f"## Failures of {run.config.name}: {len(failures)} of {len(run.outcomes)}\n\n" + "\n".join(_answer_block(o) for o in failures)
        )
    passes_table = []
    by_config = [{o.question.id: o for o in run.outcomes} for run in runs]
    for q in questions:
        passes_table.append(
            [q.id, q.type, md_escape(q.question, 70)] + [", ".join(m[q.id].failed) or "ok" if q.id in m else "–" for m in by_config]
        )
    report.add(
        "## Every question: failed checks\n\n" + md_table(["id", "type", "question", *[run.config.name for run in runs]], passes_table)
    )
    report.add("## Answers that passed\n\n" + "\n".join(_answer_block(o) for o in runs[0].outcomes if not o.failed))
    plot_latency(
        {run.config.name: [o.total_s for o in run.outcomes if not o.error] for run in runs},
        report.plot_path("answer_latency.png"),
        "time to full answer",
        unit="s",
    )
    report.data.update(
        {
            "configurations": [
                {
                    "name": run.config.name,
                    "baseline": run.config.baseline,
                    "overrides": run.config.overrides,
                    "info": run.info,
                    "summary": summaries[run.config.name],
                    "questions": [o.to_json() for o in run.outcomes],
                }
                for run in runs
            ]
        }
    )


def fmt_summary(summary: Mapping[str, Any]) -> str:
    """One line of the main figures, for the terminal."""
    keys = (
        "fact_recall",
        "min_facts",
        "gold_cited",
        "citation_precision",
        "abstained_when_negative",
        "answered_when_answerable",
        "answer_text_match",
        "answer_text_anyway",
        "answer_text_and_gold_cited",
        "answer_text_and_source_cited",
        "faithfulness",
        "first_token_p50_s",
        "total_p50_s",
        "total_p95_s",
    )
    return ", ".join(f"{k}={fmt(summary.get(k))}" for k in keys if summary.get(k) is not None)
