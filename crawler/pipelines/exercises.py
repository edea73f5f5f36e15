"""Exercise stage: mentions found by the analysis stage are stored; new instances raise alerts
(storage.exercises). Delivery of those alerts happens after the crawl (scheduler.alerts)."""
from __future__ import annotations

import logging
from dataclasses import fields
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.load import load_gazetteer
from crawler.items import PageItem
from crawler.pipelines.base import DatabaseStage
from crawler.pipelines.batch import Batch
from storage.db import session_scope
from storage.exercises import MentionData, RecordResult, merge_discovered, record_mentions

if TYPE_CHECKING:
    from config.gazetteer import Gazetteer
    from crawler.text.exercises import Mention

log = logging.getLogger(__name__)
MENTION_FIELDS = tuple(f.name for f in fields(MentionData))


def to_mention_data(mention: Mention) -> MentionData:
    return MentionData(**{name: getattr(mention, name) for name in MENTION_FIELDS})


def gazetteer_facts(gazetteer: Gazetteer, key: str) -> dict | None:
    instance = gazetteer.get_instance(key)
    if instance is None:
        return None
    return {"name": instance.name, "series": instance.series, "year": instance.year, "ordinal": instance.ordinal,
            "start": instance.start, "end": instance.end, "places": list(instance.places),
            "participants": list(instance.participants)}


class ExercisePipeline(DatabaseStage):
    """One gazetteer per crawl, loaded when first needed (most crawls store no mention); discovered
    instances it now knows are merged when the crawl opens. Pages with mentions are recorded in batches
    (crawler.pipelines.batch), as the store stage stores them: one transaction, not one commit per page."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.batch = Batch(self.engine, self.record, crawler.settings.getint("DRILLWATCH_STORE_BATCH", 50),
                           crawler.settings.getfloat("DRILLWATCH_STORE_DELAY", 0.2),
                           in_thread=self.engine.dialect.name != "sqlite")

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return load_gazetteer(self.crawler.settings.get("DRILLWATCH_CONFIG"))

    def resolve(self, name: str, year: int | None) -> str | None:
        from crawler.text.names import resolve_discovered  # not the detectors: only names are compared

        return resolve_discovered(name, year, self.gazetteer)

    def describe(self, key: str) -> dict | None:
        return gazetteer_facts(self.gazetteer, key)

    def open_spider(self, spider=None) -> None:
        try:
            with session_scope(self.engine) as session:
                merged = merge_discovered(session, self.resolve, self.describe)
        except IntegrityError as exc:  # another crawl merged the same instance just now; next crawl retries
            log.warning("merging discovered exercises skipped: %s", exc.orig)
            return
        if merged:
            self.crawler.stats.inc_value("drillwatch/exercises/merged", len(merged))

    def record(self, session: Session, item: PageItem) -> RecordResult:
        return record_mentions(session, item.article_id, [to_mention_data(m) for m in item.mentions],
                               describe=self.describe, fresh=item.store_status == "new")

    def close_spider(self, spider=None) -> None:
        self.batch.close()
        super().close_spider(spider)

    async def process_item(self, item: PageItem, spider=None) -> PageItem:
        if item.article_id is None or item.article is None:
            return item
        relevant = bool(item.relevance and item.relevance.relevant)
        if item.store_status == "unchanged" or (not relevant and item.store_status == "new"):
            return item  # mentions already stored, or nothing stored to clear
        result = await self.batch.submit(item)
        stats = self.crawler.stats
        stats.inc_value("drillwatch/mentions", result.mentions)
        stats.inc_value("drillwatch/alerts/new", len(result.alerts))
        return item
