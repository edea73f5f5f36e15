"""Storage on SQLite and PostgreSQL: migrations, storing, versions, locked databases."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from storage.articles import ArticleData, store_article
from storage.db import StorageError, init_db, make_engine, session_scope
from storage.models import Article, ArticleVersion, Base


def data(**overrides) -> ArticleData:
    values = dict(outlet="tass", url="https://tass.com/defense/1", canonical_url="https://tass.com/defense/1",
                  title="Joint patrol", text="Russian and Chinese bombers flew a joint patrol.",
                  content_hash="h1", published_at=datetime(2024, 7, 25, 9, 0, tzinfo=timezone.utc))
    values.update(overrides)
    return ArticleData(**values)


def test_migrations_build_exactly_the_models(engine):
    from storage.migrations.env_filter import include_name
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_go_down_to_nothing_and_up_again(engine):
    from alembic import command
    from sqlalchemy import inspect
    from storage.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    init_db(engine)
    assert {"articles", "stories", "alerts", "exercise_instances"} <= set(inspect(engine).get_table_names())


def test_new_then_unchanged_then_updated(engine):
    with session_scope(engine) as session:
        first = store_article(session, data())
    with session_scope(engine) as session:
        again = store_article(session, data(url="https://tass.com/defense/1?utm_source=x"))
    with session_scope(engine) as session:
        edited = store_article(session, data(text="Russian and Chinese bombers flew a second joint patrol.",
                                             content_hash="h2"))
    assert (first.status, again.status, edited.status) == ("new", "unchanged", "updated")
    assert first.article_id == again.article_id == edited.article_id
    with session_scope(engine) as session:
        article = session.get(Article, first.article_id)
        assert article.published_at == datetime(2024, 7, 25, 9, 0, tzinfo=timezone.utc)
        assert article.version_count == 2
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id)).all()
        assert [v.number for v in versions] == [1, 2]
        assert "+Russian and Chinese bombers flew a second joint patrol." in versions[1].diff


def test_exact_copy_in_another_outlet_joins_the_story(engine):
    with session_scope(engine) as session:
        a = store_article(session, data())
        b = store_article(session, data(outlet="artifex", url="https://artifex.example/x",
                                        canonical_url="https://artifex.example/x"))
    assert a.story_id == b.story_id and a.article_id != b.article_id


def test_locked_sqlite_database_gives_a_clear_message_and_keeps_rows(tmp_path):
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    init_db(engine)
    with session_scope(engine) as session:
        store_article(session, data())
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA busy_timeout=0")
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StorageError, match="locked by another process"):
            with session_scope(engine) as session:
                session.execute(text("PRAGMA busy_timeout=200"))
                store_article(session, data(url="https://tass.com/defense/2", canonical_url="https://tass.com/defense/2"))
    finally:
        holder.rollback()
        holder.close()
    with session_scope(engine) as session:
        assert [a.url for a in session.scalars(select(Article))] == ["https://tass.com/defense/1"]
