"""The loaded pipeline: the memoised attribute ruler gives exactly what spaCy's gives."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import pytest
import spacy

from briefings.attribute_rules import use_memo_ruler
from briefings.nlp import MODEL_PACKAGES, USED_COMPONENTS, load_model

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Ordinary news sentences, the contractions and colloquialisms the ruler's two-token rules
# are about, existential "there", and runs of spaces and line breaks.
SENTENCES = [
    "The minister said on Tuesday that the talks had failed.",
    "“We ain't going anywhere,” she said. “Y'all know that.”",
    "They're gonna vote, and we gotta win. Let's go. C'mon!",
    "There is no plan, and there were never any talks, the spokesman added.",
    "Prices rose 3.5% in May;  exports  fell.\n\nThe bank's chief, Ms. Berg, disagreed.\r\n",
    "He doesn't think it's over — not yet — and won't say when it'll end.",
    "Is it? Was there? I'd've said no, but you'd know better.",
]


def _model_package() -> str:
    return next(name for name in MODEL_PACKAGES if importlib.util.find_spec(name))


@pytest.fixture(scope="module")
def plain_and_memo() -> tuple[Language, Language]:
    package = importlib.import_module(_model_package())
    plain = package.load(exclude=["lemmatizer"])
    memo = package.load(exclude=["lemmatizer"])
    assert use_memo_ruler(memo)
    return plain, memo


def _attributes(doc: Doc) -> list[tuple[Any, ...]]:
    return [(t.text, t.tag_, t.pos_, t.dep_, str(t.morph), t.lemma_, t.head.i) for t in doc]


def test_memo_ruler_replaces_the_ruler_under_its_name(
    plain_and_memo: tuple[Language, Language],
) -> None:
    plain, memo = plain_and_memo
    assert memo.pipe_names == plain.pipe_names
    assert type(memo.get_pipe("attribute_ruler")).__name__ == "MemoAttributeRuler"


@pytest.mark.parametrize("text", SENTENCES)
def test_memo_ruler_gives_what_the_ruler_gives(
    plain_and_memo: tuple[Language, Language], text: str
) -> None:
    plain, memo = plain_and_memo
    # twice: once filling the memo, once reading from it
    assert _attributes(memo(text)) == _attributes(plain(text))
    assert _attributes(memo(text)) == _attributes(plain(text))


def test_memo_ruler_sets_pos_from_tags(plain_and_memo: tuple[Language, Language]) -> None:
    _, memo = plain_and_memo
    doc = memo("The minister said that the talks failed.")
    assert [t.pos_ for t in doc] == ["DET", "NOUN", "VERB", "SCONJ", "DET", "NOUN", "VERB", "PUNCT"]


@pytest.mark.parametrize(
    "pattern",
    [
        [{"ORTH": "gonna"}],  # a key the memo does not evaluate
        [{"TAG": "NN", "OP": "+"}],  # a quantifier
        [{"LOWER": {"FUZZY": "colour"}}],  # an operator it does not know
    ],
)
def test_a_ruler_beyond_the_memo_is_left_alone(pattern: list[dict[str, Any]]) -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"TAG": "NN"}]], {"POS": "NOUN"})  # type: ignore[attr-defined]
    ruler.add([pattern], {"POS": "X"})  # type: ignore[attr-defined]
    assert not use_memo_ruler(nlp)
    assert nlp.pipe_names == ["attribute_ruler"]
    assert nlp.get_pipe("attribute_ruler") is ruler


def test_load_model_keeps_only_what_the_engine_uses(nlp: Language) -> None:
    assert set(nlp.pipe_names) - {"line_breaks"} == set(USED_COMPONENTS)
    assert type(nlp.get_pipe("attribute_ruler")).__name__ == "MemoAttributeRuler"
    assert load_model().pipe_names == nlp.pipe_names
