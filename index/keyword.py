"""The keyword (BM25) index that stands beside the vectors, grown by segments.

BM25 finds names, places and numbers that a small embedding model blurs (measured on
RealTime QA: BM25 alone beats vectors alone). The index is derived from the chunks the vector
store holds and persisted in a folder; queries load it once and never rebuild it.

A write costs what it adds, not what the archive holds (issue #15). The index is a list of
immutable *segments*, each holding the rows (chunks) and articles one write added, as sparse
term-frequency matrices over the segment's own vocabulary with each row's length. A write
appends one segment and *tombstones* the documents it replaced or deleted in the older ones
(a segment is never rewritten for a deletion); segments of a similar size are merged once
`MERGE_FAN_IN` of them exist (tiered, so every row is merged a logarithmic number of times),
from their already-tokenised matrices, without reading Chroma again.

Scores stay exactly BM25 over the *global* statistics: every query computes each term's
document frequency, the row count and the average row length over the live rows of all
segments, then the same formula bm25s 0.3.x uses by default (method "lucene", k1 1.5, b 0.75),
in the same float32/float64 steps, so a grown index scores every row as one index built at once
from the surviving rows, and as bm25s itself (tests/test_keyword.py checks both).

On disk: `segments/<name>/` (one folder per segment, written once) and `manifest.json`, the
list of live segments with their tombstones and the store generation, replaced atomically: a
reader sees the old manifest or the new one, never half, and loads only the segments it does
not hold yet.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

# BM25 as bm25s 0.3.16 scores by default (`bm25s.BM25()`: method "lucene"): idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
# term weight = idf * tf / (tf + K1 * (1 - B + B * length / average length)). tests/test_keyword.py compares with bm25s.
BM25_K1 = 1.5
BM25_B = 0.75

# Merging. A segment's tier is 0 below TIER_FLOOR_ROWS live rows, then one more for every MERGE_FAN_IN-fold size; once a
# tier holds MERGE_FAN_IN segments they are merged into one. Fan-in 8 keeps the segment count at most ~7 per tier (about
# 30 at 100k chunks, each costing a few dictionary look-ups per query term) while a row is rewritten only every 8-fold
# growth. The floor (~30 RealTime QA articles) keeps single-article writes from forming tiers of their own.
MERGE_FAN_IN = 8
TIER_FLOOR_ROWS = 500
# A segment whose tombstones cover more than this share of its rows is rewritten without them at the next write: the
# dead rows cost memory and query time, and rewriting once half are gone keeps the cost per deletion constant.
MAX_DEAD_SHARE = 0.5

MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"
FORMAT = 2  # 1: one bm25s index rebuilt per write (rows.json and bm25s files); such a folder is rebuilt once
MMAP_BYTES = 1 << 20  # arrays at least this big are memory-mapped, not read: loading costs what a query touches
LOAD_ATTEMPTS = 3  # a reader that loses a segment to a writer's clean-up reads the newer manifest and tries again
SCORE_CACHE = 8  # queries whose scores an index keeps: retrieval asks for a query's chunk scores twice (search, all_scores)


@dataclass
class KeywordRow:
    """What the keyword index remembers of a chunk, enough to filter and to name it."""

    chunk_id: str
    doc_id: str
    source: str
    published: str


@dataclass
class KeywordHit:
    """A chunk found by BM25, with its raw score."""

    chunk_id: str
    doc_id: str
    score: float


# Words as bm25s.tokenize splits them (its default `token_pattern`); content terms (rag/terms.py)
# split the same way, so a term's document frequency is that of the word the reader sees.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@lru_cache(maxsize=1)
def stemmer():
    """The English Snowball stemmer (PyStemmer), one per process: BM25 and rag/terms.py must stem alike."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> tuple[list[list[int]], list[str]]:
    """Each text as term numbers (stopwords out, stemmed, repeats kept) and the terms they number."""
    import bm25s

    if not texts:
        return [], []
    tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False)
    terms = [""] * len(tokens.vocab)
    for term, number in tokens.vocab.items():
        terms[number] = term
    return tokens.ids, terms


def query_terms(query: str) -> list[str]:
    """The query's stemmed terms, stopwords out, as the indexes were built (a repeated word counts twice, as in bm25s)."""
    import bm25s

    return bm25s.tokenize([query], stopwords="en", stemmer=stemmer(), token_pattern=TOKEN_PATTERN, return_ids=False, show_progress=False)[0]


