"""Replies and briefings as Slack Block Kit messages: pure functions, blocks as dicts.

Slack's limits are respected (50 blocks a message, 3000 characters a section text,
150 a header); larger content is split across messages in order, nothing dropped.
All article text is escaped (&, <, >) so it can never form <!channel>, <!here> or
<@U123>, and "@channel"-style words get a zero-width space as defence in depth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    pack,
    shorten,
    side_on,
    stance_stories_of,
    stance_summary,
    status_lines,
)
from bot.service import StanceResult, StanceStory
from briefings.models import Briefing, Bullet, StoryBrief
from briefings.render import bullet_parts, more_line, outlets_tag, split_line, story_meta

BLOCKS_PER_MESSAGE = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
CONTEXT_TEXT = 3000
FALLBACK_TEXT = 3000  # the notification text; Slack truncates at 40,000
STANCE_WORDS = 300
URL_MAX = 2048  # a link's target once escaped; longer ones are shown as text
LABEL_MAX = 500  # a link's label once escaped

Block = dict[str, Any]
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One message: the fallback ``text`` and its blocks."""

    text: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    ephemeral: bool = False


def escape(text: str) -> str:
    """Slack's control characters escaped, broadcast words broken: inert text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", text)


def safe_url(url: str) -> str | None:
    """An http(s) URL fit for <url|label>; None for anything else."""
    url = url.strip()
    if not re.match(r"https?://[^\s/|<>]+", url, re.IGNORECASE):
        return None
    target = escape(url).replace("|", "%7C").replace(" ", "%20")
    # Measured as sent: a link must leave room in its 3,000-character section.
    return target if len(target) <= URL_MAX else None


def link(label: str, url: str, label_max: int = LABEL_MAX) -> str:
    """<url|label>, both bounded after escaping (the label alone when the URL is unfit)."""
    target = safe_url(url)
    text = fit(label, label_max, escape)
    return f"<{target}|{text}>" if target else text


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": shorten(text, HEADER_TEXT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def sections(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as fit 3000 characters each."""
    return [section(chunk) for chunk in pack(lines, SECTION_TEXT, sep="\n")]


def _messages(blocks: Sequence[Block], text: str, ephemeral: bool = False) -> list[SlackMessage]:
    """Blocks in order, at most 50 a message; the fallback text says which part it is."""
    batches = [
        blocks[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), BLOCKS_PER_MESSAGE)
    ]
    text = shorten(text, FALLBACK_TEXT - 20)
    if len(batches) <= 1:
        return [SlackMessage(text, tuple(blocks), ephemeral)]
    total = len(batches)
    return [
        SlackMessage(f"{text} ({n}/{total})", tuple(batch), ephemeral)
        for n, batch in enumerate(batches, start=1)
    ]


def bullet_line(bullet: Bullet) -> str:
    """• *Anna Weber* (Germany, Chancellor) said: “words” (supports)"""
    parts = bullet_parts(bullet)
    head = f"*{escape(parts.name)}*" + (f" ({escape(parts.qualifier)})" if parts.qualifier else "")
    return f"• {head} {'; '.join(escape(s) for s in parts.sayings)}{parts.stance}"


def sources_line(story: StoryBrief) -> str:
    """Each outlet of a story once, as a link to its report."""
    return " · ".join(_source_links(story))


def story_blocks(story: StoryBrief) -> list[Block]:
    title = story.title or story.url
    where = format_date(story.published)
    if len(story.sources) > 1:
        where += f" · {story.outlets} outlets: {sources_line(story)}"
    elif story.outlet:
        where += f" · {fit(story.outlet, LABEL_MAX, escape)}"
    first = f"*{link(title, story.url)}*"
    head = f"{first}\n{where}"
    split = f"*{fit(split_line(story.split), LABEL_MAX, escape)}*" if story.split else ""
    if split:
        head += f"\n{split}"
    lines = [bullet_line(b) + outlets_tag(b) for b in story.bullets]
    if len(head) <= SECTION_TEXT:
        heads = [section(head)]
    else:  # many long links: the headline, then the sources in as many sections as needed
        where_parts = [format_date(story.published), f"{story.outlets} outlets:"]
        sources = pack([*where_parts, *_source_links(story)], SECTION_TEXT, sep=" · ")
        heads = [section(first), *(section(chunk) for chunk in sources)]
        if split:
            heads.append(section(split))
    return [*heads, *sections(lines or ["(no statements)"])]


