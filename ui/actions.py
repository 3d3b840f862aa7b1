"""What the page's events do: each is one call into rag/ or index/, plus rendering.

One `Actions` object serves every browser session; what belongs to a session (its
conversation) comes in and goes out through Gradio state, so sessions never share history.
Writes to the store (uploads, deletes) use the pipeline's own store object, so the keyword
index it searches is the one just rebuilt: an uploaded article is searchable at once.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from newsrag.rag.passage import Filters
from newsrag.settings import Settings
from newsrag.ui import render
from newsrag.ui.articles import article_texts
from newsrag.ui.uploads import FORMAT_SUFFIXES, is_supported, sanitise_filename, save_upload, uploads_dir

BACKENDS = ("local", "openai", "ollama", "extractive")
STATUS_LABELS = {"searching the articles": "Searching the articles"}
_UPLOAD_FOLDER = re.compile(r"\b[0-9a-f]{32}/")


@dataclass
class Turn:
    """One question and its verified answer, as a browser session keeps them."""

    question: str
    answer: str  # the answer text, for the next question's history
    sources_html: str  # the rendered sources section of this turn
    markdown: str  # `Answer.to_markdown()`


@dataclass
class ChatUpdate:
    """What one step of answering changes on the page."""

    chat: list[dict[str, str]]
    sources: str | None = None  # None: unchanged
    markdown: str | None = None
    turns: list[Turn] | None = None
    done: bool = False


@dataclass
class CollectionView:
    """The collection tab after a change: report, table, deletable ids and outlets."""

    report: str
    table: str
    doc_ids: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)


def parse_date(value: Any) -> str:
    """YYYY-MM-DD from a date picker value (string, timestamp or empty); "" when not a date."""
    if value in (None, ""):
        return ""
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value).date().isoformat()
    text = str(value).strip()[:10]
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return ""


def make_filters(outlets: Sequence[str] | None, date_from: Any, date_to: Any) -> Filters:
    """The retrieval filters chosen on the page."""
    return Filters(sources=[o for o in outlets or [] if o], date_from=parse_date(date_from), date_to=parse_date(date_to))


def _warm_up(pipeline: Any) -> None:
    """Load models in the background; a failure here shows up again, explained, on the first question."""
    try:
        pipeline.warm_up()
    except Exception:  # noqa: BLE001
        pass


class Actions:
    """The operations behind the page, over one answer pipeline and its store."""

    def __init__(self, settings: Settings, pipeline: Any, warm_up: bool = True) -> None:
        """`pipeline`: the answer pipeline (`newsrag.components.open_pipeline`); with `warm_up` its
        models load in the background so that the first question does not wait for them."""
        if warm_up:
            # not a daemon: a thread killed inside llama.cpp at exit aborts the process
            threading.Thread(target=_warm_up, args=(pipeline,), name="newsrag-warm-up").start()
        self.settings = settings
        self.pipeline = pipeline
        self.store = pipeline.store
        self.uploads = uploads_dir(settings.store_path)
        self._write_lock = threading.Lock()  # one upload or delete at a time in this server
        self._timeline = None  # built on first use, over the pipeline's own store

    # ----- chat ---------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        chat: list[dict[str, str]],
        turns: list[Turn],
        filters: Filters,
        backend: str | None = None,
        top_k: int | None = None,
        as_of: str | None = None,
    ) -> Iterator[ChatUpdate]:
        """Answer `question` in the conversation `turns` (as of a date, default today), streaming the draft, then the verified answer."""
        from newsrag.rag.pipeline import AnswerError

        question = (question or "").strip()
        turns = list(turns or [])
        chat = list(chat or [])
        if not question:
            yield ChatUpdate(chat, done=True)
            return
        chat.append({"role": "user", "content": render.user_html(question)})
        chat.append({"role": "assistant", "content": render.streaming_html("", "Reading the question")})
        yield ChatUpdate(chat)
        history = [[t.question, t.answer] for t in turns]
        draft, status = "", ""
        try:
            for event in self.pipeline.stream(question, history=history, filters=filters, top_k=top_k, backend=backend, as_of=as_of):
                if event.kind == "status":
                    status = STATUS_LABELS.get(event.text, event.text.capitalize())
                    chat[-1] = {"role": "assistant", "content": render.streaming_html(draft, status)}
                elif event.kind == "token":
                    draft += event.text
                    chat[-1] = {"role": "assistant", "content": render.streaming_html(draft, "Writing")}
                elif event.kind == "answer" and event.answer is not None:
                    yield self._finish(event.answer, chat, turns)
                    return
                yield ChatUpdate(chat)
        except AnswerError as exc:
            chat[-1] = {"role": "assistant", "content": render.error_html(str(exc))}
        except Exception as exc:  # a backend or store problem: say so in the chat, keep the page alive
            chat[-1] = {"role": "assistant", "content": render.error_html(f"{type(exc).__name__}: {exc}")}
        yield ChatUpdate(chat, done=True)

    def _finish(self, answer: Any, chat: list[dict[str, str]], turns: list[Turn]) -> ChatUpdate:
        """The final answer in the chat, its sources in the panel, the turn kept for follow-ups."""
        data = answer.to_json()
        index = len(turns)
        articles = article_texts(self.store, [c["doc_id"] for c in data["citations"]])
        turn = Turn(answer.question, answer.answer, render.turn_sources_html(data, index, articles), answer.to_markdown())
        turns = turns + [turn]
        chat[-1] = {"role": "assistant", "content": render.answer_html(data, index)}
        return ChatUpdate(chat, render.sources_panel_html([t.sources_html for t in turns]), turn.markdown, turns, done=True)

    def api_chat(self, question: str, history: Sequence[Sequence[str]] | None = None, as_of: str | None = None) -> dict[str, Any]:
        """The answer JSON of `newsrag ask --json` for a question, its earlier turns and its as-of date."""
        return self.pipeline.run(question, history=[list(t)[:2] for t in history or []], as_of=as_of or None).to_json()

    # ----- timeline -----------------------------------------------------------------------------
    def timeline(self, query: str, as_of: str | None = None, filters: Filters | None = None) -> str:
        """The timeline of a story as HTML (the same entries as `newsrag timeline --json`)."""
        from newsrag.rag.timeframe import parse_as_of
        from newsrag.rag.timeline import TimelineBuilder

        query = (query or "").strip()
        if not query:
            return render.TIMELINE_PLACEHOLDER
        try:
            when = parse_as_of(as_of or None)
        except ValueError as exc:
            return render.error_html(f"as of: {exc}")
        if self._timeline is None:
            self._timeline = TimelineBuilder(self.pipeline.retriever, self.store, self.settings.timeline)
        data = self._timeline.run(query, as_of=when, filters=filters).to_json()
        return render.timeline_html(data, article_texts(self.store, [e["doc_id"] for e in data["entries"]]))

    # ----- collection ---------------------------------------------------------------------------
    def collection(self, report: str = "") -> CollectionView:
        """The collection as it is now."""
        documents = sorted(self.store.scan().values(), key=lambda d: d.doc_id)
        outlets = sorted({d.source for d in documents if d.source}, key=str.lower)
        return CollectionView(report, render.documents_html(documents, self.store.last_update()), [d.doc_id for d in documents], outlets)

    def outlets(self) -> list[str]:
        """Outlet names in the store, for the filter."""
        return self.collection().outlets

    def upload(self, files: Sequence[Any], progress: Any = None) -> CollectionView:
        """Save uploaded files inside the store and ingest them; they are searchable on return."""
        from newsrag.index.ingest import Ingestor

        paths = [Path(str(getattr(f, "name", f))) for f in files or []]
        if not paths:
            return self.collection(render.status_html("warn", "Choose files to upload first."))
        saved, refused = [], []
        for path in paths:
            name = sanitise_filename(path.name)
            if is_supported(name):
                saved.append(save_upload(path, path.name, self.uploads).path)
            else:
                refused.append(f"{path.name}: not a format newsrag reads ({' '.join(FORMAT_SUFFIXES)}, or .gz of them)")
        if not saved:
            return self.collection(render.status_html("error", "Nothing was added.", refused))
        if progress is not None:
            progress(0.2, desc=f"Reading and embedding {len(saved)} file(s)")
        problems: list[str] = []
        try:
            with self._write_lock:
                report = Ingestor(self.settings, self.store, self.pipeline.encoder, on_problem=problems.append, progress=False).run(saved)
        except Exception as exc:  # a store that refuses (another model, a server down): say why
            return self.collection(render.status_html("error", "Nothing was added.", [f"{type(exc).__name__}: {exc}", *refused]))
        lines = [
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, {report.chunks} chunks in {report.seconds:.1f} s"
        ]
        lines += [_short_problem(p, self.uploads) for p in problems] + refused
        kind = "ok" if not (problems or refused) else ("warn" if report.added or report.updated or report.unchanged else "error")
        headline = {"ok": "Uploaded: searchable now.", "warn": "Uploaded, with problems.", "error": "Nothing was added."}[kind]
        return self.collection(render.status_html(kind, headline, lines))

    def delete(self, doc_ids: Sequence[str] | str | None) -> CollectionView:
        """Delete documents from the store (and their uploaded copies)."""
        from newsrag.index.ingest import delete_documents

        ids = [doc_ids] if isinstance(doc_ids, str) else [d for d in doc_ids or [] if d]
        if not ids:
            return self.collection(render.status_html("warn", "Choose a document to delete."))
        with self._write_lock:
            deleted = delete_documents(self.store, ids)
        self._remove_uploaded_copies(deleted)
        missing = [d for d in ids if d not in deleted]
        lines = [f"deleted {d}" for d in deleted] + [f"no document {d}" for d in missing]
        return self.collection(render.status_html("ok" if deleted else "warn", f"Deleted {len(deleted)} document(s).", lines))

    def _remove_uploaded_copies(self, doc_ids: Sequence[str]) -> None:
        """Remove uploaded files named like deleted documents (only inside the uploads folder)."""
        if not self.uploads.is_dir():
            return
        names = set(doc_ids)
        for folder in self.uploads.iterdir():
            files = list(folder.iterdir()) if folder.is_dir() and not folder.is_symlink() else []
            if len(files) == 1 and files[0].name in names:
                shutil.rmtree(folder, ignore_errors=True)


def _short_problem(message: str, uploads: Path) -> str:
    """A problem message without the server's upload folder in it."""
    text = str(message).replace(str(uploads.resolve()) + "/", "").replace(str(uploads) + "/", "")
    return _UPLOAD_FOLDER.sub("", text)
