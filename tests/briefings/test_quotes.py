"""Table-driven tests of the constructions the engine handles, on sentences written for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from briefings.engine import Engine, spans_verbatim
from briefings.models import Article, Kind
from briefings.quotes import find_quotes

if TYPE_CHECKING:
    from spacy.language import Language

CASES = [
    # (text, speaker mention, speaker_name, content starts with, kind)
    (
        "“We will not send soldiers to the front,” Chancellor Anna Berg said on Monday.",
        "Chancellor Anna Berg",
        "Anna Berg",
        "We will not send soldiers",
        Kind.DIRECT,
    ),
    (
        "Minister Paul Ortega said on Tuesday: “The border stays open. Trade must go on.”",
        "Minister Paul Ortega",
        "Paul Ortega",
        "The border stays open. Trade must go on",
        Kind.DIRECT,
    ),
    (
        "The finance ministry said that the budget would be balanced by next spring.",
        "The finance ministry",
        "the finance ministry",
        "that the budget would be balanced",
        Kind.INDIRECT,
    ),
    (
        "Prices will keep rising through the winter, according to the central bank.",
        "the central bank",
        "the central bank",
        "Prices will keep rising",
        Kind.INDIRECT,
    ),
    (
        "Senator Mary Lowe warned that the plan was “a recipe for disaster” for farmers.",
        "Senator Mary Lowe",
        "Mary Lowe",
        "that the plan was “a recipe for disaster”",
        Kind.MIXED,
    ),
    (
        "A union official, speaking anonymously, stressed that no strike had been called yet.",
        "A union official",
        "a union official",
        "that no strike had been called yet",
        Kind.INDIRECT,
    ),
]


@pytest.fixture(scope="module")
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


@pytest.mark.parametrize(("text", "mention", "name", "content", "kind"), CASES)
def test_construction(
    engine: Engine, text: str, mention: str, name: str, content: str, kind: Kind
) -> None:
    statements = engine.extract(Article(text=text))
    assert len(statements) == 1, statements
    st = statements[0]
    assert st.speaker.text == mention
    assert st.speaker_name == name
    assert st.content.text.startswith(content)
    assert st.kind is kind
    assert spans_verbatim(text, statements)


def test_surname_and_pronoun_resolve_to_the_full_name(engine: Engine) -> None:
    text = (
        "Foreign Minister Lena Holm met her counterparts in Oslo.\n\n"
        "Holm said the talks had been useful.\n\n"
        "“We made progress on every point,” she said."
    )
    names = [s.speaker_name for s in engine.extract(Article(text=text))]
    assert names == ["Lena Holm", "Lena Holm"]


def test_split_quote_is_one_statement_with_both_parts(engine: Engine) -> None:
    text = "“The talks went well,” Mayor Tom Reyes said. “We meet again next week.”"
    (st,) = engine.extract(Article(text=text))
    assert [p.text for p in st.parts] == ["The talks went well", "We meet again next week"]
    assert st.words == "The talks went well … We meet again next week"


def test_reported_chain_names_the_speaker_not_the_outlet(engine: Engine) -> None:
    text = "“Nothing is decided yet,” Premier Joan Ruiz added, the Daily Courier reported."
    (st,) = engine.extract(Article(text=text))
    assert st.speaker_name == "Joan Ruiz"


def test_byline_is_never_a_speaker(engine: Engine) -> None:
    text = "The council said that the bridge would reopen in May.\n\nWritten by Sam Doe"
    names = [s.speaker_name for s in engine.extract(Article(text=text))]
    assert names == ["the council"]


def test_unbalanced_quote_loses_only_its_paragraph(engine: Engine) -> None:
    text = (
        "The mayor said “the budget is fine and then forgot to close it.\n\n"
        "“We will build the new school this year,” Governor Ada Moss said."
    )
    statements = engine.extract(Article(text=text))
    assert any(s.speaker_name == "Ada Moss" and s.kind is Kind.DIRECT for s in statements)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said “yes please” twice.", [(8, 20)]),
        ("“Open and never closed", [(0, 22)]),
        ("A stray ” mark and “a real one”.", [(19, 31)]),
        ("No quotes at all.", []),
    ],
)
def test_find_quotes(text: str, expected: list[tuple[int, int]]) -> None:
    assert [(q.start, q.end) for q in find_quotes(text)] == expected
