"""What keeps `drillwatch crawl --recheck` cheap: a page answered 304 costs Scrapy's handling of the
response and a batched schedule update, nothing more. The crawl process loads no extraction or detection
code and starts no analysis process unless a page needs analysing, runs no remote-control server, and
Scrapy does not parse our callbacks' source for every response."""
from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from crawler.settings import EXTENSIONS_BASE
from crawler.spiders.outlet import OutletSpider
from crawler.spiders.queued import QueuedOutletSpider
from tests.conftest import ROOT, crawl_demo

RECHECK_IN_A_PROCESS = """
import json, sys
from multiprocessing import resource_tracker
from crawler.run import RECHECK_SETTINGS, crawl

crawl(["spacewar"], config=sys.argv[1], db=sys.argv[2], log_level="ERROR", overrides=RECHECK_SETTINGS)
heavy = ["trafilatura", "crawler.text.analyse", "crawler.text.relevance", "crawler.text.exercises", "alembic",
         "aiohttp", "scrapy.extensions.remote_control"]
print(json.dumps({"loaded": [name for name in heavy if name in sys.modules],
                  # a process pool starts multiprocessing's resource tracker process when it is made
                  "tracker_started": resource_tracker._resource_tracker._fd is not None}))
"""


@pytest.mark.parametrize("spider", [OutletSpider, QueuedOutletSpider])
def test_no_callback_is_a_generator_returning_a_value(spider):
    """Scrapy's WARN_ON_GENERATOR_RETURN_VALUE check is off (crawler/settings.py): it re-parsed a callback's
    source for every response. This is the check it made, once, for every method of our spiders."""
    methods = [name for name, member in inspect.getmembers(spider, inspect.isfunction)
               if inspect.isgeneratorfunction(member) and member.__module__.startswith("crawler.")]
    assert {"parse_feed", "parse_sitemap", "parse_listing", "parse_article"} <= set(methods)
    assert [name for name in methods if is_generator_with_return_value(getattr(spider, name))] == []


def test_crawls_run_no_remote_control_server():
    assert "scrapy.extensions.remote_control.RemoteControl" not in EXTENSIONS_BASE
    assert "scrapy.extensions.corestats.CoreStats" in EXTENSIONS_BASE  # the rest of Scrapy's defaults stay


@pytest.mark.slow
def test_a_recheck_answered_304_loads_no_analysis_code_and_starts_no_analysis_process(sqlite_url, demo_server):
    from config import DEMO_DIR

    [row] = json.loads(crawl_demo(sqlite_url, demo_server, "spacewar").stdout)
    assert row["new"] >= 2
    demo_server.clear_requests()
    proc = subprocess.run([sys.executable, "-c", RECHECK_IN_A_PROCESS, str(DEMO_DIR), sqlite_url], cwd=ROOT,
                          capture_output=True, text=True, timeout=180,
                          env={**__import__("os").environ, "DRILLWATCH_DEMO_URL": demo_server.url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the demo's /_slow/ link times out in the first crawl and is never stored; its answer, sent when the
    # server's sleep ends, may land in the request log during the recheck
    answers = [status for _method, path, status in demo_server.requests
               if "/reports/" in path and "/_slow/" not in path]
    assert answers and set(answers) == {304}, [r for r in demo_server.requests if r[2] != 304]  # every stored article rechecked, none changed
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"loaded": [], "tracker_started": False}


ITEMS_PER_RESPONSE = """
import json, sys
from scrapy import signals
from crawler.run import RECHECK_SETTINGS, crawl

seen = {}


def observe(crawler):
    def opened(spider):  # what the running scraper uses, once the crawler's settings are final
        seen[spider.name] = crawler.engine.scraper.concurrent_items
    observe.keep.append(opened)
    crawler.signals.connect(opened, signal=signals.spider_opened)


observe.keep = []
crawl(["spacewar", "artifex"], config=sys.argv[1], db=sys.argv[2], log_level="ERROR", observe=observe,
      overrides=RECHECK_SETTINGS if sys.argv[3] == "recheck" else None)
print(json.dumps(seen))
"""


def items_per_response(sqlite_url, demo_server, mode: str) -> dict:
    from config import DEMO_DIR

    proc = subprocess.run([sys.executable, "-c", ITEMS_PER_RESPONSE, str(DEMO_DIR), sqlite_url, mode], cwd=ROOT,
                          capture_output=True, text=True, timeout=180,
                          env={**__import__("os").environ, "DRILLWATCH_DEMO_URL": demo_server.url})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_recheck_handles_a_response_with_one_item_task_unless_the_outlet_reads_full_content_feeds(
        sqlite_url, demo_server):
    """Scrapy starts CONCURRENT_ITEMS tasks for every response: on a recheck, one for a page outlet (its 304s
    yield nothing, its pages one item), the usual number for a full-content feed (one response, many items
    stored in batches). A crawl that is not a recheck keeps the usual number everywhere."""
    from crawler.settings import CONCURRENT_ITEMS

    assert CONCURRENT_ITEMS > 1
    assert items_per_response(sqlite_url, demo_server, "crawl") == {"spacewar": CONCURRENT_ITEMS,
                                                                    "artifex": CONCURRENT_ITEMS}
    assert items_per_response(sqlite_url, demo_server, "recheck") == {"spacewar": 1, "artifex": CONCURRENT_ITEMS}
