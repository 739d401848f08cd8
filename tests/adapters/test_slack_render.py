"""Slack rendering: golden outputs, Block Kit limits, and escaped text that never pings."""

from __future__ import annotations

import re

from adapters.slack.render import (
    BLOCKS_PER_MESSAGE,
    HEADER_TEXT,
    SECTION_TEXT,
    SlackMessage,
    bullet_line,
    escape,
    render_briefing,
    render_reply,
    render_stance,
    safe_url,
)
from bot.commands import ErrorReply
from tests.fakes.service import make_briefing, sample_service


def assert_within_limits(messages: list[SlackMessage]) -> None:
    for message in messages:
        assert 0 < len(message.blocks) <= BLOCKS_PER_MESSAGE
        assert len(message.text) <= 3000
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_TEXT
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= HEADER_TEXT


def section_texts(messages: list[SlackMessage]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]


def test_golden_briefing() -> None:
    messages = render_briefing(make_briefing(actors=2, quote_chars=40, stories=2))
    assert messages == [
        SlackMessage(
            text="Morning briefing · 2024-05-06",
            blocks=(
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": "Morning briefing · 2024-05-06"},
                },
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "*<https://news.example.org/story/0|Story 00: ministers meet on"
                        " energy>*\n2024-05-06 · The Example Herald",
                    },
                },
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "• *Speaker 000* (Country 000, Foreign Minister) said: "
                        "“Quote 000: the talks on energy and trade end”",
                    },
                },
                {"type": "divider"},
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "*<https://news.example.org/story/1|Story 01: ministers meet on"
                        " energy>*\n2024-05-06 · The Example Herald",
                    },
                },
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "• *Speaker 001* (Country 001, Foreign Minister) said: "
                        "“Quote 001: the talks on energy and trade end”",
                    },
                },
            ),
        )
    ]


async def test_golden_stance() -> None:
    messages = render_stance(await sample_service().stance("germany"))
    summary = (
        "Germany: 2 statements, 2024-05-02 to 2024-05-04 (1 opposes, 1 supports)"
        " · matched as country"
    )
    assert messages == [
        SlackMessage(
            text=summary,
            blocks=(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*"}},
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "*Anna Weber*, Chancellor · 2024-05-04 · opposes: energy prices · "
                        "<https://news.example.org/2024/05/04/story|The Example Herald>\n"
                        "> “Energy prices must come down before any new levy.”\n"
                        "*Anna Weber*, Chancellor · 2024-05-02 · supports: energy prices · "
                        "<https://news.example.org/2024/05/02/story|The Example Herald>\n"
                        "> “We will keep the power grid stable this winter.”",
                    },
                },
            ),
        )
    ]


def test_sixty_actors_with_long_quotes_fit_every_limit_in_order_nothing_lost() -> None:
    briefing = make_briefing(actors=60, quote_chars=1500, extra="A & B <b> ")
    messages = render_briefing(briefing)
    assert len(messages) > 1
    assert_within_limits(messages)
    lines = [line for t in section_texts(messages) for line in t.split("\n")]
    bullets = [line for line in lines if line.startswith("• ")]
    assert bullets == [bullet_line(b) for s in briefing.stories for b in s.bullets]
    assert [m.text for m in messages] == [
        f"Morning briefing · 2024-05-06 ({n}/{len(messages)})" for n in range(1, len(messages) + 1)
    ]


def test_a_quote_longer_than_a_section_is_split_losslessly() -> None:
    briefing = make_briefing(actors=1, quote_chars=10_000, extra="fish & chips " * 20)
    messages = render_briefing(briefing)
    assert_within_limits(messages)
    texts = section_texts(messages)[1:]  # after the story heading
    joined = " ".join(texts)
    assert bullet_line(briefing.stories[0].bullets[0]) == joined
    assert not any(re.search(r"&(a|am|amp)?$", t) for t in texts), "no cut inside an entity"


def test_article_text_can_never_ping() -> None:
    briefing = make_briefing(actors=1, extra="<!channel> <!here> <@U123> @channel @here ")
    text = " ".join(section_texts(render_briefing(briefing)))
    assert "<!" not in text and "<@" not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text
    assert not re.search(r"(?<!\u200b)@(channel|here)\b", text.replace("@\u200b", ""))
    assert "@\u200bchannel" in text


def test_escape_and_links() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert safe_url("javascript:alert(1)") is None
    assert (
        safe_url("https://x.example/?a=1&b=<2>|3") == "https://x.example/?a=1&amp;b=&lt;2&gt;%7C3"
    )


def test_errors_are_ephemeral_with_a_warning() -> None:
    [message] = render_reply(ErrorReply("No actor matches 'x<y'."))
    assert message.ephemeral
    assert message.blocks[0]["text"]["text"] == ":warning: No actor matches 'x&lt;y'."
