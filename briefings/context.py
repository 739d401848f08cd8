"""What the article itself says about whom its speakers stand for.

Wire copy names a country once and its officials many times without it: "a Finance
Ministry spokesman", "MITI officials", "the central bank". Such a public speaker stands
for the country the story is about: the one its headline, places ("Tokyo", "the Bonn
government"), peoples ("Japanese") and already resolved officials point to most. A
party ("Republican presidential nominee") ties its members to the party's country.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.actors import Gazetteer
from briefings.models import Actor

if TYPE_CHECKING:
    from collections.abc import Iterable

    from spacy.tokens import Doc, Span, Token

# Evidence kinds of an actor the text itself gave (not a dated fact, not a guess).
TEXT_EVIDENCE = ("title:", "of-phrase:", "possessive:", "institution:", "metonym:", "country:")
# The headline and the first paragraph say what a story is about more than the rest.
LEAD_WEIGHT = 2
# A country the headline names.
HEADLINE_WEIGHT = 3.0
# A country that owns or acts ("U.S. arms", "Japan's surplus", "Brazil announced") is more
# likely the story's home than one that is a destination or a place ("arms to Iran").
OWNER_DEPS = frozenset(("compound", "amod", "poss", "nsubj", "nsubjpass", "nmod"))
PLACE_PREPOSITIONS = frozenset(("to", "in", "into", "against", "with", "from", "through", "at"))
# Officials resolved from their own title words count as this many mentions.
OFFICIAL_WEIGHT = 2
PERSON_WEIGHT = 0.5
# "BONN, March 3 - …", "TOKYO (Reuters) - …", "Frankfurt, Germany — …": where a story
# was filed, at the start of one of its first paragraphs.
DATELINE = re.compile(
    r"(?P<city>[A-Z][A-Za-z.'’\-]+(?: [A-Z][A-Za-z.'’\-]+){0,2})"
    r"(?:,(?: [A-Z][A-Za-z.]+){1,2}\.?)?(?: \d{1,2})?(?:,? \d{4})?"
    r"(?: \((?:Reuters|AP|AFP|dpa|UPI|Xinhua)\))?\s*[-—–]+\s"
)
# Fewer mentions than this make no story country.
MIN_MENTIONS = 2


@dataclass(frozen=True, slots=True)
class StoryContext:
    """The country a story is about (an actor id) and the words that say so."""

    country: str | None
    evidence: str = ""

    def actor(self, gaz: Gazetteer, why: str = "") -> Actor | None:
        """The story's country as an actor, with ``context: …`` evidence."""
        if self.country is None:
            return None
        base = gaz.data.actors[self.country]
        detail = f"{why}; " if why else ""
        return Actor(base.id, base.name, f"context: {detail}{self.evidence}", base.kind)


def _reference(gaz: Gazetteer, text: str, label: str) -> str | None:
    """The country an entity names: a country or its capital, a people, a state body,
    a party's country."""
    found: Actor | None = None
    if label in ("GPE", "LOC", "FAC"):
        found = gaz.country(text) or gaz.metonym(text) or gaz.place(text)
    elif label == "NORP":
        found = gaz.demonym(text)
        if found is None:
            party = gaz.party(text)
            return gaz.party_country(party) if party else None
    elif label == "ORG":
        found = gaz.institution(text) or gaz.metonym(text)
        if found is None:
            party = gaz.party(text)
            return gaz.party_country(party) if party else None
    if found is None or found.kind != "country":
        return None
    return found.id


def _mentions(doc: Doc, gaz: Gazetteer) -> list[tuple[Span, str]]:
    """Every place, people, state body or party the text names, with its country: from
    the entities the parser found, and from capitalised words it missed (a Title Case
    headline: "Blow To Japan Tax Reform Plan")."""
    found: list[tuple[Span, str]] = []
    taken = [False] * (len(doc) + 1)
    for ent in doc.ents:
        country = _reference(gaz, ent.text, ent.label_)
        if country is not None:
            found.append((ent, country))
            for i in range(ent.start, ent.end):
                taken[i] = True
    i = 0
    while i < len(doc):
        if taken[i] or not doc[i].text[:1].isupper():
            i += 1
            continue
        for n in (3, 2, 1):
            if i + n > len(doc) or any(taken[i : i + n]):
                continue
            span = doc[i : i + n]
            country = _reference(gaz, span.text, "GPE") or _reference(gaz, span.text, "NORP")
            if country is not None:
                found.append((span, country))
                i += n
                break
        else:
            i += 1
    return found


