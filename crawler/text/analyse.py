"""One page in, everything the pure functions know about it out: article, relevance, exercise mentions,
fingerprint and MinHash signature.

This is the unit of CPU work per page; crawler.workers runs it in worker processes so that Scrapy's
reactor keeps fetching while pages are analysed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.gazetteer import Gazetteer
from crawler.text.dedup import Sketch, fingerprint_and_signature
from crawler.text.exercises import Mention, detect_mentions
from crawler.text.extract import Article, ExtractOptions, extract_article
from crawler.text.relevance import Relevance, score_relevance


@dataclass(frozen=True)
class PageAnalysis:
    article: Article | None          # None: the page holds no article text
    relevance: Relevance | None = None
    mentions: tuple[Mention, ...] = ()
    content_hash: str | None = None  # exact-copy fingerprint of the text
    signature: bytes | None = None   # MinHash of the text's shingles


def analyse_page(html: str | bytes, url: str, options: ExtractOptions, gazetteer: Gazetteer,
                 title_hint: str | None = None, published_hint: datetime | None = None,
                 sketch: Sketch = Sketch()) -> PageAnalysis:
    article = extract_article(html, url, options)
    if article is None or not article.text.strip():
        return PageAnalysis(None)
    fingerprint, signature = fingerprint_and_signature(article.text, sketch)
    title = article.title or title_hint or ""
    relevance = score_relevance(article.text, title, article.language, gazetteer=gazetteer)
    mentions: tuple[Mention, ...] = ()
    if relevance.relevant:
        mentions = tuple(detect_mentions(article.text, article.published or published_hint, gazetteer, title=title))
    return PageAnalysis(article, relevance, mentions, fingerprint, signature)
