"""Publication dates (pure): markup string, URL path, wire dateline. All results are tz-aware UTC.

Order of trust, applied by ``published_date``: a date read from the page markup (meta tags, JSON-LD,
<time>, via htmldate), then a date in the URL path (/2024/07/25/), then a dateline at the top of the
text ("Moscow, Oct 14 (AFP) Oct 14, 2024", "ZHANJIANG, July 14 (Xinhua) --"). A dateline without a
year takes the latest such day not after ``reference`` (the fetch time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

__all__ = ["parse_datetime", "date_from_url", "date_from_dateline", "is_dateline", "has_month_day", "published_date",
           "page_date", "choose_published", "DateChoice"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

# "Oct 14, 2024", "July 14", "14 July 2024"
_MONTH_DAY = re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d{2}))?\b", re.I)
_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r"(?:,?\s+(?P<year>(?:19|20)\d{2}))?\b", re.I)

# A dateline opens the story with a place (one to three capitalised words, maybe ", State") and then a
# date ("Moscow, Oct 14 (AFP)", "MOSCOW, July 25. /TASS/."), a one-word wire tag ("WASHINGTON (AP) —")
# or a dash ("BEIJING -- "). "Click to share (Opens in new window)" has no such shape.
_PLACE = r"[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,2}"
_DATELINE = re.compile(
    rf"\s*{_PLACE}(?:,\s*{_PLACE})?"
    rf"(?:,\s*(?i:{_MONTH})\s+\d{{1,2}}\b|\s*\([A-Z][A-Za-z-]{{1,15}}\)\s*(?:[-—–:]|$)|\s+(?:--|—|–)\s)"
)

# /2024/07/25/, /2024-07-25-, /20240725/ ; the year must look like a year
_URL_DATE = (
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$|[-_])"),
    re.compile(r"[/_-]((?:19|20)\d{2})-(\d{2})-(\d{2})(?:[/_.-]|$)"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|$|[-_])"),
)


def _utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC (the markup gave no offset)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 date or date-time (as htmldate returns it) -> UTC datetime; None if unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0300 -> +03:00
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def date_from_url(url: str | None) -> datetime | None:
    """A full date in the URL path: /2024/07/25/, /2024-07-25, /20240725/ (midnight UTC)."""
    if not url:
        return None
    for pattern in _URL_DATE:
        for match in pattern.finditer(url):
            found = _safe_date(*(int(group) for group in match.groups()))
            if found:
                return _at_midnight(found)
    return None


def _date_in(text: str, reference: datetime) -> date | None:
    """The most complete "month day[, year]" / "day month[ year]" in a short text."""
    matches = [m for pattern in (_MONTH_DAY, _DAY_MONTH) for m in pattern.finditer(text)]
    if not matches:
        return None
    best = max(matches, key=lambda m: (m.group("year") is not None, -m.start()))
    month, day = _MONTHS[best.group("month").lower()], int(best.group("day"))
    if best.group("year"):
        return _safe_date(int(best.group("year")), month, day)
    return _latest_before(month, day, reference.date())


def _latest_before(month: int, day: int, reference: date) -> date | None:
    """Year-less dateline: the latest such day not after the reference (stories are not from the future)."""
    for year in (reference.year, reference.year - 1):
        found = _safe_date(year, month, day)
        if found and found <= reference + timedelta(days=1):
            return found
    return None


def is_dateline(line: str) -> bool:
    """Does the line open like a wire dateline ("Moscow, Oct 14 (AFP)", "WASHINGTON (AP) —")?"""
    return bool(_DATELINE.match(line))


def has_month_day(text: str) -> bool:
    """Does the text name a day of a month ("Oct 14", "14 July")?"""
    return bool(_MONTH_DAY.search(text) or _DAY_MONTH.search(text))


_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def date_from_dateline(text: str, reference: datetime, max_lines: int = 4) -> datetime | None:
    """Date of a wire dateline in the first lines of the text, midnight UTC.

    A dateline without a year is read in the reference's year, unless every year the text writes is
    older than that: an archive copy ("BEIJING, Aug 18 (Xinhua) ... Peace Mission 2005") crawled
    today is not today's story, and no date beats a wrong one."""
    for line in text.strip().splitlines()[:max_lines]:
        if is_dateline(line):
            found = _date_in(line[:160], reference)
            yearless = found is not None and found != _date_in(line[:160], reference - timedelta(days=3 * 366))
            if yearless and _older_text(text, found.year):
                return None
            if found:
                return _at_midnight(found)
    return None


def page_date(markup: str | None, url: str | None, text: str, reference: datetime) -> tuple[datetime | None, str | None]:
    """(date, where it was read: "page markup", "page URL" or "dateline"): the first found in that order,
    a day's slack after the reference for time zones (``choose_published`` settles against the fetch)."""
    for found, source in ((parse_datetime(markup), "page markup"), (date_from_url(url), "page URL"),
                          (date_from_dateline(text, reference), "dateline")):
        if found and found <= _utc(reference) + timedelta(days=1):
            return found, source
    return None, None


def _older_text(text: str, year: int) -> bool:
    years = [int(y) for y in _YEAR_IN_TEXT.findall(text)]
    return bool(years) and max(years) < year - 1


def published_date(markup: str | None, url: str | None, text: str, reference: datetime) -> datetime | None:
    """First date found: markup, then URL, then dateline; never later than the reference."""
    return page_date(markup, url, text, reference)[0]


AGREE = timedelta(days=1)  # a page and a feed a few hours apart (time zones, an edit) agree


@dataclass(frozen=True)
class DateChoice:
    """The publication date kept for an article, where it came from, and why when there was a choice."""

    published: datetime | None
    source: str | None  # "page markup", "page URL", "dateline", "feed"
    note: str | None = None


def _day(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def choose_published(page: datetime | None, page_source: str | None, feed: datetime | None,
                     fetched: datetime) -> DateChoice:
    """The page's date against the feed's (or sitemap's). Never a date after the fetch: such a date is
    dropped and the note says so. When both are there and more than a day apart, the page's own markup
    wins (the publisher's statement on the article; feeds often carry a re-publication or update time),
    but a date only guessed from the URL or a dateline gives way to the feed's."""
    fetched = _utc(fetched)
    notes = []
    if page is not None and _utc(page) > fetched:
        notes.append(f"the {page_source} date {_day(page)} is after the fetch ({_day(fetched)}) and was ignored")
        page = page_source = None
    if feed is not None and _utc(feed) > fetched:
        notes.append(f"the feed date {_day(feed)} is after the fetch ({_day(fetched)}) and was ignored")
        feed = None
    if page is not None and feed is not None and abs(_utc(page) - _utc(feed)) > AGREE:
        if page_source == "page markup":
            notes.append(f"the page's markup says {_day(page)} and the feed {_day(feed)}: the page's own markup "
                         "was used (feeds often carry a re-publication or update time)")
        else:
            notes.append(f"the {page_source} gives {_day(page)} and the feed {_day(feed)}: the feed was used "
                         f"(the page's markup has no date; a {page_source} date is a guess)")
            page = page_source = None
    note = "; ".join(notes) or None
    if page is not None:
        return DateChoice(_utc(page), page_source, note)
    if feed is not None:
        return DateChoice(_utc(feed), "feed", note)
    return DateChoice(None, None, note)
