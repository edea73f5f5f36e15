"""Find China–Russia exercises and patrols mentioned in an article (pure; gazetteer passed in).

Three routes, one Mention per (sentence, exercise):
- named: a gazetteer alias ("Vostok 2022", "Морское взаимодействие-2021", "东方-2022") or a series
  name with a year from the text or the publication date ("the Vostok exercises" in 2022). Series
  whose names are reused without China (Vostok, Zapad, ...) need China in the article unless the
  edition is in the gazetteer; look-alikes (Zapad-2021, Eagle Assault, the Vostok spacecraft) shadow.
- activity: an unnamed joint patrol or drill, bound to China and Russia in the sentence, dated from
  the text (relative dates against the publication date) and resolved to a gazetteer instance whose
  dates cover it, else keyed by series + year-month (joint-strategic-air-patrol-2025-12).
- discovered: a code name the article introduces ("dubbed X", a quoted name next to "exercise",
  "Eagle Strike-2026 drills", «X», 代号“X”) when the participants include China and Russia.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

from config.fastregex import FastRegex
from config import PACKAGE_DIR
from crawler.text.literals import GatedRegex
from config.load import load_places
from config.gazetteer import Gazetteer, Instance, NameHit, Series, instance_key, patrol_key
from crawler.text.relevance import (JOINT, NOT_LATIN, SentenceFacts, activity_bound, analyse_sentence,
                                    article_pair_context, find_countries, find_places)
from crawler.text.script import to_simplified
from crawler.text.reldates import _in_since_clause
from crawler.text.reldates import (RELATIVE_YEAR, DateContext, Period, find_periods, only_arranged_dates,
                                   resolve_period, sentence_year_hint, uses_previous)
from crawler.text.sentences import Sentence, iter_sentences

DRILL_SERIES = "joint-drill"  # key prefix of unnamed China–Russia drills not in the gazetteer
FALLBACK_PATROL = {"air_patrol": "joint-air-patrol", "naval_patrol": "joint-naval-patrol",
                   "coast_guard_patrol": "coast-guard-joint-patrol"}
STARTING_WINDOW = 14  # days: "began" about a date older than this is history, not news
FUTURE_WINDOW = 45  # days: "will hold drills" without a date looks this far ahead
PAST_PATROL_WINDOW = 7  # days: an undated past patrol report is about the last week
SUBJECT_CHARS = 100  # the vehicles flying/sailing a patrol are named this close before the word

_NOT_YET = r"(?<!will )(?<!to )(?<!would )(?<!shall )(?<!may )(?<!could )"  # "will begin" is future
STARTING = GatedRegex(
    r"\b(?:began|begins|begun|kicked off|kicks off|launched|launches|started|starts|commenced|commences|"
    r"opened|opens|opening ceremony|got under ?way|(?:is|are) under ?way|(?:is|are) (?:holding|conducting|"
    r"staging|carrying out|taking part|taking place|being held)|(?:has|have) (?:begun|started|kicked off)|"
    r"(?:will )?(?:run|last|continue)s? (?:until|through|till))\b|"
    rf"{_NOT_YET}\b(?:begin|start|launch|open|kick off)\b|"
    r"(?i:начал(?:ись|ось|ся|и|о|а)?\b|стартовал\w*|проход[яи]т(?!ь)|проводят|открыл\w*|идут)|"
    r"拉开帷幕|开幕|开始|正在|启动|打响", re.I)
FUTURE = GatedRegex(
    r"\b(?:will|would|shall|to be held|to hold|to conduct|to stage|to take part|plans? to|planned|"
    r"planning|set to|scheduled|upcoming|(?:is|are) to|intends? to|expected to)\b|"
    r"(?i:проведут|пройдут|состоятся|планиру\w*|будут|намерен\w*|предстоящ\w*)|将|计划|即将|拟", re.I)
GENERIC = GatedRegex(
    r"\b(?:regularly|routinely|often|frequently|series of|a number of|in recent years|several|many|"
    r"every year|annual(?:ly)?|each year|numerous|repeatedly|since (?:19|20)\d\d|in the past)\b|"
    r"(?i:регулярно|ежегодн\w*|ряд\w*|в последние годы|неоднократно)|定期|多次|近年来|每年|系列|以来", re.I)
# China taking part (not merely named: "China was not represented" does not count).
CHINA_TAKES_PART = GatedRegex(
    r"\b(?:Chinese|PLA|China's|Beijing's)\s+(?:\w+\s+)?(?:troops|soldiers|forces|servicemen|service members|"
    r"warships|ships|navy|contingent|units|military|aircraft|bombers|personnel|army|marines|paratroopers)\b|"
    r"\bChina\s+(?:will\s+|would\s+|has\s+|also\s+)?(?:sends?|sent|joins?|joined|takes? part|took part|"
    r"participat\w+|contribut\w+)\b(?!\s+no\b)|\bPeople's Liberation Army\b|"
    r"(?i:китайск\w+\s+(?:военн\w+|войск\w*|корабл\w+|подразделени\w+|самол[её]т\w*)|военнослужащ\w+\s+(?:китая|кнр|ноак)|"
    r"китай\s+(?:направит|направил|примет участие|принял участие)|\bноак\b)|解放军|中方(?:派|参)|中国军队|参演", re.I)
# "anti-submarine patrol aircraft", "a patrol ship": equipment, not a patrol
PATROL = GatedRegex(r"\bpatrol(?:s|led|ling|ing)?\b(?!\s+(?:aircraft|planes?|ships?|boats?|vessels?|craft)\b)|"
                   r"(?i:патрул\w*)|巡航|巡逻|巡邏|联巡|聯巡", re.I)
# "air" as in air force or air patrol, not "joint air defence" or "air targets" of a naval drill
AIR = GatedRegex(r"\b(?:bombers?|aircraft|air ?force|aerial|air(?! defen[cs]e| targets?)|warplanes|jets|planes|"
                r"Tu-95\w*|H-6\w*|strategic missile carriers|aviation)\b|(?i:бомбардировщ\w*|ракетоносц\w*|самол[её]т\w*|"
                r"воздушн\w*|авиац\w*|ту-95\w*)|轰炸机|空中|飞机|战机|空军", re.I)
BOMBERS = GatedRegex(r"\b(?:bombers?|Tu-95\w*|H-6K?|strategic missile carriers)\b|(?i:бомбардировщ\w*|"
                    r"ракетоносц\w*)|轰炸机", re.I)
AIRCRAFT = GatedRegex(r"\b(?:aircraft|warplanes|planes|jets|bombers?|Tu-95\w*|H-6\w*)\b|"
                     r"(?i:самол[её]т\w*|бомбардировщ\w*)|飞机|战机|轰炸机", re.I)
AIRSPACE = GatedRegex(r"\b(?:air defen[cs]e identification zone|ADIZ|KADIZ|airspace)\b|识别区|领空", re.I)
NAVAL = GatedRegex(r"\b(?:warships?|ships?|vessels?|naval|maritime|navy|navies|fleet|flotilla|destroyers?|"
                  r"frigates?|corvettes?)\b|(?i:корабл\w*|морск\w*|флот\w*|вмф|вмс)|舰艇|军舰|海上|海军|舰", re.I)
NAVY = GatedRegex(r"\b(?:warships?|naval|navy|navies|fleet|flotilla|destroyers?|frigates?|corvettes?)\b|"
                 r"(?i:военн\w* корабл\w*|вмф|вмс)|军舰|海军|舰艇编队", re.I)  # the military, not a coast guard
SAILED = GatedRegex(r"\b(?:sailed|sailing|passed through|transited|navigated|cruised)\b", re.I)
COAST_GUARD = GatedRegex(r"\bcoast ?guards?\b|\bborder (?:service|guards?)\b|(?i:береговой охраны|"
                        r"погранслужб\w*|пограничн\w*)|海警", re.I)
SPACE = GatedRegex(r"\b(?:spacecraft|cosmonaut\w*|Gagarin|orbit\w*|rocket|capsule|spaceflight|space flight|"
                  r"Antarctic\w*|watch(?:es)?)\b|(?i:космо\w*|гагарин\w*)|航天|宇宙|加加林", re.I)
EXERCISE_NOUN = GatedRegex(r"\b(?:exercises?|drills?|war[- ]?games?|manoeuvres?|maneuvers?|wargames?)\b|"
                          r"(?i:учени[еяйюих]\w*|манёвр\w*|маневр\w*)|演习|军演|演练", re.I)
ORDINAL_WORDS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(), start=1)}
ORDINAL_RU = {w: i for i, w in enumerate(
    "перв втор трет четв пят шест седьм восьм девят десят".split(), start=1)}
ZH_NUM = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
ORDINAL = FastRegex(r"\b(?P<n>\d{1,2})(?:st|nd|rd|th)\b|\b(?P<w>first|second|third|fourth|fifth|sixth|"
                    r"seventh|eighth|ninth|tenth|eleventh|twelfth)\b|(?P<ru>\d{1,2})-(?:е|й|я|го|ое|ый)\b|"
                    r"(?i:\b(?P<rw>перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят)\w*)|"
                    r"第(?P<zh>[一二三四五六七八九十\d]{1,3})次", re.I)


@dataclass(frozen=True)
class Mention:
    exercise: str  # instance key: "vostok-2022", "joint-strategic-air-patrol-2024-07", "eagle-strike-2026"
    name: str  # display name
    series: str | None
    year: int | None
    ordinal: int | None
    known: bool  # the instance is in the gazetteer
    kind: str  # "named" | "patrol" | "drill" | "discovered"
    sentence: str
    date: date | None  # the activity's day when the text gives it
    start: date | None
    end: date | None
    places: tuple[str, ...]
    participants: tuple[str, ...]  # ISO 3166 alpha-2
    starting: bool  # reported as starting/underway, not announced or past
    confidence: float

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("date", "start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        data["places"], data["participants"] = list(self.places), list(self.participants)
        return data


@dataclass(frozen=True)
class View:
    """One sentence analysed in its article's context.

    period, tense and generic are worked out only for sentences that can hold a mention (see
    may_mention); the others keep None, "other" and False."""
    sentence: Sentence
    facts: SentenceFacts
    period: Period | None
    tense: str  # "starting" | "future" | "other"
    generic: bool  # habitual/summary sentence without a specific date
    names: tuple[NameHit, ...]


@dataclass(frozen=True)
class Article:
    views: tuple[View, ...]
    published: date | None
    gazetteer: Gazetteer
    pair: bool  # China and Russia are bound somewhere in the article
    mentioning: frozenset[int] = frozenset()  # indexes of the views that can hold a mention (dated ones)
    originals: tuple[str, ...] = ()  # the sentences as written (views read Traditional Chinese as Simplified)
    places: frozenset[str] = frozenset()  # every place the article names
    written: tuple[str, str] = field(default=("", ""), compare=False, repr=False)  # text and title (coast_guard)
    partners: frozenset[str] = frozenset()  # countries the article names together with China or Russia
    lazy: dict = field(default_factory=dict, compare=False)  # facts worked out when first asked for
    # A page with no date and no year: the days and months it writes ("27 July to 15 August", 7月14日),
    # by index of the view, read in the leap year 2000 (only their month and day mean anything)
    yearless_days: tuple[tuple[int, Period], ...] = ()
    year: int | None = None  # an undated page: the year of the exercise it names (article_year)

    @property
    def china_paragraphs(self) -> frozenset[int]:
        """Paragraphs where China takes part (-1: the title); worked out when first asked for (only an
        ambiguous series name needs them)."""
        if "china_paragraphs" not in self.lazy:
            self.lazy["china_paragraphs"] = frozenset(v.sentence.paragraph for v in self.views
                                                      if CHINA_TAKES_PART.search(v.sentence.text))
        return self.lazy["china_paragraphs"]

    @property
    def coast_guard(self) -> bool:
        """The article reports a coast-guard patrol: its "joint patrol" is that one. Worked out when first
        asked for (only a naval patrol or an unnamed drill needs it): one scan of the text first."""
        if "coast_guard" not in self.lazy:
            text, title = self.written
            self.lazy["coast_guard"] = bool(COAST_GUARD.search(text + "\n" + title)) and any(
                COAST_GUARD.search(v.sentence.text) and PATROL.search(v.sentence.text) for v in self.views)
        return self.lazy["coast_guard"]

    def original(self, view: View) -> str:
        index = view.sentence.index
        return self.originals[index] if index < len(self.originals) else view.sentence.text

    def mentioning_views(self) -> list[View]:
        return [view for index, view in enumerate(self.views) if index in self.mentioning]


# --- building the article view ----------------------------------------------------------------

def _as_date(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def sentence_tense(text: str) -> str:
    if STARTING.search(text):
        return "starting"
    return "future" if FUTURE.search(text) else "other"


def _period(text: str, tense: str, published: date | None, previous: Period | None,
            article_year: int | None = None) -> Period | None:
    if published is None:  # no "now": only dates the text writes, in its year or the article's
        written = sentence_year_hint(text)
        year = written or article_year
        if not year:
            return None
        # A date that reads the same from either end of its year is absolute ("August 18, 2005",
        # "July 28" or "last year" in a "Joint Sea 2017" story); "on Wednesday" or "last month"
        # would move with the anchor, so they are not dates here.
        early = resolve_period(text, DateContext(date(year, 1, 1), tense == "future", previous, written))
        late = resolve_period(text, DateContext(date(year, 12, 31), tense == "future", previous, written))
        if early is not None and early == late:
            return early
        return Period(date(year, 1, 1), date(year, 12, 31), "year") if written else None
    period = resolve_period(text, DateContext(published, tense == "future", previous))
    if (period and tense != "future" and period.precision in ("day", "range", "week")
            and period.start > published + timedelta(days=7)):
        # "On 24 August Shoigu announced Peace Mission-2023" in a December 2022 article: the year of
        # the name is not the year of the day; a sentence not in the future tense is about the past.
        period = resolve_period(text, DateContext(published, False, previous, 0)) or period
    return period


def article_year(views, gazetteer: Gazetteer, draft: Article | None = None) -> int | None:
    """The year an undated page is about: the latest year written with an exercise name in it
    ("Joint Sea 2017", "Vostok-2018"); None when it names none."""
    years = [hit.year for view in views for hit in view.names if hit.year and hit.kind != "look_alike"]
    years += [gazetteer.instance(hit.ref).year for view in views for hit in view.names
              if hit.kind == "instance" and re.search(r"\d\d", hit.text)]
    if not years and draft is not None:
        # a code name of China's and Russia's the page introduces with its year ("Security Belt-2025"),
        # not a look-alike's nor another alliance's ("Rubezh-2012" of four CSTO members)
        years = [year for view in views for start, end, raw, _ in code_name_candidates(view.sentence.text)
                 if (year := split_year(split_part(clean_name(raw))[0])[1])
                 and not any(h.start < end and start < h.end for h in view.names)
                 and discovered_participants(view, draft) is not None]
    return max(years, default=None)


def _is_generic(text: str, period: Period | None) -> bool:
    specific = period is not None and period.precision in ("range", "day", "week", "month")
    if specific or not GENERIC.search(text):
        return False
    # "The first joint patrol took place in 2021 and has been held every year since": that first one
    # is one event, numbered and dated, whatever habit follows it.
    return not (period is not None and _YEAR_WORD.search(text) and _numbered_activity(text))


def _numbered_activity(text: str) -> bool:
    return any((noun := regex.search(text)) and find_ordinal(text, noun.start()) is not None
               for regex in (PATROL, EXERCISE_NOUN))


class _Dates:
    """Tense and period of an article's sentences, worked out when asked for. A period can depend on
    the last earlier one ("a few days later"): that one is then worked out too."""

    def __init__(self, texts: list[str], published: date | None, year: int | None = None):
        self.texts, self.published, self.year = texts, published, year
        self.periods: dict[int, Period | None] = {}
        self.tenses: dict[int, str] = {}

    def tense(self, index: int) -> str:
        if index not in self.tenses:
            self.tenses[index] = sentence_tense(self.texts[index])
        return self.tenses[index]

    def period(self, index: int) -> Period | None:
        if index not in self.periods:
            text = self.texts[index]
            previous = self.previous(index) if uses_previous(text) else None
            self.periods[index] = _period(text, self.tense(index), self.published, previous, self.year)
        return self.periods[index]

    def previous(self, index: int) -> Period | None:
        return next((period for before in range(index - 1, -1, -1) if (period := self.period(before))), None)

    def dated(self, index: int, view: View) -> View:
        period = self.period(index)
        return replace(view, period=period, tense=self.tense(index), generic=_is_generic(self.texts[index], period))


def may_mention(view: View, article: Article) -> bool:
    """A gazetteer name, a code name or a China–Russia patrol/drill word: the sentence needs its dates."""
    return bool(view.names or _candidate_names(view)
                or (_may_be_theirs(view.facts, article.pair)
                    and any(china_russia_activity(view, article, kind) for kind in activity_kinds(view, article, False))))


def _may_be_theirs(facts: SentenceFacts, pair: bool) -> bool:
    """What china_russia_activity needs for some kind: asked first, it spares most sentences the
    activity kinds (their vehicle and patrol words)."""
    return facts.cn_ru or (pair and (facts.two_party or facts.joint)) or activity_bound(facts, pair)


def build_article(text: str, title: str, published: date | None, gazetteer: Gazetteer) -> Article:
    written = iter_sentences(text, title)
    sentences = [s if (simple := to_simplified(s.text)) == s.text else replace(s, text=simple) for s in written]
    views = tuple(View(s, analyse_sentence(s.text), None, "other", False, gazetteer.name_hits(s.text))
                  for s in sentences)
    draft = Article(views, published, gazetteer, article_pair_context([v.facts for v in views]),
                    originals=tuple(s.text for s in written),
                    places=frozenset(p.name for v in views for p in v.facts.places), written=(text, title),
                    partners=frozenset(c for v in views for g in v.facts.groups if g & {"CN", "RU"} for c in g))
    chosen = frozenset(i for i, view in enumerate(views) if may_mention(view, draft))
    year = article_year(views, gazetteer, draft) if published is None else None
    dates = _Dates([s.text for s in sentences], published, year)
    days = tuple((i, p) for i, v in enumerate(views) if i in chosen or EXERCISE_NOUN.search(v.sentence.text)
                 for p in yearless_days(v.sentence.text)) if published is None and year is None else ()
    return replace(draft, views=tuple(dates.dated(i, view) if i in chosen else view for i, view in enumerate(views)),
                   mentioning=chosen, yearless_days=days, year=year)


def yearless_days(text: str) -> list[Period]:
    """Days and ranges the sentence writes without a year, as read in 2000: those that read the same
    from either end of the year (absolute: "27 July", not "on Saturday" or "last month")."""
    if _YEAR_WORD.search(text):
        return []
    early = find_periods(text, DateContext(date(2000, 1, 1), False, None, 2000))
    if not early:
        return []
    late = set(find_periods(text, DateContext(date(2000, 12, 31), False, None, 2000)))
    return [p for at, p in early if (at, p) in late and p.precision in ("day", "range")]


def _shifted(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None


def edition_by_day(instances, days: list[Period]) -> Instance | None:
    """The one instance whose dates every yearless day fits (a range starting within three days of its
    start, a day inside its dates with a day's slack); None when none or several do."""
    fits = [i for i in instances if i.start is not None and days and all(_fits(p, i) for p in days)]
    return fits[0] if len(fits) == 1 else None


def _fits(p: Period, i: Instance) -> bool:
    start = _shifted(p.start, i.year)
    if start is None:
        return False
    if p.precision == "range":
        return abs((start - i.start).days) <= 3
    return i.start - timedelta(days=1) <= start <= (i.end or i.start) + timedelta(days=1)


# --- shared helpers ---------------------------------------------------------------------------

def is_starting(view: View, published: date | None) -> bool:
    """Starting/underway now: a start verb, and no date that puts it in the future or the past.
    Without a publication date there is no "now" to be under way at (an archive page "began")."""
    if view.tense != "starting" or published is None:
        return False
    if view.period is None or view.period.precision == "year":
        return True
    return (published - timedelta(days=STARTING_WINDOW) <= view.period.end
            and view.period.start <= published + timedelta(days=1))


def text_participants(view: View, article: Article) -> tuple[str, ...]:
    """China and Russia plus whoever the sentence binds to them ("China, Russia and Iran")."""
    codes: set[str] = set()
    for group in view.facts.groups:
        if group & {"CN", "RU"}:
            codes |= group
    if article.pair or view.facts.bound:
        codes |= {"CN", "RU"}
    codes |= {h.code for h in view.facts.countries if h.code in ("CN", "RU") and not h.source}
    return tuple(sorted(codes, key=lambda c: (c not in ("CN", "RU"), c)))


def text_places(view: View) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.name for p in view.facts.places))


