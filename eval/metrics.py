"""Metrics: small classes, each with `compute()` returning a `Score`.

Retrieval is scored at article level (a ranked list of document ids, deduplicated in order);
answers are scored on the public `Answer` JSON (answer text, abstained flag, citations), so the
product and the llama-index baseline are measured by the same code.

A `Score` whose `value` is None does not apply to that question (recall on a question without
gold documents, citation precision of an answer without citations) and is left out of means.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

# [1], [2, 3], [1][2]: every number inside square brackets that hold only numbers and commas.
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Quote marks dropped before comparing texts: straight, curly, guillemets, backticks.
QUOTES = "\"'“”‘’„‟«»`´"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


@dataclass
class Score:
    """One metric on one question: a value (None when it does not apply) and what explains it."""

    name: str
    value: float | None
    detail: Any = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for reports."""
        return {"name": self.name, "value": self.value, "detail": self.detail}


def normalise(text: str) -> str:
    """Lower-case, typographic apostrophes folded to straight ones, whitespace collapsed."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def answer_key(text: str) -> str:
    """A text reduced for "does the answer contain it": lower-case, numbers as digits ("four" and
    "4", "1,000" and "1000", "12.6 million" and "12,600,000"), punctuation and the articles a/an/the
    dropped (SQuAD's normalisation, plus number words), citation markers removed."""
    from newsrag.rag.specifics import NUMBER_WORDS_RUN, SCALED_DIGITS, number_value, scaled_value

    text = MARKER.sub(" ", text).replace("&", " and ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = SCALED_DIGITS.sub(lambda m: scaled_value(m.group(1), m.group(2)), text)
    text = NUMBER_WORDS_RUN.sub(lambda m: number_value(m.group(0)) or m.group(0), text.lower())
    text = re.sub(r"[^\w\s]", " ", text.translate(_APOSTROPHES).replace("'", ""))
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def strip_quotes(text: str) -> str:
    """The text without any quote marks, lower-cased and whitespace-collapsed."""
    return " ".join(text.translate({ord(q): None for q in QUOTES}).lower().split())


def markers(answer: str) -> list[int]:
    """The citation numbers an answer uses, in order of first appearance."""
    found: list[int] = []
    for match in MARKER.finditer(answer):
        for part in match.group(1).split(","):
            number = int(part)
            if number not in found:
                found.append(number)
    return found


# ----- retrieval -----------------------------------------------------------------------------------
def first_gold_rank(ranked: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first gold document in `ranked`, None if absent."""
    wanted = set(gold)
    for rank, doc_id in enumerate(ranked, 1):
        if doc_id in wanted:
            return rank
    return None


@dataclass
class HitAtK:
    """1 when any gold article is among the first k retrieved articles, else 0."""

    k: int

    @property
    def name(self) -> str:
        return f"hit@{self.k}"

    def compute(self, ranked: Sequence[str], gold: Sequence[str]) -> Score:
        """Score one ranked list of document ids against the gold ids."""
        if not gold:
            return Score(self.name, None)
        rank = first_gold_rank(ranked[: self.k], gold)
        return Score(self.name, 1.0 if rank else 0.0, rank)


@dataclass
class ReciprocalRank:
    """1 / rank of the first gold article within the first k (0 beyond k): MRR@k once averaged."""

    k: int = 10

    @property
    def name(self) -> str:
        return f"mrr@{self.k}"

    def compute(self, ranked: Sequence[str], gold: Sequence[str]) -> Score:
        """Score one ranked list of document ids against the gold ids."""
        if not gold:
            return Score(self.name, None)
        rank = first_gold_rank(ranked[: self.k], gold)
        return Score(self.name, 1.0 / rank if rank else 0.0, rank)


@dataclass
class RecallAtK:
    """Share of the gold articles found among the first k retrieved articles."""

    k: int

    @property
    def name(self) -> str:
        return f"recall@{self.k}"

    def compute(self, ranked: Sequence[str], gold: Sequence[str]) -> Score:
        """Score one ranked list of document ids against the gold ids."""
        wanted = set(gold)
        if not wanted:
            return Score(self.name, None)
        found = wanted & set(ranked[: self.k])
        return Score(self.name, len(found) / len(wanted), sorted(found))


def retrieval_metrics(ks: Sequence[int] = (1, 3, 5, 10), mrr_k: int = 10) -> list[HitAtK | ReciprocalRank | RecallAtK]:
    """The standard retrieval metric set: hit@k for each k, MRR@mrr_k, recall@k for each k."""
    return [*(HitAtK(k) for k in ks), ReciprocalRank(mrr_k), *(RecallAtK(k) for k in ks)]


def dedupe_doc_ids(doc_ids: Iterable[str]) -> list[str]:
    """Passage document ids reduced to articles, keeping the first occurrence's rank."""
    seen: dict[str, None] = {}
    for doc_id in doc_ids:
        seen.setdefault(doc_id, None)
    return list(seen)


# ----- answers ---------------------------------------------------------------------------------------
@dataclass
class FactRecall:
    """Share of fact groups present in the answer; a group counts when any alternative appears.

    Matching is case-insensitive substring matching, with typographic apostrophes folded
    (so "haven’t" matches "haven't").
    """

    name: str = "fact_recall"

    def present_groups(self, answer: str, facts: Sequence[Sequence[str]]) -> list[int]:
        """Indices of the fact groups found in the answer."""
        text = normalise(answer)
        return [i for i, group in enumerate(facts) if any(normalise(alt) in text for alt in group if alt.strip())]

    def compute(self, answer: str, facts: Sequence[Sequence[str]]) -> Score:
        """Score one answer text against its fact groups."""
        if not facts:
            return Score(self.name, None)
        present = self.present_groups(answer, facts)
        missing = [list(facts[i]) for i in range(len(facts)) if i not in present]
        return Score(self.name, len(present) / len(facts), {"present": len(present), "missing": missing})


@dataclass
class MinFactsReached:
    """1 when the answer holds at least `min_facts` fact groups."""

    name: str = "min_facts"

    def compute(self, answer: str, facts: Sequence[Sequence[str]], min_facts: int) -> Score:
        """Score one answer text."""
        if not facts or min_facts <= 0:
            return Score(self.name, None)
        present = len(FactRecall().present_groups(answer, facts))
        return Score(self.name, 1.0 if present >= min_facts else 0.0, f"{present}/{min_facts}")


def _citation_doc_ids(citations: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(c.get("doc_id", "")) for c in citations]


@dataclass
class GoldCited:
    """1 when any citation comes from a gold article."""

    name: str = "gold_cited"

    def compute(self, citations: Sequence[Mapping[str, Any]], gold: Sequence[str]) -> Score:
        """Score the citations (public JSON dicts with `doc_id`) of one answer."""
        if not gold:
            return Score(self.name, None)
        cited = set(_citation_doc_ids(citations)) & set(gold)
        return Score(self.name, 1.0 if cited else 0.0, sorted(cited))


@dataclass
class CitationPrecision:
    """Share of the citations that come from gold articles (None without citations or gold)."""

    name: str = "citation_precision"

    def compute(self, citations: Sequence[Mapping[str, Any]], gold: Sequence[str]) -> Score:
        """Score the citations of one answer."""
        doc_ids = _citation_doc_ids(citations)
        if not gold or not doc_ids:
            return Score(self.name, None)
        wanted = set(gold)
        good = sum(1 for d in doc_ids if d in wanted)
        return Score(self.name, good / len(doc_ids), f"{good}/{len(doc_ids)}")


@dataclass
class DanglingMarkers:
    """Markers [n] in the answer that name no citation: the count (0 is good)."""

    name: str = "dangling_markers"

    def compute(self, answer: str, citations: Sequence[Mapping[str, Any]]) -> Score:
        """Score one answer text against the citation numbers it carries."""
        numbers = {int(c.get("n", 0)) for c in citations}
        dangling = [n for n in markers(answer) if n not in numbers]
        return Score(self.name, float(len(dangling)), dangling)


@dataclass
class AbstentionScore:
    """Abstaining is right on unanswerable (negative) questions and wrong on the others.

    `value` is 1.0 when the behaviour was right; `detail` names the case: right_abstention,
    wrong_abstention, answered (right) or answered_negative (wrong: an invented answer).
    """

    name: str = "abstention"

    def compute(self, abstained: bool, answerable: bool) -> Score:
        """Score one answer's abstained flag."""
        if answerable:
            return Score(self.name, 0.0 if abstained else 1.0, "wrong_abstention" if abstained else "answered")
        return Score(self.name, 1.0 if abstained else 0.0, "right_abstention" if abstained else "answered_negative")


@dataclass
class AnswerTextMatch:
    """RealTime QA: 1 when any accepted answer text appears in the answer.

    Both are reduced by `answer_key` (case, punctuation, articles, digits against number words)
    and the answer must contain the accepted text: '“Squid Game”' matches 'Netflix renewed Squid
    Game [1].', 'Europe' matches 'the European Union', '$5' matches 'about five dollars'. A number
    must stand as a whole number: '5' does not match '15'.
    """

    name: str = "answer_text_match"

    def compute(self, answer: str, answer_texts: Sequence[str]) -> Score:
        """Score one answer text."""
        wanted = [t for t in answer_texts if answer_key(t)]
        if not wanted:
            return Score(self.name, None)
        text = f" {answer_key(answer)} "
        matched = [t for t in wanted if (f" {answer_key(t)} " if answer_key(t).replace(" ", "").isdigit() else answer_key(t)) in text]
        return Score(self.name, 1.0 if matched else 0.0, matched)


# ----- aggregation ------------------------------------------------------------------------------
@dataclass
class Summary:
    """Mean of a metric over the questions where it applies."""

    name: str
    mean: float | None
    count: int
    total: float = 0.0
    values: list[float] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for reports."""
        return {"mean": self.mean, "count": self.count, "total": self.total}


def summarise(rows: Iterable[Mapping[str, Score]]) -> dict[str, Summary]:
    """Per metric name: mean, number of questions it applied to, and sum, over `rows`."""
    values: dict[str, list[float]] = {}
    for row in rows:
        for name, score in row.items():
            bucket = values.setdefault(name, [])
            if score.value is not None:
                bucket.append(float(score.value))
    return {name: Summary(name, (sum(v) / len(v)) if v else None, len(v), float(sum(v)), v) for name, v in values.items()}


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile of the values (None when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]
