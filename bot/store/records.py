"""What the store hands out and takes in: plain frozen dataclasses, never ORM rows, so
nothing outside ``bot/store/`` depends on a session being open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ports import ChannelRef
from briefings.models import Actor, Statement

LEAD_CHARS = 600  # of an article's text, read with its statements (stories, issues)


def normalise_name(name: str) -> str:
    """The key a name is stored and looked up by: single spaces, case-folded."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A polled feed and its fetch state (conditional GET, back-off, why it failed)."""

    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    failures: int
    next_attempt: datetime | None
    disabled: bool
    last_error: str | None
    last_polled: datetime | None
    created: datetime


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """A channel's briefing settings."""

    ref: ChannelRef
    topics: list[str]
    schedule: str | None  # cron expression
    timezone: str
    created: datetime
    schedule_since: datetime | None  # when the schedule last changed
    # /briefing length: stories in full and bullets a story; None is the default
    briefing_stories: int | None = None
    briefing_bullets: int | None = None
    delivery_failures: int = 0  # deliveries that failed in a row
    paused_reason: str | None = None  # set when the schedule paused after too many
    schedule_set_by: str | None = None  # the manager who last set the schedule


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One briefing slot of a channel: claimed, then delivered or found empty."""

    slot: datetime
    delivered: datetime
    last_article_id: int
    stories: int
    status: str
    messages: int = 0  # of the briefing being (or last) posted
    sent: int = 0  # of those, how many went out (or were skipped as unpostable)
    error: str | None = None  # why the rest did not


@dataclass(frozen=True, slots=True)
class UnfinishedDelivery:
    """A delivery whose briefing was not all posted: resumed at message ``sent``."""

    slot: datetime
    briefing: str  # JSON (``briefings.codec``)
    messages: int
    sent: int
    error: str | None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What the ingestion hands to the store: an article and the engine's statements."""

    guid: str | None
    url: str
    title: str
    outlet: str
    published: datetime | None
    text: str
    feed_id: int | None = None
    published_replaced: bool = False  # the feed's date was impossible; the fetch time stands in


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item of a feed that had no text when last seen, and how often it was tried."""

    guid: str
    url: str
    title: str
    outlet: str
    published: datetime | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """A statement row with the article it came from (for /stance and briefings)."""

    statement: Statement
    article_id: int
    title: str
    url: str
    outlet: str
    published: datetime
    lead: str = ""  # the article's first characters (briefings group stories by it)


@dataclass(frozen=True, slots=True)
class StanceCounts:
    total: int
    first: datetime | None
    last: datetime | None
    stances: dict[str, int]


@dataclass(frozen=True, slots=True)
class AliasEntry:
    name: str
    actor: Actor
    source: str
    speaker_name: str
