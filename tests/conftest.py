"""Shared fixtures: the real embedding model and a real embedded store of the seed articles.

Tests never touch the user's data: NEWSRAG_HOME points into a temporary folder for the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED_ARTICLES = SHARED / "corpus" / "seed-articles"
SEED_QUESTIONS = SHARED / "eval" / "seed_dev.jsonl"
REALTIMEQA = SHARED / "corpus" / "realtimeqa"

_HOME = Path(tempfile.mkdtemp(prefix="newsrag-test-home-"))
os.environ["NEWSRAG_HOME"] = str(_HOME)
for _key in [k for k in os.environ if k.startswith("NEWSRAG_") and k not in ("NEWSRAG_HOME",)]:
    del os.environ[_key]  # a developer's own settings must not change test results

import newsrag.offline  # noqa: E402,F401


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)


needs_shared = pytest.mark.skipif(not SEED_ARTICLES.is_dir(), reason="../shared is not beside the repository")


def make_settings(store_path: Path | None = None, **sections):
    """Settings for a test: an embedded store folder, the extractive backend unless told otherwise."""
    from newsrag.settings import load_settings

    overrides = {"llm": {"backend": "extractive"}, **sections}
    if store_path is not None:
        overrides["store"] = {**overrides.get("store", {}), "path": str(store_path)}
    return load_settings(overrides)


@pytest.fixture(scope="session")
def encoder():
    """The real default embedding model (all-MiniLM-L6-v2 from its PyPI package)."""
    from newsrag.components import open_encoder

    return open_encoder(make_settings())


@pytest.fixture(scope="session")
def seed_store_path(tmp_path_factory, encoder) -> Path:
    """A store of the five seed articles, built once per session with `Ingestor` (do not modify)."""
    if not SEED_ARTICLES.is_dir():
        pytest.skip("../shared is not beside the repository")
    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor

    path = tmp_path_factory.mktemp("seed-store")
    settings = make_settings(path)
    report = Ingestor(settings, open_store(settings), encoder, progress=False).run([SEED_ARTICLES])
    assert report.added == 5 and not report.problems
    return path


@pytest.fixture(scope="session")
def seed_pipeline(seed_store_path):
    """The answer pipeline over the seed store, extractive backend."""
    from newsrag.components import open_pipeline

    return open_pipeline(make_settings(seed_store_path))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on 127.0.0.1 (free port), stopped after the session."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma command is not installed")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None:
                pytest.fail("chroma run exited at start")
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not start within 60 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_cli(*args: str, input_text: str | None = None, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the installed `newsrag` command as a user would."""
    command = [str(Path(sys.executable).parent / "newsrag"), *args]
    return subprocess.run(command, capture_output=True, text=True, input=input_text, env={**os.environ, **(env or {})}, timeout=timeout)
