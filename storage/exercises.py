"""Exercise instances, their mentions, and the alerts they raise.

An article's mentions are recorded as a set: recording the article again (a re-crawl, a new version)
adds what is new, drops what the text no longer says, and never duplicates a row.

What counts as new (the alert rule):
- A mention is *current* when the article reports the activity as news: it is said to be starting or
  under way, or its date (the sentence's date, else the instance's dates) falls from a month before
  the article's publication to a year after it (announcements come months ahead), or, with only a
  year, the year is the publication year or the next. "The previous edition, Vostok-2018, ..." in a
  2022 article is background, not news: it is recorded as a mention, but raises nothing.
- The first current mention of an instance raises its one `new_instance` alert ("New exercise
  reported: X", or "Exercise under way: X" when that first report already says it started).
- A later current mention saying it is starting raises one `starting` alert ("Exercise under way: X"),
  unless the article was already old when crawled.
- An article published more than HISTORICAL_AGE before it was crawled (the first crawl of an outlet's
  archive) still raises the `new_instance` alert, marked `historical`, and never a `starting` one: a
  backfill gives one alert per past exercise, not two.
- A page without a publication date is read in its own time, the latest day (or year) its mentions
  give, never in the crawl's: nothing on it is `starting`, and a mention without a date or year is
  never news.
The unique (instance, reason) constraint makes "one alert, never one per article" hold even when two
crawls race.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from storage.alerts import NEW_INSTANCE, STARTING, has_alert, raise_alert
from storage.models import Alert, Article, ExerciseInstance, ExerciseMention, utcnow

Describer = Callable[[str], "dict | None"]  # gazetteer key -> name, series, year, ordinal, start, end, places...

CURRENT_BEFORE = timedelta(days=31)
CURRENT_AHEAD = timedelta(days=366)
HISTORICAL_AGE = timedelta(days=30)


@dataclass
class MentionData:
    """Plain values from the detector (crawler.text.exercises.Mention): storage knows nothing of it."""
    exercise: str                       # instance key: vostok-2022, joint-strategic-air-patrol-2024-07, a slug
    name: str
    kind: str                           # named | patrol | drill | discovered
    sentence: str
    known: bool = False
    series: str | None = None
    year: int | None = None
    ordinal: int | None = None
    date: date | None = None            # the date the sentence gives the activity
    start: date | None = None           # the instance's dates, when known
    end: date | None = None
    places: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    starting: bool = False
    confidence: float = 1.0


@dataclass
class RecordResult:
    mentions: int = 0                   # rows now stored for the article
    added: int = 0                      # rows added by this call
    new_instances: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


# --- small helpers ------------------------------------------------------------------------------

def sentence_hash(sentence: str) -> str:
    return hashlib.sha256(re.sub(r"\s+", " ", sentence).strip().lower().encode()).hexdigest()


def as_date(value: Any) -> date | None:
    """date, datetime, 'YYYY-MM-DD' or 'YYYY-MM' (first of the month) -> date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = re.match(r"^(\d{4})-(\d{2})(?:-(\d{2}))?", str(value))
    if not match:
        return None
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))


def report_time(article: Article) -> datetime:
    """When the article reported it: its publication time, else when we first fetched it."""
    return article.published_at or article.first_fetched_at


@dataclass(frozen=True)
class Reference:
    """The time an article's mentions are news against: its publication, else the latest date its
    own text gives (an undated archive page is read in its own time, never in the crawl's)."""
    moment: datetime
    dated: bool  # the page gave its publication date

    @property
    def label(self) -> str:
        return "published" if self.dated else "undated, its text dated to"


def reference(article: Article, mentions: Iterable[MentionData] = ()) -> Reference | None:
    """None: an undated page whose mentions give no day and no year (nothing on it is news)."""
    if article.published_at is not None:
        return Reference(article.published_at, True)
    days = [as_date(m.date) or as_date(m.start) or (date(m.year, 7, 1) if m.year else None) for m in mentions]
    days = [d for d in days if d]
    return Reference(datetime.combine(max(days), time(), tzinfo=timezone.utc), False) if days else None


def is_current(mention: MentionData, reported: datetime, instance: ExerciseInstance) -> bool:
    return current_reason(mention.starting, as_date(mention.date) or as_date(mention.start),
                          as_date(mention.end), mention.year, Reference(reported, True), instance) is not None


