"""A timeline: how a story developed, the matching articles in date order.

A newsroom researcher asks "how did this unfold?" before "what is the answer?". The timeline
retrieves the articles that match a query (nothing published after the as-of date), picks the
one sentence of each that matches best, and lays them out by publication date, grouped by week
or month when there are many. Relevance picks the articles; time orders them: no recency prior,
an old article on the story belongs on its timeline as much as a new one. Undated articles come
last, marked as such.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from newsrag.index.instructions import looks_like_instruction
from newsrag.index.sentences import split_sentences
from newsrag.rag.passage import Filters, Passage
from newsrag.rag.retrieve import until
from newsrag.rag.terms import StoreTermWeights, content_terms
from newsrag.rag.timeframe import published_day
from newsrag.settings import TimelineSettings

UNDATED = "Undated"


@dataclass
class TimelineEntry:
    """One article on the timeline: when, who, what, and the sentence that matches best."""

    date: str  # YYYY-MM-DD, "" when undated
    group: str  # the day, week or month it is shown under
    doc_id: str
    title: str
    source: str
    url: str
    sentence: str
    chunk_id: str
    passage: str  # the chunk holding the sentence (its offsets place it in the article)
    start: int
    end: int
    score: float

    def to_json(self) -> dict[str, Any]:
        """Public JSON of one entry (part of `newsrag timeline --json`)."""
        data = dataclasses.asdict(self)
        data["score"] = round(self.score, 4)
        return data


@dataclass
class Timeline:
    """The entries of a timeline in date order, and how they are grouped ("day", "week" or "month")."""

    query: str
    as_of: str
    grouping: str
    entries: list[TimelineEntry] = field(default_factory=list)

    def groups(self) -> list[tuple[str, list[TimelineEntry]]]:
        """(label, entries) in order: what a reader sees under each heading."""
        out: list[tuple[str, list[TimelineEntry]]] = []
        for entry in self.entries:
            if not out or out[-1][0] != entry.group:
                out.append((entry.group, []))
            out[-1][1].append(entry)
        return out

    def to_json(self) -> dict[str, Any]:
        """The public JSON of `newsrag timeline --json`."""
        return {"query": self.query, "as_of": self.as_of, "grouping": self.grouping, "entries": [e.to_json() for e in self.entries]}


class TimelineBuilder:
    """Build the timeline of a query over the store.

    >>> builder = TimelineBuilder(retriever, store)  # doctest: +SKIP
    >>> [e.date for e in builder.run("Iranian drones for Russia", as_of=dt.date(2024, 1, 1)).entries]  # doctest: +SKIP
    ['2022-10-17', '2022-11-02', ...]
    """

    def __init__(self, retriever, store, settings: TimelineSettings = TimelineSettings()) -> None:
        self.retriever = retriever
        self._term_weights = StoreTermWeights(store)  # the store's keyword index weighs the query's words
        self.articles = settings.articles
        self.group_above = settings.group_above
        self.months_above_days = settings.months_above_days

    def run(self, query: str, as_of: dt.date | None = None, filters: Filters | None = None, articles: int | None = None) -> Timeline:
        """The timeline of `query` as of a date (default today)."""
        as_of = as_of or dt.date.today()
        limit = articles or self.articles
        # as_of bounds the archive; without it the retriever would also favour recent coverage
        passages = self.retriever.run(query, top_k=2 * limit, filters=until(filters, as_of))
        wanted = content_terms(query)
        weights = self._term_weights()
        best: dict[str, tuple[float, str, Passage]] = {}
        for passage in passages:
            for sentence in split_sentences(passage.text):
                if looks_like_instruction(sentence.text):
                    continue
                score = weights.coverage(wanted, set(content_terms(sentence.text)))
                if passage.doc_id not in best or score > best[passage.doc_id][0]:
                    best[passage.doc_id] = (score, sentence.text, passage)
        chosen = [(published_day(b[2].published), *b) for b in best.values() if b[0] > 0][:limit]
        dated = sorted((c for c in chosen if c[0]), key=lambda c: (c[0], -c[1]))
        grouping = self._grouping([date for date, *_ in dated])
        entries = [_entry(score, sentence, passage, date, _label(date, grouping)) for date, score, sentence, passage in dated]
        entries += [_entry(score, sentence, passage, None, UNDATED) for date, score, sentence, passage in chosen if not date]
        return Timeline(query=query, as_of=as_of.isoformat(), grouping=grouping, entries=entries)

    def _grouping(self, dates: list[dt.date]) -> str:
        if len(dates) <= self.group_above:
            return "day"
        return "month" if (dates[-1] - dates[0]).days > self.months_above_days else "week"


def _label(date: dt.date, grouping: str) -> str:
    if grouping == "month":
        return f"{date:%B %Y}"
    if grouping == "week":
        monday = date - dt.timedelta(days=date.weekday())
        return f"Week of {monday:%B} {monday.day}, {monday:%Y}"
    return f"{date:%B} {date.day}, {date:%Y}"


def _entry(score: float, sentence: str, passage: Passage, date: dt.date | None, group: str) -> TimelineEntry:
    return TimelineEntry(
        date=date.isoformat() if date else "",
        group=group,
        doc_id=passage.doc_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        sentence=sentence,
        chunk_id=passage.chunk_id,
        passage=passage.text,
        start=passage.start,
        end=passage.end,
        score=score,
    )
