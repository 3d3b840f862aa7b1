"""The store: chunks and vectors in Chroma, the keyword index beside them; writers need no lock.

Chroma is the single source of truth. Every chunk carries its document's content hash, chunk
count and the time its version was written (`written_ns`); its id is `doc_id::hash::position`.
A *version* of a document is the chunks of one hash; it is complete when all `doc_chunks` of
them are there, and a document reads as its newest complete version. That makes writes safe to
run concurrently, from processes on one machine or on many sharing a Chroma server, without a
distributed lock (issue #15):

- a write adds first, then cleans up: `replace` upserts the new version (two writers of the same
  content write the same ids and never conflict), then deletes this document's chunks of other
  hashes written before it, by ids it read itself and only where their stamp is still older, so
  nobody deletes a newer version; different versions of one document resolve to the later one;
- readers use complete versions only: the keyword index holds each document's newest complete
  version, and vector hits that are not rows of it are dropped (`vector_search`);
- a superseded or half-written version is removed by whoever sees it (a writer, for what it
  touched; a rebuild, for the whole store); on a server a half-written version newer than the
  document's current one is removed only once older than `store.write_grace_s` (until then it
  may be another machine's write in flight), on an embedded store at once;
- every finished write adds one row to a write log (a small collection beside the chunks), and
  the store's generation is the number of those rows: adding a row loses no increment however
  many machines write at once. A keyword index is labelled with the generation it holds; a
  reader whose index is not at the store's generation follows it, so a write by another machine
  is answered within one query.

The keyword index is derived from Chroma. A write brings it in step at the cost of what it wrote
(the documents it touched are checked, read back and added as one segment, index/keyword.py); a
`dirty` marker written before every change and removed after the index was saved tells a later
process on this machine that a writer was killed: that one scans the whole store, removes what
the killed writer left and rebuilds the index. The local lock file serialises the processes of
one machine sharing one home folder (they share that keyword index folder); correctness across
machines does not depend on it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import secrets
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
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
class Version:
    """The chunks of one content hash of a document."""

    doc_hash: str
    expected: int  # the version's chunk count (`doc_chunks`)
    meta: dict[str, Any]  # one chunk's metadata: title, source, published, url
    ids: list[str] = field(default_factory=list)  # chunks stamped with `written_ns`
    unstamped: list[str] = field(default_factory=list)  # chunks written before stamps (no `written_ns`)
    written_ns: int = 0  # the newest stamp among its chunks

    @property
    def chunks(self) -> int:
        return len(self.ids) + len(self.unstamped)

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected


@dataclass
class StoredDocument:
    """What the store holds of one document: its versions (one, in a store at rest)."""

    doc_id: str
    versions: dict[str, Version] = field(default_factory=dict)

    @property
    def current(self) -> Version | None:
        """The newest complete version: what readers see of the document (None: nothing complete yet)."""
        complete = [v for v in self.versions.values() if v.complete]
        return max(complete, key=lambda v: (v.written_ns, v.doc_hash)) if complete else None

    @property
    def complete(self) -> bool:
        """One version, all its chunks present: anything else is half-written or not yet cleaned up."""
        return len(self.versions) == 1 and next(iter(self.versions.values())).complete

    @property
    def hashes(self) -> set[str]:
        return set(self.versions)

    @property
    def chunks(self) -> int:
        """Chunks stored, of every version."""
        return sum(v.chunks for v in self.versions.values())

    def _shown(self) -> Version:
        return self.current or max(self.versions.values(), key=lambda v: (v.written_ns, v.doc_hash))

    @property
    def expected_chunks(self) -> int:
        return self._shown().expected

    @property
    def title(self) -> str:
        return str(self._shown().meta.get("title", ""))

    @property
    def source(self) -> str:
        return str(self._shown().meta.get("source", ""))

    @property
    def published(self) -> str:
        return str(self._shown().meta.get("published", ""))

    @property
    def url(self) -> str:
        return str(self._shown().meta.get("url", ""))


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


GENERATION_KEY = "newsrag_generation"  # collection metadata: the write count of a store written before the write log (kept as its base)
UPDATED_KEY = "newsrag_updated"  # collection metadata: when the last write finished (UTC, ISO 8601)
WRITTEN_KEY = "written_ns"  # chunk metadata: when its version was written (ns since the epoch, by the writer's clock)
WRITE_LOG_SUFFIX = ".newsrag-writes"  # the write log: a collection beside the chunks, one row per finished write


class ChunkStore:
    """A Chroma collection (embedded or server) plus its write log, keyword index and local writer lock.

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
        self._write_log = None
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
                try:
                    self._collection = client.create_collection(
                        self.collection_name,
                        configuration={"hnsw": {"space": "cosine"}},
                        metadata={"newsrag_layout": LAYOUT_VERSION},
                    )
                except Exception:  # another machine created it meanwhile (else this fails as well, and says why)
                    self._collection = client.get_collection(self.collection_name)
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
            _collect(found, result["ids"], result["metadatas"])
        return found

    def replace(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Replace the stored chunks of the documents these chunks belong to (call inside `writing`).

        Adds first, then cleans up: the new versions are upserted with one stamp, then the other
        versions of these documents written before it are deleted (`_supersede`). A reader in
        between sees the old version (the new one is not in its keyword index yet); a writer
        killed in between leaves both, and whoever sees them next removes the older.
        """
        collection = self.collection(create=True)
        hashes = {c.doc_id: c.doc_hash for c in chunks}
        self._touch(sorted(hashes))
        stamp = time.time_ns()
        batch = max(1, min(self.client.get_max_batch_size(), 5000))
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[start : start + batch],
                documents=[c.text for c in part],
                metadatas=[{**c.metadata(), "published_n": published_number(c.published), WRITTEN_KEY: stamp} for c in part],
            )
        self._supersede(hashes, stamp)

    def _supersede(self, hashes: dict[str, str], stamp: int) -> None:
        """Delete the chunks of these documents that are not of their hash in `hashes` and were written
        before `stamp`: by ids read here, and only where the stamp is still older when Chroma deletes
        them (a writer that re-wrote one meanwhile keeps it)."""
        older: list[str] = []
        unstamped: list[str] = []
        for page in self._documents_pages(sorted(hashes), ["metadatas"]):
            for chunk_id, meta in zip(page["ids"], page["metadatas"]):
                if str(meta.get("doc_hash", "")) != hashes.get(str(meta["doc_id"])):
                    (older if WRITTEN_KEY in meta else unstamped).append(chunk_id)
        self._delete_chunks(older, before=stamp)
        self._delete_chunks(unstamped)

    def _delete_chunks(self, chunk_ids: Sequence[str], before: int | None = None) -> None:
        """Delete these chunks; with `before`, only those whose stamp is still older than it."""
        collection = self.collection()
        if collection is None or not chunk_ids:
            return
        for start in range(0, len(chunk_ids), PAGE):
            part = list(chunk_ids[start : start + PAGE])
            if before is None:
                collection.delete(ids=part)
            else:
                collection.delete(ids=part, where={WRITTEN_KEY: {"$lt": before}})

    def _tidy(self, documents: dict[str, StoredDocument]) -> None:
        """Remove what readers no longer need of these documents: versions older than the document's
        current one, and half-written versions that no writer can still be finishing (on a Chroma
        server: older than `store.write_grace_s`; an embedded store has one writer, this one)."""
        grace = int(self.settings.store.write_grace_s * 1e9) if self.chroma_url else 0
        abandoned = time.time_ns() - grace
        for document in documents.values():
            current = document.current
            for version in list(document.versions.values()):
                if version is current:
                    continue
                if current is not None and (version.written_ns, version.doc_hash) < (current.written_ns, current.doc_hash):
                    before = current.written_ns + 1  # superseded, complete or not
                elif not version.complete and version.written_ns < abandoned:
                    before = abandoned  # newer than the current one, never finished, and old: a killed writer's
                else:
                    continue  # a write in flight: its writer finishes it, or a later reader removes it
                self._delete_chunks(version.ids, before=before)
                self._delete_chunks(version.unstamped)
                del document.versions[version.doc_hash]

    def check(self, doc_ids: Sequence[str]) -> None:
        """Have `finish_writing` check these documents too (an unchanged one with another version left beside it)."""
        self._touch(doc_ids)

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

        It costs what the write touched: the documents `replace`, `check` and `delete` named are
        checked (superseded and abandoned versions removed, `_tidy`), their current versions read back
        and indexed as one new segment, the old rows tombstoned. The whole store is scanned and the
        index rebuilt instead when `rebuild` is set, when the block began with a killed writer's dirty
        marker, when the index on disk is missing or not at the store's generation (another machine
        wrote), or when the index would not hold what Chroma holds (a write made around
        `replace`/`delete`, or on a server another machine's write in flight or left behind).
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
        generation = base.generation + 1
        rows, texts, articles = self._keyword_corpus(sorted(touched), tidy=True)
        added = Segment.build(new_segment_name(generation), rows, texts, articles) if rows or articles else None
        index, _ = base.changed(touched, added, generation)
        if len(index) != self.count():  # a write made around replace/delete, or (on a server) another machine's in flight
            return None
        index.save_changes(self.keyword_dir)
        return index

    def _rebuild(self) -> KeywordIndex:
        """Scan the whole store: remove superseded and abandoned versions, index every current version anew, save it."""
        generation = self.generation() + 1  # read before the scan: a write logged later is not taken for included
        rows, texts, articles = self._keyword_corpus(tidy=True)
        index = KeywordIndex.build(rows, texts, articles, generation=generation)
        index.save(self.keyword_dir)
        return index

    # ----- generation --------------------------------------------------------------------------
    def generation(self) -> int:
        """The store's write count: the rows of its write log in Chroma (plus the counter a store
        written before the log kept in its metadata), so that every process and machine sees the
        same one and concurrent writers lose no increment. A keyword index labelled with another
        generation is out of date."""
        return int(self._fresh_metadata().get(GENERATION_KEY, 0)) + self._write_count()

    @property
    def write_log_name(self) -> str:
        return self.collection_name + WRITE_LOG_SUFFIX

    def _write_log_collection(self, create: bool = False):
        """The write log collection (None when it does not exist and `create` is false)."""
        if self._write_log is None:
            client = self.client
            try:
                self._write_log = client.get_collection(self.write_log_name)
            except Exception:
                if not create:
                    return None
                try:
                    self._write_log = client.get_or_create_collection(self.write_log_name, metadata={"newsrag_write_log": 1})
                except Exception:  # another machine created it meanwhile
                    self._write_log = client.get_collection(self.write_log_name)
        return self._write_log

    def _write_count(self) -> int:
        for _ in range(2):
            log = self._write_log_collection()
            if log is None:
                return 0
            try:
                return log.count()
            except Exception:  # dropped and made again by another process: open it afresh
                self._write_log = None
        return 0

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
        self._write_log = None

    def _set_generation(self, generation: int) -> None:
        """Log this write (one new row: the store's generation moves by one for every finished write,
        whoever makes them), then note when it finished. `generation` is the label of this writer's
        index; when another write was logged meanwhile the store is past it and every reader follows."""
        collection = self.collection(create=True)
        self._write_log_collection(create=True).add(
            ids=[f"{time.time_ns()}-{secrets.token_hex(8)}"],
            embeddings=[[0.0]],
            metadatas=[{WRITTEN_KEY: time.time_ns(), "label": generation}],
        )
        metadata = dict(self.client.get_collection(self.collection_name).metadata or {})  # fresh; a failure must not drop the rest
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
            _collect(found, page["ids"], page["metadatas"])
        return found

    def _documents_pages(self, doc_ids: Sequence[str], include: list[str]) -> Iterator[dict[str, Any]]:
        """The chunks of these documents, a few hundred documents a page."""
        collection = self.collection()
        if collection is None:
            return
        for start in range(0, len(doc_ids), 500):
            yield collection.get(where={"doc_id": {"$in": list(doc_ids[start : start + 500])}}, include=include)

    def _keyword_corpus(
        self, doc_ids: Sequence[str] | None = None, tidy: bool = False
    ) -> tuple[list[KeywordRow], list[str], dict[str, str]]:
        """Rows and texts (title + chunk) for the chunk index, and each article's whole text: of the
        whole store, or of the documents `doc_ids` only; each document's current version only.
        With `tidy`, what readers no longer need of the documents read is removed (`_tidy`)."""
        rows: list[KeywordRow] = []
        texts: list[str] = []
        pieces: dict[str, list[StoredChunk]] = {}
        titles: dict[str, str] = {}
        include = ["metadatas", "documents"]
        read: list[tuple[str, dict[str, Any], str]] = []
        documents: dict[str, StoredDocument] = {}
        for page in self._pages(include) if doc_ids is None else self._documents_pages(doc_ids, include):
            _collect(documents, page["ids"], page["metadatas"])
            read.extend(zip(page["ids"], page["metadatas"], page["documents"]))
        if tidy:
            self._tidy(documents)
        current = {doc_id: d.current.doc_hash for doc_id, d in documents.items() if d.current is not None}
        for chunk_id, meta, text in read:
            doc_id = str(meta["doc_id"])
            if current.get(doc_id) != str(meta.get("doc_hash", "")):
                continue  # a superseded version, or one not (yet) complete
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
        if index is not None and index.generation == current and self._holds_store(index):
            self._keyword = index
            return index
        # Embedded, the index on disk is the only one: half-written, missing, or not what this store holds, it is repaired.
        # On a server only a killed writer of this machine (the dirty marker) calls for that; else another machine wrote.
        if dirty or (not self.chroma_url and (index is None or index.generation >= current)):
            index = self._repair()
        else:  # the store moved on without this machine (another machine wrote): follow it, in memory
            rows, texts, articles = self._keyword_corpus(tidy=True)
            index = KeywordIndex.build(rows, texts, articles, generation=current)
        self._keyword = index
        return index

    def _holds_store(self, index: KeywordIndex) -> bool:
        """Whether an index at the store's generation holds what Chroma holds. Embedded (one writer, done), its rows
        are every chunk; on a server another machine's write may be in flight, whose chunks count but are no rows yet,
        so the generation alone decides (that write moves it when it finishes)."""
        return bool(self.chroma_url) or len(index) == self.count()

    def _repair(self) -> KeywordIndex:
        """Under the writer lock: the index a writer we waited for saved, when it finished cleanly and
        the index is current; else the whole store scanned, what readers no longer need removed, rebuilt."""
        with self.writing():
            if not self._left_dirty:
                index = KeywordIndex.load(self.keyword_dir, reuse=self._keyword)
                if index is not None and index.generation == self.generation() and self._holds_store(index):
                    self.dirty_marker.unlink(missing_ok=True)  # nothing was changed under this lock
                    return index
            return self.finish_writing(rebuild=True)

    def vector_search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[VectorHit]:
        """The `k` chunks nearest to `vector` (cosine), optionally filtered by metadata: chunks of current
        versions only, the rows of the keyword index (a version being written or superseded is no row)."""
        if k <= 0 or self.collection() is None:
            return []
        index = self.keyword_index()  # first: following another process's write may open Chroma afresh
        collection = self.collection()
        count = collection.count()
        extra = max(0, count - len(index))  # chunks that are no rows: ask for as many more, within reason
        n = min(count, k + min(extra, 3 * k))
        if n == 0:
            return []
        result = collection.query(query_embeddings=[vector], n_results=n, where=where or None, include=["metadatas", "distances"])
        hits = [
            VectorHit(chunk_id, str(meta["doc_id"]), 1.0 - float(distance))
            for chunk_id, meta, distance in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
            if index.row_of_chunk(chunk_id) is not None
        ]
        return hits[:k]

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (looked up by id: far faster than a metadata filter)."""
        collection = self.collection()
        if collection is None or not chunk_ids:
            return {}
        result = collection.get(ids=list(chunk_ids), include=["embeddings"])
        return dict(zip(result["ids"], np.asarray(result["embeddings"], dtype=np.float32)))

    def headlines(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """Each article's headline, read from the metadata of one of its chunks (doc id -> title;
        looked up by chunk id, far faster than a filter on doc id)."""
        collection = self.collection()
        if collection is None or not chunk_ids:
            return {}
        result = collection.get(ids=list(chunk_ids), include=["metadatas"])
        return {str(meta["doc_id"]): str(meta.get("title") or "") for meta in result["metadatas"]}

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
        found: dict[str, StoredDocument] = {}
        _collect(found, result["ids"], result["metadatas"])
        current = found[doc_id].current if doc_id in found else None
        chunks = [
            StoredChunk(cid, text, dict(meta))
            for cid, meta, text in zip(result["ids"], result["metadatas"], result["documents"])
            if current is not None and str(meta.get("doc_hash", "")) == current.doc_hash
        ]
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
        shutil.rmtree(self.keyword_dir, ignore_errors=True)  # the write log stays: the generation only grows


def _collect(found: dict[str, StoredDocument], ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
    """Add chunks (ids and metadata) to the documents and versions they belong to."""
    for chunk_id, meta in zip(ids, metadatas):
        doc_id = str(meta["doc_id"])
        doc = found.get(doc_id)
        if doc is None:
            doc = found[doc_id] = StoredDocument(doc_id)
        doc_hash = str(meta.get("doc_hash", ""))
        version = doc.versions.get(doc_hash)
        if version is None:
            version = doc.versions[doc_hash] = Version(doc_hash, int(meta.get("doc_chunks", 0)), dict(meta))
        stamp = meta.get(WRITTEN_KEY)
        if stamp is None:
            version.unstamped.append(chunk_id)
        else:
            version.ids.append(chunk_id)
            version.written_ns = max(version.written_ns, int(stamp))
