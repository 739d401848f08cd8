"""From a source mention to a person or body: names across the article, pronouns, titles.

"Scholz" resolves to the "Olaf Scholz" named earlier; "he" to the last man who
spoke or was named; the words around a name ("German Chancellor", ", Sweden's
prime minister,", "of Sweden") are kept as the mention's context for its actor.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.lexicon import PERSONAL_PRONOUNS
from briefings.quotes import mention_span

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

TITLE_WORDS = frozenset(
    [
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "dr",
        "dr.",
        "sen",
        "sen.",
        "rep",
        "rep.",
        "gov",
        "gov.",
        "gen",
        "gen.",
        "lt",
        "col",
        "president",
        "chancellor",
        "minister",
        "premier",
        "king",
        "queen",
        "prince",
        "pope",
        "senator",
        "governor",
        "mayor",
        "councillor",
        "councilor",
        "councilman",
        "councilwoman",
        "commissioner",
        "secretary",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "ambassador",
        "general",
        "admiral",
        "chairman",
        "chairwoman",
        "chair",
        "leader",
        "prime",
        "foreign",
        "defence",
        "defense",
        "interior",
        "finance",
        "deputy",
        "vice",
        "sir",
        "lord",
        "lady",
        "dame",
        "representative",
        "congressman",
        "congresswoman",
        "commissioner",
        "director",
        "chief",
        "head",
        "envoy",
    ]
)
FEMALE = frozenset(["she", "her", "hers", "herself"])
MALE = frozenset(["he", "him", "his", "himself"])
_FEMALE_TITLES = frozenset(
    ["mrs", "mrs.", "ms", "ms.", "queen", "lady", "dame", "spokeswoman", "chairwoman"]
)


@dataclass(frozen=True, slots=True)
class Person:
    """A person named in the article: full name, where first named, and the words around."""

    name: str
    first: int  # character offset of the first mention
    context: tuple[str, ...]  # title phrases seen around any of its mentions
    female: bool | None


# "Prime Minister Jan Novak of Ruritania", "a spokesman for the foreign ministry", "an
# official in Tokyo": the phrases after a mention that say whom it speaks for
CONTEXT_PREPOSITIONS = frozenset(("of", "from", "for", "at", "in"))


def _clean_name(ent: Span) -> str:
    words = [t for t in ent if not t.is_punct or t.text == "."]
    # titles, cues and adjectives lead a name ("Said Ellis", "German Chancellor Olaf
    # Scholz"); a title word later is the name itself ("Larry King", "Ann Bishop")
    while len(words) > 1 and (
        words[0].lower_ in TITLE_WORDS
        or words[0].lower_ in _LEADING_CUES
        or words[0].tag_ == "JJ"
        or words[0].is_punct
    ):
        words.pop(0)
    words = [t for t in words if not t.is_punct]
    if len(words) == 1 and words[0].lower_ in TITLE_WORDS and ent.label_ != "PERSON":
        return ""
    while words and words[-1].lower_ in ("'s", "’s"):
        words.pop()
    return " ".join(t.text for t in words)


def _title_case(line: str) -> bool:
    """'Paper Says Poindexter May Link Reagan To Funds': a headline in title case."""
    words = [w for w in line.split() if w[:1].isalpha()]
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _person_inside(
    ent: Span, given_name_female: Callable[[str], bool | None] | None
) -> Span | None:
    """A person's name the recogniser ran into an organisation's: "Credit Suisse Paul
    Hofer" ends in a known given name and a surname."""
    if ent.label_ != "ORG" or given_name_female is None or len(ent) < 3:
        return None
    given, surname = ent[-2], ent[-1]
    if not (given.pos_ == surname.pos_ == "PROPN" and given.is_title and surname.is_title):
        return None
    if given_name_female(f"{given.text} {surname.text}") is None:
        return None
    return ent.doc[given.i : surname.i + 1]


