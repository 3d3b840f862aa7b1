"""Hybrid retrieval: vectors (Chroma) and BM25, fused per article, then the best passages.

Why per article: measured on RealTime QA dev, fusing ranked article lists (each retriever's
chunks deduplicated to their articles first) beats fusing chunk lists. The answer still needs
passages, so each chosen article contributes its best-ranked chunks.

Two fusions (`retrieval.fusion`):
- `rrf`: reciprocal rank fusion of the two article rankings. An article that only one retriever
  ranked gets nothing from the other, however close it came.
- `scores`: every candidate article (found by either retriever) is scored by BOTH: its best
  chunk's cosine to the query (from the vectors already stored, no encoding) and its best
  chunk's BM25 score (over all rows), each scaled to 0..1 over the candidates, then mixed with
  `vector_share`. Completing the missing half of each score is what ranks better (see README).
  The whole article's BM25 (scaled over the candidates) then takes `article_share` of the
  article's score: terms spread over several passages count, not only the best passage's.
  Last, the headline: the IDF-weighted share of the question's terms that the article's headline
  holds takes `headline_share`. A report on the story names it in its headline; a roundup, a
  gallery or another story that mentions it in passing does not (see README).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from newsrag.index.embed import Encoder
from newsrag.index.keyword import KeywordIndex
from newsrag.index.store import ChunkStore, published_number
from newsrag.rag.passage import Filters, Passage
from newsrag.rag.terms import StoreTermWeights, content_terms
from newsrag.rag.timeframe import Timeframe, published_day, resolve
from newsrag.settings import RetrievalSettings

# Headlines a retriever keeps in memory (as content terms) before it starts afresh: a bound for an
# archive of millions of articles, far above what one day's questions touch.
HEADLINES_KEPT = 100_000


def chroma_where(filters: Filters | None, dates: bool = False) -> dict[str, Any] | None:
    """The Chroma `where` clause for the outlet and article filters (None when there are none).

    Dates are sent to Chroma only with `dates` (no keyword index to filter by): a range filter
    there costs ~170 ms a query at 48k chunks, so vector hits are otherwise filtered by date
    afterwards from the keyword index's columns (`keyword_mask`).
    """
    if not filters:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.doc_ids:
        clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.exclude_doc_ids:
        clauses.append({"doc_id": {"$nin": list(filters.exclude_doc_ids)}})
    if dates and filters.date_from:
        clauses.append({"published_n": {"$gte": published_number(filters.date_from)}})
    if dates and filters.date_to:
        clauses.append({"published_n": {"$lte": published_number(filters.date_to)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def keyword_mask(index: KeywordIndex, filters: Filters | None) -> np.ndarray | None:
    """Boolean mask over keyword-index rows for these filters (None when unfiltered).

    An undated article passes an upper date bound (it may be old or new) but not a lower one.
    """
    if not filters:
        return None
    mask = np.ones(len(index.rows), dtype=bool)
    if filters.sources:
        mask &= np.isin(index.column("source"), list(filters.sources))
    if filters.doc_ids:
        mask &= np.isin(index.column("doc_id"), list(filters.doc_ids))
    if filters.exclude_doc_ids:
        mask &= ~np.isin(index.column("doc_id"), list(filters.exclude_doc_ids))
    if filters.date_from:
        mask &= index.column("published_n") >= published_number(filters.date_from)
    if filters.date_to:
        mask &= index.column("published_n") <= published_number(filters.date_to)
    return mask


@dataclass
class _Ranked:
    """A chunk's ranks in each retriever (None when that retriever did not find it)."""

    chunk_id: str
    doc_id: str
    vector_rank: int | None = None
    keyword_rank: int | None = None