# ----- one segment ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Postings:
    """Term frequencies of one segment's rows, stored by term (compressed sparse columns).

    The postings of term number `t` are `rows[starts[t]:starts[t + 1]]` (ascending) with their
    counts in `counts`; `lengths` holds each row's token count (stopwords out, repeats in).
    """

    starts: np.ndarray  # int64, one more than the segment's terms
    rows: np.ndarray  # int32
    counts: np.ndarray  # float32 (bm25s counts in float32 too)
    lengths: np.ndarray  # int64, one per row

    @classmethod
    def empty(cls, terms: int, rows: int = 0) -> "Postings":
        """No postings: `rows` rows without a single term."""
        return cls(np.zeros(terms + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(rows, np.int64))

    @classmethod
    def from_token_ids(cls, documents: Sequence[Sequence[int]], terms: int) -> "Postings":
        """Count each term in each document (documents as term numbers below `terms`)."""
        import scipy.sparse as sp

        lengths = np.fromiter((len(d) for d in documents), dtype=np.int64, count=len(documents))
        total = int(lengths.sum())
        if total == 0:
            return cls.empty(terms, len(documents))
        rows = np.repeat(np.arange(len(documents), dtype=np.int64), lengths)
        columns = np.fromiter(itertools.chain.from_iterable(documents), dtype=np.int64, count=total)
        matrix = sp.csc_array((np.ones(total, np.float32), (rows, columns)), shape=(len(documents), terms))
        matrix.sum_duplicates()  # repeats become counts; rows ascending within each term
        return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), matrix.data.astype(np.float32), lengths)

    @property
    def terms(self) -> int:
        return len(self.starts) - 1

    def term_of_posting(self) -> np.ndarray:
        """The term number of every posting (the column index the compressed form leaves out)."""
        return np.repeat(np.arange(self.terms, dtype=np.int64), np.diff(self.starts))

    @classmethod
    def merge(cls, parts: Sequence[tuple["Postings", np.ndarray | None, np.ndarray]], terms: int) -> "Postings":
        """Join (postings, live-row mask or None, term renumbering) parts into one matrix over `terms`,
        live rows only, each part's rows after the previous part's: no text is read or tokenised again."""
        import scipy.sparse as sp

        rows_out, columns_out, counts_out, lengths_out = [], [], [], []
        offset = 0
        for postings, live, renumber in parts:
            rows = postings.rows.astype(np.int64)
            columns = renumber[postings.term_of_posting()]
            counts = np.asarray(postings.counts)
            lengths = np.asarray(postings.lengths)
            if live is not None:
                keep = live[rows]
                new_row = np.cumsum(live) - 1
                rows, columns, counts, lengths = new_row[rows[keep]], columns[keep], counts[keep], lengths[live]
            rows_out.append(rows + offset)
            columns_out.append(columns)
            counts_out.append(counts)
            lengths_out.append(lengths)
            offset += len(lengths)
        lengths = np.concatenate(lengths_out) if lengths_out else np.zeros(0, np.int64)
        if not any(len(r) for r in rows_out):
            return cls.empty(terms, len(lengths))
        matrix = sp.csc_array(
            (np.concatenate(counts_out), (np.concatenate(rows_out), np.concatenate(columns_out))), shape=(len(lengths), terms)
        )
        matrix.sum_duplicates()  # no duplicates: only puts the rows of each term in order
        return cls(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), matrix.data.astype(np.float32), lengths)

    def save(self, folder: Path, prefix: str) -> None:
        for name in ("starts", "rows", "counts", "lengths"):
            np.save(folder / f"{prefix}_{name}.npy", np.asarray(getattr(self, name)))

    @classmethod
    def load(cls, folder: Path, prefix: str) -> "Postings":
        arrays = []
        for name in ("starts", "rows", "counts", "lengths"):
            path = folder / f"{prefix}_{name}.npy"
            # a plain array over the mapping: numpy's memmap subclass costs microseconds on every slice
            arrays.append(np.asarray(np.load(path, mmap_mode="r" if path.stat().st_size >= MMAP_BYTES else None)))
        return cls(*arrays)


