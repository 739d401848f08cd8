"""The runtime's ingestion against a loopback feed server, with a stand-in engine so the
storage side is tested on its own: dedup across polls, conditional GET, failing feeds and
their back-off, names learned from one article applied to the next."""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands import CommandRequest, ReplyKind, handle
from bot.ingest import MAX_FAILURES, FetchedItem
from bot.ingest.pipeline import IngestSummary, apply_aliases
from bot.ingest.safety import SafeTransport
from bot.ports import ChannelRef
from bot.runtime import Runtime, build_runtime
from bot.service import StoreService
from bot.store import Store
from briefings.engine import ExtractionFailure
from briefings.models import Actor, Article, Briefing, Kind, Span, Statement
from config.settings import load_settings
from tests.bot.ingest import bad_feeds
from tests.bot.store.pg import database_url
from tests.fakes.feed_server import FeedItem, FeedServer, article_page, rss_feed
from tests.timing import PATIENT

__all__ = ["database_url"]

GERMANY = Actor("DE", "Germany", "title: German Chancellor")
QUOTE = re.compile(r'(?P<speaker>[A-Z][\w ]*?) said: "(?P<content>[^"]+)"')
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


class PatternExtractor:
    """Stands in for the engine: `Speaker said: "words"`; "German Chancellor X" is Germany."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.aliases_given: list[dict[str, Actor]] = []

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        self.aliases_given.append(dict(aliases))
        out = []
        for art in articles:
            self.seen.append(art.title)
            found = []
            for match in QUOTE.finditer(art.text):
                speaker = match["speaker"]
                name, actor, role = speaker, None, None
                if speaker.startswith("German Chancellor "):
                    name, actor, role = (
                        speaker.removeprefix("German Chancellor "),
                        GERMANY,
                        ("Chancellor"),
                    )
                found.append(
                    Statement(
                        speaker=Span(match.start("speaker"), match.end("speaker"), speaker),
                        speaker_name=name,
                        role=role,
                        actor=actor,
                        cue=None,
                        content=Span(
                            match.start("content"), match.end("content"), match["content"]
                        ),
                        kind=Kind.DIRECT,
                    )
                )
            out.append(found)
        return out

    async def aclose(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def extractor() -> PatternExtractor:
    return PatternExtractor()


@pytest.fixture
async def runtime(
    database_url: str, tmp_path: Path, clock: Clock, extractor: PatternExtractor
) -> AsyncIterator[Runtime]:
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    rt = await build_runtime(settings, {}, now=clock, extractor=extractor)
    yield rt
    await rt.aclose()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


def page(server: FeedServer, path: str, title: str, *paragraphs: str) -> str:
    server.route(path, article_page(title, paragraphs), content_type="text/html; charset=utf-8")
    return server.url(path)


def world_feed(server: FeedServer) -> str:
    first = page(
        server,
        "/a/tanks",
        "Berlin rules out tanks",
        'German Chancellor Olaf Scholz said: "We will not send more tanks this winter." '
        "The decision drew criticism from allies in the east.",
    )
    second = page(
        server,
        "/a/budget",
        "Budget row",
        'Scholz said: "The budget stays balanced, whatever the pressure." '
        "Opposition parties were not convinced by the plan.",
    )
    server.route(
        "/world.xml",
        rss_feed(
            "World desk",
            [
                FeedItem(
                    "Berlin rules out tanks",
                    first,
                    summary="Tanks.",
                    guid="w-1",
                    published=NOW - timedelta(hours=3),
                ),
                FeedItem(
                    "Budget row",
                    second,
                    summary="Budget.",
                    guid="w-2",
                    published=NOW - timedelta(hours=1),
                ),
            ],
        ),
        etag='"world-v1"',
    )
    return server.url("/world.xml")


async def test_ingest_polls_stores_and_learns(
    runtime: Runtime, server: FeedServer, extractor: PatternExtractor
) -> None:
    url = world_feed(server)
    server.route("/broken.xml", "Internal error", status=500, content_type="text/plain")
    await runtime.service.add_feed(None, url)
    await runtime.service.add_feed(None, server.url("/broken.xml"))
    calls: list[tuple[int, int]] = []
    summary = await runtime.ingest_once(progress=lambda done, total: calls.append((done, total)))
    assert summary == IngestSummary(
        feeds_polled=2, not_modified=0, failed=1, articles_new=2, statements_new=2
    )
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    # "German Chancellor Olaf Scholz" taught that Scholz is Germany: the second article's
    # bare "Scholz" counts for Germany too.
    result = await runtime.service.stance("Germany")
    assert sorted(s.text for s in result.statements) == [
        "The budget stays balanced, whatever the pressure.",
        "We will not send more tanks this winter.",
    ]
    assert (await runtime.service.stance("Scholz")).actor.id == "DE"
    # Later batches hand the learned names to the engine itself.
    later = FetchedItem("l-1", "https://x.example/l", "Later", NOW, "X", 'Scholz said: "Later."')
    await runtime.ingest_items([later])
    assert extractor.aliases_given[-1]["Scholz"].id == "DE"
    assert extractor.aliases_given[-1]["Olaf Scholz"].id == "DE"
    # The failing feed keeps its reason and waits.
    (broken,) = [f for f in await runtime.service.list_feeds(None) if f.url.endswith("broken.xml")]
    assert broken.failures == 1 and broken.last_error and "500" in broken.last_error


async def test_a_second_poll_is_conditional_and_stores_nothing_twice(
    runtime: Runtime, server: FeedServer, extractor: PatternExtractor, clock: Clock
) -> None:
    url = world_feed(server)
    await runtime.service.add_feed(None, url)
    await runtime.ingest_once()
    again = await runtime.ingest_once()
    assert again == IngestSummary(feeds_polled=1, not_modified=1)
    assert server.requests_for("/world.xml")[-1].headers.get("if-none-match") == '"world-v1"'
    # A changed feed with the same items plus one: only the new one is parsed and stored.
    third = page(server, "/a/third", "Third", 'An aide said: "Nothing changes." The end came.')
    server.route(
        "/world.xml",
        rss_feed(
            "World desk",
            [
                FeedItem("Third", third, summary="x", guid="w-3"),
                FeedItem(
                    "Berlin rules out tanks", server.url("/a/tanks"), summary="Tanks.", guid="w-1"
                ),
            ],
        ),
        etag='"world-v2"',
    )
    extractor.seen.clear()
    summary = await runtime.ingest_once()
    assert (summary.articles_new, summary.statements_new) == (1, 1)
    assert extractor.seen == ["Third"]
    assert runtime.repo.article_count() == 3


async def test_failing_feeds_back_off_and_are_disabled(
    runtime: Runtime, server: FeedServer, clock: Clock
) -> None:
    server.route("/gone.xml", "Not here", status=404, content_type="text/plain")
    url = server.url("/gone.xml")
    await runtime.service.add_feed(None, url)
    await runtime.ingest_once()
    # Backing off: not polled again until the delay has passed.
    assert (await runtime.ingest_once()).feeds_polled == 0
    feed = runtime.repo.feed(url)
    assert feed is not None and feed.next_attempt is not None and feed.next_attempt > clock.now
    for _ in range(MAX_FAILURES - 1):
        clock.now += timedelta(days=8)
        assert (await runtime.ingest_once()).failed == 1
    (status,) = await runtime.service.list_feeds(None)
    assert (
        status.disabled and status.failures == MAX_FAILURES and "404" in (status.last_error or "")
    )
    clock.now += timedelta(days=30)
    assert (await runtime.ingest_once()).feeds_polled == 0
    # The channels that use it see why.
    channel = ChannelRef("console", "local", "news")
    await runtime.service.subscribe(channel, feeds=[url])
    (shown,) = (await runtime.service.status(channel)).feeds
    assert shown.disabled and "404" in (shown.last_error or "")
    # An operator adding it again gives it a fresh start.
    again = await runtime.service.add_feed(None, url)
    assert not again.disabled and again.failures == 0
    assert (await runtime.ingest_once()).feeds_polled == 1


async def test_ingest_items_and_files(runtime: Runtime, tmp_path: Path) -> None:
    item = FetchedItem(
        guid="demo-1",
        url="https://demo.example/1",
        title="Demo",
        published=NOW,
        outlet="Demo Times",
        text='German Chancellor Olaf Scholz said: "Demo words are here." Then more text.',
    )
    assert (await runtime.ingest_items([item, item])).articles_new == 1
    assert (await runtime.ingest_items([item])).articles_new == 0
    file = tmp_path / "local.txt"
    file.write_text('Local news\nA mayor said: "The bridge opens in June." Residents cheered.\n')
    summary = await runtime.ingest_once([file, tmp_path / "nope.txt"])
    assert (summary.files, summary.files_failed, summary.articles_new) == (1, 1, 1)
    assert not summary.nothing_done
    assert "files: 1 (1 unreadable)" in str(summary)


def test_aliases_fill_in_missing_actors_only() -> None:
    text = 'Scholz said: "Yes." Merz said: "No." Peter Scholz said: "Maybe."'

    def said(name: str, actor: Actor | None = None) -> Statement:
        start = text.index(name)
        return Statement(
            Span(start, start + len(name), name),
            name,
            None,
            actor,
            None,
            Span(start, start + 1, text[start]),
            Kind.DIRECT,
        )

    france = Actor("FR", "France", "title: French President")
    aliases = {"Olaf Scholz": GERMANY, "Scholz": GERMANY, "Merz": GERMANY}
    out = apply_aliases([said("Scholz"), said("Merz", france), said("Peter Scholz")], aliases)
    assert [st.actor for st in out] == [GERMANY, france, None]


class FragileExtractor(PatternExtractor):
    """Cannot read an article that says BOOM."""

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement] | ExtractionFailure]:
        """Like the engine's ``extract_each``: an article it trips on is a failure, alone."""
        found = await super().extract(articles, aliases)
        return [
            ExtractionFailure("the engine failed on it (ValueError)") if "BOOM" in a.text else f
            for a, f in zip(articles, found, strict=True)
        ]


