"""Statements built by hand for storage tests: spans are found in the text they quote, so
``text[start:end] == span.text`` holds as it does for the engine's output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.store import NewArticle, Repository, open_database
from briefings.models import Actor, Kind, Span, Stance, Statement

GERMANY = Actor("DE", "Germany", "title: German Chancellor")
FRANCE = Actor("FR", "France", "demonym: French")
NATO = Actor("NATO", "NATO", "organisation: NATO", "organisation")
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def span(text: str, part: str) -> Span:
    start = text.index(part)
    return Span(start, start + len(part), part)


def statement(
    text: str,
    speaker: str,
    content: str,
    *,
    name: str | None = None,
    actor: Actor | None = None,
    role: str | None = None,
    cue: str | None = "said",
    kind: Kind = Kind.DIRECT,
    stance: Stance = Stance.UNCLEAR,
) -> Statement:
    return Statement(
        speaker=span(text, speaker),
        speaker_name=name or speaker,
        role=role,
        actor=actor,
        cue=span(text, cue) if cue else None,
        content=span(text, content),
        kind=kind,
        stance=stance,
    )


def article(
    text: str,
    *,
    guid: str | None = None,
    url: str = "",
    title: str = "",
    published: datetime | None = T0,
    feed_id: int | None = None,
) -> NewArticle:
    return NewArticle(
        guid=guid,
        url=url,
        title=title,
        outlet="Daily Planet",
        published=published,
        text=text,
        feed_id=feed_id,
    )


@contextmanager
def opened(url: str) -> Iterator[tuple[Engine, Repository]]:
    engine, sessions = open_database(url)
    try:
        yield engine, Repository(sessions)
    finally:
        engine.dispose()
