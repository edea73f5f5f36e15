"""Resolve the dates a news sentence gives (absolute or relative) against the publication date.

Own small resolver instead of dateparser: news usage needs "said Thursday" to mean the most recent
Thursday (dateparser picks the week before), tense decides between last and next May, and
"a few days later" / "the next month" chain from the previous sentence's date.
Rules are (pattern, handler) pairs tried longest-first; each handler is a small pure function.
"""
from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Callable

from config.fastregex import FastRegex, first_characters_trigger, start_atoms
from crawler.text.literals import Text, required_literals

PRECISION_RANK = {"range": 0, "day": 1, "week": 2, "month": 3, "year": 4}

MONTHS_EN = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS_EN.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS_EN["sept"] = 9
# Russian month stems: genitive "сентября", prepositional "сентябре", nominative "сентябрь".
MONTHS_RU = {stem: i for i, stem in enumerate(
    "январ феврал март апрел ма июн июл август сентябр октябр ноябр декабр".split(), start=1)}
WEEKDAYS_EN = {d.lower(): i for i, d in enumerate(calendar.day_name)}
WEEKDAYS_RU = {"понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3,
               "пятницу": 4, "пятница": 4, "субботу": 5, "суббота": 5, "воскресенье": 6}
WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "few": 3, "several": 4}

_MON = r"(?P<mon>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.?)"
_MON2 = r"(?P<mon2>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.?)"
_RU_MON = r"(?P<mon>(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]{0,2})"
_DAYNUM = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    precision: str  # "range" | "day" | "week" | "month" | "year"

    @property
    def day(self) -> date | None:
        """The single day, when the text gives one."""
        return self.start if self.precision == "day" else None


@dataclass(frozen=True)
class DateContext:
    base: date  # publication date
    future: bool = False  # sentence in the future tense: "in May" means next May
    previous: Period | None = None  # last period in the text, for "a few days later"
    year_hint: int | None = None  # the one year written in the sentence anchors "September 1"


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), "month")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _month_number(name: str) -> int | None:
    return MONTHS_EN.get(name.lower().rstrip("."))


def _ru_month_number(name: str) -> int | None:
    name = name.lower()
    for stem, number in MONTHS_RU.items():
        # "ма" (May) is a prefix of nothing else in the list; check longest stems first.
        if name.startswith(stem) and (stem != "ма" or name[:3] in ("мая", "мае", "май")):
            return number
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def infer_year(month: int, day: int, ctx: DateContext) -> int:
    """Year for a day given without one: the occurrence nearest the tense (past by default)."""
    if ctx.year_hint:
        return ctx.year_hint
    base = ctx.base
    candidate = _safe_date(base.year, month, min(day, 28)) or base
    if not ctx.future and candidate > base + timedelta(days=7):
        return base.year - 1
    if ctx.future and candidate < base - timedelta(days=7):
        return base.year + 1
    return base.year


def infer_month_year(month: int, ctx: DateContext) -> int:
    """Year for "in May": the last May for past sentences, the next May for future ones."""
    if ctx.year_hint:
        return ctx.year_hint
    if ctx.future:
        return ctx.base.year if month >= ctx.base.month else ctx.base.year + 1
    return ctx.base.year if month <= ctx.base.month else ctx.base.year - 1


def weekday_date(weekday: int, ctx: DateContext, shift_weeks: int = 0) -> date:
    """Nearest past (or, in the future tense, next) weekday; the base day itself counts as past."""
    if ctx.future:
        delta = (weekday - ctx.base.weekday()) % 7 or 7
        return ctx.base + timedelta(days=delta + 7 * shift_weeks)
    delta = (ctx.base.weekday() - weekday) % 7
    return ctx.base - timedelta(days=delta - 7 * shift_weeks)


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), "week")


def _day(d: date | None) -> Period | None:
    return Period(d, d, "day") if d else None


# --- handlers: (match, ctx) -> Period | None -------------------------------------------------

def _iso(m: re.Match, ctx: DateContext) -> Period | None:
    return _day(_safe_date(int(m["year"]), int(m["m"]), int(m["d"])))


def _range_en(m: re.Match, ctx: DateContext) -> Period | None:
    """ "from August 30 to September 5", "September 1 to 7", "Sept 1-7, 2022" """
    first, second = _month_number(m["mon"]), _month_number(m["mon2"] or m["mon"])
    if not first or not second:
        return None
    year = int(m["year"]) if m["year"] else infer_year(first, int(m["day"]), ctx)
    start = _safe_date(year, first, int(m["day"]))
    end = _safe_date(year + (second < first), second, int(m["day2"]))
    return Period(start, end, "range") if start and end and start <= end else None


