"""Speaker → the country or organisation it speaks for, text first, then facts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from briefings.actors import Gazetteer, load_gazetteer
from briefings.context import story_context
from briefings.models import Actor, Statement
from briefings.speakers import CONTEXT_PREPOSITIONS, ResolvedSpeaker

if TYPE_CHECKING:
    from spacy.tokens import Doc


class ActorFinder:
    """Resolves a speaker from its own title words, then its other mentions, then facts."""

    def __init__(self, aliases: Mapping[str, Actor] | None = None) -> None:
        self.gazetteer: Gazetteer = load_gazetteer(aliases)

    def find(self, speaker: ResolvedSpeaker, when: date | None) -> tuple[Actor | None, str | None]:
        """The actor and the role of ``speaker`` as of ``when`` (the article's date)."""
        actor, role = self._find(speaker, when)
        name = speaker.name.lower()
        if role and speaker.person is not None and (role.lower() in name or name in role.lower()):
            role = None  # "King" of "Larry King" is his name; a role never holds the name
        return actor, role

    def _find(self, speaker: ResolvedSpeaker, when: date | None) -> tuple[Actor | None, str | None]:
        gaz = self.gazetteer
        role: str | None = None
        mention = _after_dateline(speaker.mention_text)
        title, _ = gaz.split_title(mention)
        if title and speaker.person is not None and title.lower() in speaker.name.lower():
            title = None  # "King" in "Larry King" is his name, not a crown
        # The mention's own title words, then the title phrases seen around this person,
        # with a title and a following "of Sweden" read together.
        phrases = [p for p in (title, mention) if p]
        context = [_after_dateline(c) for c in speaker.context]
        for i, piece in enumerate(context[:-1]):
            after = context[i + 1]
            if after.lower().startswith(("of ", "from ")):
                phrases.append(f"{piece} {after}")
        phrases.extend(context)
        for phrase in phrases:
            actor, found_role = gaz.role_phrase(phrase)
            role = role or found_role
            if actor is not None and _FORMER.search(phrase):
                # "a former Mexican foreign minister" held the office; he speaks for
                # no country now (unless the facts give him one at the article's date)
                role = role or phrase
                continue
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
        # Facts apply at the article's date only; an undated one gets no role from them.
        fact = gaz.person(speaker.name, when) if when is not None else None
        if fact is not None:
            actor, fact_role = fact
            return actor, role or title or fact_role or None
        found = gaz.resolve(speaker.name, when)
        if found is None and when is None:
            found = gaz.country_of_person(speaker.name, role or title)
        return found, role or title

    def _sent_by(self, doc: Doc, st: Statement) -> Statement:
        """A document as speaker ("the statement said") is who sent it, when the article
        says so before: "the council said in a statement", "X issued a statement",
        "X's letter", "a memo from X"."""
        words = st.speaker_name.lower().split()
        if not words or words[-1] not in DOCUMENT_NOUNS:
            return st
        sender = _sender(doc, words[-1], st.speaker.start)
        if sender is None:
            return st
        actor = st.actor or self.gazetteer.resolve(sender)
        return replace(st, speaker_name=sender, actor=actor)

    def _private_bodies(self, doc: Doc) -> frozenset[str]:
        """Organisations the article names that are no state body: a company, a bank,
        a development bank ("a Boeing spokesman", "IADB president"). Their people speak
        for them, not for the country the story is about."""
        gaz = self.gazetteer
        people = {w for e in doc.ents if e.label_ == "PERSON" for w in e.text.split()}
        found = set()
        for ent in doc.ents:
            name = ent.text.strip()
            if ent.label_ != "ORG" or not name[:1].isupper():
                continue
            party = gaz.party(name) is not None or name.split()[-1].lower() == "party"
            if name in people or gaz.is_person(name) or party:
                continue  # a person or party the recogniser took for an organisation
            if gaz.is_private_word(name):
                continue  # "the Bank": a word, not a name
            if gaz.resolve(name) is None and not gaz.is_public(name):
                found.add(name)
                short = name.rsplit(" ", 1)[0]
                if " " in name and gaz.is_private_word(name.split()[-1]) and len(short) > 3:
                    found.add(short)  # "Boeing Co" is also "Boeing"
        return frozenset(found)

    def party(self, speaker: ResolvedSpeaker) -> Actor | None:
        """The party the words around the speaker give ("Republican Sen. …")."""
        for phrase in (speaker.mention_text, *speaker.context):
            found = self.gazetteer.party(phrase)
            if found is not None:
                return found
        return None

    def from_context(
        self, doc: Doc, statements: Sequence[Statement], speakers: Sequence[ResolvedSpeaker]
    ) -> list[Statement]:
        """Actors the article's context gives: one person keeps one actor and role across
        the article; a party member stands for the party's country; a public speaker
        named without a country stands for the country the story is about."""
        gaz = self.gazetteer
        statements = _link_titles(statements, speakers)
        statements = [self._sent_by(doc, st) for st in statements]
        story = story_context(doc, gaz, (st.actor for st in statements))
        private = self._private_bodies(doc)
        # all that the article says around one person, wherever it says it: "a spokesman
        # at the strike headquarters, Ana Ruiz," is still private when "Ruiz said" later
        around: dict[str, list[str]] = {}
        for st, speaker in zip(statements, speakers, strict=True):
            if speaker.person is not None:
                words = _without_name(speaker.mention_text, speaker.name)
                around.setdefault(st.speaker_name, []).extend((words, *speaker.context))
        first: list[Statement] = []
        for st, speaker in zip(statements, speakers, strict=True):
            actor = st.actor
            unaffiliated = _names_any(
                [p.lower() for p in (speaker.mention_text, st.role or "", *speaker.context)],
                _UNAFFILIATED,
            )
            if actor is None and st.party is not None and not unaffiliated:
                # "Republican Sen. Ann Lee" is American; "a Republican tax consultant" or a
                # former aide now teaching speaks for no country
                country = gaz.party_country(st.party)
                if country is not None:
                    base = gaz.data.actors[country]
                    actor = Actor(base.id, base.name, st.party.evidence, base.kind)
            mention, held = speaker.mention_text, st.role or ""
            if speaker.person is not None:
                # "Larry King": a name's own words ("King") hold no office
                mention, held = (_without_name(p, speaker.name) for p in (mention, held))
            phrases = (mention, held, *around.get(st.speaker_name, speaker.context))
            heard = speaker.mention_text.lower().split()
            document = bool(heard) and heard[-1] in DOCUMENT_NOUNS
            # and who sent the document that speaks ("the statement": Boeing's)
            named = (*phrases, st.speaker_name) if document else phrases
            if actor is None and gaz.is_public(*phrases) and not _names_any(named, private):
                actor = story.actor(gaz)
            first.append(replace(st, actor=actor))
        # one person, one actor, role and party across the article: what any mention gave
        known: dict[str, tuple[Actor | None, str | None, Actor | None]] = {}
        for st in first:
            actor, role, party = known.get(st.speaker_name, (None, None, None))
            known[st.speaker_name] = (actor or st.actor, role or st.role, party or st.party)
        out: list[Statement] = []
        for st in first:
            actor, role, party = known[st.speaker_name]
            out.append(
                replace(st, actor=st.actor or actor, role=st.role or role, party=st.party or party)
            )
        return out


_FORMER = re.compile(r"(?i)\b(former|ex-|onetime|one-time)")
# Words that make a party's member speak for no country: experts and former aides.
_UNAFFILIATED = frozenset(
    (
        "former", "fellow", "consultant", "consultants", "scholar", "lecturer",
        "teaching", "teaches", "professor", "analyst", "economist", "pollster",
    )
)  # fmt: skip


# "WASHINGTON - " or "BONN, March 3 (Reuters) - " before a title: the place of the
# dateline, not the country the title speaks for.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'’-]*[A-Z.,]\s*(?:,[^-—–\n]{0,30})?(?:\([^)]*\))?\s+[-—–]+\s+"
)


