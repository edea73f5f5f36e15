"""dedup and change monitoring: articles.minhash (near-duplicate signature), due-revisit index

Plain ADD COLUMN / CREATE INDEX on both backends (no SQLite table rebuild, so the FTS triggers and the
article_exercises view of 0002 stay).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("minhash", sa.LargeBinary(), nullable=True))
    op.create_index("ix_articles_outlet_next_visit", "articles", ["outlet", "next_visit_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_articles_outlet_next_visit", table_name="articles")
    op.drop_column("articles", "minhash")  # SQLite >= 3.35 drops a column in place (no rebuild)
