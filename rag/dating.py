"""Dates in answers: when the cited articles were published in different months, say when.

A news answer that mixes a report from June 2023 with one from September 2024 reads as if both
were said at once. A newsroom writes "In June 2023, U.S. intelligence said ... [2]; in September
2024, ... [1]." Here every dated answer sentence gets the month of its earliest cited article, the
only date newsrag knows to be true of the source: a sentence with a speaker ("officials said")
opens with "In June 2023,"; any other ends with "(reported June 2023)", since the article's date is
when it was reported, not necessarily when it happened. A sentence that already names a month or a
year is left as it is, and nothing changes when every cited article is from the same month, unless
the question counts back from its date ("this week") and a sentence cites only older news: that
sentence says when its news was.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Mapping

from newsrag.rag.citations import MARKER, answer_sentences, markers_in
from newsrag.rag.claims import speaker_of
from newsrag.rag.specifics import MONTH, SENTENCE_OPENERS
from newsrag.rag.timeframe import published_day

# Openers that are not names, beyond rag.specifics' list, lower-cased once a date phrase comes first.
_MORE_OPENERS = frozenset("after amid although because before despite following if last once since though under until with".split())

YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def with_dates(text: str, published: Mapping[int, str], counted_back: dt.date | None = None) -> str:
    """The answer with each sentence dated by its earliest cited article, when the cited articles span
    months, or when every article a sentence cites came out before `counted_back`.

    `published` maps citation numbers (as in the text's markers) to their article's YYYY-MM-DD date.
    `counted_back` is the first day of the time a question counts back from its date ("this week",
    "yesterday"): an answer to it drawn from older news says when that news was.
    """
    sentences = answer_sentences(text)
    cited = [[day for n in markers_in(s) if (day := published_day(published.get(n, "")))] for s in sentences]
    months = [min(days).replace(day=1) if days else None for days in cited]
    spans_months = len({m for m in months if m is not None}) >= 2
    older = [bool(days) and counted_back is not None and max(days) < counted_back for days in cited]
    if not spans_months and not any(older):
        return text
    return " ".join(_dated(s, m) if m is not None and (spans_months or old) else s for s, m, old in zip(sentences, months, older))


def _dated(sentence: str, month: dt.date) -> str:
    plain = MARKER.sub("", sentence)
    if MONTH.search(plain) or YEAR.search(plain):
        return sentence  # it says when already
    label = f"{month:%B %Y}"
    if speaker_of(plain):
        first, _, rest = sentence.partition(" ")
        if first.lower() in SENTENCE_OPENERS or first.lower() in _MORE_OPENERS:  # "After days ..." -> "In May 2024, after days ..."
            first = first.lower()
        return f"In {label}, {first} {rest}".rstrip()
    match = re.search(r"((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*)([.!?]+[\"'”’)]*)?\s*$", sentence)
    cut = match.start() if match else len(sentence)
    return f"{sentence[:cut].rstrip()} (reported {label}){sentence[cut:]}"