def current_reason(starting: bool, start: date | None, end: date | None, year: int | None, ref: Reference | None,
                   instance: ExerciseInstance) -> str | None:
    """Why a mention reports the instance as news (None: background), against the article's reference
    time; an undated page is never "starting" (there is no now to be under way at)."""
    if ref is None:
        return None
    day, when, dated_article = ref.moment.date(), ref.label, ref.dated
    if starting and dated_article:
        return f"reported as starting or under way in an article {when} {day}"
    start = start or instance.start_date
    if start is not None:
        end = end or instance.end_date or start
        if max(start, end) >= day - CURRENT_BEFORE and start <= day + CURRENT_AHEAD:
            span = f"{start}" if end == start else f"{start} to {end}"
            return f"dated {span}, from a month before to a year after the article {when} {day}"
        return None
    year = year or instance.year
    if year is not None:
        return f"year {year}, the year of the article {when} {day} or the next" \
            if year in (day.year, day.year + 1) else None
    return None  # no date, no year: nothing says it is news


def is_historical(article: Article, now: datetime, ref: Reference | None = None) -> bool:
    return (ref.moment if ref else report_time(article)) < now - HISTORICAL_AGE


# --- instances -------------------------------------------------------------------------------------

def find_instance(session: Session, key: str) -> ExerciseInstance | None:
    """By key, following merges (a discovered slug merged into a known instance resolves to it)."""
    instance = session.scalar(select(ExerciseInstance).where(ExerciseInstance.key == key))
    seen = set()
    while instance is not None and instance.merged_into_id and instance.id not in seen:
        seen.add(instance.id)
        instance = session.get(ExerciseInstance, instance.merged_into_id)
    return instance


UNNAMED_DRILL = re.compile(r"^joint-drill-\d{4}-\d\d$")  # the detector's key of an unnamed drill
COVER_SLACK = timedelta(days=3)


def covering_exercise(session: Session, mention: MentionData) -> ExerciseInstance | None:
    """The one stored named exercise whose dates cover an unnamed drill's date: "a joint drill at
    Tsugol on September 13" in one article is the Vostok-2018 another article named, not a new
    joint-drill-2018-09."""
    day = as_date(mention.date) or as_date(mention.start)
    if day is None or not UNNAMED_DRILL.match(mention.exercise):
        return None
    rows = session.scalars(select(ExerciseInstance).where(
        ExerciseInstance.merged_into_id.is_(None), ExerciseInstance.kind.in_(("named", "discovered")),
        ExerciseInstance.start_date.is_not(None), ExerciseInstance.start_date <= day + COVER_SLACK)
        .execution_options(populate_existing=True)).all()
    covering = [i for i in rows if (i.end_date or i.start_date) >= day - COVER_SLACK]
    return covering[0] if len(covering) == 1 else None


def instance_for(session: Session, mention: MentionData, article: Article,
                 describe: Describer | None = None,
                 found: dict[str, ExerciseInstance] | None = None) -> tuple[ExerciseInstance, bool]:
    """The instance a mention names, created on first sight; (instance, created). A known instance
    takes the gazetteer's facts (`describe`) when it is created or first becomes known. `found`:
    instances by key already looked up (known_instances); one created here is added to it."""
    covering = covering_exercise(session, mention)
    if covering is not None:
        return covering, False
    instance = find_instance(session, mention.exercise) if found is None else found.get(mention.exercise)
    if instance is not None:
        if fill_instance(instance, mention) and describe:
            apply_facts(instance, describe(instance.key))
        return instance, False
    instance = new_instance(mention, article)
    if instance.known and describe:
        apply_facts(instance, describe(instance.key))
    try:
        with session.begin_nested():
            session.add(instance)
            session.flush()
    except IntegrityError:  # another crawl created it a moment ago
        instance = find_instance(session, mention.exercise)
        if found is not None and instance is not None:
            found[mention.exercise] = instance
        return instance, False
    if found is not None:
        found[mention.exercise] = instance
    return instance, True


def new_instance(mention: MentionData, article: Article) -> ExerciseInstance:
    return ExerciseInstance(
        key=mention.exercise, name=mention.name or mention.exercise, series=mention.series, kind=mention.kind,
        known=mention.known, year=mention.year, ordinal=mention.ordinal,
        start_date=as_date(mention.start) or as_date(mention.date), end_date=as_date(mention.end),
        places=list(mention.places or []), participants=list(mention.participants or []),
        first_seen_at=report_time(article), first_article_id=article.id, first_outlet=article.outlet,
        mention_count=0)


