"""Replies and briefings as Discord messages: pure functions, embeds as plain dicts.

Every limit of Discord is respected (see the constants); what does not fit one embed
or one message is split across more, in order, with nothing dropped. All article text
is markdown-escaped and has its mentions broken (a zero-width space after "@"), in
addition to ``allowed_mentions=none`` on every send.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from discord.utils import escape_markdown

from bot.commands import (
    BriefingReply,
    ErrorReply,
    FeedsReply,
    Reply,
    StanceReply,
    StatusReply,
    as_said,
    feed_line,
    fit,
    format_date,
    in_story,
    notice_lines,
    older_line,
    shorten,
    side_on,
    split_text,
    stance_stories_of,
    stance_summary,
    status_lines,
)
from bot.service import StanceResult, StanceStory
from briefings.models import Briefing, Bullet, StoryBrief
from briefings.render import bullet_parts, more_line, outlets_tag, split_line, story_meta

CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
URL_MAX = 2048
STANCE_WORDS = 300  # a /stance line shows this much of the words, then "…"
COLOUR = 0x2B6CB0
ERROR_COLOUR = 0xC53030

Embed = dict[str, Any]
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,21})", re.IGNORECASE)
_ROLE_OR_USER = re.compile(r"<([@#])")


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message to send: content and up to ten embeds."""

    content: str = ""
    embeds: tuple[Embed, ...] = field(default_factory=tuple)
    ephemeral: bool = False


def neutralise(text: str) -> str:
    """Break "@everyone", "@here" and <@id>/<@&id>/<#id> so text can never ping."""
    text = _MENTION.sub("@\u200b\\1", text)
    return _ROLE_OR_USER.sub("<\u200b\\1", text)


def clean(text: str) -> str:
    """Article (or user) text made inert: markdown escaped, mentions broken."""
    return neutralise(escape_markdown(text))


def safe_url(url: str) -> str | None:
    """An http(s) URL fit for an embed or a masked link; None for anything else."""
    url = url.strip()
    if not re.match(r"https?://[^\s/]+", url, re.IGNORECASE):
        return None
    # Checked once encoded: a non-ASCII character grows to up to 12 (a 733-character IRI
    # became 4,219), and Discord refuses the whole message for one link over the limit.
    target = quote(url, safe=":/?#[]@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")
    return target if len(target) <= URL_MAX else None


def _link(text: str, url: str) -> str:
    target = safe_url(url)
    label = clean(text).replace("[", "(").replace("]", ")")
    return f"[{label}]({target})" if target else label


