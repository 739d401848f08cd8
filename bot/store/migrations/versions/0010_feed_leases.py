"""Feeds are leased for a poll: several processes on one PostgreSQL poll each feed once.

A process leases the due feeds it will poll (``SELECT … FOR UPDATE SKIP LOCKED``, then
``lease_until``); a crashed process's lease expires and another takes its feeds over.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.add_column("feeds", sa.Column("lease_holder", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_holder")
        batch.drop_column("lease_until")
