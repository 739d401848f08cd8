"""What ingestion asks the store for each article leaves no reference cycles behind.

Cyclic garbage is freed only by the garbage collector, whose collections hold every thread,
the bot's event loop included, while they run (issue 12: the loop's last stalls). A SQL
statement built at each call leaves such garbage (SQLAlchemy clones its IN parameters, and
a clone refers to itself); the store's per-article statements are built once. Counted,
not timed: the objects the collector finds unreachable while the calls run."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bot.store import NewArticle, Repository
from briefings.models import Stance
from tests.bot.store.factories import GERMANY, T0, statement

LEASE = timedelta(minutes=5)


def ingest_one(repo: Repository, feed_id: int, n: int) -> None:
    """What the ingestion pipeline asks the store for one new article of a feed, in order."""
    guid, url = f"g{n}", f"https://news.example/{n}"
    body = f"German Chancellor Olaf Scholz said: “We will act {n} times.” The talks went on."
    now = T0 + timedelta(minutes=n)
    repo.known_items(feed_id, [(guid, url)], now, give_up=3)
    assert not repo.link_duplicate(feed_id, guid, url, body, now)
    assert repo.claim_articles([(guid, url, body)], now, holder="me", lease=LEASE) == [True]
    repo.engine_aliases()
    said = statement(
        body,
        "German Chancellor Olaf Scholz",
        f"We will act {n} times.",
        name="Olaf Scholz",
        actor=GERMANY,
        stance=Stance.SUPPORTS,
    )
    article = NewArticle(guid, url, f"Story {n}", "Daily Planet", now, body, feed_id)
    assert repo.store_article(article, [said], now) is not None
    repo.engine_aliases()
    repo.release_articles([(guid, url, body)], "me")


@contextmanager
def saved_garbage() -> Iterator[list[object]]:
    """The objects the collector finds unreachable from here on (kept, not freed)."""
    gc.collect()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_ingesting_articles_leaves_no_cyclic_sqlalchemy_garbage(repo: Repository) -> None:
    feed_id = repo.add_feed("https://news.example/feed.xml", T0).id
    for n in range(3):  # statements compiled and cached, names learned
        ingest_one(repo, feed_id, n)
    with saved_garbage() as garbage:
        for n in range(3, 23):
            ingest_one(repo, feed_id, n)
        gc.collect()
        made = Counter(
            type(obj).__qualname__
            for obj in garbage
            if type(obj).__module__.startswith("sqlalchemy")
        )
    assert made == Counter()