class HybridRetriever:
    """Find the passages that best answer a query.

    >>> retriever = HybridRetriever(store, encoder, settings.retrieval)  # doctest: +SKIP
    >>> [p.doc_id for p in retriever.run("what has Iran given Russia?")]  # doctest: +SKIP
    ['000_efc5912cef78bf52.txt', ...]
    """

    def __init__(self, store: ChunkStore, encoder: Encoder, settings: RetrievalSettings) -> None:
        store.check_encoder(encoder.identity, encoder.dimension)
        self.store = store
        self.encoder = encoder
        self.settings = settings
        self.term_weights = StoreTermWeights(store)
        self._headlines: tuple[object, dict[str, frozenset[str]]] = (None, {})  # (keyword index read with, doc id -> headline terms)

    def run(self, query: str, top_k: int | None = None, filters: Filters | None = None, as_of: dt.date | None = None) -> list[Passage]:
        """The `top_k` best passages, best first, at most `per_document` from one article.

        With `as_of`, articles published after it are left out, and the question's time words
        (rag/timeframe.py) bring the articles of their window in as extra candidates and favour
        them; without time words recent coverage is favoured over old (`recency_share`).
        """
        top_k = top_k or self.settings.top_k
        frame = resolve(query, as_of) if as_of is not None else None
        if frame is not None:
            filters = until(filters, frame.as_of)
        vector = self.encoder.encode([query])[0] if self.settings.vector_weight > 0 else None
        index = self.store.keyword_index() if self.settings.keyword_weight > 0 else None
        allowed = keyword_mask(index, filters) if index is not None else None  # array operations, once per query
        vector_hits = self._vector_hits(vector, filters, by_mask=index is not None)
        ranked = self._candidates(query, vector_hits, index, allowed)
        span = frame.window_or_week(self.settings.week_days) if frame is not None else None
        if span is not None and index is not None:  # the span's own best candidates, however old the rest
            windowed = keyword_mask(index, dataclasses.replace(filters, date_from=span[0].isoformat(), date_to=span[1].isoformat()))
            if windowed.any():  # an archive with nothing in the span (most, asked as of today) has no more to find
                for chunk_id, item in self._candidates(query, vector_hits, index, windowed).items():
                    ranked.setdefault(chunk_id, item)
        if self.settings.fusion == "scores" and vector is not None and index is not None:
            doc_scores, chunk_scores = self._fuse_scores(query, vector, ranked, index, allowed)
        else:
            doc_scores = self._fuse_documents(ranked)
            chunk_scores = {cid: (item.doc_id, self._chunk_score(item)) for cid, item in ranked.items()}
        if frame is not None and doc_scores and index is not None:
            doc_scores = self._time_prior(doc_scores, frame, index)
        chosen: list[tuple[str, float]] = []
        by_doc: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for chunk_id, (doc_id, score) in chunk_scores.items():
            by_doc[doc_id].append((score, chunk_id))
        for doc_id in sorted(doc_scores, key=doc_scores.get, reverse=True):
            for score, chunk_id in sorted(by_doc[doc_id], reverse=True)[: self.settings.per_document]:
                chosen.append((chunk_id, doc_scores[doc_id] + 0.001 * score))
            if len(chosen) >= top_k:
                break
        chosen = chosen[:top_k]
        stored = self.store.get_chunks([cid for cid, _ in chosen])
        return [Passage.from_stored(cid, stored[cid].text, stored[cid].metadata, score) for cid, score in chosen if cid in stored]

    def _vector_hits(self, vector: np.ndarray | None, filters: Filters | None, by_mask: bool = True) -> list:
        """Nearest chunks from Chroma (outlet and article filters applied there; dates later, by the
        keyword index's mask, when `by_mask`, else by Chroma too).

        Twice the candidates are asked for when a date bound will remove some of them.
        """
        if vector is None:
            return []
        dated = by_mask and bool(filters and (filters.date_from or filters.date_to))
        return self.store.vector_search(
            vector, self.settings.vector_candidates * (2 if dated else 1), chroma_where(filters, dates=not by_mask)
        )

    def _candidates(self, query: str, vector_hits: list, index: KeywordIndex | None, allowed: np.ndarray | None) -> dict[str, _Ranked]:
        ranked: dict[str, _Ranked] = {}
        rank = 0
        for hit in vector_hits:
            row = index.row_of_chunk(hit.chunk_id) if index is not None and allowed is not None else None
            if row is not None and not allowed[row]:
                continue
            ranked.setdefault(hit.chunk_id, _Ranked(hit.chunk_id, hit.doc_id)).vector_rank = rank
            rank += 1
            if rank >= self.settings.vector_candidates:
                break
        if index is not None:
            for rank, hit in enumerate(index.search(query, self.settings.keyword_candidates, allowed)):
                ranked.setdefault(hit.chunk_id, _Ranked(hit.chunk_id, hit.doc_id)).keyword_rank = rank
        return ranked

    def _rrf(self, rank: int | None, weight: float) -> float:
        return 0.0 if rank is None else weight / (self.settings.rrf_k + rank + 1)

    def _chunk_score(self, item: _Ranked) -> float:
        return self._rrf(item.vector_rank, self.settings.vector_weight) + self._rrf(item.keyword_rank, self.settings.keyword_weight)

    def _fuse_scores(
        self, query: str, vector: np.ndarray, ranked: dict[str, _Ranked], index: KeywordIndex, allowed: np.ndarray | None
    ) -> tuple[dict[str, float], dict[str, tuple[str, float]]]:
        """Score fusion: every chunk of every candidate article scored by both retrievers.

        Returns article scores and (article, score) per chunk, both on the same 0..1 scale.
        """
        keyword = index.all_scores(query, allowed)
        rows = [row for doc_id in dict.fromkeys(item.doc_id for item in ranked.values()) for row in index.rows_of(doc_id)]
        vectors = self.store.chunk_vectors([index.rows[row].chunk_id for row in rows])
        chunk_values: dict[str, tuple[str, float, float]] = {}  # chunk -> (article, cosine, bm25)
        for row in rows:
            chunk_id = index.rows[row].chunk_id
            if chunk_id in vectors:
                chunk_values[chunk_id] = (index.rows[row].doc_id, float(vectors[chunk_id] @ vector), float(keyword[row]))
        if not chunk_values:
            return {}, {}
        cosines = np.array([v[1] for v in chunk_values.values()])
        bm25 = np.array([v[2] for v in chunk_values.values()])
        low, span = float(cosines.min()), float(cosines.max() - cosines.min()) or 1.0
        top = float(bm25.max()) or 1.0
        share = self.settings.vector_share

        def mix(cosine: float, score: float) -> float:
            return share * (cosine - low) / span + (1 - share) * score / top

        chunk_scores = {chunk_id: (doc_id, mix(cosine, score)) for chunk_id, (doc_id, cosine, score) in chunk_values.items()}
        doc_vector: dict[str, float] = {}
        doc_keyword: dict[str, float] = {}
        for doc_id, cosine, score in chunk_values.values():
            doc_vector[doc_id] = max(doc_vector.get(doc_id, -1.0), cosine)
            doc_keyword[doc_id] = max(doc_keyword.get(doc_id, 0.0), score)
        doc_scores = {doc: mix(doc_vector[doc], doc_keyword[doc]) for doc in doc_vector}
        article_share = self.settings.article_share
        if article_share > 0:
            whole = index.article_scores(query, list(doc_scores))
            best = float(whole.max()) or 1.0
            doc_scores = {
                doc: (1 - article_share) * score + article_share * float(value) / best
                for (doc, score), value in zip(doc_scores.items(), whole)
            }
        headline_share = self.settings.headline_share
        if headline_share > 0:
            one_chunk = {doc_id: chunk_id for chunk_id, (doc_id, _, _) in chunk_values.items()}
            cover = self._headline_coverage(query, self._headline_terms(index, one_chunk))
            doc_scores = {doc: (1 - headline_share) * score + headline_share * cover.get(doc, 0.0) for doc, score in doc_scores.items()}
        return doc_scores, chunk_scores

    def _headline_coverage(self, query: str, headlines: dict[str, frozenset[str]]) -> dict[str, float]:
        """The IDF-weighted share of the query's content terms that each article's headline holds (0..1)."""
        wanted = content_terms(query)
        if not wanted:
            return {}
        weights = self.term_weights()
        return {doc_id: weights.coverage(wanted, terms, skip_unknown=True) for doc_id, terms in headlines.items() if terms}

    def _headline_terms(self, index: KeywordIndex, chunk_of_article: dict[str, str]) -> dict[str, frozenset[str]]:
        """Each article's headline as content terms (`chunk_of_article`: doc id -> one of its chunks).

        Read from Chroma once per article and kept until the store's keyword index changes (a write
        may retitle an article) or `HEADLINES_KEPT` articles are kept: a metadata read costs ~8 ms
        a query at 60 articles, against a 150 ms budget for the whole query.
        """
        if self._headlines[0] is not index or len(self._headlines[1]) > HEADLINES_KEPT:
            self._headlines = (index, {})
        known = self._headlines[1]
        missing = [chunk_id for doc_id, chunk_id in chunk_of_article.items() if doc_id not in known]
        if missing:
            for doc_id, title in self.store.headlines(missing).items():
                known[doc_id] = frozenset(content_terms(title))
        return {doc_id: known.get(doc_id, frozenset()) for doc_id in chunk_of_article}

    def _time_prior(self, doc_scores: dict[str, float], frame: Timeframe, index: KeywordIndex) -> dict[str, float]:
        """Article scores mixed with a prior over publication dates (scores first scaled to 0..1).

        In a window: 1 inside it, decaying with the days outside (`window_half_life_days`), mixed in
        with `window_share`. Without one, when a candidate was published in the news week (the
        `week_days` up to the as-of date): the same, over that week (`week_*`). When none was (an
        archive that stops earlier): the newest candidate gets 1 and older ones decay with their
        distance from it (`recency_half_life_days`), mixed in with `recency_share`. Both no-window
        shares are doubled for "latest", "recently". Undated articles get `undated_prior`.
        """
        s = self.settings
        published = {doc: _published_date(index, doc) for doc in doc_scores}
        top = max(doc_scores.values()) or 1.0
        newest = max((d for d in published.values() if d is not None), default=None)
        span = frame.window_or_week(s.week_days)
        boost = 2 if frame.recent else 1  # "latest", "recently"
        if frame.window:
            share, half_life = s.window_share, s.window_half_life_days
        elif span is not None and newest is not None and newest >= span[0]:  # the archive holds the news week
            share, half_life = min(1.0, s.week_share * boost), s.week_half_life_days
        else:
            span = None
            share, half_life = min(1.0, s.recency_share * boost), s.recency_half_life_days

        def distance(day: dt.date) -> float:
            if span is None:
                return float((newest - day).days) if newest else 0.0
            start, end = span
            return 0.0 if start <= day <= end else float(min(abs((day - start).days), abs((day - end).days)))

        if share <= 0:
            return doc_scores
        mixed = {}
        for doc, score in doc_scores.items():
            day = published[doc]
            prior = s.undated_prior if day is None else math.exp(-math.log(2) * distance(day) / half_life)
            mixed[doc] = (1 - share) * score / top + share * prior
        return mixed

    def _fuse_documents(self, ranked: dict[str, _Ranked]) -> dict[str, float]:
        """Reciprocal rank fusion of the two article rankings (each article at its best chunk's rank)."""
        vector_docs = _document_ranks(ranked.values(), "vector_rank")
        keyword_docs = _document_ranks(ranked.values(), "keyword_rank")
        scores: dict[str, float] = {}
        for doc_id in dict.fromkeys([*vector_docs, *keyword_docs]):  # a fixed order: ties rank the same every run
            scores[doc_id] = self._rrf(vector_docs.get(doc_id), self.settings.vector_weight) + self._rrf(
                keyword_docs.get(doc_id), self.settings.keyword_weight
            )
        return scores


