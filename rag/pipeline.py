"""The answer pipeline: condense -> retrieve -> select evidence -> generate -> verify citations.

The model (if any) only writes; deciding whether the articles answer the question, what it
may read, and whether what it wrote is supported all happen here, the same way for every
backend. `stream()` yields tokens as they come and then the verified `Answer`, whose text can
differ from the streamed draft (citations repaired, unsupported sentences removed).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from newsrag.rag.answer import Answer, Citation
from newsrag.rag.answerability import AnswerabilityModel, Verdict
from newsrag.rag.citations import CitationChecker, VerifiedAnswer, markers_to_sentence_end
from newsrag.rag.claims import build_claims, with_disputes
from newsrag.rag.completion import AnswerCompleter, question_form
from newsrag.rag.condense import condense_by_rule, condense_with_llm
from newsrag.rag.context import ContextBlock, choose_context
from newsrag.rag.dating import with_dates
from newsrag.rag.evidence import Evidence, EvidenceSelector
from newsrag.rag.extractive import compose
from newsrag.rag.naming import with_full_names
from newsrag.rag.passage import Filters, Passage
from newsrag.rag.prompts import ABSTAIN_ANSWER, SOURCE_LINE, SYSTEM_PROMPT, USER_PROMPT
from newsrag.rag.retrieve import holds_news_week
from newsrag.rag.specifics import adds_to_question, names_kind_asked
from newsrag.rag.terms import StoreTermWeights
from newsrag.rag.timeframe import Timeframe, old_news, parse_as_of, resolve
from newsrag.settings import Settings

MAX_QUESTION_CHARS = 2000
# Phrases by which a model says the sources do not answer (about the sources, so that a real
# answer such as "China does not provide weapons" is not taken for one).
MODEL_ABSTAINS = re.compile(
    r"\b(?:sources?|articles?|passages?|context|texts?|information (?:given|provided))\b[^.]{0,40}?\b(?:don't|do not|does not|doesn't|did not) "
    r"(?:say|mention|contain|provide|state|specify|include|give)|"
    r"\bnot (?:mentioned|stated|specified|given|provided|found) in the (?:sources|articles|passages|context)|\bno information\b|"
    r"\b(?:I|we) (?:cannot|can't|could not|am unable to|are unable to) (?:find|answer|determine|tell)",
    re.I,
)

# Added to a yes/no question to find the other side: the words a newsroom uses for a denial or a
# missing confirmation (rag/claims.py's DISPUTE reads the same vocabulary).
OTHER_SIDE_QUERY = "denied false no evidence not confirmed disputed"


class AnswerError(ValueError):
    """The question cannot be answered as given (empty, too long, not text)."""


@dataclass
class StreamEvent:
    """One step of a streamed answer: a status line, a token of the draft, or the final answer."""

    kind: str  # "status" | "token" | "answer"
    text: str = ""
    answer: Answer | None = None


def check_question(question: str) -> str:
    """The question, stripped; a clear error for empty, enormous or binary input."""
    if not isinstance(question, str):
        raise AnswerError("the question must be text")
    cleaned = question.strip()
    if not cleaned:
        raise AnswerError("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise AnswerError(f"the question is too long ({len(cleaned):,} characters; at most {MAX_QUESTION_CHARS:,})")
    unreadable = sum(1 for ch in cleaned if not ch.isprintable() and ch not in "\n\t")
    if unreadable > len(cleaned) // 10:
        raise AnswerError("the question is not readable text")
    return cleaned


@dataclass
class AnswerJob:
    """One answer being written: what it rests on, and the record it keeps as it goes.

    `notes` and `timings` are the answer's own (filled in here); `passages` grows when `widen`
    reads the best articles whole for a list or yes/no answer (earlier numbers stay valid).
    """

    question: str  # the standalone question
    form: str  # the shape of answer the user's own words ask for: "single", "list" or "yes_no" (rag/completion.py)
    passages: list[Passage]
    evidence: Evidence
    llm: Any | None  # None: quote the evidence (extractive)
    widen: Callable[[str], tuple[list[Passage], Evidence]]  # form -> passages read wider, and their evidence
    notes: list[str]
    timings: dict[str, float]
    began: float  # time.perf_counter() when writing began
    checked_only: bool = False  # borderline evidence: only a model answer that passes every check stands, nothing is quoted
    said: str = ""  # a follow-up's previous answer: what the reader has already been told
    frame: Timeframe | None = None  # the time the question names (rag/timeframe.py)
    _wide: dict[str, Evidence] = field(default_factory=dict)

    def wide_evidence(self, form: str | None = None) -> Evidence:
        """The evidence of the best articles read whole (`_widen`), read once per form and kept:
        the fallback and the completer may both ask for it."""
        form = form or self.form
        if form not in self._wide:
            _, self._wide[form] = self.widen(form)
        return self._wide[form]


class AnswerPipeline:
    """Answer questions over the store with verified citations.

    >>> pipeline = open_pipeline(load_settings({"llm": {"backend": "extractive"}}))  # newsrag.components; doctest: +SKIP
    >>> answer = pipeline.run("What has Iran given Russia?")  # doctest: +SKIP
    >>> answer.answer  # doctest: +SKIP
    'National Security Council spokesperson John Kirby noted that Iran already has been providing Russia ... [1].'
    """

    def __init__(self, settings: Settings, store, encoder, retriever) -> None:
        """The parts come built (`newsrag.components.open_pipeline` builds them from the settings):
        the answer stage reads the store, it does not decide how a store is opened."""
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.retriever = retriever
        self._llms: dict[str, object] = {}
        self._llm_lock = threading.Lock()
        self._term_weights = StoreTermWeights(self.store)
        self.answerability = AnswerabilityModel(settings.answer.abstention)

    # ----- public -------------------------------------------------------------------------------
    def run(
        self,
        question: str,
        history: Sequence[Sequence[str]] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        backend: str | None = None,
        as_of: str | dt.date | None = None,
    ) -> Answer:
        """Answer one question (with earlier turns for follow-ups) as of a date (default: today)."""
        for event in self.stream(question, history, filters, top_k, backend, as_of):
            if event.kind == "answer":
                return event.answer
        raise AssertionError("the pipeline ended without an answer")  # stream() always ends with one

    def stream(
        self,
        question: str,
        history: Sequence[Sequence[str]] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        backend: str | None = None,
        as_of: str | dt.date | None = None,
    ) -> Iterator[StreamEvent]:
        """Answer one question, yielding draft tokens as they come and the verified answer last.

        `as_of` (default: today) is the date the question is asked on: nothing published after it
        is used, and "this week" or "in June" mean the week or the June before it.
        """
        question = check_question(question)
        try:
            as_of = parse_as_of(as_of)
        except ValueError as exc:
            raise AnswerError(f"as_of: {exc}") from None
        history = [tuple(turn[:2]) for turn in history if len(turn) >= 2]
        backend, llm, notes = self._backend(backend)
        began = time.perf_counter()
        terms = self.settings.answer.follow_up_terms
        standalone = condense_with_llm(question, history, llm, terms) if llm is not None else condense_by_rule(question, history, terms)
        yield StreamEvent("status", "searching the articles")
        passages, evidence, verdict = self.gather(question, standalone, history, filters, top_k, as_of)
        timings = {"retrieve_s": time.perf_counter() - began}
        answer = Answer(
            question=question,
            answer="",
            abstained=False,
            standalone_question=standalone,
            backend=backend,
            notes=notes,
            as_of=as_of.isoformat(),
        )
        answer.answerability = round(verdict.probability, 4)
        generate_began = time.perf_counter()
        if not verdict.answerable and not (verdict.borderline and llm is not None):
            yield StreamEvent("token", ABSTAIN_ANSWER)
            answer.answer, answer.abstained = ABSTAIN_ANSWER, True
        else:
            form = question_form(question)  # "Which one is it?" asks for one, however plural the question it follows
            job = AnswerJob(
                question=standalone,
                form=form,
                passages=passages,
                evidence=evidence,
                llm=llm,
                widen=functools.partial(self._widen, question, standalone, history, passages, filters, as_of),
                notes=answer.notes,
                timings=timings,
                began=generate_began,
                checked_only=not verdict.answerable,
                said=history[-1][1] if history else "",
                frame=resolve(standalone, as_of),
            )
            verified = yield from self._generate(job)
            self._fill(answer, verified, job.passages, job.frame)
            self._drop_old_news(answer, job.frame)
        timings["generate_s"] = time.perf_counter() - generate_began
        timings["total_s"] = time.perf_counter() - began
        answer.timings = timings
        yield StreamEvent("answer", answer=answer)

    def gather(
        self,
        question: str,
        standalone: str,
        history: Sequence[Sequence[str]] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
        as_of: dt.date | None = None,
    ) -> tuple[list[Passage], Evidence, Verdict]:
        """Retrieve for the standalone question, score its evidence and decide whether to answer.

        Public so that evaluation measures exactly what answering uses (`newsrag eval calibrate`).
        """
        passages = self.retriever.run(standalone, top_k=top_k or self.settings.retrieval.top_k, filters=filters, as_of=as_of)
        frame = resolve(standalone, as_of) if as_of is not None else None
        evidence = self._select_evidence(question, standalone, history, passages, frame=frame)
        judged = _judged_question(question, standalone, history)
        verdict = self.answerability.run(judged, evidence.judged(), passages, self._term_weights(), frame)
        return passages, evidence, verdict

    def context(self, evidence: Evidence, passages: list[Passage]) -> list[ContextBlock]:
        """The evidence the model reads (rag/context.py), under this pipeline's settings."""
        a = self.settings.answer
        return choose_context(evidence, passages, a.prompt_words, a.prompt_anchors, a.anchor_share, a.neighbours)

    def warm_up(self) -> None:
        """Load the encoder, keyword index and default model now, so the first question is not slowed by loading.

        The embedded model also reads the system prompt once: llama.cpp keeps what it read of the
        last prompt, so the first question then reads only its sources (about 2 s less on 2 cores).
        """
        self.encoder.encode(["warm up"])
        self.store.keyword_index()
        _, llm, _ = self._backend(None)
        load = getattr(llm, "load", None)
        if callable(load):
            load()
            from llama_index.core.llms import ChatMessage

            llm.chat([ChatMessage(role="system", content=SYSTEM_PROMPT), ChatMessage(role="user", content="SOURCES:")], max_tokens=1)

    # ----- steps --------------------------------------------------------------------------------
    def _widen(
        self,
        question: str,
        standalone: str,
        history,
        passages: list[Passage],
        filters: Filters | None,
        as_of: dt.date,
        form: str,
    ) -> tuple[list[Passage], Evidence]:
        """The best articles read whole: the passages with the rest of those articles' chunks
        appended (so earlier passage numbers stay valid), and their evidence. Called after the model
        has written (the reader's first token does not wait for it); it extends `passages` in place,
        so that the answer's citations can name the added chunks.

        Items of a list and the denial of a claim are rarely in the chunk that matches the question
        best; they are further down the same articles, or in another article that disputes it (a
        yes/no question also retrieves with the words of denial, `OTHER_SIDE_QUERY`). A single-fact
        question is read whole only when neither the model's answer nor the best sentences held the
        answer (the lede that answers it often shares few words with the question).
        """
        c = self.settings.answer.completion
        wider = self.retriever.run(standalone, top_k=c.wide_passages, filters=filters, as_of=as_of)
        articles = list(dict.fromkeys(p.doc_id for p in [*passages, *wider]))[: c.wide_articles]
        have = {p.chunk_id for p in passages}
        extra: list[Passage] = []
        if form == "yes_no":  # a reporter asks for the other side too: the passages that deny or doubt the claim
            for passage in self.retriever.run(f"{standalone} {OTHER_SIDE_QUERY}", top_k=c.wide_passages, filters=filters, as_of=as_of):
                if passage.chunk_id not in have:
                    extra.append(passage)
                    have.add(passage.chunk_id)
        for doc_id in articles:
            for chunk in self.store.document_chunks(doc_id):
                if chunk.chunk_id not in have and len(extra) < c.wide_chunks:
                    extra.append(Passage.from_stored(chunk.chunk_id, chunk.text, chunk.metadata, 0.0))
                    have.add(chunk.chunk_id)
        passages.extend(extra)
        frame = resolve(standalone, as_of)
        return passages, self._select_evidence(question, standalone, history, passages, read_series=form == "list", frame=frame)

    def _generate(self, job: AnswerJob) -> Iterator[StreamEvent]:
        """Write the answer (model or quotes), check it, complete it; yields tokens, returns the checked answer."""
        question, passages, evidence, llm, notes, timings, began = (
            job.question, job.passages, job.evidence, job.llm, job.notes, job.timings, job.began
        )  # fmt: skip
        as_of = job.frame.as_of if job.frame is not None else None
        checker = CitationChecker(self._term_weights(), self.encoder, True, self.settings.answer.citations, as_of)
        relevant = evidence.relevant()

        def allow(passage: int, sentences) -> None:  # sentences that may now support a claim
            allowed = relevant.setdefault(passage, [])
            allowed.extend(t for t in sentences if t not in allowed)

        disputed = [(s.passage, s.text) for s in evidence.top() if s.score >= self.settings.answer.anchor_share * evidence.best_score]

        def checked(text: str) -> VerifiedAnswer:  # markers: 1-based passage numbers; denials on its topic added
            return checker.run(with_disputes(text, disputed, question), passages, relevant, question)

        def completed(draft: VerifiedAnswer, from_nothing: bool = False) -> VerifiedAnswer:  # what the draft leaves out
            before = _in_passage_numbers(draft) if draft.cited else ""
            if not before and job.form != "yes_no" and not from_nothing:  # an empty yes/no draft may still get what the sources report
                return draft
            wide_evidence = job.wide_evidence() if job.form != "single" else Evidence()
            source = wide_evidence if wide_evidence.sentences else evidence
            completion = self._completer().run(question, before, source, passages, self._term_weights(), job.form, job.frame)
            if completion.text == before:
                return draft
            if not completion.text:  # it only restated a yes/no question, and no source reports on it
                return checked(self._quoted(evidence, job.said)) if before else draft
            for passage, sentence in completion.added:
                allow(passage, [sentence])
            return checked(completion.text)

        if llm is None:  # checked before it is shown: the reader sees the final numbering
            verified = completed(checked(self._quoted(evidence, job.said)))
            yield StreamEvent("token", verified.text)
            timings.setdefault("first_token_s", time.perf_counter() - began)
            return verified
        blocks = self.context(evidence, passages)
        for block in blocks:  # what the model read may support what it wrote
            allow(block.passage, block.sentences.values())
        shown, prompt = self._prompt(question, passages, blocks)
        draft = ""
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role="system", content=SYSTEM_PROMPT), ChatMessage(role="user", content=prompt)]
        for response in llm.stream_chat(messages):
            delta = response.delta or ""
            if delta:
                timings.setdefault("first_token_s", time.perf_counter() - began)
                draft += delta
                yield StreamEvent("token", delta)
        verified = checked(_to_passage_numbers(markers_to_sentence_end(draft), shown))
        notes.extend(verified.notes)

        def answers(candidate: VerifiedAnswer) -> bool:  # names something the question lacks, of the kind it asks for
            return adds_to_question(question, candidate.text, job.said) and names_kind_asked(question, candidate.text, job.said)

        if job.checked_only:  # borderline evidence: the model's answer stands only if the whole of it passes every check
            if not verified.removed and not verified.trimmed and verified.cited and answers(verified) and not MODEL_ABSTAINS.search(draft):
                notes.append("the evidence was borderline; the model's answer passed every check")
                return completed(verified)
            notes.append("the evidence was borderline and the model's answer did not pass every check")
            return VerifiedAnswer(text="")
        # "how many" answered with no figure, "which country" with a person: not an answer, however well cited
        if not verified.cited or MODEL_ABSTAINS.search(draft) or not answers(verified):
            quoted = checked(self._quoted(evidence, job.said))
            if checker.answers(question, quoted) and names_kind_asked(question, quoted.text, job.said):
                notes.append("the model's answer was not supported by the passages or did not answer; quoting them instead")
                return completed(quoted)
            if job.form != "yes_no":  # the answer may be further down the best articles: read them whole
                wide = job.wide_evidence("list")  # read whole as for a list (no search for the other side)
                for passage, sentences in wide.relevant().items():
                    allow(passage, sentences)
                quoted = checked(self._quoted(wide, job.said)) if wide.sentences else VerifiedAnswer(text="")
                if quoted.cited and checker.answers(question, quoted) and answers(quoted):
                    notes.append("the model's answer was not supported by the passages; quoting the best articles read whole instead")
                    return completed(quoted)
            if job.form == "list" and verified.cited:  # a cited draft naming none of the things asked ("which countries")
                listed = completed(VerifiedAnswer(text=""), from_nothing=True)
                if listed.cited and answers(listed):
                    notes.append("the model's answer named none of the things asked for; listing those the passages name instead")
                    return listed
            sides = completed(VerifiedAnswer(text=""))  # a yes/no question: what the sources on its topic report
            if sides.cited:
                notes.append("the model's answer was not supported by the passages; quoting what they report on the question instead")
                return sides
            notes.append("the model's answer was not supported by the passages, and no passage covers the question")
            return VerifiedAnswer(text="")
        return completed(verified)

    def _select_evidence(
        self, question: str, standalone: str, history, passages: list[Passage], read_series: bool = False, frame: Timeframe | None = None
    ) -> Evidence:
        """Score sentences against the user's words; a follow-up adds the previous question's
        words (not the previous answer's, which the user has already read). When a model rewrote
        the follow-up ("What nickname was he known by?" -> "... was Viktor Bout known by?"), its
        rewrite is what the sentences must answer: it names whom "he" means."""
        if standalone == question or not history:
            return self._selector().run(question, passages, read_series=read_series, frame=frame)
        previous_question, previous_answer = history[-1]
        focus = standalone if _judged_question(question, standalone, history) == standalone else question
        return self._selector().run(
            f"{focus} {previous_question}", passages, focus=focus, said=previous_answer, read_series=read_series, frame=frame
        )

    def _prompt(self, question: str, passages: list[Passage], blocks: list[ContextBlock]) -> tuple[list[int], str]:
        """Sources block of the chosen context, the passage of the best sentence first.

        Best first because small models lean on source [1]: it should be the one that answers.
        """
        lines = []
        for number, block in enumerate(blocks, 1):
            passage = passages[block.passage]
            # outlet and date only: a small model copies a headline into its answer as if it were a finding
            meta = "; ".join(x for x in (passage.source, passage.published) if x) or "article"
            text = block.text.replace("[", "(").replace("]", ")")  # no fake markers from articles
            lines.append(SOURCE_LINE.format(n=number, meta=meta, text=text))
        return [b.passage for b in blocks], USER_PROMPT.format(sources="\n".join(lines), question=question)

    def _fill(self, answer: Answer, verified: VerifiedAnswer, passages: list[Passage], frame: Timeframe | None = None) -> None:
        if not verified.cited:
            answer.answer, answer.abstained = ABSTAIN_ANSWER, True
            return
        answer.answer = verified.text
        answer.citations = [
            Citation(n=n, passage=passages[index], sentences=verified.highlights.get(index, []))
            for n, index in enumerate(verified.cited, 1)
        ]
        cited_sentences = {c.n: c.sentences for c in answer.citations}
        answer.answer = with_full_names(answer.answer, cited_sentences)
        counted_back = frame.start if frame is not None and frame.relative else None  # "this week": older news says when
        answer.answer = with_dates(answer.answer, {c.n: c.passage.published for c in answer.citations}, counted_back)
        answer.claims = build_claims(answer.answer, cited_sentences)

    def _drop_old_news(self, answer: Answer, frame: Timeframe) -> None:
        """Abstain when an answer rests only on coverage older than the news its question asks about
        by more than `stale_after_days` (rag/timeframe.old_news): the days counted back by its time
        words, or, for a question naming no time asked of an archive that holds the news of its
        week, that week. A note gives the newest source's date, so the reader can ask about that time."""
        stale_days = self.settings.answer.stale_after_days
        newest = old_news([c.passage.published for c in answer.citations], frame, stale_days)
        if newest is None:
            return
        if not frame.window and not holds_news_week(self.store.keyword_index(), frame.as_of, self.settings.retrieval.week_days):
            return
        answer.notes.append(
            f"the answer rested only on articles from {newest.isoformat()} or before, more than {stale_days} days before the "
            f"news asked about ({frame.news_from.isoformat()} on): old news is not an answer to it (ask about that time to read it)"
        )
        answer.answer, answer.abstained, answer.citations, answer.claims = ABSTAIN_ANSWER, True, [], []

    def _backend(self, requested: str | None):
        """The backend to use and its LLM (None for extractive); falls back to extractive when the model is missing."""
        from newsrag.rag.backends import BackendError, get_llm

        name = requested or self.settings.llm.backend
        notes: list[str] = []
        if name == "extractive":
            return name, None, notes
        with self._llm_lock:
            if name not in self._llms:
                llm_settings = self.settings.llm.model_copy(update={"backend": name})
                try:
                    self._llms[name] = get_llm(llm_settings, self.settings.home)
                except BackendError as exc:
                    if name != "local" or self.settings.llm.model_path is not None:
                        raise
                    self._llms[name] = None
                    notes.append(f"no local model installed ({exc}); answering by quoting the articles")
        llm = self._llms[name]
        return (name if llm is not None else "extractive"), llm, notes

    def _quoted(self, evidence: Evidence, said: str = "") -> str:
        """The extractive answer under this pipeline's settings (markers: passage numbers), not
        quoting again what a follow-up's previous answer (`said`) told the reader."""
        return compose(evidence, self.settings.answer.quoted_sentences, self.settings.answer.quoted_share, said)

    def _completer(self) -> AnswerCompleter:
        c = self.settings.answer.completion
        return AnswerCompleter(c.max_items, c.min_new_terms, c.side_sources, c.name_item_share, c.item_noun_window)

    def _selector(self) -> EvidenceSelector:
        return EvidenceSelector(self.encoder, self._term_weights(), self.settings.answer.evidence)


def _judged_question(question: str, standalone: str, history: Sequence[Sequence[str]]) -> str:
    """The question whose answerability is judged: the model's standalone rewrite of a follow-up;
    without a model, the user's question with their previous question (never an earlier answer)."""
    if standalone == question or not history:
        return question
    if not standalone.startswith(question + " ("):  # a rewrite, not the rule's question-plus-last-turn string
        return standalone
    return f"{question} {history[-1][0]}"


def _in_passage_numbers(verified: VerifiedAnswer) -> str:
    """A checked answer's text with its citation numbers turned back into 1-based passage numbers."""
    return _to_passage_numbers(verified.text, verified.cited)


def _to_passage_numbers(draft: str, shown: list[int]) -> str:
    """Map the prompt's source numbers back to passage numbers (1-based); unknown numbers become 0."""

    def replace(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"[,;]\s*", match.group(1))]
        mapped = [shown[n - 1] + 1 if 1 <= n <= len(shown) else 0 for n in numbers]
        return "[" + ", ".join(str(n) for n in mapped) + "]"

    return re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]", replace, draft)
