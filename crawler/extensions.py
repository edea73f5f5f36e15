"""Crawl-run recording through Scrapy signals: a run row at spider_opened, errors as they happen,
counts at spider_closed. A run that never closes (killed process) is closed later by the daemon."""
from __future__ import annotations

import os

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.signals import page_error
from storage import runs
from storage.db import init_db, make_engine, session_scope

OK_REASONS = {"finished", "closespider_pagecount", "closespider_itemcount"}


class RunRecorder:
    def __init__(self, crawler, db_url: str, trigger: str):
        self.crawler, self.trigger = crawler, trigger
        self.engine = make_engine(db_url)
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.page_error, signal=page_error)

    @classmethod
    def from_crawler(cls, crawler):
        db_url = crawler.settings.get("DRILLWATCH_DB")
        if not db_url:
            raise NotConfigured("DRILLWATCH_DB is not set")
        return cls(crawler, db_url, crawler.settings.get("DRILLWATCH_TRIGGER", "manual"))

    def spider_opened(self, spider) -> None:
        init_db(self.engine)
        with session_scope(self.engine) as session:
            self.run_id = runs.start_run(session, spider.name, self.trigger, os.getpid(),
                                         worker=self.crawler.settings.get("DRILLWATCH_WORKER_ID")).id
        self.crawler.stats.set_value("drillwatch/run_id", self.run_id)

    def page_error(self, spider, url: str, kind: str, message: str) -> None:
        with session_scope(self.engine) as session:
            runs.add_error(session, self.run_id, spider.name, url, kind, message)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        with session_scope(self.engine) as session:
            runs.finish_run(session, self.run_id, run_status(reason, counts, stats), counts,
                            finish_reason=reason, stats=_jsonable(stats))
        self.engine.dispose()


def run_counts(stats: dict) -> dict:
    errors = sum(v for k, v in stats.items() if k.startswith("drillwatch/errors/"))
    return {
        "pages_fetched": stats.get("downloader/response_count", 0),
        "articles_new": stats.get("drillwatch/articles/new", 0),
        "articles_updated": stats.get("drillwatch/articles/updated", 0),
        "articles_unchanged": stats.get("drillwatch/articles/unchanged", 0),
        "items_dropped": stats.get("item_dropped_count", 0),
        "errors": errors,
    }


def run_status(reason: str, counts: dict, stats: dict) -> str:
    if reason == "shutdown":
        return "interrupted"
    if reason not in OK_REASONS:
        return "failed"
    # A dead outlet: not one feed, sitemap or listing could be used, and something went wrong.
    return "failed" if counts["errors"] and not stats.get("drillwatch/entry_points_ok") else "ok"


def _jsonable(stats: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
