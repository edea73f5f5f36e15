"""Downloader middleware for change monitoring and link memory.

* Revisits (meta["revisit"], made by the spider from the revisit schedule) go out as conditional requests
  (If-None-Match / If-Modified-Since from the stored ETag / Last-Modified). Any answer moves the article's
  schedule on; a 304 ends there (the spider's callback ignores it: nothing to extract). 304s are recorded
  in batches of FLUSH_EVERY (a recheck answers thousands of them), other answers at once.
* Every answered article link is remembered (seen_urls), even when no article comes of it (404, PDF), so
  feeds and listings that repeat it for days do not make us fetch it again (written in batches of
  FLUSH_EVERY and at the end of the crawl; a link with no answer, e.g. a timeout, is tried again next
  time). The spider filters links in bulk before requesting them; `skip_seen` here catches single
  requests made elsewhere.
"""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from crawler.pipelines.store import revisit_schedule
from storage.articles import remember_links, seen_among
from storage.db import init_db, make_engine, session_scope
from storage.monitor import record_visit, record_visits


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class RevisitMiddleware:
    FLUSH_EVERY = 100

    def __init__(self, crawler):
        self.crawler = crawler
        self.engine = make_engine(crawler.settings.get("DRILLWATCH_DB"))
        self.schedule = revisit_schedule(crawler.settings)
        self.answered: list[str] = []
        self.not_modified: list[tuple] = []
        init_db(self.engine)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        meta = request.meta
        if meta.get("revisit"):
            for name, value in conditional_headers(meta.get("etag"), meta.get("last_modified")).items():
                request.headers.setdefault(name, value)
            return None
        if meta.get("article") and not meta.get("link_checked") and self.skip_seen(request.url):
            raise IgnoreRequest(f"already fetched: {request.url}")
        return None

    def process_response(self, request, response, spider=None):
        meta = request.meta
        if not meta.get("article") or response.status in (301, 302, 303, 307, 308):
            return response
        if meta.get("revisit"):
            visit = (meta["article_id"], response.status, datetime.now(timezone.utc), _header(response, b"ETag"),
                     _header(response, b"Last-Modified"))
            if response.status == 304:
                self.not_modified.append(visit)
                if len(self.not_modified) >= self.FLUSH_EVERY:
                    self.flush()
            else:
                with session_scope(self.engine) as session:
                    record_visit(session, *visit[:3], self.schedule, *visit[3:])
            self.crawler.stats.inc_value(f"drillwatch/revisits/{response.status}")
        else:
            self.answered += [*meta.get("redirect_urls", ()), request.url]
            if len(self.answered) >= self.FLUSH_EVERY:
                self.flush()
        return response

    def flush(self) -> None:
        visits, self.not_modified = self.not_modified, []
        if visits:
            with session_scope(self.engine) as session:
                record_visits(session, visits, self.schedule)
        urls, self.answered = self.answered, []
        if urls:
            with session_scope(self.engine) as session:
                remember_links(session, self.crawler.spider.outlet.name, urls)

    def skip_seen(self, url: str) -> bool:
        with session_scope(self.engine) as session:
            seen = bool(seen_among(session, [url]))
        if seen:
            self.crawler.stats.inc_value("drillwatch/links/already_seen")
        return seen

    def spider_closed(self, spider=None) -> None:
        self.flush()
        self.engine.dispose()
