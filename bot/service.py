"""Use cases of the bot, knowing no platform. Adapters and the CLI call these.

CONTRACT (shared by the storage/ingestion work and the adapters): the dataclasses
and the method signatures of ``Service`` below. Implementations may add methods
and keyword arguments with defaults, but not change what is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.ports import ChannelRef
from briefings.models import Actor, Briefing, Kind, Stance


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


class Service:
    """The application's use cases. Construction happens in the composition root."""

    async def stance(
        self,
        name: str,
        topic: str | None = None,
        since: timedelta | None = None,
        limit: int = 20,
    ) -> StanceResult:
        """Statements of the actor matching ``name``, newest first.

        Raises ``UnknownActorError`` (with suggestions) when nothing matches."""
        raise NotImplementedError

    async def actor_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Actor names for autocomplete, best matches of ``prefix`` first."""
        raise NotImplementedError

    async def briefing_now(self, channel: ChannelRef) -> Briefing:
        """Build (without recording a delivery) the channel's briefing of what is new."""
        raise NotImplementedError

    async def set_schedule(self, channel: ChannelRef, schedule: str, timezone: str) -> str:
        """Set the briefing schedule: a cron expression or "daily 08:00"; returns the cron.

        Raises ``UserInputError`` on a malformed schedule or unknown time zone."""
        raise NotImplementedError

    async def add_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        raise NotImplementedError

    async def remove_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        raise NotImplementedError

    async def list_topics(self, channel: ChannelRef) -> tuple[str, ...]:
        raise NotImplementedError

    async def add_feed(self, channel: ChannelRef, url: str) -> FeedStatus:
        """Subscribe the channel to a feed. Raises ``UnsafeURLError`` for non-public URLs."""
        raise NotImplementedError

    async def remove_feed(self, channel: ChannelRef, url: str) -> None:
        """Raises ``NotFoundError`` when the channel has no such feed."""
        raise NotImplementedError

    async def list_feeds(self, channel: ChannelRef) -> tuple[FeedStatus, ...]:
        raise NotImplementedError

    async def status(self, channel: ChannelRef) -> ChannelStatus:
        raise NotImplementedError
