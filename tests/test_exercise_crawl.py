"""End to end: the demo outlets crawled over real HTTP raise one alert per new exercise, and none again."""
from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest
import yaml
from sqlalchemy import func, select

from config.schema import AlertSettings, AlertSink, Settings
from scheduler.alerts import deliver_pending
from storage.db import make_engine, session_scope
from storage.models import Alert, CrawlRun, ExerciseInstance, ExerciseMention
from config import DEMO_DIR
from tests.conftest import run_drillwatch

pytestmark = pytest.mark.slow
ALASKA_PATROL = "joint-strategic-air-patrol-2024-07"  # the 8th joint bomber patrol, near Alaska, July 2024


def alerted(engine) -> list[tuple[int, str, str, str | None, str | None, bool]]:
    with session_scope(engine) as session:
        rows = session.execute(select(Alert.id, ExerciseInstance.key, Alert.title, Alert.sentence, Alert.url,
                                      Alert.historical)
                               .join(ExerciseInstance, ExerciseInstance.id == Alert.instance_id).order_by(Alert.id))
        return [tuple(row) for row in rows]


def run_stats(engine, key: str) -> int:
    with session_scope(engine) as session:
        return sum((run.stats or {}).get(key, 0) for run in session.scalars(select(CrawlRun)))


def mention_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(ExerciseMention))


def demo_config(tmp_path, feed) -> tuple:
    """The demo outlets with a JSON-lines alert sink, so what a crawl delivers can be read back."""
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(DEMO_DIR / "outlets.yaml", config / "outlets.yaml")
    demo_settings = yaml.safe_load((DEMO_DIR / "settings.yaml").read_text(encoding="utf-8")) or {}
    demo_settings["alerts"] = {"sinks": [{"type": "jsonl", "path": str(feed)}]}
    (config / "settings.yaml").write_text(yaml.safe_dump(demo_settings), encoding="utf-8")
    return config, Settings(alerts=AlertSettings(sinks=(AlertSink(type="jsonl", path=str(feed)),)))


def crawl(db_url, server, config):
    return run_drillwatch("crawl", "--json", db=db_url, server=server, config=config)


def test_demo_crawl_alerts_once_per_new_exercise_and_never_again(db_url, demo_server, tmp_path):
    feed = tmp_path / "alerts.jsonl"
    config, settings = demo_config(tmp_path, feed)
    crawl(db_url, demo_server, config)
    engine = make_engine(db_url)
    try:
        first = alerted(engine)
        keys = Counter(key for _, key, *_ in first)
        assert keys["vostok-2022"] == 1 and keys[ALASKA_PATROL] == 1 and keys["joint-sea-2024"] == 1
        assert max(keys.values()) == 1, keys  # an archive crawl: one alert per exercise, not one per article
        assert "vostok-2018" not in keys and "joint-sea-2022" not in keys  # "the previous edition..." is background
        for _, key, title, sentence, url, historical in first:
            assert title.startswith(("New exercise reported: ", "Exercise under way: ")), title
            assert sentence and url.startswith(demo_server.url), (key, url)
            assert historical  # the demo articles are from 2022-2024: archive, and marked so
        assert run_stats(engine, "drillwatch/alerts/new") == len(first)
        mentions = mention_count(engine)
        assert run_stats(engine, "drillwatch/mentions") >= mentions > len(first)

        deliver_pending(engine, settings)  # what `drillwatch crawl` does at its end (no-op if it already did)
        delivered = [json.loads(line)["exercise"] for line in feed.read_text().splitlines()]
        assert sorted(delivered) == sorted(keys)

        crawl(db_url, demo_server, config)
        assert alerted(engine) == first
        assert mention_count(engine) == mentions
        deliver_pending(engine, settings)
        assert [json.loads(line)["exercise"] for line in feed.read_text().splitlines()] == delivered
        with session_scope(engine) as session:
            assert set(session.scalars(select(Alert.status))) == {"sent"}
    finally:
        engine.dispose()
