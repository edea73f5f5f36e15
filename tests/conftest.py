"""Shared fixtures: the demo outlets on a real loopback HTTP server, real SQLite and PostgreSQL.

PostgreSQL and Redis tests skip with the reason when the service is absent, unless
DRILLWATCH_REQUIRE_SERVICES=1 (set by .ci/run), where an absent service is a failure.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from config import DEMO_DIR
from crawler.demo.server import SITES_DIR, DemoServer
from storage.db import init_db, make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("DRILLWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("DRILLWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
REQUIRED = os.environ.get("DRILLWATCH_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (DRILLWATCH_REQUIRE_SERVICES=1 makes this service required)")
    pytest.skip(reason)


@pytest.fixture
def sites(tmp_path) -> Path:
    """A private copy of the demo sites, so a test may edit or add pages."""
    target = tmp_path / "sites"
    shutil.copytree(SITES_DIR, target)
    return target


@pytest.fixture
def demo_server(sites):
    server = DemoServer(sites)
    server.slow_seconds = 6
    with server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'drillwatch.db'}"


def _fresh_pg_schema() -> str:
    """A throw-away schema per test, so tests never see each other's rows."""
    import sqlalchemy
    try:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            schema = f"t_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except sqlalchemy.exc.OperationalError as exc:
        service_missing(f"PostgreSQL not reachable at {PG_URL}: {str(exc.orig).splitlines()[0]}")
    return schema


def _pg_schema_url():
    schema = _fresh_pg_schema()
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def pg_url():
    yield from _pg_schema_url()


@pytest.fixture(scope="module")
def pg_url_module():
    yield from _pg_schema_url()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """Run the test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'drillwatch.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def redis_server():
    """A client of the test Redis (skipped, or failed when required, if it is not there)."""
    import redis

    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield server
    server.close()


@pytest.fixture
def redis_prefix(redis_server):
    """A Redis key prefix of this test's own (tests run beside others on one Redis); its keys are removed
    afterwards."""
    name = f"dwtest-{uuid.uuid4().hex[:10]}"
    yield name
    keys = list(redis_server.scan_iter(match=f"{name}:*", count=1000))
    if keys:
        redis_server.delete(*keys)


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    init_db(engine)
    yield engine
    engine.dispose()


def run_drillwatch(*args: str, db: str, server: DemoServer | None = None, config: Path | str | None = None,
                   timeout: float = 180, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real `drillwatch` CLI in a subprocess (Scrapy's reactor runs once per process)."""
    full_env = dict(os.environ, DRILLWATCH_DB=db, PYTHONUNBUFFERED="1")
    full_env.pop("DRILLWATCH_CONFIG", None)
    if server is not None:
        full_env["DRILLWATCH_DEMO_URL"] = server.url
    if config is not None:
        full_env["DRILLWATCH_CONFIG"] = str(config)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"drillwatch {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def crawl_demo(db: str, server: DemoServer, *outlets: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`drillwatch crawl` over the demo outlets served by `server`."""
    return run_drillwatch("crawl", *outlets, "--json", *extra, db=db, server=server, config=DEMO_DIR)


class CrawledDemo:
    """The demo outlets served on loopback and crawled once into a SQLite file (`path`, `url`)."""

    def __init__(self, path: Path, server: DemoServer):
        self.path, self.url, self.server = path, f"sqlite:///{path}", server


@pytest.fixture(scope="module")
def crawled_demo(tmp_path_factory):
    """Shared by a module's tests, which must not change it (copy the file to change it); the demo
    server stays up for the module, so a second crawl of the same URLs finds nothing new."""
    root = tmp_path_factory.mktemp("crawled-demo")
    shutil.copytree(SITES_DIR, root / "sites")
    server = DemoServer(root / "sites")
    server.slow_seconds = 6
    with server:
        demo = CrawledDemo(root / "drillwatch.db", server)
        crawl_demo(demo.url, server)
        yield demo
