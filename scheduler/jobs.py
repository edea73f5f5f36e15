"""The daemon's jobs: importable functions whose arguments are plain strings, so APScheduler's
SQLAlchemy job store can pickle them (`scheduler.jobs:crawl_outlet`, `scheduler.jobs:post_crawl`).

`crawl_outlet` runs `python -m crawler.run OUTLET` in its own process (Scrapy's reactor cannot restart,
and a crash stays inside one outlet's run) with a time limit. Whatever happens to that process, the
crawl_runs table ends up saying so: the child records its own run; a child that crashed, hung or was
killed has its open run closed here (found by outlet and pid), or gets a failed run row if it died
before opening one.

`post_crawl` is the follow-up work after crawls: a list of plain functions called in order, where a
step that fails is logged and the next step still runs.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from config.load import ConfigError, config_dir, load_outlets, load_settings
from config.schema import Settings
from storage import runs
from storage.db import ENV_DB, database_url, make_engine, session_scope
from storage.models import utcnow

log = logging.getLogger("drillwatch.jobs")

ENV_CRAWL_TIMEOUT = "DRILLWATCH_CRAWL_TIMEOUT"
KILL_GRACE = 10.0  # at most this long between SIGTERM (Scrapy closes its run) and SIGKILL


class Stopping(Exception):
    """The daemon is stopping: no new crawl processes."""


@dataclass
class Child:
    outlet: str
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    stopped_by: str | None = None  # "timeout" | "shutdown": why we signalled it


class Supervisor:
    """The crawl processes this process started, so that stopping the daemon can reach them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._children: dict[int, Child] = {}
        self.stopping = threading.Event()

    def spawn(self, outlet: str, argv: list[str], **popen) -> Child:
        with self._cond:  # checked under the lock: a stop either sees this child or prevents it
            if self.stopping.is_set():
                raise Stopping(outlet)
            child = Child(outlet, subprocess.Popen(argv, **popen))
            self._children[child.proc.pid] = child
            return child

    def release(self, child: Child) -> None:
        with self._cond:
            self._children.pop(child.proc.pid, None)
            self._cond.notify_all()

    def running(self) -> list[Child]:
        with self._cond:
            return list(self._children.values())

    def wait_idle(self, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._children, timeout)

    def signal_all(self, signum: int, reason: str) -> list[Child]:
        children = self.running()
        for child in children:
            child.stopped_by = child.stopped_by or reason
            _send(child.proc, signum)
        return children


SUPERVISOR = Supervisor()


def _send(proc: subprocess.Popen, signum: int) -> None:
    try:
        proc.send_signal(signum)
    except (ProcessLookupError, OSError):
        pass  # already gone


def crawl_timeout(settings: Settings) -> float:
    """settings.daemon.crawl_timeout, unless `drillwatch run --crawl-timeout` / $DRILLWATCH_CRAWL_TIMEOUT."""
    override = os.environ.get(ENV_CRAWL_TIMEOUT)
    return float(override) if override else float(settings.daemon.crawl_timeout)


def kill_grace(settings: Settings) -> float:
    """How long a crawl being stopped gets to close its run before SIGKILL: daemon.stop_grace, at most
    KILL_GRACE (a crawl past its time limit has had its chance)."""
    return float(max(1, min(KILL_GRACE, settings.daemon.stop_grace)))


def crawl_command(name: str, config: str, trigger: str) -> list[str]:
    """The crawl process's command line; the database URL goes in its environment (`ps` shows argv)."""
    return [sys.executable, "-m", "crawler.run", name, "--config", config, "--trigger", trigger,
            "--log-level", "WARNING"]


def runtime(config: str | None = None, db: str | None = None) -> tuple[str, str]:
    """The config dir and database URL a job works on: given, else from the environment the daemon set
    at start ($DRILLWATCH_CONFIG, $DRILLWATCH_DB). The job store keeps only outlet names, so that no
    database URL (with its password) is ever pickled into the jobs table."""
    return str(config_dir(config)), database_url(db)


# --- the crawl job --------------------------------------------------------------------------------

