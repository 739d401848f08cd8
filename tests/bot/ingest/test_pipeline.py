"""The ingestion pipeline on SQLite and a real PostgreSQL: hostile values are made fit for
their columns, and whatever one feed or item raises is that feed's error alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.ingest import FetchedItem
from bot.ingest.pipeline import FEED_LEASE, ITEM_ATTEMPTS, IngestPipeline
from bot.ports import ChannelRef
from bot.runtime import Runtime, build_runtime
from bot.store import NewArticle, Repository, models
from briefings.models import Article, Briefing, Statement
from config.settings import load_settings
from tests.bot.store.pg import database_url
from tests.bot.test_service_runtime import NOW, Clock, PatternExtractor, page, world_feed
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

__all__ = ["database_url"]

LONG_TEXT = " ".join(['The mayor said: "The bridge will reopen in June." Work goes on.'] * 30)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
def repo_for_claims(database_url: str) -> Any:
    from tests.bot.store.factories import opened

    with opened(database_url) as (_engine, repository):
        yield repository


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


class Collecting:
    """A publisher that keeps what it was given."""

    platform = "console"

    def __init__(self) -> None:
        self.briefings: list[Briefing] = []

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        self.briefings.append(briefing)


def quoting_page(server: FeedServer, path: str, speaker: str, words: str) -> str:
    return page(
        server,
        path,
        f"{speaker} speaks",
        f'{speaker} said: "{words}" The council met again on Monday to discuss it further.',
    )


async def urls_new_to(runtime: Runtime, ref: ChannelRef) -> set[str]:
    return {st.url for st in await runtime.service.store.new_statements(ref)}


async def test_an_article_two_feeds_reach_is_one_article_both_feeds_channels_get(
    runtime: Runtime, server: FeedServer
) -> None:
    shared = quoting_page(server, "/a/shared", "Anna Berg", "The harbour stays open.")
    own = quoting_page(server, "/a/own", "Carl Dahl", "The ferry runs at dawn.")
    server.route(
        "/first.xml", rss_feed("First", [FeedItem("Harbour", shared, summary="S.", guid="x-1")])
    )
    server.route(
        "/second.xml",
        rss_feed(
            "Second",
            [
                # The same article under another GUID and a tracking parameter.
                FeedItem("Harbour", shared + "?utm_source=rss", summary="S.", guid="b-7"),
                # Another article under the GUID the first feed used: GUIDs are per feed.
                FeedItem("Ferry", own, summary="F.", guid="x-1"),
            ],
        ),
    )
    one, two = ChannelRef("console", "local", "one"), ChannelRef("console", "local", "two")
    await runtime.service.add_feed(one, server.url("/first.xml"))
    publisher = Collecting()
    assert (await runtime.ingest_once()).articles_new == 1
    await runtime.service.deliver(one, NOW, publisher)

    # The second feed comes later: its channel still gets the article stored before.
    await runtime.service.add_feed(two, server.url("/second.xml"))
    summary = await runtime.ingest_once()
    assert summary.articles_new == 1  # the ferry; the harbour article was linked, not stored
    assert runtime.repo.article_count() == 2
    assert len(server.requests_for("/a/shared")) == 1  # its page was not read again
    assert await urls_new_to(runtime, two) == {shared, own}
    assert await urls_new_to(runtime, one) == set()  # nothing new to the first channel
    await runtime.service.deliver(two, NOW + timedelta(hours=1), publisher)
    assert await urls_new_to(runtime, two) == set()  # and nothing twice
    await runtime.ingest_once()
    assert runtime.repo.article_count() == 2


async def test_a_channel_of_both_feeds_gets_a_shared_article_once(
    runtime: Runtime, server: FeedServer
) -> None:
    shared = quoting_page(server, "/a/shared", "Anna Berg", "The harbour stays open.")
    for name in ("first", "second"):
        server.route(
            f"/{name}.xml",
            rss_feed(name, [FeedItem("Harbour", shared, summary="S.", guid=f"{name}-1")]),
        )
    both = ChannelRef("console", "local", "both")
    await runtime.service.add_feed(both, server.url("/first.xml"))
    await runtime.ingest_once()
    await runtime.service.deliver(both, NOW, Collecting())
    await runtime.service.add_feed(both, server.url("/second.xml"))
    await runtime.ingest_once()
    assert await urls_new_to(runtime, both) == set()


async def test_placeholder_summaries_of_different_articles_are_different_articles(
    runtime: Runtime, server: FeedServer
) -> None:
    items = [
        FeedItem(f"Story {n}", server.url(f"/gone/{n}"), summary="Click here to read more.")
        for n in range(3)
    ]
    server.route("/placeholders.xml", rss_feed("P", items))
    await runtime.service.add_feed(None, server.url("/placeholders.xml"))
    # The pages answer 404: each item keeps its placeholder, and each is its own article.
    summary = await runtime.ingest_once()
    assert summary.articles_new == 3
    assert runtime.repo.article_count() == 3


async def test_an_item_without_text_is_tried_again_whatever_the_304s_say(
    runtime: Runtime, server: FeedServer
) -> None:
    url = page(server, "/a/later", "Later", 'Eva Lund said: "We open in May." More follows.')
    server.route("/a/later", "busy", status=503, content_type="text/plain")
    server.route(
        "/later.xml",
        rss_feed("Later", [FeedItem("Later", url, guid="l-1")]),  # no summary: no text
        etag='"l1"',
    )
    await runtime.service.add_feed(None, server.url("/later.xml"))
    first = await runtime.ingest_once()
    assert (first.articles_new, first.items_failed, first.failed) == (0, 0, 0)
    feed = runtime.repo.feed(server.url("/later.xml"))
    assert feed is not None and feed.etag == '"l1"'  # the feed itself was read fine

    second = await runtime.ingest_once()  # the feed answers 304; the page is tried again
    assert second.not_modified == 1 and second.articles_new == 0
    assert len(server.requests_for("/a/later")) == 2

    page(server, "/a/later", "Later", 'Eva Lund said: "We open in May." More follows.')
    third = await runtime.ingest_once()
    assert (third.not_modified, third.articles_new) == (1, 1)
    assert len(server.requests_for("/a/later")) == 3
    await runtime.ingest_once()
    assert len(server.requests_for("/a/later")) == 3  # stored: never fetched again


async def test_an_item_without_text_is_given_up_after_the_retry_limit(
    runtime: Runtime, server: FeedServer
) -> None:
    server.route("/a/gone", "gone", status=503, content_type="text/plain")
    server.route(
        "/gone.xml",
        rss_feed("Gone", [FeedItem("Gone", server.url("/a/gone"), guid="g-1")]),
        etag='"g1"',
    )
    await runtime.service.add_feed(None, server.url("/gone.xml"))
    for _ in range(ITEM_ATTEMPTS + 3):
        await runtime.ingest_once()
    assert len(server.requests_for("/a/gone")) == ITEM_ATTEMPTS
    assert runtime.repo.article_count() == 0


async def test_page_fetches_count_against_the_feeds_deadline(
    database_url: str, tmp_path: Path, server: FeedServer
) -> None:
    """Slow pages cannot stretch a feed's poll past its deadline: the pages still unread
    when it passes are left for the next poll (their items are not lost)."""
    gate = threading.Event()
    items = []
    for n in range(5):
        path = f"/a/slow{n}"
        server.route(path, "never mind", content_type="text/plain", hold=gate)
        items.append(FeedItem(f"Slow {n}", server.url(path), guid=f"s-{n}"))
    server.route("/slow.xml", rss_feed("Slow", items))
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    rt = await build_runtime(settings, {}, now=Clock(), extractor=PatternExtractor())
    try:
        rt.pipeline.feed_timeout = 2.0
        await rt.service.add_feed(None, server.url("/slow.xml"))
        summary = await rt.ingest_once()
        assert (summary.failed, summary.articles_new) == (0, 0)
        with rt.repo.sessions() as session:
            waiting = session.scalar(select(func.count()).select_from(models.PendingItem))
        assert waiting == 5
        gate.set()
        later = await rt.ingest_once()
        assert later.articles_new == 5
    finally:
        gate.set()
        await rt.aclose()


async def test_impossible_dates_are_stored_as_the_fetch_time_and_flagged(
    runtime: Runtime, server: FeedServer
) -> None:
    when = {
        "future": datetime(9999, 12, 31, tzinfo=UTC),
        "soon": datetime(2099, 1, 1, tzinfo=UTC),
        "ancient": datetime(1970, 1, 2, tzinfo=UTC),
        "fine": NOW - timedelta(hours=2),
    }
    items = [
        FeedItem(name, f"https://example.org/{name}", content=f"{name} " + LONG_TEXT, published=at)
        for name, at in when.items()
    ]
    server.route("/dates.xml", rss_feed("Dates", items))
    await runtime.service.add_feed(None, server.url("/dates.xml"))
    assert (await runtime.ingest_once()).articles_new == 4
    with runtime.repo.sessions() as session:
        rows = {
            url.rsplit("/", 1)[1]: (published, replaced)
            for url, published, replaced in session.execute(
                select(
                    models.Article.url,
                    models.Article.published,
                    models.Article.published_replaced,
                )
            )
        }
    assert rows == {
        "future": (NOW, True),
        "soon": (NOW, True),
        "ancient": (NOW, True),
        "fine": (when["fine"], False),
    }


class CountingExtractor(PatternExtractor):
    """Counts the articles it is given, across every runtime that shares it."""

    def __init__(self) -> None:
        super().__init__()
        self.articles = 0

    async def extract(self, articles: Sequence[Article], aliases: Any) -> Any:
        self.articles += len(articles)
        return await super().extract(articles, aliases)


def many_feeds(server: FeedServer, feeds: int, items: int) -> list[str]:
    urls = []
    for f in range(feeds):
        entries = [
            FeedItem(
                f"Feed {f} story {i}",
                f"https://example.org/{f}/{i}",
                content=f"Story {i} of feed {f}. " + LONG_TEXT,
                guid=f"{f}-{i}",
            )
            for i in range(items)
        ]
        server.route(f"/many/{f}.xml", rss_feed(f"Feed {f}", entries), etag=f'"{f}"')
        urls.append(server.url(f"/many/{f}.xml"))
    return urls


async def test_processes_on_one_database_poll_each_feed_once_and_extract_each_article_once(
    database_url: str, tmp_path: Path, server: FeedServer
) -> None:
    """Three runtimes (as three processes: each its own engine) poll together, then again
    within the interval: every feed fetched once, every article stored and parsed once."""
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    extractor = CountingExtractor()
    clock = Clock()
    runtimes = [await build_runtime(settings, {}, now=clock, extractor=extractor) for _ in "abc"]
    try:
        urls = many_feeds(server, feeds=8, items=4)
        for url in urls:
            await runtimes[0].service.add_feed(None, url)
        interval = timedelta(minutes=15)
        summaries = await asyncio.gather(
            *(rt.pipeline.run(polled_within=interval) for rt in runtimes)
        )
        assert sum(s.feeds_polled for s in summaries) == 8
        assert sum(s.articles_new for s in summaries) == 32
        assert extractor.articles == 32
        assert sorted(len(server.requests_for(f"/many/{f}.xml")) for f in range(8)) == [1] * 8
        # Later in the same interval nobody polls again; after it, one of them does.
        clock.now += interval / 2
        again = await asyncio.gather(*(rt.pipeline.run(polled_within=interval) for rt in runtimes))
        assert sum(s.feeds_polled for s in again) == 0
        clock.now += interval
        later = await asyncio.gather(*(rt.pipeline.run(polled_within=interval) for rt in runtimes))
        assert sum(s.feeds_polled for s in later) == 8
        assert sum(s.not_modified for s in later) == 8
        assert runtimes[0].repo.article_count() == 32
    finally:
        for rt in runtimes:
            await rt.aclose()


class TitleLog(PatternExtractor):
    """Appends each article's title to a log shared by several runtimes; ``gate`` makes
    its first call wait until the test lets it go."""

    def __init__(self, log: list[str], gate: asyncio.Event | None = None) -> None:
        super().__init__()
        self.log = log
        self.gate = gate
        self.entered = asyncio.Event()

    async def extract(self, articles: Sequence[Article], aliases: Any) -> Any:
        self.log.extend(a.title for a in articles)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return await super().extract(articles, aliases)


async def test_an_article_two_processes_reach_through_two_feeds_is_parsed_once(
    database_url: str, tmp_path: Path, server: FeedServer
) -> None:
    """Finding: two processes on one database each ran the engine on an article both of
    their feeds carried. Extraction is claimed: the second process parses its other
    article, waits for the shared one and links it to its feed."""
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    parsed: list[str] = []
    gate = asyncio.Event()
    first, second = TitleLog(parsed, gate), TitleLog(parsed)
    a = await build_runtime(settings, {}, now=Clock(), extractor=first)
    b = await build_runtime(settings, {}, now=Clock(), extractor=second)
    try:
        shared = FeedItem("Shared", "https://example.org/shared", content=LONG_TEXT, guid="s")
        own = FeedItem("Own", "https://example.org/own", content=LONG_TEXT + " Own.", guid="o")
        server.route("/a.xml", rss_feed("A", [shared]))
        server.route("/b.xml", rss_feed("B", [shared, own]))
        await a.service.add_feed(None, server.url("/a.xml"))
        polling_a = asyncio.create_task(a.pipeline.run())
        await asyncio.wait_for(first.entered.wait(), 60)  # A parses the shared article
        await b.service.add_feed(ChannelRef("console", "local", "b"), server.url("/b.xml"))
        polling_b = asyncio.create_task(b.pipeline.run())
        await asyncio.wait_for(second.entered.wait(), 60)  # B parses what A does not
        gate.set()
        summary_a, summary_b = await asyncio.wait_for(asyncio.gather(polling_a, polling_b), 60)
        assert sorted(parsed) == ["Own", "Shared"]
        assert (summary_a.articles_new, summary_b.articles_new) == (1, 1)
        assert summary_a.items_failed == summary_b.items_failed == 0
        with a.repo.sessions() as session:
            links = session.scalar(select(func.count()).select_from(models.FeedArticle))
            assert links == 3  # the shared article belongs to both feeds
            assert session.scalar(select(func.count()).select_from(models.ArticleClaim)) == 0
        with b.repo.sessions() as session:
            titles = {
                s.title
                for s in b.repo.new_statements(session, ChannelRef("console", "local", "b"))[0]
            }
        assert titles == {"Shared", "Own"}
    finally:
        await a.aclose()
        await b.aclose()


def test_a_claimed_article_is_another_processs_until_released_or_its_lease_ends(
    repo_for_claims: Repository,
) -> None:
    repo = repo_for_claims
    item = (None, "https://example.org/x", LONG_TEXT)
    same_text = ("g", "https://other.example/y", LONG_TEXT)
    other = (None, "https://example.org/z", LONG_TEXT + " Other.")
    assert repo.claim_articles([item], NOW, holder="a", lease=FEED_LEASE) == [True]
    assert repo.claim_articles([same_text, other], NOW, holder="b", lease=FEED_LEASE) == [
        False,
        True,
    ]
    assert repo.claim_articles([item], NOW, holder="a", lease=FEED_LEASE) == [True]  # its own
    assert repo.lease_holders(NOW) >= {"a", "b"}
    assert repo.claim_articles([item], NOW + FEED_LEASE, holder="c", lease=FEED_LEASE) == [True]
    repo.release_articles([item], "c")
    assert repo.claim_articles([item], NOW, holder="d", lease=FEED_LEASE) == [True]
    repo.release_holder("d")
    assert repo.claim_articles([item], NOW, holder="e", lease=FEED_LEASE) == [True]


async def test_a_dead_processs_feeds_are_taken_over_when_its_lease_expires(
    runtime: Runtime, server: FeedServer
) -> None:
    urls = many_feeds(server, feeds=3, items=1)
    for url in urls:
        await runtime.service.add_feed(None, url)
    # Another process leased them all, then died (SIGKILL: nothing released).
    dead = runtime.repo.lease_due_feeds(NOW, holder="dead", lease=FEED_LEASE)
    assert len(dead) == 3
    assert (await runtime.ingest_once()).feeds_polled == 0  # still its lease
    runtime.now.now = NOW + FEED_LEASE  # type: ignore[attr-defined]
    taken = await runtime.ingest_once()
    assert (taken.feeds_polled, taken.articles_new) == (3, 3)


async def test_the_engine_reads_at_most_the_cap_and_the_whole_article_is_stored(
    runtime: Runtime,
) -> None:
    seen: list[int] = []

    class Measuring(PatternExtractor):
        async def extract(self, articles: Sequence[Article], aliases: Any) -> Any:
            seen.extend(len(a.text) for a in articles)
            return await super().extract(articles, aliases)

    runtime.pipeline.extractor = Measuring()
    runtime.pipeline.nlp_max_chars = 5_000
    body = 'Eva Lund said: "We open in May." ' + "More words follow here. " * 2_000
    item = FetchedItem("long-1", "https://example.org/long", "Long", NOW, "E", body)
    summary = await runtime.ingest_items([item])
    assert (summary.articles_new, summary.statements_new) == (1, 1)
    assert seen == [5_000]
    with runtime.repo.sessions() as session:
        assert session.scalar(select(func.length(models.Article.text))) == len(body)
