"""Hybrid retrieval on the real seed store: both fusions, filters, and the completed scores."""

from __future__ import annotations

import pytest
from conftest import make_settings, needs_shared

from newsrag.rag.passage import Filters

pytestmark = needs_shared

PANTSIR = "Pantsir anti-aircraft systems for Hezbollah"


def retriever(store_path, encoder, **retrieval):
    from newsrag.components import open_store
    from newsrag.rag.retrieve import HybridRetriever

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
    ranked = hybrid._candidates(PANTSIR, hybrid._vector_hits(vector, None), index, None)
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


def test_article_index_reads_each_article_once(seed_store_path):
    """The whole-article BM25 text is the chunks joined with their shared overlap read once."""
    from newsrag.components import open_store

    store = open_store(make_settings(seed_store_path))
    _, _, articles = store._keyword_corpus()
    assert set(articles) == set(store.scan())
    doc_id = "004_412b77a1ff059891.txt"
    chunks = store.document_chunks(doc_id)
    article = articles[doc_id]
    assert len(chunks) > 1 and all(" ".join(c.text.split()) in " ".join(article.split()) for c in chunks)
    # the cleaned text from the first chunk's start to the last one's end, the overlaps read once
    span = chunks[-1].metadata["end"] - chunks[0].metadata["start"]
    assert len(article) == len(chunks[0].metadata["title"]) + 1 + span


def test_article_share_lifts_the_article_that_covers_the_question(seed_store_path, encoder):
    """With `article_share` the whole article's BM25 joins the score; unknown ids score 0."""
    hybrid = retriever(seed_store_path, encoder, fusion="scores")
    index = hybrid.store.keyword_index()
    whole = index.article_scores(PANTSIR, ["004_412b77a1ff059891.txt", "001_3303a44a3e524015.txt", "no-such-doc"])
    assert whole[0] > whole[1] >= 0 and whole[2] == 0
    plain = retriever(seed_store_path, encoder, fusion="scores", article_share=0.0).run(PANTSIR, top_k=4)
    mixed = hybrid.run(PANTSIR, top_k=4)
    assert mixed[0].doc_id == plain[0].doc_id == "004_412b77a1ff059891.txt"
    assert [h.score for h in mixed] != [h.score for h in plain]


def test_store_indexed_in_the_older_layout_is_reindexed_once(seed_store_path, tmp_path):
    """A keyword folder an older newsrag left (one bm25s index, no manifest) is rebuilt on first use."""
    import shutil

    from newsrag.components import open_store
    from newsrag.index.keyword import MANIFEST_FILE

    copy = tmp_path / "store"
    shutil.copytree(seed_store_path, copy)
    store = open_store(make_settings(copy))
    shutil.rmtree(store.keyword_dir)
    store.keyword_dir.mkdir(parents=True)
    (store.keyword_dir / "rows.json").write_text("[]")  # as an older newsrag left it
    assert store.stats()["keyword_index"] == "none"
    index = open_store(make_settings(copy)).keyword_index()
    assert len(index) == store.count() and len(index.article_ids) == 5
    assert (store.keyword_dir / MANIFEST_FILE).is_file() and store.stats()["keyword_index"] == "ready"


def _dated_store(tmp_path, encoder):
    """Three versions of one recurring story, published months apart, and one undated article."""
    import json

    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor

    stories = [
        (
            "pm-jan",
            "2022-01-14",
            "Prime minister of Ruritania resigns",
            "The prime minister of Ruritania, Anna Berg, resigned on Friday after a vote.",
        ),
        (
            "pm-jun",
            "2022-06-10",
            "Prime minister of Ruritania resigns",
            "The prime minister of Ruritania, Carl Dahl, resigned on Friday after a vote.",
        ),
        (
            "pm-sep",
            "2022-09-02",
            "Prime minister of Ruritania resigns",
            "The prime minister of Ruritania, Eva Falk, resigned on Friday after a vote.",
        ),
        ("pm-undated", "", "Ruritania politics explained", "Ruritania's prime minister is chosen by parliament after a vote."),
    ]
    corpus = tmp_path / "stories.jsonl"
    corpus.write_text(
        "\n".join(json.dumps({"doc_id": d, "publish_date": p, "title": t, "text": x}) for d, p, t, x in stories), encoding="utf-8"
    )
    settings = make_settings(tmp_path / "store")
    Ingestor(settings, open_store(settings), encoder, progress=False).run([corpus])
    return retriever(tmp_path / "store", encoder)


def test_as_of_hides_later_articles_and_this_week_means_the_week_before_it(tmp_path, encoder):
    import datetime as dt

    hybrid = _dated_store(tmp_path, encoder)
    question = "Which prime minister of Ruritania resigned this week?"
    june = [h.doc_id for h in hybrid.run(question, top_k=8, as_of=dt.date(2022, 6, 12))]
    assert june[0] == "pm-jun" and "pm-sep" not in june  # published after the as-of date: not in the archive yet
    assert "pm-undated" in june  # undated articles are kept, ranked as undated
    february = [h.doc_id for h in hybrid.run(question, top_k=8, as_of=dt.date(2022, 2, 1))]
    assert february[0] == "pm-jan" and not {"pm-jun", "pm-sep"} & set(february)
    latest = [h.doc_id for h in hybrid.run("Who resigned as prime minister of Ruritania?", top_k=8, as_of=dt.date(2022, 12, 1))]
    assert latest[0] == "pm-sep"  # no time words: the most recent coverage of the story first