def _without_name(phrase: str, name: str) -> str:
    """A phrase around a person without the person's own name ("IADB president Ana Ruiz")."""
    for words in (name, name.split()[-1] if name.split() else ""):
        if words:
            phrase = phrase.replace(words, " ")
    return phrase


def _names_any(phrases: Sequence[str], names: frozenset[str]) -> bool:
    """Whether a phrase names one of ``names`` as whole words."""
    text = " ".join(phrases)
    return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in names)


def _after_dateline(phrase: str) -> str:
    return _DATELINE.sub("", phrase, count=1)


# A bare title this close (in characters) after a named speaker's words can be them.
NEAR_TITLE = 1000
# Offices a bare title may name a person by ("the senator", "the minister").
PUBLIC_HEADS = frozenset(
    (
        "senator", "minister", "president", "chancellor", "premier", "governor", "mayor",
        "secretary", "congressman", "congresswoman", "nominee", "candidate", "leader",
        "chairman", "chairwoman", "ambassador", "envoy", "commissioner", "judge", "justice",
    )
)  # fmt: skip
# "another judge", "a second nominee": not the one named.
_OTHER = frozenset(("another", "other", "second", "former", "fellow", "rival", "two", "three"))
_DETERMINERS = frozenset(("the", "a", "an", "this", "that", "its", "his", "her", "their"))


# Words that name the same office or side: "the GOP nominee" is the Republican nominee.
_SAME_WORD = {"gop": "republican", "democrat": "democratic", "justice": "judge"}
# Offices one person holds in a story, so that "a New York judge" who ruled in the lead
# is the judge the article names later.
_ONE_HOLDER = frozenset(
    ("judge", "nominee", "governor", "mayor", "president", "chancellor", "premier", "prosecutor")
)


def _title_words(text: str) -> list[str]:
    words = [w.strip(".,;:'’").lower() for w in text.split()]
    return [_SAME_WORD.get(w, w) for w in words if w and w not in _DETERMINERS]


