"""Failures inside spider callbacks and pipelines are errors of the run (outlet, URL, kind); one bad
feed entry never stops the entries after it; the run's error count and kinds agree; stderr carries one
line per error, the dropped item's dump only with -v."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import Article, CrawlError, CrawlRun
from tests.conftest import run_drillwatch
from tests.loopback import Loopback, news_article, page, write_config

pytestmark = pytest.mark.slow

EMPTY_PAGE = "<html><body><p>Subscribe to read the rest of this page.</p></body></html>"


def rss_items(items: list[tuple[str, str | None]]) -> str:
    body = "".join(f"<item><title>Entry {i}</title><link>{link}</link>"
                   + (f"<dc:date>{date}</dc:date>" if date else "") + "</item>"
                   for i, (link, date) in enumerate(items))
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>T</title>{body}</channel></rss>")


def feed_site() -> Loopback:
    site = Loopback()
    site.routes.update({f"/a{n}.html": page(news_article(n)) for n in range(6)})
    site.routes["/empty.html"] = page(EMPTY_PAGE)
    return site


def feed_config(tmp_path, site):
    return write_config(tmp_path / "config", f"""
outlets:
  - name: feedy
    domains: [127.0.0.1]
    feeds: ["{site.url}/dates.xml", "{site.url}/links.xml"]
""")


def test_bad_feed_entries_are_recorded_and_the_entries_after_them_still_crawled(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    with feed_site() as site:
        base = site.url
        # an entry whose date cannot exist (year 0 after the time zone) between good ones
        site.routes["/dates.xml"] = page(rss_items([(f"{base}/a0.html", "2024-07-01T08:00:00Z"),
                                                    (f"{base}/a1.html", "0000-01-01T00:00:00+01:00"),
                                                    (f"{base}/a2.html", "2024-07-02T08:00:00Z")]),
                                         "application/rss+xml")
        # a link no URL parser accepts between good ones, and a page without an article
        site.routes["/links.xml"] = page(rss_items([(f"{base}/a3.html", None), ("http://[::1/broken", None),
                                                    (f"{base}/empty.html", None), (f"{base}/a4.html", None)]),
                                         "application/rss+xml")
        proc = run_drillwatch("crawl", "--json", db=db, config=feed_config(tmp_path, site))
        row = json.loads(proc.stdout)[0]

    engine = make_engine(db)
    with session_scope(engine) as session:
        stored = {url.rsplit("/", 1)[1] for url in session.scalars(select(Article.url))}
        errors = {(e.outlet, e.kind, e.url.replace(base, "")): e.message for e in session.scalars(select(CrawlError))}
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert stored == {"a0.html", "a1.html", "a2.html", "a3.html", "a4.html"}  # a1 without its impossible date
    assert set(errors) == {("feedy", "bad_date", "/a1.html"), ("feedy", "bad_entry", "http://[::1/broken"),
                           ("feedy", "no_article", "/empty.html")}
    assert "0000-01-01T00:00:00+01:00" in errors[("feedy", "bad_date", "/a1.html")]
    assert "Invalid IPv6 URL" in errors[("feedy", "bad_entry", "http://[::1/broken")]
    assert run.errors == len(errors) == row["errors"]
    assert row["error_kinds"] == ["bad_date", "bad_entry", "no_article"]
    error_lines = [line for line in proc.stderr.splitlines() if "[feedy] " in line]
    assert len(error_lines) == len(errors), proc.stderr
    assert "Subscribe to read" not in proc.stderr  # no item dump without -v


def test_dropped_items_are_dumped_only_with_verbose(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    with feed_site() as site:
        site.routes["/links.xml"] = page(rss_items([(f"{site.url}/empty.html", None)]), "application/rss+xml")
        site.routes["/dates.xml"] = page(rss_items([]), "application/rss+xml")
        proc = run_drillwatch("crawl", "-v", db=db, config=feed_config(tmp_path, site))
    assert "Dropped: no article text on" in proc.stderr
    assert f"url='{site.url}/empty.html'" in proc.stderr  # the item, but not its page
    assert "Subscribe to read" not in proc.stderr


def test_an_exception_in_any_callback_is_an_error_of_the_run_with_outlet_url_and_kind(tmp_path):
    """Through Scrapy's own spider_error signal, on a real crawler and database (no crawl needed)."""
    from scrapy import Spider, signals
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from crawler.extensions import RunRecorder

    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    crawler = get_crawler(settings_dict={"DRILLWATCH_DB": db})
    recorder = RunRecorder.from_crawler(crawler)  # noqa: F841 (signals hold weak references)
    spider = Spider("feedy")
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    try:
        {}["title"]
    except KeyError:
        failure = Failure()
    crawler.signals.send_catch_log(signals.spider_error, failure=failure, spider=spider,
                                   response=HtmlResponse("http://127.0.0.1/x.html", body=b"<html></html>"))
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    engine = make_engine(db)
    with session_scope(engine) as session:
        errors = [(e.outlet, e.url, e.kind, e.message) for e in session.scalars(select(CrawlError))]
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert errors == [("feedy", "http://127.0.0.1/x.html", "callback_error",
                       "could not process the page: KeyError: 'title'")]
    assert run.errors == 1
