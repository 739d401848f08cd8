"""Find attributions in a parsed article: direct, indirect and mixed speech.

Pure functions over a spaCy ``Doc``. Offsets are character offsets into ``doc.text``.
The approach: every reporting verb outside quotation marks with a source as subject
(or an "according to X") yields a statement whose content is its clausal complement;
quotation marks that the complement touches turn it direct (the whole quote, over
sentence boundaries) or mixed; quotes that no verb claims are tied to the nearest
cue in their sentence, or continue the previous speaker's quote in the paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

from briefings.lexicon import (
    DESCRIBE_FORMS,
    FIRST_SECOND_PERSON,
    MENTAL_VERBS,
    NON_SOURCE_SUBJECTS,
    OBJECT_FORMS,
    PREP_FORMS,
    PREP_VERBS,
    REFUSAL_FORMS,
    SPEECH_FORMS,
)
from briefings.models import Kind

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

OPENING = "\u201c"
CLOSING = "\u201d"
STRAIGHT = '"'
QUOTE_CHARS = frozenset((OPENING, CLOSING, STRAIGHT))
_PARAGRAPH = re.compile(r"[^\n]+")
# "WALLACE: ..." or "Lynch: ..." at the start of a line (after an opening mark, if any)
_LABEL = re.compile(r"[\"“]?\s*([A-Z][\w.’'\- ]{0,40}?[\w.]):\s+(\S.*)")
_NOT_LABELS = frozenset(
    [
        "UPDATE",
        "NOTE",
        "EDITOR'S NOTE",
        "EDITOR’S NOTE",
        "CORRECTION",
        "WATCH",
        "READ MORE",
        "RELATED",
        "PHOTO",
        "PHOTOS",
        "VIDEO",
        "BREAKING",
        "Q",
        "A",
        "SOURCE",
        "SOURCES",
    ]
)
_TRIM = " \t\n,;:.—–-"
# '“…” ― Jane Doe': a dash after a closing mark, then a name to the end of the line
_DASH_SOURCE = re.compile(r"[ \t\u00a0]*[\u2015\u2014\u2013-][ \t\u00a0]*([^\n]{2,80})$", re.M)
_SUBJECT_DEPS = frozenset(("nsubj",))
_NO_SAYING = frozenset(
    ("be", "comment", "elaborate", "specify", "identify", "say", "discuss", "disclose", "give")
)
_CLOSE_WORDS = frozenset(("close", "closer", "linked", "familiar", "near", "loyal", "tied"))
_CONCESSIVE = frozenset(("although", "though", "whereas"))
_SOURCE_END = re.compile(r"[,;\u2014\u2013]| - ")
_TIME_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "decade",
        "decades",
        "hour",
        "hours",
        "minute",
        "minutes",
        "morning",
        "afternoon",
        "evening",
        "night",
        "weekend",
        "season",
        "quarter",
        "time",
    ]
)
# What a thing can do without speaking: "it shows that …", "it suggests …".
_EVIDENCE_VERBS = frozenset(("show", "reveal", "indicate", "suggest", "find", "mean", "hint"))
# What measures opinion and speaks through its figures: "the poll shows Smith ahead".
_SURVEYS = frozenset(
    ("poll", "polls", "survey", "surveys", "average", "study", "census", "tally", "count")
)
_FINITE = frozenset(("VBD", "VBZ", "VBP", "MD"))
_QUOTED_AS = frozenset(("saying", "telling", "stating", "adding", "warning"))
# Entities that name a source of their own: a person, a body, a place's government.
_SOURCE_ENTITIES = frozenset(("PERSON", "ORG", "GPE", "NORP"))
_MENTION_LEFT_DEPS = frozenset(
    ("compound", "amod", "det", "poss", "nmod", "nummod", "quantmod", "case", "punct", "cc")
)


@dataclass(frozen=True, slots=True)
class Quote:
    """A stretch between quotation marks; ``start``/``end`` include the marks."""

    start: int
    end: int
    paragraph: int
    open_ended: bool = False  # runs to the paragraph's end (a quote continued in the next one)
    marks: tuple[int, int] = (1, 1)  # widths of the opening and closing marks (`` and '' are 2)

    @property
    def inner(self) -> tuple[int, int]:
        return (self.start + self.marks[0], self.end - (0 if self.open_ended else self.marks[1]))


@dataclass(slots=True)
class Attribution:
    """One raw finding, before names and actors are resolved."""

    speaker: tuple[int, int]
    speaker_token: int  # index of the mention's head token in the doc
    cue: tuple[int, int] | None
    content: tuple[int, int]
    kind: Kind
    parts: list[tuple[int, int]] = field(default_factory=list)
    quote_ids: set[int] = field(default_factory=set)


def find_quotes(text: str) -> list[Quote]:
    """Pair quotation marks paragraph by paragraph.

    An unbalanced mark costs at most its own paragraph: a paragraph that opens with
    a quote and never closes it is the common multi-paragraph convention and runs to
    its end; any other stray mark is ignored.
    """
    quotes: list[Quote] = []
    for number, para in enumerate(_PARAGRAPH.finditer(text)):
        base = para.start()
        body = para.group()
        opened: int | None = None
        found: list[Quote] = []
        lead = len(body) - len(body.lstrip())
        skip = -1
        width = 1  # of the opening mark
        for offset, char in enumerate(body):
            if offset == skip:
                continue
            pair = body[offset : offset + 2]
            if pair in ("``", "''"):
                # typewriter marks of the newswire and the NYT: ``…'' (and "…'')
                skip = offset + 1
                char = OPENING if pair == "``" or opened is None else CLOSING
            elif char not in QUOTE_CHARS:
                continue
            pos = base + offset
            if char == CLOSING and opened is not None and pair == "''":
                if pos - opened > 1:
                    found.append(Quote(opened, pos + 2, number, marks=(width, 2)))
                opened = None
                continue
            mark = 2 if pair in ("``", "''") else 1
            if char == OPENING or (char == CLOSING and opened is None and offset == lead):
                # a paragraph may open with a closing mark typed the wrong way round
                # (and two openings in a row: the first was stray, or a nested quote)
                opened, width = pos, mark
            elif char == STRAIGHT and opened is None:
                opened, width = pos, mark
            elif opened is not None:
                if pos - opened > 1:
                    found.append(Quote(opened, pos + 1, number, marks=(width, 1)))
                opened = None
        if opened is not None and not body[: opened - base].strip():
            end = base + len(body.rstrip())
            if end - opened > 1:
                found.append(Quote(opened, end, number, open_ended=True, marks=(width, 0)))
        quotes.extend(found)
    return quotes


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past spaces and clause punctuation at both ends."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _strip_marks(text: str, start: int, end: int) -> tuple[int, int]:
    start, end = _trim(text, start, end)
    while start < end and (text[start] in QUOTE_CHARS or text[start : start + 2] in _PAIRS):
        start += 2 if text[start : start + 2] in _PAIRS else 1
    while end > start and (text[end - 1] in QUOTE_CHARS or text[end - 2 : end] in _PAIRS):
        end -= 2 if text[end - 2 : end] in _PAIRS else 1
    return _trim(text, start, end)


_PAIRS = ("``", "''")


class _Index:
    """Which characters lie inside quotes, and which quote."""

    def __init__(self, text: str, quotes: list[Quote]) -> None:
        self.quotes = quotes
        self.text = text  # read from the Doc once: spaCy builds doc.text anew on every access
        self.owner = [-1] * (len(self.text) + 1)
        for qid, quote in enumerate(quotes):
            for pos in range(quote.start, quote.end):
                self.owner[pos] = qid
        self.paragraph_of = [0] * (len(self.text) + 1)
        for number, para in enumerate(_PARAGRAPH.finditer(self.text)):
            for pos in range(para.start(), para.end() + 1):
                self.paragraph_of[pos] = number

    def inside(self, token: Token) -> bool:
        return self.owner[token.idx] >= 0

    def overlapping(self, start: int, end: int) -> list[int]:
        seen: list[int] = []
        for pos in range(start, end):
            qid = self.owner[pos]
            if qid >= 0 and qid not in seen:
                seen.append(qid)
        return seen


def _span_chars(tokens: Iterable[Token]) -> tuple[int, int]:
    toks = list(tokens)
    start = min(t.idx for t in toks)
    end = max(t.idx + len(t.text) for t in toks)
    return start, end


def _subtree_chars(token: Token) -> tuple[int, int]:
    return token.left_edge.idx, token.right_edge.idx + len(token.right_edge.text)


def mention_span(token: Token) -> tuple[int, int]:
    """The source mention around its head: titles, names, possessors; not clauses."""
    start = token.i
    for child in token.lefts:
        if child.dep_ in _MENTION_LEFT_DEPS:
            start = min(start, child.left_edge.i)
    doc = token.doc
    end = token.i + 1
    # "Donald Trump's" and "U.S." style trailing pieces
    while end < len(doc) and doc[end].dep_ in ("case",) and doc[end].head == token:
        end += 1
    while start < token.i and doc[start].is_punct:
        start += 1
    span = doc[start:end]
    return span.start_char, span.end_char


def _subject(verb: Token, depth: int = 0) -> Token | None:
    """The source of a reporting verb, following participles and conjuncts up.

    A relative pronoun ("who said") is itself the mention; its antecedent names it.
    """
    subjects = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
    if subjects:
        # "LISBON, May 4 — The minister said": the subject nearest the verb speaks
        before = [c for c in subjects if c.i < verb.i]
        if len(before) >= 2 and _close_to(before[-2], before[-1]):
            return before[-2]  # "sources close to minister X said": the sources
        return before[-1] if before else subjects[0]
    if depth >= 2:
        return None
    head = verb.head
    if verb.dep_ in ("advcl", "xcomp") and verb.tag_ == "VBG" and head.pos_ in ("VERB", "AUX"):
        return _subject(head, depth + 1)
    if _reported_conjunct(verb):
        # "said the border would reopen and urged traders to wait": the one who said urged
        return _subject(head.head, depth + 1)
    if verb.dep_ == "conj" and head.pos_ == "VERB":
        return _subject(head, depth + 1)
    if verb.dep_ == "acl" and verb.tag_ == "VBG" and head.pos_ in ("NOUN", "PROPN"):
        return head
    return None


def _close_to(far: Token, near: Token) -> bool:
    """'sources close to finance minister X': the parse may make X a second subject."""
    link = far.doc[far.i + 1] if far.i + 1 < near.i else None
    return link is not None and link.lower_ in _CLOSE_WORDS and far.pos_ == "NOUN"


def source_span(subject: Token) -> tuple[int, int]:
    """The source mention, with what ties it to someone named ("sources close to X")."""
    start, end = mention_span(subject)
    verb = subject.head
    later = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS and subject.i < c.i < verb.i]
    if later and _close_to(subject, later[-1]):
        end = later[-1].idx + len(later[-1].text)
    return start, end


def _reported_conjunct(verb: Token) -> bool:
    """'said the border would reopen and urged traders to wait': a speech verb the parse
    joined to the reported clause, with no subject of its own and the outer verb's tense,
    is the speaker's second act, not part of what was said."""
    head = verb.head
    if verb.dep_ != "conj" or head.dep_ != "ccomp":
        return False
    outer = head.head
    low = verb.lower_
    if low not in SPEECH_FORMS and low not in OBJECT_FORMS and low not in PREP_FORMS:
        return False
    if any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        return False
    return verb.tag_ == outer.tag_ and outer.lower_ in SPEECH_FORMS


