"""The faster embedded runtime: ik_llama.cpp, through the `ik-llama-cpp-python` wheel.

ik_llama.cpp is a llama.cpp fork with faster CPU matrix kernels. With its weights repacked at load
(`repack_tensors`), 24 real answer prompts were read at 122 tokens/s on this project's 2-core
machine, against 72 under `xllamacpp`, and the first token came in 0.61 of the time
(`bench/runtimes.py`; README "The answer model's runtime").

Written by hand because the wheel's own `IkLlama` re-reads every prompt from scratch, samples in a
Python loop over the whole vocabulary, and does not stream. `IkLlamaServer` keeps the KV cache of
the last conversation and re-reads only what changed (the system prompt is shared by every
answer), decodes greedily with numpy, streams UTF-8-safe text, and answers the part of
`xllamacpp.Server.handle_chat_completions` that `LlamaCppLLM` uses (OpenAI-style chunks to a
callback that returns True to stop), so the runtime is a setting (`llm.runtime`).

Example::

    server = IkLlamaServer(Path("model.gguf"), context_window=4096, threads=2)
    server.handle_chat_completions({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8}, print)
"""

from __future__ import annotations

import codecs
import ctypes
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from newsrag.rag.backends import BackendError
from newsrag.rag.backends.llamacpp import CONTEXT_OVERFLOW_TEXT, DEFAULT_MAX_TOKENS

logger = logging.getLogger(__name__)

# ggml log levels (ggml.h) passed on to Python logging, and at which level. Its warnings go to
# debug: on a CPU it warns at every load that "device 0" has no free memory for its fit check.
LOG_LEVELS = {3: logging.DEBUG, 4: logging.ERROR}
# Sampling when temperature > 0 (llama.cpp server's defaults).
TOP_K = 40
TOP_P = 0.95

# What llama.cpp falls back to for a GGUF that stores no chat template.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Largest difference of next-token scores allowed between reading a prompt's last row alone
# and beside every row (`check_logits`): sound weight types measured at most 0.1, Q4_1 and
# Q5_1 3.8 (SmolLM2-135M requantized to each type by ik_llama's llama-quantize).
LOGITS_TOLERANCE = 0.5

_BINDINGS: Any = None
_BINDINGS_LOCK = threading.Lock()


_LOG_CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


@_LOG_CALLBACK_TYPE
def _on_log(level: int, text: bytes | None, _user_data: Any) -> None:
    """llama.cpp's log lines: errors to Python logging, warnings at debug level, the load chatter dropped."""
    if level in LOG_LEVELS and text:
        logger.log(LOG_LEVELS[level], "%s", text.decode("utf-8", "replace").rstrip())


def bindings() -> Any:
    """The wheel's ctypes module, with the few functions it does not bind added; logs routed.

    Raises ImportError when `ik-llama-cpp-python` is not installed.
    """
    global _BINDINGS
    with _BINDINGS_LOCK:
        if _BINDINGS is None:
            from ik_llama_cpp import _ctypes_api as api

            lib = api._lib
            extra = {
                "llama_kv_cache_seq_rm": ([ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32], ctypes.c_bool),
                "llama_model_chat_template": ([ctypes.c_void_p, ctypes.c_char_p], ctypes.c_char_p),
                "llama_token_bos": ([ctypes.c_void_p], ctypes.c_int32),
                "llama_token_eos": ([ctypes.c_void_p], ctypes.c_int32),
                "llama_n_vocab": ([ctypes.c_void_p], ctypes.c_int32),
                "llama_log_set": ([_LOG_CALLBACK_TYPE, ctypes.c_void_p], None),
            }
            for name, (argtypes, restype) in extra.items():
                function = getattr(lib, name)
                function.argtypes, function.restype = argtypes, restype
            lib.llama_log_set(_on_log, None)
            api.llama_backend_init()
            _BINDINGS = (api, lib)
        return _BINDINGS


