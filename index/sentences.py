"""Sentence boundaries with character offsets, for news prose.

Used twice: the chunker packs whole sentences into passages, and the answer pipeline checks
each cited sentence. A regex splitter that knows the abbreviations of news copy (U.S., Feb.,
Mr., Gen.) is enough here, fast, and keeps exact offsets into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end in a period without ending a sentence.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen lt col sgt capt cmdr adm gov sen rep pres supt insp
    jan feb mar apr jun jul aug sep sept oct nov dec
    inc ltd co corp bros dept est vs etc approx no vol fig al
    u.s u.k u.n e.u a.m p.m d.c i.e e.g
    """.split()
)

# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets), then whitespace.
BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|\n\s*\n|\n")


@dataclass(frozen=True)
class Sentence:
    """A sentence and where it stands in the text it came from."""

    text: str
    start: int
    end: int


# Abbreviations that often close a sentence ("... at 9 a.m. Officials said") when a capital follows.
SENTENCE_FINAL_ABBREVIATIONS = frozenset({"a.m", "p.m", "etc"})


def _abbreviation_before(text: str, period_index: int) -> str | None:
    """The abbreviation (lower case, no final period) ending at text[period_index], if any."""
    match = re.search(r"(?:^|[^A-Za-z.])([A-Za-z][A-Za-z.]*)$", text[max(0, period_index - 12) : period_index])
    if not match:
        return None
    word = match.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):  # "John F. Kennedy"
        return word
    return None


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    """Whether a candidate boundary really ends a sentence."""
    mark = match.group(0)
    if mark != ".":  # "!", "?", "...", closing quotes and line breaks always end a sentence
        return True
    word = _abbreviation_before(text, match.start())
    if word is None:
        return True
    following = text[match.end() :].lstrip()[:1]
    return following.isupper() and word in SENTENCE_FINAL_ABBREVIATIONS


def split_sentences(text: str) -> list[Sentence]:
    """Split prose into sentences; line breaks always end one (scraped text is line-based)."""
    sentences: list[Sentence] = []
    start = 0
    for match in BOUNDARY.finditer(text):
        if not _is_boundary(text, match):
            continue
        _append(sentences, text, start, match.end())
        start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    real_start = start + lead
    sentences.append(Sentence(stripped, real_start, real_start + len(stripped)))
