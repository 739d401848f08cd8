"""Finding an actor from what a user types: a country name, code or demonym, an
organisation, a person's name or a learned alias, exactly or fuzzily (rapidfuzz).

Country, organisation and office-holder names come from the engine's gazetteer
(``briefings.actors.load_gazetteer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from bot.store.records import AliasEntry, normalise_name
from briefings.actors import Gazetteer, load_gazetteer
from briefings.models import Actor

# A fuzzy match is taken as the answer only above this score (0-100): typos, not guesses.
ACCEPT_SCORE = 86
SUGGEST_SCORE = 55


@dataclass(frozen=True, slots=True)
class Match:
    actor: Actor
    matched_as: str  # "country", "organisation", "person: Olaf Scholz", "alias"
    name: str  # the name that matched


@cache
def gazetteer() -> Gazetteer:
    """The engine's gazetteer over its curated data, loaded once per process."""
    return load_gazetteer()


@cache
def gazetteer_names() -> tuple[tuple[str, Actor], ...]:
    """Every name the gazetteer knows with its actor (read once: each index rebuild uses it)."""
    return tuple(gazetteer().names())


class ActorLookup:
    """An index of every name an actor goes by, built from the gazetteer and the store."""

    def __init__(self, actors: Sequence[Actor], aliases: Sequence[AliasEntry]) -> None:
        self._exact: dict[str, Match] = {}
        self._gazetteer = gazetteer()
        known = {actor.id: actor for actor in actors}
        people: list[tuple[str, Actor]] = []
        for name, actor in gazetteer_names():
            if actor.evidence.startswith("fact"):
                people.append((name, actor))  # office holders: after what the store knows
                continue
            self._add(name, Match(known.get(actor.id, actor), actor.kind, name))
        for actor in actors:
            self._add(actor.name, Match(actor, actor.kind, actor.name))
            self._add(actor.id, Match(actor, actor.kind, actor.id))
        for alias in aliases:
            how = f"person: {alias.speaker_name}" if alias.speaker_name else "alias"
            self._add(alias.name, Match(alias.actor, how, alias.name))
        full_names: dict[tuple[str, str], str] = {}
        for name, actor in people:
            # The gazetteer lists a person's full name before the surname; both share evidence.
            full = full_names.setdefault((actor.id, actor.evidence), name)
            self._add(name, Match(known.get(actor.id, actor), f"person: {full}", name))
        self._keys = list(self._exact)
        # Codes ("de", "us") match everything partially; suggestions use the longer names.
        self._long_keys = [key for key in self._keys if len(key) >= 4]

    def _add(self, name: str, match: Match) -> None:
        key = normalise_name(name)
        if key and key not in self._exact:
            self._exact[key] = match

    def find(self, query: str) -> Match | None:
        """The actor ``query`` names: exactly, by the gazetteer's rules, or a close spelling."""
        key = normalise_name(query)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        actor = self._gazetteer.resolve(query.strip())
        if actor is not None:
            found = self._exact.get(normalise_name(actor.id))
            return Match(found.actor if found else actor, actor.kind, query.strip())
        if len(key) < 4:
            return None
        best = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=ACCEPT_SCORE)
        if best is None:
            return None
        return self._exact[best[0]]

    def suggestions(self, query: str, limit: int = 5) -> list[str]:
        """The names closest to ``query``, one per actor, best first."""
        key = normalise_name(query)
        if not key:
            return []
        found = process.extract(key, self._long_keys, scorer=fuzz.WRatio, limit=limit * 8)
        out: list[str] = []
        seen: set[str] = set()
        for name, score, _ in found:
            if score < SUGGEST_SCORE:
                break
            label = self._exact[name].name
            if label in seen:
                continue
            seen.add(label)
            out.append(label)
            if len(out) == limit:
                break
        return out

    def names(self, prefix: str, limit: int = 25) -> list[str]:
        """Names for autocomplete: those starting with ``prefix`` first, then close ones."""
        key = normalise_name(prefix)
        out: list[str] = []
        seen: set[str] = set()

        def take(match: Match) -> None:
            label = match.actor.name if len(match.name) <= 3 else match.name
            if label not in seen:
                seen.add(label)
                out.append(label)

        for name in sorted(self._keys):
            if len(out) >= limit:
                return out
            if not key or name.startswith(key):
                take(self._exact[name])
        if key and len(out) < limit:
            for name, _score, _ in process.extract(
                key, self._long_keys, scorer=fuzz.WRatio, limit=limit * 2
            ):
                if len(out) >= limit:
                    break
                take(self._exact[name])
        return out