def holds_news_week(index: KeywordIndex, as_of: dt.date, week_days: int) -> bool:
    """Whether the archive holds an article published in the news week up to `as_of` (its last
    `week_days` days): a current archive, whose questions that name no time ask about that news.
    False when the news week is off (`week_days` 0)."""
    span = Timeframe(as_of).window_or_week(week_days)
    if span is None:
        return False
    return bool(keyword_mask(index, Filters(date_from=span[0].isoformat(), date_to=span[1].isoformat())).any())


def until(filters: Filters | None, as_of: dt.date) -> Filters:
    """`filters` with nothing published after `as_of` (undated articles stay)."""
    filters = filters or Filters()
    end = min(filters.date_to, as_of.isoformat()) if filters.date_to else as_of.isoformat()
    return dataclasses.replace(filters, date_to=end)


def _published_date(index: KeywordIndex, doc_id: str) -> dt.date | None:
    """An article's publication date from the keyword index's rows (None when undated)."""
    rows = index.rows_of(doc_id)
    return published_day(index.rows[int(rows[0])].published) if len(rows) else None


def _document_ranks(items, attribute: str) -> dict[str, int]:
    """Rank of each article in one retriever's list, after deduplicating chunks to articles."""
    best: dict[str, int] = {}
    for item in items:
        rank = getattr(item, attribute)
        if rank is not None and (item.doc_id not in best or rank < best[item.doc_id]):
            best[item.doc_id] = rank
    order = sorted(best, key=best.get)
    return {doc_id: position for position, doc_id in enumerate(order)}