def context_of(token: Token) -> list[str]:
    """Title words around a name: left modifiers, appositions, "of Sweden"."""
    doc = token.doc
    pieces: list[str] = []
    left = [t for t in token.subtree if t.i < token.i and t.ent_type_ != "PERSON"]
    # the capitalised title run right before the name, however it was parsed
    # ("U.S. Agriculture Secretary Richard Lyng")
    first = token.i
    while first > 0 and doc[first - 1].ent_type_ == "PERSON":
        first -= 1
    walk = first
    while walk > 0 and (
        doc[walk - 1].text[:1].isupper() or doc[walk - 1].lower_ in _TITLE_RUN_WORDS
    ):
        if "\n" in doc[walk - 1].text or doc[walk - 1].is_punct:
            break
        walk -= 1
    if walk < first and (not left or walk < min(t.i for t in left)):
        left = list(doc[walk:first])
    if left:
        start = min(t.i for t in left)
        # Only the contiguous run up to the name (drop leading determiners of a clause).
        run = doc[start : token.i]
        words = [t.text for t in run if t.ent_iob_ == "O" or t.ent_type_ != "PERSON"]
        if words:
            pieces.append(" ".join(words))
    for child in token.rights:
        if child.dep_ == "appos":
            # "Ana Ruiz, the foreign minister of Peru, a member of the council,": the
            # apposition's own words, up to a further apposition or clause about it
            # (which still count as words around the person, after it)
            end = child.right_edge.i + 1
            for inner in child.rights:
                if inner.dep_ in ("appos", "relcl", "acl") and inner.left_edge.i < end:
                    end = inner.left_edge.i
            rest = end
            while end > child.i + 1 and doc[end - 1].is_punct:
                end -= 1
            pieces.append(doc[child.left_edge.i : end].text)
            if rest <= child.right_edge.i:
                pieces.append(doc[rest : child.right_edge.i + 1].text.strip(" ,"))
        elif child.dep_ == "prep" and child.lower_ in CONTEXT_PREPOSITIONS:
            pieces.append(doc[child.i : child.right_edge.i + 1].text)
    if token.dep_ == "appos":
        head = token.head
        pieces.append(doc[head.left_edge.i : head.i + 1].text)
    tag = _PARTY_TAG.match(doc.text, _name_end(token))
    if tag is not None:
        # "Jon Tester (D-Mont.)": a US legislator's party and state
        pieces.append(f"{_PARTY_LETTERS[tag.group(1)]} legislator from {tag.group(2)}")
    return [p for p in pieces if p.strip()]


_LEADING_CUES = frozenset(("said", "says", "added", "adds", "asked", "asks"))
# Lower-case words a title run before a name may hold ("Victoria state treasurer Ann Lee").
_TITLE_RUN_WORDS = TITLE_WORDS | frozenset(
    ("'s", "’s", "state", "provincial", "federal", "regional", "national", "treasurer")
)

# The party and state after a US legislator's name: "(D-Mont.)", "(R-Ky.)", "(I-Vt.)".
_PARTY_TAG = re.compile(r"\s*\(([DRI])-\s?([A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*)?)\)")
_PARTY_LETTERS = {"D": "Democratic", "R": "Republican", "I": "independent"}


def _name_end(token: Token) -> int:
    """Where the name ``token`` belongs to ends in the text."""
    end = token.i
    while end + 1 < len(token.doc) and token.doc[end + 1].ent_type_ == "PERSON":
        end += 1
    last = token.doc[end]
    return last.idx + len(last.text)


def _genders_from_pronouns(doc: Doc, mentions: list[tuple[int, str]]) -> dict[str, bool]:
    """Each person's gender as the article's own pronouns tell it: in a sentence that
    names one person only, and in the next one when it names nobody, "he/his" and
    "she/her" outside quotation marks point to that person. True is female."""
    by_sentence: dict[int, set[str]] = {}
    sentences = list(doc.sents)
    starts = [sent.start_char for sent in sentences]
    for offset, name in mentions:
        index = bisect.bisect_right(starts, offset) - 1
        by_sentence.setdefault(index, set()).add(name)
    votes: dict[str, list[int]] = {}
    for index, names in by_sentence.items():
        if len(names) != 1:
            continue
        (name,) = names
        window = [sentences[index]]
        if index + 1 < len(sentences) and index + 1 not in by_sentence:
            window.append(sentences[index + 1])
        tally = votes.setdefault(name, [0, 0])
        for sent in window:
            for token in sent:
                if token.lower_ in MALE:
                    tally[0] += 1
                elif token.lower_ in FEMALE:
                    tally[1] += 1
    return {name: f > m for name, (m, f) in votes.items() if m != f}


