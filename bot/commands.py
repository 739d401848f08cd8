"""The platform-neutral command layer: a ``CommandRequest`` in, a ``Reply`` out.

Adapters translate a platform event (a Discord interaction, a Slack slash command,
a line typed in the terminal) into a ``CommandRequest`` and render the ``Reply``.
Parsing, permission checks and the one place that turns failures into user text
live here, so every platform behaves the same.

Commands (names are a contract):
``stance`` · ``briefing now`` · ``briefing schedule`` · ``briefing topics add|remove|list``
· ``briefing feeds add|remove|list|defaults`` · ``briefing status`` · ``briefing length``
· ``newsbrief help``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import (
    NewsbriefError,
    PermissionDeniedError,
    UnknownActorError,
    UserInputError,
)
from bot.ports import ChannelRef
from bot.service import (
    ChannelStatus,
    FeedStatus,
    Service,
    StanceResult,
    StanceStory,
)
from briefings.models import Briefing, Kind

log = logging.getLogger(__name__)

TOP_LEVEL = ("stance", "briefing", "newsbrief")
COMMANDS = (
    "stance",
    "briefing now",
    "briefing schedule",
    "briefing topics add",
    "briefing topics remove",
    "briefing topics list",
    "briefing feeds add",
    "briefing feeds remove",
    "briefing feeds list",
    "briefing feeds defaults",
    "briefing status",
    "briefing length",
    "newsbrief help",
)
# What changes a channel's configuration, or posts in it for everyone, needs a manager.
# Everyone may ask /stance, /briefing status, the read-only lists and help.
MANAGER_COMMANDS = frozenset(
    {
        "briefing now",
        "briefing schedule",
        "briefing topics add",
        "briefing topics remove",
        "briefing feeds add",
        "briefing feeds remove",
        "briefing feeds defaults",
    }
)
MAX_DAYS = 3650
STANCE_LIMIT = 20
GENERIC_ERROR = "Something went wrong on our side. It has been logged; please try again later."
DENIED = (
    "Only a channel manager can change this channel's briefings "
    "(Discord: Manage Channels permission; Slack: a workspace admin or a configured manager)."
)
_TEXT_KEY = "_text"
_DAYS = re.compile(r"^(\d{1,5})\s*d?$", re.IGNORECASE)
_KEYED = re.compile(r"^(topic|days)[:=](.*)$", re.IGNORECASE)

HELP_TEXT = """\
newsbrief: who said what in the news.
/stance <actor> [topic] [days] - what a country, organisation or person has said, newest first.
    e.g. /stance Germany · /stance "United States" trade 30 · /stance Scholz topic:energy days:7
/briefing now - post this channel's briefing of what is new (managers)
/briefing schedule <cron or "daily 08:00"> [timezone] - when briefings arrive (managers)
/briefing topics add|remove <words> · /briefing topics list - what briefings cover
/briefing feeds add|remove <url> · /briefing feeds list - where the news comes from
/briefing feeds defaults - subscribe to the default world news feeds (managers)
/briefing status - feeds with their last poll and failures, the next delivery
/briefing length [stories] [bullets] - how many stories a briefing shows in full, and bullets
    each (default 8 and 4; setting it is for managers)
/newsbrief help - this text"""


class ReplyKind(StrEnum):
    """What a reply carries, so each platform can render it its own way."""

    TEXT = "text"
    ERROR = "error"
    HELP = "help"
    STANCE = "stance"
    BRIEFING = "briefing"
    STATUS = "status"
    FEEDS = "feeds"
    TOPICS = "topics"


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command from one user in one channel, whatever the platform.

    ``name`` is a full command ("briefing topics add") with structured ``options``, or a
    top-level word ("briefing") whose arguments are still text (see ``from_text``).
    ``is_manager`` is computed by the adapter from the platform's permissions.
    """

    name: str
    options: Mapping[str, str]
    channel: ChannelRef
    user_id: str
    is_manager: bool = False

    @classmethod
    def from_text(
        cls,
        command: str,
        text: str,
        channel: ChannelRef,
        user_id: str,
        is_manager: bool = False,
    ) -> CommandRequest:
        """A command typed as text (Slack, the console): parsed later, inside ``handle``,
        so a malformed one gets the same error reply as any other failure."""
        return cls(
            command.strip().lstrip("/").lower(), {_TEXT_KEY: text}, channel, user_id, is_manager
        )

    def resolved(self) -> CommandRequest:
        """This request with its text arguments parsed; raises ``UserInputError``."""
        if _TEXT_KEY not in self.options:
            if self.name not in COMMANDS:
                raise UserInputError(f"Unknown command {self.name!r}. Try /newsbrief help.")
            return self
        name, options = parse_text(self.name, self.options[_TEXT_KEY])
        return CommandRequest(name, options, self.channel, self.user_id, self.is_manager)

    @property
    def needs_manager(self) -> bool:
        """Whether this command is reserved for managers (False when it does not parse:
        the parse error is what the user will see)."""
        try:
            return self.resolved().name in MANAGER_COMMANDS
        except UserInputError:
            return False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a reply carries where the platform can show it (the /stance picture)."""

    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A neutral answer. ``text`` is plain text without markup (renderers escape it);
    the structured fields carry what a platform renders richly."""

    kind: ReplyKind
    text: str
    ephemeral: bool = True
    stance: StanceResult | None = None
    briefing: Briefing | None = None
    status: ChannelStatus | None = None
    feeds: tuple[FeedStatus, ...] = ()
    topics: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    files: tuple[Attachment, ...] = ()


