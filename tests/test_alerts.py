"""Alert sinks against real files and a real local HTTP endpoint (Apprise's json:// webhook)."""
from __future__ import annotations

import json
import logging
import socket
import threading
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import pytest
from sqlalchemy import select

from config.schema import AlertSettings, AlertSink, Settings
from scheduler.alerts import AtomSink, deliver_pending
from storage.alerts import claim_pending, payload, retry_failed
from storage.articles import ArticleData, store_article
from storage.db import init_db, make_engine, session_scope
from storage.exercises import MentionData, record_mentions
from storage.models import Alert

UTC = timezone.utc
NOW = datetime(2024, 7, 26, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url):
    engine = make_engine(sqlite_url)
    init_db(engine)
    yield engine
    engine.dispose()


def raise_alert(engine, n: int, key: str, name: str, sentence: str) -> None:
    data = ArticleData(outlet="kremlinwire", url=f"https://kremlinwire.example/{n}.html",
                       canonical_url=f"https://kremlinwire.example/{n}.html", title=f"Report {n}", text=sentence,
                       content_hash=f"h{n}", published_at=datetime(2024, 7, 25, n, tzinfo=UTC), relevant=True)
    mention = MentionData(exercise=key, name=name, kind="named", known=True, sentence=sentence, year=2024,
                          date=date(2024, 7, 24), places=["Bering Sea"], participants=["CN", "RU"])
    with session_scope(engine) as session:
        article_id = store_article(session, data).article_id
        assert record_mentions(session, article_id, [mention], now=NOW).alerts


def settings(*sinks: AlertSink, max_attempts: int = 5) -> Settings:
    return Settings(alerts=AlertSettings(sinks=sinks, max_attempts=max_attempts))


def statuses(engine) -> list[tuple[str, int]]:
    with session_scope(engine) as session:
        return [(a.status, a.attempts) for a in session.scalars(select(Alert).order_by(Alert.id))]


def test_jsonl_sink_appends_one_line_per_alert_once(db, tmp_path):
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    raise_alert(db, 2, "ocean-2024", "Ocean-2024", "Ocean-2024 is the largest naval exercise in decades.")
    path = tmp_path / "alerts.jsonl"
    report = deliver_pending(db, settings(AlertSink(type="jsonl", path=str(path))))
    assert (report.alerts, report.sent, report.errors) == (2, 2, [])
    deliver_pending(db, settings(AlertSink(type="jsonl", path=str(path))))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["title"], r["exercise"]) for r in lines] == [
        ("New exercise reported: Joint Sea-2024", "joint-sea-2024"), ("New exercise reported: Ocean-2024", "ocean-2024")]
    assert lines[0]["sentence"] == "Joint Sea-2024 opened in Zhanjiang."
    assert lines[0]["url"] == "https://kremlinwire.example/1.html" and lines[0]["places"] == ["Bering Sea"]
    assert statuses(db) == [("sent", 0), ("sent", 0)]


def test_atom_sink_writes_a_feed_that_feedparser_reads(db, tmp_path):
    path = tmp_path / "alerts.atom"
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    deliver_pending(db, settings(AlertSink(type="atom", path=str(path))))
    raise_alert(db, 2, "ocean-2024", "Ocean-2024", "Ocean-2024 is under way.")
    deliver_pending(db, settings(AlertSink(type="atom", path=str(path))))
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and "China–Russia" in feed.feed.title
    assert [e.title for e in feed.entries] == ["New exercise reported: Ocean-2024", "New exercise reported: Joint Sea-2024"]
    assert feed.entries[1].link == "https://kremlinwire.example/1.html"
    assert "Joint Sea-2024 opened in Zhanjiang." in feed.entries[1].content[0].value
    assert len({e.id for e in feed.entries}) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left behind


