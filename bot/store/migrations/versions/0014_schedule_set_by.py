"""Who set a channel's schedule: the manager a failed delivery is told about when the
channel itself cannot be posted in (the bot was removed, lost a permission).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("channels", sa.Column("schedule_set_by", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("schedule_set_by")
