"""Replies and briefings as plain terminal text: pure functions."""

from __future__ import annotations

from bot.commands import (
    Reply,
    ReplyKind,
    as_said,
    byline,
    feed_line,
    format_date,
    notice_lines,
    shorten,
    stance_summary,
    stance_tag,
    status_lines,
)
from bot.service import StanceResult
from briefings.models import Briefing, Bullet

STANCE_WORDS = 300


def _printable(text: str) -> str:
    """Drop control characters (terminal escape sequences) from article text."""
    return "".join(c for c in text if c.isprintable() or c in "\n\t")


def bullet_line(bullet: Bullet) -> str:
    separator, who = byline(bullet)
    words = as_said(bullet.text, bullet.kind)
    return _printable(f"  • {bullet.label}{separator}{who}: {words}{stance_tag(bullet)}")


def render_briefing(briefing: Briefing) -> str:
    """Title, then each story (title, outlet, date, link) with its bullets."""
    title = briefing.title + (
        f" · {format_date(briefing.generated)}"
        if briefing.generated and format_date(briefing.generated) not in briefing.title
        else ""
    )
    lines = [f"═══ {_printable(title)} ═══"]
    lines.extend(_printable(n) for n in notice_lines(briefing))
    if not briefing.stories:
        lines.append("Nothing new since the last briefing.")
    for story in briefing.stories:
        where = " · ".join(p for p in (story.outlet, format_date(story.published)) if p)
        lines.append("")
        lines.append(_printable(f"{story.title or 'Untitled story'} ({where})"))
        if story.url:
            lines.append(_printable(f"  {story.url}"))
        lines.extend(bullet_line(b) for b in story.bullets)
    return "\n".join(lines)


def render_stance(result: StanceResult) -> str:
    """The one-line summary, then each statement newest first."""
    lines = [_printable(stance_summary(result))]
    for st in result.statements:
        who = st.speaker_name + (f", {st.role}" if st.role else "")
        lines.append(_printable(f"- {who} · {format_date(st.published)} · {st.outlet} <{st.url}>"))
        lines.append(_printable(f"  {as_said(shorten(st.text, STANCE_WORDS), st.kind)}"))
    if not result.statements:
        lines.append("No statements found.")
    return "\n".join(lines)


def render_reply(reply: Reply) -> str:
    """A command's reply as terminal text."""
    if reply.kind is ReplyKind.STANCE and reply.stance is not None:
        return render_stance(reply.stance)
    if reply.kind is ReplyKind.BRIEFING and reply.briefing is not None:
        return render_briefing(reply.briefing)
    if reply.kind is ReplyKind.STATUS and reply.status is not None:
        return "\n".join(_printable(line) for line in status_lines(reply.status))
    if reply.kind is ReplyKind.FEEDS and reply.feeds:
        return "\n".join([reply.text, *(_printable("- " + feed_line(f)) for f in reply.feeds)])
    if reply.kind is ReplyKind.ERROR:
        return _printable("error: " + reply.text)
    return _printable(reply.text)
