"""Storage tests run on SQLite and on a real PostgreSQL (see pg.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store import Repository
from tests.bot.store.factories import opened
from tests.bot.store.pg import database_url

__all__ = ["database_url"]


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    with opened(database_url) as (_engine, repository):
        yield repository
