"""full-text search over articles, and the article_exercises view

SQLite: an external-content FTS5 table `articles_fts(title, text)` over `articles` (rowid = articles.id),
kept in step by three triggers; Datasette finds it by its `content="articles"` clause.
PostgreSQL: a stored generated tsvector column `articles.search_vector` (title weighted A, text B)
with a GIN index; queries use websearch_to_tsquery('english', ...).
Both: the view `article_exercises`, one row per article and exercise it mentions (for facets).

SQLite also gets the covering index `ix_articles_search` that ranking reads instead of whole rows.

Caution for later migrations: on SQLite, `batch_alter_table("articles")` rebuilds the table and the
triggers and ix_articles_search go with it; such a migration must create them again (TRIGGERS_SQLITE,
INDEX_SQLITE; see `recreate_sqlite_search_objects`), and the view article_exercises makes the rebuild fail unless the
connection runs `PRAGMA legacy_alter_table=ON`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_SQLITE = """
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text,
    content="articles", content_rowid="id",
    tokenize="porter unicode61 remove_diacritics 2"
)"""

TRIGGERS_SQLITE = (
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""",
    # Only a changed title or text touches the index (revisits update last_fetched_at all the time).
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
)

# Ranking reads these for every match; with the index SQLite need not read whole rows (storage.search
# names it in INDEXED BY).
INDEX_SQLITE = """CREATE INDEX ix_articles_search ON articles
    (id, story_id, published_at, first_fetched_at, outlet, language, relevant)"""

# A title match weighs five body matches; `ORDER BY rank` (Datasette, the canned queries) uses it.
RANK_SQLITE = "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')"
REBUILD_SQLITE = "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"

# Texts are cut at 300,000 characters so an odd giant page cannot exceed tsvector's 1 MB limit.
FTS_POSTGRES = (
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, left(coalesce(text, ''), 300000)), 'B')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING GIN (search_vector)",
)

VIEW = """
CREATE VIEW article_exercises AS
SELECT DISTINCT a.id AS article_id, a.story_id, a.outlet, a.language, a.relevant,
       coalesce(a.published_at, a.first_fetched_at) AS published, a.title, a.url,
       coalesce(t.key, i.key) AS exercise_key, coalesce(t.name, i.name) AS exercise,
       coalesce(t.series, i.series) AS series, coalesce(t.kind, i.kind) AS kind,
       coalesce(t.year, i.year) AS year
FROM (SELECT DISTINCT article_id, instance_id FROM exercise_mentions) m
JOIN articles a ON a.id = m.article_id
JOIN exercise_instances i ON i.id = m.instance_id
LEFT JOIN exercise_instances t ON t.id = i.merged_into_id"""


def recreate_sqlite_search_objects() -> None:
    """Also for a later SQLite migration that rebuilt `articles`: covering index, triggers, FTS rebuilt."""
    op.execute(INDEX_SQLITE)
    for statement in TRIGGERS_SQLITE:
        op.execute(statement)
    op.execute(REBUILD_SQLITE)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(FTS_SQLITE)
        op.execute(RANK_SQLITE)
        recreate_sqlite_search_objects()
    elif dialect == "postgresql":
        for statement in FTS_POSTGRES:
            op.execute(statement)
    op.execute(VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS article_exercises")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("articles_fts_insert", "articles_fts_delete", "articles_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
