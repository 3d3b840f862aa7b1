"""The store: chunks and vectors in Chroma, the keyword index beside them, one writer at a time.

Chroma is the single source of truth. Every chunk carries its document's content hash and
chunk count, so a document is complete exactly when the store holds `doc_chunks` chunks of one
hash: that makes re-ingesting idempotent and lets a run that was killed half-way be finished by
the next one. The keyword index is derived from Chroma. A write brings it in step at the cost
of what it wrote (the documents it touched are checked, read back and added as one segment,
index/keyword.py); a `dirty` marker written before every change and removed after the index
was saved tells a later process that a writer was killed: that one scans the whole store, drops
half-written documents and rebuilds the index.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from newsrag.index.documents import Chunk, assemble_article
from newsrag.index.keyword import MANIFEST_FILE, KeywordIndex, KeywordRow, Segment, new_segment_name
from newsrag.settings import Settings

LAYOUT_VERSION = 1
PAGE = 5000  # rows per Chroma `get` page when scanning the whole collection


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do."""


class EncoderMismatchError(StoreError):
    """The store was embedded with another model than the one the settings choose."""


@dataclass
class StoredDocument:
    """What the store holds of one document."""

    doc_id: str
    title: str
    source: str
    published: str
    url: str
    chunks: int
    expected_chunks: int
    hashes: set[str]

    @property
    def complete(self) -> bool:
        """All chunks of one version present: anything else is a half-written document."""
        return len(self.hashes) == 1 and self.chunks == self.expected_chunks


@dataclass
class VectorHit:
    """A chunk found by vector similarity."""

    chunk_id: str
    doc_id: str
    score: float  # cosine similarity