def _weight(token: Token) -> float:
    """How much a mention says "home": an owner or actor counts double, a destination
    or place half."""
    if token.dep_ in OWNER_DEPS:
        return 2.0
    if token.dep_ == "pobj" and token.head.lower_ in PLACE_PREPOSITIONS:
        return 0.5
    return 1.0


def dateline(text: str, gaz: Gazetteer) -> tuple[str, str] | None:
    """The country and city of a story's dateline, when one of its first two
    paragraphs opens with one."""
    paragraphs = [p for p in text.split("\n") if p.strip()][:3]
    for para in paragraphs:
        found = DATELINE.match(para.strip())
        if found is None:
            continue
        city = found.group("city").strip()
        actor = gaz.metonym(city) or gaz.place(city) or gaz.country(city)
        if actor is None and city.isupper():
            title = city.title()
            actor = gaz.metonym(title) or gaz.place(title) or gaz.country(title)
        if actor is not None and actor.kind == "country":
            return actor.id, city
    return None


def story_context(doc: Doc, gaz: Gazetteer, resolved: Iterable[Actor | None]) -> StoryContext:
    """The country ``doc`` is about: its dateline, else the one its own mentions and its
    resolved officials point to most (none when that is fewer than ``MIN_MENTIONS``)."""
    text = doc.text
    filed = dateline(text, gaz)
    if filed is not None:
        return StoryContext(filed[0], f"dateline {filed[1]}")
    lead_end = text.find("\n\n", text.find("\n\n") + 2)
    lead_end = len(text) if lead_end < 0 else lead_end
    counts: dict[str, float] = {}
    shown: dict[str, Counter[str]] = {}
    first: dict[str, int] = {}
    headline_end = text.find("\n")
    for span, country in _mentions(doc, gaz):
        if span.start_char < headline_end:
            weight = HEADLINE_WEIGHT  # a headline's parse says little about roles
        else:
            weight = (LEAD_WEIGHT if span.start_char < lead_end else 1) * _weight(span.root)
        counts[country] = counts.get(country, 0.0) + weight
        shown.setdefault(country, Counter())[" ".join(span.text.split())] += 1
        first.setdefault(country, span.start_char)
    for ent in doc.ents:
        # people the facts know by full name tell whose story it is, more weakly
        if ent.label_ != "PERSON" or len(ent.text.split()) < 2:
            continue
        known = gaz.country_of_person(" ".join(ent.text.replace("’s", "").split()))
        if known is not None and known.kind == "country":
            counts[known.id] = counts.get(known.id, 0.0) + PERSON_WEIGHT
            shown.setdefault(known.id, Counter())[" ".join(ent.text.split())] += 1
            first.setdefault(known.id, ent.start_char)
    for actor in resolved:
        if (
            actor is not None
            and actor.kind == "country"
            and actor.evidence.startswith(TEXT_EVIDENCE)
        ):
            counts[actor.id] = counts.get(actor.id, 0.0) + OFFICIAL_WEIGHT
            shown.setdefault(actor.id, Counter())["officials"] += 1
            first.setdefault(actor.id, len(text))
    if not counts:
        return StoryContext(None)
    best = max(counts, key=lambda c: (counts[c], -first[c]))
    if counts[best] < MIN_MENTIONS:
        return StoryContext(None)
    words = ", ".join(
        f"{w} ×{n}" if n > 1 else w for w, n in shown.get(best, Counter()).most_common(3)
    )
    return StoryContext(best, f"story about {gaz.data.actors[best].name} ({words})")
