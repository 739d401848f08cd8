"""Tables of the bot: feeds, articles, statements, actors, aliases, channels, deliveries.

Times are stored as naive UTC (``UTCDateTime``) so SQLite and PostgreSQL agree, and come
back timezone-aware. Full-text search lives outside the ORM (FTS5 table on SQLite, a
generated ``tsvector`` column on PostgreSQL); the migration creates it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored naive in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(when, datetime)
        return when.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Feed(Base):
    """A polled feed and its fetch state (conditional GET, backoff, why it failed)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who polls it now, and until when (migration 0010): another process leaves it alone.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_holder: Mapped[str | None] = mapped_column(String(200))


class Article(Base):
    """One stored article, deduplicated by canonical URL and content hash (a short text's
    hash includes its link, so placeholder summaries never merge). ``feed_id`` and ``guid``
    are the first feed's; every feed that reaches it has a ``FeedArticle``, and new rows
    leave ``guid`` empty (GUIDs are unique per feed, in ``feed_articles``)."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    guid: Mapped[str | None] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    outlet: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The feed's date could not be true (after the fetch, or before 1990): ``published`` is
    # the fetch time instead (migration 0009).
    published_replaced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fetched: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)

    statements: Mapped[list[Statement]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )


class FeedArticle(Base):
    """An item of a feed and the article it is: many feeds can reach one article, a GUID is
    unique per feed (``guid_hash``: its SHA-256). The ids are the order in which articles
    reached feeds, which is what a delivery's high-water mark counts in (migration 0008)."""

    __tablename__ = "feed_articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid_hash", name="uq_feed_articles_feed_id"),
        Index("ix_feed_articles_article", "article_id", "id"),
        Index("ix_feed_articles_feed", "feed_id", "id", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    guid_hash: Mapped[str] = mapped_column(String(64))
    linked: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingItem(Base):
    """An item seen without any text (its page could not be read), tried again on later
    polls until it has text or ``attempts`` reaches the limit."""

    __tablename__ = "pending_items"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    guid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    guid: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(500))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleClaim(Base):
    """An article being parsed by one process (migration 0012): its keys (canonical URL,
    content) held until ``lease_until``, so another process that meets the same article
    through another feed waits for it instead of running the engine on it a second time."""

    __tablename__ = "article_claims"

    key: Mapped[str] = mapped_column(String(70), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)


class Actor(Base):
    """A country (ISO alpha-2 id) or an organisation."""

    __tablename__ = "actors"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="country")


class Alias(Base):
    """A name that stands for an actor: learned from text ("Scholz" → DE) or configured."""

    __tablename__ = "aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    norm: Mapped[str] = mapped_column(String(300), unique=True)  # casefolded lookup key
    name: Mapped[str] = mapped_column(String(300))  # as written
    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id"))
    source: Mapped[str] = mapped_column(String(20), default="learned")
    speaker_name: Mapped[str] = mapped_column(String(300), default="")  # the person it names
    evidence: Mapped[str] = mapped_column(String(500), default="")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Statement(Base):
    """Who said what, with its spans; ``published`` is copied from the article for fast
    newest-first queries per actor. ``data`` keeps the rest of the engine's JSON shape (the
    speaker and cue spans, parts, anything added later): content, actor, kind and stance
    live in their columns only."""

    __tablename__ = "statements"
    __table_args__ = (
        # Newest first per actor, carrying what /stance filters and counts on (migration 0005).
        Index("ix_statements_actor_newest", "actor_id", "published", "id", "article_id", "stance"),
        # Topic filters go from matching articles to their statements: covering those lookups
        # (actor, stance, date) keeps /stance --topic off the table rows.
        Index("ix_statements_article_actor", "article_id", "actor_id", "stance", "published"),
        Index("ix_statements_speaker_norm", "speaker_norm"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id"))
    actor_evidence: Mapped[str] = mapped_column(String(500), default="")
    speaker_name: Mapped[str] = mapped_column(String(300))
    speaker_norm: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    stance: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    content_start: Mapped[int] = mapped_column(Integer)
    content_end: Mapped[int] = mapped_column(Integer)
    speaker_text: Mapped[str] = mapped_column(String(500))
    speaker_start: Mapped[int] = mapped_column(Integer)
    speaker_end: Mapped[int] = mapped_column(Integer)
    cue_text: Mapped[str | None] = mapped_column(String(500))
    cue_start: Mapped[int | None] = mapped_column(Integer)
    cue_end: Mapped[int | None] = mapped_column(Integer)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    article: Mapped[Article] = relationship(back_populates="statements")


class ActorStats(Base):
    """Running totals per actor and stance, kept with every stored statement, so the /stance
    summary of an actor with many statements costs a handful of rows."""

    __tablename__ = "actor_stats"

    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id"), primary_key=True)
    stance: Mapped[str] = mapped_column(String(20), primary_key=True)
    statements: Mapped[int] = mapped_column(Integer, default=0)
    first: Mapped[datetime] = mapped_column(UTCDateTime)
    last: Mapped[datetime] = mapped_column(UTCDateTime)


class Channel(Base):
    """A channel subscription: where briefings go, what they cover, and when."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", name="uq_channels_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    workspace: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    schedule: Mapped[str | None] = mapped_column(String(200))  # cron expression
    timezone: Mapped[str] = mapped_column(String(100), default="UTC")
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the schedule was last set: slots before it were never due.
    schedule_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # /briefing length: stories shown in full and bullets a story; None is the default
    briefing_stories: Mapped[int | None] = mapped_column(Integer)
    briefing_bullets: Mapped[int | None] = mapped_column(Integer)
    # Deliveries that failed in a row, and why the schedule paused after too many (0013).
    delivery_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    # The platform's id of the manager who last set the schedule (0014): told of failures
    # when the channel cannot be posted in.
    schedule_set_by: Mapped[str | None] = mapped_column(String(200))

    feeds: Mapped[list[Feed]] = relationship(secondary="channel_feeds", order_by="Feed.id")


class ChannelFeed(Base):
    __tablename__ = "channel_feeds"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )


class Delivery(Base):
    """One briefing posted (or claimed) for a channel's schedule slot: unique per slot, so
    the row that claims a slot is the proof it was delivered once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("channel_id", "slot", name="uq_deliveries_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[datetime] = mapped_column(UTCDateTime)
    last_article_id: Mapped[int] = mapped_column(Integer, default=0)
    stories: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="delivered")
    # While "claimed": who is posting it, and until when the claim holds (migration 0011).
    claim_holder: Mapped[str | None] = mapped_column(String(200))
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The briefing being posted (JSON), its messages and how many went out, and why the
    # rest did not (migration 0013): an unfinished delivery resumes at message ``sent``.
    briefing: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(300))
