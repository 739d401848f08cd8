"""The bot's loop kept free: the stall monitor names the code that held the loop, the
ingestion thread runs the pipeline elsewhere, and name lookups run on the store's threads
from an index that is not rebuilt for every unknown name. Events are counted and threads
compared; nothing here is timed."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import bot.ingest.feeds
from bot.errors import UnknownActorError
from bot.loops import LoopMonitor, LoopThread
from bot.runtime import Runtime, build_runtime
from bot.store.lookup import ActorLookup, CachedLookup
from briefings.models import Actor, Article, Statement
from config.settings import load_settings
from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed
from tests.timing import PATIENT

NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


async def until(predicate: Callable[[], bool]) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), PATIENT)


# --------------------------------------------------------------------------- the monitor


def hold_the_loop(caught: threading.Event) -> None:
    """Blocks the loop until the monitor's watchdog has seen it blocked."""
    assert caught.wait(PATIENT)


async def test_a_stall_is_logged_with_the_code_that_held_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caught = threading.Event()
    monitor = LoopMonitor(0.05, on_caught=caught.set)
    monitor.start()
    try:
        await until(lambda: monitor.beats >= 1)
        hold_the_loop(caught)
        await until(lambda: monitor.count >= 1)
    finally:
        await monitor.aclose()
    [stall] = monitor.stalls
    assert stall.where.startswith("tests/bot/test_loops.py:hold_the_loop:")
    assert monitor.worst == stall.seconds == monitor.latest > 0.05
    assert 0 <= stall.loop_cpu <= stall.process_cpu  # CPU time measured over the stall
    [record] = [r for r in caplog.records if r.name == "bot.loops"]
    assert record.levelname == "WARNING" and "hold_the_loop" in record.getMessage()
    assert record.getMessage().startswith("event loop stalled ")


def collect_while_holding_the_loop(caught: threading.Event) -> None:
    """Blocks the loop with a full garbage collection in it, until the watchdog saw it."""
    gc.collect()
    assert caught.wait(PATIENT)


async def test_a_stall_names_the_garbage_collection_that_ran_in_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caught = threading.Event()
    monitor = LoopMonitor(0.05, on_caught=caught.set)
    monitor.start()
    try:
        await until(lambda: monitor.beats >= 1)
        before = monitor.collections
        collect_while_holding_the_loop(caught)
        await until(lambda: monitor.count >= 1)
    finally:
        await monitor.aclose()
    assert monitor.collections > before and monitor.longest_generation == 2
    [stall] = monitor.stalls
    assert stall.where.startswith("tests/bot/test_loops.py:collect_while_holding_the_loop:")
    assert stall.generation == 2 and stall.collecting > 0
    [record] = [r for r in caplog.records if r.name == "bot.loops"]
    assert "; garbage collection " in record.getMessage()
    assert "ms (generation 2); CPU: loop thread " in record.getMessage()
    n = monitor.collections
    gc.collect()  # no longer watched
    assert monitor.collections == n


# ----------------------------------------------------------------------- the loop thread


async def test_the_loop_thread_runs_coroutines_on_its_own_thread() -> None:
    worker = LoopThread("ingest-test")

    async def where() -> int:
        await asyncio.sleep(0)
        return threading.get_ident()

    try:
        ident = await worker.run(where())
        assert ident == worker.ident != threading.get_ident()
        assert await worker.run(where()) == ident  # one thread, kept
    finally:
        await worker.aclose()


