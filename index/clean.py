"""Boilerplate out, article body whole, metadata found: scraped page text to clean prose.

Scraped news text carries the page around the article: breadcrumbs, date and view-counter
lines, membership prompts, related-headline lists, author bios, payment logos. The cleaner
works on lines, in three passes:

1. classify every line (prose, short, breadcrumb, counter, prompt, section heading, ...);
2. find the article: it starts at the first prose line that is neither a prompt nor a photo
   caption (everything above is the page header, read for title, byline and date, then
   dropped), and ends at a page-level section heading ("Related Topics", "News Feed", ...)
   met after the body began, when less prose follows the heading than precedes it;
3. inside the article, drop the lines whose class is boilerplate and the link lists under
   in-article headings ("Related", "Read more"), then trim the tail after the last body
   paragraph (name lines, job titles, an author bio).

It errs towards keeping text: short lines inside the body stay (they are often subheadings or
speaker labels); the only rules that can remove a long line of prose are the header (above
the first paragraph), prompts (a call to action plus a second one or a direct address to the
reader, and never a line reporting speech), section ends (only after the body began, only
before less prose than the body had) and the author bio (only at the tail, only about an
author the page names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from newsrag.index.documents import Document
from newsrag.index.metadata import NAME_PARTICLES, find_date, headline_from_url, looks_like_person_name, split_authors

# --- line classes -------------------------------------------------------------------------
BLANK = "blank"
PROSE = "prose"  # a sentence or a paragraph (also when bulleted)
SHORT = "short"  # anything else: headings, labels, headlines, names
LIST_ITEM = "list-item"  # a bulleted line that is not prose: a headline in a link list
BREADCRUMB = "breadcrumb"
NAV = "nav"
COUNTER = "counter"
DATE_LABEL = "date-label"
BYLINE = "byline"
TIMESTAMP = "timestamp"
WIDGET = "widget"
LINKS = "links"  # social-network and payment-logo lines
RULE = "rule"  # separator lines: "_____", "***"
PROMPT = "prompt"
STAMPED = "stamped-headline"
END_SECTION = "end-section"
SIDE_SECTION = "side-section"

# Classes that never belong to the body, wherever they are.
BOILERPLATE = frozenset({BREADCRUMB, NAV, COUNTER, DATE_LABEL, BYLINE, TIMESTAMP, WIDGET, LINKS, RULE, PROMPT, STAMPED})

# --- shapes of lines ----------------------------------------------------------------------
# Characters that may close a sentence after its final mark: quotes and brackets.
CLOSERS = "\"'”’»)]"
# Marks that end a sentence (a colon ends a lead-in to a quote or list).
SENTENCE_MARKS = ".!?…:"
# Words in a line for it to count as prose even without a final mark.
PROSE_MIN_WORDS = 20
# Words in a line ending with a full stop for it to count as prose ("Yes." is not a paragraph).
SENTENCE_MIN_WORDS = 4
# Words a standalone headline may have.
TITLE_WORDS = (4, 30)
# Words in a paragraph that counts towards "how much article is there" around a section heading.
PARAGRAPH_MIN_WORDS = 15
# Most lines after the last paragraph that can be a page footer (names, job titles); a longer
# tail is article content (a list of nominees, a ranking) and stays.
TAIL_MAX_LINES = 6
# Share of capitalised words that makes a line Title Case (headings, names, job titles).
TITLE_CASE_SHARE = 0.6
# Unicode spaces and zero-width characters that scrapers leave in text.
ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]+")
ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")

# Bullets that start list items (related-headline lists use them, and so do fact lists).
BULLET = re.compile(r"^[-•*·▪►–—]\s+(?=\S)")
# Separator lines: "_____", "***", "======".
RULE_PATTERN = re.compile(r"^[\W_]{3,}$")
# Breadcrumb trails: "Current:Home > Invest...", "Home › World › Europe", "You are here: Home / News".
BREADCRUMB_PATTERN = re.compile(r"^(?:current|you are here)?\s*:?\s*home\s*[>›»/|]|(?:\S\s*[>›»]\s*){2,}", re.IGNORECASE)
# Navigation and editing chrome that scrapers keep: skip links, menus, CMS buttons.
NAV_PATTERN = re.compile(
    r"^(?:skip to (?:main )?content|skip navigation|edit post|edit|menu|main menu|search|home|log ?in|"
    r"sign ?in|sign ?up|log ?out|subscribe|close|back to top|toggle navigation|open menu|next article|"
    r"previous article|go to (?:top|homepage))$",
    re.IGNORECASE,
)
# Reaction and view counters: "veryGood! (726)", "• 21478 переглядів", "1.2K views", "12 comments".
COUNTER_PATTERN = re.compile(r"^[^\W\d_][\w' !]{0,24}\s*\(\d[\d,.]*[kKmM]?\)$|^[•·|*\-–\s]*\d[\d\s,.]*[kKmM]?\s*(?P<unit>[^\W\d_]{0,20})$")
# Date and update labels: "Date:2025-04-25 15:06:17", "Updated:", "Published 9:37 PM EST, Nov 21, 2023".
DATE_LABEL_PATTERN = re.compile(
    r"^(?:date|published|posted|updated|last updated|modified|first published)(?:\s+on)?\s*(?P<colon>:?)\s*"
    r"(?P<value>.{0,60})$",
    re.IGNORECASE,
)
# Something date- or time-like, for the value of a date label.
DATE_OR_TIME = re.compile(r"\d{1,4}[-/.:]\d{1,2}|\b(?:19|20)\d\d\b|\b(?:ago|today|yesterday)\b", re.IGNORECASE)
# Bylines: "by Martin Fornusek November 21, 2023 9:37 PM 1 min read", "By Jane Doe and John Roe, CNN".
BYLINE_PATTERN = re.compile(r"^[Bb][Yy]:?\s+(?P<names>[A-Z].*)$")
# Separators between the authors of a byline.
BYLINE_SEPARATORS = re.compile(r"\s*(?:,|;|\||\band\b|&)\s*")
# Month names, where a byline's names stop and its date begins.
MONTH_WORDS = frozenset(
    "jan january feb february mar march apr april may jun june jul july aug august sep sept september "
    "oct october nov november dec december".split()
)
# Clock times standing alone: media-player positions ("0:00") and feed stamps ("3:44 PM").
TIMESTAMP_PATTERN = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,4})?$")
# Page widgets: reading time, audio players, share and print buttons, photo labels.
WIDGET_PATTERN = re.compile(
    r"^(?:listen(?: to this (?:article|story))?|this (?:audio|article|summary) (?:is|was) (?:created|generated|produced) with ai(?: assistance)?"
    r"|\d+\s*min(?:ute)?s?\s*read|print|share|share this(?: article| story)?|email|save|copy link|view|view comments|"
    r"show (?:more|less)|read more|expand|collapse|advertisement|ad|sponsored|loading\W*|watch|play video|"
    r"(?:photo|image|video)s?|getty images|file photo)$",
    re.IGNORECASE,
)
# Words of a social-network or payment-logo line ("twitter", "visa masterCard americanExpress").
LINK_WORDS = frozenset(
    """
    twitter x facebook linkedin telegram whatsapp instagram youtube tiktok reddit threads bluesky
    mastodon flipboard pinterest email e-mail print share copy link rss
    visa mastercard americanexpress amex paypal applepay googlepay apple google pay discover maestro
    """.split()
)
# A headline closed by a date-time stamp, as related-news lists print them: "... Су-35 - ISW07.09.24, 09:59".
STAMPED_PATTERN = re.compile(r"(?<![.!?])\s*(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}),?\s*\d{1,2}:\d{2}(?:\s*[AaPp][Mm])?$")


def _headings(text: str) -> frozenset[str]:
    """A set of section headings from a "|"-separated block."""
    return frozenset(heading.strip() for heading in text.replace("\n", " ").split("|") if heading.strip())


# Page-level sections that follow the article: once the body has begun, they end it (unless
# more prose follows them than the body had before them).
END_SECTIONS = _headings(
    """
    related topics|topics|tags|news feed|ranking|rankings|recommendation|recommendations|editors' picks|
    editor's picks|editors picks|most read|most popular|most viewed|most shared|trending|trending now|
    news by theme|more news|latest news|comments|leave a comment|join the conversation|around the web|
    sponsored content|sponsored stories|recommended for you|you may also like|you might also like|
    follow us|more from this author|about the author
    """
)
# Link boxes that also sit inside articles and newsletters: they drop the link list under
# them, and end the article only when no paragraph of prose follows.
SIDE_SECTIONS = _headings(
    """
    related|related articles|related stories|related coverage|related content|related news|read more|
    read also|also read|see also|more|recommended|further reading|more coverage|don't miss|up next|
    read next|what to read next|in other news|top stories|latest|popular|more stories|more on this story|
    other news
    """
)

# --- prompts ------------------------------------------------------------------------------
# Calls to action in the imperative, at the start of a line or sentence: "Sign up here",
# "Become a member", "Consider gifting a membership", "Help us get 1,000 new members!".
CTA_IMPERATIVE = re.compile(
    r"(?:^|[.!?][\"”’)]?\s+|[(►•]\s*)(?:sign up|subscribe|become a (?:member|subscriber|supporter|patron|donor)|"
    r"gift (?:a )?membership|donate|join (?:us|our|now|today)|support (?:us|our|independent)|help us|"
    r"consider (?:gifting|supporting|donating|subscribing|becoming)|enter your e-?mail|download (?:our|the) app|"
    r"follow us|register (?:now|today|here|for free)|log in|sign in|get (?:unlimited|full) access|"
    r"start your (?:free )?trial|click here)\b"
)
# Calls to action recognisable anywhere in a line: newsletter, membership and donation phrases.
CTA_PHRASE = re.compile(
    r"\b(?:sign(?:ing)? up (?:here|now|today|right here|for (?:our|the|this) [\w'’ ]{0,30}newsletter)|"
    r"subscribe (?:now|today|here)|become a (?:member|subscriber|supporter) (?:now|today)|"
    r"gift(?:ing)? (?:a )?membership|enter your e-?mail|(?:support|fund) (?:our|independent) "
    r"(?:journalism|reporting|mission|work|newsroom)|help fund our|donate (?:now|today|here)|"
    r"makes? a (?:financial )?(?:donation|contribution)|delivered (?:right )?to your inbox|"
    r"(?:our|this|the) [\w'’ ]{0,30}newsletter|spread the word|already a (?:member|subscriber)|"
    r"not a subscriber|funded by (?:our )?readers|indicates required|enter (?:a )?(?:correct|valid) e-?mail|"
    r"successful+y subscribed|thank you for (?:signing up|subscribing))\b"
)
# Cheap pre-check: a line without any of these words cannot hold a call to action.
CTA_HINTS = re.compile(
    "sign|subscri|member|donat|newsletter|inbox|mail|help|support|fund|gift|consider|follow|download|"
    "register|join|contribut|spread|trial|access|required|log in|click"
)
# Address to the reader, or the outlet speaking of its own readers and work: with a call to
# action it makes a prompt; alone, between two prompts, it is part of the same appeal.
READER_ADDRESS = re.compile(
    r"\b(?:you|your|you're|yours|readers?|members?|membership|supporters?|subscribers?|subscription|inbox|e-?mail)\b"
)
# Direct address only ("you", "our journalism"): what a long line with one call to action needs.
DIRECT_ADDRESS = re.compile(
    r"\b(?:you|your|you're|yours|readers like you|our (?:community|readers|supporters|members|subscribers|"
    r"journalism|reporting|mission|newsroom|work|team))\b"
)
# Reported speech: a line attributing words to someone is news, never a page prompt.
ATTRIBUTION = re.compile(r"\b(?:said|says|told|according to|stated|wrote|added|asked)\b")

# --- captions, bios, outlets --------------------------------------------------------------
# Photo credits that close a caption: "(REUTERS/Alexei Druzhinin/...}", "(Al Drago/Bloomberg via Getty Images)".
CAPTION_CREDIT = re.compile(
    r"[(\[][^()\[\]]*(?:/|\bphoto\b|getty|reuters|\bap\b|afp|images|\bfile\b|\bvia\b|courtesy|credit)[^()\[\]]*[)}\]]\s*$",
    re.IGNORECASE,
)
# Author bio: "<Name> is a national security correspondent for The Epoch Times ..."
BIO_PATTERN = re.compile(
    r"^(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){1,3})\s+(?:is|was|has been|covers|writes)\b.{0,160}?"
    r"\b(?:correspondent|reporter|journalist|editor|writer|columnist|contributor|producer|analyst|author|fellow)\b"
)
# The outlet named in a bio: "correspondent for The Epoch Times".
BIO_OUTLET = re.compile(
    r"\b(?:correspondent|reporter|journalist|editor|writer|columnist|contributor|producer)\s+(?:for|at|with)\s+"
    r"(?P<outlet>(?:[Tt]he\s+)?[A-Z][\w'’.&-]*(?:\s+[A-Z][\w'’.&-]*){0,4})"
)
# Datelines naming the agency: "WASHINGTON (AP) —", "KYIV, Ukraine (Reuters) -", "(CNN) The ...", "New York CNN —".
DATELINE_PATTERNS = [
    re.compile(r"^[A-Z][A-Za-z .,'’-]{1,40}?\s*\((?P<outlet>[A-Z][A-Za-z .&-]{0,24})\)\s*[—–-]"),
    re.compile(r"^\((?P<outlet>[A-Z][A-Za-z .&-]{1,24})\)\s*[—–-]?\s*[A-Z“\"]"),
    re.compile(r"^(?:[A-Z][a-z]+[ ,]+){1,4}(?P<outlet>[A-Z]{2,8}(?: [A-Z][a-z]+)?)\s*[—–]"),
]
# An outlet quoting itself at the end of a lede: "..., the Russian service of Radio Liberty reports, UNN writes."
WRITES_PATTERN = re.compile(r",\s+(?P<outlet>[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,3}) writes\.?[\"'”’]?$")


@dataclass
class Line:
    """One line of the text, normalised, with its class; `bullet` marks list items."""

    text: str
    kind: str
    bullet: bool = False

    @property
    def words(self) -> int:
        """Number of words in the line."""
        return len(self.text.split())


@dataclass
class CleanResult:
    """The article body and the metadata found in the page text.

    `dropped` lists (reason, line) for every non-blank line removed, for tests and debugging.
    """

    text: str
    title: str = ""
    source: str = ""
    published: str = ""
    authors: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


# --- classification -----------------------------------------------------------------------
def normalise_line(line: str) -> str:
    """A line with odd spaces turned into plain ones and zero-width characters removed."""
    if line.isascii():
        return " ".join(line.split())
    return " ".join(ZERO_WIDTH.sub("", ODD_SPACES.sub(" ", line)).split())


def ends_sentence(line: str) -> bool:
    """Whether a line ends with sentence punctuation, possibly inside quotes or brackets."""
    stripped = line.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_MARKS


def is_prose(line: str) -> bool:
    """Whether a line reads as a sentence or paragraph rather than a label or headline."""
    words = len(line.split())
    return words >= PROSE_MIN_WORDS or (words >= SENTENCE_MIN_WORDS and ends_sentence(line))


def is_prompt(line: str) -> bool:
    """Whether a line asks the reader to subscribe, donate, join or sign up.

    Needs a call to action; a line of more than ten words also needs a second call to action or
    a direct address to the reader ("you", "our journalism"); a line reporting someone's words
    ("... she said") never counts. So "Finland became one of NATO's new members", "users can
    sign up for the cheaper plan" and quoted pleas for help stay in the body.
    """
    low = line.lower().replace("’", "'")
    if not CTA_HINTS.search(low) or ATTRIBUTION.search(low):
        return False
    actions = {match.strip(' .!?"”’)(►•') for match in CTA_IMPERATIVE.findall(low) + CTA_PHRASE.findall(low)}
    if not actions:
        return False
    if len(line.split()) <= 10 or len(actions) >= 2:
        return True
    return bool(DIRECT_ADDRESS.search(low))


def is_caption(line: str) -> bool:
    """Whether a prose line is a photo caption (it closes on a photo credit).

    The credit holds no bracket and closes the line, so only the line's last "(" or "[" can open
    it: matching from there alone keeps this linear (searching from every bracket took time
    quadratic in the line's length, minutes for a long line full of "/" before "))").
    """
    stripped = line.rstrip()
    if stripped[-1:] not in ")}]":
        return False
    opener = max(stripped.rfind("("), stripped.rfind("["))
    if opener < 0 or ")" in stripped[opener + 1 : -1] or "]" in stripped[opener + 1 : -1]:
        return False
    return bool(CAPTION_CREDIT.match(line, opener))


def is_title_case(line: str) -> bool:
    """Whether most words of a line start with a capital (headings, names, job titles)."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", line) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= TITLE_CASE_SHARE


