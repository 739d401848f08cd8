"""What an operator reads at the default level (INFO): our lines, not the libraries'. bolt
keeps its loggers at the level set for "slack_bolt" (it would set each to the root's and log
an unsigned request's body), and discord.py says nothing about voice we never use."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import aiohttp
import pytest

from adapters.discord.bot import build_client
from adapters.slack.app import build_app, web_client
from config.logging import QUIET, configure_logging
from tests.fakes.service import sample_service
from tests.fakes.slack_api import FakeSlackAPI, served, signed_command

MARKER = "BODY-MARKER-7f3a"


@pytest.fixture
def info_log() -> Iterator[io.StringIO]:
    """The bot's logging at INFO, as ``newsbrief run`` sets it, into a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    quiet_levels = {name: logging.getLogger(name).level for name in QUIET}
    handler = configure_logging("INFO", stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, quiet in quiet_levels.items():
            logging.getLogger(name).setLevel(quiet)
        assert root.handlers == handlers


async def test_an_unsigned_request_body_is_never_logged(info_log: io.StringIO) -> None:
    fake = FakeSlackAPI()
    await fake.start()
    try:
        service = sample_service()
        app = build_app(
            service,
            client=web_client(fake.token, base_url=fake.base),
            signing_secret="the-real-secret",
        )
        body, headers = signed_command(
            "not-the-secret", command="/stance", text=MARKER, response_url=fake.response_url()
        )
        async with served(app) as url, aiohttp.ClientSession() as session:
            response = await session.post(url, data=body, headers=headers)
            response.release()
            assert response.status == 401
    finally:
        await fake.close()
    assert MARKER not in info_log.getvalue()
    assert "slack_bolt" not in info_log.getvalue()


def test_no_voice_warnings_when_the_discord_client_is_built(info_log: io.StringIO) -> None:
    build_client(sample_service())
    build_client(sample_service(), shards=2)
    assert "voice" not in info_log.getvalue()
