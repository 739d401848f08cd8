"""Benchmark: poll 2,000 feeds from a loopback server, then poll them again (all 304s).

The server runs in its own process so that it does not share the poller's interpreter lock.
Prints feeds per second and peak memory (resident set size) for each poll.

    .venv/bin/python -m bench.bench_poll [--feeds 2000] [--concurrency 32] [--items 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from bot.ingest import FeedPoller, FeedState, PollResult, make_client

PARAGRAPH = (
    "The transport minister said on Monday that the new rail line would open within two years, "
    "and that the cost had stayed within the budget approved by parliament last spring."
)


def _serve(feeds: int, items: int, conn: Connection) -> None:
    """Child process: serve ``feeds`` RSS documents with ETags until told to stop."""
    from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

    content = "<p>" + " ".join([PARAGRAPH] * 6) + "</p>"
    with FeedServer() as server:
        for n in range(feeds):
            entries = [
                FeedItem(
                    title=f"Story {n}-{i}",
                    link=f"https://news{n}.example.org/story/{i}",
                    content=content,
                )
                for i in range(items)
            ]
            server.route(
                f"/feed/{n}.xml",
                rss_feed(f"Outlet {n}", entries),
                etag=f'"feed-{n}-v1"',
                last_modified="Wed, 01 May 2024 10:00:00 GMT",
            )
        conn.send(server.port)
        conn.recv()  # wait for the parent to finish


@dataclass
class Figures:
    seconds: float
    statuses: dict[str, int]
    items: int
    peak_rss_mb: float

    def line(self, label: str, feeds: int) -> str:
        rate = feeds / self.seconds if self.seconds else float("inf")
        return (
            f"{label:<18} {feeds} feeds in {self.seconds:6.2f} s = {rate:7.0f} feeds/s; "
            f"{self.statuses}; {self.items} items; peak RSS {self.peak_rss_mb:.0f} MB"
        )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


async def _poll_all(
    poller: FeedPoller, states: list[FeedState]
) -> tuple[Figures, list[PollResult]]:
    results: list[PollResult] = []
    start = time.perf_counter()
    async for result in poller.poll_many(states):
        results.append(result)
    seconds = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    items = sum(len(r.items) for r in results)
    return Figures(seconds, statuses, items, _peak_rss_mb()), results


async def run(port: int, feeds: int, concurrency: int) -> tuple[Figures, Figures]:
    urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(feeds)]
    async with make_client(allow_private=True, timeout=30.0) as client:
        poller = FeedPoller(client, concurrency=concurrency, fetch_full_text=False)
        first, results = await _poll_all(poller, [FeedState(url) for url in urls])
        # The caller stores the validators; the second poll sends them back.
        states = [FeedState(r.url, r.etag, r.last_modified) for r in results]
        second, _ = await _poll_all(poller, states)
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=10, help="items per feed")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(args.feeds, args.items, child), daemon=True)
    server.start()
    try:
        port = parent.recv()
        baseline = _peak_rss_mb()
        first, second = asyncio.run(run(port, args.feeds, args.concurrency))
    finally:
        parent.send("stop")
        server.join(10)
    print(f"bench_poll: {args.feeds} feeds x {args.items} items, concurrency {args.concurrency}")
    print(f"baseline RSS {baseline:.0f} MB (interpreter and imports)")
    print(first.line("first poll (200):", args.feeds))
    print(second.line("second poll (304):", args.feeds))


if __name__ == "__main__":
    main()
