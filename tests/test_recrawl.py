"""Crawling again, end to end over real HTTP (SQLite and PostgreSQL): links seen before are not fetched,
revisits come from the schedule as conditional requests, and only real edits make versions."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from storage.db import make_engine, session_scope
from storage.models import Article, ArticleVersion
from tests.conftest import crawl_demo, run_drillwatch

pytestmark = pytest.mark.slow

SPACEWAR_ALASKA = "/spacewar/reports/Russia_China_fly_joint_bomber_patrol_near_Alaska_999.html"  # on both listing pages
VOSTOK = "/spacewar/reports/Vostok_2022_war_games_begin_in_Russias_far_east_with_Chinese_troops_999.html"
BELOUSOV = "/spacewar/reports/Russian_defence_minister_in_Beijing_for_China_talks_999.html"
KREMLIN_ALASKA = "/kremlinwire/defense/2024/07/25/russian-chinese-strategic-bombers-conduct-joint-air-patrol-near-alaska.html"
ARTIFEX_ALASKA = "/artifex/russian-and-chinese-bombers-patrol-near-alaska-in-joint-military-exercise-6185288/"
ARTIFEX_FEED = "/artifex/tag/china-russia-relations/feed/"


@pytest.fixture
def engine_for(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def crawl(db_url, server, *outlets) -> dict[str, dict]:
    return {row["outlet"]: row for row in json.loads(crawl_demo(db_url, server, *outlets).stdout)}


def gets(server, path: str) -> list[int]:
    return [status for method, _path, status in server.requests_for(path) if method == "GET"]


def article_at(engine, server, path: str) -> Article:
    with session_scope(engine) as session:
        return session.scalar(select(Article).where(Article.url == server.url + path))


def make_due(engine, server, *paths: str) -> None:
    """As if the revisit schedule had come round (the demo articles are older than max_age)."""
    with session_scope(engine) as session:
        session.execute(update(Article).where(Article.url.in_([server.url + p for p in paths]))
                        .values(next_visit_at=datetime.now(timezone.utc) - timedelta(minutes=1)))


def edit(sites, path: str, old: str, new: str) -> None:
    file = sites / path.strip("/")
    file = file / ("index.xml" if path.endswith("/feed/") else "index.html") if file.is_dir() else file
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_links_seen_on_an_earlier_crawl_are_not_fetched_again(db_url, demo_server):
    first = crawl(db_url, demo_server, "spacewar", "kremlinwire", "artifex")
    second = crawl(db_url, demo_server, "spacewar", "kremlinwire", "artifex")
    assert sum(r["new"] for r in first.values()) == 14
    for path in (SPACEWAR_ALASKA, KREMLIN_ALASKA, VOSTOK):
        assert gets(demo_server, path) == [200], path
    assert gets(demo_server, ARTIFEX_ALASKA) == []  # the feed carries the whole article
    for entry in ("/spacewar/news/", "/spacewar/news/page-2.html", "/kremlinwire/sitemap-news.xml", ARTIFEX_FEED):
        assert gets(demo_server, entry) == [200, 200], entry  # entry pages are read on every crawl
    # nothing was extracted again: no article reached the pipeline on the second crawl
    assert [(r["new"], r["updated"], r["unchanged"]) for r in second.values()] == [(0, 0, 0)] * 3


def test_an_edited_article_gets_a_version_with_a_diff_and_an_unchanged_one_a_304(db_url, demo_server, sites,
                                                                                  engine_for):
    crawl(db_url, demo_server, "spacewar")
    before = article_at(engine_for, demo_server, BELOUSOV)
    edit(sites, VOSTOK, "Beijing has sent more than 2,000 soldiers", "Beijing has sent some 2,100 soldiers")
    make_due(engine_for, demo_server, VOSTOK, BELOUSOV)
    second = crawl(db_url, demo_server, "spacewar")

    assert gets(demo_server, VOSTOK) == [200, 200]
    assert gets(demo_server, BELOUSOV) == [200, 304]
    assert (second["spacewar"]["updated"], second["spacewar"]["unchanged"], second["spacewar"]["new"]) == (1, 0, 0)
    vostok, belousov = article_at(engine_for, demo_server, VOSTOK), article_at(engine_for, demo_server, BELOUSOV)
    assert vostok.version_count == 2 and belousov.version_count == 1
    assert belousov.last_fetched_at > before.last_fetched_at and belousov.next_visit_at is None  # 30 days passed
    with session_scope(engine_for) as session:
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == vostok.id)
                                   .order_by(ArticleVersion.number)).all()
    assert versions[1].fetched_at > versions[0].fetched_at and not versions[1].large_edit
    assert "-Beijing has sent more than 2,000 soldiers" in versions[1].diff
    assert "+Beijing has sent some 2,100 soldiers" in versions[1].diff
    shown = run_drillwatch("show", str(vostok.id), "--diff", db=db_url).stdout
    assert "=== version 2" in shown and "+Beijing has sent some 2,100 soldiers" in shown


def test_a_cosmetic_change_is_fetched_but_makes_no_version(db_url, demo_server, sites, engine_for):
    crawl(db_url, demo_server, "spacewar")
    edit(sites, BELOUSOV, 'a "no limits" partnership', "a \u201cno  limits\u201d partnership")  # quotes, spaces
    edit(sites, BELOUSOV, "<p>It is Belousov's", "<p>Last updated: October 14, 2024 at 10:32 GMT</p><p>It is Belousov's")
    make_due(engine_for, demo_server, BELOUSOV)
    second = crawl(db_url, demo_server, "spacewar")
    assert gets(demo_server, BELOUSOV) == [200, 200]
    assert (second["spacewar"]["updated"], second["spacewar"]["unchanged"]) == (0, 1)
    assert article_at(engine_for, demo_server, BELOUSOV).version_count == 1


def test_a_due_full_content_feed_entry_is_re_extracted_from_the_feed_and_the_others_are_not(db_url, demo_server, sites,
                                                                                           engine_for):
    crawl(db_url, demo_server, "artifex")
    edit(sites, ARTIFEX_FEED, "NORAD said the aircraft had stayed in international airspace",
         "NORAD said the four aircraft had stayed in international airspace")
    make_due(engine_for, demo_server, ARTIFEX_ALASKA)
    second = crawl(db_url, demo_server, "artifex")
    assert (second["artifex"]["updated"], second["artifex"]["unchanged"], second["artifex"]["new"]) == (1, 0, 0)
    assert gets(demo_server, ARTIFEX_ALASKA) == []
    shown = json.loads(run_drillwatch("show", str(article_at(engine_for, demo_server, ARTIFEX_ALASKA).id),
                                      "--versions", "--json", db=db_url).stdout)
    assert [v["number"] for v in shown["history"]] == [1, 2] and "diff" not in shown["history"][1]


# --- a forced recheck, and feed entries whose date moved ---------------------------------------------------

def test_recheck_revisits_every_stored_article_now_records_the_edit_and_nothing_for_the_unchanged(
        db_url, demo_server, sites, engine_for):
    crawl(db_url, demo_server, "spacewar")
    edit(sites, VOSTOK, "Beijing has sent more than 2,000 soldiers", "Beijing has sent some 2,100 soldiers")
    # no make_due: the demo articles are past max_age, so the schedule would never look at them again
    rows = json.loads(crawl_demo(db_url, demo_server, "spacewar", extra=("--recheck",)).stdout)
    assert len(rows) == 1 and rows[0]["outlet"] == "spacewar"
    assert (rows[0]["changed"], rows[0]["new"]) == (1, 0)
    assert rows[0]["rechecked"] == rows[0]["not_modified"] + rows[0]["refetched"] >= 2
    assert gets(demo_server, VOSTOK) == [200, 200]
    assert gets(demo_server, BELOUSOV) == [200, 304]
    vostok, belousov = article_at(engine_for, demo_server, VOSTOK), article_at(engine_for, demo_server, BELOUSOV)
    assert vostok.version_count == 2 and belousov.version_count == 1
    again = json.loads(crawl_demo(db_url, demo_server, "spacewar", extra=("--recheck",)).stdout)
    assert again[0]["changed"] == 0 and again[0]["not_modified"] >= 2  # nothing changed since


def test_recheck_table_says_how_many_changed(db_url, demo_server, sites):
    from config import DEMO_DIR

    crawl(db_url, demo_server, "spacewar")
    edit(sites, VOSTOK, "Beijing has sent more than 2,000 soldiers", "Beijing has sent some 2,100 soldiers")
    shown = run_drillwatch("crawl", "spacewar", "--recheck", db=db_url, server=demo_server, config=DEMO_DIR)
    assert "not modified (304)" in shown.stdout and "changed" in shown.stdout
    assert "1 of " in shown.stderr and "rechecked articles changed" in shown.stderr


def bump_feed_date(sites, link_path: str, old_date: str) -> None:
    """The feed says the entry was updated a moment ago (after the first crawl)."""
    now = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    feed = sites / ARTIFEX_FEED.strip("/") / "index.xml"
    text = feed.read_text(encoding="utf-8")
    item_start = text.index(f"<link>{{{{BASE}}}}{link_path}</link>")
    date_at = text.index(f"<pubDate>{old_date}</pubDate>", item_start)
    feed.write_text(text[:date_at] + f"<pubDate>{now}</pubDate>" + text[date_at + len(old_date) + 19:],
                    encoding="utf-8")


def linked_feed_config(tmp_path):
    """The demo config with artifex's feed read for its links only: articles come from their pages."""
    from config import DEMO_DIR

    config = tmp_path / "config"
    config.mkdir()
    for name in ("outlets.yaml", "settings.yaml"):
        text = (DEMO_DIR / name).read_text(encoding="utf-8")
        (config / name).write_text(text.replace("feed_content: true", "feed_content: false"), encoding="utf-8")
    return config