def _heading_key(line: str) -> str:
    """A line as a section-heading key: lower case, straight quotes, no final colon."""
    return line.lower().replace("’", "'").rstrip(":").strip()


def _is_links_line(line: str) -> bool:
    """Whether a line is only social-network or payment-logo names."""
    words = re.findall(r"[\w-]+", line.lower())
    return bool(words) and len(words) <= 8 and all(word in LINK_WORDS for word in words)


def _is_date_label(line: str) -> bool:
    """Whether a line is a date/update label, empty ("Updated:") or holding a date or time."""
    match = DATE_LABEL_PATTERN.match(line)
    if not match:
        return False
    value = match["value"].strip()
    if not value:
        return True
    starts_like_date = value[:1].isdigit() or value.split()[0].lower().rstrip(".,") in MONTH_WORDS
    return bool(DATE_OR_TIME.search(value)) and (bool(match["colon"]) or starts_like_date)


def _is_counter(line: str) -> bool:
    """Whether a line is a reaction or view counter: "veryGood! (726)", "• 21478 views", "12 comments"."""
    if len(line) > 40:
        return False
    match = COUNTER_PATTERN.match(line)
    return bool(match) and not (match["unit"] or "").istitle()


def _leading_name(text: str) -> str:
    """The run of name-like tokens at the start of a text ("Martin Fornusek November 21" -> "Martin Fornusek")."""
    tokens: list[str] = []
    for token in text.split():
        if token.lower().rstrip(".,") in MONTH_WORDS or not (token[:1].isupper() or token in NAME_PARTICLES):
            break
        tokens.append(token)
    return " ".join(tokens[:4])


