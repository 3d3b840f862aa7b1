"""Load-test the browser chat: many concurrent chat sessions against a real `newsrag serve`.

Run: `.venv/bin/python bench/load.py [--sessions 20] [--duration 120] [--backend extractive] [--json]`
     `.venv/bin/python bench/load.py --backend local --sessions 4 --duration 90`

What it measures, and why: the chat page is one server process shared by every browser tab;
each tab keeps its own conversation and sends it with each question (`ui/app.py`: `gr.State`
for the page, the `history` argument for the `chat` API endpoint). Under concurrent use the
server must (1) answer every request, (2) in reasonable time, (3) without mixing one
session's conversation into another's answer, and (4) with the slow local model, queue
requests fairly so that every session gets its turn. This script starts a real server
(ingesting the seed articles into a temporary store first, unless `--store` names one),
waits until it answers, then drives it for `--duration` seconds with `--sessions` threads,
each its own `gradio_client.Client` (its own browser session), and prints: requests
completed and failed, throughput, latency p50/p95/max, cross-talk violations, requests per
session, the longest wait and the server's peak memory (VmHWM). Exit status 0 only when no
request failed and no cross-talk was seen.

Each session holds conversations of one opening question (from the seed eval questions,
used here only as load) and `--follow-ups` pronoun follow-ups ("Which one is it?") that mean
nothing without that session's history. Every question ends with a tag unique to its session
and conversation, written in single characters ("#k.7.q.2.x") that the product's tokenizers
ignore, so the question means the same to retrieval and evidence selection (checked at
start). After each reply the script checks:

- the reply is well-formed answer JSON (the fields of `newsrag ask --json`, markers that
  name listed citations, the backend asked for);
- it is this session's reply: the returned `question` is the one sent, and every tag in the
  reply belongs to this conversation (a tag of another session, or of this session's earlier
  conversation, is cross-talk);
- the follow-up was condensed from this session's own history: an opening question comes
  back unchanged, and on the extractive backend a follow-up's `standalone_question` equals
  `rag.condense.condense_by_rule(question, own history)` exactly. The local backend rewrites
  follow-ups with the model; those rewrites are checked for foreign tags only and counted.

Request loops stop by themselves: no request starts after the deadline, none waits longer than
`--request-timeout`, and a session sends at most `--max-requests`. The server is stopped at
the end, on errors and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

REPO = Path(__file__).resolve().parents[1]
import newsrag.offline  # noqa: E402,F401  (before any Hugging Face or Gradio import)
from newsrag.eval.metrics import MARKER, percentile  # noqa: E402

SEED_ARTICLES = REPO.parent / "shared" / "corpus" / "seed-articles"
SEED_QUESTIONS = REPO.parent / "shared" / "eval" / "seed_dev.jsonl"
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "NO_PROXY": "127.0.0.1,localhost",
}
# Follow-ups that lean on the conversation (a pronoun, few words of their own).
FOLLOW_UPS = ("Which one is it?", "Who said that?", "Which system might it be?", "When did that happen?", "What else is known about it?")
ANSWER_FIELDS = ("id", "question", "answer", "abstained", "citations", "timings", "standalone_question", "backend", "notes")
TAG_ALPHABET = string.ascii_lowercase + string.digits
TAG = re.compile(r"#(?:[a-z0-9]\.){4}[a-z0-9]\b")
DEFAULT_TIMEOUTS = {"extractive": 60.0, "local": 300.0}  # seconds one request may take
WARM_UP_TIMEOUT_S = 900.0  # the first local answer may assemble (1.1 GB) and load the model
STOP_GRACE_S = 20.0


# ----- questions and tags -------------------------------------------------------------------------
def opening_questions(path: Path = SEED_QUESTIONS) -> list[str]:
    """The seed eval questions that stand alone (no history of their own), in file order."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in records if not r.get("history")]


