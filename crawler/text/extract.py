"""The extraction front door: HTML page (or feed-item HTML fragment) -> ``Article`` (pure).

The page is parsed once (``trafilatura.load_html``); the same tree feeds trafilatura's metadata reader,
its text extractor (which works on its own copy) and drillwatch's additions (canonical URL, language,
headline and link texts). The extracted text then goes through ``clean.clean_text`` (residue rules)
and ``boilerplate.drop_template_lines`` (the outlet's learned template lines).

``Article.text`` holds one paragraph, heading or list item per line, lines separated by a single "\\n".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction, load_html
from trafilatura.settings import Extractor

from crawler.text.boilerplate import drop_template_lines, line_keys
from crawler.text.clean import CleanContext, clean_text
from crawler.text.dates import page_date
from crawler.text.metadata import PageMeta, article_language, detect_agency, read_page_meta

__all__ = ["ExtractOptions", "Article", "extract_article", "parse_html", "MODES"]

LOGGER = logging.getLogger(__name__)

# trafilatura's documented focus settings (``Extractor``). "fast" skips the readability/justext
# comparison: on the benchmark it is both quicker and, after cleaning, as accurate (bench/extraction.py).
MODES: dict[str, dict[str, bool]] = {
    "fast": {"fast": True},
    "balanced": {},
    "precision": {"precision": True},
    "recall": {"recall": True},
}
# when the chosen mode yields too little text, the full cascade (with external fallbacks) gets a go
FALLBACK_MODE = "balanced"
# ... and also when its text is under this share of the text of the page's <p> elements: the fast
# mode lost the main text (a front page of teasers), which the cascade's comparison step is made for
SHORT_SHARE = 0.1


@dataclass(frozen=True)
class ExtractOptions:
    """Per-outlet extraction settings, built once (e.g. from the outlet config) and reused.

    residue:         extra residue regexes for this outlet; a line is dropped when one matches
                     anywhere in it (``re.search``, case-insensitive).
    template_lines:  learned boilerplate line keys for this outlet (see ``boilerplate``).
    language:        outlet language hint, used when the page declares none.
    mode:            trafilatura focus, one of ``MODES``.
    include_tables:  keep text inside <table> (old-school outlets lay articles out in tables).
    min_chars:       below this many characters of cleaned text the page holds no article.
    reference_time:  "now" for year-less datelines and future-date checks; None = the clock.
    """

    residue: tuple[str, ...] = ()
    template_lines: frozenset[str] = frozenset()
    language: str | None = None
    mode: str = "fast"
    include_tables: bool = True
    min_chars: int = 150
    reference_time: datetime | None = None
    residue_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    extractors: tuple[Extractor, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r}: expected one of {', '.join(MODES)}")
        if self.min_chars < 0:
            raise ValueError(f"min_chars must be >= 0, got {self.min_chars}")
        if self.reference_time is not None and self.reference_time.tzinfo is None:
            raise ValueError("reference_time must be timezone-aware")
        # accept lists/sets from config loaders, store immutable values
        object.__setattr__(self, "residue", tuple(self.residue))
        object.__setattr__(self, "template_lines", frozenset(self.template_lines))
        object.__setattr__(self, "language", (self.language or "").strip().lower() or None)
        object.__setattr__(self, "residue_patterns", tuple(_compile_residue(p) for p in self.residue))
        modes = (self.mode,) if self.mode == FALLBACK_MODE else (self.mode, FALLBACK_MODE)
        object.__setattr__(self, "extractors", tuple(self._extractor(mode) for mode in modes))

    def _extractor(self, mode: str) -> Extractor:
        # comments off: reader comments are not the article; python format gives us the text
        return Extractor(output_format="python", comments=False, tables=self.include_tables, **MODES[mode])

    def now(self) -> datetime:
        return self.reference_time or datetime.now(timezone.utc)


def _compile_residue(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise ValueError(f"residue pattern {pattern!r} is not a valid regex: {err}") from err


@dataclass(frozen=True)
class Article:
    """One extracted article. ``text``: one paragraph per line ("\\n"-separated), residue removed.
    ``published``: tz-aware UTC. ``agency``: "AFP", "AP", "Reuters", "Xinhua", "TASS" (and a few
    more wires), "syndicated" when only a syndication note says so, else None.
    ``line_keys``: keys of the text's lines *before* template removal, for boilerplate learning."""

    url: str
    canonical_url: str
    title: str | None
    text: str
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    agency: str | None = None
    description: str | None = None
    line_keys: frozenset[str] = frozenset()
    published_source: str | None = None  # where ``published`` was read: "page markup", "page URL", "dateline"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: title, text, published (ISO 8601), author, language, agency, canonical_url,
        url, site_name, description."""
        return {
            "title": self.title,
            "text": self.text,
            "published": self.published.isoformat() if self.published else None,
            "author": self.author,
            "language": self.language,
            "agency": self.agency,
            "canonical_url": self.canonical_url,
            "url": self.url,
            "site_name": self.site_name,
            "description": self.description,
        }


DEFAULT_OPTIONS = ExtractOptions()

# a tag that HTML has and plain text, PDFs or JSON do not
_MARKUP = re.compile(rb"<(html|head|body|p|div|article|section|main|span|h[1-6]|figure|br|a|table|ul)\b", re.I)
_DOCUMENT = re.compile(rb"<(!doctype|html|head|body)\b", re.I)


def _as_bytes(html: str | bytes) -> bytes:
    return html.encode("utf-8", "replace") if isinstance(html, str) else html


def parse_html(html: str | bytes) -> HtmlElement | None:
    """lxml tree of a page, or of a bare fragment (feed ``content:encoded``) wrapped as the article
    of a document so that trafilatura keeps all of it, subheadings included; None for non-HTML."""
    head = _as_bytes(html[:65536]) if html else b""
    if not _MARKUP.search(head):
        return None
    if not _DOCUMENT.search(head[:4096]):
        html = b"<html><body><article>" + _as_bytes(html) + b"</article></body></html>"
    try:
        return load_html(html)
    except Exception as err:  # noqa: BLE001 - hostile input must not crash a crawl
        LOGGER.warning("unparsable HTML: %s", err)
        return None


def _raw_text(tree: HtmlElement, extractor: Extractor) -> str:
    """trafilatura's text for one extractor setting, "" when it finds none."""
    try:
        document = bare_extraction(tree, options=extractor)
    except Exception as err:  # noqa: BLE001 - a trafilatura bug on one page must not stop the crawl
        LOGGER.warning("trafilatura failed: %s", err)
        return ""
    return (document.text or "") if document is not None else ""


