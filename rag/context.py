"""What the model reads: the evidence sentences most likely to hold the answer, with their neighbours.

A quiz question rarely shares its words with the sentence that answers it ("which show was green
lit?" against "Netflix announced ... is coming back for a second season"), so the best-scoring
sentence is often the one *beside* the answer. The model therefore reads each top sentence (an
anchor) together with the sentences around it in its article, within a word budget: on two cores
llama.cpp reads a prompt at roughly 70-90 tokens a second, so every word is time to the first token.
The budget, the anchors and the neighbours are settings (`AnswerSettings`), fitted by
`newsrag eval context` on how often the answer reaches the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsrag.index.instructions import looks_like_instruction
from newsrag.index.sentences import split_sentences
from newsrag.rag.evidence import Evidence, EvidenceSentence
from newsrag.rag.passage import Passage


@dataclass
class ContextBlock:
    """The sentences of one passage that the model reads, in article order."""

    passage: int  # index into the passages list
    sentences: dict[int, str] = field(default_factory=dict)  # position in the passage -> sentence

    @property
    def text(self) -> str:
        """The block's sentences joined in their article order."""
        return " ".join(self.sentences[i] for i in sorted(self.sentences))


def choose_anchors(evidence: Evidence, limit: int, share: float) -> list[EvidenceSentence]:
    """The best sentences that bear on the question (the best one always), near-duplicates dropped."""
    top = evidence.top(limit)
    if not top:
        return []
    return [top[0], *(s for s in top[1:] if s.score >= share * evidence.best_score)]


def choose_context(
    evidence: Evidence, passages: list[Passage], words: int, anchors: int, share: float, neighbours: int
) -> list[ContextBlock]:
    """Blocks of context, the block of the best anchor first, within `words` words.

    Each anchor brings up to `neighbours` sentences either side of it from its passage; when
    anchor and neighbours do not fit, the anchor alone is tried. A sentence already shown from an
    overlapping passage of the same article is not shown twice.
    """
    blocks: dict[int, ContextBlock] = {}
    shown: set[tuple[str, str]] = set()
    used = 0
    split: dict[int, list[str]] = {}
    for anchor in choose_anchors(evidence, anchors, share):
        sentences = split.setdefault(anchor.passage, [s.text for s in split_sentences(passages[anchor.passage].text)])
        doc_id = passages[anchor.passage].doc_id
        low, high = max(0, anchor.order - neighbours), min(len(sentences), anchor.order + neighbours + 1)
        candidates = {
            i: sentences[i] for i in range(low, high) if i == anchor.order or not looks_like_instruction(sentences[i])
        }  # `order` indexes this same split
        for attempt in (candidates, {k: v for k, v in candidates.items() if v == anchor.text}):
            new = {i: t for i, t in attempt.items() if (doc_id, t) not in shown}
            cost = sum(len(t.split()) for t in new.values())
            if used + cost <= words or not blocks:
                block = blocks.setdefault(anchor.passage, ContextBlock(anchor.passage))
                block.sentences.update(new)
                shown.update((doc_id, t) for t in new.values())
                used += cost
                break
    return list(blocks.values())
