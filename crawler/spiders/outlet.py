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
import zlib
from datetime import datetime, timezone
from html import escape
from typing import Any, Iterator

import feedparser
from lxml import etree
from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from config.schema import DOMAIN_RE, Outlet, format_size
from crawler.origins import Origin, origins, url_allowed
from crawler.items import PageItem
from crawler.signals import link_settled, page_error
from crawler.text.encoding import decode_page
from crawler.text.urls import canonical_url
from crawler.xmlguard import declared_entity
from storage.articles import seen_among
from storage.db import make_engine, session_scope
from storage.monitor import Revisit, changed_since_fetch, due_among, due_revisits

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
HTML_TYPES = (b"text/html", b"application/xhtml")
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAXSIZE = 20 * 1024 ** 2
RECHECK_CONCURRENT_ITEMS = 1  # a recheck of an outlet whose responses yield one item at most (update_settings)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def spider_class_for(outlet: Outlet) -> type["OutletSpider"]:
    """A named subclass per outlet: Scrapy's loader hands out classes, not instances."""
    attrs = {
        "name": outlet.name,
        "outlet": outlet,
        "origins": origins(outlet.domains, outlet.start_urls),
        # host names only, for Scrapy components that read them; OriginOffsiteMiddleware uses `allows`
        "allowed_domains": sorted({DOMAIN_RE.match(d)["host"].strip("[]") for d in outlet.domains}),
        "custom_settings": {"CLOSESPIDER_PAGECOUNT": outlet.max_pages},
    }
    return type(f"{outlet.name.title().replace('-', '').replace('_', '')}Spider", (OutletSpider,), attrs)


