"""The keyword index grown by segments (issue #15): every write costs what it adds, and the scores
stay those of one BM25 index built at once from the surviving rows, and those of bm25s itself."""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pytest
from conftest import REALTIMEQA, SEED_ARTICLES, make_settings, needs_shared

QUERIES = [
    "What has Iran given Russia?",
    "Pantsir anti-aircraft systems for Hezbollah",
    "drones attack on Kyiv power grid",
    "sanctions against Russian oil exports",
    "Zelensky meets Biden in Washington",
    "nuclear talks Tehran uranium enrichment",
    "grain deal Black Sea ports Turkey",
    "the the of and",  # stopwords only: nothing scores
    "zzqx unknownword",  # no term the index knows
]


def _articles(count: int) -> list[tuple[str, str, list[str]]]:
    """(doc id, title, paragraphs as chunks) of real articles from the topic corpus."""
    source = REALTIMEQA / "topic_ukraine_russia_iran.jsonl.gz"
    if not source.exists():
        pytest.skip("topic corpus missing")
    out = []
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", record["text"]) if len(p.strip()) > 40][:6]
            if paragraphs:
                out.append((record["doc_id"], record.get("title", ""), paragraphs))
            if len(out) == count:
                break
    return out


def _corpus(documents):
    """Rows, chunk texts and article texts as the store hands them to the keyword index."""
    from newsrag.index.keyword import KeywordRow

    rows, texts, articles = [], [], {}
    for doc_id, title, paragraphs, version in documents:
        for position, paragraph in enumerate(paragraphs):
            rows.append(KeywordRow(f"{doc_id}::{version}::{position}", doc_id, "outlet", "2022-05-01"))
            texts.append(f"{title}\n{paragraph}")
        articles[doc_id] = f"{title}\n" + "\n\n".join(paragraphs)
    return rows, texts, articles


def _assert_same_scores(grown, reference, rows, texts):
    """Every row and article scores the same in both indexes (by chunk and document id), and as bm25s scores the rows."""
    import bm25s

    from newsrag.index.keyword import TOKEN_PATTERN, query_terms, stemmer

    assert len(grown) == len(reference) == len(rows)
    assert sorted(r.chunk_id for r in grown.rows) == sorted(r.chunk_id for r in reference.rows)
    assert grown.document_frequencies() == reference.document_frequencies()
    by_chunk = {r.chunk_id: i for i, r in enumerate(reference.rows)}
    order = np.array([by_chunk[r.chunk_id] for r in grown.rows])
    library = bm25s.BM25()  # its defaults: the BM25 variant and parameters index/keyword.py reproduces
    library.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False), show_progress=False
    )
    in_library = {r.chunk_id: i for i, r in enumerate(rows)}
    library_order = np.array([in_library[r.chunk_id] for r in grown.rows])
    doc_ids = sorted(set(reference.article_ids)) + ["no-such-doc"]
    for query in QUERIES:
        mine = grown.all_scores(query)
        np.testing.assert_allclose(mine, reference.all_scores(query)[order], rtol=0, atol=1e-5)
        terms = query_terms(query)
        expected = np.asarray(library.get_scores(terms), dtype=np.float32) if terms else np.zeros(len(rows), np.float32)
        np.testing.assert_allclose(mine, expected[library_order], rtol=0, atol=1e-5)
        np.testing.assert_allclose(grown.article_scores(query, doc_ids), reference.article_scores(query, doc_ids), rtol=0, atol=1e-5)
        found = [(h.chunk_id, round(h.score, 4)) for h in grown.search(query, 10)]
        assert found == [(h.chunk_id, round(h.score, 4)) for h in reference.search(query, 10)]


@needs_shared
def test_an_index_grown_by_adds_and_deletes_scores_as_one_built_at_once_and_as_bm25s(tmp_path, monkeypatch):
    from newsrag.index import keyword
    from newsrag.index.keyword import KeywordIndex, Segment, new_segment_name

    monkeypatch.setattr(keyword, "MERGE_FAN_IN", 3)  # small tiers, so that a few dozen writes merge and compact
    monkeypatch.setattr(keyword, "TIER_FLOOR_ROWS", 8)
    articles = _articles(36)
    live: dict[str, tuple] = {}
    index = KeywordIndex()
    folder = tmp_path / "keyword"
    reader = None
    merged = tombstoned = 0
    for generation, start in enumerate(range(0, len(articles), 3), start=1):
        batch = [(d, t, p, f"v{generation}") for d, t, p in articles[start : start + 3]]
        removed = set()
        if generation % 3 == 0:  # delete an older article
            removed.add(sorted(live)[0])
        if generation % 4 == 0:  # and replace another with a new version (new chunk ids, fewer paragraphs)
            doc_id, title, paragraphs, _ = live[sorted(live)[-1]]
            batch.append((doc_id, title, paragraphs[:-1] or paragraphs, f"v{generation}"))
        for doc_id in removed:
            live.pop(doc_id)
        for document in batch:
            live[document[0]] = document
        rows, texts, added_articles = _corpus(batch)
        added = Segment.build(new_segment_name(generation), rows, texts, added_articles)
        before = len(index.parts)
        index, made = index.changed(removed | {d[0] for d in batch}, added, generation)
        merged += len(index.parts) < before + 1
        tombstoned += any(p.deleted for p in index.parts)
        index.save_changes(folder)
        reader = KeywordIndex.load(folder, reuse=reader)  # a reader catching up, segment by segment
        assert reader is not None and reader.generation == generation and len(reader) == len(index)
        KeywordIndex.collect_garbage(folder, index.segment_names())
    assert merged and tombstoned  # the run did merge segments and carry tombstones
    assert len(index.parts) < 12  # 12 writes, kept in fewer segments

    rows, texts, whole = _corpus(list(live.values()))
    reference = KeywordIndex.build(rows, texts, whole)
    _assert_same_scores(index, reference, rows, texts)
    _assert_same_scores(reader, reference, rows, texts)
    fresh = KeywordIndex.load(folder)  # read from nothing: the segments and tombstones on disk say the same
    _assert_same_scores(fresh, reference, rows, texts)
    assert {p.name for p in (folder / keyword.SEGMENTS_DIR).iterdir()} == set(index.segment_names())


