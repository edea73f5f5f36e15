"""One spider class for every outlet, built from its config entry (feeds, sitemaps, listings).

Links found on feeds, sitemaps and listing pages are requested only when never fetched before (checked in
bulk against seen_urls, raw and canonical form); the entry pages themselves are fetched on every crawl.
Re-fetches of known articles come from the revisit schedule: at start the spider requests the
outlet's due articles (conditional requests, meta["revisit"]) within its share of the page budget; a
full-content feed re-extracts a seen entry only when its article is due. Two more reasons: a feed entry
whose date (updated, else published) is later than our last fetch of its article (the outlet says it
changed), and a forced recheck (setting DRILLWATCH_RECHECK, `drillwatch crawl --recheck`), which makes
every stored article of the outlet due now.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape
from typing import Any, Iterator
from urllib.parse import urlparse

import feedparser
from lxml import etree
from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from config.schema import Outlet
from crawler.items import PageItem
from crawler.signals import page_error
from crawler.text.urls import canonical_url
from storage.articles import seen_among
from storage.db import make_engine, session_scope
from storage.monitor import Revisit, changed_since_fetch, due_among, due_revisits

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
HTML_TYPES = (b"text/html", b"application/xhtml")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def spider_class_for(outlet: Outlet) -> type["OutletSpider"]:
    """A named subclass per outlet: Scrapy's loader hands out classes, not instances."""
    attrs = {
        "name": outlet.name,
        "outlet": outlet,
        "allowed_domains": list(outlet.domains),
        "custom_settings": {"CLOSESPIDER_PAGECOUNT": outlet.max_pages},
    }
    return type(f"{outlet.name.title().replace('-', '').replace('_', '')}Spider", (OutletSpider,), attrs)


