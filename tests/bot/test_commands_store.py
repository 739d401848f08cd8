"""The command layer over the real service and store (SQLite in a temporary directory):
schedules in words and in cron with their time zones, clear one-line errors that change
nothing, topics and feeds add/remove/list, refusals, and a status that shows each feed's
last poll and failures and the next delivery. A loopback feed server stands in for a
failing feed; the engine is replaced by an extractor that finds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.commands import DENIED, CommandRequest, Reply, ReplyKind, handle, status_lines
from bot.ports import ChannelRef
from bot.runtime import Runtime, build_runtime
from briefings.models import Actor, Article, Statement
from config.settings import load_settings
from tests.fakes.feed_server import FeedServer

CHANNEL = ChannelRef("slack", "T1", "C1")
NOW = datetime(2024, 5, 6, 7, 0, 10, tzinfo=UTC)  # a Monday


class NoStatements:
    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        return [[] for _ in articles]

    async def aclose(self) -> None:
        return None


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = load_settings(data_dir=tmp_path, database_url=None, allow_private_networks=True)
    rt = await build_runtime(settings, {}, now=lambda: NOW, extractor=NoStatements())
    try:
        yield rt
    finally:
        await rt.aclose()


async def run(rt: Runtime, command: str, text: str, manager: bool = True) -> Reply:
    request = CommandRequest.from_text(command, text, CHANNEL, "U1", is_manager=manager)
    return await handle(rt.service, request)


async def status_text(rt: Runtime) -> list[str]:
    reply = await run(rt, "briefing", "status", manager=False)
    assert reply.kind is ReplyKind.STATUS and reply.status is not None
    return status_lines(reply.status)


@pytest.mark.parametrize(
    ("text", "cron", "zone", "next_delivery"),
    [
        ("schedule daily 08:00", "0 8 * * *", "UTC", "2024-05-06 08:00 UTC"),
        ('schedule "daily 08:00" Europe/Berlin', "0 8 * * *", "Europe/Berlin", "2024-05-07 06:00"),
        ("schedule weekdays 7:30 America/New_York", "30 7 * * mon-fri", "America/New_York", ""),
        ("schedule 0 8 * * 1-5 Asia/Tokyo", "0 8 * * 1-5", "Asia/Tokyo", "2024-05-06 23:00"),
        ("schedule */30 * * * *", "*/30 * * * *", "UTC", "2024-05-06 07:30 UTC"),
    ],
)
async def test_schedules_in_words_or_cron_with_a_time_zone(
    runtime: Runtime, text: str, cron: str, zone: str, next_delivery: str
) -> None:
    reply = await run(runtime, "briefing", text)
    assert reply.kind is ReplyKind.TEXT, reply.text
    assert reply.text == f"Briefings scheduled: {cron} ({zone})."
    lines = await status_text(runtime)
    assert lines[0] == f"Schedule: {cron} ({zone})"
    assert lines[1].startswith(f"Next delivery: {next_delivery}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schedule daily 25:00", "'daily 25:00' is not a time of day"),
        ("schedule daily 08:75", "'daily 08:75' is not a time of day"),
        ("schedule sometimes", "'sometimes' is not a schedule: use a cron expression"),
        ("schedule 0 8 * *", "'0 8 * *' is not a schedule: use a cron expression"),
        ("schedule 61 * * * *", "'61 * * * *' is not a valid cron expression"),
        ("schedule 0 8 * * 1-5 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("schedule daily 08:00 Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"),
        ("schedule", 'When? Usage: /briefing schedule <cron or "daily 08:00"> [timezone]'),
    ],
)
async def test_a_bad_schedule_is_one_clear_line_and_changes_nothing(
    runtime: Runtime, text: str, message: str
) -> None:
    await run(runtime, "briefing", "schedule daily 06:00 Europe/Paris")
    before = await status_text(runtime)
    reply = await run(runtime, "briefing", text)
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert reply.text.startswith(message), reply.text
    assert "\n" not in reply.text and "Traceback" not in reply.text
    assert await status_text(runtime) == before


async def test_topics_add_remove_list(runtime: Runtime) -> None:
    added = await run(runtime, "briefing", "topics add Energy policy, gas")
    assert added.topics == ("energy policy", "gas")
    assert (await run(runtime, "briefing", "topics add grain")).topics == (
        "energy policy",
        "gas",
        "grain",
    )
    removed = await run(runtime, "briefing", "topics remove gas")
    assert removed.topics == ("energy policy", "grain")
    listed = await run(runtime, "briefing", "topics list", manager=False)
    assert listed.text == "Topics: energy policy, grain"
    assert "Topics: energy policy, grain" in await status_text(runtime)
    bad = await run(runtime, "briefing", "topics add ???")
    assert bad.kind is ReplyKind.ERROR and "has no word" in bad.text


async def test_feeds_add_remove_list(runtime: Runtime) -> None:
    url = "https://news.example.org/rss"
    added = await run(runtime, "briefing", f"feeds add {url}")
    assert added.kind is ReplyKind.FEEDS and added.text == f"Feed added: {url}"
    listed = await run(runtime, "briefing", "feeds list", manager=False)
    assert listed.text == "1 feed" and [f.url for f in listed.feeds] == [url]
    unsafe = await run(runtime, "briefing", "feeds add file:///etc/passwd")
    assert unsafe.kind is ReplyKind.ERROR and "only http and https" in unsafe.text
    removed = await run(runtime, "briefing", f"feeds remove {url}")
    assert removed.text == f"Feed removed: {url}"
    assert (await run(runtime, "briefing", "feeds list")).text == "No feeds yet."
    missing = await run(runtime, "briefing", f"feeds remove {url}")
    assert missing.kind is ReplyKind.ERROR and "has no feed" in missing.text


@pytest.mark.parametrize(
    "text",
    [
        "schedule daily 08:00",
        "topics add gas",
        "topics remove energy",
        "feeds add https://other.example.org/rss",
        "feeds remove https://news.example.org/rss",
        "now",
    ],
)
async def test_a_non_manager_is_refused_and_the_store_is_unchanged(
    runtime: Runtime, text: str
) -> None:
    await run(runtime, "briefing", "topics add energy")
    await run(runtime, "briefing", "feeds add https://news.example.org/rss")
    before = await status_text(runtime)
    deliveries = await runtime.service.status(CHANNEL)
    reply = await run(runtime, "briefing", text, manager=False)
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral and reply.text == DENIED
    assert await status_text(runtime) == before
    assert (await runtime.service.status(CHANNEL)).last_delivery == deliveries.last_delivery


async def test_status_shows_each_feeds_last_poll_failures_and_the_next_delivery(
    runtime: Runtime,
) -> None:
    with FeedServer() as server:
        server.route("/broken.xml", "down for maintenance", status=503)
        broken = server.url("/broken.xml")
        await run(runtime, "briefing", f"feeds add {broken}")
        await run(runtime, "briefing", "schedule daily 08:00")
        assert (await run(runtime, "briefing", "status")).status is not None
        before = await status_text(runtime)
        assert f"Feed: {broken} (untitled) · active · last polled never" in before
        await runtime.ingest_once()
    lines = await status_text(runtime)
    assert lines[:2] == ["Schedule: 0 8 * * * (UTC)", "Next delivery: 2024-05-06 08:00 UTC"]
    [feed] = [line for line in lines if line.startswith("Feed: ")]
    assert feed.startswith(f"Feed: {broken} (untitled) · active · last polled 2024-05-06 07:00")
    assert " · 1 failure: " in feed and "503" in feed
