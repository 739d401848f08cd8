"""Typed replies: what a command answers, one small dataclass per kind, that every
renderer formats. ``text`` is plain text without markup (renderers escape it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from bot.commands.present import stance_summary
from bot.service import ChannelStatus, FeedStatus, StanceResult
from briefings.models import Briefing


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a reply carries where the platform can show it (the /stance picture)."""

    filename: str
    data: bytes
    description: str = ""


class ReplyKind(StrEnum):
    """What a reply carries (each reply class has one)."""

    TEXT = "text"
    ERROR = "error"
    HELP = "help"
    STANCE = "stance"
    BRIEFING = "briefing"
    STATUS = "status"
    FEEDS = "feeds"
    TOPICS = "topics"


@dataclass(frozen=True, slots=True)
class TextReply:
    """A line of confirmation ("Feed removed: …"), seen by the asker only."""

    kind: ClassVar[ReplyKind] = ReplyKind.TEXT
    files: ClassVar[tuple[Attachment, ...]] = ()
    text: str
    ephemeral: bool = True


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """What went wrong, in words for the user; ``suggestions`` for an unknown actor."""

    kind: ClassVar[ReplyKind] = ReplyKind.ERROR
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = True
    text: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HelpReply:
    kind: ClassVar[ReplyKind] = ReplyKind.HELP
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = True
    text: str


@dataclass(frozen=True, slots=True)
class StanceReply:
    """/stance: the whole channel sees it."""

    kind: ClassVar[ReplyKind] = ReplyKind.STANCE
    ephemeral: ClassVar[bool] = False
    stance: StanceResult
    files: tuple[Attachment, ...] = ()

    @property
    def text(self) -> str:
        return stance_summary(self.stance)


@dataclass(frozen=True, slots=True)
class BriefingReply:
    """/briefing now: posted for the whole channel."""

    kind: ClassVar[ReplyKind] = ReplyKind.BRIEFING
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = False
    briefing: Briefing

    @property
    def text(self) -> str:
        return self.briefing.title


@dataclass(frozen=True, slots=True)
class StatusReply:
    kind: ClassVar[ReplyKind] = ReplyKind.STATUS
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = True
    status: ChannelStatus
    text: str = "Briefing status of this channel"


@dataclass(frozen=True, slots=True)
class FeedsReply:
    """A feed added, or the channel's feeds; ``text`` heads the list."""

    kind: ClassVar[ReplyKind] = ReplyKind.FEEDS
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = True
    text: str
    feeds: tuple[FeedStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicsReply:
    kind: ClassVar[ReplyKind] = ReplyKind.TOPICS
    files: ClassVar[tuple[Attachment, ...]] = ()
    ephemeral: ClassVar[bool] = True
    topics: tuple[str, ...]

    @property
    def text(self) -> str:
        if not self.topics:
            return "Topics: none (briefings cover all news)"
        return "Topics: " + ", ".join(self.topics)


Reply = (
    TextReply
    | ErrorReply
    | HelpReply
    | StanceReply
    | BriefingReply
    | StatusReply
    | FeedsReply
    | TopicsReply
)
