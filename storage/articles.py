"""Storing extracted articles: one row per canonical URL, versions on real edits, stories across outlets."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleVersion, SeenUrl, Story, utcnow


@dataclass
class ArticleData:
    """Plain values from the crawler: storage knows nothing of Scrapy or trafilatura."""
    outlet: str
    url: str
    canonical_url: str
    title: str | None
    text: str
    content_hash: str
    fetched_at: datetime = field(default_factory=utcnow)
    final_url: str | None = None
    author: str | None = None
    agency: str | None = None
    site_name: str | None = None
    description: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    relevant: bool = False
    relevance_score: float = 0.0


@dataclass
class StoreResult:
    status: str  # new | updated | unchanged
    article_id: int
    story_id: int | None
    version: int = 1


def find_article(session: Session, *urls: str) -> Article | None:
    """By canonical URL first, then by any URL we fetched it under."""
    urls = tuple(u for u in urls if u)
    article = session.scalar(select(Article).where(Article.canonical_url.in_(urls)).limit(1))
    if article is None:
        seen = session.scalar(select(SeenUrl).where(SeenUrl.url.in_(urls), SeenUrl.article_id.is_not(None)).limit(1))
        article = session.get(Article, seen.article_id) if seen else None
    return article


def remember_urls(session: Session, outlet: str, article_id: int | None, *urls: str) -> None:
    for url in dict.fromkeys(u for u in urls if u):
        seen = session.get(SeenUrl, url)
        if seen is None:
            session.add(SeenUrl(url=url, outlet=outlet, article_id=article_id))
        elif article_id and seen.article_id is None:
            seen.article_id = article_id


def store_article(session: Session, data: ArticleData) -> StoreResult:
    article = find_article(session, data.canonical_url, data.url, data.final_url)
    if article is None:
        return _insert(session, data)
    remember_urls(session, data.outlet, article.id, data.url, data.final_url)
    article.last_fetched_at = data.fetched_at
    article.etag, article.last_modified = data.etag or article.etag, data.last_modified or article.last_modified
    if article.content_hash == data.content_hash and article.title == data.title:
        return StoreResult("unchanged", article.id, article.story_id, article.version_count)
    return _new_version(session, article, data)


def _insert(session: Session, data: ArticleData) -> StoreResult:
    article = Article(
        outlet=data.outlet, url=data.url, canonical_url=data.canonical_url, title=data.title, text=data.text,
        author=data.author, agency=data.agency, site_name=data.site_name, description=data.description,
        language=data.language, published_at=data.published_at, first_fetched_at=data.fetched_at,
        last_fetched_at=data.fetched_at, content_hash=data.content_hash, etag=data.etag,
        last_modified=data.last_modified, relevant=data.relevant, relevance_score=data.relevance_score)
    session.add(article)
    session.flush()
    session.add(ArticleVersion(article_id=article.id, number=1, fetched_at=data.fetched_at, title=data.title,
                               text=data.text, content_hash=data.content_hash))
    article.story_id = _story_for(session, article)
    remember_urls(session, data.outlet, article.id, data.url, data.final_url, data.canonical_url)
    return StoreResult("new", article.id, article.story_id)


def _story_for(session: Session, article: Article) -> int:
    """An exact copy (same text hash) elsewhere joins that story; otherwise a new story starts."""
    twin = session.scalar(select(Article).where(Article.content_hash == article.content_hash,
                                                Article.id != article.id, Article.story_id.is_not(None)).limit(1))
    if twin is not None:
        session.execute(update(Story).where(Story.id == twin.story_id).values(copies=Story.copies + 1))
        return twin.story_id
    story = Story(origin_article_id=article.id, title=article.title, first_seen_at=article.first_fetched_at)
    session.add(story)
    session.flush()
    return story.id


def _new_version(session: Session, article: Article, data: ArticleData) -> StoreResult:
    diff = "\n".join(difflib.unified_diff(article.text.splitlines(), data.text.splitlines(),
                                          "previous", "current", lineterm=""))
    number = article.version_count + 1
    session.add(ArticleVersion(article_id=article.id, number=number, fetched_at=data.fetched_at, title=data.title,
                               text=data.text, content_hash=data.content_hash, diff=diff,
                               title_changed=article.title != data.title))
    article.title, article.text, article.content_hash = data.title, data.text, data.content_hash
    article.version_count, article.last_changed_at = number, data.fetched_at
    article.relevant, article.relevance_score = data.relevant, data.relevance_score
    return StoreResult("updated", article.id, article.story_id, number)
