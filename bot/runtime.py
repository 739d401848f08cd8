"""The running bot's engine room, built by the composition root: the store, the service, the
ingestion (feeds → full text → engine → store) and the scheduler. Platforms come in only as
``Publisher`` objects, one per platform name."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import NewsbriefError, NotFoundError, UserInputError
from bot.extraction import Extractor, InlineExtractor, ProcessPoolExtractor
from bot.ingest import (
    MAX_FAILURES,
    FeedPoller,
    FeedState,
    FetchedItem,
    PollResult,
    check_public_url,
    make_client,
    next_attempt_delay,
    read_article_file,
)
from bot.ports import ChannelRef, Publisher
from bot.scheduler import Scheduler
from bot.service import FeedStatus, StoreService, feed_status
from bot.store import (
    FeedRecord,
    NewArticle,
    Repository,
    Store,
    canonical_url,
    content_hash,
    normalise_name,
    open_database,
)
from briefings.models import Actor, Article, Statement

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

    from config.settings import Settings

log = logging.getLogger(__name__)

# Articles parsed per engine call: big enough to keep the workers busy, small enough that a
# crash loses little work and progress moves.
BATCH = 16


@dataclass
class IngestSummary:
    """What one ingestion run did; ``str()`` is the one-line summary the CLI prints."""

    feeds_polled: int = 0
    not_modified: int = 0
    failed: int = 0
    articles_new: int = 0
    statements_new: int = 0
    files: int = 0
    files_failed: int = 0

    def __str__(self) -> str:
        line = (
            f"feeds polled: {self.feeds_polled}, not modified: {self.not_modified}, "
            f"failed: {self.failed}, articles new: {self.articles_new}, "
            f"statements new: {self.statements_new}"
        )
        if self.files or self.files_failed:
            line += f", files: {self.files}"
            if self.files_failed:
                line += f" ({self.files_failed} unreadable)"
        return line

    @property
    def nothing_done(self) -> bool:
        """Feeds were polled or files given, and not one feed answered nor one file was read:
        the run could do nothing. (A run with no feed due yet did all it had to.)"""
        tried = self.feeds_polled + self.files + self.files_failed
        answered = self.feeds_polled - self.failed
        return tried > 0 and answered == 0 and self.files == 0


def apply_aliases(statements: Sequence[Statement], aliases: Mapping[str, Actor]) -> list[Statement]:
    """Give speakers without an actor the actor a learned alias names ("Scholz" → Germany),
    whether or not the engine used the aliases itself. Only the whole name is looked up:
    "Peter Scholz" is not "Scholz"."""
    if not aliases:
        return list(statements)
    by_norm = {normalise_name(name): actor for name, actor in aliases.items()}
    out: list[Statement] = []
    for statement in statements:
        actor = None
        if statement.actor is None and statement.speaker_name[:1].isupper():
            actor = by_norm.get(normalise_name(statement.speaker_name))
        out.append(replace(statement, actor=actor) if actor is not None else statement)
    return out


class Runtime:
    """Holds the running parts; see ``build_runtime``."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        repo: Repository,
        service: StoreService,
        extractor: Extractor,
        publishers: Mapping[str, Publisher],
        now: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None = None,
        fetch_timeout: float = 10.0,
        feed_max_bytes: int = 10_000_000,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.repo = repo
        self.service = service
        self.extractor = extractor
        self.publishers = dict(publishers)
        self.now = now
        self.transport = transport
        self.fetch_timeout = fetch_timeout  # connect and read timeouts, seconds
        self.feed_max_bytes = feed_max_bytes  # a feed's body is cut here
        self._ingest_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[object]] = set()
        self.scheduler = Scheduler(
            self._scheduled_poll,
            self._scheduled_briefing,
            timedelta(minutes=max(1, settings.poll_interval_minutes)),
        )
        service.on_schedule_change = self._schedule_changed

    # -------------------------------------------------------------- ingestion

    async def ingest_once(
        self,
        files: Sequence[Path] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestSummary:
        """Poll every due feed once and ingest ``files``; one bad feed or file never stops
        the rest. A feed's new validators are saved only after its articles are stored, so
        a crash midway loses nothing (the next run fetches them again)."""
        async with self._ingest_lock:
            summary = IngestSummary()
            feeds = await asyncio.to_thread(self.repo.due_feeds, self.now())
            total = len(feeds) + len(files)
            done = 0

            def step() -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(done, total)

            if progress is not None:
                progress(0, total)
            for path in files:
                try:
                    item = await asyncio.to_thread(read_article_file, path)
                except NewsbriefError as exc:
                    log.warning("skipped %s: %s", path, exc)
                    summary.files_failed += 1
                    step()
                    continue
                summary.files += 1
                await self._store_items([item], None, summary)
                step()
            if feeds:
                await self._poll_feeds(feeds, summary, step)
            self.service.forget_actors()
            log.info("ingestion: %s", summary)
            return summary

    async def ingest_items(self, items: Sequence[FetchedItem]) -> IngestSummary:
        """Ingest articles fetched elsewhere (the demo: no network)."""
        async with self._ingest_lock:
            summary = IngestSummary()
            await self._store_items(items, None, summary)
            self.service.forget_actors()
            return summary

    async def _poll_feeds(
        self, feeds: Sequence[FeedRecord], summary: IngestSummary, step: Callable[[], None]
    ) -> None:
        ids = {feed.url: feed.id for feed in feeds}
        states = [
            FeedState(
                url=feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                failures=feed.failures,
                disabled=feed.disabled,
            )
            for feed in feeds
        ]
        async with make_client(
            allow_private=self.settings.allow_private_networks,
            timeout=self.fetch_timeout,
            transport=self.transport,
        ) as client:
            poller = FeedPoller(
                client, max_bytes=self.feed_max_bytes, clock=self.now, skip_item=self._have_item
            )
            async for result in poller.poll_many(states):
                summary.feeds_polled += 1
                try:
                    await self._handle_poll(result, ids[result.url], summary)
                except NewsbriefError as exc:
                    log.warning("feed %s: %s", result.url, exc)
                step()

    def _have_item(self, guid: str, url: str) -> bool:
        """Whether an item is stored already, by GUID or canonical URL (skip its page)."""
        return self.repo.has_item(guid or None, url)

    async def _handle_poll(self, result: PollResult, feed_id: int, summary: IngestSummary) -> None:
        now = self.now()
        if result.status == "failed":
            summary.failed += 1
            feed = await asyncio.to_thread(self.repo.feed, result.url)
            failures = (feed.failures if feed else 0) + 1
            disable = failures >= MAX_FAILURES
            await asyncio.to_thread(
                lambda: self.repo.record_poll(
                    result.url,
                    now=now,
                    ok=False,
                    error=result.error,
                    next_attempt=now + next_attempt_delay(failures, result.retry_after),
                    disable=disable,
                )
            )
            if disable:
                log.warning(
                    "feed %s disabled after %d failures: %s", result.url, failures, result.error
                )
            return
        if result.status == "not_modified":
            summary.not_modified += 1
        else:
            await self._store_items(result.items, feed_id, summary)
        await asyncio.to_thread(
            lambda: self.repo.record_poll(
                result.url,
                now=now,
                ok=True,
                etag=result.etag,
                last_modified=result.last_modified,
                title=result.feed_title,
            )
        )

    async def _store_items(
        self, items: Sequence[FetchedItem], feed_id: int | None, summary: IngestSummary
    ) -> None:
        fresh: list[FetchedItem] = []
        seen: set[str] = set()
        for item in items:
            if not item.text.strip():
                continue
            keys = {content_hash(item.text)}
            if item.guid:
                keys.add("guid:" + item.guid)
            canonical = canonical_url(item.url)
            if canonical:
                keys.add("url:" + canonical)
            if keys & seen:
                continue
            seen |= keys
            if await asyncio.to_thread(self.repo.is_duplicate, item.guid, item.url, item.text):
                continue
            fresh.append(item)
        for start in range(0, len(fresh), BATCH):
            batch = fresh[start : start + BATCH]
            aliases = await asyncio.to_thread(self.repo.engine_aliases)
            articles = [
                Article(
                    text=item.text,
                    title=item.title,
                    url=item.url,
                    published=item.published,
                    outlet=item.outlet,
                )
                for item in batch
            ]
            found = await self._extract(articles, aliases)
            for item, statements in zip(batch, found, strict=True):
                statements = apply_aliases(statements, aliases)
                stored = await asyncio.to_thread(
                    self.repo.store_article,
                    NewArticle(
                        guid=item.guid or None,
                        url=item.url,
                        title=item.title,
                        outlet=item.outlet,
                        published=item.published,
                        text=item.text,
                        feed_id=feed_id,
                    ),
                    statements,
                    self.now(),
                )
                if stored is not None:
                    summary.articles_new += 1
                    summary.statements_new += stored[1]
                    # What this article taught helps the next ones of the batch too.
                    aliases = await asyncio.to_thread(self.repo.engine_aliases)

    async def _extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        """The engine on a batch; when it fails, article by article, and an article it cannot
        read is kept without statements (logged) rather than stopping the run."""
        try:
            return await self.extractor.extract(articles, aliases)
        except Exception:
            if len(articles) == 1:
                log.exception(
                    "the engine failed on %s; stored without statements",
                    articles[0].url or articles[0].title,
                )
                return [[]]
            log.warning("the engine failed on a batch of %d; retrying one by one", len(articles))
        out: list[list[Statement]] = []
        for article in articles:
            out.extend(await self._extract([article], aliases))
        return out

    # ---------------------------------------------------------- subscriptions

    async def add_feed(self, url: str, title: str = "") -> FeedStatus:
        """Poll ``url`` from now on (no channel); refuses URLs that can never be safe. Adding
        a disabled feed again gives it a fresh start."""
        url = url.strip()
        check_public_url(url, allow_private=self.settings.allow_private_networks)
        feed = await asyncio.to_thread(
            lambda: self.repo.add_feed(url, self.now(), title, reenable=True)
        )
        return feed_status(feed)

    async def remove_feed(self, url: str) -> None:
        if not await asyncio.to_thread(self.repo.remove_feed, url.strip()):
            raise NotFoundError(f"no feed {url.strip()!r} is configured")

    async def feeds(self) -> tuple[FeedStatus, ...]:
        return tuple(feed_status(f) for f in await asyncio.to_thread(self.repo.feeds))

    async def subscribe(
        self,
        channel: ChannelRef,
        *,
        feeds: Sequence[str] = (),
        schedule: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        """Set a channel up: its feeds, and its briefing schedule when given."""
        await asyncio.to_thread(self.repo.ensure_channel, channel, self.now())
        for url in feeds:
            await self.service.add_feed(channel, url, reenable=False)
        if schedule is not None:
            await self.service.set_schedule(channel, schedule, timezone)

    # -------------------------------------------------------------- scheduling

    def start(self) -> None:
        """Start polling and the briefing jobs on the running loop, and deliver once the
        slots missed while the bot was down."""
        schedules = [
            (row.ref, row.schedule, row.timezone) for row in self.repo.channels() if row.schedule
        ]
        self.scheduler.start(schedules)
        for ref, _cron, _tz in schedules:
            self._spawn(self._scheduled_briefing(ref))

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule_changed(self, channel: ChannelRef, cron: str | None, timezone: str) -> None:
        if self.scheduler.running:
            self.scheduler.schedule(channel, cron, timezone)

    async def _scheduled_poll(self) -> None:
        try:
            await self.ingest_once()
        except Exception:
            log.exception("scheduled feed polling failed")

    async def _scheduled_briefing(self, channel: ChannelRef) -> None:
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            log.warning("no publisher for %s; briefing of %s skipped", channel.platform, channel)
            return
        try:
            await self.service.deliver_due(channel, publisher)
        except NewsbriefError as exc:
            log.warning("briefing for %s not delivered: %s", channel, exc)
        except Exception:
            log.exception("briefing for %s failed", channel)

    async def aclose(self) -> None:
        self.scheduler.shutdown()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
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
    engine, sessions = await asyncio.to_thread(open_database, settings.sqlalchemy_url)
    repo = Repository(sessions)
    service = StoreService(
        Store(repo), now=clock, allow_private_networks=settings.allow_private_networks
    )
    if extractor is None:
        processes = settings.nlp_processes if nlp_processes is None else nlp_processes
        if processes < 0:
            raise UserInputError("nlp_processes cannot be negative")
        extractor = ProcessPoolExtractor(processes) if processes > 0 else InlineExtractor()
    return Runtime(
        settings=settings,
        engine=engine,
        repo=repo,
        service=service,
        extractor=extractor,
        publishers=publishers,
        now=clock,
        transport=transport,
        fetch_timeout=settings.fetch_timeout_seconds if fetch_timeout is None else fetch_timeout,
        feed_max_bytes=settings.feed_max_bytes if feed_max_bytes is None else feed_max_bytes,
    )