async def test_an_article_the_engine_cannot_read_stops_nothing(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    rt = await build_runtime(settings, {}, now=Clock(), extractor=FragileExtractor())
    try:
        items = [
            FetchedItem(f"f-{i}", f"https://f.example/{i}", f"T{i}", NOW, "F", body)
            for i, body in enumerate(
                [
                    'A said: "One." More.',
                    'B said: "BOOM goes the parser." More.',
                    'C said: "Three." More.',
                ]
            )
        ]
        summary = await rt.ingest_items(items)
    finally:
        await rt.aclose()
    assert (summary.articles_new, summary.statements_new) == (3, 2)
    assert "https://f.example/1 stored without statements" in caplog.text


async def test_bad_feeds_fail_alone_with_their_reason_stored_and_the_good_ones_are_ingested(
    database_url: str, tmp_path: Path, server: FeedServer, extractor: PatternExtractor
) -> None:
    """Acceptance 2 end to end: every bad feed next to good ones in one ``ingest --once``."""
    world = world_feed(server)
    urls = bad_feeds.serve_everything(server)
    clock = Clock()
    clock.now = bad_feeds.NOW
    counting = bad_feeds.CountingTransport(SafeTransport(allow_private=True))
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, allow_private_networks=True
    )
    rt = await build_runtime(
        settings,
        {},
        now=clock,
        extractor=extractor,
        transport=counting,
        fetch_timeout=bad_feeds.TIMEOUT,
        feed_max_bytes=bad_feeds.CAP,
    )
    try:
        # A first run with the world desk alone loads what ingestion imports on first use,
        # so the memory traced below is the poll's own.
        await rt.service.add_feed(None, world)
        assert (await rt.ingest_once()).articles_new == 2
        for url in urls.values():
            await rt.service.add_feed(None, url)
        tracemalloc.start()
        try:
            summary = await rt.ingest_once()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        assert summary == IngestSummary(
            feeds_polled=len(urls) + 1,
            not_modified=1,  # the world desk
            failed=len(bad_feeds.EXPECTED),
            articles_new=len(bad_feeds.GOOD),
        )
        for name, reason in bad_feeds.EXPECTED.items():
            feed = rt.repo.feed(urls[name])
            assert feed is not None and feed.failures == 1 and not feed.disabled, name
            assert feed.last_error is not None and feed.last_error.startswith(reason), name
            assert feed.next_attempt is not None and feed.next_attempt > clock.now
        for url in (world, *(urls[name] for name in bad_feeds.GOOD)):
            feed = rt.repo.feed(url)
            assert feed is not None and feed.last_error is None and feed.last_polled == clock.now
        assert rt.repo.article_count() == 2 + len(bad_feeds.GOOD)
        assert len((await rt.service.stance("Germany")).statements) == 2
        # The redirect loop was followed exactly up to the limit, no further.
        assert len(server.requests_for("/loop-a")) + len(server.requests_for("/loop-b")) == 11
        # Retry-After is honoured: the busy feed waits at least its 120 s, the down one 30 min.
        busy, down = rt.repo.feed(urls["busy.xml"]), rt.repo.feed(urls["down.xml"])
        assert busy is not None and busy.next_attempt is not None
        assert busy.next_attempt >= clock.now + timedelta(seconds=120)
        assert down is not None and down.next_attempt is not None
        assert down.next_attempt >= clock.now + timedelta(minutes=30)
    finally:
        await rt.aclose()
    # Memory stayed bounded: the 10 GB stream was read to the cap and one network read
    # beyond; the bomb's compressed bytes were far fewer than the cap.
    assert bad_feeds.CAP < counting.bytes_read["/huge.xml"] <= bad_feeds.CAP + 64 * 1024
    assert counting.bytes_read["/bomb.xml"] < bad_feeds.CAP
    assert peak < 16 * bad_feeds.CAP


