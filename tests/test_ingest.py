"""Ingestion into a real embedded Chroma store and a real `chroma run` server."""

from __future__ import annotations

import shutil

import pytest
from conftest import SEED_ARTICLES, make_settings, needs_shared

from newsrag.components import open_store
from newsrag.index.ingest import Ingestor, delete_documents
from newsrag.index.store import ChunkStore, EncoderMismatchError

pytestmark = needs_shared


def ingest(settings, encoder, *paths):
    return Ingestor(settings, open_store(settings), encoder, progress=False).run(list(paths))


def chunk_ids_by_doc(store: ChunkStore) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    collection = store.collection()
    page = collection.get(include=["metadatas"])
    for chunk_id, meta in zip(page["ids"], page["metadatas"]):
        result.setdefault(meta["doc_id"], []).append(chunk_id)
    return result


def test_reingest_update_delete(tmp_path, encoder):
    articles = tmp_path / "articles"
    shutil.copytree(SEED_ARTICLES, articles)
    settings = make_settings(tmp_path / "store")

    first = ingest(settings, encoder, articles)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (5, 0, 0, 0)
    store = open_store(settings)
    before = chunk_ids_by_doc(store)
    assert set(before) == {p.name for p in SEED_ARTICLES.iterdir()}

    again = ingest(settings, encoder, articles)
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 5, 0)
    assert chunk_ids_by_doc(open_store(settings)) == before

    target = articles / "002_13bc6e04ac9e9a50.txt"
    text = target.read_text()
    assert "Iran insists that it is neutral in the conflict." in text
    target.write_text(text.replace("Iran insists that it is neutral", "Iran insists, again, that it is neutral"))
    changed = ingest(settings, encoder, articles)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 4)
    after = chunk_ids_by_doc(open_store(settings))
    assert set(after) == set(before)
    assert after["002_13bc6e04ac9e9a50.txt"] != before["002_13bc6e04ac9e9a50.txt"]  # replaced, no orphans
    assert len(set(after["002_13bc6e04ac9e9a50.txt"])) == len(after["002_13bc6e04ac9e9a50.txt"])
    assert {k: v for k, v in after.items() if k != "002_13bc6e04ac9e9a50.txt"} == {
        k: v for k, v in before.items() if k != "002_13bc6e04ac9e9a50.txt"
    }

    store = open_store(settings)
    keyword = store.keyword_index()
    assert len(keyword) == store.count()
    assert any(row.doc_id == "002_13bc6e04ac9e9a50.txt" for row in keyword.rows)
    assert delete_documents(store, ["002_13bc6e04ac9e9a50.txt", "nope.txt"]) == ["002_13bc6e04ac9e9a50.txt"]
    fresh = open_store(settings)
    assert "002_13bc6e04ac9e9a50.txt" not in chunk_ids_by_doc(fresh)
    assert all(row.doc_id != "002_13bc6e04ac9e9a50.txt" for row in fresh.keyword_index().rows)
    assert fresh.stats()["documents"] == 4


def test_seed_store_metadata(seed_store_path):
    store = open_store(make_settings(seed_store_path))
    stats = store.stats()
    assert stats["documents"] == 5 and stats["embed_model"] == "all-MiniLM-L6-v2/onnx-int8" and stats["embed_dim"] == 384
    assert stats["incomplete_documents"] == 0 and stats["keyword_index"] == "ready"
    assert stats["undated_documents"] == 2  # two of the scraped seed pages carry no date
    chunks = store.document_chunks("000_efc5912cef78bf52.txt")
    first = chunks[0].metadata
    assert first["title"] == "The White House is concerned Iran may provide ballistic missiles to Russia for use against Ukraine"
    assert first["position"] == 0 and first["end"] > first["start"] >= 0
    for chunk in store.document_chunks("004_412b77a1ff059891.txt"):
        assert "Become a member" not in chunk.text and "indicates required" not in chunk.text


def test_other_encoder_is_refused(seed_store_path):
    from newsrag.rag.retrieve import HybridRetriever
    from newsrag.settings import RetrievalSettings

    class OtherEncoder:
        identity, dimension, max_tokens = "another-model/torch", 384, 256

    with pytest.raises(EncoderMismatchError, match="re-embed"):
        HybridRetriever(open_store(make_settings(seed_store_path)), OtherEncoder(), RetrievalSettings())


def test_half_written_document_is_completed(tmp_path, encoder):
    """A crash between chunk writes leaves a partial document; the next run finishes it exactly."""
    settings = make_settings(tmp_path / "store")
    ingest(settings, encoder, SEED_ARTICLES)
    store = open_store(settings)
    expected = chunk_ids_by_doc(store)
    victim = "003_4bfa6219a026e7f3.txt"
    store.collection().delete(ids=[expected[victim][-1]])  # as if killed half-way through its chunks
    store.dirty_marker.touch()
    report = ingest(settings, encoder, SEED_ARTICLES)
    assert report.updated + report.added == 1 and report.unchanged == 4
    assert chunk_ids_by_doc(open_store(settings)) == expected


def test_chroma_server(chroma_server, encoder, tmp_path):
    settings = make_settings(store={"chroma_url": chroma_server, "collection": "seeds"})
    report = ingest(settings, encoder, SEED_ARTICLES)
    assert report.added == 5
    store = open_store(settings)
    assert store.stats()["store"] == chroma_server and store.stats()["documents"] == 5
    from newsrag.rag.retrieve import HybridRetriever

    hits = HybridRetriever(store, encoder, settings.retrieval).run("Pantsir anti-aircraft systems for Hezbollah")
    assert hits[0].doc_id == "004_412b77a1ff059891.txt"
    assert ingest(settings, encoder, SEED_ARTICLES).unchanged == 5
