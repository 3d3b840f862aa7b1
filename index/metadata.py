"""Small parsers for article metadata: dates, author lists, outlet names, front matter.

Shared by the loaders (fields given by a file: JSON records, HTML, PDF info, front matter)
and the cleaner (fields found in the text itself: bylines, date lines, datelines). Every
parser returns an empty value rather than raising: metadata is a bonus, never a reason to
refuse an article.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote, urlsplit

from newsrag.index.places import place_words

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip

_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"

# Date shapes, most explicit first. Each names its groups year/month/day.
DATE_PATTERNS = [
    # ISO and its slash/dot variants: 2023-11-21, 2022/06/12, 2023-11-21T09:37:00Z
    re.compile(r"\b(?P<year>(?:19|20)\d\d)[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),
    # Month-name first, as in US news bylines: November 21, 2023 / Nov. 21, 2023 / Sept 3 2022
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE),
    # Day first, as in British and European copy: 21 November 2023 / 21 Nov. 2023
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE),
    # Numeric day first with dots (European): 21.11.2023
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b"),
    # Numeric US order with slashes: 11/21/2023
    re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>(?:19|20)\d\d)\b"),
    # Compact: 20231121 (only as a whole value, see normalise_date)
]
COMPACT_DATE = re.compile(r"^(?P<year>(?:19|20)\d\d)(?P<month>\d\d)(?P<day>\d\d)$")

# Separators between several authors in one field: "A, B and C", "A; B", "A & B".
AUTHOR_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\|)\s*", re.IGNORECASE)
# A leading "By" in an author field or byline.
LEADING_BY = re.compile(r"^\s*by[:\s]+", re.IGNORECASE)

# One token of a person's name: "Martin", "O'Brien", "Jean-Luc", "McDonald", or an initial "J."
NAME_TOKEN = re.compile(r"^(?:[A-Z][a-z]*[A-Z]?[a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z]\.)$")
# Lower-case particles inside names: "Ursula von der Leyen", "Bashar al-Assad".
NAME_PARTICLES = frozenset({"de", "van", "von", "der", "den", "da", "di", "du", "al", "el", "bin", "la", "le", "dos"})
# Capitalised words that make a short line a heading, a job title or a section, not a person.
NON_NAME_WORDS = frozenset(
    """
    the a an and of for in on at to by with from
    related topics topic news home world politics business opinion sports sport video videos photos
    photo live updates update security national international correspondent reporter editor editors
    staff writer contributor columnist times post press journal independent daily weekly feed picks
    menu search share subscribe newsletter ranking recommendation recommended trending latest more
    read next top stories story breaking media day week today analysis explainer exclusive
    house white office department ministry council committee government university school
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    view views comments comment advertisement sponsored associated reuters agency service
    """.split()
)

# Front matter: a block fenced by "---" lines at the very top of a .md/.txt file.
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?P<body>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
# One "key: value" line of front matter.
FRONT_MATTER_FIELD = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*)$")
# A "- item" continuation line of a YAML list in front matter.
FRONT_MATTER_ITEM = re.compile(r"^\s+-\s+(?P<value>.+)$|^-\s+(?P<value2>.+)$")

# Field names accepted for each Document field, in JSON records and front matter.
FIELD_ALIASES = {
    "title": ("title", "headline"),
    "source": ("source", "outlet", "publisher", "site", "sitename"),
    "url": ("url", "link", "canonical"),
    "published": ("published", "publish_date", "published_at", "date", "pubdate"),
    "authors": ("authors", "author", "byline"),
}


# Publication dates newsrag believes: none before the first daily papers an archive would hold,
# none after tomorrow (a clock or time zone may run a day ahead). Anything else is a typo or the
# date of an event in the text, and the article is kept as undated instead (an editor's bounds).
EARLIEST_PUBLICATION = dt.date(1850, 1, 1)
LATEST_PUBLICATION_DAYS_AHEAD = 1


def _valid_date(year: int, month: int, day: int) -> str:
    """ISO string for the date, or "" when the numbers do not make a calendar date or a plausible publication date."""
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return ""
    latest = dt.date.today() + dt.timedelta(days=LATEST_PUBLICATION_DAYS_AHEAD)
    return date.isoformat() if EARLIEST_PUBLICATION <= date <= latest else ""


def _month_number(value: str) -> int:
    """Month number from digits or an English month name or abbreviation."""
    if value.isdigit():
        return int(value)
    return MONTHS.get(value.lower().rstrip("."), 0)


def find_date(text: str) -> str:
    """The first calendar date written in `text`, as ISO YYYY-MM-DD, or "".

    Used on header lines (date lines, bylines): "Date:2025-04-25 15:06:17" gives 2025-04-25,
    "by Martin Fornusek November 21, 2023 9:37 PM" gives 2023-11-21.
    """
    found: list[tuple[int, str]] = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _valid_date(int(match["year"]), _month_number(match["month"]), int(match["day"]))
            if iso:
                found.append((match.start(), iso))
                break
    return min(found)[1] if found else ""


def normalise_date(value: object) -> str:
    """A date field as ISO YYYY-MM-DD; "" when missing or not a date.

    Accepts what feeds and scrapers write: "2022/06/12" (RealTime QA), ISO timestamps,
    "June 12, 2022", "12 June 2022", "20220612".
    """
    if value is None:
        return ""
    text = str(value).strip()
    if not text:
        return ""
    compact = COMPACT_DATE.match(text)
    if compact:
        return _valid_date(int(compact["year"]), int(compact["month"]), int(compact["day"]))
    return find_date(text)


def split_authors(value: object) -> list[str]:
    """Author names from a list or a "A, B and C" string; empty names and repeats dropped.

    Names that are really outlets ("CNN", "AP") are kept as given: the field is the
    publisher's word.
    """
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    names: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, dict):  # {"name": "..."} as in schema.org / some feeds
            item = item.get("name", "")
        text = " ".join(str(item).split())  # one space between words: the separator pattern stays linear
        for part in AUTHOR_SEPARATORS.split(LEADING_BY.sub("", text)):
            name = " ".join(part.split()).strip(" .")
            if name and name not in names:
                names.append(name)
    return names


def normalise_source(value: object) -> str:
    """An outlet name as given, without a leading "www." on a bare host ("www.cnn.com" -> "cnn.com")."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if text.lower().startswith("www.") and " " not in text:
        return text[4:]
    return text


