"""The application's outward boundary: what an adapter implements to receive briefings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from briefings.models import Briefing


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A place briefings go: ("discord", guild id, channel id), ("slack", team id, channel id),
    ("console", "local", name)."""

    platform: str
    workspace: str
    channel: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel}"


class Publisher(Protocol):
    """Posts a briefing to one channel of one platform. Adapters implement it."""

    platform: str

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        """Deliver ``briefing``; raise ``bot.errors.PublishError`` when the platform refuses."""
        ...