def _acceptable_source(subject: Token, index: _Index) -> bool:
    if index.inside(subject):
        return False
    if subject.tag_ in ("WP", "WDT") and subject.head.dep_ not in ("relcl", "acl"):
        return False
    if subject.ent_type_ in ("PERCENT", "MONEY", "QUANTITY", "ORDINAL"):
        return False
    if subject.ent_type_ in ("DATE", "TIME") and (
        subject.like_num or subject.lower_ in _TIME_WORDS
    ):
        return False  # "Tuesday marked …"; but "May 2 - The Finance Ministry said" speaks
    low = subject.lower_
    if low in NON_SOURCE_SUBJECTS or low in FIRST_SECOND_PERSON:
        return False
    return subject.pos_ in ("PROPN", "NOUN", "PRON") or subject.ent_type_ != "" or low in _SURVEYS


def _it_said(verb: Token, subject: Token, index: _Index) -> bool:
    """'the ministry said it would …, it said': "it" is a body that speaks when it says,
    announces or warns something (a clause follows), not when it shows or believes."""
    if subject.lower_ != "it" or index.inside(subject):
        return False
    base = SPEECH_FORMS.get(verb.lower_)
    if base is None or base in MENTAL_VERBS or base in _EVIDENCE_VERBS:
        return False
    return any(c.dep_ == "ccomp" for c in verb.children)