def _range_en_dm(m: re.Match, ctx: DateContext) -> Period | None:
    """ "1-7 September (2022)" """
    month = _month_number(m["mon"])
    if not month:
        return None
    year = int(m["year"]) if m["year"] else infer_year(month, int(m["day"]), ctx)
    start, end = _safe_date(year, month, int(m["day"])), _safe_date(year, month, int(m["day2"]))
    return Period(start, end, "range") if start and end and start <= end else None


def _month_day(m: re.Match, ctx: DateContext) -> Period | None:
    month = _month_number(m["mon"])
    if not month:
        return None
    year = int(m["year"]) if m["year"] else infer_year(month, int(m["day"]), ctx)
    return _day(_safe_date(year, month, int(m["day"])))


def _month_year(m: re.Match, ctx: DateContext) -> Period | None:
    month = _month_number(m["mon"])
    return month_period(int(m["year"]), month) if month else None


def _bare_month(m: re.Match, ctx: DateContext) -> Period | None:
    month = _month_number(m["mon"])
    if not month:
        return None
    return month_period(infer_month_year(month, ctx), month)


def _year_only(m: re.Match, ctx: DateContext) -> Period:
    return year_period(int(m["year"]))


def _today(m: re.Match, ctx: DateContext) -> Period:
    return Period(ctx.base, ctx.base, "day")


def _yesterday(m: re.Match, ctx: DateContext) -> Period:
    return _day(ctx.base - timedelta(days=1))


def _tomorrow(m: re.Match, ctx: DateContext) -> Period:
    return _day(ctx.base + timedelta(days=1))


_UNTIL = re.compile(r"\b(?:until|till|through)\s+$", re.I)
_ENDED = re.compile(r"\b(?:lasted|ran|continued|went on|ended|was held|were held)\b", re.I)


def _weekday_en(m: re.Match, ctx: DateContext) -> Period:
    weekday, which = WEEKDAYS_EN[m["wd"].lower()], (m["which"] or "").lower()
    if not which and _UNTIL.search(m.string, max(0, m.start() - 12), m.start()) and not _ENDED.search(m.string):
        which = "next"  # "the drills will last until Monday": an end still ahead
    if which == "last":  # the most recent one strictly before the base day
        return _day(ctx.base - timedelta(days=(ctx.base.weekday() - weekday) % 7 or 7))
    return _day(weekday_date(weekday, replace(ctx, future=ctx.future or which == "next")))


def _weekday_ru(m: re.Match, ctx: DateContext) -> Period:
    return _day(weekday_date(WEEKDAYS_RU[m["wd"].lower()], ctx))


def _weekday_zh(m: re.Match, ctx: DateContext) -> Period:
    prefix = m["pre"] or ""
    ctx = replace(ctx, future=ctx.future or prefix in ("下周", "下星期"))
    shift = -1 if prefix in ("上周", "上星期") else 0
    if prefix in ("本周", "这周", "本星期"):
        return _day(week_of(ctx.base).start + timedelta(days=WEEKDAYS_ZH[m["wd"]]))
    return _day(weekday_date(WEEKDAYS_ZH[m["wd"]], ctx, shift))


def _week(offset: int) -> Callable[[re.Match, DateContext], Period]:
    def handler(m: re.Match, ctx: DateContext) -> Period:
        return week_of(ctx.base + timedelta(weeks=offset))
    return handler


def _month(offset: int) -> Callable[[re.Match, DateContext], Period]:
    def handler(m: re.Match, ctx: DateContext) -> Period:
        return month_period(*add_months(ctx.base.year, ctx.base.month, offset))
    return handler


def _year(offset: int) -> Callable[[re.Match, DateContext], Period]:
    def handler(m: re.Match, ctx: DateContext) -> Period:
        return year_period(ctx.base.year + offset)
    return handler


def _month_of_relative_year(m: re.Match, ctx: DateContext) -> Period | None:
    """ "in August last year", "August of next year" """
    month = _month_number(m["mon"])
    offset = {"last": -1, "this": 0, "next": 1}[m["which"].lower()]
    return month_period(ctx.base.year + offset, month) if month else None


def _this_month_last_year(m: re.Match, ctx: DateContext) -> Period:
    return month_period(ctx.base.year - 1, ctx.base.month)