@dataclass
class StoredChunk:
    """A chunk read back from the store, with its metadata."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]


def published_number(published: str) -> int:
    """YYYY-MM-DD as the integer YYYYMMDD (Chroma filters ranges on numbers only); 0 if unknown."""
    digits = published.replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


GENERATION_KEY = "newsrag_generation"  # collection metadata: how many writes the store has finished
UPDATED_KEY = "newsrag_updated"  # collection metadata: when the last write finished (UTC, ISO 8601)


class ChunkStore:
    """A Chroma collection (embedded or server) plus its keyword index and writer lock.

    >>> store = ChunkStore(load_settings({"store": {"path": "/tmp/newsrag-demo"}}))  # doctest: +SKIP
    >>> store.stats()["chunks"]  # doctest: +SKIP
    0
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.collection_name = settings.store.collection
        self.chroma_url = settings.store.chroma_url
        self.local_dir = self._local_dir()
        self._client = None
        self._collection = None
        self._keyword: KeywordIndex | None = None
        self._touched: set[str] | None = None  # documents this writing block changed (None: not writing)
        self._left_dirty = False  # the dirty marker was there when this writing block began: a writer was killed

    # ----- where things are -------------------------------------------------------------
    def _local_dir(self) -> Path:
        """The folder for the lock and keyword index (and, embedded, Chroma itself)."""
        if not self.chroma_url:
            return self.settings.store_path
        parsed = urlparse(self.chroma_url)
        name = f"{parsed.hostname}_{parsed.port or 8000}"
        return self.settings.home / "servers" / name

    @property
    def location(self) -> str:
        """Human-readable location: the folder, or the server URL."""
        return self.chroma_url or str(self.settings.store_path)

    @property
    def keyword_dir(self) -> Path:
        return self.local_dir / "keyword" / self.collection_name

    @property
    def dirty_marker(self) -> Path:
        return self.local_dir / "keyword" / f"{self.collection_name}.dirty"

    # ----- Chroma -------------------------------------------------------------------------
    @property
    def client(self):
        """The Chroma client, created on first use (telemetry off)."""
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            if self.chroma_url:
                parsed = urlparse(self.chroma_url)
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise StoreError(f"{self.chroma_url}: not a Chroma server URL (expected http://HOST:PORT)")
                try:
                    self._client = chromadb.HttpClient(
                        host=parsed.hostname, port=parsed.port or 8000, ssl=parsed.scheme == "https", settings=chroma_settings
                    )
                    self._client.heartbeat()
                except Exception as exc:
                    raise StoreError(f"{self.chroma_url}: Chroma server not reachable ({type(exc).__name__})") from exc
            else:
                path = self.settings.store_path
                if path.exists() and not path.is_dir():
                    raise StoreError(f"{path}: store path is a file, not a folder")
                path.mkdir(parents=True, exist_ok=True)
                try:
                    self._client = chromadb.PersistentClient(path=str(path / "chroma"), settings=chroma_settings)
                except Exception as exc:
                    raise StoreError(f"{path}: cannot open the Chroma store ({exc})") from exc
        return self._client

    def collection(self, create: bool = False):
        """The Chroma collection; None when it does not exist and `create` is false."""
        if self._collection is None:
            client = self.client  # a store that cannot be opened is an error, not an empty store
            try:
                self._collection = client.get_collection(self.collection_name)
            except Exception:
                if not create:
                    return None
                self._collection = client.create_collection(
                    self.collection_name,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"newsrag_layout": LAYOUT_VERSION},
                )
        return self._collection

    def encoder_record(self) -> dict[str, Any]:
        """Which encoder embedded this store (empty for a new store)."""
        collection = self.collection()
        metadata = (collection.metadata or {}) if collection is not None else {}
        return {k: metadata[k] for k in ("embed_model", "embed_dim") if k in metadata}

    def check_encoder(self, identity: str, dimension: int) -> None:
        """Refuse to mix vectors of two models: a clear error instead of silent garbage."""
        record = self.encoder_record()
        if not record:
            return
        if record.get("embed_model") != identity or int(record.get("embed_dim", dimension)) != dimension:
            raise EncoderMismatchError(
                f"{self.location}: collection '{self.collection_name}' was embedded with {record.get('embed_model')} "
                f"({record.get('embed_dim')}-d) but the settings choose {identity} ({dimension}-d); "
                "use the same embedding settings, or re-embed with `newsrag reindex`"
            )
        metadata = self.collection().metadata or {}
        if int(metadata.get("newsrag_layout", 0)) > LAYOUT_VERSION:
            raise StoreError(f"{self.location}: store written by a newer newsrag (layout {metadata['newsrag_layout']})")

    def bind_encoder(self, identity: str, dimension: int) -> None:
        """Record the encoder on a new collection; check it on an existing one."""
        collection = self.collection(create=True)
        if "embed_model" in (collection.metadata or {}):
            self.check_encoder(identity, dimension)
            return
        metadata = dict(collection.metadata or {})
        metadata.update({"embed_model": identity, "embed_dim": dimension, "newsrag_layout": LAYOUT_VERSION})
        metadata.pop("hnsw:space", None)
        collection.modify(metadata=metadata)

    # ----- writing ---------------------------------------------------------------------------
    @contextmanager
    def writing(self, wait: bool = True) -> Iterator[None]:
        """Hold the writer lock; mark the keyword index stale until the block has finished."""
        self.local_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.local_dir / "write.lock"
        with open(lock_path, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise StoreError(f"{self.location}: another newsrag process is writing to this store") from None
                print(f"newsrag: waiting for another process writing to {self.location}", file=sys.stderr)
                fcntl.flock(lock, fcntl.LOCK_EX)
            self.dirty_marker.parent.mkdir(parents=True, exist_ok=True)
            self._left_dirty = self.dirty_marker.exists()  # nobody else holds the lock: a writer was killed
            self._touched = set()
            self.dirty_marker.touch()
            try:
                yield
            finally:
                self._touched = None
                fcntl.flock(lock, fcntl.LOCK_UN)

    def existing(self, doc_ids: Sequence[str]) -> dict[str, StoredDocument]:
        """What the store holds of these documents (absent ids are left out)."""
        collection = self.collection()
        if collection is None or not doc_ids:
            return {}
        found: dict[str, StoredDocument] = {}
        for start in range(0, len(doc_ids), 500):
            batch = list(doc_ids[start : start + 500])
            result = collection.get(where={"doc_id": {"$in": batch}}, include=["metadatas"])
            _collect(found, result["metadatas"])
        return found

    def replace(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Replace the stored chunks of the documents these chunks belong to (call inside `writing`)."""
        collection = self.collection(create=True)
        doc_ids = sorted({c.doc_id for c in chunks})
        self._touch(doc_ids)
        if doc_ids:
            collection.delete(where={"doc_id": {"$in": doc_ids}})
        batch = max(1, min(self.client.get_max_batch_size(), 5000))
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            collection.add(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[start : start + batch],
                documents=[c.text for c in part],
                metadatas=[{**c.metadata(), "published_n": published_number(c.published)} for c in part],
            )

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Delete documents by id; returns the ids that were present (call inside `writing`)."""
        present = sorted(self.existing(doc_ids))
        self._touch(present)
        collection = self.collection()
        if present and collection is not None:
            collection.delete(where={"doc_id": {"$in": present}})
        return present

    def _touch(self, doc_ids: Sequence[str]) -> None:
        if self._touched is not None:
            self._touched.update(doc_ids)

    def finish_writing(self, rebuild: bool = False) -> KeywordIndex:
        """Bring the keyword index in step with this write, advance the generation, clear the dirty
        marker (call inside `writing`, after the last change).

        It costs what the write touched: the documents `replace` and `delete` named are checked
        (half-written ones dropped), the complete ones read back and indexed as one new segment, the
        old versions tombstoned. The whole store is scanned and the index rebuilt instead when
        `rebuild` is set, when the block began with a killed writer's dirty marker, when the index on
        disk is missing or not at the store's generation, or when the index would not hold what
        Chroma holds (a write made around `replace`/`delete`).
        """
        base = None if rebuild or self._left_dirty or self._touched is None else self._current_index()
        index = self._advance(base, self._touched) if base is not None else None
        if index is None:
            index = self._rebuild()
        self._set_generation(index.generation)  # after the index is saved: a reader that sees it can load this index
        self.dirty_marker.unlink(missing_ok=True)
        self._left_dirty = False
        if self._touched is not None:
            self._touched = set()
        if base is not None:  # the segments of this manifest and the one before stay for readers loading them
            KeywordIndex.collect_garbage(self.keyword_dir, {*index.segment_names(), *base.segment_names()})
        self._keyword = index
        return index

    def _current_index(self) -> KeywordIndex | None:
        """The keyword index at the store's generation as it stands (before this write advances it), or None."""
        generation = self.generation()
        if self._keyword is not None and self._keyword.generation == generation:
            return self._keyword
        index = KeywordIndex.load(self.keyword_dir, reuse=self._keyword)
        return index if index is not None and index.generation == generation else None

    def _advance(self, base: KeywordIndex, touched: set[str]) -> KeywordIndex | None:
        """`base` after this write, saved (new segments, then the manifest); None when it would not
        hold what Chroma holds, which only a full rebuild can repair."""
        documents = self.existing(sorted(touched))
        broken = sorted(d.doc_id for d in documents.values() if not d.complete)
        collection = self.collection()
        if broken and collection is not None:
            collection.delete(where={"doc_id": {"$in": broken}})
        complete = sorted(d.doc_id for d in documents.values() if d.complete)
        generation = base.generation + 1
        added = None
        if complete:
            rows, texts, articles = self._keyword_corpus(complete)
            added = Segment.build(new_segment_name(generation), rows, texts, articles)
        index, _ = base.changed(touched, added, generation)
        if len(index) != self.count():
            return None
        index.save_changes(self.keyword_dir)
        return index

    def _rebuild(self) -> KeywordIndex:
        """Scan the whole store: drop half-written documents, index every chunk anew, save it."""
        documents = self.scan()
        broken = [d.doc_id for d in documents.values() if not d.complete]
        collection = self.collection()
        if broken and collection is not None:
            collection.delete(where={"doc_id": {"$in": broken}})
        rows, texts, articles = self._keyword_corpus()
        generation = self.generation() + 1
        index = KeywordIndex.build(rows, texts, articles, generation=generation)
        index.save(self.keyword_dir)
        return index

    # ----- generation --------------------------------------------------------------------------
    def generation(self) -> int:
        """The store's write count, kept in Chroma's collection metadata so that every process and
        machine sees the same one: a keyword index built at an older generation is out of date."""
        return int(self._fresh_metadata().get(GENERATION_KEY, 0))

    def _fresh_metadata(self) -> dict[str, Any]:
        """The collection's metadata read from Chroma now (a few milliseconds), never from the cached
        collection object, which does not see other processes' writes; empty when there is none."""
        try:
            return dict(self.client.get_collection(self.collection_name).metadata or {})
        except Exception:
            return {}

    def _reopen(self) -> None:
        """Open an embedded Chroma store afresh, so that writes by other processes are seen.

        Chroma's embedded client keeps its vector segments in memory and never looks at the files
        again; `get` by id of a chunk another process added then fails ("Error finding id"). A
        server client needs nothing: the server holds the one copy.
        """
        if self.chroma_url or self._client is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        # Not stopped: other handles in this process may share it; it closes when they let it go.
        SharedSystemClient.clear_system_cache()
        self._client = None
        self._collection = None

    def _set_generation(self, generation: int) -> None:
        collection = self.collection(create=True)
        metadata = dict(self.client.get_collection(self.collection_name).metadata or {})  # fresh; a failure must not drop the rest
        metadata[GENERATION_KEY] = generation
        metadata[UPDATED_KEY] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        metadata.pop("hnsw:space", None)
        collection.modify(metadata=metadata)

    # ----- reading ---------------------------------------------------------------------------
    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        collection = self.collection()
        if collection is None:
            return
        offset = 0
        while True:
            page = collection.get(include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def scan(self) -> dict[str, StoredDocument]:
        """Every stored document, read from the chunks' metadata."""
        found: dict[str, StoredDocument] = {}
        for page in self._pages(["metadatas"]):
            _collect(found, page["metadatas"])
        return found

    def _documents_pages(self, doc_ids: Sequence[str], include: list[str]) -> Iterator[dict[str, Any]]:
        """The chunks of these documents, a few hundred documents a page."""
        collection = self.collection()
        if collection is None:
            return
        for start in range(0, len(doc_ids), 500):
            yield collection.get(where={"doc_id": {"$in": list(doc_ids[start : start + 500])}}, include=include)

    def _keyword_corpus(self, doc_ids: Sequence[str] | None = None) -> tuple[list[KeywordRow], list[str], dict[str, str]]:
        """Rows and texts (title + chunk) for the chunk index, and each article's whole text: of the
        whole store, or of the documents `doc_ids` only."""
        rows: list[KeywordRow] = []
        texts: list[str] = []
        pieces: dict[str, list[StoredChunk]] = {}
        titles: dict[str, str] = {}
        include = ["metadatas", "documents"]
        for page in self._pages(include) if doc_ids is None else self._documents_pages(doc_ids, include):
            for chunk_id, meta, text in zip(page["ids"], page["metadatas"], page["documents"]):
                doc_id = str(meta["doc_id"])
                rows.append(KeywordRow(chunk_id, doc_id, str(meta.get("source", "")), str(meta.get("published", ""))))
                title = str(meta.get("title", ""))
                texts.append(f"{title}\n{text}" if title else text)
                titles[doc_id] = title
                pieces.setdefault(doc_id, []).append(StoredChunk(chunk_id, text, meta))
        articles = {doc_id: f"{titles[doc_id]}\n{assemble_article(chunks)}" for doc_id, chunks in pieces.items()}
        return rows, texts, articles

    def count(self) -> int:
        """Number of chunks stored."""
        collection = self.collection()
        return collection.count() if collection is not None else 0

    def keyword_index(self) -> KeywordIndex:
        """The keyword index at the store's current generation: the one in memory while no process
        has written since; else the one the writer saved, when it is that generation (catching up
        loads only the segments this process does not hold yet); else rebuilt from Chroma. A
        process that another machine wrote to builds its own copy in memory; one whose store was
        left half-written (the dirty marker) repairs it under the writer lock."""
        current = self.generation()
        if self._keyword is not None and self._keyword.generation == current:
            return self._keyword
        if self._keyword is not None:
            self._reopen()  # another process wrote: embedded Chroma's in-memory segments predate it
        dirty = self.dirty_marker.exists()
        index = None if dirty else KeywordIndex.load(self.keyword_dir, reuse=self._keyword)
        if index is not None and index.generation == current and len(index) == self.count():
            self._keyword = index
            return index
        if dirty or index is None or index.generation >= current:  # half-written, missing, or not what this store holds: repair
            index = self._repair()
        else:  # the store moved on without this machine (another machine wrote): follow it
            rows, texts, articles = self._keyword_corpus()
            index = KeywordIndex.build(rows, texts, articles, generation=current)
        self._keyword = index
        return index

    def _repair(self) -> KeywordIndex:
        """Under the writer lock: the index a writer we waited for saved, when it finished cleanly and
        the index is current; else the whole store scanned, half-written documents dropped, rebuilt."""
        with self.writing():
            if not self._left_dirty:
                index = KeywordIndex.load(self.keyword_dir, reuse=self._keyword)
                if index is not None and index.generation == self.generation() and len(index) == self.count():
                    self.dirty_marker.unlink(missing_ok=True)  # nothing was changed under this lock
                    return index
            return self.finish_writing(rebuild=True)

    def vector_search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[VectorHit]:
        """The `k` chunks nearest to `vector` (cosine), optionally filtered by metadata."""
        collection = self.collection()
        if collection is None or k <= 0:
            return []
        k = min(k, collection.count())
        if k == 0:
            return []
        result = collection.query(query_embeddings=[vector], n_results=k, where=where or None, include=["metadatas", "distances"])
        return [
            VectorHit(chunk_id, str(meta["doc_id"]), 1.0 - float(distance))
            for chunk_id, meta, distance in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
        ]

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (looked up by id: far faster than a metadata filter)."""
        collection = self.collection()
        if collection is None or not chunk_ids:
            return {}
        result = collection.get(ids=list(chunk_ids), include=["embeddings"])
        return dict(zip(result["ids"], np.asarray(result["embeddings"], dtype=np.float32)))

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Text and metadata of these chunks."""
        collection = self.collection()
        if collection is None or not chunk_ids:
            return {}
        result = collection.get(ids=list(chunk_ids), include=["metadatas", "documents"])
        return {cid: StoredChunk(cid, text, dict(meta)) for cid, meta, text in zip(result["ids"], result["metadatas"], result["documents"])}

    def document_chunks(self, doc_id: str) -> list[StoredChunk]:
        """All chunks of one document, in order: enough to show the whole cleaned article."""
        collection = self.collection()
        if collection is None:
            return []
        result = collection.get(where={"doc_id": doc_id}, include=["metadatas", "documents"])
        chunks = [StoredChunk(cid, text, dict(meta)) for cid, meta, text in zip(result["ids"], result["metadatas"], result["documents"])]
        return sorted(chunks, key=lambda c: int(c.metadata.get("position", 0)))

    def last_update(self) -> str:
        """When the last write finished (UTC, ISO 8601); "" for a store written before it was recorded."""
        return str(self._fresh_metadata().get(UPDATED_KEY, ""))

    def stats(self) -> dict[str, Any]:
        """Documents, chunks, model and location: what `newsrag stats` shows."""
        documents = self.scan()
        record = self.encoder_record()
        return {
            "generation": self.generation(),
            "updated": self.last_update(),
            "store": self.location,
            "collection": self.collection_name,
            "documents": len(documents),
            "chunks": sum(d.chunks for d in documents.values()),
            "incomplete_documents": sum(1 for d in documents.values() if not d.complete),
            "undated_documents": sum(1 for d in documents.values() if not d.published),  # ranked as undated by time-aware retrieval
            "embed_model": record.get("embed_model"),
            "embed_dim": record.get("embed_dim"),
            "keyword_index": self._keyword_state(),
        }

    def _keyword_state(self) -> str:
        """ "stale" (a writer was killed or is writing), "ready", or "none" (never built, or an older format)."""
        if self.dirty_marker.exists():
            return "stale"
        return "ready" if (self.keyword_dir / MANIFEST_FILE).exists() else "none"

    def drop(self) -> None:
        """Delete the collection and its keyword index (for re-embedding from scratch)."""
        if self.collection() is not None:
            self.client.delete_collection(self.collection_name)
        self._collection = None
        self._keyword = None
        shutil.rmtree(self.keyword_dir, ignore_errors=True)


def _collect(found: dict[str, StoredDocument], metadatas: Sequence[dict[str, Any]]) -> None:
    for meta in metadatas:
        doc_id = str(meta["doc_id"])
        doc = found.get(doc_id)
        if doc is None:
            doc = found[doc_id] = StoredDocument(
                doc_id=doc_id,
                title=str(meta.get("title", "")),
                source=str(meta.get("source", "")),
                published=str(meta.get("published", "")),
                url=str(meta.get("url", "")),
                chunks=0,
                expected_chunks=int(meta.get("doc_chunks", 0)),
                hashes=set(),
            )
        doc.chunks += 1
        doc.hashes.add(str(meta.get("doc_hash", "")))
