"""The store-backed Service: /stance lookups, channel settings, briefings and deliveries,
on SQLite and on a real PostgreSQL, with statements built by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import (
    NotFoundError,
    PublishError,
    UnknownActorError,
    UnsafeURLError,
    UserInputError,
)
from bot.ports import ChannelRef
from bot.service import StoreService
from bot.store import Repository, Store, models
from briefings.models import Actor, Briefing, Kind, Stance
from tests.bot.store.factories import FRANCE, GERMANY, NATO, T0, article, opened, statement
from tests.bot.store.pg import database_url

__all__ = ["database_url"]

CHANNEL = ChannelRef("console", "local", "news")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RecordingPublisher:
    platform = "console"

    def __init__(self, fail: bool = False) -> None:
        self.published: list[tuple[ChannelRef, Briefing]] = []
        self.fail = fail

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        if self.fail:
            raise PublishError("the platform said no")
        self.published.append((channel, briefing))


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=10))


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    with opened(database_url) as (_engine, repository):
        yield repository


@pytest.fixture
def service(repo: Repository, clock: Clock) -> Iterator[StoreService]:
    service = StoreService(Store(repo), now=clock)
    yield service
    service.close()


def store_scholz(repo: Repository, days: int = 0, words: str = "We will not send tanks.") -> None:
    body = f'German Chancellor Olaf Scholz said: "{words}" The debate on tariffs went on.'
    st = statement(
        body,
        "German Chancellor Olaf Scholz",
        words,
        name="Olaf Scholz",
        actor=GERMANY,
        role="Chancellor",
        stance=Stance.OPPOSES,
    )
    repo.store_article(
        article(
            body,
            title=f"Scholz, day {days}",
            url=f"https://news.example/{days}",
            published=T0 + timedelta(days=days),
        ),
        [st],
        T0,
    )


def store_macron(repo: Repository) -> None:
    body = "French President Emmanuel Macron said that energy prices must fall. More text."
    st = statement(
        body,
        "French President Emmanuel Macron",
        "energy prices must fall",
        name="Emmanuel Macron",
        actor=FRANCE,
        cue="said that",
        kind=Kind.INDIRECT,
        stance=Stance.SUPPORTS,
    )
    repo.store_article(
        article(body, title="Macron on energy", url="https://news.example/m"), [st], T0
    )


@pytest.mark.parametrize(
    ("query", "matched_as"),
    [
        ("germany", "country"),
        ("DE", "country"),
        ("German", "country"),
        ("Scholz", "person: Olaf Scholz"),
        ("olaf scholz", "person: Olaf Scholz"),
        ("Germny", "country"),
    ],
)
async def test_stance_finds_the_actor_by_any_name(
    service: StoreService, repo: Repository, query: str, matched_as: str
) -> None:
    store_scholz(repo)
    store_macron(repo)
    result = await service.stance(query)
    assert result.actor.id == "DE"
    assert result.matched_as == matched_as
    assert [s.speaker_name for s in result.statements] == ["Olaf Scholz"]
    st = result.statements[0]
    assert (st.text, st.role, st.kind, st.stance) == (
        "We will not send tanks.",
        "Chancellor",
        Kind.DIRECT,
        Stance.OPPOSES,
    )
    assert (st.outlet, st.url, st.published) == ("Daily Planet", "https://news.example/0", T0)


async def test_stance_summary_newest_first_since_and_topic(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    for day in range(4):
        store_scholz(repo, day, f"Statement number {day} is final.")
    result = await service.stance("Germany", limit=2)
    assert [s.text for s in result.statements] == [
        "Statement number 3 is final.",
        "Statement number 2 is final.",
    ]
    assert result.summary.statements == 4
    assert (result.summary.first, result.summary.last) == (T0, T0 + timedelta(days=3))
    assert result.summary.stances == {"opposes": 4}
    clock.now = T0 + timedelta(days=3, hours=12)
    assert (await service.stance("Germany", since=timedelta(days=1))).summary.statements == 1
    assert (await service.stance("Germany", topic="tariff")).summary.statements == 4
    assert (await service.stance("Germany", topic="fisheries")).summary.statements == 0


async def test_a_known_country_without_statements_is_not_unknown(service: StoreService) -> None:
    result = await service.stance("France")
    assert result.actor.id == "FR"
    assert result.summary.statements == 0 and result.statements == ()


async def test_an_unknown_name_gives_suggestions(service: StoreService, repo: Repository) -> None:
    store_scholz(repo)
    with pytest.raises(UnknownActorError) as caught:
        await service.stance("Scholzinger")
    assert "Olaf Scholz" in caught.value.suggestions or "Scholz" in caught.value.suggestions
    with pytest.raises(UnknownActorError):
        await service.stance("Qwxz")
    with pytest.raises(UserInputError):
        await service.stance("   ")


async def test_organisations_are_found(service: StoreService, repo: Repository) -> None:
    body = 'NATO Secretary General said: "The alliance stands ready." Then he left.'
    st = statement(body, "NATO Secretary General", "The alliance stands ready.", actor=NATO)
    repo.store_article(article(body), [st], T0)
    result = await service.stance("nato")
    assert result.actor.id == "NATO" and result.summary.statements == 1


async def test_a_configured_alias_finds_its_actor_even_after_the_index_was_built(
    service: StoreService, repo: Repository
) -> None:
    store_scholz(repo)
    assert (await service.stance("Germany")).summary.statements == 1  # the name index is built
    with repo.transaction() as session:  # e.g. a configured alias, by another process
        session.add(
            models.Alias(
                norm="spreeufer office",
                name="Spreeufer Office",
                actor_id=GERMANY.id,
                source="config",
                speaker_name="",
                evidence="alias: config",
                created=T0,
            )
        )
    # An unknown name rebuilds the index at most once a refresh (a minute), not each time.
    later = service.store.names.clock() + service.store.names.refresh
    service.store.names.clock = lambda: later
    result = await service.stance("spreeufer office")
    assert (result.actor.id, result.matched_as) == ("DE", "alias")
    assert [s.speaker_name for s in result.statements] == ["Olaf Scholz"]


async def test_actor_names_for_autocomplete(service: StoreService, repo: Repository) -> None:
    store_scholz(repo)
    names = await service.actor_names("ger")
    assert "Germany" in names
    assert len(await service.actor_names("", limit=5)) == 5
    assert "Olaf Scholz" in await service.actor_names("olaf")


async def test_channel_settings_and_status(service: StoreService, clock: Clock) -> None:
    assert await service.set_schedule(CHANNEL, "daily 08:00", "Europe/Berlin") == "0 8 * * *"
    assert await service.add_topics(CHANNEL, ["Energy", "steel  imports", "energy"]) == (
        "energy",
        "steel imports",
    )
    assert await service.remove_topics(CHANNEL, ["ENERGY"]) == ("steel imports",)
    assert await service.list_topics(CHANNEL) == ("steel imports",)
    with pytest.raises(UserInputError):
        await service.add_topics(CHANNEL, ["!!!"])
    feed = await service.add_feed(CHANNEL, "https://feeds.example/rss")
    assert feed.url == "https://feeds.example/rss" and feed.failures == 0
    with pytest.raises(UnsafeURLError):
        await service.add_feed(CHANNEL, "file:///etc/passwd")
    with pytest.raises(UnsafeURLError):
        await service.add_feed(CHANNEL, "http://127.0.0.1/feed")
    status = await service.status(CHANNEL)
    assert [f.url for f in status.feeds] == ["https://feeds.example/rss"]
    assert (status.schedule, status.timezone, status.topics) == (
        "0 8 * * *",
        "Europe/Berlin",
        ("steel imports",),
    )
    assert status.next_delivery is not None and status.next_delivery > clock.now
    assert status.last_delivery is None
    await service.remove_feed(CHANNEL, "https://feeds.example/rss")
    with pytest.raises(NotFoundError):
        await service.remove_feed(CHANNEL, "https://feeds.example/rss")
    assert await service.list_feeds(CHANNEL) == ()
    assert await service.set_schedule(CHANNEL, "off", "UTC") == "off"
    assert (await service.status(CHANNEL)).next_delivery is None


async def test_failing_feeds_show_their_reason_in_status(
    service: StoreService, repo: Repository
) -> None:
    await service.add_feed(CHANNEL, "https://feeds.example/rss")
    repo.record_poll(
        "https://feeds.example/rss", now=T0, ok=False, error="HTTP 404 Not Found", disable=True
    )
    (feed,) = (await service.status(CHANNEL)).feeds
    assert (feed.last_error, feed.failures, feed.disabled) == ("HTTP 404 Not Found", 1, True)


async def test_a_disabled_feed_is_told_to_its_channel_in_the_briefing(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    await service.add_feed(CHANNEL, "https://feeds.example/rss")
    repo.record_poll(
        "https://feeds.example/rss", now=T0, ok=False, error="HTTP 404 Not Found", disable=True
    )
    (notice,) = (await service.briefing_now(CHANNEL)).notices
    assert "https://feeds.example/rss" in notice and "HTTP 404 Not Found" in notice
    # with no news at all, the channel still hears it at its usual time
    publisher = RecordingPublisher()
    delivered = await service.deliver(CHANNEL, clock.now, publisher)
    assert delivered is not None and delivered.stories == () and delivered.notices == (notice,)
    assert len(publisher.published) == 1
    # a feed that works again is no news
    await service.add_feed(CHANNEL, "https://feeds.example/rss")
    assert (await service.briefing_now(CHANNEL)).notices == ()


async def test_briefing_groups_by_story_and_actor(service: StoreService, repo: Repository) -> None:
    store_scholz(repo, 0)
    store_macron(repo)
    briefing = await service.briefing_now(CHANNEL)
    assert [s.title for s in briefing.stories] == ["Scholz, day 0", "Macron on energy"]
    (bullet,) = briefing.stories[0].bullets
    assert bullet.actor == GERMANY and "tanks" in bullet.text
    # briefing_now records nothing: the same briefing again.
    assert (await service.briefing_now(CHANNEL)).stories == briefing.stories


async def test_briefing_length_is_kept_per_channel_and_limits_the_briefing(
    service: StoreService, repo: Repository
) -> None:
    store_scholz(repo, 0)
    store_macron(repo)
    assert (await service.get_length(CHANNEL)).stories == 8
    budget = await service.set_length(CHANNEL, 1, None)
    assert (budget.stories, budget.bullets) == (1, 4)
    assert (await service.get_length(CHANNEL)) == budget
    briefing = await service.briefing_now(CHANNEL)
    assert len(briefing.stories) == 1 and len(briefing.also) == 1
    with pytest.raises(UserInputError):
        await service.set_length(CHANNEL, 0, None)


async def test_a_delivery_is_recorded_once_and_moves_on(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    publisher = RecordingPublisher()
    store_scholz(repo, 0)
    slot = clock.now
    delivered = await service.deliver(CHANNEL, slot, publisher)
    assert delivered is not None and len(delivered.stories) == 1
    assert await service.deliver(CHANNEL, slot, publisher) is None  # the slot is taken
    assert len(publisher.published) == 1
    # Nothing new: the next slot is recorded, not posted.
    empty = await service.deliver(CHANNEL, slot + timedelta(days=1), publisher)
    assert empty is not None and empty.stories == ()
    assert len(publisher.published) == 1
    store_macron(repo)
    again = await service.deliver(CHANNEL, slot + timedelta(days=2), publisher)
    assert again is not None and [s.title for s in again.stories] == ["Macron on energy"]
    assert (await service.status(CHANNEL)).last_delivery == clock.now


async def test_a_failed_publish_is_stored_with_its_reason_and_resumed_once(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    """Issue 12, finding 6: a failed slot is kept with its reason and shown in /briefing
    status; the next run posts the same briefing, once."""
    store_scholz(repo)
    assert await service.deliver(CHANNEL, clock.now, RecordingPublisher(fail=True)) is not None
    status = await service.status(CHANNEL)
    assert status.failure_reason == "the platform said no"
    assert status.last_failure == clock.now and status.delivery_failures == 1
    publisher = RecordingPublisher()
    assert await service.resume(CHANNEL, publisher) is True
    assert await service.resume(CHANNEL, publisher) is None  # nothing left to finish
    assert [b.stories[0].title for _, b in publisher.published] == ["Scholz, day 0"]
    assert (await service.status(CHANNEL)).delivery_failures == 0


async def test_concurrent_deliveries_of_one_slot_post_once(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    store_scholz(repo)
    publisher = RecordingPublisher()
    results = await asyncio.gather(
        *(service.deliver(CHANNEL, clock.now, publisher) for _ in range(4))
    )
    assert sum(r is not None for r in results) == 1
    assert len(publisher.published) == 1


async def test_missed_slots_are_delivered_once(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    clock.now = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    await service.set_schedule(CHANNEL, "daily 08:00", "UTC")
    store_scholz(repo)
    publisher = RecordingPublisher()
    assert await service.deliver_due(CHANNEL, publisher) is None  # before the first slot
    clock.now = datetime(2024, 5, 4, 12, 0, tzinfo=UTC)  # three slots missed while down
    first = await service.deliver_due(CHANNEL, publisher)
    assert first is not None
    assert await service.deliver_due(CHANNEL, publisher) is None
    assert len(publisher.published) == 1
    assert repo.latest_slot(CHANNEL) == datetime(2024, 5, 4, 8, 0, tzinfo=UTC)
    assert isinstance(first.stories[0].bullets[0].actor, Actor)


async def test_slots_before_the_schedule_was_set_are_not_missed_slots(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    clock.now = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    await service.add_topics(CHANNEL, ["tanks"])  # the channel exists from Monday on
    store_scholz(repo)
    clock.now = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
    await service.set_schedule(CHANNEL, "daily 08:00", "UTC")  # set after today's 08:00
    publisher = RecordingPublisher()
    assert await service.deliver_due(CHANNEL, publisher) is None
    clock.now = datetime(2024, 5, 4, 8, 0, 5, tzinfo=UTC)
    assert await service.deliver_due(CHANNEL, publisher) is not None
    assert len(publisher.published) == 1


async def test_many_channels_due_at_once_all_get_their_briefing(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    store_scholz(repo)
    publisher = RecordingPublisher()
    channels = [ChannelRef("console", "local", f"c{i}") for i in range(12)]
    results = await asyncio.gather(*(service.deliver(c, clock.now, publisher) for c in channels))
    assert all(r is not None and len(r.stories) == 1 for r in results)
    assert sorted(c.channel for c, _ in publisher.published) == sorted(c.channel for c in channels)


def store_us_article(repo: Repository) -> None:
    """Two senators of two parties and an unnamed official, all for the United States."""
    body = (
        "Senator Ruth Calder said that the farm bill would pass. "
        "Senator Owen Pike said that the farm bill would fail. "
        "A Treasury official said that the cost was unknown."
    )
    us = Actor("US", "United States", "context: story about United States", "country")
    parties = {"Ruth Calder": "US-REP", "Owen Pike": "US-DEM", "A Treasury official": None}
    names = {"US-REP": "Republican Party", "US-DEM": "Democratic Party"}
    said = []
    for speaker, words in (
        ("Ruth Calder", "the farm bill would pass"),
        ("Owen Pike", "the farm bill would fail"),
        ("A Treasury official", "the cost was unknown"),
    ):
        party_id = parties[speaker]
        party = Actor(party_id, names[party_id], "party", "party") if party_id else None
        st = statement(body, speaker, words, actor=us, kind=Kind.INDIRECT)
        said.append(replace(st, party=party))
    repo.store_article(article(body, title="Farm bill", url="https://news.example/f"), said, T0)


async def test_stance_by_person_gives_that_persons_statements_only(
    service: StoreService, repo: Repository
) -> None:
    store_us_article(repo)
    country = await service.stance("United States")
    assert len(country.statements) == 3  # officials resolved from context count for the country
    person = await service.stance("Owen Pike")
    assert [s.speaker_name for s in person.statements] == ["Owen Pike"]
    assert person.summary.statements == 1


@pytest.mark.parametrize(
    ("query", "speaker"),
    [("Republicans", "Ruth Calder"), ("GOP", "Ruth Calder"), ("Democrats", "Owen Pike")],
)
async def test_stance_by_party_gives_its_members(
    service: StoreService, repo: Repository, query: str, speaker: str
) -> None:
    store_us_article(repo)
    result = await service.stance(query)
    assert result.actor.kind == "party"
    assert [s.speaker_name for s in result.statements] == [speaker]


class PagedPublisher:
    """Posts a briefing as three messages; refuses the ones in ``refuse`` (``rejected``:
    as a platform refuses a message itself), once each, or for good when ``always``."""

    platform = "console"

    def __init__(self, refuse: set[int], *, rejected: bool = False) -> None:
        self.sent: list[str] = []
        self.notices: list[str] = []  # what the channel was told about its briefings
        self.refuse = refuse
        self.rejected = rejected

    def render(self, briefing: Briefing) -> list[str]:
        if not briefing.stories:  # a notice about the channel's briefings: one message
            self.notices.extend(briefing.notices)
            return []
        return [f"{briefing.title} part {n}" for n in (1, 2, 3)]

    async def send(self, channel: ChannelRef, message: object, key: str | None = None) -> None:
        part = int(str(message)[-1])
        if part in self.refuse:
            if not self.rejected:
                self.refuse.discard(part)
            raise PublishError("HTTP 403 Missing Access", rejected=self.rejected)
        self.sent.append(f"part{part}")

    async def publish(self, channel: ChannelRef, briefing: Briefing) -> None:
        raise AssertionError("posts message by message")


async def test_a_briefing_that_fails_on_its_second_message_resumes_there(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    """Issue 12, finding 7: message 1 went out, message 2 was refused; the next run posts
    messages 2 and 3 of the same briefing, and message 1 never again."""
    store_scholz(repo)
    publisher = PagedPublisher({2})
    await service.deliver(CHANNEL, clock.now, publisher)
    assert publisher.sent == ["part1"]
    # the channel is told, once, where and why
    assert [n.split(" (")[0] for n in publisher.notices] == [
        "A scheduled briefing could not be posted"
    ]
    assert "HTTP 403 Missing Access" in publisher.notices[0]
    delivery = repo.last_delivery(CHANNEL)
    assert delivery is not None and (delivery.status, delivery.sent) == ("failed", 1)
    assert await service.resume(CHANNEL, publisher) is True
    assert publisher.sent == ["part1", "part2", "part3"]
    assert await service.resume(CHANNEL, publisher) is None


async def test_a_message_the_platform_refuses_as_it_is_never_blocks_the_channel(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    """Issue 12, finding 5: a message refused for what it is (a 400) is skipped; the rest
    goes out and nothing is left to fail on at the next slot."""
    store_scholz(repo)
    publisher = PagedPublisher({2}, rejected=True)
    await service.deliver(CHANNEL, clock.now, publisher)
    assert publisher.sent == ["part1", "part3"]
    assert await service.resume(CHANNEL, publisher) is None
    assert (await service.status(CHANNEL)).delivery_failures == 0


async def test_the_schedule_pauses_after_repeated_failures_with_a_notice(
    service: StoreService, repo: Repository, clock: Clock
) -> None:
    """Issue 12, finding 6: a channel the bot cannot post in fails each try; after three
    in a row its schedule pauses (status says why) instead of retrying forever, and
    setting the schedule again resumes it."""
    await service.set_schedule(CHANNEL, "daily 08:00", "UTC")
    store_scholz(repo)
    publisher = RecordingPublisher(fail=True)
    await service.deliver(CHANNEL, clock.now, publisher)
    for _ in range(5):
        clock.now += timedelta(days=1)
        await service.deliver_due(CHANNEL, publisher)
    status = await service.status(CHANNEL)
    assert status.delivery_failures == 3
    assert status.paused_reason == "the platform said no"
    assert await service.deliver_due(CHANNEL, RecordingPublisher()) is None  # paused
    await service.set_schedule(CHANNEL, "daily 08:00", "UTC")
    assert (await service.status(CHANNEL)).paused_reason is None
