"""The store stage stores pages and their exercise mentions in batches: one transaction for many pages
(articles and mentions together), the same rows as one at a time."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from scrapy.utils.test import get_crawler
from sqlalchemy import event, func, select

from config.load import load_gazetteer
from crawler.items import PageItem
from crawler.pipelines.store import StorePipeline
from crawler.text.analyse import analyse_page
from crawler.text.extract import ExtractOptions
from crawler.workers import plain_result
from storage.db import init_db, make_engine, session_scope
from storage.models import Alert, Article, ExerciseInstance, ExerciseMention
from tests.loopback import article_html

UTC = timezone.utc


def analysed_page(n: int) -> PageItem:
    """A page as the analysis stage hands it on: a Vostok-2022 report of our own writing."""
    url = f"https://tass.example/a/{n}.html"
    html = article_html(f"Vostok-2022 report {n}", [
        f"Russia and China began the Vostok-2022 exercise on 1 September 2022, report {n} of the day says.",
        f"Chinese troops joined Russian units at the Sergeevsky range for the joint drills ({n}).",
        "Officials said the exercise would last a week and involve ships, aircraft and armoured units.",
    ])
    result = plain_result(analyse_page(html, url, ExtractOptions(), load_gazetteer()), url)
    return PageItem(outlet="tass", url=url, final_url=url, html="", fetched_at=datetime(2022, 9, 2, tzinfo=UTC),
                    article=result.article, relevance=result.relevance, mentions=list(result.mentions),
                    content_hash=result.content_hash, signature=result.signature,
                    lead_signature=result.lead_signature, shingles=result.shingles, identity_url=result.identity_url)


def test_pages_and_their_mentions_are_stored_in_one_transaction(tmp_path):
    db = f"sqlite:///{tmp_path / 'batch.db'}"
    engine = make_engine(db)
    init_db(engine)
    pipeline = StorePipeline(get_crawler(settings_dict={"DRILLWATCH_DB": db, "DRILLWATCH_STORE_BATCH": 3,
                                                        "DRILLWATCH_STORE_DELAY": 30}))
    pages = [analysed_page(n) for n in range(3)]
    assert all(page.mentions for page in pages)
    commits = []
    event.listen(pipeline.engine, "commit", lambda conn: commits.append(1))

    async def crawl():
        return await asyncio.gather(*(pipeline.process_item(page) for page in pages))

    try:
        pipeline.open_spider()
        commits.clear()  # merging discovered exercises at start-up has its own transaction
        items = asyncio.run(crawl())
    finally:
        pipeline.close_spider()
    assert [item.store_status for item in items] == ["new"] * 3
    assert len(commits) == 1  # one transaction for the three pages and their mentions, not one commit each
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        mentions = session.scalar(select(func.count()).select_from(ExerciseMention))
        instance = session.scalar(select(ExerciseInstance).where(ExerciseInstance.key == "vostok-2022"))
        assert instance.mention_count == mentions >= 3
        assert session.scalars(select(Alert.reason)).all() == ["new_instance"]  # one alert, not one per page
    assert pipeline.crawler.stats.get_value("drillwatch/mentions") == mentions
    assert pipeline.crawler.stats.get_value("drillwatch/alerts/new") == 1
