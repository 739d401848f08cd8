"""Articles belong to feeds many-to-many, and items without text wait to be tried again.

``feed_articles`` links a feed's item (its GUID, hashed: unique per feed, not globally) to
the article it is; an article reached through two feeds has two links, so both feeds'
channels get it. Its ids are the order in which articles reached feeds: a delivery's
high-water mark (``deliveries.last_article_id``) counts in them. Existing articles get a
link with their own id, so the marks already stored keep their meaning.

``pending_items`` are items seen without any text (their page could not be read), tried
again on later polls up to a limit, whatever the feed's 304s say.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("guid_hash", sa.String(64), nullable=False),
        sa.Column("linked", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_articles"),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_feed_articles_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_feed_articles_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("feed_id", "guid_hash", name="uq_feed_articles_feed_id"),
    )
    op.create_index("ix_feed_articles_article", "feed_articles", ["article_id", "id"])
    op.create_index("ix_feed_articles_feed", "feed_articles", ["feed_id", "id", "article_id"])
    op.create_table(
        "pending_items",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("guid_hash", sa.String(64), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(500), nullable=False),
        sa.Column("published", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed_id", "guid_hash", name="pk_pending_items"),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_pending_items_feed_id_feeds", ondelete="CASCADE"
        ),
    )
    # Every stored article linked to the feed it came from (or to none), under its own id.
    conn = op.get_bind()
    links = sa.table(
        "feed_articles",
        sa.column("id", sa.Integer()),
        sa.column("feed_id", sa.Integer()),
        sa.column("article_id", sa.Integer()),
        sa.column("guid_hash", sa.String()),
        sa.column("linked"),  # copied as read, whatever the dialect returns
    )
    rows = conn.execute(sa.text("SELECT id, feed_id, guid, url, fetched FROM articles ORDER BY id"))
    batch: list[dict[str, object]] = []
    for article_id, feed_id, guid, url, fetched in rows:
        key = guid or url or f"article:{article_id}"
        batch.append(
            {
                "id": article_id,
                "feed_id": feed_id,
                "article_id": article_id,
                "guid_hash": hashlib.sha256(key.encode("utf-8", "replace")).hexdigest(),
                "linked": fetched,
            }
        )
        if len(batch) >= 1000:
            conn.execute(sa.insert(links), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(links), batch)
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('feed_articles', 'id'), "
                "coalesce((SELECT max(id) FROM feed_articles), 0) + 1, false)"
            )
        )


def downgrade() -> None:
    op.drop_table("pending_items")
    op.drop_index("ix_feed_articles_feed", table_name="feed_articles")
    op.drop_index("ix_feed_articles_article", table_name="feed_articles")
    op.drop_table("feed_articles")
