"""`newsrag ingest --watch`: keep a folder's articles in the store as files appear or change.

A newsroom drops wire copy into a folder all day. Watching uses watchfiles (the file-event
library uvicorn and gradio already install) and adds what an archive needs on top:

- A file is ingested only once it has settled: unchanged for `settle_s` seconds, so a file
  still being copied or downloaded is not read half-written. Hidden files and names a loader
  does not read (".part", ".tmp", ".crdownload") are never looked at.
- Each file keeps the id the folder's first ingest gave it (its path relative to the watched
  folder), so a changed file updates its document instead of adding a second one.
- One summary line per batch, as `newsrag ingest` prints for a run.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from newsrag.index.ingest import Ingestor, IngestReport
from newsrag.index.loaders import is_supported

LineSink = Callable[[str], None]


class FolderWatcher:
    """Ingest a folder now, then every file that appears or changes in it, until stopped.

    >>> FolderWatcher(ingestor, [Path("incoming")], settle_s=2.0).run()  # doctest: +SKIP
    12:00:01 incoming: 5 files read; documents: 5 added, ...
    """

    def __init__(self, ingestor: Ingestor, folders: Sequence[Path], settle_s: float, on_line: LineSink = print) -> None:
        self.ingestor = ingestor
        self.folders = [Path(f).resolve() for f in folders]
        self.settle_s = settle_s
        self.on_line = on_line

    def run(self, stop: threading.Event | None = None) -> int:
        """Watch until `stop` is set (or Ctrl-C when no `stop` is given); returns the number of batches
        ingested after the first. A batch being ingested when `stop` is set is finished first."""
        import watchfiles

        self._report("catching up", self.ingestor.run(self.folders))
        if stop is not None and stop.is_set():
            return 0
        pending: dict[Path, Path] = {}  # file -> the watched folder it is under
        batches = 0
        step_ms = max(50, int(self.settle_s * 500))
        for changes in watchfiles.watch(
            *self.folders, debounce=step_ms, step=50, stop_event=stop, yield_on_timeout=True, rust_timeout=step_ms, raise_interrupt=False
        ):
            for change, name in changes:
                path = Path(name)
                if change != watchfiles.Change.deleted and self._is_article(path):
                    pending[path] = self._root_of(path)
            ready = sorted(p for p in pending if self._settled(p))
            if not ready:
                continue
            files = [(p, pending.pop(p)) for p in ready if p.is_file()]
            for gone in [p for p in ready if p in pending]:
                pending.pop(gone)
            if files:
                self._report(f"{len(files)} new or changed", self.ingestor.run_files(files))
                batches += 1
        return batches

    def _is_article(self, path: Path) -> bool:
        """A file a loader reads, with no hidden part in its path under the watched folder."""
        root = self._root_of(path)
        relative = path.relative_to(root) if root in path.parents else path
        return is_supported(path) and not any(part.startswith(".") for part in relative.parts)

    def _root_of(self, path: Path) -> Path:
        return next((f for f in self.folders if path == f or f in path.parents), path.parent)

    def _settled(self, path: Path) -> bool:
        """Unchanged for `settle_s` seconds (or gone: then there is nothing to wait for)."""
        try:
            return time.time() - path.stat().st_mtime >= self.settle_s
        except OSError:
            return True

    def _report(self, what: str, report: IngestReport) -> None:
        self.on_line(f"{dt.datetime.now():%H:%M:%S} {what}: {report.summary()}")
