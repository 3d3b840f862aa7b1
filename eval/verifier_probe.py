"""Can the packaged model tell a right answer from a wrong one? A probe over two `eval answers` runs.

Issue #12 asks newsrag to abstain on 95% of the hard negatives (RealTime QA questions asked of
their archive without the articles that answer them). What newsrag still answers there is mostly
the same story with another figure, a report from before the event, or a sentence that carries
the question's own words over a source that says less. A verifier would have to tell those from
right answers. The only generative model that ships offline is the 1.5B one that writes the
answers; no NLI or cross-encoder model does (shared/notes/models.md). This probe asks that model,
after the fact, whether the sources state each answer, and measures how well its probability of
"Yes" separates right answers (RealTime QA answers holding the quiz answer) from wrong answers to
hard negatives (no quiz answer in them), per half: ROC AUC, and what each threshold keeps and drops.

It reads the journals of two runs (the questions asked of their archive, and `--hard-negatives`),
so it measures the answers exactly as they were written. `--context sentences` shows the sentences
each citation highlights; `passages` the cited passages. On 2 cores a case takes about 2 to 4 s.

    python -m newsrag.eval.verifier_probe RUN_DIR NEGATIVES_RUN_DIR [--context sentences|passages] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from newsrag.eval.calibrate import half_of
from newsrag.rag.specifics import MARKER

JOURNAL = "journal-ours.jsonl"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
PASSAGE_CHARS = 900  # of a cited passage shown with `--context passages` (about 200 tokens)

VERIFY_SYSTEM = (
    "You check answers about news articles. You are given a question, the date it was asked, "
    "numbered sources with their outlet and date, and a proposed answer. "
    "Reply Yes if the sources state the proposed answer to the question, about the event the question asks about. "
    "Reply No if they do not say it, say something different, only predict it, or report another event or time."
)
VERIFY_PROMPT = (
    "Question (asked on {date}): {question}\n\nSOURCES:\n{sources}\nEND OF SOURCES\n\n"
    "Proposed answer: {answer}\n\nDo the sources state this answer to the question? Reply Yes or No."
)


@dataclass(frozen=True)
class ProbeCase:
    """One answered question: its half, whether its answer is right, a wrong hard-negative answer, or
    neither (a wrong answer to an answerable question), and the model's probability of "Yes"."""

    question_id: str
    half: str
    label: str  # "right" | "wrong_negative" | "wrong_answerable" | "right_negative" (another article answers)
    yes: float


def source_lines(citations: list[dict], context: str) -> str:
    """The cited sources as the verifier reads them: outlet, date, headline, and text."""
    lines = []
    for c in citations:
        if context == "sentences" and c.get("highlights"):
            text = " ".join(c["highlights"])
        else:
            text = " ".join(str(c.get("text", "")).split())[:PASSAGE_CHARS]
        meta = "; ".join(x for x in (c.get("source"), c.get("published")) if x) or "article"
        lines.append(f"[{c['n']}] ({meta}) {c.get('title', '')}: {text}")
    return "\n".join(lines)


def label_of(scores: dict, negatives: bool) -> str:
    """Right or wrong, read off the run's own scores (the quiz answer in the answer, or not)."""
    if negatives:
        return "right_negative" if (scores.get("answer_text_anyway") or {}).get("value") else "wrong_negative"
    return "right" if (scores.get("answer_text_match") or {}).get("value") else "wrong_answerable"


def yes_probability(server, question: str, date: str, answer: str, sources: str) -> float:
    """P("Yes") / (P("Yes") + P("No")) for the model's first token, greedy, any casing."""
    prompt = VERIFY_PROMPT.format(date=date, question=question, sources=sources, answer=" ".join(MARKER.sub(" ", answer).split()))
    reply = server.handle_chat_completions(
        {
            "messages": [{"role": "system", "content": VERIFY_SYSTEM}, {"role": "user", "content": prompt}],
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": 10,
        }
    )
    try:
        top = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"the model gave no log-probabilities: {str(reply)[:200]}") from None
    yes = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().lower() == "yes")
    no = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().lower() == "no")
    return yes / (yes + no) if yes + no else 0.5


def probe(run: Path, negatives_run: Path, context: str, server) -> list[ProbeCase]:
    """Every answered question of both runs, asked of the verifier."""
    cases = []
    for folder, negatives in ((negatives_run, True), (run, False)):
        for line in (Path(folder) / JOURNAL).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            answer = record["answer"]
            if answer.get("abstained") or not answer.get("citations"):
                continue
            question = answer.get("standalone_question") or answer["question"]
            yes = yes_probability(server, question, answer.get("as_of") or "", answer["answer"], source_lines(answer["citations"], context))
            qid = record["question"]["id"]
            cases.append(ProbeCase(qid, half_of(qid), label_of(record["scores"], negatives), yes))
    return cases


def roc_auc(positives: list[float], negatives: list[float]) -> float | None:
    """The chance that a random positive scores above a random negative (ties count half); None
    without both. scikit-learn's, as `eval calibrate` reports it."""
    if not positives or not negatives:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(positives) + [0] * len(negatives), [*positives, *negatives]))


def report(cases: list[ProbeCase]) -> str:
    """Per half: ROC AUC of right answers against wrong hard-negative answers, and per threshold
    the right answers kept and the wrong hard-negative and wrong answerable answers dropped."""
    out = []
    for half in ("A", "B"):
        mine = [c for c in cases if c.half == half]
        by = {label: [c.yes for c in mine if c.label == label] for label in ("right", "wrong_negative", "wrong_answerable")}
        auc = roc_auc(by["right"], by["wrong_negative"])
        out.append(f"half {half}: {len(by['right'])} right, {len(by['wrong_negative'])} wrong hard-negative answers; ROC AUC "
                   + (f"{auc:.3f}" if auc is not None else "n/a"))  # fmt: skip
        out.append("threshold | right kept | wrong hard-negative dropped | wrong answerable dropped")
        for t in THRESHOLDS:
            kept = sum(y >= t for y in by["right"])
            dropped = sum(y < t for y in by["wrong_negative"])
            wrong = sum(y < t for y in by["wrong_answerable"])
            out.append(
                f"{t:.1f} | {kept}/{len(by['right'])} | {dropped}/{len(by['wrong_negative'])} | {wrong}/{len(by['wrong_answerable'])}"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Probe the packaged model over two run folders and print the report."""
    parser = argparse.ArgumentParser(prog="python -m newsrag.eval.verifier_probe", description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an `eval answers` run over RealTime QA dev")
    parser.add_argument("negatives_run", type=Path, help="the same with --hard-negatives")
    parser.add_argument("--context", choices=("sentences", "passages"), default="sentences")
    parser.add_argument("--out", type=Path, help="also write each case as a JSON line here")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from newsrag.rag.backends.gguf import resolve_model_path
    from newsrag.rag.backends.llamacpp import load_runtime
    from newsrag.settings import load_settings

    settings = load_settings()
    model = resolve_model_path(settings.llm.model_path, settings.home)
    server = load_runtime(model, settings.llm.context_window, settings.llm.threads, "xllamacpp").server  # it reports log-probabilities
    try:
        cases = probe(args.run, args.negatives_run, args.context, server)
    except (OSError, ValueError, KeyError) as error:  # a missing journal, a line that is not a run's, a refused request
        print(f"verifier_probe: {error}", file=sys.stderr)
        return 1
    if args.out:
        args.out.write_text("".join(json.dumps(asdict(c)) + "\n" for c in cases), encoding="utf-8")
    print(report(cases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
