"""The embedded answer model: llama.cpp in-process, as a llama-index `CustomLLM`.

Two runtimes serve it, chosen by `llm.runtime`: ik_llama.cpp (`ik_llama.IkLlamaServer`: faster
CPU kernels; "auto", the default, takes it wherever it computes the model right) and llama.cpp
itself through `xllamacpp` (the fallback). Both take the same request and stream the same chunks.

`xllamacpp.Server` wraps llama.cpp's own server in-process: `handle_chat_completions` applies
the chat template stored in the GGUF and, with `"stream": True`, calls a Python callback once
per OpenAI-style chunk, on the calling thread, until generation ends or the callback returns
True (stop). `LlamaCppLLM` runs that call in a worker thread and hands the chunks to the
caller's generator through a queue, so streaming looks like any llama-index stream and a
reader that stops early (closes the generator) stops generation at the next token.

One model is loaded per process and key (file, context size, threads), on first use, and kept
for the life of the process. Generations on one model run one at a time, in arrival order
(`FairLock`): on a 2-core machine parallel decoding only makes every answer slower, and a
queue keeps a busy UI from crashing the runtime.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import importlib.util
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM

from newsrag.rag.backends import BackendError, ContextOverflowError, missing_package
from newsrag.rag.backends.gguf import resolve_model_path

if TYPE_CHECKING:
    from newsrag.settings import LLMSettings

logger = logging.getLogger(__name__)

# Each runtime's PyPI package and the module it installs.
RUNTIME_PACKAGES = {"ik_llama": ("ik-llama-cpp-python", "ik_llama_cpp"), "xllamacpp": ("xllamacpp", "xllamacpp")}
# llama.cpp log threshold: 0 silent, 1 errors, 2 warnings, 3 info (xllamacpp's default).
LOG_VERBOSITY = 1
DEFAULT_CONTEXT_WINDOW = 4096
DEFAULT_MAX_TOKENS = 256
DEFAULT_TIMEOUT_S = 120.0
# Waiting for the one shared model: the chat runs several answers at once and a follow-up asks
# the model twice, so a turn can come after minutes of others' answers on 2 cores.
DEFAULT_QUEUE_TIMEOUT_S = 900.0
# How llama.cpp's server words a request larger than the context window.
CONTEXT_OVERFLOW_TEXT = "exceeds the available context size"
# OpenAI-style roles the chat templates know; llama-index's other roles map onto them.
ROLE_NAMES = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


class FairLock:
    """A lock granted in arrival order, releasable from any thread, with a wait timeout.

    `threading.Lock` lets a thread that just released re-acquire before the waiters, and must
    be released by its owner; here the worker thread that finishes a generation releases the
    lock its caller took.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: collections.deque[threading.Event] = collections.deque()

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for the lock, first come first served; False if `timeout` seconds pass first."""
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait timed out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it."""
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # ownership passes directly; _held stays True
            else:
                self._held = False

    @property
    def queued(self) -> int:
        """How many callers are waiting (not counting the holder)."""
        with self._mutex:
            return len(self._waiters)


@dataclass
class Runtime:
    """One loaded model: its server (xllamacpp's or ik_llama's), its queue, and how long loading took."""

    server: Any
    lock: FairLock = field(default_factory=FairLock)
    load_seconds: float = 0.0
    engine: str = "xllamacpp"


