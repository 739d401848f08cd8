"""Console rendering: golden outputs of plain terminal text."""

from __future__ import annotations

from dataclasses import replace

from adapters.console.render import render_briefing, render_reply, render_stance
from adapters.discord.render import bullet_line as discord_line
from adapters.discord.render import render_briefing as discord_briefing
from adapters.slack.render import bullet_line as slack_line
from adapters.slack.render import render_briefing as slack_briefing
from bot.commands import ErrorReply
from briefings.models import Briefing, Kind
from tests.fakes.service import make_briefing, sample_service


def test_golden_briefing() -> None:
    assert render_briefing(make_briefing(actors=2, quote_chars=40, stories=2)) == (
        "═══ Morning briefing · 2024-05-06 ═══\n"
        "\n"
        "■ Story 00: ministers meet on energy (2024-05-06 · The Example Herald)"
        " https://news.example.org/story/0\n"
        "  • Speaker 000 (Country 000, Foreign Minister) said: “Quote 000: the talks on energy and"
        " trade end”\n"
        "\n"
        "■ Story 01: ministers meet on energy (2024-05-06 · The Example Herald)"
        " https://news.example.org/story/1\n"
        "  • Speaker 001 (Country 001, Foreign Minister) said: “Quote 001: the talks on energy and"
        " trade end”"
    )


async def test_golden_stance() -> None:
    assert render_stance(await sample_service().stance("germany")) == (
        "Germany: 2 statements, 2024-05-02 to 2024-05-04 (1 opposes, 1 supports)"
        " · matched as country\n"
        "- Anna Weber, Chancellor · 2024-05-04 · opposes: energy prices · The Example Herald"
        " <https://news.example.org/2024/05/04/story>\n"
        "  “Energy prices must come down before any new levy.”\n"
        "- Anna Weber, Chancellor · 2024-05-02 · supports: energy prices · The Example Herald"
        " <https://news.example.org/2024/05/02/story>\n"
        "  “We will keep the power grid stable this winter.”"
    )


def test_terminal_escape_sequences_in_article_text_are_dropped() -> None:
    briefing = make_briefing(actors=1, quote_chars=40, extra="\x1b[2J\x07")
    assert "\x1b" not in render_briefing(briefing) and "\x07" not in render_briefing(briefing)


def test_errors_are_marked() -> None:
    assert render_reply(ErrorReply("Days must be 1-3650.")) == ("error: Days must be 1-3650.")


def test_only_verbatim_words_get_quotation_marks() -> None:
    """Reported speech is the outlet's paraphrase: shown without marks on every platform."""
    (story,) = make_briefing(actors=1, quote_chars=30, stories=1).stories
    direct = story.bullets[0]
    reported = replace(direct, text="that the talks would resume", kind=Kind.INDIRECT)
    for line in (discord_line, slack_line):
        assert "“Quote 000" in line(direct)
        assert line(reported).endswith(" said that the talks would resume")
    assert render_briefing(
        replace(
            make_briefing(actors=1, quote_chars=30, stories=1),
            stories=(replace(story, bullets=(reported,)),),
        )
    ).endswith(" said that the talks would resume")


def discord_notices(briefing: Briefing) -> str:
    return discord_briefing(briefing)[0].content


def slack_notices(briefing: Briefing) -> str:
    return str(slack_briefing(briefing)[0].blocks[1])


def test_notices_come_first_and_bounded() -> None:
    briefing = replace(
        make_briefing(actors=1, quote_chars=30, stories=1),
        notices=tuple(f"Feed https://f{n}.example/rss is no longer polled" for n in range(7)),
    )
    lines = render_briefing(briefing).splitlines()
    assert lines[1:7] == [
        *(f"⚠ Feed https://f{n}.example/rss is no longer polled" for n in range(5)),
        "⚠ and 2 more: see /briefing status",
    ]
    for line in (discord_notices(briefing), slack_notices(briefing)):
        assert "f4.example" in line and "f5.example" not in line and "2 more" in line
