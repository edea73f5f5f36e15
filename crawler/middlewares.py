"""Downloader middlewares: where an outlet may go (OriginOffsiteMiddleware), change monitoring and link
memory (RevisitMiddleware).

* Offsite: Scrapy's OffsiteMiddleware matches host names only; ours matches scheme, host and port as the
  outlet's `domains` say (crawler.origins) and refuses every scheme but http(s), for each request and
  redirect before it is downloaded.

* Revisits (meta["revisit"], made by the spider from the revisit schedule) go out as conditional requests
  (If-None-Match / If-Modified-Since from the stored ETag / Last-Modified). Any answer moves the article's
  schedule on; a 304 ends there (the spider's callback ignores it: nothing to extract). 304s are recorded
  in batches of FLUSH_EVERY (a recheck answers thousands of them), other answers at once.
* An article link is remembered (seen_urls) only once its outcome is committed: a stored article's links
  by the store, in the article's own transaction; a final verdict without an article (no article text,
  not HTML, 404, too large: the link_settled signal) here, in batches of FLUSH_EVERY and at the end of
  the crawl. So feeds and listings that repeat a link for days do not make us fetch it again, while a
  crawl killed mid-way (SIGKILL) leaves nothing marked seen that was not settled: the next crawl fetches
  what was in flight. A link with no answer (a timeout) is tried again next time. The spider filters
  links in bulk before requesting them; `skip_seen` here catches single requests made elsewhere.
"""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.pipelines.store import revisit_schedule
from crawler.signals import link_settled
from storage.articles import remember_links, seen_among
from storage.db import init_db, make_engine, session_scope
from storage.monitor import record_visit, record_visits


class OriginOffsiteMiddleware(OffsiteMiddleware):
    def should_follow(self, request, spider) -> bool:
        allows = getattr(spider, "allows", None)
        return allows(request.url) if allows else super().should_follow(request, spider)


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
        self.settled: list[str] = []
        self.not_modified: list[tuple] = []
        init_db(self.engine)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.link_settled, signal=link_settled)

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
        return response

    def link_settled(self, urls, spider=None) -> None:
        self.settled += [u for u in urls if u]
        if len(self.settled) >= self.FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        visits, self.not_modified = self.not_modified, []
        if visits:
            with session_scope(self.engine) as session:
                record_visits(session, visits, self.schedule)
        urls, self.settled = self.settled, []
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