def _source_links(story: StoryBrief) -> list[str]:
    seen: dict[str, str] = {}
    for source in story.sources:
        seen.setdefault(source.outlet or source.url, source.url)
    return [link(outlet, url, 200) for outlet, url in seen.items()]


def also_blocks(stories: Sequence[StoryBrief], more: int = 0) -> list[Block]:
    """The stories beyond the budget, one line each with its link and outlets."""
    lines = [
        f"• {link(s.title or s.url, s.url, 200)} ({fit(story_meta(s), 300, escape)})"
        for s in stories
    ]
    if more:
        lines.append(more_line(more))
    return [section("*Also:*"), *sections(lines)]


def render_briefing(briefing: Briefing) -> list[SlackMessage]:
    """A briefing as channel messages: a header, then each story with its bullets."""
    title = briefing.title
    if briefing.generated and format_date(briefing.generated) not in briefing.title:
        title += f" · {format_date(briefing.generated)}"
    blocks: list[Block] = [header(fit(title, HEADER_TEXT, escape))]
    # each notice bounded after escaping, packed into as many sections as they need
    blocks.extend(sections(notice_lines(briefing, escape)))
    if not briefing.stories and not briefing.also:
        blocks.append(section("Nothing new since the last briefing."))
    for n, story in enumerate(briefing.stories):
        if n:
            blocks.append({"type": "divider"})
        blocks.extend(story_blocks(story))
    if briefing.also:
        blocks.append({"type": "divider"})
        blocks.extend(also_blocks(briefing.also, briefing.more))
    return _messages(blocks, fit(title, FALLBACK_TEXT - 20, escape))


def stance_line(story: StanceStory) -> str:
    """*Anna Weber*, Chancellor · 2024-05-04 · <url|Outlet>\n> “words…”"""
    st = story.best
    who = f"*{escape(st.speaker_name)}*" + (f", {escape(st.role)}" if st.role else "")
    source = link(st.outlet or "source", st.url)
    words = escape(shorten(st.text, STANCE_WORDS))
    side = side_on(story.side.value, story.issue)
    when = format_date(story.published) + (f" · {escape(side)}" if side else "")
    return f"{who} · {when} · {source}\n> {as_said(words, st.kind)}{in_story(story)}"


def render_stance(result: StanceResult, ephemeral: bool = False) -> list[SlackMessage]:
    summary = escape(stance_summary(result))
    blocks: list[Block] = [section(f"*{summary}*")]
    lines = [stance_line(s) for s in stance_stories_of(result)] or ["No statements found."]
    if older_line(result):
        lines.append(older_line(result))
    blocks.extend(sections(lines))
    return _messages(blocks, summary, ephemeral)


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command's reply as one or more messages."""
    eph = reply.ephemeral
    match reply:
        case StanceReply(stance=result):
            return render_stance(result, eph)
        case BriefingReply(briefing=briefing):
            return [SlackMessage(m.text, m.blocks, eph) for m in render_briefing(briefing)]
        case StatusReply(status=status):
            blocks = [
                section("*Briefing status*"),
                *sections([escape(s) for s in status_lines(status)]),
            ]
            return _messages(blocks, "Briefing status", eph)
        case FeedsReply(text=heading, feeds=feeds) if feeds:
            lines = [escape(feed_line(f)) for f in feeds]
            return _messages([section(escape(heading)), *sections(lines)], escape(heading), eph)
    text = escape(reply.text)
    if isinstance(reply, ErrorReply):
        text = ":warning: " + text
    return _messages(sections([text]), shorten(text, FALLBACK_TEXT - 20), eph)
