"""Who says what: each answer sentence as a claim, with its speaker and the sources that dispute it.

News rarely states a contested fact plainly: "U.S. officials say Iran has sent missiles"; "Iran
denies it"; "the White House has not confirmed it". An answer that drops "U.S. officials say"
turns an allegation into a fact. So every sentence of a checked answer becomes a `Claim` with
the citation numbers it carries, `said_by` when the claim or the source sentence behind it names
a speaker, and `disputed_by`: the other cited sources whose supporting sentence denies it or
says it is unconfirmed.

The rules are a copy editor's, for any archive: attribution verbs ("said", "told", "according
to"), and the words of denial and missing confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from newsrag.index.sentences import split_sentences
from newsrag.rag.terms import PRONOUNS, SENTENCE_START, content_terms, term_present

# A capitalised word: a name, unless it only opens a sentence (`shares_topic`).
CAPITALISED_WORD = re.compile(r"\b[A-Z][\w'’-]*")

# A sentence that disputes a claim, in the words any newsroom uses for a denial, a missing
# confirmation or a doubt.
DISPUTE = re.compile(
    r"\b(den(?:y|ies|ied|ying|ial|ials)|(?:has|have|had|did|does|do|could|would|cannot|can't) not (?:yet )?(?:officially |independently )?(?:confirm|verif)\w*|"
    r"(?:hasn't|haven't|didn't|couldn't|wouldn't|can't) (?:yet )?(?:officially |independently )?(?:confirm|verif)\w*|"
    r"declined to (?:confirm|comment)|not (?:been )?(?:confirmed|verified)|unconfirmed|unverified|reject\w*|dismiss\w*|refut\w*|rebut\w*|"
    r"disput\w*|contradict\w*|baseless|unfounded|groundless|fabricat\w*|untrue|false(?:ly|hood)?|lies|nonsense|propaganda|"
    r"no (?:evidence|proof|sign|indication)|without (?:evidence|proof)|"
    # doubt: what a newsroom writes when a claim is not yet shown either way
    r"unclear (?:whether|if)|inconclusive|(?:cast|casts|casting) doubts?|(?:remains?|remained|is|are|was|were|be|been) in (?:question|doubt)|(?:call|calls|called|calling) into question|doubt(?:s|ed|ful)?|skeptic\w*|sceptic\w*|"
    r"no independent (?:\w+ )?(?:assessment|verification|confirmation|investigation)|too early to (?:say|tell|know)|"
    r"independent (?:\w+ )?(?:assessment|verification|confirmation|investigation) (?:has|have|had) not (?:yet )?been|"
    # an observer who has looked and not found it: "we haven't seen them move", "found no sign", "do not believe"
    r"(?:(?:have|has|had|did|do|does) not|(?:haven|hasn|hadn|didn|don|doesn)[’']t) (?:yet )?(?:seen|found|detected|observed|discovered|see|find|detect|observe|discover|believe)|"
    r"(?:seen|found|detected|observed|discovered) no)\b",
    re.I,
)
# "There is no doubt that ...", "beyond doubt": doubt denied, which affirms.
NO_DOUBT = re.compile(r"\b(?:no|without|beyond|little|never)\s+(?:\w+\s+)?doubts?\b", re.I)
# A question answered by yes or no.
YES_NO = re.compile(
    r"^\s*(?:[^,?]{1,60},\s*)?(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should|may|might)\b", re.I
)  # "In 2022, did ..." too
# A bare yes or no opening an answer.
BARE_VERDICT = re.compile(r"^\s*(yes|no)\b[,.!]?\s*", re.I)

_NAME = r"[A-Z][\w.’'-]*(?:\s+(?:of\s+|the\s+|al-|bin\s+)?[A-Z][\w.’'-]*){0,4}"
_GROUP = r"(?:officials?|intelligence|sources|analysts|experts|spokesperson|spokesman|spokeswoman|ministry|government|military|authorities|administration)"
# Attribution verbs; forms that are also plural nouns ("reports", "claims", "notes") are left out.
_VERB = r"(?:said|says|say|told|tells|stated|claimed|denied|denies|deny|confirmed|confirms|warned|warns|noted|added|reported|alleged|alleges|insisted|insists|acknowledged|acknowledges)"
SPEAKER_PATTERNS = (
    re.compile(rf"\baccording to (?:the |a |an )?(?P<who>(?:{_NAME}\s+)?(?:{_GROUP}|{_NAME}))"),
    re.compile(rf"(?P<who>(?:{_NAME}\s+)?{_GROUP}|{_NAME})\s+(?:have |has |had )?{_VERB}\b"),
    re.compile(rf"\b{_VERB}\s+(?P<who>{_NAME})"),
)
# Capitalised words that open sentences or name no one (days and months come before "said" too).
NOT_SPEAKERS = frozenset(
    "The A An This That It In On But And However Despite He She They We I Its Their "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August "
    "September October November December".split()
)


@dataclass
class Claim:
    """One sentence of an answer: what it says, the sources it cites, who says it, who disputes it."""

    text: str
    citations: list[int] = field(default_factory=list)
    said_by: str | None = None
    disputed_by: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Public JSON of one claim (part of the Answer JSON contract)."""
        return {"text": self.text, "citations": list(self.citations), "said_by": self.said_by, "disputed_by": list(self.disputed_by)}