class PersonIndex:
    """The people an article names, so a surname or pronoun finds its full name."""

    def __init__(
        self,
        doc: Doc,
        inside_quote: list[bool],
        given_name_female: Callable[[str], bool | None] | None = None,
    ) -> None:
        """``given_name_female`` tells a full name's sex from its given name, when the
        article's titles and pronouns do not."""
        self.doc = doc
        self.text = doc.text  # spaCy builds doc.text anew on every access
        self.persons: dict[str, Person] = {}
        self.mentions: list[tuple[int, str]] = []  # (offset, full name) in text order
        surnames: dict[str, str] = {}
        names: list[tuple[int, str, list[str], bool | None]] = []
        headline_end = self.text.find("\n") if _title_case(self.text.split("\n", 1)[0]) else -1
        for ent in doc.ents:
            if inside_quote[ent.start_char]:
                continue
            if ent.start_char < headline_end and self.text.count(ent.text) == 1:
                continue  # "… May Link Reagan To Funds": a capitalised headline misleads
            # the recogniser; a name it gives that the story never repeats is no name
            person = ent if ent.label_ == "PERSON" else _person_inside(ent, given_name_female)
            if person is None:
                continue
            ent = person
            name = _clean_name(ent)
            if not name:
                continue
            female = None
            before = doc[ent.start - 1] if ent.start > 0 else None
            if before is not None and before.lower_ in _FEMALE_TITLES:
                female = True
            names.append((ent.start_char, name, context_of(ent.root), female))
        # Longest names first so that "Scholz" maps to "Olaf Scholz".
        shared: dict[str, set[str]] = {}
        for _, name, _, _ in sorted(names, key=lambda n: -len(n[1].split())):
            parts = name.split()
            if len(parts) > 1:
                surnames.setdefault(parts[-1].lower(), name)
                shared.setdefault(parts[-1].lower(), set()).add(parts[0].lower())
        # surnames two people of the article share ("Keith Scott", "Rakeyia Scott")
        self.ambiguous = frozenset(k for k, given in shared.items() if len(given) > 1)
        self.surnames = surnames
        genders = _genders_from_pronouns(doc, [(o, self.full_name(n)) for o, n, _, _ in names])
        for offset, name, context, female in names:
            full = self.full_name(name)
            if female is None:
                female = genders.get(full)
            if female is None and given_name_female is not None:
                female = given_name_female(full)
            known = self.persons.get(full)
            if known is None:
                self.persons[full] = Person(full, offset, tuple(context), female)
            else:
                self.persons[full] = Person(
                    full,
                    known.first,
                    known.context + tuple(c for c in context if c not in known.context),
                    known.female if known.female is not None else female,
                )
            self.mentions.append((offset, full))
        self.mentions.sort()
        # Who the sentences are about: people named as a clause's subject, also by a
        # surname the recogniser missed ("Trump never missed a chance …")
        self.subjects: list[tuple[int, str]] = []
        for token in doc:
            if token.dep_ not in ("nsubj", "nsubjpass") or inside_quote[token.idx]:
                continue
            if not token.text[:1].isupper() or token.pos_ == "PRON":
                continue
            if token.lower_ in self.ambiguous:
                continue
            found = self.named_by(token)
            if found is not None:
                self.subjects.append((token.idx, found.name))

    def named_by(self, token: Token) -> Person | None:
        """The person of the article a token names: by a surname the article gave a full
        name to, or by a name the recogniser found."""
        found: str | None = self.surnames.get(token.lower_)
        if found is None and token.ent_type_ == "PERSON":
            span = _entity_of(token)
            found = self.full_name(_clean_name(span)) if span is not None else None
        return self.persons.get(found) if found is not None else None

    def full_name(self, name: str) -> str:
        parts = name.split()
        if not parts:
            return name
        if len(parts) == 1:
            return self.surnames.get(parts[0].lower(), name)
        # "De Blasio" at the head of a sentence is "Bill de Blasio": the end of a full name
        known = self.surnames.get(parts[-1].lower())
        if known is not None and known.lower().endswith(" " + name.lower()):
            return known
        return name

    def last_before(self, offset: int) -> str | None:
        found = None
        for pos, name in self.mentions:
            if pos >= offset:
                break
            found = name
        return found


