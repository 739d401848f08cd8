"""Round trips of the engine's data through dicts (storage, process pools, JSON)."""

from __future__ import annotations

import pytest

from briefings.models import Actor, Kind, Span, Stance, Statement, guess_actor_kind

ACTORS = [
    Actor("DE", "Germany", "title: German Chancellor", "country"),
    Actor("EU", "European Union", "organisation: the European Commission", "organisation"),
    Actor("UN", "United Nations", "organisation: the UN", "organisation"),
    Actor("NATO", "NATO", "organisation: NATO", "organisation"),
    Actor("G7", "Group of Seven", "organisation: the G7", "organisation"),
]


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.id)
def test_actor_round_trips_with_its_kind(actor: Actor) -> None:
    data = actor.to_dict()
    assert data["kind"] == actor.kind
    assert Actor.from_dict(data) == actor


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.id)
def test_actor_stored_without_kind_reads_back_right(actor: Actor) -> None:
    old_row = {"id": actor.id, "name": actor.name, "evidence": actor.evidence}
    assert Actor.from_dict(old_row) == actor


@pytest.mark.parametrize(
    ("actor_id", "kind"),
    [
        ("FR", "country"),
        ("XK", "country"),
        ("EU", "organisation"),
        ("UN", "organisation"),
        ("G7", "organisation"),
        ("G20", "organisation"),
        ("NATO", "organisation"),
        ("de", "organisation"),
        ("", "organisation"),
    ],
)
def test_guess_actor_kind(actor_id: str, kind: str) -> None:
    assert guess_actor_kind(actor_id) == kind


def test_explicit_kind_wins_over_the_guess() -> None:
    data = {"id": "AU", "name": "African Union", "evidence": "", "kind": "organisation"}
    assert Actor.from_dict(data).kind == "organisation"


@pytest.mark.parametrize("actor", [*ACTORS, None], ids=lambda a: a.id if a else "none")
def test_statement_round_trips(actor: Actor | None) -> None:
    text = "“We will not send troops,” the minister said."

    def span(words: str) -> Span:
        start = text.index(words)
        return Span(start, start + len(words), words)

    statement = Statement(
        speaker=span("the minister"),
        speaker_name="the minister",
        role="Minister",
        actor=actor,
        cue=span("said"),
        content=span("We will not send troops,"),
        kind=Kind.DIRECT,
        stance=Stance.OPPOSES,
        parts=(span("We will not send troops,"),),
    )
    assert Statement.from_dict(statement.to_dict()) == statement