def fill_instance(instance: ExerciseInstance, mention: MentionData) -> bool:
    """Later mentions complete what the first one left open (never overwrite); True if it became known."""
    instance.series = instance.series or mention.series
    instance.year = instance.year or mention.year
    instance.ordinal = instance.ordinal or mention.ordinal
    instance.start_date = instance.start_date or as_date(mention.start) or as_date(mention.date)
    instance.end_date = instance.end_date or as_date(mention.end)
    instance.places = instance.places or list(mention.places or []) or None
    instance.participants = instance.participants or list(mention.participants or []) or None
    if mention.known and not instance.known:  # the gazetteer gained it under the key the news used
        instance.known, instance.name, instance.kind = True, mention.name or instance.name, mention.kind
        return True
    return False


def note_first_seen(instance: ExerciseInstance, article: Article) -> None:
    """first_seen_* is the earliest report, whatever order the articles were crawled in."""
    reported = report_time(article)
    if instance.first_seen_at is None or reported < instance.first_seen_at:
        instance.first_seen_at, instance.first_article_id, instance.first_outlet = reported, article.id, article.outlet


def recount(session: Session, instance_ids: Iterable[int]) -> None:
    """Each instance's mention_count, counted in one query."""
    instance_ids = set(instance_ids)
    if not instance_ids:
        return
    session.flush()
    counts = dict(session.execute(_MENTION_COUNTS, {"ids": sorted(instance_ids)}).all())
    for instance_id in instance_ids:
        session.get(ExerciseInstance, instance_id).mention_count = counts.get(instance_id) or 0


# --- recording an article's mentions ---------------------------------------------------------------

@dataclass
class ArticleFacts:
    """The few columns of an article the mentions and alerts use (loading the ORM row would read its
    text and every other column too)."""
    id: int
    url: str
    outlet: str
    title: str | None
    published_at: datetime | None
    first_fetched_at: datetime


# Reads on each recorded page: Core statements against the tables, built once (their compiled form is
# cached), skip the ORM's per-statement work (Session.execute still autoflushes, except under no_autoflush).
ARTICLES, MENTIONS, ALERTS = Article.__table__, ExerciseMention.__table__, Alert.__table__
_IDS = bindparam("ids", expanding=True)
_ARTICLE_FACTS = select(ARTICLES.c.id, ARTICLES.c.url, ARTICLES.c.outlet, ARTICLES.c.title, ARTICLES.c.published_at,
                        ARTICLES.c.first_fetched_at).where(ARTICLES.c.id == bindparam("id"))
_MENTION_COUNTS = select(MENTIONS.c.instance_id, func.count()).where(MENTIONS.c.instance_id.in_(_IDS)) \
    .group_by(MENTIONS.c.instance_id)
_ALERT_REASONS = select(ALERTS.c.instance_id, ALERTS.c.reason).where(ALERTS.c.instance_id.in_(_IDS))
# built once too (an ORM select: instances are changed and flushed by the caller)
_INSTANCES_BY_KEY = select(ExerciseInstance).where(ExerciseInstance.key.in_(bindparam("keys", expanding=True))) \
    .execution_options(populate_existing=True)


def article_facts(session: Session, article_id: int) -> Article | ArticleFacts | None:
    """The article already in the session when it is (its values as the caller left them), else its facts."""
    loaded = session.identity_map.get(identity_key(Article, article_id))
    if loaded is not None:
        return loaded
    session.flush()  # an article added in this session and not flushed yet is read as the ORM would
    row = session.execute(_ARTICLE_FACTS, {"id": article_id}).first()
    return ArticleFacts(*row) if row is not None else None


