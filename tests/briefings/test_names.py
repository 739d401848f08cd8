"""One speaker, one name across a briefing: a person's name variants merged (within a
story and across stories, with the names the store learned), conservatively."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from briefings.brief import build_briefing, story_bullets, story_split
from briefings.models import Actor, Bullet, Kind, Span, Stance, Statement
from briefings.names import KnownName, SpeakerNames, proper_name
from briefings.render import render_briefing_text
from briefings.stories import Report, Story

if TYPE_CHECKING:
    from spacy.language import Language

DAY = datetime(2026, 10, 5, 9, tzinfo=UTC)
NO = Actor("NO", "Norway", "title: Norwegian finance minister")
SE = Actor("SE", "Sweden", "demonym: Swedish")
GB = Actor("GB", "United Kingdom", "demonym: British")
RU = Actor("RU", "Russia", "metonym: Kremlin")


def said(
    name: str,
    words: str,
    actor: Actor | None = None,
    *,
    role: str | None = None,
    stance: Stance = Stance.UNCLEAR,
    kind: Kind = Kind.DIRECT,
) -> Statement:
    return Statement(
        speaker=Span(0, len(name), name),
        speaker_name=name,
        role=role,
        actor=actor,
        cue=Span(0, 4, "said"),
        content=Span(0, len(words), words),
        kind=kind,
        stance=stance,
    )


def story(*reports: tuple[str, tuple[Statement, ...]], title: str = "Fund rules") -> Story:
    return Story(
        tuple(
            Report(n, title, "lead", f"https://{outlet}.example/{n}", outlet, DAY, statements)
            for n, (outlet, statements) in enumerate(reports)
        )
    )


def names_of(bullets: list[Bullet]) -> list[str]:
    return [b.speaker_name for b in bullets]


@pytest.mark.parametrize(
    ("speaker_name", "role", "words"),
    [
        ("Henrik Aasland", None, ("Henrik", "Aasland")),
        ("Aasland", None, ("Aasland",)),
        ("Minister Aasland", None, ("Aasland",)),
        ("Finance Minister Henrik Aasland", "Finance Minister", ("Henrik", "Aasland")),
        ("the Norwegian finance minister Henrik Aasland", None, ("Henrik", "Aasland")),
        ("Norwegian Finance Minister Henrik Aasland", None, ("Henrik", "Aasland")),
        ("Norway's Henrik Aasland", None, ("Henrik", "Aasland")),
        ("Mr. Aasland", None, ("Aasland",)),
        ("Sen. Ada Pike", "Senator", ("Ada", "Pike")),
        ("Inge van der Berg", None, ("Inge", "van", "der", "Berg")),
        ("Tom Major", None, ("Tom", "Major")),  # a title word as the surname stays
        ("a Kremlin spokesman", "spokesman", ()),
        ("the Kremlin", None, ("Kremlin",)),
    ],
)
def test_the_proper_name_within_a_speaker_name(
    speaker_name: str, role: str | None, words: tuple[str, ...]
) -> None:
    assert proper_name(speaker_name, role) == words


def test_a_persons_names_in_one_story_are_one_bullet_under_the_fullest() -> None:
    bullets = story_bullets(
        story(
            (
                "a",
                (
                    said(
                        "the Norwegian finance minister Henrik Aasland", "The fund stays shut.", NO
                    ),
                ),
            ),
            ("b", (said("Aasland", "Pensions come first, and they always will.", NO),)),
            (
                "c",
                (
                    said(
                        "Finance Minister Henrik Aasland",
                        "The fund stays shut.",
                        role="Finance Minister",
                    ),
                ),
            ),
        ),
        per_person=2,
    )
    (bullet,) = bullets
    assert bullet.speaker_name == bullet.label == "Henrik Aasland"
    assert bullet.statements == 3 and bullet.outlets == 2  # a and c report the same words
    assert bullet.text == "The fund stays shut."
    assert [s.text for s in bullet.also] == ["Pensions come first, and they always will."]


def test_different_given_names_never_merge_and_a_bare_surname_of_both_stays_apart() -> None:
    bullets = story_bullets(
        story(
            ("a", (said("Joan Marsh", "The bridge will be rebuilt.", GB),)),
            ("b", (said("Peter Marsh", "The bridge cost too much.", GB),)),
            ("c", (said("Marsh", "Nobody asked the town.", GB),)),
        )
    )
    # Without the names rule all three were one bullet by surname.
    assert sorted(names_of(bullets)) == ["Joan Marsh", "Marsh", "Peter Marsh"]


def test_the_same_surname_for_two_actors_is_two_people() -> None:
    bullets = story_bullets(
        story(
            ("a", (said("Lena Berg", "Sweden will sign.", SE),)),
            ("b", (said("Berg", "Norway will wait.", NO),)),
        )
    )
    assert sorted(names_of(bullets)) == ["Berg", "Lena Berg"]
    # ... while a name with no actor joins the one fuller name it fits
    bullets = story_bullets(
        story(
            ("a", (said("Lena Berg", "Sweden will sign.", SE),)),
            ("b", (said("Berg", "Sweden will sign the pact next week.", None),)),
        )
    )
    assert names_of(bullets) == ["Lena Berg"]


def test_a_body_with_and_without_its_article_is_one_voice_and_its_spokesman_another() -> None:
    bullets = story_bullets(
        story(
            ("a", (said("Kremlin", "The drills are a provocation.", RU),)),
            ("b", (said("the Kremlin", "Moscow will answer the drills.", RU),)),
            ("c", (said("a Kremlin spokesman", "No talks are planned.", RU, role="spokesman"),)),
        )
    )
    assert sorted(names_of(bullets)) == ["a Kremlin spokesman", "the Kremlin"]


def test_across_stories_a_person_has_the_fullest_name_any_story_gives() -> None:
    fund = Report(
        1,
        "Norway keeps its oil fund shut to budget raids",
        "Oslo ruled out spending more of the fund.",
        "https://a.example/fund",
        "A",
        DAY,
        (said("Henrik Aasland", "The fund stays shut.", NO, stance=Stance.OPPOSES),),
    )
    pensions = Report(
        2,
        "Pension age debate splits Storting",
        "Lawmakers argued over the retirement age.",
        "https://b.example/pensions",
        "B",
        DAY + timedelta(days=9),
        (
            said("Aasland", "Pensions come first.", None, stance=Stance.SUPPORTS),
            said("Ola Dahl", "The age must rise.", None, stance=Stance.OPPOSES),
        ),
    )
    briefing = build_briefing([fund, pensions], title="Briefing")
    assert len(briefing.stories) == 2
    shown = {b.speaker_name for s in briefing.stories for b in s.bullets}
    assert shown == {"Henrik Aasland", "Ola Dahl"}
    (split,) = [s.split for s in briefing.stories if s.split]
    assert dict(split.sides)["for"] == ("Henrik Aasland",)
    text = render_briefing_text(briefing)
    assert "• Aasland" not in text and text.count("Henrik Aasland") == 3


def test_learned_full_names_complete_a_short_name_only_when_they_fit() -> None:
    statements = [said("Aasland", "Pensions come first.", NO), said("Berg", "Wait.", SE)]
    known = [
        KnownName("Aasland", "Norwegian Finance Minister Henrik Aasland", "NO"),
        KnownName("Berg", "Lena Berg", "NO"),  # another actor: another Berg
    ]
    names = SpeakerNames(statements, known)
    assert [names.name(st) for st in statements] == ["Henrik Aasland", "Berg"]
    # two people the short name could be: it stays as written
    names = SpeakerNames(statements, [*known, KnownName("Aasland", "Kari Aasland", "NO")])
    assert names.name(statements[0]) == "Aasland"
    # the story's own names come first: a Kari Aasland quoted in the story is the one
    reports = (("a", (said("Kari Aasland", "Yes.", NO),)), ("b", statements[:1]))
    bullets = story_bullets(story(*reports), names=SpeakerNames(statements, known))
    assert names_of(bullets) == ["Kari Aasland"]


def test_the_split_names_a_speaker_without_an_actor_once() -> None:
    split = story_split(
        story(
            ("a", (said("Dahl", "Raise it now.", stance=Stance.SUPPORTS),)),
            ("b", (said("Ola Dahl", "Raise it.", stance=Stance.SUPPORTS),)),
            ("c", (said("Kari Lund", "Never.", stance=Stance.OPPOSES),)),
        ),
        "the age",
    )
    assert split is not None
    assert split.sides == (("for", ("Ola Dahl",)), ("against", ("Kari Lund",)))


def test_the_engines_names_of_one_person_across_two_stories(nlp: Language) -> None:
    """Sentences through the real engine: a full name with a description in one story,
    the surname alone in another, shown as one name in both."""
    from briefings.engine import Engine
    from briefings.models import Article

    items = [
        (
            "Norway keeps its oil fund closed to budget raids",
            "The Norwegian finance minister Henrik Aasland said on Tuesday that the fund "
            "would stay closed to new spending. Opposition parties had asked for more.",
            DAY,
        ),
        (
            "Pension age debate splits the Storting",
            "Lawmakers argued for hours over the retirement age on Thursday. "
            '"Pensions must come first in this budget," Aasland told reporters in Oslo.',
            DAY + timedelta(days=10),
        ),
    ]
    articles = [Article(text=text, title=title, published=when) for title, text, when in items]
    found = Engine(nlp).extract_many(articles)
    names = [st.speaker_name for statements in found for st in statements]
    # the engine names him in full in one article and by surname in the other
    assert {"Henrik Aasland", "Aasland"} <= set(names)
    reports = [
        Report(n, a.title, a.text, f"https://{n}.example/", f"Outlet {n}", a.published, tuple(s))
        for n, (a, s) in enumerate(zip(articles, found, strict=True))
    ]
    briefing = build_briefing(reports, title="Briefing")
    assert len(briefing.stories) == 2
    shown = [
        [b.speaker_name for b in s.bullets if "Aasland" in b.speaker_name] for s in briefing.stories
    ]
    assert shown == [["Henrik Aasland"], ["Henrik Aasland"]]