def _cue_chars(verb: Token, extra: Token | None = None) -> tuple[int, int]:
    tokens = [verb]
    negation = [c for c in verb.children if c.dep_ == "neg" and c.i < verb.i]
    if negation:
        # "isn't saying", "did not say": the negation is part of what was done
        tokens += negation + [
            c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.i < verb.i
        ]
    if extra is not None:
        tokens.append(extra)
    # "ruled out", "played down": the particle is part of the verb
    tokens += [c for c in verb.children if c.dep_ == "prt" and c.i == verb.i + 1]
    return _span_chars(tokens)


def _complement(verb: Token) -> tuple[tuple[int, int], Token | None] | None:
    """The words a reporting verb reports, and the particle that joins the cue, if any."""
    lower = verb.lower_
    children = list(verb.children)
    dated = _after_the_day(verb, children)
    if dated is not None:
        return dated, None
    for child in children:
        if child.dep_ == "ccomp" and child.i > verb.i - 60:
            start, end = _subtree_chars(child)
            if child.left_edge.i < verb.i and child.left_edge.tag_ in ("WDT", "WP"):
                # "donations, which he said were accompanied by favours": the words
                # after the cue, of the thing the relative pronoun stands for
                start = verb.doc[verb.i + 1].idx
            last = child
            for later in children:
                if later.dep_ == "ccomp" and later.i > last.i and _adjacent(last, later):
                    # "said they were hopeful a deal could be reached": the parse may hang
                    # the second half on the verb as a clause of its own
                    end, last = _subtree_chars(later)[1], later
            thing = next((c for c in children if c.dep_ == "dobj" and verb.i < c.i < child.i), None)
            if thing is not None and lower in OBJECT_FORMS and thing.pos_ == "NOUN":
                # "announced a program to cut jobs amid talk that …": the thing announced
                # leads, and the parse may hang the rest of the sentence on the verb
                start = thing.left_edge.idx
            for clause in child.children:
                if clause.dep_ == "advcl" and clause.i > child.i and _concessive(clause):
                    # "… was smart, although he refused to …": the speaker's words end
                    # where the writer's "although" begins
                    kept = [t for t in child.subtree if t.i < clause.left_edge.i]
                    while kept and kept[-1].is_punct:
                        kept.pop()
                    if kept:
                        end = kept[-1].idx + len(kept[-1].text)
                    break
            for conj in child.children:
                if _reported_conjunct(conj):
                    # the second speech verb's words are a statement of their own
                    kept = [t for t in child.subtree if t.i < conj.left_edge.i]
                    while kept and (kept[-1].dep_ == "cc" or kept[-1].is_punct):
                        kept.pop()
                    if kept:
                        end = kept[-1].idx + len(kept[-1].text)
                    break
            return (start, end), None
    if lower in REFUSAL_FORMS:
        refused = _refused(verb)
        if refused is not None:
            return refused
        if lower not in OBJECT_FORMS:
            return None  # "declined to comment" says nothing
    verb_base = SPEECH_FORMS.get(lower) or OBJECT_FORMS.get(lower) or PREP_FORMS.get(lower)
    if verb_base in MENTAL_VERBS:
        return None
    # "urged his supporters to visit ..." : object and infinitive together
    xcomps = [c for c in children if c.dep_ == "xcomp" and c.i > verb.i]
    objects = [c for c in children if c.dep_ in ("dobj", "obj") and c.i > verb.i]
    if xcomps and objects and lower in SPEECH_FORMS:
        start = _subtree_chars(objects[0])[0]
        return (start, _subtree_chars(xcomps[0])[1]), None
    if lower in PREP_FORMS:
        wanted = PREP_VERBS.get(PREP_FORMS[lower], ())
        for child in children:
            if child.dep_ == "prep" and child.lower_ in wanted and child.i > verb.i:
                objs = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
                if objs:
                    start, end = _subtree_chars(objs[0])
                    # "called on the president to retaliate": who is called on, to do what
                    xcomp = next((c for c in xcomps if c.i > objs[0].i), None)
                    if xcomp is None and child.lower_ in ("on", "upon"):
                        continue  # "called the ambassador on Sunday"
                    if xcomp is not None:
                        end = _subtree_chars(xcomp)[1]
                    return (start, end), child
    if lower in DESCRIBE_FORMS:
        described = _description(verb, objects)
        if described is not None:
            return described, None
    if lower in OBJECT_FORMS and objects:
        meant = _such_as_said(objects[0])
        return (meant or _subtree_chars(objects[0])), None
    that = next((c for c in children if c.dep_ == "mark" and c.i == verb.i + 1), None)
    if that is not None and lower in SPEECH_FORMS and that.right_edge.i > that.i + 2:
        # "said that after the sale the government had decided …": the parse hung the
        # reported words on "that"
        return (verb.doc[that.i + 1].idx, _subtree_chars(that)[1]), None
    # "said many of the examples critics cite failed to …": the parse took the reported
    # clause's subject for an object; a finite verb inside shows the clause
    if (
        lower in SPEECH_FORMS
        and objects
        and verb_base not in _EVIDENCE_VERBS
        and any(t.tag_ in _FINITE and t.i > objects[0].i for t in objects[0].subtree)
    ):
        return _subtree_chars(objects[0]), None
    return None


