"""Storing extracted articles: one row per canonical URL, a version per meaningful edit, and one story
per piece of journalism however many outlets carried it.

* Identity: the canonical URL (normalised by the caller), else any URL the article was fetched under.
* Stories: an exact copy (same text fingerprint) or a confirmed near copy (MinHash LSH candidate whose
  estimated Jaccard clears the threshold, see storage.dedup) joins that copy's story; otherwise a new
  story starts. The story's origin is its earliest copy by publication date, else by first fetch.
* Versions: a re-fetch whose fingerprint and title are unchanged is "unchanged"; otherwise the caller's
  `compare` (the pure meaningful-change test) decides, and a new version keeps its time, a unified diff to
  the previous one, and title-changed / large-edit flags.
* Every store moves the article's revisit schedule (storage.monitor).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.dedup import LshIndex, decode, find_copy
from storage.models import Article, ArticleVersion, SeenUrl, Story, utcnow
from storage.monitor import RevisitSchedule, schedule_article


@dataclass
class ArticleData:
    """Plain values from the crawler: storage knows nothing of Scrapy or trafilatura."""
    outlet: str
    url: str
    canonical_url: str
    title: str | None
    text: str
    content_hash: str               # fingerprint of the text as a reader compares it
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
    minhash: bytes | None = None    # datasketch LeanMinHash of the text's shingles (near-duplicates)


@dataclass
class StoreResult:
    status: str  # new | updated | unchanged
    article_id: int
    story_id: int | None
    version: int = 1
    copy_of: int | None = None          # new article: the stored copy whose story it joined
    similarity: float | None = None     # 1.0 for an exact copy, else the estimated Jaccard
    title_changed: bool = False         # updated article: flags of the new version
    large_edit: bool = False


class VersionChange(Protocol):
    meaningful: bool
    title_changed: bool
    large_edit: bool
    diff: str


Compare = Callable[[str, "str | None", str, "str | None"], VersionChange]


@dataclass(frozen=True)
class PlainChange:
    """Fallback when no compare function is given: any difference counts."""
    meaningful: bool
    title_changed: bool
    large_edit: bool
    diff: str


def plain_compare(old_text: str, old_title: str | None, new_text: str, new_title: str | None) -> PlainChange:
    diff = "\n".join(difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), "previous", "current",
                                          lineterm=""))
    ratio = difflib.SequenceMatcher(None, old_text.split(), new_text.split(), autojunk=False).ratio()
    title_changed = (old_title or "") != (new_title or "")
    return PlainChange(old_text != new_text or title_changed, title_changed, ratio < 0.8, diff)


@dataclass(frozen=True)
class StoreOptions:
    index: LshIndex | None = None          # near-duplicate lookup; None: exact copies only
    compare: Compare = plain_compare       # the meaningful-change test
    schedule: RevisitSchedule = field(default_factory=RevisitSchedule)


DEFAULT_OPTIONS = StoreOptions()


# --- URLs -----------------------------------------------------------------------------------------

def find_article(session: Session, *urls: str) -> Article | None:
    """By canonical URL first, then by any URL we fetched it under."""
    urls = tuple(u for u in urls if u)
    article = session.scalar(select(Article).where(Article.canonical_url.in_(urls)).limit(1))
    if article is None:
        seen = session.scalar(select(SeenUrl).where(SeenUrl.url.in_(urls), SeenUrl.article_id.is_not(None)).limit(1))
        article = session.get(Article, seen.article_id) if seen else None
    return article


def remember_urls(session: Session, outlet: str, article_id: int | None, *urls: str) -> None:
    """The URLs an article was fetched under (and its canonical one) lead to it from now on."""
    urls = tuple(dict.fromkeys(u for u in urls if u))
    remember_links(session, outlet, urls)
    if article_id and urls:
        session.execute(update(SeenUrl).where(SeenUrl.url.in_(urls), SeenUrl.article_id.is_(None))
                        .values(article_id=article_id))


def remember_links(session: Session, outlet: str, urls: Iterable[str]) -> None:
    """Record answered links in bulk; a link already known (another process may have just added it) stays."""
    rows = [{"url": url, "outlet": outlet} for url in dict.fromkeys(u for u in urls if u)]
    if not rows:
        return
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert(SeenUrl).on_conflict_do_nothing(index_elements=["url"]), rows)


def seen_among(session: Session, urls: Iterable[str], chunk: int = 500) -> set[str]:
    """Which of these URLs were fetched before (feed, sitemap and listing links are checked in bulk)."""
    urls, seen = list(dict.fromkeys(urls)), set()
    for start in range(0, len(urls), chunk):
        part = urls[start:start + chunk]
        seen.update(session.scalars(select(SeenUrl.url).where(SeenUrl.url.in_(part))))
    return seen


# --- storing --------------------------------------------------------------------------------------

def store_article(session: Session, data: ArticleData, options: StoreOptions = DEFAULT_OPTIONS) -> StoreResult:
    article = find_article(session, data.canonical_url, data.url, data.final_url)
    if article is None:
        return _insert(session, data, options)
    remember_urls(session, data.outlet, article.id, data.url, data.final_url)
    article.last_fetched_at = data.fetched_at
    article.etag, article.last_modified = data.etag or article.etag, data.last_modified or article.last_modified
    result = _maybe_new_version(session, article, data, options)
    schedule_article(article, options.schedule, data.fetched_at)
    return result


def _insert(session: Session, data: ArticleData, options: StoreOptions) -> StoreResult:
    article = Article(
        outlet=data.outlet, url=data.url, canonical_url=data.canonical_url, title=data.title, text=data.text,
        author=data.author, agency=data.agency, site_name=data.site_name, description=data.description,
        language=data.language, published_at=data.published_at, first_fetched_at=data.fetched_at,
        last_fetched_at=data.fetched_at, content_hash=data.content_hash, etag=data.etag,
        last_modified=data.last_modified, relevant=data.relevant, relevance_score=data.relevance_score,
        minhash=data.minhash)
    schedule_article(article, options.schedule, data.fetched_at)
    session.add(article)
    session.flush()
    session.add(ArticleVersion(article_id=article.id, number=1, fetched_at=data.fetched_at, title=data.title,
                               text=data.text, content_hash=data.content_hash))
    result = _place_in_story(session, article, options.index)
    remember_urls(session, data.outlet, article.id, data.url, data.final_url, data.canonical_url)
    return result


# --- stories --------------------------------------------------------------------------------------

def _exact_copy(session: Session, article: Article) -> tuple[int, int] | None:
    """(id, story id) of the first stored article with the same fingerprint. No ORDER BY in SQL: with
    one, PostgreSQL walks the primary key and filters, a scan of the whole table per new article."""
    rows = session.execute(select(Article.id, Article.story_id).where(
        Article.content_hash == article.content_hash, Article.id != article.id, Article.story_id.is_not(None))
        .limit(50)).all()
    return min(rows, default=None)


def _place_in_story(session: Session, article: Article, index: LshIndex | None) -> StoreResult:
    """Exact copy -> its story; confirmed near copy -> its story (and the article joins the index);
    else a new story (and the index)."""
    twin = _exact_copy(session, article)
    if twin is not None:  # same signature as the twin: the index already answers for both
        twin_id, story_id = twin
        article.story_id = _join_story(session, story_id, article)
        return StoreResult("new", article.id, article.story_id, copy_of=twin_id, similarity=1.0)
    copy = None
    if index is not None and article.minhash:
        sketch = decode(article.minhash)
        copy = find_copy(session, index, sketch, exclude=(article.id,))
        index.add(session, article.id, sketch)
    if copy is not None and copy.story_id is not None:
        article.story_id = _join_story(session, copy.story_id, article)
        return StoreResult("new", article.id, article.story_id, copy_of=copy.article_id,
                           similarity=round(copy.similarity, 4))
    article.story_id = _new_story(session, article)
    return StoreResult("new", article.id, article.story_id)


def _origin_key(article: Article) -> tuple:
    return (article.published_at or article.first_fetched_at, article.first_fetched_at, article.id)


def _new_story(session: Session, article: Article) -> int:
    story = Story(origin_article_id=article.id, title=article.title, first_seen_at=article.first_fetched_at)
    session.add(story)
    session.flush()
    return story.id


def _join_story(session: Session, story_id: int, article: Article) -> int:
    session.execute(update(Story).where(Story.id == story_id).values(copies=Story.copies + 1))
    story = session.get(Story, story_id)
    origin = session.get(Article, story.origin_article_id) if story.origin_article_id else None
    if origin is None or _origin_key(article) < _origin_key(origin):
        story.origin_article_id, story.title = article.id, article.title
    story.first_seen_at = min(story.first_seen_at, article.first_fetched_at)
    return story_id


# --- versions -------------------------------------------------------------------------------------

def _maybe_new_version(session: Session, article: Article, data: ArticleData, options: StoreOptions) -> StoreResult:
    unchanged = StoreResult("unchanged", article.id, article.story_id, article.version_count)
    if article.content_hash == data.content_hash and (article.title or "") == (data.title or ""):
        return unchanged
    change = options.compare(article.text, article.title, data.text, data.title)
    if not change.meaningful:
        return unchanged
    number = article.version_count + 1
    session.add(ArticleVersion(article_id=article.id, number=number, fetched_at=data.fetched_at, title=data.title,
                               text=data.text, content_hash=data.content_hash, diff=change.diff,
                               title_changed=change.title_changed, large_edit=change.large_edit))
    article.title, article.text, article.content_hash = data.title, data.text, data.content_hash
    article.version_count, article.last_changed_at = number, data.fetched_at
    article.relevant, article.relevance_score = data.relevant, data.relevance_score
    _reindex(session, article, data.minhash, options.index)
    return StoreResult("updated", article.id, article.story_id, number,
                       title_changed=change.title_changed, large_edit=change.large_edit)


def _reindex(session: Session, article: Article, minhash: bytes | None, index: LshIndex | None) -> None:
    """An edited article keeps its story; its signature (and index entry) follows the new text."""
    if minhash is None:
        return
    article.minhash = minhash
    if index is not None:
        index.remove(session, article.id)
        index.add(session, article.id, decode(minhash))


__all__ = ["ArticleData", "StoreResult", "StoreOptions", "store_article", "find_article", "remember_urls",
           "remember_links", "seen_among", "plain_compare"]
