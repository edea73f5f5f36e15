"""Crawl-run recording through Scrapy signals: a run row at spider_opened, errors as they happen,
counts at spider_closed and, while the crawl runs, at most every CHECKPOINT seconds. A run that never
closes (its process was killed) is closed as `killed`, with its last counts, when the next crawl on this
host starts (or by the daemon that started it)."""
from __future__ import annotations

import logging
import os
import socket
import time

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.signals import page_error
from storage import runs
from storage.db import StorageError, init_db, make_engine, session_scope

OK_REASONS = {"finished", "closespider_pagecount", "closespider_itemcount"}
CHECKPOINT = 2.0  # seconds between count updates of an open run
log = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler, db_url: str, trigger: str):
        self.crawler, self.trigger = crawler, trigger
        self.engine = make_engine(db_url)
        self.run_id: int | None = None
        self.pending: list[tuple] = []  # errors the database refused (locked): written with the next ones
        self.last_checkpoint = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.page_error, signal=page_error)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        for progress in (signals.item_scraped, signals.item_dropped, signals.response_received):
            crawler.signals.connect(self.progressed, signal=progress)

    @classmethod
    def from_crawler(cls, crawler):
        db_url = crawler.settings.get("DRILLWATCH_DB")
        if not db_url:
            raise NotConfigured("DRILLWATCH_DB is not set")
        return cls(crawler, db_url, crawler.settings.get("DRILLWATCH_TRIGGER", "manual"))

    def spider_opened(self, spider) -> None:
        """No crawl without its run row: if the database refuses it (locked), the spider is closed at once
        and crawler.run.crawl reports the outlet as not crawled."""
        host = socket.gethostname()
        try:
            init_db(self.engine)
            with session_scope(self.engine) as session:
                for run in runs.close_dead_runs(session, host, process_alive):
                    log.warning("run %d of %s (pid %s) was left open by a crawl process that is gone; closed "
                                "as killed", run.id, run.outlet, run.pid)
                self.run_id = runs.start_run(session, spider.name, self.trigger, os.getpid(), host,
                                             worker=self.crawler.settings.get("DRILLWATCH_WORKER_ID")).id
        except StorageError as exc:
            self.crawler.stats.set_value("drillwatch/run_error", str(exc))
            log.error("[%s] crawl not started, its run could not be recorded: %s", spider.name, exc)
            raise CloseSpider("run_not_recorded") from None
        self.crawler.stats.set_value("drillwatch/run_id", self.run_id)
        self.crawler.stats.set_value("drillwatch/host", host)

    def progressed(self, *_args, **_kwargs) -> None:
        """Keep the open run's counts current, so a crawl killed outright leaves them behind."""
        now = time.monotonic()
        if self.run_id is None or now - self.last_checkpoint < CHECKPOINT:
            return
        self.last_checkpoint = now
        try:
            with session_scope(self.engine) as session:
                runs.checkpoint(session, self.run_id, run_counts(self.crawler.stats.get_stats()))
        except StorageError:
            pass  # the next checkpoint or the close writes them

    def page_error(self, spider, url: str, kind: str, message: str) -> None:
        """Every error of the run goes through here: counted (the run's error count and its error rows
        agree), one line on stderr, one row."""
        self.crawler.stats.inc_value(f"drillwatch/errors/{kind}")
        log.warning("[%s] %s: %s (%s)", spider.name, kind, message, url)
        if self.run_id is not None:
            self.pending.append((spider.name, url, kind, message))
            self.write_errors()

    def write_errors(self) -> bool:
        try:
            with session_scope(self.engine) as session:
                for error in self.pending:
                    runs.add_error(session, self.run_id, *error)
        except StorageError as exc:
            log.warning("%d error(s) of run %d kept for later: %s", len(self.pending), self.run_id, exc)
            return False
        self.pending = []
        return True

    def spider_error(self, failure, response, spider) -> None:
        """A callback raised: the rest of that page is lost, the crawl goes on."""
        self.crawler.signals.send_catch_log(page_error, spider=spider, url=response.url, kind="callback_error",
                                            message=f"could not process the page: {_describe(failure)}")

    def item_error(self, item, response, spider, failure) -> None:
        """A pipeline stage raised on an item (e.g. the database refused the write)."""
        stored = isinstance(failure.value, StorageError)
        self.crawler.signals.send_catch_log(
            page_error, spider=spider, url=getattr(item, "url", None) or (response.url if response else None),
            kind="store_failed" if stored else "item_error",
            message=f"{'not stored' if stored else 'not processed'}: {_describe(failure)}")

    def spider_closed(self, spider, reason: str) -> None:
        if self.run_id is None:
            self.engine.dispose()
            return
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        try:
            with session_scope(self.engine) as session:
                for error in self.pending:
                    runs.add_error(session, self.run_id, *error)
                runs.finish_run(session, self.run_id, run_status(reason, counts, stats), counts,
                                finish_reason=reason, stats=_jsonable(stats))
        except StorageError as exc:
            self.crawler.stats.set_value("drillwatch/run_error", str(exc))
            log.error("[%s] run %d could not be closed (the next crawl closes it as killed): %s",
                      spider.name, self.run_id, exc)
        finally:
            self.engine.dispose()


def _describe(failure) -> str:
    text = str(failure.value).strip().splitlines()
    return f"{failure.type.__name__}: {text[0]}" if text else failure.type.__name__


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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