def _end_of_month(m: re.Match, ctx: DateContext) -> Period:
    year, month = ctx.base.year, ctx.base.month
    if (m["which"] or "").lower() in ("last", "previous"):
        year, month = add_months(year, month, -1)
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, last - 6), date(year, month, last), "week")


def _earlier_this_month(m: re.Match, ctx: DateContext) -> Period:
    return Period(ctx.base.replace(day=1), ctx.base, "month")


def _ago(m: re.Match, ctx: DateContext) -> Period | None:
    word = m["n"].lower()
    count = int(word) if word.isdigit() else NUMBER_WORDS.get(word, 1)
    unit = m["unit"].lower()
    if unit.startswith("day"):
        return _day(ctx.base - timedelta(days=count))
    if unit.startswith("week"):
        return week_of(ctx.base - timedelta(weeks=count))
    return month_period(*add_months(ctx.base.year, ctx.base.month, -count))


def _later(m: re.Match, ctx: DateContext) -> Period | None:
    """ "a few days later", "the next month": relative to the previous period in the text."""
    if ctx.previous is None:
        return None
    prev, unit = ctx.previous, (m["unit"] or m["unit2"]).lower()
    if unit.startswith("year"):  # "In April 2012 ... The following year, ...": the year after
        return year_period(prev.start.year + 1)
    if unit.startswith("month"):
        return month_period(*add_months(prev.start.year, prev.start.month, 1))
    word = (m["n"] or ("one" if m["a"] else "few")).lower()
    days = NUMBER_WORDS.get(word, 3) * (7 if unit.startswith("week") else 1)
    moved = prev.start + timedelta(days=days)
    if prev.precision in ("day", "range"):
        return _day(moved)
    return month_period(moved.year, moved.month)


def _ru_day(m: re.Match, ctx: DateContext) -> Period | None:
    month = _ru_month_number(m["mon"])
    if not month:
        return None
    year = int(m["year"]) if m["year"] else infer_year(month, int(m["day"]), ctx)
    if m["day2"]:
        start = _safe_date(year, month, int(m["day"]))
        end = _safe_date(year, month, int(m["day2"]))
        return Period(start, end, "range") if start and end and start <= end else None
    return _day(_safe_date(year, month, int(m["day"])))


def _ru_month(m: re.Match, ctx: DateContext) -> Period | None:
    month = _ru_month_number(m["mon"])
    if not month:
        return None
    year = int(m["year"]) if m["year"] else infer_month_year(month, ctx)
    return month_period(year, month)


def _zh_day(m: re.Match, ctx: DateContext) -> Period | None:
    month, day = int(m["m"]), int(m["d"])
    year = int(m["year"]) if m["year"] else infer_year(month, day, ctx)
    if m["d2"]:
        month2 = int(m["m2"]) if m["m2"] else month
        start, end = _safe_date(year, month, day), _safe_date(year, month2, int(m["d2"]))
        return Period(start, end, "range") if start and end and start <= end else None
    return _day(_safe_date(year, month, day))


def _zh_month(m: re.Match, ctx: DateContext) -> Period | None:
    month = int(m["m"])
    if not 1 <= month <= 12:
        return None
    year = int(m["year"]) if m["year"] else infer_month_year(month, ctx)
    return month_period(year, month)


_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")

Rule = tuple[FastRegex, Callable[[re.Match, DateContext], Period | None]]

