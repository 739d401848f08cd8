"""Acceptance: the 42-article invented fixture as one channel's briefing, on every surface.

At most 60 lines of plain text, 2 Discord messages and 1 Slack message; no untitled
story, no statement twice, and every story told by three or more outlets first.
"""

from __future__ import annotations

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
