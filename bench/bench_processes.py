"""Benchmark (issue 11, acceptance 2): several ingesting processes on one PostgreSQL.

Each worker is a process of its own running the bot's ingest loop (``IngestPipeline.run``
with ``polled_within`` 0.9 of the interval, as ``Runtime._scheduled_poll`` does) on ticks
of ``--interval`` seconds aligned to the clock, like cron schedules; the engine is a
stand-in that logs each article it is given, one file per worker. A loopback feed server
(in this process) counts the requests of each feed; between ticks new items are published,
one of each feed's own and one it shares with the next feed (the same article through
two feeds).

Scenarios, each on a fresh database:

- ``2`` and ``3`` processes for ``--rounds`` ticks: fetches per feed per tick in total,
  articles given to the engine, articles stored, links (article × feed);
- ``kill``: a worker that looks like one on another machine polls first and hangs in the
  engine, holding every feed's lease and its articles' claims; two others start, the
  first is killed with SIGKILL; how long until the others have stored everything, against
  the lease (``--lease``).

    .venv/bin/python -m bench.bench_processes [--feeds 12] [--rounds 4] [--interval 4] [--lease 20]

Needs PostgreSQL: ``NEWSBRIEF_TEST_POSTGRES_URL``, or the server binaries (a throwaway
cluster is started as in the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

TEXT = (
    "The transport minister said on Monday that the new rail line would open within two "
    "years, and that the cost had stayed within the budget approved by parliament. "
) * 4


# ------------------------------------------------------------------------------ the worker


class LoggingExtractor:
    """Stands in for the engine: logs each article's title (one line, appended at once) and
    finds no statements; with ``hang`` its first call never returns (to be killed)."""

    def __init__(self, log: Path, hang: bool) -> None:
        self.log = log
        self.hang = hang

    async def extract(self, articles: Sequence[Any], aliases: Mapping[str, Any]) -> list[list[Any]]:
        with self.log.open("a", encoding="utf-8") as out:
            out.write("".join(f"{a.title}\n" for a in articles))
            if self.hang:
                out.write("HUNG\n")
        if self.hang:
            await asyncio.Event().wait()
        return [[] for _ in articles]

    async def aclose(self) -> None:
        return None


async def worker(url: str, log: Path, interval: float, lease: float, victim: bool) -> None:
    if victim:
        # Look like a process on another machine: its leases end only when they expire.
        import socket

        socket.gethostname = lambda: "another-machine"  # type: ignore[assignment]
    from bot.runtime import build_runtime
    from config.settings import load_settings

    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(
            data_dir=Path(data),
            database_url=url,
            allow_private_networks=True,
            feed_lease_seconds=lease,
            log_level="WARNING",
        )
        runtime = await build_runtime(settings, {}, extractor=LoggingExtractor(log, victim))
        within = timedelta(seconds=interval * 0.9)
        with log.open("a") as out:
            out.write("READY\n")
        if victim:
            await runtime.pipeline.run(polled_within=within)
        while True:
            now = time.time()
            await asyncio.sleep(math.ceil(now / interval) * interval - now)
            await runtime.pipeline.run(polled_within=within)


# ------------------------------------------------------------------------------ the parent


class Feeds:
    """The feeds served, growing by two items a feed each round."""

    def __init__(self, server: Any, count: int) -> None:
        self.server = server
        self.count = count
        self.items: list[list[Any]] = [[] for _ in range(count)]
        self.version = 0

    def publish(self) -> None:
        from tests.fakes.feed_server import FeedItem, article_page, rss_feed

        def item(title: str, path: str, text: str, guid: str = "") -> Any:
            # the article's page on the loopback server too: nothing leaves the machine
            self.server.route(
                path, article_page(title, [text]), content_type="text/html; charset=utf-8"
            )
            return FeedItem(title, self.server.url(path), content=text, guid=guid)

        r = self.version
        for f in range(self.count):
            self.items[f].append(item(f"own {r}-{f}", f"/own/{r}/{f}", f"{r} {f} {TEXT}"))
            # the article feed f shares with feed f+1 (the same link and text in both)
            for g in (f, (f + 1) % self.count):
                self.items[g].append(
                    item(
                        f"shared {r}-{f}",
                        f"/shared/{r}/{f}",
                        f"shared {r} {f} {TEXT}",
                        guid=f"feed{g}-shared-{r}-{f}",
                    )
                )
        for f in range(self.count):
            self.server.route(
                f"/f/{f}.xml", rss_feed(f"Feed {f}", self.items[f]), etag=f'"{f}-{r}"'
            )
        self.version += 1

    def requests(self) -> list[int]:
        return [len(self.server.requests_for(f"/f/{f}.xml")) for f in range(self.count)]

    @property
    def articles(self) -> int:
        return 2 * self.count * self.version

    @property
    def links(self) -> int:
        return 3 * self.count * self.version


def spawn(
    url: str, log: Path, args: argparse.Namespace, victim: bool = False
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.bench_processes", "--worker", url, str(log)]
    command += ["--interval", str(args.interval), "--lease", str(args.lease)]
    if victim:
        command.append("--victim")
    return subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent)


def wait_for_line(log: Path, line: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and line in log.read_text().splitlines():
            return
        time.sleep(0.05)
    raise SystemExit(f"{log.name} never said {line}")


def stored(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, func, select

    from bot.store import models

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            articles = conn.scalar(select(func.count()).select_from(models.Article.__table__))
            links = conn.scalar(select(func.count()).select_from(models.FeedArticle.__table__))
            return int(articles or 0), int(links or 0)
    finally:
        engine.dispose()


def engine_calls(logs: Sequence[Path]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text().splitlines():
            if line not in ("READY", "HUNG"):
                seen[line] += 1
    return seen


def add_feeds(url: str, feeds: Feeds) -> None:
    from datetime import UTC, datetime

    from bot.store import Repository
    from bot.store.db import open_database

    engine, sessions = open_database(url)
    repo = Repository(sessions)
    for f in range(feeds.count):
        repo.add_feed(feeds.server.url(f"/f/{f}.xml"), datetime.now(UTC))
    engine.dispose()


def until_mid_tick(interval: float) -> None:
    now = time.time()
    mid = math.floor(now / interval) * interval + interval / 2
    time.sleep(mid - now if mid > now else mid + interval - now)


def scenario(base: str, processes: int, args: argparse.Namespace, folder: Path) -> None:
    from tests.bot.store.pg import fresh_database
    from tests.fakes.feed_server import FeedServer

    with fresh_database(base) as url, FeedServer() as server:
        feeds = Feeds(server, args.feeds)
        feeds.publish()
        add_feeds(url, feeds)
        logs = [folder / f"n{processes}-w{i}.log" for i in range(processes)]
        workers = [spawn(url, log, args) for log in logs]
        try:
            for log in logs:
                wait_for_line(log, "READY")
            until_mid_tick(args.interval)
            before = feeds.requests()
            for _ in range(args.rounds):
                feeds.publish()
                until_mid_tick(args.interval)  # one tick passes
            after = feeds.requests()
            # let the last tick's articles be stored before the workers go
            deadline = time.monotonic() + 120
            while stored(url) != (feeds.articles, feeds.links) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        fetched = [b - a for a, b in zip(before, after, strict=True)]
        calls = engine_calls(logs)
        articles, links = stored(url)
        print(
            f"{processes} processes, {args.feeds} feeds, {args.rounds} ticks of "
            f"{args.interval:g} s: fetches per feed {min(fetched)}..{max(fetched)} "
            f"(one per tick: {args.rounds}); engine calls {sum(calls.values())} for "
            f"{len(calls)} articles (most for one: {max(calls.values(), default=0)}); stored "
            f"{articles}/{feeds.articles} articles, {links}/{feeds.links} links",
            flush=True,
        )


def kill_scenario(base: str, args: argparse.Namespace, folder: Path) -> None:
    from tests.bot.store.pg import fresh_database
    from tests.fakes.feed_server import FeedServer

    with fresh_database(base) as url, FeedServer() as server:
        feeds = Feeds(server, args.feeds)
        feeds.publish()
        add_feeds(url, feeds)
        victim_log = folder / "kill-victim.log"
        victim = spawn(url, victim_log, args, victim=True)
        wait_for_line(victim_log, "HUNG")
        leased = time.monotonic()  # about when its leases began (a poll takes milliseconds)
        logs = [folder / f"kill-w{i}.log" for i in range(2)]
        workers = [spawn(url, log, args) for log in logs]
        try:
            for log in logs:
                wait_for_line(log, "READY")
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed = time.monotonic()
            deadline = killed + args.lease + 2 * args.interval + 60
            while stored(url) != (feeds.articles, feeds.links) and time.monotonic() < deadline:
                time.sleep(0.1)
            done = time.monotonic()
        finally:
            for proc in workers:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        calls = engine_calls(logs)
        articles, links = stored(url)
        print(
            f"kill: the victim held all {args.feeds} feeds (lease {args.lease:g} s, ticks of "
            f"{args.interval:g} s) and was killed {killed - leased:.1f} s after; the two others "
            f"had stored {articles}/{feeds.articles} articles and {links}/{feeds.links} links "
            f"{done - killed:.1f} s after the kill ({done - leased:.1f} s after the lease "
            f"began); their engine calls {sum(calls.values())} for {len(calls)} articles "
            f"(most for one: {max(calls.values(), default=0)})",
            flush=True,
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--interval", type=float, default=4.0)
    parser.add_argument("--lease", type=float, default=20.0)
    parser.add_argument("--worker", nargs=2, metavar=("URL", "LOG"))
    parser.add_argument("--victim", action="store_true")
    args = parser.parse_args(argv)
    if args.worker:
        url, log = args.worker
        asyncio.run(worker(url, Path(log), args.interval, args.lease, args.victim))
        return 0
    from tests.bot.store import pg

    try:
        base = pg.server_url()
    except pg.Unavailable as exc:
        print(f"skipped: PostgreSQL unavailable: {exc}")
        return 0
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for processes in (2, 3):
            scenario(base, processes, args, Path(folder))
        kill_scenario(base, args, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
