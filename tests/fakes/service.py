"""An in-memory ``Service`` for the command layer and adapter tests (a fake, not a mock).

It keeps per-channel configuration like the real one would, so a test can run a
configuration command and then read it back through ``status``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.errors import NotFoundError, UnknownActorError, UnsafeURLError
from bot.ports import ChannelRef
from bot.schedules import read_schedule
from bot.service import (
    ChannelStatus,
    FeedStatus,
    Service,
    StanceResult,
    StanceStatement,
    StanceSummary,
    stance_stories,
)
from briefings.brief import Budget
from briefings.models import Actor, Briefing, Bullet, Kind, Stance, StoryBrief

NOW = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


@dataclass
class ChannelConfig:
    feeds: dict[str, FeedStatus] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    schedule: str | None = None
    timezone: str = "UTC"
    length: Budget = field(default_factory=Budget)


class FakeService(Service):
    """Actors and statements given at construction; channel settings kept in dicts."""

    def __init__(
        self,
        statements: dict[str, list[StanceStatement]] | None = None,
        actors: dict[str, Actor] | None = None,
        briefing: Briefing | None = None,
        now: datetime = NOW,
    ) -> None:
        self.actors = actors or {}
        self.statements = statements or {}
        self.briefing = briefing or Briefing(title="Briefing", stories=(), generated=now)
        self.now = now
        self.channels: dict[ChannelRef, ChannelConfig] = {}
        self.calls: list[tuple[str, object]] = []
        self.fail_with: Exception | None = None
        # When set, /stance waits for it: lets a test see what happens before the work ends.
        self.gate: asyncio.Event | None = None

    def _channel(self, channel: ChannelRef) -> ChannelConfig:
        return self.channels.setdefault(channel, ChannelConfig())

    def _record(self, name: str, arg: object) -> None:
        self.calls.append((name, arg))
        if self.fail_with is not None:
            raise self.fail_with

    async def stance(
        self,
        name: str,
        topic: str | None = None,
        since: timedelta | None = None,
        limit: int = 20,
    ) -> StanceResult:
        self._record("stance", (name, topic, since))
        if self.gate is not None:
            await self.gate.wait()
        actor = self.actors.get(name.strip().lower())
        if actor is None:
            prefix = name.strip().lower()[:3]
            suggestions = sorted({a.name for k, a in self.actors.items() if k.startswith(prefix)})
            raise UnknownActorError(name, suggestions)
        found = [
            s
            for s in self.statements.get(actor.id, [])
            if (topic is None or topic.lower() in s.text.lower())
            and (since is None or (s.published is not None and s.published >= self.now - since))
        ]
        found.sort(key=lambda s: s.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        dates = [s.published for s in found if s.published]
        stances: dict[str, int] = {}
        for s in found:
            stances[s.stance.value] = stances.get(s.stance.value, 0) + 1
        summary = StanceSummary(
            statements=len(found),
            first=min(dates) if dates else None,
            last=max(dates) if dates else None,
            stances=stances,
        )
        shown = tuple(found[:limit])
        return StanceResult(
            actor, summary, shown, matched_as="country", stories=stance_stories(shown)
        )

    async def actor_names(self, prefix: str, limit: int = 25) -> list[str]:
        self._record("actor_names", prefix)
        names = sorted({a.name for a in self.actors.values()})
        return [n for n in names if n.lower().startswith(prefix.lower())][:limit]

    async def briefing_now(self, channel: ChannelRef) -> Briefing:
        self._record("briefing_now", channel)
        return self.briefing

    async def set_schedule(
        self, channel: ChannelRef, schedule: str, timezone: str, *, set_by: str = ""
    ) -> str:
        self._record("set_schedule", (channel, schedule, timezone))
        cron, zone = read_schedule(schedule, timezone)  # the service's own parser
        config = self._channel(channel)
        config.schedule, config.timezone = cron, zone
        return cron or "off"

    async def add_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        self._record("add_topics", (channel, words))
        config = self._channel(channel)
        config.topics.extend(w for w in words if w not in config.topics)
        return tuple(config.topics)

    async def remove_topics(self, channel: ChannelRef, words: list[str]) -> tuple[str, ...]:
        self._record("remove_topics", (channel, words))
        config = self._channel(channel)
        config.topics = [t for t in config.topics if t not in words]
        return tuple(config.topics)

    async def list_topics(self, channel: ChannelRef) -> tuple[str, ...]:
        self._record("list_topics", channel)
        return tuple(self._channel(channel).topics)

    async def add_feed(self, channel: ChannelRef, url: str) -> FeedStatus:
        self._record("add_feed", (channel, url))
        if not url.startswith(("http://", "https://")) or "127.0.0.1" in url:
            raise UnsafeURLError(f"Refusing {url!r}: not a public http(s) address.")
        feed = FeedStatus(url, "", None, None, 0, False)
        self._channel(channel).feeds[url] = feed
        return feed

    async def remove_feed(self, channel: ChannelRef, url: str) -> None:
        self._record("remove_feed", (channel, url))
        if self._channel(channel).feeds.pop(url, None) is None:
            raise NotFoundError(f"This channel has no feed {url!r}.")

    async def list_feeds(self, channel: ChannelRef) -> tuple[FeedStatus, ...]:
        self._record("list_feeds", channel)
        return tuple(self._channel(channel).feeds.values())

    async def subscribe(
        self,
        channel: ChannelRef,
        *,
        feeds: Sequence[str] = (),
        schedule: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        """As ``StoreService.subscribe`` (the composition root sets the console up)."""
        for url in feeds:
            await self.add_feed(channel, url)
        if schedule is not None:
            await self.set_schedule(channel, schedule, timezone)

    async def status(self, channel: ChannelRef) -> ChannelStatus:
        self._record("status", channel)
        config = self._channel(channel)
        return ChannelStatus(
            channel=channel,
            feeds=tuple(config.feeds.values()),
            topics=tuple(config.topics),
            schedule=config.schedule,
            timezone=config.timezone,
            next_delivery=self.now + timedelta(hours=1) if config.schedule else None,
            last_delivery=None,
        )

    async def get_length(self, channel: ChannelRef) -> Budget:
        self._record("get_length", channel)
        return self._channel(channel).length

    async def set_length(
        self, channel: ChannelRef, stories: int | None, bullets: int | None = None
    ) -> Budget:
        from bot.service import check_length

        self._record("set_length", (stories, bullets))
        config = self._channel(channel)
        budget = Budget(
            config.length.stories if stories is None else stories,
            config.length.bullets if bullets is None else bullets,
        )
        check_length(budget.stories, budget.bullets)
        config.length = budget
        return budget


GERMANY = Actor("DE", "Germany")
FRANCE = Actor("FR", "France")
USA = Actor("US", "United States")


def statement(
    text: str,
    speaker: str,
    role: str | None,
    actor: Actor,
    day: int,
    outlet: str = "The Example Herald",
    stance: Stance = Stance.UNCLEAR,
    issue: str = "energy prices",
) -> StanceStatement:
    """A stored statement as the service would return it (made-up words, made-up outlet)."""
    return StanceStatement(
        text=text,
        speaker_name=speaker,
        role=role,
        actor=actor,
        kind=Kind.DIRECT,
        stance=stance,
        published=datetime(2024, 5, day, 12, 0, tzinfo=UTC),
        outlet=outlet,
        url=f"https://news.example.org/2024/05/{day:02d}/story",
        title=f"Story of May {day}",
        issue=issue,
    )


def sample_service(briefing: Briefing | None = None) -> FakeService:
    """Three actors with a few invented statements each."""
    actors = {
        "germany": GERMANY,
        "de": GERMANY,
        "german": GERMANY,
        "france": FRANCE,
        "united states": USA,
        "usa": USA,
    }
    statements = {
        "DE": [
            statement(
                "We will keep the power grid stable this winter.",
                "Anna Weber",
                "Chancellor",
                GERMANY,
                2,
                stance=Stance.SUPPORTS,
            ),
            statement(
                "Energy prices must come down before any new levy.",
                "Anna Weber",
                "Chancellor",
                GERMANY,
                4,
                stance=Stance.OPPOSES,
            ),
        ],
        "FR": [statement("Trade talks resume next week.", "Luc Martin", "President", FRANCE, 3)],
        "US": [statement("We stand with our allies on trade.", "Dana Hill", None, USA, 1)],
    }
    return FakeService(statements=statements, actors=actors, briefing=briefing)


def make_briefing(
    actors: int = 3, quote_chars: int = 120, stories: int = 1, extra: str = ""
) -> Briefing:
    """A briefing with ``actors`` bullets spread over ``stories`` stories; every quote is
    unique (it starts with its number) and about ``quote_chars`` long."""
    filler = "the talks on energy and trade must go on without delay and in good faith "
    bullets_per_story = max(1, -(-actors // stories))
    built: list[StoryBrief] = []
    n = 0
    for s in range(stories):
        bullets: list[Bullet] = []
        for _ in range(bullets_per_story):
            if n >= actors:
                break
            words = f"Quote {n:03d}: {extra}" + (filler * (quote_chars // len(filler) + 1))
            bullets.append(
                Bullet(
                    label=f"Country {n:03d}",
                    actor=Actor(f"C{n:03d}", f"Country {n:03d}"),
                    speaker_name=f"Speaker {n:03d}",
                    role="Foreign Minister",
                    text=words[:quote_chars].rstrip() + " end",
                    kind=Kind.DIRECT,
                    stance=Stance.NEUTRAL,
                )
            )
            n += 1
        built.append(
            StoryBrief(
                title=f"Story {s:02d}: ministers meet on energy",
                url=f"https://news.example.org/story/{s}",
                outlet="The Example Herald",
                published=datetime(2024, 5, 6, 8, 0, tzinfo=UTC),
                bullets=tuple(bullets),
            )
        )
    return Briefing(title="Morning briefing", stories=tuple(built), generated=NOW)


# The environment variables that start a platform adapter: tests clear them.
TOKEN_ENV = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


# Every way article text could try to notify people, on Discord or on Slack.
PINGS = ("@everyone", "@here", "<@&123>", "<!channel>", "<!here>", "<@U123>")
PING_TEXT = " ".join(PINGS)


def pinging_briefing() -> Briefing:
    """A briefing whose every article-derived field (titles, outlet, label, speaker,
    role, words) carries all of ``PINGS``, as a hostile or careless article might."""
    bullet = Bullet(
        label=f"Country {PING_TEXT}",
        actor=Actor("PX", f"Country {PING_TEXT}"),
        speaker_name=f"Speaker {PING_TEXT}",
        role=f"Minister {PING_TEXT}",
        text=f"We say {PING_TEXT} and 5 < 6 & 7 > 3, loudly.",
        kind=Kind.DIRECT,
        stance=Stance.SUPPORTS,
    )
    story = StoryBrief(
        title=f"Story {PING_TEXT}",
        url="https://news.example.org/story/pings",
        outlet=f"Herald {PING_TEXT}",
        published=datetime(2024, 5, 6, 8, 0, tzinfo=UTC),
        bullets=(bullet,),
    )
    notice = f"Feed https://news.example.org/rss is no longer polled (HTTP 500 {PING_TEXT})"
    return Briefing(
        title=f"Briefing {PING_TEXT}", stories=(story,), generated=NOW, notices=(notice,)
    )
