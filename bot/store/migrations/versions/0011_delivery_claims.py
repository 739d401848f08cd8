"""A delivery's claim is a row of its own, committed before the briefing is posted.

The slot is claimed in a short transaction, the briefing posted outside any transaction,
and the result recorded in another: nothing holds SQLite's write lock (or a PostgreSQL row
lock) across the network. The claim names its holder and how long it holds, so a slot
whose claimer died is taken over (at once on its own machine, else when the claim ends).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("claim_holder", sa.String(200), nullable=True))
    op.add_column("deliveries", sa.Column("claim_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claim_until")
        batch.drop_column("claim_holder")