def find_ordinal(text: str, near: int | None) -> int | None:
    """ "the 10th joint patrol", "девятое", "第九次": the ordinal closest before the noun at `near`."""
    if near is None:
        return None
    best = None
    for m in ORDINAL.finditer(text):
        if 0 <= near - m.end() <= 60:
            best = m
    if best is None:
        return None
    if best["n"] or best["ru"]:
        return int(best["n"] or best["ru"])
    if best["w"]:
        return ORDINAL_WORDS[best["w"].lower()]
    if best["rw"]:
        return _ru_ordinal(best["rw"])
    return _zh_number(best["zh"])


def _ru_ordinal(word: str) -> int | None:
    word = word.lower()
    return next((n for stem, n in ORDINAL_RU.items() if word.startswith(stem)), None)


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + ZH_NUM.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return ZH_NUM.get(tens, 1) * 10 + ZH_NUM.get(ones, 0)
    return ZH_NUM.get(text)


def _dates_for(view: View, instance: Instance | None) -> tuple[date | None, date | None, date | None]:
    """(day, start, end): the text's range beats the gazetteer's dates, which beat a single day."""
    day = view.period.day if view.period else None
    if view.period and view.period.precision == "range":
        return day, view.period.start, view.period.end
    if instance and instance.start:
        return day, instance.start, instance.end
    return day, day, day


