"""The whole cleaned articles behind cited passages (put together by `index.documents.assemble_article`)."""

from __future__ import annotations

from typing import Any, Iterable

from newsrag.index.documents import assemble_article


def article_texts(store: Any, doc_ids: Iterable[str]) -> dict[str, str]:
    """Cleaned text of each document (one store read per distinct id); absent ones are left out."""
    texts: dict[str, str] = {}
    for doc_id in dict.fromkeys(doc_ids):
        chunks = store.document_chunks(doc_id)
        if chunks:
            texts[doc_id] = assemble_article(chunks)
    return texts
