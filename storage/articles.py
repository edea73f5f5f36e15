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
from functools import lru_cache
from typing import Callable, Iterable, Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.dedup import LshIndex, band_keys, decode, find_copy, lead_keys, lead_sketch, shingle_count
from storage.locks import store_locks, takes_store_locks
from storage.models import Article, ArticleVersion, SeenUrl, Story, utcnow
from storage.monitor import RevisitSchedule, next_visit, schedule_article


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
    published_source: str | None = None  # page markup | page URL | dateline | feed
    published_note: str | None = None    # why, when the page and the feed disagreed or a date was dropped
    etag: str | None = None
    last_modified: str | None = None
    relevant: bool = False
    relevance_score: float = 0.0
    minhash: bytes | None = None    # datasketch LeanMinHash of the text's shingles (near-duplicates)
    # computed with the signature by the analysis workers, so the store need not tokenise the text again;
    # None: not given (computed here). lead_minhash b"": the text is too short to have a lead sketch.
    lead_minhash: bytes | None = None   # storage.dedup.lead_sketch of the text, serialised
    shingles: int | None = None         # storage.dedup.shingle_count of the text


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


# --- URLs ---------------------------------------------------------------------------------------

# The insert path runs once per new page on the crawl's reactor thread: Core statements built once (their
# compiled form is cached), against the tables, skip the ORM's per-statement and flush machinery.
ARTICLES, VERSIONS, STORIES, SEEN = Article.__table__, ArticleVersion.__table__, Story.__table__, SeenUrl.__table__
_URLS = bindparam("urls", expanding=True)
_BY_CANONICAL = select(ARTICLES.c.id).where(ARTICLES.c.canonical_url.in_(_URLS)).limit(1)
_BY_SEEN = select(SEEN.c.article_id).where(SEEN.c.url.in_(_URLS), SEEN.c.article_id.is_not(None)).limit(1)
# no ORDER BY: with one, PostgreSQL walks the primary key and filters, a scan of the table per new article
_SAME_TEXT = select(ARTICLES.c.id, ARTICLES.c.story_id).where(
    ARTICLES.c.content_hash == bindparam("hash"), ARTICLES.c.story_id.is_not(None)).limit(50)


# What a store needs to know first, in one round trip: the article already stored under one of its URLs
# (canonical first), and the first stored article with the same text (an exact copy) and its story.
# The inner LIMIT keeps min() from becoming a walk of the primary key (as ORDER BY would).
_FIRST_SAME = select(func.min(_SAME_TEXT.subquery().c.id)).scalar_subquery()
_LOOKUP = select(func.coalesce(_BY_CANONICAL.scalar_subquery(),
                               _BY_SEEN.scalar_subquery()).label("article_id"),
                 _FIRST_SAME.label("copy_id"),
                 select(ARTICLES.c.story_id).where(ARTICLES.c.id == _FIRST_SAME).scalar_subquery().label("copy_story"))


def find_article_id(session: Session, *urls: str) -> int | None:
    """By canonical URL first, then by any URL we fetched it under."""
    urls = [u for u in urls if u]
    return session.scalar(_BY_CANONICAL, {"urls": urls}) or session.scalar(_BY_SEEN, {"urls": urls})


def _lookup(session: Session, urls: list[str], content_hash: str) -> tuple[int | None, tuple[int, int] | None]:
    """(article stored under one of these URLs, (id, story) of the first exact copy of the text)."""
    row = session.execute(_LOOKUP, {"urls": [u for u in urls if u], "hash": content_hash}).one()
    return row.article_id, ((row.copy_id, row.copy_story) if row.copy_id is not None else None)


@lru_cache(maxsize=8)
def _seen_insert(dialect: str, with_article: bool):
    """A link already known (another process may have just added it) stays; with an article, it gains
    the article if it had none. Without one, nothing to update: no write for a known link."""
    stmt = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(SEEN)
    if not with_article:
        return stmt.on_conflict_do_nothing(index_elements=[SEEN.c.url])
    return stmt.on_conflict_do_update(index_elements=[SEEN.c.url], set_={"article_id": stmt.excluded.article_id},
                                      where=SEEN.c.article_id.is_(None))