# Order matters: longer, more specific patterns first; their spans are then masked.
RULES: tuple[Rule, ...] = tuple((FastRegex(p), h) for p, h in (
    (rf"\b{_YEAR}-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b", _iso),
    (rf"\b(?:from\s+)?{_MON}\s+{_DAYNUM}\s*(?:-|–|—|to|until|till|through|and)\s*(?:{_MON2}\s+)?"
     rf"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR})?", _range_en),
    (rf"\b(?:from\s+)?{_DAYNUM}\s*(?:-|–|—|to|until)\s*(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\s+{_MON}"
     rf"(?:,?\s+{_YEAR})?", _range_en_dm),
    (rf"\b{_MON}\s+{_DAYNUM}\b(?:,?\s+{_YEAR})?", _month_day),
    (rf"\b{_DAYNUM}\s+{_MON}(?:,?\s+{_YEAR})?\b", _month_day),
    (rf"\b{_MON}\s+(?:of\s+)?{_YEAR}\b", _month_year),
    (rf"\b{_MON}\s+(?i:of\s+)?(?P<which>(?i:last|this|next))\s+(?i:year)\b", _month_of_relative_year),
    (r"(?i:\bthis month last year\b|\bthe same month last year\b)", _this_month_last_year),
    (r"(?i:\b(?:at\s+)?the end of (?P<which>this|last|the|previous)\s+month\b)", _end_of_month),
    (r"(?i:\bearlier this month\b)", _earlier_this_month),
    (r"(?i:\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|few|several)\s+"
     r"(?P<unit>days?|weeks?|months?)\s+ago\b)", _ago),
    (r"(?i:\b(?:(?P<a>a)\s+)?(?:(?P<n>few|several|two|three|four|five)\s+)?(?P<unit>days?|weeks?)\s+later\b)",
     _later),
    (r"(?i:\bthe\s+(?:next|following)\s+(?P<unit>month|year)\b|\ba\s+(?P<unit2>year)\s+later\b)", _later),
    (r"(?i:\b(?:last|previous|past)\s+week\b)", _week(-1)),
    (r"(?i:\b(?:this|earlier this|later this)\s+week\b)", _week(0)),
    (r"(?i:\bnext\s+week\b)", _week(1)),
    (r"(?i:\b(?:last|previous|past)\s+month\b)", _month(-1)),
    (r"(?i:\b(?:this|later this)\s+month\b)", _month(0)),
    (r"(?i:(?<!the )\bnext\s+month\b)", _month(1)),
    (r"(?i:\blast\s+year\b)", _year(-1)),
    (r"(?i:\bthis\s+year\b)", _year(0)),
    (r"(?i:\bnext\s+year\b)", _year(1)),
    (r"(?i:\btoday\b|\btonight\b|\bthis (?:morning|afternoon|evening)\b)", _today),
    (r"(?i:\byesterday\b)", _yesterday),
    (r"(?i:\btomorrow\b)", _tomorrow),
    (r"\b(?:(?i:on|(?P<which>last|next|this))\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|"
     r"Saturday|Sunday)\b", _weekday_en),
    (rf"(?:\b(?i:in|during|since|by|until|early|late|last|this|next)\s+|\b(?i:mid)-){_MON}(?!\s+\d)", _bare_month),
    # Russian
    (rf"(?i:(?<!\d)(?:с\s+)?(?P<day>[0-3]?\d)\s*(?:(?:-|–|—|по|до)\s*(?P<day2>[0-3]?\d))?\s+{_RU_MON}"
     rf"(?:\s+{_YEAR})?)", _ru_day),
    (rf"(?i:\bв\s+{_RU_MON}(?:\s+{_YEAR}\s+года)?)", _ru_month),
    (r"(?i:\b(?:сегодня|сегодняшний)\b)", _today),
    (r"(?i:\bвчера\b)", _yesterday),
    (r"(?i:\bзавтра\b)", _tomorrow),
    (r"(?i:\bво?\s+(?P<wd>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)\b)", _weekday_ru),
    (r"(?i:на прошлой неделе)", _week(-1)),
    (r"(?i:на этой неделе)", _week(0)),
    (r"(?i:на следующей неделе)", _week(1)),
    (r"(?i:в прошлом месяце)", _month(-1)),
    (r"(?i:в этом месяце)", _month(0)),
    (r"(?i:в следующем месяце)", _month(1)),
    (r"(?i:в прошлом году)", _year(-1)),
    (r"(?i:в этом году)", _year(0)),
    (r"(?i:в следующем году)", _year(1)),
    # a bare year last: "22 декабря 2020 года" is a day, not the year (rules claim their spans in order)
    (rf"(?<![-–/\w]){_YEAR}(?![-–/\w])", _year_only),
    # Chinese
    (r"(?:(?P<year>(?:19|20)\d\d)年)?(?P<m>[01]?\d)月(?P<d>[0-3]?\d)[日号]"
     r"(?:\s*(?:至|到|-|—|～|~)\s*(?:(?P<m2>[01]?\d)月)?(?P<d2>[0-3]?\d)[日号])?", _zh_day),
    (r"(?:(?P<year>(?:19|20)\d\d)年)?(?P<m>[01]?\d)月(?:份|中旬|上旬|下旬|初|底)?", _zh_month),
    (r"(?P<year>(?:19|20)\d\d)年", _year_only),
    (r"今天|今日", _today),
    (r"昨天|昨日", _yesterday),
    (r"明天|明日", _tomorrow),
    (r"(?P<pre>上周|上星期|本周|这周|本星期|下周|下星期)?(?:周|星期)(?P<wd>[一二三四五六日天])", _weekday_zh),
    (r"上周|上星期", _week(-1)),
    (r"本周|这周", _week(0)),
    (r"下周", _week(1)),
    (r"上个?月", _month(-1)),
    (r"本月|这个月", _month(0)),
    (r"下个?月", _month(1)),
    (r"去年", _year(-1)),
    (r"今年", _year(0)),
    (r"明年", _year(1)),
))