def _adjacent(first: Token, second: Token) -> bool:
    """Whether one clause's words start right where the other's end."""
    return second.left_edge.i == first.right_edge.i + 1


def _after_the_day(verb: Token, children: list[Token]) -> tuple[int, int] | None:
    """'said Monday the United States … should have more say': wire copy puts the day
    after the verb, and the parse reads the subject that follows as the day's
    apposition, leaving its verb without a subject; the words run from that subject."""
    for day in children:
        if day.dep_ != "npadvmod" or day.ent_type_ != "DATE" or not 0 < day.i - verb.i <= 2:
            continue
        subject = next((c for c in day.children if c.dep_ == "appos" and c.i > day.i), None)
        if subject is None:
            continue
        clause = next(
            (
                c
                for c in children
                if c.dep_ in ("advcl", "ccomp", "conj")
                and c.i > subject.i
                and c.pos_ in ("VERB", "AUX")
                and not any(k.dep_ in ("nsubj", "nsubjpass", "expl") for k in c.children)
            ),
            None,
        )
        if clause is not None:
            return subject.left_edge.idx, _subtree_chars(clause)[1]
    return None


def _survey_finding(verb: Token, subject: Token) -> tuple[tuple[int, int], None] | None:
    """'The poll indicates a tightening race', 'the average shows Smith ahead by three
    points': a poll's finding is what it says (a person's "showed" is not speech)."""
    if subject.lower_ not in _SURVEYS or SPEECH_FORMS.get(verb.lower_) not in _EVIDENCE_VERBS:
        return None
    after = [c for c in verb.children if c.i > verb.i and not c.is_punct and c.dep_ != "cc"]
    if not after:
        return None
    return (after[0].left_edge.idx, _subtree_chars(after[-1])[1]), None


# Nouns whose clause says what was rumoured: "speculation (that) the government would …".
_RUMOURS = frozenset(
    ("speculation", "reports", "report", "rumours", "rumors", "suggestions", "talk", "fears")
)


def _such_as_said(thing: Token) -> tuple[int, int] | None:
    """'… sparked speculation the government would cut rates, but the ministry ruled out
    any such move': what "such" points back to, the rumour's clause in the sentence."""
    if not any(c.lower_ == "such" for c in thing.children):
        return None
    for token in thing.sent:
        if token.i >= thing.i or token.lower_ not in _RUMOURS:
            continue
        clause = next((c for c in token.children if c.dep_ in ("acl", "ccomp")), None)
        if clause is not None:
            return _subtree_chars(clause)
    return None


def _concessive(clause: Token) -> bool:
    """'although he refused …': a clause of its own subject that the writer adds."""
    marked = any(c.dep_ == "mark" and c.lower_ in _CONCESSIVE for c in clause.children)
    return marked and any(c.dep_ in ("nsubj", "nsubjpass") for c in clause.children)


def _refused(verb: Token) -> tuple[tuple[int, int], Token | None] | None:
    """'refused to pledge to release his returns', 'denied knowing that …': what the
    infinitive or gerund says, with that verb joined to the cue."""
    xcomp = next((c for c in verb.children if c.dep_ == "xcomp" and c.i > verb.i), None)
    if xcomp is None or xcomp.lower_ in _NO_SAYING:
        return None  # "declined to be more specific", "refused to comment on it"
    rest = [c for c in xcomp.children if c.i > xcomp.i and c.dep_ not in ("punct", "cc")]
    if not rest:
        return None
    return (rest[0].left_edge.idx, _subtree_chars(xcomp)[1]), xcomp


def _description(verb: Token, objects: list[Token]) -> tuple[int, int] | None:
    """'described Clinton as “a disgrace”', 'called him a liar', 'likened X to Y'."""
    after = [c for c in verb.children if c.i > verb.i]
    target = objects[0] if objects else None
    if target is None:
        target = next((c for c in after if c.dep_ == "npadvmod" and c.pos_ != "ADV"), None)
    ends = [
        c
        for c in after
        if c.dep_ == "oprd" or (c.dep_ == "prep" and c.lower_ in ("as", "to") and c.n_rights)
    ]
    if target is None or not ends or ends[0].i < target.i:
        return None
    return target.left_edge.idx, _subtree_chars(ends[0])[1]


def _beside(text: str, start: int, phrase: tuple[int, int], end: int) -> tuple[int, int]:
    """The longer side of a sentence around a source phrase: the words it reports."""
    before = _trim(text, start, phrase[0])
    after = _trim(text, phrase[1], end)
    return before if before[1] - before[0] >= after[1] - after[0] else after


def _according_to(doc: Doc, index: _Index) -> Iterator[Attribution]:
    for token in doc:
        if token.lower_ != "according" or index.inside(token):
            continue
        nxt = token.nbor(1) if token.i + 1 < len(doc) else None
        if nxt is None or nxt.lower_ != "to":
            continue
        objs = [c for c in nxt.children if c.dep_ == "pobj"]
        if not objs:
            continue
        source = objs[0]
        sent = token.sent
        phrase_start = token.idx
        phrase_end = source.right_edge.idx + len(source.right_edge.text)
        added = next((c for c in source.children if c.dep_ == "appos" and c.i > source.i), None)
        if added is not None and _verb_follows(added):
            # "according to Minister Ana Ruiz, a loan has been …": the parse read the words'
            # subject as her apposition; a verb follows it, where an apposition ends
            before = doc[added.left_edge.i - 1]
            if before.i > source.i and before.is_punct:
                phrase_end = before.idx
        content = _beside(index.text, sent.start_char, (phrase_start, phrase_end), sent.end_char)
        stop = _SOURCE_END.search(index.text, source.idx + len(source.text), phrase_end)
        if content[1] - content[0] < 8 and stop is not None:
            # "according to bankers, a 200 mln dlr loan …": the parse hung the words on
            # the source; the source ends at its first comma, semicolon or dash
            content = _beside(
                index.text, sent.start_char, (phrase_start, stop.start()), sent.end_char
            )
        if content[1] - content[0] < 8:
            continue
        yield Attribution(
            speaker=mention_span(source),
            speaker_token=source.i,
            cue=_span_chars([token, nxt]),
            content=content,
            kind=Kind.INDIRECT,
        )


