"""Acceptance 3: SIGKILL in the middle of ingestion and in the middle of a briefing, restart,
and nothing is lost and nothing is delivered twice.

The bot runs in a child process; the parent serves the feed, watches the child's progress
lines, kills it with SIGKILL and checks the database and the record of deliveries the child's
publisher keeps in a file. Children are forked by a multiprocessing fork server that has
imported the bot once, so each starts in milliseconds instead of seconds of imports; each is
still a process of its own, killed and replaced like the real bot.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from bot.ports import ChannelRef
from briefings.models import Actor, Article, Briefing, Statement
from tests.bot.store.factories import opened
from tests.bot.store.pg import database_url
from tests.fakes.feed_server import FeedItem, FeedServer, article_page, rss_feed
from tests.timing import PATIENT

__all__ = ["database_url"]

CHANNEL = ChannelRef("console", "local", "crash")
ARTICLES = 8
# What the child imports, eagerly or on first use (feeds, pages, a briefing's clustering),
# loaded once in the fork server rather than in every child.
PRELOAD = [
    __name__,
    "bot.runtime",
    "config.settings",
    "tests.bot.test_service_runtime",
    "feedparser",
    "trafilatura",
    "briefings.brief",
    "tests.bot.crash_warmup",
]


# ------------------------------------------------------------------------- the child process


async def _until_killed() -> None:
    await asyncio.Event().wait()


class _AnnouncingExtractor:
    """The stand-in engine, announcing each call; with ``stuck_at`` that call never ends, so
    the parent kills the child in the middle of an article, whatever the machine's speed."""

    def __init__(self, stuck_at: int | None, say: Callable[[str], None]) -> None:
        from tests.bot.test_service_runtime import PatternExtractor

        self.inner = PatternExtractor()
        self.stuck_at = stuck_at
        self.say = say
        self.calls = 0

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        self.calls += 1
        self.say(f"extract {self.calls}")
        if self.calls == self.stuck_at:
            await _until_killed()
        return await self.inner.extract(articles, aliases)

    async def aclose(self) -> None:
        return None


class _FilePublisher:
    """Appends one line per briefing to a file; when ``stuck``, never gets to (to be killed)."""

    platform = "console"

    def __init__(self, record: Path, stuck: bool, say: Callable[[str], None]) -> None:
        self.record = record
        self.stuck = stuck
        self.say = say

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        self.say("publishing")
        if self.stuck:
            await _until_killed()
        with self.record.open("a", encoding="utf-8") as out:
            out.write(f"{channel} {len(briefing.stories)}\n")
            out.flush()
            os.fsync(out.fileno())


def _child_main(mode: str, url: str, record: Path, out: Connection) -> None:
    """The child process: run ``mode``, telling the parent its progress through ``out``."""
    try:
        asyncio.run(_child(mode, url, record, out.send))
    except BaseException:
        out.send("<error> " + traceback.format_exc())
        raise


async def _child(mode: str, url: str, record: Path, say: Callable[[str], None]) -> None:
    import bot.ingest.pipeline
    from bot.runtime import build_runtime
    from config.settings import load_settings

    bot.ingest.pipeline.BATCH = 1  # one article per engine call: kills land between articles
    settings = load_settings(data_dir=record.parent, database_url=url, allow_private_networks=True)
    stuck = mode.endswith("-stuck")
    runtime = await build_runtime(
        settings,
        {"console": _FilePublisher(record, stuck=stuck, say=say)},
        extractor=_AnnouncingExtractor(4 if stuck else None, say=say),
    )
    try:
        if mode.startswith("ingest"):
            summary = await runtime.ingest_once()
            say(f"done {summary}")
        else:
            await runtime.start()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + PATIENT

            def delivered() -> bool:
                last = runtime.repo.last_delivery(CHANNEL)
                return last is not None and last.status == "delivered"

            while not delivered() and loop.time() < deadline:
                await asyncio.sleep(0.05)
            say("done")
    finally:
        await runtime.aclose()


# ------------------------------------------------------------------------------ the parent


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


class Child:
    """The bot in a child process, with its progress lines readable with a deadline."""

    def __init__(self, mode: str, url: str, record: Path) -> None:
        context = _context()
        self.lines, out = context.Pipe(duplex=False)
        self.proc = context.Process(target=_child_main, args=(mode, url, record, out))
        self.proc.start()
        out.close()  # the child holds the only writer: its end is the pipe's end

    def wait_for(self, wanted: str, timeout: float = PATIENT) -> None:
        while True:
            try:
                if not self.lines.poll(timeout):
                    self.close()
                    raise AssertionError(f"the child never said {wanted!r}")
                line = self.lines.recv()
            except EOFError:
                self.close()
                raise AssertionError(f"the child ended before {wanted!r}") from None
            if line.startswith("<error> "):
                self.close()
                raise AssertionError(f"the child failed before {wanted!r}: {line[8:]}")
            if line == wanted or line.startswith(wanted + " "):
                return

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup of any kind in the child
        self.proc.join(PATIENT)
        assert self.proc.exitcode == -signal.SIGKILL
        self.close()

    def finish(self) -> None:
        self.wait_for("done")
        self.proc.join(PATIENT)
        assert self.proc.exitcode == 0
        self.close()

    def close(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(PATIENT)
        self.lines.close()
        self.proc.close()


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
    child = Child("ingest-stuck", database_url, record)
    child.wait_for("extract 4")  # three articles stored (one at a time), the fourth stuck
    child.kill()
    with opened(database_url) as (_engine, repo):
        assert repo.article_count() == 3
        assert repo.statement_count() == 3  # each article with all of its statements
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

    child = Child("brief-stuck", database_url, record)
    child.wait_for("publishing")
    child.kill()
    assert not record.exists()
    with opened(database_url) as (_engine, repo):
        # The claim and the briefing were committed before the post, with none of its
        # messages counted out: the next start sees its poster is gone and resumes it
        # from its first message (issue 12, finding 7).
        [delivery] = [repo.last_delivery(CHANNEL)]
        assert delivery is not None and delivery.status == "sending"
        assert (delivery.sent, delivery.messages) == (0, 1)

    for _ in range(2):
        Child("brief", database_url, record).finish()
    assert record.read_text().splitlines() == [f"{CHANNEL} 1"]
    with opened(database_url) as (_engine, repo):
        assert repo.delivery_count(CHANNEL) == 1