def byline_authors(line: str) -> list[str]:
    """The person names of a byline, in order ("by Martin Fornusek November 21, 2023" -> ["Martin Fornusek"]).

    Reading stops at the first part that is not a name (a date, an outlet, "min read").
    """
    match = BYLINE_PATTERN.match(line)
    if not match:
        return []
    names: list[str] = []
    for part in BYLINE_SEPARATORS.split(match["names"]):
        name = _leading_name(part)
        if not looks_like_person_name(name):
            break
        names.append(name)
    return names


def _is_byline(line: str) -> bool:
    """Whether a line is a byline ("by Name [date] [n min read]"), not a sentence starting with "By"."""
    if line[:2].lower() != "by" or len(line.split()) > 18 or not byline_authors(line):
        return False
    return not line.endswith((".", "?", "!")) or bool(find_date(line))


def _classify_kind(line: str) -> str:
    """The class of a normalised, bullet-free line, checking the most specific shapes first."""
    key = _heading_key(line) if len(line) <= 40 else ""
    if key in END_SECTIONS:
        return END_SECTION
    if key in SIDE_SECTIONS:
        return SIDE_SECTION
    if RULE_PATTERN.match(line):
        return RULE
    if any(mark in line for mark in ">›»") and BREADCRUMB_PATTERN.search(line) and not ends_sentence(line):
        return BREADCRUMB
    short = len(line) <= 60
    if short and NAV_PATTERN.match(line):
        return NAV
    if len(line) <= 80 and _is_date_label(line):
        return DATE_LABEL
    if short and TIMESTAMP_PATTERN.match(line):
        return TIMESTAMP
    if short and WIDGET_PATTERN.match(line):
        return WIDGET
    if _is_counter(line):
        return COUNTER
    if short and _is_links_line(line):
        return LINKS
    if _is_byline(line):
        return BYLINE
    if line[-1:].isdigit() and len(line.split()) >= 4 and STAMPED_PATTERN.search(line):
        return STAMPED
    if is_prompt(line):
        return PROMPT
    return PROSE if is_prose(line) else SHORT