def paragraph_chars(tree: HtmlElement) -> int:
    """Characters of text in the page's <p> elements: a cheap gauge of how much text the page holds."""
    return sum(len(text.strip()) for p in tree.iter("p") for text in p.itertext())


def _main_text(tree: HtmlElement, context: CleanContext, options: ExtractOptions) -> tuple[str, str]:
    """(raw, cleaned) text of the chosen extractor setting; the fallback setting runs when that text is
    too short to be an article, or a small share (``SHORT_SHARE``) of the page's paragraph text, and
    then the longer cleaned text wins."""
    best = ("", "")
    for n, extractor in enumerate(options.extractors):
        raw = _raw_text(tree, extractor)
        cleaned = clean_text(raw, context)
        if len(cleaned) > len(best[1]) or not best[1]:
            best = (raw, cleaned)
        if n + 1 == len(options.extractors) or (
                len(cleaned) >= options.min_chars and len(cleaned) >= SHORT_SHARE * paragraph_chars(tree)):
            break
    return best


def _clean_context(meta: PageMeta, options: ExtractOptions) -> CleanContext:
    return CleanContext(titles=meta.headlines, residue=options.residue_patterns, link_texts=meta.link_texts,
                        code_lines=meta.code_lines, story_links=meta.story_links,
                        authors=tuple(name.strip() for name in (meta.author or "").split(";") if name.strip()))


def extract_article(html: str | bytes, url: str, options: ExtractOptions | None = None) -> Article | None:
    """The article of a page, or None when it holds no article text (empty, non-HTML, too short).
    Never raises on broken HTML."""
    options = options or DEFAULT_OPTIONS
    tree = parse_html(html)
    if tree is None:
        return None
    meta = read_page_meta(tree, url, options.language)
    raw, cleaned = _main_text(tree, _clean_context(meta, options), options)
    text = drop_template_lines(cleaned, options.template_lines)
    if len(text) < options.min_chars:
        return None
    published, published_source = page_date(meta.date, url, "\n".join(filter(None, (meta.dateline, raw))),
                                            options.now())
    return Article(
        url=url,
        canonical_url=meta.canonical_url,
        title=meta.title,
        text=text,
        author=meta.author,
        published=published,
        published_source=published_source,
        language=article_language(meta.language, text),
        site_name=meta.site_name,
        agency=detect_agency(raw, meta.author, meta.dateline),
        description=meta.description,
        line_keys=frozenset(line_keys(cleaned)),
    )
