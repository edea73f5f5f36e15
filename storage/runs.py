"""Crawl runs and their errors: written by the crawler's RunRecorder, read by the CLI and daemon."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Article, CrawlError, CrawlRun, utcnow


def start_run(session: Session, outlet: str, trigger: str = "manual", pid: int | None = None,
              host: str | None = None, worker: str | None = None) -> CrawlRun:
    """`host` (kept in the run's stats until it finishes) tells whose process `pid` is."""
    run = CrawlRun(outlet=outlet, trigger=trigger, pid=pid, worker=worker, started_at=utcnow(),
                   stats={"drillwatch/host": host} if host else None)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, counts: dict, finish_reason: str | None = None,
               message: str | None = None, stats: dict | None = None) -> None:
    values = dict(counts, status=status, finished_at=utcnow(), finish_reason=finish_reason, message=message)
    if stats is not None:
        values["stats"] = stats
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**values))


def checkpoint(session: Session, run_id: int, counts: dict, stats: dict | None = None) -> None:
    """Counts so far of a run still open: what a killed crawl's run will be closed with."""
    values = dict(counts, stats=stats) if stats is not None else counts
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.finished_at.is_(None)).values(**values))


def add_error(session: Session, run_id: int | None, outlet: str, url: str | None, kind: str, message: str) -> None:
    session.add(CrawlError(run_id=run_id, outlet=outlet, url=url, kind=kind, message=message))


def mark_abandoned(session: Session, run_id: int, status: str, message: str) -> bool:
    """Close a run whose process died or was killed; True if it was still open. Its recorded error
    rows count, as in close_dead_runs, so both ways of closing a dead run tell the same story."""
    errors = session.scalar(select(func.count()).select_from(CrawlError).where(CrawlError.run_id == run_id))
    values = dict(status=status, finished_at=utcnow(), message=message,
                  errors=func.greatest(CrawlRun.errors, errors) if session.bind.dialect.name == "postgresql"
                  else func.max(CrawlRun.errors, errors))
    if status == "killed":
        values["finish_reason"] = "killed"
    result = session.execute(
        update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.finished_at.is_(None)).values(**values))
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
    failures, _ = _streak(finished)
    day = session.scalar(select(func.count()).select_from(Article).where(
        Article.outlet == outlet, Article.first_fetched_at >= now - timedelta(days=1)))
    return {"last_run": last, "last_success": last_ok, "consecutive_failures": failures, "articles_last_day": day}


# --- for the daemon: failure streaks and crawl processes that died ----------------------------------

def _streak(finished: list[CrawlRun]) -> tuple[int, datetime | None]:
    """Failed runs since the last ok one (newest first in `finished`). Interrupted runs (the daemon was
    stopped) are the operator's doing, not the outlet's: they neither count nor end the streak."""
    failures, last_failure = 0, None
    for run in finished:
        if run.status == "ok":
            break
        if run.status == "interrupted":
            continue
        failures += 1
        last_failure = last_failure or run.finished_at
    return failures, last_failure


def failure_streak(session: Session, outlet: str) -> tuple[int, datetime | None]:
    """(consecutive failed runs, when the newest of them finished) for one outlet."""
    finished = [r for r in recent_runs(session, outlet, limit=100) if r.finished_at is not None]
    return _streak(finished)


def process_runs(session: Session, outlet: str, pid: int, since: datetime) -> list[CrawlRun]:
    """The runs a crawl process (by pid, started at or after `since`) opened for an outlet."""
    return list(session.scalars(
        select(CrawlRun).where(CrawlRun.outlet == outlet, CrawlRun.pid == pid, CrawlRun.started_at >= since)
        .order_by(CrawlRun.id)))


def set_status(session: Session, run_id: int, status: str, message: str) -> None:
    """Overrule how a finished run was recorded (a crawl stopped for its time limit is a failure,
    though Scrapy closed it as 'interrupted'); closes it too if it was still open."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id)
                    .values(status=status, message=message,
                            finished_at=func.coalesce(CrawlRun.finished_at, utcnow())))


def record_dead_run(session: Session, outlet: str, trigger: str, pid: int | None, started_at: datetime,
                    status: str, message: str) -> CrawlRun:
    """A run row for a crawl process that died before it could open its own."""
    run = CrawlRun(outlet=outlet, trigger=trigger, pid=pid, started_at=started_at, finished_at=utcnow(),
                   status=status, message=message)
    session.add(run)
    session.flush()
    return run


def close_dead_runs(session: Session, host: str, alive: Callable[[int], bool]) -> list[CrawlRun]:
    """Runs of any trigger left open by a crawl process of this host that is gone (SIGKILL, OOM killer,
    power loss): closed as `killed`, keeping the counts of their last checkpoint and counting their
    recorded errors. Runs of processes alive, or of another host, are left alone."""
    closed = []
    for run in open_runs(session):
        owner = (run.stats or {}).get("drillwatch/host")
        if (owner and owner != host) or (run.pid and alive(run.pid)):
            continue
        errors = session.scalar(select(func.count()).select_from(CrawlError).where(CrawlError.run_id == run.id))
        who = f"pid {run.pid}" if run.pid else "unknown pid"
        session.execute(update(CrawlRun).where(CrawlRun.id == run.id, CrawlRun.finished_at.is_(None)).values(
            status="killed", finished_at=utcnow(), finish_reason="killed", errors=max(run.errors, errors),
            message=f"the crawl process ({who}) was gone without closing its run (killed?); "
                    "counts as of its last checkpoint"))
        closed.append(run)
    return closed


def open_runs(session: Session, trigger: str | None = None) -> list[CrawlRun]:
    """Runs without a finish time (still running, or their process died unnoticed)."""
    query = select(CrawlRun).where(CrawlRun.finished_at.is_(None)).order_by(CrawlRun.id)
    if trigger:
        query = query.where(CrawlRun.trigger == trigger)
    return list(session.scalars(query))



def open_worker_runs(session: Session) -> list[CrawlRun]:
    """Cluster workers' runs without a finish time (running, or their worker died)."""
    return list(session.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_(None), CrawlRun.trigger == "worker",
                                                       CrawlRun.worker.is_not(None))))