def _verb_follows(phrase: Token) -> bool:
    """Whether a verb comes right after a phrase's last word."""
    nxt = phrase.right_edge.i + 1
    return nxt < len(phrase.doc) and phrase.doc[nxt].pos_ in ("AUX", "VERB")


def _quoted_as_saying(doc: Doc, index: _Index) -> Iterator[Attribution]:
    """'X was quoted as saying …', 'who was quoted by the paper as saying …', 'the paper
    quoted an aide as saying …', and '“…,” X was quoted as saying': X speaks."""
    for token in doc:
        if token.lower_ != "quoted" or index.inside(token):
            continue
        prep = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "as"), None)
        if prep is None:
            continue
        saying = next((c for c in prep.children if c.lower_ in _QUOTED_AS), None)
        if saying is None:
            continue
        dep = "nsubjpass" if any(c.dep_ == "auxpass" for c in token.children) else "dobj"
        # "BONN, May 4 - The minister was quoted": the subject nearest the verb speaks
        subjects = [c for c in token.children if c.dep_ == dep]
        before = [c for c in subjects if c.i < token.i]
        subject = before[-1] if before else next(iter(subjects), None)
        if subject is None or not _acceptable_source(subject, index):
            continue
        found = _complement(saying)
        if found is not None:
            content = found[0]
        else:
            clause = next((c for c in token.children if c.dep_ == "ccomp"), None)
            if clause is None:
                continue
            content = _subtree_chars(clause)
        content = _trim(index.text, *content)
        if content[1] - content[0] < 8:
            continue
        yield Attribution(
            speaker=mention_span(subject),
            speaker_token=subject.i,
            # "quoted as saying" as written; "quoted an aide as saying" reads as "said"
            cue=_span_chars([token, saying]) if prep.i == token.i + 1 else None,
            content=content,
            kind=Kind.INDIRECT,
        )


def _as_put_it(doc: Doc, index: _Index) -> Iterator[Attribution]:
    """'As Ms. Lee put it, the plan is …' / 'As the minister said, …': the main clause
    is what the source said."""
    for token in doc:
        if token.dep_ != "advcl" or index.inside(token):
            continue
        if not any(c.dep_ == "mark" and c.lower_ == "as" for c in token.children):
            continue
        put_it = token.lower_ == "put" and any(
            c.dep_ == "dobj" and c.lower_ == "it" for c in token.children
        )
        said = token.lower_ in SPEECH_FORMS and not any(
            c.dep_ in ("ccomp", "dobj") for c in token.children
        )
        if not (put_it or said):
            continue
        subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
        if subject is None or not _acceptable_source(subject, index):
            continue
        main = token.head
        if main.i < token.i:
            continue  # the clause must come after "As X put it,"
        kept = [t for t in main.subtree if t.i > token.right_edge.i]
        while kept and kept[0].is_punct:
            kept.pop(0)
        if len(kept) < 3:
            continue
        content = _trim(index.text, kept[0].idx, kept[-1].idx + len(kept[-1].text))
        yield Attribution(
            speaker=mention_span(subject),
            speaker_token=subject.i,
            cue=_span_chars([token] + [c for c in token.children if c.lower_ == "it"]),
            content=content,
            kind=Kind.INDIRECT,
        )


_SAID_LEAD = re.compile(r"(Said|Says|Added|Adds|Asked|Asks)\s+([A-Z][\w.’'\- ]{1,40}?):\s+(\S.*)")


def _said_leads(doc: Doc, index: _Index) -> Iterator[Attribution]:
    """'Said Ellis: “I don't see it.”': the cue first, then the speaker and a colon."""
    text = index.text
    for para in _PARAGRAPH.finditer(text):
        line = para.group()
        for found in _SAID_LEAD.finditer(line):
            if found.start() > 0 and line[found.start() - 1] not in ' "“':
                continue
            base = para.start()
            span = doc.char_span(
                base + found.start(2), base + found.end(2), alignment_mode="expand"
            )
            if span is None or not span.root.text[:1].isupper():
                continue
            content = _strip_marks(text, base + found.start(3), para.end())
            yield Attribution(
                speaker=(span.start_char, span.end_char),
                speaker_token=span.root.i,
                cue=(base + found.start(1), base + found.end(1)),
                content=content,
                kind=Kind.INDIRECT,
            )


def _labels(doc: Doc, index: _Index) -> Iterator[Attribution]:
    """'WALLACE: Let us start ...' in a transcript, and a headline 'Lynch: Be the voice'.

    A label is a name before a colon at the start of a line: in capitals anywhere (a
    transcript's speaker, whose words are verbatim), or a short name in the first line
    (a headline's source).
    """
    text = index.text
    for number, para in enumerate(_PARAGRAPH.finditer(text)):
        found = _LABEL.match(para.group())
        if found is None:
            continue
        label = found.group(1)
        transcript = label.isupper() and label.upper() not in _NOT_LABELS
        if not transcript and number != 0:
            continue
        base = para.start()
        span = doc.char_span(base + found.start(1), base + found.end(1), alignment_mode="expand")
        if span is None or len(span) > 6:
            continue
        owner = index.owner[span.start_char]
        if owner >= 0 and index.quotes[owner].start != base:
            continue  # a colon inside someone's quote
        if not transcript and not (
            span.root.ent_type_ == "PERSON"
            and all(t.pos_ in ("PROPN", "NOUN", "ADJ", "DET", "PUNCT", "CCONJ") for t in span)
        ):
            # "Brexit: what next" is a topic; "Warren Hammers Bank Chief: ..." a sentence
            continue
        content = _strip_marks(text, base + found.start(2), para.end())
        if len(text[content[0] : content[1]].split()) < 3:
            continue
        yield Attribution(
            speaker=(span.start_char, span.end_char),
            speaker_token=span.root.i,
            cue=None,
            content=content,
            kind=Kind.DIRECT if transcript else Kind.INDIRECT,
        )


