"""Dispatch: a parsed ``CommandRequest`` in, a typed reply out. The one place that decides
who may run a command, which use case answers it, and that turns failures into user text,
so every platform behaves the same. A request enters here once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from bot.commands.parse import (
    COMMANDS,
    CommandRequest,
    check_options,
    excerpt,
    parse_days,
    split_words,
)
from bot.commands.replies import (
    Attachment,
    BriefingReply,
    ErrorReply,
    FeedsReply,
    HelpReply,
    Reply,
    StanceReply,
    StatusReply,
    TextReply,
    TopicsReply,
)
from bot.errors import NewsbriefError, PermissionDeniedError, UnknownActorError, UserInputError
from bot.ports import ChannelRef
from bot.service import Service, StanceResult

log = logging.getLogger(__name__)

STANCE_LIMIT = 20
ERROR_REPLY_MAX = 400
"""No error reply is longer: whatever a message quotes, the user gets a few lines."""
GENERIC_ERROR = "Something went wrong on our side. It has been logged; please try again later."
DENIED = (
    "Only a channel manager can change this channel's briefings "
    "(Discord: Manage Channels permission; Slack: a workspace admin or a configured manager)."
)
HELP_TEXT = """\
newsbrief: who said what in the news.
/stance <actor> [topic] [days] - what a country, organisation or person has said, newest first.
    e.g. /stance Germany · /stance "United States" trade 30 · /stance Scholz topic:energy days:7
/briefing now - post this channel's briefing of what is new (managers)
/briefing schedule <cron or "daily 08:00"> [timezone] - when briefings arrive (managers)
/briefing topics add|remove <words> · /briefing topics list - what briefings cover
/briefing feeds add|remove <url> · /briefing feeds list - where the news comes from
/briefing feeds defaults - subscribe to the default world news feeds (managers)
/briefing status - feeds with their last poll and failures, the next delivery
/briefing length [stories] [bullets] - how many stories a briefing shows in full, and bullets
    each (default 8 and 4; setting it is for managers)
