"""The real discord.py client and CommandTree against a local fake of Discord's REST API.

Interactions are fed to the client's own gateway parser (``parse_interaction_create``)
with realistic INTERACTION_CREATE payloads; everything after that is discord.py's own
code path: the CommandTree, the deferred response, the follow-ups, channel messages.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import discord
import pytest

from adapters.discord.bot import DiscordPublisher, build_client, login
from adapters.discord.render import bullet_line, clean, embed_size
from bot.commands import DENIED
from bot.errors import ConfigurationError
from bot.ports import ChannelRef
from tests.fakes.discord_api import (
    ALL_PERMISSIONS,
    APP_ID,
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscordAPI,
    interaction_payload,
)
from tests.fakes.service import (
    PING_TEXT,
    FakeService,
    make_briefing,
    pinging_briefing,
    sample_service,
)

GUILD = 600000000000000001
CHANNEL = 600000000000000002
MANAGE_CHANNELS = 1 << 4
ADMINISTRATOR = 1 << 3
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
    assert set(briefing) == {"now", "schedule", "status", "topics", "feeds", "length"}
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


async def test_stance_attaches_the_positions_picture_as_a_multipart_upload(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = [{"name": "actor", "type": 3, "value": "Germany"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert follow_up.headers["Content-Type"].startswith("multipart/form-data")
    [(field, filename, data)] = follow_up.files
    assert (field, filename) == ("files[0]", "positions.png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert follow_up.body["attachments"][0]["filename"] == "positions.png"
    assert follow_up.body["embeds"][0]["title"].startswith("Germany: 2 statements")


async def test_an_actor_with_one_statement_gets_no_picture(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    options = [{"name": "actor", "type": 3, "value": "France"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert follow_up.files == [] and not follow_up.body.get("attachments")


async def test_the_interaction_is_deferred_before_the_work_is_done(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    service.gate = asyncio.Event()
    options = [{"name": "actor", "type": 3, "value": "Germany"}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    # Discord has its deferred response while the service is still working.
    assert discord_api.matching("POST", CALLBACK)[0].body["type"] == 5
    assert not discord_api.matching("POST", WEBHOOK)
    service.gate.set()
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))


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


@pytest.mark.parametrize(
    "options",
    [
        briefing_option("topics", "add", words="gas"),
        briefing_option("topics", "remove", words="gas"),
        briefing_option("feeds", "add", url="https://news.example.org/rss"),
        briefing_option("feeds", "remove", url="https://news.example.org/rss"),
        briefing_option(None, "schedule", schedule="daily 08:00"),
        briefing_option(None, "now"),
    ],
    ids=["topics-add", "topics-remove", "feeds-add", "feeds-remove", "schedule", "now"],
)
async def test_non_manager_configuration_is_refused_and_changes_nothing(
    client: discord.Client,
    discord_api: FakeDiscordAPI,
    service: FakeService,
    options: list[dict[str, Any]],
) -> None:
    # Every permission but Manage Channels and Administrator: still not a manager.
    others = ((1 << 41) - 1) & ~MANAGE_CHANNELS & ~ADMINISTRATOR
    dispatch(client, interaction_payload(name="briefing", options=options, permissions=others))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 4  # answered at once, nothing deferred
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert callback.body["data"]["content"] == "⚠️ " + clean(DENIED)
    assert service.calls == [] and service.channels == {}
    assert not discord_api.matching("POST", WEBHOOK)


async def test_administrator_counts_as_a_manager(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    options = briefing_option("topics", "add", words="gas")
    dispatch(
        client, interaction_payload(name="briefing", options=options, permissions=ADMINISTRATOR)
    )
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    assert discord_api.matching("POST", WEBHOOK)[0].body["content"] == "Topics: gas"
    assert service.channels[ChannelRef("discord", str(GUILD), str(CHANNEL))].topics == ["gas"]


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
    assert len(sent) > 1 and discord_api.violations == []  # the fake checks every limit
    for message in sent:
        embeds = message.body["embeds"]
        assert 1 <= len(embeds) <= 10
        assert sum(embed_size(e) for e in embeds) <= 6000
        assert all(len(e["title"]) <= 256 and len(e["description"]) <= 4096 for e in embeds)
        assert all(len(e["footer"]["text"]) <= 2048 for e in embeds)
        assert all(len(e.get("fields", ())) <= 25 and "author" not in e for e in embeds)
    # Every bullet, whole and once, in order, across the messages the fake received.
    lines = [line for m in sent for e in m.body["embeds"] for line in e["description"].split("\n")]
    assert lines == [bullet_line(b) for s in briefing.stories for b in s.bullets]
    labels = [line.split("**")[1] for line in lines]
    assert labels == [f"Speaker {n:03d}" for n in range(60)]
    titles = [e["title"] for m in sent for e in m.body["embeds"]]
    assert titles[0] == "Story 00: ministers meet on energy"
    assert [t for t in titles if "(cont." not in t] == [s.title for s in briefing.stories]


async def test_long_titles_and_outlets_are_shortened_within_the_limits(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    base = make_briefing(actors=2, quote_chars=200)
    long_story = replace(base.stories[0], title="Summit " * 80, outlet="Herald " * 400)
    briefing = replace(base, title="Morning " * 400, stories=(long_story,))
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    await DiscordPublisher(client).publish(channel, briefing)
    [message] = discord_api.matching("POST", rf"/channels/{CHANNEL}/messages")
    assert discord_api.violations == []
    [embed] = message.body["embeds"]
    assert len(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert len(embed["footer"]["text"]) <= 2048
    assert len(message.body["content"]) <= 2000
    assert embed["description"].count("“Quote 00") == 2


def message_payloads(fake: FakeDiscordAPI) -> list[dict[str, Any]]:
    """Every message the fake was asked to post: channel messages, interaction follow-ups
    and immediate interaction responses (type 4)."""
    bodies = [r.body for r in fake.requests if r.method == "POST" and "/messages" in r.path]
    bodies += [r.body for r in fake.matching("POST", WEBHOOK)]
    bodies += [r.body["data"] for r in fake.matching("POST", CALLBACK) if r.body["type"] == 4]
    return bodies


async def test_article_text_pings_no_one(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    service.briefing = pinging_briefing()
    channel = ChannelRef("discord", str(GUILD), str(CHANNEL))
    # A scheduled delivery, /briefing now, and an error echoing what a user typed.
    await DiscordPublisher(client).publish(channel, pinging_briefing())
    now = interaction_payload(
        name="briefing", options=briefing_option(None, "now"), permissions=MANAGE_CHANNELS
    )
    dispatch(client, now)
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 1)
    typed = [{"name": "actor", "type": 3, "value": PING_TEXT}]
    dispatch(client, interaction_payload(name="stance", options=typed, interaction_id=7001))
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 2)
    refused = interaction_payload(
        name="briefing", options=briefing_option("topics", "add", words=PING_TEXT)
    )
    dispatch(client, refused)
    await discord_api.wait_for(
        lambda f: any(r.body["type"] == 4 for r in f.matching("POST", CALLBACK))
    )

    payloads = message_payloads(discord_api)
    assert len(payloads) == 4
    for payload in payloads:
        # What decides whether Discord pings: nothing may be parsed, no one listed.
        assert payload["allowed_mentions"]["parse"] == []
        assert not payload["allowed_mentions"].get("users")
        assert not payload["allowed_mentions"].get("roles")
        # And the text itself is inert even for a client that ignored allowed_mentions.
        sent = json.dumps(payload, ensure_ascii=False)
        assert not re.search(r"@(everyone|here)|<@", sent), sent
    assert "Story @\u200beveryone" in json.dumps(payloads[0], ensure_ascii=False)
    assert discord_api.violations == []


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


async def test_a_6000_character_actor_is_refused_at_once_quoting_a_short_excerpt(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    actor = "Germany " * 750  # 6,000 characters: what Discord lets a client send
    options = [{"name": "actor", "type": 3, "value": actor}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["type"] == 4  # answered at once: no work was started
    data = callback.body["data"]
    assert data["flags"] & EPHEMERAL
    assert "too long (6,000 characters; at most 500)" in data["content"]
    assert len(data["content"]) < 200 and "Germany Germany Germany" not in data["content"]
    assert service.calls == []
    assert not discord_api.matching("POST", WEBHOOK)  # one message, not four


async def test_days_zero_is_refused_not_ignored(
    client: discord.Client, discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    options = [
        {"name": "actor", "type": 3, "value": "Germany"},
        {"name": "days", "type": 4, "value": 0},
    ]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", CALLBACK)))
    [callback] = discord_api.matching("POST", CALLBACK)
    assert callback.body["data"]["flags"] & EPHEMERAL
    assert "Days must be a whole number from 1 to 3650, not '0'" in callback.body["data"]["content"]
    assert service.calls == []


async def test_an_unknown_long_name_is_quoted_as_a_short_excerpt(
    client: discord.Client, discord_api: FakeDiscordAPI
) -> None:
    name = "Ruritania" + "x" * 480
    options = [{"name": "actor", "type": 3, "value": name}]
    dispatch(client, interaction_payload(name="stance", options=options))
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [follow_up] = discord_api.matching("POST", WEBHOOK)
    assert follow_up.body["flags"] & EPHEMERAL
    assert "No actor matches 'Ruritaniaxxx" in follow_up.body["content"]
    assert len(follow_up.body["content"]) < 200


@pytest.mark.parametrize(
    ("withheld", "missing"),
    [
        (VIEW_CHANNEL, "View Channel, Send Messages, Embed Links"),
        (SEND_MESSAGES, "Send Messages"),
        (EMBED_LINKS, "Embed Links"),
    ],
    ids=["view", "send", "embeds"],
)
async def test_a_schedule_is_refused_where_the_bot_cannot_post(
    client: discord.Client,
    discord_api: FakeDiscordAPI,
    service: FakeService,
    withheld: int,
    missing: str,
) -> None:
    """Issue 12, finding 6 on Discord: a manager schedules briefings in a channel where the
    bot lacks a permission a briefing needs (its permissions there, overwrites included,
    come with the interaction as ``app_permissions``): refused in one line, nothing set.
    Without View Channel Discord resolves every channel permission to none."""
    allowed = ALL_PERMISSIONS & ~ADMINISTRATOR & ~withheld
    if withheld == VIEW_CHANNEL:
        allowed &= ~SEND_MESSAGES & ~EMBED_LINKS
    discord_api.channel_permissions[str(CHANNEL)] = allowed
    options = briefing_option(None, "schedule", schedule="daily 08:00")
    payload = interaction_payload(
        name="briefing",
        options=options,
        permissions=MANAGE_CHANNELS,
        app_permissions=discord_api.permissions_in(CHANNEL),
    )
    dispatch(client, payload)
    await discord_api.wait_for(lambda f: bool(f.matching("POST", WEBHOOK)))
    [answer] = discord_api.matching("POST", WEBHOOK)
    assert answer.body["flags"] & EPHEMERAL
    assert answer.body["content"] == "⚠️ " + clean(
        f"newsbrief cannot post briefings in this channel (it lacks {missing}): give it"
        " these permissions here, then set the schedule again."
    )
    assert service.calls == [] and service.channels == {}

    # Turning briefings off needs no permission; with the permissions given, it is set.
    off = interaction_payload(
        name="briefing",
        options=briefing_option(None, "schedule", schedule="off"),
        permissions=MANAGE_CHANNELS,
        app_permissions=discord_api.permissions_in(CHANNEL),
        interaction_id=700000000000000011,
    )
    dispatch(client, off)
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 2)
    assert (
        discord_api.matching("POST", WEBHOOK)[1]
        .body["content"]
        .startswith("Briefings scheduled: off")
    )
    discord_api.channel_permissions.clear()
    dispatch(client, {**payload, "id": "700000000000000012"} | {"app_permissions": "2147483647"})
    await discord_api.wait_for(lambda f: len(f.matching("POST", WEBHOOK)) == 3)
    assert (
        discord_api.matching("POST", WEBHOOK)[2]
        .body["content"]
        .startswith("Briefings scheduled: 0 8")
    )