class GatedPublisher:
    """A platform as slow as the test wants: each post waits until the test lets it go."""

    platform = "console"

    def __init__(self) -> None:
        self.posting = asyncio.Event()
        self.go = asyncio.Event()
        self.published: list[Briefing] = []

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        self.posting.set()
        await self.go.wait()
        self.published.append(briefing)


async def test_a_slow_post_holds_no_lock_while_ingest_and_commands_go_on(
    runtime: Runtime, server: FeedServer
) -> None:
    """Finding: on SQLite a briefing held the write lock while it posted, so an ingest
    beside a slow platform failed with 'database is locked'. The post now runs outside any
    transaction: while it waits, a poll stores its articles and a manager's command is
    saved; what came in meanwhile goes out with the next slot."""
    channel = ChannelRef("console", "local", "slow")
    await runtime.service.subscribe(channel)
    body = 'German Chancellor Olaf Scholz said: "We stay the course." Then he left.'
    await runtime.ingest_items(
        [FetchedItem("s-1", "https://example.org/s1", "Course", NOW, "E", body)]
    )
    await runtime.service.add_feed(None, world_feed(server))
    publisher = GatedPublisher()
    delivery = asyncio.create_task(runtime.service.deliver(channel, NOW, publisher))
    await asyncio.wait_for(publisher.posting.wait(), PATIENT)

    summary = await asyncio.wait_for(runtime.ingest_once(), PATIENT)
    assert (summary.feeds_polled, summary.failed, summary.articles_new) == (1, 0, 2)
    assert summary.items_failed == 0
    request = CommandRequest.from_text(
        "briefing", "schedule daily 09:00", channel, "U1", is_manager=True
    )
    reply = await asyncio.wait_for(handle(runtime.service, request), PATIENT)
    assert reply.kind is not ReplyKind.ERROR, reply
    assert not delivery.done()  # the post was waiting all along

    publisher.go.set()
    briefing = await asyncio.wait_for(delivery, PATIENT)
    assert briefing is not None and [s.title for s in briefing.stories] == ["Course"]
    assert runtime.repo.delivery_count(channel) == 1
    assert (await runtime.service.status(channel)).schedule == "0 9 * * *"
    later = await runtime.service.deliver(channel, NOW + timedelta(days=1), publisher)
    assert later is not None
    assert sorted(s.title for s in later.stories) == ["Berlin rules out tanks", "Budget row"]


