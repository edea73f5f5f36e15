"""Extraction stage: the page goes through the pure front door, with this outlet's learned template."""
from __future__ import annotations

from scrapy.exceptions import DropItem

from config.load import find_outlet, load_gazetteer, load_outlets
from crawler.items import PageItem
from crawler.pipelines.base import DatabaseStage
from crawler.signals import page_error
from crawler.text.extract import ExtractOptions, extract_article
from crawler.text.exercises import detect_mentions
from crawler.text.relevance import score_relevance
from storage.boilerplate import template_keys
from storage.db import init_db, session_scope


class NoArticle(DropItem):
    """The page holds no article text."""


class ExtractPipeline(DatabaseStage):
    REFRESH = 20

    def __init__(self, crawler):
        super().__init__(crawler)
        self.outlets = load_outlets(crawler.settings.get("DRILLWATCH_CONFIG"))
        self.min_pages = crawler.settings.getint("DRILLWATCH_BOILERPLATE_MIN_PAGES", 4)
        self.options: dict[str, ExtractOptions] = {}
        self.uses: dict[str, int] = {}

    def open_spider(self, spider=None) -> None:
        init_db(self.engine)

    def options_for(self, outlet_name: str) -> ExtractOptions:
        # The template grows while a crawl stores pages: re-read it every REFRESH items.
        self.uses[outlet_name] = self.uses.get(outlet_name, 0) + 1
        if outlet_name not in self.options or self.uses[outlet_name] % self.REFRESH == 0:
            outlet = find_outlet(self.outlets, outlet_name)
            with session_scope(self.engine) as session:
                template = template_keys(session, outlet_name, self.min_pages)
            self.options[outlet_name] = ExtractOptions(
                residue=outlet.residue, template_lines=frozenset(template), language=outlet.language)
        return self.options[outlet_name]

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        article = extract_article(item.html, item.final_url, self.options_for(item.outlet))
        if article is None or not article.text.strip():
            self.crawler.signals.send_catch_log(page_error, spider=self.crawler.spider, url=item.url,
                                                kind="no_article", message="no article text found on the page")
            raise NoArticle(f"no article text on {item.url}")
        item.article = article
        return item


class AnalysePipeline:
    """Relevance for every article; exercise mentions for the relevant ones (both pure)."""

    def __init__(self, crawler):
        self.gazetteer = load_gazetteer(crawler.settings.get("DRILLWATCH_CONFIG"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        article = item.article
        title = article.title or item.hint_title or ""
        item.relevance = score_relevance(article.text, title, article.language, gazetteer=self.gazetteer)
        if item.relevance.relevant:
            item.mentions = detect_mentions(article.text, article.published or item.hint_published,
                                            self.gazetteer, title=title)
        return item