@dataclass(frozen=True, slots=True)
class ResolvedSpeaker:
    name: str
    person: Person | None
    context: tuple[str, ...]  # title phrases of this mention, then of the person's others
    mention_text: str


def _entity_of(token: Token) -> Span | None:
    for ent in token.doc.ents:
        if ent.start <= token.i < ent.end:
            return ent
    return None


def resolve_speaker(
    token: Token,
    mention: tuple[int, int],
    index: PersonIndex,
    previous: list[tuple[int, ResolvedSpeaker]],
) -> ResolvedSpeaker:
    """Name the source whose mention head is ``token``.

    ``previous`` holds the speakers resolved so far (offset, speaker), in text order.
    """
    doc = token.doc
    text = index.text[mention[0] : mention[1]]
    if token.tag_ in ("WP", "WDT") and token.head.dep_ in ("relcl", "acl"):
        antecedent = token.head.head
        # "the bank's chief, who said": the antecedent's whole mention names the speaker
        named = resolve_speaker(antecedent, mention_span(antecedent), index, previous)
        return ResolvedSpeaker(named.name, named.person, named.context, text)
    low = token.lower_
    if (low in PERSONAL_PRONOUNS or low == "it") and token.pos_ == "PRON":
        return _resolve_pronoun(token, index, previous, text)
    named_after = _name_after_title(token, index)
    if named_after is not None:
        # "Norway's Oil Minister, Per Haugland, said": a name set off by commas after a
        # title is the speaker, however the parser read it
        person = index.persons.get(named_after)
        context = tuple(context_of(token)) + (person.context if person else ())
        return ResolvedSpeaker(named_after, person, context, text)
    among = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "including"), None)
    named_in = next((c for c in among.children if c.dep_ == "pobj"), None) if among else None
    if named_in is not None and named_in.ent_type_ == "PERSON":
        # "some delegates including Finance Minister Ana Ruiz said": the one named speaks
        return resolve_speaker(named_in, mention_span(named_in), index, previous)
    appos = next((c for c in token.children if c.dep_ == "appos"), None)
    if (
        token.pos_ in ("NOUN", "NUM")
        and appos is not None
        and (appos.ent_type_ == "PERSON" or (appos.pos_ == "PROPN" and not appos.ent_type_))
    ):
        # ("one of the family's lawyers, Ana Ruiz, said": the one named)
        # "Brazil's finance minister, Paulo Sardinha, said": the title speaks by name
        named = resolve_speaker(appos, mention_span(appos), index, previous)
        context = tuple(context_of(token)) + named.context
        return ResolvedSpeaker(named.name, named.person, context, text)
    ent = _entity_of(token)
    if ent is not None and ent.label_ == "PERSON":
        name = index.full_name(_clean_name(ent))
        person = index.persons.get(name)
        context = tuple(context_of(token)) + (person.context if person else ())
        return ResolvedSpeaker(name, person, context, text)
    # a surname the recogniser mislabels later on ("Valdivieso" as ORG) is still the person
    # and so is one the tagger reads as an adjective ("Conable", "Notable")
    if (token.pos_ == "PROPN" and token.ent_type_ in ("", "PERSON")) or (
        token.text[:1].isupper() and token.lower_ in index.surnames
    ):
        name = index.full_name(token.text)
        person = index.persons.get(name)
        if person is not None:
            return ResolvedSpeaker(name, person, tuple(context_of(token)) + person.context, text)
    titled = _titled_name(token, mention)
    if titled:
        # "Mayor Ines Cole" that the entity recogniser missed: the title is a role
        name = index.full_name(titled)
        person = index.persons.get(name)
        context = tuple(context_of(token)) + (person.context if person else ())
        return ResolvedSpeaker(name, person, context, text)
    name = text
    if name[:1].isupper() and doc[token.left_edge.i].lower_ in ("the", "a", "an"):
        name = name[0].lower() + name[1:]
    return ResolvedSpeaker(name, None, tuple(context_of(token)), text)


_APPOSED_NAME = re.compile(r"\s*,\s*((?:[A-Z][\w'’.-]+\s+){1,3}[A-Z][\w'’-]+)\s*,")


