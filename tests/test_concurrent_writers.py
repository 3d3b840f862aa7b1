"""Many machines on one Chroma server (issue #15 part 3): writes safe to run concurrently by design.

Separate home folders stand for separate machines: each has its own keyword index beside one real
`chroma run` server, and no lock is shared between them.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REALTIMEQA, SEED_ARTICLES, needs_shared, run_cli

pytestmark = needs_shared

NEW_ARTICLE = "004_412b77a1ff059891.txt"  # the Pantsir article, ingested by one machine, asked about on the other
QUESTION = "Which anti-aircraft system may Wagner provide to Hezbollah?"


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> list[Path]:
    """Four seed articles (not the Pantsir one) and 24 RealTime QA articles, one file each (shortened)."""
    source = REALTIMEQA / "topic_ukraine_russia_iran.jsonl.gz"
    if not source.exists():
        pytest.skip("topic corpus missing")
    folder = tmp_path_factory.mktemp("articles")
    files = [SEED_ARTICLES / name for name in sorted(p.name for p in SEED_ARTICLES.iterdir()) if name != NEW_ARTICLE]
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for number, line in zip(range(24), handle):
            record = json.loads(line)
            record["text"] = record["text"][:1500]
            path = folder / f"rtqa-{number:02d}.json"
            path.write_text(json.dumps(record), encoding="utf-8")
            files.append(path)
    return files


@pytest.fixture(scope="module")
def reference_ids(articles, tmp_path_factory) -> set[str]:
    """The chunk ids of one plain ingest of `articles` into an embedded store."""
    from conftest import make_settings

    from newsrag.components import open_store

    reference = tmp_path_factory.mktemp("reference")
    made = run_cli("ingest", *map(str, articles), "--store", str(reference), "--no-progress")
    assert made.returncode == 0, made.stderr
    return set(open_store(make_settings(reference)).collection().get(include=[])["ids"])


def machine(home: Path, url: str, collection: str):
    from conftest import make_settings

    return make_settings(home=str(home), store={"chroma_url": url, "collection": collection})


def newsrag_ingest(files, url: str, collection: str, home: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "newsrag"), "ingest", *map(str, files), "--chroma-url", url, "--collection", collection]
    env = {**os.environ, "NEWSRAG_HOME": str(home)}
    return subprocess.Popen([*command, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_machines_ingest_overlapping_files_at_once_and_answer_each_others_writes(articles, reference_ids, chroma_server, tmp_path):
    from newsrag.components import open_pipeline, open_store

    expected = reference_ids
    collection = "concurrent-writers"
    half = len(articles) // 2
    first, second = articles[: half + 4], articles[half - 4 :]  # 8 files in both halves
    runs = [newsrag_ingest(files, chroma_server, collection, tmp_path / home) for files, home in ((first, "a"), (second, "b"))]
    for process in runs:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err

    a, b = (open_store(machine(tmp_path / home, chroma_server, collection)) for home in ("a", "b"))
    assert_settled(a, b, expected, len(articles))
    stats = json.loads(
        run_cli(
            "stats", "--chroma-url", chroma_server, "--collection", collection, "--json", env={"NEWSRAG_HOME": str(tmp_path / "a")}
        ).stdout
    )
    assert stats["incomplete_documents"] == 0 and stats["chunks"] == len(expected)

    pipeline = open_pipeline(machine(tmp_path / "b", chroma_server, collection))  # machine B, running
    before = pipeline.run(QUESTION)
    assert NEW_ARTICLE not in {c.passage.doc_id for c in before.citations}
    added = run_cli(
        "ingest",
        str(SEED_ARTICLES / NEW_ARTICLE),
        "--chroma-url",
        chroma_server,
        "--collection",
        collection,
        env={"NEWSRAG_HOME": str(tmp_path / "a")},
    )
    assert added.returncode == 0, added.stderr
    began = time.perf_counter()
    after = pipeline.run(QUESTION)  # no restart
    seconds = time.perf_counter() - began
    assert NEW_ARTICLE in {c.passage.doc_id for c in after.citations} and "pantsir" in after.answer.lower(), after.answer
    assert seconds < 10, f"machine B took {seconds:.1f} s to answer from machine A's write"


def assert_settled(a, b, expected: set[str], documents: int) -> None:
    """The store holds exactly the reference chunks, one whole version of each document, and both machines'
    keyword indexes hold every chunk at the store's generation."""
    assert set(a.collection().get(include=[])["ids"]) == expected  # nothing lost, nothing twice
    found = a.scan()
    assert len(found) == documents and all(d.complete for d in found.values())  # one whole version each
    for store in (a, b):
        index = store.keyword_index()
        assert len(index) == store.count() == len(expected) and {r.chunk_id for r in index.rows} == expected
        assert index.generation == store.generation()


