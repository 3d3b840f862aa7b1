"""The two types that travel through ingestion: a `Document` and its `Chunk`s."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

from newsrag.index.instructions import looks_like_instruction


@dataclass
class Document:
    """One article, as loaded from a file or a JSON record.

    `text` is the body (cleaned once `index.clean` has run); the metadata fields are empty
    strings when unknown, so they store cleanly in Chroma (which takes no None).
    """

    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""  # ISO date, YYYY-MM-DD, when known
    authors: list[str] = field(default_factory=list)
    path: str = ""  # the file it came from, for messages

    @property
    def content_hash(self) -> str:
        """A hash of everything that ends up in the store: unchanged hash, nothing to redo."""
        digest = hashlib.sha256()
        for part in (self.doc_id, self.title, self.source, self.url, self.published, "|".join(self.authors), self.text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()[:16]


@dataclass
class Chunk:
    """A passage of a document: what is embedded, indexed and cited.

    `start`/`end` are character offsets into the document's cleaned text, so a reader can
    show the passage in place; `position` is the chunk's rank within its document.
    """

    doc_id: str
    position: int
    text: str
    start: int
    end: int
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""
    doc_hash: str = ""
    doc_chunks: int = 0  # how many chunks the document has: a store holding fewer is incomplete

    @property
    def chunk_id(self) -> str:
        """Stable id: a new version of a document never collides with the old one's chunks."""
        return f"{self.doc_id}::{self.doc_hash}::{self.position}"

    def embedding_text(self) -> str:
        """What the encoder and the keyword index see: the title gives every passage its context."""
        return f"{self.title}\n{self.text}" if self.title else self.text

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata: scalars only."""
        return {
            "doc_id": self.doc_id,
            "position": self.position,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "doc_hash": self.doc_hash,
            "doc_chunks": self.doc_chunks,
            "instructions": int(looks_like_instruction(self.text)),  # text addressed to an AI (index/instructions.py)
        }


def assemble_article(chunks: Sequence[Any]) -> str:
    """The cleaned article text from chunks that carry `text` and `metadata["start"]`.

    Chunks hold their `start`/`end` offsets into the cleaned text and overlap by a sentence, so
    laying each one at its offset rebuilds the article exactly, except the whitespace between
    chunks that do not touch, which is filled with a paragraph break of the same length (offsets
    stay valid, so a cited passage can be shown in place). The one way an article is rebuilt:
    the keyword index's article texts and the browser's article view both use it.
    """
    pieces = sorted(((int(c.metadata.get("start", 0)), str(c.text)) for c in chunks), key=lambda p: p[0])
    out: list[str] = []
    length = 0
    for start, text in pieces:
        if start > length:
            gap = start - length
            out.append(" " if gap == 1 else "\n\n" + " " * (gap - 2))
            length = start
        end = start + len(text)
        if end > length:
            out.append(text[length - start :])
            length = end
    return "".join(out)