def crawl_outlet(name: str, config: str | None = None, db: str | None = None, trigger: str = "scheduled") -> dict:
    """Crawl one outlet in a child process within the time limit; return what the run did."""
    config, db = runtime(config, db)
    try:  # re-read at every run: config edits apply without a reload
        settings = load_settings(config)
        outlet = next((o for o in load_outlets(config) if o.name == name), None)
    except ConfigError as exc:
        log.error("crawl %s: not started, the configuration is broken: %s", name, exc)
        return skipped(name, f"configuration error: {exc.file}: {exc.where}: {exc.message}")
    if outlet is None or not outlet.enabled:
        return skipped(name, f"{'disabled' if outlet else 'no longer'} in outlets.yaml; "
                             "send the daemon SIGHUP to update its schedule")
    timeout, grace = crawl_timeout(settings), kill_grace(settings)
    since = utcnow() - timedelta(seconds=1)
    started = time.monotonic()
    try:
        child = SUPERVISOR.spawn(name, crawl_command(name, config, trigger), stdout=subprocess.PIPE,
                                 env={**os.environ, ENV_DB: db}, stderr=subprocess.PIPE, text=True,
                                 encoding="utf-8", errors="replace",
                                 start_new_session=True)  # a Ctrl-C on the daemon's terminal is the daemon's
    except Stopping:
        return skipped(name, "the daemon is stopping")
    log.info("crawl %s: started (pid %d, time limit %ss)", name, child.proc.pid, _num(timeout))
    try:
        stderr = _wait(child, timeout, grace)
    finally:
        SUPERVISOR.release(child)
    result = settle(name, db, trigger, child, since, timeout, stderr)
    result["seconds"] = round(time.monotonic() - started, 1)
    if result["status"] not in ("ok", "interrupted") and stderr.strip():
        log.warning("crawl %s: last lines from the crawl process:\n%s", name, _tail(stderr, 8))
    return result


def seed_outlet(name: str, config: str | None = None, db: str | None = None) -> dict:
    """The leader daemon's job with a Redis URL ($DRILLWATCH_REDIS): queue the outlet's entry points for
    the workers (scheduler.seeding) instead of crawling it here."""
    from crawler.cluster import ENV_PREFIX, ENV_REDIS
    from scheduler.seeding import seed

    config, db = runtime(config, db)
    try:
        settings = load_settings(config)
        outlet = next((o for o in load_outlets(config) if o.name == name), None)
    except ConfigError as exc:
        return skipped(name, f"configuration error: {exc.file}: {exc.where}: {exc.message}")
    if outlet is None or not outlet.enabled:
        return skipped(name, "no longer enabled in outlets.yaml; send the daemon SIGHUP to update its schedule")
    url = os.environ.get(ENV_REDIS) or settings.cluster.redis
    prefix = os.environ.get(ENV_PREFIX) or settings.cluster.prefix
    [result] = seed([name], config=config, db=db, redis_url=url, prefix=prefix)
    return {"outlet": name, "status": result["status"], "runs": [result["run"]], "seeded": True,
            "message": result["message"]}


def skipped(name: str, why: str) -> dict:
    return {"outlet": name, "status": "skipped", "message": why, "runs": []}


