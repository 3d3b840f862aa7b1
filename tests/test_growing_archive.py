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
    from index.ingest import Ingestor
    from newsrag.components import open_store
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
