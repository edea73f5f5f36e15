"""`scrapy list` and `scrapy crawl <outlet>` work from the repository root (crawler/ is the project)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from config import DEMO_DIR, PACKAGE_DIR
from config.load import load_outlets
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlRun

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]


def scrapy(*args: str, env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DRILLWATCH_")}
    full.update(env)
    return subprocess.run([*SCRAPY, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def test_scrapy_list_shows_one_spider_per_enabled_outlet(tmp_path):
    proc = scrapy("list", env={"DRILLWATCH_DB": f"sqlite:///{tmp_path / 'x.db'}"})
    assert proc.returncode == 0, proc.stderr
    expected = sorted(o.name for o in load_outlets(PACKAGE_DIR) if o.enabled)
    assert proc.stdout.split() == expected


def test_scrapy_crawl_pulls_one_outlet_into_the_database(tmp_path, demo_server):
    db = f"sqlite:///{tmp_path / 'adhoc.db'}"
    env = {"DRILLWATCH_DB": db, "DRILLWATCH_CONFIG": str(DEMO_DIR), "DRILLWATCH_DEMO_URL": demo_server.url}
    proc = scrapy("crawl", "socialrepost", "-s", "LOG_LEVEL=WARNING", env=env)
    assert proc.returncode == 0, proc.stderr
    engine = make_engine(db)
    with session_scope(engine) as session:
        titles = sorted(a.title for a in session.scalars(select(Article)))
        run = session.scalars(select(CrawlRun)).one()
    assert len(titles) == 2 and any("Vostok 2022" in t for t in titles)
    assert (run.outlet, run.status, run.articles_new) == ("socialrepost", "ok", 2)


def test_scrapy_crawl_of_an_unknown_outlet_says_so(tmp_path):
    proc = scrapy("crawl", "nosuchoutlet", env={"DRILLWATCH_DB": f"sqlite:///{tmp_path / 'x.db'}"})
    assert proc.returncode != 0
    assert "Spider not found: nosuchoutlet" in proc.stderr
