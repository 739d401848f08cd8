"""``newsbrief feeds|ingest|stance|brief``: the stored data from the terminal.

Each command builds the runtime from the settings (this is a composition root), does one
thing and closes it. Expected failures print one line and exit 1; no traceback reaches
the user.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bot.errors import NewsbriefError, UserInputError
from bot.fit import CHANNEL_PART_MAX, PLATFORM_MAX, one_line
from bot.ports import ChannelRef
from briefings.models import Actor, Briefing

if TYPE_CHECKING:
    from bot.ingest.pipeline import IngestSummary
    from bot.runtime import Runtime
    from bot.service import FeedStatus, StanceResult, StanceStatement

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_DAYS = 36_500  # a century: more is not a window but an overflow
MAX_LIMIT = 1000
MAX_NAME = 300  # the longest name the store keeps (a speaker's)
CHANNEL_HELP = 'a channel: "platform:workspace:channel", or a name for the console'


def parse_channel(value: str) -> ChannelRef:
    """ "slack:T1:C2" → that channel; a bare name → a console channel of that name."""
    value = value.strip()
    if not value:
        raise UserInputError("the channel is empty")
    shown = one_line(value, 60)
    if not value.isprintable():
        raise UserInputError(f"{shown!r} is not a channel: it holds control characters")
    parts = value.split(":")
    if len(parts) == 1:
        parts = ["console", "local", value.lstrip("#")]
    if len(parts) != 3 or not all(parts):
        raise UserInputError(f"{shown!r} is not a channel ({CHANNEL_HELP})")
    for part, limit in zip(parts, (PLATFORM_MAX, CHANNEL_PART_MAX, CHANNEL_PART_MAX), strict=True):
        if len(part) > limit:
            raise UserInputError(
                f"{shown!r} is not a channel: a part of {len(part)} characters (at most {limit})"
            )
    return ChannelRef(*parts)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Build the runtime from the settings, run ``work`` on it, close it; expected errors
    become one line on stderr and exit status 1."""
    from config.settings import load_settings

    async def main() -> T:
        from bot.runtime import build_runtime

        runtime = await build_runtime(load_settings(), {})
        try:
            return await work(runtime)
        finally:
            await runtime.aclose()

    try:
        return asyncio.run(main())
    except NewsbriefError as exc:
        raise _fail(str(exc)) from None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "undated"


def _actor_json(actor: Actor | None) -> dict[str, Any] | None:
    if actor is None:
        return None
    return {"id": actor.id, "name": actor.name, "kind": actor.kind}


def stance_json(result: StanceResult) -> dict[str, Any]:
    """The ``--json`` shape of ``newsbrief stance`` (a contract)."""

    def one(st: StanceStatement) -> dict[str, Any]:
        return {
            "text": st.text,
            "speaker_name": st.speaker_name,
            "role": st.role,
            "actor": _actor_json(st.actor),
            "kind": st.kind.value,
            "stance": {"side": st.stance.value, "issue": st.issue},
            "published": st.published.isoformat() if st.published else None,
            "outlet": st.outlet,
            "url": st.url,
        }

    summary = result.summary
    actor = _actor_json(result.actor) or {}
    actor["matched_as"] = result.matched_as
    return {
        "actor": actor,
        "summary": {
            "statements": summary.statements,
            "first": summary.first.isoformat() if summary.first else None,
            "last": summary.last.isoformat() if summary.last else None,
            "stances": summary.stances,
        },
        "statements": [one(st) for st in result.statements],
        # the same statements by story, newest first, as /stance shows them
        "stories": [
            {
                "published": story.published.isoformat() if story.published else None,
                "stance": {"side": story.side.value, "issue": story.issue},
                "statements": story.statements,
                "best": one(story.best),
            }
            for story in result.stories
        ],
    }


