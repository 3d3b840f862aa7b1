"""News time: the "as of" date of a question and the stretch of time its words point to.

"Which prime minister resigned this week?" has a different answer every few months, and an
archive holds every one of those weeks. A question is asked *as of* a date (default: today;
RealTime QA: the day the quiz was asked); articles published after it do not exist for it, and
relative time words ("this week", "yesterday", "last month", "in June", "in 2022", "on March 3")
are resolved against it into a window of publication dates. Retrieval (rag/retrieve.py) then
prefers articles inside the window; a question naming no time prefers the news week up to its
as-of date, or the story's recent coverage over old where the archive stops earlier. The priors'
strengths are settings fitted by `newsrag eval retrieval --fit-time`.

Rules only a newsroom's calendar needs: no word list from any article.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Each month's names, the full one first.
MONTH_NAMES = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTHS = {name: number for number, names in enumerate(MONTH_NAMES, start=1) for name in names}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"  # longest first: "sept" before "sep"
EXPLICIT_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+((?:19|20)\d\d))?\b", re.I)
MONTH_YEAR = re.compile(rf"\b(?:in|during|since|of|by|last|this)?\s*{_MONTH}(?:\s+((?:19|20)\d\d))?\b", re.I)
YEAR = re.compile(r"\b(?:in|during|of)\s+((?:19|20)\d\d)\b", re.I)
WEEKDAY = re.compile(r"\b(?:on|last|this)\s+(" + "|".join(WEEKDAYS) + r")\b", re.I)
# Relative spans: the words, and the days back from the as-of date that they cover ("month" and
# "year": the calendar month or year of the as-of date, for "this month" and "this year"; "previous
# week", "previous month" and "previous year": from the first day (a Monday) of the calendar week,
# month or year before it, for a bare "last week", "last month" and "last year", which a reader counts
# by the calendar, where "the past year" and "over the last year" count back twelve months).
RELATIVE = [
    (re.compile(r"\b(today|tonight|this morning|this afternoon)\b", re.I), 1),
    (re.compile(r"\byesterday\b", re.I), 2),
    (re.compile(r"(?<!\bthe )\blast week\b(?!end)", re.I), "previous week"),
    (re.compile(r"\b(this|past|last) (week|weekend)\b|\bthis past week\b|\bdays? ago\b", re.I), 8),
    (re.compile(r"\bthis month\b", re.I), "month"),
    (re.compile(r"(?<!\bthe )\blast month\b", re.I), "previous month"),
    (re.compile(r"\b(past|last) (month)\b|\bweeks ago\b", re.I), 35),
    (re.compile(r"\bthis year\b", re.I), "year"),
    (re.compile(r"(?<!\bthe )\blast year\b", re.I), "previous year"),
    (re.compile(r"\b(past|last) year\b|\bmonths ago\b", re.I), 400),
]
# "this year", "last year's vote", "next year": a year an article counts from its own date.
DATELINE_YEAR = re.compile(r"\b(this|last|next)\s+year\b", re.I)
_YEAR_STEP = {"this": 0, "last": -1, "next": 1}
# Words that ask for the newest coverage without naming a span.
RECENT = re.compile(r"\b(recent|recently|latest|newest|new|just|current|currently|now|ongoing)\b", re.I)


@dataclass(frozen=True)
class Timeframe:
    """The publication dates a question points to: `start`..`end` (inclusive), or only the as-of date.

    `window` is False when the question names no time: then only the as-of limit and the recency
    prior apply. `recent` marks "latest", "recently" and the like. `relative` marks a window counted
    back from the as-of date ("this week", "yesterday", "on Monday"): the news of that time is what is
    asked for; a named date ("the April 1, 2024 strike") names an event that coverage may discuss long
    after.
    """

    as_of: dt.date
    start: dt.date | None = None
    end: dt.date | None = None
    recent: bool = False
    relative: bool = False

    @property
    def window(self) -> bool:
        return self.start is not None

    @property
    def news_from(self) -> dt.date:
        """The first day of the news the question asks about: its window's first day, else (no time
        named) its as-of date."""
        return self.start if self.start is not None else self.as_of

    def window_or_week(self, week_days: int) -> tuple[dt.date, dt.date] | None:
        """The dates the question points to: its window, else the news week (the `week_days` up to
        the as-of date, the news a question naming no time is about), else None (`week_days` 0)."""
        if self.window:
            return self.start, self.end
        if week_days > 0:
            return self.as_of - dt.timedelta(days=week_days - 1), self.as_of
        return None


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """An as-of date from YYYY-MM-DD, YYYY/MM/DD or a date; None means today (the machine's date)."""
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-")[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _latest_month(as_of: dt.date, month: int, year: int | None) -> tuple[dt.date, dt.date]:
    """The month named (the latest one not after `as_of` when no year is given), as first and last day."""
    if year is None:
        year = as_of.year if month <= as_of.month else as_of.year - 1
    first = dt.date(year, month, 1)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
    return first, last


def relative_start(span: int | str, as_of: dt.date) -> dt.date:
    """The first day of a `RELATIVE` span counted back from `as_of`.

    "This month" and "this year" are the calendar month and year a reader is in: "later this year",
    asked in July 2022, is not said by an article of July 2021, though it is within a year of it.
    "Last week", "last month" and "last year" reach back to the calendar week (from its Monday), month
    and year before ("last year", asked in December 2026, is 2025 from its January on; "last week",
    asked on a Thursday, begins ten days before). A number of days counts back from the
    as-of date ("this week": 8 days, "the past year": 400).
    """
    if span == "month":
        return as_of.replace(day=1)
    if span == "year":
        return as_of.replace(month=1, day=1)
    if span == "previous week":
        return as_of - dt.timedelta(days=as_of.weekday() + 7)
    if span == "previous month":
        return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if span == "previous year":
        return dt.date(as_of.year - 1, 1, 1)
    return as_of - dt.timedelta(days=int(span) - 1)


def resolve(question: str, as_of: dt.date) -> Timeframe:
    """The timeframe a question's words point to, relative to `as_of` (the first rule that matches wins).

    A named day or month is widened by a few days after it: an article reports an event the day
    after, or later in the week.
    """
    recent = bool(RECENT.search(question))
    for pattern, span in RELATIVE:
        if pattern.search(question):
            return Timeframe(as_of, relative_start(span, as_of), as_of, recent, relative=True)
    match = EXPLICIT_DAY.search(question)
    if match:
        month, day, year = MONTHS[match.group(1).lower().rstrip(".")], int(match.group(2)), match.group(3)
        try:
            named = dt.date(int(year) if year else as_of.year, month, day)
        except ValueError:
            named = None
        if named is not None:
            if not year and named > as_of:
                named = named.replace(year=named.year - 1)
            return Timeframe(as_of, named - dt.timedelta(days=1), min(as_of, named + dt.timedelta(days=7)), recent)
    match = WEEKDAY.search(question)
    if match:
        return Timeframe(as_of, as_of - dt.timedelta(days=7), as_of, recent, relative=True)
    match = MONTH_YEAR.search(question)
    if match and (match.group(2) or re.match(r"\s*(in|during|since|of|by|last|this)\b", match.group(0), re.I)):
        first, last = _latest_month(as_of, MONTHS[match.group(1).lower().rstrip(".")], int(match.group(2)) if match.group(2) else None)
        if first <= as_of:
            return Timeframe(as_of, first, min(as_of, last + dt.timedelta(days=7)), recent)
    match = YEAR.search(question)
    if match and int(match.group(1)) <= as_of.year:
        year = int(match.group(1))
        return Timeframe(as_of, dt.date(year, 1, 1), min(as_of, dt.date(year, 12, 31) + dt.timedelta(days=14)), recent)
    return Timeframe(as_of, None, None, recent)


def published_in(published: str, frame: Timeframe) -> bool | None:
    """Whether a publication date (YYYY-MM-DD) falls in the frame's window; None when undated or unreadable."""
    day = published_day(published)
    if day is None:
        return None
    return frame.start is not None and frame.end is not None and frame.start <= day <= frame.end


def published_before(published: str, frame: Timeframe) -> bool | None:
    """Whether a publication date (YYYY-MM-DD) comes before the frame's window (False when the frame
    has none); None when undated or unreadable."""
    day = published_day(published)
    if day is None:
        return None
    return frame.start is not None and day < frame.start


# A year a sentence names, and a month it names as a month (capitalised: "may" is a verb).
ANY_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
MONTH_WORD = re.compile(r"\b(" + "|".join(name.capitalize() for name in sorted(MONTHS, key=len, reverse=True)) + r")\b\.?")


def of_another_time(sentence: str, published: str, frame: Timeframe | None) -> bool:
    """Whether `sentence`, from an article published in a later year than the time a question names
    (`frame`), tells of its own time rather than looking back on that one.

    A reader dates a sentence by the years it names ("in 2014", or "last year" from its dateline),
    and one that names none by its dateline: asked about December 2022, "Members of Iran's
    Guidance Patrol claimed Amini was wearing her hijab incorrectly" in a story of 2026 tells of
    2026's coverage, not of what was decided in December 2022. A sentence that names one of the
    frame's years looks back, and so does one that names one of its months when the frame lies
    within a year ("an April 1 attack" for "the April 1, 2024 strike"). A relative frame ("this
    week") ends at the as-of date, after which nothing is read; an undated article is left alone."""
    if frame is None or frame.start is None or frame.end is None or frame.relative:
        return False
    day = published_day(published)
    if day is None or day.year <= frame.end.year:
        return False
    years = {int(y) for y in ANY_YEAR.findall(sentence)} | {int(y) for y in dateline_years(sentence, published)}
    if any(frame.start.year <= year <= frame.end.year for year in years):
        return False
    if years or frame.start.year != frame.end.year:
        return True
    months = {MONTHS[m.lower()] for m in MONTH_WORD.findall(sentence)}
    return not any(frame.start.month <= month <= frame.end.month for month in months)


def dateline_years(text: str, published: str) -> list[str]:
    """The years that a sentence's relative year words name, counted from its article's date: "This
    year's Nobel Peace Prize" in a story of 2022-10-07 names "2022", "which won the prize last year"
    in one of 2023 names "2022" too. Empty for an undated article.

    A reader resolves "last year" against the dateline; a question that names the year ("the 2022
    prize") must find the sentence that says it in the article's own words.
    """
    day = published_day(published) if DATELINE_YEAR.search(text) else None
    if day is None:
        return []
    return list(dict.fromkeys(str(day.year + _YEAR_STEP[m.group(1).lower()]) for m in DATELINE_YEAR.finditer(text)))


def says_another_time(claim: str, source: str, published: str, as_of: dt.date) -> bool:
    """Whether `claim` places itself in time in words its `source` does not hold ("this week",
    "yesterday", "this month": `RELATIVE`) while the source's article was published outside that time,
    counted back from `as_of`.

    A reader takes "this week" in an answer to mean the week the question was asked in. The
    question's time words carried into an answer drawn from an older article give that article's
    news a date it does not have ("Facebook banned political fundraising this week [1]", cited to an
    article of two years before). The source's own time words are of its own date, which the answer
    shows when it matters (rag/dating.py); an undated article cannot be judged and passes.
    """
    day = published_day(published)
    if day is None:
        return False
    for pattern, span in RELATIVE:
        for match in pattern.finditer(claim):
            if re.search(rf"\b{re.escape(match.group(0))}\b", source, re.I):
                continue
            if not relative_start(span, as_of) <= day <= as_of:
                return True
    return False


def newest_source(published: list[str], frame: Timeframe | None) -> dt.date | None:
    """The newest of an answer's sources' dates, where the old-news rule (`old_news`) reads the
    answer: a question that names no time or counts its window back ("this week", "last month").
    None for a question that names a date ("in 2015", "the April 1 strike": its window judges it),
    an undated source (it may be new), or nothing cited."""
    if frame is None or (frame.window and not frame.relative) or not published:
        return None
    days = [published_day(p) for p in published]
    return None if any(day is None for day in days) else max(days)


def old_news(published: list[str], frame: Timeframe | None, stale_days: int) -> dt.date | None:
    """The newest of an answer's sources' dates when every source is more than `stale_days` older
    than the news its question asks about (`Timeframe.news_from`); None otherwise, and when the rule
    is off (`stale_days` 0) or does not read the answer (`newest_source`).

    The news asked about begins at the as-of date of a question that names no time (asked of an
    archive that holds the news of its week, retrieval reads it so too: rag/retrieve.py), and at the
    first day of a window counted back from it ("this week", "last month"). An answer resting only
    on coverage months older is another story's answer ("Which Ivy League school announced it will
    eliminate student loans?" answered from a report of 2015), or one the news has since moved past.
    """
    newest = newest_source(published, frame) if stale_days > 0 else None
    return newest if newest is not None and (frame.news_from - newest).days > stale_days else None


def published_day(published: str) -> dt.date | None:
    """The date of a YYYY-MM-DD publication date; None when it is missing or malformed."""
    try:
        return dt.date.fromisoformat(published[:10])
    except (TypeError, ValueError):
        return None
