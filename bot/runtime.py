"""The running bot's engine room, built by the composition root: the store, the service, the
ingestion (feeds → full text → engine → store) and the scheduler. Platforms come in only as
``Publisher`` objects, one per platform name.

The event loop only answers: ingestion runs on a loop of its own in a thread (``LoopThread``)
and the store's calls on the store's threads; a ``LoopMonitor`` logs any stall of the loop
over 100 ms with the code that held it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import DeliveryStopped, NewsbriefError, UserInputError
from bot.extraction import Extractor, InlineExtractor, ProcessPoolExtractor
from bot.ingest.models import FetchedItem
from bot.ingest.pipeline import IngestPipeline, IngestSummary
from bot.loops import STALL_THRESHOLD, SWITCH_INTERVAL, LoopMonitor, LoopThread
from bot.ports import ChannelRef, Publisher
from bot.scheduler import Scheduler
from bot.service import StoreService
from bot.store import Repository, Store, open_database

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

    from config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """What the running parts need from the settings, read once by the composition root."""

    poll_interval: timedelta = timedelta(minutes=15)
    allow_private_networks: bool = False  # fetch feeds on private addresses (tests only)
    fetch_timeout: float = 10.0  # connect and read timeouts of a download, seconds
    feed_max_bytes: int = 10_000_000  # a feed's body is cut here
    nlp_max_chars: int = 50_000  # the engine reads at most this much of an article
    stall_threshold: float = STALL_THRESHOLD  # a loop stall longer than this is logged
    feed_lease: timedelta = timedelta(minutes=10)  # a poll's hold on its feeds and articles
    stop_grace: float = 10.0  # seconds a briefing being posted has to finish its message

    @classmethod
    def from_settings(cls, settings: Settings) -> RuntimeConfig:
        return cls(
            poll_interval=timedelta(minutes=max(1, settings.poll_interval_minutes)),
            allow_private_networks=settings.allow_private_networks,
            fetch_timeout=settings.fetch_timeout_seconds,
            feed_max_bytes=settings.feed_max_bytes,
            nlp_max_chars=settings.nlp_max_chars,
            feed_lease=timedelta(seconds=settings.feed_lease_seconds),
            stop_grace=settings.stop_grace_seconds,
        )


def _http_client(
    config: RuntimeConfig, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The HTTP client of one ingestion run (httpx is imported only when feeds are polled)."""
    from bot.ingest.fetch import make_client

    return make_client(
        allow_private=config.allow_private_networks,
        timeout=config.fetch_timeout,
        transport=transport,
    )