def stance_text(result: StanceResult) -> str:
    from bot.commands import side_on

    summary = result.summary
    head = f"{result.actor.name} ({result.matched_as or result.actor.kind})"
    if not summary.statements:
        return f"{head}: no statements stored."
    stances = ", ".join(f"{k} {v}" for k, v in sorted(summary.stances.items()))
    lines = [
        f"{head}: {summary.statements} statements, {_when(summary.first)} to "
        f"{_when(summary.last)}; {stances}"
    ]
    for st in result.statements:
        who = st.speaker_name + (f" ({st.role})" if st.role else "")
        source = ", ".join(x for x in (st.outlet, st.url) if x)
        side = side_on(st.stance.value, st.issue) or st.stance.value
        lines.append(f"- {_when(st.published)} {who} [{side}]: “{st.text}” {source}")
    return "\n".join(lines)


def briefing_text(briefing: Briefing) -> str:
    """A plain-text briefing for the terminal: the one plain rendering every text
    surface shares."""
    from briefings.render import render_briefing_text

    return render_briefing_text(briefing)


async def _feeds_of(runtime: Runtime, channel: str | None) -> tuple[FeedStatus, ...]:
    """A channel's feeds when one is given, else every configured feed."""
    return await runtime.service.list_feeds(_channel_or_all(channel))


def _channel_or_all(channel: str | None) -> ChannelRef | None:
    """The channel named by ``--channel``, or None: every feed, none subscribed."""
    return parse_channel(channel) if channel else None


def _feed_line(feed: FeedStatus) -> str:
    state = "disabled" if feed.disabled else ("failing" if feed.failures else "ok")
    polled = feed.last_polled.strftime("%Y-%m-%d %H:%M") if feed.last_polled else "never"
    line = f"{feed.url}  [{state}; polled {polled}]"
    if feed.title:
        line += f"  {feed.title}"
    if feed.last_error:
        line += f"\n    last error ({feed.failures} in a row): {feed.last_error}"
    return line


class _TerminalPublisher:
    """Brief to the terminal: ``newsbrief brief`` prints what a channel would receive."""

    platform = "console"

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        typer.echo(briefing_text(briefing))


