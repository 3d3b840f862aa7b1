"""Evaluation data: question sets and the corpora they are asked over.

Two question shapes exist and both become one `Question`:
- the seed set (`id`, `question`, `history`, `gold_docs`, `facts`, `min_facts`, `type`);
- RealTime QA (`question_id`, `question`, `gold_doc_ids`, `answer_text`, ...).

Corpora are read here only for the llama-index baseline, which sees the raw text exactly as a
plain llama-index user would load it (title + blank line + text); newsrag's own store is built
by `index.ingest`, as a user would build it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

# The shared evaluation data (read-only); `NEWSRAG_EVAL_DATA` points elsewhere.
SHARED = Path(os.environ.get("NEWSRAG_EVAL_DATA", "/work/shared"))
DEV_CORPUS = SHARED / "corpus" / "realtimeqa" / "dev_corpus.jsonl.gz"
DEV_QUESTIONS = SHARED / "corpus" / "realtimeqa" / "dev_questions.jsonl"
SEED_CORPUS = SHARED / "corpus" / "seed-articles"
SEED_QUESTIONS = SHARED / "eval" / "seed_dev.jsonl"
TOPIC_CORPUS = SHARED / "corpus" / "realtimeqa" / "topic_ukraine_russia_iran.jsonl.gz"
# Questions written for this repository over the topic corpus, before any tuning on them.
WRITTEN_QUESTIONS = Path(__file__).resolve().parent / "questions" / "topic_written.jsonl"
# An audit of RealTime QA dev's hard negatives: articles beyond the dataset's silver ones that also
# state a question's answer (eval/audits/README.md says how it was made).
DEV_ANSWER_AUDIT = Path(__file__).resolve().parent / "audits" / "realtimeqa_dev_also_answering.jsonl"

QUESTION_TYPES = ("single", "list", "conflict", "attribution", "followup", "negative", "quiz")
# File types of a corpus folder the baseline reads as plain text.
TEXT_SUFFIXES = (".txt", ".md", ".text")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


class DatasetError(ValueError):
    """A question or corpus file cannot be read; the message names the file and line."""


@dataclass
class Question:
    """One evaluation question, whatever file it came from.

    `gold_docs` empty means the collection does not answer it (a `negative` question, where
    the right answer says so). `facts` are groups of alternative phrasings; `answer_texts` are
    RealTime QA's accepted answers.
    """

    id: str
    question: str
    history: list[tuple[str, str]] = field(default_factory=list)
    gold_docs: list[str] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)
    min_facts: int = 0
    type: str = "single"
    answer_texts: list[str] = field(default_factory=list)
    dataset: str = "seed"  # seed | realtimeqa
    question_date: str = ""
    evidence_text: str = ""  # RealTime QA: the quiz writer's sentence that holds the answer
    silver_docs: list[str] = field(default_factory=list)  # RealTime QA: other articles that also hold it
    audited_docs: list[str] = field(default_factory=list)  # more articles that state the answer, found by an audit
    excluded_docs: list[str] = field(default_factory=list)  # articles the archive is asked without (a hard negative)

    @property
    def answerable(self) -> bool:
        """Whether the collection holds an answer (negative questions do not)."""
        return self.type != "negative" and bool(self.gold_docs)

    @property
    def answering_docs(self) -> list[str]:
        """Every article known to answer it: gold, silver and audited (what a hard negative leaves out)."""
        return [*self.gold_docs, *self.silver_docs, *self.audited_docs]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for reports."""
        data = asdict(self)
        data["history"] = [list(turn) for turn in self.history]
        return data


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-empty line of a JSONL file (optionally gzipped)."""
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}: line {number}: malformed JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise DatasetError(f"{path}: line {number}: expected a JSON object")
                yield number, record
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None


def _history(value: Any, where: str) -> list[tuple[str, str]]:
    if not value:
        return []
    if not isinstance(value, list):
        raise DatasetError(f"{where}: history must be a list of [user, assistant] pairs")
    turns = []
    for turn in value:
        if isinstance(turn, (list, tuple)) and len(turn) == 2:
            turns.append((str(turn[0]), str(turn[1])))
        elif isinstance(turn, dict) and "user" in turn:
            turns.append((str(turn["user"]), str(turn.get("assistant", ""))))
        else:
            raise DatasetError(f"{where}: history turn is not a [user, assistant] pair")
    return turns


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def question_from_record(record: dict[str, Any], where: str = "record") -> Question:
    """Normalise one seed-set or RealTime QA record into a `Question`.

    Why one type: every metric and report works on `Question`, so a new question file only
    needs a reader, never a new metric.
    """
    text = str(record.get("question", "")).strip()
    if not text:
        raise DatasetError(f"{where}: missing field 'question'")
    if "question_id" in record:  # RealTime QA
        gold = _strings(record.get("gold_doc_ids"))
        return Question(
            id=str(record["question_id"]),
            question=text,
            history=_history(record.get("history"), where),
            gold_docs=gold,
            type="quiz" if gold else "negative",
            answer_texts=_strings(record.get("answer_text")),
            dataset="realtimeqa",
            question_date=str(record.get("question_date") or ""),
            evidence_text=str(record.get("evidence_text") or ""),
            silver_docs=_strings(record.get("silver_answer_doc_ids")),
        )
    if "id" not in record:
        raise DatasetError(f"{where}: missing field 'id' (or 'question_id')")
    gold = _strings(record.get("gold_docs", record.get("gold_doc_ids")))
    kind = str(record.get("type") or ("single" if gold else "negative"))
    if kind not in QUESTION_TYPES:
        raise DatasetError(f"{where}: unknown question type {kind!r}")
    facts_value = record.get("facts") or []
    if not isinstance(facts_value, list):
        raise DatasetError(f"{where}: facts must be a list of groups")
    facts = [_strings(group) for group in facts_value]
    return Question(
        id=str(record["id"]),
        question=text,
        history=_history(record.get("history"), where),
        gold_docs=gold,
        facts=facts,
        min_facts=int(record.get("min_facts", len(facts) and 1)),
        type=kind,
        answer_texts=_strings(record.get("answer_text")),
        dataset="seed",
    )


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """Every question of a JSONL file (either shape), in file order; ids must be unique."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such question file")
    questions: list[Question] = []
    seen: set[str] = set()
    for number, record in _json_lines(path):
        question = question_from_record(record, f"{path}: line {number}")
        if question.id in seen:
            raise DatasetError(f"{path}: line {number}: duplicate question id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
        if limit and len(questions) >= limit:
            break
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions


def load_answer_audit(path: Path) -> dict[str, list[str]]:
    """question id -> the articles an audit found stating its answer (lines with `"answers": true`).

    Why: RealTime QA's silver list is not complete. A "hard negative" (a question asked of the
    archive without its gold and silver articles) that another article still answers is not a
    negative, and scoring abstention on it punishes the right answer.
    """
    found: dict[str, list[str]] = {}
    for number, record in _json_lines(Path(path)):
        for key in ("question_id", "doc_id", "answers"):
            if key not in record:
                raise DatasetError(f"{path}: line {number}: missing field {key!r}")
        if record["answers"]:
            found.setdefault(str(record["question_id"]), []).append(str(record["doc_id"]))
    return found


def with_answer_audit(questions: list[Question], path: Path = DEV_ANSWER_AUDIT) -> list[Question]:
    """Copies of `questions` with each one's audited articles set (`Question.audited_docs`); the same
    list without the file. The questions given are left as they were."""
    if not Path(path).is_file():
        return questions
    audit = load_answer_audit(path)
    return [replace(question, audited_docs=list(audit.get(question.id, []))) for question in questions]


def hard_negatives(questions: list[Question]) -> list[Question]:
    """Each dated question that names its articles, asked of the archive without every article that
    answers it (gold, silver and audited): a negative, so abstaining is the right answer.

    The id stays the question's own, so a hard negative falls in its question's half. The quiz
    answer is kept: an answer that still holds it shows an article the audit missed.
    """
    return [
        replace(
            question,
            type="negative",
            gold_docs=[],
            silver_docs=[],
            excluded_docs=question.answering_docs,
        )
        for question in questions
        if question.dataset == "realtimeqa" and question.gold_docs
    ]


# ----- corpora -----------------------------------------------------------------------------------
@dataclass
class RawDocument:
    """An article as a plain llama-index user would load it: id, title, raw text, metadata."""

    doc_id: str
    title: str
    text: str
    source: str = ""
    published: str = ""
    url: str = ""

    def baseline_text(self) -> str:
        """Title + blank line + text (the document text of the measured llama-index baseline)."""
        return f"{self.title}\n\n{self.text}" if self.title else self.text


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def _corpus_files(corpus: Path) -> list[Path]:
    if corpus.is_file():
        return [corpus]
    if not corpus.is_dir():
        raise DatasetError(f"{corpus}: no such corpus file or folder")
    return sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))