class OutletSpider(Spider):
    outlet: Outlet
    _engine = None
    _requested: frozenset[int] = frozenset()  # article ids already revisited this crawl

    @classmethod
    def handles_request(cls, request: Request) -> bool:
        host = urlparse(request.url).hostname or ""
        return any(host == d or host.endswith("." + d) for d in cls.outlet.domains)

    async def start(self):
        for url in self.outlet.feeds:
            yield Request(url, callback=self.parse_feed, errback=self.on_error, meta={"kind": "feed"})
        for url in self.outlet.sitemaps:
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error, meta={"kind": "sitemap"})
        for listing in self.outlet.listings:
            yield Request(listing.url, callback=self.parse_listing, errback=self.on_error,
                          meta={"kind": "listing", "listing": listing})
        for revisit in self.due_revisits():
            yield self.revisit_request(revisit)

    # --- entry points --------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Any]:
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            reason = getattr(feed, "bozo_exception", "no entries")
            self.report(response.url, "bad_feed", f"not a usable RSS/Atom feed: {reason}")
            return
        self.crawler.stats.inc_value("drillwatch/entry_points_ok")
        entries = {response.urljoin(e["link"]): e for e in feed.entries if e.get("link")}
        new = set(self.new_links(entries))
        due = self.due_entries(set(entries) - new) if self.outlet.feed_content else set()
        changed = self.changed_entries({link: e for link, e in entries.items() if link not in new})
        if self.outlet.feed_content:
            due |= set(changed)
        else:
            yield from (self.revisit_request(revisit) for revisit in changed.values())
        for link, entry in entries.items():
            hints = self._feed_hints(entry)
            content = self._feed_content(entry)
            if self.outlet.feed_content and content and (link in new or link in due):
                yield self._feed_item(link, content, hints)
            elif link in new:
                yield self.article_request(link, hints)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(resolve_entities=False, recover=False))
        except etree.XMLSyntaxError as exc:
            self.report(response.url, "bad_sitemap", f"not a valid XML sitemap: {exc}")
            return
        self.crawler.stats.inc_value("drillwatch/entry_points_ok")
        if root.tag == f"{SITEMAP_NS}sitemapindex":
            for loc in root.iter(f"{SITEMAP_NS}loc"):
                yield Request(response.urljoin(loc.text.strip()), callback=self.parse_sitemap,
                              errback=self.on_error, meta={"kind": "sitemap"})
            return
        found = {}
        for url_el in root.iter(f"{SITEMAP_NS}url"):
            loc = url_el.findtext(f"{SITEMAP_NS}loc")
            if loc:
                found[response.urljoin(loc.strip())] = {
                    "title": url_el.findtext(f".//{NEWS_NS}title"),
                    "published": _parse_date(url_el.findtext(f".//{NEWS_NS}publication_date"))}
        for link in self.new_links(found):
            yield self.article_request(link, found[link])

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if not self._is_html(response):
            self.report(response.url, "not_html", "listing page is not HTML")
            return
        self.crawler.stats.inc_value("drillwatch/entry_points_ok")
        listing = response.meta["listing"]
        links_re, next_re = re.compile(listing.links), re.compile(listing.next) if listing.next else None
        articles = []
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#")[0]
            if links_re.search(url):
                articles.append(url)
            elif next_re and next_re.search(url):
                yield Request(url, callback=self.parse_listing, errback=self.on_error,
                              meta={"kind": "listing", "listing": listing})
        for url in self.new_links(articles):
            yield self.article_request(url, {})

    # --- article pages --------------------------------------------------------------------------

    def article_request(self, url: str, hints: dict) -> Request:
        # link_checked: new_links() already asked seen_urls; the middleware need not ask again
        return Request(url, callback=self.parse_article, errback=self.on_error,
                       meta={"kind": "article", "article": True, "link_checked": True, "hints": hints})

    def revisit_request(self, revisit: Revisit) -> Request:
        return Request(revisit.url, callback=self.parse_article, errback=self.on_error, dont_filter=True,
                       meta={"kind": "article", "article": True, "revisit": True, "article_id": revisit.article_id,
                             "etag": revisit.etag, "last_modified": revisit.last_modified, "hints": {},
                             "handle_httpstatus_list": [304]})

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        if response.status == 304:  # a revisit of an unchanged page: the middleware moved its schedule
            return
        if not self._is_html(response):
            ctype = response.headers.get(b"Content-Type", b"?").decode("latin-1")
            self.report(response.url, "not_html", f"not an HTML page (Content-Type: {ctype})")
            return
        hints = response.meta.get("hints") or {}
        yield PageItem(
            outlet=self.outlet.name, url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url, html=response.text, fetched_at=utcnow(), status=response.status,
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
            hint_title=hints.get("title"), hint_published=hints.get("published"),
            hint_author=hints.get("author"),
        )

    # --- link memory and revisits ----------------------------------------------------------------

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.settings.get("DRILLWATCH_DB"))
        return self._engine

    def new_links(self, links) -> list[str]:
        """The links (in order, once each) never fetched before, under their own or their canonical URL."""
        forms = {link: (link, canonical_url(link)) for link in dict.fromkeys(links)}
        if not forms:
            return []
        with session_scope(self.engine) as session:
            seen = seen_among(session, [f for pair in forms.values() for f in pair])
        new = [link for link, pair in forms.items() if not seen.intersection(pair)]
        self.crawler.stats.inc_value("drillwatch/links/already_seen", len(forms) - len(new))
        self.crawler.stats.inc_value("drillwatch/links/new", len(new))
        return new

    @property
    def recheck(self) -> bool:
        return self.settings.getbool("DRILLWATCH_RECHECK")

    def due_revisits(self) -> list[Revisit]:
        """Due articles of this outlet, within its share of the page budget (on a recheck: all of them).
        A full-content feed outlet revisits through its feed entries instead (its pages were never the
        source)."""
        limit = int(self.outlet.max_pages * self.settings.getfloat("DRILLWATCH_REVISIT_SHARE", 0.5))
        if self.outlet.feed_content or (limit < 1 and not self.recheck):
            return []
        with session_scope(self.engine) as session:
            due = due_revisits(session, self.outlet.name, utcnow(), None if self.recheck else limit, self.recheck)
        self.crawler.stats.inc_value("drillwatch/revisits/due", len(due))
        self._requested = frozenset(revisit.article_id for revisit in due)
        return due

    def due_entries(self, links: set[str]) -> set[str]:
        """The seen feed links whose articles are due for a revisit."""
        if not links:
            return set()
        forms = {canonical_url(link): link for link in links}
        with session_scope(self.engine) as session:
            due = {forms[url] for url in due_among(session, forms, utcnow(), self.recheck)}
        self.crawler.stats.inc_value("drillwatch/revisits/due", len(due))
        return due

    def changed_entries(self, entries: dict[str, Any]) -> dict[str, Revisit]:
        """Seen feed links whose entry date (updated, else published) is later than our last fetch of the
        article, and not already requested this crawl."""
        now = utcnow()  # a date in the future is a feed error, not an edit
        dates = {canonical_url(link): (link, date) for link, entry in entries.items()
                 if (date := _entry_date(entry)) is not None and date <= now}
        if not dates:
            return {}
        with session_scope(self.engine) as session:
            found = changed_since_fetch(session, {url: date for url, (_link, date) in dates.items()})
        changed = {dates[url][0]: revisit for url, revisit in found.items()
                   if revisit.article_id not in self._requested}
        self._requested = self._requested | {revisit.article_id for revisit in changed.values()}
        self.crawler.stats.inc_value("drillwatch/revisits/feed_date_changed", len(changed))
        return changed

    def closed(self, reason: str) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # --- errors -------------------------------------------------------------------------------

    def on_error(self, failure) -> None:
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            self.report(request.url, f"http_{status}", f"HTTP {status}")
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            self.report(request.url, "timeout", f"no answer within {request.meta.get('download_timeout')}s")
        elif failure.check(DNSLookupError, CannotResolveHostError):
            self.report(request.url, "dns", "host name does not resolve")
        else:
            self.report(request.url, "fetch", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def report(self, url: str, kind: str, message: str) -> None:
        self.logger.warning("[%s] %s: %s (%s)", self.outlet.name, kind, message, url)
        self.crawler.stats.inc_value(f"drillwatch/errors/{kind}")
        self.crawler.signals.send_catch_log(page_error, spider=self, url=url, kind=kind, message=message)

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _is_html(response: Response) -> bool:
        ctype = response.headers.get(b"Content-Type", b"").lower()
        return isinstance(response, TextResponse) and (not ctype or ctype.startswith(HTML_TYPES))

    @staticmethod
    def _feed_hints(entry) -> dict:
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime(*parsed[:6], tzinfo=timezone.utc) if parsed else None
        return {"title": entry.get("title"), "published": published, "author": entry.get("author")}

    @staticmethod
    def _feed_content(entry) -> str | None:
        contents = entry.get("content") or []
        html = max((c.get("value", "") for c in contents), key=len, default="")
        return html or None

    def _feed_item(self, link: str, content: str, hints: dict) -> PageItem:
        # The feed already carries the article: wrap it as a page so extraction has one input shape.
        title = escape(hints.get("title") or "")
        html = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"{content}</article></body></html>")
        return PageItem(outlet=self.outlet.name, url=link, final_url=link, html=html, fetched_at=utcnow(),
                        source="feed", hint_title=hints.get("title"), hint_published=hints.get("published"),
                        hint_author=hints.get("author"))


def _entry_date(entry) -> datetime | None:
    """A feed entry's own date: updated, else published (UTC)."""
    parsed = entry.get("updated_parsed") or entry.get("published_parsed")
    return datetime(*parsed[:6], tzinfo=timezone.utc) if parsed else None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
