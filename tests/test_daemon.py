"""`drillwatch run` as a real process: scheduled crawls of the demo outlets over real HTTP into a real
database, a crawl killed mid-run, graceful stops, restarts that resume the schedule, SIGHUP reloads."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from storage import runs
from storage.db import StorageError, make_engine, session_scope
from storage.models import Alert, Article, CrawlRun
from tests.conftest import ROOT, run_drillwatch
from tests.test_jobs import SLOW_OUTLET, demo_config

pytestmark = pytest.mark.slow

# Time the daemon may need beyond stop_grace + kill grace to stop: interpreter exit, DB close. Generous
# because CI shares two cores with the whole suite (a stop once took over 10 s there); a daemon that hangs
# still fails, with its threads' stacks in the message.
STOP_MARGIN = 20


class DaemonProcess:
    """`python -m scheduler.cli --db URL --config DIR run ...` with its log in a file."""

    count = 0

    def __init__(self, tmp_path: Path, db: str, config: Path, server, *args: str):
        DaemonProcess.count += 1
        self.log_path = tmp_path / f"daemon-{DaemonProcess.count}.log"
        env = {k: v for k, v in os.environ.items()
               if k not in ("DRILLWATCH_CONFIG", "DRILLWATCH_DB", "DRILLWATCH_CRAWL_TIMEOUT")}
        env.update(PYTHONUNBUFFERED="1", DRILLWATCH_DEMO_URL=server.url)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "scheduler.cli", "--db", db, "--config", str(config), "run", *args],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.engine = make_engine(db)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, check, what: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = check()
            except (StorageError, DatabaseError):  # the daemon has not created its tables yet
                value = None
            if value:
                return value
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"gave up waiting for {what} (daemon exit code {self.proc.poll()})\n"
                             f"--- daemon log ---\n{self.log()[-6000:]}")

    def wait_log(self, needle: str, timeout: float = 30, count: int = 1) -> str:
        return self.wait_for(lambda: self.log().count(needle) >= count and self.log(), f"{needle!r} in the log",
                             timeout)

    def runs(self) -> list[CrawlRun]:
        with session_scope(self.engine) as session:
            return sorted(runs.recent_runs(session, limit=500), key=lambda r: r.id)

    def finished_runs(self, outlet: str, status: str | None = None) -> list[CrawlRun]:
        return [r for r in self.runs() if r.outlet == outlet and r.finished_at and (not status or r.status == status)]

    def jobs(self) -> dict[str, float]:
        with self.engine.connect() as conn:
            return dict(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())

    def stop(self, signum=signal.SIGTERM, timeout: float = 30) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # the daemon dumps its threads' stacks: where it hangs
            time.sleep(1)
            raise AssertionError(f"daemon did not stop within {timeout}s\n{self.log()[-12000:]}") from None
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.engine.dispose()


@pytest.fixture
def start_daemon(tmp_path, demo_server):
    started: list[DaemonProcess] = []

    def start(db: str, config: Path, *args: str) -> DaemonProcess:
        daemon = DaemonProcess(tmp_path, db, config, demo_server, *args)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.close()


def add_socialrepost_post(sites: Path, post_id: int, title: str, paragraphs: list[str]) -> str:
    """A new post page on the demo SocialRepost site, linked from the top of its listing page."""
    page = (sites / "socialrepost/post/48213.html").read_text(encoding="utf-8")
    old_title = "Putin calls for closer Russia-China cooperation on military satellites and prospective weapons"
    page = page.replace("48213", str(post_id)).replace(old_title, title)
    start = page.index('<div class="post-text" dir="auto">') + len('<div class="post-text" dir="auto">')
    end = page.index("</div>", start)
    page = page[:start] + "<br><br>\n".join(paragraphs) + "\n        " + page[end:]
    (sites / f"socialrepost/post/{post_id}.html").write_text(page, encoding="utf-8")
    listing_file = sites / "socialrepost/index.html"
    listing = listing_file.read_text(encoding="utf-8")
    item = (f'<div class="feed-item">\n        <a class="feed-title" href="{{{{BASE}}}}/socialrepost/post/{post_id}.html">'
            f'{title}</a>\n      </div>\n      ')
    marker = '<div class="feed-item">'
    listing_file.write_text(listing.replace(marker, item + marker, 1), encoding="utf-8")
    return f"/socialrepost/post/{post_id}.html"


NEW_POST = [
    "Russian and Chinese warships began a joint naval exercise in the Sea of Japan on Monday, the Russian "
    "Defense Ministry said, the latest in a series of drills that underline the growing military ties "
    "between Moscow and Beijing.",
    "The Joint Sea exercise involves destroyers, corvettes, a submarine and naval aviation from both "
    "countries, and will include anti-submarine warfare, air defense and artillery firing, the ministry said "
    "in a statement carried by Russian news agencies.",
    "After the active phase, the ships are expected to conduct a joint patrol in the Pacific Ocean, as they "
    "have done in each of the past several years. Chinese state media said the drills were not aimed at any "
    "third country.",
    "Russia and China have steadily expanded their military cooperation since Moscow sent troops into "
    "Ukraine, holding joint bomber patrols near Japan and Alaska and sending troops to each other's large "
    "strategic command exercises.",
    "Japan's Defense Ministry said it was monitoring the exercise closely and had scrambled aircraft after "
    "Russian and Chinese ships passed through the Tsushima Strait on their way to the exercise area.",
]


def test_daemon_crawls_on_schedule_stores_a_new_article_and_stops_cleanly(start_daemon, sites, tmp_path,
                                                                          sqlite_url):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="4s")
    daemon = start_daemon(sqlite_url, config, "--crawl-timeout", "60")

    first = daemon.wait_for(lambda: daemon.finished_runs("socialrepost", "ok"), "a first crawl")[0]
    assert first.trigger == "scheduled" and first.articles_new == 2
    added_at = datetime.now(timezone.utc)
    path = add_socialrepost_post(sites, 60001, "Russian and Chinese warships begin Joint Sea naval drills", NEW_POST)

    def new_article():
        with session_scope(daemon.engine) as session:
            return session.query(Article).filter(Article.url.endswith(path)).one_or_none()

    article = daemon.wait_for(new_article, "the new post stored by a scheduled crawl")
    assert article.title == "Russian and Chinese warships begin Joint Sea naval drills"
    later = daemon.wait_for(lambda: [r for r in daemon.finished_runs("socialrepost") if r.started_at >= added_at],
                            "the crawl that found it to finish")
    assert later[0].status == "ok" and later[0].articles_new == 1

    def delivered():  # the crawl raised it; the post-crawl job the crawl nudged delivered it (log sink)
        with session_scope(daemon.engine) as session:
            alerts = session.query(Alert).filter(Alert.article_id == article.id, Alert.status == "sent").all()
            return [a.title for a in alerts if "Joint Sea" in a.title]

    daemon.wait_for(delivered, "the new post's alert to be delivered")

    code, took = daemon.stop(timeout=2 + 2 + STOP_MARGIN)  # stop_grace 2s, kill grace 2s
    log = daemon.log()
    assert code == 0, log
    assert "crawl socialrepost: started (pid" in log and "crawl socialrepost: ok in" in log
    assert "1 new articles" in log and "drillwatch daemon stopped" in log
    assert len(daemon.runs()) >= 2
    assert [r.id for r in daemon.runs() if r.finished_at is None or r.status == "running"] == []
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    jobs = daemon.jobs()
    assert list(jobs) == ["crawl:socialrepost"] and jobs["crawl:socialrepost"] is not None


def test_a_killed_crawl_is_recorded_failed_and_the_daemon_goes_on(start_daemon, demo_server, tmp_path, sqlite_url):
    demo_server.slow_seconds = 60
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="4s", extra=[SLOW_OUTLET],
                         crawl={"download_timeout": 60})
    daemon = start_daemon(sqlite_url, config, "--crawl-timeout", "120")

    def slow_run_open():
        return [r for r in daemon.runs() if r.outlet == "slowpoke" and r.finished_at is None and r.pid]

    [victim] = daemon.wait_for(slow_run_open, "the slow crawl to open its run")
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = datetime.now(timezone.utc)

    def recorded():
        return [r for r in daemon.finished_runs("slowpoke") if r.id == victim.id]

    [run] = daemon.wait_for(recorded, "the killed crawl to be recorded")
    assert run.status == "failed" and run.message == "crawl process killed by SIGKILL"
    daemon.wait_for(lambda: [r for r in daemon.finished_runs("socialrepost", "ok") if r.started_at > killed_at],
                    "a later crawl of another outlet")
    assert daemon.proc.poll() is None
    assert "crawl slowpoke: failed" in daemon.log()
    code, _ = daemon.stop(timeout=2 + 2 + STOP_MARGIN)
    assert code == 0


def test_stop_interrupts_a_crawl_that_outlasts_the_grace(start_daemon, demo_server, tmp_path, sqlite_url):
    demo_server.slow_seconds = 60
    config = demo_config(tmp_path / "conf", [], extra=[SLOW_OUTLET], crawl={"download_timeout": 60},
                         stop_grace="1s")
    daemon = start_daemon(sqlite_url, config)
    daemon.wait_for(lambda: [r for r in daemon.runs() if r.outlet == "slowpoke"], "the slow crawl to start")

    code, took = daemon.stop(timeout=1 + 1 + STOP_MARGIN)
    assert code == 0, daemon.log()
    assert took >= 1  # the crawl had its grace period first
    [run] = daemon.runs()
    assert run.status == "interrupted" and run.finished_at is not None
    assert "interrupting crawls still running: slowpoke" in daemon.log()


def test_restart_resumes_the_schedule_from_the_job_store(start_daemon, tmp_path, db_url):
    config = demo_config(tmp_path / "conf", ["socialrepost", "kremlinwire"], interval=None)
    outlets = yaml.safe_load((config / "outlets.yaml").read_text())
    for outlet in outlets["outlets"]:
        outlet["interval"] = "1h" if outlet["name"] == "socialrepost" else outlet.pop("interval", None) or "1h"
    (config / "outlets.yaml").write_text(yaml.safe_dump(outlets))  # kremlinwire keeps its cron

    first = start_daemon(db_url, config)
    # New jobs run right away, then follow their schedule.
    first.wait_for(lambda: len([r for r in first.runs() if r.finished_at]) == 2, "both first crawls")
    first.wait_for(lambda: all(t > time.time() + 60 for t in first.jobs().values()), "next runs in the future")
    code, _ = first.stop()
    assert code == 0, first.log()
    before, runs_before = first.jobs(), len(first.runs())
    assert sorted(before) == ["crawl:kremlinwire", "crawl:socialrepost"]

    second = start_daemon(db_url, config)
    log = second.wait_log("schedule: kept ")
    assert "schedule: kept kremlinwire, socialrepost\n" in log
    assert second.jobs() == before  # same ids, same persisted next run times, nothing duplicated
    code, _ = second.stop()
    assert code == 0, second.log()
    assert len(second.runs()) == runs_before  # nothing ran again on restart
    assert second.jobs() == before


def test_sighup_reloads_the_schedule_and_a_bad_config_keeps_the_old_one(start_daemon, tmp_path, sqlite_url):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    daemon = start_daemon(sqlite_url, config)
    daemon.wait_for(lambda: daemon.finished_runs("socialrepost"), "the first crawl")
    daemon.wait_for(lambda: daemon.jobs().get("crawl:socialrepost", 0) > time.time() + 60, "the next run planned")
    planned = daemon.jobs()["crawl:socialrepost"]

    demo_config(tmp_path / "conf", ["socialrepost", "artifex"], interval="1h")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_log("configuration reloaded")
    assert "schedule: added artifex, kept socialrepost" in daemon.log()
    daemon.wait_for(lambda: daemon.finished_runs("artifex"), "the added outlet's first crawl")
    assert daemon.jobs()["crawl:socialrepost"] == planned

    (config / "outlets.yaml").write_text("outlets:\n  - name: socialrepost\n    cron: '61 * * * *'\n"
                                         "    domains: [x]\n    feeds: ['http://x/feed']\n")
    daemon.proc.send_signal(signal.SIGHUP)
    log = daemon.wait_log("configuration not reloaded, keeping the current schedule")
    assert "outlet 'socialrepost' field 'cron'" in log
    assert sorted(daemon.jobs()) == ["crawl:artifex", "crawl:socialrepost"]
    assert daemon.proc.poll() is None

    demo_config(tmp_path / "conf", ["artifex"], interval="1h")
    daemon.proc.send_signal(signal.SIGHUP)
    daemon.wait_log("configuration reloaded", count=2)
    assert list(daemon.jobs()) == ["crawl:artifex"]
    code, _ = daemon.stop()
    assert code == 0


def test_run_once_crawls_every_outlet_then_exits(tmp_path, demo_server, sqlite_url):
    config = demo_config(tmp_path / "conf", ["socialrepost", "artifex"])
    proc = run_drillwatch("run", "--once", "--json", db=sqlite_url, server=demo_server, config=config, timeout=120)
    rows = {row["outlet"]: row for row in json.loads(proc.stdout)}
    assert set(rows) == {"socialrepost", "artifex"}
    assert all(row["status"] == "ok" for row in rows.values()) and rows["socialrepost"]["new"] == 2
    assert "post-crawl: deliver_alerts" in proc.stderr
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs WHERE finished_at IS NULL")).scalar() == 0
    engine.dispose()


def test_a_stop_signal_during_start_up_still_stops_cleanly(start_daemon, tmp_path, sqlite_url):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    for attempt in range(2):  # the signal lands at slightly different points of the start-up each time
        daemon = start_daemon(sqlite_url, config)
        daemon.wait_log("drillwatch daemon starting")
        time.sleep(0.05 * attempt)
        code, _ = daemon.stop(timeout=2 + 2 + STOP_MARGIN)
        assert code == 0 and "Traceback" not in daemon.log(), daemon.log()


DEAD_OUTLET = {  # its only feed is gone (404): every crawl fails
    "name": "deadfeed", "domains": ["127.0.0.1"], "interval": "2s",
    "feeds": ["${DRILLWATCH_DEMO_URL}/brokenfeed/rss/news.xml"],
}


def test_an_outlet_that_keeps_failing_backs_off_and_says_so(start_daemon, tmp_path, sqlite_url, demo_server):
    config = demo_config(tmp_path / "conf", [], extra=[DEAD_OUTLET], max_backoff="1h")
    daemon = start_daemon(sqlite_url, config)
    log = daemon.wait_log("2 consecutive failures, backing off: next run")
    failed = daemon.finished_runs("deadfeed", "failed")
    assert len(failed) == 2
    # 2 failures in a row: twice the 2s interval after the last failure
    expected = failed[-1].finished_at.timestamp() + 4
    assert abs(daemon.jobs()["crawl:deadfeed"] - expected) < 0.01
    assert "crawl deadfeed: failed in" in log

    [row] = json.loads(run_drillwatch("outlets", "--json", db=sqlite_url, server=demo_server, config=config).stdout)
    assert row["failures"] >= 2 and row["last_status"] == "failed" and row["last_success"] is None
    assert datetime.fromisoformat(row["next_run"]).timestamp() >= expected - 0.01
    code, _ = daemon.stop(timeout=2 + 2 + STOP_MARGIN)
    assert code == 0


def test_sigusr1_writes_every_threads_stack_to_the_log_and_the_daemon_goes_on(start_daemon, tmp_path, sqlite_url):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    daemon = start_daemon(sqlite_url, config)
    daemon.wait_for(lambda: daemon.finished_runs("socialrepost"), "the first crawl")
    daemon.proc.send_signal(signal.SIGUSR1)
    dump = daemon.wait_log("most recent call first")
    assert "Current thread" in dump or "Thread 0x" in dump
    assert daemon.proc.poll() is None
    code, _ = daemon.stop()
    assert code == 0
