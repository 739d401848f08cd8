"""Fixtures for ingestion tests: a loopback feed server and a client allowed to reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.ingest import make_client
from tests.fakes.feed_server import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A client allowed to reach loopback, with short timeouts so failure tests stay quick."""
    async with make_client(allow_private=True, timeout=1.0) as http:
        yield http
