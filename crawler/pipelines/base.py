"""Shared wiring for pipeline stages that touch the database."""
from __future__ import annotations

from storage.db import make_engine


class DatabaseStage:
    """One engine per crawl, built from DRILLWATCH_DB."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.engine = make_engine(crawler.settings.get("DRILLWATCH_DB"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def close_spider(self, spider=None) -> None:
        self.engine.dispose()