def classify(raw: str) -> Line:
    """Normalise and classify one line; see the module docstring for the classes."""
    text = normalise_line(raw)
    if not text:
        return Line(text, BLANK)
    bullet = BULLET.match(text)
    kind = _classify_kind(text[bullet.end() :] if bullet else text)
    if bullet and kind == SHORT:
        kind = LIST_ITEM
    return Line(text, kind, bullet=bool(bullet))


def addresses_reader(line: Line) -> bool:
    """Whether a prose or short line speaks to the reader or of the outlet's readers, outside
    reported speech ("Three years. Millions of readers. All thanks to 12,000 supporters.")."""
    low = line.text.lower()
    return line.kind in (PROSE, SHORT) and bool(READER_ADDRESS.search(low)) and not ATTRIBUTION.search(low)


# --- structure ----------------------------------------------------------------------------
def find_body_start(lines: list[Line]) -> int | None:
    """Index of the first body paragraph: prose that is not a photo caption.

    Falls back to the first prose line of any kind (a page of captions), and to None when
    the text has no prose at all.
    """
    first_prose = None
    for index, line in enumerate(lines):
        if line.kind != PROSE:
            continue
        if first_prose is None:
            first_prose = index
        if not is_caption(line.text):
            return index
    return first_prose


def _running_totals(lines: list[Line], counts: Callable[[Line], bool]) -> list[int]:
    """Running character totals of the lines `counts` accepts: item i covers lines[:i].

    "How much article" lies between two points is then a subtraction.
    """
    totals = [0]
    for line in lines:
        totals.append(totals[-1] + (len(line.text) if counts(line) else 0))
    return totals


