"""The actor's newest-first index also carries each statement's article and stance, so
/stance walks it alone: the newest page of a topic checks the article in the index, and
the counts of --since and of a topic read no table rows.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_statements_actor_newest",
        "statements",
        ["actor_id", "published", "id", "article_id", "stance"],
    )
    op.drop_index("ix_statements_actor_published", table_name="statements")


def downgrade() -> None:
    op.create_index("ix_statements_actor_published", "statements", ["actor_id", "published", "id"])
    op.drop_index("ix_statements_actor_newest", table_name="statements")
