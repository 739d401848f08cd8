"""The Slack adapter: slash commands in, neutral requests through ``bot.commands``,
Block Kit out. Nothing here knows what a stance is.

Three ways to run (chosen by the composition root from the settings):
- Socket Mode (bot token + app token): one workspace, no public URL;
- HTTP mode, one workspace (bot token + signing secret): requests are signature-checked;
- HTTP mode with OAuth (signing secret + client id/secret): many workspaces, the
  installations kept by slack_sdk's SQLAlchemy store in the bot's own database.

Every command is acked at once (Slack allows 3 seconds) and answered after: private
replies through the command's ``response_url``, public ones with chat.postMessage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import SlackMessage, render_briefing, render_reply
from bot.commands import Attachment, CommandRequest, handle
from bot.errors import ConfigurationError, PublishError
from bot.fit import one_line_reason
from bot.ports import ChannelRef
from bot.service import Service
from briefings.models import Briefing

log = logging.getLogger(__name__)
# bolt's own loggers: given to the app so that every logger bolt derives from it (its
# middleware's, its listeners') inherits the level set for "slack_bolt" (by default bolt
# sets each to the root's level, and its request verification logs the unsigned body).
BOLT_LOG = logging.getLogger("slack_bolt.newsbrief")

PLATFORM = "slack"
COMMANDS = ("/stance", "/briefing", "/newsbrief")
# channels:read and groups:read: conversations.info, to check that /briefing schedule is
# set where the bot can post (a member, or a public channel with chat:write.public).
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "files:write",
    "channels:read",
    "groups:read",
)
MAX_RETRY_AFTER = 60.0
# chat.postMessage errors about the message itself: sending it again can never work.
REJECTED_MESSAGE = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments"}
)


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's rate-limit retry handler, honouring a fractional Retry-After exactly
    (the stock one truncates it to whole seconds and adds up to a second of jitter)."""

    def __init__(self, max_retry_count: int = 2) -> None:
        super().__init__(max_retry_count=max_retry_count)

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        wait = 1.0 + random.random()
        for key, values in response.headers.items():
            if key.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    wait = min(max(float(values[0]), 0.0), MAX_RETRY_AFTER)
        log.warning("Slack rate limit on %s: retrying in %.2f s", request.url, wait)
        await asyncio.sleep(wait)
        state.increment_current_attempt()


def retry_handlers() -> list[AsyncRetryHandler]:
    return [RetryAfterHandler()]


def web_client(token: str | None = None, *, base_url: str | None = None) -> AsyncWebClient:
    """A Web API client that waits out 429s as Slack asks."""
    kwargs: dict[str, Any] = {"token": token, "retry_handlers": retry_handlers()}
    if base_url:
        kwargs["base_url"] = base_url
    return AsyncWebClient(**kwargs)


def error_code(exc: SlackApiError) -> str:
    """Slack's error code ("not_in_channel"), or the HTTP status when the body was not JSON."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"


def to_command_request(command: Mapping[str, Any]) -> CommandRequest:
    """The translation in: a slash command's payload as one parsed request (rights are
    asked of Slack afterwards, only when the command needs a manager)."""
    channel = ChannelRef(PLATFORM, command.get("team_id", ""), command.get("channel_id", ""))
    text = unescape(unwrap_links(command.get("text", "")))
    return CommandRequest.from_text(
        command.get("command", ""), text, channel, command.get("user_id", "")
    )


# Slack sends a pasted link as <https://x.example/rss> or <https://x.example/rss|label>.
_LINK = re.compile(r"<(https?://[^<>|\s]+)(?:\|[^<>]*)?>")


def unwrap_links(text: str) -> str:
    """Links as the user typed them: Slack's ``<url|label>`` wrapping removed."""
    return _LINK.sub(r"\1", text)


