"""Re-embed a whole store with another encoder, resumably.

Chunks are copied, text and metadata unchanged, into a side collection `<name>__reembed`
with vectors from the new encoder; a run that is interrupted continues where it stopped (ids
already copied are skipped). Only when every chunk is there does the side collection replace
the original, so queries never see a half-embedded store.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from newsrag.index.embed import Encoder
from newsrag.index.store import PAGE, ChunkStore

SUFFIX = "__reembed"


@dataclass
class ReindexReport:
    """What a re-embed did."""

    chunks: int = 0
    copied: int = 0
    resumed: int = 0
    seconds: float = 0.0


def reindex(store: ChunkStore, encoder: Encoder, batch_size: int = 32, progress: bool = True) -> ReindexReport:
    """Re-embed every chunk of `store` with `encoder` and swap the result in."""
    from tqdm import tqdm

    report = ReindexReport()
    began = time.perf_counter()
    client = store.client
    side_name = store.collection_name + SUFFIX
    with store.writing():
        original = store.collection()
        side = client.get_or_create_collection(
            side_name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embed_model": encoder.identity, "embed_dim": encoder.dimension, "newsrag_layout": 1},
        )
        if original is None:  # killed after dropping the original: finish the swap
            side.modify(name=store.collection_name)
            store._collection = None
            store.finish_writing(rebuild=True)  # a new collection: the whole store is new to the index
            report.seconds = time.perf_counter() - began
            return report
        report.chunks = original.count()
        done = set(side.get(include=[])["ids"])
        report.resumed = len(done)
        with tqdm(
            total=report.chunks, initial=len(done), unit="chunk", desc="re-embed", disable=not progress or None, file=sys.stderr
        ) as bar:
            offset = 0
            while True:
                page = original.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
                if not page["ids"]:
                    break
                offset += len(page["ids"])
                todo = [i for i, chunk_id in enumerate(page["ids"]) if chunk_id not in done]
                for start in range(0, len(todo), 256):
                    part = todo[start : start + 256]
                    metas = [page["metadatas"][i] for i in part]
                    texts = [page["documents"][i] for i in part]
                    embed_texts = [f"{m.get('title')}\n{t}" if m.get("title") else t for m, t in zip(metas, texts)]
                    vectors = encoder.encode(embed_texts, batch_size)
                    side.add(ids=[page["ids"][i] for i in part], embeddings=vectors, documents=texts, metadatas=metas)
                    report.copied += len(part)
                    bar.update(len(part))
        client.delete_collection(store.collection_name)
        side.modify(name=store.collection_name)
        store._collection = None
        store.finish_writing(rebuild=True)  # a new collection: the whole store is new to the index
    report.seconds = time.perf_counter() - began
    return report
