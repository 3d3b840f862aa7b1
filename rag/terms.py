"""Content terms: the words of a question or sentence that carry its meaning, stemmed.

Evidence selection, abstention and citation checking all compare texts by these terms,
weighted by how rare each term is in the collection (the keyword index knows that).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from newsrag.index.keyword import TOKEN_PATTERN, stemmer
from newsrag.index.places import capitals, place_words
from newsrag.rag.timeframe import MONTH_NAMES, WEEKDAYS

TOKEN = re.compile(TOKEN_PATTERN)

# Words that shape a question but carry no content to look for in the articles.
QUESTION_WORDS = frozenset(
    """
    what which who whom whose when where why how whether did does do done has have had is are was were be been
    say said says tell told according report reported reports mention mentioned article articles news
    about also any many much there their they them it its this that these those would could should might may can
    """.split()
)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | QUESTION_WORDS


# Abbreviated months as full ones: newsroom style writes "Aug. 18" and "Sept. 30" where a reader
# asks about "August 18" (AP abbreviates the long months before a day; "mar" is left alone, a verb).
MONTH_ABBREVIATIONS = {short: names[0] for names in MONTH_NAMES for short in names[1:] if short != "mar"}


# An initialism written with periods: "U.S.", "U.K.", "E.U." (the tokenizer keeps words of two
# letters or more, so without this "U.S." is no word at all and never meets a reader's "US").
DOTTED_INITIALISM = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def content_terms(text: str) -> list[str]:
    """Stemmed, lower-cased content words of `text`, in order (stopwords and question words dropped;
    an abbreviated month counts as the month; "U.S." is "US", as copy desks that drop the periods
    write it)."""
    stop = _stopwords()
    text = DOTTED_INITIALISM.sub(lambda match: match.group(0).replace(".", ""), text)
    words = [MONTH_ABBREVIATIONS.get(w, w) for w in TOKEN.findall(text.lower()) if w not in stop]
    return stemmer().stemWords(words) if words else []


# Personal pronouns, as content terms. They point back at a name and never supply one ("Who is next
# in line?" -> "He is next in line"), and "he" and "his" do not make two sentences about the same
# thing: rules that count words one by one leave them out (the keyword index keeps them; a rarity
# weight makes them count for little). Not "us": lower-cased, it is also the United States.
PRONOUNS = frozenset(content_terms("he she him her his hers we our you your i me my they them their it its"))


class TermWeights:
    """Inverse document frequency of stemmed terms in the collection's keyword index.

    Unknown terms get the highest weight (a name the collection never mentions is exactly
    what makes a question unanswerable).
    """

    def __init__(self, document_frequency: dict[str, int], documents: int) -> None:
        self.document_frequency = document_frequency
        self.documents = max(documents, 1)

    @classmethod
    def from_keyword_index(cls, index) -> "TermWeights":
        """The collection's document frequencies, from the keyword index that already counts them."""
        return cls(index.document_frequencies(), len(index)) if len(index) else cls({}, 1)

    def weight(self, term: str) -> float:
        """Smoothed IDF, always positive."""
        n = self.document_frequency.get(term, 0)
        return math.log(1.0 + (self.documents - n + 0.5) / (n + 0.5))

    def coverage(self, wanted: list[str], present: set[str], emphasis: set[str] = frozenset(), skip_unknown: bool = False) -> float:
        """IDF-weighted share of the `wanted` terms found among `present` terms (0..1).

        Terms in `emphasis` count double (a follow-up's own words matter more than the
        conversation's). A term also counts as present when one stem extends the other
        ("iranian" and "iran"). With `skip_unknown`, terms the collection never uses are left
        out: no sentence can hold them, so they tell nothing about which sentence answers, and
        with the highest weight they would drown the words that do ("given" in "What has Iran
        given Russia?" over articles that say "provided"). A question's missing *names* are
        judged by answerability instead (rag/answerability.py). Claims are checked without it.
        """
        unique = set(wanted)
        if skip_unknown and self.document_frequency:
            unique = {t for t in unique if self.document_frequency.get(t, 0) > 0} or unique
        weights = {t: self.weight(t) * (2.0 if t in emphasis else 1.0) for t in unique}
        total = sum(weights.values())
        if total == 0:
            return 0.0
        return sum(w for t, w in weights.items() if term_present(t, present)) / total


class StoreTermWeights:
    """The `TermWeights` of a store's current keyword index, built again only when the store has
    swapped its index (after a write): the answer pipeline and the timeline weigh words this way.

    >>> weights = StoreTermWeights(store)  # doctest: +SKIP
    >>> weights().weight("pantsir")  # doctest: +SKIP
    """

    def __init__(self, store) -> None:
        self.store = store
        self._cached: tuple[object, TermWeights] | None = None  # (the index they were read from, the weights)

    def __call__(self) -> TermWeights:
        index = self.store.keyword_index()
        if self._cached is None or self._cached[0] is not index:
            self._cached = (index, TermWeights.from_keyword_index(index))
        return self._cached[1]


def term_present(term: str, present: set[str]) -> bool:
    """Whether `term` or a stem sharing its first four letters as a prefix relation is in `present`."""
    if term in present:
        return True
    if len(term) < 4:
        return False
    return any(len(other) >= 4 and (other.startswith(term) or term.startswith(other)) for other in present)


