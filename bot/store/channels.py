"""Channels: their settings, the feeds they follow, and their deliveries (a slot claimed
once, then finished; the high-water mark of what the channel has had)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.ports import ChannelRef
from bot.store import models as m
from bot.store.base import Database
from bot.store.feeds import ensure_feed, feed_record
from bot.store.records import (
    LEAD_CHARS,
    ChannelRecord,
    DeliveryRecord,
    FeedRecord,
    StoredStatement,
    UnfinishedDelivery,
)
from bot.store.statements import STATEMENT_COLUMNS, read_statement, topic_match

CLAIMED = "claimed"
"""The status of a slot being posted: claimed, no result recorded yet."""
SENDING = "sending"
"""The status of a delivery whose briefing is being posted: its messages are counted."""
FAILED = "failed"
"""The status of a delivery that stopped before its last message (``error`` says why)."""
UNFINISHED = (SENDING, FAILED)
DELIVERY_LEASE = timedelta(minutes=30)
"""How long a claim of a slot holds: longer than any post takes (retries included); a
claimer that died on another machine loses its slot to another process after this."""


def channel_record(row: m.Channel) -> ChannelRecord:
    return ChannelRecord(
        ref=ChannelRef(row.platform, row.workspace, row.channel),
        topics=list(row.topics or []),
        schedule=row.schedule,
        timezone=row.timezone or "UTC",
        created=row.created,
        schedule_since=row.schedule_since,
        briefing_stories=row.briefing_stories,
        briefing_bullets=row.briefing_bullets,
        delivery_failures=row.delivery_failures or 0,
        paused_reason=row.paused_reason,
        schedule_set_by=row.schedule_set_by,
    )


def delivery_record(row: m.Delivery) -> DeliveryRecord:
    return DeliveryRecord(
        slot=row.slot,
        delivered=row.delivered,
        last_article_id=row.last_article_id,
        stories=row.stories,
        status=row.status,
        messages=row.messages or 0,
        sent=row.sent or 0,
        error=row.error,
    )


class ChannelStore(Database):
    """Channels, their feeds and their deliveries."""

    def channel(self, ref: ChannelRef) -> ChannelRecord | None:
        with self.sessions() as session:
            row = self._channel(session, ref)
            return channel_record(row) if row else None

    def _channel(self, session: Session, ref: ChannelRef) -> m.Channel | None:
        return session.scalar(
            select(m.Channel).where(
                m.Channel.platform == ref.platform,
                m.Channel.workspace == ref.workspace,
                m.Channel.channel == ref.channel,
            )
        )

    def _ensure_channel(self, session: Session, ref: ChannelRef, now: datetime) -> m.Channel:
        channel = self._channel(session, ref)
        if channel is None:
            channel = m.Channel(
                platform=ref.platform,
                workspace=ref.workspace,
                channel=ref.channel,
                topics=[],
                schedule=None,
                timezone="UTC",
                created=now,
            )
            try:
                with session.begin_nested():
                    session.add(channel)
            except IntegrityError:  # created by a concurrent transaction just now
                found = self._channel(session, ref)
                assert found is not None
                return found
        return channel

    def ensure_channel(self, ref: ChannelRef, now: datetime) -> None:
        with self.transaction() as session:
            self._ensure_channel(session, ref, now)

    def channels(self) -> list[ChannelRecord]:
        with self.sessions() as session:
            return [
                channel_record(row)
                for row in session.scalars(select(m.Channel).order_by(m.Channel.id))
            ]

    def set_schedule(
        self,
        ref: ChannelRef,
        cron: str | None,
        timezone: str,
        now: datetime,
        set_by: str | None = None,
    ) -> None:
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            if (cron, timezone) != (channel.schedule, channel.timezone):
                channel.schedule_since = now
            channel.schedule = cron
            channel.timezone = timezone
            if set_by:
                channel.schedule_set_by = set_by
            # Setting a schedule (again) resumes one paused after failed deliveries.
            channel.delivery_failures = 0
            channel.paused_reason = None

    def set_topics(self, ref: ChannelRef, topics: Sequence[str], now: datetime) -> None:
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            channel.topics = list(topics)

    def set_length(
        self, ref: ChannelRef, stories: int | None, bullets: int | None, now: datetime
    ) -> None:
        """The channel's briefing length (None: the default)."""
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            channel.briefing_stories = stories
            channel.briefing_bullets = bullets

    def subscribe_feed(
        self, ref: ChannelRef, url: str, now: datetime, title: str = "", *, reenable: bool = False
    ) -> FeedRecord:
        """Add the feed (when new) and subscribe the channel to it, in one transaction;
        ``reenable`` gives a disabled feed a fresh start (a manager adding it again)."""
        with self.transaction() as session:
            feed = ensure_feed(session, url, now, title, reenable=reenable)
            channel = self._ensure_channel(session, ref, now)
            session.flush()
            if session.get(m.ChannelFeed, (channel.id, feed.id)) is None:
                session.add(m.ChannelFeed(channel_id=channel.id, feed_id=feed.id))
            return feed_record(feed)

    def unsubscribe_feed(self, ref: ChannelRef, url: str) -> bool:
        with self.transaction() as session:
            channel = self._channel(session, ref)
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if channel is None or feed is None:
                return False
            result = session.execute(
                delete(m.ChannelFeed).where(
                    m.ChannelFeed.channel_id == channel.id, m.ChannelFeed.feed_id == feed.id
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def channel_feeds(self, ref: ChannelRef) -> list[FeedRecord]:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return []
            return [
                feed_record(row)
                for row in session.scalars(
                    select(m.Feed)
                    .join(m.ChannelFeed, m.ChannelFeed.feed_id == m.Feed.id)
                    .where(m.ChannelFeed.channel_id == channel.id)
                    .order_by(m.Feed.id)
                )
            ]

    # ------------------------------------------------------- briefings, deliveries

    def last_delivery(self, ref: ChannelRef) -> DeliveryRecord | None:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            row = session.scalar(
                select(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.status != CLAIMED)
                .order_by(m.Delivery.last_article_id.desc(), m.Delivery.id.desc())
                .limit(1)
            )
            return delivery_record(row) if row else None

    def delivery_count(self, ref: ChannelRef) -> int:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return 0
            return (
                session.scalar(
                    select(func.count())
                    .select_from(m.Delivery)
                    .where(m.Delivery.channel_id == channel.id, m.Delivery.status != CLAIMED)
                )
                or 0
            )

    def new_statements(
        self, session: Session, ref: ChannelRef, *, max_articles: int = 5000
    ) -> tuple[list[StoredStatement], int]:
        """Statements of the articles the channel has not had yet (its feeds, its topics),
        oldest article first, and the highest link id seen (the next high-water mark)."""
        channel = self._channel(session, ref)
        after = 0
        topics: list[str] = []
        feed_ids: list[int] = []
        if channel is not None:
            topics = list(channel.topics or [])
            after = (
                session.scalar(
                    select(func.max(m.Delivery.last_article_id)).where(
                        m.Delivery.channel_id == channel.id
                    )
                )
                or 0
            )
            feed_ids = list(
                session.scalars(
                    select(m.ChannelFeed.feed_id).where(m.ChannelFeed.channel_id == channel.id)
                )
            )
        # The mark counts links (an article reaching a feed), not articles: an article a
        # channel's feed reaches after the channel's last briefing is new to it, whenever
        # the article itself was first stored; one it had through another feed is not.
        link = m.FeedArticle
        earlier = aliased(m.FeedArticle)
        newest = session.scalar(select(func.max(link.id))) or 0
        reached = select(link.article_id).where(link.id > after, link.id <= newest)
        had = select(earlier.id).where(earlier.article_id == link.article_id, earlier.id <= after)
        if feed_ids:
            reached = reached.where(link.feed_id.in_(feed_ids))
            had = had.where(earlier.feed_id.in_(feed_ids))
        reached = reached.where(~had.exists())
        query = select(m.Article.id).where(m.Article.id.in_(reached))
        if topics:
            match = topic_match(self.dialect, topics)
            if match is not None:
                query = query.where(m.Article.id.in_(match))
        # The newest articles when there are many; shown oldest first.
        article_ids = sorted(
            session.scalars(query.order_by(m.Article.id.desc()).limit(max_articles))
        )
        if not article_ids:
            return [], max(after, newest)
        lead_text = func.substr(m.Article.text, 1, LEAD_CHARS).label("lead")
        # Columns, not ORM objects: a busy day has thousands of rows, and building an
        # instance for each would cost more than the rest of the briefing.
        rows = session.execute(
            select(
                *STATEMENT_COLUMNS,
                m.Article.title,
                m.Article.url,
                m.Article.outlet,
                m.Actor.name.label("actor_name"),
                lead_text,
            )
            .join(m.Article, m.Statement.article_id == m.Article.id)
            .outerjoin(m.Actor, m.Statement.actor_id == m.Actor.id)
            .where(m.Statement.article_id.in_(article_ids))
            .order_by(m.Statement.article_id, m.Statement.position)
        )
        found = [
            StoredStatement(
                read_statement(row, row.actor_name),
                row.article_id,
                row.title,
                row.url,
                row.outlet,
                row.published,
                row.lead or "",
            )
            for row in rows
        ]
        return found, max(after, newest)

    def claim_slot(
        self,
        ref: ChannelRef,
        slot: datetime,
        now: datetime,
        *,
        holder: str = "",
        lease: timedelta = DELIVERY_LEASE,
    ) -> bool:
        """Claim ``slot`` for ``holder`` in a short transaction of its own (committed before
        anything is posted). False when another run has it: delivered, or claimed by a
        holder whose claim has not ended (the unique (channel, slot) row decides, across
        processes). A claim that ended without a result (its holder died) is taken over."""
        with self.transaction() as session:
            channel = self._ensure_channel(session, ref, now)
            session.flush()
            try:
                with session.begin_nested():
                    session.add(
                        m.Delivery(
                            channel_id=channel.id,
                            slot=slot,
                            delivered=now,
                            last_article_id=0,
                            stories=0,
                            status=CLAIMED,
                            claim_holder=holder,
                            claim_until=now + lease,
                        )
                    )
                return True
            except IntegrityError:
                pass
            taken = session.execute(
                update(m.Delivery)
                .where(
                    m.Delivery.channel_id == channel.id,
                    m.Delivery.slot == slot,
                    m.Delivery.status == CLAIMED,
                    or_(m.Delivery.claim_until.is_(None), m.Delivery.claim_until <= now),
                )
                .values(claim_holder=holder, claim_until=now + lease, delivered=now)
            )
            return bool(getattr(taken, "rowcount", 0))

    def finish_delivery(
        self,
        ref: ChannelRef,
        slot: datetime,
        *,
        last_article_id: int,
        stories: int,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> None:
        """Record what became of a claimed slot (its own short transaction); ``error``
        says why a failed one stopped."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                update(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.slot == slot)
                .values(
                    last_article_id=last_article_id,
                    stories=stories,
                    status=status,
                    delivered=now,
                    claim_holder=None,
                    claim_until=None,
                    error=error,
                )
            )

    # ------------------------------------------------- a delivery's progress, failures

    def start_sending(
        self,
        ref: ChannelRef,
        slot: datetime,
        *,
        briefing: str,
        messages: int,
        last_article_id: int,
        stories: int,
    ) -> None:
        """Keep the briefing a claimed slot is about to post, and what it covers, before
        its first message goes out: from here on it is resumed, never rebuilt."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                update(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.slot == slot)
                .values(
                    status=SENDING,
                    briefing=briefing,
                    messages=messages,
                    sent=0,
                    last_article_id=last_article_id,
                    stories=stories,
                )
            )

    def record_sent(self, ref: ChannelRef, slot: datetime, sent: int) -> None:
        """``sent`` messages of the slot's briefing are out (a short transaction a message)."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                update(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.slot == slot)
                .values(sent=sent)
            )

    def unfinished_claim_holders(self, ref: ChannelRef) -> dict[datetime, str | None]:
        """The channel's unfinished deliveries (by slot) and who holds each."""
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return {}
            rows = session.execute(
                select(m.Delivery.slot, m.Delivery.claim_holder).where(
                    m.Delivery.channel_id == channel.id, m.Delivery.status.in_(UNFINISHED)
                )
            )
            return {row.slot: row.claim_holder for row in rows}

    def claim_unfinished(
        self,
        ref: ChannelRef,
        now: datetime,
        *,
        holder: str,
        gone: Sequence[str] = (),
        lease: timedelta = DELIVERY_LEASE,
    ) -> UnfinishedDelivery | None:
        """Claim the channel's oldest unfinished delivery for ``holder``: one that failed,
        or whose poster stopped (its claim ended, or its holder is in ``gone``). None when
        there is none free."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            free = or_(
                m.Delivery.claim_holder.is_(None),
                m.Delivery.claim_until.is_(None),
                m.Delivery.claim_until <= now,
                m.Delivery.claim_holder.in_(list(gone)),
            )
            row = session.scalar(
                select(m.Delivery)
                .where(
                    m.Delivery.channel_id == channel.id,
                    m.Delivery.status.in_(UNFINISHED),
                    m.Delivery.briefing.is_not(None),
                    free,
                )
                .order_by(m.Delivery.slot)
                .limit(1)
            )
            if row is None:
                return None
            taken = session.execute(
                update(m.Delivery)
                .where(m.Delivery.id == row.id, m.Delivery.status.in_(UNFINISHED), free)
                .values(status=SENDING, claim_holder=holder, claim_until=now + lease)
            )
            if not getattr(taken, "rowcount", 0):
                return None
            assert row.briefing is not None
            return UnfinishedDelivery(row.slot, row.briefing, row.messages, row.sent, row.error)

    def finish_resumed(
        self, ref: ChannelRef, slot: datetime, *, error: str | None, now: datetime
    ) -> None:
        """Record the end of a resumed delivery: delivered, or failed again (``error``)."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                update(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.slot == slot)
                .values(
                    status=FAILED if error else "delivered",
                    error=error,
                    delivered=now,
                    claim_holder=None,
                    claim_until=None,
                )
            )

    def release_sending(self, ref: ChannelRef, slot: datetime, holder: str) -> None:
        """Give up ``holder``'s claim of a delivery it was posting (it was stopped): the
        next start resumes it at its first unsent message."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                update(m.Delivery)
                .where(
                    m.Delivery.channel_id == channel.id,
                    m.Delivery.slot == slot,
                    m.Delivery.status == SENDING,
                    m.Delivery.claim_holder == holder,
                )
                .values(claim_holder=None, claim_until=None, error="stopped while posting")
            )

    def record_outcome(
        self, ref: ChannelRef, error: str | None, *, pause_after: int
    ) -> ChannelRecord | None:
        """Count a delivery's outcome: a success clears the channel's failures, a failure
        adds one, and the ``pause_after``-th in a row pauses the schedule with ``error``."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            if error is None:
                channel.delivery_failures = 0
            else:
                channel.delivery_failures = (channel.delivery_failures or 0) + 1
                if channel.delivery_failures >= pause_after and channel.schedule:
                    channel.paused_reason = error[:300]
            session.flush()
            return channel_record(channel)

    def last_failure(self, ref: ChannelRef) -> DeliveryRecord | None:
        """The channel's latest delivery that did not post all of its briefing."""
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            row = session.scalar(
                select(m.Delivery)
                .where(m.Delivery.channel_id == channel.id, m.Delivery.error.is_not(None))
                .order_by(m.Delivery.delivered.desc(), m.Delivery.id.desc())
                .limit(1)
            )
            return delivery_record(row) if row else None

    def release_slot(self, ref: ChannelRef, slot: datetime, holder: str) -> None:
        """Give up ``holder``'s claim of ``slot`` (posting failed): the slot is free again."""
        with self.transaction() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return
            session.execute(
                delete(m.Delivery).where(
                    m.Delivery.channel_id == channel.id,
                    m.Delivery.slot == slot,
                    m.Delivery.status == CLAIMED,
                    m.Delivery.claim_holder == holder,
                )
            )

    def delivery_claim_holders(self) -> set[str]:
        """Who holds a claimed slot without a result yet."""
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(m.Delivery.claim_holder)
                    .where(m.Delivery.status == CLAIMED, m.Delivery.claim_holder.is_not(None))
                    .distinct()
                )
            )

    def release_delivery_claims(self, holder: str) -> None:
        """Free every slot ``holder`` claimed and never finished (a process known to be dead:
        it posted nothing, or died posting; the slot is delivered again)."""
        with self.transaction() as session:
            session.execute(
                delete(m.Delivery).where(
                    m.Delivery.status == CLAIMED, m.Delivery.claim_holder == holder
                )
            )

    def latest_slot(self, ref: ChannelRef) -> datetime | None:
        with self.sessions() as session:
            channel = self._channel(session, ref)
            if channel is None:
                return None
            return session.scalar(
                select(func.max(m.Delivery.slot)).where(
                    m.Delivery.channel_id == channel.id, m.Delivery.status != CLAIMED
                )
            )
