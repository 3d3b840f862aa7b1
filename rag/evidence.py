"""Evidence: the sentences of the retrieved passages that answer the question.

Small models are bad at reading long contexts and worse at admitting ignorance, so the
pipeline decides both outside the model: it scores every sentence of the passages by how
much of the question it covers (IDF-weighted content terms, with the sentence's neighbours
and the article title as context) and how close it is in meaning (embedding cosine). The
best sentences become the model's whole context, the extractive answer, and the basis of
the decision to abstain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from newsrag.index.embed import Encoder
from newsrag.index.instructions import looks_like_instruction
from newsrag.index.sentences import split_sentences
from newsrag.rag.passage import Passage
from newsrag.rag.series import listed_names
from newsrag.rag.specifics import is_vague
from newsrag.rag.terms import TermWeights, content_terms, entity_coverage, question_entities
from newsrag.rag.timeframe import Timeframe, dateline_years, published_before
from newsrag.settings import EvidenceSettings

# The tuned numbers are settings (`EvidenceSettings`, newsrag/settings.py); this is the default.
DEFAULT_SETTINGS = EvidenceSettings()


@dataclass
class EvidenceSentence:
    """One sentence of one passage, scored against the question."""

    passage: int  # index into the passages list
    text: str
    order: int  # position of the sentence within its passage
    coverage: float
    context_coverage: float
    similarity: float = 0.0
    entities: float = 1.0  # share of the question's names that the sentence (or its article's title) mentions
    repeats: bool = False  # says again what the conversation already said
    vague: bool = False  # adds nothing to the question but vague words
    timely: float = 1.0  # 1, or `too_early_factor` for an article published before the time the question names
    entity_floor: float = 0.0  # share kept when it names none of the question's names (see `EvidenceSelector.run`)
    settings: EvidenceSettings = field(default_factory=lambda: DEFAULT_SETTINGS, repr=False, compare=False)

    @property
    def score(self) -> float:
        """How well this sentence answers the question (0..1)."""
        s = self.settings
        base = (
            s.coverage_weight * self.coverage + s.context_weight * self.context_coverage + s.similarity_weight * max(self.similarity, 0.0)
        )
        entities = self.entity_floor + (1.0 - self.entity_floor) * self.entities
        return base * entities * self.timely * (s.repeat_factor if self.repeats else 1.0)


def repeats_said(terms: set[str], said_terms: set[str], share: float) -> bool:
    """Whether a sentence's `terms` say again what the conversation already said: at least `share`
    (`EvidenceSettings.repeated_share`) of the previous answer's terms."""
    return bool(said_terms) and len(terms & said_terms) >= share * len(said_terms)


@dataclass
class Evidence:
    """The ranked evidence for a question (whether it answers the question: rag/answerability.py)."""

    sentences: list[EvidenceSentence] = field(default_factory=list)  # best first
    settings: EvidenceSettings = field(default_factory=lambda: DEFAULT_SETTINGS, repr=False)
    parties: bool = False  # the question names two or more: whether the collection answers it, they decide

    @property
    def best_score(self) -> float:
        return self.sentences[0].score if self.sentences else 0.0

    def judged(self) -> "Evidence":
        """The evidence by which to judge whether the question is answered at all (rag/answerability.py).

        A question that names two parties or more ("What has Iran supplied to China?") asks about
        their dealings: a sentence naming only one of them is about other dealings, and may not
        make the question answerable ("Iran has been a crucial supplier of attack drones for
        Russia"). Here the names are a gate: each sentence keeps only the share of the names it
        holds. What the model reads first is ranked with `entity_floor` all the same: the sentence
        that answers may name a party by a word the question does not use, the citation check
        holds every name of the answer to its source, and it drops a sentence about other dealings
        (rag/specifics.py `about_other_dealings`).
        """
        if not self.parties:
            return self
        gated = sorted((replace(s, entity_floor=0.0) for s in self.sentences), key=lambda s: s.score, reverse=True)
        return Evidence(sentences=gated, settings=self.settings)

    def bearing(self) -> list[EvidenceSentence]:
        """The sentences that bear on the question (`relevant_share` of the best score), best first."""
        return [s for s in self.sentences if s.score >= self.settings.relevant_share * self.best_score]

    def relevant(self) -> dict[int, list[str]]:
        """Per passage, the sentences that bear on the question: the only ones that may support a claim."""
        found: dict[int, list[str]] = {}
        for sentence in self.bearing():
            found.setdefault(sentence.passage, []).append(sentence.text)
        return found

    def top(self, limit: int | None = None) -> list[EvidenceSentence]:
        """The best sentences (`max_evidence_sentences` unless `limit`), near-duplicates dropped."""
        limit = limit or self.settings.max_evidence_sentences
        chosen: list[EvidenceSentence] = []
        seen_terms: list[set[str]] = []
        for sentence in self.sentences:
            terms = set(content_terms(sentence.text))
            if any(_jaccard(terms, other) > self.settings.near_duplicate for other in seen_terms):
                continue
            chosen.append(sentence)
            seen_terms.append(terms)
            if len(chosen) >= limit:
                break
        return chosen


def is_question(sentence: str) -> bool:
    """Whether a sentence asks rather than reports ("Was the bridge really destroyed?",
    a headline or a reader's question in an explainer): it states nothing a claim could rest on."""
    return sentence.rstrip(" \"'”’)]").endswith("?")


