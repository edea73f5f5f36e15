"""Scrapy settings for drillwatch, filled from config/settings.yaml and the environment.

`scrapy list` / `scrapy crawl <outlet>` from the repository root and `drillwatch crawl` share them.
"""
import os

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
DRILLWATCH_BOILERPLATE_MIN_PAGES = _settings.extraction.boilerplate_min_pages

# Extraction and storage are CPU/disk work; keep Scrapy's queue short so the pipeline keeps up.
CONCURRENT_ITEMS = 32
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("DRILLWATCH_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SeenUrlMiddleware": 590,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.AnalysePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
    "crawler.pipelines.ExercisePipeline": 400,
}
EXTENSIONS = {
    "crawler.extensions.RunRecorder": 100,
    "scrapy.extensions.closespider.CloseSpider": 200,
}
