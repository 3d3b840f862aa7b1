"""Follow-up questions made standalone before retrieval.

"Which system might it be?" means nothing to a retriever; with the conversation it means
"which air-defense system might Wagner provide to Hezbollah?". An LLM rewrites it when one is
configured; otherwise (and when the LLM's rewrite looks wrong) a rule adds the previous
turn's content words to the question.
"""

from __future__ import annotations

import re
from typing import Sequence

from newsrag.rag.prompts import CONDENSE_PROMPT
from newsrag.rag.terms import content_terms

History = Sequence[Sequence[str]]

# Words that point back into the conversation.
ANAPHORA = re.compile(r"\b(he|she|it|its|they|them|their|this|that|these|those|his|her|him|there|then|the same)\b", re.I)
MARKERS = re.compile(r"\[\d+\]")
# The pronouns that stand for a person or a group named earlier: a rewrite that still holds the
# one the question had has not said whom it means.
PERSONAL = re.compile(r"\b(he|she|they|them|their|his|him|her)\b", re.I)
# A question with fewer content words than this leans on the conversation (the default of
# `AnswerSettings.follow_up_terms`).
SHORT_QUESTION_TERMS = 4


def needs_context(question: str, history: History, short_terms: int = SHORT_QUESTION_TERMS) -> bool:
    """Whether the question leans on earlier turns (a pronoun, or too few words of its own)."""
    if not history:
        return False
    return bool(ANAPHORA.search(question)) or len(content_terms(question)) < short_terms


def condense_by_rule(question: str, history: History, short_terms: int = SHORT_QUESTION_TERMS) -> str:
    """The question followed by the last exchange, without its citation markers."""
    if not needs_context(question, history, short_terms):
        return question
    user, assistant = (list(history[-1]) + ["", ""])[:2]
    context = MARKERS.sub("", f"{user} {assistant}")
    return f"{question} ({' '.join(context.split())})"


def condense_with_llm(question: str, history: History, llm, short_terms: int = SHORT_QUESTION_TERMS) -> str:
    """An LLM rewrite of the question, kept only if it stays on the conversation's topic."""
    if not needs_context(question, history, short_terms):
        return question
    turns = "\n".join(f"User: {u}\nAssistant: {MARKERS.sub('', a)}" for u, a in list(history)[-3:])
    try:
        rewritten = str(llm.complete(CONDENSE_PROMPT.format(history=turns, question=question))).strip().splitlines()[0]
    except Exception:  # a failing server must not lose the question
        return condense_by_rule(question, history, short_terms)
    if not rewrite_holds(question, rewritten, history):
        return condense_by_rule(question, history, short_terms)  # the model wandered off: trust the rule
    return rewritten


def rewrite_holds(question: str, rewritten: str, history: History) -> bool:
    """Whether a model's rewrite of a follow-up can stand for it: on the conversation's topic (at
    most half its words new), still a question when the user asked one (a small model sometimes
    answers instead of rewriting, "Russia blamed X ..."), and without the pronoun it was meant to
    resolve ("Did they come away with a deal?" rewritten as itself)."""
    known = set(content_terms(" ".join(" ".join(turn) for turn in history) + " " + question))
    new_terms = set(content_terms(rewritten))
    if not rewritten or len(rewritten) > 400 or not new_terms or len(new_terms - known) > len(new_terms) // 2:
        return False
    if question.rstrip().endswith("?") and not rewritten.rstrip().endswith("?"):
        return False
    unresolved = {p.lower() for p in PERSONAL.findall(question)} & {p.lower() for p in PERSONAL.findall(rewritten)}
    return not unresolved
