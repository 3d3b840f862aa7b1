"""The extractive answer: the best evidence sentences, quoted with their citations.

No model, so nothing invented: instant, and the fallback whenever a model's answer does not
survive citation checking. When the evidence holds a denial or a "not confirmed" beside a
claim, the denial is quoted too, so the reader sees who claims what.
"""

from __future__ import annotations

from newsrag.rag.citations import MARKER, attach_markers
from newsrag.rag.claims import disputes
from newsrag.rag.evidence import Evidence, EvidenceSentence, repeats_said
from newsrag.rag.terms import content_terms


def choose_sentences(evidence: Evidence, limit: int = 3, share: float = 0.75, said: str = "") -> list[EvidenceSentence]:
    """The sentences an extractive answer quotes, best first: at most `limit`, each scoring at
    least `share` of the best (`AnswerSettings.quoted_sentences`, `quoted_share`), with a dispute
    that bears on the question if there is one.

    `said` is a follow-up's previous answer: after the best sentence, one that says it again
    (`repeats_said`) is not quoted. Asked "And what total did the Pentagon later put on the cost?"
    after "At least $11.3 billion ...", the reader has read the $11.3 billion already."""
    top = evidence.top()
    if not top:
        return []
    best = top[0].score
    said_terms = set(content_terms(MARKER.sub(" ", said)))
    new = [top[0], *(s for s in top[1:] if not repeats_said(set(content_terms(s.text)), said_terms, evidence.settings.repeated_share))]
    chosen = [s for s in new if s.score >= share * best][:limit]
    if not any(disputes(s.text) for s in chosen):
        dispute = next((s for s in top if disputes(s.text) and s.score >= evidence.settings.relevant_share * best), None)
        if dispute is not None and dispute not in chosen:
            chosen.append(dispute)
    return chosen


def compose(evidence: Evidence, limit: int = 3, share: float = 0.75, said: str = "") -> str:
    """The extractive answer text, markers being 1-based passage numbers (`said`: see `choose_sentences`)."""
    return " ".join(attach_markers(s.text, [s.passage + 1]) for s in choose_sentences(evidence, limit, share, said))
