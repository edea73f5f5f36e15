"""Change monitoring: when to look at a known article again, and what a revisit leaves behind.

The schedule decays: an article is revisited often while fresh or while it keeps changing, rarely once
it has been quiet for weeks, and never after `max_age`. `next_visit` is a pure function of the article's
birth (publication, or first fetch when the date is unknown or in the future), its last change and now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import Article, utcnow

GONE = (404, 410)  # the article was taken down: stop revisiting it


@dataclass(frozen=True)
class RevisitSchedule:
    min_interval: timedelta = timedelta(hours=1)
    max_interval: timedelta = timedelta(days=7)
    factor: float = 0.25            # wait this share of the time the article has been quiet
    max_age: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.min_interval <= self.max_interval:
            raise ValueError("need 0 < min_interval <= max_interval")
        if self.factor <= 0:
            raise ValueError("factor must be positive")


@dataclass(frozen=True)
class Revisit:
    """A due article, with what a conditional request needs."""
    article_id: int
    url: str
    etag: str | None
    last_modified: str | None


def birth(published: datetime | None, first_seen: datetime, now: datetime) -> datetime:
    """Publication time, unless unknown or in the future (a bad date): then the first fetch."""
    return published if published is not None and published <= now else first_seen


def next_visit(schedule: RevisitSchedule, *, published: datetime | None, first_seen: datetime,
               last_changed: datetime | None, now: datetime) -> datetime | None:
    """When to look again, or None once the article is older than `max_age`."""
    born = birth(published, first_seen, now)
    expires = born + schedule.max_age
    if now >= expires:
        return None
    quiet = now - max(born, last_changed or born)
    interval = min(max(quiet * schedule.factor, schedule.min_interval), schedule.max_interval)
    return min(now + interval, expires)


def schedule_article(article: Article, schedule: RevisitSchedule, now: datetime) -> None:
    article.next_visit_at = next_visit(schedule, published=article.published_at, first_seen=article.first_fetched_at,
                                       last_changed=article.last_changed_at, now=now)


# --- queries for the spider and the revisit middleware ----------------------------------------------

def _revisit(row) -> Revisit:
    return Revisit(row.id, row.url, row.etag, row.last_modified)


def due_revisits(session: Session, outlet: str, now: datetime | None = None, limit: int | None = 100,
                  every: bool = False) -> list[Revisit]:
    """The outlet's articles due for a revisit, most overdue first; with ``every`` (a forced recheck),
    all its stored articles, however far their schedule or expired, without a limit unless one is given."""
    now = now or utcnow()
    query = select(Article.id, Article.url, Article.etag, Article.last_modified).where(Article.outlet == outlet)
    if not every:
        query = query.where(Article.next_visit_at <= now).order_by(Article.next_visit_at, Article.id)
    rows = session.execute(query.order_by(Article.id).limit(limit))
    return [_revisit(r) for r in rows]


def due_among(session: Session, canonical_urls: Iterable[str], now: datetime | None = None,
              every: bool = False) -> dict[str, Revisit]:
    """Which of these articles (by canonical URL) are due (with ``every``: stored at all): full-content
    feeds revisit through their entries."""
    now, urls = now or utcnow(), list(dict.fromkeys(canonical_urls))
    if not urls:
        return {}
    query = (select(Article.id, Article.url, Article.etag, Article.last_modified, Article.canonical_url)
             .where(Article.canonical_url.in_(urls)))
    if not every:
        query = query.where(Article.next_visit_at <= now)
    return {r.canonical_url: _revisit(r) for r in session.execute(query)}


def changed_since_fetch(session: Session, dates: dict[str, datetime]) -> dict[str, Revisit]:
    """Articles (by canonical URL) whose feed entry now carries a date (updated, else published) later
    than our last fetch of them: the outlet says it changed the article, whatever the schedule says."""
    if not dates:
        return {}
    rows = session.execute(select(Article.id, Article.url, Article.etag, Article.last_modified, Article.canonical_url,
                                  Article.last_fetched_at).where(Article.canonical_url.in_(list(dates))))
    return {r.canonical_url: _revisit(r) for r in rows
            if r.last_fetched_at is not None and dates[r.canonical_url] > _aware(r.last_fetched_at)}


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


_ARTICLES = Article.__table__
_VISITED = (update(_ARTICLES).where(_ARTICLES.c.id == bindparam("aid"))
            .values(last_fetched_at=bindparam("fetched"), etag=bindparam("new_etag"),
                    last_modified=bindparam("new_last_modified"), next_visit_at=bindparam("next_visit")))


def record_visits(session: Session, visits: Iterable[tuple], schedule: RevisitSchedule) -> None:
    """Several answered revisits at once (a recheck's 304s): ``(article_id, status, fetched_at, etag,
    last_modified)`` each; one read and one executemany update (Core: the ORM's per-row flush cost more
    than the crawl's own handling of a 304)."""
    visits = list(visits)
    rows = {r.id: r for r in session.execute(
        select(_ARTICLES.c.id, _ARTICLES.c.published_at, _ARTICLES.c.first_fetched_at, _ARTICLES.c.last_changed_at,
               _ARTICLES.c.etag, _ARTICLES.c.last_modified).where(_ARTICLES.c.id.in_([v[0] for v in visits])))}
    params = []
    for article_id, status, fetched_at, etag, last_modified in visits:
        row = rows.get(article_id)
        if row is None:
            continue
        due = None if status in GONE else next_visit(schedule, published=row.published_at,
                                                     first_seen=row.first_fetched_at,
                                                     last_changed=row.last_changed_at, now=fetched_at)
        params.append({"aid": article_id, "fetched": fetched_at, "new_etag": etag or row.etag,
                       "new_last_modified": last_modified or row.last_modified, "next_visit": due})
    if params:
        session.execute(_VISITED, params)


def record_visit(session: Session, article_id: int, status: int, fetched_at: datetime, schedule: RevisitSchedule,
                 etag: str | None = None, last_modified: str | None = None) -> None:
    """A revisit was answered: the fetch time and validators move on, and so does the schedule
    (a 200 then goes through extraction and may store a new version; a 304 ends here)."""
    article = session.get(Article, article_id)
    if article is None:
        return
    article.last_fetched_at = fetched_at
    article.etag, article.last_modified = etag or article.etag, last_modified or article.last_modified
    if status in GONE:
        article.next_visit_at = None
    else:
        schedule_article(article, schedule, fetched_at)
