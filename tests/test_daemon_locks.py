"""One daemon per database, one leader per cluster, migrations one at a time, no credential in the job
table: real daemon processes on SQLite, PostgreSQL and Redis."""
from __future__ import annotations

import json
import pickle
import signal
import subprocess
import sys
import uuid

import pytest
import yaml
from sqlalchemy import text

from storage.db import make_engine
from tests.conftest import REDIS_URL, ROOT, run_drillwatch
from tests.test_daemon import DaemonProcess, start_daemon  # noqa: F401 - the fixture
from tests.test_jobs import demo_config

pytestmark = pytest.mark.slow


def test_a_second_daemon_on_one_database_refuses_and_says_who_runs(start_daemon, db_url, tmp_path):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    first = start_daemon(db_url, config)
    first.wait_log("schedule:")
    second = start_daemon(db_url, config)
    code = second.proc.wait(60)
    assert code == 1
    log = second.log()
    assert "another daemon runs on this database" in log and f"pid {first.proc.pid}" in log
    assert "schedule:" not in log  # it scheduled nothing
    assert first.proc.poll() is None

    assert first.stop()[0] == 0
    third = start_daemon(db_url, config)  # the lock went with the first daemon
    third.wait_log("schedule:")


def test_the_lock_goes_with_a_killed_daemon(start_daemon, sqlite_url, tmp_path):
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    first = start_daemon(sqlite_url, config)
    first.wait_log("schedule:")
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    second = start_daemon(sqlite_url, config)
    second.wait_log("schedule:")


@pytest.mark.postgres
def test_the_job_table_holds_no_credentials(start_daemon, pg_url, tmp_path):
    password = "Sekr1t-" + uuid.uuid4().hex[:8]  # trust authentication ignores it; it must still not be stored
    url = pg_url.replace("postgres@", f"postgres:{password}@", 1)
    config = demo_config(tmp_path / "conf", ["socialrepost"], interval="1h")
    daemon = start_daemon(url, config)
    daemon.wait_for(lambda: [r for r in daemon.runs() if r.finished_at and r.status == "ok"], "a finished crawl", 90)
    assert daemon.stop()[0] == 0
    with daemon.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all()
    assert [r.id for r in rows] == ["crawl:socialrepost"]
    for _id, state in rows:
        blob = bytes(state)
        assert password.encode() not in blob and b"5432" not in blob
        job = pickle.loads(blob)
        assert job["args"] == ("socialrepost",)
        assert password not in repr(job) and "postgresql" not in repr(job)
    assert password not in daemon.log()


def migrate_together(url: str, count: int = 4) -> list[subprocess.CompletedProcess]:
    code = "import sys; from storage.db import init_db, make_engine; init_db(make_engine(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    return [(p, *p.communicate(timeout=120)) for p in procs]


def test_processes_started_together_on_a_new_database_migrate_once(db_url):
    for proc, _out, err in migrate_together(db_url):
        assert proc.returncode == 0, err[-3000:]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config
    head = ScriptDirectory.from_config(alembic_config(make_engine(db_url))).get_current_head()
    assert versions == [head]


# --- the cluster leader -----------------------------------------------------------------------------

def leader_config(directory, lease: str = "3s"):
    config = demo_config(directory, ["socialrepost"], interval="2s")
    settings = yaml.safe_load((config / "settings.yaml").read_text())
    settings["cluster"] = {"lease": lease}
    (config / "settings.yaml").write_text(yaml.safe_dump(settings))
    return config


@pytest.mark.postgres
@pytest.mark.redis
def test_one_leader_seeds_and_a_second_takes_over_when_it_is_killed(start_daemon, pg_url, tmp_path, redis_prefix,
                                                                  monkeypatch, demo_server):
    monkeypatch.setenv("DRILLWATCH_REDIS", REDIS_URL)
    monkeypatch.setenv("DRILLWATCH_REDIS_PREFIX", redis_prefix)
    config = leader_config(tmp_path / "conf")
    first = start_daemon(pg_url, config)
    first.wait_log("leader now")
    second = start_daemon(pg_url, config)
    second.wait_log("waiting:")
    assert f":{first.proc.pid}:" in second.log().split("waiting:", 1)[1].splitlines()[0]
    status = run_drillwatch("status", "--json", db=pg_url, config=config, server=demo_server)
    assert f":{first.proc.pid}:" in json.loads(status.stdout)["leader"]["holder"]

    def seeds_by(pid):
        return [r for r in first.runs() if r.trigger == "seed" and r.worker and f":{pid}" in r.worker]
    first.wait_for(lambda: len(seeds_by(first.proc.pid)) >= 2, "two seedings by the leader", 30)
    assert not seeds_by(second.proc.pid)
    assert not [r for r in first.runs() if r.trigger == "scheduled"]  # the leader seeds; workers crawl

    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    second.wait_log("leader now", timeout=30)
    second.wait_for(lambda: seeds_by(second.proc.pid), "a seeding by the new leader", 30)
    assert second.proc.poll() is None
