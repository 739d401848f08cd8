"""Parsing: a command as a platform gives it (typed text, or structured options) into one
``CommandRequest``, parsed once, in the adapter's translation in. A malformed command
keeps its problem in the request, so the dispatcher answers it like any other failure."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.errors import UserInputError
from bot.ports import ChannelRef
from bot.schedules import OFF as SCHEDULE_OFF

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
# Reading the briefing length is for everyone, setting it for managers.
_MANAGER_OPTIONS = {"briefing length": ("stories", "bullets")}
# Commands whose answer the whole channel sees (unless it is an error).
PUBLIC_COMMANDS = frozenset({"stance", "briefing now"})
MAX_DAYS = 3650
MAX_OPTION_CHARS = 500
"""The most characters a command's text or any one of its options may hold, on every
platform (Discord declares it as each string option's ``max_length``; Slack's and the
console's typed text is held to it as a whole). Longer is refused before any work."""
EXCERPT_CHARS = 40
"""How much of what a user typed an error reply quotes back."""
_DAYS = re.compile(r"^(\d{1,5})\s*d?$", re.IGNORECASE)
_KEYED = re.compile(r"^(topic|days)[:=](.*)$", re.IGNORECASE)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """What a user typed, on one line and cut to ``limit`` characters (with "…"), for an
    error reply to quote: a reply never echoes a long input back."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def too_long(what: str, value: str) -> str | None:
    """Why ``value`` is refused when it is over ``MAX_OPTION_CHARS``; None when it fits."""
    if len(value) <= MAX_OPTION_CHARS:
        return None
    return f"That {what} is too long ({len(value):,} characters; at most {MAX_OPTION_CHARS:,})."


def check_options(options: Mapping[str, str]) -> None:
    """Refuse, before any work, an option over ``MAX_OPTION_CHARS`` or days out of range
    (``UserInputError``): structured options (Discord's) come here unparsed."""
    for key, value in options.items():
        problem = too_long(key, value)
        if problem is not None:
            raise UserInputError(problem)
    parse_days(options.get("days"))


def needs_manager(name: str, options: Mapping[str, str]) -> bool:
    """Whether running ``name`` with ``options`` is for managers only."""
    if name in MANAGER_COMMANDS:
        return True
    return any(options.get(key) for key in _MANAGER_OPTIONS.get(name, ()))


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """One command from one user in one channel, whatever the platform.

    ``name`` is a full command ("briefing topics add") with structured ``options``;
    ``problem`` says why a typed command did not parse (the dispatcher answers it).
    ``is_manager`` is computed by the adapter from the platform's permissions;
    ``cannot_post`` says why the bot cannot post in the channel, as the adapter found it
    when the command schedules briefings (``schedules_briefings``), so that a schedule is
    never accepted where no briefing could arrive.
    """

    name: str
    options: Mapping[str, str]
    channel: ChannelRef
    user_id: str
    is_manager: bool = False
    problem: str | None = field(default=None, compare=False)
    cannot_post: str | None = field(default=None, compare=False)

    @classmethod
    def from_text(
        cls,
        command: str,
        text: str,
        channel: ChannelRef,
        user_id: str,
        is_manager: bool = False,
    ) -> CommandRequest:
        """A command typed as text (Slack, the console), parsed here once; a text over
        ``MAX_OPTION_CHARS`` is refused unread."""
        problem = too_long("command", text)
        if problem is not None:
            name = command.strip().lstrip("/").lower()[:50]
            return cls(name, {}, channel, user_id, is_manager, problem=problem)
        try:
            name, options = parse_text(command, text)
        except UserInputError as exc:
            name, options = command.strip().lstrip("/").lower(), {}
            return cls(name, options, channel, user_id, is_manager, problem=str(exc))
        return cls(name, options, channel, user_id, is_manager)

    @property
    def needs_manager(self) -> bool:
        """Whether this command is reserved for managers (False when it did not parse:
        the parse error is what the user will see)."""
        return self.problem is None and needs_manager(self.name, self.options)

    @property
    def schedules_briefings(self) -> bool:
        """Whether this command would set briefings going (not ``off``): the adapter checks
        first that the bot can post in the channel (managers' commands only)."""
        if self.problem is not None or self.name != "briefing schedule":
            return False
        return self.options.get("schedule", "").strip().lower() not in SCHEDULE_OFF

    @property
    def public(self) -> bool:
        """Whether the answer is for the whole channel (errors never are)."""
        return self.problem is None and self.name in PUBLIC_COMMANDS


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


def split_words(text: str) -> list[str]:
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
        raise UserInputError(f"Unknown command /newsbrief {excerpt(text)}. Try /newsbrief help.")
    if command != "briefing":
        raise UserInputError(f"Unknown command /{excerpt(command)}. Try /newsbrief help.")
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
        raise UserInputError(
            f"Days must be a whole number from 1 to {MAX_DAYS}, not {excerpt(value)!r}."
        )
    return int(match.group(1))
