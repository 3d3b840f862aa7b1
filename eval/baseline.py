"""The plain llama-index baseline that newsrag is compared with.

What a developer gets from the llama-index quick start, with the same embedding model as
newsrag: a `VectorStoreIndex` over the raw documents (title + blank line + text), split by
the default `SentenceSplitter` (1024/200 tiktoken tokens), vector retrieval only (top-10 for
retrieval scores, top-2 for answers) and `CitationQueryEngine` for cited answers.

Care taken so that the comparison is honest and safe:
- the embedding model is our own encoder behind a llama-index `BaseEmbedding`, passed
  explicitly (and set in `Settings`, so no code path falls back to OpenAI);
- metadata (doc id, title, source) is excluded from the embedded and LLM text;
- the index lives in memory (llama-index's `SimpleVectorStore`), persisted to its own cache
  folder beside the eval stores: it never touches a newsrag store or a Chroma collection.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from newsrag.eval.datasets import RawDocument, corpus_fingerprint, fingerprint_key, read_corpus
from newsrag.settings import Settings

BASELINE_VERSION = 1  # bump when the baseline's construction changes: old caches are not reused
RETRIEVAL_TOP_K = 10
ANSWER_TOP_K = 2
METADATA_KEYS = ["doc_id", "title", "source", "published", "url"]
# Shown at the start of the baseline's answer when no LLM is configured.
EXTRACTIVE_LABEL = "[llama-index baseline without an LLM: the first sentence of each of its two retrieved sources]"
# How a plain LLM says it cannot answer (the baseline has no abstention logic of its own).
ABSTAIN_PATTERN = re.compile(
    r"none of the (provided )?sources|not (provided|mentioned|stated|specified|contain)|no (relevant )?information|"
    r"(cannot|can't|unable to) (answer|determine|find)|do(es)? not (say|mention|provide|contain)|i don't know",
    re.I,
)
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“A-Z0-9])")


def embedding_adapter(encoder: Any, batch_size: int = 32):
    """A llama-index `BaseEmbedding` that embeds with newsrag's encoder (same model, same vectors)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.bridge.pydantic import PrivateAttr

    class EncoderEmbedding(BaseEmbedding):
        """newsrag's `Encoder` seen through llama-index's embedding interface."""

        _encoder: Any = PrivateAttr()

        def __init__(self, encoder: Any, batch_size: int) -> None:
            super().__init__(model_name=str(getattr(encoder, "identity", "newsrag-encoder")), embed_batch_size=batch_size)
            self._encoder = encoder

        @classmethod
        def class_name(cls) -> str:
            return "NewsragEncoderEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._encoder.encode([query])[0].tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._encoder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._encoder.encode(list(texts), self.embed_batch_size).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        async def _aget_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embedding(text)

    return EncoderEmbedding(encoder, batch_size)


