"""One page in, everything the pure functions know about it out: article, relevance, exercise mentions,
fingerprint and MinHash signature.

This is the unit of CPU work per page; crawler.workers runs it in worker processes so that Scrapy's
reactor keeps fetching while pages are analysed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from config.gazetteer import Gazetteer
from crawler.text.dedup import Sketch, fingerprint_and_signature
from crawler.text.exercises import Mention, detect_mentions
from crawler.text.extract import Article, ExtractOptions, extract_article
from crawler.text.relevance import THRESHOLD, Relevance, score_relevance


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
    relevance, mentions = analyse_text(article.text, title, article.published or published_hint, gazetteer,
                                       article.language)
    return PageAnalysis(article, relevance, mentions, fingerprint, signature)


def analyse_text(text: str, title: str, published: datetime | date | None, gazetteer: Gazetteer,
                 language: str | None = None) -> tuple[Relevance, tuple[Mention, ...]]:
    """Relevance and exercise mentions of one text, made to agree (see reconcile)."""
    relevance = score_relevance(text, title, language, gazetteer=gazetteer)
    mentions = tuple(detect_mentions(text, published, gazetteer, title=title))
    return reconcile(relevance, mentions), mentions


def reconcile(relevance: Relevance, mentions: tuple[Mention, ...]) -> Relevance:
    """An article with an exercise mention is never dropped: relevance that missed it (an SCO drill
    story naming China and Russia once among five members, a Vostok story about Russia with "Chinese
    troops took part" three paragraphs down) is lifted to the threshold, kept with a low score, and
    the disagreement is said."""
    if relevance.relevant or not mentions:
        return relevance
    found = ", ".join(dict.fromkeys(m.exercise for m in mentions))
    note = f"relevance scored {relevance.score:.2f} (off topic) but detection found {found}: kept"
    return replace(relevance, score=max(relevance.score, THRESHOLD), relevant=True,
                   reasons=relevance.reasons + (f"kept: exercise mention(s) found ({found})",), disagreement=note)
