"""Replies and briefings as plain terminal text: pure functions."""

from __future__ import annotations

from bot.commands import (
    BriefingReply,
    ErrorReply,
    FeedsReply,
    Reply,
    StanceReply,
    StatusReply,
    as_said,
    feed_line,
    format_date,
    in_story,
    older_line,
    shorten,
    side_on,
    stance_stories_of,
    stance_summary,
    status_lines,
)
from bot.service import StanceResult
from briefings.models import Briefing
from briefings.render import render_briefing_text

STANCE_WORDS = 300


def _printable(text: str) -> str:
    """Drop control characters (terminal escape sequences) from article text."""
    return "".join(c for c in text if c.isprintable() or c in "\n\t")


def render_briefing(briefing: Briefing) -> str:
    """The briefing as plain text, exactly as ``newsbrief brief --dry-run`` prints it."""
    return render_briefing_text(briefing)


def render_stance(result: StanceResult) -> str:
    """The one-line summary, then each statement newest first."""
    lines = [_printable(stance_summary(result))]
    for story in stance_stories_of(result):
        st = story.best
        who = st.speaker_name + (f", {st.role}" if st.role else "")
        side = side_on(story.side.value, story.issue)
        parts = [who, format_date(story.published), *([side] if side else []), st.outlet]
        lines.append(_printable(f"- {' · '.join(parts)} <{st.url}>"))
        words = as_said(shorten(st.text, STANCE_WORDS), st.kind)
        lines.append(_printable(f"  {words}{in_story(story)}"))
    if older_line(result):
        lines.append(older_line(result))
    if not result.statements:
        lines.append("No statements found.")
    return "\n".join(lines)


def render_reply(reply: Reply) -> str:
    """A command's reply as terminal text."""
    match reply:
        case StanceReply(stance=result):
            return render_stance(result)
        case BriefingReply(briefing=briefing):
            return render_briefing(briefing)
        case StatusReply(status=status):
            return "\n".join(_printable(line) for line in status_lines(status))
        case FeedsReply(text=text, feeds=feeds) if feeds:
            return "\n".join([text, *(_printable("- " + feed_line(f)) for f in feeds)])
        case ErrorReply(text=text):
            return _printable("error: " + text)
    return _printable(reply.text)
