"""The Slack adapter's translation in: a slash command's payload as one parsed request."""

from __future__ import annotations

from dataclasses import replace

from adapters.slack.app import to_command_request
from bot.commands import ReplyKind, handle
from tests.fakes.service import sample_service


async def test_slack_wrapped_feed_urls_are_unwrapped() -> None:
    service = sample_service()
    request = to_command_request(
        {
            "command": "/briefing",
            "text": "feeds add <https://news.example.org/rss|news>",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
        }
    )
    reply = await handle(service, replace(request, is_manager=True))
    assert reply.kind is ReplyKind.FEEDS
    assert [f.url for f in reply.feeds] == ["https://news.example.org/rss"]
