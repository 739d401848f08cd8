"""The feeds the bot polls and what each poll left behind (validators, failures, back-off)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
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
