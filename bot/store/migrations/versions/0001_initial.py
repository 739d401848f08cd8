"""The initial schema: feeds, articles (+ full-text search), statements, actors, aliases,
channels, channel_feeds, deliveries.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("etag", sa.String(500)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_attempt", UTCDateTime()),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("last_polled", UTCDateTime()),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
        sa.UniqueConstraint("url", name="uq_feeds_url"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed_id", sa.Integer),
        sa.Column("guid", sa.String(2048)),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("outlet", sa.String(500), nullable=False),
        sa.Column("published", UTCDateTime()),
        sa.Column("fetched", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_articles_feed_id_feeds", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("guid", name="uq_articles_guid"),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
        sa.UniqueConstraint("content_hash", name="uq_articles_content_hash"),
    )
    op.create_table(
        "actors",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_actors"),
    )
    op.create_table(
        "aliases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("norm", sa.String(300), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("speaker_name", sa.String(300), nullable=False),
        sa.Column("evidence", sa.String(500), nullable=False),
        sa.Column("article_id", sa.Integer),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_aliases"),
        sa.UniqueConstraint("norm", name="uq_aliases_norm"),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name="fk_aliases_actor_id_actors"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_aliases_article_id_articles",
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("actor_id", sa.String(100)),
        sa.Column("actor_evidence", sa.String(500), nullable=False),
        sa.Column("speaker_name", sa.String(300), nullable=False),
        sa.Column("speaker_norm", sa.String(300), nullable=False),
        sa.Column("role", sa.String(300)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stance", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_start", sa.Integer, nullable=False),
        sa.Column("content_end", sa.Integer, nullable=False),
        sa.Column("speaker_text", sa.String(500), nullable=False),
        sa.Column("speaker_start", sa.Integer, nullable=False),
        sa.Column("speaker_end", sa.Integer, nullable=False),
        sa.Column("cue_text", sa.String(500)),
        sa.Column("cue_start", sa.Integer),
        sa.Column("cue_end", sa.Integer),
        sa.Column("published", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_statements"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_statements_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name="fk_statements_actor_id_actors"),
    )
    op.create_index("ix_statements_article_id", "statements", ["article_id"])
    op.create_index("ix_statements_actor_published", "statements", ["actor_id", "published", "id"])
    op.create_index("ix_statements_speaker_norm", "statements", ["speaker_norm"])
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(50), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("schedule", sa.String(200)),
        sa.Column("timezone", sa.String(100), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channels"),
        sa.UniqueConstraint("platform", "workspace", "channel", name="uq_channels_ref"),
    )
    op.create_table(
        "channel_feeds",
        sa.Column("channel_id", sa.Integer, nullable=False),
        sa.Column("feed_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "feed_id", name="pk_channel_feeds"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_channel_feeds_channel_id_channels",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_channel_feeds_feed_id_feeds", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_id", sa.Integer, nullable=False),
        sa.Column("slot", UTCDateTime(), nullable=False),
        sa.Column("delivered", UTCDateTime(), nullable=False),
        sa.Column("last_article_id", sa.Integer, nullable=False),
        sa.Column("stories", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_deliveries_channel_id_channels",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("channel_id", "slot", name="uq_deliveries_slot"),
    )
    _create_search(op.get_bind().dialect.name)


def _create_search(dialect: str) -> None:
    """Full-text search over articles: FTS5 over the articles table (the
    repository indexes each article as it stores it) on SQLite,
    a generated tsvector with a GIN index on PostgreSQL."""
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_fts USING fts5(title, text, content = 'articles', "
            "content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(text, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_fts")
    for table in (
        "deliveries",
        "channel_feeds",
        "channels",
        "statements",
        "aliases",
        "actors",
        "articles",
        "feeds",
    ):
        op.drop_table(table)