def test_a_feed_entry_whose_date_changed_is_re_extracted_without_recheck(db_url, demo_server, sites, engine_for):
    crawl(db_url, demo_server, "artifex")
    edit(sites, ARTIFEX_FEED, "NORAD said the aircraft had stayed in international airspace",
         "NORAD said the four aircraft had stayed in international airspace")
    bump_feed_date(sites, ARTIFEX_ALASKA, "Thu, 25 Jul 2024 09:29:01 +0000")
    second = crawl(db_url, demo_server, "artifex")
    assert (second["artifex"]["updated"], second["artifex"]["new"]) == (1, 0)
    assert article_at(engine_for, demo_server, ARTIFEX_ALASKA).version_count == 2


def test_a_linked_feed_entry_whose_date_changed_is_fetched_again_and_the_others_are_not(
        db_url, demo_server, sites, engine_for, tmp_path):
    config = linked_feed_config(tmp_path)

    def crawl_links() -> dict:
        out = run_drillwatch("crawl", "artifex", "--json", db=db_url, server=demo_server, config=config)
        return json.loads(out.stdout)[0]

    assert crawl_links()["new"] == 4
    page = ARTIFEX_ALASKA.strip("/") + "/index.html"
    edit(sites, "/" + page, "NORAD said the aircraft had stayed in international airspace",
         "NORAD said the four aircraft had stayed in international airspace")
    bump_feed_date(sites, ARTIFEX_ALASKA, "Thu, 25 Jul 2024 09:29:01 +0000")
    second = crawl_links()
    assert (second["updated"], second["new"]) == (1, 0)
    assert gets(demo_server, ARTIFEX_ALASKA) == [200, 200]
    assert gets(demo_server, "/artifex/china-will-send-troops-to-russia-for-joint-military-training/") == [200]
    assert article_at(engine_for, demo_server, ARTIFEX_ALASKA).version_count == 2


