"""The adapters over the real runtime and store (SQLite in a temporary directory): a
manager configures a Discord channel through the real CommandTree, /briefing status
shows it, and the scheduled briefing arrives as a channel message with embeds, once;
``run_bot`` with Discord and Slack together delivers a due briefing on both.
A stand-in extractor keeps the engine out of this test (it has its own)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import discord
import pytest
from yarl import URL

from adapters.discord.bot import DiscordPublisher, build_client, login
from adapters.slack.app import build_app, oauth_settings, web_client
from bot.cli_run import plan_adapters, run_bot
from bot.ingest import FetchedItem
from bot.ports import ChannelRef, Publisher
from bot.runtime import Runtime, build_runtime
from briefings.models import Actor, Article, Kind, Span, Statement
from config.settings import Settings, load_settings
from tests.fakes.discord_api import APP_ID, FakeDiscordAPI, interaction_payload
from tests.fakes.service import TOKEN_ENV
from tests.fakes.slack_api import TEAM, FakeSlackAPI, installation, served, signed_command, user

GUILD = 600000000000000001
CHANNEL = 600000000000000002
MANAGE_CHANNELS = 1 << 4
QUOTE = re.compile(
    r"“(?P<content>[^”]+),” said (?P<role>Chancellor|President) (?P<name>[A-Z]\w+ [A-Z]\w+)"
)
ACTORS = {"Chancellor": Actor("DE", "Germany"), "President": Actor("FR", "France")}


class QuoteExtractor:
    """“words,” said Chancellor Anna Weber → a direct statement for Germany."""

    async def extract(
        self, articles: Sequence[Article], aliases: Mapping[str, Actor]
    ) -> list[list[Statement]]:
        results = []
        for article in articles:
            found = []
            for m in QUOTE.finditer(article.text):
                found.append(
                    Statement(
                        speaker=Span(m.start("name"), m.end("name"), m["name"]),
                        speaker_name=m["name"],
                        role=m["role"],
                        actor=ACTORS[m["role"]],
                        cue=None,
                        content=Span(m.start("content"), m.end("content"), m["content"]),
                        kind=Kind.DIRECT,
                    )
                )
            results.append(found)
        return results

    async def aclose(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


@pytest.fixture
async def runtime(
    tmp_path: Path, discord_api: FakeDiscordAPI
) -> AsyncIterator[tuple[Runtime, Clock]]:
    clock = Clock()
    settings = load_settings(data_dir=tmp_path, database_url=None, allow_private_networks=True)
    rt = await build_runtime(settings, {}, now=clock, extractor=QuoteExtractor())
    try:
        yield rt, clock
    finally:
        await rt.aclose()


TOPICS = {"a1": "power grid", "a2": "trade talks", "b1": "fisheries"}


def item(guid: str, text: str) -> FetchedItem:
    return FetchedItem(
        guid=guid,
        url=f"https://news.example.org/{guid}",
        # distinct events: two reports of one event would be one story
        title=f"Summit report {guid} on {TOPICS.get(guid, guid)}",
        published=datetime(2024, 5, 6, 6, 0, tzinfo=UTC),
        outlet="The Example Herald",
        text=text,
    )


async def test_configure_status_and_scheduled_briefing_through_discord(
    runtime: tuple[Runtime, Clock], discord_api: FakeDiscordAPI
) -> None:
    rt, clock = runtime
    client = build_client(rt.service, guild_id=GUILD)
    try:
        await login(client, discord_api.token)
        rt.publishers["discord"] = DiscordPublisher(client)

        # A manager schedules the channel's briefings through the real CommandTree.
        options = [
            {
                "name": "schedule",
                "type": 1,
                "options": [
                    {"name": "schedule", "type": 3, "value": "daily 08:00"},
                    {"name": "timezone", "type": 3, "value": "UTC"},
                ],
            }
        ]
        payload = interaction_payload(name="briefing", options=options, permissions=MANAGE_CHANNELS)
        client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        webhook = rf"/webhooks/{APP_ID}/interaction-token"
        await discord_api.wait_for(lambda f: len(f.matching("POST", webhook)) == 1)
        assert (
            "Briefings scheduled: 0 8 \\* \\* \\*"
            in discord_api.matching("POST", webhook)[0].body["content"]
        )

        # Anyone reads it back in /briefing status.
        status = interaction_payload(
            name="briefing",
            options=[{"name": "status", "type": 1, "options": []}],
            interaction_id=700000000000000005,
        )
        client._connection.parse_interaction_create(status)  # type: ignore[arg-type]
        await discord_api.wait_for(lambda f: len(f.matching("POST", webhook)) == 2)
        description = discord_api.matching("POST", webhook)[1].body["embeds"][0]["description"]
        assert "Schedule: 0 8 \\* \\* \\* (UTC)" in description  # markdown-escaped
        assert "Next delivery: 2024-05-06 08:00" in description

        # News arrives; the 08:00 slot passes; the scheduled job delivers it once.
        summary = await rt.ingest_items(
            [
                item(
                    "a1", "“We will keep the grid stable, @everyone,” said Chancellor Anna Weber."
                ),
                item("a2", "“Talks go on <@123456789012345678>,” said President Luc Marchand."),
            ]
        )
        assert summary.statements_new == 2
        clock.now += timedelta(hours=1, minutes=30)
        channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
        publisher = rt.publishers["discord"]
        assert await rt.service.deliver_due(channel, publisher) is not None
        assert await rt.service.deliver_due(channel, publisher) is None  # never twice
        [message] = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
        embeds = message.body["embeds"]
        assert [e["title"] for e in embeds] == [
            "Summit report a1 on power grid",
            "Summit report a2 on trade talks",
        ]
        assert "**Anna Weber** (Germany, Chancellor) said:" in embeds[0]["description"]
        assert "@everyone" not in embeds[0]["description"]
        assert "<@1" not in embeds[1]["description"]
        assert message.body["allowed_mentions"]["parse"] == []
        assert discord_api.violations == []
    finally:
        await client.close()


def answered(count: int) -> Callable[[FakeSlackAPI], bool]:
    return lambda fake: len(fake.named("response_url")) == count


async def test_refusals_change_nothing_in_the_store_on_discord_and_slack(
    runtime: tuple[Runtime, Clock], discord_api: FakeDiscordAPI
) -> None:
    rt, _ = runtime
    discord_channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    slack_channel = ChannelRef("slack", TEAM, "C0000NEWS")
    before = {c: await rt.service.status(c) for c in (discord_channel, slack_channel)}

    # Discord: a member without Manage Channels tries to schedule the channel.
    client = build_client(rt.service, guild_id=GUILD)
    try:
        await login(client, discord_api.token)
        options = [
            {
                "name": "schedule",
                "type": 1,
                "options": [{"name": "schedule", "type": 3, "value": "daily 08:00"}],
            }
        ]
        payload = interaction_payload(name="briefing", options=options, permissions=0)
        client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        callback = r"/interactions/\d+/interaction-token/callback"
        await discord_api.wait_for(lambda f: bool(f.matching("POST", callback)))
        [refusal] = discord_api.matching("POST", callback)
        assert refusal.body["data"]["flags"] & 64 and "Only a channel manager" in str(
            refusal.body["data"]["content"]
        )
    finally:
        await client.close()

    # Slack: a plain member tries to add a topic and a feed; then an admin adds the topic.
    slack = FakeSlackAPI()
    slack.users = {"U0000READ": user("U0000READ"), "U0000ADMN": user("U0000ADMN", admin=True)}
    await slack.start()
    app = build_app(
        rt.service, client=web_client(slack.token, base_url=slack.base), signing_secret="s3cret"
    )
    async with served(app) as url:
        async with aiohttp.ClientSession() as session:
            for n, (who, text) in enumerate(
                [
                    ("U0000READ", "topics add grain"),
                    ("U0000READ", "feeds add https://news.example.org/rss"),
                ],
                start=1,
            ):
                body, headers = signed_command(
                    "s3cret",
                    command="/briefing",
                    text=text,
                    response_url=slack.response_url(),
                    user_id=who,
                )
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
                await slack.wait_for(answered(n))
            refusals = [c.body for c in slack.named("response_url")]
            assert all(r["response_type"] == "ephemeral" for r in refusals)
            assert all("Only a channel manager" in r["text"] for r in refusals)
            after = {c: await rt.service.status(c) for c in (discord_channel, slack_channel)}
            assert after == before  # the store did not change

            body, headers = signed_command(
                "s3cret",
                command="/briefing",
                text="topics add grain",
                response_url=slack.response_url(),
                user_id="U0000ADMN",
            )
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
            await slack.wait_for(answered(3))
        await slack.close()
    assert (await rt.service.status(slack_channel)).topics == ("grain",)
    assert (await rt.service.status(discord_channel)).schedule is None


async def until(bot: asyncio.Future[None], *waits: Awaitable[None]) -> None:
    """Wait for ``waits``; if the bot stops first, its error (or its quiet end) fails the test."""
    waiting = asyncio.ensure_future(asyncio.gather(*waits))
    done, _ = await asyncio.wait({bot, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if bot in done:
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        bot.result()
        pytest.fail("the bot stopped by itself")
    waiting.result()


async def test_run_bot_with_discord_and_slack_delivers_the_due_briefing_on_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, discord_api: FakeDiscordAPI
) -> None:
    """``run_bot`` (what ``newsbrief run`` runs) with a Discord token and Slack Socket Mode
    tokens starts both adapters on one runtime: each logs in and connects to its fake, the
    08:00 slot missed while the bot was down is delivered once on each platform, and a
    cancellation (Ctrl-C) stops everything."""
    slack = FakeSlackAPI()
    await slack.start()
    # discord.py has no settings for its URLs: the test points them at the fake.
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", URL(discord_api.gateway)
    )
    for name in TOKEN_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"NEWSBRIEF_{name}", raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", discord_api.token)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    monkeypatch.setenv("SLACK_APP_TOKEN", slack.app_token)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, slack_api_url=slack.base, allow_private_networks=True
    )
    assert plan_adapters(settings) == ["discord", "slack-socket"]

    clock = Clock()  # 07:00 UTC
    on_discord = ChannelRef("discord", str(GUILD), str(CHANNEL))
    on_slack = ChannelRef("slack", TEAM, "C0000NEWS")
    built: list[Runtime] = []

    async def runtime_factory(settings: Settings, publishers: dict[str, Publisher]) -> Runtime:
        # The database as the bot finds it on a restart: both channels subscribed for
        # 08:00, the news stored, and the 08:00 slot passed while it was down.
        rt = await build_runtime(settings, publishers, now=clock, extractor=QuoteExtractor())
        for channel in (on_discord, on_slack):
            await rt.service.subscribe(channel, schedule="daily 08:00", timezone="UTC")
        await rt.ingest_items(
            [item("b1", "“The grid will hold this winter,” said Chancellor Anna Weber.")]
        )
        clock.now += timedelta(hours=1, minutes=30)
        built.append(rt)
        return rt

    discord_posts = rf"/channels/{CHANNEL}/messages"
    bot = asyncio.ensure_future(run_bot(settings, runtime_factory=runtime_factory))
    try:
        await until(
            bot,
            discord_api.wait_for(
                lambda f: bool(f.identified and f.matching("POST", discord_posts))
            ),
            slack.wait_for(lambda f: f.sockets_open == 1 and bool(f.named("chat.postMessage"))),
        )
        [rt] = built
        assert rt.scheduler.running
        assert set(rt.publishers) == {"discord", "slack"}
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        # Everything stopped: the gateway and the socket closed, the scheduler down.
        await discord_api.wait_for(lambda f: f.gateway_open == 0)
        await slack.wait_for(lambda f: f.sockets_open == 0)
        await slack.close()
    assert bot.cancelled()
    assert not rt.scheduler.running
    publisher = rt.publishers["discord"]
    assert isinstance(publisher, DiscordPublisher) and publisher.client.is_closed()

    # Discord: logged in, commands synced, one gateway session with the guilds intent only,
    # and the briefing once, as a channel message with embeds that ping no one.
    assert [i["token"] for i in discord_api.identified] == [discord_api.token]
    assert discord_api.identified[0]["intents"] == discord.Intents(guilds=True).value
    assert discord_api.matching("GET", "/users/@me")
    assert discord_api.matching("PUT", rf"/applications/{APP_ID}/commands")
    [message] = discord_api.matching("POST", discord_posts)
    assert [e["title"] for e in message.body["embeds"]] == ["Summit report b1 on fisheries"]
    assert "**Anna Weber** (Germany, Chancellor) said:" in message.body["embeds"][0]["description"]
    assert message.body["allowed_mentions"]["parse"] == []
    assert discord_api.violations == []

    # Slack: token checked, Socket Mode opened with the app token, the briefing posted once
    # in Block Kit with the bot token.
    [auth] = slack.named("auth.test")
    assert auth.headers["Authorization"] == f"Bearer {slack.token}"
    # The app token: checked once at start, then Socket Mode's own connection.
    opened = slack.named("apps.connections.open")
    assert len(opened) == 2
    assert {o.headers["Authorization"] for o in opened} == {f"Bearer {slack.app_token}"}
    [post] = slack.named("chat.postMessage")
    assert post.body["channel"] == "C0000NEWS"
    assert post.headers["Authorization"] == f"Bearer {slack.token}"
    assert "Anna Weber" in json.dumps(post.body["blocks"])
    assert slack.violations == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_bot_with_slack_oauth_uses_the_api_url_for_every_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack for many workspaces through ``run_bot``: the due briefing goes out with the
    installed workspace's token, and a signed command is answered, both through the Web
    API that NEWSBRIEF_SLACK_API_URL names (the fake; nothing else would answer)."""
    slack = FakeSlackAPI(token="xoxb-installed-token")
    await slack.start()
    for name in TOKEN_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"NEWSBRIEF_{name}", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    port = free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        slack_api_url=slack.base,
        slack_host="127.0.0.1",
        slack_port=port,
        allow_private_networks=True,
    )
    assert plan_adapters(settings) == ["slack-oauth"]
    clock = Clock()
    channel = ChannelRef("slack", TEAM, "C0000NEWS")

    async def runtime_factory(settings: Settings, publishers: dict[str, Publisher]) -> Runtime:
        rt = await build_runtime(settings, publishers, now=clock, extractor=QuoteExtractor())
        _, store = oauth_settings(settings.sqlalchemy_url, "111.222", "client-secret")
        await store.async_save(installation(slack.token))
        await rt.service.subscribe(channel, schedule="daily 08:00", timezone="UTC")
        await rt.ingest_items(
            [item("c1", "“Talks resume on Monday,” said President Luc Marchand.")]
        )
        clock.now += timedelta(hours=1, minutes=30)
        return rt

    bot = asyncio.ensure_future(run_bot(settings, runtime_factory=runtime_factory))
    try:
        await until(bot, slack.wait_for(lambda f: len(f.named("chat.postMessage")) == 1))
        body, headers = signed_command(
            "s3cret", command="/stance", text="France", response_url=slack.response_url()
        )
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
            ) as response,
        ):
            assert response.status == 200
        await until(bot, slack.wait_for(lambda f: len(f.named("chat.postMessage")) == 2))
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        await slack.close()
    briefing, answer = slack.named("chat.postMessage")
    assert "Luc Marchand" in json.dumps(briefing.body["blocks"])
    assert answer.body["text"].startswith("France: 1 statement")
    for post in (briefing, answer):
        assert post.headers["Authorization"] == "Bearer xoxb-installed-token"
    assert slack.violations == []


def test_oauth_token_rotation_would_use_the_api_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newsbrief.db'}"
    settings, _ = oauth_settings(
        url, "111.222", "client-secret", base_url="http://127.0.0.1:9/api/"
    )
    rotator = getattr(settings.authorize, "token_rotator", None)
    assert rotator is not None and rotator.client.base_url == "http://127.0.0.1:9/api/"
