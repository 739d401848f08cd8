"""Use cases of the bot over plain data, knowing no platform. Adapters and the CLI call
these; the store (``bot.store.Store``) does the database work on its own threads.

CONTRACT (shared by the storage/ingestion work and the adapters): the dataclasses and the
method signatures of the ``Service`` protocol below. Implementations may add methods and
keyword arguments with defaults, but not change what is here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.errors import (
    DeliveryStopped,
    NotFoundError,
    PublishError,
    UnknownActorError,
    UserInputError,
)
from bot.fit import FEED_TITLE_MAX, one_line
from bot.ports import (
    ChannelRef,
    DirectPublisher,
    Publisher,
    message_key,
    messages_of,
    send_message,
)
from bot.schedules import latest_slot, next_slot, read_schedule
from bot.store.lookup import Match, gazetteer
from bot.store.records import ChannelRecord, FeedRecord, StoredStatement
from bot.store.store import Posted, Store
from briefings.brief import (
    DEFAULT_BULLETS,
    DEFAULT_STORIES,
    MAX_BULLETS,
    MAX_STORIES,
    Budget,
    article_issue,
)
from briefings.models import Actor, Briefing, Kind, Stance, Statement
from briefings.names import KnownName, SpeakerNames, short_names
from briefings.stories import Report, cluster_reports

log = logging.getLogger(__name__)

REASON_CHARS = 200  # of a failure's reason, in a notice or a status line
PAUSE_AFTER = 3  # deliveries failed in a row before a channel's schedule pauses


@dataclass(frozen=True, slots=True)
class StanceStatement:
    """One stored statement as /stance shows it."""

    text: str  # verbatim quoted or reported words
    speaker_name: str
    role: str | None
    actor: Actor | None
    kind: Kind
    stance: Stance
    published: datetime | None
    outlet: str
    url: str
    title: str = ""
    issue: str = ""  # what the side is on ("troops in Ukraine"), from the article


@dataclass(frozen=True, slots=True)
class StanceStory:
    """An actor's statements in one story, as /stance shows it: the newest date, the
    issue, the actor's side, the best quote, and how many statements stand behind it."""

    published: datetime | None
    issue: str
    side: Stance
    best: StanceStatement
    statements: int = 1
    members: tuple[StanceStatement, ...] = ()  # every statement of the story, best first


@dataclass(frozen=True, slots=True)
class StanceSummary:
    statements: int
    first: datetime | None
    last: datetime | None
    stances: dict[str, int] = field(default_factory=dict)  # Stance value -> count


@dataclass(frozen=True, slots=True)
class StanceResult:
    actor: Actor
    summary: StanceSummary
    statements: tuple[StanceStatement, ...]
    matched_as: str = ""  # how the query matched: "country", "person: Olaf Scholz", "alias"
    # the statements above grouped by story, newest story first
    stories: tuple[StanceStory, ...] = ()

    @property
    def older(self) -> int:
        """Statements of the actor beyond those shown."""
        return max(0, self.summary.statements - len(self.statements))


@dataclass(frozen=True, slots=True)
class FeedStatus:
    url: str
    title: str
    last_polled: datetime | None
    last_error: str | None
    failures: int
    disabled: bool


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    channel: ChannelRef
    feeds: tuple[FeedStatus, ...]
    topics: tuple[str, ...]
    schedule: str | None  # cron expression
    timezone: str
    next_delivery: datetime | None
    last_delivery: datetime | None
    # the latest delivery that did not post all its briefing: when, and why (bounded)
    last_failure: datetime | None = None
    failure_reason: str | None = None
    delivery_failures: int = 0  # in a row
    paused_reason: str | None = None  # the schedule paused after too many failures


