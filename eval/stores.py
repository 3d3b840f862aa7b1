"""Eval stores: one newsrag store per (corpus, chunking, embedding), built once and reused.

Building the RealTime QA store takes tens of minutes on two cores, so a store is keyed by what
changes its content (the corpus path with each file's size and mtime, the chunk, ingest and
embedding settings) and kept under `$NEWSRAG_HOME/eval-stores/` (or `--store DIR`). A marker
file written after a finished ingest says the store is complete; an interrupted build is
resumed by the next run (ingestion skips documents already stored whole). The user's own
store is never touched.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsrag.eval.baseline import stem
from newsrag.eval.datasets import corpus_fingerprint, fingerprint_key
from newsrag.settings import Settings

MARKER = "eval-store.json"
# Bumped when ingestion stores something new for the same corpus and settings, so that eval stores
# are rebuilt: 2 = a headline read from the URL for articles that came without one.
STORE_VERSION = 2


def eval_root(settings: Settings, store_root: Path | None) -> Path:
    """Where eval stores (and the baseline's cache) live: `--store DIR` or `$NEWSRAG_HOME/eval-stores`."""
    return Path(store_root).expanduser() if store_root else settings.home / "eval-stores"


def store_key(settings: Settings, corpus: Path) -> str:
    """The key of the store that `settings` would build from `corpus`."""
    embed = settings.embed.model_dump(mode="json", include={"model_path", "backend"})
    return fingerprint_key(
        "newsrag-eval-store",
        STORE_VERSION,
        corpus_fingerprint(corpus),
        settings.chunk.model_dump(mode="json"),
        settings.ingest.model_dump(mode="json", include={"clean"}),
        embed,
    )


@dataclass
class EvalStore:
    """A built eval store: the settings that point at it and what building it cost."""

    settings: Settings
    folder: Path
    reused: bool
    chunks: int
    documents: int
    ingest: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for reports."""
        return {
            "folder": str(self.folder),
            "reused": self.reused,
            "chunks": self.chunks,
            "documents": self.documents,
            "ingest": self.ingest,
        }


def ensure_store(settings: Settings, corpus: Path, store_root: Path | None = None, progress: bool = True) -> EvalStore:
    """The eval store for `corpus` under these settings, ingesting it first if it is not complete."""
    from newsrag.components import for_new_store, open_encoder, open_store
    from newsrag.index.ingest import Ingestor

    corpus = Path(corpus).expanduser()
    if not corpus.exists():
        raise FileNotFoundError(f"{corpus}: no such corpus file or folder")
    settings = for_new_store(settings)  # an eval store is built new: `auto` is the default runtime
    folder = eval_root(settings, store_root) / f"{stem(corpus)}-{store_key(settings, corpus)}"
    store_settings = settings.model_copy(update={"store": settings.store.model_copy(update={"path": folder, "chroma_url": None})})
    marker = folder / MARKER
    store = open_store(store_settings)
    if marker.exists():
        record = json.loads(marker.read_text(encoding="utf-8"))
        return EvalStore(store_settings, folder, True, store.count(), int(record.get("documents", 0)), record.get("ingest", {}))
    print(f"newsrag eval: building the eval store for {corpus} in {folder} (reused by later runs)", file=sys.stderr)
    encoder = open_encoder(store_settings)
    began = time.perf_counter()
    report = Ingestor(store_settings, store, encoder, progress=progress).run([corpus])
    ingest = {**report.__dict__, "wall_s": time.perf_counter() - began}
    documents = len(store.scan())
    marker.write_text(
        json.dumps(
            {
                "corpus": str(corpus.resolve()),
                "documents": documents,
                "chunks": store.count(),
                "ingest": ingest,
                "settings": {"chunk": settings.chunk.model_dump(mode="json"), "embed": settings.embed.model_dump(mode="json")},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return EvalStore(store_settings, folder, False, store.count(), documents, ingest)