def _published(value: Any) -> str:
    """RealTime QA's "YYYY/MM/DD" (or ISO) as YYYY-MM-DD; empty when unknown."""
    text = str(value or "").strip().replace("/", "-")[:10]
    return text if len(text) == 10 and text[4] == "-" and text[7] == "-" else ""


def read_corpus(corpus: Path, limit: int | None = None) -> Iterator[RawDocument]:
    """The raw documents of a corpus: a JSONL(.gz) of records or a folder of text files.

    A text file's id is its path relative to the folder (its file name at the top level), as
    the seed gold ids expect; a record's id is its `doc_id` (or `id`).
    """
    corpus = Path(corpus)
    count = 0
    root = corpus if corpus.is_dir() else corpus.parent
    for path in _corpus_files(corpus):
        if _is_jsonl(path):
            for number, record in _json_lines(path):
                doc_id = record.get("doc_id", record.get("id"))
                if doc_id is None:
                    raise DatasetError(f"{path}: line {number}: record without 'doc_id'")
                yield RawDocument(
                    doc_id=str(doc_id),
                    title=str(record.get("title") or ""),
                    text=str(record.get("text") or ""),
                    source=str(record.get("source") or ""),
                    published=_published(record.get("publish_date", record.get("published"))),
                    url=str(record.get("url") or ""),
                )
                count += 1
                if limit and count >= limit:
                    return
        elif path.suffix.lower() in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            yield RawDocument(doc_id=path.relative_to(root).as_posix(), title="", text=text)
            count += 1
            if limit and count >= limit:
                return