def first_sentence(text: str, limit: int = 400) -> str:
    """The first sentence of a passage (cut at `limit` characters)."""
    flat = " ".join(text.split())
    sentence = SENTENCE_END.split(flat, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


class LlamaIndexBaseline:
    """The plain llama-index pipeline over one corpus, built once and cached on disk.

    >>> baseline = LlamaIndexBaseline(settings, Path("dev_corpus.jsonl.gz"), Path("/tmp/eval-stores"))  # doctest: +SKIP
    >>> baseline.retrieve_doc_ids("Which show was renewed?", 10)  # doctest: +SKIP
    ['rtqa-79cf4a583ca4', ...]
    """

    def __init__(self, settings: Settings, corpus: Path, cache_root: Path, progress: bool = True) -> None:
        from newsrag.components import for_new_store, open_encoder

        self.settings = settings
        self.corpus = Path(corpus)
        self.progress = progress
        # the runtime a new store would get, as for newsrag's own eval stores
        self.encoder = open_encoder(for_new_store(settings))
        self.embed_model = embedding_adapter(self.encoder, settings.embed.batch_size)
        key = fingerprint_key(
            "llamaindex-baseline", BASELINE_VERSION, corpus_fingerprint(self.corpus), self.encoder.identity, str(settings.embed.model_path)
        )
        self.folder = Path(cache_root) / f"baseline-{stem(self.corpus)}-{key}"
        self._index = None
        self._llm = None
        self._llm_loaded = False
        self.build_seconds = 0.0
        self.nodes = 0

    # ----- index ----------------------------------------------------------------------------------
    def _documents(self) -> list[Any]:
        from llama_index.core import Document

        docs: list[RawDocument] = list(read_corpus(self.corpus))
        return [
            Document(
                text=d.baseline_text(),
                id_=d.doc_id,
                metadata={"doc_id": d.doc_id, "title": d.title, "source": d.source, "published": d.published, "url": d.url},
                excluded_embed_metadata_keys=list(METADATA_KEYS),
                excluded_llm_metadata_keys=list(METADATA_KEYS),
            )
            for d in docs
            if d.text.strip()
        ]

    @property
    def index(self):
        """The `VectorStoreIndex`, loaded from the cache folder or built (and saved) on first use."""
        if self._index is None:
            from llama_index.core import Settings as LlamaSettings
            from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage
            from llama_index.core.node_parser import SentenceSplitter

            # Nothing in this process may fall back to llama-index's OpenAI defaults.
            LlamaSettings.embed_model = self.embed_model
            if getattr(LlamaSettings, "_llm", None) is None:
                from llama_index.core.llms import MockLLM

                LlamaSettings.llm = MockLLM()  # an LLM is always passed explicitly where one is used
            began = time.perf_counter()
            if (self.folder / "docstore.json").exists():
                storage = StorageContext.from_defaults(persist_dir=str(self.folder))
                self._index = load_index_from_storage(storage, embed_model=self.embed_model)
            else:
                documents = self._documents()
                self._index = VectorStoreIndex.from_documents(
                    documents, embed_model=self.embed_model, transformations=[SentenceSplitter()], show_progress=self.progress
                )
                staging = self.folder.with_name(self.folder.name + ".partial")
                shutil.rmtree(staging, ignore_errors=True)
                self._index.storage_context.persist(persist_dir=str(staging))
                shutil.rmtree(self.folder, ignore_errors=True)
                staging.rename(self.folder)
            self.build_seconds = time.perf_counter() - began
            self.nodes = len(self._index.docstore.docs)
        return self._index

    def retrieve(self, query: str, top_k: int) -> list[Any]:
        """The `top_k` nearest chunks (llama-index `NodeWithScore`), best first."""
        return self.index.as_retriever(similarity_top_k=top_k).retrieve(query)

    def retrieve_doc_ids(self, query: str, top_k: int = RETRIEVAL_TOP_K) -> list[str]:
        """Top-k vector retrieval, deduplicated to article ids in rank order."""
        seen: dict[str, None] = {}
        for node in self.retrieve(query, top_k):
            seen.setdefault(_doc_id(node), None)
        return list(seen)

    # ----- answers ----------------------------------------------------------------------------------
    @property
    def llm(self):
        """The answer LLM the settings choose (None for the extractive backend)."""
        if not self._llm_loaded:
            from newsrag.rag.backends import get_llm

            self._llm = get_llm(self.settings.llm, self.settings.home)
            self._llm_loaded = True
        return self._llm

    def answer(self, question: str, record_id: Any = None) -> dict[str, Any]:
        """Answer like `CitationQueryEngine` (top-2 retrieval), in newsrag's public Answer JSON shape.

        Without an LLM the answer is the first sentence of each retrieved source, labelled as such.
        """
        began = time.perf_counter()
        llm = self.llm
        if llm is None:
            nodes = self.retrieve(question, ANSWER_TOP_K)
            retrieved = time.perf_counter()
            parts = [f"{first_sentence(_node_text(n))} [{i}]" for i, n in enumerate(nodes, 1)]
            text = f"{EXTRACTIVE_LABEL} " + " ".join(parts)
            citations = [_citation(i, n) for i, n in enumerate(nodes, 1)]
            timings = {"retrieve_s": retrieved - began, "generate_s": time.perf_counter() - retrieved}
            abstained = not nodes
        else:
            from llama_index.core.query_engine import CitationQueryEngine

            engine = CitationQueryEngine.from_args(self.index, llm=llm, similarity_top_k=ANSWER_TOP_K)
            response = engine.query(question)
            text = str(response).strip()
            citations = [_citation(i, n) for i, n in enumerate(response.source_nodes, 1)]
            timings = {"retrieve_s": 0.0, "generate_s": time.perf_counter() - began}
            abstained = bool(ABSTAIN_PATTERN.search(text)) or not text
        timings["total_s"] = time.perf_counter() - began
        return {
            "id": record_id,
            "question": question,
            "answer": text,
            "abstained": abstained,
            "citations": citations,
            "timings": timings,
            "backend": f"llama-index/{'extractive' if llm is None else self.settings.llm.backend}",
        }


def _doc_id(node: Any) -> str:
    metadata = getattr(node.node, "metadata", {}) or {}
    return str(metadata.get("doc_id") or node.node.ref_doc_id or node.node.node_id)


def _node_text(node: Any) -> str:
    from llama_index.core.schema import MetadataMode

    return node.node.get_content(metadata_mode=MetadataMode.NONE)


def _citation(n: int, node: Any) -> dict[str, Any]:
    metadata = getattr(node.node, "metadata", {}) or {}
    return {
        "n": n,
        "doc_id": _doc_id(node),
        "title": str(metadata.get("title", "")),
        "source": str(metadata.get("source", "")),
        "published": str(metadata.get("published", "")),
        "text": _node_text(node),
        "score": round(float(node.score or 0.0), 6),
    }


def stem(path: Path) -> str:
    """A short file-system-safe name for a corpus path (for cache folder names)."""
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name) or "corpus"


def describe() -> str:
    """One line naming the baseline's construction, for reports."""
    return (
        "llama-index VectorStoreIndex (in memory), SentenceSplitter defaults (1024/200 tiktoken tokens), "
        f"same embedding model, vectors only; top-{RETRIEVAL_TOP_K} for retrieval, CitationQueryEngine top-{ANSWER_TOP_K} for answers"
    )