class TagRegistry:
    """Tags unique to one (session, conversation); tells whose a tag is. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._owners: dict[str, tuple[int, int]] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def issue(self, session: int, conversation: int) -> str:
        """A new tag for this session's conversation: "#" and 5 dotted characters."""
        with self._lock:
            while True:
                tag = "#" + ".".join(self._random.choice(TAG_ALPHABET) for _ in range(5))
                if tag not in self._owners:
                    self._owners[tag] = (session, conversation)
                    return tag

    def owner(self, tag: str) -> tuple[int, int] | None:
        """(session, conversation) that the tag was issued to; None for a tag never issued."""
        with self._lock:
            return self._owners.get(tag)


def tagged(question: str, tag: str) -> str:
    """The question with its conversation tag appended."""
    return f"{question} {tag}"


def check_tags_are_invisible(questions: Sequence[str]) -> None:
    """Fail early if a tag would change what the product reads in a question (its content terms)."""
    from newsrag.rag.terms import content_terms

    tag = TagRegistry(seed=-1).issue(-1, 0)
    for question in questions:
        if content_terms(tagged(question, tag)) != content_terms(question):
            raise SystemExit(f"bench/load.py: the tag {tag!r} changes the content terms of {question!r}")


# ----- checks on one reply -----------------------------------------------------------------------
def answer_problems(data: Any, backend: str) -> list[str]:
    """Why a reply is not well-formed answer JSON (empty list: it is)."""
    if not isinstance(data, dict):
        return [f"reply is {type(data).__name__}, not a JSON object"]
    missing = [name for name in ANSWER_FIELDS if name not in data]
    if missing:
        return [f"reply lacks {', '.join(missing)}"]
    problems = [
        *_type_problems(data),
        *_citation_problems(data),
    ]
    if data["backend"] != backend:
        problems.append(f"answered by backend {data['backend']!r}, not {backend!r}")
    return problems


def _type_problems(data: dict) -> list[str]:
    expected = {
        "question": str,
        "answer": str,
        "abstained": bool,
        "citations": list,
        "timings": dict,
        "standalone_question": str,
        "notes": list,
    }
    problems = [f"{name} is {type(data[name]).__name__}" for name, kind in expected.items() if not isinstance(data[name], kind)]
    if not problems and not data["answer"].strip():
        problems.append("empty answer")
    if not problems and not isinstance(data["timings"].get("total_s"), (int, float)):
        problems.append("timings lack total_s")
    return problems


def _citation_problems(data: dict) -> list[str]:
    citations = data["citations"] if isinstance(data["citations"], list) else []
    numbers = [c.get("n") if isinstance(c, dict) else None for c in citations]
    if numbers != list(range(1, len(citations) + 1)):
        return [f"citations are numbered {numbers}"]
    if any(not c.get("doc_id") or not isinstance(c.get("text"), str) for c in citations):
        return ["a citation lacks its doc_id or text"]
    markers = {int(n) for group in MARKER.findall(str(data["answer"])) for n in group.split(",")}
    if markers - set(numbers):
        return [f"answer cites {sorted(markers - set(numbers))} but lists {len(citations)} citations"]
    if data["abstained"] is True and citations:
        return ["abstained with citations"]
    if data["abstained"] is False and not markers:
        return ["answered without a citation marker"]
    return []


@dataclass
class Conversation:
    """One conversation of one session: its tag and the [question, answer] turns so far."""

    session: int
    number: int
    tag: str
    history: list[list[str]] = field(default_factory=list)


def crosstalk_problems(
    data: dict, question: str, conversation: Conversation, registry: TagRegistry, backend: str
) -> tuple[list[str], bool]:
    """Signs that a reply is not this conversation's own, and whether condensing was verified."""
    problems = []
    if data.get("question") != question:
        problems.append(f"returned question {str(data.get('question'))[:80]!r} is not the one sent")
    for tag in sorted(set(TAG.findall(json.dumps(data, ensure_ascii=False)))):
        if tag != conversation.tag:
            problems.append(f"reply holds tag {tag} of {_describe_owner(registry.owner(tag), conversation)}")
    condensing, verified = _condensing_problems(data, question, conversation.history, backend)
    return problems + condensing, verified