def test_show_says_which_date_was_used_when_page_and_feed_disagree_and_never_a_future_one(
        db_url, demo_server, sites, engine_for, tmp_path):
    config = linked_feed_config(tmp_path)
    troops = "/artifex/china-will-send-troops-to-russia-for-joint-military-training/"
    feed = sites / ARTIFEX_FEED.strip("/") / "index.xml"
    # the feed dates the Alaska story a week early, and the troops story years ahead
    feed.write_text(feed.read_text(encoding="utf-8").replace("Thu, 25 Jul 2024 09:29:01", "Thu, 18 Jul 2024 09:29:01")
                    .replace("Wed, 17 Aug 2022 11:05:42", "Sun, 17 Aug 2031 11:05:42"), encoding="utf-8")
    run_drillwatch("crawl", "artifex", "--json", db=db_url, server=demo_server, config=config)

    alaska = json.loads(run_drillwatch("show", str(article_at(engine_for, demo_server, ARTIFEX_ALASKA).id), "--json",
                                       db=db_url).stdout)
    assert alaska["published"].startswith("2024-07-25") and alaska["date_source"] == "page markup"
    assert "the feed 2024-07-18" in alaska["date_note"]
    shown = run_drillwatch("show", str(article_at(engine_for, demo_server, troops).id), db=db_url).stdout
    assert "date from:" in shown and "page markup" in shown
    assert "the feed date 2031-08-17" in shown and "after the fetch" in shown
    troops_article = article_at(engine_for, demo_server, troops)
    assert troops_article.published_at <= troops_article.first_fetched_at
    assert troops_article.published_at.year == 2022
