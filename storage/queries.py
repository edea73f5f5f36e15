"""Read queries behind the CLI and the web view. Rows come back as plain dicts."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, ArticleVersion, Story


def article_row(article: Article, copies: int | None = None) -> dict:
    return {
        "id": article.id, "outlet": article.outlet, "title": article.title, "url": article.url,
        "canonical_url": article.canonical_url, "published": article.published_at,
        "first_fetched": article.first_fetched_at, "last_fetched": article.last_fetched_at,
        "author": article.author, "agency": article.agency, "language": article.language,
        "relevant": article.relevant, "score": round(article.relevance_score or 0.0, 3),
        "story_id": article.story_id, "copies": copies, "versions": article.version_count,
        "content_hash": article.content_hash,
    }


def list_stories(session: Session, limit: int = 20, outlet: str | None = None,
                 relevant_only: bool = False) -> Iterator[dict]:
    """One row per story, newest first: its origin (earliest copy by publication, else first fetch), or
    with `outlet` the earliest copy in that outlet. `copies` counts the story's copies in every outlet."""
    story = func.coalesce(Article.story_id, -Article.id)
    when = func.coalesce(Article.published_at, Article.first_fetched_at)
    preferred = [Article.outlet != outlet] if outlet else []
    if relevant_only:
        preferred.append(Article.relevant.is_(False))
    ranked = select(
        Article.id,
        func.row_number().over(partition_by=story, order_by=(*preferred, when, Article.first_fetched_at,
                                                             Article.id)).label("rank"),
        func.count().over(partition_by=story).label("copies"),
    ).subquery()
    a = aliased(Article)
    query = select(a, ranked.c.copies).join(ranked, ranked.c.id == a.id).where(ranked.c.rank == 1)
    if outlet:
        query = query.where(a.outlet == outlet)
    if relevant_only:
        query = query.where(a.relevant.is_(True))
    query = query.order_by(func.coalesce(a.published_at, a.first_fetched_at).desc(), a.id.desc()).limit(limit)
    for article, copies in session.execute(query):
        yield article_row(article, copies)


def article_detail(session: Session, article_id: int) -> dict | None:
    """One article with its text, its copies in other outlets (story order, origin first) and its versions
    (oldest first, each with its unified diff to the previous one)."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    story = session.get(Story, article.story_id) if article.story_id else None
    copies = []
    if story is not None:
        members = session.scalars(select(Article).where(Article.story_id == story.id, Article.id != article.id)
                                  .order_by(func.coalesce(Article.published_at, Article.first_fetched_at), Article.id))
        copies = [{"id": m.id, "outlet": m.outlet, "title": m.title, "url": m.url, "published": m.published_at,
                   "origin": m.id == story.origin_article_id} for m in members]
    versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)
                               .order_by(ArticleVersion.number))
    row = article_row(article, len(copies) + 1)
    row.update(text=article.text, description=article.description, next_visit=article.next_visit_at,
               date_source=article.published_source, date_note=article.published_note,
               last_changed=article.last_changed_at, origin=story is None or story.origin_article_id == article.id,
               copies_in_other_outlets=copies,
               history=[{"number": v.number, "fetched": v.fetched_at, "title": v.title,
                              "title_changed": v.title_changed, "large_edit": v.large_edit, "diff": v.diff}
                             for v in versions])
    return row


def count_articles(session: Session, outlet: str | None = None) -> int:
    query = select(func.count()).select_from(Article)
    if outlet:
        query = query.where(Article.outlet == outlet)
    return session.scalar(query) or 0


def story_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Story)) or 0
