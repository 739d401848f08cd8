"""Per-actor running totals for the /stance summary, filled from the stored statements.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actor_stats",
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("stance", sa.String(20), nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
        sa.Column("first", UTCDateTime(), nullable=False),
        sa.Column("last", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "stance", name="pk_actor_stats"),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name="fk_actor_stats_actor_id_actors"),
    )
    op.execute(
        "INSERT INTO actor_stats (actor_id, stance, statements, first, last) "
        "SELECT actor_id, stance, count(*), min(published), max(published) FROM statements "
        "WHERE actor_id IS NOT NULL GROUP BY actor_id, stance"
    )


def downgrade() -> None:
    op.drop_table("actor_stats")