def test_a_machine_killed_at_random_moments_while_another_ingests_the_same_files(articles, reference_ids, chroma_server, tmp_path):
    """Machine A is SIGKILLed at a random moment of its ingest while machine B ingests an overlapping
    set; B finishes, A's next run completes its own, and nothing is lost or there twice."""
    from newsrag.components import open_store

    collection = "killed-while-another-writes"
    half = len(articles) // 2
    first, second = articles[: half + 4], articles[half - 4 :]
    rng = random.Random(20261202)
    killed = 0
    for _ in range(2):
        a = newsrag_ingest(first, chroma_server, collection, tmp_path / "a")
        b = newsrag_ingest(second, chroma_server, collection, tmp_path / "b")
        time.sleep(rng.uniform(4.0, 20.0))
        a.send_signal(signal.SIGKILL)
        a.communicate(timeout=60)
        killed += a.returncode == -signal.SIGKILL
        out, err = b.communicate(timeout=900)
        assert b.returncode == 0, err
    assert killed, "machine A finished before every kill: nothing was tested"
    again = newsrag_ingest(first, chroma_server, collection, tmp_path / "a")
    out, err = again.communicate(timeout=900)
    assert again.returncode == 0, err
    a, b = (open_store(machine(tmp_path / home, chroma_server, collection)) for home in ("a", "b"))
    assert_settled(a, b, reference_ids, len(articles))


# Machine A, killed after upserting a new version of an article and before deleting the old one.
KILL_BEFORE_CLEANUP = """
import os, signal, sys
from pathlib import Path
from newsrag.components import open_encoder, open_store
from newsrag.index import store as store_module
from newsrag.index.ingest import Ingestor
from newsrag.settings import load_settings

url, collection, article = sys.argv[1:4]


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


store_module.ChunkStore._supersede = die
settings = load_settings({"llm": {"backend": "extractive"}, "store": {"chroma_url": url, "collection": collection}})
Ingestor(settings, open_store(settings), open_encoder(settings), progress=False).run([Path(article)])
"""


