"""What a delivery has posted, and why a channel's deliveries failed.

A delivery keeps the briefing it posts (as JSON) and how many of its messages went out,
so one interrupted after its first messages (an error, a restart) is finished from the
first unsent message, never posted twice; a failed delivery keeps its reason. A channel
counts its deliveries that failed in a row and pauses its schedule after a few, with
the reason, until a manager sets the schedule again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("briefing", sa.Text(), nullable=True))
    op.add_column(
        "deliveries", sa.Column("messages", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("deliveries", sa.Column("sent", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("deliveries", sa.Column("error", sa.String(300), nullable=True))
    op.add_column(
        "channels",
        sa.Column("delivery_failures", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("channels", sa.Column("paused_reason", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("paused_reason")
        batch.drop_column("delivery_failures")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("error")
        batch.drop_column("sent")
        batch.drop_column("messages")
        batch.drop_column("briefing")