_SINCE_CLAUSE = re.compile(r"(?:\b(?i:since|ever since)\b|(?i:с тех пор как)|自从)[^,;.，。]*$")


_SINCE_WORDS = required_literals(_SINCE_CLAUSE)


def _in_since_clause(sentence: str, position: int) -> bool:
    """ "Since Russia moved into Ukraine on February 24, ...": a state's start, not an event date."""
    return bool(_SINCE_CLAUSE.search(sentence[max(0, position - 80):position]))


RELATIVE_YEAR = re.compile(r"\b(?P<last>last year)\b|\b(?P<next>next year)\b|\bthis year\b|"
                            r"(?i:в (?:(?P<ru_last>прошлом)|(?P<ru_next>следующем)|этом) году)|"
                            r"(?P<zh_last>去年)|(?P<zh_next>明年)|今年", re.I)


def relative_year(sentence: str, base: date) -> int | None:
    """ "Last year, the exercises took place from March 11 to 15": the year of the days it writes."""
    if "year" not in sentence and "году" not in sentence and "年" not in sentence:
        return None  # cheap first
    m = RELATIVE_YEAR.search(sentence)
    if m is None:
        return None
    if m["last"] or m["ru_last"] or m["zh_last"]:
        return base.year - 1
    return base.year + 1 if (m["next"] or m["ru_next"] or m["zh_next"]) else base.year


_SINCE_BEFORE = re.compile(r"(?i:\bsince\s+$|\bс\s+$)")


def sentence_year_hint(sentence: str) -> int | None:
    """The one year the sentence writes, not counting a "since" year ("the largest since 1981")."""
    years = set(_ANY_YEAR.findall(sentence))
    if len(years) > 1 or (years and ("since" in sentence or "с " in sentence or "Since" in sentence)):
        years = {m.group(1) for m in _ANY_YEAR.finditer(sentence)
                 if not _SINCE_BEFORE.search(sentence, max(0, m.start() - 8), m.start())}
    return int(years.pop()) if len(years) == 1 else None


# The words each rule cannot match without (a month name, "ago", "week", 月): a rule none of whose
# words is in the sentence is not run (most sentences give no date at all). Rules that share their
# words share one test (_GATES), made once per sentence.
_RULE_WORDS = tuple(required_literals(pattern) for pattern, _ in RULES)
_GATES = tuple(dict.fromkeys(words for words in _RULE_WORDS if words is not None))
_RULE_GATE = tuple(None if words is None else _GATES.index(words) for words in _RULE_WORDS)
# The rules with no such word (an ISO date, a bare year) need a year written in figures; any other
# rule without words is run where its first characters occur (start_atoms).
_YEAR_FIGURES = re.compile(r"(?:19|20)\d\d")
_NEEDS_YEAR = tuple(words is None and pattern.source.startswith((rf"\b{_YEAR}", rf"(?<![-–/\w]){_YEAR}"))
                    for (pattern, _), words in zip(RULES, _RULE_WORDS))
_UNGATED = [pattern for (pattern, _), words, year in zip(RULES, _RULE_WORDS, _NEEDS_YEAR) if words is None and not year]
_RULE_STARTS = first_characters_trigger(_UNGATED) if _UNGATED else None
_LATER_RULES = tuple((pattern, words) for (pattern, handler), words in zip(RULES, _RULE_WORDS) if handler is _later)
# A gate whose every word holds a Chinese character (caseless: nothing else matches it) or a Cyrillic
# letter can pass only in a sentence with such a character (for Cyrillic under IGNORECASE: the block
# and the old letter forms re matches to в д о с т ъ ѣ; tests/test_literals.py checks it on every
# code point). A sentence without one asks only the other gates.
CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
CYRILLIC_CHAR = re.compile(r"[\u0400-\u04ff\u1c80-\u1c88]")


def _gate_script(gate) -> str | None:
    for script, low, high in (("cjk", "\u3400", "\u9fff"), ("cyrillic", "\u0400", "\u04ff")):
        if all(any(low <= ch <= high for ch in text) for text, _ in gate):
            return script
    return None