def _name_after_title(token: Token, index: PersonIndex) -> str | None:
    """The full name between commas right after a title head ("the minister, Jan Kowal,")."""
    if token.lower_ not in TITLE_WORDS and token.lower_ not in ("official", "head", "leader"):
        return None
    end = token.idx + len(token.text)
    found = _APPOSED_NAME.match(index.text, end)
    if found is None:
        return None
    span = token.doc.char_span(found.start(1), found.end(1), alignment_mode="expand")
    if span is None or any(t.ent_type_ in ("GPE", "ORG", "NORP", "DATE") for t in span):
        return None
    return index.full_name(found.group(1))


def _titled_name(token: Token, mention: tuple[int, int]) -> str:
    """The name in a mention made of a person's title and proper nouns, else ""."""
    if token.pos_ != "PROPN" or token.ent_type_ in ("GPE", "NORP", "LOC", "FAC"):
        return ""
    span = token.doc.char_span(*mention, alignment_mode="expand")
    if span is None:
        return ""
    words = [t for t in span if not t.is_punct]
    while words and (words[0].tag_ == "JJ" or words[0].ent_type_ == "NORP"):
        words.pop(0)  # "German" in "German Chancellor Olaf Scholz"
    if len(words) < 2 or words[0].lower_ not in TITLE_WORDS:
        return ""
    if not all(t.pos_ == "PROPN" or t.lower_ in TITLE_WORDS for t in words):
        return ""
    names = [t for t in words if t.lower_ not in TITLE_WORDS]
    if token.ent_type_ == "ORG" and len(names) < 2:
        return ""  # "General Motors" is a company
    return " ".join(t.text for t in names)


# A speaker this close before a pronoun (in characters) is who the pronoun means.
CLOSE_SPEAKER = 400
# Singular nouns for one person who speaks without a name: "a spokesman", "the official".
HUMAN_NOUNS = frozenset(
    (
        "spokesman", "spokeswoman", "spokesperson", "official", "minister", "secretary",
        "source", "aide", "adviser", "advisor", "diplomat", "president", "chairman",
        "chairwoman", "director", "governor", "senator", "ambassador", "envoy", "economist",
        "analyst", "lawyer", "investigator", "officer", "executive", "leader", "judge",
        "negotiator", "representative", "delegate", "commissioner", "chief", "head",
    )
)  # fmt: skip


def _one_human(speaker: ResolvedSpeaker) -> bool:
    """Whether a resolved speaker is one person: named, or "a spokesman"."""
    if speaker.person is not None:
        return True
    words = speaker.name.lower().split()
    return bool(words) and words[-1] in HUMAN_NOUNS


def _gender(speaker: ResolvedSpeaker) -> bool | None:
    if speaker.person is not None:
        return speaker.person.female
    head = speaker.name.lower().split()[-1]
    return True if head in ("spokeswoman", "chairwoman") else None


def _again(speaker: ResolvedSpeaker, text: str) -> ResolvedSpeaker:
    return ResolvedSpeaker(speaker.name, speaker.person, speaker.context, text)


def _resolve_pronoun(
    token: Token,
    index: PersonIndex,
    previous: list[tuple[int, ResolvedSpeaker]],
    text: str,
) -> ResolvedSpeaker:
    low = token.lower_
    offset = token.idx
    if low == "it":
        body = _it_antecedent(token, index, previous)
        if body is not None:
            return _again(body, text)
    if low in ("they", "them", "it"):
        for _, speaker in reversed(previous):
            if speaker.person is None and speaker.name.lower() not in PERSONAL_PRONOUNS:
                return ResolvedSpeaker(speaker.name, None, speaker.context, text)
        return ResolvedSpeaker(text, None, (), text)
    want_female = low in FEMALE
    governing = _governing_subject(token, index)
    if governing is not None and governing.female in (None, want_female):
        # "X said Trump was right when he said …": the subject of the clause "he" hangs on
        return ResolvedSpeaker(governing.name, governing, governing.context, text)
    recent = [(pos, sp) for pos, sp in previous if 0 <= offset - pos <= 1500 and _one_human(sp)]
    # The speaker just before, when close and not of the other sex: "…, an official
    # said. He added …".
    if recent:
        pos, speaker = recent[-1]
        if offset - pos <= CLOSE_SPEAKER and _gender(speaker) in (None, want_female):
            return _again(speaker, text)
    # Else the nearest speaker or subject who agrees (for sure, then maybe), then the
    # nearest speaker or person named at all who does.
    for people in (index.subjects, index.mentions):
        near = [(pos, name) for pos, name in people if pos < offset and offset - pos <= 1500]
        found = _nearest_agreeing(recent, near, index, want_female, text)
        if found is not None:
            return found
    return ResolvedSpeaker(text, None, (), text)


