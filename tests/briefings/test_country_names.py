"""Country names in other languages: the CLDR table the gazetteer falls back on."""

from __future__ import annotations

import pytest

from briefings.actors import Gazetteer, key, load_gazetteer, other_language_names
from briefings.models import Actor


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Allemagne", "DE"),
        ("Niemcy", "DE"),
        ("Alemania", "DE"),
        ("Германия", "DE"),
        ("Österreich", "AT"),
        ("Osterreich", "AT"),  # accents do not count
        ("Frankreich", "FR"),
        ("Wielka Brytania", "GB"),
        ("Ελλάδα", "GR"),
        ("Україна", "UA"),
        ("Magyarország", "HU"),
        ("Texas", "US"),  # a state that stands for its country ("a Texas senator")
        ("Ontario", "CA"),
        ("Georgia", "GE"),  # the country, not the US state
        ("Kerry", None),  # no counties: too many are people's names
        ("Yamaguchi", None),
        ("Türkiye Cumhuriyeti", None),  # the short name only
        ("allemagne", None),  # a name is capitalised
        ("Kongo", None),  # two countries in CLDR: neither
        ("Cameron", None),  # languages that respell English names are left out
        ("Helena", None),
        ("Norfolk", None),  # the English county, not the island
    ],
)
def test_other_language_names(gaz: Gazetteer, text: str, expected: str | None) -> None:
    found = gaz.country(text)
    assert (found.id if found else None) == expected


def test_other_language_evidence_is_the_text_as_written(gaz: Gazetteer) -> None:
    assert gaz.country("Niemcy") == Actor("DE", "Germany", "country: Niemcy", "country")


def test_table_names_known_countries_by_their_keys(gaz: Gazetteer) -> None:
    table = other_language_names()
    assert len(table) > 5000
    assert {code for code in table.values() if gaz.data.actors[code].kind != "country"} == set()
    assert [name for name in table if key(name) != name] == []


def test_table_is_what_the_generator_writes() -> None:
    from tools.country_names import TABLE, build, render

    assert TABLE.read_text(encoding="utf-8") == render(build()), (
        "briefings/data/country_names.tsv is out of date: run python -m tools.country_names"
    )
