"""Run crawls in this process (one Twisted reactor, so once per process).

`python -m crawler.run OUTLET... [--config DIR] [--db URL] [--trigger T]` is what the daemon starts as a
subprocess for each scheduled crawl.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from config.load import ENV_CONFIG, load_outlets
from storage.db import ENV_DB, StorageError, database_url


class RunsNotRecorded(StorageError):
    """Some outlets were not crawled (or their runs not closed) because the database refused the run."""

    def __init__(self, run_ids: list[int], problems: dict[str, str]):
        self.run_ids, self.problems = run_ids, problems
        super().__init__("; ".join(f"crawl of {name}: {why}" for name, why in problems.items()))


def crawler_settings(config: str | None = None, db: str | None = None, trigger: str = "manual",
                     log_level: str | None = None, overrides: dict | None = None) -> Settings:
    # crawler.settings reads the environment at import: set it first so Scrapy and we agree.
    if config:
        os.environ[ENV_CONFIG] = str(config)
    os.environ[ENV_DB] = database_url(db)
    import crawler.settings as module
    importlib.reload(module)
    settings = Settings()
    settings.setmodule(module, priority="project")
    settings.set("DRILLWATCH_TRIGGER", trigger, priority="cmdline")
    if log_level:
        settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", log_level is not None, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


# a forced recheck: every stored article is due now, and the page budget does not cut it short
RECHECK_SETTINGS = {"DRILLWATCH_RECHECK": True, "CLOSESPIDER_PAGECOUNT": 0}


def crawl(names: list[str] | None = None, *, config: str | None = None, db: str | None = None,
          trigger: str = "manual", log_level: str | None = None, overrides: dict | None = None,
          observe=None) -> list[int]:
    """Crawl the named (default: all enabled) outlets once, concurrently; return the crawl-run ids.

    `observe(crawler)` is called for each crawler before it starts (progress displays, benchmarks)."""
    settings = crawler_settings(config, db, trigger, log_level, overrides)
    outlets = load_outlets(settings.get("DRILLWATCH_CONFIG"))
    names = names or [o.name for o in outlets if o.enabled]
    process = CrawlerProcess(settings)
    crawlers = []
    for name in names:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        if observe:
            observe(crawler)
        process.crawl(crawler)
    settle_garbage_collector()
    process.start()
    run_ids = [c.stats.get_value("drillwatch/run_id") for c in crawlers if c.stats.get_value("drillwatch/run_id")]
    problems = {c.spidercls.name: _not_recorded(c.stats) for c in crawlers
                if not c.stats.get_value("drillwatch/run_id") or c.stats.get_value("drillwatch/run_error")}
    if problems:
        raise RunsNotRecorded(run_ids, problems)
    return run_ids


# Scrapy, Twisted and SQLAlchemy make many short-lived containers: with Python's default threshold (700)
# the cyclic collector ran about 750 times in a 1,000-page crawl, 1.2 s of CPU (a tenth of the crawl
# process's), most of it walking objects that live as long as the process; frozen and collected less
# often, 86 runs and 0.36 s. Reference counting frees the pages and items as before.
GC_THRESHOLD = (10_000, 20, 20)


def settle_garbage_collector() -> None:
    """Once the crawlers are built (a crawl process runs one reactor, once): what exists now lives until
    the process ends, so the collector stops walking it (gc.freeze), and collects young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def _not_recorded(stats) -> str:
    error = stats.get_value("drillwatch/run_error")
    if not stats.get_value("drillwatch/run_id"):
        return f"not started, its run could not be recorded: {error or 'see the log above'}"
    return f"its run could not be closed: {error}"


ENGINE_HEARTBEAT = 0.5  # seconds


def work(names: list[str] | None = None, *, redis_url: str, prefix: str, config: str | None = None,
         db: str | None = None, idle_exit: float = 0, heartbeat: int = 10, log_level: str | None = None,
         observe=None, worker: str | None = None) -> list[int]:
    """Be a cluster worker for the named (default: all enabled) outlets: take requests from the shared
    Redis queue until stopped, or until `idle_exit` seconds with no work anywhere; return the run ids."""
    import redis

    from crawler.cluster import Keys, Presence, new_worker_id, scrapy_settings

    # An idle engine asks its scheduler for requests once per heartbeat, 5 s in Scrapy (no setting): on a
    # shared queue that other workers fill, that is 5 s of idling per wake-up.
    from scrapy.core.engine import ExecutionEngine
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = ENGINE_HEARTBEAT

    worker = worker or new_worker_id()
    server = redis.Redis.from_url(redis_url)
    server.ping()  # an unreachable Redis fails here, before a crawler starts
    outlets = load_outlets(config)
    names = names or [o.name for o in outlets if o.enabled]
    presence = Presence(server, Keys(prefix), worker, names, heartbeat, on_beat=close_dead_runs(db)).start()
    try:
        return crawl(names, config=config, db=db, trigger="worker", log_level=log_level, observe=observe,
                     overrides=scrapy_settings(redis_url, prefix, worker, idle_exit, heartbeat))
    finally:
        presence.close()


def close_dead_runs(db: str | None):
    """At each heartbeat: runs left open by workers whose heartbeat expired are closed as killed."""
    from storage import runs
    from storage.db import make_engine, session_scope

    engine = make_engine(db)

    def sweep(presence) -> None:
        with session_scope(engine) as session:
            for run in runs.open_worker_runs(session):
                if not presence.alive(run.worker):
                    runs.mark_abandoned(session, run.id, "killed", f"worker {run.worker} stopped beating (killed?); "
                                        "its requests went back to the queue")
    return sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument("outlets", nargs="*")
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--trigger", default="manual")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--recheck", action="store_true", help="revisit every stored article of the outlets now")
    args = parser.parse_args(argv)
    try:
        run_ids = crawl(args.outlets, config=args.config, db=args.db, trigger=args.trigger,
                        log_level=args.log_level,
                        overrides=RECHECK_SETTINGS if args.recheck else None)
    except RunsNotRecorded as exc:
        print(" ".join(map(str, exc.run_ids)))
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(" ".join(map(str, run_ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
