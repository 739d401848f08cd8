"""Speaker → the country or organisation it speaks for, text first, then facts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from briefings.actors import Gazetteer, load_gazetteer
from briefings.models import Actor
from briefings.speakers import CONTEXT_PREPOSITIONS, ResolvedSpeaker


class ActorFinder:
    """Resolves a speaker from its own title words, then its other mentions, then facts."""

    def __init__(self, aliases: Mapping[str, Actor] | None = None) -> None:
        self.gazetteer: Gazetteer = load_gazetteer(aliases)

    def find(self, speaker: ResolvedSpeaker, when: date | None) -> tuple[Actor | None, str | None]:
        """The actor and the role of ``speaker`` as of ``when`` (the article's date)."""
        gaz = self.gazetteer
        role: str | None = None
        title, _ = gaz.split_title(speaker.mention_text)
        # The mention's own title words, then the title phrases seen around this person,
        # with a title and a following "of Sweden" read together.
        phrases = [p for p in (title, speaker.mention_text) if p]
        context = list(speaker.context)
        for i, piece in enumerate(context[:-1]):
            after = context[i + 1]
            if after.lower().startswith(("of ", "from ")):
                phrases.append(f"{piece} {after}")
        phrases.extend(context)
        for phrase in phrases:
            actor, found_role = gaz.role_phrase(phrase)
            role = role or found_role
            if actor is not None:
                return actor, role or title
        if speaker.person is None:
            actor = gaz.resolve(speaker.mention_text, when) or gaz.resolve(speaker.name, when)
            # "a spokesman for the Indian foreign ministry": the body the speaker is part of
            for piece in context:
                head, _, body = piece.partition(" ")
                if actor is None and head.lower() in CONTEXT_PREPOSITIONS:
                    actor = gaz.resolve(body, when)
            return actor, role or title
        fact = gaz.person(speaker.name, when)
        if fact is not None:
            actor, fact_role = fact
            return actor, role or title or fact_role or None
        return gaz.resolve(speaker.name, when), role or title