_GATE_SCRIPT = tuple(_gate_script(gate) for gate in _GATES)
_GATES_TO_ASK = {(cjk, cyrillic): tuple(i for i, script in enumerate(_GATE_SCRIPT)
                                         if script is None or (script == "cjk" and cjk)
                                         or (script == "cyrillic" and cyrillic))
                 for cjk in (False, True) for cyrillic in (False, True)}


@functools.lru_cache(maxsize=256)  # pure; a sentence is often dated twice (two anchors, a second reading)
def _rules_to_run(sentence: str) -> tuple[Rule, ...]:
    """The rules that may match in the sentence, in order (those that cannot are left out)."""
    words = Text(sentence)
    gates = [False] * len(_GATES)
    for i in _GATES_TO_ASK[CJK_CHAR.search(sentence) is not None, CYRILLIC_CHAR.search(sentence) is not None]:
        gates[i] = words.may_match(_GATES[i])
    year = starts = None
    out = []
    for rule, gate, needs_year in zip(RULES, _RULE_GATE, _NEEDS_YEAR):
        if gate is not None:
            if not gates[gate]:
                continue
        elif needs_year:
            if year is None:
                year = _YEAR_FIGURES.search(sentence) is not None
            if not year:
                continue
        else:
            if starts is None and _RULE_STARTS is not None:
                starts = start_atoms(_RULE_STARTS, sentence)
            if starts is not None and not rule[0].may_start(starts):
                continue
        out.append(rule)
    return tuple(out)


def find_periods(sentence: str, ctx: DateContext) -> list[tuple[int, Period]]:
    """Every period the sentence gives, with its position; a span used by one rule is not reused."""
    if ctx.year_hint is None:
        ctx = replace(ctx, year_hint=sentence_year_hint(sentence) or relative_year(sentence, ctx.base))
    taken = [False] * len(sentence)
    found: list[tuple[int, Period]] = []
    since = None  # does the sentence hold a "since" word at all (else no date is in a since clause)?
    for pattern, handler in _rules_to_run(sentence):
        for m in pattern.finditer(sentence):
            if any(taken[m.start():m.end()]):
                continue
            period = handler(m, ctx)
            if period is None:
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            if since is None:
                since = Text(sentence).may_match(_SINCE_WORDS)
            if not (since and _in_since_clause(sentence, m.start())):
                found.append((m.start(), period))
    return sorted(found, key=lambda item: item[0])


def uses_previous(sentence: str) -> bool:
    """Does the sentence date itself from the one before ("a few days later", "the next month")?"""
    words = Text(sentence)
    return any(words.may_match(needed) and pattern.search(sentence) for pattern, needed in _LATER_RULES)


_SAID_BEFORE = re.compile(r"\b(?:said|says|told|announced|reported|stated|added|confirmed|statement)\b[^.;]{0,12}$|"
                          r"(?i:сообщил\w*|заявил\w*)[^.;]{0,12}$", re.I)


# "the drills were planned in April 2006", "учения было запланировано в апреле": when it was arranged
_ARRANGED_BEFORE = re.compile(r"\b(?:planned|agreed|decided|arranged)(?:\s+(?:on|in))?\s+$|"
                              r"(?i:(?:запланирован|объявлен|анонсирован|договорил)\w*(?:\s+во?)?\s+$)", re.I)


def statement_date(sentence: str, position: int) -> bool:
    """ "the ministry said on Tuesday", "planned in April": when it was said or arranged, not when the
    drill happens."""
    before = sentence[max(0, position - 40):position]
    return bool(_SAID_BEFORE.search(before) or _ARRANGED_BEFORE.search(before))


def only_arranged_dates(sentence: str, ctx: DateContext) -> bool:
    """Every date the sentence writes is when something was planned, agreed or arranged (a report's
    "said on Wednesday" still dates what it reports when nothing else does)."""
    periods = find_periods(sentence, ctx)
    return bool(periods) and all(_ARRANGED_BEFORE.search(sentence[max(0, at - 40):at]) for at, _ in periods)


def resolve_period(sentence: str, ctx: DateContext) -> Period | None:
    """The most specific period in the sentence (range > day > week > month > year), first on ties;
    the date of a statement ("said on Tuesday") only when the sentence gives no other."""
    periods = find_periods(sentence, ctx)
    if not periods:
        return None
    return min(periods, key=lambda item: (statement_date(sentence, item[0]),
                                          PRECISION_RANK[item[1].precision], item[0]))[1]
