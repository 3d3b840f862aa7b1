"""Faults: a killed ingest, two ingests at once, a damaged or foreign store, no network at all."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REALTIMEQA, SEED_ARTICLES, needs_shared, run_cli

pytestmark = needs_shared
NEWSRAG = str(Path(sys.executable).parent / "newsrag")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    """40 real articles from the topic corpus, shortened so the test stays quick."""
    source = REALTIMEQA / "topic_ukraine_russia_iran.jsonl.gz"
    if not source.exists():
        pytest.skip("topic corpus missing")
    folder = tmp_path_factory.mktemp("corpus")
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for _, line in zip(range(40), handle)]
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as out:
        for record in records:
            record["text"] = record["text"][:1500]
            out.write(json.dumps(record) + "\n")
    return folder


def store_contents(store: Path) -> tuple[dict, set[str], int]:
    stats = json.loads(run_cli("stats", "--store", str(store), "--json").stdout)
    from conftest import make_settings

    from newsrag.components import open_store

    chroma_store = open_store(make_settings(store))
    ids = set(chroma_store.collection().get()["ids"])
    return stats, ids, len(chroma_store.keyword_index())


def test_sigkill_at_random_moments_then_resume(small_corpus, tmp_path):
    reference = tmp_path / "reference"
    assert run_cli("ingest", str(small_corpus), "--store", str(reference)).returncode == 0
    expected_stats, expected_ids, _ = store_contents(reference)

    store = tmp_path / "killed"
    rng = random.Random(20261122)
    for _ in range(3):
        process = subprocess.Popen(
            [NEWSRAG, "ingest", str(small_corpus), "--store", str(store), "--no-progress"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(2.0, 14.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = run_cli("ingest", str(small_corpus), "--store", str(store), "--json")
    assert final.returncode == 0, final.stderr
    stats, ids, keyword_rows = store_contents(store)
    assert (stats["documents"], stats["chunks"], stats["incomplete_documents"]) == (
        expected_stats["documents"],
        expected_stats["chunks"],
        0,
    )
    assert ids == expected_ids
    assert keyword_rows == stats["chunks"]


# A writer killed at a chosen point of the incremental keyword-index path (index/store.py `finish_writing`).
KILL_AT = """
import os, signal, sys
from pathlib import Path
from newsrag.components import open_encoder, open_store
from newsrag.index import keyword, store as store_module
from newsrag.index.ingest import Ingestor
from newsrag.settings import load_settings

store_path, article, point = sys.argv[1:4]
owner, name = {
    "upserted": (store_module.ChunkStore, "_supersede"),  # killed before it runs: the chunks are in, nothing cleaned up or indexed
    "segment": (keyword.Segment, "save"),  # the new segment is on disk, the manifest still names the old ones
    "manifest": (keyword, "_write_manifest"),  # the manifest is at the next generation, Chroma still at this one
    "generation": (store_module.ChunkStore, "_set_generation"),  # the generation moved, the dirty marker is still there
}[point]
original = getattr(owner, name)


def then_die(*args, **kwargs):
    if point == "upserted":
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result