# A URL slug's words: letters only (ids, dates and hashes are left out), at least this many.
SLUG_WORD = re.compile(r"^[a-z][a-z'’]*$")
SLUG_MIN_WORDS = 3
PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)


def headline_from_url(url: str) -> str:
    """A headline read from an article URL's slug, for an article that came without one.

    Newsrooms put the story's headline words in the URL (".../2022/07/25/entertainment/
    adele-las-vegas-residency-new-dates/index.html" -> "Adele las vegas residency new dates"):
    the last path segment of at least three hyphenated words, with tokens holding digits (dates,
    ids, hashes) left out. Empty when no segment reads as words: an id-only URL gives nothing.
    """
    path = urlsplit(url.strip()).path if url else ""
    for segment in reversed([part for part in path.split("/") if part]):
        tokens = re.split(r"[-_+]+", PAGE_SUFFIX.sub("", unquote(segment)).lower())
        words = [token for token in tokens if SLUG_WORD.match(token)]
        if len(words) >= SLUG_MIN_WORDS and len(words) * 2 >= len(tokens):
            text = " ".join(words)
            return text[0].upper() + text[1:]
    return ""


def looks_like_person_name(line: str) -> bool:
    """Whether a short line is just a person's name ("Andrew Thornebrooke", "Julia Shramko").

    Two to four name tokens, none of them a heading, calendar or place word: a byline standing alone
    on its line, as scraped pages print it above or below an article.
    """
    tokens = line.strip().split()
    if not 2 <= len(tokens) <= 4:
        return False
    if tokens[0] in NAME_PARTICLES or tokens[-1] in NAME_PARTICLES:
        return False
    for token in tokens:
        if token in NAME_PARTICLES:
            continue
        word = token.lower().strip(".")
        if not NAME_TOKEN.match(token) or word in NON_NAME_WORDS or word in place_words():
            return False
    return sum(1 for token in tokens if len(token) > 2) >= 2


def _unquote(value: str) -> str:
    """A front-matter scalar without its surrounding quotes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _parse_front_matter_body(body: str) -> dict[str, object]:
    """Key/value pairs of a front-matter block; "- item" lines and [a, b] values become lists."""
    fields: dict[str, object] = {}
    current: str | None = None
    for line in body.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = FRONT_MATTER_ITEM.match(line)
        if item and current is not None:
            existing = fields.get(current)
            values = existing if isinstance(existing, list) else ([existing] if existing else [])
            values.append(_unquote(item["value"] or item["value2"]))
            fields[current] = values
            continue
        field_match = FRONT_MATTER_FIELD.match(line)
        if not field_match:
            continue
        current = field_match["key"].lower()
        value = field_match["value"].strip()
        if value.startswith("[") and value.endswith("]"):
            fields[current] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            fields[current] = _unquote(value)
    return fields


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split YAML-style front matter (`---` fenced `key: value` lines) from a text file.

    Returns (fields, text without the block). A text with no front matter comes back as
    ({}, text). Only flat keys, quoted scalars and simple lists are understood: enough for
    title/source/published/url/authors, with no YAML dependency and no surprises.
    """
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields = _parse_front_matter_body(match["body"])
    if not fields:
        return {}, text
    return fields, text[match.end() :]


def pick_field(record: dict[str, object], field: str) -> object:
    """The first non-empty value among a Document field's accepted names in a record."""
    for key in FIELD_ALIASES[field]:
        value = record.get(key)
        if value not in (None, "", []):
            return value
    return None
