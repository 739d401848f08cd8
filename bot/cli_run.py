"""``newsbrief run`` and ``newsbrief demo``: the composition root of the running bot.

This is the one module of ``bot`` that knows the platforms: it reads the settings,
builds the runtime, starts the adapters the tokens ask for (the console when there
are none), hands each its ``Publisher`` and stops them all cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from bot.errors import ConfigurationError

if TYPE_CHECKING:
    from bot.ingest import FetchedItem
    from bot.ports import Publisher
    from bot.runtime import Runtime
    from config.settings import Settings

log = logging.getLogger(__name__)

DEMO_OUTLET = "newsbrief sample wire"
CONSOLE_SCHEDULE = "daily 08:00"


# --- which adapters ------------------------------------------------------------------


def plan_adapters(settings: Settings) -> list[str]:
    """The adapters the settings ask for, in start order: "discord", "slack-socket",
    "slack-http", "slack-oauth"; ["console"] when no platform is configured.
    Raises ``ConfigurationError`` for a half-configured Slack."""
    plan: list[str] = []
    if settings.discord_token:
        plan.append("discord")
    slack_bot, slack_app = settings.slack_bot_token, settings.slack_app_token
    signing = settings.slack_signing_secret
    oauth = settings.slack_client_id and settings.slack_client_secret
    if slack_bot and slack_app:
        plan.append("slack-socket")
    elif slack_bot and signing:
        plan.append("slack-http")
    elif signing and oauth:
        plan.append("slack-oauth")
    elif slack_bot or slack_app or signing:
        raise ConfigurationError(
            "Slack needs SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or with "
            "SLACK_SIGNING_SECRET (HTTP), or SLACK_SIGNING_SECRET with SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (OAuth)."
        )
    return plan or ["console"]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for the log filter."""
    values = (
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
    )
    return [v.get_secret_value() for v in values if v is not None]


# --- running -------------------------------------------------------------------------


@dataclass
class Started:
    """What the adapters started: their long-running tasks and their cleanups."""

    tasks: list[Awaitable[Any]] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


async def _start_discord(settings: Settings, runtime: Runtime, started: Started) -> None:
    from adapters.discord.bot import DiscordPublisher, build_client, connect, login

    assert settings.discord_token is not None
    client = build_client(
        runtime.service,
        guild_id=settings.discord_guild_id,
        shards=settings.discord_shards,
        sync_state=discord_sync_state(settings),
    )
    started.cleanups.append(client.close)
    # fails fast; syncs the slash commands only when they changed since the last sync
    await login(client, settings.discord_token.get_secret_value())
    runtime.publishers["discord"] = DiscordPublisher(client)
    # The first gateway connection is made here: a start without it fails in one line.
    started.tasks.append(await connect(client))
    started.names.append("discord")


def discord_sync_state(settings: Settings) -> Path:
    """Where the schema of the slash commands last synced is recorded (its hash)."""
    return settings.data_dir / "discord-commands.json"


async def sync_discord_commands(settings: Settings) -> int:
    """Sync the slash commands now, changed or not (``newsbrief sync-commands``); returns
    how many were synced. Raises ``ConfigurationError`` without a token or with a wrong
    one, or when Discord refused the sync."""
    from adapters.discord.bot import build_client, login

    if settings.discord_token is None:
        raise ConfigurationError("sync-commands needs DISCORD_TOKEN (in the environment or .env).")
    client = build_client(
        None,
        guild_id=settings.discord_guild_id,
        sync_state=discord_sync_state(settings),
        force_sync=True,
    )
    try:
        await login(client, settings.discord_token.get_secret_value())
    finally:
        await client.close()
    synced = getattr(client, "synced", None)
    if synced is None:
        raise ConfigurationError("Discord refused the command sync: see the log for its status.")
    return int(synced)


