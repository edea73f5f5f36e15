"""Scaling out: `drillwatch worker` processes on one Redis queue (scrapy-redis) storing into one
PostgreSQL database, seeded by `drillwatch crawl --queue`. Real Redis, real PostgreSQL, a generated
loopback web; every test has its own Redis key prefix (other test runs share the server)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from crawler.demo.generated import write_config, write_web
from crawler.demo.server import DemoServer
from scheduler.seeding import seed
from storage.db import init_db, make_engine, session_scope
from storage.models import Article, CrawlRun
from tests.conftest import REDIS_URL, ROOT, run_drillwatch

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


class Web:
    def __init__(self, tmp_path, outlets: int, pages: int, settings: str = ""):
        self.urls = write_web(tmp_path / "sites", outlets, pages)
        self.server = DemoServer(tmp_path / "sites").start()
        self.urls = [u.replace("{{BASE}}", self.server.url) for u in self.urls]
        self.config = write_config(tmp_path / "config", self.server.url, outlets, pages,
                                   settings=settings + "cluster:\n  heartbeat: 1\n")


@pytest.fixture
def web_factory(tmp_path):
    webs = []

    def make(outlets: int, pages: int, settings: str = "") -> Web:
        webs.append(Web(tmp_path, outlets, pages, settings))
        return webs[-1]
    yield make
    for web in webs:
        web.server.stop()


def cluster_env(db: str, web: Web, prefix: str) -> dict:
    return dict(os.environ, DRILLWATCH_DB=db, DRILLWATCH_CONFIG=str(web.config), DRILLWATCH_REDIS=REDIS_URL,
                DRILLWATCH_REDIS_PREFIX=prefix, PYTHONUNBUFFERED="1")


def start_worker(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "worker", "--json", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker exited {proc.returncode}:\n{err[-4000:]}"
    return out, err


def stored(db: str) -> list[str]:
    engine = make_engine(db)
    try:
        with session_scope(engine) as session:
            return list(session.scalars(select(Article.canonical_url)))
    finally:
        engine.dispose()


def worker_runs(db: str) -> list:
    engine = make_engine(db)
    try:
        with session_scope(engine) as session:
            return session.execute(select(CrawlRun.worker, CrawlRun.outlet).where(CrawlRun.trigger == "worker")).all()
    finally:
        engine.dispose()


def test_two_workers_store_every_article_once(pg_url, redis_prefix, web_factory):
    web = web_factory(outlets=3, pages=90)
    env = cluster_env(pg_url, web, redis_prefix)
    init_db(make_engine(pg_url))
    # both workers up and waiting (their runs opened) before the queue is seeded: both get a share
    workers = [start_worker(env, "--idle-exit", "8") for _ in range(2)]
    deadline = time.monotonic() + 90
    while len(worker_runs(pg_url)) < 6:
        assert all(w.poll() is None for w in workers) and time.monotonic() < deadline, worker_runs(pg_url)
        time.sleep(0.2)
    seeded = seed(None, config=str(web.config), db=pg_url, redis_url=REDIS_URL, prefix=redis_prefix)
    assert [r["status"] for r in seeded] == ["ok"] * 3
    # An idle worker asks the queue again only on Scrapy's 5 s heartbeat; on loopback one worker could take
    # all 90 pages before then. Two seconds per answer, as from a slow distant site, keeps the crawl longer than that.
    web.server.latency = 2.0
    outputs = [json.loads(finish(w)[0]) for w in workers]

    urls = stored(pg_url)
    assert sorted(urls) == sorted(web.urls)  # every article, none twice
    assert sum(row["new"] for out in outputs for row in out) == len(web.urls)
    engine = make_engine(pg_url)
    with session_scope(engine) as session:
        runs = session.execute(select(CrawlRun.worker, CrawlRun.trigger, CrawlRun.pages_fetched)).all()
    engine.dispose()
    assert {r.trigger for r in runs} == {"seed", "worker"}
    busy = {r.worker for r in runs if r.trigger == "worker" and r.pages_fetched}
    assert len(busy) == 2, f"both workers should have fetched pages: {runs}"

    listing = run_drillwatch("runs", "--json", db=pg_url, env=env)
    assert {row["worker"] for row in json.loads(listing.stdout) if row["trigger"] == "worker"} == \
        {r.worker for r in runs if r.trigger == "worker"}


def test_a_worker_killed_mid_crawl_loses_no_request(pg_url, redis_prefix, web_factory, redis_server):
    # slow enough per page that a kill lands while requests are in flight
    web = web_factory(outlets=2, pages=120, settings="  concurrent_per_domain: 4\n  download_delay: 0.05\n")
    env = cluster_env(pg_url, web, redis_prefix)
    run_drillwatch("crawl", "--queue", db=pg_url, env=env)

    victim = start_worker(env)
    deadline = time.monotonic() + 120
    init_db(make_engine(pg_url))
    while len(stored(pg_url)) < 15:
        assert victim.poll() is None, victim.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the first worker stored nothing"
        time.sleep(0.1)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    in_flight = sum(redis_server.hlen(k) for k in redis_server.scan_iter(match=f"{redis_prefix}:*:inflight:*"))
    assert in_flight > 0, "the kill should have caught requests in flight"
    assert len(stored(pg_url)) < len(web.urls)

    finish(start_worker(env, "--idle-exit", "5"))
    urls = stored(pg_url)
    assert sorted(urls) == sorted(web.urls)
    assert not list(redis_server.scan_iter(match=f"{redis_prefix}:*:inflight:*"))
    engine = make_engine(pg_url)
    with session_scope(engine) as session:
        victim_runs = session.scalars(select(CrawlRun).where(CrawlRun.pid == victim.pid)).all()
    engine.dispose()
    # closed as killed: by the restarted worker's start on this host, or by a live worker once the
    # victim's heartbeat expired (another host)
    assert victim_runs and all(r.status == "killed" and r.finished_at for r in victim_runs)


def test_status_shows_queues_and_live_workers(pg_url, redis_prefix, web_factory):
    web = web_factory(outlets=2, pages=4)
    env = cluster_env(pg_url, web, redis_prefix)
    run_drillwatch("crawl", "--queue", db=pg_url, env=env)
    state = json.loads(run_drillwatch("status", "--json", db=pg_url, env=env).stdout)
    assert [(q["outlet"], q["seeds"]) for q in state["queues"]] == [("wire0", 1), ("wire1", 1)]
    assert state["workers"] == [] and state["leader"] is None

    worker = start_worker(env)  # no --idle-exit: it stays, and shows
    try:
        deadline = time.monotonic() + 60
        while True:
            state = json.loads(run_drillwatch("status", "--json", db=pg_url, env=env).stdout)
            if state["workers"] and len(stored(pg_url)) == 4:
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["workers"][0]["pid"] == worker.pid
        assert time.time() - state["workers"][0]["beat"] < 5
        table = run_drillwatch("status", db=pg_url, env=env).stdout
        assert "wire0" in table and str(worker.pid) in table
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)


def test_without_redis_the_queue_commands_say_what_is_missing(sqlite_url, tmp_path):
    env = {"DRILLWATCH_REDIS": ""}
    proc = run_drillwatch("worker", db=sqlite_url, env=env, check=False)
    assert proc.returncode != 0 and "no Redis URL" in proc.stderr
    proc = run_drillwatch("crawl", "--queue", db=sqlite_url, env=env, check=False)
    assert proc.returncode != 0 and "no Redis URL" in proc.stderr


def test_a_worker_stopped_with_sigterm_leaves_nothing_in_flight(pg_url, redis_prefix, web_factory, redis_server):
    """SIGTERM: Scrapy finishes the pages in progress, nothing stays marked in flight waiting for a heartbeat
    to expire, the worker leaves the live list, and another worker finishes the crawl."""
    # slow enough that fetching cannot run far ahead of storing on a loaded machine (~30 s to fetch all)
    web = web_factory(outlets=2, pages=120, settings="  concurrent_per_domain: 1\n  download_delay: 0.5\n")
    env = cluster_env(pg_url, web, redis_prefix)
    run_drillwatch("crawl", "--queue", db=pg_url, env=env)
    worker = start_worker(env)
    init_db(make_engine(pg_url))
    deadline = time.monotonic() + 120
    while len(stored(pg_url)) < 5:
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    finish(worker, timeout=60)
    assert not list(redis_server.scan_iter(match=f"{redis_prefix}:*:inflight:*"))  # nothing waits for a heartbeat
    assert not list(redis_server.scan_iter(match=f"{redis_prefix}:worker:*"))
    assert len(stored(pg_url)) < len(web.urls)

    finish(start_worker(env, "--idle-exit", "3"))
    assert sorted(stored(pg_url)) == sorted(web.urls)
