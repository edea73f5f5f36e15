"""Run crawls in this process (one Twisted reactor, so once per process).

`python -m crawler.run OUTLET... [--config DIR] [--db URL] [--trigger T]` is what the daemon starts as a
subprocess for each scheduled crawl.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from config.load import ENV_CONFIG, load_outlets
from storage.db import ENV_DB, database_url


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
    process.start()
    return [c.stats.get_value("drillwatch/run_id") for c in crawlers if c.stats.get_value("drillwatch/run_id")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument("outlets", nargs="*")
    parser.add_argument("--config")
    parser.add_argument("--db")
    parser.add_argument("--trigger", default="manual")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--recheck", action="store_true", help="revisit every stored article of the outlets now")
    args = parser.parse_args(argv)
    run_ids = crawl(args.outlets, config=args.config, db=args.db, trigger=args.trigger, log_level=args.log_level,
                    overrides=RECHECK_SETTINGS if args.recheck else None)
    print(" ".join(map(str, run_ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