def _nearest_agreeing(
    recent: list[tuple[int, ResolvedSpeaker]],
    people: list[tuple[int, str]],
    index: PersonIndex,
    want_female: bool,
    text: str,
) -> ResolvedSpeaker | None:
    """The nearest of the recent speakers and ``people`` (offset, full name) whose sex is
    the one wanted for sure, else the nearest whose sex the article leaves open."""
    for wanted in (want_female, None):
        best: tuple[int, ResolvedSpeaker] | None = None
        for pos, speaker in recent:
            if _gender(speaker) is wanted and (best is None or pos >= best[0]):
                best = (pos, speaker)
        for pos, name in people:
            person = index.persons[name]
            if person.female is wanted and (best is None or pos > best[0]):
                best = (pos, ResolvedSpeaker(name, person, person.context, text))
        if best is not None:
            return _again(best[1], text)
    return None


# Nouns for a body that can say something as "it": "the ministry … It said".
IT_NOUNS = frozenset(
    (
        "ministry", "government", "department", "agency", "commission", "committee",
        "council", "company", "bank", "group", "union", "party", "organisation",
        "organization", "office", "administration", "cabinet", "court", "board", "paper",
        "newspaper", "daily", "weekly", "institute", "fund", "association", "federation",
        "alliance", "bureau", "embassy", "parliament", "congress", "senate", "firm",
        "corporation", "exchange", "authority", "regime", "league", "campaign", "network",
        "station", "radio", "television", "magazine", "coalition", "junta", "secretariat",
        "directorate", "army", "military", "navy", "police", "kremlin", "pentagon",
    )
)  # fmt: skip
# How many sentences back (besides its own) "it" looks for the body it stands for.
IT_SENTENCES = 2


def _it_antecedent(
    token: Token, index: PersonIndex, previous: list[tuple[int, ResolvedSpeaker]]
) -> ResolvedSpeaker | None:
    """The body "it" stands for: the nearest ministry, company or paper in its own or
    the two sentences before (their subjects first), unless a body spoke nearer."""
    doc = token.doc
    sentences = [token.sent]
    while len(sentences) <= IT_SENTENCES and sentences[-1].start > 0:
        sentences.append(doc[sentences[-1].start - 1].sent)
    for sent in sentences:
        found = [
            t
            for t in sent
            if t.i < token.i
            and t.pos_ in ("NOUN", "PROPN")
            and t.dep_ != "compound"
            and (t.lower_ in IT_NOUNS or (t.ent_type_ == "ORG" and t.pos_ == "PROPN"))
            and t.lower_ not in index.surnames  # a person the recogniser took for a body
        ]
        if not found:
            continue
        subjects = [t for t in found if t.dep_ in ("nsubj", "nsubjpass")]
        body = (subjects or found)[-1]
        for pos, speaker in reversed(previous):
            if (
                body.idx < pos < token.idx
                and speaker.person is None
                and not _one_human(speaker)
                and speaker.name.lower() not in PERSONAL_PRONOUNS
            ):
                return speaker  # a body that spoke after it was named
            if pos <= body.idx:
                break
        return resolve_speaker(body, mention_span(body), index, previous)
    return None


def _governing_subject(token: Token, index: PersonIndex) -> Person | None:
    """The person who is the subject of the clause a pronoun's clause depends on:
    "Trump was right when he said" -> Trump; "Ann Lee won and she said" -> Ann Lee."""
    verb = token.head
    if token.dep_ not in ("nsubj", "nsubjpass") or verb.dep_ not in ("advcl", "conj"):
        return None
    parent = verb.head
    subject = next((c for c in parent.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or subject.pos_ == "PRON" or subject.i > token.i:
        return None
    return index.named_by(subject)
