"""The drillwatch schema. Times are stored as UTC and always come back timezone-aware."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer,
                        LargeBinary, String, Text, TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """SQLite has no time zones: store naive UTC, hand back aware UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


# --- crawl runs -------------------------------------------------------------------------------

class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | scheduled | demo | worker | seed
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | failed | interrupted | killed
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    pages_fetched: Mapped[int] = mapped_column(default=0)
    articles_new: Mapped[int] = mapped_column(default=0)
    articles_updated: Mapped[int] = mapped_column(default=0)
    articles_unchanged: Mapped[int] = mapped_column(default=0)
    items_dropped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    pid: Mapped[int | None]
    worker: Mapped[str | None] = mapped_column(String(200))  # cluster worker or seeder (host:pid:tag)
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None]


class CrawlError(Base):
    __tablename__ = "crawl_errors"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50))  # http_404, timeout, not_html, bad_feed, no_article...
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- articles, stories, versions -------------------------------------------------------------

class Story(Base):
    """One story, however many outlets carried it; the earliest copy is its origin."""
    __tablename__ = "stories"
    id: Mapped[int] = mapped_column(primary_key=True)
    origin_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", use_alter=True, name="fk_story_origin", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    copies: Mapped[int] = mapped_column(default=1)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_outlet_next_visit", "outlet", "next_visit_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(50))
    site_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    # where the date came from (page markup, page URL, dateline, feed) and why, when page and feed disagreed
    published_source: Mapped[str | None] = mapped_column(String(20))
    published_note: Mapped[str | None] = mapped_column(Text)
    first_fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # change monitoring: conditional requests and the decaying revisit schedule
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    next_visit_at: Mapped[datetime | None] = mapped_column(index=True)
    version_count: Mapped[int] = mapped_column(default=1)
    # near-duplicate detection: datasketch LeanMinHash of the text's shingles (bands in lsh_buckets)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # analysis
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    relevance_score: Mapped[float] = mapped_column(Float, default=0.0)
    analyzed_at: Mapped[datetime | None]

    story: Mapped[Story | None] = relationship(foreign_keys=[story_id])
    versions: Mapped[list["ArticleVersion"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleVersion.number")


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str | None] = mapped_column(Text)  # unified diff against the previous version
    title_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    large_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    article: Mapped[Article] = relationship(back_populates="versions")


class SeenUrl(Base):
    """Every article link ever fetched (kept even when no article came of it): feeds and listings
    repeat items for days, and those must not be fetched again."""
    __tablename__ = "seen_urls"
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


class LshBucket(Base):
    """MinHash LSH band buckets, persistent so near-duplicate lookup scales past memory."""
    __tablename__ = "lsh_buckets"
    __table_args__ = (Index("ix_lsh_band_key", "band", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    band: Mapped[int] = mapped_column(Integer)
    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class BoilerplateLine(Base):
    """How many pages of an outlet carried a line: lines on many pages are template, not article."""
    __tablename__ = "boilerplate_lines"
    outlet: Mapped[str] = mapped_column(String(100), primary_key=True)
    line_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    pages: Mapped[int] = mapped_column(default=0)
    sample: Mapped[str | None] = mapped_column(Text)


# --- exercises and alerts --------------------------------------------------------------------

class ExerciseInstance(Base):
    """One edition of an exercise (Vostok-2022) or one joint activity (an air patrol in July 2024),
    known from the gazetteer or discovered in articles. A discovered instance later found in the
    gazetteer is merged: merged_into_id points at the known instance, which took its mentions and alerts."""
    __tablename__ = "exercise_instances"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(Text)
    series: Mapped[str | None] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # named | patrol | drill | discovered
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    year: Mapped[int | None]
    ordinal: Mapped[int | None]
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    places: Mapped[list[Any] | None]
    participants: Mapped[list[Any] | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    first_outlet: Mapped[str | None] = mapped_column(String(100))
    reported_starting_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("exercise_instances.id"))
    mention_count: Mapped[int] = mapped_column(default=0)


class ExerciseMention(Base):
    """One sentence of one article naming an instance. `current`: the article reports it as news
    (dated near its publication), not as background ("the previous edition, Vostok-2018, ...")."""
    __tablename__ = "exercise_mentions"
    __table_args__ = (UniqueConstraint("article_id", "instance_id", "sentence_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("exercise_instances.id", ondelete="CASCADE"), index=True)
    sentence: Mapped[str] = mapped_column(Text)
    sentence_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    date: Mapped[date | None] = mapped_column(Date)
    places: Mapped[list[Any] | None]
    participants: Mapped[list[Any] | None]
    starting: Mapped[bool] = mapped_column(Boolean, default=False)
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """Raised once per new instance (or first report of one starting); kept until every sink took it.

    status: pending (some configured sink has not taken it yet) | sent | failed (max attempts reached;
    `drillwatch alerts --retry` makes it pending again). `delivered` maps sink id -> ISO time.
    `historical`: the report was already old when first crawled (backfill of an archive)."""
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("instance_id", "reason"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("exercise_instances.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(30))  # new_instance | starting
    title: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    url: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(100))
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any] | None]  # instance and mention facts at raise time (dates, places...)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[dict[str, Any] | None]  # sink id -> ISO time delivered
    sent_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a delivery in progress holds the alert until then


# --- reference data --------------------------------------------------------------------------------

class Place(Base):
    """Where a place named by the gazetteer or the detector lies (approximately), for the web view's map.
    A copy of places.yaml (`storage.places.sync_places`); a place named elsewhere but absent here has
    no coordinates, and the web view lists it instead of guessing."""
    __tablename__ = "places"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(30))  # sea | strait | bay | gulf | ocean | region | city | port | range | lake
