"""The data that ingestion hands to its callers: feed state in, poll results and items out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass
class FeedState:
    """What the poller needs to know about a feed: its URL, the validators of the last fetch,
    and the items whose pages it should try again (whatever the feed answers)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    disabled: bool = False
    retry: list[FetchedItem] = field(default_factory=list)  # items seen before without text


@dataclass
class FetchedItem:
    """One article: ``text`` is the full article text (extracted from the page when the feed
    carried only a summary; the summary itself when the page could not be read)."""

    guid: str
    url: str
    title: str
    published: datetime | None
    outlet: str
    text: str
    published_replaced: bool = False  # the feed's date was impossible; the fetch time stands in
    error: str = ""  # why the page was not read, when it was not


@dataclass
class PollResult:
    """The outcome of polling one feed. ``error`` is a reason fit for a user when status is
        "failed"; ``retry_after`` is in seconds, from a 429/503 Retry-After header. ``pending`` are
    the new items that have no text yet (their pages could not be read)."""

    url: str
    status: Literal["ok", "not_modified", "failed"]
    items: list[FetchedItem] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None
    feed_title: str = ""
    pending: list[FetchedItem] = field(default_factory=list)  # items still without text