def _link_titles(
    statements: Sequence[Statement], speakers: Sequence[ResolvedSpeaker]
) -> list[Statement]:
    """A bare title ("the minister", "the Central Bank president") is the one person the
    article gives that title: it takes that person's name, role and actor."""
    named: dict[str, Statement] = {}
    for st, speaker in zip(statements, speakers, strict=True):
        if speaker.person is not None and st.role:
            named.setdefault(st.speaker_name, st)
    out: list[Statement] = []
    for st, speaker in zip(statements, speakers, strict=True):
        words = _title_words(speaker.mention_text) if speaker.person is None else []
        # "a spokeswoman for the senator": a new person, not the spokeswoman named before
        new = speaker.mention_text.lower().startswith(("a ", "an "))
        matches = [
            person
            for person in named.values()
            if words
            and not new
            and _title_words(person.role or "")[-1:] == words[-1:]
            and set(words)
            <= set(_title_words(person.role or ""))
            | set(_title_words(person.actor.name if person.actor else ""))
        ]
        if not matches and words and speaker.mention_text.lower().startswith("the "):
            # "The Vermont senator added": the person who spoke just before, if their own
            # role (if any) is the same kind of office
            before = [
                o
                for o, sp in zip(out, speakers, strict=False)
                if sp.person is not None
                and 0 <= st.content.start - o.content.end <= NEAR_TITLE
                and (o.role is None or _title_words(o.role)[-1:] == words[-1:])
            ]
            if before and words[-1] in PUBLIC_HEADS:
                matches = [before[-1]]
        if not matches and words and words[-1] in _ONE_HOLDER and words[0] not in _OTHER:
            matches = [
                person
                for person in named.values()
                if _title_words(person.role or "")[-1:] == words[-1:]
            ]
        if len(matches) == 1:
            person = matches[0]
            st = replace(
                st,
                speaker_name=person.speaker_name,
                role=person.role or st.role,
                actor=st.actor or person.actor,
            )
        elif speaker.person is None and st.speaker_name.lower().startswith("the "):
            st = _same_as_before(st, out)
        out.append(st)
    return out


def _capitals(name: str) -> set[str]:
    """The capitalised words of a name after its first word ("The Reuters/Ipsos poll")."""
    return {w.lower() for w in name.split()[1:] if w[:1].isupper()}


def _same_as_before(st: Statement, before: Sequence[Statement]) -> Statement:
    """ "The spokesman said" after "a Finance Ministry spokesman said": the unnamed
    speaker introduced before with the same head noun, with its actor and role."""
    head = _title_words(st.speaker_name)[-1:]
    if not head:
        return st
    named = _capitals(st.speaker_name)
    for earlier in reversed(before):
        if named - _capitals(earlier.speaker_name):
            continue  # "the Reuters/Ipsos poll" names itself: not "a new poll" before
        words = _title_words(earlier.speaker_name)
        # "the sources" after "sources close to the minister": the same head noun
        if head[0] in (words[:1] + words[-1:]) and earlier.speaker_name[:1].islower():
            return replace(
                st,
                speaker_name=earlier.speaker_name,
                actor=st.actor or earlier.actor,
                role=st.role or earlier.role,
            )
    return st


# Things written that speak in the news; their sender is the speaker a reader wants.
DOCUMENT_NOUNS = frozenset(
    ("statement", "email", "e-mail", "memo", "memorandum", "letter", "release", "communique")
)
_SENDING_VERBS = frozenset(
    (
        "issue",
        "issued",
        "release",
        "released",
        "send",
        "sent",
        "publish",
        "published",
        "write",
        "wrote",
        "put",
        "said",
        "say",
        "says",
    )
)


def _sender(doc: Doc, noun: str, before: int) -> str | None:
    """Who sent the last ``noun`` ("statement") mentioned before offset ``before``."""
    for token in reversed([t for t in doc if t.idx < before and t.lower_ == noun]):
        agent = None
        owner = next((c for c in token.children if c.dep_ == "poss"), None)
        source = next(
            (
                g
                for c in token.children
                if c.dep_ == "prep" and c.lower_ in ("from", "by")
                for g in c.children
                if g.dep_ == "pobj"
            ),
            None,
        )
        verb = token.head.head if token.dep_ == "pobj" else token.head
        if owner is not None:
            agent = owner
        elif source is not None:
            agent = source
        elif verb.pos_ in ("VERB", "AUX") and (
            token.dep_ in ("dobj", "pobj") and verb.lower_ in _SENDING_VERBS
        ):
            agent = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if agent is None or agent.pos_ == "PRON":
            continue
        span = next((e for e in doc.ents if e.start <= agent.i < e.end), None)
        if span is None:
            span = doc[agent.left_edge.i : agent.i + 1]
        name = " ".join(span.text.replace("’s", "").replace("'s", "").split())
        return "the " + name[4:] if name.startswith("The ") else name
    return None
