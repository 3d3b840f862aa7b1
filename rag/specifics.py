"""Specifics: the numbers, dates, names and quoted words of a sentence, and whether a source holds them.

A copy editor's rule for any archive: a figure, a date, a name or a quotation in a story must be
in the source it is attributed to. A small model paraphrases well but invents specifics ("a
September meeting" becomes "September 25, 2025"), and word-overlap support checks let that
through because most of the sentence's words are there. Here every specific of an answer sentence
must be found in the sentences it cites (digits and number words alike), or the sentence does not
count as supported.

Also here: whether an answer names anything at all. An answer to a who / which / what / when /
how many question that adds no name, number or word to the question is a restatement, not an
answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from newsrag.index.places import is_country, place_words
from newsrag.index.sentences import split_sentences
from newsrag.rag.terms import PRONOUNS, content_terms, government_names, name_present, term_present
from newsrag.rag.timeframe import WEEKDAYS

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
NUMBER_WORDS = {**{w: i for i, w in enumerate(_UNITS)}, **_TENS, "dozen": 12}
SCALE_WORDS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
MONTHS = (
    "january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
# A number written in digits: 400, 1,000, 3.5, 2025 (a leading $ or trailing % is not part of it).
DIGITS = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_NUMBER_WORD = "(?:" + "|".join(sorted((*NUMBER_WORDS, *SCALE_WORDS), key=len, reverse=True)) + ")"
# A run of number words: "four hundred", "twenty-five", "two hundred and fifty".
NUMBER_WORDS_RUN = re.compile(rf"\b{_NUMBER_WORD}(?:[-\s]+(?:and\s+)?{_NUMBER_WORD})*\b", re.I)
MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b\.?", re.I)
# A capitalised word: a name, or part of one ("Pantsir", "Kirby", "U.S.", "O'Brien").
CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*[\w]")
# A run of capitalised words: a name as a sentence writes it ("Colorado Avalanche", "Rep. Liz Cheney", "U.S.").
CAPITALISED_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*")
# Text in quotation marks, at least two words (single quoted words are often scare quotes).
QUOTED = re.compile(r"[\"“]([^\"“”]{3,200}?)[\"”]")
# The opening of an asking sentence before its question word: a follow-up may open with a
# conjunction ("And what total did ...?" asks all the same).
ASKING_OPENING = r"^\s*(?:(?:and|but|so|then)\s+)?"
# Question words that ask for a specific (who/which/what/when/where/how many/how much).
ASKS_FOR_SPECIFIC = re.compile(ASKING_OPENING + r"(?:who|whom|whose|which|what|when|where|how (?:many|much|long|old|far))\b", re.I)
# Capitalised words that open sentences without naming anything.
SENTENCE_OPENERS = frozenset(
    "a an the this that these those it its in on at as after before during according by for from "
    "while when where which who what however but and or yes no also both some many most one two "
    "i we they he she there here his her their our".split()
)


def name_key(word: str) -> str:
    """A capitalised word as `Specifics.names` holds it: lower-cased, without a final period or a
    possessive ("U.S." -> "u.s", "Iran's" -> "iran")."""
    return word.rstrip(".").lower().replace("’", "'").removesuffix("'s")


def quoted_words(text: str) -> str:
    """The words of a quotation, lower-cased, without its punctuation: a quotation is checked word
    for word, and where a comma or period falls around the closing mark is the writer's house style
    ('grants."' quotes the same words as 'grants,”')."""
    return " ".join(re.findall(r"\w+(?:['’]\w+)*", text.lower().replace("’", "'")))


def number_value(text: str) -> str | None:
    """The number a digit string or number words stand for, as plain digits ("1,000" -> "1000", "four hundred" -> "400")."""
    cleaned = text.lower().replace(",", "").strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return cleaned.rstrip("0").rstrip(".") if "." in cleaned else cleaned
    total = 0
    for word in re.split(r"[-\s]+", cleaned):
        if word == "and":
            continue
        if word in NUMBER_WORDS:
            total += NUMBER_WORDS[word]
        elif word in SCALE_WORDS:
            total = max(total, 1) * SCALE_WORDS[word]
        else:
            return None
    return str(total)


# A year as plain digits: the time a question asks about, not a figure it states.
YEAR = re.compile(r"(?:1[89]|20)\d\d")


# Digits with a scale word: "12.6 million", "2 billion" (read as one figure: 12600000, 2000000000).
SCALED_DIGITS = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)[\s-]+(" + "|".join(SCALE_WORDS) + r")\b", re.I)


def scaled_value(digits: str, scale: str) -> str:
    """The figure a copy editor reads, however it is written: "12.6", "million" -> "12600000"."""
    value = Decimal(digits.replace(",", "")) * SCALE_WORDS[scale.lower()]
    return number_value(format(value.normalize(), "f")) or ""


def numbers_in(text: str) -> set[str]:
    """Every number of `text` as plain digits, written either way (citation markers are not numbers):
    "$12.6 million", "$12,600,000" and "twelve million six hundred thousand" are one figure."""
    text = MARKER.sub(" ", text)
    found = {scaled_value(m.group(1), m.group(2)) for m in SCALED_DIGITS.finditer(text)}
    text = SCALED_DIGITS.sub(" ", text)
    found |= {value for m in DIGITS.finditer(text) if (value := number_value(m.group(0)))}
    # a lone "one" is mostly a pronoun ("the one that"), not a figure
    found |= {value for m in NUMBER_WORDS_RUN.finditer(text) if m.group(0).lower() != "one" and (value := number_value(m.group(0)))}
    return found


# Names listed with "and": "New Jersey and Oregon", "Iran, North Korea and China".
NAME_LIST = re.compile(rf"\b{CAPITALISED_RUN.pattern}(?:,\s+{CAPITALISED_RUN.pattern})*,?\s+and\s+{CAPITALISED_RUN.pattern}")
# A count that points back at a list: "the two states", "the three countries".
POINTED_COUNT = re.compile(r"\bthe\s+(" + "|".join(_UNITS[2:]) + r"|[2-9])\b", re.I)


def own_counts(sentence: str) -> set[str]:
    """Counts a sentence makes of the names it lists itself ("New Jersey and Oregon are the two
    states"): the sentence vouches for them, so no source needs to hold the word "two". Only "the"
    and a count equal to a list of names in the same sentence."""
    sizes = {str(len(re.split(r",\s+(?:and\s+)?|,?\s+and\s+", m.group(0)))) for m in NAME_LIST.finditer(sentence)}
    return {value for m in POINTED_COUNT.finditer(sentence) if (value := number_value(m.group(1))) in sizes}


@dataclass
class Specifics:
    """What a sentence states exactly: numbers (as digits), months, names, quoted words."""

    numbers: set[str]
    months: set[str]
    names: set[str]
    quotes: list[str]

    @classmethod
    def of(cls, sentence: str) -> "Specifics":
        """The specifics of one sentence; its first word counts as a name unless it is a usual opener."""
        sentence = MARKER.sub(" ", sentence)
        names: set[str] = set()
        for match in CAPITALISED.finditer(sentence):
            lowered = name_key(match.group(0))
            if lowered in SENTENCE_OPENERS or MONTH.fullmatch(lowered) or lowered in NUMBER_WORDS:
                continue
            names.add(lowered)
        quotes = [quoted_words(q) for q in QUOTED.findall(sentence) if len(q.split()) >= 2]
        return cls(
            numbers_in(sentence) - own_counts(sentence),
            {m.group(0).lower().rstrip(".")[:3] for m in MONTH.finditer(sentence)},
            names,
            quotes,
        )

    def minus(self, text: str) -> "Specifics":
        """The specifics that `text` does not already hold (what a sentence adds to a question)."""
        missing = set(self.missing_from(text))
        return Specifics(self.numbers & missing, self.months & missing, self.names & missing, [q for q in self.quotes if q in missing])

    def missing_from(self, source: str, also_allowed: str = "", figures_allowed: bool = True) -> list[str]:
        """The specifics that `source` (or the user's own words, `also_allowed`) does not hold.

        Without `figures_allowed`, the user's words vouch for their years (the time they ask
        about) but not for their other figures: those must be in `source`.
        """
        pool = f"{source} {also_allowed}"
        pool_numbers = (
            numbers_in(pool) if figures_allowed else numbers_in(source) | {n for n in numbers_in(also_allowed) if YEAR.fullmatch(n)}
        )
        pool_months = {m.group(0).lower().rstrip(".")[:3] for m in MONTH.finditer(pool)}
        pool_words = {w.lower().replace("’", "'").removesuffix("'s") for w in re.findall(r"[\w'’.-]*\w", pool)}
        pool_terms = set(content_terms(pool))
        flat = f" {quoted_words(pool)} "
        missing = [n for n in sorted(self.numbers) if n not in pool_numbers]
        missing += [m for m in sorted(self.months) if m not in pool_months]
        for name in sorted(self.names):
            if name in pool_words:
                continue
            terms = content_terms(name)
            if terms and all(term_present(t, pool_terms) for t in terms):
                continue  # "Iranian" for "Iran", "U.S." split differently
            missing.append(name)
        missing += [q for q in self.quotes if f" {q} " not in flat]
        return missing


ASKS_FOR_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|far|big|large)\b|\bwhat (?:percentage|share|number|amount|price|age|total|sum|figure|tally|toll)\b", re.I
)
ASKS_FOR_DATE = re.compile(r"^\s*when\b|\bwhat (?:year|month|day|date)\b", re.I)


def asked_kind(question: str) -> str:
    """What kind of specific the question asks for: "number", "date" or "name" (anything else)."""
    if ASKS_FOR_NUMBER.search(question):
        return "number"
    if ASKS_FOR_DATE.search(question):
        return "date"
    return "name"


# Words a copy editor strikes as vague: they fill a sentence without saying what.
VAGUE_WORDS = frozenset(content_terms("thing things stuff something anything everything various lots kinds sorts matters items"))
# Words that assert or point at a source without adding a fact: "Yes, X was indeed Y, as stated in [1]" restates X.
# Intensifiers count with them: "the bridge was completely and totally destroyed" asserts what
# "was the bridge destroyed?" asks, and adds nothing to it.
ASSERTING_WORDS = frozenset(
    content_terms(
        "yes indeed actually really truly true correct stated states sources source cited "
        "completely totally entirely fully absolutely definitely certainly clearly undoubtedly"
    )
)

# Terms that never count as adding to a question.
_NOT_ADDITIONS = VAGUE_WORDS | ASSERTING_WORDS | PRONOUNS


def the_ask(question: str) -> str:
    """The sentence of `question` that asks: its first that ends in a question mark, else all of it.
    A quiz or a reader often sets the scene first ("NASA is scheduled to launch a historic mission
    this month. What is it called?"); a follow-up glued to its context without a model ("What did
    Iran show him? (Which minister did Iran host? Iran hosted ...)") asks first."""
    return next((s.text for s in split_sentences(question) if s.text.rstrip().endswith("?")), question)


def adds_to_question(question: str, answer: str, said: str = "") -> bool:
    """Whether `answer` names something the question does not: always true unless the question
    asks for a specific (who / which / what / when / where / how many) and the answer only restates it.

    `said` is what the conversation has already answered (a follow-up's previous answer): asked
    "And what total did the Pentagon later put on it?" after "At least $11.3 billion", the same
    $11.3 billion again tells the reader nothing they have not read.

    What is asked is the question's sentence that asks (`the_ask`): "After a yearslong pandemic
    pause, the Biden administration is deciding whether to extend the pause. When are loan payments
    set to restart?" asks "when", and its first sentence read back answers nothing."""
    if not ASKS_FOR_SPECIFIC.search(the_ask(question)):
        return True
    return bool(additions(f"{question} {MARKER.sub(' ', said)}", answer))


# "Which country", "which countries hosting American forces", "what nations": the answer names countries.
ASKS_FOR_COUNTRY = re.compile(r"\b(?:which|what)\s+(?:[\w'’-]+\s+){0,3}?(?:country|countries|nation|nations)\b", re.I)


# "Where did he ...?", "And where is the plant?": asks for a place (a relative "the colony where ..." does not ask).
ASKS_FOR_PLACE = re.compile(ASKING_OPENING + r"where\b", re.I)
# A name a preposition of place introduces: "in Syria", "at Kennedy Space Center", "east of Moscow",
# "to Mexico City". Months and weekdays that follow "in" or "on" are times (`_TIME_WORDS`).
PLACED_NAME = re.compile(
    r"\b(?:in|at|near|outside|inside|from|to|into|across|throughout|off|of|around|towards?|within|beyond)\s+(?:the\s+)?([A-Z][\w'’.-]*)"
)
_TIME_WORDS = frozenset((*MONTHS, *WEEKDAYS))


def new_places(text: str, known: str) -> set[str]:
    """The places `text` names and `known` does not: a capitalised word a preposition of place
    introduces ("in Antarctica", "at Kennedy Space Center"), or a country however it is introduced.
    An answer to "where" that names none ("He revolutionised cinema with his debut feature") has not
    said where; the rule reads how English places a thing, not a list of places."""
    text = MARKER.sub(" ", text)
    placed = {name_key(m.group(1)) for m in PLACED_NAME.finditer(text) if name_key(m.group(1)) not in _TIME_WORDS}
    asked = {name_key(w) for w in CAPITALISED.findall(known)}  # every capitalised word: a sentence's first too
    return {name for name in placed if name not in asked} | new_countries(text, known)


# "Who is next in line?" asks for a person; "whose" and "whom" ask about one already named, and so
# does "Who is Viktor Bout?" (a name after "who is": "He is a Russian arms dealer" answers it).
ASKS_FOR_PERSON = re.compile(r"^\s*(?:(?:[Aa]nd|[Bb]ut|[Ss]o|[Tt]hen)\s+)?[Ww]ho\b(?!\s+(?:is|was|are|were)\s+[A-Z])")
# An answer opening "He ..." or "She ..." names nobody as its subject ("They are X and Y" lists whom it means).
PRONOUN_SUBJECT = re.compile(r"^\W*(?:he|she)\b", re.I)


# Longest country name read from a run, in words ("Bosnia and Herzegovina" is not read whole; its words are).
_COUNTRY_WORDS = 3


def country_names(text: str) -> set[str]:
    """The countries `text` names, as `Specifics.names` holds names: one-word names ("iran") and whole
    names read from runs of capitalised words ("the United States" -> "united states", "U.S." -> "u.s",
    "South Korea" -> "korea")."""
    text = MARKER.sub(" ", text)
    found = {name for name in Specifics.of(text).names if name in place_words()}
    for run in CAPITALISED_RUN.finditer(text):  # read whole: "the United States", "Saudi Arabia"
        words = [w.rstrip(",;:") for w in run.group(0).split()]
        words = [w.removesuffix("'s").removesuffix("’s") for w in words]
        for start in range(len(words)):
            if words[start].lower() == "the":
                continue  # "The United States" is read as "United States"
            for end in range(start + 1, min(start + _COUNTRY_WORDS, len(words)) + 1):
                span = " ".join(words[start:end])
                if is_country(span if end - start == 1 else span.rstrip(".")):
                    found.add(name_key(span))
    return found


@lru_cache(maxsize=1)
def _place_terms() -> frozenset[str]:
    return frozenset(content_terms(" ".join(place_words())))


def is_place(name: str) -> bool:
    """Whether a capitalised word names a country or continent, or is its adjective ("Russia", "Russian",
    "U.S.", "European"): ISO 3166 and time-zone names (index/places.py), read by stem."""
    word = name.removesuffix("'s").removesuffix("’s")
    if word.lower().rstrip(".") in place_words() or is_country(word):
        return True
    terms = content_terms(word)
    return bool(terms) and all(term_present(t, _place_terms()) for t in terms)


def new_countries(text: str, known: str) -> set[str]:
    """The country names (ISO 3166, index/places.py) that `text` names and `known` does not."""
    return Specifics(set(), set(), country_names(text), []).minus(known).names


def about_other_dealings(question: str, claim: str) -> bool:
    """Whether a claim, asked about the dealings between the two countries a question names, is about
    other dealings: it leaves one of them out and names a country the question does not.

    Why: "What weapons has Iran supplied to China?" is not answered by "Iran has been a crucial
    supplier of attack drones for Russia", though every word of it is in its source. A country
    counts by its capital when the question uses it as a government ("Has Tehran sent drones to
    Moscow?" is answered by "Iran sent drones to Russia"). A claim that names no other country
    ("Tehran denied it") may be one side of the story, and stays.
    """
    governments = government_names(question)
    parties = {tuple(content_terms(name)) for name in country_names(question)} | {(term,) for term in governments}
    parties.discard(())
    if len(parties) != 2:
        return False  # three or more set a scene ("How has North Korea justified siding with Russia over Ukraine?")
    said = set(content_terms(MARKER.sub(" ", claim)))
    if all(_names_government(party, said) for party in parties):
        return False
    asked = set(content_terms(question))
    return any(not _names_government(tuple(content_terms(name)), asked) for name in country_names(claim))


def _names_government(name: tuple[str, ...], present: set[str]) -> bool:
    """Whether `present` names a country (by its terms) or its capital, or a capital or its country."""
    return bool(name) and all(name_present(term, present, frozenset([term])) for term in name)


def names_kind_asked(question: str, answer: str, said: str = "") -> bool:
    """Whether `answer` names a thing of the kind the question asks for that neither the question
    nor the conversation's previous answer (`said`) names: a figure for "how many / how much / what
    total", a country for "which country" (ISO 3166 names), a place for "where", and for "who" a
    subject other than "he" or "she". Other questions ask for kinds no rule can tell apart, and pass.

    Asked "And what total did the Pentagon later put on the cost of the war?" after "At least $11.3
    billion in munitions", the same $11.3 billion with commentary around it is not the later total."""
    answer, known = MARKER.sub(" ", answer), f"{question} {MARKER.sub(' ', said)}"
    if asked_kind(question) == "number":
        return bool(numbers_in(answer) - numbers_in(known))
    if ASKS_FOR_COUNTRY.search(question):
        return bool(new_countries(answer, known))
    if ASKS_FOR_PLACE.search(the_ask(question)):
        return bool(new_places(answer, known))
    if ASKS_FOR_PERSON.search(the_ask(question)) and PRONOUN_SUBJECT.match(answer):
        return False  # "He is next in line ...": says who only to a reader who already knows
    return True


def is_vague(question: str, sentence: str) -> bool:
    """Whether `sentence` adds nothing to `question` but vague words ("Iran has given Russia many things")."""
    terms = content_terms(MARKER.sub(" ", sentence))
    return any(t in VAGUE_WORDS for t in terms) and not additions(question, sentence)


def additions(question: str, sentence: str) -> list[str]:
    """What a sentence adds to a question: the terms and numbers of `sentence` that the question lacks
    (vague words, assertions and pronouns do not count)."""
    sentence = MARKER.sub(" ", sentence)
    asked = set(content_terms(question))
    new_terms = [t for t in content_terms(sentence) if not term_present(t, asked) and t not in _NOT_ADDITIONS]
    return new_terms + sorted(numbers_in(sentence) - numbers_in(question))
