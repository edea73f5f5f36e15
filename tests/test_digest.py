"""`drillwatch digest` (issue 15): each format on the crawled demo database, on a new database and with
instances that lack dates or places; `--send` through a real loopback webhook (Apprise's json:// post);
the daemon's scheduled digest job."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
import yaml

from config import DEMO_DIR
from config.load import ConfigError, load_settings
from scheduler.daemon import Daemon, digest_trigger
from scheduler.digest import build_digest
from tests.conftest import crawl_demo, run_drillwatch
from tests.test_alerts import free_port, serve as serve_webhook
from tests.test_jobs import demo_config

UTC = timezone.utc
DEMO_ENV = {"DRILLWATCH_DEMO_URL": "http://127.0.0.1:9"}  # the demo config names it; the digest fetches nothing


def digest(db: str, *args: str, config=DEMO_DIR, check: bool = True):
    return run_drillwatch("digest", *args, db=db, config=config, env=DEMO_ENV, check=check)


def alerted(db: Path) -> list[dict]:
    """What the digest must list: the exercises whose alerts the crawl raised, with their sentences."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(
            "select i.name, a.sentence, a.url from alerts a join exercise_instances i on i.id = a.instance_id "
            "order by a.id")]


def copy_db(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


# --- the demo database, each format ----------------------------------------------------------------

def test_text_digest_lists_the_demo_exercises_copied_stories_and_failed_outlet(crawled_demo):
    expected = alerted(crawled_demo.path)
    assert len(expected) == 7
    out = digest(crawled_demo.url).stdout
    first = out.splitlines()[0]
    assert first.startswith("drillwatch digest, ") and first.endswith("(last 7 days): 7 exercises in the news")
    assert "EXERCISES IN THE NEWS (7)" in out
    flat = " ".join(out.split())  # sentences are wrapped at 100 columns
    for row in expected:
        assert f"* {row['name']}: new (archive: an old report read for the first time)" in out
        assert f"“{row['sentence']}”" in flat and row["url"] in out
    assert "1. Russia, China fly joint bomber patrol near Alaska: 2 copies (spacewar, artifex)" in out
    assert "Failed: brokenfeed: 1 of 1 crawls failed (bad_feed, fetch, http_404); 1 consecutive failure" in out
    assert "Every outlet that was crawled stored new articles." in out


def test_markdown_digest_has_sections_links_and_escapes_markup(crawled_demo):
    out = digest(crawled_demo.url, "--format", "md").stdout
    assert out.startswith("# drillwatch digest, ")
    assert "## Exercises in the news (7)\n" in out and "## Most-copied stories\n" in out and "## Outlets\n" in out
    assert "### Vostok-2022: new *(archive)*\n" in out
    assert "- [Russia, China fly joint bomber patrol near Alaska](http://" in out
    assert "1. [Russia, China fly joint bomber patrol near Alaska](http" in out
    assert "- **Failed: brokenfeed**: 1 of 1 crawls failed (bad\\_feed, fetch, http\\_404)" in out


def test_html_digest_is_a_document_with_one_section_per_exercise(crawled_demo):
    out = digest(crawled_demo.url, "--format", "html").stdout
    page = lxml.html.document_fromstring(out)
    assert page.findtext(".//title").endswith("7 exercises in the news")
    sections = page.cssselect("section.exercise")
    assert [s.cssselect("h3")[0].text_content().split(": new")[0] for s in sections] == \
        [row["name"] for row in alerted(crawled_demo.path)]
    vostok = next(s for s in sections if s.cssselect("h3")[0].text_content().startswith("Vostok-2022"))
    assert len(vostok.cssselect("li a[href]")) == 3  # artifex, socialrepost and spacewar reported it
    assert page.cssselect("li.failed")[0].text_content().startswith("Failed: brokenfeed")


def test_json_digest_is_the_data(crawled_demo):
    data = json.loads(digest(crawled_demo.url, "--json").stdout)
    assert [x["name"] for x in data["exercises"]] == [row["name"] for row in alerted(crawled_demo.path)]
    with sqlite3.connect(crawled_demo.path) as conn:
        stored, relevant = conn.execute("select count(*), sum(relevant) from articles").fetchone()
        crawls = conn.execute("select count(*) from crawl_runs").fetchone()[0]
    assert data["articles"] == {"stored": stored, "relevant": relevant} and data["crawls"] == crawls == 5
    assert [(s["title"], s["copies"], s["outlets"]) for s in data["top_stories"]] == [
        ("Russia, China fly joint bomber patrol near Alaska", 2, ["spacewar", "artifex"])]
    assert [o["outlet"] for o in data["failed_outlets"]] == ["brokenfeed"] and data["quiet_outlets"] == []


def test_a_period_before_the_crawl_has_no_news_and_every_outlet_quiet(crawled_demo, monkeypatch):
    from storage.db import make_engine

    monkeypatch.setenv("DRILLWATCH_DEMO_URL", crawled_demo.server.url)
    engine = make_engine(crawled_demo.url)
    until = datetime.now(UTC) - timedelta(hours=1)
    result = build_digest(engine, str(DEMO_DIR), until - timedelta(days=7), until, "text")
    engine.dispose()
    assert result.data["exercises"] == [] and result.data["crawls"] == 0
    assert "No exercise became news in this period." in result.body
    assert "Quiet: socialrepost: no new article, no crawl in the period; last new article " in result.body


def test_outlets_crawled_without_anything_new_are_quiet(crawled_demo, tmp_path):
    db = copy_db(crawled_demo.path, tmp_path / "again.db")
    started = datetime.now(UTC)
    crawl_demo(f"sqlite:///{db}", crawled_demo.server, "socialrepost", "brokenfeed")  # nothing new the second time
    data = json.loads(digest(f"sqlite:///{db}", "--since", started.strftime("%Y-%m-%dT%H:%M:%S"), "--json").stdout)
    assert data["exercises"] == [] and data["crawls"] == 2
    quiet = {o["outlet"]: o["runs"] for o in data["quiet_outlets"]}
    assert quiet == {"socialrepost": 1, "artifex": 0, "spacewar": 0, "kremlinwire": 0}
    assert [(o["outlet"], o["consecutive_failures"]) for o in data["failed_outlets"]] == [("brokenfeed", 2)]


# --- empty and incomplete databases -------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_a_new_database_gets_a_clear_empty_digest(sqlite_url, fmt):
    result = digest(sqlite_url, "--format", fmt)
    text = " ".join(lxml.html.document_fromstring(result.stdout).text_content().split()) if fmt == "html" \
        else result.stdout.replace("**", "")
    assert "no new exercises" in text and "Nothing has been crawled yet" in text
    assert "No exercise became news in this period." in text and "No crawl has run yet." in text


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_an_instance_without_dates_or_places_and_a_headline_with_markup(crawled_demo, tmp_path, fmt):
    db = copy_db(crawled_demo.path, tmp_path / "incomplete.db")
    with sqlite3.connect(db) as conn:
        conn.execute("insert into exercise_instances (key, name, kind, known, places, first_seen_at, mention_count) "
                     "values ('shadow-drill', 'Shadow <b>Drill</b> *x*', 'discovered', 0, null, "
                     "'2026-11-30 10:00:00.000000', 0)")
        conn.execute("insert into alerts (instance_id, reason, title, sentence, outlet, historical, created_at, "
                     "status, attempts) values (last_insert_rowid(), 'new_instance', 'New exercise reported', "
                     "'Sailors spoke of a <script>secret</script> drill.', 'kremlinwire', 0, ?, 'sent', 0)",
                     (datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "),))
    out = digest(f"sqlite:///{db}", "--format", fmt).stdout
    assert "8 exercises in the news" in out
    if fmt == "html":
        page = lxml.html.document_fromstring(out)
        assert not page.cssselect("script") and not page.cssselect("h3 b")
        section = page.cssselect("section.exercise")[-1]
        assert section.cssselect("h3")[0].text_content() == "Shadow <b>Drill</b> *x*: new"
        assert section.cssselect("p.facts")[0].text_content() == \
            "no date yet · no place yet · discovered (not in the gazetteer)"
        assert section.cssselect("blockquote")[0].text_content() == "Sailors spoke of a <script>secret</script> drill."
    elif fmt == "md":
        assert "### Shadow \\<b\\>Drill\\</b\\> \\*x\\*: new\n" in out
        assert "no date yet · no place yet · discovered (not in the gazetteer)" in out
    else:
        assert "* Shadow <b>Drill</b> *x*: new\n  no date yet · no place yet · discovered (not in the gazetteer)" in out
        assert "first reported by kremlinwire: (no URL)" in out


def test_bad_periods_are_refused_with_the_fix(sqlite_url):
    result = digest(sqlite_url, "--since", "banana", check=False)
    assert (result.returncode, result.stderr.strip()) == (2, "Error: --since 'banana' is neither a duration "
                                                             "(7d, 24h, 90m) nor a date (2024-06-01, '3 days ago')")
    result = digest(sqlite_url, "--since", "2999-01-01", check=False)
    assert result.returncode == 2 and "is in the future" in result.stderr
    result = digest(sqlite_url, "--since", "0d", check=False)
    assert result.returncode == 2 and "longer than 0s" in result.stderr


# --- sending ------------------------------------------------------------------------------------------------

def send_config(directory: Path, *sinks: dict, **digest_settings) -> Path:
    config = demo_config(directory, ["artifex", "spacewar", "kremlinwire", "socialrepost", "brokenfeed"], interval=None)
    settings = yaml.safe_load((config / "settings.yaml").read_text())
    settings["alerts"] = {"sinks": list(sinks)}
    if digest_settings:
        settings["digest"] = digest_settings
    (config / "settings.yaml").write_text(yaml.safe_dump(settings))
    return config


def test_send_posts_the_digest_to_a_webhook_and_skips_the_atom_feed(crawled_demo, tmp_path):
    hook = serve_webhook()
    try:
        config = send_config(tmp_path / "conf",
                             {"type": "apprise", "url": f"json://127.0.0.1:{hook.server_port}/digest"},
                             {"type": "jsonl", "path": str(tmp_path / "digests.jsonl")},
                             {"type": "atom", "path": str(tmp_path / "alerts.atom")})
        result = digest(crawled_demo.url, "--send", "--format", "md", config=config)
    finally:
        hook.shutdown()
    [(path, body)] = hook.posts
    assert path == "/digest" and body["title"].endswith("7 exercises in the news")
    assert body["message"] == result.stdout.rstrip("\n") or body["message"] == result.stdout
    assert "### Vostok-2022: new *(archive)*" in body["message"]
    [line] = (tmp_path / "digests.jsonl").read_text().splitlines()
    stored = json.loads(line)
    assert stored["format"] == "md" and len(stored["data"]["exercises"]) == 7
    assert f"digest -> apprise:json://127.0.0.1:{hook.server_port}/digest" in result.stderr
    assert f"digest -> atom:{tmp_path / 'alerts.atom'}: skipped" in result.stderr
    assert not (tmp_path / "alerts.atom").exists()


def test_a_failing_sink_is_reported_and_the_others_still_get_it(crawled_demo, tmp_path):
    hook = serve_webhook()
    dead = free_port()
    try:
        config = send_config(tmp_path / "conf", {"type": "apprise", "url": f"json://127.0.0.1:{dead}/digest"},
                             {"type": "apprise", "url": f"json://127.0.0.1:{hook.server_port}/digest"})
        result = digest(crawled_demo.url, "--send", config=config, check=False)
    finally:
        hook.shutdown()
    assert result.returncode == 1
    assert "Error: the digest could not be sent to 1 of 2 sink(s)" in result.stderr
    assert f"json://127.0.0.1:{dead}/digest" in result.stderr and "failed" in result.stderr
    assert len(hook.posts) == 1 and "EXERCISES IN THE NEWS (7)" in hook.posts[0][1]["message"]


def test_send_without_a_sink_that_takes_digests_says_what_to_add(crawled_demo, tmp_path):
    config = send_config(tmp_path / "conf", {"type": "atom", "path": str(tmp_path / "a.atom")})
    result = digest(crawled_demo.url, "--send", config=config, check=False)
    assert result.returncode == 1 and "none of the configured sinks takes digests" in result.stderr


# --- the daemon's schedule ------------------------------------------------------------------------------

def test_digest_schedule_is_validated(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.setenv("DRILLWATCH_DEMO_URL", "http://127.0.0.1:9")
    config = send_config(tmp_path / "a", {"type": "log"}, schedule="0 8 * * 1")
    trigger = digest_trigger(load_settings(config), UTC)
    monday = trigger.get_next_fire_time(None, datetime(2026, 12, 2, tzinfo=UTC))  # a Wednesday
    assert monday == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

    with pytest.raises(ConfigError, match=r"settings.yaml: field 'digest.schedule': .* five fields"):
        load_settings(send_config(tmp_path / "b", {"type": "log"}, schedule="every monday"))
    bad = send_config(tmp_path / "c", {"type": "log"}, schedule="0 25 * * 1")
    with pytest.raises(ConfigError, match=r"field 'digest.schedule': '0 25 \* \* 1' is not a crontab expression"):
        Daemon(bad, sqlite_url)
    with pytest.raises(ConfigError, match=r"digest.format"):
        load_settings(send_config(tmp_path / "d", {"type": "log"}, format="pdf"))


@pytest.mark.slow
def test_the_daemon_sends_the_digest_on_its_schedule(crawled_demo, tmp_path):
    from tests.test_daemon import DaemonProcess

    hook = serve_webhook()
    db = copy_db(crawled_demo.path, tmp_path / "daemon.db")
    config = send_config(tmp_path / "conf", {"type": "apprise", "url": f"json://127.0.0.1:{hook.server_port}/weekly"},
                         schedule="* * * * *", format="text")
    outlets = yaml.safe_load((config / "outlets.yaml").read_text())
    for outlet in outlets["outlets"]:
        outlet["enabled"] = outlet["name"] == "socialrepost"
        outlet["interval"] = "1h"
    (config / "outlets.yaml").write_text(yaml.safe_dump(outlets))
    daemon = DaemonProcess(tmp_path, f"sqlite:///{db}", config, crawled_demo.server)
    try:
        daemon.wait_log("digest: * * * * *")
        daemon.wait_for(lambda: hook.posts, "the digest posted to the webhook", timeout=90)
        daemon.wait_log("digest 'drillwatch digest, ")
        code, _ = daemon.stop()
    finally:
        daemon.close()
        hook.shutdown()
    [(path, body)] = hook.posts[:1]
    assert path == "/weekly" and "(last 7 days): 7 exercises in the news" in body["title"]
    assert "EXERCISES IN THE NEWS (7)" in body["message"] and code == 0
    assert f"sent to apprise:json://127.0.0.1:{hook.server_port}/weekly" in daemon.log()