def corpus_fingerprint(corpus: Path) -> dict[str, Any]:
    """What identifies a corpus: each file's name (relative to the corpus) and a hash of its bytes.

    Used to key cached eval stores: a changed corpus file gets a new store, and the same bytes
    reuse theirs wherever they lie and however they were copied. Size and mtime were cheaper, but
    a copy of the same corpus (a fresh checkout of the shared data) then rebuilt a 48k-chunk store
    for 13 minutes; hashing a 10 MB file takes a few hundredths of a second.
    """
    corpus = Path(corpus).expanduser().resolve()
    entries = []
    for path in _corpus_files(corpus):
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        entries.append([path.relative_to(corpus).as_posix() if corpus.is_dir() else path.name, digest])
    return {"files": entries}


def fingerprint_key(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def write_jsonl_subset(corpus: Path, destination: Path, limit: int) -> int:
    """Copy the first `limit` records of a JSONL corpus to `destination` (for quicker runs)."""
    corpus = Path(corpus)
    if not (corpus.is_file() and _is_jsonl(corpus)):
        raise DatasetError(f"{corpus}: --limit needs a JSONL corpus file")
    written = 0
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination, "w", encoding="utf-8") as out:
        for _, record in _json_lines(corpus):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
            if written >= limit:
                break
    return written