class Runtime:
    """Builds the running parts (the store, the service, the ingestion, the scheduler) from
    a frozen config, starts and stops them; see ``build_runtime``."""

    def __init__(
        self,
        *,
        config: RuntimeConfig,
        engine: Engine,
        repo: Repository,
        extractor: Extractor,
        publishers: Mapping[str, Publisher],
        now: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.repo = repo
        self.extractor = extractor
        self.publishers = dict(publishers)
        self.now = now
        self.transport = transport
        self._tasks: set[asyncio.Task[object]] = set()
        self._delivering: set[asyncio.Task[Any]] = set()  # briefings being posted now
        # Polling and ingestion never run on the bot's loop: on this one, in a thread.
        self.ingest_loop = LoopThread("ingest")
        self.monitor = LoopMonitor(config.stall_threshold)
        self._switch_interval: float | None = None  # Python's, while watch_loop sets ours
        self.scheduler = Scheduler(
            self._scheduled_poll, self._scheduled_briefing, config.poll_interval
        )
        self.service = StoreService(
            Store(repo),
            now=now,
            allow_private_networks=config.allow_private_networks,
            schedule_listeners=(self._schedule_changed,),
        )
        self.pipeline = IngestPipeline(
            repo,
            extractor,
            client=lambda: _http_client(config, transport),
            clock=now,
            feed_max_bytes=config.feed_max_bytes,
            nlp_max_chars=config.nlp_max_chars,
            feed_lease=config.feed_lease,
            after_run=self.service.forget_actors,
        )

    # -------------------------------------------------------------- ingestion

    async def ingest_once(
        self,
        files: Sequence[Path] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestSummary:
        """Poll every due feed once and ingest ``files`` (see ``IngestPipeline.run``), on
        the ingestion thread."""
        return await self.ingest_loop.run(self.pipeline.run(files, progress))

    async def ingest_items(self, items: Sequence[FetchedItem]) -> IngestSummary:
        """Ingest articles fetched elsewhere (the demo: no network), on the ingestion
        thread."""
        return await self.ingest_loop.run(self.pipeline.ingest_items(items))

    # -------------------------------------------------------------- scheduling

    async def start(self) -> None:
        """Start polling and the briefing jobs on the running loop, and deliver once the
        slots missed while the bot was down; watch the loop for stalls. The schedules are
        read on the store's threads: the loop may be answering commands already."""
        self.watch_loop()
        channels = await self.service.store.channels()
        schedules = [(row.ref, row.schedule, row.timezone) for row in channels if row.schedule]
        self.scheduler.start(schedules)
        for ref, _cron, _tz in schedules:
            self._spawn(self._scheduled_briefing(ref))

    def watch_loop(self) -> None:
        """Log the loop's stalls (``LoopMonitor``), and keep full garbage collections short:
        what is alive once the bot has started (modules, clients, caches) is frozen out of
        them (``gc.freeze``). A full collection holds every thread, the loop's included, for
        as long as it scans; it scanned these objects every time, never to free one. The
        loop thread waits for the interpreter at most ``SWITCH_INTERVAL`` behind the
        ingestion thread (``sys.setswitchinterval``) until the runtime closes."""
        self.monitor.start()
        gc.freeze()
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule_changed(self, channel: ChannelRef, cron: str | None, timezone: str) -> None:
        if self.scheduler.running:
            self.scheduler.schedule(channel, cron, timezone)

    async def _scheduled_poll(self) -> None:
        try:
            # Feeds another process polled within this interval are left alone (slack for
            # the timers of processes started at different moments).
            await self.ingest_loop.run(
                self.pipeline.run(polled_within=self.config.poll_interval * 0.9)
            )
        except Exception:
            log.exception("scheduled feed polling failed")

    async def _scheduled_briefing(self, channel: ChannelRef) -> None:
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            log.warning("no publisher for %s; briefing of %s skipped", channel.platform, channel)
            return
        task = asyncio.current_task()
        if task is not None:
            self._delivering.add(task)
        try:
            await self.service.deliver_due(channel, publisher)
        except DeliveryStopped:
            pass  # the bot is stopping; the service logged where the briefing stopped
        except NewsbriefError as exc:
            log.warning("briefing for %s not delivered: %s", channel, exc)
        except Exception:
            log.exception("briefing for %s failed", channel)
        finally:
            if task is not None:
                self._delivering.discard(task)

    async def stop(self, grace: float, hurry: asyncio.Event | None = None) -> None:
        """Stop taking work (no job starts, no briefing begins) and let each briefing being
        posted finish the message it is posting, then stop: within ``grace`` seconds, or
        until ``hurry`` is set, after which it is cancelled (its claim given up all the
        same). Either way the next start posts the rest from the first unsent message, so
        nothing is half-posted for good and nothing lost; a message cut off may have reached
        the platform, and is asked for again with the same key (posted once on Discord,
        maybe twice on Slack: docs/architecture.md)."""
        if self.scheduler.running:
            self.scheduler.scheduler.pause()  # shutdown would cancel the jobs under way
        self.service.stop_sending()
        in_flight = [t for t in self._delivering if not t.done()]
        if not in_flight:
            return
        log.info(
            "stopping: %d briefing(s) being posted finish their message first (at most %.0f s)",
            len(in_flight),
            grace,
        )
        hurried = asyncio.ensure_future(hurry.wait()) if hurry is not None else None
        pending: set[asyncio.Future[Any]] = set(in_flight)
        deadline = asyncio.get_running_loop().time() + grace
        try:
            while pending and not (hurried is not None and hurried.done()):
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                waiters = pending | ({hurried} if hurried is not None else set())
                done, _ = await asyncio.wait(
                    waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                pending -= done
        finally:
            if hurried is not None:
                hurried.cancel()
        for task in pending:
            # The message it was posting may or may not have reached the platform.
            log.warning("a briefing was cut off while posting a message; the next start resumes it")
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task

    async def aclose(self) -> None:
        gc.unfreeze()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        self.scheduler.shutdown()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        await self.monitor.aclose()
        await self.ingest_loop.aclose()
        await self.extractor.aclose()
        await asyncio.to_thread(self.service.close)
        await asyncio.to_thread(self.engine.dispose)


async def build_runtime(
    settings: Settings,
    publishers: Mapping[str, Publisher],
    *,
    now: Callable[[], datetime] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    nlp_processes: int | None = None,
    extractor: Extractor | None = None,
    fetch_timeout: float | None = None,
    feed_max_bytes: int | None = None,
) -> Runtime:
    """Open (and migrate) the database and assemble the runtime. ``nlp_processes=0`` runs the
    engine in this process; ``extractor`` replaces the engine altogether (tests);
    ``fetch_timeout`` (seconds) and ``feed_max_bytes`` bound each feed download (default:
    the settings)."""
    clock = now or (lambda: datetime.now(UTC))
    config = RuntimeConfig.from_settings(settings)
    if fetch_timeout is not None:
        config = replace(config, fetch_timeout=fetch_timeout)
    if feed_max_bytes is not None:
        config = replace(config, feed_max_bytes=feed_max_bytes)
    engine, sessions = await asyncio.to_thread(open_database, settings.sqlalchemy_url)
    if extractor is None:
        processes = settings.nlp_processes if nlp_processes is None else nlp_processes
        if processes < 0:
            raise UserInputError("nlp_processes cannot be negative")
        extractor = ProcessPoolExtractor(processes) if processes > 0 else InlineExtractor()
    return Runtime(
        config=config,
        engine=engine,
        repo=Repository(sessions),
        extractor=extractor,
        publishers=publishers,
        now=clock,
        transport=transport,
    )
