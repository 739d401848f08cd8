"""One speaker, one name in what the service answers: /stance and a channel's briefing
show a person under the fullest name their articles, or the names the store learned,
give them (``briefings.names``), on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.ports import ChannelRef
from bot.service import StoreService
from bot.store import Repository, Store
from briefings.models import Actor, Stance
from tests.bot.store.factories import T0, article, opened, statement
from tests.bot.store.pg import database_url

__all__ = ["database_url"]

CHANNEL = ChannelRef("console", "local", "desk")
# "title:" evidence: the article itself tied her to Germany, so her surname is learned
GERMANY = Actor("DE", "Germany", "title: German Interior Minister")


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    with opened(database_url) as (_engine, repository):
        yield repository


@pytest.fixture
def service(repo: Repository) -> Iterator[StoreService]:
    service = StoreService(Store(repo), now=lambda: T0 + timedelta(days=30))
    yield service
    service.close()


def store_vogt(
    repo: Repository,
    day: int,
    speaker: str,
    name: str,
    words: str,
    *,
    title: str,
    feed_id: int | None = None,
) -> None:
    body = f'{speaker} said: "{words}" The ministers met again later.'
    st = statement(body, speaker, words, name=name, actor=GERMANY, stance=Stance.OPPOSES)
    new = article(
        body,
        title=title,
        url=f"https://news.example/{day}",
        published=T0 + timedelta(days=day),
        feed_id=feed_id,
    )
    assert repo.store_article(new, [st], T0 + timedelta(days=day)) is not None


async def test_stance_shows_one_name_for_a_person_across_articles(
    service: StoreService, repo: Repository
) -> None:
    store_vogt(
        repo,
        0,
        "German Interior Minister Lena Vogt",
        "German Interior Minister Lena Vogt",
        "Border checks will stay.",
        title="Germany keeps border checks",
    )
    store_vogt(repo, 8, "Vogt", "Vogt", "The asylum pact is too weak.", title="Asylum pact")
    result = await service.stance("Germany")
    assert [s.speaker_name for s in result.statements] == ["Lena Vogt", "Lena Vogt"]
    # The newest statement alone: the full name the store learned from the older article.
    (newest,) = (await service.stance("Germany", limit=1)).statements
    assert newest.speaker_name == "Lena Vogt"


async def test_a_briefing_names_a_person_by_the_full_name_the_store_learned(
    service: StoreService, repo: Repository
) -> None:
    # The older article reached no feed of the channel: it is not in its briefing, but it
    # taught the store that "Vogt" is Lena Vogt.
    store_vogt(
        repo,
        0,
        "German Interior Minister Lena Vogt",
        "Lena Vogt",
        "Border checks will stay.",
        title="Germany keeps border checks",
    )
    feed = repo.subscribe_feed(CHANNEL, "https://feeds.example/desk.xml", T0)
    store_vogt(
        repo,
        8,
        "Vogt",
        "Vogt",
        "The asylum pact is too weak.",
        title="Asylum pact",
        feed_id=feed.id,
    )
    briefing = await service.briefing_now(CHANNEL)
    assert [s.title for s in briefing.stories] == ["Asylum pact"]
    assert [b.speaker_name for b in briefing.stories[0].bullets] == ["Lena Vogt"]
