"""Article extraction is claimed like feeds: several processes never parse one article twice.

A process claims the articles of a batch (their canonical URL and content keys) before it
runs the engine, and frees them when they are stored; another process reaching the same
article through another feed waits for it and links it. A dead claimer's claims end with
their lease (at once on its own machine).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_claims",
        sa.Column("key", sa.String(70), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("article_claims")
