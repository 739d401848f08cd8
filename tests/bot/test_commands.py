"""The neutral command layer: parsing, permissions, dispatch and the error boundary."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.commands import (
    DENIED,
    GENERIC_ERROR,
    CommandRequest,
    ReplyKind,
    handle,
    parse_days,
    parse_line,
    parse_text,
    shorten,
    stance_summary,
)
from bot.errors import UserInputError
from bot.ports import ChannelRef
from briefings.render import useful_role
from tests.fakes.service import FakeService, make_briefing, sample_service

CHANNEL = ChannelRef("console", "local", "terminal")


def text_request(command: str, text: str, manager: bool = False) -> CommandRequest:
    return CommandRequest.from_text(command, text, CHANNEL, "u1", is_manager=manager)


@pytest.mark.parametrize(
    ("command", "text", "name", "options"),
    [
        ("stance", "Germany", "stance", {"query": "Germany"}),
        (
            "/stance",
            "United States trade 30",
            "stance",
            {"query": "United States trade", "days": "30"},
        ),
        ("stance", '"United States" trade', "stance", {"actor": "United States", "topic": "trade"}),
        (
            "stance",
            "Scholz topic:energy days:7",
            "stance",
            {"actor": "Scholz", "topic": "energy", "days": "7"},
        ),
        ("stance", "France 14d", "stance", {"query": "France", "days": "14d"}),
        ("stance", "2024", "stance", {"query": "2024"}),  # a lone number is a name, not days
        ("briefing", "now", "briefing now", {}),
        ("briefing", "status", "briefing status", {}),
        (
            "briefing",
            "schedule daily 08:00",
            "briefing schedule",
            {"schedule": "daily 08:00", "timezone": "UTC"},
        ),
        (
            "briefing",
            'schedule "daily 08:00" Europe/Berlin',
            "briefing schedule",
            {"schedule": "daily 08:00", "timezone": "Europe/Berlin"},
        ),
        (
            "briefing",
            "schedule 0 8 * * 1-5 America/New_York",
            "briefing schedule",
            {"schedule": "0 8 * * 1-5", "timezone": "America/New_York"},
        ),
        (
            "briefing",
            "schedule 0 8 * * 1-5",
            "briefing schedule",
            {"schedule": "0 8 * * 1-5", "timezone": "UTC"},
        ),
        ("briefing", "topics add climate", "briefing topics add", {"words": "climate"}),
        ("briefing", "topics list", "briefing topics list", {}),
        ("briefing", "topics", "briefing topics list", {}),
        (
            "briefing",
            "feeds add https://news.example.org/rss",
            "briefing feeds add",
            {"url": "https://news.example.org/rss"},
        ),
        (
            "briefing",
            "FEEDS REMOVE https://x.example/rss",
            "briefing feeds remove",
            {"url": "https://x.example/rss"},
        ),
        ("newsbrief", "", "newsbrief help", {}),
        ("newsbrief", "help", "newsbrief help", {}),
    ],
)
def test_parse_text(command: str, text: str, name: str, options: dict[str, str]) -> None:
    assert parse_text(command, text) == (name, options)


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("stance", "", "Whose stance?"),
        ("stance", "topic:energy", "Whose stance?"),
        ("briefing", "", "Usage: /briefing now"),
        ("briefing", "explode", "Usage: /briefing now"),
        ("briefing", "schedule", "When?"),
        ("briefing", "topics add", "Usage: /briefing topics add <words>"),
        ("briefing", "feeds remove", "Usage: /briefing feeds remove <url>"),
        ("briefing", "feeds purge x", "Usage: /briefing feeds add|remove|list"),
        ("newsbrief", "dance", "Unknown command /newsbrief dance"),
        ("weather", "", "Unknown command /weather"),
    ],
)
def test_parse_text_refuses_malformed_commands(command: str, text: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message.replace("|", r"\|").replace("*", r"\*")):
        parse_text(command, text)


def test_parse_line_splits_command_and_arguments() -> None:
    assert parse_line("  /stance  Germany energy ") == ("stance", "Germany energy")
    assert parse_line("briefing status") == ("briefing", "status")


@pytest.mark.parametrize(("value", "days"), [(None, None), ("", None), ("7", 7), ("30d", 30)])
def test_parse_days(value: str | None, days: int | None) -> None:
    assert parse_days(value) == days


@pytest.mark.parametrize("value", ["0", "-3", "abc", "99999", "3.5"])
def test_parse_days_refuses_out_of_range(value: str) -> None:
    with pytest.raises(UserInputError, match="Days must be"):
        parse_days(value)


def test_shorten_keeps_words_verbatim_and_marks_the_cut() -> None:
    text = "We will keep the power grid stable this winter, whatever it takes."
    assert shorten(text, 200) == text
    short = shorten(text, 30)
    assert short.endswith("…") and len(short) <= 30
    assert text.startswith(short[:-1])
    assert shorten("x" * 50, 10) == "x" * 9 + "…"


async def test_stance_answers_newest_first_with_a_summary() -> None:
    service = sample_service()
    reply = await handle(service, text_request("stance", "germany"))
    assert reply.kind is ReplyKind.STANCE and not reply.ephemeral
    assert reply.stance is not None
    assert [s.published.day for s in reply.stance.statements if s.published] == [4, 2]
    assert reply.text == stance_summary(reply.stance)
    assert reply.text == (
        "Germany: 2 statements, 2024-05-02 to 2024-05-04 (1 opposes, 1 supports)"
        " · matched as country"
    )


async def test_stance_takes_the_longest_actor_prefix_and_the_rest_as_topic() -> None:
    service = sample_service()
    reply = await handle(service, text_request("stance", "United States trade 30"))
    assert reply.kind is ReplyKind.STANCE
    assert ("stance", ("United States trade", None, timedelta(days=30))) in service.calls
    assert ("stance", ("United States", "trade", timedelta(days=30))) in service.calls


async def test_stance_of_an_unknown_actor_suggests_names() -> None:
    reply = await handle(sample_service(), text_request("stance", "Germny"))
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert reply.suggestions == ("Germany",)
    assert "Germny" in reply.text and "Germany" in reply.text


async def test_structured_stance_request_from_discord_options() -> None:
    service = sample_service()
    request = CommandRequest("stance", {"actor": "Germany", "topic": "energy"}, CHANNEL, "u1")
    reply = await handle(service, request)
    assert reply.stance is not None
    assert [s.text for s in reply.stance.statements] == [
        "Energy prices must come down before any new levy."
    ]


@pytest.mark.parametrize(
    "text",
    [
        "now",
        "schedule daily 08:00",
        "topics add climate",
        "topics remove climate",
        "feeds add https://news.example.org/rss",
        "feeds remove https://news.example.org/rss",
    ],
)
async def test_configuration_commands_refuse_non_managers_and_change_nothing(text: str) -> None:
    service = sample_service()
    before = dict(service.channels)
    reply = await handle(service, text_request("briefing", text, manager=False))
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert reply.text == DENIED
    assert service.calls == []  # the service was never asked
    assert service.channels == before


@pytest.mark.parametrize(
    "request_",
    [
        ("stance", "Germany"),
        ("briefing", "status"),
        ("briefing", "topics list"),
        ("briefing", "feeds list"),
        ("newsbrief", "help"),
    ],
)
async def test_everyone_may_read(request_: tuple[str, str]) -> None:
    reply = await handle(sample_service(), text_request(*request_, manager=False))
    assert reply.kind is not ReplyKind.ERROR, reply.text


async def test_a_managers_configuration_shows_in_status() -> None:
    service = sample_service()
    for text in (
        "schedule daily 08:00 Europe/Berlin",
        "topics add energy policy, gas",
        "feeds add https://news.example.org/rss",
    ):
        reply = await handle(service, text_request("briefing", text, manager=True))
        assert reply.kind is not ReplyKind.ERROR, reply.text
    status = await handle(service, text_request("briefing", "status"))
    assert status.kind is ReplyKind.STATUS and status.status is not None
    assert status.status.schedule == "0 8 * * *"
    assert status.status.timezone == "Europe/Berlin"
    assert status.status.topics == ("energy policy", "gas")
    assert [f.url for f in status.status.feeds] == ["https://news.example.org/rss"]


async def test_topics_replies_list_the_channels_topics() -> None:
    service = sample_service()
    added = await handle(service, text_request("briefing", "topics add climate trade", True))
    assert added.topics == ("climate", "trade")
    removed = await handle(service, text_request("briefing", "topics remove climate", True))
    assert removed.topics == ("trade",) and removed.text == "Topics: trade"


async def test_expected_errors_become_their_message() -> None:
    service = sample_service()
    unsafe = await handle(service, text_request("briefing", "feeds add http://127.0.0.1/x", True))
    assert unsafe.kind is ReplyKind.ERROR and unsafe.ephemeral and "Refusing" in unsafe.text
    missing = await handle(
        service, text_request("briefing", "feeds remove https://no.example", True)
    )
    assert missing.kind is ReplyKind.ERROR and "no feed" in missing.text
    bad_zone = await handle(
        service, text_request("briefing", "schedule daily 08:00 Mars/Base", True)
    )
    assert bad_zone.kind is ReplyKind.ERROR


async def test_unexpected_errors_are_logged_and_never_reach_the_user(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = sample_service()
    service.fail_with = RuntimeError("database exploded at /var/secret/path")
    with caplog.at_level(logging.ERROR, logger="bot.commands"):
        reply = await handle(service, text_request("briefing", "status"))
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert reply.text == GENERIC_ERROR
    assert "exploded" not in reply.text
    assert any(r.exc_info for r in caplog.records), "the traceback is logged"


async def test_briefing_now_posts_for_everyone_to_see() -> None:
    service = FakeService(briefing=make_briefing(actors=2))
    reply = await handle(service, text_request("briefing", "now", manager=True))
    assert reply.kind is ReplyKind.BRIEFING and not reply.ephemeral
    assert reply.briefing is service.briefing


async def test_an_empty_briefing_says_so_quietly() -> None:
    reply = await handle(FakeService(), text_request("briefing", "now", manager=True))
    assert reply.kind is ReplyKind.TEXT and reply.ephemeral
    assert "Nothing new" in reply.text


def test_needs_manager_is_computed_from_the_text() -> None:
    assert text_request("briefing", "feeds add https://x.example").needs_manager
    assert not text_request("briefing", "status").needs_manager
    assert not text_request("stance", "Germany").needs_manager
    assert not text_request("briefing", "explode").needs_manager  # the parse error answers


async def test_help_lists_every_command() -> None:
    reply = await handle(FakeService(), text_request("newsbrief", "help"))
    for word in ("/stance", "/briefing now", "/briefing schedule", "topics", "feeds", "status"):
        assert word in reply.text


@pytest.mark.parametrize(
    ("label", "speaker", "role", "shown"),
    [
        ("Germany", "Anna Weber", "Chancellor", "Chancellor"),
        ("envoys", "envoys", "envoys", None),
        ("Kenya", "Grace Wanjiru", "grace wanjiru", None),
        ("Kenya", "Grace Wanjiru", None, None),
    ],
)
def test_useful_role_drops_a_role_that_repeats_the_name(
    label: str, speaker: str, role: str | None, shown: str | None
) -> None:
    from briefings.models import Bullet, Kind, Stance

    bullet = Bullet(label, None, speaker, role, "words", Kind.DIRECT, Stance.UNCLEAR)
    assert useful_role(bullet) == shown


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("length", {}),
        ("length 6", {"stories": "6"}),
        ("length 6 3", {"stories": "6", "bullets": "3"}),
        ("length bullets:2", {"bullets": "2"}),
        ("length stories=5 2", {"stories": "5", "bullets": "2"}),
    ],
)
def test_parse_briefing_length(text: str, options: dict[str, str]) -> None:
    assert parse_text("briefing", text) == ("briefing length", options)


@pytest.mark.parametrize("text", ["length six", "length 1 2 3", "length pages:3"])
def test_parse_briefing_length_refuses_malformed(text: str) -> None:
    with pytest.raises(UserInputError, match="/briefing length"):
        parse_text("briefing", text)


async def test_briefing_length_is_read_by_all_and_set_by_managers() -> None:
    service = FakeService()
    reply = await handle(service, text_request("briefing", "length"))
    assert reply.text.startswith("Briefing length: 8 stories in full, 4 bullets each")
    refused = await handle(service, text_request("briefing", "length 5 2"))
    assert refused.kind is ReplyKind.ERROR
    done = await handle(service, text_request("briefing", "length 5 2", manager=True))
    assert done.text.startswith("Briefing length set: 5 stories in full, 2 bullets each")
    too_many = await handle(service, text_request("briefing", "length 50", manager=True))
    assert too_many.kind is ReplyKind.ERROR and "from 1 to 20" in too_many.text


async def test_feeds_defaults_subscribes_the_channel_to_the_default_feeds() -> None:
    from bot.defaults import default_feeds

    service = FakeService()
    refused = await handle(service, text_request("briefing", "feeds defaults"))
    assert refused.kind is ReplyKind.ERROR
    reply = await handle(service, text_request("briefing", "feeds defaults", manager=True))
    assert reply.kind is ReplyKind.FEEDS
    assert [f.url for f in reply.feeds] == [url for url, _ in default_feeds()]
    assert reply.text.startswith(f"Subscribed to {len(reply.feeds)} default world news feeds")
