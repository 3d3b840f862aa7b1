"""Complete answers: every item of a list, and both sides of a disputed yes/no question.

A small model names one item of five and answers "Is it true that X?" with "Yes, X [1]." even
when the article it cites says that X is denied. Neither is left to the model. After it writes,
the answer is completed from the evidence, the way an editor completes a reporter's draft:

- A question that asks for several things (a plural "which countries", a count "which four",
  an open "what has X given") gets every further item the relevant evidence holds: each
  evidence sentence that bears on the question and names something the answer does not yet
  name is added with its own citation, near-duplicates merged, across every retrieved article.
- A yes/no question is never answered by restating it with "Yes" in front: sentences that add
  nothing to the question are dropped, what the best sources report is quoted with who reports
  it, other speakers on the same topic are quoted too, and every denial or missing confirmation
  on the topic in any retrieved passage is quoted beside it. A bare "Yes," or "No," is dropped
  when the other side is there.

Sentences are added verbatim with passage-number markers; the citation checker then verifies
them like any other answer sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsrag.index.instructions import looks_like_instruction
from newsrag.index.places import is_country
from newsrag.index.sentences import split_sentences
from newsrag.rag.citations import MARKER, attach_markers
from newsrag.rag.claims import BARE_VERDICT, common_words, dispute_opening, disputes, is_yes_no, shares_topic, speaker_of
from newsrag.rag.evidence import Evidence, EvidenceSentence
from newsrag.rag.passage import Passage
from newsrag.rag.series import MIN_ITEMS, listed_names
from newsrag.rag.specifics import (
    ASKS_FOR_COUNTRY,
    ASSERTING_WORDS,
    NUMBER_WORDS,
    Specifics,
    additions,
    asked_kind,
    is_place,
    name_key,
    new_countries,
    number_value,
)
from newsrag.rag.terms import (
    PRONOUNS,
    TermWeights,
    calendar_terms,
    content_terms,
    entity_coverage,
    government_names,
    question_entities,
    term_present,
)
from newsrag.rag.timeframe import Timeframe, of_another_time

# A question word followed, within a few words, by a plural noun: "which countries", "what steps",
# "which Iranian nuclear facilities". The scan stops at the verb ("what is the ..." is singular).
_WH = re.compile(r"\b(?:which|what)\b((?:\s+[\w.’'-]+){1,4})", re.I)
_VERBS = frozenset("is are was were has have had did does do will would can could should may might".split())
_NOT_PLURAL = frozenset("this its his has was does is us gas news series species politics physics economics bus".split())
# "What has Iran given Russia?": the present perfect asks for the record so far, often several things
# ("What did the minister say at the summit?" asks for one event, and is not a list).
_OPEN_WHAT = re.compile(r"^\s*what\s+(?:has|have|had)\b", re.I)
# How many of a yes/no question's rarest claim words a sentence must hold to speak of the claim
# itself (an editor's reading: two words such as "started by lightning" name a claim; not fitted).
CLAIM_WORDS = 2
# A sentence that opens with a quotation mark: someone's words, quoted whole.
QUOTATION = re.compile(r"^\s*[\"“‘']")
# Words as a reader sees them, to tell one sentence's words inside another's.
WORD = re.compile(r"\w+")
# Words that put a claim in the future or the possible, and words that report it done: the first
# of them in a sentence tells which it is ("the firm already has delivered ..., and may ..." reports).
PROSPECTIVE = re.compile(
    r"\b(?:may|might|could|would|will|shall|(?:plan|plans|planning|seek|seeks|seeking|intend|intends|intending|prepare|prepares|"
    r"preparing|want|wants|expected|likely|poised|set|about|going|ready) to|consider|considers|considering|possible|possibly|potential)\b",
    re.I,
)
REPORTED_DONE = re.compile(r"\b(?:has|have|had|already|did|was|were)\b|\b\w+ed\b", re.I)
# Questions whose items are names: "which countries", "who shared the prize".
ASKS_FOR_NAMES = re.compile(r"\b(?:which|who|whom)\b", re.I)
# "Who are the candidates", "Who were the victims".
_PLURAL_WHO = re.compile(r"^\s*who\s+(?:are|were|have)\b", re.I)
# A clause before the question word ("According to the ministry, what has ...", "In 2023, who were ...")
# sets the source or the time, not the form of the answer.
_OPENING_CLAUSE = re.compile(r"^\s*[^,?]{1,60},\s*(?=(?:what|who|which|how|when|where|why)\b)", re.I)
_COUNT = re.compile(
    r"\b(?:(?:which|what|the|name)\s+(?:[\w.’'-]+\s+)?)(" + "|".join(w for w, n in NUMBER_WORDS.items() if n >= 2) + r"|[2-9]|[1-9]\d)\b",
    re.I,
)  # a count, not a year


def _asked_plurals(question: str) -> list[tuple[str, str]]:
    """(question word, plural noun) for each plural noun a "which"/"what" asks about, before its verb:
    "Which Iranian drones has ..." -> [("which", "drones")]."""
    found = []
    for match in _WH.finditer(question):
        for word in match.group(1).split():
            lowered = word.lower().strip(".,?;:")
            if lowered in _VERBS:
                break
            if len(lowered) > 3 and lowered.endswith("s") and not lowered.endswith(("ss", "'s", "’s", "us")) and lowered not in _NOT_PLURAL:
                found.append((match.group(0).split()[0].lower(), lowered))
    return found


def asked_nouns(question: str) -> set[str]:
    """The stemmed plural nouns a "which" question asks about ("Which Iranian drones has ..." -> {"drone"});
    empty for other questions."""
    return {term for asker, noun in _asked_plurals(question) if asker == "which" for term in content_terms(noun)}


def question_form(question: str) -> str:
    """What shape of answer a question asks for: "yes_no", "list" or "single".

    A journalist's reading of the question, for any archive: a verb-first question asks for a
    verdict; a plural or counted object ("which countries", "which four citizens"), "who are",
    or an open "what has X done" asks for every item the articles give.
    """
    if is_yes_no(question):
        return "yes_no"
    question = _OPENING_CLAUSE.sub("", question)
    if asked_kind(question) == "number":
        return "single"  # "how many ..." is one figure, however plural its noun
    if _OPEN_WHAT.search(question) or _PLURAL_WHO.search(question) or _COUNT.search(question):
        return "list"
    return "list" if _asked_plurals(question) else "single"


@dataclass
class Completion:
    """An answer (markers: 1-based passage numbers) with what completing it added."""

    text: str
    added: list[tuple[int, str]] = field(default_factory=list)  # (passage index, sentence) quoted in


class AnswerCompleter:
    """Add the items and the other side that a draft answer leaves out.

    >>> completer = AnswerCompleter(max_items=6, min_new_terms=2, side_sources=2)  # doctest: +SKIP
    >>> completer.run("What has Iran given Russia?", "Iran has given Russia tank rounds [1].", evidence, passages).text  # doctest: +SKIP
    'Iran has given Russia tank rounds [1]. Iran has sent hundreds of Shahed drones ... [3]. ...'
    """

    def __init__(
        self, max_items: int, min_new_terms: int, side_sources: int, name_item_share: float = 0.25, item_noun_window: int = 3
    ) -> None:
        self.max_items = max_items  # most sentences added to a list answer
        self.min_new_terms = min_new_terms  # content words an added item must name that the answer does not
        self.side_sources = side_sources  # articles whose report a yes/no answer quotes
        self.name_item_share = name_item_share  # a sentence naming a new name is an item from this share of the best score
        self.item_noun_window = item_noun_window  # words between a name and the asked noun, at most ("Shahed drones")

    def run(
        self,
        question: str,
        text: str,
        evidence: Evidence,
        passages: list[Passage],
        weights: TermWeights | None = None,
        form: str | None = None,
        frame: Timeframe | None = None,
    ) -> Completion:
        """The completed answer for a question of any form (a single fact is left as it is); `weights`
        (the store's term rarity) tell a yes/no question's own claim words from common ones; `form`
        is the user's own question's (a follow-up "Which one is it?" asks for one), by default the
        question's. `frame` is the time the question names: nothing is added from a later article
        that tells of its own time instead (`of_another_time`)."""
        form = form or question_form(question)
        if form == "list":
            return self._complete_list(question, text, evidence, passages, weights, frame)
        if form == "yes_no":
            return self._state_sides(question, text, evidence, passages, weights, frame)
        return Completion(text)

    # ----- lists --------------------------------------------------------------------------------
    def _complete_list(
        self,
        question: str,
        text: str,
        evidence: Evidence,
        passages: list[Passage],
        weights: TermWeights | None = None,
        frame: Timeframe | None = None,
    ) -> Completion:
        """Add, best first, each relevant sentence that names a further item: for "which" and "who"
        questions a name the answer lacks (the items of "which countries" are names), otherwise
        content words the answer lacks.

        An item from another article than the one that answers best must name, in itself or in its
        article's headline, the question's most specific name (its rarest in the archive): asked
        what steps a company took in a country, another company's steps in that country are
        another story, however well they match the rest of the question. The yes/no reports of
        `_state_sides` keep the same rule. A series of the names asked for is the list itself,
        wherever it is; a question naming three or more is left alone: it asks about several
        dealings at once, and no one name is its subject.

        A list the sources give as a series of names (rag/series.py) is the list asked for: once one
        is in the answer, sentences that merely name something else are not added after it."""
        plain = _plain(text)
        said = set(content_terms(f"{question} {plain}"))
        named = f"{question} {plain}"
        wants_names = bool(ASKS_FOR_NAMES.search(question))
        wants_countries = bool(ASKS_FOR_COUNTRY.search(question))
        chosen_terms = [
            set(content_terms(s.text)) for s in split_sentences(plain)
        ]  # a source sentence the answer already paraphrases is not a new item
        added: list[tuple[int, str]] = []
        series = self._series(question, evidence, passages) if wants_names else None
        # an answer that already names two or more in a row ("The Wall Street Journal and CNN reported ...") is a
        # list, unless the question counts more ("which four ...")
        nouns = asked_nouns(question) if wants_names and not wants_countries and passages else set()
        best_article = _best_article(evidence, passages)
        subject = _most_specific_name(question, weights) if len(question_entities(question)) <= 2 else []
        governments = government_names(question)
        enough = max(2, _asked_count(question))
        listed = wants_names and any(len(self._series_items(s.text, question, min_items=2)) >= enough for s in split_sentences(plain))
        for sentence in self._list_candidates(question, evidence, passages, series):
            in_series = sentence in (series or ())
            if len(added) >= self.max_items or (listed and not in_series):
                break  # series come first: once the answer lists names, what follows only names other things
            if sentence.text in plain or _of_another_time(sentence.passage, sentence.text, passages, frame):
                continue
            terms = set(content_terms(sentence.text))
            new = {t for t in terms if not term_present(t, said)}
            if len(new) < self.min_new_terms or any(_overlap(terms, other) > evidence.settings.near_duplicate for other in chosen_terms):
                continue
            if in_series and not self._series_items(sentence.text, question, named):
                continue  # lists again what the answer lists
            if wants_names and not self._new_names(sentence.text, named, wants_countries):
                continue
            elsewhere = bool(passages) and passages[sentence.passage].doc_id != best_article
            if elsewhere and not in_series and not _names_any(subject, sentence.text, passages[sentence.passage].title, governments):
                continue  # another story's item: it names none of what the question is most specifically about
            if nouns and not in_series and elsewhere:
                pair = len(self._series_items(sentence.text, question, named, min_items=2)) >= 2  # "X and Y were also freed"
                if not pair and not names_one_of(sentence.text, named, nouns, self.item_noun_window):
                    continue  # another article's sentence on the topic that names none of the things asked about
            added.append((sentence.passage, sentence.text))
            chosen_terms.append(terms)
            said |= terms
            named += " " + sentence.text
            listed = listed or in_series
        return Completion(_joined(text, added), added)

    @staticmethod
    def _new_names(sentence: str, named: str, countries: bool) -> set[str]:
        """The names a sentence adds to what is already named; for "which countries" only country names
        (a sentence that names a new minister is not a new country)."""
        return new_countries(sentence, named) if countries else Specifics.of(sentence).minus(named).names

    def _list_candidates(
        self, question: str, evidence: Evidence, passages: list[Passage], series: list[EvidenceSentence] | None = None
    ) -> list[EvidenceSentence]:
        """The sentences that may hold a further item, in the order they are considered; `series`
        (given for a question that asks for names) come first.

        - "Which ministers ..." asks for names, and a sentence that names one is often about that
          one ("Ana Silva has led the ministry since 2019, ...") and shares few of the question's
          words: for such questions a sentence of the article that answers best (the best
          sentence's) from `name_item_share` of the best score may be an item (it must still name
          someone the answer does not); other articles' sentences must bear on the question.
        - "What has France sold Brazil?" names two parties, the first the seller. A sentence naming
          the second first ("Brazil has been training French pilots ...") most often tells the
          reverse relation: such sentences come after every other candidate.
        - A sentence that is one quotation ("“Our cooperation is growing,” the minister said") is
          someone's view; a list of what happened is built from reported facts first, so
          quotations come last too.
        - A question about what was done ("what has X sold") is answered with what was done first:
          a sentence about what may or will be ("France is seeking to sell ...", "... may sell
          ...") comes after those that report it done.
        """
        wants_names = series is not None
        series = series or []
        candidates = [*series, *(s for s in self._relevant(evidence) if s not in series)]
        if wants_names and evidence.sentences and passages:
            floor = self.name_item_share * evidence.best_score
            best_article = _best_article(evidence, passages)
            candidates += [
                s
                for s in evidence.sentences
                if s not in candidates and s.score >= floor and not s.vague and passages[s.passage].doc_id == best_article
            ]
        parties = question_entities(question)
        reverse = len(parties) == 2
        done = not PROSPECTIVE.search(question)  # "what has X given" asks what was done, not what may be
        later = [
            s
            for s in candidates
            if QUOTATION.match(s.text)
            or (reverse and _mentions_in_order(s.text, parties[1], parties[0]))
            or (done and _prospective(s.text))
        ]
        later = [s for s in later if s not in series]  # a series of names is the list itself, whoever says it
        return [s for s in candidates if s not in later] + later

    def _series(self, question: str, evidence: Evidence, passages: list[Passage]) -> list[EvidenceSentence]:
        """The sentences that list at least two names the question lacks in a series (rag/series.py),
        the longest lists first: from any article when they bear on the question, and from
        `name_item_share` of the best score in the article that answers best (the rule for names,
        `_list_candidates`).

        "Starmer will be joined by French President Emmanuel Macron, German Chancellor Friedrich
        Merz, ..." answers "which European leaders went ..." while repeating few of its words."""
        if not evidence.sentences or not passages:
            return []
        best_article = _best_article(evidence, passages)
        bearing = evidence.bearing()
        floor = self.name_item_share * evidence.best_score
        found: list[tuple[int, EvidenceSentence]] = []
        for sentence in evidence.sentences:
            near = sentence.score >= floor and passages[sentence.passage].doc_id == best_article
            if sentence.vague or not (sentence in bearing or near):
                continue
            items = self._series_items(sentence.text, question)
            if len(items) >= 2:
                found.append((len(items), sentence))
        found.sort(key=lambda pair: (-pair[0], -pair[1].score))
        return [sentence for _, sentence in found]

    @staticmethod
    def _series_items(sentence: str, question: str, named: str | None = None, min_items: int = MIN_ITEMS) -> list[str]:
        """The items of the series `sentence` lists (rag/series.py) that `named` (by default the
        question) lacks, of the kind the question asks for: a series of countries answers "which
        countries" and nothing else (the countries that held prisoners are not the citizens released)."""
        items = listed_names(sentence, min_items)
        if items and all(is_country(item) for item in items) != bool(ASKS_FOR_COUNTRY.search(question)):
            return []
        return [item for item in items if Specifics.of(item).minus(named or question).names]

    # ----- yes/no -------------------------------------------------------------------------------
    def _state_sides(
        self,
        question: str,
        text: str,
        evidence: Evidence,
        passages: list[Passage],
        weights: TermWeights | None = None,
        frame: Timeframe | None = None,
    ) -> Completion:
        """Drop restatements of the question; add the best report of each of the best articles, what
        the sources say in the claim's own words, other speakers, and the denials on the topic.

        A report from another article than the one that answers best must speak of the claim in its
        own rarest words (`claim_words`), like `_claim_reports`: asked whether a police force was
        scrapped, another article's sentence on what that police force once did is on the topic
        and no report on the claim."""
        kept = [
            s.text for s in split_sentences(text) if additions(question, BARE_VERDICT.sub("", s.text, count=1))
        ]  # "Yes, <the question> [1]." asserts what was asked
        text = " ".join(kept)
        plain = _plain(text)
        reports: list[tuple[int, str]] = []
        seen_docs: set[str] = set()
        topic, lower = set(content_terms(question)), common_words(question)
        specific = _most_specific_name(question, weights)
        governments = government_names(question)
        best_article = _best_article(evidence, passages)
        key = claim_words(question, weights) if weights is not None else []
        for sentence in self._relevant(evidence):
            doc = passages[sentence.passage].doc_id
            if (
                len(reports) >= self.side_sources
                or doc in seen_docs
                or sentence.text in plain
                or not shares_topic(topic, sentence.text, lower)
                or _of_another_time(sentence.passage, sentence.text, passages, frame)
            ):
                continue
            if not _names_any(specific, sentence.text, passages[sentence.passage].title, governments):
                continue  # another story's report: it names none of what the question is most specifically about
            if doc != best_article and not holds_claim(sentence.text, key):
                continue  # another article's report on the topic that does not speak of the claim itself
            seen_docs.add(doc)
            reports.append((sentence.passage, sentence.text))
        claim = self._claim_reports(key, plain, evidence, passages)
        voices = self._other_voices(topic, lower, plain, [*reports, *claim], evidence, passages, specific, governments)
        denials = self._denials(question, plain, evidence, passages, specific, governments)
        sides = [  # the other side is of the time asked about too
            (p, s) for p, s in dict.fromkeys([*reports, *claim, *voices, *denials]) if not _of_another_time(p, s, passages, frame)
        ]
        denials = [d for d in denials if d in sides]
        added = _distinct(plain, sides, evidence.settings.near_duplicate)
        if denials or any(disputes(s) for _, s in reports):
            text = BARE_VERDICT.sub("", text, count=1)
            text = text[:1].upper() + text[1:]
        return Completion(_joined(text, added), added)

    def _claim_reports(self, key: list[str], plain: str, evidence: Evidence, passages: list[Passage]) -> list[tuple[int, str]]:
        """The sentences that speak of the claim itself, in its own rarest words, one per article.

        "Was the fire started by lightning?" is about "started by lightning": the sentence that says
        who blamed lightning answers it, however little else it shares with the question, and a
        report that the forest burned does not. The claim's words are the question's words
        that are not names, times, numbers or intensifiers ("actually"); the rarest `CLAIM_WORDS` of them
        (`key`, from `claim_words`; empty without the store's rarity) must all be there.
        """
        if not key:
            return []
        found: list[tuple[int, str]] = []
        docs: set[str] = set()
        for sentence in evidence.sentences:
            doc = passages[sentence.passage].doc_id
            if len(found) >= self.side_sources:
                break
            if doc in docs or sentence.vague or sentence.text in plain:
                continue
            if holds_claim(sentence.text, key):
                found.append((sentence.passage, sentence.text))
                docs.add(doc)
        return found

    def _other_voices(
        self,
        topic: set[str],
        lower: frozenset[str],
        plain: str,
        reports: list[tuple[int, str]],
        evidence: Evidence,
        passages: list[Passage],
        names: list[list[str]],
        governments: frozenset[str] = frozenset(),
    ) -> list[tuple[int, str]]:
        """Relevant sentences on the topic whose speaker is not yet quoted: a reporter's "get the
        other side" ("Trump said the sites were obliterated" beside "an intelligence assessment said").
        Like a denial, the voice names what the question is most specifically about (`names`), in its
        sentence or its article's title: a report on another country's shipments shares the words
        "sent" and "ship" with a question about an arms shipment, and is not its other side. `topic`
        and `lower` are the question's terms and its lower-case words (`shares_topic`)."""
        heard = {
            who.lower()
            for text in [plain, *(s for _, s in reports)]
            for sentence in split_sentences(text)
            if (who := speaker_of(sentence.text))
        }
        voices: list[tuple[int, str]] = []
        for sentence in self._relevant(evidence):
            who = speaker_of(sentence.text)
            if len(voices) >= self.side_sources:
                break
            if who is None or who.lower() in heard or sentence.text in plain or not shares_topic(topic, sentence.text, lower):
                continue
            if not _names_any(names, sentence.text, passages[sentence.passage].title, governments):
                continue
            heard.add(who.lower())
            voices.append((sentence.passage, sentence.text))
        return voices

    def _denials(
        self,
        question: str,
        plain: str,
        evidence: Evidence,
        passages: list[Passage],
        names: list[list[str]],
        governments: frozenset[str] = frozenset(),
    ) -> list[tuple[int, str]]:
        """The denials, missing confirmations and doubts on the question's topic, one per article,
        best-scoring first (the whole passages are read: a denial rarely shares the question's words).

        On the topic means two of the claim's words and, when the question names anyone, its most
        specific name (`names`, from `_most_specific_name`; a capital of `governments` counts), in
        the sentence read with the one before it (a doubt refers back: "... no independent
        assessment of that assertion") or its article's title: a denial of another peace plan, by
        other people, is not the other side of this one, and in an archive about a war every article
        names the two countries ("Were the explosions at the Saki air base a Ukrainian attack?" is
        not disputed by "Ukraine denied any involvement in the car explosion").

        In the article that answers best, a denial by one of the question's parties is the other
        side whatever words it uses: its reporter put it there as the reply ("Both North Korea and
        Russia have previously denied the U.S. allegations about weapons" answers a report of a
        munitions deal, with none of its words)."""
        topic, lower = set(content_terms(question)), common_words(question)
        parties = question_entities(question)
        best_article = _best_article(evidence, passages)
        score = {(s.passage, s.text): s.score for s in evidence.sentences}
        found: dict[tuple[int, str], float] = {}
        seen: set[tuple[str, str]] = set()
        for index, passage in enumerate(passages):
            sentences = [s.text for s in split_sentences(passage.text)]
            for order, sentence in enumerate(sentences):
                key = (passage.doc_id, sentence)
                if key in seen or sentence in plain or not disputes(sentence) or looks_like_instruction(sentence):
                    continue
                seen.add(key)
                read = " ".join(sentences[max(order - 1, 0) : order + 1])  # "... no independent assessment of that assertion"
                on_topic = shares_topic(topic, read, lower) and _names_any(names, read, passage.title, governments)
                if on_topic or (passage.doc_id == best_article and _denied_by_a_party(sentence, parties, governments)):
                    found[(index, sentence)] = score.get((index, sentence), 0.0)
        ranked: list[tuple[int, str]] = []
        articles: set[str] = set()
        for index, sentence in sorted(found, key=lambda k: -found[k]):
            if passages[index].doc_id not in articles:  # one per article: its words, not its repeats
                articles.add(passages[index].doc_id)
                ranked.append((index, sentence))
        return ranked[: self.side_sources]

    def _relevant(self, evidence: Evidence) -> list[EvidenceSentence]:
        """The evidence sentences that bear on the question (by the rule every supporting sentence meets), best first."""
        return [s for s in evidence.bearing() if not s.vague]


def claim_words(question: str, weights: TermWeights) -> list[str]:
    """A yes/no question's claim in its rarest `CLAIM_WORDS` words: the question's words that are
    not names, times, numbers or intensifiers ("has X actually done Y?" asks whether X did Y)."""
    names = {t for words in question_entities(question) for t in words}
    claim = [
        t
        for t in dict.fromkeys(content_terms(question))
        if t not in names and t not in PRONOUNS and not t.isdigit() and t not in calendar_terms() and t not in ASSERTING_WORDS
    ]
    return sorted(claim, key=weights.weight, reverse=True)[:CLAIM_WORDS]


def holds_claim(sentence: str, key: list[str]) -> bool:
    """Whether a sentence holds every word of a claim's `claim_words` (true for an empty claim)."""
    terms = set(content_terms(sentence))
    return all(term_present(k, terms) for k in key)


_WORD = re.compile(r"[\w][\w'’.-]*[\w]|[\w]")


def names_one_of(sentence: str, named: str, nouns: set[str], window: int) -> bool:
    """Whether `sentence` names one of the things asked about that `named` does not: a new name within
    `window` words of one of the question's `nouns` ("Which drones ...": "Shahed “kamikaze” drones",
    "Sberbank, Russia's largest bank").

    A sentence about drones that only adds who said it or where they went ("the White House says
    Iran supplied attack drones for Russia") names no drone. Places are not the items of a question
    about other things (a "which countries" question has its own rule)."""
    new = Specifics.of(sentence).minus(named).names
    words = _WORD.findall(MARKER.sub(" ", sentence))
    at_noun = [i for i, word in enumerate(words) if any(term_present(t, nouns) for t in content_terms(word))]
    for i, word in enumerate(words):
        if word[:1].isupper() and name_key(word) in new and not is_place(word) and any(abs(i - j) <= window for j in at_noun):
            return True
    return False


def _most_specific_name(question: str, weights: TermWeights | None) -> list[list[str]]:
    """The question's rarest name in the archive, as `question_entities` gives names: all of them
    without `weights`, none when the archive holds none of them (nothing can name a name it lacks)."""
    names = question_entities(question)
    if not names or weights is None:
        return names
    known = [words for words in names if any(weights.document_frequency.get(w, 0) for w in words)]
    return [max(known, key=lambda words: max(weights.weight(w) for w in words))] if known else []


def _names_any(names: list[list[str]], sentence: str, title: str, governments: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence or its article's title names one of `names` (true when there are none; a
    capital of `governments` is named by its country and the other way round)."""
    return not names or entity_coverage(names, set(content_terms(sentence)) | set(content_terms(title)), governments) > 0


def _denied_by_a_party(sentence: str, parties: list[list[str]], governments: frozenset[str] = frozenset()) -> bool:
    """Whether one of the question's parties is named before the sentence's words of denial: who
    denies ("Tehran denied" for a question about Iran, when Iran is named as a government)."""
    opening = dispute_opening(sentence)
    return bool(parties) and opening is not None and entity_coverage(parties, set(content_terms(opening)), governments) > 0


def _best_article(evidence: Evidence, passages: list[Passage]) -> str | None:
    """The article of the best-scoring evidence sentence (the one that answers best)."""
    return passages[evidence.sentences[0].passage].doc_id if evidence.sentences and passages else None


def _asked_count(question: str) -> int:
    """How many things a question counts ("which four citizens" -> 4), 0 when it names no count."""
    match = _COUNT.search(question)
    return int(number_value(match.group(1)) or 0) if match else 0


def _mentions_in_order(sentence: str, first: list[str], second: list[str]) -> bool:
    """Whether `sentence` names `first` before it names `second` (both as stemmed name words)."""
    terms = content_terms(sentence)

    def position(words: list[str]) -> int | None:
        return next((i for i, term in enumerate(terms) if term_present(term, set(words))), None)

    a, b = position(first), position(second)
    return a is not None and b is not None and a < b


def _prospective(sentence: str) -> bool:
    """Whether a sentence tells what may or will happen rather than what happened: its first
    modal or intention word comes before any word that reports a thing done."""
    hedge = PROSPECTIVE.search(sentence)
    if hedge is None:
        return False
    done = REPORTED_DONE.search(sentence)
    return done is None or hedge.start() < done.start()


def _plain(text: str) -> str:
    """Answer text without its citation markers, for finding a quoted sentence in it."""
    return MARKER.sub("", text)


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _distinct(plain: str, added: list[tuple[int, str]], near_duplicate: float) -> list[tuple[int, str]]:
    """`added` without the sentences the answer (or an earlier added one) already says in other words:
    a model's paraphrase of a report and the report itself are one claim, told once. A denial shares
    the words of what it denies and is kept beside it, unless another denial already says it. A
    sentence that holds an earlier added one word for word and goes on stands in its place: 'Trump
    said all three sites were "totally obliterated" but an independent assessment has not yet been
    carried out' tells more than its first half, which another outlet printed alone."""
    told = [(set(content_terms(s.text)), disputes(s.text)) for s in split_sentences(plain)]
    kept: list[tuple[int, str]] = []
    for passage, sentence in added:
        terms = set(content_terms(sentence))
        denial = disputes(sentence)
        shorter = next((i for i, (_, other) in enumerate(kept) if _goes_on_from(sentence, other)), None)
        if shorter is not None:
            kept[shorter] = (passage, sentence)
            told.append((terms, denial))
            continue
        if terms and any(len(terms & other) / len(terms) > near_duplicate for other, other_denial in told if other_denial or not denial):
            continue  # most of its words are told already (a short verdict does not hide a long report; a denial says the opposite)
        told.append((terms, denial))
        kept.append((passage, sentence))
    return kept


def _goes_on_from(sentence: str, other: str) -> bool:
    """Whether `sentence` holds all of `other`'s words, in a row and in order, and more words besides."""
    words, part = WORD.findall(sentence.lower()), WORD.findall(other.lower())
    if not part or len(words) <= len(part):
        return False
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _of_another_time(passage: int, sentence: str, passages: list[Passage], frame: Timeframe | None) -> bool:
    """`of_another_time` for a sentence of passage number `passage`; a sentence whose passage is not
    given has no date, and is left alone like an undated one."""
    return frame is not None and 0 <= passage < len(passages) and of_another_time(sentence, passages[passage].published, frame)


def _joined(text: str, added: list[tuple[int, str]]) -> str:
    return " ".join([text.strip(), *(attach_markers(sentence, [passage + 1]) for passage, sentence in added)]).strip()