async def _start_slack(kind: str, settings: Settings, runtime: Runtime, started: Started) -> None:
    from adapters.slack.app import (
        SlackPublisher,
        build_app,
        check_app_token,
        check_token,
        installed_client_for,
        oauth_settings,
        run_http,
        run_socket_mode,
        web_client,
    )

    def secret(value: Any) -> str:
        return str(value.get_secret_value()) if value is not None else ""

    signing = secret(settings.slack_signing_secret) or None
    managers = list(settings.slack_managers)
    api = settings.slack_api_url  # every Slack client below talks to this Web API
    if kind == "slack-oauth":
        assert settings.slack_client_id is not None
        oauth, store = oauth_settings(
            settings.sqlalchemy_url,
            settings.slack_client_id,
            secret(settings.slack_client_secret),
            base_url=api,
        )
        # The tokenless template of each workspace's client (and the OAuth flow's).
        app = build_app(
            runtime.service,
            client=web_client(base_url=api),
            signing_secret=signing,
            managers=managers,
            oauth_settings=oauth,
        )
        runtime.publishers["slack"] = SlackPublisher(installed_client_for(store, base_url=api))
    else:
        client = web_client(secret(settings.slack_bot_token), base_url=api)
        await check_token(client)  # fails fast
        app = build_app(runtime.service, client=client, signing_secret=signing, managers=managers)
        runtime.publishers["slack"] = SlackPublisher.single(client)
    if kind == "slack-socket":
        app_token = secret(settings.slack_app_token)
        await check_app_token(app_token, base_url=api)  # fails fast, once
        started.tasks.append(run_socket_mode(app, app_token))
    else:
        started.tasks.append(run_http(app, settings.slack_host, settings.slack_port))
    started.names.append(kind)


Online = Callable[[Sequence[str]], Awaitable[bool]]
OFFLINE = (
    "No network: the default feeds (config/feeds.opml) cannot be reached, so this run"
    " shows the packaged demo feed instead."
)