@pytest.mark.parametrize("repaired_by", ["reader on the killed machine", "write on another machine"])
def test_writer_killed_between_upsert_and_cleanup_on_a_server(repaired_by, chroma_server, tmp_path, encoder):
    """Both versions of the article are in Chroma: every reader meanwhile sees exactly one (the old one,
    its keyword index and vector hits alike), and the next reader or writer removes the old one."""
    from newsrag.components import open_retriever, open_store
    from newsrag.index.ingest import Ingestor

    collection = f"killed-cleanup-{'reader' if 'reader' in repaired_by else 'writer'}"
    names = sorted(p.name for p in SEED_ARTICLES.iterdir())
    a_settings, b_settings = (machine(tmp_path / home, chroma_server, collection) for home in ("a", "b"))
    Ingestor(a_settings, open_store(a_settings), encoder, progress=False).run([SEED_ARTICLES / n for n in names[:4]])
    changed = tmp_path / "changed" / names[0]  # the same document id, new text
    changed.parent.mkdir()
    original = (SEED_ARTICLES / names[0]).read_text(encoding="utf-8")
    anchor = "\nNational Security Council spokesperson"  # a new paragraph in the body (a tail would be cleaned away as page furniture)
    assert anchor in original
    changed.write_text(original.replace(anchor, "\nThe harbour of Vessa reopened after the storm, officials said." + anchor, 1))
    b = open_store(b_settings)
    old_index = b.keyword_index()
    old_ids = {r.chunk_id for r in old_index.rows}

    killed = subprocess.run(
        [sys.executable, "-c", KILL_BEFORE_CLEANUP, chroma_server, collection, str(changed)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NEWSRAG_HOME": str(tmp_path / "a")},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    versions = b.existing([names[0]])[names[0]].versions
    assert len(versions) == 2 and all(v.complete for v in versions.values())  # upserted, not cleaned up
    assert b.count() > len(old_index)

    index = b.keyword_index()  # machine B meanwhile: the old version only, nothing twice
    assert index.generation == old_index.generation and {r.chunk_id for r in index.rows} == old_ids
    nearest = b.vector_search(encoder.encode(["Vessa harbour reopened after the storm"])[0], 12)
    assert len(nearest) == 12 and all(h.chunk_id in old_ids for h in nearest)  # the new version's chunks are no rows yet
    hits = open_retriever(b_settings, b).run("Vessa harbour reopened after the storm", top_k=8)
    assert hits and all(h.chunk_id in old_ids for h in hits)

    if repaired_by == "reader on the killed machine":
        a = open_store(a_settings)
        assert a.stats()["keyword_index"] == "stale"
        a.keyword_index()  # finds its dirty marker: repairs
    else:
        made = Ingestor(b_settings, open_store(b_settings), encoder, progress=False).run([SEED_ARTICLES / names[4]])
        assert made.added == 1

    final = open_store(b_settings)
    documents = final.scan()
    assert all(d.complete for d in documents.values()) and len(versions_of(final, names[0])) == 1
    new_hash = next(iter(versions_of(final, names[0])))
    index = b.keyword_index()  # machine B follows
    assert len(index) == final.count() and {r.chunk_id for r in index.rows} == set(final.collection().get(include=[])["ids"])
    assert {r.chunk_id.split("::")[1] for r in index.rows if r.doc_id == names[0]} == {new_hash}
    assert new_hash in versions and new_hash not in {cid.split("::")[1] for cid in old_ids if cid.startswith(names[0])}
    hits = open_retriever(b_settings, b).run("Vessa harbour reopened after the storm", top_k=3)
    assert hits[0].doc_id == names[0] and hits[0].chunk_id.split("::")[1] == new_hash
    a_index = open_store(a_settings).keyword_index()
    assert len(a_index) == final.count() and a_index.generation == final.generation()


def versions_of(store, doc_id: str) -> dict:
    return store.existing([doc_id])[doc_id].versions


def test_versions_resolve_to_the_later_write_and_an_unfinished_one_waits_for_the_grace_period(chroma_server, tmp_path, encoder):
    """Two machines write different versions of one document, the earlier-stamped one last (clock skew, or
    a slow writer): nobody deletes the newer version, and both settle on it. A version half-written by a
    third machine is left alone while it may still be in flight, and removed once older than the grace."""
    from newsrag.components import open_store
    from newsrag.index import store as store_module
    from newsrag.index.documents import Chunk

    collection = "versions-resolve"

    def open_machine(home: str, grace: float = 600.0):
        store = open_store(machine(tmp_path / home, chroma_server, collection).model_copy(deep=True))
        store.settings.store.write_grace_s = grace
        store.bind_encoder(encoder.identity, encoder.dimension)
        return store

    def version(text: str) -> list[Chunk]:
        parts = [f"{text} part {n} about the harbour of Vessa." for n in range(3)]
        return [
            Chunk("harbour.txt", n, part, 0, len(part), title="Harbour", doc_hash=text[:8].ljust(8, "x"), doc_chunks=3)
            for n, part in enumerate(parts)
        ]

    def write(store, chunks, stamp_shift_ns: int = 0, finish: bool = True):
        real = store_module.time.time_ns
        store_module.time.time_ns = lambda: real() + stamp_shift_ns
        try:
            with store.writing():
                store.replace(chunks, encoder.encode([c.text for c in chunks]))
                if finish:
                    store.finish_writing()
        finally:
            store_module.time.time_ns = real

    a, b, c = open_machine("a"), open_machine("b"), open_machine("c")
    write(a, version("first"))
    write(b, version("second"))
    write(a, version("skewed"), stamp_shift_ns=-60 * 10**9)  # stamped a minute before "second", written after it
    for store in (a, b):
        document = store.existing(["harbour.txt"])["harbour.txt"]
        assert set(document.versions) == {"secondxx"} and document.complete
        assert {r.chunk_id for r in store.keyword_index().rows} == {f"harbour.txt::secondxx::{n}" for n in range(3)}

    in_flight = version("unfinished")[:2]  # two of three chunks: machine C is still writing (or was killed)
    with c.writing():
        c.collection().upsert(
            ids=[x.chunk_id for x in in_flight],
            embeddings=encoder.encode([x.text for x in in_flight]),
            documents=[x.text for x in in_flight],
            metadatas=[{**x.metadata(), "written_ns": store_module.time.time_ns()} for x in in_flight],
        )
    with a.writing():
        a.finish_writing(rebuild=True)  # a full scan sees it: too young to be taken for abandoned
    assert set(a.existing(["harbour.txt"])["harbour.txt"].versions) == {"secondxx", "unfinish"}
    index = b.keyword_index()
    assert {r.chunk_id.split("::")[1] for r in index.rows} == {"secondxx"} and index.generation == b.generation()
    assert all(h.chunk_id.split("::")[1] == "secondxx" for h in b.vector_search(encoder.encode(["unfinished harbour"])[0], 5))

    impatient = open_machine("a", grace=0.0)  # the same machine, once the grace period has passed
    with impatient.writing():
        impatient.finish_writing(rebuild=True)
    assert set(impatient.existing(["harbour.txt"])["harbour.txt"].versions) == {"secondxx"}
    assert len(b.keyword_index()) == b.count() == 3


def test_a_collection_another_machine_creates_at_the_same_moment_is_opened(chroma_server, tmp_path):
    """Two machines' first ingests into a new collection: the one whose create loses the race opens the other's."""
    from newsrag.components import open_store

    a, b = (open_store(machine(tmp_path / home, chroma_server, "created-meanwhile")) for home in ("a", "b"))
    looked = a.client.get_collection

    def not_yet(name, *args, **kwargs):  # machine A looks before B creates it, and creates after
        a.client.get_collection = looked
        b.collection(create=True)
        raise ValueError(f"Collection [{name}] does not exist")

    a.client.get_collection = not_yet
    assert a.collection(create=True).id == b.collection().id
