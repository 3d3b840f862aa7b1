"""A growing archive: a running chat sees every committed write (issue #15), through the store generation."""

from __future__ import annotations

import pytest
from conftest import SEED_ARTICLES, needs_shared, run_cli

pytest.importorskip("gradio")
pytest.importorskip("gradio_client")
pytestmark = [needs_shared, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

NEW_ARTICLE = "004_412b77a1ff059891.txt"  # the Pantsir article, added while the chat runs
QUESTION = "Which anti-aircraft system may Wagner provide to Hezbollah?"


@pytest.fixture
def running(tmp_path, encoder):
    """The chat served over the seed articles except one."""
    from ui_fixtures.server import make_store, start_app

    older = sorted(p for p in SEED_ARTICLES.iterdir() if p.name != NEW_ARTICLE)
    app = start_app(make_store(tmp_path / "store", encoder, older))
    yield app
    app.stop()


def test_a_running_chat_answers_from_an_article_ingested_by_another_process_and_forgets_a_deleted_one(running):
    from gradio_client import Client

    client = Client(running.url, verbose=False)
    store = str(running.settings.store_path)

    def cited() -> tuple[list[str], str]:
        data = client.predict(QUESTION, None, api_name="/chat")
        return [c["doc_id"] for c in data["citations"]], data["answer"]

    before, answer = cited()
    assert NEW_ARTICLE not in before and "pantsir" not in answer.lower()
    added = run_cli("ingest", str(SEED_ARTICLES / NEW_ARTICLE), "--store", store, "--no-progress")
    assert added.returncode == 0, added.stderr
    after, answer = cited()  # no restart
    assert NEW_ARTICLE in after and "pantsir" in answer.lower(), answer
    deleted = run_cli("delete", NEW_ARTICLE, "--store", store)
    assert deleted.returncode == 0, deleted.stderr
    again, answer = cited()
    assert NEW_ARTICLE not in again and "pantsir" not in answer.lower(), answer


def test_the_generation_advances_with_every_write_and_a_stale_reader_follows(tmp_path, encoder):
    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor
    from newsrag.settings import load_settings

    settings = load_settings({"store": {"path": str(tmp_path / "store")}})
    writer, reader = open_store(settings), open_store(settings)  # two handles, as two processes hold
    Ingestor(settings, writer, encoder, progress=False).run([SEED_ARTICLES / "000_efc5912cef78bf52.txt"])
    first = writer.generation()
    assert first >= 1 and len(reader.keyword_index()) == writer.count()
    Ingestor(settings, writer, encoder, progress=False).run([SEED_ARTICLES / NEW_ARTICLE])
    assert writer.generation() == first + 1
    index = reader.keyword_index()
    assert index.generation == first + 1 and len(index) == writer.count()
    assert any(row.doc_id == NEW_ARTICLE for row in index.rows)


def test_ingest_watch_reads_new_and_changed_files_once_complete_with_one_line_per_batch(tmp_path):
    import json
    import queue
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    folder, store = tmp_path / "incoming", tmp_path / "store"
    (folder / "sub").mkdir(parents=True)
    (folder / "first.txt").write_text("Harbour reopens\n\nThe harbour of Vessa reopened on Monday after the storm, officials said.\n")
    command = [str(Path(sys.executable).parent / "newsrag"), "ingest", "--watch", str(folder), "--store", str(store), "--settle", "1"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    incoming: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [incoming.put(line) for line in process.stderr], daemon=True).start()

    def wait_for(text: str, timeout: float) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = incoming.get(timeout=1)
            except queue.Empty:
                assert process.poll() is None, "".join(lines)
                continue
            lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout:.0f} s: {''.join(lines)}")

    try:
        assert "1 added" in wait_for("catching up", timeout=300)  # the first run may load and export the encoder
        partial = folder / "sub" / "second.txt"
        with open(partial, "w") as handle:  # written in two parts, a second apart: read once, complete
            handle.write("Bridge opens\n\nThe new bridge over the Orlin river ")
            handle.flush()
            time.sleep(0.6)
            handle.write("opened to traffic on Tuesday, the mayor said.\n")
        (folder / ".hidden.txt").write_text("Not an article\n\nA hidden file is never read by the watcher at all.\n")
        (folder / "download.txt.part").write_text("half a file")
        assert "1 added" in wait_for("new or changed", timeout=120)
        (folder / "first.txt").write_text(
            "Harbour reopens\n\nThe harbour of Vessa reopened on Monday after the storm, the port authority said.\n"
        )
        assert "1 updated" in wait_for("new or changed", timeout=120)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C (SIGTERM does the same)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"Ctrl-C did not stop the watcher: {''.join(lines)}") from None
    time.sleep(0.5)  # the reader thread drains the last lines
    while not incoming.empty():
        lines.append(incoming.get())
    rest = "".join(lines)
    assert process.returncode == 0, rest
    assert "stopped watching" in rest and "Traceback" not in rest
    stats = json.loads(run_cli("stats", "--store", str(store), "--json").stdout)
    assert stats["documents"] == 2  # first.txt once (updated, not duplicated) and sub/second.txt
    assert stats["generation"] == 3 and stats["updated"].startswith(
        str(__import__("datetime").date.today().year)
    )  # what the Collection tab shows
    found = json.loads(run_cli("search", "Orlin river bridge", "--store", str(store), "--json").stdout)
    assert found["hits"][0]["doc_id"] == "sub/second.txt" and "mayor said" in found["hits"][0]["text"]


def test_two_machines_on_one_chroma_server_see_each_others_writes(chroma_server, tmp_path, encoder):
    """Separate home folders stand for separate machines: each has its own keyword index beside one
    `chroma run` server, and a reader follows the other's write by the store generation."""
    from newsrag.components import open_retriever, open_store
    from newsrag.settings import load_settings

    store_flags = ("--chroma-url", chroma_server, "--collection", "two-machines")
    first = run_cli("ingest", str(SEED_ARTICLES / "000_efc5912cef78bf52.txt"), *store_flags, env={"NEWSRAG_HOME": str(tmp_path / "a")})
    assert first.returncode == 0, first.stderr
    reader_settings = load_settings({"home": str(tmp_path / "b"), "store": {"chroma_url": chroma_server, "collection": "two-machines"}})
    store = open_store(reader_settings)
    retriever = open_retriever(reader_settings, store)
    assert {p.doc_id for p in retriever.run("Pantsir Wagner Hezbollah", top_k=4)} == {"000_efc5912cef78bf52.txt"}
    second = run_cli("ingest", str(SEED_ARTICLES / NEW_ARTICLE), *store_flags, env={"NEWSRAG_HOME": str(tmp_path / "a")})
    assert second.returncode == 0, second.stderr
    hits = retriever.run("Pantsir Wagner Hezbollah", top_k=4)  # same process, no restart
    assert hits[0].doc_id == NEW_ARTICLE
    assert any(row.doc_id == NEW_ARTICLE for row in store.keyword_index().rows)  # followed in this machine's keyword index
