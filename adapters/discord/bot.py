"""The Discord adapter: slash commands in, neutral requests through ``bot.commands``,
rendered replies and briefings out. Nothing here knows what a stance is.

- app_commands: ``/stance``, ``/briefing now|schedule|topics|feeds|status|length``,
  ``/newsbrief help`` (to one guild for development, else globally), synced at start only
  when their schema changed since the last sync (its hash kept in a file of the data
  directory), or by ``newsbrief sync-commands``;
- every string option has a ``max_length`` (``bot.commands.MAX_OPTION_CHARS``, the limit
  Slack and the console are held to as well), every number a range;
- the manager check is made in code (Manage Channels in that channel, from the
  resolved permissions Discord sends with each interaction); ``/briefing``, whose
  subcommands are mostly a manager's, is shown by default only to members with Manage
  Channels (a server can grant it to others in its Integrations settings);
- every send carries ``AllowedMentions.none()`` (and the client's default is the same);
- no privileged intents; ``AutoShardedClient`` when shards are asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import secrets
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import aiohttp
import discord
from discord import app_commands

from adapters.discord.render import DiscordMessage, render_briefing, render_reply
from bot.commands import MAX_DAYS, MAX_OPTION_CHARS, CommandRequest, Reply, handle
from bot.errors import ConfigurationError, PublishError
from bot.fit import one_line_reason
from bot.ports import ChannelRef
from bot.service import Service
from briefings.brief import MAX_BULLETS, MAX_STORIES
from briefings.models import Briefing

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
AUTOCOMPLETE_CHOICES = 25
MANAGERS = discord.Permissions(manage_channels=True)

# Option types with their bounds, which Discord enforces in the client before sending.
Text = app_commands.Range[str, 1, MAX_OPTION_CHARS]
Days = app_commands.Range[int, 1, MAX_DAYS]
Stories = app_commands.Range[int, 1, MAX_STORIES]
Bullets = app_commands.Range[int, 1, MAX_BULLETS]


def intents() -> discord.Intents:
    """Only the guilds intent: slash commands need no message content and no members."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


def _embeds(message: DiscordMessage) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in message.embeds]


def channel_ref(interaction: discord.Interaction[Any]) -> ChannelRef:
    guild = str(interaction.guild_id) if interaction.guild_id else "dm"
    return ChannelRef(PLATFORM, guild, str(interaction.channel_id))


def is_manager(interaction: discord.Interaction[Any]) -> bool:
    """Manage Channels in this channel (overwrites included), as Discord resolved it
    from the interaction's member permissions; Administrator implies it."""
    if interaction.guild_id is None:
        return False
    permissions = interaction.permissions
    return permissions.manage_channels or permissions.administrator


# What a briefing needs of the bot in its channel: to see it, to post, and embeds shown.
BRIEFING_NEEDS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


def cannot_post(interaction: discord.Interaction[Any]) -> str | None:
    """Why the bot could not post briefings in the interaction's channel, from the
    permissions Discord resolved for it there (``app_permissions``, overwrites included);
    None when it can. In a thread, Send Messages in Threads stands for Send Messages."""
    permissions = interaction.app_permissions
    if permissions.administrator:
        return None
    needs = list(BRIEFING_NEEDS)
    if isinstance(interaction.channel, discord.Thread):
        needs[1] = ("send_messages_in_threads", "Send Messages in Threads")
    missing = [label for flag, label in needs if not getattr(permissions, flag)]
    if not missing:
        return None
    return (
        f"newsbrief cannot post briefings in this channel (it lacks {', '.join(missing)}):"
        " give it these permissions here, then set the schedule again."
    )


def _files(reply: Reply) -> list[discord.File]:
    """A reply's attachments as discord.py files (sent as multipart/form-data)."""
    return [
        discord.File(io.BytesIO(a.data), filename=a.filename, description=a.description or None)
        for a in reply.files
    ]


