"""Hybrid retrieval on the real seed store: both fusions, filters, and the completed scores."""

from __future__ import annotations

import pytest

from conftest import make_settings, needs_shared
from rag.passage import Filters

pytestmark = needs_shared

PANTSIR = "Pantsir anti-aircraft systems for Hezbollah"


def retriever(store_path, encoder, **retrieval):
    from newsrag.components import open_store
    from rag.retrieve import HybridRetriever

    settings = make_settings(store_path, retrieval=retrieval)
    return HybridRetriever(open_store(settings), encoder, settings.retrieval)


@pytest.mark.parametrize("fusion", ["rrf", "scores"])
def test_both_fusions_find_the_article_that_says_it(seed_store_path, encoder, fusion):
    hits = retriever(seed_store_path, encoder, fusion=fusion).run(PANTSIR, top_k=4)
    assert hits[0].doc_id == "004_412b77a1ff059891.txt"
    assert "Pantsir" in hits[0].text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(sum(h.doc_id == d for h in hits) <= 2 for d in {h.doc_id for h in hits})  # per_document


def test_score_fusion_scores_every_candidate_by_both_retrievers(seed_store_path, encoder):
    """An article that only BM25 brought in still gets its cosine: its score mixes both halves."""
    import numpy as np

    hybrid = retriever(seed_store_path, encoder, fusion="scores", vector_candidates=1, keyword_candidates=50)
    vector = encoder.encode([PANTSIR])[0]
    index = hybrid.store.keyword_index()
    ranked = hybrid._candidates(PANTSIR, vector, None, index, None)
    doc_scores, chunk_scores = hybrid._fuse_scores(PANTSIR, vector, ranked, index, None)
    vector_only_docs = {item.doc_id for item in ranked.values() if item.vector_rank is not None}
    assert len(vector_only_docs) == 1 and len(doc_scores) > 1  # the others came from BM25 alone
    stored_chunks = {index.rows[row].chunk_id for doc in doc_scores for row in index.rows_of(doc)}
    assert set(chunk_scores) == stored_chunks  # every chunk of every candidate article, not just the hits
    values = np.array(list(doc_scores.values()))
    assert values.min() >= 0 and values.max() <= 1.0 + 1e-6
    assert max(doc_scores, key=doc_scores.get) == "004_412b77a1ff059891.txt"


def test_score_fusion_respects_filters(seed_store_path, encoder):
    hybrid = retriever(seed_store_path, encoder, fusion="scores")
    only = "001_3303a44a3e524015.txt"
    hits = hybrid.run(PANTSIR, top_k=5, filters=Filters(doc_ids=[only]))
    assert hits and {h.doc_id for h in hits} == {only}
    assert hybrid.run(PANTSIR, top_k=5, filters=Filters(sources=["no such outlet"])) == []


def test_score_fusion_is_repeatable(seed_store_path, encoder):
    hybrid = retriever(seed_store_path, encoder, fusion="scores")
    first = [(h.chunk_id, h.score) for h in hybrid.run("What has Iran given Russia?", top_k=6)]
    assert first == [(h.chunk_id, h.score) for h in hybrid.run("What has Iran given Russia?", top_k=6)]
