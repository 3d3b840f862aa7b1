"""Series: the names a sentence lists ("Paul Whelan, Evan Gershkovich, Alsu Kurmasheva and Vladimir Kara-Murza").

News writing gives the items of a list as a series, in one sentence: "the embassies in Hungary,
the Netherlands, Poland and Croatia", "French President Emmanuel Macron, German Chancellor
Friedrich Merz, Finnish President Alexander Stubb, ...". Such a sentence is the best answer to
"which leaders / which countries / who", however few of the question's words it repeats, and the
list completer (rag/completion.py) reads it first.

Written by hand: the libraries we ship split sentences but do not parse coordination, and the
parsers that do (spaCy, Stanza) need models that are not on PyPI. The rule reads the surface of
English news prose: capitalised names joined by commas, "and" or "or", each maybe led by a
determiner or a "former" ("former U.S. Marine Paul Whelan", "the Netherlands").
"""

from __future__ import annotations

import re

from newsrag.rag.specifics import MARKER, MONTHS, SENTENCE_OPENERS
from newsrag.rag.timeframe import WEEKDAYS

# The pieces a series is read from: a word (with its inner dots, hyphens and apostrophes), or a comma,
# semicolon, colon or quotation mark. Anything else (a dash, brackets) is skipped.
_TOKEN = re.compile(r"[\w][\w'’.-]*[\w]|[\w]|[,;:\"“”]")
# Tokens no series crosses: a colon opens one ("five presidents: Bill Clinton, ..."), a quotation mark
# closes one ("... and Vladimir Kara-Murza,” Biden said.").
_BREAKS = frozenset({":", '"', "“", "”"})
# Lower-case words inside a name: "Ursula von der Leyen", "Court of Arbitration for Sport".
_PARTICLES = frozenset("of for the de del der da di du la le van von al el bin ibn".split())
_SEPARATORS = frozenset({",", ";", "and", "or"})
# Words that may come before the name of an item in a series: "the Netherlands", "former U.S. Marine
# Paul Whelan", "the late Alexei Navalny" (any other word before the name is prose, not a list item).
LEAD_WORDS = frozenset("the a an former late then acting ex fellow".split())
# Lower-case words an item may hold between its names ("Wall Street Journal reporter Evan Gershkovich",
# "the Russian group Memorial"); more is prose, and the series ends with that item.
MAX_ITEM_WORDS = 3
# Share of capital letters above which a sentence is shouted, not written (editorial, not fitted).
SHOUTING_SHARE = 0.6
# Fewest items that make a series (two names joined by "and" are a sentence's subject as often as a list).
MIN_ITEMS = 3


def _is_name(word: str) -> bool:
    lowered = word.lower().rstrip(".")
    return word[:1].isupper() and lowered not in SENTENCE_OPENERS and lowered not in MONTHS and lowered not in WEEKDAYS


def _runs(segment: list[str]) -> list[str]:
    """The names of a segment, in order: runs of capitalised words, with the particles between two
    of them ("von der", "of")."""
    runs: list[list[str]] = []
    in_run = False
    pending: list[str] = []  # particles after a name, kept if another name follows
    for word in segment:
        if _is_name(word):
            if in_run:
                runs[-1] += [*pending, word]
            else:
                runs.append([word])
            in_run, pending = True, []
        elif in_run and word in _PARTICLES:
            pending.append(word)
        else:
            in_run, pending = False, []
    return [" ".join(run) for run in runs]


def _leads_with_name(segment: list[str]) -> bool:
    """Whether a segment opens with a name, maybe after a determiner or a "former" ("the Netherlands",
    "former U.S. Marine Paul Whelan"); "traveled to Washington" is prose, not an item."""
    for word in segment:
        if _is_name(word):
            return True
        if word.lower() not in LEAD_WORDS:
            return False
    return False


def listed_names(sentence: str, min_items: int = MIN_ITEMS) -> list[str]:
    """The names of the longest series of names in `sentence` (at least `min_items`), in order.

    The sentence is cut at commas, semicolons, "and" and "or" into segments. A series is a run of
    segments in which the first ends with a name (its lead-in is prose: "embassies in Hungary"), each
    middle one is a short name ("the Netherlands", "German Chancellor Friedrich Merz") and the last
    begins with one ("and Donald Trump met ..."). No series crosses a colon or a quotation mark:
    "five presidents: Bill Clinton, ..." starts one. A short item is named by its last run of capitalised words ("the
    Russian group Memorial"), the last item before prose by its first ("and Donald Trump met ...").
    """
    letters = [ch for ch in sentence if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > SHOUTING_SHARE * len(letters):
        return []  # a sentence in capitals is shouting ("THE STRAIT IS OPEN AND READY"), its words are not names
    segments: list[list[str]] = [[]]
    breaks: list[bool] = []  # per boundary: a colon or quotation mark (no series crosses it)
    for token in _TOKEN.findall(MARKER.sub(" ", sentence)):
        if token.lower() in _SEPARATORS or token in _BREAKS:
            if segments[-1]:
                segments.append([])
                breaks.append(token in _BREAKS)
            elif token in _BREAKS and breaks:
                breaks[-1] = True
        else:
            segments[-1].append(token)
    if not segments[-1]:
        segments.pop()
    best: list[str] = []
    for first in range(len(segments)):
        if not segments[first] or not _is_name(segments[first][-1]):
            continue
        items = [_runs(segments[first])[-1]]
        for k in range(first + 1, len(segments)):
            if breaks[k - 1] or not _leads_with_name(segments[k]):
                break
            short = sum(not _is_name(w) for w in segments[k]) <= MAX_ITEM_WORDS
            if not short:  # prose after the name: the last item, named first ("and Donald Trump met ...")
                items.append(_runs(segments[k])[0])
                break
            items.append(_runs(segments[k])[-1])  # "the Russian group Memorial": named last
        if len(items) > len(best):
            best = items
    return best if len(best) >= min_items else []
