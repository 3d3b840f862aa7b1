"""Check and repair the [n] citations of an answer against the passages they name.

Whatever wrote the answer (a 1.5B model, a big remote model, the extractive composer), each
sentence must be supported by the passage it cites: a sentence citing the wrong passage is
re-cited to the one that supports it, a sentence of which only a leading part is supported is cut
there (`leading_parts`), a sentence no passage supports is removed, and markers
naming no passage are dropped. Citations are then renumbered 1..m in order of appearance, so
the sources shown are exactly those cited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsrag.index.sentences import split_sentences
from newsrag.rag.claims import asked_speaker, disputes, is_yes_no, names_word
from newsrag.rag.evidence import is_question
from newsrag.rag.passage import Passage
from newsrag.rag.specifics import Specifics, about_other_dealings, additions, the_ask
from newsrag.rag.terms import PRONOUNS, TermWeights, content_terms
from newsrag.rag.timeframe import dateline_years, says_another_time
from newsrag.settings import CitationSettings

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
DEFAULT_SETTINGS = CitationSettings()  # the tuned numbers: newsrag/settings.py


@dataclass
class VerifiedAnswer:
    """An answer whose every marker names a passage that supports its sentence."""

    text: str
    cited: list[int] = field(default_factory=list)  # passage indices, in citation order (n = position + 1)
    highlights: dict[int, list[str]] = field(default_factory=dict)  # passage index -> supporting sentences
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # the answer's sentences that no passage supports, left out
    trimmed: list[str] = field(default_factory=list)  # sentences of which only a leading part was supported (as written)


def markers_in(text: str) -> list[int]:
    """Every citation number in `text`, in order."""
    return [int(n) for group in MARKER.findall(text) for n in re.split(r"[,;]", group)]


class CitationChecker:
    """Verify, repair and renumber the citations of an answer.

    >>> checker = CitationChecker(weights)  # doctest: +SKIP
    >>> checker.run("Iran sent drones [2].", passages).text  # doctest: +SKIP
    'Iran sent drones [1].'
    """

    def __init__(
        self,
        weights: TermWeights,
        encoder=None,
        corroborate: bool = False,
        settings: CitationSettings = DEFAULT_SETTINGS,
        as_of: dt.date | None = None,
    ) -> None:
        self.weights = weights
        self.as_of = as_of  # the day the question is asked: "this week" in a claim is counted back from it
        self.encoder = encoder  # optional: lets paraphrases count as supported
        self.settings = settings
        self.threshold = settings.support_threshold
        self.corroborate = corroborate  # also cite other articles that support a claim (up to `max_sources_per_claim`)

    def run(self, answer: str, passages: list[Passage], relevant: dict[int, list[str]] | None = None, question: str = "") -> VerifiedAnswer:
        """Check every sentence of `answer`; markers are 1-based passage numbers.

        `relevant` limits, per passage index, the sentences that may support a claim to those
        that bear on the question: a claim copied from an off-topic sentence of an article
        (an injected "reply only with ...") then finds no support. Default: every sentence.
        A passage supports a sentence only if it also holds the sentence's numbers, dates, names
        and quotations (rag/specifics.py); the user's own `question` may supply them too. A
        sentence that asks a question claims nothing and is dropped.
        """
        passage_sentences = [[s.text for s in split_sentences(p.text)] for p in passages]
        if relevant is not None:
            passage_sentences = [relevant.get(i, []) for i in range(len(passages))]
        held = [
            " ".join([p.title, *sentences, *dateline_years(" ".join(sentences), p.published)])
            for p, sentences in zip(passages, passage_sentences)
        ]
        passage_terms = [set(content_terms(text)) if sentences else set() for text, sentences in zip(held, passage_sentences)]
        dates = [p.published for p in passages]
        kept: list[tuple[str, list[int]]] = []
        said: dict[str, int] = {}  # each claim as words -> its place in `kept`
        notes: list[str] = []
        removed: list[str] = []
        trimmed: list[str] = []
        for sentence in answer_sentences(answer):
            claim = re.sub(r"\s+([\"'”’)]+)$", r"\1", MARKER.sub("", sentence).strip())  # 'warfare. "' -> 'warfare."'
            terms = content_terms(claim)
            cited = [n - 1 for n in markers_in(sentence)]
            valid = [i for i in dict.fromkeys(cited) if 0 <= i < len(passages)]
            if len(valid) < len(set(cited)):
                notes.append("dropped a marker naming no passage")
            if is_question(claim):  # a question read back (a model echoing the user) claims nothing
                notes.append(f"dropped a question from the answer: {claim[:80]}")
                continue
            if not terms:
                if claim and not valid:
                    kept.append((claim, []))  # a connective phrase with no claim to check
                continue
            support = self._checked_support(claim, terms, held, passage_terms, passage_sentences, question, dates, valid, notes)
            if not any(support):  # the sentence as written is unsupported: keep its longest leading part that a passage holds
                for part in leading_parts(claim):
                    part_terms = content_terms(part)
                    part_support = self._checked_support(part, part_terms, held, passage_terms, passage_sentences, question, dates)
                    if any(part_support):
                        notes.append(f"cut an unsupported part of a sentence: {claim[len(part) - 1 :][:80]}")
                        trimmed.append(claim)
                        claim, terms, support = part, part_terms, part_support
                        break
            supported = [i for i in valid if support[i]]
            if not supported:
                best = next(
                    (i for i in sorted(range(len(passages)), key=lambda i: -self.weights.coverage(terms, passage_terms[i])) if support[i]),
                    None,
                )
                if best is None:
                    notes.append(f"removed an unsupported sentence: {claim[:80]}")
                    removed.append(claim)
                    continue
                if valid:
                    notes.append(f"re-cited a sentence from [{valid[0] + 1}] to [{best + 1}]")
                supported = [best]
            if self.corroborate:
                seen_docs = {passages[i].doc_id for i in supported}
                for i in range(len(passages)):
                    if len(supported) >= self.settings.max_sources_per_claim:
                        break
                    if (
                        support[i]
                        and passage_sentences[i]
                        and passages[i].doc_id not in seen_docs
                        and corroborates(claim, f"{held[i]} {passages[i].published[:4]}")
                    ):
                        supported.append(i)
                        seen_docs.add(passages[i].doc_id)
            words = " ".join(terms)
            if words in said:  # an answer never says the same thing twice: the repeat's sources join the first
                place = said[words]
                kept[place] = (kept[place][0], list(dict.fromkeys([*kept[place][1], *supported])))
                notes.append(f"merged a repeated sentence: {claim[:80]}")
                continue
            said[words] = len(kept)
            kept.append((claim, supported))
        kept = _without_restatements(kept, question, notes)
        kept = _without_other_dealings(kept, question, notes)
        kept = _without_other_speakers(kept, question, passages, notes)
        verified = self._renumber(kept, passage_sentences, notes)
        verified.removed, verified.trimmed = removed, trimmed
        return verified

    def answers(self, question: str, quoted: VerifiedAnswer) -> bool:
        """Whether quoted sentences cover the question as a source must cover a claim (`threshold`
        of its IDF-weighted words, words the collection never uses counting in full).

        Why: when a model's answer fails the check, quoting the best sentences instead is right only
        if they hold what was asked; "What is the population of Tehran?" must not be answered by
        quoting sentences about Tehran that never mention a population. A denial or doubt quoted
        beside them is the other side of an answer, not the answer: "What weapons has Iran supplied
        to China?" is not answered by "officials do not believe China has provided Moscow with
        weapons" beside a sentence on Iran's drones.
        """
        terms = content_terms(question)
        present = set().union(*(content_terms(s) for sentences in quoted.highlights.values() for s in sentences if not disputes(s)))
        return bool(quoted.cited) and self.weights.coverage(terms, present) >= self.threshold

    def _checked_support(
        self,
        claim: str,
        terms: list[str],
        held: list[str],
        passage_terms: list[set[str]],
        passage_sentences: list[list[str]],
        question: str,
        dates: Sequence[str],
        valid: Sequence[int] = (),
        notes: list[str] | None = None,
    ) -> list[bool]:
        """Whether each passage supports the claim: its words (`_support`) and all its specifics, in
        `held` (per passage: its title, the sentences that may support a claim, and the years that
        "this year" or "last year" name from its date). A cited passage that lacks a specific is
        noted (in `notes`, when given).

        The question's own specifics need not be in the passage ("In October 2022, Zelensky said
        ..." cited to an article dated then). But a claim that names someone or something the
        question does not (its answer) finds the question's figures in the passage too: "The
        Ukrainian Air Force claimed that Russia had ordered 2,400 drones", cited to an article
        without "2,400", puts the question's words in a new speaker's mouth.

        Time words are the exception: a claim's "this week" or "yesterday" that the passage does not
        hold must be true of the passage's date (`dates`, counted back from `as_of`), whatever the
        question says (`says_another_time`).
        """
        support = self._support(claim, terms, passage_terms, passage_sentences)
        specifics = Specifics.of(claim)
        figures_allowed = not specifics.minus(question).names
        for i in [i for i, ok in enumerate(support) if ok]:
            missing = specifics.missing_from(held[i], question, figures_allowed)
            if missing:
                support[i] = False
                if i in valid and notes is not None:
                    notes.append(f"[{i + 1}] does not hold {', '.join(missing[:4])} of: {claim[:80]}")
            elif self.as_of is not None and says_another_time(claim, held[i], dates[i], self.as_of):
                support[i] = False
                if i in valid and notes is not None:
                    notes.append(f"[{i + 1}] was published outside the time the sentence names: {claim[:80]}")
        return support

    def _support(self, claim: str, terms: list[str], passage_terms: list[set[str]], passage_sentences: list[list[str]]) -> list[bool]:
        """Whether each passage supports the claim: enough of its words, or a paraphrase of one of its sentences."""
        coverage = [self.weights.coverage(terms, present) for present in passage_terms]
        supported = [c >= self.threshold for c in coverage]
        candidates = [
            i for i, c in enumerate(coverage) if not supported[i] and c >= self.settings.paraphrase_coverage and passage_sentences[i]
        ]
        if self.encoder is None or not candidates:
            return supported
        texts = [s for i in candidates for s in passage_sentences[i]]
        vectors = self.encoder.encode([claim, *texts], batch_size=64)
        similarities = iter(vectors[1:] @ vectors[0])
        for i in candidates:
            best = max(float(next(similarities)) for _ in passage_sentences[i])
            supported[i] = best >= self.settings.paraphrase_similarity
        return supported

    def _renumber(self, kept: list[tuple[str, list[int]]], passage_sentences: list[list[str]], notes: list[str]) -> VerifiedAnswer:
        order: list[int] = []
        highlights: dict[int, list[str]] = {}
        parts: list[str] = []
        for claim, passages in kept:
            numbers = []
            for index in passages:
                if index not in order:
                    order.append(index)
                numbers.append(order.index(index) + 1)
                best = self._supporting_sentence(claim, passage_sentences[index])
                if best and best not in highlights.setdefault(index, []):
                    highlights[index].append(best)
            parts.append(attach_markers(claim, numbers))
        return VerifiedAnswer(text=" ".join(parts).strip(), cited=order, highlights=highlights, notes=notes)

    def _supporting_sentence(self, claim: str, sentences: list[str]) -> str | None:
        terms = content_terms(claim)
        if not sentences or not terms:
            return None
        best = max(sentences, key=lambda s: self.weights.coverage(terms, set(content_terms(s))))
        return best if self.weights.coverage(terms, set(content_terms(best))) > 0 else None


def corroborates(claim: str, held: str) -> bool:
    """Whether another article holds every specific of a claim in its own words, dateline included.

    Why: the first source a claim cites is the one it rests on, and the user's own words may
    supply its setting ("In 2023, who won ...?" answered from a story dated then). A second source
    is cited to say the same thing again, so it must say all of it: "Narges Mohammadi won the 2023
    Nobel Peace Prize [1][2]" cannot cite, as [2], a story of 2022 on her earlier awards. Its
    dateline counts (a story of 2023 holds "in 2023"); the question does not. `held`: the article's
    title, its sentences that may support a claim, and the years of its dateline.
    """
    return not Specifics.of(claim).missing_from(held)


# "According to [1], X", "X, as stated in [2]", "according to sources and [1]": a model pointing at
# a source in words. Left in, stripping the marker leaves "According to, X" (a broken sentence).
SOURCE_PHRASE = re.compile(
    r",?\s*\b(?:as (?:stated|reported|mentioned|noted|said|shown) (?:in|by)|according to(?: the)?(?: sources?| articles?| reports?)?(?: and)?|"
    r"(?:is |are |was |were )?(?:stated|reported|mentioned) (?:in|by))\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+),?\s*",
    re.I,
)
EMPTY_ATTRIBUTION = re.compile(
    r"\b[Aa]ccording to\s*,\s*|,?\s*\baccording to(?: the)? sources?(?= *[.!?]|$)|^\s*according to the (?:sources|articles|passages)\s*,\s*",
    re.I,
)
# "The sources [1], [2] and [3] all mention ...", "the information provided in sources [1] and [2]": the
# model pointing at the numbered sources as the subject or object of its sentence. The reader never
# sees "the sources"; a copy editor keeps what they are said to report and strikes the pointer.
# Not "reports [1]": "Iran denied reports [1] that it sent drones" is news, not a pointer.
SOURCES_POINTED = re.compile(r"\b(?:sources?|articles?|passages?)\s*(?=\[\d)", re.I)
# What the sentence says they report: a that-clause, or the clause after "say / state / report".
REPORTED_CLAUSE = re.compile(
    r"\b(?:(?:state|say|report|show|confirm|note|indicate|suggest|mention|reveal)s?\s+that|(?:state|say|report)s?(?!\s+that))\s+(?P<said>.+)$",
    re.I,
)


def _without_restatements(kept: list[tuple[str, list[int]]], question: str, notes: list[str]) -> list[tuple[str, list[int]]]:
    """The checked sentences without those that only say what the question said, when another
    sentence adds to it ("NASA is scheduled to launch a historic mission this month [1]. It is
    called Artemis I [1]." keeps the second). A reader asked for what they did not know; their own
    words read back, cited to three articles, only push the answer down. A yes/no question is
    answered by restating its claim with a source, so its answers are left whole."""
    asked = split_sentences(question)
    if not asked or is_yes_no(asked[-1].text):
        return kept
    claims = [bool(content_terms(claim)) for claim, _ in kept]  # connective phrases are no claims
    restates = [is_claim and not additions(question, claim) for is_claim, (claim, _) in zip(claims, kept)]
    if not any(is_claim and not restating for is_claim, restating in zip(claims, restates)):
        return kept  # nothing adds to the question: the caller decides whether that answers it
    for restating, (claim, _) in zip(restates, kept):
        if restating:
            notes.append(f"dropped a sentence that only restates the question: {claim[:80]}")
    return [item for restating, item in zip(restates, kept) if not restating]


def _without_other_speakers(
    kept: list[tuple[str, list[int]]], question: str, passages: list[Passage], notes: list[str]
) -> list[tuple[str, list[int]]]:
    """Asked what someone said, the checked sentences without another article's sentences that do
    not name them: "The IOC reportedly banned Heraskevych from wearing the helmet [2]" from an
    earlier story is no answer to "What did IOC president Kirsty Coventry say ...?". The speaker's
    own articles stay whole (their context), and so does a sentence that refers to the speaker by
    a pronoun ("She added ..."). Left alone when no sentence names the speaker."""
    speaker = asked_speaker(the_ask(question))
    if speaker is None:
        return kept
    theirs = {passages[i].doc_id for claim, cited in kept if names_word(claim, speaker) for i in cited}
    if not theirs:
        return kept
    out = []
    for claim, cited in kept:
        words = claim.split()
        other_article = bool(cited) and all(passages[i].doc_id not in theirs for i in cited)
        by_pronoun = bool(words) and words[0].lower() in PRONOUNS
        if other_article and not names_word(claim, speaker) and not by_pronoun:
            notes.append(f"dropped another article's sentence that is not what {speaker} said: {claim[:80]}")
            continue
        out.append((claim, cited))
    return out


def _without_other_dealings(kept: list[tuple[str, list[int]]], question: str, notes: list[str]) -> list[tuple[str, list[int]]]:
    """The checked sentences without those about dealings other than the ones asked about
    (`about_other_dealings`): a true sentence about Iran's drones for Russia is no answer to what
    Iran supplied China, and left in, it reads as one."""
    if not question:
        return kept
    out = []
    for claim, cited in kept:
        if about_other_dealings(question, claim):
            notes.append(f"dropped a sentence about other dealings than those asked about: {claim[:80]}")
            continue
        out.append((claim, cited))
    return out


def markers_to_sentence_end(text: str) -> str:
    """Move a source named in words ("According to [1], ...") to a marker at the sentence's end;
    a sentence about the numbered sources keeps only what it says they report."""
    out = []
    for sentence in split_sentences(text):
        pointer = SOURCES_POINTED.search(sentence.text)
        if pointer:  # "Sources [1] and [2] both state that X" says X; "This is supported by sources [1] and [2]" says nothing
            reported = REPORTED_CLAUSE.search(MARKER.sub("", sentence.text[pointer.end() :]))
            clause = reported.group("said").strip() if reported else ""
            if clause:
                out.append(attach_markers(clause[:1].upper() + clause[1:], markers_in(sentence.text)))
            continue
        found = [n for m in SOURCE_PHRASE.finditer(sentence.text) for n in markers_in(m.group(1))]
        plain = EMPTY_ATTRIBUTION.sub("", SOURCE_PHRASE.sub(" ", sentence.text)).strip()
        if not found and plain == sentence.text.strip():
            out.append(sentence.text)
            continue
        plain = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s{2,}", " ", plain)).lstrip(" ,")
        plain = plain[:1].upper() + plain[1:]
        existing = markers_in(plain)
        plain = MARKER.sub("", plain).strip()
        out.append(attach_markers(plain, [*existing, *found]) if plain else "")
    return " ".join(s for s in out if s)


def attach_markers(claim: str, numbers: list[int]) -> str:
    """Put markers before the sentence's final punctuation: 'Iran sent drones [1][2].'

    A sentence that ends inside a quotation or bracket keeps its marker outside it, with the final
    punctuation after the marker ('... a "significant escalation" [1].'): inside, it would read as
    part of what was quoted. A quoted question or exclamation keeps its mark inside. A sentence
    without final punctuation (a source sentence cut at a paragraph break, "... from Pyongyang,")
    is closed with a period, so that the next sentence of the answer stays its own."""
    if not numbers:
        return claim
    markers = "".join(f"[{n}]" for n in sorted(set(numbers)))
    match = re.search(r"([.!?]+)([\"'”’)]*)$", claim)
    if match and match.group(2) and set(match.group(1)) & set("?!"):
        return f"{claim} {markers}."  # a quoted question or exclamation keeps its mark: '... "Why now?" [1].'
    if match:
        return f"{claim[: match.start()]}{match.group(2)} {markers}{match.group(1)}"
    return f"{claim.rstrip(' ,;:—–-')} {markers}."


# Where a sentence may be cut so that what comes before still stands as a sentence: a comma,
# semicolon, dash or bracket, followed by what adds to a clause rather than completes it (an
# aside, an "including ..." or "as well as ...", a participle, a relative or a new clause).
CLAUSE_BREAK = re.compile(
    r"\s*\(|\s*(?:[,;]|\s[—–-]{1,2})\s*(?=(?:including|as well as|and|but|while|which|who|whom|whose|where|with|without|"
    r"after|before|according to|amid|following|although|though|even as|as|\w{3,}ing)\b)",
    re.I,
)
DASH = re.compile(r"\s[—–-]{1,2}\s")
# A sentence opening with a subordinate clause: its first part is not a statement of its own
# ("Although X said Y, ..." cut after "Y" would assert Y).
SUBORDINATE_OPENING = re.compile(
    r"^\W*(?:although|though|while|whereas|if|unless|when|whenever|because|since|after|before|as|despite|even|once|until|"
    r"whether|so that|in case|rather than|instead of|not only)\b",
    re.I,
)
MIN_PART_TERMS = 3  # a part shorter than this says too little to stand for the sentence (an editorial floor)
# What marks a part as a clause rather than a noun phrase ("The International Testing Agency" cut
# before "(ITA) accused ..."): an auxiliary or modal, a past form (regular, or one of the common
# irregular ones), or a present form right after a name ("Iran denies", "Succession leads").
AUXILIARY = re.compile(r"\b(?:is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|shall|should|can|could|may|might|must)\b")
PAST_FORM = re.compile(
    r"\b(?:[a-z]{2,}ed|said|told|made|won|lost|sent|took|gave|got|led|met|held|left|went|came|saw|began|became|brought|"
    r"thought|found|paid|sold|kept|ran|set|put|hit|cut|let|fell|rose|struck|knew|grew|drew|wrote|spoke|chose|broke|flew|"
    r"threw|drove|fought|caught|bought|built|spent|stood|meant|felt|heard|shot|fled|sought|beat|bore|swore|wore|stole|"
    r"shut|quit|split|spread|bid|hurt|upheld|withdrew|overtook|undertook|forbade|forgave|overthrew|oversaw)\b"
)
PRESENT_AFTER_NAME = re.compile(r"\b[A-Z][\w'’.-]*\s+[a-z]{2,}s\b")


def reads_as_clause(part: str) -> bool:
    """Whether a part of a sentence has a verb, so that cut there it still states something."""
    return bool(AUXILIARY.search(part) or PAST_FORM.search(part) or PRESENT_AFTER_NAME.search(part))


def leading_parts(claim: str) -> list[str]:
    """The claim's leading parts that end at a clause break, longest first, each closed with a period.

    Why: a small model often gets a sentence right and then adds a clause the sources do not hold
    ("..., as well as nominations for X and Y"). A copy editor cuts the clause rather than the
    sentence. A cut falls only where the rest adds to a clause ("including", "which", "and", a
    participle), never inside brackets, quotes or a dashed aside, and never after a subordinate
    opening ("Although ..."), whose first part asserts what it concedes; a part must hold
    `MIN_PART_TERMS` content words and a verb (`reads_as_clause`): cut before its verb, a sentence
    leaves a noun phrase.
    """
    if SUBORDINATE_OPENING.match(claim):
        return []
    body = claim.rstrip().rstrip(".!?\"'”’)")
    parts = []
    for match in CLAUSE_BREAK.finditer(body):
        part = body[: match.start()].rstrip()
        inside = part.count("(") > part.count(")") or part.count('"') % 2 or part.count("“") > part.count("”")
        if inside or len(DASH.findall(part)) % 2:
            continue
        if len(content_terms(part)) >= MIN_PART_TERMS and reads_as_clause(part):
            parts.append(part + ".")
    return parts[::-1]


def answer_sentences(answer: str) -> list[str]:
    """Sentences of an answer, with a marker that trails a period kept on its sentence."""
    sentences: list[str] = []
    for sentence in split_sentences(answer):
        text = sentence.text
        if sentences and not re.search(r"\w", MARKER.sub("", text)):
            sentences[-1] += " " + text  # "... bombs. [1]" or a stray closing quote: part of the previous sentence
        elif text.lstrip().startswith(("-", "*", "•")):
            sentences.append(text.lstrip("-*• ").strip())
        else:
            sentences.append(text)
    return sentences