def remember_urls(session: Session, outlet: str, article_id: int | None, *urls: str) -> None:
    """The URLs an article was fetched under (and its canonical one) lead to it from now on."""
    rows = [{"url": url, "outlet": outlet, "article_id": article_id, "first_seen_at": utcnow()}
            for url in dict.fromkeys(u for u in urls if u)]
    if rows:
        session.execute(_seen_insert(session.get_bind().dialect.name, article_id is not None), rows)


def remember_links(session: Session, outlet: str, urls: Iterable[str]) -> None:
    """Record answered links in bulk; a link already known stays as it is."""
    remember_urls(session, outlet, None, *urls)


def seen_among(session: Session, urls: Iterable[str], chunk: int = 500) -> set[str]:
    """Which of these URLs were fetched before (feed, sitemap and listing links are checked in bulk)."""
    urls, seen = list(dict.fromkeys(urls)), set()
    for start in range(0, len(urls), chunk):
        part = urls[start:start + chunk]
        seen.update(session.scalars(select(SeenUrl.url).where(SeenUrl.url.in_(part))))
    return seen


# --- storing --------------------------------------------------------------------------------------

def store_article(session: Session, data: ArticleData, options: StoreOptions = DEFAULT_OPTIONS) -> StoreResult:
    sketch = lead = None
    if options.index is not None and data.minhash:
        sketch, lead = decode(data.minhash), _lead_of(data)
    if takes_store_locks(session):  # SQLite has one writer at a time: no names to build
        store_locks(session, lock_names(data, options, sketch, lead))  # another process storing a copy now: wait
    article_id, exact = _lookup(session, [data.canonical_url, data.url, data.final_url], data.content_hash)
    if article_id is None:
        return _insert(session, data, options, exact, sketch, lead)
    article = session.get(Article, article_id)
    remember_urls(session, data.outlet, article.id, data.url, data.final_url)
    article.last_fetched_at = data.fetched_at
    article.etag, article.last_modified = data.etag or article.etag, data.last_modified or article.last_modified
    result = _maybe_new_version(session, article, data, options)
    schedule_article(article, options.schedule, data.fetched_at)
    return result


def _lead_of(data: ArticleData):
    if data.lead_minhash is None:
        return lead_sketch(data.text)
    return decode(data.lead_minhash) if data.lead_minhash else None


def lock_names(data: ArticleData, options: StoreOptions, sketch=None, lead=None) -> list[str]:
    """What two copies of one story (or two fetches of one article) would share: their URLs, their text
    fingerprint, and (near copies) at least one LSH band key, of the text or of its lead (a copy cut
    short shares only the lead's). Held until the transaction commits."""
    names = [f"url:{u}" for u in (data.canonical_url, data.url, data.final_url) if u]
    names.append(f"text:{data.content_hash}")
    if options.index is not None and data.minhash and hasattr(options.index, "bands"):
        keys = band_keys(sketch if sketch is not None else decode(data.minhash), options.index.bands, options.index.rows)
        if lead is not None:
            keys += lead_keys(lead)
        names += [f"band:{band}:{key}" for band, key in keys]
    return names