def unescape(text: str) -> str:
    """Slash-command text as typed: Slack escapes &, < and > in it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def is_manager(client: AsyncWebClient, user_id: str, managers: Collection[str]) -> bool:
    """A workspace admin or owner (users.info), or a user listed in the settings."""
    if user_id in managers:
        return True
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, error_code(exc))
        return False
    user = response.get("user") or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


NOT_IN_CHANNEL = (
    "newsbrief is not in this channel, so no briefing could be posted here: invite it"
    " (/invite @newsbrief), then set the schedule again."
)


def _scopes(response: Any) -> set[str]:
    """The token's scopes, as Slack lists them in each Web API response's headers."""
    headers = getattr(response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else str(value)
            return {scope.strip() for scope in text.split(",") if scope.strip()}
    return set()


async def cannot_post(client: AsyncWebClient, channel: str) -> str | None:
    """Why the bot could not post briefings in ``channel``, as conversations.info tells
    (the bot is a member; or the channel is public and the token has chat:write.public);
    None when it can, or when Slack would not say (a token without channels:read)."""
    try:
        response = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        code = error_code(exc)
        if code == "channel_not_found":  # a private channel the bot is not in
            return NOT_IN_CHANNEL
        log.warning("conversations.info for %s failed (%s): schedule not checked", channel, code)
        return None
    info = response.get("channel") or {}
    if info.get("is_archived"):
        return "This channel is archived: no briefing can be posted here."
    if info.get("is_member"):
        return None
    if not info.get("is_private") and "chat:write.public" in _scopes(response):
        return None
    return NOT_IN_CHANNEL


def _post_kwargs(message: SlackMessage) -> dict[str, Any]:
    # No parsing on Slack's side: escaped text stays text, names are not linked.
    return {
        "text": message.text,
        "blocks": list(message.blocks),
        "unfurl_links": False,
        "unfurl_media": False,
        "link_names": False,
        "parse": "none",
    }


async def upload(client: AsyncWebClient, channel: str, attachment: Attachment) -> None:
    """A reply's file into the channel (files.getUploadURLExternal, the upload, then
    files.completeUploadExternal). A workspace that did not grant files:write still has
    the text answer: the refusal is logged, not raised."""
    try:
        await client.files_upload_v2(
            channel=channel,
            file=attachment.data,
            filename=attachment.filename,
            title=attachment.description or attachment.filename,
        )
    except SlackApiError as exc:
        log.warning("could not upload %s to %s: %s", attachment.filename, channel, error_code(exc))


def register_commands(app: AsyncApp, service: Service, managers: Collection[str] = ()) -> None:
    """The three slash commands on ``app``: ack first, then the work, then the answer."""

    async def on_command(
        ack: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        await ack()
        request = to_command_request(command)
        if request.needs_manager:
            is_admin = await is_manager(client, request.user_id, managers)
            request = replace(request, is_manager=is_admin)
        if request.schedules_briefings and request.is_manager:
            problem = await cannot_post(client, request.channel.channel)
            request = replace(request, cannot_post=problem)
        reply = await handle(service, request)
        channel = request.channel
        messages = render_reply(reply)
        if reply.ephemeral:
            for message in messages:
                await respond(
                    text=message.text, blocks=list(message.blocks), response_type="ephemeral"
                )
            return
        for message in messages:
            try:
                await client.chat_postMessage(channel=channel.channel, **_post_kwargs(message))
            except SlackApiError as exc:
                if error_code(exc) not in ("not_in_channel", "channel_not_found"):
                    raise
                # The bot is not in this channel: the response URL can still answer it.
                await respond(
                    text=message.text, blocks=list(message.blocks), response_type="in_channel"
                )
        for attachment in reply.files:
            await upload(client, channel.channel, attachment)

    for name in COMMANDS:
        app.command(name)(on_command)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        # bot.commands already turned expected failures into replies: this is a bug or a
        # failed send. Logged with its traceback; no traceback ever reaches Slack.
        log.error("slack request failed: %s", body.get("command", "?"), exc_info=error)


def build_app(
    service: Service,
    *,
    client: AsyncWebClient | None = None,
    signing_secret: str | None = None,
    managers: Collection[str] = (),
    oauth_settings: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """The bolt app: with ``client`` (carrying the bot token) for one workspace, or with
    ``oauth_settings`` for many (``client``, when given, is then the tokenless template of
    each workspace's client). Socket Mode needs no signing secret."""
    kwargs: dict[str, Any] = {
        "name": BOLT_LOG.name,
        "logger": BOLT_LOG,
        "signing_secret": signing_secret or "",
        "request_verification_enabled": bool(signing_secret),
        "process_before_response": False,
        "ignoring_self_events_enabled": True,
        "url_verification_enabled": True,
    }
    if oauth_settings is not None:
        kwargs["oauth_settings"] = oauth_settings
    if client is not None:
        # With OAuth, each workspace's client is made like this one (its base URL, its
        # retry handlers), carrying that workspace's installed token.
        kwargs["client"] = client
    app = AsyncApp(**kwargs)
    if oauth_settings is not None and client is None:
        # Installed workspaces get a client with the same retry behaviour.
        app.client.retry_handlers.extend(retry_handlers())
    register_commands(app, service, managers)
    return app


NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


def _unreachable(exc: BaseException) -> ConfigurationError:
    return ConfigurationError(f"cannot reach Slack ({one_line_reason(exc)}): check the network.")


async def check_token(client: AsyncWebClient) -> str:
    """auth.test at start: a wrong bot token, or no network, fails fast with one line."""
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        raise ConfigurationError(
            f"Slack refused the bot token (SLACK_BOT_TOKEN): {error_code(exc)}."
        ) from None
    except NETWORK_ERRORS as exc:
        raise _unreachable(exc) from None
    return str(response.get("team_id", ""))


async def check_app_token(app_token: str, *, base_url: str | None = None) -> None:
    """apps.connections.open once at start: a wrong app token fails fast with one line
    (Socket Mode's own client would retry it every 10 seconds, forever). The URL it
    gives is left unused; the handler asks for its own."""
    client = web_client(base_url=base_url)
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise ConfigurationError(
            f"Slack refused the app token (SLACK_APP_TOKEN): {error_code(exc)}."
        ) from None
    except NETWORK_ERRORS as exc:
        raise _unreachable(exc) from None


class SlackPublisher:
    """Posts briefings to Slack channels; with OAuth, each workspace with its own token."""

    platform = PLATFORM

    def __init__(self, client_for: Callable[[str], Awaitable[AsyncWebClient]]) -> None:
        self.client_for = client_for

    @classmethod
    def single(cls, client: AsyncWebClient) -> SlackPublisher:
        async def same(_team: str) -> AsyncWebClient:
            return client

        return cls(same)

    def render(self, briefing: Briefing) -> list[SlackMessage]:
        return render_briefing(briefing)

    async def send(self, channel: ChannelRef, message: object, key: str | None = None) -> None:
        """One message to the channel. ``key`` is not used: ``chat.postMessage`` has no
        idempotency key, so a message whose answer a stop cut off is posted again by the
        next start (at least once; see docs/architecture.md)."""
        await self._post(channel, channel.channel, message)

    async def send_direct(self, channel: ChannelRef, user_id: str, message: object) -> None:
        """One message to a member directly: posted to a user id, it arrives in the
        app's direct messages with that person (the channel's manager, when the channel
        itself cannot be posted in)."""
        await self._post(channel, user_id, message)

    async def _post(self, channel: ChannelRef, target: str, message: object) -> None:
        assert isinstance(message, SlackMessage)
        client = await self.client_for(channel.workspace)
        try:
            await client.chat_postMessage(channel=target, **_post_kwargs(message))
        except SlackApiError as exc:
            code = error_code(exc)
            what = "the briefing for" if target == channel.channel else f"a message to {target} on"
            raise PublishError(
                f"Slack refused {what} {channel}: {code}",
                rejected=code in REJECTED_MESSAGE,
            ) from exc
        except NETWORK_ERRORS as exc:
            raise PublishError(f"cannot reach Slack: {one_line_reason(exc)}") from exc

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        for message in self.render(briefing):
            await self.send(channel, message)


# --- OAuth: installations in the bot's database ---------------------------------------


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store (synchronous, on the bot's database URL)
    used from asyncio through worker threads, so no async database driver is needed."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.store.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.store.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )


class ThreadedStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store, used through worker threads."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return str(await asyncio.to_thread(self.store.issue, *args, **kwargs))

    async def async_consume(self, state: str) -> bool:
        return bool(await asyncio.to_thread(self.store.consume, state))


def oauth_settings(
    database_url: str, client_id: str, client_secret: str, *, base_url: str | None = None
) -> tuple[AsyncOAuthSettings, ThreadedInstallationStore]:
    """OAuth for many workspaces with installations and states in ``database_url`` (a
    database the bot has opened, so migrated: its tables are there); ``base_url`` is the
    Web API the token rotation calls (the app's own client carries it for the rest)."""
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    # The tables come from the bot's migrations (0006), run when the database is opened.
    engine = sqlalchemy.create_engine(database_url)
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    store = ThreadedInstallationStore(installations)
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(SCOPES),
        installation_store=store,
        state_store=ThreadedStateStore(states),
    )
    rotator = getattr(settings.authorize, "token_rotator", None)
    if base_url and rotator is not None:
        rotator.client = web_client(base_url=base_url)
    return settings, store


def installed_client_for(
    store: AsyncInstallationStore, *, base_url: str | None = None
) -> Callable[[str], Awaitable[AsyncWebClient]]:
    """For the publisher: a client with the bot token installed in the workspace."""

    async def client_for(team_id: str) -> AsyncWebClient:
        bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise PublishError(f"newsbrief is not installed in Slack workspace {team_id}.")
        return web_client(bot.bot_token, base_url=base_url)

    return client_for


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    """Connect over Socket Mode and serve until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def run_http(app: AsyncApp, host: str, port: int) -> None:
    """Serve the signed HTTP endpoint (and the OAuth pages) until cancelled."""
    from aiohttp import web

    runner = web.AppRunner(app.web_app(path="/slack/events", port=port), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Slack HTTP endpoint on http://%s:%d/slack/events", host, port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
