"""Scrapy settings for drillwatch, filled from config/settings.yaml and the environment.

`scrapy list` / `scrapy crawl <outlet>` from the repository root and `drillwatch crawl` share them.
"""
import os

from scrapy.settings import default_settings as _scrapy_defaults

from config.load import config_dir, load_settings
from storage.db import database_url

BOT_NAME = "drillwatch"
SPIDER_MODULES: list[str] = []
SPIDER_LOADER_CLASS = "crawler.spiderloader.OutletSpiderLoader"

DRILLWATCH_CONFIG = str(config_dir(os.environ.get("DRILLWATCH_CONFIG")))
DRILLWATCH_DB = database_url()
_settings = load_settings(DRILLWATCH_CONFIG)

USER_AGENT = _settings.crawl.user_agent
ROBOTSTXT_OBEY = _settings.crawl.obey_robots
DOWNLOAD_TIMEOUT = _settings.crawl.download_timeout
RETRY_TIMES = _settings.crawl.retries
CONCURRENT_REQUESTS = _settings.crawl.concurrent_requests
CONCURRENT_REQUESTS_PER_DOMAIN = _settings.crawl.concurrent_per_domain
DOWNLOAD_DELAY = _settings.crawl.download_delay
# Pages get Scrapy's own limit; feeds and sitemaps carry theirs in meta["download_maxsize"] (the spider).
DOWNLOAD_MAXSIZE = _settings.crawl.max_page_size
DOWNLOAD_WARNSIZE = DOWNLOAD_MAXSIZE // 2
DRILLWATCH_FEED_MAXSIZE = _settings.crawl.max_feed_size
AUTOTHROTTLE_ENABLED = _settings.crawl.autothrottle
AUTOTHROTTLE_TARGET_CONCURRENCY = _settings.crawl.autothrottle_target
DRILLWATCH_BOILERPLATE_MIN_PAGES = _settings.extraction.boilerplate_min_pages
DRILLWATCH_NEAR_DUPLICATE = _settings.dedup.near_duplicate
DRILLWATCH_NUM_PERM = _settings.dedup.num_perm
DRILLWATCH_SHINGLE_WORDS = _settings.dedup.shingle_words
DRILLWATCH_LARGE_EDIT = _settings.dedup.large_edit
DRILLWATCH_LSH = _settings.dedup.lsh
DRILLWATCH_LSH_NAME = _settings.dedup.lsh_name
DRILLWATCH_REVISIT_MIN = _settings.monitor.revisit_min
DRILLWATCH_REVISIT_MAX = _settings.monitor.revisit_max
DRILLWATCH_REVISIT_FACTOR = _settings.monitor.revisit_factor
DRILLWATCH_MAX_AGE = _settings.monitor.max_age
DRILLWATCH_REVISIT_SHARE = _settings.monitor.revisit_share

# Page analysis runs in this many worker processes (0: inline in the crawl process; default: one per
# core but one, which the crawl process keeps: crawler.workers.default_workers).
DRILLWATCH_WORKERS = int(os.environ.get("DRILLWATCH_WORKERS", "-1"))
CONCURRENT_ITEMS = 32
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("DRILLWATCH_LOG_LEVEL", "INFO")
LOG_FORMATTER = "crawler.logformatter.OneLineLogFormatter"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.OriginOffsiteMiddleware": 50,   # scheme, host and port (crawler.origins)
    "crawler.middlewares.RevisitMiddleware": 590,
}
# Only http(s) is fetched: no FTP, S3, local files or data: URLs whatever a page links to.
DOWNLOAD_HANDLERS = {"ftp": None, "s3": None, "file": None, "data": None}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.StorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.RunRecorder": 100,
    "scrapy.extensions.closespider.CloseSpider": 200,
}
# Scrapy 2.19 starts, in every crawl, an HTTP server that runs Python sent to it (RemoteControl, for its MCP
# client: aiohttp imported, a server and a job file per crawl): not for a news monitor's crawls. Telnet is
# off too. Both leave the base list, as Scrapy imports every class named in EXTENSIONS, even set to None.
EXTENSIONS_BASE = {name: order for name, order in _scrapy_defaults.EXTENSIONS_BASE.items()
                   if name not in ("scrapy.extensions.remote_control.RemoteControl",
                                   "scrapy.extensions.telnet.TelnetConsole")}
REMOTE_CONTROL_ENABLED = False
# Scrapy parses the source of a generator callback (inspect.getsource + ast) to warn about `return value`
# in it; its cache is keyed on the bound method, new with every request, so that is 1-2 ms of CPU per
# response (as much as the rest of handling a 304). Our callbacks return nothing (tests/test_recheck_speed.py).
WARN_ON_GENERATOR_RETURN_VALUE = False
