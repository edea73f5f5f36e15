"""A crawl killed outright (SIGKILL, the OOM killer) loses nothing: a link counts as seen only once its
article (or its no-article verdict) is committed, so the next crawl fetches what was in flight, and the
dead crawl's run is closed as `killed` with its counts when the next crawl starts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from storage.db import init_db, make_engine, session_scope
from storage.models import Alert, Article, CrawlRun, ExerciseInstance, ExerciseMention, SeenUrl
from tests.conftest import ROOT, run_drillwatch
from tests.loopback import Loopback, article_html, news_article, page, write_config

pytestmark = pytest.mark.slow

PAGES = 200


def slow_outlet(tmp_path, pages: int = PAGES, delay: float = 0.1):
    links = "".join(f'<li><a href="/news/{n}.html">Drill {n}</a></li>' for n in range(pages))
    routes = {"/news/": page(f"<html><body><ul>{links}</ul><p>a 404: <a href='/news/gone.html'>x</a></p>"
                             "</body></html>")}
    routes.update({f"/news/{n}.html": page(news_article(n), delay=delay) for n in range(pages)})
    site = Loopback(routes)
    return site


def outlet_config(tmp_path, site) -> str:
    return str(write_config(tmp_path / "config", f"""
outlets:
  - name: slownews
    domains: [127.0.0.1]
    listings:
      - url: "{site.url}/news/"
        links: '/news/[^/]+\\.html$'
    max_pages: 1000
"""))


def count(engine, query) -> int:
    with session_scope(engine) as session:
        return session.scalar(query)


def test_sigkill_mid_crawl_then_a_second_crawl_stores_every_article_once(tmp_path, db_url):
    db = db_url
    engine = make_engine(db)
    init_db(engine)
    with slow_outlet(tmp_path) as site:
        config = outlet_config(tmp_path, site)
        env = dict(os.environ, DRILLWATCH_DB=db, DRILLWATCH_CONFIG=config, DRILLWATCH_WORKERS="0")
        proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "crawl", "--json"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            checkpointed = 0  # kill once the open run shows stored articles (its counts are kept as it goes)
            while not checkpointed and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
                checkpointed = count(engine, select(func.max(CrawlRun.articles_new)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        stored_before = count(engine, select(func.count()).select_from(Article))
        assert 0 < stored_before < PAGES, f"the kill came too late to test anything ({stored_before} stored)"

        second = json.loads(run_drillwatch("crawl", "--json", db=db, config=config,
                                           env={"DRILLWATCH_WORKERS": "0"}).stdout)

    with session_scope(engine) as session:
        urls = list(session.scalars(select(Article.url)))
        killed = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).first()
        orphans = session.scalar(select(func.count()).select_from(SeenUrl).where(
            SeenUrl.url.like("%/news/%.html"), SeenUrl.url.not_like("%gone%"), SeenUrl.article_id.is_(None)))
    engine.dispose()
    assert sorted(urls) == sorted(f"{site.url}/news/{n}.html" for n in range(PAGES))  # all, once each
    assert orphans == 0
    assert second[0]["new"] == PAGES - stored_before
    # the dead crawl's run was closed when the second one started, with the counts it had reached
    assert killed.status == "killed" and killed.finished_at is not None
    assert "pid" in killed.message and "killed" in killed.message
    assert 0 < killed.articles_new <= stored_before
    assert killed.pages_fetched >= killed.articles_new


def test_a_no_article_verdict_is_remembered_and_not_fetched_again(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    with slow_outlet(tmp_path, pages=3, delay=0) as site:
        site.routes["/news/empty.html"] = page("<html><body><p>Nothing here.</p></body></html>")
        site.routes["/news/"] = page("<html><body><a href='/news/0.html'>a</a><a href='/news/empty.html'>b</a>"
                                     "<a href='/news/gone.html'>c</a></body></html>")
        config = outlet_config(tmp_path, site)
        first = json.loads(run_drillwatch("crawl", "--json", db=db, config=config).stdout)[0]
        run_drillwatch("crawl", "--json", db=db, config=config)
        assert first["new"] == 1 and "no_article" in first["error_kinds"] and "http_404" in first["error_kinds"]
        assert site.hits("/news/empty.html") == 1 and site.hits("/news/gone.html") == 1
        assert site.hits("/news/0.html") == 1


VOSTOK = article_html("Vostok-2022 opens with Chinese troops", [
    "Russia began the Vostok-2022 strategic exercise on 1 September 2022, with Chinese and Indian units taking part.",
    "Chinese troops arrived at the Sergeevsky range in Primorye to join the drills, the ministry said.",
    "The exercise runs until 7 September and brings together more than fifty thousand troops from several states.",
])


def test_an_article_and_its_exercise_mentions_are_stored_together(tmp_path):
    """An article stored without its mentions (a crawl killed between two commits, a database fault while
    recording them) would never get them: the next crawl finds the page unchanged and skips it, and the
    exercise's alert is lost for good. Here the database refuses the mention rows during the first crawl:
    the page must fail whole, so that the next crawl stores it with its mentions and raises the alert."""
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    engine = make_engine(db)
    init_db(engine)
    with engine.begin() as conn:  # a real fault in the database, not a mock of anything
        conn.exec_driver_sql("CREATE TRIGGER refuse_mentions BEFORE INSERT ON exercise_mentions "
                             "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
    routes = {"/news/": page("<html><body><a href='/news/vostok.html'>Vostok</a></body></html>"),
              "/news/vostok.html": page(VOSTOK)}
    with Loopback(routes) as site:
        config = outlet_config(tmp_path, site)
        run_drillwatch("crawl", "--json", db=db, config=config, check=False)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_mentions")
        run_drillwatch("crawl", "--json", db=db, config=config)
    with session_scope(engine) as session:
        alerted = session.scalars(select(ExerciseInstance.key).join(Alert, Alert.instance_id == ExerciseInstance.id)).all()
        mentions = session.scalar(select(func.count()).select_from(ExerciseMention))
        articles = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert articles == 1
    assert "vostok-2022" in alerted and mentions >= 1