def speaker_of(sentence: str) -> str | None:
    """The speaker a sentence attributes itself to ("U.S. officials", "John Kirby", "Iran"), if any."""
    for pattern in SPEAKER_PATTERNS:
        for match in pattern.finditer(sentence):
            who = match.group("who").strip(" ,.’'")
            words = who.split()
            while words and words[0] in NOT_SPEAKERS:
                words = words[1:]
            while words and words[-1] in NOT_SPEAKERS:
                words = words[:-1]
            if words and (words[0][0].isupper() or re.fullmatch(_GROUP, words[-1])):
                return " ".join(words)
    return None


# "What did IOC president Kirsty Coventry say about ...?", "How did Vladimir Putin describe ...?": the
# question asks for one speaker's words (in its sentence that asks, `the_ask`).
ASKS_WHAT_SAID = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+(?:did|does|do|has|have|had|will|would)\s+(?P<who>[^?]+?)\s+"
    r"(?:say|tell|write|claim|describe|call|warn|argue|respond|reply|announce|add)\b",
    re.I,
)


def asked_speaker(asked: str) -> str | None:
    """The name by which the question asks for one speaker's words: the last word of the last
    capitalised run of "What did <speaker> say ...?" ("Coventry" of "IOC president Kirsty Coventry",
    "Kirby"); None when the question asks no one's words or names them only by a pronoun."""
    match = ASKS_WHAT_SAID.search(asked)
    if not match:
        return None
    names = [w.removesuffix("'s").removesuffix("’s") for w in CAPITALISED_WORD.findall(match.group("who"))]
    return names[-1] if names else None


def names_word(sentence: str, name: str) -> bool:
    """Whether `sentence` writes the capitalised word `name` ("Coventry's" counts)."""
    return re.search(rf"\b{re.escape(name)}(?:['’]s)?\b", sentence) is not None


# "did not deny" is the opposite of a denial, and "refused to deny", "to be able to deny" or "could
# deny" tell of no denial made ("was quick to deny" does).
NOT_DENIED = re.compile(
    r"\b(?:(?:not|never|n't)\s+(?:\w+ly\s+)?den(?:y|ied|ying)|"
    r"(?:able|want\w*|wish\w*|try|tries|tried|trying|seek\w*|sought|refus\w*|declin\w*|order)\s+to\s+(?:\w+ly\s+)?deny|"
    r"(?:can|could|would|might|may)\s+(?:\w+ly\s+)?deny)\b",
    re.I,
)
# "Deny" in its other sense, refusing someone something ("was denied bail", "denied him entry",
# "beaten and denied medical care"): a person deprived, not a claim disputed.
DEPRIVED = re.compile(
    r"\b(?:(?:being|been|was|were|is|are|be|get|gets|got|getting)\s+(?:\w+\s+and\s+)?den(?:y|ied|ying)\s+(?!by\b|that\b)\w+|"
    r"den(?:y|ies|ied|ying)\s+(?:him|her|them|me|us|you)\b|"
    r"den(?:y|ies|ied|ying)\s+(?!\w+ing\b)(?:(?!(?:the\s+)?(?:reports?|claims?|allegations?|accusations?|charges?)\b)[\w’'-]+\s+){0,4}"
    r"(?:access|entry|bail|visas?|permission|passage|treatment|care|attention|food|water|asylum|parole|replacements?|supplies|"
    r"resources|funding|funds|rights?|opportunit(?:y|ies)|chance|services?|benefits|loans?|credit|medicines?|fuel|electricity)\b)",
    re.I,
)


# "A false flag attack" names a kind of attack, not a claim called false.
FALSE_FLAG = re.compile(r"\bfalse[- ]flag\b", re.I)