@dataclass(frozen=True)
class Found:
    """What one route identified; make_mention adds the sentence's dates, places and participants."""
    key: str
    name: str
    kind: str  # Mention.kind
    confidence: float
    series: str | None = None
    year: int | None = None
    instance: Instance | None = None  # set when the gazetteer has it
    ordinal: int | None = None
    participants: tuple[str, ...] = ()

    @classmethod
    def of(cls, instance: Instance, kind: str, confidence: float, ordinal: int | None = None) -> "Found":
        # The gazetteer's ordinal wins: outlets' counts conflict.
        return cls(instance.id, instance.name, kind, confidence, instance.series, instance.year, instance,
                   instance.ordinal or ordinal, instance.participants)


def make_mention(view: View, article: Article, found: Found) -> Mention:
    day, start, end = _dates_for(view, found.instance)
    places = text_places(view) or (found.instance.places if found.instance else ())
    participants = found.participants or text_participants(view, article)
    return Mention(found.key, found.name, found.series, found.year, found.ordinal, found.instance is not None,
                   found.kind, article.original(view), day, start, end, places, participants,
                   is_starting(view, article.published), found.confidence)


# --- named mentions ---------------------------------------------------------------------------

def _exercise_noun_near(view: View, hit: NameHit, chars: int = 50) -> bool:
    text = view.sentence.text
    return any(m.start() < hit.end + chars and m.end() > hit.start - chars for m in EXERCISE_NOUN.finditer(text))


def _context_year(view: View, article: Article) -> int | None:
    if view.period:
        return view.period.start.year
    return article.published.year if article.published else None


def _china_context(view: View, article: Article) -> bool:
    """Chinese participation near an ambiguous series name: in the sentence, its paragraph or the title."""
    return (view.facts.bound or view.sentence.paragraph in article.china_paragraphs
            or -1 in article.china_paragraphs)