def test_atom_feed_keeps_only_the_newest_entries(db, tmp_path):
    for n in range(1, 5):
        raise_alert(db, n, f"patrol-{n}", f"Patrol {n}", f"Patrol {n} flew.")
    with session_scope(db) as session:
        alerts = [payload(a) for a in session.scalars(select(Alert).order_by(Alert.id))]
    path = tmp_path / "feed.xml"
    AtomSink(str(path), entries=2).send_batch(alerts[-1:], alerts[:-1])
    assert [e.title for e in feedparser.parse(str(path)).entries] == [
        "New exercise reported: Patrol 4", "New exercise reported: Patrol 3"]


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), Recorder)
    server.posts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_apprise_sink_posts_to_a_webhook(db):
    server = serve()
    try:
        raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
        url = f"json://127.0.0.1:{server.server_port}/hooks/drill"
        report = deliver_pending(db, settings(AlertSink(type="apprise", url=url)))
    finally:
        server.shutdown()
    assert (report.sent, report.errors) == (1, [])
    [(path, body)] = server.posts
    assert path == "/hooks/drill" and body["title"] == "New exercise reported: Joint Sea-2024"
    assert "Joint Sea-2024 opened in Zhanjiang." in body["message"] and "https://kremlinwire.example/1.html" in body["message"]
    assert statuses(db) == [("sent", 0)]


def test_failing_sink_keeps_the_alert_pending_and_delivers_it_later(db, caplog):
    port = free_port()  # nothing listens there yet
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    config = settings(AlertSink(type="log"), AlertSink(type="apprise", url=f"json://127.0.0.1:{port}/hook"))
    with caplog.at_level(logging.WARNING, logger="drillwatch.alerts"):
        report = deliver_pending(db, config)
    assert (report.sent, report.pending, len(report.errors)) == (0, 1, 1)
    assert statuses(db) == [("pending", 1)]
    with session_scope(db) as session:
        alert = session.scalar(select(Alert))
        assert alert.last_error.startswith(f"apprise:json://127.0.0.1:{port}/hook")
        assert "Connection error" in alert.last_error and list(alert.delivered) == ["log"]
    failure = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(failure) == 1 and f"apprise:json://127.0.0.1:{port}" in failure[0] and "Connection error" in failure[0]

    server = serve(port)
    try:
        with caplog.at_level(logging.WARNING, logger="drillwatch.alerts"):
            report = deliver_pending(db, config)
    finally:
        server.shutdown()
    assert (report.sent, report.errors) == (1, [])
    assert len(server.posts) == 1
    assert statuses(db) == [("sent", 1)]
    assert sum("ALERT New exercise reported: Joint Sea-2024" in r.getMessage() for r in caplog.records) == 1


def test_after_max_attempts_the_alert_is_parked_until_retried(db):
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    config = settings(AlertSink(type="apprise", url=f"json://127.0.0.1:{free_port()}/hook"), max_attempts=2)
    deliver_pending(db, config)
    deliver_pending(db, config)
    assert statuses(db) == [("failed", 2)]
    assert deliver_pending(db, config).alerts == 0  # parked: not tried again by itself
    with session_scope(db) as session:
        assert retry_failed(session) == 1
    assert statuses(db) == [("pending", 0)]


def test_a_claimed_alert_is_not_delivered_twice_at_once(db):
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    with session_scope(db) as session:
        assert len(claim_pending(session)) == 1
    with session_scope(db) as session:
        assert claim_pending(session) == []
    assert deliver_pending(db, settings(AlertSink(type="log"))).alerts == 0


def test_a_bad_apprise_url_is_an_error_on_the_alert_not_a_crash(db):
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    report = deliver_pending(db, settings(AlertSink(type="apprise", url="nosuchservice://x")))
    assert report.pending == 1 and "not a valid Apprise URL" in report.errors[0]


def test_with_no_sink_configured_alerts_wait(db):
    raise_alert(db, 1, "joint-sea-2024", "Joint Sea-2024", "Joint Sea-2024 opened in Zhanjiang.")
    assert deliver_pending(db, settings()).alerts == 0
    assert statuses(db) == [("pending", 0)]
