"""A covering index from articles to their statements' actor, stance and date, for topic
filters (it replaces the plain article_id index, which is its prefix).

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_statements_article_actor",
        "statements",
        ["article_id", "actor_id", "stance", "published"],
    )
    op.drop_index("ix_statements_article_id", table_name="statements")


def downgrade() -> None:
    op.create_index("ix_statements_article_id", "statements", ["article_id"])
    op.drop_index("ix_statements_article_actor", table_name="statements")
