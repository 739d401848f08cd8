"""The engine over many articles: forked parser processes give what one process gives, work
is handed out so both stay busy, and an article the engine fails on fails alone."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from spacy.language import Language

import bot.extraction as extraction_module
from bot.extraction import MAX_CHUNK_CHARS, MIN_CHUNK_CHARS, _chunks, extract_in_processes
from briefings.engine import MAX_CHARS, Engine, ExtractionFailure
from briefings.models import Article

if TYPE_CHECKING:
    from spacy.tokens import Doc

TEXTS = [
    "Port strike enters second week\n\n“The docks will stay closed until the offer "
    "improves,” said Tomas Berg, a union leader.\n",
    "Ministers meet on the border plan\n\n“We will not send soldiers to the front,” the "
    "Swedish foreign minister, Anna Lindqvist, told reporters on Tuesday.\n",
    "Budget talks\n\nThe French president said that Europe must be ready to do more for its "
    "own defence. “It is time,” he added.\n",
    "Rail fares\n\nAccording to the transport minister, fares will rise by four percent next "
    "year, a move she called painful but necessary.\n",
]


@Language.component("test_pool_fault")
def _fault(doc: Doc) -> Doc:
    if "RAISE-IN-THE-PARSER" in doc.text:
        raise ValueError("a fault planted by the test")
    return doc


@pytest.fixture
def engine(nlp: Language) -> Engine:
    return Engine(nlp)


def test_forked_processes_give_what_one_process_gives(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if threading.active_count() > 1:
        pytest.skip("threads are running in this test process: the engine will not fork")
    forked: list[int] = []
    real = extraction_module._each_forked

    def spy(*args: Any, **kwargs: Any) -> Any:
        forked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(extraction_module, "_each_forked", spy)
    articles = [Article(text=text) for text in TEXTS * 3]
    alone = extract_in_processes(engine, articles, n_process=1)
    together = extract_in_processes(engine, articles, n_process=2)
    assert forked == [1]
    assert together == alone
    assert all(not isinstance(found, ExtractionFailure) and found for found in alone)
    assert engine.extract_many(articles) == alone


@pytest.mark.parametrize("n_process", [1, 2])
def test_a_failing_article_fails_alone(nlp: Language, n_process: int) -> None:
    nlp.add_pipe("test_pool_fault", last=True)
    try:
        engine = Engine(nlp)
        articles = [Article(text=text) for text in TEXTS]
        articles.insert(2, Article(text=TEXTS[0] + "RAISE-IN-THE-PARSER, said he.\n"))
        found = extract_in_processes(engine, articles, n_process=n_process)
        with pytest.raises(ValueError, match="a fault planted by the test"):
            engine.extract_many(articles)
    finally:
        nlp.remove_pipe("test_pool_fault")
    assert found[2] == ExtractionFailure(
        "the engine failed on it (ValueError: a fault planted by the test)"
    )
    others = found[:2] + found[3:]
    assert all(not isinstance(f, ExtractionFailure) and f for f in others)


@pytest.mark.parametrize(
    "lengths",
    [
        [5_000] * 84,
        [40_000, 1_000, 25_000, 3_000, 12_000, 700, 9_000],
        [MAX_CHARS + 50_000, 100, 200],
        [10],
    ],
)
def test_chunks_hand_out_every_article_once_longest_first(lengths: list[int]) -> None:
    articles = [Article(text="x" * n) for n in lengths]
    chunks = _chunks(articles, 2)
    order = [i for chunk in chunks for i in chunk]
    assert sorted(order) == list(range(len(articles)))
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)
    sizes = [sum(min(lengths[i], MAX_CHARS) for i in chunk) for chunk in chunks]
    for chunk, size in zip(chunks, sizes, strict=True):
        # a chunk stops at the first article that takes it past its target
        assert size - min(lengths[chunk[-1]], MAX_CHARS) < MAX_CHUNK_CHARS
    assert all(size >= MIN_CHUNK_CHARS for size in sizes[:-1])


def test_chunks_shrink_toward_the_end() -> None:
    chunks = _chunks([Article(text="x" * 5_000) for _ in range(84)], 2)
    sizes = [len(chunk) for chunk in chunks]
    assert sizes[0] > sizes[-2]
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)
