"""Plain data the engine takes and gives: no behaviour beyond (de)serialising.

Every span is a pair of character offsets into the article text, and
``text[span.start:span.end] == span.text`` always holds: quotes are never altered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How the words are reported."""

    DIRECT = "direct"  # the words stand inside quotation marks
    INDIRECT = "indirect"  # reported speech, no quotation marks
    MIXED = "mixed"  # reported speech with a partial quote inside


class Stance(StrEnum):
    """Position toward the article's main issue."""

    SUPPORTS = "supports"
    OPPOSES = "opposes"
    NEUTRAL = "neutral"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as the engine reads it."""

    text: str
    title: str = ""
    url: str = ""
    published: datetime | None = None
    outlet: str = ""


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the article text: ``text == article.text[start:end]``."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Span:
        return cls(int(data["start"]), int(data["end"]), str(data["text"]))


@dataclass(frozen=True, slots=True)
class Actor:
    """A country (``id`` is ISO 3166-1 alpha-2, "DE") or an organisation ("NATO").

    ``evidence`` says how the engine tied the speaker to it, e.g.
    ``"title: German Chancellor"``, ``"metonym: the Kremlin"``,
    ``"fact: head of government 2021-12-08..2025-05-06"``, ``"alias: config"``.
    """

    id: str
    name: str
    evidence: str = ""
    kind: str = "country"  # "country" or "organisation"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "evidence": self.evidence, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        ident = str(data["id"])
        kind = str(data.get("kind") or guess_actor_kind(ident))
        return cls(ident, str(data["name"]), str(data.get("evidence", "")), kind)


# Two-letter ids that name organisations: ISO 3166 reserves them rather than assigning them
# to a country ("EU" European Union, "EZ" eurozone, "UN" United Nations).
_RESERVED_FOR_ORGANISATIONS = frozenset(("EU", "EZ", "UN"))


def guess_actor_kind(actor_id: str) -> str:
    """The kind of an actor stored without one (older rows): a country has an ISO 3166-1
    alpha-2 id, two letters; any other id ("NATO", "G7", "EU") is an organisation."""
    is_code = len(actor_id) == 2 and actor_id.isascii() and actor_id.isalpha()
    if is_code and actor_id.isupper() and actor_id not in _RESERVED_FOR_ORGANISATIONS:
        return "country"
    return "organisation"


@dataclass(frozen=True, slots=True)
class Statement:
    """Who said what: one attribution found in an article."""

    speaker: Span  # the in-text source mention ("he" stays "he")
    speaker_name: str  # resolved across the article ("Olaf Scholz", "the Kremlin")
    role: str | None  # title kept apart from the name ("Chancellor")
    actor: Actor | None  # the country or organisation spoken for
    cue: Span | None  # the reporting verb or phrase
    content: Span  # the verbatim quoted or reported words
    kind: Kind
    stance: Stance = Stance.UNCLEAR
    # A quote split by its attribution ("“A,” she said, “B.”"): every piece, in order,
    # ``content`` running from the first piece to the last. Empty for a single piece.
    parts: tuple[Span, ...] = ()
    # The speaker's political party, when the article gives one ("Republican Sen. …").
    party: Actor | None = None

    @property
    def words(self) -> str:
        """The reported words, pieces of a split quote joined by an ellipsis."""
        if not self.parts:
            return self.content.text
        return " … ".join(part.text for part in self.parts)

    def to_dict(self) -> dict[str, Any]:
        """Everything, for storage and between processes; ``newsbrief extract --jsonl``
        prints this without the actor's ``kind`` (its contract)."""
        return {
            "speaker": self.speaker.to_dict(),
            "speaker_name": self.speaker_name,
            "role": self.role,
            "actor": self.actor.to_dict() if self.actor else None,
            "cue": self.cue.to_dict() if self.cue else None,
            "content": self.content.to_dict(),
            "kind": self.kind.value,
            "stance": self.stance.value,
            "parts": [part.to_dict() for part in self.parts],
            "party": self.party.to_dict() if self.party else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Statement:
        return cls(
            speaker=Span.from_dict(data["speaker"]),
            speaker_name=str(data["speaker_name"]),
            role=data.get("role"),
            actor=Actor.from_dict(data["actor"]) if data.get("actor") else None,
            cue=Span.from_dict(data["cue"]) if data.get("cue") else None,
            content=Span.from_dict(data["content"]),
            kind=Kind(data["kind"]),
            stance=Stance(data.get("stance", "unclear")),
            parts=tuple(Span.from_dict(p) for p in data.get("parts") or ()),
            party=Actor.from_dict(data["party"]) if data.get("party") else None,
        )


@dataclass(frozen=True, slots=True)
class Said:
    """One more thing a bullet's speaker said: the cue as written and the words."""

    cue: str  # "said", "denied", "warned"
    text: str  # trimmed like ``Bullet.text``
    kind: Kind


@dataclass(frozen=True, slots=True)
class Bullet:
    """One who-said-what line of a briefing: one speaker, what they said and how.

    ``cue`` is the reporting verb as the article wrote it ("denied", "warned"); a
    bullet always shows it, so that a denial never reads as its opposite.
    """

    label: str  # what the line is about: the speaker's name
    actor: Actor | None
    speaker_name: str
    role: str | None
    text: str  # the words, trimmed at a clause boundary with "…" when long
    kind: Kind
    stance: Stance
    statements: int = 1  # how many statements stand behind the line
    outlets: int = 1  # how many outlets reported these words
    cue: str = ""
    also: tuple[Said, ...] = ()  # further things the same speaker said, in text order


@dataclass(frozen=True, slots=True)
class Source:
    """One report of a story: the outlet and the link."""

    outlet: str
    url: str


@dataclass(frozen=True, slots=True)
class Split:
    """Who takes which side on a story's issue, at a glance: ``sides`` pairs a side
    ("for", "against", "warns") with its actors' names, in that order."""

    issue: str
    sides: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class StoryBrief:
    """One story (the reports of one event across outlets) as a briefing shows it.

    ``outlet`` names its outlets, comma-separated; ``url`` is the first report's link
    and ``sources`` every report's; ``published`` is the newest report's date."""

    title: str
    url: str
    outlet: str
    published: datetime | None
    bullets: tuple[Bullet, ...]
    sources: tuple[Source, ...] = ()
    issue: str = ""  # what the sides are about ("troops in Ukraine")
    split: Split | None = None

    @property
    def outlets(self) -> int:
        """How many outlets reported the story (at least one)."""
        names = {s.outlet or s.url for s in self.sources}
        return max(1, len(names))


@dataclass(frozen=True, slots=True)
class Briefing:
    """What a channel receives: stories, each with its who-said-what bullets."""

    title: str
    stories: tuple[StoryBrief, ...] = field(default_factory=tuple)
    generated: datetime | None = None
    # what the channel should know besides the news: "a feed was disabled, and why"
    notices: tuple[str, ...] = field(default_factory=tuple)
    # the stories beyond the channel's budget, one line each
    also: tuple[StoryBrief, ...] = field(default_factory=tuple)
    more: int = 0  # stories left out even of "Also:"