def disputes(sentence: str) -> bool:
    """Whether a sentence denies a claim, says it is unconfirmed, or doubts it ("did not deny", "was
    denied bail", "denied the country's military access", "a false flag attack" and "there is no
    doubt" do none of these)."""
    return dispute_opening(sentence) is not None


def dispute_opening(sentence: str) -> str | None:
    """The words before a sentence's first denial or doubt, who denies ("Both Oslo and Rome have
    previously" in "... denied the allegations"); None when the sentence disputes nothing."""
    text = FALSE_FLAG.sub(" ", DEPRIVED.sub(" ", NOT_DENIED.sub(" ", NO_DOUBT.sub(" ", sentence))))
    match = DISPUTE.search(text)
    return text[: match.start()] if match else None


def is_yes_no(question: str) -> bool:
    """Whether the question is answered by yes or no."""
    return bool(YES_NO.search(question))


def build_claims(text: str, highlights: dict[int, list[str]]) -> list[Claim]:
    """The claims of a checked answer (markers are final citation numbers; `highlights` maps each
    citation number to the source sentences behind it).

    A claim is disputed by citation n when one of n's sentences denies or calls unconfirmed
    something on the claim's topic, and that sentence is not what the claim itself rests on.
    """
    from newsrag.rag.citations import MARKER, markers_in

    claims: list[Claim] = []
    for sentence in (s.text for s in split_sentences(text)):
        numbers = list(dict.fromkeys(markers_in(sentence)))
        plain = MARKER.sub("", sentence).strip()
        if not plain:
            continue
        terms = set(content_terms(plain))
        support = [s for n in numbers for s in highlights.get(n, [])]
        said_by = speaker_of(plain) or next((who for s in support if (who := speaker_of(s))), None)
        disputed_by = []
        if not disputes(plain):  # a denial is not disputed by itself
            disputed_by = [
                n
                for n, sentences in sorted(highlights.items())
                if any(disputes(s) and s not in support and shares_topic(terms, s) for s in sentences)
            ]
        claims.append(Claim(plain, numbers, said_by, disputed_by))
    return claims


def shares_topic(terms: set[str], sentence: str, common: frozenset[str] | None = None) -> bool:
    """Whether a sentence is about the claim: it shares two of the claim's content words that are
    not names. Names alone ("Iran", "Russia") do not make a topic: in an archive about two
    countries every sentence names both; nor do pronouns (`PRONOUNS`): "Biden said he did not
    believe ..." is not about whatever else "he" did.

    A capitalised word is a name, except, when `common` (`common_words` of the claim) is given, a
    word capitalised only because it opens a sentence that the claim writes in lower case:
    "Speaking to CNN, Bremmer said Musk told him directly ..." speaks of speaking directly."""
    names: set[str] = set()
    for match in CAPITALISED_WORD.finditer(sentence):
        found = content_terms(match.group(0))
        grammar = common is not None and SENTENCE_START.search(sentence[: match.start()]) is not None
        if not (grammar and found and all(t in common for t in found)):
            names.update(found)
    other = set(content_terms(sentence)) - names - PRONOUNS
    return sum(1 for t in terms if t not in names and t not in PRONOUNS and term_present(t, other)) >= 2


def common_words(text: str) -> frozenset[str]:
    """The content terms of the words a claim or question writes in lower case, for `shares_topic`."""
    return frozenset(t for word in re.findall(r"\b[a-z][\w'’-]*", text) for t in content_terms(word))


def with_disputes(text: str, candidates: list[tuple[int, str]], question: str) -> str:
    """The answer (markers: 1-based passage numbers) with each relevant denial it lacks appended.

    `candidates` are (passage index, sentence) pairs of evidence that bears on the question. A
    denial or "not confirmed" on the topic of one of the answer's claims, from any passage, is
    quoted after the answer with its citation, and a bare "Yes," or "No," opening the answer is
    dropped when one exists: a disputed point is never answered with a bare yes or no.
    """
    from newsrag.rag.citations import MARKER, attach_markers

    plain = MARKER.sub("", text)
    claim_terms = set(content_terms(f"{plain} {question}"))
    common = common_words(f"{plain} {question}")
    added = [
        attach_markers(sentence, [passage + 1])
        for passage, sentence in candidates
        if disputes(sentence) and sentence not in plain and shares_topic(claim_terms, sentence, common)
    ]
    if not added and not any(disputes(s.text) for s in split_sentences(plain)):
        return text
    if is_yes_no(question):
        text = BARE_VERDICT.sub("", text, count=1)
        text = text[:1].upper() + text[1:]
    return " ".join([text.strip(), *dict.fromkeys(added)]).strip()