def _is_paragraph(line: Line) -> bool:
    """A paragraph-sized line of prose: what measures how much article a stretch holds."""
    return line.kind == PROSE and line.words >= PARAGRAPH_MIN_WORDS


def _is_sentence(line: Line) -> bool:
    """A line of prose that is not a list item: a sentence of some article."""
    return line.kind == PROSE and not line.bullet


def find_body_end(lines: list[Line], start: int) -> int:
    """Index just past the article.

    A page-level section heading ("News Feed", "Related Topics") ends it when less prose
    follows the heading than the body had before it; a link-box heading ("Related", "Read
    more") ends it only when no sentence follows at all. Newsletters and live pages use the
    same headings between parts of the article, and then more prose follows.
    """
    paragraphs = _running_totals(lines, _is_paragraph)
    sentences = _running_totals(lines, _is_sentence)
    for index in range(start + 1, len(lines)):
        kind = lines[index].kind
        if kind == SIDE_SECTION and sentences[-1] == sentences[index + 1]:
            return index
        if kind == END_SECTION and paragraphs[-1] - paragraphs[index + 1] < paragraphs[index] - paragraphs[start]:
            return index
    return len(lines)


def _link_box_lines(lines: list[Line], start: int, end: int) -> set[int]:
    """Indexes of in-body section headings and of the link lists under them (up to the next
    paragraph that is not a list item)."""
    found: set[int] = set()
    index = start
    while index < end:
        if lines[index].kind not in (SIDE_SECTION, END_SECTION):
            index += 1
            continue
        found.add(index)
        index += 1
        while index < end and (lines[index].kind != PROSE or lines[index].bullet):
            if lines[index].kind in (SIDE_SECTION, END_SECTION):
                break
            found.add(index)
            index += 1
    return found


