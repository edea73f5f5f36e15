"""`drillwatch run`: APScheduler's BlockingScheduler with its job store in the drillwatch database.

One persistent job per enabled outlet (`crawl:<name>`, `scheduler.jobs:crawl_outlet(name)`) lives in the
`apscheduler_jobs` table, so a restart resumes the schedule where it was. Jobs take the outlet name only:
the config dir and database URL come from this process's environment at run time, so no credential is
pickled into the job table.

One daemon per database: without Redis a second daemon refuses to start (storage.locks.DaemonLock says who
holds the database). With a Redis URL (cluster.redis, $DRILLWATCH_REDIS) the daemon is a cluster leader
candidate: it waits for the leader lock (scheduler.leader), and once it leads its jobs seed the shared
queue (`scheduler.jobs:seed_outlet(name)`) for the workers instead of crawling here. Listeners do the
side effects: log what each crawl did, back off from an outlet that keeps failing, and queue the
post-crawl work. Signals: SIGTERM/SIGINT stop gracefully, SIGHUP re-reads the configuration.

The schedule arithmetic (triggers, periods, backoff) is made of pure functions taking `now`.
"""
from __future__ import annotations

import concurrent.futures
import faulthandler
import logging
import os
import signal
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.events import (EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_SCHEDULER_STARTED,
                                JobExecutionEvent)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, Float, MetaData, Table, Unicode, inspect, select
from sqlalchemy.engine import Engine

from config.load import ENV_CONFIG, ConfigError, load_outlets, load_settings
from config.schema import Outlet, Settings
from scheduler import jobs
from scheduler.backoff import backoff_until
from storage import runs
from storage.db import ENV_DB, make_engine, session_scope
from storage.locks import DaemonLock, DaemonLockHeld

log = logging.getLogger("drillwatch.daemon")

JOB_PREFIX = "crawl:"
POST_JOB_ID = "post_crawl"
DIGEST_JOB_ID = "digest"
POST_INTERVAL = 900  # seconds: post_crawl runs after every crawl, and at least this often
JOBS_TABLE = "apscheduler_jobs"
CRAWL_EXECUTOR, POST_EXECUTOR = "crawls", "post"
PERSISTENT, MEMORY = "default", "memory"


def job_id(outlet: str) -> str:
    return f"{JOB_PREFIX}{outlet}"


# --- pure schedule arithmetic -----------------------------------------------------------------------

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """Translate a crontab day-of-week field (0 or 7 = Sunday) to APScheduler 3's (0 = Monday) by
    spelling numbers as day names: '1-5' -> 'mon,tue,wed,thu,fri'. Names and '*' pass through."""
    if field == "*":
        return field
    out: list[str] = []
    for item in field.split(","):
        if not any(ch.isdigit() for ch in item) or item.lower() in CRON_DAYS:
            out.append(item)
            continue
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (int(v) for v in span.split("-", 1))
        else:
            first = last = int(span)
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
            raise ValueError(f"day-of-week {item!r} is out of range (0-7, 0 and 7 are Sunday)")
        for day in range(first, last + 1, step):
            name = CRON_DAYS[day % 7]
            if name not in out:
                out.append(name)
    return ",".join(out)


def build_trigger(outlet: Outlet, settings: Settings, tz, file: str | Path = "outlets.yaml") -> BaseTrigger:
    """The outlet's cron expression (crontab syntax, in the scheduler's time zone) or its interval
    with up to settings.daemon.jitter seconds of random delay."""
    if outlet.cron:
        try:
            return crontab_trigger(outlet.cron, tz)
        except ValueError as exc:
            raise ConfigError(file, f"outlet '{outlet.name}' field 'cron'",
                              f"{outlet.cron!r} is not a crontab expression: {exc}",
                              "five fields: minute hour day-of-month month day-of-week, e.g. '*/30 * * * *'") from None
    return IntervalTrigger(seconds=outlet.interval, jitter=settings.daemon.jitter or None, timezone=tz)


