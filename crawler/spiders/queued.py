"""The outlet spider as a cluster worker: scrapy-redis's RedisMixin over OutletSpider.

Entry points come from the outlet's start-URL list in Redis (seeded by `drillwatch crawl --queue` or the
leader daemon) instead of the config; everything after that (feeds, sitemaps, listings, article pages,
pipelines) is the same spider. Seeds are JSON messages {"kind": feed|sitemap|listing|revisit, "url": ...}.
"""
from __future__ import annotations

import json
import time

from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.spiders import RedisMixin

from config.schema import Outlet
from crawler.cluster import MARK, Keys, done
from crawler.spiders.outlet import OutletSpider, spider_class_for
from storage.monitor import Revisit


def queued_spider_class_for(outlet: Outlet) -> type["QueuedOutletSpider"]:
    base = spider_class_for(outlet)
    return type(base.__name__.replace("Spider", "QueuedSpider"), (QueuedOutletSpider, base), {})


class QueuedOutletSpider(RedisMixin, OutletSpider):
    idle_since: float = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        spider.idle_since = time.monotonic()
        spider.keys = Keys(crawler.settings.get("DRILLWATCH_REDIS_PREFIX"))
        return spider

    async def start(self):
        """Nothing from the config: seeds are read when the spider is idle (RedisMixin.spider_idle),
        in one batch straight into the shared queue."""
        return
        yield  # an async generator that yields nothing

    def make_request_from_data(self, data: bytes):
        try:
            seed = json.loads(data)
        except ValueError:
            self.logger.warning("[%s] a seed that is not JSON was skipped: %r", self.outlet.name, data[:200])
            return []
        kind, url = seed.get("kind"), seed.get("url")
        if kind == "feed":
            return Request(url, callback=self.parse_feed, errback=self.on_error, dont_filter=True, meta={"kind": kind})
        if kind == "sitemap":
            return Request(url, callback=self.parse_sitemap, errback=self.on_error, dont_filter=True,
                           meta={"kind": kind})
        if kind == "listing":
            listing = next((li for li in self.outlet.listings if li.url == url), None)
            if listing is not None:
                return Request(url, callback=self.parse_listing, errback=self.on_error, dont_filter=True,
                               meta={"kind": kind, "listing": listing})
        if kind == "revisit":
            return self.revisit_request(Revisit(seed["article_id"], url, seed.get("etag"), seed.get("last_modified")))
        self.logger.warning("[%s] seed not understood (no longer configured?): %s", self.outlet.name, seed)
        return []

    def on_error(self, failure) -> None:
        super().on_error(failure)
        mark = failure.request.meta.get(MARK)
        if mark:  # an errback yields nothing: the request is done
            done(self.server, mark)

    def spider_idle(self):
        """Stay open while the outlet has work anywhere in the cluster; with MAX_IDLE_TIME_BEFORE_CLOSE,
        close after that many seconds of none (no seed, nothing queued, nothing in flight)."""
        if self._cluster_busy():
            self.idle_since = time.monotonic()
        self.schedule_next_requests()
        if self.max_idle_time and time.monotonic() - self.idle_since >= self.max_idle_time:
            return
        raise DontCloseSpider

    def _cluster_busy(self) -> bool:
        name, mine = self.name, self.keys.inflight(self.name, self.settings.get("DRILLWATCH_WORKER_ID")).encode()
        return bool(self.server.llen(self.keys.start_urls(name)) or self.server.zcard(self.keys.requests(name))
                    or any(self.server.hlen(k) for k in self.server.scan_iter(match=self.keys.inflight(name), count=500)
                           if k != mine))