/newsbrief help - this text"""

# Told, before the use case runs, whether its answer will be public: a platform that must
# acknowledge quickly (Discord's deferred response) does it here. Not called when the
# answer needs no service (a refusal, a malformed command).
Acknowledge = Callable[[bool], Awaitable[None]]


async def handle(
    service: Service, request: CommandRequest, acknowledge: Acknowledge | None = None
) -> Reply:
    """Answer one command. The one place that turns failures into user text: expected
    ones (``NewsbriefError``) become their message; anything else is logged with its
    traceback and the user gets a generic line. Errors and refusals are ephemeral."""
    try:
        if request.problem is not None:
            raise UserInputError(request.problem)
        if request.name not in COMMANDS:
            raise UserInputError(f"Unknown command {excerpt(request.name)!r}. Try /newsbrief help.")
        check_options(request.options)
        if request.needs_manager and not request.is_manager:
            raise PermissionDeniedError(DENIED)
        if acknowledge is not None:
            await acknowledge(request.public)
        return await _dispatch(service, request)
    except UnknownActorError as exc:
        return ErrorReply(_bounded(str(exc)), suggestions=tuple(exc.suggestions))
    except NewsbriefError as exc:
        return ErrorReply(_bounded(str(exc) or type(exc).__name__))
    except Exception:
        log.exception("command %s in %s failed", request.name, request.channel)
        return ErrorReply(GENERIC_ERROR)


def _bounded(text: str) -> str:
    return text if len(text) <= ERROR_REPLY_MAX else text[: ERROR_REPLY_MAX - 1] + "…"


async def _dispatch(service: Service, request: CommandRequest) -> Reply:
    name, opts, channel = request.name, request.options, request.channel
    if name == "stance":
        result = await _stance(service, opts)
        return StanceReply(result, files=await _positions_picture(result))
    if name == "newsbrief help":
        return HelpReply(HELP_TEXT)
    if name == "briefing now":
        briefing = await service.briefing_now(channel)
        if not briefing.stories and not briefing.notices:
            return TextReply("Nothing new since the last briefing.")
        return BriefingReply(briefing)
    if name == "briefing schedule":
        if request.cannot_post and request.schedules_briefings:
            # A schedule here would only fail at each slot: refused now, with the reason.
            raise UserInputError(request.cannot_post)
        timezone = opts.get("timezone") or "UTC"
        cron = await service.set_schedule(
            channel, opts.get("schedule", ""), timezone, set_by=request.user_id
        )
        return TextReply(f"Briefings scheduled: {cron} ({timezone}).")
    if name == "briefing status":
        return StatusReply(await service.status(channel))
    if name == "briefing length":
        return await _length(service, request)
    if name.startswith("briefing topics "):
        return await _topics(service, channel, name.rsplit(" ", 1)[1], opts.get("words", ""))
    if name.startswith("briefing feeds "):
        return await _feeds(service, channel, name.rsplit(" ", 1)[1], opts.get("url", ""))
    raise UserInputError(f"Unknown command {excerpt(name)!r}. Try /newsbrief help.")


async def _stance(service: Service, opts: Mapping[str, str]) -> StanceResult:
    days = parse_days(opts.get("days"))
    since = timedelta(days=days) if days else None
    topic = (opts.get("topic") or "").strip() or None
    if "query" in opts:
        return await _stance_by_query(service, opts["query"], since)
    actor = (opts.get("actor") or "").strip()
    if not actor:
        raise UserInputError("Whose stance? Usage: /stance <actor> [topic] [days]")
    return await service.stance(actor, topic=topic, since=since, limit=STANCE_LIMIT)


async def _positions_picture(result: StanceResult) -> tuple[Attachment, ...]:
    """The actor's positions over time as a PNG, for an actor with two or more dated
    statements (drawn in a worker thread: matplotlib takes a moment)."""
    from bot.chart import FILENAME, positions_png

    if result.summary.statements < 2:
        return ()
    png = await asyncio.to_thread(positions_png, result)
    if png is None:
        return ()
    return (Attachment(FILENAME, png, f"{result.actor.name}: positions over time"),)


async def _stance_by_query(service: Service, query: str, since: timedelta | None) -> StanceResult:
    """``/stance United States trade``: the longest leading words naming an actor are the
    actor, the rest the topic (at most four tries, longest first)."""
    words = query.split()
    suggestions: list[str] = []
    first_error: UnknownActorError | None = None
    for cut in range(len(words), max(0, len(words) - 4), -1):
        actor, topic = " ".join(words[:cut]), " ".join(words[cut:]) or None
        try:
            return await service.stance(actor, topic=topic, since=since, limit=STANCE_LIMIT)
        except UnknownActorError as exc:
            first_error = first_error or exc
            suggestions.extend(s for s in exc.suggestions if s not in suggestions)
    assert first_error is not None
    raise UnknownActorError(first_error.name, suggestions[:5])


async def _length(service: Service, request: CommandRequest) -> Reply:
    """Read the channel's briefing length, or (a manager) set it."""
    opts, channel = request.options, request.channel
    if opts.get("stories") or opts.get("bullets"):
        stories, bullets = opts.get("stories"), opts.get("bullets")
        budget = await service.set_length(
            channel, int(stories) if stories else None, int(bullets) if bullets else None
        )
        head = "Briefing length set"
    else:
        budget = await service.get_length(channel)
        head = "Briefing length"
    return TextReply(
        f"{head}: {budget.stories} stories in full, {budget.bullets} bullets each;"
        " the rest one line each under “Also:”."
    )


async def _topics(service: Service, channel: ChannelRef, action: str, text: str) -> Reply:
    if action == "list":
        return TopicsReply(await service.list_topics(channel))
    words = split_words(text)
    if not words:
        raise UserInputError(f"Usage: /briefing topics {action} <words>")
    if action == "add":
        return TopicsReply(await service.add_topics(channel, words))
    return TopicsReply(await service.remove_topics(channel, words))


async def _feeds(service: Service, channel: ChannelRef, action: str, url: str) -> Reply:
    url = url.strip()
    if action == "add":
        feed = await service.add_feed(channel, url)
        return FeedsReply(f"Feed added: {feed.url}", (feed,))
    if action == "remove":
        await service.remove_feed(channel, url)
        return TextReply(f"Feed removed: {excerpt(url, 200)}")
    if action == "defaults":
        from bot.defaults import default_feeds

        added = [await service.add_feed(channel, feed_url) for feed_url, _ in default_feeds()]
        text = f"Subscribed to {len(added)} default world news feeds (see config/feeds.opml)."
        return FeedsReply(text, tuple(added))
    feeds = await service.list_feeds(channel)
    text = f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}" if feeds else "No feeds yet."
    return FeedsReply(text, tuple(feeds))
