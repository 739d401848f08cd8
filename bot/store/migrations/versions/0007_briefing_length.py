"""Channels keep their briefing length: stories shown in full and bullets a story
(``/briefing length``); NULL is the default budget.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("channels", sa.Column("briefing_stories", sa.Integer(), nullable=True))
    op.add_column("channels", sa.Column("briefing_bullets", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("briefing_bullets")
        batch.drop_column("briefing_stories")