def known_instances(session: Session, keys: Iterable[str]) -> dict[str, ExerciseInstance]:
    """find_instance for many keys in one query (merges followed the same way)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    found = {}
    # read afresh even when the session holds them (a batch records many articles in one session; another
    # crawl may have changed them since)
    for instance in session.scalars(_INSTANCES_BY_KEY, {"keys": keys}):
        seen = set()
        key = instance.key
        while instance is not None and instance.merged_into_id and instance.id not in seen:
            seen.add(instance.id)
            instance = session.get(ExerciseInstance, instance.merged_into_id, populate_existing=True)
        if instance is not None:
            found[key] = instance
    return found


def record_mentions(session: Session, article_id: int, mentions: Iterable[MentionData],
                    now: datetime | None = None, describe: Describer | None = None, fresh: bool = False) -> RecordResult:
    """Make the article's stored mentions exactly `mentions`, then raise the alerts they call for.
    `describe(key)`: the gazetteer's facts on a known instance (they beat what one article says).
    The instances are looked up once for the whole article, counted in one query and their alerts read
    in one, whatever the number of mentions. `fresh`: the article row was created by the caller's crawl
    just now, so it has no stored mentions to read."""
    now = now or utcnow()
    article = article_facts(session, article_id)
    if article is None:
        raise ValueError(f"no article with id {article_id}")
    result = RecordResult()
    old = {} if fresh else {(m.instance_id, m.sentence_hash): m for m in session.scalars(
        select(ExerciseMention).where(ExerciseMention.article_id == article_id))}
    kept: dict[tuple[int, str], ExerciseMention] = {}
    mentions = list(mentions)
    ref = reference(article, mentions)
    reasons: dict[int, str | None] = {}  # id(row) -> why it is news
    found = known_instances(session, (m.exercise for m in mentions))
    by_id: dict[int, ExerciseInstance] = {}
    for mention in mentions:
        instance, created = instance_for(session, mention, article, describe, found)
        if created:
            result.new_instances.append(instance.key)
        by_id[instance.id] = instance
        note_first_seen(instance, article)
        key = (instance.id, sentence_hash(mention.sentence))
        if key not in kept:  # the same sentence twice for one instance is one row
            kept[key] = store_mention(session, old.get(key), key, article, instance, mention, ref)
            reasons[id(kept[key])] = mention_reason(kept[key], instance, ref, mention)
    for key, row in old.items():
        if key not in kept:
            session.delete(row)
    session.flush()
    recount(session, {instance_id for instance_id, _ in old} | {instance_id for instance_id, _ in kept})
    result.mentions, result.added = len(kept), len(kept.keys() - old.keys())
    historical = is_historical(article, now, ref)
    groups: dict[int, list[ExerciseMention]] = {}
    for (instance_id, _), row in kept.items():
        groups.setdefault(instance_id, []).append(row)
    if any(row.current for row in kept.values()):
        existing = alerts_of(session, groups)
        for instance_id, group in groups.items():
            instance = by_id.get(instance_id) or session.get(ExerciseInstance, instance_id)
            result.alerts += alerts_for(session, instance, group, article, historical,
                                        {id(row): reasons.get(id(row)) for row in group}, ref, existing)
    return result


def store_mention(session: Session, row: ExerciseMention | None, key: tuple[int, str], article: Article,
                  instance: ExerciseInstance, mention: MentionData, ref: Reference | None = None) -> ExerciseMention:
    if row is None:
        row = ExerciseMention(article_id=article.id, instance_id=key[0], sentence_hash=key[1])
        session.add(row)
    row.sentence, row.kind, row.date = mention.sentence, mention.kind, as_date(mention.date)
    row.places, row.participants = list(mention.places or []), list(mention.participants or [])
    row.starting, row.confidence = bool(mention.starting), float(mention.confidence)
    row.current = mention_reason(row, instance, ref if ref else reference(article, [mention]), mention) is not None
    return row


def mention_reason(row: ExerciseMention, instance: ExerciseInstance, ref: Reference | None,
                   mention: MentionData) -> str | None:
    """Why a mention is news (None: background)."""
    return current_reason(bool(row.starting), as_date(mention.date) or as_date(mention.start),
                          as_date(mention.end), mention.year, ref, instance)


# --- alerts ----------------------------------------------------------------------------------------

def alerts_of(session: Session, instance_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(instance id, reason) of the alerts the instances have, in one query."""
    instance_ids = list(instance_ids)
    if not instance_ids:
        return set()
    # no flush first: raise_alert flushes each alert it adds, and what else may wait to be flushed here (the
    # instances' mention counts) is not read; it goes with the next flush, as when no alert is looked up
    with session.no_autoflush:
        return {(i, r) for i, r in session.execute(_ALERT_REASONS, {"ids": instance_ids})}


