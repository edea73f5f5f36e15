"""Storage stage: plain values to storage.articles (identity URL, fingerprint, MinHash signature), the
pure meaningful-change test passed in, line counts for boilerplate learning, and the page's exercise
mentions (crawler.pipelines.exercises), all in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, partial

from sqlalchemy.orm import Session

from crawler.items import PageItem
from crawler.pipelines.base import DatabaseStage
from crawler.pipelines.batch import Batch
from crawler.pipelines.exercises import ExerciseRecorder, needs_recording
from crawler.text.dates import choose_published
from crawler.text.dedup import compare_versions, content_hash, signature_of
from crawler.text.urls import identity_url
from storage.articles import ArticleData, StoreOptions, StoreResult, store_article
from storage.boilerplate import count_lines
from storage.dedup import index_name, make_index
from storage.exercises import RecordResult
from storage.monitor import RevisitSchedule


def revisit_schedule(settings) -> RevisitSchedule:
    return RevisitSchedule(min_interval=timedelta(seconds=settings.getint("DRILLWATCH_REVISIT_MIN", 3600)),
                           max_interval=timedelta(seconds=settings.getint("DRILLWATCH_REVISIT_MAX", 7 * 86400)),
                           factor=settings.getfloat("DRILLWATCH_REVISIT_FACTOR", 0.25),
                           max_age=timedelta(seconds=settings.getint("DRILLWATCH_MAX_AGE", 30 * 86400)))


def store_options(settings) -> StoreOptions:
    threshold = settings.getfloat("DRILLWATCH_NEAR_DUPLICATE", 0.5)
    index = make_index(settings.get("DRILLWATCH_LSH", "sql"), threshold, settings.getint("DRILLWATCH_NUM_PERM", 128),
                       settings.get("DRILLWATCH_LSH_NAME") or index_name(settings.get("DRILLWATCH_DB")))
    compare = partial(compare_versions, large_edit=settings.getfloat("DRILLWATCH_LARGE_EDIT", 0.2))
    return StoreOptions(index=index, compare=compare, schedule=revisit_schedule(settings))


@dataclass
class Stored:
    article: StoreResult
    mentions: RecordResult | None = None  # None: the page had no mentions to record


class StorePipeline(DatabaseStage):
    """Items are stored in batches (crawler.pipelines.batch): one transaction per up to
    DRILLWATCH_STORE_BATCH items or DRILLWATCH_STORE_DELAY seconds, whichever comes first; on
    PostgreSQL on a store thread of their own. An article and its exercise mentions are stored in the
    same transaction: either both are kept or neither (the page is then fetched again next crawl)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.num_perm = crawler.settings.getint("DRILLWATCH_NUM_PERM", 128)
        self.shingle_words = crawler.settings.getint("DRILLWATCH_SHINGLE_WORDS", 4)
        self.batch = Batch(self.engine, self.store, crawler.settings.getint("DRILLWATCH_STORE_BATCH", 50),
                           crawler.settings.getfloat("DRILLWATCH_STORE_DELAY", 0.2),
                           # a server database: batches wait on round trips, which a store thread overlaps
                           # with fetching; SQLite works in-process, where a thread only contends for the GIL
                           in_thread=self.engine.dialect.name != "sqlite")
        self.exercises = ExerciseRecorder(crawler.settings.get("DRILLWATCH_CONFIG"))

    def open_spider(self, spider=None) -> None:
        merged = self.exercises.merge(self.engine)
        if merged:
            self.crawler.stats.inc_value("drillwatch/exercises/merged", merged)

    @cached_property
    def options(self) -> StoreOptions:
        """Built on the first item: a crawl that finds nothing new never loads the LSH machinery."""
        return store_options(self.crawler.settings)

    def store(self, session: Session, item: PageItem) -> Stored:
        result = store_article(session, to_article_data(item, self.num_perm, self.shingle_words), self.options)
        if result.status == "new":
            # keys of the lines before template removal: a template line keeps being counted
            count_lines(session, item.outlet, item.article.line_keys)
        if not needs_recording(item, result.status):
            return Stored(result)
        return Stored(result, self.exercises.record(session, item, result.article_id, result.status))

    def close_spider(self, spider=None) -> None:
        self.batch.close()
        super().close_spider(spider)

    async def process_item(self, item: PageItem, spider=None) -> PageItem:
        stored = await self.batch.submit(item)
        result = stored.article
        item.article_id, item.store_status = result.article_id, result.status
        stats = self.crawler.stats
        if stored.mentions is not None:
            stats.inc_value("drillwatch/mentions", stored.mentions.mentions)
            stats.inc_value("drillwatch/alerts/new", len(stored.mentions.alerts))
        stats.inc_value(f"drillwatch/articles/{result.status}")
        if result.copy_of is not None:
            stats.inc_value("drillwatch/articles/copies_" + ("exact" if result.similarity == 1.0 else "near"))
        if result.large_edit or result.title_changed:
            stats.inc_value("drillwatch/articles/" + ("large_edits" if result.large_edit else "title_changes"))
        return item


def to_article_data(item: PageItem, num_perm: int = 128, shingle_words: int = 4) -> ArticleData:
    article, relevance = item.article, item.relevance
    date = choose_published(article.published, article.published_source, item.hint_published, item.fetched_at)
    return ArticleData(
        outlet=item.outlet, url=item.url, final_url=item.final_url,
        canonical_url=item.identity_url or identity_url(article.canonical_url, item.final_url),
        title=article.title or item.hint_title,
        text=article.text, content_hash=item.content_hash or content_hash(article.text), fetched_at=item.fetched_at,
        author=article.author or item.hint_author, agency=article.agency, site_name=article.site_name,
        description=article.description, language=article.language,
        published_at=date.published, published_source=date.source, published_note=date.note, etag=item.etag, last_modified=item.last_modified,
        relevant=bool(relevance and relevance.relevant), relevance_score=relevance.score if relevance else 0.0,
        minhash=item.signature or signature_of(article.text, num_perm, shingle_words),
        # given with the worker's signature only (a signature computed here gets the store's own lead)
        lead_minhash=item.lead_signature if item.signature else None, shingles=item.shingles)
