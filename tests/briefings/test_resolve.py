"""Speaker → country, from the text first: people invented here, so no list of leaders helps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from briefings.engine import Engine
from briefings.models import Actor, Article

if TYPE_CHECKING:
    from spacy.language import Language

CASES = [
    # (text, speaker_name, actor id, evidence starts with)
    (
        "Kenyan Foreign Minister Amos Wekesa said that the border would reopen next week.",
        "Amos Wekesa",
        "KE",
        "title",
    ),
    (
        "Defence Minister Lars Brekke of Norway said that the exercise would go ahead.",
        "Lars Brekke",
        "NO",
        "of-phrase",
    ),
    (
        "Brazil's finance minister, Paulo Sardinha, said that the deficit would shrink.",
        "Paulo Sardinha",
        "BR",
        "",
    ),
    (
        "The Japanese embassy said that its staff were safe and accounted for.",
        "the Japanese embassy",
        "JP",
        "",
    ),
    (
        "The Kremlin said that the talks had been useful but short.",
        "the Kremlin",
        "RU",
        "metonym",
    ),
    (
        "A spokesman for the Indian foreign ministry said that the visit was postponed.",
        "a spokesman",
        "IN",
        "",
    ),
    (
        "Chilean President Rosa Valdivieso arrived in Lima on Monday.\n\n"
        "Valdivieso said that both countries wanted a new trade deal.",
        "Rosa Valdivieso",
        "CL",
        "title",
    ),
]


@pytest.fixture(scope="module")
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


@pytest.mark.parametrize(("text", "name", "actor_id", "evidence"), CASES)
def test_country_from_the_text(
    engine: Engine, text: str, name: str, actor_id: str, evidence: str
) -> None:
    statements = engine.extract(Article(text=text))
    assert statements, text
    st = statements[-1]
    assert st.speaker_name == name
    assert st.actor is not None, st
    assert st.actor.id == actor_id
    assert st.actor.evidence.startswith(evidence)


def test_the_text_wins_over_a_dated_fact(engine: Engine) -> None:
    """An old story: whoever holds the office today, the title in the text decides."""
    text = "Prime Minister Ulf Kristersson of Sweden said that the plan was sound."
    article = Article(text=text, published=datetime(1990, 5, 1, tzinfo=UTC))
    (st,) = engine.extract(article)
    assert st.actor is not None
    assert (st.actor.id, st.actor.evidence) == ("SE", "of-phrase: Prime Minister of Sweden")


OLD_STORIES = [
    # (year, text, actor id): states that are gone, and titles no list of today's leaders has
    (1987, "Soviet Foreign Minister Pavel Orlov said that the talks had been useful.", "SU"),
    (1989, "East German leader Kurt Baumann said that the border would stay shut.", "DD"),
    (1989, "West German Chancellor Hans Vogel said that unity would come.", "DE"),
    (1991, "Yugoslav President Milan Jovic said that the army would stay.", "YU"),
    (1990, "Czechoslovak Premier Jan Kral said that the troops would leave soon.", "CS"),
    (1985, "A Foreign Ministry spokesman in Tokyo said that the visit would go ahead.", "JP"),
]


@pytest.mark.parametrize(("year", "text", "actor_id"), OLD_STORIES)
def test_old_wire_stories(engine: Engine, year: int, text: str, actor_id: str) -> None:
    article = Article(text=text, published=datetime(year, 3, 1, tzinfo=UTC))
    (st,) = engine.extract(article)
    assert st.actor is not None, st
    assert st.actor.id == actor_id
    assert not st.actor.evidence.startswith("fact")


def test_a_learned_alias_resolves_a_bare_name(nlp: Language) -> None:
    alias = Actor(id="PT", name="Portugal", evidence="alias: Tomas Lobo", kind="country")
    engine = Engine(nlp, aliases={"Tomas Lobo": alias})
    (st,) = engine.extract(Article(text="Tomas Lobo said that the port deal was signed."))
    assert st.actor is not None
    assert st.actor.id == "PT"


def test_an_unknown_speaker_has_no_actor(engine: Engine) -> None:
    (st,) = engine.extract(Article(text="Marta Quill said that the bakery would stay open."))
    assert st.actor is None