class Segment:
    """An immutable part of the keyword index: the chunk rows and whole articles that one write
    added (or a merge joined), over one vocabulary shared by its two matrices."""

    def __init__(
        self, name: str, rows: list[KeywordRow], article_ids: list[str], terms: list[str], chunks: Postings, articles: Postings
    ) -> None:
        self.name = name
        self.rows = rows
        self.article_ids = article_ids
        self.terms = terms
        self.chunks = chunks
        self.articles = articles

    @classmethod
    def build(cls, name: str, rows: Sequence[KeywordRow], texts: Sequence[str], articles: Mapping[str, str] | None = None) -> "Segment":
        """Tokenise and count `texts` (one per row) and `articles` (id -> whole text)."""
        rows = list(rows)
        article_ids = list(articles or {})
        token_ids, terms = tokenize([*texts, *(articles[a] for a in article_ids)])
        return cls(
            name,
            rows,
            article_ids,
            terms,
            Postings.from_token_ids(token_ids[: len(rows)], len(terms)),
            Postings.from_token_ids(token_ids[len(rows) :], len(terms)),
        )

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Term -> its number in this segment."""
        return {term: number for number, term in enumerate(self.terms)}

    @cached_property
    def doc_rows(self) -> dict[str, np.ndarray]:
        """Document id -> the positions of its chunk rows in this segment."""
        grouped: dict[str, list[int]] = {}
        for number, row in enumerate(self.rows):
            grouped.setdefault(row.doc_id, []).append(number)
        return {doc: np.asarray(numbers, dtype=np.int64) for doc, numbers in grouped.items()}

    @cached_property
    def article_positions(self) -> dict[str, int]:
        return {doc: number for number, doc in enumerate(self.article_ids)}

    def holds(self, doc_id: str) -> bool:
        """Whether this segment has rows or an article of the document."""
        return doc_id in self.doc_rows or doc_id in self.article_positions

    def save(self, segments: Path) -> None:
        """Write the segment as `segments/<name>/`, all at once (a folder renamed into place)."""
        segments.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.name}-", dir=segments))
        try:
            self.chunks.save(staging, "chunk")
            self.articles.save(staging, "article")
            meta = {
                "rows": [[r.chunk_id, r.doc_id, r.source, r.published] for r in self.rows],
                "articles": self.article_ids,
                "terms": self.terms,
            }
            (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            os.replace(staging, segments / self.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "Segment":
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return cls(
            folder.name,
            [KeywordRow(*values) for values in meta["rows"]],
            list(meta["articles"]),
            list(meta["terms"]),
            Postings.load(folder, "chunk"),
            Postings.load(folder, "article"),
        )


class _Part:
    """A segment with its tombstones (ids of documents deleted or replaced since it was written)."""

    def __init__(self, segment: Segment, deleted: frozenset[str] = frozenset()) -> None:
        self.segment = segment
        self.deleted = deleted
        self.chunk_live = self._live(len(segment.rows), [segment.doc_rows.get(d) for d in deleted]) if deleted else None
        positions = [segment.article_positions.get(d) for d in deleted]
        self.article_live = self._live(len(segment.article_ids), [np.array([p]) for p in positions if p is not None]) if deleted else None
        self.live_rows = len(segment.rows) if self.chunk_live is None else int(self.chunk_live.sum())
        self.live_articles = len(segment.article_ids) if self.article_live is None else int(self.article_live.sum())

    @staticmethod
    def _live(size: int, dead: Iterable[np.ndarray | None]) -> np.ndarray | None:
        live = np.ones(size, dtype=bool)
        for positions in dead:
            if positions is not None:
                live[positions] = False
        return None if live.all() else live

    def postings(self, kind: str) -> Postings:
        return self.segment.chunks if kind == "chunk" else self.segment.articles

    def live(self, kind: str) -> np.ndarray | None:
        return self.chunk_live if kind == "chunk" else self.article_live

    def live_count(self, kind: str) -> int:
        return self.live_rows if kind == "chunk" else self.live_articles

    @cached_property
    def live_lengths(self) -> tuple[int, int]:
        """Total tokens of the live chunk rows and of the live articles."""
        totals = []
        for kind in ("chunk", "article"):
            lengths, live = np.asarray(self.postings(kind).lengths), self.live(kind)
            totals.append(int(lengths.sum() if live is None else lengths[live].sum()))
        return totals[0], totals[1]

    def frequencies(self, kind: str) -> np.ndarray:
        """Live rows (or articles) holding each of the segment's terms."""
        cache = self.__dict__.setdefault("_frequencies", {})
        if kind not in cache:
            postings, live = self.postings(kind), self.live(kind)
            if live is None:
                cache[kind] = np.diff(postings.starts)
            else:
                cache[kind] = np.bincount(postings.term_of_posting()[live[postings.rows]], minlength=postings.terms)
        return cache[kind]

    @property
    def dead_share(self) -> float:
        return 1.0 - self.live_rows / len(self.segment.rows) if self.segment.rows else 0.0

    @property
    def tier(self) -> int:
        if self.live_rows < TIER_FLOOR_ROWS:
            return 0
        return 1 + int(math.log(self.live_rows / TIER_FLOOR_ROWS, MERGE_FAN_IN) + 1e-9)