class HeldPagedPublisher:
    """Posts a briefing as three messages; the second waits until the test lets it go."""

    platform = "console"

    def __init__(self, hold: int | None = 2) -> None:
        self.hold = hold
        self.holding = asyncio.Event()
        self.go = asyncio.Event()
        self.sent: list[int] = []

    def render(self, briefing: Briefing) -> list[int]:
        return [1, 2, 3]

    async def send(self, channel: ChannelRef, message: object, key: str | None = None) -> None:
        assert isinstance(message, int)
        if message == self.hold:
            self.holding.set()
            await self.go.wait()
        self.sent.append(message)

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        raise AssertionError("posts message by message")


async def _due_briefing(runtime: Runtime, clock: Clock, channel: ChannelRef) -> None:
    await runtime.service.subscribe(channel, schedule="daily 08:00", timezone="UTC")
    body = 'German Chancellor Olaf Scholz said: "We stay the course." Then he left.'
    await runtime.ingest_items(
        [FetchedItem("h-1", "https://example.org/h1", "Course", NOW, "E", body)]
    )
    clock.now += timedelta(days=1)


@pytest.mark.parametrize("how", ["finished", "cut off"])
async def test_a_stop_lets_a_briefing_finish_its_message_or_cuts_it_off_and_releases_it(
    runtime: Runtime, clock: Clock, how: str
) -> None:
    """SIGTERM's stop (``Runtime.stop``) while message 2 of 3 is being posted: the message
    finishes and no third begins; or, hurried (a second signal, or the grace over), the
    post is cut off. Either way the delivery is released, not failed, and the next start
    posts what is left, from the first message not recorded as sent."""
    channel = ChannelRef("console", "local", "stopping")
    await _due_briefing(runtime, clock, channel)
    publisher = HeldPagedPublisher()
    runtime.publishers["console"] = publisher
    delivery = asyncio.create_task(runtime._scheduled_briefing(channel))
    await asyncio.wait_for(publisher.holding.wait(), PATIENT)

    hurry = asyncio.Event()
    stopping = asyncio.create_task(runtime.stop(PATIENT, hurry))
    if how == "finished":
        publisher.go.set()
    else:
        hurry.set()
    await asyncio.wait_for(stopping, PATIENT)
    assert delivery.done()
    sent = [1, 2] if how == "finished" else [1]
    assert publisher.sent == sent
    row = runtime.repo.last_delivery(channel)
    assert row is not None and (row.status, row.sent, row.messages) == ("sending", len(sent), 3)
    assert (await runtime.service.status(channel)).delivery_failures == 0

    # The next start (a service of its own over the same database) finishes it once.
    restarted = StoreService(Store(runtime.repo), now=clock)
    try:
        after = HeldPagedPublisher(hold=None)
        assert await restarted.resume(channel, after) is True
        assert after.sent == ([3] if how == "finished" else [2, 3])
        assert await restarted.resume(channel, after) is None
    finally:
        restarted.close()