class Service(Protocol):
    """The application's use cases as the command layer and the adapters see them;
    ``StoreService`` is the one implementation (tests give it a store of their own)."""

    async def stance(
        self,
        name: str,
        topic: str | None = None,
        since: timedelta | None = None,
        limit: int = 20,
    ) -> StanceResult:
        """Statements of the actor matching ``name``, newest first.

        Raises ``UnknownActorError`` (with suggestions) when nothing matches."""
        ...

    async def actor_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Actor names for autocomplete, best matches of ``prefix`` first."""
        ...

    async def briefing_now(self, channel: ChannelRef) -> Briefing:
        """Build (without recording a delivery) the channel's briefing of what is new."""
        ...

    async def set_schedule(
        self, channel: ChannelRef, schedule: str, timezone: str, *, set_by: str = ""
    ) -> str:
        """Set the briefing schedule: a cron expression or "daily 08:00"; returns the cron.
        ``set_by`` is the manager's platform id (told of failed deliveries).

        Raises ``UserInputError`` on a malformed schedule or unknown time zone."""
        ...

    async def add_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]: ...

    async def remove_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]: ...

    async def list_topics(self, channel: ChannelRef) -> tuple[str, ...]: ...

    async def add_feed(self, channel: ChannelRef, url: str) -> FeedStatus:
        """Subscribe the channel to a feed. Raises ``UnsafeURLError`` for non-public URLs."""
        ...

    async def remove_feed(self, channel: ChannelRef, url: str) -> None:
        """Raises ``NotFoundError`` when the channel has no such feed."""
        ...

    async def list_feeds(self, channel: ChannelRef) -> tuple[FeedStatus, ...]: ...

    async def status(self, channel: ChannelRef) -> ChannelStatus: ...

    async def get_length(self, channel: ChannelRef) -> Budget:
        """The channel's briefing length (``/briefing length``)."""
        ...

    async def set_length(
        self, channel: ChannelRef, stories: int | None, bullets: int | None = None
    ) -> Budget:
        """Set it; None keeps a part as it is. Raises ``UserInputError`` out of range."""
        ...


# --------------------------------------------------------------------------------------------
# The implementation over the store. Everything below may grow; the contract above may not.


def check_length(stories: int, bullets: int) -> None:
    """Raises ``UserInputError`` unless the briefing length is within the limits."""
    if not 1 <= stories <= MAX_STORIES:
        raise UserInputError(f"stories must be from 1 to {MAX_STORIES}, not {stories}")
    if not 1 <= bullets <= MAX_BULLETS:
        raise UserInputError(f"bullets must be from 1 to {MAX_BULLETS}, not {bullets}")


_KIND_WEIGHT = {Kind.DIRECT: 3, Kind.MIXED: 2, Kind.INDIRECT: 1}


def stance_stories(statements: Sequence[StanceStatement]) -> tuple[StanceStory, ...]:
    """An actor's statements grouped into stories (the briefings' clustering), newest
    story first; each story's side is the actor's overall side in it, and its quote the
    one that best carries that side (a verbatim quote first, then the longest)."""
    from briefings.stance import aggregate

    reports = [
        Report(n, st.title, st.text, st.url, st.outlet, st.published)
        for n, st in enumerate(statements)
    ]
    stories: list[StanceStory] = []
    for story in cluster_reports(reports):
        group = [statements[int(report.key)] for report in story.reports]
        side = aggregate(st.stance for st in group)
        siding = [st for st in group if st.stance is side] or group
        best = max(siding, key=lambda st: (_KIND_WEIGHT[st.kind], len(st.text)))
        newest = max(group, key=lambda st: st.published or datetime.min.replace(tzinfo=UTC))
        members = (best, *(st for st in group if st is not best))
        stories.append(
            StanceStory(
                newest.published, best.issue or newest.issue, side, best, len(group), members
            )
        )
    stories.sort(key=lambda s: s.published or datetime.min.replace(tzinfo=UTC), reverse=True)
    return tuple(stories)


def feed_status(feed: FeedRecord) -> FeedStatus:
    return FeedStatus(
        url=feed.url,
        title=feed.title or "",
        last_polled=feed.last_polled,
        last_error=feed.last_error,
        failures=feed.failures,
        disabled=feed.disabled,
    )


