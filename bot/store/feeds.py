"""The feeds the bot polls and what each poll left behind (validators, failures, back-off)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models as m
from bot.store.base import Database
from bot.store.records import FeedRecord


def feed_record(row: m.Feed) -> FeedRecord:
    return FeedRecord(
        id=row.id,
        url=row.url,
        title=row.title or "",
        etag=row.etag,
        last_modified=row.last_modified,
        failures=row.failures or 0,
        next_attempt=row.next_attempt,
        disabled=bool(row.disabled),
        last_error=row.last_error,
        last_polled=row.last_polled,
        created=row.created,
    )


def ensure_feed(
    session: Session, url: str, now: datetime, title: str = "", *, reenable: bool = False
) -> m.Feed:
    """The feed row for ``url`` inside the caller's transaction, created when new;
    ``reenable`` gives a disabled or backing-off feed a fresh start."""
    feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
    if feed is None:
        feed = m.Feed(url=url, title=title, failures=0, disabled=False, created=now)
        try:
            with session.begin_nested():
                session.add(feed)
        except IntegrityError:  # another process added it at the same moment
            found = session.scalar(select(m.Feed).where(m.Feed.url == url))
            assert found is not None
            return found
    else:
        if title and not feed.title:
            feed.title = title
        if reenable and (feed.disabled or feed.failures):
            feed.disabled = False
            feed.failures = 0
            feed.next_attempt = None
    return feed


class FeedStore(Database):
    """Feeds: added, removed, due for a poll, and each poll's outcome."""

    def add_feed(
        self, url: str, now: datetime, title: str = "", *, reenable: bool = False
    ) -> FeedRecord:
        """The feed for ``url``, created when new; ``reenable`` gives a disabled or
        backing-off feed a fresh start (an operator adding it again)."""
        with self.transaction() as session:
            feed = ensure_feed(session, url, now, title, reenable=reenable)
            session.flush()
            return feed_record(feed)

    def feed(self, url: str) -> FeedRecord | None:
        with self.sessions() as session:
            row = session.scalar(select(m.Feed).where(m.Feed.url == url))
            return feed_record(row) if row else None

    def remove_feed(self, url: str) -> bool:
        with self.transaction() as session:
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if feed is None:
                return False
            session.execute(delete(m.ChannelFeed).where(m.ChannelFeed.feed_id == feed.id))
            session.delete(feed)
            return True

    def feeds(self) -> list[FeedRecord]:
        with self.sessions() as session:
            return [feed_record(row) for row in session.scalars(select(m.Feed).order_by(m.Feed.id))]

    def due_feeds(self, now: datetime) -> list[FeedRecord]:
        """Enabled feeds whose back-off has passed."""
        with self.sessions() as session:
            query = (
                select(m.Feed)
                .where(m.Feed.disabled.is_(False))
                .where(or_(m.Feed.next_attempt.is_(None), m.Feed.next_attempt <= now))
                .order_by(m.Feed.id)
            )
            return [feed_record(row) for row in session.scalars(query)]

    def lease_due_feeds(
        self,
        now: datetime,
        *,
        holder: str,
        lease: timedelta,
        polled_within: timedelta = timedelta(0),
    ) -> list[FeedRecord]:
        """Lease the due feeds no other process holds, for ``lease``: enabled, back-off
        passed, not leased (or the lease expired: its holder died), and not polled by anyone
        within ``polled_within`` (several processes polling on one interval fetch each feed
        once). On PostgreSQL the rows are locked with SKIP LOCKED, so processes leasing at
        the same moment take different feeds; SQLite's write lock serialises them."""
        query = (
            select(m.Feed)
            .where(m.Feed.disabled.is_(False))
            .where(or_(m.Feed.next_attempt.is_(None), m.Feed.next_attempt <= now))
            .where(or_(m.Feed.lease_until.is_(None), m.Feed.lease_until <= now))
            .order_by(m.Feed.id)
        )
        if polled_within > timedelta(0):
            query = query.where(
                or_(m.Feed.last_polled.is_(None), m.Feed.last_polled <= now - polled_within)
            )
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self.transaction() as session:
            rows = list(session.scalars(query))
            for row in rows:
                row.lease_until = now + lease
                row.lease_holder = holder
            return [feed_record(row) for row in rows]

    def lease_holders(self, now: datetime) -> set[str]:
        """Who holds a lease now: on a feed being polled or an article being parsed."""
        with self.sessions() as session:
            feeds = set(
                session.scalars(
                    select(m.Feed.lease_holder)
                    .where(m.Feed.lease_until > now, m.Feed.lease_holder.is_not(None))
                    .distinct()
                )
            )
            articles = set(
                session.scalars(
                    select(m.ArticleClaim.holder).where(m.ArticleClaim.lease_until > now).distinct()
                )
            )
            return {holder for holder in feeds | articles if holder is not None}

    def release_holder(self, holder: str) -> None:
        """End every lease of ``holder`` (a process known to be dead): its feeds and the
        articles it was parsing."""
        with self.transaction() as session:
            session.execute(
                update(m.Feed)
                .where(m.Feed.lease_holder == holder)
                .values(lease_until=None, lease_holder=None)
            )
            session.execute(delete(m.ArticleClaim).where(m.ArticleClaim.holder == holder))

    def release_feeds(self, urls: Sequence[str], holder: str) -> None:
        """End this holder's leases of ``urls`` (a run that stops early)."""
        if not urls:
            return
        with self.transaction() as session:
            session.execute(
                update(m.Feed)
                .where(m.Feed.url.in_(list(urls)), m.Feed.lease_holder == holder)
                .values(lease_until=None, lease_holder=None)
            )

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
    ) -> None:
        """Save a poll's outcome: the validators on success, the reason and back-off on failure.
        ``error`` with ``ok`` says which items of an answered feed were not stored."""
        with self.transaction() as session:
            feed = session.scalar(select(m.Feed).where(m.Feed.url == url))
            if feed is None:
                return
            feed.last_polled = now
            feed.lease_until = None  # polled: the lease has done its work
            feed.lease_holder = None
            if ok:
                feed.failures = 0
                feed.last_error = error  # items of an answered feed that could not be stored
                feed.next_attempt = None
                feed.etag = etag
                feed.last_modified = last_modified
                if title and not feed.title:
                    feed.title = title[:500]
            else:
                feed.failures += 1
                feed.last_error = (error or "unknown error")[:2000]
                feed.next_attempt = next_attempt
                feed.disabled = disable
