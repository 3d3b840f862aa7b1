"""Answerability: the probability that the retrieved articles answer the question.

A small model will answer anything, so whether to answer at all is decided here, outside it.
The decision is a logistic score over a few measurements of the evidence, with weights fitted
by `newsrag eval calibrate` on labelled cases (RealTime QA questions over a store that holds
their articles, the same questions with those articles excluded, the seed and written sets),
fitted on one half of the questions and reported on the other. The fitted numbers live in
`AnswerSettings` (newsrag/settings.py) with the figures they gave.

Every feature is a rule a journalist would use on any archive: does a sentence cover the
question's words, is it close in meaning, does it name the question's names, does one article
cover the whole question, and is some rare word of the question nowhere to be found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from newsrag.rag.evidence import Evidence
from newsrag.rag.passage import Passage
from newsrag.rag.specifics import Specifics, asked_kind
from newsrag.rag.terms import (
    TermWeights,
    content_terms,
    entity_coverage,
    question_entities,
    term_present,
)
from newsrag.rag.timeframe import Timeframe, published_in

# The features, in the order of the fitted weights.
FEATURES = (
    "best_score",  # the best sentence's evidence score
    "best_coverage",  # IDF-weighted share of the question's words in that sentence
    "top_similarity",  # the highest embedding cosine of any sentence to the question
    "best_entities",  # share of the question's names that the best sentence (or its title) names
    "article_coverage",  # the best share of the question's words that one article's passages hold
    "article_entities",  # the best share of the question's names that one article's passages name
    "missing_rarity",  # the rarest word of the question's names that no passage holds (IDF scaled 0..1; 0 when none is missing)
    "candidate",  # share of the best sentences holding a specific of the kind asked for that the question lacks
    "in_window",  # share of the best sentences from articles of the time the question counts back ("this week"; else 1)
)


@dataclass
class Verdict:
    """Whether to answer: the calibrated probability, the decision, and what it was computed from."""

    probability: float
    answerable: bool
    features: dict[str, float] = field(default_factory=dict)
    borderline: bool = False  # below the threshold but not below the model floor: a model's answer may stand if it passes every check


def measure(
    question: str,
    evidence: Evidence,
    passages: list[Passage],
    weights: TermWeights,
    candidate_sentences: int = 3,
    frame: Timeframe | None = None,
) -> dict[str, float]:
    """The answerability features of `question` against its evidence and passages (`candidate_sentences`:
    `AbstentionSettings.candidate_sentences`; `frame`: the time the question names, rag/timeframe.py)."""
    wanted = content_terms(question)
    entities = question_entities(question)
    best = evidence.sentences[0] if evidence.sentences else None
    by_article: dict[str, set[str]] = {}
    for passage in passages:
        terms = by_article.setdefault(passage.doc_id, set(content_terms(passage.title)))
        terms.update(content_terms(passage.text))
    every = set().union(*by_article.values()) if by_article else set()
    # a missing name is what makes a question unanswerable; a missing common word may be paraphrased
    named = {t for words in entities for t in words}
    missing = [t for t in named if not term_present(t, every)]
    top_weight = math.log(1.0 + (weights.documents + 0.5) / 0.5)
    return {
        "best_score": best.score if best else 0.0,
        "best_coverage": best.coverage if best else 0.0,
        "top_similarity": max((s.similarity for s in evidence.sentences), default=0.0),
        "best_entities": best.entities if best else 0.0,
        "article_coverage": max((weights.coverage(wanted, terms, skip_unknown=True) for terms in by_article.values()), default=0.0),
        "article_entities": max((entity_coverage(entities, terms) for terms in by_article.values()), default=0.0),
        "missing_rarity": max((weights.weight(t) for t in missing), default=0.0) / top_weight,
        "candidate": candidate_share(question, evidence, candidate_sentences),
        "in_window": window_share(evidence, passages, frame, candidate_sentences),
    }


def window_share(evidence: Evidence, passages: list[Passage], frame: Timeframe | None, sentences: int = 3) -> float:
    """Share of the best sentences that come from articles published in the time the question counts
    back from its date ("this week", "yesterday"): an archive that holds only older coverage of the
    topic does not answer what happened this week. 1 when the question names no such time (a named
    date names an event, which coverage may discuss months later); an undated article counts half."""
    if frame is None or not frame.window or not frame.relative:
        return 1.0
    top = evidence.sentences[:sentences]
    if not top:
        return 0.0
    inside = [published_in(passages[s.passage].published, frame) for s in top]
    return sum(0.5 if found is None else float(found) for found in inside) / len(top)


def candidate_share(question: str, evidence: Evidence, sentences: int = 3) -> float:
    """Share of the best sentences that hold something of the kind the question asks for (a number for
    "how many", a date for "when", a name otherwise) that the question itself does not name."""
    kind = asked_kind(question)
    top = evidence.sentences[:sentences]
    if not top:
        return 0.0
    found = 0
    for sentence in top:
        new = Specifics.of(sentence.text).minus(question)
        if (
            (kind == "number" and new.numbers)
            or (kind == "date" and (new.months or new.numbers))
            or (kind == "name" and (new.names or new.numbers))
        ):
            found += 1
    return found / len(top)


class AnswerabilityModel:
    """Logistic score over `FEATURES` with fitted weights; answers when it reaches the threshold.

    Between `model_floor` and the threshold the verdict is borderline: the evidence alone does not
    justify an answer, but a model's answer that passes every check (each sentence supported by
    the sentence it cites, naming what was asked) does; the pipeline abstains otherwise.

    >>> model = AnswerabilityModel(settings.answer.abstention)  # doctest: +SKIP
    >>> model.run(question, evidence, passages, weights).answerable  # doctest: +SKIP
    True
    """

    def __init__(self, settings) -> None:
        self.intercept = settings.intercept
        self.weights = dict(settings.weights)
        self.threshold = settings.threshold
        self.model_floor = settings.threshold if settings.model_floor is None else min(settings.model_floor, settings.threshold)
        self.candidate_sentences = settings.candidate_sentences

    def probability(self, features: dict[str, float]) -> float:
        """The calibrated probability that the articles answer the question."""
        z = self.intercept + sum(self.weights.get(name, 0.0) * features.get(name, 0.0) for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def run(
        self, question: str, evidence: Evidence, passages: list[Passage], weights: TermWeights, frame: Timeframe | None = None
    ) -> Verdict:
        """The verdict for one question (no evidence at all: not answerable); `frame`: the time it names."""
        if not evidence.sentences:
            return Verdict(0.0, False, {})
        features = measure(question, evidence, passages, weights, self.candidate_sentences, frame)
        probability = self.probability(features)
        return Verdict(probability, probability >= self.threshold, features, self.model_floor <= probability < self.threshold)
