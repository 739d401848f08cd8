"""The bot's storage: SQLAlchemy models, the repository, Alembic migrations."""

from __future__ import annotations

from bot.store.db import make_engine, migrate, open_database
from bot.store.repository import (
    AliasEntry,
    NewArticle,
    Repository,
    StanceCounts,
    StoredStatement,
    canonical_url,
    content_hash,
)

__all__ = [
    "AliasEntry",
    "NewArticle",
    "Repository",
    "StanceCounts",
    "StoredStatement",
    "canonical_url",
    "content_hash",
    "make_engine",
    "migrate",
    "open_database",
]