def feed_notices(feeds: Sequence[FeedStatus]) -> tuple[str, ...]:
    """One line for each of a channel's feeds that stopped being polled, with the reason
    (its first ``REASON_CHARS``: a feed server's reason phrase can be any length)."""
    return tuple(
        f"Feed {feed.url} is no longer polled after {feed.failures} failures"
        + (f" ({one_line(feed.last_error, REASON_CHARS)})" if feed.last_error else "")
        + f". A manager can re-enable it with /briefing feeds add {feed.url}"
        for feed in feeds
        if feed.disabled
    )


def failure_notice(reason: str) -> str:
    """What a channel (or the manager who set its schedule) is told when a briefing fails,
    the first time in a row."""
    return (
        f"A scheduled briefing could not be posted ({one_line(reason, REASON_CHARS)})."
        " It is tried again at the next slot; /briefing status shows the last failure."
    )


def pause_notice(failures: int, reason: str) -> str:
    """What a channel is told when its briefings pause."""
    return (
        f"Scheduled briefings are paused after {failures} failed deliveries in a row"
        f" ({one_line(reason, REASON_CHARS)}). A manager can resume them with /briefing schedule."
    )


def reports_of(stored: Sequence[StoredStatement]) -> list[Report]:
    """Stored statements gathered into one report per article, in the order given."""
    by_article: dict[int, list[StoredStatement]] = {}
    for item in stored:
        by_article.setdefault(item.article_id, []).append(item)
    return [
        Report(
            key=article_id,
            title=items[0].title,
            lead=items[0].lead,
            url=items[0].url,
            outlet=items[0].outlet,
            published=items[0].published,
            statements=tuple(item.statement for item in items),
        )
        for article_id, items in by_article.items()
    ]


def build_briefing(
    stored: Sequence[StoredStatement],
    title: str,
    now: datetime,
    notices: Sequence[str] = (),
    *,
    topics: Sequence[str] = (),
    budget: Budget | None = None,
    known: Sequence[KnownName] = (),
) -> Briefing:
    """The channel's briefing: articles grouped into stories across outlets, ranked, the
    best ``budget.stories`` in full and the rest one line each (``briefings.brief``);
    each person under one name, the fullest the articles or the ``known`` names give."""
    from briefings.brief import build_briefing as brief

    return brief(
        reports_of(stored),
        title=title,
        now=now,
        topics=topics,
        budget=budget,
        notices=notices,
        known=known,
    )


def channel_budget(row: ChannelRecord | None) -> Budget:
    """A channel's briefing length, the default where it set none."""
    if row is None:
        return Budget()
    return Budget(
        stories=row.briefing_stories or DEFAULT_STORIES,
        bullets=row.briefing_bullets or DEFAULT_BULLETS,
    )


# Called with (channel, cron or None, time zone) when a channel's schedule changes.
ScheduleListener = Callable[[ChannelRef, str | None, str], None]