def _describe_owner(owner: tuple[int, int] | None, conversation: Conversation) -> str:
    if owner is None:
        return "no conversation (never issued)"
    session, number = owner
    if session == conversation.session:
        return f"this session's other conversation {number}"
    return f"session {session} (conversation {number})"


def _condensing_problems(data: dict, question: str, history: list[list[str]], backend: str) -> tuple[list[str], bool]:
    """The standalone question must come from this conversation's history alone."""
    from newsrag.rag.condense import condense_by_rule

    standalone = data.get("standalone_question")
    if not history:
        ok = standalone == question
        return ([] if ok else [f"opening question was condensed into {str(standalone)[:120]!r}"]), True
    expected = condense_by_rule(question, history)
    if standalone == expected:
        return [], True
    if backend == "extractive":
        return [f"standalone question {str(standalone)[:120]!r} is not this session's follow-up {expected[:120]!r}"], True
    return [], False  # a model's rewrite: foreign tags were checked, the wording cannot be


# ----- one session -------------------------------------------------------------------------------
@dataclass
class Record:
    """One request: when it started (s after the load began), how it went."""

    session: int
    started_s: float
    latency_s: float
    follow_up: bool
    error: str = ""  # the request raised or timed out
    problems: list[str] = field(default_factory=list)  # malformed reply
    crosstalk: list[str] = field(default_factory=list)
    server_s: float | None = None  # the pipeline's own total_s
    verified: bool = True  # the condensing could be checked exactly

    @property
    def completed(self) -> bool:
        """A well-formed reply came back (cross-talk is counted apart)."""
        return not self.error and not self.problems


@dataclass
class LoadPlan:
    """What every session does: the questions, how long, how many, which backend."""

    url: str
    backend: str
    openers: list[str]
    follow_ups: int
    began: float
    deadline: float
    max_requests: int
    request_timeout: float
    registry: TagRegistry
    stop: threading.Event


class Session:
    """One browser session: its own `gradio_client.Client`, asking conversation after conversation."""

    def __init__(self, number: int, plan: LoadPlan) -> None:
        self.number = number
        self.plan = plan
        self.records: list[Record] = []
        openers = plan.openers
        self._openers = itertools.cycle(openers[number % len(openers) :] + openers[: number % len(openers)])
        self._follow_ups = itertools.cycle(FOLLOW_UPS[number % len(FOLLOW_UPS) :] + FOLLOW_UPS[: number % len(FOLLOW_UPS)])
        self._conversations = itertools.count()

    def run(self) -> None:
        """Ask until the deadline, the request budget or a stop; every failure is recorded, never raised."""
        try:
            client = _client(self.plan.url)
        except Exception as exc:  # noqa: BLE001  (a session that cannot connect is a failure to report)
            self.records.append(Record(self.number, self._now(), 0.0, False, error=f"connect: {type(exc).__name__}: {exc}"))
            return
        try:
            for question, conversation in self._questions():
                self.records.append(self._ask(client, question, conversation))
        finally:
            client.close()

    def _questions(self) -> Iterator[tuple[str, Conversation]]:
        """(question, its conversation) pairs while time and budget last."""
        plan = self.plan
        while len(self.records) < plan.max_requests:
            conversation = self._new_conversation()
            for turn in range(1 + plan.follow_ups):
                if plan.stop.is_set() or time.perf_counter() >= plan.deadline or len(self.records) >= plan.max_requests:
                    return
                text = next(self._openers) if turn == 0 else next(self._follow_ups)
                yield tagged(text, conversation.tag), conversation

    def _new_conversation(self) -> Conversation:
        number = next(self._conversations)
        return Conversation(self.number, number, self.plan.registry.issue(self.number, number))

    def _ask(self, client: Any, question: str, conversation: Conversation) -> Record:
        """Send one question with this conversation's history; check the reply; keep the turn."""
        plan = self.plan
        record = Record(self.number, self._now(), 0.0, bool(conversation.history))
        start = time.perf_counter()
        job = client.submit(question, [list(turn) for turn in conversation.history], api_name="/chat")
        try:
            data = job.result(timeout=plan.request_timeout)
        except Exception as exc:  # noqa: BLE001  (timeouts and server errors are what we count)
            job.cancel()
            record.latency_s = time.perf_counter() - start
            record.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return record
        record.latency_s = time.perf_counter() - start
        record.problems = answer_problems(data, plan.backend)
        if record.problems:
            return record
        record.server_s = float(data["timings"]["total_s"])
        record.crosstalk, record.verified = crosstalk_problems(data, question, conversation, plan.registry, plan.backend)
        conversation.history.append([question, data["answer"]])  # as the page keeps a turn
        return record

    def _now(self) -> float:
        return time.perf_counter() - self.plan.began


