"""The keyword (BM25) index that stands beside the vectors.

BM25 finds names, places and numbers that a small embedding model blurs (measured on
RealTime QA: BM25 alone beats vectors alone). The index is built from the chunks the vector
store holds, persisted in a folder, and rebuilt only when the store changed; queries load it
once and never rebuild it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

ROWS_FILE = "rows.json"
ARTICLES_DIR = "articles"  # the whole-article BM25 index, beside the chunk index
ARTICLE_IDS_FILE = "ids.json"
GENERATION_FILE = "generation.json"  # the store generation the index was built from


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


@dataclass
class KeywordIndex:
    """BM25 over chunk texts (with each row's metadata for filtering) and over whole articles."""

    rows: list[KeywordRow] = field(default_factory=list)
    bm25: object | None = None  # bm25s.BM25, or None for an empty store
    article_ids: list[str] = field(default_factory=list)
    article_bm25: object | None = None  # bm25s.BM25 over whole articles; None in stores indexed before it existed
    generation: int = 0  # the store generation (index/store.py) these rows were read at
    _doc_rows: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _columns: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _chunk_rows: dict[str, int] | None = field(default=None, repr=False)
    _article_positions: dict[str, int] | None = field(default=None, repr=False)

    @staticmethod
    def _stemmer():
        return stemmer()

    @classmethod
    def build(cls, rows: Sequence[KeywordRow], texts: Sequence[str], articles: Mapping[str, str] | None = None) -> "KeywordIndex":
        """Index `texts` (title and passage of each chunk), one per row, and `articles` (id -> whole text)."""
        rows = list(rows)
        if not rows:
            return cls(rows=[], bm25=None)
        article_ids = list(articles or {})
        return cls(
            rows=rows,
            bm25=cls._index(texts),
            article_ids=article_ids,
            article_bm25=cls._index([articles[a] for a in article_ids]) if article_ids else None,
        )

    @classmethod
    def _index(cls, texts: Sequence[str]) -> object:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(
            bm25s.tokenize(list(texts), stopwords="en", stemmer=cls._stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False),
            show_progress=False,
        )
        return bm25

    def save(self, folder: Path) -> None:
        """Write the index atomically: a reader sees the old index or the new one, never half."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".keyword-", dir=folder.parent))
        try:
            if self.bm25 is not None:
                self.bm25.save(str(staging), show_progress=False)
            if self.article_bm25 is not None:
                self.article_bm25.save(str(staging / ARTICLES_DIR), show_progress=False)
                (staging / ARTICLES_DIR / ARTICLE_IDS_FILE).write_text(json.dumps(self.article_ids), encoding="utf-8")
            with open(staging / ROWS_FILE, "w", encoding="utf-8") as handle:
                json.dump([[r.chunk_id, r.doc_id, r.source, r.published] for r in self.rows], handle)
            (staging / GENERATION_FILE).write_text(json.dumps({"generation": self.generation}), encoding="utf-8")
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex | None":
        """The saved index, or None when there is none (or it is unreadable)."""
        rows_path = folder / ROWS_FILE
        if not rows_path.exists():
            return None
        try:
            with open(rows_path, encoding="utf-8") as handle:
                rows = [KeywordRow(*values) for values in json.load(handle)]
            generation_path = folder / GENERATION_FILE
            generation = int(json.loads(generation_path.read_text(encoding="utf-8"))["generation"]) if generation_path.is_file() else 0
            if not rows:
                return cls(rows=[], bm25=None, generation=generation)
            import bm25s

            bm25 = bm25s.BM25.load(str(folder), mmap=False)
            article_ids, article_bm25 = [], None
            if (folder / ARTICLES_DIR / ARTICLE_IDS_FILE).is_file():
                article_ids = json.loads((folder / ARTICLES_DIR / ARTICLE_IDS_FILE).read_text(encoding="utf-8"))
                article_bm25 = bm25s.BM25.load(str(folder / ARTICLES_DIR), mmap=False)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(rows=rows, bm25=bm25, article_ids=article_ids, article_bm25=article_bm25, generation=generation)

    def __len__(self) -> int:
        return len(self.rows)

    def document_frequencies(self) -> dict[str, int]:
        """How many chunks hold each stemmed term: the column counts of bm25s's score matrix.

        Reads bm25s internals (`scores["indptr"]`, `vocab_dict`), which is why pyproject.toml pins
        bm25s to 0.3.x and tests/test_retrieve.py checks these counts against a direct count.
        """
        if self.bm25 is None:
            return {}
        indptr = self.bm25.scores["indptr"]
        columns = len(indptr) - 1  # bm25s keeps an empty-token entry past the matrix
        return {term: int(indptr[c + 1] - indptr[c]) for term, c in self.bm25.vocab_dict.items() if c < columns}

    def all_scores(self, query: str, allowed: np.ndarray | None = None) -> np.ndarray:
        """The BM25 score of every row for `query` (0 where `allowed` is False or nothing matches).

        Score fusion needs a keyword score for articles that BM25 did not rank in its top k.
        """
        if self.bm25 is None:
            return np.zeros(len(self.rows), dtype=np.float32)
        terms = self._query_terms(query)
        scores = np.asarray(self.bm25.get_scores(terms), dtype=np.float32) if terms else np.zeros(len(self.rows), dtype=np.float32)
        return scores * allowed if allowed is not None else scores

    def _query_terms(self, query: str) -> list[str]:
        """The query's stemmed terms, stopwords out, as the indexes were built."""
        import bm25s

        return bm25s.tokenize(
            [query], stopwords="en", stemmer=self._stemmer(), token_pattern=TOKEN_PATTERN, return_ids=False, show_progress=False
        )[0]

    def article_scores(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        """BM25 of each whole article (title + text) for `query`, in the order of `doc_ids` (0 if unknown).

        Why besides the chunk scores: an article that names the question's terms across several
        passages is more likely about it than one passage that happens to match (measured on
        RealTime QA dev: +0.02-0.03 hit@5 with either encoder, see rag/retrieve.py).
        """
        if self.article_bm25 is None or not doc_ids:
            return np.zeros(len(doc_ids), dtype=np.float32)
        if self._article_positions is None:
            self._article_positions = {doc_id: i for i, doc_id in enumerate(self.article_ids)}
        terms = self._query_terms(query)
        if not terms:
            return np.zeros(len(doc_ids), dtype=np.float32)
        scores = np.asarray(self.article_bm25.get_scores(terms), dtype=np.float32)
        positions = [self._article_positions.get(doc_id, -1) for doc_id in doc_ids]
        return np.array([scores[i] if i >= 0 else 0.0 for i in positions], dtype=np.float32)

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

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[KeywordHit]:
        """The `k` best chunks for `query`; `allowed` is a boolean mask over rows (filters)."""
        if self.bm25 is None or k <= 0:
            return []
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False)
        if not tokens.vocab:
            return []
        k = min(k, len(self.rows))
        mask = allowed.astype(np.float32) if allowed is not None else None
        indices, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        hits = []
        for index, score in zip(indices[0], scores[0]):
            if score <= 0:
                continue
            row = self.rows[int(index)]
            hits.append(KeywordHit(row.chunk_id, row.doc_id, float(score)))
        return hits
