"""The slash commands' schema as Discord receives it, and when it is sent: every option says
what it takes and is bounded, manager commands are hidden from members by default, and the
sync happens only when the schema changed (or when ``newsbrief sync-commands`` asks)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord.bot import build_client, login
from bot.cli_run import sync_discord_commands
from bot.commands import MAX_DAYS, MAX_OPTION_CHARS
from config.settings import load_settings
from tests.fakes.discord_api import APP_ID, FakeDiscordAPI
from tests.fakes.service import FakeService, sample_service

GUILD = 600000000000000001
OTHER_GUILD = 600000000000000009
GUILD_SYNC = rf"/applications/{APP_ID}/guilds/\d+/commands"
GLOBAL_SYNC = rf"/applications/{APP_ID}/commands"


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscordAPI]:
    fake = FakeDiscordAPI()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    yield fake
    await fake.close()


@pytest.fixture
def service() -> FakeService:
    return sample_service()


async def start(client: discord.Client, fake: FakeDiscordAPI) -> None:
    try:
        await login(client, fake.token)
    finally:
        await client.close()


def options_of(command: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every option of a command, its subcommands' included (not the subcommands)."""
    for option in command.get("options") or []:
        if option["type"] in (1, 2):
            yield from options_of(option)
        else:
            yield option


async def synced_schema(fake: FakeDiscordAPI, service: FakeService) -> dict[str, Any]:
    await start(build_client(service), fake)
    [sync] = fake.matching("PUT", GLOBAL_SYNC)
    return {command["name"]: command for command in sync.body}


async def test_every_option_says_what_it_takes_and_is_bounded(
    discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    schema = await synced_schema(discord_api, service)
    options = [option for command in schema.values() for option in options_of(command)]
    assert len(options) == 11
    for option in options:
        assert option["description"] not in ("…", "..."), option["name"]
        if option["type"] == 3:  # a string
            assert option["max_length"] == MAX_OPTION_CHARS, option["name"]
        if option["type"] == 4:  # an integer
            assert option["min_value"] == 1 and option["max_value"] >= 1, option["name"]
    days = next(o for o in options_of(schema["stance"]) if o["name"] == "days")
    assert days["max_value"] == MAX_DAYS


async def test_manager_commands_are_hidden_from_members_by_default(
    discord_api: FakeDiscordAPI, service: FakeService
) -> None:
    schema = await synced_schema(discord_api, service)
    manage_channels = discord.Permissions(manage_channels=True).value
    assert int(schema["briefing"]["default_member_permissions"]) == manage_channels
    assert schema["stance"]["default_member_permissions"] is None
    assert schema["newsbrief"]["default_member_permissions"] is None


async def test_commands_are_synced_only_when_their_schema_changed(
    discord_api: FakeDiscordAPI, service: FakeService, tmp_path: Path
) -> None:
    state = tmp_path / "discord-commands.json"
    for _ in range(3):  # three restarts
        await start(build_client(service, guild_id=GUILD, sync_state=state), discord_api)
    assert len(discord_api.matching("PUT", GUILD_SYNC)) == 1
    # Another guild is another target: synced once too.
    await start(build_client(service, guild_id=OTHER_GUILD, sync_state=state), discord_api)
    await start(build_client(service, guild_id=OTHER_GUILD, sync_state=state), discord_api)
    assert len(discord_api.matching("PUT", GUILD_SYNC)) == 2

    # A new version of the bot with one more command: synced at its first start.
    changed = build_client(service, guild_id=GUILD, sync_state=state)

    @app_commands.command(name="extra", description="A command a later version adds")
    async def extra(interaction: discord.Interaction[Any]) -> None:
        return None

    changed.tree.add_command(extra)
    await start(changed, discord_api)
    put = discord_api.matching("PUT", GUILD_SYNC)
    assert len(put) == 3 and "extra" in {c["name"] for c in put[-1].body}


async def test_a_failed_sync_is_tried_again_at_the_next_start(
    discord_api: FakeDiscordAPI, service: FakeService, tmp_path: Path
) -> None:
    state = tmp_path / "discord-commands.json"
    for _ in range(5):  # as many 429s as discord.py tries: the sync fails
        discord_api.rate_limit_once("PUT", GLOBAL_SYNC, retry_after=0.01)
    await start(build_client(service, sync_state=state), discord_api)
    assert not state.exists()  # nothing recorded: it did not get through
    failed = len(discord_api.matching("PUT", GLOBAL_SYNC))
    await start(build_client(service, sync_state=state), discord_api)
    await start(build_client(service, sync_state=state), discord_api)
    assert len(discord_api.matching("PUT", GLOBAL_SYNC)) == failed + 1
    assert state.exists()


async def test_sync_commands_syncs_whatever_was_synced_before(
    discord_api: FakeDiscordAPI, tmp_path: Path
) -> None:
    settings = load_settings(data_dir=tmp_path, discord_token=discord_api.token)
    assert await sync_discord_commands(settings) == 3
    assert await sync_discord_commands(settings) == 3
    assert len(discord_api.matching("PUT", GLOBAL_SYNC)) == 2
    assert (tmp_path / "discord-commands.json").exists()
