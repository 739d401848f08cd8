"""The repository on SQLite and on a real PostgreSQL: schema, dedup, aliases, stance queries
with full-text topics, feed state, channel settings and the slot claim."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, bindparam, text

from bot.ports import ChannelRef
from bot.store import Repository, canonical_url
from bot.store.db import alembic_config
from bot.store.statements import StancePlan, choose_stance_plan, learnable_names
from briefings.models import Actor, Kind, Stance, Statement
from tests.bot.store.factories import FRANCE, GERMANY, NATO, T0, article, opened, statement

CHANNEL = ChannelRef("console", "local", "news")

SCHOLZ_TEXT = (
    'German Chancellor Olaf Scholz said: "We will not send more tanks this winter." '
    "The remarks came as tariffs on steel imports were debated in Brussels."
)
LONG_SCHOLZ_TEXT = (
    SCHOLZ_TEXT
    + " "
    + " ".join(
        ["Ministers from the member states met again to weigh the steel tariff proposal."] * 5
    )
)
MACRON_TEXT = (
    "French President Emmanuel Macron said that Europe must build its own defence industry. "
    "He spoke at a summit on energy prices."
)


def scholz_statements(body: str = SCHOLZ_TEXT) -> list[Statement]:
    return [
        statement(
            body,
            "German Chancellor Olaf Scholz",
            "We will not send more tanks this winter.",
            name="Olaf Scholz",
            actor=GERMANY,
            role="Chancellor",
            stance=Stance.OPPOSES,
        )
    ]


def test_migrations_run_at_every_start_without_harm(database_url: str) -> None:
    for _ in range(2):
        with opened(database_url) as (engine, repo):
            with engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert repo.article_count() == 0


def test_an_article_and_its_statements_round_trip(repo: Repository) -> None:
    stored = repo.store_article(
        article(SCHOLZ_TEXT, guid="g1", url="https://news.example/a"), scholz_statements(), T0
    )
    assert stored is not None and stored[1] == 1
    rows, counts = repo.stance_statements("DE")
    assert counts.total == 1 and counts.stances == {"opposes": 1}
    got = rows[0].statement
    assert got == scholz_statements()[0]
    assert SCHOLZ_TEXT[got.content.start : got.content.end] == got.content.text
    assert rows[0].url == "https://news.example/a"
    assert rows[0].published == T0
    assert repo.actor("DE") == Actor("DE", "Germany", "", "country")


@pytest.mark.parametrize(
    ("guid", "url", "body"),
    [
        ("g1", "https://other.example/x", "Entirely different words about something else."),
        (None, "https://NEWS.example/a/?utm_source=rss#top", "Other words again, nothing alike."),
        (None, "", LONG_SCHOLZ_TEXT.upper().replace(" ", "   ")),
    ],
    ids=["same-guid", "same-canonical-url", "same-content"],
)
def test_duplicates_are_refused(repo: Repository, guid: str | None, url: str, body: str) -> None:
    first = article(LONG_SCHOLZ_TEXT, guid="g1", url="https://news.example/a")
    assert repo.store_article(first, scholz_statements(), T0) is not None
    assert repo.is_duplicate(guid, url, body)
    assert repo.store_article(article(body, guid=guid, url=url), [], T0) is None
    assert repo.article_count() == 1
    assert repo.statement_count() == 1


def test_short_placeholder_texts_merge_only_with_the_same_link(repo: Repository) -> None:
    """Three different articles whose feed carried the same placeholder are three."""
    for n in range(3):
        placeholder = article(
            "Click here to read more.", guid=f"p{n}", url=f"https://p.example/{n}"
        )
        assert repo.store_article(placeholder, [], T0) is not None
    again = article("Click  here to READ more.", guid="p9", url="https://p.example/1")
    assert repo.store_article(again, [], T0) is None
    assert repo.article_count() == 3


def test_a_new_article_is_not_a_duplicate(repo: Repository) -> None:
    repo.store_article(article(SCHOLZ_TEXT, guid="g1", url="https://news.example/a"), [], T0)
    assert not repo.is_duplicate("g2", "https://news.example/b", MACRON_TEXT)
    assert repo.store_article(article(MACRON_TEXT, guid="g2"), [], T0) is not None
    assert repo.article_count() == 2


def test_names_tied_to_an_actor_by_the_text_are_learned(repo: Repository) -> None:
    repo.store_article(article(SCHOLZ_TEXT), scholz_statements(), T0)
    aliases = repo.engine_aliases()
    assert set(aliases) == {"Olaf Scholz", "Scholz"}
    assert aliases["Scholz"].id == "DE"
    assert aliases["Scholz"].evidence.startswith("alias")
    entry = next(a for a in repo.aliases() if a.name == "Scholz")
    assert entry.speaker_name == "Olaf Scholz"


def test_names_from_curated_facts_are_only_looked_up_not_learned(repo: Repository) -> None:
    body = "Olaf Scholz said the budget would be balanced next year."
    fact = Actor("DE", "Germany", "fact: head of government 2021-12-08..2025-05-06")
    found = statement(
        body,
        "Olaf Scholz",
        "the budget would be balanced next year",
        actor=fact,
        kind=Kind.INDIRECT,
    )
    repo.store_article(article(body), [found], T0)
    assert repo.engine_aliases() == {}
    assert [(a.name, a.source) for a in repo.aliases()] == [("Olaf Scholz", "person")]


def test_descriptions_are_not_names() -> None:
    assert learnable_names("Olaf Scholz") == ["Olaf Scholz", "Scholz"]
    assert learnable_names("Ursula von der Leyen") == ["Ursula von der Leyen", "Leyen"]
    assert learnable_names("the Kremlin") == []
    assert learnable_names("a spokesperson") == []
    assert learnable_names("Scholz") == []


def test_stance_is_newest_first_with_counts_and_since(repo: Repository) -> None:
    bodies = [f'Olaf Scholz said: "Point number {i} stands." More text follows.' for i in range(5)]
    for i, body in enumerate(bodies):
        st = statement(
            body,
            "Olaf Scholz",
            f"Point number {i} stands.",
            actor=GERMANY,
            stance=Stance.SUPPORTS if i % 2 else Stance.OPPOSES,
        )
        repo.store_article(article(body, published=T0 + timedelta(days=i)), [st], T0)
    rows, counts = repo.stance_statements("DE", limit=3)
    assert [r.statement.content.text for r in rows] == [
        "Point number 4 stands.",
        "Point number 3 stands.",
        "Point number 2 stands.",
    ]
    assert counts.total == 5
    assert counts.stances == {"opposes": 3, "supports": 2}
    assert counts.first == T0 and counts.last == T0 + timedelta(days=4)
    rows, counts = repo.stance_statements("DE", since=T0 + timedelta(days=3))
    assert counts.total == 2 and len(rows) == 2
    assert repo.stance_statements("FR")[1].total == 0


def test_topics_filter_by_full_text_search(repo: Repository) -> None:
    repo.store_article(article(SCHOLZ_TEXT, title="Scholz on tanks"), scholz_statements(), T0)
    other = 'Olaf Scholz said: "The harvest was good." Farmers were pleased.'
    repo.store_article(
        article(other, title="Farming"),
        [statement(other, "Olaf Scholz", "The harvest was good.", actor=GERMANY)],
        T0 + timedelta(hours=1),
    )
    # Stemming: "tariff" finds "tariffs"; the title is searched too.
    assert [r.statement.content.text for r in repo.stance_statements("DE", topic="tariff")[0]] == [
        "We will not send more tanks this winter."
    ]
    assert len(repo.stance_statements("DE", topic="Farming")[0]) == 1
    assert repo.stance_statements("DE", topic="steel imports")[1].total == 1
    assert repo.stance_statements("DE", topic="submarines")[1].total == 0
    # Search syntax in user input is only words: no error, no injection.
    assert repo.stance_statements("DE", topic='tariffs" OR "harvest')[1].total == 0
    assert repo.stance_statements("DE", topic="***")[1].total == 0


@pytest.mark.parametrize(
    "plan",
    [
        StancePlan(rows, counts)
        for rows in ("actor", "articles")
        for counts in ("actor", "articles")
    ],
)
def test_both_ways_to_a_topic_give_the_same_answer(repo: Repository, plan: StancePlan) -> None:
    # Twelve days, three topics in turn; Germany speaks every day, France every third day.
    for day in range(12):
        topic = ("tanks", "tariffs", "harvest")[day % 3]
        body = f'Olaf Scholz said: "Day {day} counts." The talks were about {topic}.'
        statements = [
            statement(
                body,
                "Olaf Scholz",
                f"Day {day} counts.",
                actor=GERMANY,
                stance=(Stance.SUPPORTS, Stance.OPPOSES)[day % 2],
            )
        ]
        if day % 3 == 0:
            statements.append(statement(body, "talks", "about", actor=FRANCE))
        repo.store_article(
            article(body, title=f"Day {day}", published=T0 + timedelta(days=day)), statements, T0
        )

    def answer(**kwargs: Any) -> tuple[list[str], int, dict[str, int], object, object]:
        rows, counts = repo.stance_statements("DE", limit=3, plan=plan, **kwargs)
        texts = [r.statement.content.text for r in rows]
        return texts, counts.total, counts.stances, counts.first, counts.last

    assert answer(topic="tanks") == (
        ["Day 9 counts.", "Day 6 counts.", "Day 3 counts."],
        4,
        {"opposes": 2, "supports": 2},
        T0,
        T0 + timedelta(days=9),
    )
    assert answer(topic="tariffs", since=T0 + timedelta(days=5)) == (
        ["Day 10 counts.", "Day 7 counts."],
        2,
        {"opposes": 1, "supports": 1},
        T0 + timedelta(days=7),
        T0 + timedelta(days=10),
    )
    assert answer(topic="submarines") == ([], 0, {}, None, None)


@pytest.mark.parametrize(
    ("said", "matching", "expected"),
    [
        # The busiest actor and a topic in one article of eight: the newest page is found
        # early in the actor's statements; the counts probe the fewer matching articles.
        (170_000, 25_000, StancePlan("actor", "articles")),
        # A narrow topic (one article in 400): the articles are fewer either way.
        (170_000, 500, StancePlan("articles", "articles")),
        # A rarely heard actor and a broad topic: the actor's few statements.
        (800, 25_000, StancePlan("actor", "actor")),
        # Both small: the actor's statements, all of them, are fewer than the articles.
        (30, 500, StancePlan("actor", "actor")),
    ],
)
def test_each_stance_query_is_driven_from_the_smaller_side(
    said: int, matching: int, expected: StancePlan
) -> None:
    assert choose_stance_plan(said=said, matching=matching, articles=200_000, limit=20) == expected


def test_feed_state_backs_off_and_disables(repo: Repository) -> None:
    url = "https://feeds.example/rss"
    repo.add_feed(url, T0)
    repo.add_feed(url, T0)  # adding twice is harmless
    assert [f.url for f in repo.due_feeds(T0)] == [url]
    repo.record_poll(url, now=T0, ok=False, error="HTTP 500", next_attempt=T0 + timedelta(hours=1))
    assert repo.due_feeds(T0 + timedelta(minutes=30)) == []
    assert [f.url for f in repo.due_feeds(T0 + timedelta(hours=1))] == [url]
    feed = repo.feed(url)
    assert feed is not None and feed.failures == 1 and feed.last_error == "HTTP 500"
    repo.record_poll(url, now=T0, ok=True, etag='"v2"', last_modified="Wed, 01 May 2024")
    feed = repo.feed(url)
    assert feed is not None and feed.failures == 0 and feed.last_error is None
    assert feed.etag == '"v2"'
    repo.record_poll(url, now=T0, ok=False, error="gone", disable=True)
    assert repo.due_feeds(T0 + timedelta(days=9)) == []
    assert repo.remove_feed(url) and repo.feeds() == []
    assert not repo.remove_feed(url)


def test_channel_settings(repo: Repository) -> None:
    repo.subscribe_feed(CHANNEL, "https://a.example/rss", T0)
    repo.subscribe_feed(CHANNEL, "https://b.example/rss", T0)
    repo.subscribe_feed(CHANNEL, "https://a.example/rss", T0)
    assert [f.url for f in repo.channel_feeds(CHANNEL)] == [
        "https://a.example/rss",
        "https://b.example/rss",
    ]
    assert repo.unsubscribe_feed(CHANNEL, "https://a.example/rss")
    assert not repo.unsubscribe_feed(CHANNEL, "https://a.example/rss")
    repo.set_topics(CHANNEL, ["energy", "steel imports"], T0)
    repo.set_schedule(CHANNEL, "0 8 * * *", "Europe/Berlin", T0)
    row = repo.channel(CHANNEL)
    assert row is not None
    assert (row.topics, row.schedule, row.timezone) == (
        ["energy", "steel imports"],
        "0 8 * * *",
        "Europe/Berlin",
    )
    assert repo.channel(ChannelRef("slack", "T1", "C1")) is None


def test_new_statements_follow_the_channels_feeds_topics_and_last_delivery(
    repo: Repository,
) -> None:
    feed = repo.subscribe_feed(CHANNEL, "https://a.example/rss", T0)
    other = repo.add_feed("https://b.example/rss", T0)
    first = repo.store_article(article(SCHOLZ_TEXT, feed_id=feed.id), scholz_statements(), T0)
    body = MACRON_TEXT
    macron = statement(
        body,
        "French President Emmanuel Macron",
        "Europe must build its own defence industry",
        name="Emmanuel Macron",
        actor=FRANCE,
        cue="said that",
        kind=Kind.INDIRECT,
    )
    repo.store_article(article(body, feed_id=other.id), [macron], T0)
    with repo.sessions() as session:
        found, high = repo.new_statements(session, CHANNEL)
    assert [s.statement.speaker_name for s in found] == ["Olaf Scholz"]
    assert first is not None and high >= first[0]
    # Topics narrow it; a delivery moves the high-water mark.
    repo.set_topics(CHANNEL, ["energy"], T0)
    with repo.sessions() as session:
        assert repo.new_statements(session, CHANNEL)[0] == []
    repo.set_topics(CHANNEL, ["tanks", "energy"], T0)
    assert repo.claim_slot(CHANNEL, T0, T0)
    repo.finish_delivery(CHANNEL, T0, last_article_id=high, stories=1, status="delivered", now=T0)
    with repo.sessions() as session:
        assert repo.new_statements(session, CHANNEL)[0] == []
    later = 'NATO Secretary General said: "More tanks are needed." He spoke in Brussels.'
    repo.store_article(
        article(later, feed_id=feed.id),
        [statement(later, "NATO Secretary General", "More tanks are needed.", actor=NATO)],
        T0,
    )
    with repo.sessions() as session:
        assert [s.statement.actor for s in repo.new_statements(session, CHANNEL)[0]] == [NATO]


def test_a_slot_is_claimed_once_even_by_concurrent_claimers(repo: Repository) -> None:
    repo.ensure_channel(CHANNEL, T0)
    barrier = threading.Barrier(4)
    outcome: list[bool] = []

    def claimer(n: int) -> None:
        barrier.wait()
        outcome.append(repo.claim_slot(CHANNEL, T0, T0, holder=f"claimer {n}"))

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcome) == [False, False, False, True]
    assert repo.delivery_count(CHANNEL) == 0  # claimed, not delivered yet
    repo.finish_delivery(CHANNEL, T0, last_article_id=0, stories=0, status="empty", now=T0)
    assert repo.delivery_count(CHANNEL) == 1
    assert not repo.claim_slot(CHANNEL, T0, T0 + timedelta(days=9), holder="late")
    assert repo.claim_slot(CHANNEL, T0 + timedelta(days=1), T0)


def test_a_claim_commits_at_once_and_ends_with_its_lease_or_its_holder(
    repo: Repository,
) -> None:
    """The claim is its own transaction: nothing stays open while the briefing is posted.
    A claim with no result (its holder died) is free again when its lease ends, or at once
    when it is released; a finished one never is."""
    from bot.store.channels import DELIVERY_LEASE

    assert repo.claim_slot(CHANNEL, T0, T0, holder="dead")
    # Another connection writes at once (SQLite's write lock is not held by the claim).
    repo.set_topics(CHANNEL, ["energy"], T0)
    assert not repo.claim_slot(CHANNEL, T0, T0 + DELIVERY_LEASE / 2, holder="b")
    assert repo.latest_slot(CHANNEL) is None  # a claim is no delivery
    assert repo.claim_slot(CHANNEL, T0, T0 + DELIVERY_LEASE, holder="b")
    repo.release_slot(CHANNEL, T0, "b")
    assert repo.delivery_claim_holders() == set()
    assert repo.claim_slot(CHANNEL, T0, T0, holder="c")
    assert repo.delivery_claim_holders() == {"c"}
    repo.release_delivery_claims("c")
    assert repo.claim_slot(CHANNEL, T0, T0, holder="d")
    repo.finish_delivery(CHANNEL, T0, last_article_id=0, stories=1, status="delivered", now=T0)
    assert repo.delivery_claim_holders() == set()
    repo.release_delivery_claims("d")
    assert not repo.claim_slot(CHANNEL, T0, T0 + 2 * DELIVERY_LEASE, holder="e")
    assert repo.latest_slot(CHANNEL) == T0


def test_canonical_urls() -> None:
    assert canonical_url("HTTPS://News.Example:443/a/b/?utm_medium=x&id=3#c") == (
        "https://news.example/a/b?id=3"
    )
    assert canonical_url("http://news.example:8080/") == "http://news.example:8080/"
    assert canonical_url("file:///tmp/a.txt") is None
    assert canonical_url("") is None


def test_running_totals_agree_with_the_statements(repo: Repository) -> None:
    for day, stance in enumerate([Stance.OPPOSES, Stance.SUPPORTS, Stance.OPPOSES]):
        body = f'Olaf Scholz said: "Day {day} words." More follows here.'
        st = statement(body, "Olaf Scholz", f"Day {day} words.", actor=GERMANY, stance=stance)
        repo.store_article(article(body, published=T0 + timedelta(days=day)), [st], T0)
    totals = repo.stance_statements("DE")[1]  # from the running totals
    live = repo.stance_statements("DE", since=T0 - timedelta(days=1))[1]  # counted live
    assert totals == live
    assert totals.stances == {"opposes": 2, "supports": 1}
    assert (totals.first, totals.last) == (T0, T0 + timedelta(days=2))
    repo.rebuild_actor_stats()
    assert repo.stance_statements("DE")[1] == live


def test_upgrading_an_old_database_fills_the_running_totals(database_url: str) -> None:
    from alembic import command

    from bot.store.db import alembic_config, make_engine, migrate

    engine = make_engine(database_url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO actors (id, name, kind) VALUES ('DE', 'Germany', 'country')")
            )
            conn.execute(
                text(
                    "INSERT INTO articles (id, url, content_hash, title, outlet, fetched, text) "
                    "VALUES (1, 'https://a.example/1', 'h1', 't', 'o', :t, 'body')"
                ).bindparams(bindparam("t", type_=DateTime())),  # no sqlite3 default adapter
                {"t": T0.replace(tzinfo=None)},
            )
            conn.execute(
                text(
                    "INSERT INTO statements (article_id, position, actor_id, actor_evidence, "
                    "speaker_name, speaker_norm, kind, stance, text, content_start, content_end, "
                    "speaker_text, speaker_start, speaker_end, published, data) VALUES "
                    "(1, 0, 'DE', '', 'A B', 'a b', 'direct', 'supports', 'w', 0, 1, 'A B', 0, 3, "
                    ":t, :data)"
                ).bindparams(bindparam("t", type_=DateTime())),
                {
                    "t": T0.replace(tzinfo=None),
                    "data": '{"speaker": {"start": 0, "end": 3, "text": "A B"}, '
                    '"speaker_name": "A B", "role": null, "cue": null}',
                },
            )
        migrate(engine)
    finally:
        engine.dispose()
    with opened(database_url) as (_engine, repo):
        counts = repo.stance_statements("DE")[1]
        assert (counts.total, counts.stances, counts.first) == (1, {"supports": 1}, T0)