def _apply_quotes(att: Attribution, text: str, index: _Index) -> None:
    """Make an attribution direct or mixed according to the quotes its content touches."""
    qids = index.overlapping(*att.content)
    if not qids:
        return
    start, end = att.content
    if len(qids) == 1:
        quote = index.quotes[qids[0]]
        inner = quote.inner
        outside = text[start : max(start, quote.start)] + text[min(end, quote.end) : end]
        if len(outside.strip(_TRIM + "".join(QUOTE_CHARS))) <= 2:
            att.content = _strip_marks(text, *inner)
            att.kind = Kind.DIRECT
            att.quote_ids = {qids[0]}
            return
    # mixed: keep the reported clause, widened to hold each quote it touches whole
    for qid in qids:
        quote = index.quotes[qid]
        start, end = min(start, quote.start), max(end, quote.end)
    att.content = _trim(text, start, end)
    att.kind = Kind.MIXED
    att.quote_ids = set(qids)


def _verb_attributions(doc: Doc, index: _Index) -> Iterator[Attribution]:
    for token in doc:
        low = token.lower_
        if not token.tag_.startswith("VB"):
            continue
        if (
            low not in SPEECH_FORMS
            and low not in OBJECT_FORMS
            and low not in PREP_FORMS
            and low not in DESCRIBE_FORMS
            and low not in REFUSAL_FORMS
        ):
            continue
        if token.dep_ == "xcomp" and token.head.lower_ in REFUSAL_FORMS:
            continue  # "denied knowing that …": the denial reports it
        if index.inside(token) or token.dep_ == "amod":
            continue
        if any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children):
            continue
        subject = _subject(token)
        if subject is None or not (
            _acceptable_source(subject, index) or _it_said(token, subject, index)
        ):
            continue
        found = _complement(token) or _survey_finding(token, subject)
        if found is None:
            pieces = _parenthetical(token, subject, index)
            if pieces is not None:
                att = Attribution(
                    speaker=mention_span(subject),
                    speaker_token=subject.i,
                    cue=_cue_chars(token),
                    content=pieces[0],
                    kind=Kind.INDIRECT,
                    parts=pieces[1:],  # the first piece joins them at the end
                )
                yield att
            continue
        (start, end), particle = found
        start, end = _trim(index.text, start, end)
        if end - start < 3:
            continue
        cue_token = token
        inner = _chained_cue(token, end, index)
        if inner is not None:
            # "..., Macron added, France 24 reported": Macron speaks, not the outlet.
            cue_token, subject, particle = inner[0], inner[1], None
            adjacent = _quote_before(index.text, min(subject.left_edge.idx, cue_token.idx), index)
            if adjacent is not None:
                start, end = adjacent.inner  # the quote right before "Macron added"
                if end > start and index.text[end - 1] in QUOTE_CHARS:
                    end -= 1
        speaker = source_span(subject)
        if speaker[0] < end and start < speaker[1]:
            continue  # the parse folded the source into its own content
        yield Attribution(
            speaker=speaker,
            speaker_token=subject.i,
            cue=_cue_chars(cue_token, particle),
            content=(start, end),
            kind=Kind.INDIRECT,
        )


def _quote_before(text: str, pos: int, index: _Index) -> Quote | None:
    """The quote that closes right before ``pos``, past spaces and commas, if any."""
    before = len(text[:pos].rstrip(" ,\u00a0"))
    if before > 0 and index.owner[before - 1] >= 0:
        quote = index.quotes[index.owner[before - 1]]
        if quote.end == before:
            return quote
    return None


def _parenthetical(verb: Token, subject: Token, index: _Index) -> list[tuple[int, int]] | None:
    """'Acts of protest, Mr. Obama said, are acts of patriotism': the sentence around
    an inserted "X said" is the content, in the pieces on either side of it; a quote
    that ends right before it ('…, “we keep talking,” Ruiz added') is the content alone."""
    if verb.dep_ != "parataxis" or SPEECH_FORMS.get(verb.lower_) in (None, *MENTAL_VERBS):
        return None
    if any(c.dep_ in ("ccomp", "dobj", "obj", "xcomp") for c in verb.children):
        return None
    doc = verb.doc
    text = index.text
    sent = verb.sent
    inserted = (min(subject.left_edge.idx, verb.idx), verb.right_edge.idx + len(verb.right_edge))
    quote = _quote_before(text, inserted[0], index)
    if quote is not None:
        return [quote.inner]
    pieces = []
    for start, end in ((sent.start_char, inserted[0]), (inserted[1], sent.end_char)):
        start, end = _trim(text, start, end)
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or len(text[start:end].split()) < 2:
            continue
        if any(t.lower_ in SPEECH_FORMS and t.dep_ in ("ROOT", "parataxis") for t in span):
            continue  # "…, Macron added, France 24 reported": the outlet's report, no words
        pieces.append((start, end))
    if not pieces or sum(len(text[a:b].split()) for a, b in pieces) < 4:
        return None
    return pieces


def _chained_cue(verb: Token, content_end: int, index: _Index) -> tuple[Token, Token] | None:
    """A reporting verb with its own subject between the content and ``verb``, if any."""
    if content_end > verb.idx:
        return None
    doc = verb.doc
    for i in range(verb.i - 1, max(verb.i - 8, -1), -1):
        token = doc[i]
        if token.idx < content_end:
            break
        if token.lower_ in SPEECH_FORMS and token.tag_.startswith("VB"):
            subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
            if subject is not None and _acceptable_source(subject, index):
                return token, subject
    return None