@pytest.fixture
def grown_store(tmp_path, encoder, monkeypatch):
    """A store written four times (the seed articles, two of them in one write), then one article
    deleted (a tombstone in a segment that stays) and one replaced by an edited version: every write
    after the first through the incremental path (a full rebuild fails)."""
    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor, delete_documents
    from newsrag.index.store import ChunkStore

    folder = tmp_path / "articles"
    folder.mkdir()
    names = sorted(p.name for p in SEED_ARTICLES.iterdir())
    for name in names:
        (folder / name).write_bytes((SEED_ARTICLES / name).read_bytes())
    settings = make_settings(tmp_path / "store")
    reader = open_store(settings)  # another handle, as a running chat holds
    for number, batch in enumerate([names[:1], names[1:3], names[3:4], names[4:]]):
        Ingestor(settings, open_store(settings), encoder, progress=False).run([folder / name for name in batch])
        if number == 0:
            assert len(reader.keyword_index()) == reader.count()

            def no_rebuild(self):
                raise AssertionError("a full rebuild where the write should cost what it adds")

            monkeypatch.setattr(ChunkStore, "_rebuild", no_rebuild)
    pair = open_store(settings).existing(names[1:3])
    smaller = min(pair, key=lambda doc_id: pair[doc_id].chunks)  # its segment keeps the other: a tombstone, not a rewrite
    assert delete_documents(open_store(settings), [smaller]) == [smaller]
    edited = folder / names[3]
    edited.write_text(edited.read_text(encoding="utf-8").replace("Iran", "Iran (the Islamic Republic)"), encoding="utf-8")
    report = Ingestor(settings, open_store(settings), encoder, progress=False).run([edited])
    assert report.updated == 1
    again = Ingestor(settings, open_store(settings), encoder, progress=False).run([folder])  # nothing changed: a cheap write
    assert (again.added, again.updated, again.unchanged) == (1, 0, 4)  # the deleted article comes back
    monkeypatch.undo()
    return settings, reader


@needs_shared
def test_a_store_grown_write_by_write_scores_as_a_full_rebuild(grown_store):
    from newsrag.components import open_store
    from newsrag.index.keyword import KeywordIndex

    settings, _ = grown_store
    store = open_store(settings)
    index = store.keyword_index()
    assert index.generation == store.generation() == 7 and len(index) == store.count()
    assert len(index.parts) > 1 and any(p.deleted for p in index.parts)  # segments and tombstones, not one rebuilt index
    rows, texts, articles = store._keyword_corpus()
    assert {r.doc_id for r in index.rows} == set(articles) and len(articles) == 5
    _assert_same_scores(index, KeywordIndex.build(rows, texts, articles), rows, texts)
    stats = store.stats()
    assert stats["keyword_index"] == "ready" and stats["incomplete_documents"] == 0


@needs_shared
def test_a_reader_that_sees_the_generation_move_loads_only_the_new_segments(grown_store, encoder, monkeypatch):
    from newsrag.components import open_store
    from newsrag.index import keyword
    from newsrag.index.ingest import Ingestor

    settings, reader = grown_store
    before = reader.keyword_index()
    held = {p.segment.name: p.segment for p in before.parts}
    loaded: list[str] = []
    original = keyword.Segment.load.__func__

    def counting(cls, folder):
        loaded.append(folder.name)
        return original(cls, folder)

    monkeypatch.setattr(keyword.Segment, "load", classmethod(counting))
    extra = settings.store_path.parent / "extra.txt"
    extra.write_text("Harbour reopens\n\nThe harbour of Vessa reopened on Monday after the storm, officials said.\n", encoding="utf-8")
    Ingestor(settings, open_store(settings), encoder, progress=False).run([extra])
    loaded.clear()
    after = reader.keyword_index()
    assert after.generation == before.generation + 1 and len(after) == reader.count()
    new = [p.segment.name for p in after.parts if p.segment.name not in held]
    assert new and loaded == new  # only what the write added was read
    assert all(p.segment is held[p.segment.name] for p in after.parts if p.segment.name in held)
    assert after.search("Vessa harbour", 1)[0].doc_id == "extra.txt"


@needs_shared
def test_a_write_made_around_replace_and_delete_is_caught_and_rebuilt(seed_store_path, tmp_path):
    """eval/bench.py fills a store with Chroma's own `add` inside `writing()`: the incremental path
    does not know those documents, sees that its index would not hold what Chroma holds, and rebuilds."""
    from newsrag.components import open_store

    source = open_store(make_settings(seed_store_path)).collection().get(include=["documents", "metadatas", "embeddings"])
    store = open_store(make_settings(tmp_path / "store"))
    store.bind_encoder("all-MiniLM-L6-v2/onnx-int8", 384)
    with store.writing():
        store.finish_writing()  # an empty store's first index, so that the next write has a base to extend
    with store.writing():
        store.collection().add(
            ids=source["ids"], documents=source["documents"], metadatas=source["metadatas"], embeddings=source["embeddings"]
        )
        index = store.finish_writing()
    assert len(index) == store.count() == len(source["ids"]) and len(index.article_ids) == 5
    assert index.search("Pantsir Hezbollah", 1)[0].doc_id == "004_412b77a1ff059891.txt"
