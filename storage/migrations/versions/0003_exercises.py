"""exercise mentions: current, confidence; alerts: outlet, historical, details, sent_at, claimed_until

Plain ADD COLUMN on both backends (no SQLite table rebuild, so the article_exercises view of 0002 stays).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MENTION_COLUMNS = (
    sa.Column("current", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("confidence", sa.Float(), nullable=False, server_default="1.0"),
)
ALERT_COLUMNS = (
    sa.Column("outlet", sa.String(length=100), nullable=True),
    sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("details", sa.JSON(), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    for column in MENTION_COLUMNS:
        op.add_column("exercise_mentions", column)
    for column in ALERT_COLUMNS:
        op.add_column("alerts", column)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35): a batch rebuild would trip over the article_exercises view.
    for column in reversed(ALERT_COLUMNS):
        op.execute(f"ALTER TABLE alerts DROP COLUMN {column.name}")
    for column in reversed(MENTION_COLUMNS):
        op.execute(f'ALTER TABLE exercise_mentions DROP COLUMN "{column.name}"')