async def _start_console(
    runtime: Runtime, started: Started, stdin: TextIO, stdout: TextIO, online: Online
) -> None:
    from adapters.console.bot import CONSOLE_CHANNEL, ConsoleBot, ConsolePublisher
    from bot.defaults import default_feeds

    runtime.publishers["console"] = ConsolePublisher(stdout)
    status = await runtime.service.status(CONSOLE_CHANNEL)
    if status.schedule is None:
        await runtime.service.subscribe(CONSOLE_CHANNEL, schedule=CONSOLE_SCHEDULE, timezone="UTC")
    if not status.feeds:
        # A first run that shows the product: the default feeds when the network is
        # there (the first poll brings news within minutes), else the demo feed.
        urls = [url for url, _ in default_feeds()]
        if await online(urls):
            for url in urls:
                await runtime.service.add_feed(CONSOLE_CHANNEL, url)
        else:
            stdout.write(OFFLINE + "\n")
            await runtime.ingest_items(demo_items())
    started.tasks.append(ConsoleBot(runtime.service, stdin=stdin, stdout=stdout).run())
    started.names.append("console")


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopper:
    """SIGTERM and SIGINT while the bot runs: the first asks for a clean stop (``requested``;
    while the bot is still starting, the start is cancelled), a second hurries it
    (``hurry``: briefings being posted are cut off rather than waited for)."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.hurry = asyncio.Event()
        self.signal: str | None = None
        self.started = False  # the start is over: a stop is asked for, not forced
        self._main: asyncio.Task[Any] | None = None
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        """Handle the signals on the running loop, for the task running now."""
        loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        for sig in STOP_SIGNALS:
            try:
                loop.add_signal_handler(sig, self._received, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals here: the default stays
            self._installed.append(sig)

    def uninstall(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()

    def _received(self, sig: signal.Signals) -> None:
        if self.requested.is_set():
            log.warning("%s again: stopping now", sig.name)
            self.hurry.set()
            return
        self.signal = sig.name
        self.requested.set()
        log.info("%s: stopping", sig.name)
        if not self.started and self._main is not None:
            self._main.cancel()


async def run_bot(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    runtime_factory: Callable[..., Awaitable[Runtime]] | None = None,
    online: Online | None = None,
) -> None:
    """Start the runtime and the adapters; return when one of them ends (the console at
    end of input), on SIGTERM or SIGINT, or on cancellation, having stopped everything:
    the scheduler first, then the briefings being posted (each finishes the message it is
    posting: ``Runtime.stop``), then the adapters and their clients, then the store.
    ``online`` tells whether the default feeds can be reached (the console's first run;
    tests pass their own)."""
    if runtime_factory is None:
        from bot.runtime import build_runtime

        runtime_factory = build_runtime
    plan = plan_adapters(settings)
    stopper = Stopper()
    stopper.install()
    try:
        await _run(settings, plan, stopper, stdin, stdout, runtime_factory, online)
    finally:
        stopper.uninstall()
    if stopper.signal is not None:
        log.info("newsbrief stopped (%s)", stopper.signal)


async def _run(
    settings: Settings,
    plan: list[str],
    stopper: Stopper,
    stdin: TextIO | None,
    stdout: TextIO | None,
    runtime_factory: Callable[..., Awaitable[Runtime]],
    online: Online | None,
) -> None:
    publishers: dict[str, Publisher] = {}
    runtime = await runtime_factory(settings, publishers)
    started = Started()
    tasks: list[asyncio.Task[Any]] = []
    try:
        for kind in plan:
            if kind == "discord":
                await _start_discord(settings, runtime, started)
            elif kind.startswith("slack"):
                await _start_slack(kind, settings, runtime, started)
            else:
                if online is None:
                    from bot.defaults import reachable

                    online = reachable
                await _start_console(
                    runtime, started, stdin or sys.stdin, stdout or sys.stdout, online
                )
        await runtime.start()
        stopper.started = True
        if stopper.requested.is_set():  # a signal that came as the start ended
            return
        log.info("newsbrief running: %s", ", ".join(started.names))
        tasks = [asyncio.ensure_future(t) for t in started.tasks]
        stop = asyncio.ensure_future(stopper.requested.wait())
        done, _ = await asyncio.wait([*tasks, stop], return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        for task in done:
            if task is not stop:
                task.result()  # an adapter that crashed is an error, not a quiet exit
    finally:
        # Briefings being posted finish their message while the clients are still open.
        try:
            await runtime.stop(settings.stop_grace_seconds, stopper.hurry)
        except Exception:
            log.exception("stopping the briefings under way failed")
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        for cleanup in reversed(started.cleanups):
            with contextlib.suppress(Exception):
                await cleanup()
        for coro in started.tasks:  # never awaited (a later adapter failed to start)
            if asyncio.iscoroutine(coro):
                coro.close()
            elif isinstance(coro, asyncio.Future) and not coro.done():
                coro.cancel()
                with contextlib.suppress(BaseException):
                    await coro
        await runtime.aclose()


# --- the demo ------------------------------------------------------------------------


def demo_dir() -> Path:
    """The packaged sample feed (config/demo): an RSS file and its article texts."""
    return Path(str(resources.files("config") / "demo"))


def demo_items(directory: Path | None = None) -> list[FetchedItem]:
    """The sample feed's items with their full text, read from files (no network)."""
    import feedparser

    from bot.ingest import FetchedItem

    directory = directory or demo_dir()
    parsed = feedparser.parse((directory / "feed.xml").read_bytes())
    items: list[FetchedItem] = []
    for entry in parsed.entries:
        guid = str(entry.get("id") or entry.get("guid"))
        text = (directory / "articles" / f"{guid}.txt").read_text(encoding="utf-8")
        published: datetime | None = None
        if entry.get("published"):
            published = parsedate_to_datetime(str(entry["published"]))
        items.append(
            FetchedItem(
                guid=guid,
                url=str(entry.get("link", "")),
                title=str(entry.get("title", "")),
                published=published,
                outlet=str(parsed.feed.get("title", DEMO_OUTLET)),
                text=text,
            )
        )
    return items


def stance_candidates(briefing: Any) -> list[str]:
    """Whom the demo may ask /stance about: the briefing's actors first, then speakers."""
    bullets = [b for story in briefing.stories for b in story.bullets]
    names = [b.actor.name for b in bullets if b.actor]
    names += [b.speaker_name for b in bullets if not b.actor and b.speaker_name[:1].isupper()]
    return list(dict.fromkeys(names))


async def pick_actor(service: Any, briefing: Any) -> str | None:
    """The first candidate the stance query knows (the first candidate when none is)."""
    from bot.errors import NewsbriefError

    candidates = stance_candidates(briefing)
    for name in candidates:
        try:
            await service.stance(name, limit=1)
        except NewsbriefError:
            continue
        return name
    return candidates[0] if candidates else None