class StoreService(Service):
    """The use cases over the store, which runs the database calls on its own threads."""

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime] | None = None,
        allow_private_networks: bool = False,
        schedule_listeners: Sequence[ScheduleListener] = (),
    ) -> None:
        self.store = store
        self.now = now or (lambda: datetime.now(UTC))
        self.allow_private_networks = allow_private_networks
        # Told of each schedule change (the scheduler), given by whoever builds the service.
        self.schedule_listeners = tuple(schedule_listeners)
        self.stopping = False  # set by ``stop_sending``: no message is begun after it

    # ----------------------------------------------------------------- actors

    def forget_actors(self) -> None:
        """Drop the cached name index (after ingestion taught new names; any thread)."""
        self.store.forget_actors()

    async def stance(
        self,
        name: str,
        topic: str | None = None,
        since: timedelta | None = None,
        limit: int = 20,
    ) -> StanceResult:
        if not name.strip():
            raise UserInputError("give an actor: a country, organisation or person")
        # Off the loop, from a cached index that learns names another process stored.
        match, suggestions = await self.store.find_actor(name)
        if match is None:
            raise UnknownActorError(name.strip(), list(suggestions))
        after = self.now() - since if since is not None else None
        actor_id, speakers, party = _stance_filter(match)
        rows, counts = await self.store.stance_statements(
            actor_id,
            since=after,
            topic=topic or None,
            limit=max(1, limit),
            speakers=speakers,
            party=party,
        )
        said = [row.statement for row in rows]
        # one person, one name across the answer (and the fullest one the store knows)
        names = SpeakerNames(said, await self.known_names(said))
        statements = tuple(
            StanceStatement(
                text=row.statement.words,
                speaker_name=names.name(row.statement),
                role=row.statement.role,
                actor=row.statement.actor or match.actor,
                kind=row.statement.kind,
                stance=row.statement.stance,
                published=row.published,
                outlet=row.outlet,
                url=row.url,
                title=row.title,
                issue=article_issue(row.title, row.lead, (row.statement,)),
            )
            for row in rows
        )
        summary = StanceSummary(counts.total, counts.first, counts.last, dict(counts.stances))
        return StanceResult(
            match.actor, summary, statements, match.matched_as, stance_stories(statements)
        )

    async def actor_names(self, prefix: str, limit: int = 25) -> list[str]:
        return await self.store.actor_names(prefix, limit)

    async def known_names(self, statements: Sequence[Statement]) -> tuple[KnownName, ...]:
        """The fuller names the store learned for the one-word names among ``statements``
        ("Scholz" stood for "Olaf Scholz"), for ``SpeakerNames``."""
        short = short_names(statements)
        if not short:
            return ()
        entries = await self.store.full_names(sorted(short))
        return tuple(KnownName(e.name, e.speaker_name, e.actor.id) for e in entries)

    # --------------------------------------------------------------- channels

    async def briefing_now(self, channel: ChannelRef) -> Briefing:
        notices = feed_notices(await self.list_feeds(channel))
        row = await self.store.channel(channel)
        stored = await self.store.new_statements(channel)
        return build_briefing(
            stored,
            self.briefing_title(channel),
            self.now(),
            notices,
            topics=tuple(row.topics) if row else (),
            budget=channel_budget(row),
            known=await self.known_names([item.statement for item in stored]),
        )

    async def get_length(self, channel: ChannelRef) -> Budget:
        """The channel's briefing length: stories in full, bullets a story."""
        return channel_budget(await self.store.channel(channel))

    async def set_length(
        self, channel: ChannelRef, stories: int | None, bullets: int | None = None
    ) -> Budget:
        """Set the briefing length (None keeps the current value); checked for range."""
        current = await self.get_length(channel)
        stories = current.stories if stories is None else stories
        bullets = current.bullets if bullets is None else bullets
        check_length(stories, bullets)
        await self.store.set_length(channel, stories, bullets, self.now())
        return Budget(stories, bullets)

    def briefing_title(self, channel: ChannelRef) -> str:
        return f"Briefing for {channel.channel}, {self.now():%Y-%m-%d %H:%M} UTC"

    async def deliver(
        self, channel: ChannelRef, slot: datetime, publisher: Publisher
    ) -> Briefing | None:
        """Claim ``slot`` for the channel and publish its briefing, message by message,
        counting them in the store; a slot another run has taken is not posted again.
        Returns the briefing, or None when the slot was already taken. An empty briefing
        is recorded, not posted. A message the platform refuses as it is is skipped; any
        other refusal stops the delivery, which is stored as failed with its reason and
        resumed at its first unsent message next time (``resume``)."""
        now = self.now()
        notices = feed_notices(await self.list_feeds(channel))
        row = await self.store.channel(channel)
        built: list[tuple[Briefing, Posted]] = []

        async def post(stored: list[StoredStatement], high: int) -> Posted:
            briefing = build_briefing(
                stored,
                self.briefing_title(channel),
                now,
                notices,
                topics=tuple(row.topics) if row else (),
                budget=channel_budget(row),
                known=await self.known_names([item.statement for item in stored]),
            )
            # a channel whose feeds all stopped still hears why, at its usual time
            if not (briefing.stories or briefing.notices):
                posted = Posted(0, "empty")
            else:
                from briefings.codec import briefing_to_json

                messages = messages_of(publisher, briefing)
                await self.store.start_sending(
                    channel,
                    slot,
                    briefing=briefing_to_json(briefing),
                    messages=len(messages),
                    last_article_id=high,
                    stories=len(briefing.stories),
                )
                error = await self._send(channel, slot, publisher, messages, 0)
                stories = len(briefing.stories)
                posted = Posted(stories, "failed", error) if error else Posted(stories, "delivered")
            built.append((briefing, posted))
            return posted

        if not await self.store.deliver(channel, slot, now, post):
            return None
        briefing, posted = built[0]
        if posted.status != "empty":
            await self._count_outcome(channel, publisher, posted.error)
        log.info("%s briefing for %s (%d stories)", posted.status, channel, posted.stories)
        return briefing

    def stop_sending(self) -> None:
        """The bot is stopping: a delivery under way finishes the message it is posting and
        posts no other (it raises ``DeliveryStopped``, its claim given up, so the next start
        finishes it from its first unsent message); none begins."""
        self.stopping = True

    async def _send(
        self,
        channel: ChannelRef,
        slot: datetime,
        publisher: Publisher,
        messages: Sequence[object],
        start: int,
    ) -> str | None:
        """Post ``messages[start:]``, recording after each how many are out. Returns why it
        stopped (a bounded reason), or None when all are out. Stopped midway (cancelled, or
        ``stop_sending`` between two messages: ``DeliveryStopped``), it gives its claim up:
        the next start resumes at the first unsent message."""
        for n in range(start, len(messages)):
            if self.stopping:
                await asyncio.shield(self.store.release_sending(channel, slot))
                log.info(
                    "briefing of %s stopped at message %d of %d: the next start posts the rest",
                    channel,
                    n + 1,
                    len(messages),
                )
                raise DeliveryStopped(f"stopped before message {n + 1} of {len(messages)}")
            try:
                await send_message(publisher, channel, messages[n], message_key(channel, slot, n))
            except PublishError as exc:
                reason = one_line(str(exc), REASON_CHARS)
                if not exc.rejected:
                    log.warning("briefing for %s stopped at message %d: %s", channel, n + 1, reason)
                    return reason
                # This message can never be posted as it is: skipped, so it can never
                # block the channel (the next slot would fail on it again, forever).
                log.warning("message %d of %s's briefing skipped: %s", n + 1, channel, reason)
            except asyncio.CancelledError:
                await asyncio.shield(self.store.release_sending(channel, slot))
                raise
            await asyncio.shield(self.store.record_sent(channel, slot, n + 1))
        return None

    async def resume(self, channel: ChannelRef, publisher: Publisher) -> bool | None:
        """Finish the channel's oldest unfinished delivery (one that failed, or whose
        poster stopped), from its first unsent message. None when there was none to
        resume; True when it is now delivered, False when it failed again."""
        from briefings.codec import briefing_from_json

        unfinished = await self.store.claim_unfinished(channel, self.now())
        if unfinished is None:
            return None
        messages = messages_of(publisher, briefing_from_json(unfinished.briefing))
        log.info(
            "resuming the briefing of %s at message %d of %d",
            channel,
            unfinished.sent + 1,
            len(messages),
        )
        error = await self._send(channel, unfinished.slot, publisher, messages, unfinished.sent)
        await self.store.finish_resumed(channel, unfinished.slot, error=error, now=self.now())
        await self._count_outcome(channel, publisher, error)
        return error is None

    async def _count_outcome(
        self, channel: ChannelRef, publisher: Publisher, error: str | None
    ) -> None:
        """A success clears the channel's failures; the ``PAUSE_AFTER``-th failure in a row
        pauses its schedule, and the channel is told where it can be."""
        before = await self.store.channel(channel)
        row = await self.store.record_outcome(channel, error, pause_after=PAUSE_AFTER)
        if row is None or error is None:
            return
        if row.paused_reason and not (before is not None and before.paused_reason):
            log.warning(
                "briefings for %s paused after %d failed deliveries: %s",
                channel,
                row.delivery_failures,
                error,
            )
            notice = pause_notice(row.delivery_failures, error)
            await self._tell(channel, publisher, row, "Briefings paused", notice)
        elif row.delivery_failures == 1:  # the first of a run: told once, not at every slot
            notice = failure_notice(error)
            await self._tell(channel, publisher, row, "Briefing not delivered", notice)

    async def _tell(
        self,
        channel: ChannelRef,
        publisher: Publisher,
        row: ChannelRecord,
        title: str,
        notice: str,
    ) -> None:
        """A notice about the channel's briefings: in the channel when it can be posted
        there, else to the manager who set the schedule, directly (where the platform
        lets the bot write to a person); logged when neither can be."""
        briefing = Briefing(title, notices=(notice,))
        try:
            for message in messages_of(publisher, briefing):
                await send_message(publisher, channel, message)
            return
        except PublishError as exc:
            log.warning("could not tell %s about its briefings: %s", channel, exc)
        manager = row.schedule_set_by
        if not manager or not isinstance(publisher, DirectPublisher):
            return
        where = Briefing(f"{title} in channel {channel.channel}", notices=(notice,))
        try:
            for message in messages_of(publisher, where):
                await publisher.send_direct(channel, manager, message)
        except PublishError as exc:
            log.warning("could not tell %s's manager about its briefings: %s", channel, exc)

    def close(self) -> None:
        """Release the store's threads (the runtime calls this when it stops)."""
        self.store.close()

    async def deliver_due(self, channel: ChannelRef, publisher: Publisher) -> Briefing | None:
        """Deliver the channel's latest schedule slot that has passed and was not delivered
        (the scheduler's job, and the catch-up after downtime: missed slots count once)."""
        if self.stopping:
            return None
        row = await self.store.channel(channel)
        if row is None or not row.schedule:
            return None
        if row.paused_reason:
            log.info("briefings for %s are paused: %s", channel, row.paused_reason)
            return None
        # A briefing left unfinished (a failure, a stop) goes out first, from its first
        # unsent message; while it cannot, no newer one is posted after it.
        if await self.resume(channel, publisher) is False:
            return None
        last = await self.store.latest_slot(channel)
        after = max(x for x in (row.created, row.schedule_since, last) if x is not None)
        slot = latest_slot(row.schedule, row.timezone, after, self.now())
        if slot is None:
            return None
        return await self.deliver(channel, slot, publisher)

    async def set_schedule(
        self, channel: ChannelRef, schedule: str, timezone: str, *, set_by: str = ""
    ) -> str:
        cron, zone = read_schedule(schedule, timezone)
        await self.store.set_schedule(channel, cron, zone, self.now(), set_by or None)
        for listener in self.schedule_listeners:
            listener(channel, cron, zone)
        return cron or "off"

    async def list_topics(self, channel: ChannelRef) -> tuple[str, ...]:
        row = await self.store.channel(channel)
        return tuple(row.topics or []) if row else ()

    async def add_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        topics = list(await self.list_topics(channel))
        for word in words:
            topic = " ".join(word.split()).casefold()
            if not topic:
                continue
            if not re.search(r"\w", topic):
                raise UserInputError(f"{one_line(word, 60)!r} has no word to search for")
            if len(topic) > 100:
                raise UserInputError("a topic is at most 100 characters")
            if topic not in topics:
                topics.append(topic)
        await self.store.set_topics(channel, topics, self.now())
        return tuple(topics)

    async def remove_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        drop = {" ".join(w.split()).casefold() for w in words}
        topics = [t for t in await self.list_topics(channel) if t not in drop]
        await self.store.set_topics(channel, topics, self.now())
        return tuple(topics)

    async def add_feed(
        self, channel: ChannelRef | None, url: str, *, title: str = "", reenable: bool = True
    ) -> FeedStatus:
        """As the contract says; with no channel, the feed is only polled (the CLI). A
        manager adding a disabled feed again gives it a fresh start (``reenable``), a
        configuration replayed at start does not."""
        from bot.ingest import feed_url

        url = feed_url(url, allow_private=self.allow_private_networks)
        title = one_line(title, FEED_TITLE_MAX)
        now = self.now()
        if channel is None:
            feed = await self.store.add_feed(url, now, title, reenable=reenable)
        else:
            feed = await self.store.subscribe_feed(channel, url, now, title, reenable=reenable)
        return feed_status(feed)

    async def remove_feed(self, channel: ChannelRef | None, url: str) -> None:
        """Unsubscribe the channel from the feed; with no channel, stop polling it."""
        removed = False
        for candidate in feed_url_forms(url):
            if channel is None:
                removed = removed or await self.store.remove_feed(candidate)
            else:
                removed = removed or await self.store.unsubscribe_feed(channel, candidate)
        if removed:
            return
        if channel is None:
            raise NotFoundError(f"no feed {one_line(url, 100)!r} is configured")
        raise NotFoundError(f"this channel has no feed {one_line(url, 100)!r}")

    async def list_feeds(self, channel: ChannelRef | None) -> tuple[FeedStatus, ...]:
        """The channel's feeds; with no channel, every feed polled."""
        if channel is None:
            feeds = await self.store.feeds()
        else:
            feeds = await self.store.channel_feeds(channel)
        return tuple(feed_status(feed) for feed in feeds)

    async def subscribe(
        self,
        channel: ChannelRef,
        *,
        feeds: Sequence[str] = (),
        schedule: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        """Set a channel up: its feeds, and its briefing schedule when given."""
        await self.store.ensure_channel(channel, self.now())
        for url in feeds:
            await self.add_feed(channel, url, reenable=False)
        if schedule is not None:
            await self.set_schedule(channel, schedule, timezone)

    async def status(self, channel: ChannelRef) -> ChannelStatus:
        row = await self.store.channel(channel)
        feeds = await self.list_feeds(channel)
        last = await self.store.last_delivery(channel)
        failure = await self.store.last_failure(channel)
        schedule = row.schedule if row else None
        timezone = row.timezone if row else "UTC"
        return ChannelStatus(
            channel=channel,
            feeds=feeds,
            topics=tuple(row.topics or []) if row else (),
            schedule=schedule,
            timezone=timezone,
            next_delivery=next_slot(schedule, timezone, self.now()) if schedule else None,
            last_delivery=last.delivered if last else None,
            last_failure=failure.delivered if failure else None,
            failure_reason=one_line(failure.error, REASON_CHARS)
            if failure and failure.error
            else None,
            delivery_failures=row.delivery_failures if row else 0,
            paused_reason=row.paused_reason if row else None,
        )


def feed_url_forms(url: str) -> list[str]:
    """The forms a feed given as ``url`` may be stored under: its one normal form (see
    ``feed_url``) and, for feeds added before there was one, the URL as given."""
    from bot.errors import UnsafeURLError
    from bot.ingest import feed_url

    try:
        normal = feed_url(url)
    except UnsafeURLError:
        return [url.strip()]
    return list(dict.fromkeys([normal, url.strip()]))


def _stance_filter(match: Match) -> tuple[str, tuple[str, ...], str | None]:
    """What a /stance query reads: (actor id, the person's names, party id). A person's
    statements only, when a person was asked for; a party's members, within its country."""
    if match.actor.kind == "party":
        country = gazetteer().party_country(match.actor)
        return country or match.actor.id, (), match.actor.id
    if match.matched_as.startswith("person: "):
        full = match.matched_as.removeprefix("person: ")
        names = {full, full.split()[-1], match.name} if full.split() else {match.name}
        return match.actor.id, tuple(sorted(names)), None
    return match.actor.id, (), None
