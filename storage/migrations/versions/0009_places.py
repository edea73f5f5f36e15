"""places: approximate coordinates of exercise places (a copy of config/places.yaml) for the web view's map

A new table only; nothing else changes.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-05 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("name", sa.String(length=200), primary_key=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("places")