# --- parsing -------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        return text.split()


def _looks_like_zone(token: str) -> bool:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-/]*", token):
        return False
    if "/" in token:  # Area/Location: the service checks it and names a bad one
        return True
    try:
        ZoneInfo(token)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _words(text: str) -> list[str]:
    """Topic words: comma-separated when there are commas ("energy policy, gas"), else words."""
    parts = text.split(",") if "," in text else text.split()
    return [p.strip() for p in parts if p.strip()]


def _parse_stance(text: str) -> dict[str, str]:
    tokens = _split(text)
    options: dict[str, str] = {}
    positional: list[str] = []
    for token in tokens:
        keyed = _KEYED.match(token)
        if keyed:
            options[keyed.group(1).lower()] = keyed.group(2).strip()
        else:
            positional.append(token)
    if "days" not in options and len(positional) > 1 and _DAYS.match(positional[-1]):
        options["days"] = positional.pop()
    if not positional:
        raise UserInputError(
            "Whose stance? Usage: /stance <actor> [topic] [days], e.g. /stance Germany"
        )
    if text.lstrip()[:1] in ("'", '"') or "topic" in options:
        # The actor is explicit (quoted, or the topic is keyed): the rest is the topic.
        options["actor"] = positional[0]
        if positional[1:]:
            options.setdefault("topic", " ".join(positional[1:]))
    else:
        options["query"] = " ".join(positional)
    return options


def parse_text(command: str, text: str) -> tuple[str, dict[str, str]]:
    """Parse a typed command ("briefing", "topics add climate") into a full name and options."""
    command = command.strip().lstrip("/").lower()
    text = text.strip()
    if command == "stance":
        return "stance", _parse_stance(text)
    if command == "newsbrief":
        if text.lower() in ("", "help"):
            return "newsbrief help", {}
        raise UserInputError(f"Unknown command /newsbrief {text}. Try /newsbrief help.")
    if command != "briefing":
        raise UserInputError(f"Unknown command /{command}. Try /newsbrief help.")
    head, _, rest = text.partition(" ")
    head, rest = head.lower(), rest.strip()
    if head in ("now", "status"):
        return f"briefing {head}", {}
    if head == "length":
        return "briefing length", _parse_length(rest)
    if head == "schedule":
        tokens = rest.split()
        if not tokens:
            raise UserInputError(
                'When? Usage: /briefing schedule <cron or "daily 08:00"> [timezone]'
            )
        options = {"timezone": "UTC"}
        if len(tokens) > 1 and _looks_like_zone(tokens[-1]):
            options["timezone"] = tokens.pop()
        options["schedule"] = " ".join(tokens).strip("\"'")
        return "briefing schedule", options
    if head in ("topics", "feeds"):
        action, _, arg = rest.partition(" ")
        action, arg = (action.lower() or "list"), arg.strip()
        if action == "defaults" and head == "feeds":
            return "briefing feeds defaults", {}
        if action not in ("add", "remove", "list"):
            extra = "|defaults" if head == "feeds" else ""
            raise UserInputError(f"Usage: /briefing {head} add|remove|list{extra} ...")
        if action == "list":
            return f"briefing {head} list", {}
        if not arg:
            what = "<words>" if head == "topics" else "<url>"
            raise UserInputError(f"Usage: /briefing {head} {action} {what}")
        key = "words" if head == "topics" else "url"
        return f"briefing {head} {action}", {key: arg}
    raise UserInputError(
        "Usage: /briefing now | schedule | topics | feeds | status | length. Try /newsbrief help."
    )


