"""What retrieval hands to answering: numbered-to-be passages, and the filters that narrowed them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Passage:
    """A retrieved chunk with everything needed to cite and show it in place."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    published: str = ""
    url: str = ""
    position: int = 0
    start: int = 0
    end: int = 0
    score: float = 0.0
    instructions: bool = False  # the chunk holds text addressed to an AI (flagged at ingest; never evidence)

    @classmethod
    def from_stored(cls, chunk_id: str, text: str, metadata: dict[str, Any], score: float) -> "Passage":
        """Build from a Chroma record."""
        return cls(
            chunk_id=chunk_id,
            doc_id=str(metadata.get("doc_id", "")),
            text=text,
            title=str(metadata.get("title", "")),
            source=str(metadata.get("source", "")),
            published=str(metadata.get("published", "")),
            url=str(metadata.get("url", "")),
            position=int(metadata.get("position", 0)),
            start=int(metadata.get("start", 0)),
            end=int(metadata.get("end", 0)),
            score=score,
            instructions=bool(metadata.get("instructions", 0)),
        )

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of a search hit."""
        data = asdict(self)
        data["score"] = round(self.score, 6)
        return data


@dataclass
class Filters:
    """Metadata filters applied by both retrievers: outlets, a date range, document ids to keep or leave out."""

    sources: list[str] = field(default_factory=list)
    date_from: str = ""  # YYYY-MM-DD, inclusive
    date_to: str = ""
    doc_ids: list[str] = field(default_factory=list)
    exclude_doc_ids: list[str] = field(default_factory=list)  # never these articles (eval: a store without the answer)

    def __bool__(self) -> bool:
        return bool(self.sources or self.date_from or self.date_to or self.doc_ids or self.exclude_doc_ids)
