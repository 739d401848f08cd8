"""The application's outward boundary: what an adapter implements to receive briefings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class MessagePublisher(Publisher, Protocol):
    """A publisher that posts a briefing message by message, so a delivery can count them,
    resume at the first one not sent, and skip one the platform refuses as it is. Both
    chat adapters are; ``publish`` is ``send`` of every message ``render`` gives."""

    def render(self, briefing: Briefing) -> Sequence[object]:
        """The briefing's messages, in order (pure: the same briefing, the same messages)."""
        ...

    async def send(self, channel: ChannelRef, message: object, key: str | None = None) -> None:
        """Post one message; raise ``PublishError`` (``rejected`` for this message only).

        ``key`` is the same at every attempt at this message of this delivery (a resume
        after a stop or a failure asks again for the one whose answer never came), so a
        platform that can refuse a repeat posts it once (Discord's enforced nonce);
        ``None`` for a message of its own (a notice)."""
        ...


@runtime_checkable
class DirectPublisher(MessagePublisher, Protocol):
    """A publisher that can also write to one person of the channel's workspace (a direct
    message): how a manager hears that the channel itself cannot be posted in."""

    async def send_direct(self, channel: ChannelRef, user_id: str, message: object) -> None:
        """Post one of ``render``'s messages to ``user_id`` directly; raise ``PublishError``."""
        ...


def message_key(channel: ChannelRef, slot: datetime, n: int) -> str:
    """The key of message ``n`` (0-based) of the channel's delivery for ``slot``: the same
    at every attempt (see ``MessagePublisher.send``)."""
    return f"{channel}|{slot.isoformat()}|{n}"


def messages_of(publisher: Publisher, briefing: Briefing) -> Sequence[object]:
    """What ``publisher`` posts for ``briefing``: its messages, or the briefing as one."""
    if isinstance(publisher, MessagePublisher):
        return publisher.render(briefing)
    return [briefing]


async def send_message(
    publisher: Publisher, channel: ChannelRef, message: object, key: str | None = None
) -> None:
    """Post one of ``messages_of``'s messages (``key``: see ``MessagePublisher.send``)."""
    if isinstance(publisher, MessagePublisher):
        await publisher.send(channel, message, key)
    else:
        assert isinstance(message, Briefing)
        await publisher.publish(channel, message)
