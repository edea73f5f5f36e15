"""articles.published_source and published_note: where the publication date came from, and why

Two nullable columns; articles stored before have neither.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("published_source", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("published_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("published_note")
        batch.drop_column("published_source")
