"""The `Answer`: what `newsrag ask --json`, the browser chat and the evaluation all share.

Its JSON shape is a public contract: fields are only ever added, never renamed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsrag.rag.claims import Claim
from newsrag.rag.passage import Passage


@dataclass
class Citation:
    """A source shown with the answer: the passage behind marker [n]."""

    n: int
    passage: Passage
    sentences: list[str] = field(default_factory=list)  # the passage sentences the answer relies on

    def to_json(self) -> dict[str, Any]:
        """Public JSON of one citation."""
        p = self.passage
        return {
            "n": self.n,
            "doc_id": p.doc_id,
            "title": p.title,
            "source": p.source,
            "published": p.published,
            "url": p.url,
            "text": p.text,
            "score": round(p.score, 6),
            "chunk_id": p.chunk_id,
            "start": p.start,
            "end": p.end,
            "highlights": list(self.sentences),
            "instructions": p.instructions,
        }


@dataclass
class Answer:
    """A grounded answer: text with [n] markers, the citations they name, and how long it took."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    standalone_question: str = ""
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what verification changed, for the curious
    answerability: float | None = None  # calibrated probability that the articles answer it (rag/answerability.py)
    as_of: str = ""  # YYYY-MM-DD the question was asked as of: nothing published later was used
    claims: list[Claim] = field(default_factory=list)  # each answer sentence: citations, said_by, disputed_by

    def to_json(self, record_id: Any = None) -> dict[str, Any]:
        """Public JSON: id, question, answer, abstained, citations, timings (and a few extras)."""
        return {
            "id": record_id,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "standalone_question": self.standalone_question,
            "backend": self.backend,
            "notes": list(self.notes),
            "answerability": self.answerability,
            "as_of": self.as_of,
            "claims": [c.to_json() for c in self.claims],
        }

    def to_markdown(self) -> str:
        """The answer with its sources, ready to paste."""
        lines = [self.answer, ""]
        if self.citations:
            lines.append("Sources:")
            for c in self.citations:
                p = c.passage
                meta = ", ".join(x for x in (p.source, p.published) if x)
                link = f" <{p.url}>" if p.url.startswith(("http://", "https://")) else ""
                lines.append(f"[{c.n}] {p.title or p.doc_id}{f' ({meta})' if meta else ''}{link}")
                lines.append(f"    > {' '.join(p.text.split())}")
        return "\n".join(lines).rstrip() + "\n"
