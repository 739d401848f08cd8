"""Stance toward the article's main issue. (Being written.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.models import Stance

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from briefings.quotes import Attribution


@dataclass(frozen=True, slots=True)
class IssueModel:
    terms: frozenset[str]

    @classmethod
    def from_article(cls, doc: Doc, title: str) -> IssueModel:
        return cls(frozenset())


def stance_of(doc: Doc, att: Attribution, issue: IssueModel) -> Stance:
    return Stance.UNCLEAR