def chat_template(source: str) -> Any:
    """A GGUF's Jinja chat template, compiled as llama.cpp's server (`--jinja`, xllamacpp's
    default) and transformers run it: sandboxed, blocks trimmed, with their two helpers.

    The same rendering as xllamacpp matters: Qwen's template adds its default system prompt to a
    conversation that has none (the follow-up rewrite sends a single user message).
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise BackendError(f"the model's chat template refused the conversation: {message}")

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = lambda pattern: datetime.now().strftime(pattern)
    return environment.from_string(source)


class UnsupportedModelError(BackendError):
    """ik_llama.cpp computes this model wrong; llama.cpp itself (xllamacpp) should run it."""


class IkLlamaServer:
    """One GGUF model and one context, serving chat completions one at a time (the caller queues).

    `repack` rearranges the quantized weights at load for ik_llama's faster kernels (about a
    second, and the weights are read into memory instead of mapped). Loading ends with
    `check_logits`, which raises UnsupportedModelError for a model ik_llama computes wrong.
    """

    def __init__(self, model_path: Path, *, context_window: int, threads: int, repack: bool = True) -> None:
        # Every call into the library runs on this one thread. Each thread that computes gets its
        # own OpenMP team, and once a second team exists, answers were written at ~23 tokens/s
        # instead of ~30-35 (ad hoc, 2 cores: a new thread per answer, as LlamaCppLLM streams).
        self.engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsrag-ik-llama")
        try:
            self.engine.submit(self._load, model_path, context_window, threads, repack).result()
        except BaseException:
            self.engine.shutdown(wait=False)
            raise

    def _load(self, model_path: Path, context_window: int, threads: int, repack: bool) -> None:
        self.api, self.lib = bindings()
        model_params = self.api.llama_model_default_params()
        model_params.repack_tensors = repack
        model_params.use_mmap = not repack  # repacking rewrites the weights, so they cannot stay mapped
        self.model = self.api.llama_model_load_from_file(str(model_path).encode(), model_params)
        if not self.model:
            raise BackendError(f"ik_llama.cpp could not load {model_path}")
        context_params = self.api.llama_context_default_params()
        context_params.n_ctx = context_window
        context_params.n_batch = context_window
        context_params.n_threads = context_params.n_threads_batch = threads
        # Its flash attention asserts on long prompts without AVX-VNNI (the wheel's own warning).
        context_params.flash_attn = False
        self.context = self.api.llama_init_from_model(self.model, context_params)
        if not self.context:
            self.api.llama_free_model(self.model)
            raise BackendError(f"ik_llama.cpp could not make a {context_window}-token context for {model_path}")
        self.context_window = context_window
        self.n_vocab = self.lib.llama_n_vocab(self.model)
        template = self.lib.llama_model_chat_template(self.model, None)
        self.template = chat_template(template.decode("utf-8", "replace") if template else CHATML_TEMPLATE)
        self.special = {
            "bos_token": self.piece(self.lib.llama_token_bos(self.model), special=True).decode("utf-8", "replace"),
            "eos_token": self.piece(self.lib.llama_token_eos(self.model), special=True).decode("utf-8", "replace"),
        }
        self.cached: list[int] = []  # the tokens whose keys and values the context holds, in order
        self.check_logits()

    def __del__(self) -> None:
        engine = getattr(self, "engine", None)
        if engine is None:
            return
        try:
            if threading.current_thread().name.startswith("newsrag-ik-llama"):
                self._free()  # the engine thread itself dropped the last reference
            else:
                engine.submit(self._free).result()
        except RuntimeError:  # the engine is shut down (a failed load, the interpreter's exit)
            self._free()
        engine.shutdown(wait=False)

    def _free(self) -> None:
        api = getattr(self, "api", None)
        if api is not None and getattr(self, "context", None):
            api.llama_free(self.context)
            self.context = None
        if api is not None and getattr(self, "model", None):
            api.llama_free_model(self.model)
            self.model = None

    def render(self, messages: Sequence[dict[str, str]]) -> str:
        """The conversation in the model's own chat template, ending where the assistant speaks."""
        return self.template.render(messages=list(messages), add_generation_prompt=True, **self.special)

    def tokenize(self, text: str) -> list[int]:
        """Token ids of `text`, its special tokens (the template's markers) read as such."""
        data = text.encode()
        needed = -self.api.llama_tokenize(self.model, data, len(data), None, 0, False, True)
        buffer = (ctypes.c_int32 * max(needed, 1))()
        count = self.api.llama_tokenize(self.model, data, len(data), buffer, len(buffer), False, True)
        return list(buffer[:count])

    def piece(self, token: int, *, special: bool = False) -> bytes:
        """The bytes one token stands for (control tokens: none, unless `special`)."""
        buffer = ctypes.create_string_buffer(64)
        length = self.api.llama_token_to_piece(self.model, token, buffer, len(buffer), 0, special)
        if length > len(buffer):
            buffer = ctypes.create_string_buffer(length)
            length = self.api.llama_token_to_piece(self.model, token, buffer, len(buffer), 0, special)
        return buffer.raw[: max(length, 0)]

    def _read(self, tokens: Sequence[int], start: int, *, every_row: bool = False) -> int:
        """Read `tokens` into the context at positions from `start`; llama_decode's status.

        Scores are computed for the last token only, unless `every_row`.
        """
        batch = self.api.llama_batch_init(len(tokens), 0, 1)
        try:
            batch.n_tokens = len(tokens)
            for offset, token in enumerate(tokens):
                batch.token[offset] = token
                batch.pos[offset] = start + offset
                batch.n_seq_id[offset] = 1
                batch.seq_id[offset][0] = 0
                batch.logits[offset] = every_row or offset == len(tokens) - 1
            return self.api.llama_decode(self.context, batch)
        finally:
            self.api.llama_batch_free(batch)

    def _decode(self, tokens: Sequence[int], start: int) -> None:
        """Read `tokens` at positions from `start` and note them as held; BackendError on failure."""
        status = self._read(tokens, start)
        if status != 0:
            self.cached = []
            self.api.llama_kv_cache_clear(self.context)
            raise BackendError(f"ik_llama.cpp could not read the prompt (llama_decode returned {status})")
        self.cached[start:] = list(tokens)

    def _prefill(self, prompt: list[int]) -> int:
        """Bring the context to `prompt`, re-reading only what differs from what it holds.

        Returns how many tokens were read. At least the last token is read again: its logits
        are what the first answer token is chosen from.
        """
        shared = 0
        for held, wanted in zip(self.cached, prompt, strict=False):
            if held != wanted:
                break
            shared += 1
        shared = min(shared, len(prompt) - 1)
        self.lib.llama_kv_cache_seq_rm(self.context, 0, shared, -1)
        del self.cached[shared:]
        self._decode(prompt[shared:], shared)
        return len(prompt) - shared

    def _next_token(self, temperature: float, rng: np.random.Generator) -> int:
        logits = np.ctypeslib.as_array(self.api.llama_get_logits_ith(self.context, -1), shape=(self.n_vocab,))
        if temperature <= 0:
            return int(np.argmax(logits))
        top = np.argpartition(logits, -TOP_K)[-TOP_K:]
        top = top[np.argsort(logits[top])[::-1]]
        weights = np.exp((logits[top] - logits[top[0]]) / temperature)
        weights /= weights.sum()
        keep = int(np.searchsorted(np.cumsum(weights), TOP_P)) + 1
        weights = weights[:keep] / weights[:keep].sum()
        return int(rng.choice(top[:keep], p=weights))

    def check_logits(self) -> None:
        """Refuse a model whose next-token scores depend on how many rows are computed.

        A prompt's last-token scores must be the same whether computed alone (how every answer
        is read) or beside every other position's. They are not for weights stored as Q4_1 or
        Q5_1 in the `ik-llama-cpp-python` wheel 0.1.5: on SmolLM2-135M they differ by up to 3.8
        and the model ends every answer before it starts; for Q4_0, Q5_0, Q8_0, Q3_K-Q6_K,
        IQ4_NL and F16, repacked or not, they agree within 0.1 and pick the same token
        (tests/test_backends.py holds both cases).
        """
        prompt = self.tokenize(self.render([{"role": "user", "content": "Name a color."}]))
        rows = []
        for every_row in (True, False):
            self.lib.llama_kv_cache_seq_rm(self.context, 0, 0, -1)
            status = self._read(prompt, 0, every_row=every_row)
            if status != 0:
                raise UnsupportedModelError(f"ik_llama.cpp could not read a prompt with this model (llama_decode returned {status})")
            rows.append(np.ctypeslib.as_array(self.api.llama_get_logits_ith(self.context, -1), shape=(self.n_vocab,)).copy())
        self.lib.llama_kv_cache_seq_rm(self.context, 0, 0, -1)
        difference = float(np.abs(rows[0] - rows[1]).max())
        if rows[0].argmax() != rows[1].argmax() or difference > LOGITS_TOLERANCE:
            raise UnsupportedModelError(
                f"ik_llama.cpp computes this model's weights wrong (next-token scores differ by {difference:.2f} "
                "between two ways of reading the same prompt); set llm.runtime = 'xllamacpp'"
            )

    def handle_chat_completions(self, request: dict[str, Any], callback: Callable[[dict[str, Any]], bool]) -> None:
        """Answer `request` (messages, max_tokens, temperature, stop), chunk by chunk to `callback`.

        Chunks are shaped as llama.cpp's server streams them: `{"choices": [{"delta":
        {"content": ...}, "finish_reason": ...}]}`, the last one with `timings`; an error is
        `{"error": {"message": ...}}`. `callback` returning True stops generation. Runs on the
        engine thread (`callback` too); the caller waits.
        """
        self.engine.submit(self._generate, request, callback).result()

    def _generate(self, request: dict[str, Any], callback: Callable[[dict[str, Any]], bool]) -> None:
        prompt = self.tokenize(self.render(request["messages"]))
        if len(prompt) >= self.context_window:
            callback({"error": {"message": f"the request ({len(prompt)} tokens) {CONTEXT_OVERFLOW_TEXT} ({self.context_window})"}})
            return
        max_tokens = int(request.get("max_tokens") or DEFAULT_MAX_TOKENS)
        temperature = float(request.get("temperature") or 0.0)
        stops = [stop for stop in request.get("stop") or [] if stop]
        rng = np.random.default_rng()
        began = time.perf_counter()
        try:
            read = self._prefill(prompt)
        except BackendError as error:
            callback({"error": {"message": str(error)}})
            return
        prefilled = time.perf_counter()
        text = _TextStream(stops)
        finish_reason = "length"
        generated = 0
        while generated < max_tokens:
            token = self._next_token(temperature, rng)
            if self.api.llama_token_is_eog(self.model, token):
                finish_reason = "stop"
                break
            generated += 1
            delta, stopped = text.add(self.piece(token))
            if delta and callback(_chunk(delta, None)):
                finish_reason = "cancelled"
                break
            if stopped:
                finish_reason = "stop"
                break
            if len(self.cached) + 1 >= self.context_window:
                break
            try:
                self._decode([token], len(self.cached))
            except BackendError as error:
                callback({"error": {"message": str(error)}})
                return
        if finish_reason != "cancelled":
            rest = text.flush()
            if rest:
                callback(_chunk(rest, None))
        ended = time.perf_counter()
        timings = {
            "cache_n": len(prompt) - read,
            "prompt_n": read,
            "prompt_ms": (prefilled - began) * 1000,
            "prompt_per_second": read / max(prefilled - began, 1e-9),
            "predicted_n": generated,
            "predicted_ms": (ended - prefilled) * 1000,
            "predicted_per_second": generated / max(ended - prefilled, 1e-9),
        }
        final = _chunk("", finish_reason if finish_reason != "cancelled" else "stop")
        final["timings"] = timings
        callback(final)


def _chunk(text: str, finish_reason: str | None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish_reason}]}


class _TextStream:
    """Token bytes in, text out: whole UTF-8 characters only, held back while it could still
    turn into a stop string, cut where a stop string begins."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.stops = list(stops)
        self.pending = ""

    def add(self, data: bytes) -> tuple[str, bool]:
        """The text now safe to show, and whether a stop string was reached."""
        self.pending += self.decoder.decode(data)
        for stop in self.stops:
            at = self.pending.find(stop)
            if at >= 0:
                shown, self.pending = self.pending[:at], ""
                return shown, True
        held = max((len(stop) - 1 for stop in self.stops), default=0)
        cut = len(self.pending)
        for length in range(min(held, len(self.pending)), 0, -1):
            tail = self.pending[-length:]
            if any(stop.startswith(tail) for stop in self.stops):
                cut = len(self.pending) - length
                break
        shown, self.pending = self.pending[:cut], self.pending[cut:]
        return shown, False

    def flush(self) -> str:
        """Whatever was held back, at the end of generation."""
        rest, self.pending = self.pending + self.decoder.decode(b"", final=True), ""
        return rest
