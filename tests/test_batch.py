"""Items stored in batches (crawler.pipelines.batch): one transaction for many, and a bad item fails alone."""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crawler.pipelines.batch import Batch
from crawler.text.dedup import content_hash
from storage.articles import ArticleData, store_article
from storage.db import session_scope
from storage.models import Article


def article(n: int, canonical: str | None = "") -> ArticleData:
    text = f"Report number {n}: Russian and Chinese warships held a joint patrol in the Pacific this week."
    url = f"http://127.0.0.1/a/{n}.html"
    return ArticleData(outlet="demo", url=url, canonical_url=url if canonical == "" else canonical,
                       title=f"Report {n}", text=text, content_hash=content_hash(text))


def submit_all(batch: Batch, values: list) -> list:
    async def run():
        return await asyncio.gather(*(batch.submit(v) for v in values), return_exceptions=True)
    return asyncio.run(run())


@pytest.mark.parametrize("in_thread", [False, True], ids=["inline", "store thread"])
def test_a_batch_stores_every_item_and_a_bad_one_fails_alone(engine, in_thread):
    batch = Batch(engine, store_article, size=10, delay=0.05, in_thread=in_thread)
    values = [article(1), article(2), article(3, canonical=None), article(4), article(5)]
    results = submit_all(batch, values)

    assert isinstance(results[2], IntegrityError)  # no canonical URL: the row cannot go in
    assert [r.status for i, r in enumerate(results) if i != 2] == ["new"] * 4
    with session_scope(engine) as session:
        titles = session.scalars(select(Article.title).order_by(Article.title)).all()
    assert titles == ["Report 1", "Report 2", "Report 4", "Report 5"]


def test_items_wait_for_a_full_batch_or_the_delay(engine):
    batch = Batch(engine, store_article, size=2, delay=30)
    results = submit_all(batch, [article(1), article(2)])  # a full batch goes at once, not after 30 s
    assert [r.status for r in results] == ["new", "new"]
    quick = Batch(engine, store_article, size=100, delay=0.05)
    [result] = submit_all(quick, [article(3)])  # alone, it goes after the delay
    assert result.status == "new" and result.article_id not in {r.article_id for r in results}


def test_the_loop_goes_on_while_a_batch_is_stored(engine):
    """With a store thread, a batch waiting on the database does not stop the crawl's event loop: here
    the store waits for something only the loop can do (with the batch stored inline, it never happens)."""
    loop_ran = threading.Event()

    def slow_store(session, value):
        assert loop_ran.wait(5), "the event loop stood still while the batch was stored"
        return store_article(session, value)

    batch = Batch(engine, slow_store, size=1, delay=0.05, in_thread=True)

    async def run():
        stored = asyncio.ensure_future(batch.submit(article(1)))
        await asyncio.sleep(0)      # the batch is full: it went to the store thread
        loop_ran.set()              # the loop is free to do other work meanwhile
        return await stored

    assert asyncio.run(run()).status == "new"
    batch.close()
