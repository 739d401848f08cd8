"""The service's door to the store: the repository's calls on the store's own threads, so
the event loop never waits on the database and no session outlives one call; a delivery
is three such calls (claim, read, record) around the post, which runs outside them all."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, TypeVar

from bot.ports import ChannelRef
from bot.store.holders import holder_name, is_gone
from bot.store.lookup import ActorLookup, CachedLookup, Match
from bot.store.records import (
    AliasEntry,
    ChannelRecord,
    DeliveryRecord,
    FeedRecord,
    StanceCounts,
    StoredStatement,
    UnfinishedDelivery,
)
from bot.store.repository import Repository

log = logging.getLogger(__name__)

STORE_THREADS = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's own default

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Posted:
    """What became of a claimed slot, as the delivery row records it."""

    stories: int
    status: str  # "delivered", "empty", or "failed" (``error`` says why)
    error: str | None = None


class Store:
    """Async calls over a ``Repository``, each returning plain dataclasses."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._calls = ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="store")
        self._start_threads()
        self.holder = holder_name()  # names this process in the slots it claims
        self.names = CachedLookup(lambda: ActorLookup(repo.actors(), repo.aliases()))

    def _start_threads(self) -> None:
        """Start every thread of the store now. A ThreadPoolExecutor starts one when a call
        finds none idle, and whoever made the call waits until the new thread runs: on the
        bot's loop, in a busy process, that was a stall (176 ms seen under load)."""
        go = threading.Event()
        started = [self._calls.submit(go.wait) for _ in range(STORE_THREADS)]
        go.set()
        for call in started:
            call.result()

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._calls, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Wait for the calls under way and release the threads."""
        self._calls.shutdown(wait=True)

    # ------------------------------------------------------------ actors, /stance

    async def find_actor(self, name: str) -> tuple[Match | None, tuple[str, ...]]:
        """The actor ``name`` names, or None with names to suggest; on the store's threads
        (the fuzzy matching is CPU work), from the cached index (``CachedLookup``)."""
        return await self._run(self.names.find, name)

    async def actor_names(self, prefix: str, limit: int) -> list[str]:
        """Names for autocomplete, on the store's threads."""
        return await self._run(self.names.names, prefix, limit)

    def forget_actors(self) -> None:
        """The names changed (ingestion stored some): the index is rebuilt on next use."""
        self.names.forget()

    async def full_names(self, names: Sequence[str]) -> list[AliasEntry]:
        """Learned aliases among ``names`` with the fuller name each stood for."""
        return await self._run(self.repo.full_names, names)

    async def stance_statements(
        self,
        actor_id: str,
        *,
        since: datetime | None,
        topic: str | None,
        limit: int,
        speakers: Sequence[str] = (),
        party: str | None = None,
    ) -> tuple[list[StoredStatement], StanceCounts]:
        return await self._run(
            self.repo.stance_statements,
            actor_id,
            since=since,
            topic=topic,
            limit=limit,
            speakers=speakers,
            party=party,
        )

    # --------------------------------------------------------------------- feeds

    async def add_feed(self, url: str, now: datetime, title: str, *, reenable: bool) -> FeedRecord:
        return await self._run(self.repo.add_feed, url, now, title, reenable=reenable)

    async def remove_feed(self, url: str) -> bool:
        return await self._run(self.repo.remove_feed, url)

    async def feeds(self) -> list[FeedRecord]:
        return await self._run(self.repo.feeds)

    # ------------------------------------------------------------------ channels

    async def channel(self, ref: ChannelRef) -> ChannelRecord | None:
        return await self._run(self.repo.channel, ref)

    async def channels(self) -> list[ChannelRecord]:
        """Every channel's settings (the scheduler's jobs at start)."""
        return await self._run(self.repo.channels)

    async def ensure_channel(self, ref: ChannelRef, now: datetime) -> None:
        await self._run(self.repo.ensure_channel, ref, now)

    async def set_schedule(
        self,
        ref: ChannelRef,
        cron: str | None,
        timezone: str,
        now: datetime,
        set_by: str | None = None,
    ) -> None:
        await self._run(self.repo.set_schedule, ref, cron, timezone, now, set_by)

    async def set_topics(self, ref: ChannelRef, topics: Sequence[str], now: datetime) -> None:
        await self._run(self.repo.set_topics, ref, topics, now)

    async def set_length(
        self, ref: ChannelRef, stories: int | None, bullets: int | None, now: datetime
    ) -> None:
        await self._run(self.repo.set_length, ref, stories, bullets, now)

    async def subscribe_feed(
        self, ref: ChannelRef, url: str, now: datetime, title: str, *, reenable: bool
    ) -> FeedRecord:
        return await self._run(self.repo.subscribe_feed, ref, url, now, title, reenable=reenable)

    async def unsubscribe_feed(self, ref: ChannelRef, url: str) -> bool:
        return await self._run(self.repo.unsubscribe_feed, ref, url)

    async def channel_feeds(self, ref: ChannelRef) -> list[FeedRecord]:
        return await self._run(self.repo.channel_feeds, ref)

    async def last_delivery(self, ref: ChannelRef) -> DeliveryRecord | None:
        return await self._run(self.repo.last_delivery, ref)

    async def latest_slot(self, ref: ChannelRef) -> datetime | None:
        return await self._run(self.repo.latest_slot, ref)

    # ------------------------------------------------------------------ briefings

    async def new_statements(self, ref: ChannelRef) -> list[StoredStatement]:
        """What the channel has not had yet (nothing is recorded)."""

        def read() -> list[StoredStatement]:
            with self.repo.sessions() as session:
                return self.repo.new_statements(session, ref)[0]

        return await self._run(read)

    async def deliver(
        self,
        ref: ChannelRef,
        slot: datetime,
        now: datetime,
        post: Callable[[list[StoredStatement], int], Awaitable[Posted]],
    ) -> bool:
        """Claim ``slot`` for the channel, hand ``post`` what the channel has not had (and
        the high-water mark it reaches, for ``start_sending``), and
        record what it reports: three steps, each its own short transaction, and none open
        while ``post`` runs (a slow platform keeps no write lock from ingestion or
        commands). The committed claim makes a second claimer (another process) back off.
        False, without calling ``post``, when the slot was taken; an error in ``post``
        frees the slot again, and so does the death of the process that claimed it."""
        repo = self.repo
        await self._run(self._release_dead_claims)
        if not await self._run(repo.claim_slot, ref, slot, now, holder=self.holder):
            log.info("slot %s of %s was delivered already", slot.isoformat(), ref)
            return False
        try:

            def read() -> tuple[list[StoredStatement], int]:
                with repo.sessions() as session:
                    return repo.new_statements(session, ref)

            stored, high = await self._run(read)
            posted = await post(stored, high)
        except BaseException:
            await asyncio.shield(self._run(repo.release_slot, ref, slot, self.holder))
            raise
        await asyncio.shield(
            self._run(
                repo.finish_delivery,
                ref,
                slot,
                last_article_id=high,
                stories=posted.stories,
                status=posted.status,
                now=now,
                error=posted.error,
            )
        )
        return True

    # ---------------------------------------------- a delivery's progress, failures

    async def start_sending(
        self,
        ref: ChannelRef,
        slot: datetime,
        *,
        briefing: str,
        messages: int,
        last_article_id: int,
        stories: int,
    ) -> None:
        await self._run(
            self.repo.start_sending,
            ref,
            slot,
            briefing=briefing,
            messages=messages,
            last_article_id=last_article_id,
            stories=stories,
        )

    async def record_sent(self, ref: ChannelRef, slot: datetime, sent: int) -> None:
        await self._run(self.repo.record_sent, ref, slot, sent)

    async def claim_unfinished(self, ref: ChannelRef, now: datetime) -> UnfinishedDelivery | None:
        """The channel's oldest unfinished delivery, claimed for this process (one whose
        poster on this machine is gone is free at once)."""
        repo = self.repo

        def claim() -> UnfinishedDelivery | None:
            holders = repo.unfinished_claim_holders(ref)
            if not holders:
                return None
            gone = [h for h in holders.values() if h and h != self.holder and is_gone(h)]
            return repo.claim_unfinished(ref, now, holder=self.holder, gone=gone)

        return await self._run(claim)

    async def finish_resumed(
        self, ref: ChannelRef, slot: datetime, *, error: str | None, now: datetime
    ) -> None:
        await self._run(self.repo.finish_resumed, ref, slot, error=error, now=now)

    async def release_sending(self, ref: ChannelRef, slot: datetime) -> None:
        await self._run(self.repo.release_sending, ref, slot, self.holder)

    async def record_outcome(
        self, ref: ChannelRef, error: str | None, *, pause_after: int
    ) -> ChannelRecord | None:
        return await self._run(self.repo.record_outcome, ref, error, pause_after=pause_after)

    async def last_failure(self, ref: ChannelRef) -> DeliveryRecord | None:
        return await self._run(self.repo.last_failure, ref)

    def _release_dead_claims(self) -> None:
        """Free the slots claimed by processes of this machine that are gone (killed while
        posting: nothing recorded a result), so they are delivered now, not when the claim
        ends."""
        for holder in self.repo.delivery_claim_holders():
            if is_gone(holder):
                log.info("slots claimed by %s (gone) are free again", holder)
                self.repo.release_delivery_claims(holder)