def merge_segments(name: str, parts: Sequence[_Part]) -> Segment:
    """One segment holding the live rows and articles of `parts`, in their order (tombstoned ones dropped)."""
    vocabulary: dict[str, int] = {}
    renumbered = []
    for part in parts:
        renumbered.append(
            np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in part.segment.terms), np.int64, len(part.segment.terms))
        )
    rows = [r for part in parts for r, alive in zip(part.segment.rows, _alive(part.chunk_live, len(part.segment.rows))) if alive]
    article_ids = [
        a for part in parts for a, alive in zip(part.segment.article_ids, _alive(part.article_live, len(part.segment.article_ids))) if alive
    ]
    chunks = Postings.merge([(p.segment.chunks, p.chunk_live, m) for p, m in zip(parts, renumbered)], len(vocabulary))
    articles = Postings.merge([(p.segment.articles, p.article_live, m) for p, m in zip(parts, renumbered)], len(vocabulary))
    return Segment(name, rows, article_ids, list(vocabulary), chunks, articles)


def _alive(live: np.ndarray | None, size: int) -> Iterable[bool]:
    return itertools.repeat(True, size) if live is None else live.tolist()


def new_segment_name(generation: int) -> str:
    """A name no other segment has: the generation it was written at (for people) and a random part."""
    return f"{generation:010d}-{secrets.token_hex(4)}"


