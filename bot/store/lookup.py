"""Finding an actor from what a user types: a country name, code or demonym, an
organisation, a person's name or a learned alias, exactly or fuzzily (rapidfuzz).

Country, organisation and office-holder names come from the engine's gazetteer
(``briefings.actors.load_gazetteer``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from bot.store.records import AliasEntry, normalise_name
from briefings.actors import Gazetteer, load_gazetteer
from briefings.models import Actor

# A fuzzy match is taken as the answer only above this score (0-100): typos, not guesses.
ACCEPT_SCORE = 86
SUGGEST_SCORE = 55
NAME_MAX = 100
"""No name is longer (in characters, normalised): a longer query is matched exactly or
not at all, never fuzzily (the fuzzy scorers' time grows with its length)."""


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
        if len(key) > NAME_MAX:
            return None
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
        if not key or len(key) > NAME_MAX:
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
        key = normalise_name(prefix)[:NAME_MAX]
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


class CachedLookup:
    """The name index of the running bot, for the store's threads (never the event loop):
    built on first use and again after ``forget`` (ingestion taught new names); a name it
    does not know rebuilds it at most once every ``refresh`` seconds (another process may
    have learned it), never once per unknown name; the answers to the last ``answers``
    queries are kept (an LRU), so a name asked again costs a dictionary lookup."""

    def __init__(
        self,
        build: Callable[[], ActorLookup],
        *,
        refresh: float = 60.0,
        answers: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self.refresh = refresh
        self.answers = answers
        self.clock = clock
        self._lock = threading.Lock()
        self._index: ActorLookup | None = None
        self._built_at = 0.0
        self._cache: OrderedDict[str, tuple[Match | None, tuple[str, ...]]] = OrderedDict()
        self.builds = 0

    def forget(self) -> None:
        """Rebuild the index on next use (any thread)."""
        with self._lock:
            self._index = None
            self._cache.clear()

    def _current(self, *, stale_before: float | None = None) -> ActorLookup:
        with self._lock:
            index = self._index
            if index is not None and (stale_before is None or self._built_at >= stale_before):
                return index
            index = self._build()
            self._index, self._built_at = index, self.clock()
            self._cache.clear()
            self.builds += 1
            return index

    def _remember(self, key: str, answer: tuple[Match | None, tuple[str, ...]]) -> None:
        with self._lock:
            self._cache[key] = answer
            self._cache.move_to_end(key)
            while len(self._cache) > self.answers:
                self._cache.popitem(last=False)

    def find(self, query: str) -> tuple[Match | None, tuple[str, ...]]:
        """The actor ``query`` names, or None with the closest names to suggest."""
        key = normalise_name(query)[: NAME_MAX + 1]
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        index = self._current()
        match = index.find(query)
        if match is None and self.clock() - self._built_at >= self.refresh:
            index = self._current(stale_before=self.clock())
            match = index.find(query)
        answer = (match, () if match is not None else tuple(index.suggestions(query)))
        self._remember(key, answer)
        return answer

    def names(self, prefix: str, limit: int = 25) -> list[str]:
        """Names for autocomplete (see ``ActorLookup.names``)."""
        return self._current().names(prefix, limit)
