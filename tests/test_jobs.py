"""The daemon's jobs, called directly: real crawl child processes, real demo HTTP server, real SQLite."""
from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from config import DEMO_DIR
from config.load import load_settings
from scheduler import jobs
from scheduler.jobs import ENV_CRAWL_TIMEOUT, Supervisor, crawl_outlet, exit_verdict, post_crawl
from storage import runs
from storage.db import init_db, make_engine, session_scope
from storage.models import CrawlRun

SLOW_OUTLET = {  # its listing page answers only after the demo server's slow_seconds
    "name": "slowpoke", "domains": ["127.0.0.1"],
    "listings": [{"url": "${DRILLWATCH_DEMO_URL}/spacewar/_slow/news/", "links": r"/spacewar/reports/[^/]+\.html$"}],
    "interval": "1h",
}


def demo_config(directory: Path, names: list[str], interval: str | None = "5s", extra: list[dict] = (),
                crawl: dict | None = None, **daemon) -> Path:
    """A config dir with some of the demo outlets (interval overridden) and daemon settings."""
    directory.mkdir(parents=True, exist_ok=True)
    demo = yaml.safe_load((DEMO_DIR / "outlets.yaml").read_text())["outlets"]
    outlets = [dict(o) for o in demo if o["name"] in names]
    for outlet in outlets:
        if interval:
            outlet.pop("cron", None)
            outlet["interval"] = interval
    settings = yaml.safe_load((DEMO_DIR / "settings.yaml").read_text())
    settings["crawl"].update(crawl or {})
    settings["daemon"] = {"jitter": 0, "stop_grace": "2s", **daemon}
    (directory / "outlets.yaml").write_text(yaml.safe_dump({"outlets": outlets + list(extra)}, sort_keys=False))
    (directory / "settings.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return directory


@pytest.fixture
def demo_env(demo_server, monkeypatch):
    monkeypatch.setenv("DRILLWATCH_DEMO_URL", demo_server.url)
    return demo_server


@pytest.fixture
def db(sqlite_url):
    engine = make_engine(sqlite_url)
    init_db(engine)
    yield sqlite_url, engine
    engine.dispose()


def all_runs(engine) -> list[CrawlRun]:
    with session_scope(engine) as session:
        return sorted(runs.recent_runs(session, limit=100), key=lambda r: r.id)


def test_crawl_outlet_crawls_in_a_child_process_and_reports_the_run(demo_env, db, tmp_path):
    url, engine = db
    config = demo_config(tmp_path / "conf", ["socialrepost"])
    result = crawl_outlet("socialrepost", str(config), url)
    [run] = all_runs(engine)
    assert result["status"] == "ok" and run.status == "ok" and run.finished_at is not None
    assert result["runs"] == [run.id] and run.trigger == "scheduled"
    assert result["pid"] == run.pid != os.getpid()
    assert result["new"] == run.articles_new == 2
    assert jobs.describe(result).startswith(f"crawl socialrepost: ok in {result['seconds']}s: ")


def test_a_crawl_past_its_time_limit_is_stopped_and_recorded_as_failed(demo_env, db, tmp_path, monkeypatch):
    url, engine = db
    demo_env.slow_seconds = 60
    config = demo_config(tmp_path / "conf", [], extra=[SLOW_OUTLET], crawl={"download_timeout": 60})
    monkeypatch.setenv(ENV_CRAWL_TIMEOUT, "4")
    started = time.monotonic()
    result = crawl_outlet("slowpoke", str(config), url)
    elapsed = time.monotonic() - started
    [run] = all_runs(engine)
    assert result["status"] == "failed" and run.status == "failed"
    assert run.finished_at is not None and run.pid == result["pid"]  # the child's own row, closed for it
    assert run.message.startswith("crawl took longer than its time limit of 4s and was")
    assert 4 <= elapsed < 4 + jobs.kill_grace(load_settings(config)) + 3


def test_a_crawl_killed_before_it_opened_its_run_still_leaves_a_failed_run(demo_env, db, tmp_path, monkeypatch):
    url, engine = db
    config = demo_config(tmp_path / "conf", ["socialrepost"])
    monkeypatch.setenv(ENV_CRAWL_TIMEOUT, "0.3")  # the child is still importing Scrapy
    result = crawl_outlet("socialrepost", str(config), url)
    [run] = all_runs(engine)
    assert result["status"] == "failed" and result["runs"] == [run.id]
    assert run.status == "failed" and run.finished_at is not None and run.outlet == "socialrepost"
    assert run.message.startswith("crawl took longer than its time limit of 0.3s")


def test_an_outlet_removed_from_the_config_is_skipped_without_a_crawl(demo_env, db, tmp_path):
    url, engine = db
    config = demo_config(tmp_path / "conf", ["socialrepost"])
    result = crawl_outlet("artifex", str(config), url)
    assert result["status"] == "skipped" and "SIGHUP" in result["message"]
    assert all_runs(engine) == []


def test_no_new_crawl_starts_once_the_daemon_is_stopping(demo_env, db, tmp_path, monkeypatch):
    url, engine = db
    supervisor = Supervisor()
    monkeypatch.setattr(jobs, "SUPERVISOR", supervisor)
    supervisor.stopping.set()
    result = crawl_outlet("socialrepost", str(demo_config(tmp_path / "conf", ["socialrepost"])), url)
    assert result["status"] == "skipped" and result["message"] == "the daemon is stopping"
    assert all_runs(engine) == []


@pytest.mark.parametrize("code, stopped_by, stderr, expected", [
    (-signal.SIGKILL, None, "", ("failed", "crawl process killed by SIGKILL")),
    (1, None, "Traceback (most recent call last):\n  File ...\nKeyError: 'Spider not found: x'\n",
     ("failed", "crawl process exited with code 1: KeyError: 'Spider not found: x'")),
    (0, None, "", ("failed", "crawl process exited without finishing its run")),
    (-signal.SIGKILL, "timeout", "", ("failed", "crawl took longer than its time limit of 90s and was killed")),
    (0, "shutdown", "", ("interrupted", "the daemon stopped; the crawl was interrupted")),
])
def test_exit_verdict(code, stopped_by, stderr, expected):
    assert exit_verdict(code, stopped_by, 90, stderr) == expected


def test_post_crawl_runs_every_step_in_order_even_after_one_fails(db, tmp_path, monkeypatch, caplog):
    url, engine = db
    config = demo_config(tmp_path / "conf", [])
    seen = []

    def first(ctx):
        with session_scope(ctx.engine) as session:  # steps get a working engine on the database
            seen.append(("first", len(runs.recent_runs(session))))

    def broken(ctx):
        seen.append(("broken", None))
        raise RuntimeError("detector exploded")

    def last(ctx):
        seen.append(("last", ctx.settings.daemon.stop_grace))
        return "3 alerts delivered"

    monkeypatch.setattr(jobs, "POST_CRAWL_STEPS", [first, broken, last])
    with caplog.at_level(logging.ERROR, logger="drillwatch.jobs"):
        results = post_crawl(str(config), url)
    assert seen == [("first", 0), ("broken", None), ("last", 2)]
    assert results == {"first": "ok", "broken": "error: RuntimeError: detector exploded",
                       "last": "3 alerts delivered"}
    assert "post-crawl step broken failed" in caplog.text and "detector exploded" in caplog.text


def test_post_crawl_default_steps_run_on_a_fresh_database(db, tmp_path):
    url, _engine = db
    results = post_crawl(str(demo_config(tmp_path / "conf", [])), url)
    assert list(results) == [step.__name__ for step in jobs.POST_CRAWL_STEPS]
    assert not any(value.startswith("error") for value in results.values()), results


def test_failure_streak_counts_failures_since_the_last_success_and_ignores_interruptions(engine):
    from datetime import datetime, timedelta, timezone

    start = datetime(2024, 7, 1, tzinfo=timezone.utc)
    history = ["failed", "ok", "failed", "interrupted", "failed", "running"]  # oldest first
    with session_scope(engine) as session:
        for i, status in enumerate(history):
            run = runs.start_run(session, "wire", "scheduled", pid=100 + i)
            run.started_at = start + timedelta(minutes=10 * i)
            if status != "running":
                run.status, run.finished_at = status, start + timedelta(minutes=10 * i + 5)
    with session_scope(engine) as session:
        assert runs.failure_streak(session, "wire") == (2, start + timedelta(minutes=45))
        assert runs.outlet_status(session, "wire")["consecutive_failures"] == 2
        assert runs.failure_streak(session, "other") == (0, None)
        assert [r.pid for r in runs.open_runs(session, trigger="scheduled")] == [105]
        assert [r.status for r in runs.process_runs(session, "wire", 104, start)] == ["failed"]