_LENGTH_KEYS = ("stories", "bullets")


def _parse_length(text: str) -> dict[str, str]:
    """ "5 3", "5", "stories:5 bullets:3" or "bullets=2" into stories/bullets options."""
    options: dict[str, str] = {}
    positional: list[str] = []
    for token in text.split():
        key, sep, value = token.partition(":") if ":" in token else token.partition("=")
        if sep:
            if key.lower() not in _LENGTH_KEYS:
                raise UserInputError("Usage: /briefing length [stories] [bullets], e.g. 6 3")
            options[key.lower()] = value
        else:
            positional.append(token)
    for key, value in zip((k for k in _LENGTH_KEYS if k not in options), positional, strict=False):
        options[key] = value
    if len(positional) > 2 or not all(v.isdigit() for v in options.values()):
        raise UserInputError("Usage: /briefing length [stories] [bullets], e.g. 6 3")
    return options


def parse_line(line: str) -> tuple[str, str]:
    """A line typed in the terminal ("/stance Germany") as (command, argument text)."""
    head, _, rest = line.strip().partition(" ")
    return head.lstrip("/").lower(), rest.strip()


def parse_days(value: str | None) -> int | None:
    """A number of days ("30" or "30d"), checked for range; None when not given."""
    if value is None or not value.strip():
        return None
    match = _DAYS.match(value.strip())
    if not match or not 1 <= int(match.group(1)) <= MAX_DAYS:
        raise UserInputError(f"Days must be a whole number from 1 to {MAX_DAYS}, not {value!r}.")
    return int(match.group(1))


# --- shared formatting helpers (used by every renderer) ------------------------------


def shorten(text: str, max_chars: int) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than
    ``max_chars``; the words kept are verbatim."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    if max_chars <= 1:
        return "…"[:max_chars]
    window = text[: max_chars - 1]
    cut = window.rfind(" ")
    if cut < max_chars // 2:
        cut = max_chars - 1
    return window[:cut].rstrip(" ,;:") + "…"


MAX_NOTICES = 5


def notice_lines(briefing: Briefing) -> list[str]:
    """A briefing's notices, each on one line and bounded, at most ``MAX_NOTICES`` of them."""
    lines = [f"⚠ {shorten(n, 280)}" for n in briefing.notices[:MAX_NOTICES]]
    if len(briefing.notices) > MAX_NOTICES:
        lines.append(f"⚠ and {len(briefing.notices) - MAX_NOTICES} more: see /briefing status")
    return lines


def as_said(words: str, kind: Kind) -> str:
    """Quotation marks only round verbatim speech: reported words are the outlet's
    paraphrase, and mixed speech carries its own marks."""
    return f"“{words}”" if kind is Kind.DIRECT else words


def side_on(stance: str, issue: str) -> str:
    """A side with what it is on: "opposes: troops in Ukraine"; the side alone when the
    issue is unknown, nothing when the statement takes none ("unclear")."""
    if stance == "unclear":
        return ""
    return f"{stance}: {issue}" if issue else stance


def stance_stories_of(result: StanceResult) -> tuple[StanceStory, ...]:
    """The stories of a /stance answer; one per statement when none were made."""
    if result.stories or not result.statements:
        return result.stories
    return tuple(StanceStory(st.published, st.issue, st.stance, st) for st in result.statements)


def in_story(story: StanceStory) -> str:
    """ " (+2 more in this story)" when more statements stand behind the quote shown."""
    more = story.statements - 1
    return f" (+{more} more in this story)" if more > 0 else ""


def older_line(result: StanceResult) -> str:
    """How many of the actor's statements the answer leaves out, or nothing."""
    n = result.older
    return f"… and {n} older statement{'s' if n != 1 else ''}" if n else ""


def format_date(value: datetime | None) -> str:
    """A date as it reads in chat: 2024-03-05, or "undated"."""
    return value.strftime("%Y-%m-%d") if value else "undated"


def stance_summary(result: StanceResult) -> str:
    """The one-line summary on top of a /stance answer."""
    summary = result.summary
    count = summary.statements
    noun = "statement" if count == 1 else "statements"
    line = f"{result.actor.name}: {count} {noun}"
    if summary.first and summary.last:
        first, last = format_date(summary.first), format_date(summary.last)
        line += f", {first}" if first == last else f", {first} to {last}"
    counts = [f"{n} {stance}" for stance, n in summary.stances.items() if n]
    if counts:
        line += " (" + ", ".join(counts) + ")"
    if result.matched_as:
        line += f" · matched as {result.matched_as}"
    return line