# ----- the index -----------------------------------------------------------------------------------------------------
class KeywordIndex:
    """BM25 over chunk texts (with each row's metadata for filtering) and over whole articles.

    An index object never changes: a write makes a new one (`changed`), so a query that holds
    an index reads one consistent state. Rows are numbered over the live rows of all segments,
    in segment order.
    """

    def __init__(self, parts: Sequence[_Part] = (), generation: int = 0) -> None:
        self.parts = [p for p in parts if p.live_rows or p.live_articles]
        self.generation = generation  # the store generation (index/store.py) these rows were read at
        self.rows: list[KeywordRow] = []
        self.article_ids: list[str] = []
        self._offsets: dict[str, list[int]] = {"chunk": [], "article": []}
        for part in self.parts:
            self._offsets["chunk"].append(len(self.rows))
            self._offsets["article"].append(len(self.article_ids))
            if part.chunk_live is None:
                self.rows.extend(part.segment.rows)
            else:
                self.rows.extend(r for r, alive in zip(part.segment.rows, part.chunk_live.tolist()) if alive)
            if part.article_live is None:
                self.article_ids.extend(part.segment.article_ids)
            else:
                self.article_ids.extend(a for a, alive in zip(part.segment.article_ids, part.article_live.tolist()) if alive)
        lengths = [p.live_lengths for p in self.parts]
        self._average = {
            "chunk": sum(t[0] for t in lengths) / len(self.rows) if self.rows else 0.0,
            "article": sum(t[1] for t in lengths) / len(self.article_ids) if self.article_ids else 0.0,
        }
        self._frequency_cache: dict[tuple[str, str], int] = {}
        self._score_cache: dict[tuple[str, str], np.ndarray] = {}
        self._global_rows: dict[tuple[int, str], np.ndarray] = {}
        self._norms: dict[tuple[int, str], np.ndarray] = {}
        self._weight_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._document_frequencies: dict[str, int] | None = None
        self._doc_rows: dict[str, np.ndarray] | None = None
        self._columns: dict[str, np.ndarray] | None = None
        self._chunk_rows: dict[str, int] | None = None
        self._article_positions: dict[str, int] | None = None

    # ----- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls, rows: Sequence[KeywordRow], texts: Sequence[str], articles: Mapping[str, str] | None = None, generation: int = 0
    ) -> "KeywordIndex":
        """Index `texts` (title and passage of each chunk), one per row, and `articles` (id -> whole text), as one segment."""
        rows = list(rows)
        if not rows and not articles:
            return cls([], generation)
        return cls([_Part(Segment.build(new_segment_name(generation), rows, texts, articles))], generation)

    def changed(self, removed: Iterable[str], added: Segment | None, generation: int) -> tuple["KeywordIndex", list[Segment]]:
        """The index after a write: the documents in `removed` tombstoned wherever they are, `added`
        appended, then segments merged as the tiers ask. Returns it and the segments it made."""
        removed = set(removed)
        parts = []
        for part in self.parts:
            gone = frozenset(d for d in removed if part.segment.holds(d) and d not in part.deleted)
            parts.append(_Part(part.segment, part.deleted | gone) if gone else part)
        made: list[Segment] = []
        if added is not None and (added.rows or added.article_ids):
            parts.append(_Part(added))
            made.append(added)
        parts = [p for p in parts if p.live_rows or p.live_articles]
        while True:
            group = _merge_group(parts)
            if not group:
                break
            merged = merge_segments(new_segment_name(generation), [parts[i] for i in group])
            made = [s for s in made if s not in {parts[i].segment for i in group}]
            made.append(merged)
            first = group[0]
            parts = [_Part(merged) if i == first else p for i, p in enumerate(parts) if i == first or i not in group]
        return KeywordIndex(parts, generation), made

    # ----- saving and loading -------------------------------------------------------------
    def manifest(self) -> dict:
        """What `manifest.json` holds: the live segments in order, their tombstones, the generation."""
        return {
            "format": FORMAT,
            "generation": self.generation,
            "rows": len(self.rows),
            "articles": len(self.article_ids),
            "segments": [{"name": p.segment.name, "deleted": sorted(p.deleted)} for p in self.parts],
        }

    def save(self, folder: Path) -> None:
        """Write the whole index as a new folder, swapped in for the old one (a rebuild)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".keyword-", dir=folder.parent))
        try:
            for part in self.parts:
                part.segment.save(staging / SEGMENTS_DIR)
            _write_manifest(staging, self.manifest())
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def save_changes(self, folder: Path) -> None:
        """Write the segments the folder lacks, then the manifest (atomically, last): a reader sees
        the old index or this one. Segments the manifest no longer names stay for `collect_garbage`."""
        segments = folder / SEGMENTS_DIR
        for part in self.parts:
            if not (segments / part.segment.name).is_dir():
                part.segment.save(segments)
        _write_manifest(folder, self.manifest())

    @staticmethod
    def collect_garbage(folder: Path, keep: Iterable[str]) -> None:
        """Delete segment folders not in `keep` (and staging left by a killed writer); call under the writer lock.

        `keep` names the segments of the new manifest and of the one before it, so that a reader that
        has just read the previous manifest still finds its segments (one that is slower reads again).
        """
        segments = folder / SEGMENTS_DIR
        keep = set(keep)
        if not segments.is_dir():
            return
        for entry in segments.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, reuse: "KeywordIndex | None" = None) -> "KeywordIndex | None":
        """The saved index, or None when there is none (or it is unreadable, or an older format).

        Segments that `reuse` (an index this process already holds) has are taken from it, not read
        again: a reader that sees the generation move loads only the new segments and tombstones.
        """
        held = {p.segment.name: p for p in reuse.parts} if reuse is not None else {}
        for _ in range(LOAD_ATTEMPTS):
            try:
                manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
                if manifest.get("format") != FORMAT:
                    return None
                parts = []
                for entry in manifest["segments"]:
                    name, deleted = str(entry["name"]), frozenset(entry["deleted"])
                    known = held.get(name)
                    if known is not None and known.deleted == deleted:
                        parts.append(known)
                    else:
                        segment = known.segment if known is not None else Segment.load(folder / SEGMENTS_DIR / name)
                        parts.append(_Part(segment, deleted))
                return cls(parts, int(manifest["generation"]))
            except FileNotFoundError:
                continue  # the manifest or a segment was replaced while reading: read the newer one
            except (OSError, ValueError, KeyError, TypeError, IndexError):
                return None
        return None

    # ----- what retrieval reads -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def document_frequencies(self) -> dict[str, int]:
        """How many (live) chunks hold each stemmed term, summed over the segments."""
        if self._document_frequencies is None:
            counts: dict[str, int] = {}
            for part in self.parts:
                frequencies = part.frequencies("chunk").tolist()
                if not counts:
                    counts = {t: n for t, n in zip(part.segment.terms, frequencies) if n}
                    continue
                for term, n in zip(part.segment.terms, frequencies):
                    if n:
                        counts[term] = counts.get(term, 0) + n
            self._document_frequencies = counts
        return self._document_frequencies

    def _frequency(self, term: str, kind: str) -> int:
        key = (kind, term)
        if key not in self._frequency_cache:
            total = 0
            for part in self.parts:
                number = part.segment.vocabulary.get(term)
                if number is not None:
                    total += int(part.frequencies(kind)[number])
            self._frequency_cache[key] = total
        return self._frequency_cache[key]

    def _global(self, index: int, kind: str) -> np.ndarray:
        """Row number in this index of each position of part `index` (dead positions map anywhere: never read)."""
        key = (index, kind)
        if key not in self._global_rows:
            self._global_rows[key] = np.cumsum(self.parts[index].live(kind)) - 1 + self._offsets[kind][index]
        return self._global_rows[key]

    def _norm(self, index: int, kind: str) -> np.ndarray:
        """K1 * (1 - B + B * length / average length) of each row of part `index`, in float64 as bm25s
        computes it (the average is this index's: it moves with every write, so it is not stored)."""
        key = (index, kind)
        if key not in self._norms:
            lengths = self.parts[index].postings(kind).lengths
            self._norms[key] = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / self._average[kind])
        return self._norms[key]

    def _term_weights(self, term: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding `term` and its BM25 weight in each (float32), computed on first use and kept
        with this index object: what bm25s precomputes for every term at indexing, here only for the terms
        queries ask for (never more than the index's postings), and gone with the next write's index."""
        key = (kind, term)
        cached = self._weight_cache.get(key)
        if cached is not None:
            return cached
        count = len(self.rows) if kind == "chunk" else len(self.article_ids)
        frequency = self._frequency(term, kind)
        targets, weights = [], []
        if frequency:
            idf = np.float64(np.float32(math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))))
            for index, part in enumerate(self.parts):
                number = part.segment.vocabulary.get(term)
                if number is None:
                    continue
                postings = part.postings(kind)
                start, end = int(postings.starts[number]), int(postings.starts[number + 1])
                if start == end:
                    continue
                rows, tf = postings.rows[start:end], postings.counts[start:end]
                live = part.live(kind)
                if live is not None:
                    keep = live[rows]
                    rows, tf = rows[keep], tf[keep]
                # bm25s: float32 idf times tf / (K1 * (1 - B + B * length / average) + tf) in float64, stored as float32
                weights.append((idf * (tf / (self._norm(index, kind)[rows] + tf))).astype(np.float32))
                targets.append(rows + self._offsets[kind][index] if live is None else self._global(index, kind)[rows])
        result = (np.concatenate(targets), np.concatenate(weights)) if targets else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        self._weight_cache[key] = result
        return result

    def _scores(self, query: str, kind: str) -> np.ndarray:
        """BM25 of every live row ("chunk") or article ("article") for `query`, float32, as bm25s computes it."""
        key = (kind, query)
        cached = self._score_cache.get(key)
        if cached is not None:
            return cached
        count = len(self.rows) if kind == "chunk" else len(self.article_ids)
        scores = np.zeros(count, dtype=np.float32)
        for term in query_terms(query) if count else []:
            targets, weights = self._term_weights(term, kind)
            scores[targets] += weights  # a row appears once per term: no repeated index; terms added in query order, as bm25s
        if len(self._score_cache) >= SCORE_CACHE:
            try:
                self._score_cache.pop(next(iter(self._score_cache)), None)
            except (StopIteration, RuntimeError):  # another thread emptied or changed it meanwhile
                pass
        scores.setflags(write=False)
        self._score_cache[key] = scores
        return scores

    def all_scores(self, query: str, allowed: np.ndarray | None = None) -> np.ndarray:
        """The BM25 score of every row for `query` (0 where `allowed` is False or nothing matches).

        Score fusion needs a keyword score for articles that BM25 did not rank in its top k.
        """
        scores = self._scores(query, "chunk")
        return scores * allowed if allowed is not None else scores.copy()

    def article_scores(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        """BM25 of each whole article (title + text) for `query`, in the order of `doc_ids` (0 if unknown).

        Why besides the chunk scores: an article that names the question's terms across several
        passages is more likely about it than one passage that happens to match (measured on
        RealTime QA dev: +0.02-0.03 hit@5 with either encoder, see rag/retrieve.py).
        """
        if not self.article_ids or not doc_ids:
            return np.zeros(len(doc_ids), dtype=np.float32)
        if self._article_positions is None:
            self._article_positions = {doc_id: i for i, doc_id in enumerate(self.article_ids)}
        scores = self._scores(query, "article")
        positions = [self._article_positions.get(doc_id, -1) for doc_id in doc_ids]
        return np.array([scores[i] if i >= 0 else 0.0 for i in positions], dtype=np.float32)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[KeywordHit]:
        """The `k` best chunks for `query`; `allowed` is a boolean mask over rows (filters).

        Ties fall as bm25s's numpy top-k lets them (argpartition, then a stable order of the k).
        """
        if not self.rows or k <= 0:
            return []
        scores = self._scores(query, "chunk")
        if allowed is not None:
            scores = scores * allowed.astype(np.float32)
        k = min(k, len(self.rows))
        chosen = np.argpartition(scores, -k).take(indices=range(-k, 0))
        order = chosen[np.flip(np.argsort(scores[chosen]))]
        hits = []
        for index in order:
            score = float(scores[index])
            if score <= 0:
                continue
            row = self.rows[int(index)]
            hits.append(KeywordHit(row.chunk_id, row.doc_id, score))
        return hits

    def column(self, name: str) -> np.ndarray:
        """One field of every row as an array ("doc_id", "source", or "published_n" as YYYYMMDD, 0 undated),
        built on first use: filters are then array operations, not a loop over the rows per query."""
        if self._columns is None:
            from newsrag.index.store import published_number

            self._columns = {
                "doc_id": np.array([r.doc_id for r in self.rows], dtype=object),
                "source": np.array([r.source for r in self.rows], dtype=object),
                "published_n": np.array([published_number(r.published) for r in self.rows], dtype=np.int64),
            }
        return self._columns[name]

    def row_of_chunk(self, chunk_id: str) -> int | None:
        """The row number of a chunk (None if the index does not hold it)."""
        if self._chunk_rows is None:
            self._chunk_rows = {r.chunk_id: number for number, r in enumerate(self.rows)}
        return self._chunk_rows.get(chunk_id)

    def rows_of(self, doc_id: str) -> np.ndarray:
        """Row numbers of one document's chunks (an index built on first use)."""
        if self._doc_rows is None:
            grouped: dict[str, list[int]] = {}
            for number, row in enumerate(self.rows):
                grouped.setdefault(row.doc_id, []).append(number)
            self._doc_rows = {doc: np.asarray(numbers) for doc, numbers in grouped.items()}
        return self._doc_rows.get(doc_id, np.zeros(0, dtype=int))

    def segment_names(self) -> list[str]:
        """The names of the live segments (for the writer's clean-up and for tests)."""
        return [p.segment.name for p in self.parts]


def _merge_group(parts: Sequence[_Part]) -> list[int]:
    """Positions of the parts to merge next: a segment mostly tombstoned (with its tier), else the
    lowest tier that holds MERGE_FAN_IN segments; [] when nothing needs merging."""
    tiers: dict[int, list[int]] = {}
    for position, part in enumerate(parts):
        tiers.setdefault(part.tier, []).append(position)
    for position, part in enumerate(parts):
        if part.dead_share > MAX_DEAD_SHARE:
            group = tiers[part.tier]
            return group if len(group) >= MERGE_FAN_IN else [position]
    for tier in sorted(tiers):
        if len(tiers[tier]) >= MERGE_FAN_IN:
            return tiers[tier]
    return []


def _write_manifest(folder: Path, manifest: dict) -> None:
    """Replace `manifest.json` in one step (written beside it, then renamed over it)."""
    temporary = folder / f".manifest-{secrets.token_hex(4)}"  # open(), not mkstemp: the file gets the umask's permissions
    try:
        with open(temporary, "x", encoding="utf-8") as out:
            json.dump(manifest, out)
        os.replace(temporary, folder / MANIFEST_FILE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
