"""The bot's storage: SQLAlchemy models, the stores by what they hold (feeds, articles,
statements, channels) behind ``Repository``, the service's async ``Store``, Alembic
migrations."""

from __future__ import annotations

from bot.store.articles import canonical_url, content_hash
from bot.store.db import make_engine, migrate, open_database
from bot.store.records import (
    AliasEntry,
    ChannelRecord,
    DeliveryRecord,
    FeedRecord,
    NewArticle,
    StanceCounts,
    StoredStatement,
    normalise_name,
)
from bot.store.repository import Repository
from bot.store.store import Posted, Store

__all__ = [
    "AliasEntry",
    "ChannelRecord",
    "DeliveryRecord",
    "FeedRecord",
    "NewArticle",
    "Posted",
    "Repository",
    "StanceCounts",
    "Store",
    "StoredStatement",
    "canonical_url",
    "content_hash",
    "make_engine",
    "migrate",
    "normalise_name",
    "open_database",
]
