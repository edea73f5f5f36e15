"""A SQLite database locked by another writer: a crawl that cannot record its run stops with a clear
non-zero exit (never a silent success), and a page that cannot be stored because of the lock is an
error of the run. The database URLs here wait out a lock for 1 s (`?timeout=1`; 15 s by default)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from storage.db import init_db, make_engine, session_scope
from storage.models import Article, CrawlError, CrawlRun
from tests.conftest import ROOT, run_drillwatch
from tests.loopback import Loopback, news_article, page, write_config

pytestmark = pytest.mark.slow


class WriteLock:
    """Another process's write transaction on the database file, held for `seconds`."""

    def __init__(self, path, seconds: float):
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.seconds = seconds

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE alembic_version SET version_num = version_num")
        self.timer = threading.Timer(self.seconds, self.release)
        self.timer.start()
        return self

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def __exit__(self, *exc):
        self.timer.cancel()
        self.release()
        self.conn.close()


def outlet(tmp_path, site, delay: float = 0.0):
    site.routes["/list/"] = page("<html><body><a href='/a1.html'>1</a></body></html>")
    site.routes["/a1.html"] = page(news_article(1), delay=delay)
    return write_config(tmp_path / "config", f"""
outlets:
  - name: lockednews
    domains: [127.0.0.1]
    listings: [{{url: "{site.url}/list/", links: 'a\\d\\.html$'}}]
""")


def counts(engine):
    with session_scope(engine) as session:
        return (session.scalar(select(func.count()).select_from(CrawlRun)),
                session.scalar(select(func.count()).select_from(Article)))


def test_a_database_locked_at_crawl_start_gives_a_clear_non_zero_exit(tmp_path):
    path = tmp_path / "drillwatch.db"
    db = f"sqlite:///{path}?timeout=1"
    engine = make_engine(db)
    init_db(engine)
    with Loopback() as site:
        config = outlet(tmp_path, site)
        with WriteLock(path, seconds=30):
            proc = run_drillwatch("crawl", "--json", db=db, config=config, check=False, timeout=60)
        assert proc.returncode != 0, proc.stdout + proc.stderr
        assert "lockednews" in proc.stderr and "database is locked" in proc.stderr
        assert "Traceback" not in proc.stderr
        # nothing crawled behind the user's back once the lock is gone
        time.sleep(1)
        assert site.hits("/a1.html") == 0
    assert counts(engine) == (0, 0)
    engine.dispose()


def test_a_page_that_cannot_be_stored_because_of_a_lock_is_an_error_of_the_run(tmp_path):
    path = tmp_path / "drillwatch.db"
    db = f"sqlite:///{path}?timeout=1"
    engine = make_engine(db)
    init_db(engine)
    with Loopback() as site:
        config = outlet(tmp_path, site, delay=2.0)
        env = dict(os.environ, DRILLWATCH_DB=db, DRILLWATCH_CONFIG=str(config), DRILLWATCH_WORKERS="0")
        proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "crawl", "--json"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while counts(engine)[0] == 0 and time.monotonic() < deadline:  # the run is recorded: lock it now
            time.sleep(0.05)
        # Held until the crawl reports the page it could not store (the store waits 1 s, then once more
        # for the item alone), then released so that the run can be closed: no race on timings.
        with WriteLock(path, seconds=60) as lock:
            err_lines = []
            for line in proc.stderr:
                err_lines.append(line)
                if "store_failed" in line:
                    lock.release()
                    break
            out, rest = proc.communicate(timeout=150)
        err = "".join(err_lines) + rest
    assert proc.returncode == 0, err
    row = json.loads(out)[0]
    with session_scope(engine) as session:
        errors = [(e.kind, e.url, e.message) for e in session.scalars(select(CrawlError))]
    engine.dispose()
    assert counts(engine) == (1, 0)
    assert errors == [("store_failed", f"{site.url}/a1.html",
                       "not stored: StorageError: " + errors[0][2].split("StorageError: ", 1)[1])]
    assert "database is locked" in errors[0][2]
    assert row["errors"] == 1 and row["error_kinds"] == ["store_failed"]
    assert "Traceback" not in err and "[lockednews] store_failed: not stored" in err