def alerts_for(session: Session, instance: ExerciseInstance, rows: list[ExerciseMention], article: Article,
               historical: bool, reasons: dict[int, str | None] | None = None,
               ref: Reference | None = None, existing: set[tuple[int, str]] | None = None) -> list[Alert]:
    """At most one alert per call: see the module docstring for the rule. `existing`: the alerts
    already raised (alerts_of), read once per article; without it each is looked up here."""
    current = [row for row in rows if row.current]
    if not current:
        return []
    best = next((row for row in current if row.starting), current[0])
    if best.starting and instance.reported_starting_at is None:
        instance.reported_starting_at = report_time(article)
        starting_news = True
    else:
        starting_news = False
    news = (reasons or {}).get(id(best))
    if existing is not None:
        raised = lambda reason: (instance.id, reason) in existing  # noqa: E731
    else:
        raised = lambda reason: has_alert(session, instance.id, reason)  # noqa: E731
    if not raised(NEW_INSTANCE):
        alert = make_alert(session, instance, NEW_INSTANCE, best, article, historical, news, ref)
    elif starting_news and not historical and not raised(STARTING):
        alert = make_alert(session, instance, STARTING, best, article, historical, news, ref)
    else:
        alert = None
    return [alert] if alert is not None else []


def alert_title(instance: ExerciseInstance, reason: str, starting: bool) -> str:
    if reason == STARTING or starting:
        return f"Exercise under way: {instance.name}"
    return f"New exercise reported: {instance.name}"


def make_alert(session: Session, instance: ExerciseInstance, reason: str, row: ExerciseMention,
               article: Article, historical: bool, news: str | None = None,
               ref: Reference | None = None) -> Alert | None:
    details = alert_details(instance, row, article)
    details["why"] = why_new(session, instance, reason, article, historical, news, ref)
    return raise_alert(
        session, instance_id=instance.id, reason=reason, title=alert_title(instance, reason, row.starting),
        sentence=row.sentence, article_id=article.id, url=article.url, outlet=article.outlet,
        historical=historical, details=details)


def why_new(session: Session, instance: ExerciseInstance, reason: str, article: Article, historical: bool,
            news: str | None, ref: Reference | None) -> str:
    """One line an analyst can check: what made this the first report (or the start) of the instance."""
    source = "in the gazetteer" if instance.known else f"not in the gazetteer ({instance.kind})"
    others = session.scalar(select(func.count(func.distinct(ExerciseMention.article_id))).where(
        ExerciseMention.instance_id == instance.id, ExerciseMention.article_id != article.id)) or 0
    first = "no earlier article mentions it" if not others else \
        f"{others} other article(s) mention it, none as news before"
    if reason == STARTING:
        first = "first report that it has started"
    why = f"{instance.key} ({source}): {first}; {news or 'reported as news'}"
    if historical:
        when = ref.moment.date() if ref else report_time(article).date()
        why += f"; archive article ({ref.label if ref else 'published'} {when}, crawled later)"
    return why


def alert_details(instance: ExerciseInstance, row: ExerciseMention, article: Article) -> dict:
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "exercise": instance.key, "name": instance.name, "series": instance.series, "kind": instance.kind,
        "known": instance.known, "year": instance.year, "ordinal": instance.ordinal,
        "start": iso(instance.start_date), "end": iso(instance.end_date), "date": iso(row.date),
        "places": row.places or instance.places or [], "participants": row.participants or instance.participants or [],
        "starting": row.starting, "published": iso(report_time(article)), "article_title": article.title,
    }


# --- merging discovered instances into known ones -----------------------------------------------------

Resolver = Callable[[str, int | None], str | None]


def merge_discovered(session: Session, resolve: Resolver, describe: Describer | None = None) -> list[tuple[str, str]]:
    """Discovered instances the gazetteer now knows become known: merged into the known instance
    (mentions and alerts move, so it raises no second "new" alert), or, when the gazetteer entry got
    the very key the news used, simply marked known. `resolve(name, year)` gives the gazetteer key;
    `describe(key)` its facts (name, series, year, ordinal, start, end, places, participants).
    Returns (discovered key, known key) pairs."""
    merged = []
    discovered = session.scalars(select(ExerciseInstance).where(
        ExerciseInstance.known.is_(False), ExerciseInstance.merged_into_id.is_(None))).all()
    for source in discovered:
        key = resolve(source.name, source.year)
        if not key:
            continue
        target = merge_into(session, source, key) if key != source.key else source
        apply_facts(target, describe(key) if describe else None)
        merged.append((source.key, key))
    return merged


def apply_facts(instance: ExerciseInstance, facts: dict | None) -> None:
    """The gazetteer's facts on a known instance: its canonical name, and dates etc. where missing."""
    instance.known = True
    instance.kind = "named" if instance.kind == "discovered" else instance.kind
    if not facts:
        return
    instance.name = facts.get("name") or instance.name
    instance.series = facts.get("series") or instance.series
    instance.year = facts.get("year") or instance.year
    instance.ordinal = facts.get("ordinal") or instance.ordinal
    instance.start_date = as_date(facts.get("start")) or instance.start_date
    instance.end_date = as_date(facts.get("end")) or instance.end_date
    instance.places = instance.places or list(facts.get("places") or []) or None
    instance.participants = instance.participants or list(facts.get("participants") or []) or None


