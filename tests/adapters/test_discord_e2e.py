"""The real discord.py client and CommandTree against a local fake of Discord's REST API.

Interactions are fed to the client's own gateway parser (``parse_interaction_create``)
with realistic INTERACTION_CREATE payloads; everything after that is discord.py's own
code path: the CommandTree, the deferred response, the follow-ups, channel messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from adapters.discord.bot import DiscordPublisher, build_client, login
from adapters.discord.render import clean
from bot.commands import DENIED
from bot.errors import ConfigurationError
from bot.ports import ChannelRef
from tests.fakes.discord_api import APP_ID, FakeDiscordAPI, interaction_payload
from tests.fakes.service import FakeService, make_briefing, sample_service

GUILD = 600000000000000001
CHANNEL = 600000000000000002
MANAGE_CHANNELS = 1 << 4
EPHEMERAL = 1 << 6
WEBHOOK = rf"/webhooks/{APP_ID}/interaction-token"
CALLBACK = r"/interactions/\d+/interaction-token/callback"


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


@pytest.fixture
def service() -> FakeService:
    return sample_service(briefing=make_briefing(actors=3))


@pytest.fixture
async def client(
    discord_api: FakeDiscordAPI, service: FakeService
) -> AsyncIterator[discord.Client]:
    client = build_client(service, guild_id=GUILD)
    try:
        await login(client, discord_api.token)
        yield client
    finally:
        await client.close()


def briefing_option(group: str | None, sub: str, **values: str) -> list[dict[str, Any]]:
    inner = [{"name": k, "type": 3, "value": v} for k, v in values.items()]
    command = {"name": sub, "type": 1, "options": inner}
    return [{"name": group, "type": 2, "options": [command]}] if group else [command]


def dispatch(client: discord.Client, payload: dict[str, Any]) -> None:
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]


async def test_commands_are_synced_to_the_development_guild(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    [sync] = discord_api.matching("PUT", rf"/applications/{APP_ID}/guilds/{GUILD}/commands")
    names = {c["name"]: c for c in sync.body}
    assert set(names) == {"stance", "briefing", "newsbrief"}
    briefing = {o["name"]: o for o in names["briefing"]["options"]}
    assert set(briefing) == {"now", "schedule", "status", "topics", "feeds"}
    assert {o["name"] for o in briefing["topics"]["options"]} == {"add", "remove", "list"}
    actor = names["stance"]["options"][0]
    assert actor["name"] == "actor" and actor["autocomplete"] is True


async def test_stance_is_deferred_then_answered_in_a_follow_up(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = [{"name": "actor", "type": 3, "value": "Germany"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 5  # deferred channel message: the "thinking" state
    assert not (callback.body.get("data") or {}).get("flags", 0) & EPHEMERAL
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    [embed] = follow_up.body["embeds"]
    assert embed["title"].startswith("Germany: 2 statements")
    assert "“Energy prices must come down before any new levy.”" in embed["description"]
    assert follow_up.body["allowed_mentions"]["parse"] == []
    assert discord_api.violations == []


async def test_unknown_actor_answers_privately_with_suggestions(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = [{"name": "actor", "type": 3, "value": "Germny"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    assert discord_api.matching("DELETE", WEBHOOK + "/messages/@original")
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert follow_up.body["flags"] & EPHEMERAL
    assert "Did you mean: Germany?" in follow_up.body["content"]


async def test_actor_names_autocomplete(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = [{"name": "actor", "type": 3, "value": "Fr", "focused": True}]
    dispatch(client, interaction_payload(name="stance", options=options, kind=4))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 8
    assert callback.body["data"]["choices"] == [{"name": "France", "value": "France"}]


async def test_non_manager_configuration_is_refused_and_changes_nothing(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    options = briefing_option("topics", "add", words="gas")
    dispatch(client, interaction_payload(name="briefing", options=options, permissions=0))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 4
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert callback.body["data"]["content"] == "⚠️ " + clean(DENIED)
    assert service.calls == [] and service.channels == {}


async def test_manager_configuration_succeeds_and_shows_in_status(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    options = briefing_option("topics", "add", words="gas")
    dispatch(
        client,
        interaction_payload(name="briefing", options=options, permissions=MANAGE_CHANNELS),
    )
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 1)
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 5 and callback.body["data"]["flags"] & EPHEMERAL
    assert discord_api.matching("POST", WEBHOOK)[0].body["content"] == "Topics: gas"

    # Anyone (no permissions at all) may read the status; the topic is there.
    status = interaction_payload(
        name="briefing", options=briefing_option(None, "status"), interaction_id=700000000000000009
    )
    dispatch(client, status)
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 2)
    [embed] = discord_api.matching("POST", WEBHOOK)[1].body["embeds"]
    assert "Topics: gas" in embed["description"]
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    assert service.channels[channel].topics == ["gas"]


async def test_a_scheduled_briefing_arrives_as_channel_messages_with_embeds(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    await DiscordPublisher(client).publish(channel, make_briefing(actors=3))
    [message] = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
    assert message.body["content"] == "**Morning briefing** · 2024-05-06"
    assert message.body["embeds"][0]["title"] == "Story 00: ministers meet on energy"
    assert message.body["allowed_mentions"]["parse"] == []


async def test_sixty_actors_arrive_in_order_within_every_limit(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    briefing = make_briefing(actors=60, quote_chars=1500, stories=3)
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    await DiscordPublisher(client).publish(channel, briefing)
    sent = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
    assert len(sent) > 1 and discord_api.violations == []
    text = "\n".join(e["description"] for m in sent for e in m.body["embeds"])
    positions = [text.index(f"Quote {n:03d}:") for n in range(60)]
    assert positions == sorted(positions)  # all sixty, in order


async def test_article_text_pings_no_one(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    briefing = make_briefing(actors=1, extra="@everyone @here <@123456789012345678> <!channel> ")
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    await DiscordPublisher(client).publish(channel, briefing)
    [message] = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
    assert message.body["allowed_mentions"]["parse"] == []
    description = message.body["embeds"][0]["description"]
    assert "@everyone" not in description and "@here" not in description
    assert "<@1" not in description


async def test_a_429_is_waited_out_and_the_message_delivered_once(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    discord_api.rate_limit_once("POST", rf"/channels/{CHANNEL}/messages", retry_after=0.05)
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    await DiscordPublisher(client).publish(channel, make_briefing(actors=2))
    attempts = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
    assert len(attempts) == 2  # the refused one, then the delivered one
    assert attempts[0].body == attempts[1].body
    assert len(discord_api.rate_limits) == 1 and discord_api.rate_limits[0].remaining == 0


async def test_a_429_on_a_follow_up_is_waited_out(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    discord_api.rate_limit_once("POST", WEBHOOK, retry_after=0.05)
    options = [{"name": "actor", "type": 3, "value": "France"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 2)
    first, second = discord_api.matching("POST", WEBHOOK)
    assert first.body == second.body


async def test_a_wrong_token_fails_fast_with_one_clear_line(
    discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    client = build_client(service)
    try:
        with pytest.raises(ConfigurationError) as caught:
            await login(client, "not-the-token")
    finally:
        await client.close()
    message = str(caught.value)
    assert "\n" not in message and "DISCORD_TOKEN" in message
    assert "not-the-token" not in message


def test_sharded_client_when_shards_are_asked_for(service: FakeService) -> None:
    client = build_client(service, shards=2)
    assert isinstance(client, discord.AutoShardedClient)
    assert client.intents.value == discord.Intents(guilds=True).value
    assert not client.intents.message_content and not client.intents.members
    assert client.allowed_mentions is not None
    assert client.allowed_mentions.to_dict()["parse"] == []


async def test_without_a_guild_commands_are_synced_globally(
    discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    client = build_client(service)
    try:
        await login(client, discord_api.token)
    finally:
        await client.close()
    assert len(discord_api.matching("PUT", rf"/applications/{APP_ID}/commands")) == 1
    assert not discord_api.matching("PUT", rf"/applications/{APP_ID}/guilds/\d+/commands")


async def test_briefing_now_posts_embeds_for_everyone(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = briefing_option(None, "now")
    dispatch(
        client, interaction_payload(name="briefing", options=options, permissions=MANAGE_CHANNELS)
    )
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 5
    assert not (callback.body.get("data") or {}).get("flags", 0) & EPHEMERAL
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert not follow_up.body.get("flags", 0) & EPHEMERAL
    assert follow_up.body["content"] == "**Morning briefing** · 2024-05-06"
    assert [e["title"] for e in follow_up.body["embeds"]] == ["Story 00: ministers meet on energy"]


async def test_help_is_private(client: discord.Client, discord_api: FakeDiscordAPI) -> None:
    dispatch(
        client,
        interaction_payload(name="newsbrief", options=[{"name": "help", "type": 1, "options": []}]),
    )
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert follow_up.body["flags"] & EPHEMERAL
    assert "/briefing schedule" in follow_up.body["content"]