def _appeal_lines(lines: list[Line], start: int, end: int) -> set[int]:
    """Lines that address the reader and sit between two prompts: part of the same appeal."""
    present = [i for i in range(start, end) if lines[i].kind != BLANK]
    found: set[int] = set()
    for before, index, after in zip(present, present[1:], present[2:], strict=False):
        if lines[before].kind == PROMPT and lines[after].kind == PROMPT and addresses_reader(lines[index]):
            found.add(index)
    return found


# --- metadata -----------------------------------------------------------------------------
@dataclass
class _Found:
    """Metadata gathered while reading the page."""

    title: str = ""
    source: str = ""
    published: str = ""
    authors: list[str] = field(default_factory=list)

    def add_author(self, name: str) -> None:
        """Record an author once."""
        for author in split_authors(name):
            if author not in self.authors:
                self.authors.append(author)


def _could_be_title(line: Line) -> bool:
    """Whether a header line can be the headline: a short line that is not boilerplate nor a caption."""
    if line.kind not in (SHORT, PROSE) or line.bullet:
        return False
    if not TITLE_WORDS[0] <= line.words <= TITLE_WORDS[1] or is_caption(line.text):
        return False
    return not line.text.endswith(".") or line.text.endswith("...")


def _read_header(lines: list[Line], found: _Found) -> None:
    """Title, authors and date from the lines above the body."""
    for line in lines:
        if line.kind in (DATE_LABEL, BYLINE) and not found.published:
            found.published = find_date(line.text)
        if line.kind == BYLINE:
            for name in byline_authors(line.text):
                found.add_author(name)
        elif line.kind == SHORT and looks_like_person_name(line.text):
            found.add_author(line.text)
        elif not found.title and _could_be_title(line):
            found.title = line.text


