"""Slack for many workspaces: installations in the bot's database (slack_sdk's SQLAlchemy
store on the same URL), each workspace's briefings posted with its own token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack.app import (
    SlackPublisher,
    build_app,
    installed_client_for,
    oauth_settings,
    web_client,
)
from bot.errors import PublishError
from bot.ports import ChannelRef
from tests.fakes.service import make_briefing, sample_service
from tests.fakes.slack_api import TEAM, FakeSlackAPI, signed_command

SECRET = "fake-signing-secret"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI(token="xoxb-installed-token")
    await fake.start()
    yield fake
    await fake.close()


async def test_installations_persist_and_briefings_use_the_workspace_token(
    tmp_path: Path, slack_api: FakeSlackAPI
) -> None:
    url = f"sqlite:///{tmp_path / 'newsbrief.db'}"
    settings, store = oauth_settings(url, "111.222", "client-secret")
    await store.async_save(
        Installation(
            app_id="A0000APP",
            team_id=TEAM,
            user_id="U0000ADMN",
            bot_token="xoxb-installed-token",
            bot_id="B0000BOT",
            bot_user_id="U0000BOT",
            bot_scopes=["commands", "chat:write"],
        )
    )
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
    settings, store = oauth_settings(f"sqlite:///{tmp_path / 'nb.db'}", "111.222", "secret")
    await store.async_save(
        Installation(
            app_id="A0000APP",
            team_id=TEAM,
            user_id="U0000ADMN",
            bot_token="xoxb-installed-token",
            bot_id="B0000BOT",
            bot_user_id="U0000BOT",
            bot_scopes=["commands", "chat:write"],
        )
    )
    app = build_app(
        sample_service(),
        client=web_client(base_url=slack_api.base),
        signing_secret=SECRET,
        oauth_settings=settings,
    )
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        async with aiohttp.ClientSession() as session:
            body, headers = signed_command(
                SECRET, command="/stance", text="France", response_url=slack_api.response_url()
            )
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == 200
            await slack_api.wait_for(lambda f: bool(f.named("chat.postMessage")))
    finally:
        await runner.cleanup()
    [post] = slack_api.named("chat.postMessage")
    assert post.headers["Authorization"] == "Bearer xoxb-installed-token"
    assert post.body["text"].startswith("France: 1 statement")
