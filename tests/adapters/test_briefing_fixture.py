"""Acceptance: the 42-article invented fixture as one channel's briefing, on every surface.

At most 60 lines of plain text, 2 Discord messages and 1 Slack message; no untitled
story, no statement twice, and every story told by three or more outlets first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters.discord.render import render_briefing as discord_briefing
from adapters.slack.render import render_briefing as slack_briefing
from briefings.brief import build_briefing
from briefings.models import Article, Briefing
from briefings.render import render_briefing_text
from briefings.stories import Report
from tests.fixtures.news import ITEMS

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="module")
def briefing(nlp: Language) -> Briefing:
    from briefings.engine import Engine

    articles = [
        Article(text=i.text, title=i.title, url=i.url, outlet=i.outlet, published=i.published)
        for i in ITEMS
    ]
    found = Engine(nlp).extract_many(articles)
    reports = [
        Report(n, i.title, i.text, i.url, i.outlet, i.published, tuple(statements))
        for n, (i, statements) in enumerate(zip(ITEMS, found, strict=True))
    ]
    return build_briefing(reports, title="Briefing for #world, 2026-11-28")


def test_fixture_briefing_fits_and_reads(briefing: Briefing) -> None:
    text = render_briefing_text(briefing)
    print(text)
    lines = text.splitlines()
    assert len(lines) <= 60
    assert len(discord_briefing(briefing)) <= 2
    assert len(slack_briefing(briefing)) == 1
    assert "Untitled" not in text
    assert len(briefing.stories) == 8 and briefing.also


def test_no_statement_twice(briefing: Briefing) -> None:
    words = [b.text for s in briefing.stories for b in s.bullets]
    assert len(words) == len(set(words))


def test_stories_with_three_or_more_outlets_come_first(briefing: Briefing) -> None:
    coverage = [s.outlets for s in (*briefing.stories, *briefing.also)]
    wide = sum(c >= 3 for c in coverage)
    assert wide >= 6
    assert all(c >= 3 for c in coverage[:wide])
    assert all(s.outlets >= 3 for s in briefing.stories[:wide])


async def test_the_fixture_as_a_channel_briefing_through_the_store(
    nlp: Language, tmp_path: Path
) -> None:
    """The same acceptance through the channel's real path: the articles stored under
    the outlets' feeds the channel follows, ``briefing_now`` reading them back (titles,
    leads, statements) and clustering them."""
    from bot.ports import ChannelRef
    from bot.service import StoreService
    from bot.store import NewArticle, Repository, Store, open_database
    from briefings.engine import Engine

    engine, sessions = open_database(f"sqlite:///{tmp_path / 'fixture.db'}")
    repo = Repository(sessions)
    channel = ChannelRef("slack", "T1", "C-world")
    now = datetime(2026, 11, 29, 8, tzinfo=UTC)
    feeds = {
        outlet: repo.subscribe_feed(channel, f"https://{n}.feeds.example/world.xml", now).id
        for n, outlet in enumerate(sorted({i.outlet for i in ITEMS}))
    }
    articles = [
        Article(text=i.text, title=i.title, url=i.url, outlet=i.outlet, published=i.published)
        for i in ITEMS
    ]
    for item, statements in zip(ITEMS, Engine(nlp).extract_many(articles), strict=True):
        new = NewArticle(
            guid=item.url,
            url=item.url,
            title=item.title,
            outlet=item.outlet,
            published=item.published,
            text=item.text,
            feed_id=feeds[item.outlet],
        )
        assert repo.store_article(new, statements, now) is not None
    service = StoreService(Store(repo), now=lambda: now)
    try:
        briefing = await service.briefing_now(channel)
    finally:
        service.close()
        engine.dispose()
    text = render_briefing_text(briefing)
    assert len(text.splitlines()) <= 60
    assert len(discord_briefing(briefing)) <= 2 and len(slack_briefing(briefing)) == 1
    assert "Untitled" not in text
    assert [s.outlets for s in briefing.stories[:6]] == [4, 4, 3, 3, 3, 3]
    assert len(briefing.stories) + len(briefing.also) == len({i.event for i in ITEMS})
