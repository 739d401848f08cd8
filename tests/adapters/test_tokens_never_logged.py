"""Tokens never reach the log: the bot's own logging set to DEBUG, every library logger
opened up to DEBUG as well (the worst case, past the usual quieting), then each token
is really used against the loopback fakes: a Discord login, an interaction and a post;
a Slack auth.test, a signed slash command, a post and a Socket Mode connection."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Iterator

import aiohttp
import discord
import pytest

from adapters.discord.bot import DiscordPublisher, build_client, login
from adapters.slack.app import (
    SlackPublisher,
    build_app,
    check_token,
    run_socket_mode,
    web_client,
)
from bot.ports import ChannelRef
from config.logging import QUIET, configure_logging
from tests.fakes.discord_api import APP_ID, FakeDiscordAPI, interaction_payload
from tests.fakes.service import make_briefing, sample_service
from tests.fakes.slack_api import TEAM, FakeSlackAPI, command_payload, served, signed_command

# Shaped like real ones (made up): the redaction must not rely on the fakes' odd shapes.
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
SLACK_BOT_TOKEN = "xoxb-1111111111-2222222222-abcdefABCDEF0123456789"
SLACK_APP_TOKEN = "xapp-1-A0000APP-3333333333-0123456789abcdef0123456789abcdef"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SECRETS = (DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SIGNING_SECRET)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The bot's logging at DEBUG into a buffer, with every quiet logger opened up."""
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    quiet_levels = {name: logging.getLogger(name).level for name in QUIET}
    handler = configure_logging("DEBUG", SECRETS, stream=stream)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, quiet in quiet_levels.items():
            logging.getLogger(name).setLevel(quiet)
        assert root.handlers == handlers


async def test_discord_token_is_never_logged(
    monkeypatch: pytest.MonkeyPatch, debug_log: io.StringIO
) -> None:
    fake = FakeDiscordAPI(token=DISCORD_TOKEN)
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    client = build_client(sample_service(), guild_id=600000000000000001)
    try:
        await login(client, DISCORD_TOKEN)
        options = [{"name": "actor", "type": 3, "value": "Germany"}]
        payload = interaction_payload(name="stance", options=options)
        client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        webhook = rf"/webhooks/{APP_ID}/interaction-token"
        await fake.wait_for(lambda f: bool(f.matching("POST", webhook)))
        channel = ChannelRef("discord", "600000000000000001", "600000000000000002")
        await DiscordPublisher(client).publish(channel, make_briefing(actors=2))
    finally:
        await client.close()
        await fake.close()
    # The token was really sent, and discord.py really logged at DEBUG.
    assert fake.requests[0].headers["Authorization"] == f"Bot {DISCORD_TOKEN}"
    text = debug_log.getvalue()
    assert "DEBUG discord.http" in text
    assert DISCORD_TOKEN not in text
    assert not any(part in text for part in DISCORD_TOKEN.split("."))


async def test_slack_tokens_are_never_logged(debug_log: io.StringIO) -> None:
    fake = FakeSlackAPI(token=SLACK_BOT_TOKEN, app_token=SLACK_APP_TOKEN)
    await fake.start()
    client = web_client(SLACK_BOT_TOKEN, base_url=fake.base)
    try:
        assert await check_token(client) == TEAM
        await SlackPublisher.single(client).publish(
            ChannelRef("slack", TEAM, "C0000NEWS"), make_briefing(actors=2)
        )
        # A signed slash command over HTTP.
        app = build_app(sample_service(), client=client, signing_secret=SIGNING_SECRET)
        body, headers = signed_command(
            SIGNING_SECRET, command="/stance", text="France", response_url=fake.response_url()
        )
        async with served(app) as url, aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
            await fake.wait_for(lambda f: len(f.named("chat.postMessage")) == 2)
        # Socket Mode with the app token.
        socket_app = build_app(sample_service(), client=client)
        task = asyncio.ensure_future(run_socket_mode(socket_app, SLACK_APP_TOKEN))
        fake.send_over_socket(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": command_payload(
                    command="/stance", text="Germany", response_url=fake.response_url()
                ),
            }
        )
        await fake.wait_for(lambda f: len(f.named("chat.postMessage")) == 3)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await fake.close()
    used = {c.headers.get("Authorization") for c in fake.calls}
    assert {f"Bearer {SLACK_BOT_TOKEN}", f"Bearer {SLACK_APP_TOKEN}"} <= used
    text = debug_log.getvalue()
    assert "DEBUG slack_sdk" in text and "DEBUG slack_bolt" in text
    for secret in (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SIGNING_SECRET):
        assert secret not in text
    assert "xoxb-" not in text and "xapp-" not in text
