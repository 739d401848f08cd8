"""Discord rendering: golden outputs, every limit, and text that can never ping."""

from __future__ import annotations

import re

from adapters.discord.render import (
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER,
    DiscordMessage,
    bullet_line,
    clean,
    embed_size,
    render_briefing,
    render_reply,
    render_stance,
    safe_url,
)
from bot.commands import GENERIC_ERROR, ErrorReply, StatusReply
from tests.fakes.service import make_briefing, sample_service


def assert_within_limits(messages: list[DiscordMessage]) -> None:
    for message in messages:
        assert len(message.content) <= CONTENT
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_size(e) for e in message.embeds) <= EMBED_TOTAL
        for embed in message.embeds:
            assert len(embed.get("title", "")) <= EMBED_TITLE
            assert len(embed.get("description", "")) <= EMBED_DESCRIPTION
            assert len(embed.get("footer", {}).get("text", "")) <= FOOTER
            assert len(embed.get("fields", ())) <= EMBED_FIELDS
            for item in embed.get("fields", ()):
                assert len(item["name"]) <= FIELD_NAME and len(item["value"]) <= FIELD_VALUE


def descriptions(messages: list[DiscordMessage]) -> list[str]:
    return [e.get("description", "") for m in messages for e in m.embeds]


def test_golden_briefing() -> None:
    messages = render_briefing(make_briefing(actors=2, quote_chars=40, stories=2))
    assert messages == [
        DiscordMessage(
            content="**Morning briefing** · 2024-05-06",
            embeds=(
                {
                    "title": "Story 00: ministers meet on energy",
                    "color": 0x2B6CB0,
                    "description": "**Speaker 000** (Country 000, Foreign Minister) said: "
                    "“Quote 000: the talks on energy and trade end”",
                    "url": "https://news.example.org/story/0",
                    "footer": {"text": "2024-05-06 · The Example Herald"},
                },
                {
                    "title": "Story 01: ministers meet on energy",
                    "color": 0x2B6CB0,
                    "description": "**Speaker 001** (Country 001, Foreign Minister) said: "
                    "“Quote 001: the talks on energy and trade end”",
                    "url": "https://news.example.org/story/1",
                    "footer": {"text": "2024-05-06 · The Example Herald"},
                },
            ),
        )
    ]


async def test_golden_stance() -> None:
    result = await sample_service().stance("germany")
    messages = render_stance(result)
    assert messages == [
        DiscordMessage(
            content="",
            embeds=(
                {
                    "title": "Germany: 2 statements, 2024-05-02 to 2024-05-04 "
                    "(1 opposes, 1 supports) · matched as country",
                    "color": 0x2B6CB0,
                    "description": "**Anna Weber**, Chancellor · 2024-05-04 · "
                    "opposes: energy prices · "
                    "[The Example Herald](https://news.example.org/2024/05/04/story)\n"
                    "“Energy prices must come down before any new levy.”\n"
                    "**Anna Weber**, Chancellor · 2024-05-02 · supports: energy prices · "
                    "[The Example Herald](https://news.example.org/2024/05/02/story)\n"
                    "“We will keep the power grid stable this winter.”",
                },
            ),
        )
    ]


def test_sixty_actors_with_long_quotes_fit_every_limit_in_order_nothing_lost() -> None:
    briefing = make_briefing(actors=60, quote_chars=1500)
    messages = render_briefing(briefing)
    assert len(messages) > 1, "this much text must be split across messages"
    assert_within_limits(messages)
    lines = [line for d in descriptions(messages) for line in d.split("\n")]
    expected = [bullet_line(b) for s in briefing.stories for b in s.bullets]
    assert lines == expected  # every bullet, whole, once, in order
    assert messages[0].content.startswith("**Morning briefing**")
    assert all(not m.content for m in messages[1:])


def test_a_quote_longer_than_an_embed_is_split_across_embeds_losslessly() -> None:
    briefing = make_briefing(actors=3, quote_chars=9000)
    messages = render_briefing(briefing)
    assert_within_limits(messages)
    text = " ".join(descriptions(messages))
    for story in briefing.stories:
        for bullet in story.bullets:
            assert clean(bullet.text) in text.replace("\n", " ")
    titles = [e["title"] for m in messages for e in m.embeds]
    assert titles[0] == "Story 00: ministers meet on energy"
    assert titles[1] == "Story 00: ministers meet on energy (cont. 2)"


def test_many_stories_pack_ten_embeds_a_message() -> None:
    messages = render_briefing(make_briefing(actors=25, quote_chars=50, stories=25))
    assert [len(m.embeds) for m in messages] == [10, 10, 5]
    assert_within_limits(messages)


def test_article_text_can_never_ping() -> None:
    briefing = make_briefing(
        actors=1, extra="@everyone @here <@123456789012345678> <@&987654321098765432> "
    )
    text = " ".join(descriptions(render_briefing(briefing)))
    assert "@everyone" not in text and "@here" not in text
    assert not re.search(r"<@[!&]?\d", text)
    assert "@\u200beveryone" in text  # still readable, just inert


def test_clean_escapes_markdown_and_mentions() -> None:
    assert clean("*bold* _it_ @here") == "\\*bold\\* \\_it\\_ @\u200bhere"


def test_safe_url_refuses_non_http_and_escapes_parentheses() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a_(b)") == "https://x.example/a_%28b%29"


def test_errors_are_ephemeral_plain_text() -> None:
    messages = render_reply(ErrorReply(GENERIC_ERROR))
    assert messages == [DiscordMessage("⚠️ " + clean(GENERIC_ERROR), (), True)]


async def test_status_reply_renders_as_an_embed() -> None:
    service = sample_service()
    from bot.ports import ChannelRef

    channel = ChannelRef("discord", "1", "2")
    await service.add_topics(channel, ["gas"])
    status = await service.status(channel)
    [message] = render_reply(StatusReply(status))
    assert message.ephemeral
    assert message.embeds[0]["title"] == "Briefing status"
    assert "Topics: gas" in message.embeds[0]["description"]
