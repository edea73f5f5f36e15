"""Two workers storing copies of one story at the same moment make one story, not two (PostgreSQL: the
copy lookups of the second wait for the first's transaction, see storage.locks.store_locks)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from crawler.text.dedup import content_hash, signature_of
from storage.articles import ArticleData, StoreOptions, store_article
from storage.db import init_db, make_engine, session_scope
from storage.dedup import SqlLshIndex
from storage.models import Article, Story


TEXT = ("The navies of the two countries began a joint patrol in the western Pacific on Monday, the defence "
        "ministry said, with four destroyers, a supply ship and two anti-submarine helicopters taking part. "
        "Officials said the patrol would last ten days and pass through the strait on its way home.")
EDITED = TEXT.replace("Officials said", "A spokesman said").replace("ten days", "about ten days")


def copy(outlet: str, url: str, text: str) -> ArticleData:
    return ArticleData(outlet=outlet, url=url, canonical_url=url, title="Joint patrol", text=text,
                       content_hash=content_hash(text), minhash=signature_of(text, 128, 4))


def store_together(engine, first: ArticleData, second: ArticleData, options: StoreOptions):
    """`first` is stored and held uncommitted while `second` is stored from another connection; then
    both commit. Without a lock, the second cannot see the first and starts its own story."""
    stored_first, results = threading.Event(), {}

    def worker_a():
        with session_scope(engine) as session:
            results["a"] = store_article(session, first, options)
            stored_first.set()
            second_done.wait(1.5)  # the second is blocked on our lock (or, without one, already done)

    def worker_b():
        stored_first.wait(10)
        with session_scope(engine) as session:
            results["b"] = store_article(session, second, options)
        second_done.set()

    second_done = threading.Event()
    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results["a"], results["b"]


def long_report() -> str:
    """A long report of our own making: 600 words, so a copy cut to its first 130 shares few shingles."""
    import random
    rng = random.Random(12)
    words = ("navy destroyer patrol strait ministry exercise convoy frigate drill officials week harbour "
             "signal fleet escort radar coast command units joint western pacific vessels crews talks").split()
    return TEXT + " " + " ".join(rng.choice(words) for _ in range(560)) + "."


LONG = long_report()
CUT_SHORT = " ".join(LONG.split()[:130])  # a "Read more" copy: the same lead, a fifth of the text


@pytest.mark.postgres
@pytest.mark.parametrize("second_text", [TEXT, EDITED], ids=["exact copy", "near copy"])
def test_copies_stored_at_once_make_one_story(pg_url, second_text):
    engine = make_engine(pg_url)
    init_db(engine)
    options = StoreOptions(index=SqlLshIndex(0.5, 128))
    a, b = store_together(engine, copy("wire-a", "http://a.example/patrol", TEXT),
                          copy("wire-b", "http://b.example/patrol-copy", second_text), options)
    with session_scope(engine) as session:
        stories = session.scalar(select(func.count()).select_from(Story))
        copies = session.scalar(select(Story.copies))
        articles = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert articles == 2
    assert (a.status, b.status) == ("new", "new")
    assert b.story_id == a.story_id and b.copy_of == a.article_id
    assert stories == 1 and copies == 2


@pytest.mark.postgres
def test_a_copy_cut_short_stored_at_once_joins_the_story(pg_url):
    """The cut copy shares the full text's lead buckets, not its text buckets: the lead's band keys
    must be locked too, or the two stores pass each other and start two stories."""
    from storage.dedup import band_keys, decode, lead_sketch
    sketch = SqlLshIndex(0.5, 128)
    full, cut = copy("wire-a", "http://a.example/long", LONG), copy("wire-b", "http://b.example/short", CUT_SHORT)
    assert not set(band_keys(decode(full.minhash), sketch.bands, sketch.rows)) & \
        set(band_keys(decode(cut.minhash), sketch.bands, sketch.rows))  # only the lead can bring them together
    assert band_keys(lead_sketch(LONG), 8, 4) == band_keys(lead_sketch(CUT_SHORT), 8, 4)
    engine = make_engine(pg_url)
    init_db(engine)
    a, b = store_together(engine, full, cut, StoreOptions(index=sketch))
    with session_scope(engine) as session:
        stories = session.scalar(select(func.count()).select_from(Story))
    engine.dispose()
    assert b.story_id == a.story_id and b.copy_of == a.article_id and stories == 1


@pytest.mark.postgres
def test_one_url_stored_at_once_by_two_workers_is_one_article(pg_url):
    engine = make_engine(pg_url)
    init_db(engine)
    options = StoreOptions(index=SqlLshIndex(0.5, 128))
    same = copy("wire-a", "http://a.example/patrol", TEXT)
    a, b = store_together(engine, same, same, options)
    with session_scope(engine) as session:
        articles = session.scalar(select(func.count()).select_from(Article))
    engine.dispose()
    assert articles == 1 and (a.status, b.status) == ("new", "unchanged") and a.article_id == b.article_id


def test_the_known_band_layouts_are_datasketchs():
    from storage.dedup import KNOWN_LAYOUTS, optimal_layout
    for (threshold, num_perm), layout in KNOWN_LAYOUTS.items():
        assert optimal_layout(threshold, num_perm) == layout
