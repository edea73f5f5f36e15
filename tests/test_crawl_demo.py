"""End to end: the demo outlets crawled over real HTTP into SQLite and PostgreSQL (issue 2)."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from config import DEMO_DIR
from crawler.demo.server import SITES_DIR, DemoServer
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlError, CrawlRun
from tests.conftest import crawl_demo, run_drillwatch

MANIFEST = yaml.safe_load((SITES_DIR / "MANIFEST.yaml").read_text(encoding="utf-8"))
STORED_KINDS = {"article", "trap", "borderline", "broken"}
EXPECTED = [a for a in MANIFEST["articles"] if a["kind"] in STORED_KINDS]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crawled_once(request, tmp_path_factory):
    """One crawl per database backend; the tests below only read what it stored."""
    tmp = tmp_path_factory.mktemp("demo")
    shutil.copytree(SITES_DIR, tmp / "sites")
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp / 'drillwatch.db'}"
    else:
        db_url = request.getfixturevalue("pg_url_module")
    server = DemoServer(tmp / "sites", slow_seconds=6)
    with server:
        proc = crawl_demo(db_url, server)
        engine = make_engine(db_url)
        yield engine, server, json.loads(proc.stdout), db_url
        engine.dispose()


@pytest.fixture
def crawled(crawled_once):
    return crawled_once[:3]


@pytest.fixture
def db_url(crawled_once):
    return crawled_once[3]


def stored(engine) -> dict[str, Article]:
    with session_scope(engine) as session:
        return {a.url: a for a in session.scalars(select(Article))}


def test_every_demo_article_is_stored_once_with_title_date_and_text(crawled):
    engine, server, _summary = crawled
    articles = stored(engine)
    for expected in EXPECTED:
        url = server.url + expected["path"]
        assert url in articles, f"{expected['outlet']} {expected['path']} was not stored"
        article = articles[url]
        assert article.outlet == expected["outlet"]
        assert article.title and article.text.count(" ") > 80, f"{url}: missing title or body"
        assert article.published_at is not None, f"{url}: no publication date"
        assert article.published_at.date().isoformat() == str(expected["published"])[:10], url
    assert len(articles) == len(EXPECTED)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(func.distinct(Article.canonical_url)))) == len(EXPECTED)


def test_bad_pages_are_recorded_as_errors_of_their_run(crawled):
    engine, server, _summary = crawled
    with session_scope(engine) as session:
        errors = {(e.outlet, e.url.removeprefix(server.url), e.kind) for e in session.scalars(select(CrawlError))}
        run_of_error = session.scalars(select(CrawlError.run_id)).all()
    assert ("spacewar", "/spacewar/reports/China_Russia_sign_drone_pact_999.html", "http_404") in errors
    assert ("spacewar", "/spacewar/reports/Factsheet_Russia_China_arms_transfers_2019_2023.pdf", "not_html") in errors
    assert ("spacewar", "/spacewar/_slow/reports/BeiDou_and_GLONASS_a_decade_of_navigation_ties_999.html",
            "timeout") in errors
    assert ("brokenfeed", "/brokenfeed/feed.xml", "bad_feed") in errors
    assert ("brokenfeed", "/brokenfeed/rss/news.xml", "http_404") in errors
    assert any(o == "brokenfeed" and u == "/brokenfeed/_reset/feed.xml" for o, u, _k in errors)
    assert None not in run_of_error


def test_runs_summarise_each_outlet_and_a_dead_outlet_fails_alone(crawled):
    engine, _server, summary = crawled
    by_outlet = {row["outlet"]: row for row in summary}
    assert set(by_outlet) == {"artifex", "spacewar", "kremlinwire", "socialrepost", "brokenfeed"}
    assert by_outlet["brokenfeed"]["status"] == "failed" and by_outlet["brokenfeed"]["new"] == 0
    for name in ("artifex", "spacewar", "kremlinwire", "socialrepost"):
        expected = sum(1 for a in EXPECTED if a["outlet"] == name)
        assert by_outlet[name]["status"] == "ok", by_outlet[name]
        assert by_outlet[name]["new"] == expected, (name, by_outlet[name])
    assert by_outlet["spacewar"]["errors"] >= 3
    with session_scope(engine) as session:
        assert all(r.finished_at is not None for r in session.scalars(select(CrawlRun)))


def test_second_crawl_keeps_everything_and_adds_nothing(crawled, db_url):
    engine, server, _summary = crawled
    before = {url: a.content_hash for url, a in stored(engine).items()}
    summary = json.loads(crawl_demo(db_url, server).stdout)
    assert sum(row["new"] for row in summary) == 0
    assert {url: a.content_hash for url, a in stored(engine).items()} == before


def test_outlets_and_articles_commands_show_what_was_stored(crawled, db_url):
    engine, server, _summary = crawled
    outlets = json.loads(run_drillwatch("outlets", "--json", db=db_url, server=server,
                                        config=DEMO_DIR).stdout)
    row = next(o for o in outlets if o["name"] == "kremlinwire")
    assert row["last_status"] == "ok" and row["articles"] == 4 and row["last_run"]
    rows = json.loads(run_drillwatch("articles", "--limit", "3", "--outlet", "spacewar", "--json", db=db_url).stdout)
    assert len(rows) == 3 and {r["outlet"] for r in rows} == {"spacewar"}
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    table = run_drillwatch("articles", "--limit", "50", db=db_url).stdout
    assert "Vostok-2022 war games begin" in table