class OutletSpider(Spider):
    outlet: Outlet
    origins: tuple[Origin, ...] = ()
    _engine = None
    _requested: frozenset[int] = frozenset()  # article ids already revisited this crawl

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if settings.getbool("DRILLWATCH_RECHECK") and not cls.outlet.feed_content:
            # Scrapy starts CONCURRENT_ITEMS tasks for every response, whatever it yields: on a recheck,
            # thousands of 304s that yield nothing. Only a full-content feed yields several items from one
            # response (its entries, stored in batches); an outlet without one yields at most one per
            # response, so one task handles it as fast.
            settings.set("CONCURRENT_ITEMS", RECHECK_CONCURRENT_ITEMS, priority="spider")

    @classmethod
    def handles_request(cls, request: Request) -> bool:
        return cls.allows(request.url)

    @classmethod
    def allows(cls, url: str) -> bool:
        """An http(s) URL on the scheme, host and port the outlet's `domains` allow."""
        return url_allowed(url, cls.origins)

    async def start(self):
        for url in self.outlet.feeds:
            yield Request(url, callback=self.parse_feed, errback=self.on_error, meta=self.feed_meta("feed"))
        for url in self.outlet.sitemaps:
            yield Request(url, callback=self.parse_sitemap, errback=self.on_error, meta=self.feed_meta("sitemap"))
        for listing in self.outlet.listings:
            yield Request(listing.url, callback=self.parse_listing, errback=self.on_error,
                          meta={"kind": "listing", "listing": listing})
        for revisit in self.due_revisits():
            yield self.revisit_request(revisit)

    # --- entry points --------------------------------------------------------------------------

    def feed_meta(self, kind: str) -> dict:
        """Feeds and sitemaps have their own size limit (settings.yaml crawl.max_feed_size)."""
        limit = self.settings.getint("DRILLWATCH_FEED_MAXSIZE", 20 * 1024 ** 2)
        return {"kind": kind, "download_maxsize": limit, "download_warnsize": limit // 2}

    def parse_feed(self, response: Response) -> Iterator[Any]:
        entity = declared_entity(response.body)
        if entity:
            self.report(response.url, "bad_feed", f"the feed declares XML entities (<!ENTITY {entity} ...>): refused, "
                                                  "as entity expansion can exhaust memory (a 'billion laughs' attack)")
            return
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            reason = getattr(feed, "bozo_exception", "no entries")
            self.report(response.url, "bad_feed", f"not a usable RSS/Atom feed: {reason}")
            return
        self.crawler.stats.inc_value("drillwatch/entry_points_ok")
        entries = {}
        for entry in feed.entries:
            link = self._join(response, entry.get("link"), "feed")
            if link:
                entries[link] = entry
        new = set(self.new_links(entries))
        due = self.due_entries(set(entries) - new) if self.outlet.feed_content else set()
        changed = self.changed_entries({link: e for link, e in entries.items() if link not in new})
        if self.outlet.feed_content:
            due |= set(changed)
        else:
            yield from (self.revisit_request(revisit) for revisit in changed.values())
        for link, entry in entries.items():
            try:  # whatever is wrong with one entry, the entries after it go on
                hints = self._feed_hints(link, entry)
                content = self._feed_content(entry)
                if self.outlet.feed_content and content and (link in new or link in due):
                    out = self._feed_item(link, content, hints)
                elif link in new:
                    out = self.article_request(link, hints)
                else:
                    continue
            except Exception as exc:  # noqa: BLE001 - feeds are arbitrary input; recorded, not raised
                self.report(link, "bad_entry", f"feed entry skipped: {type(exc).__name__}: {exc}")
                continue
            yield out

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        body = response.body
        if body[:2] == GZIP_MAGIC:  # a .xml.gz file (a Content-Encoding: gzip one is already inflated)
            try:
                body = gunzip_strict(body, response.meta.get("download_maxsize") or DEFAULT_MAXSIZE)
            except OverflowError:
                self.report(response.url, "too_large", self.too_large_message(response.request))
                return
            except zlib.error as exc:
                self.report(response.url, "bad_sitemap", f"the sitemap is a corrupt gzip file: {exc}")
                return
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, recover=False))
        except etree.XMLSyntaxError as exc:
            self.report(response.url, "bad_sitemap", f"not a valid XML sitemap: {exc}")
            return
        self.crawler.stats.inc_value("drillwatch/entry_points_ok")
        if root.tag == f"{SITEMAP_NS}sitemapindex":
            for loc in root.iter(f"{SITEMAP_NS}loc"):
                url = self._join(response, loc.text, "sitemap")
                if url:
                    yield Request(url, callback=self.parse_sitemap, errback=self.on_error,
                                  meta=self.feed_meta("sitemap"))
            return
        found = {}
        for url_el in root.iter(f"{SITEMAP_NS}url"):
            loc = self._join(response, url_el.findtext(f"{SITEMAP_NS}loc"), "sitemap")
            if loc:
                found[loc] = {
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
            try:
                url = response.urljoin(href.strip()).split("#")[0]
            except ValueError:  # not a URL (e.g. "http://[::1"): not a link we could follow either
                continue
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
            self.settle(response.request, response.url)
            return
        hints = response.meta.get("hints") or {}
        html, encoding, redetected = decode_page(response.body, response.encoding)
        if redetected:  # the page lied about its charset: read by its bytes
            self.logger.info("[%s] %s declares %s but its bytes are %s", self.outlet.name, response.url,
                             response.encoding, encoding)
            self.crawler.stats.inc_value("drillwatch/encoding/redetected")
        yield PageItem(
            outlet=self.outlet.name, url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url, html=html, fetched_at=utcnow(), status=response.status,
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
            self.settle(request, failure.value.response.url)  # answered: asking again would get the same
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            self.report(request.url, "timeout", f"no answer within {request.meta.get('download_timeout')}s")
        elif failure.check(DNSLookupError, CannotResolveHostError):
            self.report(request.url, "dns", "host name does not resolve")
        elif failure.check(DownloadCancelledError) or (
                failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(failure.value)):  # decompressed
            self.report(request.url, "too_large", self.too_large_message(request))
            self.settle(request)  # it would be as large next time
        else:
            detail = failure.getErrorMessage().strip()
            self.report(request.url, "fetch", f"{failure.type.__name__}: {detail}" if detail else
                        f"{failure.type.__name__} (no details given)")

    def too_large_message(self, request: Request) -> str:
        feed = request.meta.get("kind") in ("feed", "sitemap")
        limit = request.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
        return (f"response larger than the {format_size(limit)} limit for {'feeds and sitemaps' if feed else 'pages'}"
                f" (settings.yaml crawl.{'max_feed_size' if feed else 'max_page_size'}); download stopped")

    def settle(self, request: Request, *urls: str) -> None:
        """A new article link whose outcome is final without an article: remember it as seen."""
        if request.meta.get("article") and not request.meta.get("revisit"):
            self.crawler.signals.send_catch_log(link_settled, spider=self, urls=[
                *request.meta.get("redirect_urls", ()), request.url, *urls])

    def report(self, url: str, kind: str, message: str) -> None:
        """An error of this run: counted, logged in one line and stored by the RunRecorder."""
        self.crawler.signals.send_catch_log(page_error, spider=self, url=url, kind=kind, message=message)

    # --- helpers ------------------------------------------------------------------------------

    def _join(self, response: Response, link: str | None, where: str) -> str | None:
        """The absolute URL of a feed or sitemap entry's link; one that is not a URL is recorded and
        skipped (the entries after it go on)."""
        link = (link or "").strip()
        if not link:
            return None
        try:
            return response.urljoin(link)
        except ValueError as exc:
            self.report(link, "bad_entry", f"{where} entry skipped, its link is not a URL: {exc}")
            return None

    @staticmethod
    def _is_html(response: Response) -> bool:
        ctype = response.headers.get(b"Content-Type", b"").lower()
        return isinstance(response, TextResponse) and (not ctype or ctype.startswith(HTML_TYPES))

    def _feed_hints(self, link: str, entry) -> dict:
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        try:
            published = datetime(*parsed[:6], tzinfo=timezone.utc) if parsed else None
        except (ValueError, OverflowError) as exc:  # e.g. year 0 once feedparser applied the time zone
            raw = entry.get("published") or entry.get("updated")
            self.report(link, "bad_date", f"the feed gives this entry an impossible date ({raw!r}: {exc}); "
                                          "fetched without it")
            published = None
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


def gunzip_strict(data: bytes, limit: int) -> bytes:
    """Inflate a gzip file whole or not at all (Scrapy's gunzip keeps what a corrupt file yields, which
    then fails as XML): zlib.error when corrupt or cut short, OverflowError past `limit` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise OverflowError(f"inflates to more than {limit} bytes")
    if not inflater.eof:
        raise zlib.error("the file is cut short")
    return out


def _entry_date(entry) -> datetime | None:
    """A feed entry's own date: updated, else published (UTC); None when absent or impossible."""
    parsed = entry.get("updated_parsed") or entry.get("published_parsed")
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc) if parsed else None
    except (TypeError, ValueError, OverflowError):  # an impossible date (year -1): as if none were given
        return None


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
