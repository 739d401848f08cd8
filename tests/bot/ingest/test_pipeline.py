"""The ingestion pipeline on SQLite and a real PostgreSQL: hostile values are made fit for
their columns, and whatever one feed or item raises is that feed's error alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.ingest.pipeline import IngestPipeline
from bot.runtime import Runtime, build_runtime
from bot.store import NewArticle, Repository, models
from briefings.models import Statement
from config.settings import load_settings
from tests.bot.store.pg import database_url
from tests.bot.test_service_runtime import NOW, Clock, PatternExtractor, world_feed
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

__all__ = ["database_url"]

LONG_TEXT = " ".join(['The mayor said: "The bridge will reopen in June." Work goes on.'] * 30)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def runtime(database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    rt = await build_runtime(settings, {}, now=Clock(), extractor=PatternExtractor())
    yield rt
    await rt.aclose()


def hostile_feed(server: FeedServer) -> str:
    """A feed whose title and ETag overflow their columns, with a GUID and a link longer than
    any column, a title of 1,800 characters, and a page whose text holds NUL bytes."""
    server.route(
        "/a/nul",
        'Words\x00 and more words. The minister said: "We\x00 agree." End\x01.',
        content_type="text/plain; charset=utf-8",
    )
    items = [
        FeedItem("Long guid", "https://example.org/guid", content=LONG_TEXT, guid="g" * 3000),
        FeedItem("Long link", "https://example.org/" + "x" * 3000, content=LONG_TEXT + " Two."),
        FeedItem("Headline " * 200, "https://example.org/title", content=LONG_TEXT + " Three."),
        FeedItem("Nul page", server.url("/a/nul"), summary="Short."),
    ]
    server.route("/hostile.xml", rss_feed("T" * 600, items), etag='"' + "e" * 600 + '"')
    return server.url("/hostile.xml")


async def test_values_too_long_for_their_columns_and_nul_bytes_stop_nothing(
    runtime: Runtime, server: FeedServer
) -> None:
    hostile = hostile_feed(server)
    world = world_feed(server)
    await runtime.service.add_feed(None, hostile)
    await runtime.service.add_feed(None, world)

    summary = await runtime.ingest_once()

    assert (summary.failed, summary.items_failed, summary.articles_new) == (0, 0, 6)
    feed = runtime.repo.feed(hostile)
    assert feed is not None and feed.last_error is None and feed.failures == 0
    assert feed.etag is None  # a cut ETag would never match; none is kept
    assert feed.title == "T" * 499 + "…"
    with runtime.repo.sessions() as session:
        texts = list(session.scalars(select(models.Article.text)))
    assert not any("\x00" in text or "\x01" in text for text in texts)
    assert "Words and more words." in "\n".join(texts)
    # The GUID too long for its column is its hash; the next poll recognises every item.
    again = await runtime.ingest_once()
    assert (again.articles_new, again.failed, again.items_failed) == (0, 0, 0)


class FlakyStore:
    """The real store, raising what a database might for chosen items and feeds."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.poison: set[str] = set()
        self.broken_feeds: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)

    def store_article(
        self, article: NewArticle, statements: Sequence[Statement], now: Any
    ) -> tuple[int, int] | None:
        if any(word in article.url for word in self.poison):
            raise RuntimeError("value too long for type character varying(500)\nDETAIL: x")
        return self.repo.store_article(article, statements, now)

    def record_poll(self, url: str, **kwargs: Any) -> None:
        if url in self.broken_feeds and kwargs["ok"]:
            raise OSError("disk full")
        self.repo.record_poll(url, **kwargs)


async def test_an_item_the_store_refuses_is_its_feeds_error_and_is_tried_again(
    runtime: Runtime, server: FeedServer
) -> None:
    world = world_feed(server)
    hostile = hostile_feed(server)
    await runtime.service.add_feed(None, world)
    await runtime.service.add_feed(None, hostile)
    store = FlakyStore(runtime.repo)
    store.poison = {"/a/budget"}
    pipeline = IngestPipeline(
        store,
        runtime.extractor,
        client=runtime.pipeline.client,
        clock=runtime.now,
    )

    summary = await pipeline.run()

    assert (summary.failed, summary.items_failed, summary.articles_new) == (0, 1, 5)
    feed = runtime.repo.feed(world)
    assert feed is not None and feed.failures == 0 and feed.etag is None
    assert feed.last_error is not None
    assert feed.last_error.startswith("1 items not stored; first: http://")
    assert "/a/budget: RuntimeError: value too long for type character varying(500)" in (
        feed.last_error
    )
    assert "\n" not in feed.last_error
    # The store takes it now: the next poll (no ETag was kept) stores the item it lost.
    store.poison = set()
    again = await pipeline.run()
    assert (again.articles_new, again.items_failed) == (1, 0)
    feed = runtime.repo.feed(world)
    assert feed is not None and feed.last_error is None and feed.etag == '"world-v1"'


async def test_whatever_a_feed_raises_is_stored_as_its_error_and_the_others_go_on(
    runtime: Runtime, server: FeedServer
) -> None:
    world = world_feed(server)
    hostile = hostile_feed(server)
    await runtime.service.add_feed(None, world)
    await runtime.service.add_feed(None, hostile)
    store = FlakyStore(runtime.repo)
    store.broken_feeds = {world}
    pipeline = IngestPipeline(
        store, runtime.extractor, client=runtime.pipeline.client, clock=runtime.now
    )

    summary = await pipeline.run()

    assert (summary.feeds_polled, summary.failed) == (2, 1)
    broken = runtime.repo.feed(world)
    assert broken is not None and broken.failures == 1
    assert broken.last_error == "OSError: disk full"
    assert broken.next_attempt is not None and broken.next_attempt > NOW
    assert broken.next_attempt <= NOW + timedelta(hours=1)
    fine = runtime.repo.feed(hostile)
    assert fine is not None and fine.failures == 0 and fine.last_error is None
