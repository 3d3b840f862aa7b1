"""Names in full on first reference, as the cited source writes them.

A newsroom's style rule for any archive: the first time a story names someone or something, it
gives the full name ("the Colorado Avalanche", "Rep. Liz Cheney"), later references may shorten it.
A small model shortens names it copies ("The Avalanche won ..."), which leaves a reader who has not
followed the story guessing. Here the first mention of a name in an answer takes the longer form
that a sentence it cites gives, when that form only adds capitalised words in front of it (a first
name, a title, a place): "Avalanche" -> "Colorado Avalanche", never a different name. A country
("Israel") is its own full name: in a live blog's run-on text, "Kim Hjelmgaard Israel identified
missiles" is a byline before it, not a longer name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from newsrag.rag.citations import MARKER, answer_sentences, markers_in
from newsrag.rag.specifics import CAPITALISED_RUN, MONTH, SENTENCE_OPENERS, is_place

# Most words a full name may add in front of the answer's form of it.
MAX_ADDED_WORDS = 2
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
# Lower-case words that join a run to an earlier one ("Secretary of State Antony Blinken"): a run
# after them is the end of a longer name, not a name of its own.
_JOINERS = frozenset("of de del da di von van for".split())


def with_full_names(text: str, cited_sentences: Mapping[int, Sequence[str]]) -> str:
    """`text` with each name's first mention in the longest form its sentence's citations give.

    `cited_sentences` maps citation numbers (as in the text's markers) to the source sentences
    behind them. A name already given in full earlier in the answer is left as it is.
    """
    done: set[str] = set()
    out = []
    for sentence in answer_sentences(text):
        sources = [s for n in markers_in(sentence) for s in cited_sentences.get(n, ())]
        plain = MARKER.sub("", sentence)
        for _, words in _names(plain):
            name = " ".join(words)
            if name.lower() in done or is_place(name) or f"({name}" in plain:
                continue  # a country is named in full already; "(UAVs)" defines an abbreviation
            done.add(name.lower())
            fuller = _fuller_form(words, sources)
            earlier = " ".join(out)
            if fuller and fuller not in earlier and fuller not in sentence:
                sentence = re.sub(rf"(?<![\w'’.-]){re.escape(name)}(?![\w'’-])", fuller, sentence, count=1)
                done.add(fuller.lower())
        out.append(sentence)
    return " ".join(out) if out else text


def _names(text: str) -> list[tuple[int, list[str]]]:
    """The capitalised runs of `text` as (offset, words), without a leading opener or time word
    ("The Avalanche" -> ["Avalanche"]); runs left empty are skipped."""
    runs = []
    for match in CAPITALISED_RUN.finditer(text):
        words = _run_words(match.group(0))
        while words and (words[0].lower() in SENTENCE_OPENERS or _is_time(words[0])):
            words = words[1:]
        if words:
            runs.append((match.start(), words))
    return runs


def _fuller_form(words: list[str], sources: Sequence[str]) -> str | None:
    """The longest form of `words` in the source sentences: a run that ends with them, with at most
    `MAX_ADDED_WORDS` plain capitalised words in front (no month, weekday, possessive or figure);
    None when no source gives a longer one."""
    best: list[str] | None = None
    for source in sources:
        for start, run in _names(source):
            before = source[:start].split()
            if before and before[-1].lower() in _JOINERS:
                continue
            if len(run) <= len(words) or run[len(run) - len(words) :] != words:
                continue
            front = run[: len(run) - len(words)][-MAX_ADDED_WORDS:]
            while front and any(_is_time(w) or w.endswith(("'s", "’s")) or any(c.isdigit() for c in w) for w in front):
                front = front[1:]  # keep only the plain words next to the name
            if front and (best is None or len(front) + len(words) > len(best)):
                best = [*front, *words]
    return " ".join(best) if best else None


def _run_words(run: str) -> list[str]:
    """A run's words, the last without the period that ends its sentence ("Cheney." -> "Cheney";
    "U.S." keeps its own)."""
    words = run.split()
    if words[-1].endswith(".") and "." not in words[-1][:-1]:
        words[-1] = words[-1][:-1]
    return words


def _is_time(word: str) -> bool:
    """A month or weekday: capitalised, but the time of a story, not part of a name."""
    lowered = word.lower().rstrip(".,")
    return lowered in WEEKDAYS or bool(MONTH.fullmatch(lowered))