def merge_into(session: Session, source: ExerciseInstance, key: str) -> ExerciseInstance:
    target = find_instance(session, key)
    if target is None:
        target = ExerciseInstance(
            key=key, name=source.name, series=source.series, kind=source.kind, known=True, year=source.year,
            ordinal=source.ordinal, start_date=source.start_date, end_date=source.end_date, places=source.places,
            participants=source.participants, first_seen_at=source.first_seen_at,
            first_article_id=source.first_article_id, first_outlet=source.first_outlet, mention_count=0)
        session.add(target)
        session.flush()
    elif source.first_seen_at < target.first_seen_at:
        target.first_seen_at, target.first_article_id = source.first_seen_at, source.first_article_id
        target.first_outlet = source.first_outlet
    starts = [t for t in (target.reported_starting_at, source.reported_starting_at) if t]
    target.reported_starting_at = min(starts) if starts else None
    move_mentions(session, source, target)
    move_alerts(session, source, target)
    source.merged_into_id = target.id
    session.flush()
    recount(session, (source.id, target.id))
    return target


def move_mentions(session: Session, source: ExerciseInstance, target: ExerciseInstance) -> None:
    existing = {(a, h) for a, h in session.execute(select(ExerciseMention.article_id, ExerciseMention.sentence_hash)
                                                   .where(ExerciseMention.instance_id == target.id))}
    for row in session.scalars(select(ExerciseMention).where(ExerciseMention.instance_id == source.id)).all():
        if (row.article_id, row.sentence_hash) in existing:
            session.delete(row)
        else:
            row.instance_id = target.id
    session.flush()


def move_alerts(session: Session, source: ExerciseInstance, target: ExerciseInstance) -> None:
    """An alert moves unless the known instance already has one for that reason (then it stays, as history)."""
    for alert in session.scalars(select(Alert).where(Alert.instance_id == source.id)).all():
        if not has_alert(session, target.id, alert.reason):
            alert.instance_id = target.id
            session.flush()


# --- reading -----------------------------------------------------------------------------------------

def timeline(session: Session, limit: int = 200) -> list[dict]:
    """Instances (merged ones folded into their known instance), newest exercise first."""
    instances = session.scalars(select(ExerciseInstance).where(ExerciseInstance.merged_into_id.is_(None))).all()
    urls = first_urls(session, [i.first_article_id for i in instances if i.first_article_id])
    alerts = alert_reasons(session)
    rows = [instance_row(i, urls.get(i.first_article_id), alerts.get(i.id, [])) for i in instances]
    rows.sort(key=lambda r: (r["sort_date"], r["first_seen"]), reverse=True)
    for row in rows:
        del row["sort_date"]
    return rows[:limit]


def instance_row(instance: ExerciseInstance, url: str | None, alerts: list[str]) -> dict:
    sort_date = instance.start_date or (date(instance.year, 1, 1) if instance.year else instance.first_seen_at.date())
    return {
        "exercise": instance.key, "name": instance.name, "series": instance.series, "kind": instance.kind,
        "known": instance.known, "year": instance.year, "start": instance.start_date, "end": instance.end_date,
        "places": instance.places or [], "participants": instance.participants or [],
        "first_seen": instance.first_seen_at, "first_outlet": instance.first_outlet, "first_url": url,
        "mentions": instance.mention_count, "reported_starting": instance.reported_starting_at,
        "alerts": sorted(alerts), "sort_date": sort_date,
    }


def first_urls(session: Session, article_ids: list[int]) -> dict[int, str]:
    if not article_ids:
        return {}
    return {i: url for i, url in session.execute(select(Article.id, Article.url).where(Article.id.in_(article_ids)))}


def alert_reasons(session: Session) -> dict[int, list[str]]:
    reasons: dict[int, list[str]] = {}
    for instance_id, reason in session.execute(select(Alert.instance_id, Alert.reason)):
        reasons.setdefault(instance_id, []).append(reason)
    return reasons


def article_mentions(session: Session, article_id: int) -> list[ExerciseMention]:
    return list(session.scalars(select(ExerciseMention).where(ExerciseMention.article_id == article_id)
                                .order_by(ExerciseMention.id)))
