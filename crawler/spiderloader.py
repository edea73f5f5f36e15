"""SPIDER_LOADER_CLASS (scrapy.spiderloader.SpiderLoaderProtocol) over outlets.yaml: one spider per configured outlet, so `scrapy list` and
`scrapy crawl <outlet>` work without a spider module per site."""
from __future__ import annotations

from scrapy import Spider
from scrapy.settings import BaseSettings

from config.load import load_outlets
from crawler.spiders.outlet import spider_class_for


class OutletSpiderLoader:
    def __init__(self, settings: BaseSettings):
        outlets = load_outlets(settings.get("DRILLWATCH_CONFIG"))
        make = spider_class_for
        if settings.getbool("DRILLWATCH_QUEUED"):  # a cluster worker (crawler.cluster): seeds from Redis
            from crawler.spiders.queued import queued_spider_class_for as make
        self._spiders = {o.name: make(o) for o in outlets if o.enabled}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> "OutletSpiderLoader":
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def find_by_request(self, request) -> list[str]:
        return [name for name, cls in self._spiders.items() if cls.handles_request(request)]

    def list(self) -> list[str]:
        return sorted(self._spiders)
