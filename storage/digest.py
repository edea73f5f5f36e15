"""What a digest says about a period: exercises that became news, the most-copied stories, and outlets
that failed or went quiet. Plain dicts (JSON-ready but for datetimes); `scheduler.digest` renders them.

The period is crawl time (when drillwatch learned something), not publication time: a digest says what
came in. A first crawl of an archive therefore shows old exercises, marked `archive` as their alerts are.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.alerts import NEW_INSTANCE, STARTING
from storage.models import Alert, Article, CrawlError, CrawlRun, ExerciseInstance, ExerciseMention, Story
from storage.runs import failure_streak

SOURCES_PER_EXERCISE = 5


def collect_digest(session: Session, since: datetime, until: datetime, outlets: Iterable[str] = (),
                   stories: int = 10) -> dict:
    """The digest of [since, until). `outlets`: the configured (enabled) outlets, so that one with no
    run or no article in the period is reported as quiet."""
    articles = _count_articles(session, since, until)
    return {
        "since": since, "until": until,
        "articles": articles,
        "crawls": session.scalar(select(func.count()).select_from(CrawlRun).where(
            CrawlRun.started_at >= since, CrawlRun.started_at < until)) or 0,
        "ever_crawled": session.scalar(select(CrawlRun.id).limit(1)) is not None,
        "exercises": exercise_news(session, since, until),
        "top_stories": most_copied_stories(session, since, until, stories),
        **outlet_health(session, since, until, outlets),
    }


def _count_articles(session: Session, since: datetime, until: datetime) -> dict:
    in_period = (Article.first_fetched_at >= since) & (Article.first_fetched_at < until)
    total, relevant = session.execute(select(func.count(), func.count().filter(Article.relevant.is_(True)))
                                      .where(in_period)).one()
    return {"stored": total, "relevant": relevant}


# --- exercises ----------------------------------------------------------------------------------------

def exercise_news(session: Session, since: datetime, until: datetime) -> list[dict]:
    """One entry per alert raised in the period: a new instance, or a known one reported as starting."""
    rows = session.execute(
        select(Alert, ExerciseInstance).join(ExerciseInstance, ExerciseInstance.id == Alert.instance_id)
        .where(Alert.reason.in_((NEW_INSTANCE, STARTING)), Alert.created_at >= since, Alert.created_at < until)
        .order_by(Alert.created_at, Alert.id)).all()
    return [exercise_entry(session, alert, instance) for alert, instance in rows]


def exercise_entry(session: Session, alert: Alert, instance: ExerciseInstance) -> dict:
    published = session.scalar(select(Article.published_at).where(Article.id == alert.article_id)) \
        if alert.article_id else None
    return {
        "exercise": instance.key, "name": instance.name, "series": instance.series, "kind": instance.kind,
        "known": instance.known, "news": "new" if alert.reason == NEW_INSTANCE else "starting",
        "dates": date_range(instance.start_date, instance.end_date, instance.year),
        "places": list(instance.places or []) if isinstance(instance.places, list) else [],
        "participants": list(instance.participants or []) if isinstance(instance.participants, list) else [],
        "first_sentence": alert.sentence or _first_sentence(session, instance.id),
        "first_outlet": alert.outlet, "first_url": alert.url, "first_published": published,
        "archive": alert.historical, "alerted": alert.created_at,
        "sources": sources(session, instance.id),
    }


def date_range(start: date | None, end: date | None, year: int | None) -> str | None:
    if start and end and end != start:
        return f"{start.isoformat()} to {end.isoformat()}"
    if start:
        return start.isoformat()
    return str(year) if year else None


def _first_sentence(session: Session, instance_id: int) -> str | None:
    return session.scalar(select(ExerciseMention.sentence).where(ExerciseMention.instance_id == instance_id)
                          .order_by(ExerciseMention.created_at, ExerciseMention.id).limit(1))


def sources(session: Session, instance_id: int, limit: int = SOURCES_PER_EXERCISE) -> list[dict]:
    """The stories mentioning an instance, earliest first: each once, with the outlets that carried it."""
    mentioning = select(ExerciseMention.article_id).where(ExerciseMention.instance_id == instance_id)
    articles = session.scalars(select(Article).where(Article.id.in_(mentioning))
                               .order_by(func.coalesce(Article.published_at, Article.first_fetched_at), Article.id))
    by_story: dict[int, dict] = {}
    for article in articles:
        key = article.story_id or -article.id
        entry = by_story.setdefault(key, {"title": article.title, "outlet": article.outlet, "url": article.url,
                                          "published": article.published_at, "outlets": []})
        if article.outlet not in entry["outlets"]:
            entry["outlets"].append(article.outlet)
    return list(by_story.values())[:limit]


# --- stories --------------------------------------------------------------------------------------------

def most_copied_stories(session: Session, since: datetime, until: datetime, limit: int = 10) -> list[dict]:
    """On-topic stories with a copy stored in the period, by how many copies they have in all (two at least)."""
    in_period = select(Article.story_id).where(Article.first_fetched_at >= since, Article.first_fetched_at < until,
                                               Article.relevant.is_(True), Article.story_id.is_not(None))
    copies = func.count(Article.id).label("copies")
    rows = session.execute(
        select(Article.story_id, copies, func.min(func.coalesce(Article.published_at, Article.first_fetched_at)))
        .where(Article.story_id.in_(in_period)).group_by(Article.story_id).having(func.count(Article.id) >= 2)
        .order_by(copies.desc(), Article.story_id).limit(limit)).all()
    result = []
    for story_id, count, _first in rows:
        story = session.get(Story, story_id)
        copies_of = session.scalars(select(Article).where(Article.story_id == story_id)
                                    .order_by(func.coalesce(Article.published_at, Article.first_fetched_at), Article.id)).all()
        origin = copies_of[0]
        result.append({"story_id": story_id, "title": (story.title if story else None) or origin.title,
                       "copies": count, "outlets": list(dict.fromkeys(a.outlet for a in copies_of)),
                       "url": origin.url, "published": origin.published_at})
    return result


# --- outlets --------------------------------------------------------------------------------------------

def outlet_health(session: Session, since: datetime, until: datetime, outlets: Iterable[str]) -> dict:
    """`failed`: outlets with a failed crawl in the period; `quiet`: the others that stored no new article."""
    period_runs = session.scalars(select(CrawlRun).where(CrawlRun.started_at >= since, CrawlRun.started_at < until)
                                  .order_by(CrawlRun.started_at, CrawlRun.id)).all()
    runs_by_outlet: dict[str, list[CrawlRun]] = {}
    for run in period_runs:
        runs_by_outlet.setdefault(run.outlet, []).append(run)
    new_articles = dict(session.execute(
        select(Article.outlet, func.count()).where(Article.first_fetched_at >= since, Article.first_fetched_at < until)
        .group_by(Article.outlet)).all())
    failed, quiet = [], []
    for name in dict.fromkeys([*outlets, *runs_by_outlet]):
        runs = runs_by_outlet.get(name, [])
        bad = [run for run in runs if run.status == "failed"]
        if bad:
            failed.append(failed_entry(session, name, runs, bad, since, until))
        elif not new_articles.get(name):
            quiet.append({"outlet": name, "runs": len(runs),
                          "last_article": session.scalar(select(func.max(Article.first_fetched_at))
                                                         .where(Article.outlet == name))})
    return {"failed_outlets": failed, "quiet_outlets": quiet}


def failed_entry(session: Session, name: str, runs: list[CrawlRun], bad: list[CrawlRun], since: datetime,
                 until: datetime) -> dict:
    in_period = (CrawlError.outlet == name) & (CrawlError.at >= since) & (CrawlError.at < until)
    kinds = session.scalars(select(CrawlError.kind).where(in_period).distinct()).all()
    last_error = session.scalar(select(CrawlError.message).where(in_period).order_by(CrawlError.at.desc(),
                                                                                      CrawlError.id.desc()).limit(1))
    last = bad[-1]
    return {"outlet": name, "runs": len(runs), "failed_runs": len(bad), "last_status": runs[-1].status,
            "last_failure": last.finished_at or last.started_at, "message": last.message or last_error,
            "error_kinds": sorted(kinds), "consecutive_failures": failure_streak(session, name)[0]}