def register(app: typer.Typer) -> None:
    feeds = typer.Typer(help="The feeds polled, and which channel gets them.", no_args_is_help=True)
    app.add_typer(feeds, name="feeds")

    @feeds.command("add")
    def feeds_add(
        url: str,
        channel: str | None = typer.Option(None, "--channel", help=CHANNEL_HELP),
    ) -> None:
        """Poll a feed (and subscribe a channel to it)."""

        async def work(runtime: Runtime) -> FeedStatus:
            return await runtime.service.add_feed(_channel_or_all(channel), url)

        feed = run_with_runtime(work)
        typer.echo(f"added {feed.url}" + (f" for {channel}" if channel else ""))

    @feeds.command("list")
    def feeds_list(
        channel: str | None = typer.Option(None, "--channel", help=CHANNEL_HELP),
    ) -> None:
        """The feeds, with their state and last error."""

        found = run_with_runtime(lambda runtime: _feeds_of(runtime, channel))
        if not found:
            typer.echo("no feeds")
        for feed in found:
            typer.echo(_feed_line(feed))

    @feeds.command("remove")
    def feeds_remove(
        url: str,
        channel: str | None = typer.Option(None, "--channel", help=CHANNEL_HELP),
    ) -> None:
        """Stop polling a feed (or only unsubscribe the channel from it)."""

        async def work(runtime: Runtime) -> None:
            await runtime.service.remove_feed(_channel_or_all(channel), url)

        run_with_runtime(work)
        typer.echo(f"removed {url}")

    @feeds.command("import")
    def feeds_import(
        file: Path,
        channel: str | None = typer.Option(None, "--channel", help=CHANNEL_HELP),
    ) -> None:
        """Add the feeds of an OPML file."""
        from bot.ingest import parse_opml

        try:
            data = file.read_bytes()
        except OSError as exc:
            raise _fail(f"cannot read {file}: {exc.strerror or exc}") from None

        async def work(runtime: Runtime) -> tuple[int, list[str]]:
            added, refused = 0, []
            for url, title in parse_opml(data):
                try:
                    await runtime.service.add_feed(_channel_or_all(channel), url, title=title)
                    added += 1
                except UserInputError as exc:
                    refused.append(str(exc))
            return added, refused

        added, refused = run_with_runtime(work)
        for reason in refused:
            typer.echo(f"skipped: {reason}", err=True)
        typer.echo(f"imported {added} feeds from {file}")

    @feeds.command("export")
    def feeds_export(
        file: Path,
        channel: str | None = typer.Option(None, "--channel", help=CHANNEL_HELP),
    ) -> None:
        """Write the feeds (of a channel) to an OPML file."""
        from bot.ingest import write_opml

        found = run_with_runtime(lambda runtime: _feeds_of(runtime, channel))
        title = f"newsbrief feeds for {channel}" if channel else "newsbrief feeds"
        document = write_opml([(f.url, f.title) for f in found], title)
        try:
            file.write_text(document, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {file}: {exc.strerror or exc}") from None
        typer.echo(f"exported {len(found)} feeds to {file}")

    @app.command()
    def ingest(
        files: Annotated[
            list[Path] | None, typer.Argument(help="local article files to ingest too")
        ] = None,
        once: bool = typer.Option(False, "--once", help="poll every feed once and exit"),
    ) -> None:
        """Poll the configured feeds once (and ingest local article files)."""
        if not once:
            raise _fail("use `newsbrief ingest --once`; `newsbrief run` polls on a schedule")
        paths = list(files or [])

        async def work(runtime: Runtime) -> tuple[IngestSummary, int]:
            feeds = len(await runtime.service.list_feeds(None))
            if sys.stdout.isatty():
                from rich.progress import Progress

                with Progress(transient=True) as bar:
                    task = bar.add_task("ingesting", total=None)

                    def progress(done: int, total: int) -> None:
                        bar.update(task, completed=done, total=total)

                    return await runtime.ingest_once(paths, progress), feeds
            return await runtime.ingest_once(paths), feeds

        summary, feeds = run_with_runtime(work)
        typer.echo(str(summary))
        if not feeds and not paths:
            raise _fail("no feeds configured and no files given (`newsbrief feeds add URL`)")
        if summary.nothing_done:
            raise _fail(
                "nothing could be ingested: no feed answered and no file could be read "
                "(`newsbrief feeds list` shows why)"
            )

    @app.command()
    def stance(
        name: str,
        topic: str | None = typer.Option(None, "--topic", help="only articles about this"),
        since: int | None = typer.Option(None, "--since", help="only the last DAYS days"),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        limit: int = typer.Option(20, "--limit", help="at most this many statements"),
    ) -> None:
        """What an actor (country, organisation, person) has said, newest first."""
        if since is not None and not 0 < since <= MAX_DAYS:
            raise _fail(f"--since takes a number of days from 1 to {MAX_DAYS}")
        if not 0 < limit <= MAX_LIMIT:
            raise _fail(f"--limit takes a number from 1 to {MAX_LIMIT}")
        if len(name) > MAX_NAME or (topic is not None and len(topic) > MAX_NAME):
            raise _fail(f"a name or topic has at most {MAX_NAME} characters")
        window = timedelta(days=since) if since else None

        async def work(runtime: Runtime) -> StanceResult:
            return await runtime.service.stance(name, topic=topic, since=window, limit=limit)

        result = run_with_runtime(work)
        if as_json:
            typer.echo(json.dumps(stance_json(result), ensure_ascii=False, indent=2))
        else:
            typer.echo(stance_text(result))

    @app.command()
    def brief(
        channel: str = typer.Option(..., "--channel", help=CHANNEL_HELP),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="only show it; the next briefing starts from the same point"
        ),
    ) -> None:
        """Build a channel's briefing of what is new now, print it and record it."""

        async def work(runtime: Runtime) -> Briefing | None:
            ref = parse_channel(channel)
            if dry_run:
                briefing = await runtime.service.briefing_now(ref)
                typer.echo(briefing_text(briefing))
                return briefing
            delivered = await runtime.service.deliver(ref, runtime.now(), _TerminalPublisher())
            if delivered is not None and not delivered.stories:
                typer.echo(briefing_text(delivered))  # recorded, but the publisher saw nothing
            return delivered

        run_with_runtime(work)