def embed_size(embed: Embed) -> int:
    """The characters Discord counts toward the 6000 of a message."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    for item in embed.get("fields", ()):
        size += len(item.get("name", "")) + len(item.get("value", ""))
    return size


@dataclass(frozen=True, slots=True)
class Section:
    """What becomes one embed, or several when its lines do not fit one."""

    title: str
    lines: Sequence[str]
    url: str | None = None
    footer: str = ""
    colour: int = COLOUR


def _pieces(lines: Sequence[str]) -> list[str]:
    """Lines, any longer than a description split at word boundaries (nothing dropped)."""
    out: list[str] = []
    for line in lines:
        out.extend(split_text(line, EMBED_DESCRIPTION) if len(line) > EMBED_DESCRIPTION else [line])
    return out or [""]


def pack_messages(
    sections: Sequence[Section], content: str = "", ephemeral: bool = False
) -> list[DiscordMessage]:
    """Sections' lines, in order, into as few messages as every limit allows: a line joins
    the current embed while its description stays within 4096 and the message within
    6000; otherwise a continuation embed starts, in a new message after 10 embeds or
    when the message is full."""
    messages: list[DiscordMessage] = []
    embeds: list[Embed] = []
    used = 0

    def flush() -> None:
        nonlocal embeds, used
        messages.append(DiscordMessage(content if not messages else "", tuple(embeds), ephemeral))
        embeds, used = [], 0

    for section in sections:
        # Short title and footer: with a full description an embed stays under 6000.
        title = shorten(section.title, EMBED_TITLE - 12)
        footer = shorten(section.footer, EMBED_TITLE)
        current: Embed | None = None
        part = 0
        for piece in _pieces(section.lines):
            if current is not None and "description" in current:
                joined = current["description"] + "\n" + piece
                grow = len(piece) + 1
                if len(joined) <= EMBED_DESCRIPTION and used + grow <= EMBED_TOTAL:
                    current["description"] = joined
                    used += grow
                    continue
            part += 1
            embed: Embed = {"title": title if part == 1 else f"{title} (cont. {part})"}
            embed["color"] = section.colour
            if piece:
                embed["description"] = piece
            if section.url:
                embed["url"] = section.url
            if footer:
                embed["footer"] = {"text": footer}
            size = embed_size(embed)
            if embeds and (len(embeds) == EMBEDS_PER_MESSAGE or used + size > EMBED_TOTAL):
                flush()
            embeds.append(embed)
            used += size
            current = embed
    if embeds or not messages:
        flush()
    return messages


def bullet_line(bullet: Bullet) -> str:
    """**Anna Weber** (Germany, Chancellor) said: “words” (supports)"""
    parts = bullet_parts(bullet)
    head = f"**{clean(parts.name)}**" + (f" ({clean(parts.qualifier)})" if parts.qualifier else "")
    return f"{head} {'; '.join(clean(s) for s in parts.sayings)}{parts.stance}"


def sources_line(story: StoryBrief) -> str:
    """Each outlet of a story once, as a link to its report."""
    seen: dict[str, str] = {}
    for source in story.sources:
        seen.setdefault(source.outlet or source.url, source.url)
    return " · ".join(_link(outlet, url) for outlet, url in seen.items())


def story_section(story: StoryBrief) -> Section:
    # Footers show no markdown (no escaping) but must not carry a mention either.
    footer = fit(story_meta(story), EMBED_TITLE, neutralise)
    lines = [sources_line(story)] if len(story.sources) > 1 else []
    if story.split:
        lines.append(f"**{clean(split_line(story.split))}**")
    lines.extend(bullet_line(b) + outlets_tag(b) for b in story.bullets)
    title = fit(story.title or story.url, EMBED_TITLE - 12, clean)
    return Section(title, lines or ["(no statements)"], url=safe_url(story.url), footer=footer)


def also_section(stories: Sequence[StoryBrief], more: int = 0) -> Section:
    """The stories beyond the budget, one line each with its link and outlets."""
    lines = [
        f"• {_link(shorten(s.title or s.url, 200), s.url)} ({fit(story_meta(s), 300, clean)})"
        for s in stories
    ]
    if more:
        lines.append(more_line(more))
    return Section("Also", lines)


def render_briefing(briefing: Briefing) -> list[DiscordMessage]:
    """A briefing as channel messages: its title as content, one embed per story."""
    # Bounded after escaping: a title of 200 and at most 6 notice lines of 283 stay
    # within the 2,000 characters of a message's content.
    heading = f"**{fit(briefing.title, 200, clean)}**"
    if briefing.generated and format_date(briefing.generated) not in briefing.title:
        heading += f" · {format_date(briefing.generated)}"
    for line in notice_lines(briefing, clean):
        heading += "\n" + line
    if not briefing.stories and not briefing.also:
        return [DiscordMessage(heading + "\nNothing new since the last briefing.")]
    sections = [story_section(s) for s in briefing.stories]
    if briefing.also:
        sections.append(also_section(briefing.also, briefing.more))
    return pack_messages(sections, content=heading)


def stance_line(story: StanceStory) -> str:
    """One statement: who, when, where (a link), then the words verbatim, trimmed."""
    st = story.best
    who = f"**{clean(st.speaker_name)}**" + (f", {clean(st.role)}" if st.role else "")
    source = _link(st.outlet or "source", st.url)
    words = clean(shorten(st.text, STANCE_WORDS))
    side = side_on(story.side.value, story.issue)
    when = format_date(story.published) + (f" · {clean(side)}" if side else "")
    return f"{who} · {when} · {source}\n{as_said(words, st.kind)}{in_story(story)}"


def render_stance(result: StanceResult, ephemeral: bool = False) -> list[DiscordMessage]:
    lines = [stance_line(s) for s in stance_stories_of(result)] or ["No statements found."]
    if older_line(result):
        lines.append(older_line(result))
    return pack_messages([Section(clean(stance_summary(result)), lines)], ephemeral=ephemeral)


def _text_messages(text: str, ephemeral: bool) -> list[DiscordMessage]:
    return [DiscordMessage(chunk, (), ephemeral) for chunk in split_text(text, CONTENT)]


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """A command's reply as one or more messages (follow-ups when more than one)."""
    eph = reply.ephemeral
    match reply:
        case StanceReply(stance=result):
            return render_stance(result, eph)
        case BriefingReply(briefing=briefing):
            return [DiscordMessage(m.content, m.embeds, eph) for m in render_briefing(briefing)]
        case StatusReply(status=status):
            lines = [clean(line) for line in status_lines(status)]
            return pack_messages([Section("Briefing status", lines)], ephemeral=eph)
        case FeedsReply(text=text, feeds=feeds) if feeds:
            lines = [clean(feed_line(f)) for f in feeds]
            return pack_messages([Section(clean(text), lines)], ephemeral=eph)
        case ErrorReply(text=text):
            return _text_messages("⚠️ " + clean(text), eph)
    return _text_messages(clean(reply.text), eph)