def _read_outlet(body: list[Line], found: _Found) -> None:
    """The outlet from a dateline or an "X writes." in the first paragraphs."""
    opening = [line.text for line in body[:4]]
    for text in opening:
        for pattern in DATELINE_PATTERNS:
            match = pattern.match(text)
            if match:
                found.source = match["outlet"].strip()
                return
    for text in opening:
        match = WRITES_PATTERN.search(text)
        if match:
            found.source = match["outlet"].strip()
            return


def _title_key(text: str) -> str:
    """A line reduced to its words, for spotting a repeated headline."""
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


# --- the tail -----------------------------------------------------------------------------
def _drop_bio(lines: list[Line], kept: list[int], found: _Found, dropped: dict[int, str]) -> list[int]:
    """Drop an author bio among the last two paragraphs, and what follows it.

    A bio ("<Name> is a ... correspondent for ...") counts only when it is about an author the
    page names elsewhere (byline, name line), so a closing sentence that happens to describe a
    reporter stays.
    """
    prose = [p for p, i in enumerate(kept) if lines[i].kind == PROSE]
    for rank, position in enumerate(reversed(prose[-2:])):
        text = lines[kept[position]].text
        bio = BIO_PATTERN.match(text)
        if not bio:
            continue
        previous = prose[-2 - rank] if len(prose) >= 2 + rank else -1
        near = [lines[i].text for i in kept[previous + 1 : position]]
        if bio["name"] not in found.authors and bio["name"] not in near:
            continue
        found.add_author(bio["name"])
        outlet = BIO_OUTLET.search(text)
        if outlet and not found.source:
            found.source = outlet["outlet"].rstrip(".")
        for index in kept[position:]:
            dropped[index] = "author bio"
        return kept[:position]
    return kept


