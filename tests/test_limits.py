"""Response size limits (settings.yaml crawl.max_page_size / max_feed_size, Scrapy's DOWNLOAD_MAXSIZE and
per-request download_maxsize) and entity expansion refused in feeds: each refusal is a run error with a
kind and a message a user understands. Peak memory is measured by bench/limits.py, not here."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import Article, CrawlError
from tests.conftest import run_drillwatch
from tests.loopback import Loopback, endless, news_article, page, write_config

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def rss(site_url: str, links: list[str], padding: int = 0) -> str:
    items = "".join(f"<item><title>Item {i}</title><link>{site_url}{link}</link>"
                    f"<description>{'z' * padding}</description></item>" for i, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">\n' for i in range(1, 10))
                  + ']>\n<rss version="2.0"><channel><title>&lol9;</title>'
                    "<item><title>a</title><link>http://127.0.0.1/x</link></item></channel></rss>")


def errors_by_url(db: str) -> dict[str, tuple[str, str]]:
    engine = make_engine(db)
    with session_scope(engine) as session:
        rows = {e.url: (e.kind, e.message) for e in session.scalars(select(CrawlError))}
    engine.dispose()
    return rows


def stored_urls(db: str) -> set[str]:
    engine = make_engine(db)
    with session_scope(engine) as session:
        urls = set(session.scalars(select(Article.url)))
    engine.dispose()
    return urls


def test_oversized_and_endless_responses_and_entity_bombs_are_refused_and_recorded(tmp_path):
    db = f"sqlite:///{tmp_path / 'drillwatch.db'}"
    site = Loopback()
    with site:
        site.routes.update({
            "/list/": page("<html><body><a href='/endless.html'>a</a> <a href='/big.html'>b</a> "
                           "<a href='/ok.html'>c</a></body></html>"),
            "/endless.html": endless(site, "/endless.html"),
            "/big.html": page("<html><body>" + "<p>word</p>" * (2 * MB // 11) + "</body></html>"),
            "/ok.html": page(news_article(1)),
            "/ok2.html": page(news_article(2)),
            # over the page limit, under the feed limit: feeds have their own
            "/bigfeed.xml": page(rss(site.url, ["/ok2.html"], padding=int(1.5 * MB)), "application/rss+xml"),
            "/hugefeed.xml": page(rss(site.url, ["/ok.html"], padding=3 * MB), "application/rss+xml"),
            "/laughs.xml": page(BILLION_LAUGHS, "application/rss+xml"),
        })
        config = write_config(tmp_path / "config", f"""
outlets:
  - name: hostile
    domains: [127.0.0.1]
    listings: [{{url: "{site.url}/list/", links: '\\.html$'}}]
  - name: bigfeed
    domains: [127.0.0.1]
    feeds: ["{site.url}/bigfeed.xml"]
  - name: hugefeed
    domains: [127.0.0.1]
    feeds: ["{site.url}/hugefeed.xml"]
  - name: laughs
    domains: [127.0.0.1]
    feeds: ["{site.url}/laughs.xml"]
""", """crawl:
  obey_robots: false
  max_page_size: 1MB
  max_feed_size: 2MB
""")
        proc = run_drillwatch("crawl", "--json", db=db, config=config)
        rows = {r["outlet"]: r for r in json.loads(proc.stdout)}
        time.sleep(0.5)  # the endless route notices the hang-up on its next write
        endless_sent = site.sent.get("/endless.html", 0)

    errors = errors_by_url(db)
    assert errors[f"{site.url}/endless.html"] == (
        "too_large", "response larger than the 1 MB limit for pages (settings.yaml crawl.max_page_size); "
                     "download stopped")
    # cut at the limit, not read to Scrapy's 1 GB default (the server's count also holds what sat in the
    # loopback socket buffers, a few MB, when the crawler hung up)
    assert MB <= endless_sent < 20 * MB
    assert errors[f"{site.url}/big.html"][0] == "too_large"
    assert errors[f"{site.url}/hugefeed.xml"] == (
        "too_large", "response larger than the 2 MB limit for feeds and sitemaps (settings.yaml "
                     "crawl.max_feed_size); download stopped")
    kind, message = errors[f"{site.url}/laughs.xml"]
    assert kind == "bad_feed" and "declares XML entities" in message and "billion laughs" in message
    assert stored_urls(db) == {f"{site.url}/ok.html", f"{site.url}/ok2.html"}
    assert rows["hostile"]["error_kinds"] == ["too_large"] and rows["hostile"]["errors"] == 2
    assert rows["bigfeed"]["status"] == "ok" and rows["bigfeed"]["new"] == 1
    assert rows["hugefeed"]["status"] == "failed" and rows["laughs"]["status"] == "failed"
    # one line per refusal on stderr (Scrapy's own "larger than download max size" only with -v)
    assert [line for line in proc.stderr.splitlines() if "endless.html" in line and "max size" in line] == []
    assert len([line for line in proc.stderr.splitlines() if "too_large:" in line]) == 3


def test_size_settings_accept_units_and_reject_nonsense(tmp_path):
    from config.load import ConfigError, load_settings

    (tmp_path / "settings.yaml").write_text("crawl:\n  max_page_size: 512KB\n  max_feed_size: 30000000\n")
    crawl = load_settings(tmp_path).crawl
    assert (crawl.max_page_size, crawl.max_feed_size) == (512 * 1024, 30000000)
    (tmp_path / "settings.yaml").write_text("crawl:\n  max_page_size: lots\n")
    with pytest.raises(ConfigError, match="not a size; write e.g. 512KB, 10MB or 1GB"):
        load_settings(tmp_path)
