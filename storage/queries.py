"""Read queries behind the CLI and the web view. Rows come back as plain dicts."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Story


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
    """One row per story (its earliest copy, or the earliest in the chosen outlet), newest first."""
    ranked = select(
        Article.id,
        func.row_number().over(partition_by=func.coalesce(Article.story_id, -Article.id),
                               order_by=(Article.first_fetched_at, Article.id)).label("rank"),
        func.count().over(partition_by=func.coalesce(Article.story_id, -Article.id)).label("copies"),
    )
    if outlet:
        ranked = ranked.where(Article.outlet == outlet)
    if relevant_only:
        ranked = ranked.where(Article.relevant.is_(True))
    ranked = ranked.subquery()
    a = aliased(Article)
    query = (select(a, ranked.c.copies).join(ranked, ranked.c.id == a.id).where(ranked.c.rank == 1)
             .order_by(func.coalesce(a.published_at, a.first_fetched_at).desc(), a.id.desc()).limit(limit))
    for article, copies in session.execute(query):
        yield article_row(article, copies)


def count_articles(session: Session, outlet: str | None = None) -> int:
    query = select(func.count()).select_from(Article)
    if outlet:
        query = query.where(Article.outlet == outlet)
    return session.scalar(query) or 0


def story_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Story)) or 0
