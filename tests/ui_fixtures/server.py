"""A real newsrag chat server for tests: a store ingested with `Ingestor`, served on 127.0.0.1."""

from __future__ import annotations

import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

FIXTURES = Path(__file__).resolve().parent
HOSTILE_ARTICLES = FIXTURES / "hostile.jsonl"
START_TIMEOUT_S = 60


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningApp:
    """A served page: its URL, settings and the Gradio app (closed by `stop`)."""

    url: str
    settings: Any
    demo: Any

    def stop(self) -> None:
        """Shut the server down."""
        self.demo.close()


def make_store(path: Path, encoder: Any, sources: Sequence[Path], **sections: Any):
    """Settings for a fresh embedded store at `path` holding the articles under `sources`."""
    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor
    from newsrag.settings import load_settings

    overrides = {"store": {"path": str(path)}, "llm": {"backend": "extractive"}, "serve": {"port": free_port()}, **sections}
    settings = load_settings(overrides)
    report = Ingestor(settings, open_store(settings), encoder, progress=False).run(list(sources))
    assert not report.problems, report.problems
    return settings


def start_app(settings: Any) -> RunningApp:
    """Serve the chat exactly as `newsrag serve` does (same `launch`), without blocking."""
    from newsrag.commands.serve import launch

    demo = launch(settings, block=False, quiet=True)
    url = f"http://127.0.0.1:{settings.serve.port}/"
    deadline = time.time() + START_TIMEOUT_S
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    while True:
        try:
            with opener.open(url + "config", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            if time.time() > deadline:
                demo.close()
                raise
            time.sleep(0.3)
    return RunningApp(url, settings, demo)
