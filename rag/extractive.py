"""The extractive answer: the best evidence sentences, quoted with their citations.

No model, so nothing invented: instant, and the fallback whenever a model's answer does not
survive citation checking. When the evidence holds a denial or a "not confirmed" beside a
claim, the denial is quoted too, so the reader sees who claims what.
"""

from __future__ import annotations

from newsrag.rag.citations import attach_markers
from newsrag.rag.claims import disputes
from newsrag.rag.evidence import Evidence, EvidenceSentence


def choose_sentences(evidence: Evidence, limit: int = 3, share: float = 0.75) -> list[EvidenceSentence]:
    """The sentences an extractive answer quotes, best first: at most `limit`, each scoring at
    least `share` of the best (`AnswerSettings.quoted_sentences`, `quoted_share`), with a dispute
    that bears on the question if there is one."""
    top = evidence.top()
    if not top:
        return []
    best = top[0].score
    chosen = [s for s in top if s.score >= share * best][:limit]
    if not any(disputes(s.text) for s in chosen):
        dispute = next((s for s in top if disputes(s.text) and s.score >= evidence.settings.relevant_share * best), None)
        if dispute is not None and dispute not in chosen:
            chosen.append(dispute)
    return chosen


def compose(evidence: Evidence, limit: int = 3, share: float = 0.75) -> str:
    """The extractive answer text, markers being 1-based passage numbers."""
    return " ".join(attach_markers(s.text, [s.passage + 1]) for s in choose_sentences(evidence, limit, share))
