"""The exercise stage records pages with mentions in batches: one transaction for many pages, the same rows."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

from scrapy.utils.test import get_crawler
from sqlalchemy import event, func, select

from crawler.items import PageItem
from crawler.pipelines.exercises import ExercisePipeline
from storage.db import init_db, make_engine, session_scope
from storage.models import Alert, ExerciseInstance, ExerciseMention
from tests.test_exercise_storage import add_article, mention

UTC = timezone.utc


def page(article_id: int, sentence: str) -> PageItem:
    return PageItem(outlet="tass", url=f"https://tass.example/a/{article_id}", final_url=f"https://tass.example/a/{article_id}",
                    html="", fetched_at=datetime(2022, 9, 2, tzinfo=UTC), article=SimpleNamespace(),
                    relevance=SimpleNamespace(relevant=True), mentions=[mention(sentence)], article_id=article_id,
                    store_status="new")


def test_pages_with_mentions_are_recorded_in_one_transaction(tmp_path):
    db = f"sqlite:///{tmp_path / 'batch.db'}"
    engine = make_engine(db)
    init_db(engine)
    ids = [add_article(engine, n, datetime(2022, 9, 1 + n, tzinfo=UTC)) for n in range(3)]
    pipeline = ExercisePipeline(get_crawler(settings_dict={"DRILLWATCH_DB": db, "DRILLWATCH_STORE_BATCH": 3,
                                                           "DRILLWATCH_STORE_DELAY": 30}))
    commits = []
    event.listen(pipeline.engine, "commit", lambda conn: commits.append(1))

    async def crawl():
        return await asyncio.gather(*(pipeline.process_item(page(i, f"Vostok-2022 began, report {i}.")) for i in ids))

    try:
        items = asyncio.run(crawl())
    finally:
        pipeline.close_spider()
    assert [item.article_id for item in items] == ids
    assert len(commits) == 1  # one transaction for the three pages, not one commit each
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ExerciseMention)) == 3
        instance = session.scalar(select(ExerciseInstance).where(ExerciseInstance.key == "vostok-2022"))
        assert instance.mention_count == 3
        assert session.scalars(select(Alert.reason)).all() == ["new_instance"]  # one alert, not one per page
    assert pipeline.crawler.stats.get_value("drillwatch/mentions") == 3