def to_command_request(
    interaction: discord.Interaction[Any], name: str, options: Mapping[str, str]
) -> CommandRequest:
    """The translation in: an interaction's command, options, channel, user and rights."""
    return CommandRequest(
        name,
        {k: v for k, v in options.items() if v},
        channel_ref(interaction),
        str(interaction.user.id),
        is_manager=is_manager(interaction),
    )


class CommandRunner:
    """Turns one interaction into a neutral request and sends the rendered reply."""

    def __init__(self, service: Service | None) -> None:
        self.service = service  # None: a client that only syncs the commands

    async def run(
        self, interaction: discord.Interaction[Any], name: str, options: Mapping[str, str]
    ) -> None:
        if self.service is None:
            raise ConfigurationError("this client only syncs commands; it answers none")
        deferred: list[bool] = []

        async def acknowledge(public: bool) -> None:
            # The service may pass Discord's 3-second limit (database, NLP): defer first.
            await interaction.response.defer(ephemeral=not public, thinking=True)
            deferred.append(public)

        request = to_command_request(interaction, name, options)
        if request.schedules_briefings and request.is_manager:
            request = replace(request, cannot_post=cannot_post(interaction))
        reply = await handle(self.service, request, acknowledge)
        await self._send(interaction, reply, deferred_public=deferred[0] if deferred else None)

    async def _send(
        self, interaction: discord.Interaction[Any], reply: Reply, deferred_public: bool | None
    ) -> None:
        """The translation out: the reply's messages, as the interaction's response (when
        nothing was deferred: a refusal needs no service) or its follow-ups."""
        messages = render_reply(reply)
        if deferred_public is None:
            first, *messages = messages
            await interaction.response.send_message(
                content=first.content or None,
                embeds=_embeds(first),
                ephemeral=reply.ephemeral,
                allowed_mentions=NO_MENTIONS,
            )
        elif deferred_public and reply.ephemeral:
            # The "thinking" placeholder is public; an error must not be. Replace it.
            await interaction.delete_original_response()
        for n, message in enumerate(messages):
            # the picture goes with the first message, as a multipart upload
            files = _files(reply) if n == 0 and not reply.ephemeral else []
            await interaction.followup.send(
                content=message.content or "",
                embeds=_embeds(message),
                ephemeral=reply.ephemeral,
                allowed_mentions=NO_MENTIONS,
                files=files,
            )

    async def actor_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete of actor names; a failure shows no choices rather than an error."""
        if self.service is None:
            return []
        try:
            names = await self.service.actor_names(
                current.strip()[:MAX_OPTION_CHARS], limit=AUTOCOMPLETE_CHOICES
            )
        except Exception:
            log.exception("actor autocomplete failed for %r", current[:40])
            return []
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names][:25]


def build_commands(tree: app_commands.CommandTree[Any], runner: CommandRunner) -> None:
    """Register the slash commands (names are a contract) on ``tree``."""

    @app_commands.command(name="stance", description="What an actor has said, newest first")
    @app_commands.describe(
        actor="A country, organisation or person (e.g. Germany, NATO, Scholz)",
        topic="Only statements about this topic (words, e.g. energy)",
        days=f"Only the last N days (1-{MAX_DAYS})",
    )
    async def stance(
        interaction: discord.Interaction[Any],
        actor: Text,
        topic: Text | None = None,
        days: Days | None = None,
    ) -> None:
        options = {
            "actor": actor,
            "topic": topic or "",
            "days": "" if days is None else str(days),
        }
        await runner.run(interaction, "stance", options)

    @stance.autocomplete("actor")
    async def stance_actor(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await runner.actor_choices(current)

    briefing = app_commands.Group(
        name="briefing",
        description="This channel's news briefings",
        guild_only=True,
        default_permissions=MANAGERS,
    )
    topics = app_commands.Group(name="topics", description="What briefings cover", parent=briefing)
    feeds = app_commands.Group(
        name="feeds", description="Where the news comes from", parent=briefing
    )

    @briefing.command(name="now", description="Post this channel's briefing of what is new")
    async def briefing_now(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "briefing now", {})

    @briefing.command(name="schedule", description="When briefings arrive")
    @app_commands.describe(
        schedule='A cron expression ("0 8 * * 1-5") or "daily 08:00"',
        timezone="An IANA time zone, e.g. Europe/Berlin (default UTC)",
    )
    async def briefing_schedule(
        interaction: discord.Interaction[Any], schedule: Text, timezone: Text = "UTC"
    ) -> None:
        await runner.run(
            interaction, "briefing schedule", {"schedule": schedule, "timezone": timezone}
        )

    @briefing.command(name="status", description="Feeds, last polls, failures, next delivery")
    async def briefing_status(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "briefing status", {})

    @briefing.command(name="length", description="Stories shown in full, and bullets each")
    @app_commands.describe(
        stories=f"Stories in full (1-{MAX_STORIES}; the rest one line each)",
        bullets=f"Bullets a story (1-{MAX_BULLETS})",
    )
    async def briefing_length(
        interaction: discord.Interaction[Any],
        stories: Stories | None = None,
        bullets: Bullets | None = None,
    ) -> None:
        options = {
            k: str(v) for k, v in (("stories", stories), ("bullets", bullets)) if v is not None
        }
        await runner.run(interaction, "briefing length", options)

    words_described = app_commands.describe(
        words='Topic words; commas keep phrases together ("energy policy, gas")'
    )
    url_described = app_commands.describe(url="The feed's address (an http or https URL)")

    @topics.command(name="add", description="Add topic words")
    @words_described
    async def topics_add(interaction: discord.Interaction[Any], words: Text) -> None:
        await runner.run(interaction, "briefing topics add", {"words": words})

    @topics.command(name="remove", description="Remove topic words")
    @words_described
    async def topics_remove(interaction: discord.Interaction[Any], words: Text) -> None:
        await runner.run(interaction, "briefing topics remove", {"words": words})

    @topics.command(name="list", description="List the topics")
    async def topics_list(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "briefing topics list", {})

    @feeds.command(name="add", description="Subscribe this channel to a feed")
    @url_described
    async def feeds_add(interaction: discord.Interaction[Any], url: Text) -> None:
        await runner.run(interaction, "briefing feeds add", {"url": url})

    @feeds.command(name="remove", description="Unsubscribe this channel from a feed")
    @url_described
    async def feeds_remove(interaction: discord.Interaction[Any], url: Text) -> None:
        await runner.run(interaction, "briefing feeds remove", {"url": url})

    @feeds.command(name="defaults", description="Subscribe to the default world news feeds")
    async def feeds_defaults(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "briefing feeds defaults", {})

    @feeds.command(name="list", description="List this channel's feeds")
    async def feeds_list(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "briefing feeds list", {})

    newsbrief = app_commands.Group(name="newsbrief", description="About this bot")

    @newsbrief.command(name="help", description="What the commands do")
    async def newsbrief_help(interaction: discord.Interaction[Any]) -> None:
        await runner.run(interaction, "newsbrief help", {})

    tree.add_command(stance)
    tree.add_command(briefing)
    tree.add_command(newsbrief)

    @tree.error
    async def on_tree_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        # bot.commands already turned expected failures into replies: this is a bug or a
        # failed send. Log it with its traceback; the user gets a generic line if possible.
        log.error("discord command failed", exc_info=error)
        text = "Something went wrong on our side. It has been logged."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.warning("could not tell the user about the failure")


def schema_digest(tree: app_commands.CommandTree[Any], guild: discord.Object | None) -> str:
    """A hash of the commands as they would be synced to ``guild`` (None: globally)."""
    payload = sorted(
        (command.to_dict(tree) for command in tree.get_commands(guild=guild)),
        key=lambda command: str(command.get("name")),
    )
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_state(path: Path, state: Mapping[str, str]) -> None:
    """Replace the file at once (write beside it, then rename): never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(dict(state), indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(path)


class FirstConnectionFailed(Exception):
    """The first gateway connection failed (carries why); see ``connect``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _NewsbriefMixin:
    """Tree, command registration and sync-at-login shared by both client classes, and
    the end of a first gateway connection that failed (see ``connect``)."""

    tree: app_commands.CommandTree[Any]
    sync_guild_id: int | None
    sync_state: Path | None
    force_sync: bool
    application_id: int | None
    starting: bool

    def _setup(
        self,
        service: Service | None,
        guild_id: int | None,
        sync_state: Path | None,
        force_sync: bool,
    ) -> None:
        self.tree = app_commands.CommandTree(self)
        self.sync_guild_id = guild_id
        self.sync_state = sync_state
        self.force_sync = force_sync
        self.synced: int | None = None  # commands synced at login; None: unchanged, kept
        self.starting = False
        build_commands(self.tree, CommandRunner(service))

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        failure = sys.exc_info()[1]
        if event == "disconnect" and self.starting and failure is not None:
            # discord.py dispatches "disconnect" in the handler of the error that ended
            # the connection, then logs a traceback and retries forever. Before READY
            # that is a start that failed (no network, a refused gateway): end it here.
            raise FirstConnectionFailed(failure)
        cast(discord.Client, super()).dispatch(event, *args, **kwargs)

    async def setup_hook(self) -> None:
        """Sync the commands (to the development guild, or globally) when their schema
        differs from the one last synced, as ``sync_state`` records it: Discord
        rate-limits the sync, and a restart changes nothing. Without a state file, or
        with ``force_sync``, always."""
        guild = discord.Object(id=self.sync_guild_id) if self.sync_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        where = f"guild {self.sync_guild_id}" if guild is not None else "global"
        key = f"{self.application_id}/{where}"
        digest = schema_digest(self.tree, guild)
        state = _read_state(self.sync_state) if self.sync_state is not None else {}
        if not self.force_sync and state.get(key) == digest:
            log.info("slash commands unchanged since the last sync (%s): not synced", where)
            return
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (%s): they may be stale", exc.status)
            return
        self.synced = len(synced)
        log.info("synced %d slash commands (%s)", len(synced), where)
        if self.sync_state is not None:
            try:
                _write_state(self.sync_state, {**state, key: digest})
            except OSError as exc:
                log.warning("could not record the command sync in %s: %s", self.sync_state, exc)


class NewsbriefClient(_NewsbriefMixin, discord.Client):
    def __init__(
        self,
        service: Service | None,
        *,
        guild_id: int | None = None,
        sync_state: Path | None = None,
        force_sync: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, **kwargs)
        self._setup(service, guild_id, sync_state, force_sync)


class NewsbriefShardedClient(_NewsbriefMixin, discord.AutoShardedClient):
    def __init__(
        self,
        service: Service | None,
        *,
        guild_id: int | None = None,
        sync_state: Path | None = None,
        force_sync: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, **kwargs)
        self._setup(service, guild_id, sync_state, force_sync)


def build_client(
    service: Service | None,
    *,
    guild_id: int | None = None,
    shards: int | None = None,
    sync_state: Path | None = None,
    force_sync: bool = False,
) -> discord.Client:
    """The Discord client for ``service`` (None: a client that only syncs the commands),
    sharded when ``shards`` is given. ``sync_state`` is the file that records the schema
    last synced (without it, every login syncs); ``force_sync`` syncs whatever it says."""
    # No voice here: discord.py's warnings that voice libraries are missing say nothing
    # an operator can act on (we never join a voice channel).
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    options: dict[str, Any] = {"guild_id": guild_id, "sync_state": sync_state}
    options["force_sync"] = force_sync
    if shards:
        return NewsbriefShardedClient(service, shard_count=shards, **options)
    return NewsbriefClient(service, **options)


def nonce_of(key: str) -> int:
    """A message's nonce for its delivery key: the same key, the same nonce, within
    Discord's 25 characters (an integer of at most 19 digits)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big")


class DiscordPublisher:
    """Posts briefings to Discord channels through the client's REST connection, one
    message at a time (the delivery counts them; see ``bot.ports.MessagePublisher``)."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def render(self, briefing: Briefing) -> list[DiscordMessage]:
        return render_briefing(briefing)

    async def send(self, channel: ChannelRef, message: object, key: str | None = None) -> None:
        """One message to the channel. With a ``key`` its nonce is the key's, enforced:
        Discord creates no second message for a nonce it saw from the bot in the last few
        minutes and answers with the first, so a message whose answer a stop cut off is
        not posted twice by the next start (a random nonce otherwise, as discord.py's)."""
        assert isinstance(message, DiscordMessage)
        guild_id = int(channel.workspace) if channel.workspace.isdigit() else None
        target = self.client.get_partial_messageable(int(channel.channel), guild_id=guild_id)
        # discord.py sends every nonce enforced, a random one when none is given
        nonce = nonce_of(key) if key is not None else secrets.randbits(63)
        try:
            await target.send(
                content=message.content or None,
                embeds=_embeds(message),
                allowed_mentions=NO_MENTIONS,
                nonce=nonce,
            )
        except discord.HTTPException as exc:
            # 400 is this message (a limit, a malformed field); 403 and 404 the channel.
            raise PublishError(
                f"Discord refused the briefing for {channel}: HTTP {exc.status} {exc.text}",
                rejected=exc.status == 400,
            ) from exc

    async def send_direct(self, channel: ChannelRef, user_id: str, message: object) -> None:
        """One message to a member directly (a DM: how the manager who set a channel's
        schedule hears that the channel cannot be posted in)."""
        assert isinstance(message, DiscordMessage)
        try:
            dm = await self.client.create_dm(discord.Object(id=int(user_id)))
            await dm.send(
                content=message.content or None,
                embeds=_embeds(message),
                allowed_mentions=NO_MENTIONS,
            )
        except (ValueError, discord.HTTPException) as exc:
            status = getattr(exc, "status", "?")
            raise PublishError(
                f"Discord refused a direct message to {user_id}: HTTP {status}",
                rejected=status == 400,
            ) from exc

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        for message in self.render(briefing):
            await self.send(channel, message)


REFUSED_TOKEN = "Discord refused the token (DISCORD_TOKEN): check it in the environment or .env."
NETWORK_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


async def login(client: discord.Client, token: str) -> None:
    """Log in over REST (this also syncs the commands when they changed); a wrong token,
    or no network, fails fast with one line."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise ConfigurationError(REFUSED_TOKEN) from None
    except (*NETWORK_ERRORS, discord.HTTPException) as exc:
        raise ConfigurationError(
            f"cannot reach Discord ({one_line_reason(exc)}): check the network."
        ) from None


def _gateway_failure(exc: BaseException | None) -> ConfigurationError:
    if isinstance(exc, FirstConnectionFailed):
        exc = exc.cause
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return ConfigurationError(REFUSED_TOKEN)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return ConfigurationError("Discord refused the intents newsbrief asked for.")
    reason = one_line_reason(exc) if exc is not None else "closed"
    return ConfigurationError(f"cannot connect to Discord's gateway ({reason}): check the network.")


async def connect(client: discord.Client) -> asyncio.Task[None]:
    """Open the gateway connection of a logged-in client and wait for READY; return the
    task that keeps it (reconnecting by itself from then on). A first connection that
    fails raises ``ConfigurationError`` with one line, having closed the client, rather
    than retrying forever (or, in discord.py 2.7.1, ending in an AttributeError)."""
    mixin = cast(_NewsbriefMixin, client)
    mixin.starting = True
    task = asyncio.ensure_future(client.connect(reconnect=True))
    ready = asyncio.ensure_future(client.wait_until_ready())
    try:
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled while starting (Ctrl-C): nothing left running
        task.cancel()
        raise
    finally:
        mixin.starting = False
        ready.cancel()
    if client.is_ready() and not task.done():
        return task
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    error = task.exception() if task.done() and not task.cancelled() else None
    await client.close()
    raise _gateway_failure(error)
