"""The fake Discord (REST and gateway) and a loopback feed server in a process of their own,
so a bot whose event loop stalls cannot hide it: the fake keeps time on its own loop.

    python -m tests.fakes.platform_process --feeds 60 --items 100

prints one JSON line (``base``, ``gateway``, ``control``, ``feeds``: the feed URLs) and
serves until its standard input closes. Interactions are sent over the gateway by POSTing
``{"payloads": [...], "spacing": s}`` to ``control + "/interactions"``; ``control +
"/latencies"`` answers how long each waited for its first callback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from tests.fakes.discord_api import FakeDiscordAPI
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed


def feed_document(n: int, items: int) -> str:
    """A feed whose items carry their whole text (no page to fetch), each its own."""
    entries = [
        FeedItem(
            f"Story {n}-{i}",
            f"https://news{n}.example/{i}",
            summary=f"Story {n}-{i}: the minister said the plan would go ahead. " * 30,
            guid=f"f{n}-{i}",
        )
        for i in range(items)
    ]
    return rss_feed(f"Desk {n}", entries)


async def main(feeds: int, items: int) -> None:
    fake = FakeDiscordAPI()
    await fake.start()
    with FeedServer() as server:
        for n in range(feeds):
            server.route(f"/feed{n}.xml", feed_document(n, items))
        control = fake.base.removesuffix("/api/v10") + "/_control"
        urls = [server.url(f"/feed{n}.xml") for n in range(feeds)]
        line = {"base": fake.base, "gateway": fake.gateway, "control": control, "feeds": urls}
        print(json.dumps(line), flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes it
    await fake.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.items))