def _wait(child: Child, timeout: float, grace: float) -> str:
    """Wait for the child within its time limit; past it, SIGTERM, then SIGKILL. Returns its stderr."""
    proc = child.proc
    try:
        _out, err = proc.communicate(timeout=timeout)
        return err or ""
    except subprocess.TimeoutExpired:
        child.stopped_by = child.stopped_by or "timeout"
        log.warning("crawl %s: time limit of %ss reached; stopping it", child.outlet, _num(timeout))
        _send(proc, signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        _send(proc, signal.SIGKILL)
        _out, err = proc.communicate()
    return err or ""


def settle(name: str, db: str, trigger: str, child: Child, since: datetime, timeout: float,
           stderr: str) -> dict:
    """Make crawl_runs tell the truth about a finished child process; return the run summary."""
    pid, code = child.proc.pid, child.proc.returncode
    engine = make_engine(db)
    try:
        with session_scope(engine) as session:
            rows = runs.process_runs(session, name, pid, since)
            status, message = exit_verdict(code, child.stopped_by, timeout, stderr)
            for run in rows:
                if run.finished_at is None:
                    runs.mark_abandoned(session, run.id, status, message)
                elif run.finish_reason == "killed" and run.status == "killed":
                    # another crawl's start-up sweep saw the pid gone first; we saw how it ended
                    runs.set_status(session, run.id, status, message)
                elif child.stopped_by == "timeout" and run.status == "interrupted":
                    runs.set_status(session, run.id, "failed", message)  # our SIGTERM, not the operator's
            if not rows and child.stopped_by != "shutdown":
                rows = [runs.record_dead_run(session, name, trigger, pid, since + timedelta(seconds=1),
                                             status, message)]
            session.flush()
            for run in rows:
                session.refresh(run)
            return summarise(name, rows, pid, code)
    finally:
        engine.dispose()


def exit_verdict(returncode: int | None, stopped_by: str | None, timeout: float,
                 stderr: str) -> tuple[str, str]:
    """(status, message) for runs the child left open, from how the process ended."""
    if stopped_by == "timeout":
        how = "killed" if returncode == -signal.SIGKILL else "stopped"
        return "failed", f"crawl took longer than its time limit of {_num(timeout)}s and was {how}"
    if stopped_by == "shutdown":
        return "interrupted", "the daemon stopped; the crawl was interrupted"
    if returncode is not None and returncode < 0:
        return "failed", f"crawl process killed by {signal.Signals(-returncode).name}"
    if returncode:
        last = _tail(stderr, 1) or "no error output"
        return "failed", f"crawl process exited with code {returncode}: {last}"
    return "failed", "crawl process exited without finishing its run"


def summarise(name: str, rows: list, pid: int, code: int | None) -> dict:
    statuses = [r.status for r in rows]
    status = ("ok" if statuses and all(s == "ok" for s in statuses) else
              "interrupted" if "interrupted" in statuses else
              "failed" if statuses else "interrupted")
    return {
        "outlet": name, "status": status, "runs": [r.id for r in rows], "pid": pid, "returncode": code,
        "pages": sum(r.pages_fetched for r in rows), "new": sum(r.articles_new for r in rows),
        "updated": sum(r.articles_updated for r in rows), "errors": sum(r.errors for r in rows),
        "message": "; ".join(r.message for r in rows if r.message) or None,
    }


def describe(result: dict) -> str:
    """One log line for a finished crawl job."""
    name, status = result["outlet"], result["status"]
    if status == "skipped":
        return f"crawl {name}: skipped ({result.get('message')})"
    if result.get("seeded"):
        return f"seed {name}: {status}: {result.get('message')} (run {', '.join(map(str, result['runs']))})"
    text = (f"crawl {name}: {status} in {result.get('seconds', 0)}s: {result.get('pages', 0)} pages, "
            f"{result.get('new', 0)} new articles, {result.get('updated', 0)} updated, "
            f"{result.get('errors', 0)} errors")
    if result.get("runs"):
        text += f" (run {', '.join(map(str, result['runs']))})"
    if result.get("message"):
        text += f": {result['message']}"
    return text


def _tail(text: str, lines: int) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(line[:500] for line in kept)


def _num(value: float) -> str:
    return f"{value:g}"


# --- the follow-up job ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StepContext:
    engine: object
    config: str
    settings: Settings


Step = Callable[[StepContext], "str | None"]


def deliver_alerts(ctx: StepContext) -> str | None:
    """Send pending alerts to the configured sinks (scheduler.alerts.deliver_pending)."""
    from scheduler.alerts import deliver_pending

    report = deliver_pending(ctx.engine, ctx.settings)
    if not report.alerts:
        return "no pending alerts"
    text = f"{report.sent} of {report.alerts} alerts sent"
    if report.pending:
        text += f", {report.pending} to retry"
    if report.failed:
        text += f", {report.failed} given up"
    return text


# Called in this order after crawls. TODO(lead): wire deduplication (stories), exercise detection
# (alerts from new instances) and the revisit schedule of change monitoring in front of
# deliver_alerts, each as a `def step(ctx: StepContext) -> str | None` adapter.
POST_CRAWL_STEPS: list[Step] = [deliver_alerts]


def send_digest(config: str, db: str) -> dict:
    """The daemon's digest job: the last settings.digest.since, sent through the alert sinks."""
    from scheduler.digest import scheduled_digest

    engine = make_engine(db)
    try:
        digest, report = scheduled_digest(engine, config)
    finally:
        engine.dispose()
    return {"title": digest.title, "sent": [d.sink for d in report.sent],
            "failed": [f"{d.sink}: {d.error}" for d in report.failed]}


def describe_digest(result: dict) -> str:
    text = f"digest {result['title']!r}: sent to {', '.join(result['sent']) or 'no sink'}"
    return text + (f"; failed: {'; '.join(result['failed'])}" if result["failed"] else "")


def post_crawl(config: str, db: str) -> dict[str, str]:
    """Run every post-crawl step in order; a failing step is logged and the next one still runs."""
    engine = make_engine(db)
    results: dict[str, str] = {}
    try:
        ctx = StepContext(engine, config, load_settings(config))
        for step in POST_CRAWL_STEPS:
            results[step.__name__] = run_step(step, ctx)
    finally:
        engine.dispose()
    return results


def run_step(step: Step, ctx: StepContext) -> str:
    try:
        return step(ctx) or "ok"
    except Exception as exc:  # one step's failure must not stop the others
        log.exception("post-crawl step %s failed", step.__name__)
        return f"error: {type(exc).__name__}: {exc}"
