"""Acceptance 3: SIGKILL in the middle of ingestion and in the middle of a briefing, restart,
and nothing is lost and nothing is delivered twice.

The bot runs in a child process (this module, run with ``python -m``); the parent serves the
feed, watches the child's progress lines, kills it and checks the database and the record of
deliveries the child's publisher keeps in a file.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ports import ChannelRef
from briefings.models import Actor, Article, Briefing, Statement
from tests.bot.store.factories import opened
from tests.bot.store.pg import database_url
from tests.fakes.feed_server import FeedItem, FeedServer, article_page, rss_feed

__all__ = ["database_url"]

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = ChannelRef("console", "local", "crash")
ARTICLES = 8


# ------------------------------------------------------------------------- the child process


class _SlowExtractor:
    """The stand-in engine, slowed down and announcing each call, so the parent can kill the
    child while articles are being stored."""

    def __init__(self, delay: float) -> None:
        from tests.bot.test_service_runtime import PatternExtractor

        self.inner = PatternExtractor()
        self.delay = delay
        self.calls = 0

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        self.calls += 1
        print(f"extract {self.calls}", flush=True)
        await asyncio.sleep(self.delay)
        return await self.inner.extract(articles, aliases)

    async def aclose(self) -> None:
        return None


class _FilePublisher:
    """Appends one line per briefing to a file; optionally stalls first (to be killed)."""

    platform = "console"

    def __init__(self, record: Path, stall: float) -> None:
        self.record = record
        self.stall = stall

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        print("publishing", flush=True)
        await asyncio.sleep(self.stall)
        with self.record.open("a", encoding="utf-8") as out:
            out.write(f"{channel} {len(briefing.stories)}\n")
            out.flush()
            os.fsync(out.fileno())


async def _child(mode: str, url: str, record: Path) -> None:
    import bot.ingest.pipeline
    from bot.runtime import build_runtime
    from config.settings import load_settings

    bot.ingest.pipeline.BATCH = 1  # one article per engine call: kills land between articles
    settings = load_settings(data_dir=record.parent, database_url=url, allow_private_networks=True)
    slow = mode.endswith("-slow")
    runtime = await build_runtime(
        settings,
        {"console": _FilePublisher(record, stall=60 if slow else 0)},
        extractor=_SlowExtractor(0.3 if slow else 0),
    )
    try:
        if mode.startswith("ingest"):
            summary = await runtime.ingest_once()
            print(f"done {summary}", flush=True)
        else:
            runtime.start()
            for _ in range(600):
                if runtime.repo.delivery_count(CHANNEL):
                    break
                await asyncio.sleep(0.05)
            print("done", flush=True)
    finally:
        await runtime.aclose()


# ------------------------------------------------------------------------------ the parent


class Child:
    """The bot in a subprocess, with its stdout lines readable with a deadline."""

    def __init__(self, mode: str, url: str, record: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bot.test_crash_safety", mode, url, str(record)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("<eof>")

    def wait_for(self, wanted: str, timeout: float = 60) -> None:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"the child never printed {wanted!r}") from None
            if line == wanted or line.startswith(wanted + " "):
                return
            if line == "<eof>":
                err = self.proc.stderr.read() if self.proc.stderr else ""
                self.close()
                raise AssertionError(f"the child ended before {wanted!r}: {err[-2000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.close()
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self) -> None:
        self.wait_for("done")
        self.proc.wait(60)
        self.close()
        assert self.proc.returncode == 0

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._pump_thread.join(30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        items = []
        for i in range(ARTICLES):
            path = f"/story/{i}"
            srv.route(
                path,
                article_page(
                    f"Story {i}",
                    [
                        f'German Chancellor Olaf Scholz said: "Point {i} is settled now." '
                        "Officials in Berlin confirmed the plan on Monday evening."
                    ],
                ),
                content_type="text/html; charset=utf-8",
            )
            items.append(FeedItem(f"Story {i}", srv.url(path), summary="Short.", guid=f"s-{i}"))
        srv.route("/feed.xml", rss_feed("Crash desk", items), etag='"crash-1"')
        yield srv


async def test_killed_ingestion_loses_nothing_and_stores_nothing_twice(
    database_url: str, server: FeedServer, tmp_path: Path
) -> None:
    record = tmp_path / "deliveries.txt"
    feed_url = server.url("/feed.xml")
    with opened(database_url) as (_engine, repo):
        repo.add_feed(feed_url, datetime.now(UTC))
    child = Child("ingest-slow", database_url, record)
    child.wait_for("extract 4")  # three articles stored, the fourth being parsed
    child.kill()
    with opened(database_url) as (_engine, repo):
        stored = repo.article_count()
        assert 3 <= stored < ARTICLES
        assert repo.statement_count() == stored  # each article with all of its statements
        feed = repo.feed(feed_url)
        assert feed is not None and feed.etag is None  # the poll did not count as done
    restarted = Child("ingest", database_url, record)
    restarted.finish()
    with opened(database_url) as (_engine, repo):
        assert repo.article_count() == ARTICLES
        assert repo.statement_count() == ARTICLES
        feed = repo.feed(feed_url)
        assert feed is not None and feed.etag == '"crash-1"'
        rows, counts = repo.stance_statements("DE", limit=100)
        assert counts.total == ARTICLES
        assert len({r.statement.content.text for r in rows}) == ARTICLES


async def test_killed_briefing_is_delivered_once_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    from bot.ingest import FetchedItem
    from bot.runtime import build_runtime
    from config.settings import load_settings
    from tests.bot.test_service_runtime import PatternExtractor

    record = tmp_path / "deliveries.txt"
    past = datetime.now(UTC) - timedelta(days=2)
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    setup = await build_runtime(settings, {}, now=lambda: past, extractor=PatternExtractor())
    await setup.service.subscribe(CHANNEL, schedule="daily 08:00", timezone="UTC")
    await setup.ingest_items(
        [
            FetchedItem(
                "b-1",
                "https://news.example/b1",
                "Before the crash",
                past,
                "Daily Planet",
                'German Chancellor Olaf Scholz said: "We stay the course." Then he left.',
            )
        ]
    )
    await setup.aclose()

    child = Child("brief-slow", database_url, record)
    child.wait_for("publishing")
    child.kill()
    assert not record.exists()
    with opened(database_url) as (_engine, repo):
        assert repo.delivery_count(CHANNEL) == 0  # the claim died with its transaction

    for _ in range(2):
        Child("brief", database_url, record).finish()
    assert record.read_text().splitlines() == [f"{CHANNEL} 1"]
    with opened(database_url) as (_engine, repo):
        assert repo.delivery_count(CHANNEL) == 1


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
