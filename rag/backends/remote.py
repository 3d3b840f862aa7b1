"""Answer models served over HTTP: any OpenAI-compatible chat server, or Ollama.

Both are llama-index's own clients (`OpenAILike`, `Ollama`) configured from `LLMSettings`;
both stream. These are the only backends that reach the network, and only the address the
user configured. When `llm.model` is unset, the server is asked which models it serves and
the first one is used, which suits single-model servers (llama.cpp's `llama-server`, a vLLM
instance, LM Studio) and keeps a fresh configuration to one setting: the URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsrag.rag.backends import BackendError, missing_package

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from newsrag.settings import LLMSettings

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
NO_API_KEY = "not-needed"
MAX_RETRIES = 2
# How long model discovery may take before get_llm gives up and asks for llm.model.
DISCOVERY_TIMEOUT_S = 10.0


def openai_llm(settings: LLMSettings) -> LLM:
    """The `openai` backend: an OpenAI-compatible `/chat/completions` server at api_base.

    api_base is the URL the API paths hang under, usually ending in `/v1`
    (`http://127.0.0.1:8080/v1` for llama-server). Raises BackendError when it is missing.
    """
    if not settings.api_base:
        raise BackendError(
            "the openai backend needs llm.api_base, the server's API URL (e.g. http://127.0.0.1:8080/v1); "
            "set NEWSRAG_LLM__API_BASE or --api-base"
        )
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as error:
        raise missing_package("llama-index-llms-openai-like", error) from error
    api_base = settings.api_base.rstrip("/")
    api_key = settings.api_key or NO_API_KEY
    model = settings.model or _first_openai_model(api_base, api_key, settings.timeout_s)
    return OpenAILike(
        api_base=api_base,
        api_key=api_key,
        model=model,
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.context_window,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout_s,
        max_retries=MAX_RETRIES,
    )


def ollama_llm(settings: LLMSettings) -> LLM:
    """The `ollama` backend: an Ollama server at api_base (default http://127.0.0.1:11434).

    The context window and answer budget are sent with every request (`num_ctx`,
    `num_predict`), so Ollama does not fall back to its own smaller defaults.
    """
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError as error:
        raise missing_package("llama-index-llms-ollama", error) from error
    base_url = (settings.api_base or DEFAULT_OLLAMA_URL).rstrip("/")
    model = settings.model or _first_ollama_model(base_url, settings.timeout_s)
    return Ollama(
        model=model,
        base_url=base_url,
        request_timeout=settings.timeout_s,
        temperature=settings.temperature,
        context_window=settings.context_window,
        additional_kwargs={"num_predict": settings.max_tokens},
        is_function_calling_model=False,
        headers={"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else None,
    )


def _first_openai_model(api_base: str, api_key: str, timeout_s: float) -> str:
    """The first model id `GET {api_base}/models` lists; BackendError asking for llm.model otherwise."""
    data = _get_json(f"{api_base}/models", timeout_s, {"Authorization": f"Bearer {api_key}"})
    models = data.get("data") if isinstance(data, dict) else None
    if not models or not isinstance(models[0], dict) or not models[0].get("id"):
        raise BackendError(f"the server at {api_base} lists no models; set llm.model")
    return str(models[0]["id"])


def _first_ollama_model(base_url: str, timeout_s: float) -> str:
    """The first model `GET {base_url}/api/tags` lists; BackendError asking for llm.model otherwise."""
    data = _get_json(f"{base_url}/api/tags", timeout_s, {})
    models = data.get("models") if isinstance(data, dict) else None
    if not models or not isinstance(models[0], dict) or not (models[0].get("model") or models[0].get("name")):
        raise BackendError(f"the Ollama server at {base_url} has no models; pull one (ollama pull NAME) and set llm.model")
    return str(models[0].get("model") or models[0]["name"])


def _get_json(url: str, timeout_s: float, headers: dict[str, str]) -> Any:
    """GET `url` as JSON, turning any failure into a one-line BackendError that asks for llm.model."""
    import httpx

    try:
        response = httpx.get(url, headers=headers, timeout=min(timeout_s, DISCOVERY_TIMEOUT_S))
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise BackendError(f"could not ask {url} which models it serves ({error}); set llm.model") from error
