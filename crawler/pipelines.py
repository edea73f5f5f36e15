"""Item pipelines: thin adapters from Scrapy items to the pure text functions and to storage.

Each stage drops what it cannot use with a DropItem subclass, so Scrapy's stats count drops by reason.
"""
from __future__ import annotations

from scrapy.exceptions import DropItem

from config.load import find_outlet, load_outlets
from crawler.items import PageItem
from crawler.signals import page_error
from crawler.text.dedup import content_hash
from crawler.text.extract import ExtractOptions, extract_article
from crawler.text.relevance import score_relevance
from storage.articles import ArticleData, store_article
from storage.db import init_db, make_engine, session_scope


class NoArticle(DropItem):
    """The page holds no article text."""


class _DatabaseStage:
    """Shared wiring: one engine per crawl, built from DRILLWATCH_DB."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.engine = make_engine(crawler.settings.get("DRILLWATCH_DB"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def close_spider(self, spider=None) -> None:
        self.engine.dispose()


class ExtractPipeline(_DatabaseStage):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.outlets = load_outlets(crawler.settings.get("DRILLWATCH_CONFIG"))
        self.min_pages = crawler.settings.getint("DRILLWATCH_BOILERPLATE_MIN_PAGES", 4)
        self.options: dict[str, ExtractOptions] = {}

    def open_spider(self, spider=None) -> None:
        init_db(self.engine)

    def options_for(self, outlet_name: str) -> ExtractOptions:
        if outlet_name not in self.options:
            outlet = find_outlet(self.outlets, outlet_name)
            from storage.boilerplate import template_keys
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
    """Relevance is pure and cheap: computed on every article, stored with it."""

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        article = item.article
        item.relevance = score_relevance(article.text, article.title or "", article.language)
        return item


class StorePipeline(_DatabaseStage):
    def process_item(self, item: PageItem, spider=None) -> PageItem:
        data = to_article_data(item)
        from storage.boilerplate import count_lines
        from crawler.text.boilerplate import line_keys
        with session_scope(self.engine) as session:
            result = store_article(session, data)
            if result.status == "new":
                count_lines(session, item.outlet, line_keys(item.article.text))
        item.article_id, item.store_status = result.article_id, result.status
        self.crawler.stats.inc_value(f"drillwatch/articles/{result.status}")
        return item


class ExercisePipeline(_DatabaseStage):
    """Placeholder position for exercise detection + alerts (storage.exercises)."""

    def process_item(self, item: PageItem, spider=None) -> PageItem:
        return item


def to_article_data(item: PageItem) -> ArticleData:
    article, relevance = item.article, item.relevance
    return ArticleData(
        outlet=item.outlet, url=item.url, final_url=item.final_url,
        canonical_url=article.canonical_url or item.final_url, title=article.title or item.hint_title,
        text=article.text, content_hash=content_hash(article.text), fetched_at=item.fetched_at,
        author=article.author or item.hint_author, agency=article.agency, site_name=article.site_name,
        description=article.description, language=article.language,
        published_at=article.published or item.hint_published, etag=item.etag, last_modified=item.last_modified,
        relevant=bool(relevance and relevance.relevant), relevance_score=relevance.score if relevance else 0.0)
