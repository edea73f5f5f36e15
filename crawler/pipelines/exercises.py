"""Exercise mentions found by the analysis stage are stored; new instances raise alerts
(storage.exercises). The store stage records them in the transaction that stores their article
(crawler.pipelines.store): stored apart, a crawl killed between the two commits, or a database fault while
recording, would leave the article without its mentions for good, since the next crawl finds the page
unchanged and skips it. Delivery of the alerts happens after the crawl (scheduler.alerts)."""
from __future__ import annotations

import logging
from dataclasses import fields
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.load import load_gazetteer
from crawler.items import PageItem
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


def needs_recording(item: PageItem, status: str) -> bool:
    """Whether a page just stored with `status` has mentions to (re)record: an unchanged page has them
    stored already, and a new page without mentions, or off topic, has none to store or clear."""
    if status == "new":
        return bool(item.mentions) and bool(item.relevance and item.relevance.relevant)
    return status != "unchanged"


class ExerciseRecorder:
    """One gazetteer per crawl, loaded when first needed (most crawls store no mention); discovered
    instances it now knows are merged when the crawl opens (`merge`)."""

    def __init__(self, config_dir: str | None):
        self.config_dir = config_dir

    @cached_property
    def gazetteer(self) -> Gazetteer:
        return load_gazetteer(self.config_dir)

    def resolve(self, name: str, year: int | None) -> str | None:
        from crawler.text.names import resolve_discovered  # not the detectors: only names are compared

        return resolve_discovered(name, year, self.gazetteer)

    def describe(self, key: str) -> dict | None:
        return gazetteer_facts(self.gazetteer, key)

    def merge(self, engine: Engine) -> int:
        """Merge the discovered instances the gazetteer now knows; how many were merged."""
        try:
            with session_scope(engine) as session:
                return len(merge_discovered(session, self.resolve, self.describe))
        except IntegrityError as exc:  # another crawl merged the same instance just now; next crawl retries
            log.warning("merging discovered exercises skipped: %s", exc.orig)
            return 0

    def record(self, session: Session, item: PageItem, article_id: int, status: str) -> RecordResult:
        return record_mentions(session, article_id, [to_mention_data(m) for m in item.mentions],
                               describe=self.describe, fresh=status == "new")
