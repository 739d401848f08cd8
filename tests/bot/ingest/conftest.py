"""Fixtures for ingestion tests: a loopback feed server and a client allowed to reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.ingest import make_client
from tests.fakes.feed_server import FeedServer
from tests.timing import PATIENT


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """A client allowed to reach loopback; its timeouts are never what a test runs into."""
    async with make_client(allow_private=True, timeout=PATIENT) as http:
        yield http
