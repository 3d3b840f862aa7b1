"""The `newsrag` command as a user runs it: exit codes, one-line errors, the --json contracts."""

from __future__ import annotations

import gzip
import json

from conftest import SEED_ARTICLES, SEED_QUESTIONS, needs_shared, run_cli

pytestmark = needs_shared


def test_help_is_instant_and_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("ingest", "ask", "search", "timeline", "chat", "serve", "eval", "stats", "delete", "doctor"):
        assert command in result.stdout


def test_bad_input_is_reported_and_the_rest_ingested(tmp_path):
    articles = tmp_path / "in"
    articles.mkdir()
    (articles / "good.txt").write_text("Good news\n\nThe city council approved a new bridge over the river on Monday.\n")
    (articles / "empty.txt").write_text("")
    (articles / "two\nlines.txt").write_text("")  # a name that must not split its error message
    (articles / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (articles / "latin1.txt").write_bytes("Caf\xe9 au lait est tr\xe8s bon, dit le ma\xeetre.".encode("latin-1"))
    (articles / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog")
    (articles / "records.jsonl").write_text(
        json.dumps({"id": "r1", "title": "Record one", "text": "The harbour reopened after the storm, officials said."}) + "\n{not json\n"
    )
    with gzip.open(articles / "cut.txt.gz", "wb") as handle:
        handle.write(b"A story " * 1000)
    (articles / "cut.txt.gz").write_bytes((articles / "cut.txt.gz").read_bytes()[:40])
    store = tmp_path / "store"
    result = run_cli("ingest", str(articles), "--store", str(store), "--json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("newsrag: skipped")]
    for name in ("empty.txt", "binary.txt", "latin1.txt", "broken.pdf", "records.jsonl", "cut.txt.gz", "two\\nlines.txt"):
        assert sum(name in line for line in problems) == 1, (name, result.stderr)
    assert not any(line.startswith("lines.txt") for line in result.stderr.splitlines())
    summary = json.loads(result.stdout)
    assert summary["added"] == 2 and summary["skipped"] == 7
    stats = json.loads(run_cli("stats", "--store", str(store), "--json").stdout)
    assert stats["documents"] == 2
    again = run_cli("ingest", str(articles / "good.txt"), "--store", str(store), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["unchanged"] == 1


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("ingest").returncode == 2
    result = run_cli("search", "", "--store", str(tmp_path / "s"))
    assert result.returncode == 2 and "empty" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("search", "x", "--from", "yesterday", "--store", str(tmp_path / "s"))
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
    asked = ("eval", "answers", "--questions", str(SEED_QUESTIONS), "--hard-negatives", "--out", str(tmp_path / "r"))
    result = run_cli(*asked, "--compare", "baseline")
    assert result.returncode == 2 and "baseline" in result.stderr and "Traceback" not in result.stderr
    result = run_cli(*asked)
    assert result.returncode == 2 and "no RealTime QA questions" in result.stderr


def test_search_and_ask_json(seed_store_path, tmp_path):
    store = str(seed_store_path)
    result = run_cli("search", "Pantsir anti-aircraft systems", "--store", store, "--json", "--top-k", "3")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hits"][0]["doc_id"] == "004_412b77a1ff059891.txt" and len(data["hits"]) == 3
    assert {"doc_id", "title", "source", "published", "score", "text"} <= set(data["hits"][0])

    batch = tmp_path / "queries.jsonl"
    batch.write_text('{"id": "a", "query": "Shahed drones"}\n{"id": "b", "query": "no limits partnership"}\n')
    lines = run_cli("search", "--batch", str(batch), "--store", store, "--json").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]

    result = run_cli("ask", "--batch", str(SEED_QUESTIONS), "--json", "--store", store, "--backend", "extractive")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(SEED_QUESTIONS.read_text().splitlines())
    for answer in answers:
        assert {"id", "question", "answer", "abstained", "citations", "timings"} <= set(answer)
        assert {"retrieve_s", "generate_s"} <= set(answer["timings"])

    history = tmp_path / "history.json"
    history.write_text(json.dumps([["What was Wagner preparing to provide to Hezbollah?", "An air-defense capability [1]."]]))
    result = run_cli("ask", "Which system might it be?", "--history", str(history), "--json", "--store", store, "--backend", "extractive")
    assert "pantsir" in json.loads(result.stdout)["answer"].lower()


def test_timeline_lists_matching_articles_in_date_order_as_of_a_date(seed_store_path):
    store = str(seed_store_path)
    result = run_cli("timeline", "Iran drones Russia", "--store", store, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"query", "as_of", "grouping", "entries"} <= set(data)
    dated = [e["date"] for e in data["entries"] if e["date"]]
    assert len(dated) >= 2 and dated == sorted(dated)
    assert [e["group"] for e in data["entries"] if not e["date"]] == ["Undated"] * (len(data["entries"]) - len(dated))  # undated last
    for entry in data["entries"]:
        assert entry["sentence"] and entry["sentence"] in entry["passage"]  # the sentence is shown in its passage
    earlier = json.loads(run_cli("timeline", "Iran drones Russia", "--store", store, "--json", "--as-of", "2024-01-01").stdout)
    assert earlier["as_of"] == "2024-01-01"
    assert all(e["date"] <= "2024-01-01" for e in earlier["entries"]) and len(earlier["entries"]) < len(data["entries"])
    text = run_cli("timeline", "Iran drones Russia", "--store", store)
    assert text.returncode == 0 and "Timeline of “Iran drones Russia”" in text.stdout and "Undated" in text.stdout


def test_stats_and_doctor_on_seed_store(seed_store_path):
    stats = json.loads(run_cli("stats", "--store", str(seed_store_path), "--json").stdout)
    assert stats["documents"] == 5 and stats["chunks"] > 5 and stats["store"] == str(seed_store_path)
    doctor = run_cli("doctor", "--store", str(seed_store_path), "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["ok"] is True


def test_auto_runtime_keeps_a_stores_encoder_and_reindex_moves_it(tmp_path):
    """`embed.backend = auto`: a store embedded with torch is queried with torch (no mismatch
    after the default changed); `reindex` moves it to the default runtime of new stores."""
    store = str(tmp_path / "store")
    assert run_cli("ingest", str(SEED_ARTICLES), "--store", store, "--embed-backend", "torch").returncode == 0

    def runtime() -> str:
        return json.loads(run_cli("stats", "--store", store, "--json").stdout)["embed_model"]

    def top_doc() -> str:
        result = run_cli("search", "Pantsir anti-aircraft systems", "--store", store, "--json", "--top-k", "1")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["hits"][0]["doc_id"]

    assert runtime() == "all-MiniLM-L6-v2/torch"
    before = top_doc()
    moved = run_cli("reindex", "--store", store)
    assert moved.returncode == 0 and "re-embedded" in moved.stderr, moved.stderr
    assert runtime() == "all-MiniLM-L6-v2/onnx-int8"
    assert top_doc() == before
    fresh = str(tmp_path / "fresh")
    assert run_cli("ingest", str(SEED_ARTICLES / "000_efc5912cef78bf52.txt"), "--store", fresh).returncode == 0
    assert json.loads(run_cli("stats", "--store", fresh, "--json").stdout)["embed_model"] == "all-MiniLM-L6-v2/onnx-int8"