def test_a_question_naming_no_time_is_about_the_news_week_of_its_as_of_date(tmp_path, encoder):
    """The news week (the days up to the as-of date) lifts its articles, but not over an older one
    that names the person asked about; an archive that stops before the week keeps story recency."""
    import datetime as dt

    from newsrag.rag.timeframe import resolve

    hybrid = _dated_store(tmp_path, encoder)
    weekless = retriever(tmp_path / "store", encoder, week_days=0)
    as_of = dt.date(2022, 6, 12)  # pm-jun (June 10) is in its news week
    question = "Did Anna Berg resign as prime minister of Ruritania?"
    with_week = {h.doc_id: h.score for h in hybrid.run(question, top_k=8, as_of=as_of)}
    without = {h.doc_id: h.score for h in weekless.run(question, top_k=8, as_of=as_of)}
    assert max(with_week, key=with_week.get) == max(without, key=without.get) == "pm-jan"  # her name wins
    assert with_week["pm-jun"] - with_week["pm-jan"] > without["pm-jun"] - without["pm-jan"] + 0.05  # the week lifts pm-jun
    stale = [h.doc_id for h in hybrid.run("Who resigned as prime minister of Ruritania?", top_k=8, as_of=dt.date(2023, 6, 1))]
    assert stale[0] == "pm-sep"  # nothing in the news week: the newest coverage of the story first
    frame = resolve("Who resigned?", as_of)
    assert frame.window_or_week(8) == (dt.date(2022, 6, 5), as_of) and frame.window_or_week(0) is None
    assert resolve("Who resigned this week?", as_of).window_or_week(0) == (dt.date(2022, 6, 5), as_of)


def test_an_archive_holds_the_news_week_when_an_article_of_those_days_is_in_it(tmp_path, encoder):
    import datetime as dt

    from newsrag.rag.retrieve import holds_news_week

    index = _dated_store(tmp_path, encoder).store.keyword_index()
    assert holds_news_week(index, dt.date(2022, 6, 12), 8)  # pm-jun, June 10
    assert holds_news_week(index, dt.date(2022, 6, 17), 8)  # its week's last day
    assert not holds_news_week(index, dt.date(2022, 6, 18), 8)  # the week after: nothing new
    assert not holds_news_week(index, dt.date(2022, 6, 9), 8)  # before it was published
    assert not holds_news_week(index, dt.date(2022, 6, 12), 0)  # the news week off


def test_vectors_alone_still_honour_dates(tmp_path, encoder):
    """Without a keyword index to filter by, the date bound goes to Chroma itself."""
    import datetime as dt

    _dated_store(tmp_path, encoder)
    vectors_only = retriever(tmp_path / "store", encoder, keyword_weight=0.0)
    found = {h.doc_id for h in vectors_only.run("Which prime minister of Ruritania resigned?", top_k=8, as_of=dt.date(2022, 2, 1))}
    assert "pm-jan" in found and not {"pm-jun", "pm-sep"} & found


def test_document_frequencies_match_a_direct_count():
    """What rag/terms.py weighs words by: the chunks that hold each stemmed content term."""
    from newsrag.index.keyword import KeywordIndex, KeywordRow, stemmer
    from newsrag.rag.terms import content_terms

    texts = ["Iran sent drones to Russia.", "Russia bought drones and shells.", "The harbour reopened after the storm."]
    rows = [KeywordRow(f"c{i}", f"d{i}", "", "") for i in range(len(texts))]
    frequencies = KeywordIndex.build(rows, texts).document_frequencies()
    for term in ("drone", "russia", "harbour", "iran"):
        stem = stemmer().stemWord(term)
        assert frequencies.get(stem, 0) == sum(stem in content_terms(t) for t in texts), term


def test_the_headline_that_names_the_story_lifts_its_article(tmp_path, encoder):
    """A report whose headline names the question's subject is lifted over a roundup that carries the
    same sentence under another headline; an untitled article scores no headline and still ranks."""
    import json

    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor

    sentence = "The harbour of Lindqvist reopened to cargo ships on Monday after the storm damaged two piers."
    stories = [
        ("report", "Lindqvist harbour reopens to cargo ships after storm", f"{sentence} Repairs cost the port authority a month."),
        ("roundup", "Five things to know for Monday: markets, football, weather", f"Markets rose. {sentence} The cup final is on Sunday."),
        ("untitled", "", f"Weather outlook for the coast. {sentence}"),
    ]
    corpus = tmp_path / "stories.jsonl"
    corpus.write_text("\n".join(json.dumps({"doc_id": d, "title": t, "text": x}) for d, t, x in stories), encoding="utf-8")
    settings = make_settings(tmp_path / "store")
    Ingestor(settings, open_store(settings), encoder, progress=False).run([corpus])
    question = "When did the Lindqvist harbour reopen to cargo ships?"
    titled = {h.doc_id: h.score for h in retriever(tmp_path / "store", encoder, headline_share=0.3).run(question, top_k=6)}
    plain = {h.doc_id: h.score for h in retriever(tmp_path / "store", encoder, headline_share=0.0).run(question, top_k=6)}
    assert max(titled, key=titled.get) == "report" and set(titled) == set(plain) == {"report", "roundup", "untitled"}
    assert titled["report"] - titled["roundup"] > plain["report"] - plain["roundup"] + 0.05
    assert titled["report"] - titled["untitled"] > plain["report"] - plain["untitled"] + 0.05
    headlines = open_store(settings).headlines([h.chunk_id for h in retriever(tmp_path / "store", encoder).run(question, top_k=6)])
    assert headlines["roundup"].startswith("Five things") and headlines["untitled"] == ""
