"""Crawl runs and their errors: written by the crawler's RunRecorder, read by the CLI and daemon."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, CrawlError, CrawlRun, utcnow


def start_run(session: Session, outlet: str, trigger: str = "manual", pid: int | None = None) -> CrawlRun:
    run = CrawlRun(outlet=outlet, trigger=trigger, pid=pid, started_at=utcnow())
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, counts: dict, finish_reason: str | None = None,
               message: str | None = None, stats: dict | None = None) -> None:
    values = dict(counts, status=status, finished_at=utcnow(), finish_reason=finish_reason, message=message)
    if stats is not None:
        values["stats"] = stats
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))


def add_error(session: Session, run_id: int | None, outlet: str, url: str | None, kind: str, message: str) -> None:
    session.add(CrawlError(run_id=run_id, outlet=outlet, url=url, kind=kind, message=message))


def mark_abandoned(session: Session, run_id: int, status: str, message: str) -> bool:
    """Close a run whose process died or was killed; True if it was still open."""
    result = session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.finished_at.is_(None))
        .values(status=status, finished_at=utcnow(), message=message))
    return result.rowcount > 0


def recent_runs(session: Session, outlet: str | None = None, limit: int = 50) -> list[CrawlRun]:
    query = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
    if outlet:
        query = query.where(CrawlRun.outlet == outlet)
    return list(session.scalars(query))


def run_errors(session: Session, run_id: int) -> list[CrawlError]:
    return list(session.scalars(select(CrawlError).where(CrawlError.run_id == run_id).order_by(CrawlError.id)))


def outlet_status(session: Session, outlet: str, now: datetime | None = None) -> dict:
    """Last run, last success, consecutive failures and articles in the last day, for one outlet."""
    now = now or utcnow()
    runs = recent_runs(session, outlet, limit=50)
    finished = [r for r in runs if r.finished_at is not None]
    last = runs[0] if runs else None
    last_ok = next((r for r in finished if r.status == "ok"), None)
    failures = 0
    for run in finished:
        if run.status == "ok":
            break
        failures += 1
    day = session.scalar(select(func.count()).select_from(Article).where(
        Article.outlet == outlet, Article.first_fetched_at >= now - timedelta(days=1)))
    return {"last_run": last, "last_success": last_ok, "consecutive_failures": failures, "articles_last_day": day}
