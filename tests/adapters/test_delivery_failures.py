"""Issue 12, acceptance 2 (finding 6) end to end: the fakes answer as the platforms do when a
briefing cannot be posted (Slack's ``not_in_channel``, Discord's 403 Missing Access, 429
with Retry-After), and through the real runtime and store, the real bolt app and
discord.py client:

- the failure is stored with its reason and shown in ``/briefing status``;
- it is told where it can be: in the channel, else to the manager who set the schedule,
  directly; once for a run of failures, not at every slot;
- a 429 the client can wait out is waited out, the briefing posted once;
- one channel's failure stops no other channel's briefing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from adapters.discord.bot import DiscordPublisher, build_client, login
from adapters.slack.app import SlackPublisher, build_app, web_client
from bot.ports import ChannelRef
from bot.runtime import Runtime, build_runtime
from config.settings import load_settings
from tests.adapters.test_runtime_integration import Clock, QuoteExtractor, item
from tests.fakes.discord_api import (
    ALL_PERMISSIONS,
    APP_ID,
    VIEW_CHANNEL,
    FakeDiscordAPI,
    interaction_payload,
)
from tests.fakes.slack_api import TEAM, FakeSlackAPI, served, signed_command, user

SECRET = "fake-signing-secret"
MANAGER = "U0000ADMN"
OK, GONE, BUSY = "C0000OKAY", "C0000GONE", "C0000BUSY"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[tuple[Runtime, Clock]]:
    clock = Clock()
    settings = load_settings(data_dir=tmp_path, database_url=None, allow_private_networks=True)
    rt = await build_runtime(settings, {}, now=clock, extractor=QuoteExtractor())
    try:
        yield rt, clock
    finally:
        await rt.aclose()


async def _news(rt: Runtime) -> None:
    summary = await rt.ingest_items(
        [
            item("a1", "“We will keep the grid stable,” said Chancellor Anna Weber."),
            item("a2", "“Talks go on,” said President Luc Marchand."),
        ]
    )
    assert summary.statements_new == 2


def _text(body: dict[str, Any]) -> str:
    """Everything a message says (its fallback text and blocks, or content and embeds)."""
    return json.dumps(body, ensure_ascii=False)


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    fake.users = {MANAGER: user(MANAGER, admin=True)}
    await fake.start()
    yield fake
    await fake.close()


async def test_slack_failures_are_stored_shown_and_told_and_stop_no_other_channel(
    runtime: tuple[Runtime, Clock], slack_api: FakeSlackAPI
) -> None:
    rt, clock = runtime
    client = web_client(slack_api.token, base_url=slack_api.base)
    rt.publishers["slack"] = publisher = SlackPublisher.single(client)
    app = build_app(rt.service, client=client, signing_secret=SECRET)
    async with served(app) as url, aiohttp.ClientSession() as session:

        async def command(channel: str, text: str) -> dict[str, Any]:
            """A manager's /briefing in ``channel``; its private answer."""
            answers = len(slack_api.named("response_url"))
            body, headers = signed_command(
                SECRET,
                command="/briefing",
                text=text,
                response_url=slack_api.response_url(channel),
                user_id=MANAGER,
                channel_id=channel,
            )
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
            await slack_api.wait_for(lambda f: len(f.named("response_url")) == answers + 1)
            return slack_api.named("response_url")[-1].body

        # A manager schedules three channels the bot is in: all accepted.
        for channel in (OK, GONE, BUSY):
            answer = await command(channel, "schedule daily 08:00")
            assert answer["text"] == "Briefings scheduled: 0 8 * * * (UTC)."
        await _news(rt)

        # Then the bot is removed from one channel; another is rate-limited beyond what
        # the client waits out (three 429s: the try and its two retries); the third gets
        # one 429, which is waited out as Retry-After says.
        slack_api.not_in_channel.add(GONE)
        slack_api.rate_limited_channels[BUSY] = (3, "0.01")
        slack_api.rate_limited_channels[OK] = (1, "0.01")
        clock.now += timedelta(hours=1, minutes=30)
        refs = {c: ChannelRef("slack", TEAM, c) for c in (OK, GONE, BUSY)}
        # Each channel is its own job; the failing ones run first and beside the other.
        await asyncio.gather(
            *(rt.service.deliver_due(refs[c], publisher) for c in (GONE, BUSY, OK))
        )

        # The channel that works got its briefing, once, after waiting out its 429.
        to_ok = [p for p in slack_api.named("chat.postMessage") if p.body["channel"] == OK]
        assert len(to_ok) == 2 and to_ok[0].body == to_ok[1].body
        assert [p.body["channel"] for p in slack_api.posted].count(OK) == 1
        assert (await rt.service.status(refs[OK])).failure_reason is None

        # The failures are stored with their reasons...
        gone = await rt.service.status(refs[GONE])
        assert gone.failure_reason == f"Slack refused the briefing for {refs[GONE]}: not_in_channel"
        busy = await rt.service.status(refs[BUSY])
        assert busy.failure_reason == f"Slack refused the briefing for {refs[BUSY]}: ratelimited"
        assert (gone.delivery_failures, busy.delivery_failures) == (1, 1)

        # ...told where they can be: the rate-limited channel in the channel, the one the
        # bot left to the manager who set its schedule, in the app's direct messages...
        [told_busy] = [p for p in slack_api.posted if p.body["channel"] == BUSY]
        assert "Briefing not delivered" in told_busy.body["text"]
        assert "ratelimited" in _text(told_busy.body)
        [told_manager] = [p for p in slack_api.posted if p.body["channel"] == MANAGER]
        assert told_manager.body["text"].startswith(f"Briefing not delivered in channel {GONE}")
        assert "not_in_channel" in _text(told_manager.body)

        # ...and shown in /briefing status.
        status = await command(GONE, "status")
        assert f"{refs[GONE]}: not_in_channel" in _text(status)
        assert "Last failed delivery" in _text(status)

        # A second failure in a row is stored, not told again.
        told = len(slack_api.posted)
        clock.now += timedelta(days=1)
        await rt.service.deliver_due(refs[GONE], publisher)
        assert (await rt.service.status(refs[GONE])).delivery_failures == 2
        assert len(slack_api.posted) == told

        # Invited back: the briefing left unfinished goes out, once.
        slack_api.not_in_channel.discard(GONE)
        await rt.service.deliver_due(refs[GONE], publisher)
        assert [p.body["channel"] for p in slack_api.posted].count(GONE) == 1
        assert (await rt.service.status(refs[GONE])).delivery_failures == 0
    assert slack_api.violations == []