def _nearest_cue(doc: Doc, quote: Quote, index: _Index) -> tuple[Token, Token] | None:
    """A reporting verb with a source in the quote's own sentence(s), nearest first."""
    first = doc.char_span(quote.start, quote.start + 1, alignment_mode="expand")
    last = doc.char_span(quote.end - 1, quote.end, alignment_mode="expand")
    if first is None or last is None:
        return None
    sentences: list[Span] = []
    for sent in (first[0].sent, last[0].sent):
        if sent not in sentences:
            sentences.append(sent)
    # '“Why not?” she asked.': the parser often ends the sentence at the closing mark.
    tail = sentences[-1]
    if tail.end < len(doc) and not index.text[quote.end : doc[tail.end].idx].strip():
        sentences.append(doc[tail.end].sent)
    best: tuple[int, Token, Token] | None = None
    for sent in sentences:
        for token in sent:
            if token.lower_ not in SPEECH_FORMS or index.inside(token):
                continue
            if not token.tag_.startswith("VB") or SPEECH_FORMS[token.lower_] in MENTAL_VERBS:
                continue
            subject = _subject(token)
            # '“…,” it said': next to a quote, "it" is an organisation speaking
            if subject is None or (
                subject.lower_ != "it" and not _acceptable_source(subject, index)
            ):
                subject = _name_after_quote(token, quote, index)
            if subject is None:
                continue
            if index.paragraph_of[token.idx] != quote.paragraph:
                continue
            distance = min(abs(token.idx - quote.start), abs(token.idx - quote.end))
            if best is None or distance < best[0]:
                best = (distance, token, subject)
    return None if best is None else (best[1], best[2])


def _name_after_quote(verb: Token, quote: Quote, index: _Index) -> Token | None:
    """'“…,” Flynn, a party adviser, said on “Morning Show.”': when the parse loses the
    subject, the name that opens the words between the closing mark and the verb."""
    doc = verb.doc
    first = next((t for t in doc[verb.sent.start : verb.i] if t.idx >= quote.end), None)
    while first is not None and first.is_punct and first.i < verb.i:
        first = doc[first.i + 1]
    if first is None or first.i >= verb.i or first.pos_ != "PROPN" or index.inside(first):
        return None
    name = first
    while name.i + 1 < verb.i and doc[name.i + 1].pos_ == "PROPN":
        name = doc[name.i + 1]  # the mention's head is its last name word
    return name


def _colon_lead(doc: Doc, quote: Quote, index: _Index) -> tuple[Token, Token] | None:
    """'He said:' closing the paragraph before one that opens with the quote."""
    text = index.text
    line_start = text.rfind("\n", 0, quote.start) + 1
    if text[line_start : quote.start].strip():
        return None
    before = text[:line_start].rstrip()
    if not before.endswith(":"):
        return None
    colon = doc.char_span(len(before) - 1, len(before), alignment_mode="expand")
    if colon is None:
        return None
    for token in reversed(colon[0].sent):
        if token.lower_ in SPEECH_FORMS and token.tag_.startswith("VB") and not index.inside(token):
            subject = _subject(token)
            if subject is not None and _acceptable_source(subject, index):
                return token, subject
            return None
    return None


_BYLINE_CUES = frozenset(("reports", "reported", "writes", "wrote", "covers", "contributed"))
_BYLINE_HEADS = frozenset(("for", "from", "on", "about", "to", "with"))


def is_byline(text: str, att: Attribution) -> bool:
    """ "Glorioso reports for the Naples Daily News": who wrote the piece, not a statement.
    The cue is a writing verb and the "content" a short phrase naming an outlet or beat."""
    if att.cue is None or att.kind is Kind.DIRECT:
        return False
    cue = text[att.cue[0] : att.cue[1]].strip().lower()
    words = text[att.content[0] : att.content[1]].split()
    return (
        cue in _BYLINE_CUES
        and bool(words)
        and words[0].lower() in _BYLINE_HEADS
        and len(words) <= 8
    )


def extract_attributions(doc: Doc, quotes: list[Quote] | None = None) -> list[Attribution]:
    """Every attribution in ``doc``, in text order, at most one per content."""
    text = doc.text
    quotes = find_quotes(text) if quotes is None else quotes
    index = _Index(text, quotes)
    found: list[Attribution] = []
    for att in _verb_attributions(doc, index):
        _apply_quotes(att, text, index)
        if att.kind is Kind.DIRECT:  # verbatim words: a reported piece beside them goes
            att.parts = [p for p in att.parts if index.overlapping(*p)]
        found.append(att)
    for att in chain(
        _according_to(doc, index),
        _quoted_as_saying(doc, index),
        _as_put_it(doc, index),
        _said_leads(doc, index),
    ):
        _apply_quotes(att, text, index)
        found.append(att)
    for att in _labels(doc, index):
        if att.kind is Kind.DIRECT:  # a transcript's words are verbatim, marks or not
            att.quote_ids = set(index.overlapping(*att.content))
        else:
            _apply_quotes(att, text, index)
        found.append(att)
    found = [att for att in _dedupe(found, doc) if not is_byline(text, att)]

    claimed: set[int] = set()
    for att in found:
        claimed |= att.quote_ids
    by_quote: dict[int, Attribution] = {}
    for att in found:
        for qid in att.quote_ids:
            by_quote[qid] = att

    for qid, quote in enumerate(quotes):
        if qid in claimed:
            continue
        inner = _strip_marks(text, *quote.inner)
        if inner[1] - inner[0] < 2:
            continue
        if len(text[inner[0] : inner[1]].split()) < 4 and not _speech_punctuated(text, quote):
            continue  # a scare quote or a title, not speech
        new = _dash_attribution(doc, index, quote, qid, inner)
        previous = by_quote.get(qid - 1)
        if (
            new is None
            and previous is not None
            and _continues(doc, text, quotes[qid - 1], quote, previous)
        ):
            previous.parts.append(inner)
            by_quote[qid] = previous
            claimed.add(qid)
            continue
        if new is None:
            cue = _nearest_cue(doc, quote, index) or _colon_lead(doc, quote, index)
            if cue is None:
                continue
            verb, subject = cue
            new = Attribution(
                speaker=mention_span(subject),
                speaker_token=subject.i,
                cue=_cue_chars(verb),
                content=inner,
                kind=Kind.DIRECT,
                quote_ids={qid},
            )
        found.append(new)
        by_quote[qid] = new
        claimed.add(qid)
    for att in found:
        if att.parts:
            att.parts.insert(0, att.content)
    found.sort(key=lambda a: a.content[0])
    return found


