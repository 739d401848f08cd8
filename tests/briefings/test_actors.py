"""The actor gazetteer: strings around a speaker -> the country or organisation spoken for."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from briefings.actors import (
    Gazetteer,
    GazetteerDataError,
    build_data,
    key,
    load_gazetteer,
    read_documents,
)
from briefings.models import Actor


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


def ident(actor: Actor | None) -> str | None:
    return actor.id if actor else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Germany", "DE"),
        ("germany", "DE"),
        ("DE", "DE"),
        ("Federal Republic of Germany", "DE"),
        ("the United States", "US"),
        ("U.S.", "US"),
        ("US", "US"),
        ("USA", "US"),
        ("America", "US"),
        ("Britain", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Russia", "RU"),
        ("Russia's", "RU"),
        ("Russia’s", "RU"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Iran", "IR"),
        ("Syria", "SY"),
        ("Taiwan", "TW"),
        ("Vietnam", "VN"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("the Netherlands", "NL"),
        ("Holland", "NL"),
        ("Kosovo", "XK"),
        ("Deutschland", "DE"),  # a curated name in another language
        ("Georgia", "GE"),
        ("Jordan", "JO"),
        ("Chad", "TD"),
        # false friends
        ("us", None),
        ("Us", None),
        ("chad", None),
        ("turkey", None),
        ("jordan", None),
        ("Michael Jordan", None),
        ("de", None),
        ("CAN", None),  # an alpha-3 code that is an English word
        ("German", None),  # a demonym, not a country name
        ("Moscow", None),  # a metonym, not a country name
        ("", None),
    ],
)
def test_country(gaz: Gazetteer, text: str, expected: str | None) -> None:
    assert ident(gaz.country(text)) == expected


def test_country_evidence_and_name(gaz: Gazetteer) -> None:
    assert gaz.country("Germany") == Actor("DE", "Germany", "country: Germany", "country")
    assert gaz.country("U.S.") == Actor("US", "United States", "country: U.S.", "country")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("German", "DE"),
        ("Germans", "DE"),
        ("the Germans", "DE"),
        ("Swedish", "SE"),
        ("Swede", "SE"),
        ("Swedes", "SE"),
        ("British", "GB"),
        ("Briton", "GB"),
        ("Britons", "GB"),
        ("American", "US"),
        ("Americans", "US"),
        ("U.S.", "US"),
        ("Chinese", "CN"),
        ("Slovak", "SK"),
        ("Slovakian", "SK"),
        ("Ukrainian", "UA"),
        ("Ukrainians", "UA"),
        ("Russian", "RU"),
        ("North Korean", "KP"),
        ("Filipinos", "PH"),
        ("Israelis", "IL"),
        ("Dutch", "NL"),
        ("Kosovar", "XK"),
        ("germans", None),  # plural tolerance needs the capital
        ("Germany", None),
        ("Reuters", None),
    ],
)
def test_demonym(gaz: Gazetteer, word: str, expected: str | None) -> None:
    assert ident(gaz.demonym(word)) == expected


def test_demonym_evidence(gaz: Gazetteer) -> None:
    assert gaz.demonym("German") == Actor("DE", "Germany", "demonym: German", "country")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NATO", "NATO"),
        ("Nato", "NATO"),
        ("the North Atlantic Treaty Organization", "NATO"),
        ("the EU", "EU"),
        ("E.U.", "EU"),
        ("European Union", "EU"),
        ("the European Commission", "EU"),
        ("the United Nations", "UN"),
        ("the U.N.", "UN"),
        ("UN Security Council", "UN"),
        ("IMF", "IMF"),
        ("the World Health Organization", "WHO"),
        ("WHO", "WHO"),
        ("the World Bank", "WORLDBANK"),
        ("the African Union", "AFRICANUNION"),
        ("Hamas", "HAMAS"),
        ("Hezbollah", "HEZBOLLAH"),
        ("the Taliban", "TALIBAN"),
        ("G7", "G7"),
        ("OPEC", "OPEC"),
        ("who", None),  # the pronoun
        ("the alliance", None),  # too vague
        ("the bloc", None),
        ("Brussels", None),  # a metonym, not a name of the EU
    ],
)
def test_organisation(gaz: Gazetteer, text: str, expected: str | None) -> None:
    found = gaz.organisation(text)
    assert ident(found) == expected
    if found is not None:
        assert found.kind == "organisation"
        assert found.evidence == f"organisation: {text}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the Kremlin", "RU"),
        ("Kremlin", "RU"),
        ("the White House", "US"),
        ("the Pentagon", "US"),
        ("the State Department", "US"),
        ("Washington", "US"),
        ("Downing Street", "GB"),
        ("Whitehall", "GB"),
        ("the Elysee", "FR"),
        ("Élysée Palace", "FR"),
        ("the Élysée", "FR"),
        ("Beijing", "CN"),
        ("Zhongnanhai", "CN"),
        ("Moscow", "RU"),
        ("Kyiv", "UA"),
        ("Kiev", "UA"),
        ("Berlin", "DE"),
        ("Paris", "FR"),
        ("London", "GB"),
        ("Tokyo", "JP"),
        ("Tehran", "IR"),
        ("Ankara", "TR"),
        ("Brussels", "EU"),
        ("the Vatican", "VA"),
        ("Springfield", None),
        ("the house", None),
    ],
)
def test_metonym(gaz: Gazetteer, text: str, expected: str | None) -> None:
    found = gaz.metonym(text)
    assert ident(found) == expected
    if found is not None:
        assert found.evidence == f"metonym: {text}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the German government", "DE"),
        ("Italy's government", "IT"),
        ("Italy’s government", "IT"),
        ("the Italian government", "IT"),
        ("the government of Italy", "IT"),
        ("the French foreign ministry", "FR"),
        ("Russia's Defence Ministry", "RU"),
        ("the Russian Defense Ministry", "RU"),
        ("the U.S. embassy in Kyiv", "US"),  # the embassy OF the United States
        ("the Ukrainian embassy in Washington", "UA"),
        ("the Swedish parliament", "SE"),
        ("Germany's Bundestag", "DE"),
        ("the Bundestag", "DE"),
        ("Congress", "US"),
        ("the Duma", "RU"),
        ("the Knesset", "IL"),
        ("the Chinese foreign ministry", "CN"),
        ("Britain's Ministry of Defence", "GB"),
        ("the Israeli military", "IL"),
        ("the Ministry of Defence", None),  # whose? the text does not say
        ("the government", None),
        ("Michael Jordan", None),
        ("the German people", None),
    ],
)
def test_institution(gaz: Gazetteer, text: str, expected: str | None) -> None:
    found = gaz.institution(text)
    assert ident(found) == expected
    if found is not None:
        assert found.evidence == f"institution: {text}"


@pytest.mark.parametrize(
    ("text", "expected_id", "role", "evidence"),
    [
        ("German Chancellor", "DE", "Chancellor", "title: German Chancellor"),
        ("Swedish Prime Minister", "SE", "Prime Minister", "title: Swedish Prime Minister"),
        ("Prime Minister of Sweden", "SE", "Prime Minister", "of-phrase: Prime Minister of Sweden"),
        (
            "Russia's foreign minister",
            "RU",
            "Foreign Minister",
            "possessive: Russia's foreign minister",
        ),
        ("NATO Secretary General", "NATO", "Secretary General", "title: NATO Secretary General"),
        ("French President", "FR", "President", "title: French President"),
        ("Kremlin spokesman", "RU", "spokesman", "title: Kremlin spokesman"),
        ("a NATO official", "NATO", "official", "title: a NATO official"),
        ("the Slovak prime minister", "SK", "Prime Minister", "title: the Slovak prime minister"),
        ("U.S. Secretary of State", "US", "Secretary of State", "title: U.S. Secretary of State"),
        (
            "the Chinese ambassador to the UN",
            "CN",
            "ambassador",
            "title: the Chinese ambassador to the UN",
        ),
        (
            "Ukraine's ambassador to Germany",
            "UA",
            "ambassador",
            "possessive: Ukraine's ambassador to Germany",
        ),
        (
            "Secretary-General of the United Nations",
            "UN",
            "Secretary-General",
            "of-phrase: Secretary-General of the United Nations",
        ),
        ("former German Chancellor", "DE", "former Chancellor", "title: former German Chancellor"),
        ("a senior EU official", "EU", "senior official", "title: a senior EU official"),
        ("North Korean leader", "KP", "leader", "title: North Korean leader"),
        ("White House press secretary", "US", "Press Secretary", None),
        ("European Commission President", "EU", "President", None),
    ],
)
def test_role_phrase(
    gaz: Gazetteer, text: str, expected_id: str, role: str, evidence: str | None
) -> None:
    actor, found_role = gaz.role_phrase(text)
    assert ident(actor) == expected_id
    assert found_role == role
    if evidence is not None:
        assert actor is not None
        assert actor.evidence == evidence


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Chancellor", "Chancellor"),
        ("the prime minister", "Prime Minister"),
        ("Deputy Prime Minister", "Deputy Prime Minister"),
        ("a spokesman", "spokesman"),
        ("Michael Jordan", None),
        ("Olaf Scholz", None),
        ("the Kremlin", None),
    ],
)
def test_role_phrase_without_actor(gaz: Gazetteer, text: str, role: str | None) -> None:
    assert gaz.role_phrase(text) == (None, role)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Chancellor Olaf Scholz", ("Chancellor", "Olaf Scholz")),
        ("President Emmanuel Macron", ("President", "Emmanuel Macron")),
        ("Prime Minister Ulf Kristersson", ("Prime Minister", "Ulf Kristersson")),
        ("Foreign Minister Sergei Lavrov", ("Foreign Minister", "Sergei Lavrov")),
        ("Sen. Ted Cruz", ("Senator", "Ted Cruz")),
        ("Gen. Mark Milley", ("General", "Mark Milley")),
        ("Mr. Scholz", (None, "Scholz")),
        ("Mr Scholz", (None, "Scholz")),
        ("Olaf Scholz", (None, "Olaf Scholz")),
        ("German Chancellor Olaf Scholz", ("German Chancellor", "Olaf Scholz")),
        ("Kremlin spokesman Dmitry Peskov", ("Kremlin spokesman", "Dmitry Peskov")),
        ("former President Donald Trump", ("former President", "Donald Trump")),
        ("King Charles", ("King", "Charles")),
        ("Secretary of State Antony Blinken", ("Secretary of State", "Antony Blinken")),
        ("Martin Luther King", (None, "Martin Luther King")),
        (
            "Prime Minister Ulf Kristersson of Sweden",
            ("Prime Minister of Sweden", "Ulf Kristersson"),
        ),
        ("Bishop Desmond Tutu of Cape Town", ("Bishop", "Desmond Tutu of Cape Town")),
        ("President", (None, "President")),
    ],
)
def test_split_title(gaz: Gazetteer, name: str, expected: tuple[str | None, str]) -> None:
    assert gaz.split_title(name) == expected


@pytest.mark.parametrize(
    ("name", "when", "expected_id", "role"),
    [
        ("Olaf Scholz", date(2024, 2, 27), "DE", "Chancellor"),
        ("Scholz", date(2024, 2, 27), "DE", "Chancellor"),
        ("Olaf Scholz", date(2026, 1, 1), "DE", "former Chancellor"),  # known outside the term
        ("Scholz", date(2026, 1, 1), None, None),  # a bare surname needs the term
        ("Scholz", None, "DE", "Chancellor"),  # no date: any term matches
        ("Chancellor Scholz", date(2024, 2, 27), "DE", "Chancellor"),
        ("Johnson", date(2021, 3, 1), "GB", "Prime Minister"),
        ("Johnson", date(2016, 3, 1), None, None),
        ("Boris Johnson", date(2017, 3, 1), "GB", "Foreign Secretary"),
        ("Putin", date(2010, 6, 1), "RU", "Prime Minister"),
        ("Putin", date(2020, 6, 1), "RU", "President"),
        ("Steinmeier", date(2015, 1, 1), "DE", "Foreign Minister"),
        ("Steinmeier", date(2020, 1, 1), "DE", "President"),
        ("Bush", date(2005, 1, 1), None, None),  # ambiguous surnames need the full name
        ("George W. Bush", date(2005, 1, 1), "US", "President"),
        ("George Bush", date(2005, 1, 1), "US", "President"),  # namesakes: the date decides
        ("George Bush", None, None, None),
        ("Clinton", date(2010, 1, 1), None, None),
        ("Hillary Clinton", date(2010, 1, 1), "US", "Secretary of State"),
        ("Xi", date(2020, 1, 1), "CN", "President"),
        ("Li", date(2020, 1, 1), None, None),
        ("Li Keqiang", date(2020, 1, 1), "CN", "Premier"),
        ("Zelenskyy", date(2023, 1, 1), "UA", "President"),
        ("Erdogan", date(2012, 1, 1), "TR", "Prime Minister"),
        ("Erdoğan", date(2020, 1, 1), "TR", "President"),
        ("Lula", date(2024, 1, 1), "BR", "President"),
        ("King Charles", date(2023, 1, 1), "GB", "King"),
        ("Charles", date(2023, 1, 1), None, None),  # a monarch's first name alone is no one
        ("Rutte", date(2020, 1, 1), "NL", "Prime Minister"),
        ("Rutte", date(2025, 1, 1), "NATO", "Secretary General"),
        ("Tusk", date(2016, 1, 1), "EU", "European Council President"),
        ("Tusk", date(2024, 3, 1), "PL", "Prime Minister"),
        ("Stoltenberg", date(2010, 1, 1), "NO", "Prime Minister"),
        ("Rasmussen", date(2010, 1, 1), None, None),  # two in office: Danish PM, NATO chief
        ("Anders Fogh Rasmussen", date(2010, 1, 1), "NATO", "Secretary General"),
        ("Lars Lokke Rasmussen", date(2016, 1, 1), "DK", "Prime Minister"),
        ("Orban", date(2020, 1, 1), None, None),  # Viktor Orbán and Ludovic Orban
        ("Orbán", date(2022, 1, 1), "HU", "Prime Minister"),
        ("von der Leyen", date(2022, 1, 1), "EU", "Commission President"),
        ("Guterres", date(1999, 1, 1), "PT", "Prime Minister"),
        ("Guterres", date(2020, 1, 1), "UN", "Secretary-General"),
        ("Fico", date(2024, 2, 27), "SK", "Prime Minister"),
        ("Kristersson", date(2024, 2, 27), "SE", "Prime Minister"),
        ("Macron", date(2024, 2, 27), "FR", "President"),
        ("Walesa", date(1992, 1, 1), "PL", "President"),
        ("Grand Duke Henri", date(2010, 1, 1), "LU", "Grand Duke"),
        ("Henri", date(2010, 1, 1), None, None),
        ("scholz", date(2024, 2, 27), None, None),  # surnames are capitalised
        ("Michael Jordan", None, None, None),
    ],
)
def test_person(
    gaz: Gazetteer, name: str, when: date | None, expected_id: str | None, role: str | None
) -> None:
    found = gaz.person(name, when)
    if expected_id is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0].id, found[1]) == (expected_id, role)


def test_person_evidence(gaz: Gazetteer) -> None:
    found = gaz.person("Olaf Scholz", date(2024, 2, 27))
    assert found == (
        Actor("DE", "Germany", "fact: Chancellor of Germany 2021-12-08..2025-05-06", "country"),
        "Chancellor",
    )


@pytest.mark.parametrize(
    ("text", "when", "expected"),
    [
        ("the Kremlin", None, "RU"),
        ("NATO", None, "NATO"),
        ("Germany", None, "DE"),
        ("Germans", None, "DE"),
        ("the Italian government", None, "IT"),
        ("a NATO official", None, "NATO"),
        ("German Chancellor Olaf Scholz", None, "DE"),
        ("Prime Minister Ulf Kristersson of Sweden", None, "SE"),
        ("Slovak Prime Minister Robert Fico", None, "SK"),
        ("French President Emmanuel Macron", date(1990, 1, 1), "FR"),  # the text decides
        ("Kremlin spokesman Dmitry Peskov", None, "RU"),
        ("U.S. officials", None, "US"),
        ("Western officials", None, None),
        ("Olaf Scholz", date(2024, 2, 27), "DE"),
        ("Mr. Scholz", date(2024, 2, 27), "DE"),
        ("Brussels", None, "EU"),
        ("AU", None, "AFRICANUNION"),  # in the news "the AU" is the African Union
        ("AUS", None, "AU"),
        ("the African Union", None, "AFRICANUNION"),
        ("Michael Jordan", None, None),
        ("Israel Katz", None, None),  # person names that start with a country
        ("Jordan Bardella", None, None),
        ("Paris Hilton", None, None),
        ("Denzel Washington", None, None),
        ("Mr. Jordan", None, None),
        ("China Daily", None, None),
        ("Reuters", None, None),
        ("the president", None, None),
        ("he", None, None),
        ("us", None, None),
        ("France 24", None, None),
        ("", None, None),
    ],
)
def test_resolve(gaz: Gazetteer, text: str, when: date | None, expected: str | None) -> None:
    assert ident(gaz.resolve(text, when)) == expected


def test_aliases_win_over_everything() -> None:
    aliases = {
        "Germany": Actor("EU", "European Union", "", "organisation"),
        "Ursula": Actor("EU", "European Union", "alias: config", "organisation"),
    }
    gaz = load_gazetteer(aliases)
    found = gaz.resolve("germany")
    assert found == Actor("EU", "European Union", "alias: Germany", "organisation")
    assert gaz.resolve("President Ursula") == Actor(
        "EU", "European Union", "alias: config", "organisation"
    )
    assert ("Ursula", aliases["Ursula"]) in list(gaz.names())
    # the base stays shared and untouched
    assert ident(load_gazetteer().resolve("Germany")) == "DE"


def test_names_cover_every_kind(gaz: Gazetteer) -> None:
    names = {(name, actor.id) for name, actor in gaz.names()}
    for entry in [
        ("Germany", "DE"),
        ("DE", "DE"),
        ("German", "DE"),
        ("Scholz", "DE"),
        ("Olaf Scholz", "DE"),
        ("NATO", "NATO"),
        ("the Kremlin", "RU"),
        ("Bundestag", "DE"),
    ]:
        assert entry in names
    assert ("Bush", "US") not in names  # ambiguous surnames are offered only in full


def test_keys_ignore_case_accents_article_and_possessive() -> None:
    assert key("the Élysée's") == key("elysee") == "elysee"
    assert key("U.S.") == key("US") == "us"
    assert key("Lars Løkke Rasmussen") == "lars lokke rasmussen"


def _docs() -> dict[str, Any]:
    return copy.deepcopy(read_documents())


def test_the_shipped_data_is_valid() -> None:
    data = build_data(_docs())
    assert len(data.people.people) > 100
    assert {"DE", "US", "NATO", "EU", "UN", "XK"} <= set(data.actors)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["people"]["DE"]["Chancellor"].append(
                {"name": "X Y", "from": date(2020, 1, 2), "to": date(2019, 1, 1)}
            ),
            "ends",
        ),
        (
            lambda d: d["people"]["DE"]["Chancellor"].append({"name": "X Y", "from": "2020-01-02"}),
            "expected a date",
        ),
        (
            lambda d: d["people"]["DE"]["Chancellor"].append(
                {"name": "X Y", "from": date(2020, 1, 2), "form": date(2020, 1, 2)}
            ),
            "unknown field",
        ),
        (lambda d: d["people"].update({"QQ": {"President": []}}), "unknown actor id 'QQ'"),
        (lambda d: d["metonyms"]["metonyms"].update({"ZZ": ["Nowhere"]}), "unknown actor id"),
        (lambda d: d["demonyms"]["demonyms"].update({"AT": ["German"]}), "listed for both"),
        (lambda d: d["organisations"].update({"DE": {"name": "Deutsche"}}), "no country code"),
        (lambda d: d["countries"]["names"].update({"XX": ["Atlantis"]}), "unknown actor id"),
    ],
)
def test_bad_data_raises_a_clear_error(mutate: Any, message: str) -> None:
    docs = _docs()
    mutate(docs)
    with pytest.raises(GazetteerDataError, match=message):
        build_data(docs)


def test_a_public_office_named_twice_is_still_public() -> None:
    gaz = load_gazetteer()
    # the words around a speaker often repeat the title: each must hide "attorney"
    assert gaz.is_public("Attorney General", "But Attorney General", "Attorney General")
    assert not gaz.is_public("a bank economist", "bank economist")