GUILD = 600000000000000001
MANAGER_ID = 600000000000000003
D_OK, D_FORBIDDEN, D_LIMITED = 600000000000000011, 600000000000000012, 600000000000000013
MANAGE_CHANNELS = 1 << 4
WEBHOOK = rf"/webhooks/{APP_ID}/interaction-token"


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


async def test_discord_failures_are_stored_shown_and_told_and_stop_no_other_channel(
    runtime: tuple[Runtime, Clock], discord_api: FakeDiscordAPI
) -> None:
    rt, clock = runtime
    client = build_client(rt.service, guild_id=GUILD)
    ids = iter(range(700000000000000100, 700000000000000200))
    try:
        await login(client, discord_api.token)
        rt.publishers["discord"] = publisher = DiscordPublisher(client)

        async def command(channel: int, options: list[dict[str, Any]]) -> dict[str, Any]:
            """A manager's /briefing in ``channel``; its answer."""
            answers = len(discord_api.matching("POST", WEBHOOK))
            payload = interaction_payload(
                name="briefing",
                options=options,
                channel_id=channel,
                user_id=MANAGER_ID,
                permissions=MANAGE_CHANNELS,
                app_permissions=discord_api.permissions_in(channel),
                interaction_id=next(ids),
            )
            client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
            await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == answers + 1)
            return dict(discord_api.matching("POST", WEBHOOK)[-1].body)

        schedule = [
            {
                "name": "schedule",
                "type": 1,
                "options": [{"name": "schedule", "type": 3, "value": "daily 08:00"}],
            }
        ]
        for channel in (D_OK, D_FORBIDDEN, D_LIMITED):
            answer = await command(channel, schedule)
            assert answer["content"].startswith("Briefings scheduled: 0 8")
        await _news(rt)

        # The bot loses View Channel in one channel (Discord answers its posts 403 Missing
        # Access); another channel's first post is answered 429 with Retry-After.
        discord_api.channel_permissions[str(D_FORBIDDEN)] = ALL_PERMISSIONS & ~VIEW_CHANNEL
        discord_api.rate_limit_once("POST", rf"/channels/{D_LIMITED}/messages", retry_after=0.01)
        clock.now += timedelta(hours=1, minutes=30)
        refs = {
            c: ChannelRef("discord", str(GUILD), str(c)) for c in (D_OK, D_FORBIDDEN, D_LIMITED)
        }
        await asyncio.gather(
            *(rt.service.deliver_due(refs[c], publisher) for c in (D_FORBIDDEN, D_LIMITED, D_OK))
        )

        # Both other channels got their briefing once; the 429 was waited out.
        assert len(discord_api.matching("POST", rf"/channels/{D_OK}/messages")) == 1
        assert len(discord_api.matching("POST", rf"/channels/{D_LIMITED}/messages")) == 2
        for channel in (D_OK, D_LIMITED):
            status = await rt.service.status(refs[channel])
            assert status.failure_reason is None and status.last_delivery is not None

        # The refusal is stored with its reason...
        forbidden = await rt.service.status(refs[D_FORBIDDEN])
        assert forbidden.failure_reason is not None
        assert "HTTP 403 Missing Access" in forbidden.failure_reason
        assert forbidden.delivery_failures == 1

        # ...told to the manager who set the schedule, in a direct message (the channel
        # refused the notice too)...
        [opened] = discord_api.matching("POST", "/users/@me/channels")
        assert opened.body == {"recipient_id": MANAGER_ID}
        dm = discord_api.dm_channels[str(MANAGER_ID)]
        [told] = discord_api.matching("POST", rf"/channels/{dm}/messages")
        assert f"Briefing not delivered in channel {D_FORBIDDEN}" in _text(told.body)
        assert "403 Missing Access" in _text(told.body)
        assert told.body["allowed_mentions"]["parse"] == []

        # ...and shown in /briefing status (asked in the channel: an interaction needs no
        # permission of the bot's there).
        status_answer = await command(D_FORBIDDEN, [{"name": "status", "type": 1, "options": []}])
        assert "Last failed delivery" in _text(status_answer)
        assert "403 Missing Access" in _text(status_answer)
        assert discord_api.violations == []
    finally:
        await client.close()
