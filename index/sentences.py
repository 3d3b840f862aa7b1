"""Sentence boundaries with character offsets, for news prose.

Used twice: the chunker packs whole sentences into passages, and the answer pipeline checks
each cited sentence. Line breaks always end a sentence (scraped text is line-based); within a
line, NLTK's Punkt model for English decides (the copy llama-index-core ships, so nothing is
downloaded). Punkt learned which words end in a period without ending a sentence ("Nov. 21",
"3 p.m. when") and which end both ("He flew to the U.S. The talks ..."; "The answer was no.
The minister ..."), where a hand-made abbreviation list must guess; `bench/sentences.py`
measured the two on the seed and RealTime QA text (README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Line breaks end a sentence: scraped pages put headlines, captions and list items on their own lines.
LINE_BREAK = re.compile(r"\n")
# Abbreviations of news copy that Punkt's English model lacks: titles before names ("Gov. Gavin
# Newsom"), months, company words, "No. 1", and the AP stylebook's state abbreviations ("Owensboro,
# Ky."). Punkt still ends a sentence after one when a usual sentence opener follows ("... the U.S.
# The talks"), which a fixed list cannot tell.
NEWS_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen lt col sgt capt cmdr adm gov sen rep pres supt insp rev gov.-elect
    jan feb mar apr jun jul aug sep sept oct nov dec
    inc ltd co corp bros dept est vs etc approx no vol fig al
    ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont neb nev okla ore pa
    tenn vt va wash wis wyo
    """.split()
)


@dataclass(frozen=True)
class Sentence:
    """A sentence and where it stands in the text it came from."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _punkt():
    """NLTK's English Punkt sentence tokenizer, loaded from llama-index-core's bundled NLTK data."""
    import llama_index.core
    import nltk
    from nltk.tokenize import PunktTokenizer

    bundled = str(Path(llama_index.core.__file__).parent / "_static" / "nltk_cache")
    if bundled not in nltk.data.path:
        nltk.data.path.append(bundled)
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(NEWS_ABBREVIATIONS)  # NLTK's documented way to add abbreviations
    return tokenizer


# "at 9 a.m. Officials said": a time that ends a sentence, unless a day, month or time zone follows.
TIME_THEN_SENTENCE = re.compile(
    r"\b[ap]\.m\.(?=\s+[A-Z])(?!\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Jan|Feb|March|April|May|June|July|"
    r"Aug|Sept?|Oct|Nov|Dec|[ECMP][SD]?T|GMT|UTC)\b)"
)


# A quoted exclamation or question inside a sentence ("'Bullseye!!!': Trump says ...", 'He shouted
# "Stop!" and ran.'): Punkt ends a sentence at the mark, and what follows starts with the closing
# quote's colon or comma, or with a word in lower case. Such a piece continues the sentence before it.
ENDS_IN_EXCLAMATION = re.compile(r"[!?]+['\"\u2019\u201d)]*$")
CONTINUES = re.compile(r"^['\"\u2019\u201d)]*(?:[:;,\u2013\u2014-]|\s*[a-z]+\b)")  # a lower-case word, not "iPhone"


def split_sentences(text: str) -> list[Sentence]:
    """Split prose into sentences with exact offsets; line breaks always end one."""
    sentences: list[Sentence] = []
    punkt = _punkt()
    start = 0
    for line_end in [m.start() for m in LINE_BREAK.finditer(text)] + [len(text)]:
        line = text[start:line_end]
        if line.strip():
            first = len(sentences)
            for begin, end in punkt.span_tokenize(line):
                cuts = [begin, *(begin + m.end() for m in TIME_THEN_SENTENCE.finditer(line[begin:end])), end]
                for a, b in zip(cuts, cuts[1:]):
                    _append(sentences, text, start + a, start + b)
            _join_continuations(sentences, text, first)
        start = line_end + 1
    return sentences


def _join_continuations(sentences: list[Sentence], text: str, first: int) -> None:
    """Join, from index `first` on, each piece that continues a quoted exclamation or question
    (`CONTINUES` after `ENDS_IN_EXCLAMATION`) to the sentence before it, offsets kept exact."""
    index = first + 1
    while index < len(sentences):
        before, piece = sentences[index - 1], sentences[index]
        if ENDS_IN_EXCLAMATION.search(before.text) and CONTINUES.match(piece.text):
            sentences[index - 1] = Sentence(text[before.start : piece.end], before.start, piece.end)
            del sentences[index]
        else:
            index += 1


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    real_start = start + lead
    sentences.append(Sentence(stripped, real_start, real_start + len(stripped)))
