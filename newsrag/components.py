"""Build the product's parts from the settings: one place that knows how they connect.

Every entry point (CLI, Gradio app, eval) asks here for a store, an encoder, a retriever or
an answerer, so they all run exactly the same pipeline.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from newsrag.settings import EmbedSettings, Settings


def open_store(settings: Settings):
    """The chunk store the settings point at (embedded folder or Chroma server)."""
    from newsrag.index.store import ChunkStore

    return ChunkStore(settings)


@lru_cache(maxsize=4)
def _cached_encoder(embed: EmbedSettings, cache_dir: Path):
    from newsrag.index.embed import load_encoder

    return load_encoder(embed, cache_dir=cache_dir)


def for_new_store(settings: Settings) -> Settings:
    """The settings with `embed.backend = "auto"` made the runtime a new store gets (others unchanged)."""
    from newsrag.index.embed import concrete_runtime

    return settings.model_copy(update={"embed": concrete_runtime(settings.embed)})


def embed_settings(settings: Settings, store=None) -> EmbedSettings:
    """The embedding settings with `backend = "auto"` resolved against the store (opened if not given)."""
    from newsrag.index.embed import concrete_runtime

    if settings.embed.backend != "auto":
        return settings.embed
    store = store or open_store(settings)
    return concrete_runtime(settings.embed, store.encoder_record().get("embed_model"))


def open_encoder(settings: Settings, store=None):
    """The embedding model for this store (`auto`: the one that embedded it), loaded once per process."""
    return _cached_encoder(embed_settings(settings, store), settings.home / "cache")


def open_retriever(settings: Settings, store=None):
    """The hybrid retriever over the store, checked against the encoder that embedded it."""
    from newsrag.rag.retrieve import HybridRetriever

    store = store or open_store(settings)
    return HybridRetriever(store, open_encoder(settings, store), settings.retrieval)


def open_timeline(settings: Settings, store=None):
    """The timeline builder over the store (rag/timeline.py)."""
    from newsrag.rag.timeline import TimelineBuilder

    store = store or open_store(settings)
    return TimelineBuilder(open_retriever(settings, store), store, settings.timeline)


def open_pipeline(settings: Settings, store=None):
    """The answer pipeline over the store (rag/pipeline.py), its encoder and retriever built here."""
    from newsrag.rag.pipeline import AnswerPipeline

    store = store or open_store(settings)
    return AnswerPipeline(settings, store, open_encoder(settings, store), open_retriever(settings, store))