async def run_demo(
    out: TextIO,
    *,
    data_dir: Path,
    nlp_processes: int = 0,
    runtime_factory: Callable[..., Awaitable[Runtime]] | None = None,
) -> str | None:
    """Ingest the sample feed into a fresh database in ``data_dir``, print a briefing and
    the /stance answer for one of its actors. Returns the actor asked about."""
    from adapters.console.bot import CONSOLE_CHANNEL, ConsolePublisher
    from adapters.console.render import render_reply
    from bot.commands import BriefingReply, CommandRequest, handle
    from config.settings import load_settings

    if runtime_factory is None:
        from bot.runtime import build_runtime

        runtime_factory = build_runtime
    settings = load_settings(data_dir=data_dir, database_url=None)
    runtime = await runtime_factory(
        settings, {"console": ConsolePublisher(out)}, nlp_processes=nlp_processes
    )
    try:
        summary = await runtime.ingest_items(demo_items())
        out.write(f"Ingested the sample feed: {summary}\n\n")
        await runtime.service.subscribe(CONSOLE_CHANNEL)
        service = runtime.service
        request = CommandRequest("briefing now", {}, CONSOLE_CHANNEL, "demo", is_manager=True)
        reply = await handle(service, request)
        out.write(render_reply(reply) + "\n\n")
        briefing = reply.briefing if isinstance(reply, BriefingReply) else None
        actor = await pick_actor(service, briefing) if briefing else None
        out.write(f"> /stance {actor or 'Germany'}\n")
        stance = CommandRequest("stance", {"actor": actor or "Germany"}, CONSOLE_CHANNEL, "demo")
        out.write(render_reply(await handle(service, stance)) + "\n")
        out.flush()
        return actor
    finally:
        await runtime.aclose()


# --- the commands ----------------------------------------------------------------------


def _fail(message: str, code: int = 2) -> typer.Exit:
    sys.stderr.write(f"newsbrief: {message}\n")
    return typer.Exit(code)


def _setup(settings: Settings) -> None:
    from config.logging import configure_logging

    configure_logging(settings.log_level, secrets_of(settings))


def register(app: typer.Typer) -> None:
    @app.command()
    def run() -> None:
        """Run the bot: Discord and/or Slack when their tokens are set, else the console."""
        from config.settings import load_settings

        try:
            settings = load_settings()
            _setup(settings)
            asyncio.run(run_bot(settings))
        except ConfigurationError as exc:
            raise _fail(str(exc)) from None
        except (KeyboardInterrupt, asyncio.CancelledError):
            # A signal during the start (the bot stopped cleanly all the same).
            sys.stderr.write("\nnewsbrief: stopped.\n")
        except Exception as exc:
            # The operator gets one line; the traceback goes to the (redacted) log.
            log.exception("newsbrief stopped on an unexpected error")
            raise _fail(f"stopped on an unexpected error: {type(exc).__name__}", 1) from None

    @app.command(name="sync-commands")
    def sync_commands() -> None:
        """Sync the Discord slash commands now (a start syncs them only when they changed)."""
        from config.settings import load_settings

        try:
            settings = load_settings()
            _setup(settings)
            synced = asyncio.run(sync_discord_commands(settings))
        except ConfigurationError as exc:
            raise _fail(str(exc)) from None
        except Exception as exc:  # no network, Discord down: one line, the rest logged
            log.debug("sync-commands failed", exc_info=True)
            raise _fail(f"could not sync the commands: {type(exc).__name__}: {exc}"[:300]) from None
        where = f"guild {settings.discord_guild_id}" if settings.discord_guild_id else "globally"
        typer.echo(f"Synced {synced} slash commands {where}.")

    @app.command()
    def demo(
        processes: int = typer.Option(0, "--processes", help="NLP processes; 0 = in process."),
    ) -> None:
        """Ingest the packaged sample feed (no network), print a briefing and a /stance answer."""
        from config.settings import load_settings

        try:
            _setup(load_settings(log_level="WARNING"))
            with tempfile.TemporaryDirectory(prefix="newsbrief-demo-") as tmp:
                asyncio.run(run_demo(sys.stdout, data_dir=Path(tmp), nlp_processes=processes))
        except ConfigurationError as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            sys.stderr.write("\nnewsbrief: stopped.\n")
