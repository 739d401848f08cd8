"""The ingestion pipeline: due feeds → poll → full text → engine → store.

One class, its inputs passed in (the store, the engine, the HTTP client factory, the clock),
used by ``newsbrief ingest --once`` and by the running bot alike. Whatever one feed or one
item raises is recorded as that feed's error, one line, and the others go on; every value
is made fit for its column before the store sees it (see bot.fit).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.errors import NewsbriefError
from bot.fit import (
    ERROR_MAX,
    ETAG_MAX,
    FEED_TITLE_MAX,
    LAST_MODIFIED_MAX,
    OUTLET_MAX,
    TITLE_MAX,
    clean_text,
    fit_guid,
    fit_link,
    fit_validator,
    one_line,
    one_line_reason,
)
from bot.ingest.backoff import MAX_FAILURES, next_attempt_delay
from bot.ingest.files import read_article_file
from bot.ingest.models import FeedState, FetchedItem, PollResult
from bot.store import NewArticle, canonical_url, content_hash, normalise_name
from bot.store.holders import holder_name, is_gone
from bot.store.records import PendingItem
from briefings.models import Actor, Article, Statement

if TYPE_CHECKING:
    import httpx

    from bot.extraction import Extractor

log = logging.getLogger(__name__)

BATCH = 16
"""Articles parsed per engine call: big enough to keep the workers busy, small enough that a
crash loses little work and progress moves."""
FEED_LEASE = timedelta(minutes=10)
"""How long a process holds the feeds it polls; a crashed process's feeds are taken over
by another after this."""
CLAIM_POLL_SECONDS = 0.5
"""How often a run waiting for an article another process parses looks whether it is stored."""
ITEM_ATTEMPTS = 5
"""How many polls try to read the page of an item that has no text before giving up."""


class FeedRow(Protocol):
    """What the pipeline reads of a stored feed."""

    @property
    def id(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...
    @property
    def failures(self) -> int: ...
    @property
    def disabled(self) -> bool: ...


class IngestStore(Protocol):
    """The store as the pipeline uses it: plain synchronous calls, run in a worker thread."""

    def lease_due_feeds(
        self, now: datetime, *, holder: str, lease: timedelta, polled_within: timedelta = ...
    ) -> Sequence[FeedRow]: ...

    def release_feeds(self, urls: Sequence[str], holder: str) -> None: ...

    def lease_holders(self, now: datetime) -> set[str]: ...

    def release_holder(self, holder: str) -> None: ...

    def record_poll(
        self,
        url: str,
        *,
        now: datetime,
        ok: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str = "",
        error: str | None = None,
        next_attempt: datetime | None = None,
        disable: bool = False,
        polled_at: datetime | None = None,
    ) -> None: ...

    def known_items(
        self,
        feed_id: int | None,
        items: Sequence[tuple[str, str]],
        now: datetime,
        *,
        give_up: int,
    ) -> set[str]: ...

    def link_duplicate(
        self, feed_id: int | None, guid: str | None, url: str, body: str, now: datetime
    ) -> bool: ...

    def note_pending(
        self,
        feed_id: int,
        items: Sequence[tuple[str, str, str, str, datetime | None, str]],
        now: datetime,
    ) -> None: ...

    def pending_items(self, feed_id: int, *, give_up: int) -> Sequence[PendingItem]: ...

    def claim_articles(
        self,
        items: Sequence[tuple[str | None, str, str]],
        now: datetime,
        *,
        holder: str,
        lease: timedelta,
    ) -> list[bool]: ...

    def release_articles(
        self, items: Sequence[tuple[str | None, str, str]], holder: str
    ) -> None: ...

    def engine_aliases(self) -> dict[str, Actor]: ...

    def store_article(
        self, article: NewArticle, statements: Sequence[Statement], now: datetime
    ) -> tuple[int, int] | None: ...


ClientFactory = Callable[[], AbstractAsyncContextManager["httpx.AsyncClient"]]


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
    items_failed: int = 0

    def __str__(self) -> str:
        line = (
            f"feeds polled: {self.feeds_polled}, not modified: {self.not_modified}, "
            f"failed: {self.failed}, articles new: {self.articles_new}, "
            f"statements new: {self.statements_new}"
        )
        if self.items_failed:
            line += f", items not stored: {self.items_failed}"
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


def fit_item(item: FetchedItem) -> FetchedItem:
    """The item with every value fit for its column and no control characters in its text."""
    return replace(
        item,
        guid=fit_guid(item.guid),
        url=fit_link(item.url),
        title=one_line(item.title, TITLE_MAX),
        outlet=one_line(item.outlet, OUTLET_MAX),
        text=clean_text(item.text),
    )


def oldest_first(items: Sequence[FetchedItem]) -> list[FetchedItem]:
    """Dated items oldest first, then the undated; items of one date keep their order."""
    dated = [item for item in items if item.published is not None]
    dated.sort(key=lambda item: item.published)  # type: ignore[arg-type,return-value]
    return dated + [item for item in items if item.published is None]


class IngestPipeline:
    """Polls the due feeds and stores what is new; see the module docstring.

    ``client`` opens the HTTP client for one run; ``after_run`` is called when a run has
    stored something (the service forgets the actors it cached)."""

    def __init__(
        self,
        store: IngestStore,
        extractor: Extractor,
        *,
        client: ClientFactory,
        clock: Callable[[], datetime],
        feed_max_bytes: int = 10_000_000,
        feed_timeout: float | None = None,
        item_attempts: int = ITEM_ATTEMPTS,
        feed_lease: timedelta = FEED_LEASE,
        nlp_max_chars: int = 50_000,
        after_run: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.extractor = extractor
        self.client = client
        self.clock = clock
        self.feed_max_bytes = feed_max_bytes
        self.feed_timeout = feed_timeout  # a feed's whole poll, its pages included
        self.item_attempts = item_attempts
        self.feed_lease = feed_lease
        self.nlp_max_chars = nlp_max_chars  # the engine reads this much of an article
        # Names this pipeline in the feeds it leases (one process may run several).
        self.holder = holder_name()
        self.after_run = after_run
        self._lock = asyncio.Lock()
        self._feed_ids: dict[str, int] = {}
        self._recorded: set[str] = set()  # feeds of this run whose poll is recorded
        self._started = clock()  # when the current run leased its feeds

    async def run(
        self,
        files: Sequence[Path] = (),
        progress: Callable[[int, int], None] | None = None,
        *,
        polled_within: timedelta = timedelta(0),
    ) -> IngestSummary:
        """Poll every due feed once and ingest ``files``; one bad feed or file never stops
        the rest. A feed's new validators are saved only after its articles are stored, so
        a crash midway loses nothing (the next run fetches them again).

        The feeds are leased first, so other processes on the same database leave them
        alone; ``polled_within`` skips feeds any process polled that recently (the
        scheduled polls of several processes fetch each feed once an interval)."""
        async with self._lock:
            summary = IngestSummary()
            now = self.clock()
            self._started = now
            await asyncio.to_thread(self._release_the_dead, now)
            feeds = await asyncio.to_thread(
                lambda: self.store.lease_due_feeds(
                    now, holder=self.holder, lease=self.feed_lease, polled_within=polled_within
                )
            )
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
                await self._ingest_file(path, summary)
                step()
            if feeds:
                try:
                    await self._poll_feeds(feeds, summary, step)
                finally:
                    # Feeds left unpolled (the run was cancelled) are free again at once.
                    left = [feed.url for feed in feeds if feed.url not in self._recorded]
                    if left:
                        await asyncio.to_thread(self.store.release_feeds, left, self.holder)
            self._finished()
            log.info("ingestion: %s", summary)
            return summary

    async def ingest_items(self, items: Sequence[FetchedItem]) -> IngestSummary:
        """Ingest articles fetched elsewhere (the demo: no network)."""
        async with self._lock:
            summary = IngestSummary()
            await self._store_items(items, None, summary)
            self._finished()
            return summary

    def _release_the_dead(self, now: datetime) -> None:
        """Free at once the feeds leased by processes of this machine that are gone (killed:
        nothing released them); those of other machines wait for their lease to expire."""
        for holder in self.store.lease_holders(now):
            if is_gone(holder):
                log.info("feeds leased by %s (gone) are free again", holder)
                self.store.release_holder(holder)

    def _finished(self) -> None:
        if self.after_run is not None:
            self.after_run()

    async def _ingest_file(self, path: Path, summary: IngestSummary) -> None:
        try:
            item = await asyncio.to_thread(read_article_file, path)
        except NewsbriefError as exc:
            log.warning("skipped %s: %s", path, exc)
            summary.files_failed += 1
            return
        summary.files += 1
        problems = await self._store_items([item], None, summary)
        for problem in problems:
            log.warning("file %s not stored: %s", path, problem)

    # ------------------------------------------------------------------- feeds

    async def _poll_feeds(
        self, feeds: Sequence[FeedRow], summary: IngestSummary, step: Callable[[], None]
    ) -> None:
        by_url = {feed.url: feed for feed in feeds}
        self._feed_ids = {feed.url: feed.id for feed in feeds}
        self._recorded = set()
        retry = await asyncio.to_thread(self._retry_items, [feed.id for feed in feeds])
        states = [
            FeedState(
                url=feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                failures=feed.failures,
                disabled=feed.disabled,
                retry=retry.get(feed.id, []),
            )
            for feed in feeds
        ]
        from bot.ingest.feeds import FeedPoller  # httpx and feedparser: only when polling

        async with self.client() as client:
            poller = FeedPoller(
                client,
                max_bytes=self.feed_max_bytes,
                total_timeout=self.feed_timeout,
                clock=self.clock,
                known_items=self._known_items,
            )
            async for result in poller.poll_many(states):
                summary.feeds_polled += 1
                feed = by_url[result.url]
                try:
                    await self._handle_poll(result, feed, summary)
                except Exception as exc:  # whatever it is, it is this feed's alone
                    log.warning("feed %s: %s", feed.url, exc, exc_info=True)
                    await self._record_failure(feed, one_line_reason(exc), None, summary)
                step()

    def _retry_items(self, feed_ids: Sequence[int]) -> dict[int, list[FetchedItem]]:
        """Each feed's items that had no text, to be tried again (in a worker thread)."""
        out: dict[int, list[FetchedItem]] = {}
        for feed_id in feed_ids:
            rows = self.store.pending_items(feed_id, give_up=self.item_attempts)
            if rows:
                out[feed_id] = [
                    FetchedItem(row.guid, row.url, row.title, row.published, row.outlet, "")
                    for row in rows
                ]
        return out

    async def _known_items(self, feed: FeedState, items: Sequence[FetchedItem]) -> set[str]:
        """The GUIDs of the feed's items that need no more work: one thread hop for the whole
        feed (items reached through another feed are linked to this one on the way)."""
        feed_id = self._feed_ids[feed.url]
        pairs = [(item.guid, item.url) for item in items]
        now = self.clock()
        return await asyncio.to_thread(
            lambda: self.store.known_items(feed_id, pairs, now, give_up=self.item_attempts)
        )

    async def _record_failure(
        self,
        feed: FeedRow,
        reason: str,
        retry_after: float | None,
        summary: IngestSummary,
    ) -> None:
        summary.failed += 1
        now = self.clock()
        failures = feed.failures + 1
        disable = failures >= MAX_FAILURES
        try:
            await asyncio.to_thread(
                lambda: self.store.record_poll(
                    feed.url,
                    now=now,
                    ok=False,
                    error=one_line(reason, ERROR_MAX),
                    next_attempt=now + next_attempt_delay(failures, retry_after),
                    disable=disable,
                    polled_at=self._started,
                )
            )
        except Exception:
            log.exception("could not record the failure of feed %s", feed.url)
            return
        self._recorded.add(feed.url)
        if disable:
            log.warning("feed %s disabled after %d failures: %s", feed.url, failures, reason)

    async def _handle_poll(self, result: PollResult, feed: FeedRow, summary: IngestSummary) -> None:
        if result.status == "failed":
            await self._record_failure(
                feed, result.error or "unknown error", result.retry_after, summary
            )
            return
        if result.status == "not_modified":
            summary.not_modified += 1
        # Read newest first, stored oldest first: names learned from an article help the
        # later ones, and article ids follow time as briefings expect.
        problems = await self._store_items(oldest_first(result.items), feed.id, summary)
        if result.pending:
            await self._note_pending(feed, result.pending)
        etag = fit_validator(result.etag, ETAG_MAX)
        last_modified = fit_validator(result.last_modified, LAST_MODIFIED_MAX)
        if problems:
            # Keep the old validators: the next poll reads the feed again and retries the
            # items not stored (those stored are recognised and skipped).
            etag, last_modified = feed.etag, feed.last_modified
            log.warning("feed %s: %d items not stored: %s", feed.url, len(problems), problems[0])
        error = f"{len(problems)} items not stored; first: {problems[0]}" if problems else None
        now = self.clock()
        await asyncio.to_thread(
            lambda: self.store.record_poll(
                feed.url,
                now=now,
                ok=True,
                etag=etag,
                last_modified=last_modified,
                title=one_line(result.feed_title, FEED_TITLE_MAX),
                error=one_line(error, ERROR_MAX) if error else None,
                # The poll counts from when it began: a run that takes a while still
                # leaves the feed due at the next interval's tick.
                polled_at=self._started,
            )
        )
        self._recorded.add(feed.url)

    async def _note_pending(self, feed: FeedRow, pending: Sequence[FetchedItem]) -> None:
        """Count an attempt at each item still without text; the next polls try again."""
        rows = [
            (
                item.guid,
                item.url,
                item.title,
                item.outlet,
                item.published,
                one_line(item.error or "no text", ERROR_MAX),
            )
            for item in pending
        ]
        now = self.clock()
        await asyncio.to_thread(lambda: self.store.note_pending(feed.id, rows, now))
        log.info("feed %s: %d items without text yet, tried again later", feed.url, len(rows))

    # ------------------------------------------------------------------- items

    async def _store_items(
        self, items: Sequence[FetchedItem], feed_id: int | None, summary: IngestSummary
    ) -> list[str]:
        """Store the new ones of ``items``; returns why each item that could not be stored
        was not (one line each).

        Each batch is claimed before the engine reads it; an item another process is
        parsing (reached through another feed) waits until that process has stored it,
        and is then linked to this feed, or is parsed here if that process gave up or
        died. A wait longer than the lease leaves the item for the next poll."""
        problems: list[str] = []
        fresh = await asyncio.to_thread(self._fresh, [fit_item(item) for item in items], feed_id)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.feed_lease.total_seconds()
        waiting = fresh
        first = True
        while waiting:
            if not first:
                if loop.time() > give_up_at:
                    summary.items_failed += len(waiting)
                    problems += [
                        f"{item.url or item.guid}: still parsed by another process"
                        for item in waiting
                    ]
                    break
                await asyncio.sleep(CLAIM_POLL_SECONDS)
                await asyncio.to_thread(self._release_the_dead, self.clock())
                waiting = await asyncio.to_thread(self._not_stored_yet, waiting, feed_id)
            others: list[FetchedItem] = []
            for start in range(0, len(waiting), BATCH):
                chunk = waiting[start : start + BATCH]
                now = self.clock()
                keys = [(item.guid or None, item.url, item.text) for item in chunk]
                mine = await asyncio.to_thread(
                    self.store.claim_articles, keys, now, holder=self.holder, lease=self.feed_lease
                )
                batch = [item for item, ok in zip(chunk, mine, strict=True) if ok]
                others += [item for item, ok in zip(chunk, mine, strict=True) if not ok]
                if not batch:
                    continue
                try:
                    await self._extract_and_store(batch, feed_id, summary, problems)
                finally:
                    claimed = [(item.guid or None, item.url, item.text) for item in batch]
                    await asyncio.shield(
                        asyncio.to_thread(self.store.release_articles, claimed, self.holder)
                    )
            if others:
                log.info("%d articles are being parsed by another process; waiting", len(others))
            waiting = others
            first = False
        return problems

    def _not_stored_yet(
        self, items: Sequence[FetchedItem], feed_id: int | None
    ) -> list[FetchedItem]:
        """Those of ``items`` that nobody has stored yet; the others are linked to this feed
        (in a worker thread: it asks the store)."""
        return [
            item
            for item in items
            if not self.store.link_duplicate(feed_id, item.guid, item.url, item.text, self.clock())
        ]

    async def _extract_and_store(
        self,
        batch: Sequence[FetchedItem],
        feed_id: int | None,
        summary: IngestSummary,
        problems: list[str],
    ) -> None:
        """Run the engine on ``batch`` (claimed) and store each article with its statements."""
        aliases = await asyncio.to_thread(self.store.engine_aliases)
        # The engine reads the start of a long article only (its memory grows with the
        # text; spans stay valid, being offsets into the same text); all of it is stored.
        articles = [
            Article(
                text=item.text[: self.nlp_max_chars],
                title=item.title,
                url=item.url,
                published=item.published,
                outlet=item.outlet,
            )
            for item in batch
        ]
        try:
            outcomes = await self.extractor.extract(articles, aliases)
        except Exception as exc:  # the engine as a whole failed: retried next poll
            log.exception("the engine failed on a batch of %d", len(batch))
            reason = one_line_reason(exc)
            summary.items_failed += len(batch)
            problems += [f"{item.url or item.guid}: {reason}" for item in batch]
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, list):
                statements = apply_aliases(outcome, aliases)
            else:  # an ExtractionFailure: the article is kept without statements
                log.warning("%s stored without statements: %s", item.url, outcome.reason)
                statements = []
            try:
                stored = await asyncio.to_thread(
                    self.store.store_article,
                    NewArticle(
                        guid=item.guid or None,
                        url=item.url,
                        title=item.title,
                        outlet=item.outlet,
                        published=item.published,
                        text=item.text,
                        feed_id=feed_id,
                        published_replaced=item.published_replaced,
                    ),
                    statements,
                    self.clock(),
                )
            except Exception as exc:
                log.warning("item %s not stored", item.url or item.guid, exc_info=True)
                summary.items_failed += 1
                problems.append(f"{item.url or item.guid}: {one_line_reason(exc)}")
                continue
            if stored is not None:
                summary.articles_new += 1
                summary.statements_new += stored[1]
                # What this article taught helps the next ones of the batch too.
                aliases = await asyncio.to_thread(self.store.engine_aliases)

    def _fresh(self, items: Sequence[FetchedItem], feed_id: int | None) -> list[FetchedItem]:
        """The items with text that are neither stored nor repeated in ``items`` (in a
        worker thread: it asks the store). One stored already, reached through another
        feed, is linked to this one instead."""
        fresh: list[FetchedItem] = []
        seen: set[str] = set()
        for item in items:
            if not item.text.strip():
                continue
            keys = {content_hash(item.text, canonical_url(item.url) or item.guid)}
            if item.guid:
                keys.add("guid:" + item.guid)
            canonical = canonical_url(item.url)
            if canonical:
                keys.add("url:" + canonical)
            if keys & seen:
                continue
            seen |= keys
            if self.store.link_duplicate(feed_id, item.guid, item.url, item.text, self.clock()):
                continue
            fresh.append(item)
        return fresh