def _pick_edition(candidates: tuple[Instance, ...], view: View, article: Article) -> Instance | None:
    """Two editions in one year (Joint Sea-2017 I in the Baltic, II off Vladivostok): the one whose
    places the sentence names, else the article, then the one nearest the text's date, else the first."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    ref = view.period.start if view.period else article.published
    article_places = article.places

    def rank(i: Instance) -> tuple:
        near = abs(((i.start or date(i.year, 7, 1)) - ref).days) if ref else 0
        return -_place_score(view, i), -len(article_places & set(i.places)), near

    return min(candidates, key=rank)


_PART_WORDS = re.compile(r"\(\s*I{1,3}\s*\)|-I{1,3}\b|\bI{1,3}$|(?i:втор|перв|этап)|第[一二三]", re.U)


def _edition_of(hit: NameHit, view: View, article: Article) -> Instance:
    """An edition's alias that does not say which part ("Морское взаимодействие - 2015" listed under
    2015 I) names the year: the editions of that year are told apart by place and date."""
    instance = article.gazetteer.instance(hit.ref)
    if instance.part is None or _PART_WORDS.search(hit.text):
        return instance
    siblings = tuple(i for i in article.gazetteer.instances_of(instance.series) if i.year == instance.year)
    return _pick_edition(siblings, view, article) or instance


def _series_edition(series: Series, year: int, part: int | None, view: View, article: Article) -> Instance | None:
    editions = tuple(i for i in article.gazetteer.instances_of(series.id)
                     if i.year == year and (part is None or i.part == part))
    return _pick_edition(editions, view, article)


def named_from_instance(hit: NameHit, view: View, article: Article) -> Mention | None:
    if hit.generic and not _exercise_noun_near(view, hit):
        return None
    instance = _edition_of(hit, view, article)
    year = _context_year(view, article)
    if year and abs(year - instance.year) > 1 and not re.search(r"(?:19|20)\d\d|'\d\d|-\d\d", hit.text):
        return None  # "the first joint patrol in the Arctic" of another year is not that 2024 patrol
    return make_mention(view, article, Found.of(instance, "named", 0.95))


def _series_year(hit: NameHit, series: Series, view: View, article: Article) -> int | None:
    """Year written with the name, else from the sentence/publication date (bare names need an exercise word)."""
    if hit.year:
        return hit.year
    if hit.generic or not _exercise_noun_near(view, hit, 40) or view.generic:
        return None
    if series.ambiguous and SPACE.search(view.sentence.text):
        return None
    return _context_year(view, article)


def named_from_series(hit: NameHit, view: View, article: Article) -> Mention | None:
    series = article.gazetteer.series_of(hit.ref)
    if series.is_patrol or (hit.generic and not _exercise_noun_near(view, hit)):
        return None
    if not hit.year and any(0 <= hit.start - end <= 3 for _, end, _, _ in _candidate_names(view)):
        return None  # “安全纽带-2023”海上联合演习: the series' words describe the code name just before them
    year = _series_year(hit, series, view, article)
    if year is None:
        return _yearless_edition(hit, series, view, article)
    instance = _series_edition(series, year, hit.part, view, article)
    if instance is None and series.ambiguous and not _china_context(view, article):
        return None  # "Zapad-2025" without China is Russia's own drill
    if instance:
        return make_mention(view, article, Found.of(instance, "named", 0.9 if hit.year else 0.75))
    name = f"{series.name}-{year}" + (f" ({'I' * hit.part})" if hit.part else "")
    who = tuple(dict.fromkeys(series.participants + text_participants(view, article)))
    return make_mention(view, article, Found(instance_key(series.id, year, hit.part), name, "named",
                                             0.85 if hit.year else 0.6, series.id, year, participants=who))


def _yearless_edition(hit: NameHit, series: Series, view: View, article: Article) -> Mention | None:
    """A page with neither date nor year names the series ("the Peace Mission drills are under way at
    Chebarkul") and writes days ("from 27 July to 15 August"): the one edition those days fit."""
    if (not article.yearless_days or hit.generic or view.generic or hit.part
            or not _exercise_noun_near(view, hit, 40)):
        return None
    instance = edition_by_day(article.gazetteer.instances_of(series.id), [p for _, p in article.yearless_days])
    return make_mention(view, article, Found.of(instance, "named", 0.6)) if instance else None


def listed_editions(hit: NameHit, view: View, article: Article) -> list[Mention]:
    """ "the Peace Mission exercises in 2010, 2012, 2014 and 2016": each listed year the gazetteer
    has an edition of (two at least, so a lone year stays with the usual rules)."""
    if hit.year or hit.generic:
        return []
    series = article.gazetteer.series_of(hit.ref)
    years = {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", view.sentence.text[hit.end:hit.end + 80])}
    editions = [i for i in article.gazetteer.instances_of(series.id) if i.year in years and i.part is None]
    if len(editions) < 2:
        return []
    return [make_mention(view, article, Found.of(i, "named", 0.7)) for i in editions]


def named_mentions(view: View, article: Article) -> list[Mention]:
    out = []
    for hit in view.names:
        if hit.kind == "instance":
            mention = named_from_instance(hit, view, article)
        elif hit.kind == "series":
            listed = listed_editions(hit, view, article)
            if listed:
                out += listed
                continue
            mention = named_from_series(hit, view, article)
        else:
            mention = None  # look-alike: shadows the span, never a mention
        if mention:
            out.append(mention)
    return out


# --- unnamed patrols and drills ---------------------------------------------------------------

def patrol_kind(view: View, article: Article, named_here: bool = False) -> str | None:
    """air_patrol | naval_patrol | coast_guard_patrol from the gazetteer phrase or the vehicles named.

    Without the word "patrol", bombers or sailing warships are a patrol only when no exercise is
    named in the sentence (ships sail out of port for a named exercise too)."""
    kind = _patrol_kind(view, article, named_here)
    if kind == "naval_patrol" and article.coast_guard and not NAVY.search(view.sentence.text):
        return "coast_guard_patrol"  # "the two countries' ships" of a coast-guard patrol story
    return kind


def _patrol_kind(view: View, article: Article, named_here: bool) -> str | None:
    text = view.sentence.text
    if COAST_GUARD.search(text) and PATROL.search(text):
        return "coast_guard_patrol"  # before the phrase: coast guards also hold a "joint maritime patrol"
    for hit in view.names:
        if hit.kind == "series" and article.gazetteer.series_of(hit.ref).is_patrol:
            return article.gazetteer.series_of(hit.ref).kind
    if PATROL.search(text):
        # "The first joint patrol in the Asia-Pacific took place in 2021" names no ships: the article's do
        return patrol_by_vehicle(text) or patrol_vehicles(article)
    if named_here or not ({"CN", "RU"} <= view.facts.actors or view.facts.two_of_them(article.pair)):
        return None  # without the word "patrol", both must be named as flying/sailing
    if BOMBERS.search(text) and (EXERCISE_NOUN.search(text) or re.search(r"\bfl(?:ew|ight)\b", text)):
        return "air_patrol"  # "bombers from the two nations performed a 13-hour exercise"
    if AIRCRAFT.search(text) and AIRSPACE.search(text):
        return "air_patrol"  # "Chinese and Russian aircraft entered the air defence identification zone"
    if NAVAL.search(text) and SAILED.search(text):
        return "naval_patrol"  # "Chinese and Russian warships sailed through the Tsugaru Strait"
    return None


def _may_patrol(text: str) -> bool:
    return "atrol" in text or "атрул" in text or "巡" in text or "ATROL" in text or "АТРУЛ" in text


def patrol_vehicles(article: Article) -> str | None:
    """The one patrol kind the article's patrol sentences name vehicles for (air or naval), else None."""
    if "patrol_vehicles" not in article.lazy:
        kinds = {kind for v in article.views if _may_patrol(v.sentence.text) and PATROL.search(v.sentence.text)
                 and (kind := patrol_by_vehicle(v.sentence.text))}
        article.lazy["patrol_vehicles"] = kinds.pop() if len(kinds) == 1 else None
    return article.lazy["patrol_vehicles"]


def patrol_by_vehicle(text: str) -> str | None:
    """Air or naval patrol: the aircraft or ships that fly or sail it, i.e. those named nearest before
    the word "patrol" (its subject: "After the exercise, the ships will continue joint patrolling",
    even with bombers named later in the sentence), else nearest after it ("a patrol by bombers")."""
    patrol = PATROL.search(text)
    vehicles = [(m.start(), m.end(), "air_patrol") for regex in (BOMBERS, AIR) for m in regex.finditer(text)]
    vehicles += [(m.start(), m.end(), "naval_patrol") for m in NAVAL.finditer(text)]
    before = [(patrol.start() - end, kind != "air_patrol", kind) for start, end, kind in vehicles
              if end <= patrol.start() and patrol.start() - end <= SUBJECT_CHARS]
    after = [(start - patrol.end(), kind != "air_patrol", kind) for start, end, kind in vehicles
             if start >= patrol.end()]
    nearest = min(before or after, default=None)  # on a tie, aircraft
    return nearest[2] if nearest else None


def china_russia_activity(view: View, article: Article, kind: str | None) -> bool:
    """The activity is China's and Russia's together (not drills with a third country)."""
    facts = view.facts
    if activity_bound(facts, article.pair):
        return True
    if kind and kind != "drill" and not facts.third_party and not _patrol_of_others(facts):
        both = facts.cn_ru or (article.pair and (facts.two_party or facts.joint))
        return both and (facts.bound or facts.two_party or facts.joint or len(facts.countries) >= 2)
    return False


def _patrol_of_others(facts: SentenceFacts) -> bool:
    """Every "patrol" of the sentence is someone else's ("a US-led coalition for patrols in the Gulf")."""
    patrols = [m.span() for m in PATROL.finditer(facts.text)]
    ours = [span for span in patrols if span in facts.activities or JOINT.search(facts.text[max(0, span[0] - 25):span[0]])
            or facts.text.startswith("联", span[0])]  # 联巡: "joint patrol" in one word
    return bool(patrols) and not ours  # "a joint patrol" near "Tokyo" is still theirs


def activity_window(view: View, article: Article, kind: str) -> Period | None:
    """The dates the activity is about: from the text, else from the tense around publication."""
    if view.period:
        return view.period
    pub = article.published
    if pub is None:
        return None
    if view.tense == "starting":
        return Period(pub - timedelta(days=3), pub, "week")
    if view.tense == "future":
        return Period(pub, pub + timedelta(days=FUTURE_WINDOW), "month")
    if kind != "drill" and not habitual(view.sentence.text) and not DISTANT_PAST.search(view.sentence.text):
        return Period(pub - timedelta(days=PAST_PATROL_WINDOW), pub, "week")
    return None  # an undated past drill, or "joint bomber flights and at-sea exercises", is background


# An undated past patrol is last week's unless its sentence sets it further back ("previously", "last
# autumn", "months ago", 此前): then it has no date of its own, and no month to be keyed by.
DISTANT_PAST = re.compile(r"\b(?:previously|formerly|earlier(?! (?:on|today|this week)\b)|in the past|"
                          r"(?:months|years) ago|(?:last|this past|in the) (?:spring|summer|autumn|fall|winter))\b|"
                          r"(?i:ранее|прежде|раньше|в прошлом)|此前|之前|以前|曾(?:经|在|于|多次|先后)|去年|前年", re.I)


# Plural activities and no singular one: a habit, not one event.
_SINGULAR = re.compile(r"\b(?:flight|patrol|exercise|drill|flew|patrolled)\b", re.I)
_PLURAL = re.compile(r"\b(?:flights|patrols|exercises|drills)\b", re.I)


def habitual(text: str) -> bool:
    return bool(_PLURAL.search(text)) and not _SINGULAR.search(text)


_MONTH = timedelta(days=30)  # Instance.window: a missing end counts as a month after the start


def _overlapping(window: Period, instances) -> list[Instance]:
    """The instances whose dates (Instance.window, with 3 days' slack for a day, range or week) meet the
    window; the slack is added to the window once instead of to each instance."""
    slack = timedelta(days=3 if window.precision in ("day", "range", "week") else 0)
    low, high = window.start - slack, window.end + slack
    return [i for i in instances if i.start is not None and i.start <= high and low <= (i.end or i.start + _MONTH)]


def _place_score(view: View, instance: Instance) -> int:
    text = set(text_places(view))
    hosts = {p.host for p in view.facts.places if p.host} | set(host_hints(view.sentence.text))
    return len(text & set(instance.places)) + (1 if instance.host and instance.host in hosts else 0)


HOST_HINT = GatedRegex(r"\b(?:in|into|on|to|inside)\s+(?:[\w-]+\s+)?(?P<c>China|Russia)\b|"
                      r"\b(?P<a>Chinese|Russian)\s+(?:territory|soil)\b", re.I)


def host_hints(text: str) -> tuple[str, ...]:
    codes = []
    for m in HOST_HINT.finditer(text):
        word = (m["c"] or m["a"]).lower()
        codes.append("CN" if word.startswith("chin") else "RU")
    return tuple(codes)


def _of_kind(gazetteer: Gazetteer, kind: str) -> tuple[Instance, ...]:
    """The instances of an activity kind (a drill is an exercise series'), in gazetteer order."""
    return gazetteer.instances_of_kind("exercise" if kind == "drill" else kind)


def gazetteer_candidates(view: View, article: Article, kind: str, window: Period) -> list[Instance]:
    """Instances of the right kind whose dates meet the window, best place match first (ties kept)."""
    pool = _overlapping(window, _of_kind(article.gazetteer, kind))
    if not pool:
        return []
    scored = [(_place_score(view, i), i) for i in pool]
    best = max(score for score, _ in scored)
    chosen = [i for score, i in scored if score == best]
    if window.precision == "year" and (best == 0 or len(chosen) > 1):
        return []  # "last year" alone is too vague: need a place or host that singles one out
    return chosen[:2]


def _ordinal_candidate(view: View, article: Article, kind: str, window: Period, ordinal: int | None) -> list[Instance]:
    if ordinal is None:
        return []
    return [i for i in _of_kind(article.gazetteer, kind)
            if i.ordinal == ordinal and abs(i.year - window.start.year) <= 1]


def _new_activity(view: View, article: Article, kind: str, window: Period, ordinal: int | None) -> Mention | None:
    """An activity the gazetteer does not have: key by series and the month it happened.

    None when that key is a gazetteer instance whose dates did not match: the known patrol of that
    month happened on other days, so the text's date belongs to something else (a phase of an
    exercise, another report's headline) and the mention would make a wrong first report of it."""
    if window.precision == "year":
        return None
    series = article.gazetteer.series_of_kind(kind) if kind != "drill" else None
    series_id = series.id if series else FALLBACK_PATROL.get(kind, DRILL_SERIES)
    when = view.period.start if view.period else (article.published or window.start)
    key = patrol_key(series_id, when)
    if article.gazetteer.get_instance(key) is not None:
        return None
    if (series and kind in ("air_patrol", "naval_patrol") and (first := _first_edition(article.gazetteer, series.id))
            and when < first - timedelta(days=31)):
        # before the first joint air (2019) or naval (2021) patrol the gazetteer records: not one of them
        # (a page dated by its template, "the 25th" of an old month); the coast guards' river-border
        # patrols are older than their first patrol at sea, so that series is left out
        return None
    label = series.name if series else ("China–Russia joint drill" if kind == "drill" else series_id)
    prefix = f"{_ordinal_text(ordinal)} " if ordinal else ""
    return make_mention(view, article, Found(key, f"{prefix}{label} ({when:%Y-%m})", "drill" if kind == "drill"
                                             else "patrol", 0.6, series.id if series else None, when.year,
                                             ordinal=ordinal))


def _first_edition(gazetteer: Gazetteer, series_id: str) -> date | None:
    """Start of the series' first edition, when the gazetteer records which one was the first."""
    return next((i.start for i in gazetteer.instances_of(series_id) if i.ordinal == 1 and i.start), None)


def _ordinal_text(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def activity_kinds(view: View, article: Article, named_here: bool) -> list[str]:
    """Patrol kind and/or "drill" ("held joint drills ... before setting off on a joint patrol")."""
    kind = patrol_kind(view, article, named_here)
    text = view.sentence.text
    # Ships drill and then patrol; bombers "patrolling in a joint exercise" are one activity.
    separate = kind in ("naval_patrol", "coast_guard_patrol") and bool(PATROL.search(text))
    drill = not named_here and bool(EXERCISE_NOUN.search(text)) and (kind is None or separate)
    if drill and kind is None and article.coast_guard and not NAVY.search(text):
        return ["coast_guard_patrol"]  # coast guards' search-and-rescue drills are part of their patrol
    return [k for k in (kind, "drill" if drill else None) if k]  # named: its drill noun is that exercise


# "no joint drill is planned", "did not hold joint exercises", "не проводили учений", 没有举行演习
NEGATED = GatedRegex(r"\b(?:no|not an?|never|neither|nor)\s+(?:\w+\s+)?(?:joint\s+)?(?:drills?|exercises?|patrols?|manoeuvres|maneuvers|war ?games)\b|"
                    r"\b(?:did not|didn't|does not|doesn't|will not|won't|has not|have not|had not)\s+(?:\w+\s+){0,2}"
                    r"(?:hold|held|conduct|stage|take part|join|participate)\w*\b|"
                    r"(?i:\bне\s+(?:буд\w+\s+)?(?:провод|участв|план)\w*)|(?:没有|未|不会)(?:举行|参加|参与|进行)", re.I)


def activity_mentions(view: View, article: Article, named_here: bool, local: tuple[Mention, ...]) -> list[Mention]:
    """Unnamed patrols/drills; `local` are the exercises this article names, which "the drills" may mean."""
    if view.generic:
        return []
    kinds = [kind for kind in activity_kinds(view, article, named_here) if china_russia_activity(view, article, kind)]
    text = view.sentence.text
    if not kinds or NEGATED.search(text) or (_outsider(view, article) and CRITICISED.search(text)):
        return []  # "no joint drill is planned"; "Japan and the US launched a drill aimed at China and Russia"
    return [m for kind in kinds for m in _activity_mentions(view, article, kind, local)]


def _mention_window(m: Mention, gazetteer: Gazetteer) -> tuple[date, date] | None:
    """Dates of a named exercise: those the text gave, widened by the gazetteer's (announced and
    held dates differ: Vostok-2022 was announced for Aug 30-Sep 5, held Sep 1-7)."""
    instance = gazetteer.get_instance(m.exercise)
    spans = [span] if instance and (span := instance.window(3)) else []
    if _text_dated(m):
        spans.append((m.start - timedelta(days=3), (m.end or m.start) + timedelta(days=3)))
    if spans:
        return min(s for s, _ in spans), max(e for _, e in spans)
    return (date(m.year, 1, 1), date(m.year, 12, 31)) if m.year else None


def _text_dated(m: Mention) -> bool:
    """The text dates the exercise, in the year of its name ("Vostok-2026 ... on Sunday" in a 2024
    article dates the sentence, not the exercise)."""
    return m.start is not None and (m.year is None or m.start.year == m.year)


def local_exercise(window: Period, local: tuple[Mention, ...], gazetteer: Gazetteer) -> Mention | None:
    """The one exercise named in the article whose dates meet the drill's window: an exercise
    with dates beats one known only by its year; two of a kind are ambiguous."""
    for dated in (True, False):
        matches = {m.exercise: m for m in local
                   if (_text_dated(m) or gazetteer.get_instance(m.exercise) is not None) == dated
                   and (span := _mention_window(m, gazetteer)) and span[0] <= window.end and window.start <= span[1]}
        if matches:
            return next(iter(matches.values())) if len(matches) == 1 else None
    return None


def _only_exercise(local: tuple[Mention, ...], window: Period) -> Mention | None:
    """A drill dated only by its tense, in an article that names one exercise of that year or the
    next: that exercise ("Chinese troops will drill with Russians and Belarusians" under a Vostok-2022 headline)."""
    exercises = {m.exercise: m for m in local if m.year is None or 0 <= m.year - window.start.year <= 1}
    return next(iter(exercises.values())) if len(exercises) == 1 and len({m.exercise for m in local}) == 1 else None


def _adopt(view: View, article: Article, named: Mention) -> Mention:
    """ "The drills" of an article that names its exercise are that exercise."""
    found = Found(named.exercise, named.name, "drill", min(named.confidence, 0.7), named.series, named.year,
                  article.gazetteer.get_instance(named.exercise), named.ordinal, named.participants)
    return make_mention(view, article, found)


_ARRANGED = re.compile(r"\b(?:planned|agreed|decided|arranged)\b|(?i:запланирован|объявлен|анонсирован|договорил)")


def _arranged_only(view: View, article: Article) -> bool:
    """ "The drills were planned in April 2006": the sentence dates the planning, not the drill."""
    if not _ARRANGED.search(view.sentence.text):
        return False  # cheap first: few sentences speak of planning
    base = article.published or date(view.period.start.year, 12, 31)
    return only_arranged_dates(view.sentence.text, DateContext(base, view.tense == "future"))


def _yearless_activity(view: View, article: Article, kind: str) -> list[Mention]:
    """ "From 21 September the two coast guards' ships patrolled the North Pacific" on a page with no
    date or year: the one gazetteer patrol or drill of the kind those days fit, else nothing."""
    index = view.sentence.index
    days = [p for i, p in article.yearless_days if i == index]
    if not days:
        return []
    pool = list(_of_kind(article.gazetteer, kind))
    instance = edition_by_day(pool, days)
    mention_kind = "drill" if kind == "drill" else "patrol"
    return [make_mention(view, article, Found.of(instance, mention_kind, 0.6))] if instance else []


def _announcement_day(view: View, article: Article) -> bool:
    """A sentence in the future tense whose only date is on or before its article's day ("MOSCOW, Aug
    17 - Chinese troops will drill with Russians"): that is when it was said, not when the drill is."""
    period, published = view.period, article.published
    return (view.tense == "future" and period is not None and published is not None
            and period.precision in ("day", "week") and period.end <= published)


def _activity_mentions(view: View, article: Article, kind: str, local: tuple[Mention, ...]) -> list[Mention]:
    if _announcement_day(view, article) or (view.period and _arranged_only(view, article)):
        view = replace(view, period=None)  # dated by its tense, as if the day were not written
    window = activity_window(view, article, kind)
    if window is None:
        return _yearless_activity(view, article, kind)
    named = local_exercise(window, local, article.gazetteer) if kind == "drill" else None
    if named is None and kind == "drill" and view.period is None:
        named = _only_exercise(local, window)
    if named:
        return [_adopt(view, article, named)]
    noun = (EXERCISE_NOUN if kind == "drill" else PATROL).search(view.sentence.text)
    ordinal = find_ordinal(view.sentence.text, noun.start() if noun else None)
    found = (gazetteer_candidates(view, article, kind, window)
             or _ordinal_candidate(view, article, kind, window, ordinal))
    if not found:
        new = _new_activity(view, article, kind, window, ordinal)
        return [new] if new else []
    mention_kind = "drill" if kind == "drill" else "patrol"
    return [make_mention(view, article, Found.of(i, mention_kind, 0.8 if view.period else 0.65, ordinal))
            for i in found]


# --- discovered code names --------------------------------------------------------------------

DASHES = "\\-‐‑‒–—―−"  # hyphen-minus, hyphens, figure dash, en/em dashes, minus: "Shield‑2026"
NAME_WORD = r"(?:[A-Z][\w'’]*(?:[-/][A-Z]?[\w'’]+)*)"
NAME = rf"{NAME_WORD}(?:[\s/-]+(?:{NAME_WORD}|of|the|and|de)(?![\w-]))*(?:[\s{DASHES}]+(?:19|20)\d\d[A-Z]?)?"
QUOTED = GatedRegex(r"[“\"«「『‘]([^”\"»」』’“«]{2,60})[”\"»」』’]", needs=r"[“\"«「『‘]")
INTRODUCED = GatedRegex(rf"\b(?:dubbed|code-?named|codenamed|(?:named|called|known)(?: as)?|titled|"
                       rf"under the (?:code[- ])?name)\s+(?:the\s+)?(?:Exercise\s+)?[“\"«‘']?(?P<name>{NAME})", re.U)
# "participating in Exercise Mosi II": mid-sentence "Exercise" capitalised is part of a name
TITLE_CONFIDENCE = 0.65  # the weakest route: its sentence must name China, Russia or a partner of theirs
EXERCISE_TITLE = GatedRegex(rf"(?<=[a-z,;:] )Exercise\s+(?P<name>{NAME})", re.U)
# "the “Marine Security Belt,” as the event is codenamed"
NAMED_AFTER = re.compile(r"^[,\s]*as (?:the \w+|it) (?:is|was|has been) (?:code-?named|codenamed|called|dubbed|known)\b")
_OPENERS = "(?:For|In|On|At|By|The|An?|And|After|Before|During|Since|With|From|Of|As|Like|Unlike|Including)"
# "Mosi II, the naval exercise between South Africa, Russia and China": a name defined by its apposition
# (the exercise noun heads it: not "Vladivostok, the exercise area")
APPOSITIVE = GatedRegex(rf"(?<![\w-])(?!{_OPENERS}\b)(?P<name>{NAME_WORD}(?:\s+{NAME_WORD}){{0,3}}),\s+(?:the|an?)\s+"
                       r"(?:(?!(?:for|of|the|in|on|at|to|from|with|by|and)\b)[\w-]+\s+){0,3}?"
                       r"(?:exercises?|drills?|war ?games|manoeuvres?|maneuvers?)"
                       r"(?=\s+(?:between|of|with|involving|that|which|held|hosted|by|for)\b|\s*[,.;)])", re.U)
_APPOSITION = re.compile(r", (?:the|an?) (?:[\w-]+ ){0,3}?(?:exercise|drill|war ?game|manoeuvre|maneuver)")
NAME_YEAR = GatedRegex(rf"(?P<name>{NAME_WORD}(?:[\s/]+{NAME_WORD}){{0,3}}[\s{DASHES}]+(?:19|20)\d\d[A-Z]?)(?!\d)",
                       needs=r"(?:19|20)\d\d")
# "the Mosi III exercise": a name with its edition numeral, an exercise noun after it
NAME_EDITION = FastRegex(rf"(?<![\w-])(?!{_OPENERS}\b)(?P<name>{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}\s+(?:I{{1,3}}|IV|V))(?![\w-])",
                         re.U)
# "China and Russia launched Harbour Lock 2031", "took part in Coastal Shield-2031": what is held
HELD_VERB = re.compile(r"\b(?:launched|launch|began|begin|held|hold|holds|holding|staged|stage|conducted|conduct|"
                       r"wrapped up|concluded|completed|kicked off|took part in|take part in|taking part in|"
                       r"participated in|participate in|joined|join)\s+(?:the\s+)?$", re.I)
_NUMERAL = re.compile(r" (?:I{1,3}|IV|V)\b")
VERB_CONFIDENCE = 0.66  # a name with a year after "held"/"launched": needs exercise words in the article
RU_INTRODUCED = GatedRegex(r"(?i:под (?:кодовым )?названием)\s+«?(?P<name>[А-ЯЁA-Z][^»,.;]{1,40})»?")
ZH_CODENAME = GatedRegex(r"代号(?:为)?[“\"「『]?(?P<name>[^”\"」』，。、\s]{2,20})[”\"」』]?")
STOPWORDS = frozenset("""
in on at by of the a an and for from since until during after before this last next that these those
exercise exercises drill drills war games joint military naval air army navy maneuvers manoeuvres
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall winter
china chinese russia russian beijing moscow sino russo pla kremlin
""".split())
CODE_NAME_MAX_WORDS = 6
# A service, fleet, unit, body or event, not an exercise: "Pacific Fleet", 人民海军, "Army-2022" (a forum).
NOT_A_CODE_NAME = re.compile(
    r"(?i:\b(?:fleets?|navy|navies|army|armies|air ?force|forces?|(?:coast|border|national) ?guards?|flotilla|squadron|command|district|"
    r"division|brigade|regiment|battalion|corps|ministry|service|agency|organi[sz]ation|council|academy|"
    r"university|forum|games|parade|show|expo|summit|airshow|day|news|times|daily|post|television|tv)$)|"
    r"(?i:\b(?:флот\w*|арми\w*|вмф|вмс|округ\w*|министерств\w*|служб\w*)$)|"
    r"(?:海军|陆军|空军|火箭军|舰队|部队|战区|军区|海警|解放军|编队|国防部|论坛|阅兵|号|舰)$")
SHIP_BEFORE = re.compile(r"(?:\b(?:destroyer|frigate|corvette|cruiser|ship|vessel|submarine|tanker|carrier|tug|"
                         r"tugboat|class)s?|"
                         r"(?i:эсминец|фрегат|корвет|крейсер|корабл\w*|судно)|军舰|舰|船)"
                         r"(?:,?\s+(?:named|called))?\s*[“\"«「『‘]?$", re.I)


def _title_case(text: str) -> bool:
    words = re.findall(r"[A-Za-z]+", text)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _looks_like_code_name(name: str) -> bool:
    """Capitalised words or a short CJK/Cyrillic name; not a quote of speech, not a date or a country,
    not a service's, fleet's or unit's name."""
    base = split_year(split_part(name)[0])[0].strip()
    if NOT_A_CODE_NAME.search(base) or re.search(r"\d{5}", name):  # "Maritime United-20121": garbled
        return False
    countries = find_countries(base)
    if countries and sum(h.end - h.start for h in countries) >= 0.5 * len(base):
        return False  # "named Tajikistan, China, Kyrgyzstan...": the members, not a name
    if re.search(r"[\u4e00-\u9fff]", name):
        return 2 <= len(name) <= 14
    words = re.findall(r"[^\W\d_]+", name)
    if not words or len(words) > CODE_NAME_MAX_WORDS:
        return False
    if all(w.lower() in STOPWORDS for w in words):
        return False
    if re.search(r"[а-яёА-ЯЁ]", name):
        return words[0][0].isupper()  # Russian names capitalise the first word only
    connectors = {"of", "the", "and", "de"}
    return all(w[0].isupper() or w in connectors for w in words) and words[0][0].isupper()


# light, so that a crawl merges discovered names without loading the detectors; re-exported here
from crawler.text.names import clean_name, resolve_discovered, split_year  # noqa: E402,F401

_PART_END = re.compile(r"\s*(?:\(\s*(?P<paren>I{1,3})\s*\)|-(?P<dash>I{1,3}))$")


def split_part(name: str) -> tuple[str, int | None]:
    """ "Eagle Strike-2026 (II)" -> ("Eagle Strike-2026", 2): the second edition of the year."""
    m = _PART_END.search(name)
    return (name[:m.start()], len(m["paren"] or m["dash"])) if m else (name, None)


def slugify(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-").replace("_", "-")


def _candidate_names(view: View) -> tuple[tuple[int, int, str, float], ...]:
    """(start, end, raw name, confidence) of code names introduced in the sentence."""
    return code_name_candidates(view.sentence.text)


@functools.lru_cache(maxsize=1024)  # pure; asked for twice per sentence (may_mention, discovery)
def code_name_candidates(text: str) -> tuple[tuple[int, int, str, float], ...]:
    out = []
    for m in INTRODUCED.finditer(text):
        if SHIP_BEFORE.search(text[max(0, m.start() - 16):m.start()]):
            continue  # "a frigate named Yaroslav Mudry", "a tugboat named ...": a ship
        strong = not m.group(0).lower().startswith(("named", "called", "titled"))
        if strong or EXERCISE_NOUN.search(text):
            out.append((m.start("name"), m.end("name"), m.group("name"), 0.8))
    for m in QUOTED.finditer(text):
        if SHIP_BEFORE.search(text[max(0, m.start() - 24):m.start() + 1]):
            continue  # the destroyer "Gromkiy", 军舰“响亮号”: a ship
        if (_noun_next_to(text, m.start(), m.end()) or _introducer_before(text, m.start())
                or NAMED_AFTER.match(text[m.end():m.end() + 40])):
            out.append((m.start(1), m.end(1), m.group(1), 0.75))
    name_years = list(NAME_YEAR.finditer(text))
    # cheap first: few sentences write an edition numeral (" I", " V": every match starts so)
    numeral = (" I" in text or " V" in text) and _NUMERAL.search(text) is not None
    # a headline capitalises every word (worked out only for the sentences that need it)
    if (name_years or numeral or "Exercise" in text) and not _title_case(text):
        for m in name_years:
            if _noun_next_to(text, m.start(), m.end(), 25):
                out.append((m.start("name"), m.end("name"), m.group("name"), 0.7))
            elif HELD_VERB.search(text, max(0, m.start() - 24), m.start()):
                out.append((m.start("name"), m.end("name"), m.group("name"), VERB_CONFIDENCE))
        if numeral:
            out += [(m.start("name"), m.end("name"), m.group("name"), 0.7) for m in NAME_EDITION.finditer(text)
                    if EXERCISE_NOUN.search(text[m.end():m.end() + 25]) and not re.search(r"\bWar\s+I", m.group("name"))]
        if "Exercise" in text:
            out += [(m.start("name"), m.end("name"), m.group("name"), TITLE_CONFIDENCE)
                    for m in EXERCISE_TITLE.finditer(text)]
    if _APPOSITION.search(text):  # cheap first: few sentences have ", the ... exercise"
        out += [(m.start("name"), m.end("name"), m.group("name"), 0.7) for m in APPOSITIVE.finditer(text)
                if not find_places(m.group("name"))]
    if text.isascii() or not NOT_LATIN.search(text):
        return tuple(out)  # Latin script only: the Russian and Chinese introducers need Cyrillic or CJK letters
    for regex in (RU_INTRODUCED, ZH_CODENAME):
        out += [(m.start("name"), m.end("name"), m.group("name"), 0.75) for m in regex.finditer(text)]
    return tuple(out)


def _noun_next_to(text: str, start: int, end: int, chars: int = 30) -> bool:
    after, before = text[end:end + chars], text[max(0, start - chars):start]
    return bool(EXERCISE_NOUN.search(after) or re.search(r"(?:exercises?|drills?|учени\w*)[,:]?\s*$", before, re.I))


def _introducer_before(text: str, start: int) -> bool:
    return bool(re.search(r"(?:dubbed|code-?named|codenamed|named|called|known as|под названием|代号为?)\s*$",
                          text[max(0, start - 20):start], re.I))


def _overlaps_gazetteer_name(view: View, start: int, end: int) -> bool:
    return any(h.start < end and start < h.end for h in view.names)


def discovered_participants(view: View, article: Article) -> tuple[str, ...] | None:
    """From the sentence when it names who takes part, else the article's China–Russia pairing."""
    named = {c for g in view.facts.groups for c in g}
    if len(named) >= 2:
        return tuple(sorted(named, key=lambda c: (c not in ("CN", "RU"), c))) if {"CN", "RU"} <= named else None
    if view.facts.third_party or (view.facts.actors and not view.facts.actors & ({"CN", "RU"} | article.partners)):
        return None  # "Exercise Good Hope with the German Navy" in a China–Russia–South Africa story
    return ("CN", "RU") if (article.pair or view.facts.cn_ru) else None


def _discovered_mention(view: View, article: Article, raw: str, confidence: float) -> Mention | None:
    name = clean_name(raw)
    if not _looks_like_code_name(name) or any(h.kind for h in article.gazetteer.find_names(name)):
        return None  # gazetteer names (and look-alikes) are handled by the named route
    participants = discovered_participants(view, article)
    if participants is None:
        return None
    dated, part = split_part(name)
    base, year = split_year(dated)
    year = year or _context_year(view, article)
    key = slugify(base) + (f"-{year}" if year else "") + (f"-{'i' * part}" if part else "")
    return make_mention(view, article, Found(key, name, "discovered", confidence, None, year,
                                             participants=participants))


# China and Russia criticise the exercise, or it is aimed at them: not theirs ("Japan protested the
# joint patrol" is no such sentence: the critic is someone else)
_CN_RU = r"(?:China|Russia|Beijing|Moscow|Chinese|Russian|the two countries)"
CRITICISED = GatedRegex(rf"\b{_CN_RU}\w*(?:,?\s+(?:and|[\w'-]+)){{0,4}}\s+(?:strongly\s+)?(?:oppos|denounc|condemn|criticis|"
                       rf"criticiz|slamm|protest|object)\w*|\b(?:aimed|directed)\s+(?:at|against)\s+{_CN_RU}|"
                       r"(?i:(?:китай|кнр|росси|пекин|москв)\w*(?:\s+\w+){0,4}\s+(?:осуд|раскритик|выступ\w+ против)\w*|"
                       r"направлен\w* против (?:китая|кнр|росси\w*))|中俄\S{0,8}(?:反对|谴责)|针对中俄", re.I)


def _exercise_article(article: Article) -> bool:
    return any(EXERCISE_NOUN.search(v.sentence.text) for v in article.views)


def _outsider(view: View, article: Article) -> bool:
    """The sentence names a country that is neither China, Russia nor a partner of theirs in the article."""
    return any(h.code not in ("CN", "RU") and h.code not in article.partners for h in view.facts.countries)


def discovered_mentions(view: View, article: Article) -> list[Mention]:
    """Code names introduced in the sentence; of overlapping ones only the longest ("Northern
    Shield-2026", not also "Northern" or "Northern Shield" from another route)."""
    found = []
    who = view.facts.actors & ({"CN", "RU"} | article.partners)
    if _outsider(view, article) and CRITICISED.search(view.sentence.text):
        return []  # "China and Russia oppose the US-South Korea Freedom Shield exercise": someone else's
    for start, end, raw, confidence in _candidate_names(view):
        if confidence == TITLE_CONFIDENCE and (not who or _outsider(view, article)):
            continue  # "China sent observers to Exercise Cobra Gold in Thailand": someone else's exercise
        if confidence == VERB_CONFIDENCE and (not _exercise_article(article) or _outsider(view, article)):
            continue  # "held Eurasia 2031" in a story of no exercise (a forum); "Japan launched Keen Sword 2031"
        mention = None if _overlaps_gazetteer_name(view, start, end) else _discovered_mention(
            view, article, raw, confidence)
        if mention:
            found.append((start, end, mention))
    kept: list[tuple[int, int, Mention]] = []
    for start, end, mention in sorted(found, key=lambda f: (f[0] - f[1], -f[2].confidence, f[0])):
        if all(end <= k_start or start >= k_end for k_start, k_end, _ in kept):
            kept.append((start, end, mention))
    return [mention for _, _, mention in sorted(kept, key=lambda k: k[0])]


# --- front door -------------------------------------------------------------------------------

def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One Mention per (sentence, exercise): the most confident."""
    best: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        key = (m.sentence, m.exercise)
        if key not in best or m.confidence > best[key].confidence:
            best[key] = m
    return list(best.values())


def detect_mentions(text: str, published: datetime | date | None, gazetteer: Gazetteer,
                    title: str = "") -> list[Mention]:
    """All exercise mentions of an article, in text order (title first)."""
    article = build_article(text, title, _as_date(published) or page_stamp(text), gazetteer)
    views = article.mentioning_views()
    named = [named_mentions(view, article) + discovered_mentions(view, article) for view in views]
    local = tuple(m for ms in named for m in ms if not _is_patrol_series(m, gazetteer))
    mentions: list[Mention] = []
    for view, named_here in zip(views, named):
        mentions += named_here + activity_mentions(view, article, bool(named_here), local)
    mentions += history_mentions(article, local)
    discovered = [m for ms in named for m in ms if m.kind == "discovered"]
    mentions += echoed_names(article, discovered)
    if discovered and not any(m.known for m in local):
        mentions += discovered_history(article, discovered, mentions)
    if discovered:
        mentions = _yearless_names(mentions)
    return _dedupe(_one_unnamed_activity(mentions))


def _same_name(a: str, b: str) -> bool:
    """ "Maritime Security Bond" and "Security Bond": one name, with or without its leading words."""
    return a == b or a.endswith(" " + b) or b.endswith(" " + a)


def _yearless_names(mentions: list[Mention]) -> list[Mention]:
    """A code name found with no year of its own ("the 'Maritime Security Bond' exercise series"): the
    one edition of that name the article writes with a year. Without one it stays a mention with
    neither date nor year (kept, raising no alert)."""
    dated = {m.exercise: m for m in mentions if m.kind == "discovered" and m.year}
    out = []
    for m in mentions:
        if m.kind == "discovered" and m.year is None:
            base = split_part(m.name)[0]
            same = [d for d in dated.values() if _same_name(base, split_year(split_part(d.name)[0])[0])]
            if len({d.exercise for d in same}) == 1:
                m = replace(m, exercise=same[0].exercise, year=same[0].year)
        out.append(m)
    return out


# "the exercises", "the drills": the ones the article is about (not "joint exercises", "other drills")
THE_EXERCISES = re.compile(r"\b[Tt]he (?:naval |military |joint |annual |same )?(?:exercises?|drills?|war ?games|"
                           r"manoeuvres|maneuvers) (?:took place|(?:was|were) (?:held|staged|conducted|carried out)|"
                           r"ran|focused)\b")


def discovered_history(article: Article, discovered: list[Mention], found: list[Mention]) -> list[Mention]:
    """An article about one exercise the gazetteer lacks tells its history: "Last year, the exercises
    took place from March 11 to 15" in a Security Belt-2025 story is Security Belt-2024. Only a
    sentence that names nothing, says "the exercises took place/were held", dates itself to an earlier
    year, and names no place far from the exercise's."""
    series = {split_year(split_part(m.name)[0])[0]: m for m in discovered if m.year}
    if len(series) != 1:
        return []
    base, named = next(iter(series.items()))
    taken = {m.sentence for m in found}
    places = {p for m in found if m.exercise.startswith(slugify(base)) for p in m.places}
    out = []
    for view in article.views:
        text = view.sentence.text
        if (not THE_EXERCISES.search(text) or article.original(view) in taken or view.names
                or _candidate_names(view) or PATROL.search(text) or view.facts.third_party):
            continue
        tense = sentence_tense(text)
        period = view.period or _period(text, tense, article.published, None, article.year)
        if period is None or period.start.year >= named.year or tense == "future" or _is_generic(text, period):
            continue
        if places and any(not near(p, q) for p in text_places(view) for q in places):
            continue
        year = period.start.year
        out.append(make_mention(replace(view, period=period, tense=tense), article, Found(f"{slugify(base)}-{year}", f"{base}-{year}", "discovered",
                                                     0.55, None, year, participants=named.participants)))
    return out


# "2024-07-26 11:01 HKT" on a page that gave no publication date: the time it was posted
STAMP = re.compile(r"(?<![\d-])((?:19|20)\d\d)-([01]\d)-([0-3]\d)[ T][0-2]\d:[0-5]\d(?!\d)")


def page_stamp(text: str) -> date | None:
    """An undated page's own time stamp (date and time of day written together), the latest if several:
    the page's publication, which relative dates ("on the 25th", "yesterday") are read against."""
    if "-" not in text:
        return None
    days = [d for m in STAMP.finditer(text) if (d := _safe_day(*map(int, m.groups())))]
    return max(days, default=None)


def _safe_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _sentence_year(view: View) -> int | None:
    """The year the sentence dates itself to, else the one year it writes."""
    if view.period:
        return view.period.start.year
    years = set(_YEAR_WORD.findall(view.sentence.text))
    return int(years.pop()) if len(years) == 1 else None


_EDITION_NUMERAL = re.compile(r"\s+I{1,3}$")


_EDITION_TAIL = re.compile(rf"(?:\s+I{{1,3}})?(?:[\s{DASHES}]+(?:19|20)\d\d)?(?![\w-])")


def _occurrences(text: str, stems: list[str]) -> list[str]:
    """Each stem where it stands as a word, with the edition numeral and year written after it
    (plain finds: a pattern built per article would be compiled per article)."""
    found: list[tuple[int, int]] = []
    for stem in stems:  # longest first: "Security Belt" inside "Maritime Security Belt" is that one
        start = text.find(stem)
        while start >= 0:
            end = start + len(stem)
            tail = _EDITION_TAIL.match(text, end)
            if (tail and (start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "-_"))
                    and all(end <= s or start >= e for s, e in found)):
                found.append((start, tail.end()))
            start = text.find(stem, end)
    return [text[s:e] for s, e in sorted(found)]


def echoed_names(article: Article, discovered: list[Mention]) -> list[Mention]:
    """A code name the article introduced is a name wherever it recurs there: another edition of it,
    with the year written or given by its own sentence ("Brazil joined Mosi I in 2019" after the
    exercise "Mosi II" was introduced). A recurrence without a year of its own is left alone."""
    introduced = {split_year(m.name)[0]: m for m in discovered if m.name.isascii()}
    stems = {_EDITION_NUMERAL.sub("", base) for base in introduced}
    # its last words too: "Security Bond-2023" in a story of the "Maritime Security Bond" series
    stems |= {" ".join(words[i:]) for base in stems if len(words := base.split()) > 2 for i in range(1, len(words) - 1)}
    stems = sorted((s for s in stems if len(s) >= 4), key=len, reverse=True)
    if not stems:
        return []
    out = []
    for view in article.views:
        for raw in _occurrences(view.sentence.text, stems):
            base, year = split_year(clean_name(raw))
            if base in introduced and year is None:
                continue  # the name as introduced: that mention already has its key
            year = year or _sentence_year(view)
            if year is None:
                continue
            like = introduced.get(base) or next(iter(introduced.values()))
            out.append(make_mention(view, article, Found(f"{slugify(base)}-{year}", f"{base}-{year}", "discovered",
                                                         0.6, None, year, participants=like.participants)))
    return out


_YEAR_WORD = re.compile(r"(?<![\d-])((?:19|20)\d\d)(?![\d-])")


def history_mentions(article: Article, local: tuple[Mention, ...]) -> list[Mention]:
    """An article about one exercise series tells its history by year and place ("The drills were
    held in 2012 in the Yellow Sea; ... in the East China Sea in 2014"): each year the gazetteer
    has one edition of (or several, told apart by the places written) is that edition."""
    series = {m.series for m in local if m.known and m.series}
    if len(series) != 1:  # every gazetteer series is a China–Russia one: the article about it needs no more
        return []
    editions = article.gazetteer.instances_of(series.pop())
    out = []
    for view in article.views:
        text = view.sentence.text
        if view.period is None and RELATIVE_YEAR.search(text):
            # "Last year, the two navies held the exercise twice": a sentence no route dated (it names
            # neither the pair nor the exercise), dated here
            view = replace(view, period=_period(text, sentence_tense(text), article.published, None, article.year))
        if not (view.period and view.period.precision == "year") and not _YEAR_WORD.search(text):
            continue  # cheap first: most sentences give no year
        # not "East" of "East China Sea", nor the look-alike "Far East"
        named = any(h.kind != "look_alike" and (not h.generic or h.year) for h in view.names)
        if named or not EXERCISE_NOUN.search(text) or PATROL.search(text) or view.facts.third_party:
            continue  # a patrol's year, or drills with another country, are not the series' history
        years = [int(m.group(1)) for m in _YEAR_WORD.finditer(text) if not _since(text, m.start(), m.end())]
        if not years and view.period and view.period.precision == "year":
            years = [view.period.start.year]  # "Last year, the two navies held the drills in ..."
        places = set(text_places(view))
        for year in years:
            of_year = [i for i in editions if i.year == year]
            if len(of_year) > 1 or not _YEAR_WORD.search(text):
                of_year = [i for i in of_year if places & set(i.places)]
            # a place written far from the edition's is another event of that year ("a missile-defence drill in Moscow")
            of_year = [i for i in of_year if not places or any(near(p, q) for p in places for q in i.places)]
            out += [make_mention(view, article, Found.of(i, "named", 0.6)) for i in of_year]
    return out


NEAR_KM = 800  # two points this close are one event's area (a port and its sea)
NEAR_REGION_KM = 2500  # a region or an ocean is large: "off Russia's Far East" holds Vladivostok


@functools.lru_cache(maxsize=1)
def _coordinates() -> dict:
    # the shipped table: geography, not a setting (and a bad places.yaml of the user's must not stop a crawl)
    return load_places(PACKAGE_DIR).places


@functools.lru_cache(maxsize=4096)
def near(a: str, b: str) -> bool:
    """Places that can be one event's: the same, close, or one of them a region or ocean around the
    other; a place without coordinates is never a conflict."""
    if a == b:
        return True
    table = _coordinates()
    p, q = table.get(a), table.get(b)
    if p is None or q is None:
        return True
    large = {"region", "ocean"} & {p.kind, q.kind}
    return _km(p.latitude, p.longitude, q.latitude, q.longitude) <= (NEAR_REGION_KM if large else NEAR_KM)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _since(text: str, start: int, end: int) -> bool:
    return _in_since_clause(text, start) or bool(re.search(r"(?i:since|\u4ee5\u6765)", text[max(0, start - 8):end + 4]))


def _one_unnamed_activity(mentions: list[Mention]) -> list[Mention]:
    """An article reports one unnamed patrol/drill of a kind: its undated sentences ("the joint
    patrol covered 4,000 miles") are the one its dated sentence keys, not another month's; a
    sentence dated just after a known patrol the article reports ("completed on 17 October") is it."""
    mentions = [_known_patrol_nearby(m, mentions) for m in mentions]
    dated: dict[str, dict[str, Mention]] = {}
    for m in mentions:
        if (_unnamed(m) or (m.known and m.kind == "patrol")) and m.start:
            dated.setdefault(m.exercise[:-8], {})[m.exercise] = m
    out = []
    for m in mentions:
        same = dated.get(m.exercise[:-8], {}) if _unnamed(m) and not m.start else {}
        # not one of another year ("the first joint patrol took place in 2021") in a story of this month's
        same = {key: d for key, d in same.items() if abs(_month_index(d.start) - _key_month(m.exercise)) <= 2}
        if len(same) == 1 and m.exercise not in same:
            one = next(iter(same.values()))
            m = replace(m, exercise=one.exercise, name=one.name, known=one.known, ordinal=one.ordinal)
        out.append(m)
    return out


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _key_month(key: str) -> int:
    """ "joint-naval-patrol-2025-08" -> the month index of 2025-08."""
    return int(key[-7:-3]) * 12 + int(key[-2:]) - 1


def _known_patrol_nearby(m: Mention, mentions: list[Mention]) -> Mention:
    if not (_unnamed(m) and m.kind == "patrol" and m.series and m.start):
        return m
    near = {k.exercise: k for k in mentions if k.known and k.series == m.series and k.start
            and k.start - timedelta(days=14) <= m.start <= (k.end or k.start) + timedelta(days=14)}
    if len(near) != 1:
        return m
    known = next(iter(near.values()))
    return replace(m, exercise=known.exercise, name=known.name, known=True, ordinal=known.ordinal)


def _unnamed(m: Mention) -> bool:
    return not m.known and m.kind in ("patrol", "drill") and re.search(r"-\d{4}-\d\d$", m.exercise) is not None




def _is_patrol_series(m: Mention, gazetteer: Gazetteer) -> bool:
    series = gazetteer.get_series(m.series) if m.series else None
    return bool(series and series.is_patrol)

