"""`drillwatch detect`, `exercises` and `alerts`, run as the real CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from storage.articles import ArticleData, store_article
from storage.db import init_db, make_engine, session_scope
from storage.exercises import MentionData, record_mentions
from tests.conftest import ROOT, run_drillwatch

UTC = timezone.utc
PATROL_TEXT = ("Russian and Chinese strategic bombers conducted a joint air patrol over the Chukchi and Bering seas "
               "on Wednesday, the eighth joint strategic air patrol organised by the two militaries since 2019.\n")
NO_DB = "sqlite:////nonexistent-dir/never.db"  # detect must not need a database


@pytest.fixture
def patrol_file(tmp_path):
    path = tmp_path / "patrol.txt"
    path.write_text(PATROL_TEXT, encoding="utf-8")
    return path


def test_detect_json_gives_relevance_and_mentions(patrol_file):
    result = json.loads(run_drillwatch("detect", str(patrol_file), "--published", "2024-07-25", "--json", db=NO_DB).stdout)
    assert result["relevant"] is True and result["score"] > 0.5
    [patrol] = [m for m in result["mentions"] if m["exercise"] == "joint-strategic-air-patrol-2024-07"]
    assert (patrol["known"], patrol["kind"], patrol["date"], patrol["ordinal"]) == (True, "patrol", "2024-07-24", 8)
    assert {"Chukchi Sea", "Bering Sea"} <= set(patrol["places"]) and set(patrol["participants"]) == {"CN", "RU"}
    assert patrol["sentence"] == PATROL_TEXT.strip()


def test_detect_reads_stdin_and_prints_for_people():
    proc = subprocess.run([sys.executable, "-m", "scheduler.cli", "--db", NO_DB, "detect", "-", "--published", "2024-07-14"],
                          input="Russia and China said the Joint Sea-2024 naval exercise opened on Sunday in Zhanjiang.",
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "read as published 2024-07-14" in proc.stdout
    assert "joint-sea-2024  (named, known, reported as starting" in proc.stdout
    assert "“Russia and China said the Joint Sea-2024 naval exercise opened on Sunday in Zhanjiang.”" in proc.stdout


def test_detect_names_a_missing_file_and_a_bad_date(tmp_path, patrol_file):
    missing = run_drillwatch("detect", str(tmp_path / "nope.txt"), db=NO_DB, check=False)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (f"Error: {tmp_path / 'nope.txt'}: no such file; give the path of a plain-text "
                                      "article (or - to read standard input)")
    bad = run_drillwatch("detect", str(patrol_file), "--published", "25/07/2024", db=NO_DB, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("Error: --published: '25/07/2024' is not a date; write it as YYYY-MM-DD "
                                  "(e.g. 2024-07-25) or an ISO time (2024-07-25T09:30:00+00:00)")


def seed(db_url: str) -> None:
    """Two instances as the crawl would store them: a patrol reported as news, Vostok-2018 as background."""
    engine = make_engine(db_url)
    init_db(engine)
    data = ArticleData(outlet="kremlinwire", url="https://kremlinwire.example/patrol.html",
                       canonical_url="https://kremlinwire.example/patrol.html", title="Joint air patrol",
                       text=PATROL_TEXT, content_hash="h1", published_at=datetime(2024, 7, 25, 4, 14, tzinfo=UTC),
                       relevant=True)
    patrol = MentionData(exercise="joint-strategic-air-patrol-2024-07", name="8th Joint Strategic Air Patrol (2024-07)",
                         kind="patrol", known=True, series="joint-strategic-air-patrol", year=2024, ordinal=8,
                         sentence=PATROL_TEXT.strip(), date=date(2024, 7, 24), start=date(2024, 7, 24),
                         end=date(2024, 7, 25), places=["Bering Sea"], participants=["CN", "RU"])
    background = MentionData(exercise="vostok-2018", name="Vostok-2018", kind="named", known=True, series="vostok",
                             year=2018, start=date(2018, 9, 11), end=date(2018, 9, 17),
                             sentence="Vostok-2018 drew some 3,200 Chinese troops.")
    with session_scope(engine) as session:
        article_id = store_article(session, data).article_id
        record_mentions(session, article_id, [patrol, background], now=datetime(2024, 7, 25, 6, tzinfo=UTC))
    engine.dispose()


def test_exercises_timeline_newest_first(sqlite_url):
    seed(sqlite_url)
    rows = json.loads(run_drillwatch("exercises", "--json", db=sqlite_url).stdout)
    assert [r["exercise"] for r in rows] == ["joint-strategic-air-patrol-2024-07", "vostok-2018"]
    patrol = rows[0]
    assert (patrol["known"], patrol["start"], patrol["end"], patrol["mentions"]) == (True, "2024-07-24", "2024-07-25", 1)
    assert (patrol["first_seen"], patrol["first_outlet"]) == ("2024-07-25T04:14:00+00:00", "kremlinwire")
    assert patrol["alerts"] == ["new_instance"] and rows[1]["alerts"] == []
    table = run_drillwatch("exercises", db=sqlite_url, env={"COLUMNS": "250"}).stdout
    assert "2024-07-24 – 2024-07-25" in table and "kremlinwire" in table and "known" in table


def test_exercises_on_an_empty_database_says_what_to_do(sqlite_url):
    out = run_drillwatch("exercises", db=sqlite_url).stdout
    assert "no exercises found yet (crawl first: `drillwatch crawl` or `drillwatch demo`)" in out


def config_with_sinks(tmp_path, sinks: str):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(f"alerts:\n  max_attempts: 3\n  sinks:\n{sinks}", encoding="utf-8")
    return config


def test_alerts_list_deliver_and_pending(sqlite_url, tmp_path):
    seed(sqlite_url)
    [alert] = json.loads(run_drillwatch("alerts", "--json", db=sqlite_url).stdout)
    assert (alert["title"], alert["status"], alert["attempts"]) == (
        "New exercise reported: 8th Joint Strategic Air Patrol (2024-07)", "pending", 0)
    assert alert["exercise"] == "joint-strategic-air-patrol-2024-07" and alert["outlet"] == "kremlinwire"

    jsonl = tmp_path / "alerts.jsonl"
    config = config_with_sinks(tmp_path, f"    - type: jsonl\n      path: {jsonl}\n")
    proc = run_drillwatch("alerts", "--deliver", "--json", db=sqlite_url, config=config)
    assert "delivered 1 of 1 pending alert(s); 0 still pending, 0 failed" in proc.stderr
    assert json.loads(proc.stdout)[0]["status"] == "sent"
    assert json.loads(jsonl.read_text())["title"] == alert["title"]
    assert json.loads(run_drillwatch("alerts", "--pending", "--json", db=sqlite_url).stdout) == []
    assert "no pending alerts" in run_drillwatch("alerts", "--pending", db=sqlite_url).stdout


def test_alerts_show_a_failing_sink_and_retry(sqlite_url, tmp_path):
    seed(sqlite_url)
    config = config_with_sinks(tmp_path, "    - type: jsonl\n      path: /nonexistent-dir/alerts.jsonl\n")
    for _ in range(3):
        run_drillwatch("alerts", "--deliver", "--json", db=sqlite_url, config=config)
    [alert] = json.loads(run_drillwatch("alerts", "--pending", "--json", db=sqlite_url).stdout)
    assert (alert["status"], alert["attempts"]) == ("failed", 3)
    assert alert["last_error"] == ("jsonl:/nonexistent-dir/alerts.jsonl: cannot append to "
                                   "/nonexistent-dir/alerts.jsonl: No such file or directory")
    table = run_drillwatch("alerts", db=sqlite_url, env={"COLUMNS": "250"}).stdout
    assert "failed" in table and "No such file or directory" in table
    proc = run_drillwatch("alerts", "--retry", "--json", db=sqlite_url)
    assert "1 failed alert(s) pending again" in proc.stderr
    assert [(a["status"], a["attempts"]) for a in json.loads(proc.stdout)] == [("pending", 0)]
