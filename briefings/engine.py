"""The who-said-what engine: an article in, statements out. (Being written: API is stable.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from briefings.models import Actor, Article, Statement

if TYPE_CHECKING:
    from spacy.language import Language


class Engine:
    """Holds the model and the facts; ``aliases`` are learned or configured name → actor."""

    def __init__(self, nlp: Language, aliases: Mapping[str, Actor] | None = None) -> None:
        self.nlp = nlp
        self.aliases = dict(aliases or {})

    def extract(self, article: Article) -> list[Statement]:
        return self.extract_many([article])[0]

    def extract_many(
        self, articles: Iterable[Article], n_process: int = 1, batch_size: int = 16
    ) -> list[list[Statement]]:
        return [[] for _ in articles]