_RUNTIMES: dict[tuple[str, int, int, str], Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def default_threads() -> int:
    """The CPU cores this process may use (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def load_runtime(model_path: Path, context_window: int, threads: int, engine: str = "auto") -> Runtime:
    """Return the loaded model for this key, loading it on the first call in this process.

    `engine` is "ik_llama", "xllamacpp" or "auto": ik_llama when it is installed and computes
    this model right (`IkLlamaServer.check_logits`), else xllamacpp. Concurrent first callers
    wait for the one load. Raises BackendError when the runtime's package is missing or it
    cannot load the file.
    """
    threads = threads or default_threads()
    key = (str(Path(model_path).resolve()), context_window, threads, engine)
    with _RUNTIMES_LOCK:
        runtime = _RUNTIMES.get(key)
        if runtime is None:
            runtime = _start(Path(key[0]), context_window, threads, engine)
            _RUNTIMES[key] = runtime
        return runtime


def unload_all() -> None:
    """Free every loaded model (tests, and an orderly interpreter exit)."""
    with _RUNTIMES_LOCK:
        runtimes = list(_RUNTIMES.values())
        _RUNTIMES.clear()
    for runtime in runtimes:
        runtime.server = None  # a generation still running holds its own reference


atexit.register(unload_all)


def _start_server(model_path: Path, context_window: int, threads: int) -> Runtime:
    try:
        import xllamacpp
    except ImportError as error:
        raise missing_package("xllamacpp", error) from error
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = context_window
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = LOG_VERBOSITY
    # xllamacpp also opens llama.cpp's HTTP listener on a free loopback port; newsrag never
    # uses it, so a random key keeps other local users from borrowing the model through it.
    params.api_keys = [secrets.token_urlsafe(24)]
    started = time.perf_counter()
    try:
        server = xllamacpp.Server(params)
    except Exception as error:
        raise BackendError(f"llama.cpp could not load {model_path}: {error}") from error
    runtime = Runtime(server=server, load_seconds=time.perf_counter() - started)
    logger.info("loaded %s in %.1f s (n_ctx=%d, threads=%d)", model_path.name, runtime.load_seconds, context_window, threads)
    return runtime


def _start(model_path: Path, context_window: int, threads: int, engine: str) -> Runtime:
    """Load with the runtime `engine` names; "auto" tries ik_llama first, then xllamacpp."""
    from newsrag.rag.backends.ik_llama import UnsupportedModelError

    if engine == "ik_llama" or (engine == "auto" and importlib.util.find_spec(RUNTIME_PACKAGES["ik_llama"][1]) is not None):
        try:
            return _start_ik_llama(model_path, context_window, threads)
        except UnsupportedModelError as error:
            if engine != "auto":
                raise
            logger.info("%s: %s; running it with xllamacpp", model_path.name, error)
    return _start_server(model_path, context_window, threads)


def _start_ik_llama(model_path: Path, context_window: int, threads: int) -> Runtime:
    from newsrag.rag.backends.ik_llama import IkLlamaServer

    started = time.perf_counter()
    try:
        server = IkLlamaServer(model_path, context_window=context_window, threads=threads)
    except ImportError as error:
        raise missing_package(RUNTIME_PACKAGES["ik_llama"][0], error) from error
    runtime = Runtime(server=server, load_seconds=time.perf_counter() - started, engine="ik_llama")
    logger.info("loaded %s with ik_llama in %.1f s (n_ctx=%d, threads=%d)", model_path.name, runtime.load_seconds, context_window, threads)
    return runtime


@dataclass
class GenerationInfo:
    """What the runtime reported about one generation, filled in as it streams."""

    finish_reason: str | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    queued_seconds: float = 0.0
    first_token_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """A plain dict for a response's `raw` / `additional_kwargs`."""
        return {
            "finish_reason": self.finish_reason,
            "timings": self.timings,
            "queued_seconds": self.queued_seconds,
            "first_token_seconds": self.first_token_seconds,
        }


_END = object()


def stream_chat_deltas(
    runtime: Runtime,
    messages: Sequence[dict[str, str]],
    *,
    max_tokens: int,
    temperature: float,
    timeout_s: float,
    info: GenerationInfo,
    queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S,
    stop: Sequence[str] | None = None,
) -> Iterator[str]:
    """Yield the answer's text pieces as llama.cpp produces them; fill `info` on the way.

    Waits its turn on the model first (BackendError after `queue_timeout_s`). Generation stops at
    `max_tokens`, at the model's end of turn, when `timeout_s` has passed since it started
    (finish_reason "timeout"), or when the caller closes the generator.
    """
    request: dict[str, Any] = {
        "messages": list(messages),
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stream": True,
    }
    if stop:
        request["stop"] = list(stop)
    asked = time.perf_counter()
    if not runtime.lock.acquire(queue_timeout_s):
        raise BackendError(f"the local model stayed busy for {queue_timeout_s:.0f} s; try again")
    started = time.perf_counter()
    info.queued_seconds = started - asked
    deadline = started + timeout_s
    chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()
    cancelled = threading.Event()

    def on_chunk(chunk: Any) -> bool:
        """Called by the runtime per chunk, on the worker thread; True stops generation."""
        try:
            if cancelled.is_set():
                return True
            if time.perf_counter() > deadline:
                info.finish_reason = "timeout"
                return True
            if not isinstance(chunk, dict) or "choices" not in chunk:
                chunks.put(("error", _error_message(chunk)))
                return True
            for choice in chunk["choices"]:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    chunks.put(("text", text))
                if choice.get("finish_reason"):
                    info.finish_reason = choice["finish_reason"]
            if chunk.get("timings"):
                info.timings = chunk["timings"]
            return False
        except Exception as error:  # never let an exception vanish inside the C++ callback
            chunks.put(("error", f"{type(error).__name__}: {error}"))
            return True

    def work() -> None:
        try:
            runtime.server.handle_chat_completions(request, on_chunk)
        except Exception as error:
            chunks.put(("error", f"{type(error).__name__}: {error}"))
        finally:
            runtime.lock.release()
            chunks.put(_END)

    # Not a daemon: the interpreter's exit waits for it, because a thread killed inside
    # llama.cpp's C++ code at shutdown aborts the process ("exception not rethrown").
    threading.Thread(target=work, name="newsrag-llamacpp", daemon=False).start()
    try:
        while (item := chunks.get()) is not _END:
            kind, value = item
            if kind == "error":
                if CONTEXT_OVERFLOW_TEXT in value:
                    raise ContextOverflowError(f"the prompt is too long for the local model: {value}")
                raise BackendError(f"the local model failed: {value}")
            if info.first_token_seconds is None:
                info.first_token_seconds = time.perf_counter() - started
            yield value
    finally:
        cancelled.set()


def _error_message(chunk: Any) -> str:
    """One line out of whatever error shape llama.cpp sent."""
    if isinstance(chunk, dict):
        error = chunk.get("error", chunk)
        text = str(error.get("message") or error) if isinstance(error, dict) else str(error)
    else:
        text = str(chunk)
    return " ".join(text.split())


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """llama-index chat messages as the OpenAI-style dicts llama.cpp's chat handler takes."""
    return [{"role": ROLE_NAMES.get(message.role, "user"), "content": message.content or ""} for message in messages]


class LlamaCppLLM(CustomLLM):
    """A GGUF model run in-process by llama.cpp, with the model's own chat template.

    Supports `chat`, `stream_chat`, `complete` and `stream_complete` (and their async forms,
    which run the sync ones in a worker thread). A completion prompt is sent as one user
    message. Per-call keyword arguments `max_tokens`, `temperature` and `stop` override the
    defaults. The `additional_kwargs` of a response (of a stream's last response, whose delta
    is empty) hold the runtime's report: finish_reason ("stop", "length", "timeout"), timings
    (prompt_n, prompt_per_second, predicted_n, predicted_per_second, ...), queued_seconds and
    first_token_seconds.
    """

    model_path: str = Field(description="Path of the GGUF file.")
    context_window: int = Field(default=DEFAULT_CONTEXT_WINDOW, gt=0, description="Context size in tokens (prompt + answer).")
    max_tokens: int = Field(default=DEFAULT_MAX_TOKENS, gt=0, description="Most tokens one answer may have.")
    temperature: float = Field(default=0.0, ge=0.0, description="0 decodes greedily.")
    threads: int = Field(default=0, ge=0, description="CPU threads; 0 = every core this process may use.")
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, description="Most seconds one generation may take.")
    queue_timeout_s: float = Field(default=DEFAULT_QUEUE_TIMEOUT_S, gt=0, description="Most seconds to wait while others use the model.")
    runtime: str = Field(default="auto", description="ik_llama, xllamacpp, or auto (ik_llama where it computes the model right).")

    @classmethod
    def class_name(cls) -> str:
        """The name llama-index serializes this class under."""
        return "newsrag_llamacpp"

    @property
    def metadata(self) -> LLMMetadata:
        """Context size, answer budget and chat-ness, as llama-index's prompt helpers need them."""
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=Path(self.model_path).stem,
        )

    def load(self) -> Runtime:
        """Load the model now (the first call would otherwise); return the shared runtime."""
        return load_runtime(Path(self.model_path), self.context_window, self.threads, self.runtime)

    def _deltas(self, messages: Sequence[ChatMessage], info: GenerationInfo, kwargs: dict[str, Any]) -> Iterator[str]:
        return stream_chat_deltas(
            self.load(),
            to_openai_messages(messages),
            max_tokens=int(kwargs.get("max_tokens") or self.max_tokens),
            temperature=float(self.temperature if kwargs.get("temperature") is None else kwargs["temperature"]),
            timeout_s=self.timeout_s,
            queue_timeout_s=self.queue_timeout_s,
            info=info,
            stop=kwargs.get("stop"),
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer `messages` in one piece."""
        info = GenerationInfo()
        text = "".join(self._deltas(messages, info, kwargs))
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
            raw=info.as_dict(),
            additional_kwargs=info.as_dict(),
        )

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Answer `messages` piece by piece: each response holds the text so far and its delta."""

        def generate() -> ChatResponseGen:
            info = GenerationInfo()
            text = ""
            for delta in _then_empty(self._deltas(messages, info, kwargs)):
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                    delta=delta,
                    raw=info.as_dict(),
                    additional_kwargs=info.as_dict(),
                )

        return generate()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Answer `prompt`, sent as a single user message, in one piece."""
        info = GenerationInfo()
        text = "".join(self._deltas([ChatMessage(role=MessageRole.USER, content=prompt)], info, kwargs))
        return CompletionResponse(text=text, raw=info.as_dict(), additional_kwargs=info.as_dict())

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Answer `prompt` piece by piece, sent as a single user message."""

        def generate() -> CompletionResponseGen:
            info = GenerationInfo()
            text = ""
            for delta in _then_empty(self._deltas([ChatMessage(role=MessageRole.USER, content=prompt)], info, kwargs)):
                text += delta
                yield CompletionResponse(text=text, delta=delta, raw=info.as_dict(), additional_kwargs=info.as_dict())

        return generate()

    # The async forms run the sync ones in a worker thread, piece by piece, so a generation
    # never blocks the caller's event loop (CustomLLM's defaults would).

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """`chat` without blocking the event loop."""
        return await asyncio.to_thread(self.chat, messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """`stream_chat` without blocking the event loop."""
        return _in_thread(self.stream_chat(messages, **kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """`complete` without blocking the event loop."""
        return await asyncio.to_thread(self.complete, prompt, formatted, **kwargs)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """`stream_complete` without blocking the event loop."""
        return _in_thread(self.stream_complete(prompt, formatted, **kwargs))


def _then_empty(deltas: Iterator[str]) -> Iterator[str]:
    """The deltas, then one empty delta: the runtime's report (finish_reason, timings) arrives
    with its last chunk, after the last text, so the stream's final response carries it."""
    yield from deltas
    yield ""


async def _in_thread(responses: Iterator[Any]) -> AsyncIterator[Any]:
    """Iterate a blocking generator from async code, each step in a worker thread."""
    try:
        while (item := await asyncio.to_thread(next, responses, _END)) is not _END:
            yield item
    finally:
        close = getattr(responses, "close", None)
        if close is not None:
            close()


def local_llm(settings: LLMSettings, home: Path) -> LlamaCppLLM:
    """The `local` backend: settings.model_path, else the packaged default (assembled once).

    Checks that the runtime's package (`settings.runtime`) is installed and the model file
    exists now, so a misconfiguration shows at start-up; the model itself loads on first use.
    """
    package, module = RUNTIME_PACKAGES["xllamacpp" if settings.runtime == "auto" else settings.runtime]
    if importlib.util.find_spec(module) is None:
        raise missing_package(package, ImportError(f"No module named {module!r}"))
    model_path = resolve_model_path(settings.model_path, home)
    return LlamaCppLLM(
        model_path=str(model_path),
        context_window=settings.context_window,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        threads=settings.threads,
        timeout_s=settings.timeout_s,
        queue_timeout_s=settings.queue_timeout_s,
        runtime=settings.runtime,
    )
