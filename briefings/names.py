"""One speaker, one name across a briefing: "Olaf Scholz", "Scholz", "Chancellor Scholz"
and "the German chancellor Olaf Scholz" are one person, shown as "Olaf Scholz"; "Kremlin"
and "the Kremlin" are one body, shown as "the Kremlin" ("a Kremlin spokesman" is another
speaker).

The engine names each speaker once per article (``Statement.speaker_name``); across
articles the same person comes under several names. ``SpeakerNames`` reads every name of a
briefing (or of a /stance answer), with the full names the store learned for short ones
(``KnownName``: "Scholz" stood for "Olaf Scholz"), and gives each statement a key (one per
person or body) and the fullest name it goes by.

Merging is conservative, because two people merged is worse than one person twice: two
names are one person only when the words of one end the other ("Scholz", "Olaf Scholz")
once titles and descriptions are set aside, and they speak for the same actor or one
for none. Different given names ("Joe Biden", "Hunter Biden") never merge, and a short
name that could be either of two people ("Biden") stays as written. Within a story its
own names decide first; the briefing's, then the learned names, only for a name the
story leaves unresolved.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from briefings.actors import fold
from briefings.models import Actor, Statement

# Speakers that are many unnamed people, never one person.
GROUPS = frozenset(
    (
        "analysts", "critics", "officials", "delegates", "diplomats", "sources", "experts",
        "traders", "residents", "witnesses", "protesters", "observers", "economists",
        "lawmakers", "activists",
    )
)  # fmt: skip
_DETERMINERS = ("the", "a", "an")
# Lower-case words that belong to a personal name ("Ursula von der Leyen").
_PARTICLES = frozenset(
    (
        "von", "van", "der", "den", "de", "da", "di", "del", "della", "la", "le", "du", "dos",
        "das", "bin", "ibn", "al", "el", "ter", "ten",
    )
)  # fmt: skip
# Evidence of an actor found in the speaker's own name: the speaker is that body or place
# ("Kremlin" → "metonym: Kremlin"), not a person.
_BODY_EVIDENCE = ("metonym", "organisation", "institution", "country", "place")
_POSSESSIVE = re.compile(r"['’]s?$")


@functools.cache
def title_words() -> frozenset[str]:
    """Words of titles, role heads, abbreviations and honorifics ("chancellor", "sen.",
    "mr."), folded: the words a personal name is preceded by, never part of it (from the
    engine's data file of roles)."""
    text = resources.files("briefings").joinpath("data", "roles.toml").read_text("utf-8")
    roles = tomllib.loads(text)
    phrases: list[str] = [
        *roles["titles"]["names"],
        *roles["heads"]["nouns"],
        *roles["abbreviations"],
        *roles["abbreviations"].values(),
        *roles["honorifics"]["words"],
    ]
    words = {fold(w) for phrase in phrases for w in phrase.split()}
    return frozenset(words - {"of", "the", "for", "and", "to", "in"})


def _name_word(word: str) -> bool:
    return word[:1].isupper() or word in _PARTICLES


def proper_name(speaker_name: str, role: str | None = None) -> tuple[str, ...]:
    """The words of a person's own name within a speaker name: the capitalised words it
    ends with, without the titles, descriptions, possessives and honorifics before them
    ("the German chancellor Olaf Scholz", "German Chancellor Olaf Scholz", "Germany's
    Olaf Scholz" → ("Olaf", "Scholz")); () when it ends in no such word ("a spokesman")."""
    words = speaker_name.replace("’", "'").split()
    if words and words[-1].endswith(("'s", "'")):
        words[-1] = _POSSESSIVE.sub("", words[-1])
    start = len(words)
    while start > 0 and _name_word(words[start - 1]):
        start -= 1
    tail = words[start:]
    while tail and tail[0] in _PARTICLES:
        tail = tail[1:]
    # A title, a role word or a possessive before the last word ends what came before
    # it: "Chancellor Olaf Scholz", "NATO Secretary General Mark Rutte", "Germany's Olaf
    # Scholz". The last word itself is always the name ("John Major").
    stop = title_words() | {fold(w) for w in (role or "").split()}
    for i in range(len(tail) - 2, -1, -1):
        if fold(tail[i]) in stop or tail[i].endswith(("'s", "'")):
            tail = tail[i + 1 :]
            break
    return tuple(tail)


def _core(name: str) -> list[str]:
    """The words of a name without a leading article ("the Kremlin" → ["Kremlin"])."""
    words = name.replace("’", "'").split()
    while words and words[0].casefold() in _DETERMINERS:
        words = words[1:]
    return words


@dataclass(frozen=True, slots=True)
class KnownName:
    """A short name the store learned for a person: ``name`` ("Scholz") stood for
    ``full_name`` ("Olaf Scholz") speaking for the actor ``actor_id``."""

    name: str
    full_name: str
    actor_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Variant:
    """One form of a person's name with the actor it speaks for: ("olaf", "scholz"), "DE"."""

    folded: tuple[str, ...]
    actor: str | None


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _extends(longer: _Variant, shorter: _Variant) -> bool:
    """Whether ``longer`` is a fuller form of ``shorter``: its words end with the other's
    and it says more (more words, or the same words with an actor)."""
    if longer == shorter or not _compatible(longer.actor, shorter.actor):
        return False
    n = len(shorter.folded)
    if len(longer.folded) < n or longer.folded[-n:] != shorter.folded:
        return False
    return len(longer.folded) > n or (longer.actor is not None and shorter.actor is None)


class SpeakerNames:
    """Who is who among statements: one key and one (fullest) name per person or body.

    ``parent`` is the wider scope (a story's names within its briefing's): a name the
    statements here leave unresolved is resolved there. ``known`` are full names the
    store learned for short ones."""

    def __init__(
        self,
        statements: Iterable[Statement] = (),
        known: Iterable[KnownName] = (),
        parent: SpeakerNames | None = None,
    ) -> None:
        self.parent = parent
        statements = list(statements)
        # institutions written with an article here ("the Kremlin"): the bare word
        # ("Kremlin") is that body too
        self._bodies: dict[str, str] = {}
        for st in statements:
            body = _body_form(st.speaker_name, st.role)
            if body is not None:
                name = " ".join(st.speaker_name.split())
                self._bodies[body] = max(self._bodies.get(body, name), name, key=len)
        self._shown: dict[_Variant, str] = {}
        variants: set[_Variant] = set()
        for st in statements:
            variant = self._variant(st)
            written = _person_form(st)
            if variant is not None and written is not None:
                variants.add(variant)
                self._shown.setdefault(variant, " ".join(written[0]))
        for entry in known:
            full = proper_name(entry.full_name)
            short = tuple(fold(w) for w in entry.name.split())
            learned = _Variant(tuple(fold(w) for w in full), entry.actor_id)
            if short and len(full) > len(short) and learned.folded[-len(short) :] == short:
                variants.add(learned)
                self._shown.setdefault(learned, " ".join(full))
        self._canonical: dict[_Variant, _Variant | None] = {}
        by_surname: dict[str, list[_Variant]] = {}
        for variant in variants:
            by_surname.setdefault(variant.folded[-1], []).append(variant)
        for group in by_surname.values():
            if len(group) == 1:
                self._canonical[group[0]] = group[0]
                continue
            heads = [v for v in group if not any(_extends(w, v) for w in group)]
            for variant in group:
                fuller = [h for h in heads if h == variant or _extends(h, variant)]
                # None: two people could bear this name here ("Biden": Joe or Hunter)
                self._canonical[variant] = fuller[0] if len(fuller) == 1 else None

    def _body(self, form: str) -> str | None:
        """How a body is written in full here or in the wider scope ("the Kremlin")."""
        if form in self._bodies:
            return self._bodies[form]
        return self.parent._body(form) if self.parent else None

    def is_person(self, st: Statement) -> bool:
        """Whether the speaker is a named person ("Olaf Scholz", "the German chancellor
        Olaf Scholz") rather than a body, a country or a group ("the Kremlin", "Kremlin",
        "Germany", "analysts")."""
        return self._variant(st) is not None

    def _variant(self, st: Statement) -> _Variant | None:
        form = _person_form(st)
        if form is None or self._body(" ".join(form[1])) is not None:
            return None  # not a person, or "Kremlin" beside "the Kremlin"
        return _Variant(form[1], st.actor.id if st.actor else None)

    def _resolve(self, variant: _Variant) -> _Variant:
        """The fullest form of ``variant``: here when the names here settle it, else in
        the wider scope; itself when two people could bear it."""
        if variant not in self._canonical:
            return self.parent._resolve(variant) if self.parent else variant
        head = self._canonical[variant]
        if head is None:
            return variant
        return self.parent._resolve(head) if self.parent is not None else head

    def _show(self, variant: _Variant) -> str:
        if variant in self._shown:
            return self._shown[variant]
        return self.parent._show(variant) if self.parent else " ".join(variant.folded)

    def key(self, st: Statement) -> str:
        """Who a bullet is about: a person by the fullest form of their name and their
        actor; a place or body standing for its government ("the Kremlin", "Russia") by
        the actor it speaks for, so they are one voice; any other body or group by its
        own name ("a Finance Ministry spokesman" and "the central bank" of one country are
        two voices)."""
        variant = self._variant(st)
        if variant is not None:
            head = self._resolve(variant)
            return f"person:{' '.join(head.folded)}|{head.actor or ''}"
        words = _core(st.speaker_name)
        if st.actor and words and all(w[:1].isupper() for w in words):
            return "actor:" + st.actor.id
        return "name:" + fold(" ".join(words))

    def name(self, st: Statement) -> str:
        """The fullest name the speaker goes by here: "Olaf Scholz" for "Scholz" when the
        story, the briefing or a learned name says so; "the Kremlin" for "Kremlin"."""
        variant = self._variant(st)
        if variant is not None:
            return self._show(self._resolve(variant))
        name = " ".join(st.speaker_name.split())
        return self._body(fold(" ".join(_core(name)))) or name


def _person_form(st: Statement) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A person's name as written and folded (("Olaf", "Scholz"), ("olaf", "scholz")), or
    None when the speaker is a body, a country or a group."""
    return _cached_person_form(st.speaker_name, st.role, st.actor)


@functools.lru_cache(maxsize=8192)
def _cached_person_form(
    speaker_name: str, role: str | None, actor: Actor | None
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    name = " ".join(speaker_name.split())
    words = proper_name(name, role)
    core = _core(name)
    if not words or name.casefold() in GROUPS:
        return None
    if tuple(core) == words and len(core) < len(name.split()):
        return None  # "the Kremlin", "the White House"
    folded = tuple(fold(w) for w in words)
    joined = " ".join(folded)
    if actor is not None:
        if joined in (fold(actor.name), fold(actor.id)):
            return None  # a country or organisation by its own name
        kind, _, shown = actor.evidence.partition(":")
        if kind.strip() in _BODY_EVIDENCE and fold(" ".join(_core(shown))) == joined:
            return None  # "Kremlin": the evidence says it is the body itself
    return words, folded


@functools.lru_cache(maxsize=8192)
def _body_form(speaker_name: str, role: str | None) -> str | None:
    """The folded name of a body written with its article ("the Kremlin" → "kremlin")."""
    name = " ".join(speaker_name.split())
    core = _core(name)
    if core and len(core) < len(name.split()) and proper_name(name, role) == tuple(core):
        return fold(" ".join(core))
    return None


def short_names(statements: Sequence[Statement]) -> set[str]:
    """The one-word personal names among ``statements`` ("Scholz"): those a learned full
    name may complete."""
    return {
        " ".join(words)
        for st in statements
        if (form := _person_form(st)) is not None and len(words := form[0]) == 1
    }
