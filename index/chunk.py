"""Sentence-aware chunking, sized in the embedder's own tokens.

A chunk is a contiguous span of whole sentences of the cleaned text, so its offsets let a
reader show it in place, and it never exceeds what the encoder reads (tiktoken-sized chunks
get silently truncated by a 256-token model). Consecutive chunks share `overlap_sentences`
sentences so that a fact straddling a boundary is whole in at least one chunk.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from newsrag.index.documents import Chunk, Document
from newsrag.index.sentences import Sentence, split_sentences
from newsrag.settings import ChunkSettings

TokenCounter = Callable[[Sequence[str]], list[int]]

# Room kept for [CLS]/[SEP] and the small difference between counting sentences apart and together.
TOKEN_MARGIN = 4


class Chunker:
    """Split documents into `Chunk`s of at most `max_tokens` encoder tokens (title included).

    >>> chunker = Chunker(ChunkSettings(max_tokens=64), count_tokens=lambda ts: [len(t.split()) for t in ts], encoder_max_tokens=256)
    >>> [c.text for c in chunker.run(Document("a.txt", "One two. Three four."))]
    ['One two. Three four.']
    """

    def __init__(self, settings: ChunkSettings, count_tokens: TokenCounter, encoder_max_tokens: int) -> None:
        self.settings = settings
        self.count_tokens = count_tokens
        self.encoder_max_tokens = encoder_max_tokens

    def run(self, document: Document) -> list[Chunk]:
        """The document's chunks, in order, each carrying the document's metadata."""
        budget = self._budget(document.title)
        sentences, counts = self._sentences_within(document.text, budget)
        if not sentences:
            return []
        spans = pack(counts, budget, self.settings.overlap_sentences)
        doc_hash = document.content_hash
        chunks = []
        for position, (first, last) in enumerate(spans):
            start, end = sentences[first].start, sentences[last].end
            chunks.append(
                Chunk(
                    doc_id=document.doc_id,
                    position=position,
                    text=document.text[start:end],
                    start=start,
                    end=end,
                    title=document.title,
                    source=document.source,
                    url=document.url,
                    published=document.published,
                    doc_hash=doc_hash,
                    doc_chunks=len(spans),
                )
            )
        return chunks

    def _budget(self, title: str) -> int:
        title_tokens = self.count_tokens([title])[0] if title else 0
        room = self.encoder_max_tokens - TOKEN_MARGIN - title_tokens
        return max(16, min(self.settings.max_tokens, room))

    def _sentences_within(self, text: str, budget: int) -> tuple[list[Sentence], list[int]]:
        """Sentences with their token counts; one longer than the budget (a table, run-on scraped
        text) is cut at word boundaries into pieces that fit."""
        sentences = split_sentences(text)
        counts = self.count_tokens([s.text for s in sentences])
        fitted: list[Sentence] = []
        fitted_counts: list[int] = []
        for sentence, count in zip(sentences, counts):
            if count <= budget:
                fitted.append(sentence)
                fitted_counts.append(count)
                continue
            pieces = _split_words(text, sentence, max(1, budget // 2))  # a word is at least one token
            fitted.extend(pieces)
            fitted_counts.extend(self.count_tokens([p.text for p in pieces]))
        return fitted, fitted_counts


def _split_words(text: str, sentence: Sentence, words_per_piece: int) -> list[Sentence]:
    words = list(re.finditer(r"\S+", sentence.text))
    pieces = []
    for i in range(0, len(words), words_per_piece):
        group = words[i : i + words_per_piece]
        start = sentence.start + group[0].start()
        end = sentence.start + group[-1].end()
        pieces.append(Sentence(text[start:end], start, end))
    return pieces


def pack(counts: Sequence[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of sentence token counts into (first, last) index spans within `budget`.

    Each span after the first starts `overlap` sentences before the previous span ended, as
    long as that still leaves room for at least one new sentence.
    """
    spans: list[tuple[int, int]] = []
    first = 0
    n = len(counts)
    while first < n:
        total = counts[first]
        last = first
        while last + 1 < n and total + counts[last + 1] <= budget:
            last += 1
            total += counts[last]
        spans.append((first, last))
        if last + 1 >= n:
            break
        next_first = last + 1
        # step back for overlap while the overlapped sentences plus the next one fit
        back = 0
        while back < overlap and next_first - back - 1 > first:
            candidate = next_first - back - 1
            if sum(counts[candidate : next_first + 1]) > budget:
                break
            back += 1
        first = next_first - back
    return spans