@lru_cache(maxsize=1)
def _metonyms() -> dict[str, tuple[tuple[str, ...], ...]]:
    """A one-word capital's term -> its country's terms, and a one-word country's term -> its
    capital's terms (index/places.py): the groups that name the same government."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for capital, country in capitals():
        capital_terms, country_terms = tuple(content_terms(capital)), tuple(content_terms(country))
        if capital_terms and country_terms:
            if len(capital_terms) == 1:
                found.setdefault(capital_terms[0], []).append(country_terms)
            if len(country_terms) == 1:
                found.setdefault(country_terms[0], []).append(capital_terms)
    return {term: tuple(groups) for term, groups in found.items()}


# Words before a capital or country that make it a place, not a government: "the consulate in
# Damascus", "the outskirts of Kyiv" (an editor's reading, for any archive).
LOCATIVE = frozenset("in at near outside inside around across throughout within of".split())


def government_names(question: str) -> frozenset[str]:
    """The terms of the capitals and countries a question names as governments: every one it names,
    except where a place word comes before it or a capitalised word after it ("Has Tehran sent
    drones to Moscow?" -> tehran and moscow; "the strike on the consulate in Damascus", "the Beijing
    Winter Olympics", "The Washington Post" -> none: a place, or the first word of a longer name)."""
    matches = list(re.finditer(r"[\w'’.-]+", question))
    found = set()
    for index, match in enumerate(matches):
        terms = content_terms(match.group(0))
        if len(terms) != 1 or terms[0] not in _metonyms():
            continue
        after_place = index > 0 and matches[index - 1].group(0).lower() in LOCATIVE
        opens_a_name = re.match(r" [A-Z]", question[match.end() :]) is not None and not match.group(0).endswith(("'s", "’s"))
        if not after_place and not opens_a_name:
            found.add(terms[0])
    return frozenset(found)


def name_present(term: str, present: set[str], governments: frozenset[str] = frozenset()) -> bool:
    """`term_present`, or, for a term of `governments` (`government_names`), a capital whose
    country is present or a country whose capital is: a newsroom writes "Tehran denied" for Iran's
    government and "Moscow" for Russia's, so "Tehran denied the reports" is Iran's denial. The
    other side of a question is found this way (rag/completion.py); evidence is scored and claims
    are checked without it: "a bomb outside his Moscow apartment" is not supported by "a Russian
    general", and "What weapons has Iran supplied to China?" is not answered by quoting what
    Beijing sent Moscow."""
    if term_present(term, present):
        return True
    return term in governments and any(all(term_present(t, present) for t in group) for group in _metonyms().get(term, ()))


# A run of capitalised words inside a question: a name the answer must be about.
ENTITY = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


# Capitalised words that name a time, not someone or something: "in February 2024" asks about a
# month, and an article need not spell the month out to be about the event.
@lru_cache(maxsize=1)
def calendar_terms() -> frozenset[str]:
    """The stemmed full month and weekday names (rag/timeframe.py's)."""
    return frozenset(content_terms(" ".join([*(names[0] for names in MONTH_NAMES), *WEEKDAYS])))


# "Apart from the strike in Kharkiv, which cities ...", "which countries besides Iran ...": what a
# question sets aside is not what the answer must name.
SET_ASIDE = re.compile(r"\b(?:apart from|aside from|besides|other than|except for|excluding)\b([^,;?]*)([,;]?)", re.I)


# Where a sentence begins: the text's start, or after a full stop, question or exclamation mark.
SENTENCE_START = re.compile(r"(?:^|[.!?][\"'”’)]*\s+)[\"'“‘(]*$")


def _opens_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether a capitalised word is capitalised only because it opens a sentence ("Approximately how
    many ...", "Rising inflation has ..."): one word, capitalised at its first letter alone, and no
    country or continent ("Iran has ..." names Iran). A copy editor reads the capital as grammar."""
    word = match.group(0)
    if " " in word or not word[1:].islower() or not SENTENCE_START.search(text[: match.start()]):
        return False
    return word.lower().removesuffix("'s").removesuffix("’s") not in place_words()


def _without_set_aside(question: str) -> str:
    """The question without the names it sets aside: a clause closed by a comma ("Apart from X in Y,
    ...") loses its names, otherwise only the first name after the words that set it aside goes."""

    def drop(match: re.Match[str]) -> str:
        if match.group(2):
            return " " + match.group(2)
        first = ENTITY.search(match.group(1))
        return match.group(1) if first is None else match.group(1)[: first.start()] + match.group(1)[first.end() :]

    return SET_ASIDE.sub(drop, question)


def question_entities(question: str) -> list[list[str]]:
    """Names in a question, each as its stemmed content words ("Wagner Group" -> ["wagner", "group"]);
    months and weekdays are times, not names (rag/timeframe.py reads them), and names the question
    sets aside ("apart from ...") are not asked about."""
    entities = []
    text = _without_set_aside(question)
    for match in ENTITY.finditer(text):
        if _opens_sentence(text, match):
            continue
        terms = [t for t in content_terms(match.group(0)) if t not in calendar_terms()]
        if terms:
            entities.append(terms)
    return entities


def entity_coverage(entities: list[list[str]], present: set[str], governments: frozenset[str] = frozenset()) -> float:
    """Share of the question's names that `present` mentions (half a name's words suffice; a capital
    or country of `governments` counts for its country or capital)."""
    if not entities:
        return 1.0
    found = sum(1 for words in entities if 2 * sum(name_present(w, present, governments) for w in words) >= len(words))
    return found / len(entities)