def crontab_trigger(expression: str, tz) -> CronTrigger:
    """Crontab syntax (0 or 7 = Sunday) in the scheduler's time zone; ValueError if it is not that."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    fields[4] = crontab_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=tz)


def digest_trigger(settings: Settings, tz, file: str | Path = "settings.yaml") -> CronTrigger | None:
    """When the daemon sends the digest (settings.digest.schedule), or None for never."""
    if not settings.digest.schedule:
        return None
    try:
        return crontab_trigger(settings.digest.schedule, tz)
    except ValueError as exc:
        raise ConfigError(file, "field 'digest.schedule'", f"{settings.digest.schedule!r} is not a crontab "
                          f"expression: {exc}", "e.g. '0 8 * * 1' for Mondays at 08:00") from None


def trigger_key(trigger: BaseTrigger) -> str:
    """What makes two triggers the same schedule (an interval trigger's start date does not)."""
    if isinstance(trigger, IntervalTrigger):
        return f"interval {trigger.interval_length:g}s jitter {trigger.jitter}"
    if isinstance(trigger, CronTrigger):
        return f"{trigger} tz {trigger.timezone} jitter {trigger.jitter}"
    return repr(trigger)


def trigger_period(trigger: BaseTrigger, now: datetime) -> float | None:
    """Seconds between two consecutive runs after `now` (a cron's period may vary: this is the next one)."""
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval_length
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    return (second - first).total_seconds() if second else None


def backoff_next_run(trigger: BaseTrigger, failures: int, last_failure: datetime | None, now: datetime,
                     cap: float) -> datetime | None:
    """When an outlet with `failures` consecutive failed crawls may next run, if later than `now` and
    its schedule allows (None: not backing off). Cron outlets wait for their next cron time after it."""
    period = trigger_period(trigger, now)
    if not period:
        return None
    until = backoff_until(failures, last_failure, period, cap)
    if until is None or until <= now:
        return None
    if isinstance(trigger, IntervalTrigger):
        return until.astimezone(trigger.timezone)
    return trigger.get_next_fire_time(None, until)


def plan_jobs(outlets: tuple[Outlet, ...], settings: Settings, tz,
              file: str | Path = "outlets.yaml") -> dict[str, tuple[Outlet, BaseTrigger]]:
    """Job id -> (outlet, trigger) for every enabled outlet; raises ConfigError before anything changes."""
    return {job_id(o.name): (o, build_trigger(o, settings, tz, file)) for o in outlets if o.enabled}


def merged_next_run(existing_next: datetime | None, existing_key: str | None, trigger: BaseTrigger,
                    now: datetime) -> datetime:
    """Next run of a job whose definition is (re)applied: a new job runs now; an unchanged schedule
    keeps its persisted next run (that is what a restart resumes); a changed one runs at whichever
    comes first, the old next run or the new schedule's."""
    if existing_key is None or existing_next is None:
        return now
    if existing_key == trigger_key(trigger):
        return existing_next
    fresh = trigger.get_next_fire_time(None, now)
    return min(existing_next, fresh) if fresh else existing_next


def when(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = (moment - now).total_seconds()
    local = moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return f"{local} (in {format_span(seconds)})" if seconds > 0 else f"{local} (due)"


def format_span(seconds: float) -> str:
    """90 -> '1m30s', 7200 -> '2h', 93600 -> '1d2h'."""
    seconds = int(round(seconds))
    for big, small, big_unit, small_unit in ((86400, 3600, "d", "h"), (3600, 60, "h", "m"), (60, 1, "m", "s")):
        if seconds >= big:
            whole, rest = divmod(seconds, big)
            return f"{whole}{big_unit}" + (f"{rest // small}{small_unit}" if rest // small else "")
    return f"{seconds}s"


# --- reading the job store without a scheduler (for `drillwatch outlets`) ---------------------------

def stored_next_runs(engine: Engine) -> dict[str, datetime | None]:
    """Outlet -> next run time, from the daemon's job store (empty if the daemon never ran)."""
    if not inspect(engine).has_table(JOBS_TABLE):
        return {}
    table = Table(JOBS_TABLE, MetaData(), Column("id", Unicode(191)), Column("next_run_time", Float(25)))
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.next_run_time)).all()
    return {job.removeprefix(JOB_PREFIX): (datetime.fromtimestamp(ts, timezone.utc) if ts is not None else None)
            for job, ts in rows if job.startswith(JOB_PREFIX)}


# --- the daemon -------------------------------------------------------------------------------------

class Daemon:
    def __init__(self, config_dir: str | Path, db_url: str, workers: int = 4, tz=None, redis_url: str | None = None,
                 redis_prefix: str | None = None):
        self.config_dir, self.db_url = str(Path(config_dir).resolve()), db_url
        self.redis_url, self.redis_prefix = redis_url, redis_prefix
        self.job_func = jobs.seed_outlet if redis_url else jobs.crawl_outlet
        self.leadership = None
        self.db_lock: DaemonLock | None = None
        self.refusal: str | None = None
        self.outlets_file = Path(self.config_dir) / "outlets.yaml"
        self.outlets = load_outlets(self.config_dir)  # a bad config fails here, before anything starts
        self.settings = load_settings(self.config_dir)
        plan_jobs(self.outlets, self.settings, tz or timezone.utc, self.outlets_file)
        digest_trigger(self.settings, tz or timezone.utc, Path(self.config_dir) / "settings.yaml")
        self.workers = workers
        self.engine = make_engine(db_url)
        self.scheduler = BlockingScheduler(
            jobstores={PERSISTENT: SQLAlchemyJobStore(engine=self.engine, tablename=JOBS_TABLE),
                       MEMORY: MemoryJobStore()},
            executors={CRAWL_EXECUTOR: ThreadPoolExecutor(workers), POST_EXECUTOR: ThreadPoolExecutor(1),
                       "default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            **({"timezone": tz} if tz else {}))
        self.scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self._on_job_done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.stopping = threading.Event()
        self._hurry = threading.Event()
        self._stopper: threading.Thread | None = None
        self._started = threading.Event()
        self._reload_lock = threading.Lock()
        self.exit_code = 0

    # -- one daemon per database, one leader per cluster --------------------------------------------
    def claim(self) -> bool:
        """Become the database's daemon (or the cluster's leader, waiting for it); False: do not run."""
        if not self.redis_url:
            try:
                self.db_lock = DaemonLock(self.engine).acquire()
            except DaemonLockHeld as exc:
                self.refusal = f"{exc}; not starting (stop it first, or give this daemon another database)"
                log.error("%s", self.refusal)
                return False
            return True
        import redis

        from crawler.cluster import Keys
        from scheduler.leader import Leadership

        server = redis.Redis.from_url(self.redis_url)
        self.leadership = Leadership(server, Keys(self.redis_prefix or self.settings.cluster.prefix).leader(),
                                     self.settings.cluster.lease)
        if not self.leadership.wait(self.stopping):
            return False
        self.leadership.keep(self._lost_leadership)
        return True

    def _lost_leadership(self, why: str) -> None:
        log.error("%s; stopping (another daemon may lead now)", why)
        self.exit_code = 1
        if self._stopper is None:
            self._stopper = threading.Thread(target=self.stop, name="drillwatch-stop", daemon=True)
            self._stopper.start()

    def export_runtime(self) -> None:
        """What the jobs read at run time (scheduler.jobs.runtime), never stored with them."""
        os.environ[ENV_CONFIG], os.environ[ENV_DB] = self.config_dir, self.db_url
        if self.redis_url:
            from crawler.cluster import ENV_PREFIX, ENV_REDIS
            os.environ[ENV_REDIS] = self.redis_url
            if self.redis_prefix:
                os.environ[ENV_PREFIX] = self.redis_prefix

    def unclaim(self) -> None:
        if self.db_lock is not None:
            self.db_lock.release()
        if self.leadership is not None:
            self.leadership.release()

    # -- running -------------------------------------------------------------------------------------
    def run_forever(self) -> int:
        log.info("drillwatch daemon starting: config %s, database %s, %d crawl workers%s",
                 self.config_dir, self.engine.url.render_as_string(hide_password=True), self.workers,
                 f"; cluster leader candidate on Redis (prefix {self.redis_prefix or self.settings.cluster.prefix})"
                 if self.redis_url else "")
        self._install_signals()
        self.export_runtime()
        if not self.claim():
            self._started.set()
            self.engine.dispose()
            return 1 if self.db_lock is None and not self.stopping.is_set() else 0
        try:
            self.scheduler.start()  # blocks until shutdown; _on_started sets everything up first
        except Exception:
            log.exception("the scheduler failed; stopping")
            self.exit_code = 1
            self.stopping.set()
            stop_crawls(self.settings.daemon.stop_grace, jobs.kill_grace(self.settings), self._hurry)
        finally:
            self._started.set()
            self.unclaim()
            self.engine.dispose()
        log.info("drillwatch daemon stopped")
        return self.exit_code

    def _on_started(self, _event) -> None:
        """Runs in the main thread inside scheduler.start(), after the job store opened and before the
        first job: sync the jobs with the config here, because add_job(replace_existing=True) on every
        start would recompute next_run_time and a restart would not resume the schedule."""
        try:
            if self.stopping.is_set():
                return  # a stop signal came during start-up: the stopper shuts down
            self.sweep_open_runs()
            changes = self.sync_jobs(self.outlets, self.settings)
            self._log_schedule(changes)
            self.add_post_crawl_job()
            self.schedule_digest(self.settings)
        except Exception:
            log.exception("the daemon could not start its schedule")
            self.exit_code = 1
            self.stopping.set()
            self.scheduler.shutdown(wait=False)
        finally:
            self._started.set()

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_hup_signal)
        if hasattr(signal, "SIGUSR1"):  # a daemon that seems stuck: every thread's stack to the log (stderr)
            faulthandler.register(signal.SIGUSR1, all_threads=True)

    # -- the jobs ------------------------------------------------------------------------------------
    def sync_jobs(self, outlets: tuple[Outlet, ...], settings: Settings,
                  now: datetime | None = None) -> dict[str, list[str]]:
        """Make the job store hold exactly one crawl job per enabled outlet, as configured."""
        plan = plan_jobs(outlets, settings, self.scheduler.timezone, self.outlets_file)
        now = now or datetime.now(self.scheduler.timezone)
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore=PERSISTENT)
                    if job.id.startswith(JOB_PREFIX)}
        changes: dict[str, list[str]] = {"added": [], "rescheduled": [], "updated": [], "kept": [], "removed": []}
        for jid, (outlet, trigger) in plan.items():
            job = existing.get(jid)
            args = (outlet.name,)
            old_key = trigger_key(job.trigger) if job else None
            if job and old_key == trigger_key(trigger) and tuple(job.args) == args and job.func is self.job_func \
                    and job.misfire_grace_time == settings.daemon.misfire_grace and job.executor == CRAWL_EXECUTOR:
                changes["kept"].append(outlet.name)
                continue
            next_run = merged_next_run(job.next_run_time if job else None, old_key, trigger, now)
            self.scheduler.add_job(
                self.job_func, trigger, args=list(args), id=jid, name=f"crawl {outlet.name}",
                replace_existing=True, max_instances=1, coalesce=True,
                misfire_grace_time=settings.daemon.misfire_grace, jobstore=PERSISTENT,
                executor=CRAWL_EXECUTOR, next_run_time=next_run)
            kind = "added" if job is None else "updated" if old_key == trigger_key(trigger) else "rescheduled"
            changes[kind].append(outlet.name)
        for jid in existing.keys() - plan.keys():
            self.scheduler.remove_job(jid, jobstore=PERSISTENT)
            changes["removed"].append(jid.removeprefix(JOB_PREFIX))
        return changes

    def _log_schedule(self, changes: dict[str, list[str]]) -> None:
        summary = ", ".join(f"{kind} {', '.join(names)}" for kind, names in changes.items() if names)
        log.info("schedule: %s", summary or "no enabled outlets")
        now = datetime.now(timezone.utc)
        for job in sorted(self.scheduler.get_jobs(jobstore=PERSISTENT), key=lambda j: j.id):
            log.info("  %s: %s, next run %s", job.id, _every(job.trigger), when(job.next_run_time, now))

    def add_post_crawl_job(self) -> None:
        """The post-crawl work is one recurring job (memory store: it is rebuilt at each start, and runs
        right away to catch up on what the crawls before a stop left) that each finished crawl nudges to
        run now (`nudge_post_crawl`). Why not a one-off job per crawl: APScheduler 3 removes a finished
        one-off job from the main loop, which races with shutdown() from the stopping thread
        (JobLookupError kills the loop). Recurring also retries failed alert deliveries when nothing is
        crawled. A one-thread executor with max_instances=2: runs never overlap, and a nudge during a run
        queues one more, so every crawl is followed by a post_crawl that starts after it ended."""
        self.scheduler.add_job(jobs.post_crawl, IntervalTrigger(seconds=POST_INTERVAL, timezone=timezone.utc),
                               args=[self.config_dir, self.db_url], id=POST_JOB_ID, name="post-crawl",
                               replace_existing=True, jobstore=MEMORY, executor=POST_EXECUTOR,
                               max_instances=2, coalesce=True, misfire_grace_time=None,
                               next_run_time=datetime.now(timezone.utc))

    def schedule_digest(self, settings: Settings) -> None:
        """The digest job (memory store, rebuilt at each start) when settings.yaml sets digest.schedule."""
        trigger = digest_trigger(settings, self.scheduler.timezone)
        if trigger is None:
            if self.scheduler.get_job(DIGEST_JOB_ID, jobstore=MEMORY):
                self.scheduler.remove_job(DIGEST_JOB_ID, jobstore=MEMORY)
            return
        job = self.scheduler.add_job(jobs.send_digest, trigger, args=[self.config_dir, self.db_url], id=DIGEST_JOB_ID,
                                     name="digest", replace_existing=True, jobstore=MEMORY, coalesce=True,
                                     max_instances=1, misfire_grace_time=settings.daemon.misfire_grace)
        log.info("  digest: %s (%s), next run %s", settings.digest.schedule, _every(trigger),
                 when(job.next_run_time, datetime.now(timezone.utc)))

    def nudge_post_crawl(self) -> None:
        try:
            self.scheduler.modify_job(POST_JOB_ID, jobstore=MEMORY, next_run_time=datetime.now(timezone.utc))
        except JobLookupError:
            pass  # shutting down

    def _on_job_done(self, event: JobExecutionEvent) -> None:
        if event.job_id.startswith(JOB_PREFIX):
            self._crawl_done(event)
        elif event.job_id == POST_JOB_ID:
            if event.exception is not None:
                log.error("post-crawl failed: %s", event.exception)
            else:
                log.info("post-crawl: %s", ", ".join(f"{k} {v}" for k, v in (event.retval or {}).items()) or "no steps")
        elif event.job_id == DIGEST_JOB_ID:
            if event.exception is not None:
                log.error("digest failed: %s", event.exception)
            else:
                (log.warning if event.retval.get("failed") else log.info)(jobs.describe_digest(event.retval))

    def _crawl_done(self, event: JobExecutionEvent) -> None:
        name = event.job_id.removeprefix(JOB_PREFIX)
        result = event.retval or {}
        if event.exception is not None:
            log.error("crawl %s: the job failed: %s", name, event.exception)
        elif result.get("status") == "skipped" or self.stopping.is_set():
            log.info(jobs.describe(result))
            return
        backoff = self.apply_backoff(name)
        line = jobs.describe(result) if result else f"crawl {name}: no result"
        if backoff:
            log.warning("%s; %s", line, backoff)
        elif result.get("status") == "ok":
            log.info(line)
        else:
            log.warning(line)
        self.nudge_post_crawl()

    def apply_backoff(self, name: str, now: datetime | None = None) -> str | None:
        """After a failed crawl, push the outlet's next run out; a note for the log, or None."""
        now = now or datetime.now(timezone.utc)
        with session_scope(self.engine) as session:
            failures, last_failure = runs.failure_streak(session, name)
        if not failures:
            return None
        job = self.scheduler.get_job(job_id(name), jobstore=PERSISTENT)
        if job is None:
            return f"{failures} consecutive failures"
        until = backoff_next_run(job.trigger, failures, last_failure, now, self.settings.daemon.max_backoff)
        if until and job.next_run_time and until > job.next_run_time:
            self.scheduler.modify_job(job.id, jobstore=PERSISTENT, next_run_time=until)
            return f"{failures} consecutive failures, backing off: next run {when(until, now)}"
        return f"{failures} consecutive failure{'s' if failures > 1 else ''}, next run {when(job.next_run_time, now)}"

    def sweep_open_runs(self) -> None:
        """Runs still open from before (the daemon or a crawl was killed) whose process on this host is
        gone: closed as killed with the counts of their last checkpoint, as a crawl's start does."""
        with session_scope(self.engine) as session:
            for run in runs.close_dead_runs(session, socket.gethostname(), _alive):
                log.warning("run %d of %s (pid %s): its process is gone; closed as killed", run.id, run.outlet,
                            run.pid)

    # -- signals -------------------------------------------------------------------------------------
    def _on_stop_signal(self, signum, _frame) -> None:
        name = signal.Signals(signum).name
        if self._stopper is None:
            log.info("%s: stopping; running crawls get %ss to finish", name, self.settings.daemon.stop_grace)
            self._stopper = threading.Thread(target=self.stop, name="drillwatch-stop", daemon=True)
            self._stopper.start()
        else:
            log.warning("%s again: interrupting running crawls now", name)
            self._hurry.set()

    def _on_hup_signal(self, _signum, _frame) -> None:
        threading.Thread(target=self.reload, name="drillwatch-reload", daemon=True).start()

    def reload(self) -> bool:
        """Re-read outlets.yaml and settings.yaml and apply them; a bad config keeps the old schedule."""
        self._started.wait()
        with self._reload_lock:
            if self.stopping.is_set():
                return False
            try:
                outlets, settings = load_outlets(self.config_dir), load_settings(self.config_dir)
                digest_trigger(settings, self.scheduler.timezone, Path(self.config_dir) / "settings.yaml")
                changes = self.sync_jobs(outlets, settings)
                self.schedule_digest(settings)
            except ConfigError as exc:
                log.error("configuration not reloaded, keeping the current schedule: %s", exc)
                return False
            self.outlets, self.settings = outlets, settings
            log.info("configuration reloaded")
            self._log_schedule(changes)
            return True

    def stop(self) -> None:
        """Stop taking work, give running crawls stop_grace seconds, interrupt the rest, shut down."""
        self.stopping.set()
        jobs.SUPERVISOR.stopping.set()
        self._started.wait()  # a signal during start-up: let the scheduler finish starting first
        with self._reload_lock:  # not in the middle of a reload
            if self.scheduler.state == STATE_RUNNING:
                self.scheduler.pause()
                self.scheduler.get_jobs()  # takes the job store lock: a round of due jobs in progress ends
        stop_crawls(self.settings.daemon.stop_grace, jobs.kill_grace(self.settings), self._hurry)
        try:
            self.scheduler.shutdown(wait=True)  # waits for the job threads: their runs are recorded
        except SchedulerNotRunningError:
            pass  # start-up failed and already shut it down

    # -- once ----------------------------------------------------------------------------------------
    def run_once(self) -> tuple[list[dict], dict]:
        """Every enabled outlet's crawl once (as the daemon would), then post_crawl."""
        signal.signal(signal.SIGTERM, self._on_once_signal)
        signal.signal(signal.SIGINT, self._on_once_signal)
        self.export_runtime()
        if not self.claim():
            self.engine.dispose()
            raise DaemonLockHeld(self.refusal or "stopped while waiting to lead")
        try:
            return self._run_once()
        finally:
            self.unclaim()

    def _run_once(self) -> tuple[list[dict], dict]:
        self.sweep_open_runs()
        names = [o.name for o in self.outlets if o.enabled]
        log.info("crawling once: %s", ", ".join(names) or "no enabled outlets")
        with concurrent.futures.ThreadPoolExecutor(max(1, min(self.workers, len(names) or 1))) as pool:
            futures = [pool.submit(self.job_func, n) for n in names]
            results = []
            for future in futures:
                result = future.result()
                (log.info if result["status"] in ("ok", "skipped") else log.warning)(jobs.describe(result))
                results.append(result)
        post = {}
        if not self.stopping.is_set():
            post = jobs.post_crawl(self.config_dir, self.db_url)
            log.info("post-crawl: %s", ", ".join(f"{k} {v}" for k, v in post.items()) or "no steps")
        self.engine.dispose()
        return results, post

    def _on_once_signal(self, signum, _frame) -> None:
        if self._stopper is None:
            log.info("%s: stopping; running crawls get %ss to finish", signal.Signals(signum).name,
                     self.settings.daemon.stop_grace)
            self.stopping.set()
            jobs.SUPERVISOR.stopping.set()
            self._stopper = threading.Thread(target=stop_crawls, args=(
                self.settings.daemon.stop_grace, jobs.kill_grace(self.settings), self._hurry))
            self._stopper.start()
        else:
            self._hurry.set()