def status_lines(status: ChannelStatus) -> list[str]:
    """/briefing status as plain lines: schedule, topics, then each feed."""
    lines = [
        f"Schedule: {status.schedule} ({status.timezone})" if status.schedule else "Schedule: none",
        f"Next delivery: {_when(status.next_delivery)}",
        f"Last delivery: {_when(status.last_delivery)}",
        "Topics: " + (", ".join(status.topics) if status.topics else "all news"),
    ]
    if not status.feeds:
        lines.append("Feeds: none")
    for feed in status.feeds:
        lines.append("Feed: " + feed_line(feed))
    return lines


def feed_line(feed: FeedStatus) -> str:
    """One feed's health: URL, title, last poll, failures."""
    state = "disabled" if feed.disabled else "active"
    line = (
        f"{feed.url} ({feed.title or 'untitled'}) · {state} · last polled {_when(feed.last_polled)}"
    )
    if feed.failures:
        line += f" · {feed.failures} failure{'s' if feed.failures != 1 else ''}"
    if feed.last_error:
        line += f": {feed.last_error}"
    return line


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip() if value else "never"


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, in order, nothing lost: cut at a
    line break, else a space (the one whitespace character cut at is dropped), else
    anywhere but inside an ``&entity;`` or after an escaping backslash."""
    if limit < 16:
        raise ValueError("limit too small to split text sensibly")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut >= limit // 2:
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
            continue
        cut = limit
        amp = window.rfind("&", limit - 10)
        if amp > 0 and ";" not in window[amp:]:
            cut = amp
        while cut > 1 and rest[cut - 1] == "\\":
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def pack(parts: Sequence[str], limit: int, sep: str = "\n") -> list[str]:
    """Join ``parts`` with ``sep`` into as few chunks of at most ``limit`` characters as
    possible, keeping their order; a part longer than ``limit`` is split on its own."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        for piece in split_text(part, limit) if len(part) > limit else [part]:
            candidate = f"{current}{sep}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


# --- dispatch --------------------------------------------------------------------------


async def handle(service: Service, request: CommandRequest) -> Reply:
    """Answer one command. The one place that turns failures into user text: expected
    ones (``NewsbriefError``) become their message; anything else is logged with its
    traceback and the user gets a generic line. Errors and refusals are ephemeral."""
    try:
        resolved = request.resolved()
        if resolved.name in MANAGER_COMMANDS and not resolved.is_manager:
            raise PermissionDeniedError(DENIED)
        return await _dispatch(service, resolved)
    except UnknownActorError as exc:
        return Reply(ReplyKind.ERROR, str(exc), suggestions=tuple(exc.suggestions))
    except NewsbriefError as exc:
        return Reply(ReplyKind.ERROR, str(exc) or type(exc).__name__)
    except Exception:
        log.exception("command %s in %s failed", request.name, request.channel)
        return Reply(ReplyKind.ERROR, GENERIC_ERROR)


async def _dispatch(service: Service, request: CommandRequest) -> Reply:
    name, opts, channel = request.name, request.options, request.channel
    if name == "stance":
        return await _stance(service, opts)
    if name == "newsbrief help":
        return Reply(ReplyKind.HELP, HELP_TEXT)
    if name == "briefing now":
        briefing = await service.briefing_now(channel)
        if not briefing.stories and not briefing.notices:
            return Reply(ReplyKind.TEXT, "Nothing new since the last briefing.", ephemeral=True)
        return Reply(ReplyKind.BRIEFING, briefing.title, ephemeral=False, briefing=briefing)
    if name == "briefing schedule":
        timezone = opts.get("timezone") or "UTC"
        cron = await service.set_schedule(channel, opts.get("schedule", ""), timezone)
        return Reply(ReplyKind.TEXT, f"Briefings scheduled: {cron} ({timezone}).")
    if name == "briefing status":
        status = await service.status(channel)
        return Reply(ReplyKind.STATUS, "Briefing status of this channel", status=status)
    if name == "briefing length":
        return await _length(service, request)
    if name.startswith("briefing topics "):
        return await _topics(service, channel, name.rsplit(" ", 1)[1], opts.get("words", ""))
    if name.startswith("briefing feeds "):
        return await _feeds(service, channel, name.rsplit(" ", 1)[1], opts.get("url", ""))
    raise UserInputError(f"Unknown command {name!r}. Try /newsbrief help.")


