"""The answer backends, each built as a llama-index `LLM` from `LLMSettings`.

- `local`: an embedded llama.cpp runtime (ik_llama.cpp, else `xllamacpp`) on a GGUF file; by default the packaged
  Qwen2.5-Coder-1.5B-Instruct, assembled once from its PyPI parts (see `gguf`).
- `openai`: any OpenAI-compatible chat server (llama.cpp server, vLLM, LM Studio, OpenAI).
- `ollama`: an Ollama server.
- `extractive`: no language model at all; `get_llm` returns None and the answer pipeline
  quotes passages instead.

Every runtime package is imported only when its backend is built, so the rest of newsrag
works without the `llm` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from newsrag.settings import LLMSettings

LLM_EXTRA_HINT = "pip install 'newsrag[llm]'"
LOCAL_MODEL_EXTRA_HINT = "pip install 'newsrag[local-model]'"

__all__ = ["BackendError", "ContextOverflowError", "get_llm", "LLM_EXTRA_HINT", "LOCAL_MODEL_EXTRA_HINT"]


class BackendError(RuntimeError):
    """A backend cannot be built or used: bad configuration, a missing file or package.

    The message is one line that says what is wrong and what to do about it, fit to show a
    user as is.
    """


class ContextOverflowError(BackendError):
    """The prompt plus the answer budget does not fit the model's context window.

    Raised by the local backend so a caller can send fewer passages and try again.
    """


def missing_package(package: str, error: ImportError) -> BackendError:
    """Explain an absent optional runtime package, naming the pip extra that installs it."""
    return BackendError(f"the Python package {package!r} is missing ({error}); install it: {LLM_EXTRA_HINT}")


def get_llm(settings: LLMSettings, home: Path) -> LLM | None:
    """Build the answer model that `settings.backend` names; None for `extractive`.

    `home` is where the default local model gets assembled (`home/models`). Building is cheap:
    the local model is loaded into memory on its first call (or `LlamaCppLLM.load()`), and the
    remote clients connect on their first request.
    """
    backend = settings.backend
    if backend == "extractive":
        return None
    if backend == "local":
        from newsrag.rag.backends.llamacpp import local_llm

        return local_llm(settings, home)
    if backend == "openai":
        from newsrag.rag.backends.remote import openai_llm

        return openai_llm(settings)
    if backend == "ollama":
        from newsrag.rag.backends.remote import ollama_llm

        return ollama_llm(settings)
    raise BackendError(f"unknown answer backend {backend!r}; choose local, openai, ollama or extractive")
