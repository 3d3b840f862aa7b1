"""Ingestion: files in, complete documents out in the store, each exactly once.

Reading, cleaning and chunking run in a background thread while the encoder works on the
previous batch, so the cores never wait on I/O. Unchanged documents (their current version has
the same content hash) are skipped before anything is embedded. Ingests may run at once, on one
machine or several sharing a Chroma server: the store keeps their writes apart (index/store.py).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from newsrag.index.chunk import Chunker
from newsrag.index.documents import Chunk, Document
from newsrag.index.embed import Encoder
from newsrag.index.loaders import LoadError, discover, load_file
from newsrag.index.store import ChunkStore
from newsrag.messages import one_line
from newsrag.settings import Settings

DOCUMENT_BATCH = 64  # documents looked up and embedded together

ProblemSink = Callable[[str], None]


def print_problem(message: str) -> None:
    """Default problem sink: one line on stderr."""
    print(f"newsrag: skipped {one_line(message)}", file=sys.stderr)


@dataclass
class IngestReport:
    """What an ingest run did: the summary the command prints and `--json` returns."""

    files_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    chunks: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        rate = f", {self.chunks / self.seconds:.1f} chunks/s" if self.chunks and self.seconds else ""
        return (
            f"{self.files_read} files read; documents: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped; {self.chunks} chunks in {self.seconds:.1f} s{rate}"
        )


@dataclass
class _Batch:
    documents: list[Document]
    chunks: list[Chunk]
    updated_ids: set[str]


class Ingestor:
    """Runs files through load -> clean -> chunk -> embed -> store.

    >>> report = Ingestor(settings, store, encoder).run([Path("articles/")])  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    '5 files read; documents: 5 added, 0 updated, 0 unchanged, 0 skipped; 19 chunks in 2.1 s'
    """

    def __init__(
        self, settings: Settings, store: ChunkStore, encoder: Encoder, on_problem: ProblemSink = print_problem, progress: bool = True
    ) -> None:
        self.settings = settings
        self.store = store
        self.encoder = encoder
        self.on_problem = on_problem
        self.progress = progress
        self.chunker = Chunker(settings.chunk, encoder.count_tokens, encoder.max_tokens)

    def run(self, paths: Sequence[Path]) -> IngestReport:
        """Ingest every supported file under `paths`; bad files are reported and skipped."""
        report = IngestReport()
        began = time.perf_counter()
        files = self._discover(paths, report)
        return self.run_files(files, report, began)

    def _discover(self, paths: Sequence[Path], report: IngestReport) -> list[tuple[Path, Path]]:
        files: list[tuple[Path, Path]] = []
        seen: set[Path] = set()
        for path in paths:  # one missing path must not drop the others
            try:
                found = discover([Path(path)])
            except LoadError as exc:
                self._problem(report, str(exc))
                continue
            files.extend(pair for pair in found if pair[0].resolve() not in seen)
            seen.update(pair[0].resolve() for pair in found)
        return files

    def run_files(self, files: Sequence[tuple[Path, Path]], report: IngestReport | None = None, began: float | None = None) -> IngestReport:
        """Ingest these (file, root) pairs: a file's id is its path relative to its root, so a
        watched folder's files keep the ids the first ingest of the folder gave them."""
        report = report or IngestReport()
        began = time.perf_counter() if began is None else began
        files = list(files)
        self.store.bind_encoder(self.encoder.identity, self.encoder.dimension)
        with (
            self.store.writing(),
            self._progress_bar(len(files)) as bar,
            ThreadPoolExecutor(1, thread_name_prefix="newsrag-write") as writer,
        ):
            written: Future | None = None  # one batch is written to Chroma while the next is encoded
            for batch in _prefetch(self._batches(files, report, bar)):
                if batch.chunks:
                    t0 = time.perf_counter()
                    vectors = self.encoder.encode([c.embedding_text() for c in batch.chunks], self.settings.embed.batch_size)
                    report.encode_seconds += time.perf_counter() - t0
                    if written is not None:
                        written.result()  # in order, and a failed write stops the run here
                    written = writer.submit(self.store.replace, batch.chunks, vectors)
                report.chunks += len(batch.chunks)
                report.updated += len(batch.updated_ids)
                report.added += len(batch.documents) - len(batch.updated_ids)
            if written is not None:
                written.result()
            self.store.finish_writing()
        report.seconds = time.perf_counter() - began
        return report

    def _batches(self, files: list[tuple[Path, Path]], report: IngestReport, bar) -> Iterator[_Batch]:
        """Documents that need (re)embedding, chunked, in batches (runs in the prefetch thread)."""
        seen: dict[str, str] = {}
        pending: list[Document] = []
        for path, root in files:
            try:
                result = load_file(path, root, self.settings.ingest)
            except LoadError as exc:
                self._problem(report, str(exc))
                bar.update(1)
                continue
            report.files_read += 1
            for message in result.problems:
                self._problem(report, message)
            for document in result.documents:
                if document.doc_id in seen:
                    self._problem(report, f"{path}: document id {document.doc_id!r} also in {seen[document.doc_id]}")
                    continue
                if not document.text.strip():
                    self._problem(report, f"{path}: document {document.doc_id!r} has no text after cleaning")
                    continue
                seen[document.doc_id] = str(path)
                pending.append(document)
                if len(pending) >= DOCUMENT_BATCH:
                    yield self._prepare(pending, report)
                    pending = []
            bar.update(1)
        if pending:
            yield self._prepare(pending, report)

    def _prepare(self, documents: list[Document], report: IngestReport) -> _Batch:
        stored = self.store.existing([d.doc_id for d in documents])
        changed: list[Document] = []
        for document in documents:
            previous = stored.get(document.doc_id)
            current = previous.current if previous is not None else None
            if current is not None and current.doc_hash == document.content_hash:
                report.unchanged += 1
                if not previous.complete:  # another version left beside it (a writer killed before its clean-up)
                    self.store.check([document.doc_id])
            else:
                changed.append(document)
        chunks = [chunk for document in changed for chunk in self.chunker.run(document)]
        return _Batch(changed, chunks, {d.doc_id for d in changed if d.doc_id in stored})

    def _problem(self, report: IngestReport, message: str) -> None:
        report.skipped += 1
        report.problems.append(message)
        self.on_problem(message)

    def _progress_bar(self, total: int):
        from tqdm import tqdm

        return tqdm(total=total, unit="file", desc="ingest", disable=not self.progress or None, file=sys.stderr, leave=False)


def _prefetch(batches: Iterator[_Batch], depth: int = 2) -> Iterator[_Batch]:
    """Run the batch generator in a thread, `depth` batches ahead of the consumer."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def produce() -> None:
        try:
            for batch in batches:
                slots.put(batch)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            slots.put(exc)
        slots.put(done)

    threading.Thread(target=produce, name="newsrag-prefetch", daemon=True).start()
    while True:
        item = slots.get()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def delete_documents(store: ChunkStore, doc_ids: Sequence[str]) -> list[str]:
    """Delete documents and bring the keyword index in step; returns the ids that existed."""
    with store.writing():
        present = store.delete(doc_ids)
        store.finish_writing()
    return present
