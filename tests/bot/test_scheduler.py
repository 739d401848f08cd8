"""The scheduler wiring: polling and one briefing job per subscription (its cron, its time
zone), catch-up of missed slots at start, once, across restarts; schedules changed live."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.loops import SWITCH_INTERVAL
from bot.ports import ChannelRef
from bot.runtime import Runtime, build_runtime
from bot.scheduler import POLL_JOB, briefing_job_id
from briefings.models import Briefing
from config.settings import Settings, load_settings
from tests.bot.test_service_runtime import PatternExtractor
from tests.fakes.feed_server import FeedServer, rss_feed
from tests.timing import PATIENT

NEWS = ChannelRef("console", "local", "news")
DESK = ChannelRef("slack", "T1", "C9")
CREATED = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


class Recorder:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.published: list[tuple[ChannelRef, Briefing]] = []

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        self.published.append((channel, briefing))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def eventually(check: Callable[[], object], what: str) -> None:
    """Wait for background jobs (the scheduler runs them on the loop) to get somewhere."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENT
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.025)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, allow_private_networks=True)


@pytest.fixture
def clock() -> Clock:
    return Clock(CREATED)


@pytest.fixture
def console() -> Recorder:
    return Recorder("console")


@pytest.fixture
async def runtime(settings: Settings, clock: Clock, console: Recorder) -> AsyncIterator[Runtime]:
    rt = await build_runtime(
        settings, {"console": console}, now=clock, extractor=PatternExtractor()
    )
    yield rt
    await rt.aclose()


async def seed(runtime: Runtime) -> None:
    from bot.ingest import FetchedItem

    await runtime.ingest_items(
        [
            FetchedItem(
                "s-1",
                "https://news.example/1",
                "Tanks",
                CREATED,
                "Daily Planet",
                'German Chancellor Olaf Scholz said: "No more tanks." Then he left.',
            )
        ]
    )