def _dash_attribution(
    doc: Doc, index: _Index, quote: Quote, qid: int, inner: tuple[int, int]
) -> Attribution | None:
    """'“…” ― Jane Doe' or '“…” — Jane Doe, a teacher': a name after a dash ends the line."""
    text = index.text
    found = _DASH_SOURCE.match(text, quote.end)
    if found is None:
        return None
    start, end = found.start(1), found.end(1)
    comma = text.find(",", start, end)
    if comma > 0:
        end = comma
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".;"):
        end -= 1
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not 1 <= len(span) <= 6 or not text[start].isupper():
        return None
    if not all(t.pos_ == "PROPN" or t.is_title or t.is_punct for t in span):
        return None
    return Attribution(
        speaker=(span.start_char, span.end_char),
        speaker_token=span.root.i,
        cue=None,
        content=inner,
        kind=Kind.DIRECT,
        quote_ids={qid},
    )


def _speech_punctuated(text: str, quote: Quote) -> bool:
    """'“You winning?” she said': a short quote closed by , ? or ! before a cue."""
    if quote.open_ended or quote.end - quote.start < 3:
        return False
    return text[quote.end - 2] in ",?!" and not text[quote.end : quote.end + 2].startswith(("\n",))


def _continues(doc: Doc, text: str, before: Quote, quote: Quote, previous: Attribution) -> bool:
    """Does ``quote`` carry on the speech of the quote just before it?

    True for a quote split by its attribution ("“A,” he said. “B.”") and for a
    paragraph that is nothing but a quote following a quoted paragraph.
    """
    if previous.kind is not Kind.DIRECT:
        return False
    between = text[before.end : quote.start]
    if before.paragraph == quote.paragraph:
        if previous.cue is None or not (before.end <= previous.cue[0] < quote.start):
            return False
        if "\n" in between or len(between) >= 300:
            return False
        # "“A,” Rep. Hale said after the witness failed to appear. “B.”": the narration
        # between may run on, as long as no one else speaks in it
        span = doc.char_span(before.end, quote.start, alignment_mode="expand")
        speaking = [
            t
            for t in (span if span is not None else ())
            if t.lower_ in SPEECH_FORMS
            and not (previous.cue[0] <= t.idx < previous.cue[1])
            and any(c.dep_ == "nsubj" for c in t.children)
            and not any(c.dep_ == "neg" for c in t.children)  # "he did not suggest …"
        ]
        return not speaking
    if quote.paragraph == before.paragraph + 1:
        para_start = text.rfind("\n", 0, quote.start) + 1
        para_end = text.find("\n", quote.end)
        after = text[quote.end : para_end if para_end >= 0 else len(text)]
        # nothing but the quote: a paragraph that goes on names its own speaker
        return not text[para_start : quote.start].strip() and not after.strip(" .,;:”’\"'")
    return False


def _nested(att: Attribution, outer: Attribution) -> bool:
    """Is ``att`` a whole attribution reported inside ``outer``'s (much longer) content?"""
    start, end = outer.content
    pieces = [att.speaker, att.content] + ([att.cue] if att.cue else [])
    if not all(start <= a and b <= end for a, b in pieces):
        return False
    return (att.content[1] - att.content[0]) < 0.8 * (end - start)


def _cue_heads(att: Attribution, doc: Doc, deps: tuple[str, ...]) -> bool:
    """Whether the cue heads a clause of one of ``deps``: "advcl" for a clause of time or
    reason ("… was right when he said “…”"), "relcl" and "pcomp" for one about a person
    ("X, who said …", "with X having said …")."""
    if att.cue is None:
        return False
    span = doc.char_span(*att.cue, alignment_mode="expand")
    return span is not None and span.root.dep_ in deps


def _dedupe(found: list[Attribution], doc: Doc) -> list[Attribution]:
    """Keep one attribution per content.

    When two contents overlap, the inner one wins if its cue stands inside the other's
    content ("..., Macron added, France 24 reported": Macron speaks, not the outlet);
    otherwise the longer content wins.
    """

    def named_at(i: int) -> bool:
        token = doc[i]
        if token.tag_ in ("WP", "WDT") and token.head.dep_ == "relcl":
            token = token.head.head  # "Chirac's spokesman Denis Baudouin, who said"
        return token.pos_ == "PROPN" or token.ent_type_ in _SOURCE_ENTITIES

    def length(att: Attribution) -> int:
        return att.content[1] - att.content[0]

    def inside(att: Attribution, other: Attribution) -> bool:
        """Is ``att`` reported within ``other`` under a name of its own?"""
        if att.cue is None or not other.content[0] <= att.cue[0] < other.content[1]:
            return False
        # "Tanner said he thinks ...", "Ortiz said 42 countries opposed ...", "the
        # videos show": only a named source inside takes the words from the outer one.
        return named_at(att.speaker_token)

    found.sort(key=lambda a: -length(a))
    kept: list[Attribution] = []
    for att in found:
        clash: Attribution | None = None
        for other in kept:
            s = max(att.content[0], other.content[0])
            e = min(att.content[1], other.content[1])
            if e > s and (e - s) / max(min(length(att), length(other)), 1) >= 0.5:
                clash = other
                break
        if clash is None:
            kept.append(att)
        elif _nested(att, clash) and att.quote_ids and _cue_heads(att, doc, ("advcl",)):
            # "X said Y was right when he said “…”": Y's quoted words are Y's statement too
            kept.append(att)
        elif (
            _nested(att, clash)
            and _cue_heads(att, doc, ("relcl", "pcomp"))
            and named_at(att.speaker_token)
        ):
            # "analysts said it was sparked by Minister X, who said …", "…, with Minister X
            # having said …": what X said is X's statement too
            kept.append(att)
        elif inside(att, clash) and not inside(clash, att) and not _nested(att, clash):
            kept[kept.index(clash)] = att
    return kept