def _client(url: str) -> Any:
    """A fresh gradio client: its own session hash, no analytics, no downloads."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False)


# ----- the server --------------------------------------------------------------------------------
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def newsrag_command() -> str:
    """The `newsrag` console script beside this Python (the project's virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / "newsrag"
    found = str(beside) if beside.exists() else shutil.which("newsrag")
    if not found:
        raise SystemExit("bench/load.py: no `newsrag` command; install the project (pip install -e '.[ui]')")
    return found


def server_env(backend: str) -> dict[str, str]:
    """The environment of the `newsrag` processes: offline, the chosen backend, no proxy."""
    return {**os.environ, **OFFLINE_ENV, "NEWSRAG_LLM__BACKEND": backend}


def ingest_seed_articles(store: Path, backend: str, log: Path) -> float:
    """`newsrag ingest` the seed articles into `store`; returns the seconds it took."""
    start = time.perf_counter()
    command = [newsrag_command(), "ingest", str(SEED_ARTICLES), "--store", str(store), "--no-progress"]
    with log.open("ab") as out:
        done = subprocess.run(command, env=server_env(backend), stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"newsrag ingest failed (exit {done.returncode}):\n{log_tail(log)}")
    return time.perf_counter() - start


class Server:
    """A `newsrag serve` process on 127.0.0.1, in its own process group (Ctrl-C is ours to pass on)."""

    def __init__(self, store: Path, backend: str, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.log = log
        command = [newsrag_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(store), "--backend", backend]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=server_env(backend), stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_default_sigint
            )

    def wait_until_up(self, timeout: float) -> float:
        """Poll the page's config until it answers; returns the seconds it took."""
        start = time.perf_counter()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"newsrag serve exited with {self.process.returncode}:\n{log_tail(self.log)}")
            try:
                with opener.open(self.url + "config", timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                pass
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"newsrag serve did not answer within {timeout:.0f} s:\n{log_tail(self.log)}")
            time.sleep(0.5)

    def memory_mb(self, field_name: str) -> float | None:
        """A memory figure of the server from /proc (VmHWM: peak resident, VmRSS: now), in MB."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    def stop(self) -> int | None:
        """Interrupt the server (as Ctrl-C would), then terminate, then kill; returns its exit status."""
        for sig, wait in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            if self.process.poll() is not None:
                break
            self.process.send_signal(sig)
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        return self.process.poll()


def _default_sigint() -> None:
    """In the server process: SIGINT stops it, even when this script was started with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def log_tail(log: Path, lines: int = 25) -> str:
    """The last lines of a server or ingest log."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def warm_up(url: str, backend: str, registry: TagRegistry, timeout: float) -> float:
    """One answer before the clock starts (loads the encoder, the index and the model); its seconds."""
    question = tagged(opening_questions()[0], registry.issue(-1, 0))
    client = _client(url)
    start = time.perf_counter()
    try:
        data = client.submit(question, [], api_name="/chat").result(timeout=timeout)
    finally:
        client.close()
    problems = answer_problems(data, backend)
    if problems:
        raise RuntimeError(f"the warm-up answer is malformed: {problems}")
    return time.perf_counter() - start


# ----- the load ----------------------------------------------------------------------------------
def run_sessions(plan: LoadPlan, sessions: int) -> list[Session]:
    """Start every session at once, wait for all of them (Ctrl-C stops them at their next question)."""
    runners = [Session(number, plan) for number in range(sessions)]
    threads = [threading.Thread(target=r.run, name=f"session-{r.number}", daemon=True) for r in runners]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except KeyboardInterrupt:
        plan.stop.set()
        raise
    return runners


def summarise(runners: list[Session], plan: LoadPlan, duration: float) -> dict[str, Any]:
    """The figures of a run, as one JSON-ready dict."""
    records = [r for runner in runners for r in runner.records]
    done = [r for r in records if r.completed]
    latencies = [r.latency_s for r in done]
    waits = [r.latency_s - r.server_s for r in done if r.server_s is not None]
    elapsed = max((r.started_s + r.latency_s for r in records), default=0.0)
    per_session = [sum(r.completed for r in runner.records) for runner in runners]
    return {
        "backend": plan.backend,
        "sessions": len(runners),
        "duration_s": duration,
        "elapsed_s": round(elapsed, 2),
        "requests": len(records),
        "completed": len(done),
        "follow_ups": sum(r.follow_up for r in done),
        "failed": len(records) - len(done),
        "throughput_rps": round(len(done) / elapsed, 3) if elapsed else 0.0,
        "latency_s": _latency_figures(latencies),
        "server_time_s": _latency_figures([r.server_s for r in done if r.server_s is not None]),
        "max_queue_wait_s": round(max(waits), 3) if waits else None,
        "crosstalk_violations": sum(1 for r in records if r.crosstalk),
        "unverified_rewrites": sum(1 for r in done if not r.verified),
        "per_session_completed": per_session,
        "per_session_max_latency_s": [
            round(max((r.latency_s for r in runner.records if r.completed), default=0.0), 2) for runner in runners
        ],
        "failures": _examples(records, "error", "problems"),
        "crosstalk": _examples(records, "crosstalk"),
    }


def _latency_figures(values: list[float]) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    return {"p50": rounded(percentile(values, 50)), "p95": rounded(percentile(values, 95)), "max": rounded(max(values, default=None))}


def _examples(records: list[Record], *fields: str, limit: int = 10) -> list[str]:
    """The first few failures (or violations), with their session and time."""
    lines = []
    for record in records:
        for name in fields:
            value = getattr(record, name)
            for item in [value] if isinstance(value, str) else value:
                if item:
                    lines.append(f"session {record.session} at {record.started_s:.1f} s: {item}")
    return lines[:limit]


def print_report(figures: dict[str, Any]) -> None:
    """The figures as a short table."""
    lat, server = figures["latency_s"], figures["server_time_s"]
    counts = figures["per_session_completed"]
    rows = [
        ("backend", figures["backend"]),
        ("sessions", figures["sessions"]),
        ("duration", f"{figures['duration_s']:.0f} s (last reply at {figures['elapsed_s']:.1f} s)"),
        ("requests completed", f"{figures['completed']} ({figures['follow_ups']} follow-ups)"),
        ("failed requests", figures["failed"]),
        ("throughput", f"{figures['throughput_rps']:.2f} requests/s"),
        ("latency p50/p95/max", f"{_s(lat['p50'])} / {_s(lat['p95'])} / {_s(lat['max'])}"),
        ("server time p50/p95/max", f"{_s(server['p50'])} / {_s(server['p95'])} / {_s(server['max'])}"),
        ("max wait", f"{_s(lat['max'])} (longest reply); {_s(figures['max_queue_wait_s'])} outside the pipeline (Gradio queue)"),
        ("cross-talk violations", figures["crosstalk_violations"]),
        ("per session completed", f"min {min(counts, default=0)}, max {max(counts, default=0)}: {counts}"),
        ("server memory", _memory(figures)),
    ]
    if figures["unverified_rewrites"]:
        rows.insert(10, ("model-rewritten follow-ups", f"{figures['unverified_rewrites']} (checked for foreign tags only)"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for title, key in (("failures", "failures"), ("cross-talk", "crosstalk")):
        if figures[key]:
            print(f"\n{title} (first {len(figures[key])}):")
            print("\n".join(f"  {line}" for line in figures[key]))


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _memory(figures: dict[str, Any]) -> str:
    peak, before = figures.get("server_peak_mb"), figures.get("server_rss_before_mb")
    if peak is None:
        return "n/a"
    return f"peak {peak:.0f} MB (VmHWM), {before:.0f} MB resident before the load" if before else f"peak {peak:.0f} MB (VmHWM)"


def passed(figures: dict[str, Any]) -> bool:
    """Whether the run is a pass: something completed, nothing failed, no cross-talk."""
    return figures["completed"] > 0 and figures["failed"] == 0 and figures["crosstalk_violations"] == 0


def note(message: str) -> None:
    """Progress on stderr (stdout is for the figures)."""
    print(f"[load] {message}", file=sys.stderr, flush=True)


# ----- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent chat sessions (default 20)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds during which new questions are sent (default 120)")
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive", help="answer backend of the server")
    parser.add_argument(
        "--store", type=Path, metavar="DIR", help="existing store to serve (default: ingest the seed articles into a temporary one)"
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--follow-ups", type=int, default=2, help="follow-up questions per conversation (default 2)")
    parser.add_argument("--max-requests", type=int, default=1000, help="most requests one session sends (default 1000)")
    parser.add_argument("--request-timeout", type=float, help="most seconds one request may take (default 60; 300 for local)")
    parser.add_argument("--startup-timeout", type=float, default=180.0, help="most seconds to wait for the server to answer")
    parser.add_argument("--seed", type=int, default=0, help="seed of the conversation tags")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.duration <= 0 or args.max_requests < 1 or args.follow_ups < 0:
        parser.error("--sessions, --duration and --max-requests must be positive, --follow-ups not negative")
    if args.store is not None and not args.store.is_dir():
        parser.error(f"--store {args.store}: no such folder")
    return args


def start_server(args: argparse.Namespace, work: Path) -> Server:
    """Ingest (unless --store), start `newsrag serve` and wait until its page answers."""
    log = work / "server.log"
    store = args.store
    if store is None:
        store = work / "store"
        note(f"ingesting {SEED_ARTICLES} into {store}")
        note(f"ingested in {ingest_seed_articles(store, args.backend, log):.1f} s")
    server = Server(store, args.backend, args.port or free_port(), log)
    try:
        note(f"newsrag serve ({args.backend}) answering at {server.url} after {server.wait_until_up(args.startup_timeout):.1f} s")
    except BaseException:
        server.stop()
        raise
    return server


def load(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    """Warm the server up, run the sessions, and return the figures."""
    openers = opening_questions()
    check_tags_are_invisible([*openers, *FOLLOW_UPS])
    registry = TagRegistry(args.seed)
    note(f"warm-up answer in {warm_up(server.url, args.backend, registry, WARM_UP_TIMEOUT_S):.1f} s")
    rss_before = server.memory_mb("VmRSS")
    timeout = args.request_timeout or DEFAULT_TIMEOUTS[args.backend]
    began = time.perf_counter()
    plan = LoadPlan(
        server.url,
        args.backend,
        openers,
        args.follow_ups,
        began,
        began + args.duration,
        args.max_requests,
        timeout,
        registry,
        threading.Event(),
    )
    note(f"{args.sessions} sessions for {args.duration:.0f} s")
    runners = run_sessions(plan, args.sessions)
    figures = summarise(runners, plan, args.duration)
    figures.update(server_peak_mb=server.memory_mb("VmHWM"), server_rss_before_mb=rss_before, url=server.url, request_timeout_s=timeout)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Start the server, drive it, print the figures; 0 only without failures and cross-talk."""
    args = parse_args(argv)
    os.environ.update(OFFLINE_ENV)
    with tempfile.TemporaryDirectory(prefix="newsrag-load-") as folder:
        server = None
        try:
            server = start_server(args, Path(folder))
            figures = load(args, server)
        except KeyboardInterrupt:
            note("interrupted")
            return 130
        except RuntimeError as exc:
            note(f"error: {exc}")
            return 1
        finally:
            if server is not None:
                note(f"server stopped (exit status {server.stop()})")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print_report(figures)
    return 0 if passed(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