async def test_cancelling_the_caller_cancels_the_work_on_the_loop_thread() -> None:
    worker = LoopThread("ingest-test")
    started, cancelled = threading.Event(), threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    try:
        task = asyncio.ensure_future(worker.run(forever()))
        await asyncio.to_thread(started.wait, PATIENT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(cancelled.wait, PATIENT)
    finally:
        await worker.aclose()


# ------------------------------------------------------------------- ingestion off the loop


class Threads:
    """Which threads each kind of call ran on."""

    def __init__(self) -> None:
        self.seen: dict[str, set[int]] = {}

    def note(self, what: str) -> None:
        self.seen.setdefault(what, set()).add(threading.get_ident())

    def wrap(self, what: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self.note(what)
            return fn(*args, **kwargs)

        return wrapped


class RecordingStore:
    """The pipeline's store, every call noted with its thread."""

    def __init__(self, store: Any, threads: Threads) -> None:
        self._store, self._threads = store, threads

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        return self._threads.wrap("store." + name, value) if callable(value) else value


class NoteExtractor:
    """The engine's stand-in: no statements, each call's thread noted."""

    def __init__(self, threads: Threads) -> None:
        self.threads = threads

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        self.threads.note("extract")
        return [[] for _ in articles]

    async def aclose(self) -> None:
        return None


@pytest.fixture
def threads() -> Threads:
    return Threads()


@pytest.fixture
async def runtime(tmp_path: Path, threads: Threads) -> AsyncIterator[Runtime]:
    settings = load_settings(data_dir=tmp_path, database_url=None, allow_private_networks=True)
    rt = await build_runtime(settings, {}, now=lambda: NOW, extractor=NoteExtractor(threads))
    yield rt
    await rt.aclose()


def feed_of(n: int, items: int) -> str:
    """A feed whose items carry their whole text (no page to fetch), each its own."""

    def text(i: int) -> str:
        return f"Story {n}-{i}: the minister said the plan would go ahead. " * 30

    return rss_feed(
        f"Desk {n}",
        [
            FeedItem(
                f"Story {n}-{i}", f"https://news{n}.example/{i}", summary=text(i), guid=f"f{n}-{i}"
            )
            for i in range(items)
        ],
    )


async def test_no_ingestion_work_runs_on_the_bots_loop(
    runtime: Runtime, threads: Threads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        bot.ingest.feeds, "parse_feed", threads.wrap("parse_feed", bot.ingest.feeds.parse_feed)
    )
    runtime.pipeline.store = RecordingStore(runtime.pipeline.store, threads)
    async with FeedServer() as server:
        for n in range(5):
            server.route(f"/feed{n}.xml", feed_of(n, 20))
            await runtime.service.add_feed(None, server.url(f"/feed{n}.xml"))
        summary = await runtime.ingest_once()
    assert summary.feeds_polled == 5 and summary.articles_new == 100
    loop_thread = threading.get_ident()
    assert {"parse_feed", "extract", "store.known_items", "store.store_article"} <= set(
        threads.seen
    )
    on_the_loop = sorted(what for what, idents in threads.seen.items() if loop_thread in idents)
    assert on_the_loop == []


# ------------------------------------------------------------------- name lookups


async def test_lookups_run_off_the_loop_and_unknown_names_do_not_rebuild_the_index(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, threads: Threads
) -> None:
    built: list[int] = []
    original_init = ActorLookup.__init__

    def counting_init(self: ActorLookup, *args: Any, **kwargs: Any) -> None:
        built.append(threading.get_ident())
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(ActorLookup, "__init__", counting_init)
    for name in ("find", "suggestions", "names"):
        monkeypatch.setattr(ActorLookup, name, threads.wrap(name, getattr(ActorLookup, name)))
    for n in range(10):
        with pytest.raises(UnknownActorError):
            await runtime.service.stance(f"Ruritania{n}")
    assert (await runtime.service.stance("Germany")).actor.id == "DE"
    assert await runtime.service.actor_names("Germ")
    assert len(built) == 1  # ten unknown names, one index
    loop_thread = threading.get_ident()
    assert loop_thread not in set(built)
    assert {"find", "suggestions", "names"} <= set(threads.seen)
    assert all(loop_thread not in idents for idents in threads.seen.values())
    runtime.service.forget_actors()  # ingestion stored names: rebuilt once, on next use
    with pytest.raises(UnknownActorError):
        await runtime.service.stance("Ruritania")
    assert len(built) == 2


def test_an_unknown_name_rebuilds_at_most_once_a_refresh_and_answers_are_bounded() -> None:
    now = [0.0]
    builds: list[float] = []

    def build() -> ActorLookup:
        builds.append(now[0])
        return ActorLookup([], [])

    names = CachedLookup(build, refresh=60.0, answers=3, clock=lambda: now[0])
    for n in range(5):
        assert names.find(f"Ruritania{n}")[0] is None
    assert builds == [0.0] and len(names._cache) == 3
    now[0] = 61.0
    assert names.find("Ruritania0")[0] is None  # asked before: its answer is kept
    assert names.find("Ruritania9")[0] is None  # a miss after the refresh: one rebuild
    assert names.find("Ruritania8")[0] is None
    assert builds == [0.0, 61.0]
    assert names.find("Germany")[0] is not None