async def _stance(service: Service, opts: Mapping[str, str]) -> Reply:
    days = parse_days(opts.get("days"))
    since = timedelta(days=days) if days else None
    topic = (opts.get("topic") or "").strip() or None
    if "query" in opts:
        result = await _stance_by_query(service, opts["query"], since)
    else:
        actor = (opts.get("actor") or "").strip()
        if not actor:
            raise UserInputError("Whose stance? Usage: /stance <actor> [topic] [days]")
        result = await service.stance(actor, topic=topic, since=since, limit=STANCE_LIMIT)
    return Reply(
        ReplyKind.STANCE,
        stance_summary(result),
        ephemeral=False,
        stance=result,
        files=await _positions_picture(result),
    )


async def _positions_picture(result: StanceResult) -> tuple[Attachment, ...]:
    """The actor's positions over time as a PNG, for an actor with two or more dated
    statements (drawn in a worker thread: matplotlib takes a moment)."""
    from bot.chart import FILENAME, positions_png

    if result.summary.statements < 2:
        return ()
    png = await asyncio.to_thread(positions_png, result)
    if png is None:
        return ()
    return (Attachment(FILENAME, png, f"{result.actor.name}: positions over time"),)


async def _stance_by_query(service: Service, query: str, since: timedelta | None) -> StanceResult:
    """``/stance United States trade``: the longest leading words naming an actor are the
    actor, the rest the topic (at most four tries, longest first)."""
    words = query.split()
    suggestions: list[str] = []
    first_error: UnknownActorError | None = None
    for cut in range(len(words), max(0, len(words) - 4), -1):
        actor, topic = " ".join(words[:cut]), " ".join(words[cut:]) or None
        try:
            return await service.stance(actor, topic=topic, since=since, limit=STANCE_LIMIT)
        except UnknownActorError as exc:
            first_error = first_error or exc
            suggestions.extend(s for s in exc.suggestions if s not in suggestions)
    assert first_error is not None
    raise UnknownActorError(first_error.name, suggestions[:5])


async def _length(service: Service, request: CommandRequest) -> Reply:
    opts, channel = request.options, request.channel
    if opts.get("stories") or opts.get("bullets"):
        if not request.is_manager:
            raise PermissionDeniedError(DENIED)
        stories, bullets = opts.get("stories"), opts.get("bullets")
        budget = await service.set_length(
            channel, int(stories) if stories else None, int(bullets) if bullets else None
        )
        head = "Briefing length set"
    else:
        budget = await service.get_length(channel)
        head = "Briefing length"
    return Reply(
        ReplyKind.TEXT,
        f"{head}: {budget.stories} stories in full, {budget.bullets} bullets each;"
        " the rest one line each under “Also:”.",
    )


async def _topics(service: Service, channel: ChannelRef, action: str, text: str) -> Reply:
    if action == "list":
        topics = await service.list_topics(channel)
    else:
        words = _words(text)
        if not words:
            raise UserInputError(f"Usage: /briefing topics {action} <words>")
        if action == "add":
            topics = await service.add_topics(channel, words)
        else:
            topics = await service.remove_topics(channel, words)
    text = "Topics: " + ", ".join(topics) if topics else "Topics: none (briefings cover all news)"
    return Reply(ReplyKind.TOPICS, text, topics=tuple(topics))


async def _feeds(service: Service, channel: ChannelRef, action: str, url: str) -> Reply:
    url = url.strip()
    if url.startswith("<") and url.endswith(">"):  # Slack wraps links: <https://x|label>
        url = url[1:-1].split("|", 1)[0]
    if action == "add":
        feed = await service.add_feed(channel, url)
        return Reply(ReplyKind.FEEDS, f"Feed added: {feed.url}", feeds=(feed,))
    if action == "remove":
        await service.remove_feed(channel, url)
        return Reply(ReplyKind.TEXT, f"Feed removed: {url}")
    if action == "defaults":
        from bot.defaults import default_feeds

        added = [await service.add_feed(channel, feed_url) for feed_url, _ in default_feeds()]
        text = f"Subscribed to {len(added)} default world news feeds (see config/feeds.opml)."
        return Reply(ReplyKind.FEEDS, text, feeds=tuple(added))
    feeds = await service.list_feeds(channel)
    text = f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}" if feeds else "No feeds yet."
    return Reply(ReplyKind.FEEDS, text, feeds=tuple(feeds))
