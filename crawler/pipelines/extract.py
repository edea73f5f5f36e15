"""Analysis stage: each page goes through the pure front door (extract, relevance, exercise mentions)
in worker processes, with this outlet's residue rules and learned template."""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DropItem

from config.load import find_outlet, load_outlets
from crawler.items import PageItem
from crawler.pipelines.base import DatabaseStage
from crawler.signals import link_settled, page_error
from crawler.text.dedup import Sketch
from crawler.workers import AnalysisPool, OptionsSpec, default_workers
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
        self.options: dict[str, tuple[OptionsSpec, tuple[int, bytes]]] = {}
        self.uses: dict[str, int] = {}
        workers = crawler.settings.getint("DRILLWATCH_WORKERS", -1)
        sketch = Sketch(crawler.settings.getint("DRILLWATCH_NUM_PERM", 128),
                        crawler.settings.getint("DRILLWATCH_SHINGLE_WORDS", 4))
        self.pool = AnalysisPool.shared(crawler.settings.get("DRILLWATCH_CONFIG"),
                                        default_workers() if workers < 0 else workers, sketch)
        if not crawler.settings.getbool("DRILLWATCH_RECHECK"):  # a recheck is revisits, mostly answered 304
            crawler.signals.connect(self.new_page_scheduled, signal=signals.request_scheduled)

    def new_page_scheduled(self, request, spider=None) -> None:
        """The first new article link of the crawl starts the analysis workers, so that their start-up
        overlaps the first fetches (a revisit, most often answered "not modified", does not)."""
        if request.meta.get("article") and not request.meta.get("revisit"):
            self.crawler.signals.disconnect(self.new_page_scheduled, signal=signals.request_scheduled)
            self.pool.warm_up()

    def open_spider(self, spider=None) -> None:
        init_db(self.engine)

    def close_spider(self, spider=None) -> None:
        self.pool.release()
        super().close_spider(spider)

    def options_for(self, outlet_name: str) -> tuple[int, bytes]:
        """The outlet's extraction options, packed for the analysis pool (crawler.workers.OptionsSpec: the
        crawl process never loads trafilatura); packed again only when they changed."""
        # The template grows while a crawl stores pages: re-read it every REFRESH items.
        self.uses[outlet_name] = self.uses.get(outlet_name, 0) + 1
        if outlet_name not in self.options or self.uses[outlet_name] % self.REFRESH == 0:
            outlet = find_outlet(self.outlets, outlet_name)
            with session_scope(self.engine) as session:
                template = template_keys(session, outlet_name, self.min_pages)
            spec = OptionsSpec(residue=tuple(outlet.residue), template_lines=frozenset(template),
                               language=outlet.language)
            if outlet_name not in self.options or self.options[outlet_name][0] != spec:
                self.options[outlet_name] = (spec, spec.pack())
        return self.options[outlet_name][1]

    async def process_item(self, item: PageItem, spider=None) -> PageItem:
        result = await self.pool.analyse(item.html, item.final_url, self.options_for(item.outlet),
                                         item.hint_title, item.hint_published)
        if result.article is None:
            self.crawler.signals.send_catch_log(page_error, spider=self.crawler.spider, url=item.url,
                                                kind="no_article", message="no article text found on the page")
            self.crawler.signals.send_catch_log(link_settled, spider=self.crawler.spider,
                                                urls=[item.url, item.final_url])
            raise NoArticle(f"no article text on {item.url}")
        item.article, item.relevance, item.mentions = result.article, result.relevance, list(result.mentions)
        item.content_hash, item.signature = result.content_hash, result.signature
        item.lead_signature, item.shingles = result.lead_signature, result.shingles
        item.identity_url = result.identity_url  # of the page analysed: item.final_url
        item.html = ""  # analysed: do not keep the page in memory while the item waits for storage
        return item