def _trim_tail(lines: list[Line], kept: list[int], found: _Found, dropped: dict[int, str]) -> list[int]:
    """Drop what follows the last body paragraph: an author bio, name lines (taken as authors),
    job titles and other Title Case labels, headline list items.

    Only a short tail (TAIL_MAX_LINES) is a footer; a long one is a list that belongs to the article.
    """
    kept = _drop_bio(lines, kept, found, dropped)
    last = max((p for p, i in enumerate(kept) if lines[i].kind == PROSE), default=-1)
    if last < 0 or len(kept) - last - 1 > TAIL_MAX_LINES:
        return kept
    for index in kept[last + 1 :]:
        text = lines[index].text
        if looks_like_person_name(text):
            found.add_author(text)
            dropped[index] = "author name"
        elif lines[index].kind == LIST_ITEM or is_title_case(text):
            dropped[index] = "tail"
    return [i for i in kept if i not in dropped]


# --- the whole pass -----------------------------------------------------------------------
def _body_drops(lines: list[Line], start: int, end: int, found: _Found) -> dict[int, str]:
    """Why each dropped line inside the body goes: boilerplate classes, link boxes, appeals,
    repeated headlines."""
    dropped: dict[int, str] = {}
    for index in _link_box_lines(lines, start, end):
        dropped[index] = "link box"
    for index in _appeal_lines(lines, start, end):
        dropped[index] = PROMPT
    title_key = _title_key(found.title) if found.title else None
    for index in range(start, end):
        line = lines[index]
        if index in dropped or line.kind == BLANK:
            continue
        if line.kind in BOILERPLATE:
            dropped[index] = line.kind
        elif title_key and line.words <= TITLE_WORDS[1] and _title_key(line.text) == title_key:
            dropped[index] = "repeated title"
    return dropped


def clean_text(text: str, title: str = "") -> CleanResult:
    """Clean scraped article text: the body with boilerplate removed, plus metadata found in it.

    `title`, when known, is used to drop repeated headline lines (and is returned as the
    title). A text with no prose at all keeps everything but boilerplate lines, and a text
    that would clean to nothing is returned whole (normalised): cleaning never loses an article.
    """
    lines = [classify(raw) for raw in text.splitlines()]
    found = _Found(title=title)
    dropped: dict[int, str] = {}
    start = find_body_start(lines)
    if start is None:
        start, end = 0, len(lines)
    else:
        _read_header(lines[:start], found)
        dropped.update((index, "header") for index in range(start))
        end = find_body_end(lines, start)
        dropped.update((index, "after article") for index in range(end, len(lines)))
    dropped.update(_body_drops(lines, start, end, found))
    kept = [i for i in range(start, end) if i not in dropped and lines[i].kind != BLANK]
    _read_outlet([lines[i] for i in kept], found)
    kept = _trim_tail(lines, kept, found, dropped)
    body = "\n\n".join(lines[i].text for i in kept)
    if not body:
        body, dropped = "\n\n".join(line.text for line in lines if line.kind != BLANK), {}
    return CleanResult(
        text=body,
        title=found.title,
        source=found.source,
        published=found.published,
        authors=found.authors,
        dropped=[(reason, lines[i].text) for i, reason in sorted(dropped.items()) if lines[i].kind != BLANK],
    )


def clean_document(doc: Document) -> Document:
    """A new Document with the cleaned body and its empty metadata fields filled from the text.

    Fields the file gave (JSON record, HTML metadata, front matter) win over what the text
    suggests; the text only fills gaps, and an article with no headline anywhere gets its URL's
    slug words (`headline_from_url`), so its passages keep a headline's context like the others.
    """
    result = clean_text(doc.text, title=doc.title)
    return replace(
        doc,
        text=result.text,
        title=doc.title or result.title or headline_from_url(doc.url),
        source=doc.source or result.source,
        published=doc.published or result.published,
        authors=list(doc.authors) or result.authors,
    )
