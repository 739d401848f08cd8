"""Speaker → the country or organisation it speaks for. (Being written.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from briefings.models import Actor
from briefings.speakers import ResolvedSpeaker


class ActorFinder:
    def __init__(self, aliases: Mapping[str, Actor] | None = None) -> None:
        self.aliases = dict(aliases or {})

    def find(self, speaker: ResolvedSpeaker, when: date | None) -> tuple[Actor | None, str | None]:
        return None, None
