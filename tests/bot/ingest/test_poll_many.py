"""poll_many: bounded concurrency, results as they complete, disabled feeds skipped."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import httpx

from bot.ingest import FeedPoller, FeedState, FetchedItem, PollResult
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

CONTENT = "<p>" + " ".join(["The governor said the dam would be repaired by autumn."] * 30)


def serve_feeds(server: FeedServer, count: int, **options: object) -> list[str]:
    urls = []
    for n in range(count):
        items = [FeedItem(f"Story {n}", f"https://example.org/{n}", content=CONTENT)]
        server.route(f"/f{n}.xml", rss_feed(f"Feed {n}", items), **options)
        urls.append(server.url(f"/f{n}.xml"))
    return urls


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport and records the most requests it ever had in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_concurrency_is_bounded(server: FeedServer) -> None:
    urls = serve_feeds(server, 20)
    counting = CountingTransport(httpx.AsyncHTTPTransport())
    async with httpx.AsyncClient(transport=counting) as client:
        poller = FeedPoller(client, concurrency=3)
        results = [r async for r in poller.poll_many([FeedState(u) for u in urls])]

    assert sorted(r.url for r in results) == sorted(urls)
    assert all(r.status == "ok" for r in results)
    assert 1 < counting.most <= 3


async def test_results_come_as_they_complete(server: FeedServer, client: httpx.AsyncClient) -> None:
    hold = threading.Event()
    [slow] = serve_feeds(server, 1, hold=hold)
    fast = server.url("/fast.xml")
    server.route("/fast.xml", rss_feed("Fast", [FeedItem("x", "https://e.org/x", content=CONTENT)]))
    stream = FeedPoller(client, concurrency=2).poll_many([FeedState(slow), FeedState(fast)])
    try:
        assert (await anext(stream)).url == fast  # while the slow feed is still held back
        hold.set()
        assert (await anext(stream)).url == slow
    finally:
        hold.set()
        await stream.aclose()


async def test_disabled_feeds_are_skipped(server: FeedServer, client: httpx.AsyncClient) -> None:
    urls = serve_feeds(server, 2)
    feeds = [FeedState(urls[0]), FeedState(urls[1], failures=10, disabled=True)]
    results = [r async for r in FeedPoller(client).poll_many(feeds)]
    assert [r.url for r in results] == [urls[0]]
    assert server.requests_for("/f1.xml") == []


async def test_stopping_early_cancels_the_rest(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    urls = serve_feeds(server, 1)
    server.route("/hang.xml", never_answer=True)
    poller = FeedPoller(client, concurrency=4)
    stream = poller.poll_many([FeedState(urls[0])] + [FeedState(server.url("/hang.xml"))] * 3)
    first: PollResult = await anext(stream)
    await stream.aclose()  # must return promptly, not wait for the hanging feeds
    assert first.url == urls[0]


async def test_an_unexpected_error_fails_only_that_feed(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    urls = serve_feeds(server, 2)

    async def explode(feed: FeedState, items: Sequence[FetchedItem]) -> set[str]:
        if any(item.url.endswith("/0") for item in items):
            raise RuntimeError("bug in the caller's callback")
        return set()

    results = {
        r.url: r
        async for r in FeedPoller(client, known_items=explode).poll_many(
            [FeedState(u) for u in urls]
        )
    }
    assert results[urls[0]].status == "failed"
    assert results[urls[0]].error == "internal error while polling (RuntimeError)"
    assert results[urls[1]].status == "ok"