def timeliness(passages: list[Passage], frame: Timeframe | None, too_early: float) -> list[float]:
    """Per passage, the share of its sentences' scores kept for the time it was published.

    An article cannot report what happened after it was published. When a question names a time
    ("this week", "yesterday", "in April 2023") and some passage was published in it or later, a
    sentence of an article published before it (the same kind of story from another year, or the
    plans before the event) keeps only `too_early` of its score, an undated one halfway. Later
    coverage keeps its whole score: it may look back on the time asked about.
    """
    if frame is None or frame.start is None or too_early >= 1.0:
        return [1.0] * len(passages)
    early = [published_before(p.published, frame) for p in passages]
    if not any(found is False for found in early):
        return [1.0] * len(passages)
    return [1.0 if found is False else (1.0 + too_early) / 2 if found is None else too_early for found in early]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class EvidenceSelector:
    """Score the passages' sentences against a question.

    >>> selector = EvidenceSelector(encoder, TermWeights.from_keyword_index(store.keyword_index()))  # doctest: +SKIP
    >>> evidence = selector.run("Who is Fazlullah Nozari?", passages)  # doctest: +SKIP
    >>> evidence.sentences[0].text  # doctest: +SKIP
    'A senior commander of the Islamic Revolutionary Guard Corps, Fazlullah Nozari, told ...'
    """

    def __init__(self, encoder: Encoder, weights: TermWeights, settings: EvidenceSettings = DEFAULT_SETTINGS) -> None:
        self.encoder = encoder
        self.weights = weights
        self.settings = settings

    def run(
        self,
        question: str,
        passages: list[Passage],
        focus: str | None = None,
        said: str = "",
        read_series: bool = False,
        frame: Timeframe | None = None,
    ) -> Evidence:
        """Every usable sentence of the passages, scored and ranked, best first.

        `question` is the standalone question; `focus` the user's own words when it was
        condensed from a follow-up (they weigh double, and the names the answer must be about
        come from them); `said` what the conversation already answered. Only the sentences that
        share most words with the question are compared in meaning (`max_embedded_sentences`);
        with `read_series` (a list question), so is every sentence that lists names in a series
        (rag/series.py): the list asked for often repeats few of the question's words. `frame`:
        the time the question names (rag/timeframe.py); see `timeliness`.
        """
        focus = focus if focus is not None else question
        timely = timeliness(passages, frame, self.settings.too_early_factor)
        wanted = content_terms(question)
        emphasis = set(content_terms(focus)) if focus != question else set()
        entities = question_entities(focus)
        # The names set the scene ("Which Ivy League school ...?"): the sentence that answers may leave them out.
        # Two or more are parties besides, and judge whether the question is answered at all (`Evidence.judged`).
        entity_floor = self.settings.entity_floor
        said_terms = set(content_terms(said))
        scored: list[EvidenceSentence] = []
        seen: set[tuple[str, str]] = set()
        for p_index, passage in enumerate(passages):
            sentences = [s.text for s in split_sentences(passage.text)]
            title_terms = set(content_terms(passage.title))
            sentence_terms = [
                {*content_terms(s), *dateline_years(s, passage.published)} for s in sentences
            ]  # "this year" reads as its year
            for order, text in enumerate(sentences):
                if (
                    len(text) < self.settings.min_sentence_chars
                    or (passage.doc_id, text) in seen
                    or looks_like_instruction(text)
                    or is_question(text)
                ):
                    continue  # overlapping chunks repeat sentences; text addressed to an AI, or a question, is never evidence
                seen.add((passage.doc_id, text))
                terms = sentence_terms[order]
                context = set(title_terms) | terms
                for neighbour in (order - 1, order + 1):
                    if 0 <= neighbour < len(sentences):
                        context |= sentence_terms[neighbour]
                scored.append(
                    EvidenceSentence(
                        passage=p_index,
                        text=text,
                        order=order,
                        coverage=self.weights.coverage(wanted, terms, emphasis, skip_unknown=True),
                        context_coverage=self.weights.coverage(wanted, context, emphasis, skip_unknown=True),
                        entities=entity_coverage(entities, terms | title_terms),
                        repeats=repeats_said(terms, said_terms, self.settings.repeated_share),
                        vague=is_vague(focus, text),
                        timely=timely[p_index],
                        entity_floor=entity_floor,
                        settings=self.settings,
                    )
                )
        if any(not s.vague for s in scored):  # a copy editor's rule: a vague sentence never displaces a specific one
            scored = [s for s in scored if not s.vague]
        if not scored or not wanted:
            return Evidence(settings=self.settings)
        scored.sort(key=lambda s: (-(s.coverage + s.context_coverage), s.passage))  # ties: better passages first
        embedded = scored[: self.settings.max_embedded_sentences]
        if read_series:
            embedded += [s for s in scored[self.settings.max_embedded_sentences :] if listed_names(s.text)]
        for sentence, similarity in zip(embedded, self._similarities(question, [s.text for s in embedded])):
            sentence.similarity = float(similarity)
        embedded.sort(key=lambda s: s.score, reverse=True)
        return Evidence(sentences=embedded, settings=self.settings, parties=len(entities) >= 2)

    def _similarities(self, question: str, sentences: list[str]) -> np.ndarray:
        vectors = self.encoder.encode([question, *sentences], batch_size=64)
        return vectors[1:] @ vectors[0]
