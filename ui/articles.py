"""The whole cleaned article, put back together from its stored chunks.

Chunks hold their `start`/`end` offsets into the cleaned text and overlap by a sentence, so
laying each one at its offset rebuilds the article exactly, except the whitespace between
chunks that do not touch, which we fill with a paragraph break of the same length (offsets stay
valid, so a cited passage can be shown in place).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence


def assemble_article(chunks: Sequence[Any]) -> str:
    """The cleaned article text from chunks that carry `text` and `metadata["start"]`."""
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


def article_texts(store: Any, doc_ids: Iterable[str]) -> dict[str, str]:
    """Cleaned text of each document (one store read per distinct id); absent ones are left out."""
    texts: dict[str, str] = {}
    for doc_id in dict.fromkeys(doc_ids):
        chunks = store.document_chunks(doc_id)
        if chunks:
            texts[doc_id] = assemble_article(chunks)
    return texts
