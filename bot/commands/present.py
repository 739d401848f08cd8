"""Presentation shared by every renderer: plain-text lines and cutting rules. Each
platform formats these its own way (escaping, markup, message sizes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.service import ChannelStatus, FeedStatus, StanceResult, StanceStory
from briefings.models import Briefing, Kind


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


def fit(text: str, max_chars: int, render: Callable[[str], str]) -> str:
    """``render(shorten(text, n))`` for the largest ``n`` whose result is at most
    ``max_chars`` long: a limit checked after escaping, cut before it, so an escape
    sequence ("&amp;", "\\*") is never cut in two."""
    out = render(shorten(text, max_chars))
    if len(out) <= max_chars:
        return out
    low, high = 0, max_chars - 1  # render(shorten(text, low)) fits; high may not
    best = render(shorten(text, 0))
    while low <= high:
        middle = (low + high) // 2
        candidate = render(shorten(text, middle))
        if len(candidate) <= max_chars:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


MAX_NOTICES = 5
NOTICE_CHARS = 280  # a notice line as shown, after the renderer's escaping


def notice_lines(briefing: Briefing, render: Callable[[str], str] = str) -> list[str]:
    """A briefing's notices rendered (escaped) by ``render``, each on one line of at most
    ``NOTICE_CHARS`` + 2 characters after rendering, at most ``MAX_NOTICES`` of them."""
    lines = [f"⚠ {fit(n, NOTICE_CHARS, render)}" for n in briefing.notices[:MAX_NOTICES]]
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
    if status.paused_reason:
        lines.insert(
            1,
            f"Paused after {status.delivery_failures} failed deliveries: {status.paused_reason}"
            " (/briefing schedule resumes)",
        )
    if status.last_failure and status.failure_reason:
        lines.insert(
            3, f"Last failed delivery: {_when(status.last_failure)}: {status.failure_reason}"
        )
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