def _insert(session: Session, data: ArticleData, options: StoreOptions, exact: tuple[int, int] | None,
            sketch, lead) -> StoreResult:
    """The story is settled first (the copy lookups need only the text's fingerprint and signature), so
    the article row goes in once, with its story."""
    copy_of, similarity = exact, None
    if copy_of is not None:  # same signature as the twin: the index already answers for both
        similarity, sketch = 1.0, None
    elif sketch is not None:
        size = data.shingles if data.shingles is not None else shingle_count(data.text)
        near = find_copy(session, options.index, sketch, size=size, lead=lead)
        if near is not None and near.story_id is not None:
            copy_of, similarity = (near.article_id, near.story_id), round(near.similarity, 4)
    if copy_of:
        story_id = copy_of[1]
    else:
        story_id = session.execute(_NEW_STORY, {"title": data.title, "first_seen_at": data.fetched_at,
                                                "copies": 1}).inserted_primary_key[0]
    values = {name: getattr(data, name) for name in _ARTICLE_FIELDS}
    values.update(first_fetched_at=data.fetched_at, last_fetched_at=data.fetched_at, story_id=story_id,
                  version_count=1, next_visit_at=next_visit(options.schedule, published=data.published_at,
                                                            first_seen=data.fetched_at, last_changed=None,
                                                            now=data.fetched_at))
    article_id = session.execute(_NEW_ARTICLE, values).inserted_primary_key[0]
    if copy_of:
        _join_story(session, story_id, (data.published_at or data.fetched_at, data.fetched_at, article_id),
                    data.title, data.fetched_at)
    else:
        session.execute(_SET_ORIGIN, {"story": story_id, "origin": article_id, "story_title": data.title})
    if sketch is not None:
        _add_to_index(options.index, session, article_id, sketch, lead)
    session.execute(_NEW_VERSION, {"article_id": article_id, "number": 1, "fetched_at": data.fetched_at,
                                   "title": data.title, "text": data.text, "content_hash": data.content_hash,
                                   "title_changed": False, "large_edit": False})
    remember_urls(session, data.outlet, article_id, data.url, data.final_url, data.canonical_url)
    return StoreResult("new", article_id, story_id, copy_of=copy_of[0] if copy_of else None, similarity=similarity)


_ARTICLE_FIELDS = ("outlet", "url", "canonical_url", "title", "text", "author", "agency", "site_name", "description",
                   "language", "published_at", "published_source", "published_note", "content_hash", "etag", "last_modified", "relevant",
                   "relevance_score", "minhash")
_NEW_ARTICLE, _NEW_STORY, _NEW_VERSION = insert(ARTICLES), insert(STORIES), insert(VERSIONS)


# --- stories --------------------------------------------------------------------------------------

_ORIGIN = (select(STORIES.c.first_seen_at, ARTICLES.c.published_at, ARTICLES.c.first_fetched_at, ARTICLES.c.id)
           .select_from(STORIES.outerjoin(ARTICLES, ARTICLES.c.id == STORIES.c.origin_article_id))
           .where(STORIES.c.id == bindparam("story")))
_STORY = STORIES.c.id == bindparam("story")
_SET_ORIGIN = update(STORIES).where(_STORY).values(origin_article_id=bindparam("origin"), title=bindparam("story_title"))
_ONE_MORE = update(STORIES).where(_STORY).values(copies=STORIES.c.copies + 1, first_seen_at=bindparam("first_seen"))
_ONE_MORE_EARLIER = _ONE_MORE.values(origin_article_id=bindparam("origin"), title=bindparam("story_title"))


def _join_story(session: Session, story_id: int, key: tuple, title: str | None, first_seen: datetime) -> None:
    """One more copy; the story's origin is its earliest copy (publication, else first fetch, else id)."""
    row = session.execute(_ORIGIN, {"story": story_id}).one()
    params = {"story": story_id, "first_seen": min(row.first_seen_at, first_seen)}
    if row.id is None or key < (row.published_at or row.first_fetched_at, row.first_fetched_at, row.id):
        session.execute(_ONE_MORE_EARLIER, {**params, "origin": key[2], "story_title": title})
    else:
        session.execute(_ONE_MORE, params)


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
        _add_to_index(index, session, article.id, decode(minhash), lead_sketch(article.text))


def _add_to_index(index: LshIndex, session: Session, article_id: int, sketch, lead) -> None:
    index.add(session, article_id, sketch, lead)


__all__ = ["ArticleData", "StoreResult", "StoreOptions", "store_article", "find_article_id", "remember_urls",
           "remember_links", "seen_among", "plain_compare"]
