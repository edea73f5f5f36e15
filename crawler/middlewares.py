"""Downloader middleware: article links already fetched on an earlier run are not fetched again."""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from sqlalchemy import select

from storage.db import init_db, make_engine, session_scope
from storage.models import SeenUrl


class SeenUrlMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.engine = make_engine(crawler.settings.get("DRILLWATCH_DB"))
        init_db(self.engine)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if not request.meta.get("article") or request.meta.get("revisit"):
            return None
        with session_scope(self.engine) as session:
            seen = session.scalar(select(SeenUrl.url).where(SeenUrl.url == request.url))
        if seen:
            self.crawler.stats.inc_value("drillwatch/links/already_seen")
            raise IgnoreRequest(f"already fetched: {request.url}")
        return None
