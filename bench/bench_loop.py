"""Benchmark: the bot's event loop while 60 feeds of 100 items are polled and ingested, with
slash commands arriving over a fake Discord gateway in another process (tests/fakes/
platform_process.py): 20 /stance Germany and ten /stance of 6,000 characters.

Prints the loop's worst stall (its LoopMonitor, the runtime's own), the stalls over 100 ms
with what ran, and each interaction's wait for its first callback as the fake measured it
(its own clock, in its own process). The engine is a stand-in that finds nothing: in the
bot it runs in worker processes, and this measures the loop, not the NLP.

    .venv/bin/python -m bench.bench_loop [--feeds 60] [--items 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import httpx
from yarl import URL

from bot.loops import Stall
from briefings.models import Actor, Article, Statement

STALL_LIMIT = 0.1
CALLBACK_LIMIT = 0.5


class NoStatements:
    """The engine's stand-in: every article read, nothing found."""

    def __init__(self) -> None:
        self.articles = 0

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        self.articles += len(articles)
        return [[] for _ in articles]

    async def aclose(self) -> None:
        return None


@dataclass
class Figures:
    articles_new: int
    feeds_polled: int
    ingest_seconds: float
    worst_stall: float
    stalls: list[Stall]
    beats: int
    latencies: dict[str, float]
    sent: int
    callbacks: int
    long_ids: set[str] = field(default_factory=set)
    collections: int = 0
    longest_collection: float = 0.0
    longest_generation: int = -1
    latest_beat: float = 0.0

    def lines(self) -> list[str]:
        normal = sorted(v for k, v in self.latencies.items() if k not in self.long_ids)
        long = sorted(v for k, v in self.latencies.items() if k in self.long_ids)
        out = [
            f"ingested {self.articles_new} articles from {self.feeds_polled} feeds in "
            f"{self.ingest_seconds:.1f} s",
            f"loop: worst stall {self.worst_stall * 1000:.0f} ms over {self.beats} beats; "
            f"{sum(s.seconds > STALL_LIMIT for s in self.stalls)} stalls over "
            f"{STALL_LIMIT * 1000:.0f} ms ({len(self.stalls)} recorded: the monitor also "
            "records one over half of it that its watchdog caught); latest beat "
            f"{self.latest_beat * 1000:.0f} ms late",
        ]
        out += [f"  stall {s.describe()}" for s in self.stalls]
        out.append(
            f"garbage collections: {self.collections}, longest "
            f"{self.longest_collection * 1000:.1f} ms (generation {self.longest_generation})"
        )
        for label, values in (("/stance Germany", normal), ("/stance 6,000 chars", long)):
            if values:
                out.append(
                    f"{label}: {len(values)} first callbacks, median "
                    f"{values[len(values) // 2] * 1000:.0f} ms, worst {values[-1] * 1000:.0f} ms"
                )
        out.append(f"interactions sent {self.sent}, initial callbacks {self.callbacks}")
        return out


def stance_payload(n: int, actor: str) -> dict[str, Any]:
    from tests.fakes.discord_api import interaction_payload

    return interaction_payload(
        name="stance",
        options=[{"name": "actor", "type": 3, "value": actor}],
        interaction_id=700000000000001000 + n,
        token=f"interaction-token-{n}",
    )


async def run_scenario(feeds: int = 60, items: int = 100, data_dir: Path | None = None) -> Figures:
    """Start the platform process, the bot (runtime + real discord.py client) against it,
    poll every feed while 30 interactions arrive; return what was measured."""
    from adapters.discord.bot import build_client, login
    from bot.runtime import build_runtime
    from config.settings import load_settings

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.platform_process",
            "--feeds",
            str(feeds),
            "--items",
            str(items),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    tmp = tempfile.TemporaryDirectory(prefix="bench-loop-")
    base_before = discord.http.Route.BASE
    gateway_before = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        assert child.stdout is not None
        info = json.loads(await asyncio.to_thread(child.stdout.readline))
        discord.http.Route.BASE = info["base"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = URL(info["gateway"])
        settings = load_settings(
            data_dir=data_dir or Path(tmp.name), database_url=None, allow_private_networks=True
        )
        runtime = await build_runtime(settings, {}, extractor=NoStatements())
        client = build_client(runtime.service)
        connection: asyncio.Task[None] | None = None
        try:
            for url in info["feeds"]:
                await runtime.service.add_feed(None, url)
            await login(client, "fake-discord-token")
            connection = asyncio.ensure_future(client.connect(reconnect=False))
            await asyncio.wait_for(client.wait_until_ready(), 60)
            # built before the loop is watched (the first imports the fake's module)
            payloads = [stance_payload(n, "Germany") for n in range(20)]
            long_ids = set()
            for n in range(20, 30):
                payload = stance_payload(n, "Germany " * 750)
                payloads.insert(2 * (n - 20) + 1, payload)
                long_ids.add(str(payload["id"]))
            runtime.watch_loop()  # as Runtime.start does
            started = time.perf_counter()
            ingest = asyncio.ensure_future(runtime.ingest_once())
            async with httpx.AsyncClient(timeout=60) as http:
                await http.post(
                    info["control"] + "/interactions",
                    json={"payloads": payloads, "spacing": 0.1},
                )
                summary = await ingest
                seconds = time.perf_counter() - started
                for _ in range(600):
                    answered = (await http.get(info["control"] + "/latencies")).json()
                    if len(answered["latencies"]) >= len(payloads):
                        break
                    await asyncio.sleep(0.1)
            await asyncio.sleep(0.2)  # the monitor's last beat
            monitor = runtime.monitor
            return Figures(
                articles_new=summary.articles_new,
                feeds_polled=summary.feeds_polled,
                ingest_seconds=seconds,
                worst_stall=monitor.worst,
                stalls=list(monitor.stalls),
                beats=monitor.beats,
                latencies=answered["latencies"],
                sent=answered["sent"],
                callbacks=answered["callbacks"],
                long_ids=long_ids,
                collections=monitor.collections,
                longest_collection=monitor.longest_collection,
                longest_generation=monitor.longest_generation,
                latest_beat=monitor.latest,
            )
        finally:
            await client.close()
            if connection is not None:
                connection.cancel()
                await asyncio.gather(connection, return_exceptions=True)
            await runtime.aclose()
    finally:
        discord.http.Route.BASE = base_before
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway_before
        if child.stdin is not None:
            child.stdin.close()
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    figures = asyncio.run(run_scenario(args.feeds, args.items))
    for line in figures.lines():
        print(line)
    worst_callback = max(figures.latencies.values(), default=0.0)
    ok = figures.worst_stall < STALL_LIMIT and worst_callback < CALLBACK_LIMIT
    print(
        f"goal: worst stall < {STALL_LIMIT * 1000:.0f} ms and every first callback < "
        f"{CALLBACK_LIMIT * 1000:.0f} ms: {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