async def test_jobs_follow_the_subscriptions(runtime: Runtime) -> None:
    await runtime.service.subscribe(NEWS, schedule="daily 08:00", timezone="Europe/Berlin")
    await runtime.service.subscribe(DESK, schedule="weekdays 07:30", timezone="America/New_York")
    await runtime.service.subscribe(ChannelRef("console", "local", "quiet"))  # no schedule, no job
    await runtime.start()
    jobs = {job.id: job for job in runtime.scheduler.jobs()}
    assert set(jobs) == {POLL_JOB, briefing_job_id(NEWS), briefing_job_id(DESK)}
    news = jobs[briefing_job_id(NEWS)].trigger
    assert str(news.timezone) == "Europe/Berlin"
    fire = news.get_next_fire_time(None, datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert fire == datetime(2024, 5, 2, 6, 0, tzinfo=UTC)  # 08:00 in Berlin (CEST)
    desk = jobs[briefing_job_id(DESK)].trigger
    saturday = datetime(2024, 5, 4, 12, 0, tzinfo=UTC)
    assert desk.get_next_fire_time(None, saturday) == datetime(2024, 5, 6, 11, 30, tzinfo=UTC)
    # A schedule changed while running replaces the job; "off" removes it.
    await runtime.service.set_schedule(NEWS, "hourly", "UTC")
    changed = runtime.scheduler.scheduler.get_job(briefing_job_id(NEWS)).trigger
    assert changed.get_next_fire_time(None, datetime(2024, 5, 1, 12, 10, tzinfo=UTC)) == (
        datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    )
    await runtime.service.set_schedule(DESK, "off", "UTC")
    assert runtime.scheduler.scheduler.get_job(briefing_job_id(DESK)) is None


async def test_the_poll_job_runs_at_start(runtime: Runtime) -> None:
    async with FeedServer() as server:
        server.route("/feed.xml", rss_feed("Empty", []), etag='"e1"')
        await runtime.service.add_feed(None, server.url("/feed.xml"))
        await runtime.start()
        await eventually(lambda: bool(server.requests_for("/feed.xml")), "the feed is polled")
        await eventually(
            lambda: runtime.repo.feed(server.url("/feed.xml")).last_polled is not None,  # type: ignore[union-attr]
            "the poll is recorded",
        )


async def test_a_briefing_job_publishes_when_it_fires(
    runtime: Runtime, clock: Clock, console: Recorder
) -> None:
    await runtime.service.subscribe(NEWS, schedule="daily 08:00", timezone="UTC")
    await seed(runtime)
    await runtime.start()
    await asyncio.sleep(0.05)
    assert console.published == []  # 06:00: no slot has passed yet
    clock.now = datetime(2024, 5, 1, 8, 0, 1, tzinfo=UTC)
    runtime.scheduler.run_now(briefing_job_id(NEWS))
    await eventually(lambda: len(console.published) == 1, "the briefing is published")
    channel, briefing = console.published[0]
    assert channel == NEWS and [s.title for s in briefing.stories] == ["Tanks"]


async def test_missed_slots_are_delivered_once_at_start_and_never_again(
    settings: Settings, clock: Clock, console: Recorder
) -> None:
    first = await build_runtime(
        settings, {"console": console}, now=clock, extractor=PatternExtractor()
    )
    await first.service.subscribe(NEWS, schedule="daily 08:00", timezone="UTC")
    await seed(first)
    await first.aclose()
    # Down for three days; two restarts.
    clock.now = CREATED + timedelta(days=3)
    for _ in range(2):
        rt = await build_runtime(
            settings, {"console": console}, now=clock, extractor=PatternExtractor()
        )
        await rt.start()
        await eventually(partial(rt.repo.delivery_count, NEWS), "the missed slot is claimed")
        assert rt.repo.delivery_count(NEWS) == 1
        await asyncio.sleep(0.1)
        await rt.aclose()
    assert len(console.published) == 1
    assert console.published[0][1].stories[0].title == "Tanks"


async def test_a_channel_without_a_publisher_is_skipped(runtime: Runtime, clock: Clock) -> None:
    await runtime.service.subscribe(DESK, schedule="hourly", timezone="UTC")  # no slack publisher
    clock.now += timedelta(hours=3)
    await runtime.start()
    await asyncio.sleep(0.1)
    assert runtime.repo.delivery_count(DESK) == 0


async def test_the_start_reads_the_schedules_off_the_loop_and_freezes_what_is_alive(
    runtime: Runtime,
) -> None:
    """Issue 12, acceptance 1 (the loop never stalls): at start the bot may already be
    answering, so the channels' schedules are read on the store's threads, not the loop's;
    and what is alive then is frozen out of full garbage collections (each one holds every
    thread, the loop's included, for as long as it scans), and the loop thread waits less
    for the interpreter behind the ingestion thread, until the runtime closes."""
    await runtime.service.subscribe(NEWS, schedule="daily 08:00", timezone="UTC")
    loop_thread = threading.get_ident()
    read_on: list[int] = []
    channels = runtime.repo.channels

    def recorded() -> Any:
        read_on.append(threading.get_ident())
        return channels()

    runtime.repo.channels = recorded  # type: ignore[method-assign]
    assert gc.get_freeze_count() == 0
    python_switch_interval = sys.getswitchinterval()
    await runtime.start()
    assert read_on and loop_thread not in read_on
    assert briefing_job_id(NEWS) in {job.id for job in runtime.scheduler.jobs()}
    assert gc.get_freeze_count() > 0
    assert sys.getswitchinterval() == SWITCH_INTERVAL < python_switch_interval
    await runtime.aclose()
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == python_switch_interval


def test_the_store_starts_its_threads_before_any_call(tmp_path: Path) -> None:
    """A ThreadPoolExecutor starts a thread when a call finds none idle, and the caller
    waits until it runs: on the loop, under load, a stall (176 ms seen in
    ``store.py:_run < find_actor``). The store's threads are all started when it is made,
    so a call never starts one."""
    from bot.store import Repository, Store, open_database
    from bot.store.store import STORE_THREADS

    engine, sessions = open_database(f"sqlite:///{tmp_path / 'threads.db'}")
    store = Store(Repository(sessions))
    try:
        pool = store._calls
        assert len(pool._threads) == STORE_THREADS  # type: ignore[attr-defined]

        async def calls() -> None:
            await asyncio.gather(*(store.channels() for _ in range(3 * STORE_THREADS)))

        asyncio.run(calls())
        assert len(pool._threads) == STORE_THREADS  # type: ignore[attr-defined]
    finally:
        store.close()
        engine.dispose()
