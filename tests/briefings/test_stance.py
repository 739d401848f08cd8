"""Stance toward the article's main issue, on sentences written for each construction.

Every case is a short article about some issue (its title plus a lead that names the
issue) and one statement; the expected stance is that statement's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from briefings.engine import Engine
from briefings.models import Article, Stance
from briefings.stance import IssueModel, aggregate, term_key

if TYPE_CHECKING:
    from spacy.language import Language

SUP, OPP, NEU, UNC = Stance.SUPPORTS, Stance.OPPOSES, Stance.NEUTRAL, Stance.UNCLEAR

TARIFFS = "Government weighs new tariffs on steel"
PIPELINE = "Coastal gas pipeline divides the region"
CEASEFIRE = "Talks on a ceasefire resume in the capital"
SANCTIONS = "Allies debate sanctions over the border crisis"
TREATY = "Parliament to vote on the fishing treaty"
QUOTAS = "Ministers split over new fishing quotas"
UNIONS = "Unions press for higher pay"

CASES = [
    # negation scoped over the issue's terms
    (TARIFFS, "Trade Minister Lena Holt said there would be no new tariffs this year.", OPP),
    (TARIFFS, "The finance ministry said that the tariffs would not be raised.", OPP),
    (PIPELINE, "“We will never accept the pipeline,” Mayor Tom Reed said.", OPP),
    (CEASEFIRE, "“Neither side wants a ceasefire now,” a diplomat said.", OPP),
    (TREATY, "Senator Ana Ruiz said nobody in her party supported the treaty.", OPP),
    (PIPELINE, "The energy ministry said it had no plans to build the pipeline.", OPP),
    (CEASEFIRE, "“A ceasefire is not on the cards,” the army chief said.", OPP),
    (QUOTAS, "The minister stated that the treaty did not entail new quotas.", OPP),
    # modality
    (TARIFFS, "“The tariffs should be raised,” the farmers’ union said.", SUP),
    (PIPELINE, "Governor Ray Lum said the pipeline must be finished by spring.", SUP),
    (TREATY, "“We will not sign the treaty,” the president said.", OPP),
    (PIPELINE, "“We will build the pipeline,” the governor said.", SUP),
    # double negation
    (SANCTIONS, "The minister said sanctions could not be excluded.", SUP),
    (TARIFFS, "“Higher tariffs cannot be excluded,” the trade envoy said.", SUP),
    (SANCTIONS, "The minister said sanctions should not be ruled out.", SUP),
    (
        SANCTIONS,
        "Asked about sanctions, the foreign minister said: “Nothing should be ruled out.”",
        SUP,
    ),
    (SANCTIONS, "Senator Ana Ruiz said none of the sanctions would be eased.", SUP),
    (TREATY, "The mayor said it would be a mistake to go on without the treaty.", SUP),
    # evaluations of the issue
    (PIPELINE, "“The pipeline is a good idea for the whole coast,” the governor said.", SUP),
    (TREATY, "“The treaty would be a costly step for our fleet,” the minister said.", OPP),
    (TARIFFS, "“New tariffs are a waste of money,” the economist said.", OPP),
    (TARIFFS, "“The tariffs are not a good idea,” the economist said.", OPP),
    (PIPELINE, "“We talked in good faith about the pipeline,” the governor said.", NEU),
    # the cue verb's own sense
    (TREATY, "The opposition leader rejected the treaty on Tuesday.", OPP),
    (TARIFFS, "The farmers’ union opposed the new tariffs.", OPP),
    (SANCTIONS, "The chancellor ruled out new sanctions on Monday.", OPP),
    (PIPELINE, "The chancellor dismissed the pipeline as a relic of the past.", OPP),
    (SANCTIONS, "The ministry denied that sanctions were being prepared.", OPP),
    (TARIFFS, "The central bank warned against new tariffs.", OPP),
    (TARIFFS, "The governor warned of higher prices if the tariffs were imposed.", OPP),
    (TREATY, "The senator did not back the treaty.", OPP),
    (CEASEFIRE, "Senator Mark Diaz backed the ceasefire on Monday.", SUP),
    (CEASEFIRE, "The UN chief called for an immediate ceasefire.", SUP),
    (SANCTIONS, "The foreign minister urged allies to impose sanctions.", SUP),
    (TREATY, "The farmers’ party endorsed the treaty on Friday.", SUP),
    (PIPELINE, "The builders’ union supported the pipeline.", SUP),
    # the cue composes with what the content says of the issue
    (SANCTIONS, "The president rejected calls to lift the sanctions.", SUP),
    (SANCTIONS, "The envoy warned against lifting the sanctions.", SUP),
    (SANCTIONS, "The exporters’ lobby called for an end to the sanctions.", OPP),
    (SANCTIONS, "“The sanctions must stay in place,” the diplomat warned.", SUP),
    # predicates inside the content
    (PIPELINE, "The mayor said she supported the pipeline.", SUP),
    (CEASEFIRE, "The envoy said the ceasefire was essential.", SUP),
    (TARIFFS, "The economy minister said new tariffs would be a mistake.", OPP),
    (TREATY, "Senator Ana Ruiz said she was against the treaty.", OPP),
    (TARIFFS, "Exporters said they could not live without the tariffs.", SUP),
    # the issue pointed back at, or supplied by the sentence
    (PIPELINE, "The president dismissed the idea on Monday.", OPP),
    (CEASEFIRE, "Asked about a ceasefire, the general said: “It is not on the table.”", OPP),
    (SANCTIONS, "“Sanctions will not work,” the economist said.", OPP),
    (TREATY, "The opposition called for a repeal of the treaty.", OPP),
    # neutral: the issue named, no side taken
    (TARIFFS, "The minister said the tariffs were discussed on Monday.", NEU),
    # a negation that only describes what the issue does is no position on it
    (TREATY, "The minister stated that the treaty did not entail new quotas.", NEU),
    (PIPELINE, "The engineer said the pipeline would not cross the river.", NEU),
    (PIPELINE, "Officials said the route of the pipeline had not been decided.", NEU),
    (TREATY, "The lawyer said the treaty was not in force yet.", NEU),
    (TREATY, "The minister said the talks would end up with a new treaty.", NEU),
    # the issue as the one who wants, not what is wanted
    (UNIONS, "The minister said the unions wanted a quick deal.", NEU),
    # a question takes no side
    (SANCTIONS, "The senator asked whether sanctions should be lifted.", NEU),
    (SANCTIONS, "“Should we not impose sanctions?” the senator asked.", NEU),
    # unclear: the statement does not touch the issue, or its words do not say
    (TARIFFS, "The minister said the weather in the capital was fine.", UNC),
    (SANCTIONS, "While sanctions were debated, the minister said farmers were struggling.", UNC),
    (CEASEFIRE, "The general said his soldiers would not leave the barracks.", UNC),
]

LEADS = {
    TARIFFS: "The cabinet is weighing new tariffs on imported steel.",
    PIPELINE: "A new gas pipeline would run along the coast.",
    CEASEFIRE: "Negotiators met again to discuss a ceasefire.",
    SANCTIONS: "Allied governments are discussing new sanctions.",
    TREATY: "Parliament votes on the fishing treaty next week.",
    QUOTAS: "Several ministers want new quotas for the fleet.",
    UNIONS: "The unions met the cabinet on Monday.",
}


@pytest.fixture(scope="module")
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


@pytest.mark.parametrize(("title", "sentence", "expected"), CASES)
def test_stance(engine: Engine, title: str, sentence: str, expected: Stance) -> None:
    text = f"{title}\n\n{LEADS[title]}\n\n{sentence}\n"
    statements = engine.extract(Article(text=text, title=title))
    # The first is the statement; a verb inside its content may add a nested one.
    assert statements, text
    assert statements[0].stance is expected, statements[0].content.text


@pytest.mark.parametrize(
    ("title", "text", "present", "absent"),
    [
        # the title's nouns the article keeps using; people and places are not the issue
        (
            "Berlin rejects Moscow gas pipeline",
            "Chancellor Anna Berg said the pipeline was too costly. The pipeline would cross "
            "three regions, and Berlin wants a review.",
            {"pipeline"},
            {"berlin", "moscow", "gas", "chancellor", "region"},
        ),
        # no title: the lead's nouns, the most frequent first
        (
            "",
            "The tariffs on steel rose again. Exporters said the tariffs hurt them.",
            {"tariff"},
            {"exporter"},
        ),
        # the title repeated as the text's first line is not counted twice
        (
            "Ceasefire holds in the north",
            "Ceasefire holds in the north\n\nThe ceasefire held for a third day, officials said.",
            {"ceasefire"},
            {"official", "day"},
        ),
    ],
)
def test_issue_terms(
    nlp: Language, title: str, text: str, present: set[str], absent: set[str]
) -> None:
    issue = IssueModel.from_article(nlp(text), title)
    assert present <= issue.terms
    assert not absent & issue.terms


def test_no_issue_leaves_every_statement_unclear(engine: Engine) -> None:
    text = "“We must act now,” the minister said."
    statements = engine.extract(Article(text=text))
    assert [st.stance for st in statements] == [UNC]


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("troops", "troop"),
        ("Tariffs", "tariff"),
        ("taxes", "tax"),
        ("policies", "policy"),
        ("crisis", "crisis"),
        ("bus", "bus"),
        ("ceasefire", "ceasefire"),
    ],
)
def test_term_key(word: str, key: str) -> None:
    assert term_key(word) == key


@pytest.mark.parametrize(
    ("stances", "expected"),
    [
        ([], UNC),
        ([UNC, UNC], UNC),
        ([SUP, UNC, SUP, UNC], SUP),
        ([OPP], OPP),
        ([OPP, OPP, SUP], OPP),
        ([SUP, SUP, OPP, NEU], SUP),
        # a neutral statement does not outvote one that takes a side
        ([OPP, NEU, NEU], OPP),
        ([NEU, UNC], NEU),
        # as many for as against: no side
        ([SUP, OPP], NEU),
    ],
)
def test_aggregate(stances: list[Stance], expected: Stance) -> None:
    assert aggregate(stances) is expected
    assert aggregate(iter(stances)) is expected