setattr(owner, name, then_die)
settings = load_settings({"store": {"path": store_path}})
Ingestor(settings, open_store(settings), open_encoder(settings), progress=False).run([Path(article)])
"""


@pytest.mark.parametrize("point", ["upserted", "segment", "manifest", "generation"])
def test_writer_killed_between_saving_the_keyword_index_and_advancing_the_generation(point, tmp_path, encoder):
    """Every step of the incremental path can be the last: a reader meanwhile loads a whole index (the
    old or the new one), and the next process repairs the store with nothing lost or duplicated."""
    from conftest import make_settings

    from newsrag.components import open_store
    from newsrag.index.ingest import Ingestor
    from newsrag.index.keyword import KeywordIndex

    names = sorted(p.name for p in SEED_ARTICLES.iterdir())
    settings = make_settings(tmp_path / "store")
    Ingestor(settings, open_store(settings), encoder, progress=False).run([SEED_ARTICLES / n for n in names[:4]])
    before = open_store(settings)
    old_rows, old_generation = before.count(), before.generation()

    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(tmp_path / "store"), str(SEED_ARTICLES / names[4]), point],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = open_store(settings)
    on_disk = KeywordIndex.load(store.keyword_dir)
    assert on_disk is not None and len(on_disk) in (old_rows, store.count())  # whole: the old state or the new one
    assert store.stats()["keyword_index"] == "stale"

    index = open_store(settings).keyword_index()  # a reader finds the marker and repairs under the writer lock
    stats, ids, keyword_rows = store_contents(tmp_path / "store")
    assert stats["documents"] == 5 and stats["incomplete_documents"] == 0 and stats["keyword_index"] == "ready"
    assert keyword_rows == len(index) == stats["chunks"] == len(ids)
    assert index.generation == open_store(settings).generation() > old_generation
    assert sorted({r.doc_id for r in index.rows}) == names

    again = Ingestor(settings, open_store(settings), encoder, progress=False).run([SEED_ARTICLES / n for n in names])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)  # the killed write's article was complete
    assert store_contents(tmp_path / "store")[1] == ids


def test_two_ingests_at_once_serialise(small_corpus, tmp_path):
    store = tmp_path / "store"
    first = subprocess.Popen(
        [NEWSRAG, "ingest", str(small_corpus), "--store", str(store), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)
    second = run_cli("ingest", str(SEED_ARTICLES), "--store", str(store), "--json")
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    stats = json.loads(run_cli("stats", "--store", str(store), "--json").stdout)
    assert stats["documents"] == 45 and stats["incomplete_documents"] == 0 and stats["keyword_index"] == "ready"


def test_damaged_and_foreign_stores(seed_store_path, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(seed_store_path, store)
    shutil.rmtree(store / "keyword")
    doctor = run_cli("doctor", "--store", str(store), "--json")
    assert doctor.returncode == 1 and not json.loads(doctor.stdout)["ok"]
    assert run_cli("doctor", "--store", str(store), "--repair").returncode == 0
    assert run_cli("doctor", "--store", str(store)).returncode == 0

    foreign = run_cli("search", "drones", "--store", str(store), "--embed-backend", "onnx")
    assert foreign.returncode == 1 and "Traceback" not in foreign.stderr
    assert "embedded with all-MiniLM-L6-v2/onnx-int8" in foreign.stderr and "reindex" in foreign.stderr

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = run_cli("stats", "--store", str(not_a_folder))
    assert result.returncode == 1 and "not a folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare as root")
def test_works_with_networking_cut_off(seed_store_path, tmp_path):
    """ingest and ask with no network namespace interfaces at all: nothing tries to call out."""
    store = tmp_path / "store"
    ingest = subprocess.run(
        ["unshare", "-n", NEWSRAG, "ingest", str(SEED_ARTICLES), "--store", str(store)], capture_output=True, text=True, timeout=600
    )
    assert ingest.returncode == 0, ingest.stderr
    ask = subprocess.run(
        ["unshare", "-n", NEWSRAG, "ask", "Who is Fazlullah Nozari?", "--store", str(store), "--backend", "extractive", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ask.returncode == 0, ask.stderr
    assert "revolutionary guard" in json.loads(ask.stdout)["answer"].lower()


# Inside the namespace only loopback exists: serve the chat there and ask it through its API.
SERVE_AND_ASK = """
set -eu
ip link set lo up
"$NEWSRAG" serve --store "$STORE" --port "$PORT" --backend extractive >"$LOG" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
"$PYTHON" - <<'PY'
import json, os, time, urllib.request
url = f"http://127.0.0.1:{os.environ['PORT']}/"
deadline = time.time() + 120
while True:
    try:
        urllib.request.urlopen(url + "config", timeout=5).close()
        break
    except OSError:
        if time.time() > deadline:
            raise SystemExit("the chat did not start within 120 s")
        time.sleep(0.5)
from gradio_client import Client
print(json.dumps(Client(url, verbose=False).predict("Who is Fazlullah Nozari?", [], api_name="/chat")))
PY
"""


@pytest.mark.skipif(
    shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0, reason="needs unshare and ip as root"
)
def test_serve_works_with_networking_cut_off(seed_store_path, tmp_path):
    """The browser chat starts and answers in a namespace with no route out: no call home at start or per question."""
    from conftest import free_port

    env = {
        **os.environ,
        "NEWSRAG": NEWSRAG,
        "PYTHON": sys.executable,
        "STORE": str(seed_store_path),
        "PORT": str(free_port()),
        "LOG": str(tmp_path / "serve.log"),
    }
    result = subprocess.run(["unshare", "-n", "bash", "-c", SERVE_AND_ASK], capture_output=True, text=True, timeout=600, env=env)
    log = (tmp_path / "serve.log").read_text() if (tmp_path / "serve.log").exists() else ""
    assert result.returncode == 0, result.stderr + log
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert not answer["abstained"] and "revolutionary guard" in answer["answer"].lower()
    assert answer["citations"] and "Traceback" not in log
