"""Slack for many workspaces: installations in the bot's database (slack_sdk's SQLAlchemy
store on the same URL), each workspace's briefings posted with its own token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy
from alembic import command
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.dialects import sqlite

from adapters.slack.app import (
    SlackPublisher,
    build_app,
    installed_client_for,
    oauth_settings,
    web_client,
)
from bot.errors import PublishError
from bot.ports import ChannelRef
from bot.store.db import alembic_config, make_engine, open_database
from tests.fakes.service import make_briefing, sample_service
from tests.fakes.slack_api import TEAM, FakeSlackAPI, installation, served, signed_command

SECRET = "fake-signing-secret"


def migrated(tmp_path: Path) -> str:
    """A database URL opened (so migrated) the way the bot opens its database."""
    url = f"sqlite:///{tmp_path / 'newsbrief.db'}"
    open_database(url)[0].dispose()
    return url


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI(token="xoxb-installed-token")
    await fake.start()
    yield fake
    await fake.close()


async def test_installations_persist_and_briefings_use_the_workspace_token(
    tmp_path: Path, slack_api: FakeSlackAPI
) -> None:
    url = migrated(tmp_path)
    settings, store = oauth_settings(url, "111.222", "client-secret")
    await store.async_save(installation())
    # A second store on the same database (a restart) finds the installation.
    _, reopened = oauth_settings(url, "111.222", "client-secret")
    bot = await reopened.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token == "xoxb-installed-token"

    publisher = SlackPublisher(installed_client_for(reopened, base_url=slack_api.base))
    await publisher.publish(ChannelRef("slack", TEAM, "C0000NEWS"), make_briefing(actors=1))
    [post] = slack_api.named("chat.postMessage")
    assert post.headers["Authorization"] == "Bearer xoxb-installed-token"

    with pytest.raises(PublishError, match="not installed"):
        await publisher.publish(ChannelRef("slack", "T0000OTHER", "C1"), make_briefing(actors=1))

    app = build_app(sample_service(), signing_secret="secret", oauth_settings=settings)
    routes = {r.resource.canonical for r in app.web_app().router.routes() if r.resource}
    assert {"/slack/events", "/slack/install", "/slack/oauth_redirect"} <= routes


async def test_a_signed_command_in_an_installed_workspace_answers_with_its_token(
    tmp_path: Path, slack_api: FakeSlackAPI
) -> None:
    settings, store = oauth_settings(migrated(tmp_path), "111.222", "secret")
    await store.async_save(installation())
    app = build_app(
        sample_service(),
        client=web_client(base_url=slack_api.base),
        signing_secret=SECRET,
        oauth_settings=settings,
    )
    async with served(app) as url, aiohttp.ClientSession() as session:
        body, headers = signed_command(
            SECRET, command="/stance", text="France", response_url=slack_api.response_url()
        )
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status == 200
        await slack_api.wait_for(lambda f: bool(f.named("chat.postMessage")))
    [post] = slack_api.named("chat.postMessage")
    assert post.headers["Authorization"] == "Bearer xoxb-installed-token"
    assert post.body["text"].startswith("France: 1 statement")


def _columns(table: sqlalchemy.Table) -> dict[str, tuple[str, bool | None]]:
    return {c.name: (str(c.type.compile(dialect=sqlite.dialect())), c.nullable) for c in table.c}


def test_the_migrations_make_the_tables_slack_sdk_reads_and_writes(tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(migrated(tmp_path))
    try:
        reflected = sqlalchemy.MetaData()
        reflected.reflect(engine)
    finally:
        engine.dispose()
    expected = sqlalchemy.MetaData()
    wanted = [
        SQLAlchemyInstallationStore.build_installations_table(expected, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(expected, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(expected, "slack_oauth_states"),
    ]
    for table in wanted:
        assert _columns(reflected.tables[table.name]) == _columns(table), table.name
        indexes = {i.name: [c.name for c in i.columns] for i in table.indexes}
        found = {i.name: [c.name for c in i.columns] for i in reflected.tables[table.name].indexes}
        assert found == indexes


async def test_tables_an_earlier_version_made_with_create_all_are_kept(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newsbrief.db'}"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        legacy = SQLAlchemyInstallationStore(client_id="111.222", engine=engine)
        legacy.metadata.create_all(engine)
        legacy.save(
            Installation(app_id="A1", team_id=TEAM, user_id="U1", bot_token="xoxb-kept-token")
        )
    finally:
        engine.dispose()
    _, store = oauth_settings(migrated(tmp_path), "111.222", "client-secret")
    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token == "xoxb-kept-token"
