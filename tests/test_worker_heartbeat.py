"""A cluster worker on another machine dies (SIGKILL, power cut): no process of this host can see it is
gone, only that its heartbeat stopped. Its open crawl run is closed as `killed`, with the counts of its
last checkpoint, by a live worker once the heartbeat key has expired; a worker still beating keeps its
run open. Real Redis and PostgreSQL, a real `drillwatch worker` process doing the sweep."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from crawler.cluster import Keys, Presence
from crawler.demo.generated import write_config, write_web
from crawler.demo.server import DemoServer
from storage import runs
from storage.db import init_db, make_engine, session_scope
from tests.conftest import REDIS_URL, ROOT, run_drillwatch

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BEAT = 1  # seconds; a worker silent for 3 beats is dead (crawler.cluster.MISSED_BEATS)


@pytest.fixture
def config(tmp_path):
    write_web(tmp_path / "sites", 1, 2)
    with DemoServer(tmp_path / "sites") as server:
        yield write_config(tmp_path / "config", server.url, 1, 2, settings=f"cluster:\n  heartbeat: {BEAT}\n")


def open_remote_run(engine, worker: str, host: str, pid: int, counts: dict, errors: int) -> int:
    """What a worker on `host` records: its run, opened and checkpointed, with errors along the way (the
    last one recorded after its last checkpoint, as when a worker dies between two)."""
    with session_scope(engine) as session:
        run = runs.start_run(session, "wire0", "worker", pid, host, worker=worker)
        runs.checkpoint(session, run.id, dict(counts, errors=max(errors - 1, 0)))
        for n in range(errors):
            runs.add_error(session, run.id, "wire0", f"http://127.0.0.1/{n}.html", "http_500", "HTTP 500")
        return run.id


def test_a_dead_remote_workers_run_is_closed_as_killed_when_its_heartbeat_expires(pg_url, redis_server,
                                                                                   redis_prefix, config):
    engine = make_engine(pg_url)
    init_db(engine)
    keys = Keys(redis_prefix)
    # two workers on other machines, both beating, each with a run open
    dead = Presence(redis_server, keys, "box2-4242-dead", ["wire0"], BEAT).start()
    live = Presence(redis_server, keys, "box3-5151-live", ["wire0"], BEAT).start()
    try:
        counts = {"pages_fetched": 37, "articles_new": 12, "articles_updated": 1, "articles_unchanged": 3}
        dead_run = open_remote_run(engine, dead.worker, "box2", 4242, counts, errors=2)
        live_run = open_remote_run(engine, live.worker, "box3", 5151, counts, errors=0)
        # box2 loses power: its heartbeat stops, its key is left to expire (nothing deletes it)
        dead.stop.set()
        dead.thread.join(timeout=10)
        deadline = time.monotonic() + 30
        while redis_server.exists(keys.worker(dead.worker)):
            assert time.monotonic() < deadline, "the dead worker's heartbeat key never expired"
            time.sleep(0.2)
        assert redis_server.exists(keys.worker(live.worker))

        # a worker on this host starts, beats (sweeping at each beat) and leaves when idle
        env = dict(os.environ, DRILLWATCH_DB=pg_url, DRILLWATCH_CONFIG=str(config), DRILLWATCH_REDIS=REDIS_URL,
                   DRILLWATCH_REDIS_PREFIX=redis_prefix, PYTHONUNBUFFERED="1")
        proc = subprocess.run([sys.executable, "-m", "scheduler.cli", "worker", "--idle-exit", "3"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert redis_server.exists(keys.worker(live.worker)), "the live worker must have kept beating throughout"

        shown = {row["id"]: row for row in json.loads(run_drillwatch("runs", "--json", db=pg_url, env=env).stdout)}
    finally:
        live.close()
        dead.stop.set()
        engine.dispose()

    killed = shown[dead_run]
    assert killed["status"] == "killed" and killed["finished"] is not None
    assert (killed["pages"], killed["new"], killed["updated"], killed["errors"]) == (37, 12, 1, 2)
    assert dead.worker in killed["message"] and "stopped beating" in killed["message"]
    running = shown[live_run]
    assert running["finished"] is None and running["status"] != "killed", running
    assert (running["pages"], running["new"]) == (37, 12)