def stop_crawls(grace: float, kill_grace: float, hurry: threading.Event) -> None:
    """Wait up to `grace` seconds for running crawls, then SIGTERM them (Scrapy records the run as
    interrupted), then SIGKILL what is left after `kill_grace` (their threads close the runs)."""
    supervisor = jobs.SUPERVISOR
    supervisor.stopping.set()
    running = supervisor.running()
    if running:
        log.info("waiting for %d running crawl(s): %s", len(running), ", ".join(c.outlet for c in running))
    deadline = time.monotonic() + grace
    while not supervisor.wait_idle(0.2):
        if hurry.is_set() or time.monotonic() >= deadline:
            break
    if supervisor.running():
        names = ", ".join(c.outlet for c in supervisor.signal_all(signal.SIGTERM, "shutdown"))
        log.warning("interrupting crawls still running: %s", names)
        if not supervisor.wait_idle(kill_grace):
            names = ", ".join(c.outlet for c in supervisor.signal_all(signal.SIGKILL, "shutdown"))
            log.warning("killing crawls that did not stop: %s", names)
            supervisor.wait_idle(kill_grace)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _every(trigger: BaseTrigger) -> str:
    if isinstance(trigger, IntervalTrigger):
        text = f"every {format_span(trigger.interval_length)}"
        return text + (f" (+ up to {trigger.jitter}s jitter)" if trigger.jitter else "")
    return str(trigger)
