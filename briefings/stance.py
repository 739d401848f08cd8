"""Stance toward the article's main issue: supports, opposes, neutral or unclear.

The issue is modelled as the article's main terms: the nouns of the title that the
article keeps using (weighted by title, lead and frequency). A statement takes a side
only when its words make it clear:

1. it mentions the issue (a term, or a bare topical anaphor such as "the idea"), in its
   content, in the cue verb's clause, or in its sentence when the content's main
   clause is about an unspecific subject ("it", "nothing");
2. the polarity comes from what scopes over the mention, walking up the parse: each
   negator ("not", "no", "never", "nothing", ...) and each negative predicate ("rule
   out", "reject", "against", "a mistake") flips it, so two of them cancel ("nothing
   should be ruled out"); a positive predicate ("back", "need", "necessary"), a
   deontic modal ("must", "should") or a first-person commitment ("we will") makes the
   clause a position rather than a report;
3. the cue verb adds its own sense: "reject", "dismiss", "warn of" oppose what they
   govern, "back", "urge", "call for" support it, and they compose with the content
   ("rejected calls to lift the sanctions" supports the sanctions).

A clause that only describes the issue ("the treaty does not cover quotas") takes no
side on it. A mention without any of these is neutral; a statement that does not touch
the issue is unclear. The lemmatizer is not loaded, so words are matched by their forms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefings.lexicon import inflections
from briefings.models import Stance

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from briefings.quotes import Attribution


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Named entities that are actors, places or amounts: who and where, not the issue itself.
_NOT_ISSUE_ENTITIES = _words(
    "PERSON GPE NORP LOC DATE TIME CARDINAL ORDINAL PERCENT MONEY QUANTITY"
)
_NAMED_BODIES = _words("ORG FAC WORK_OF_ART")
# Nouns that name speakers, speech or time rather than what is argued about.
_NOT_ISSUE_NOUNS = _words(
    "comment remark statement speech interview word news report story article "
    "official leader minister president spokesman spokeswoman spokesperson government "
    "people thing way time year month week day today lot part member country state "
    "ally source analyst expert critic supporter opponent reporter journalist mr mrs ms dr"
)
# Bare nouns a writer uses to point back at the issue under discussion ("the idea").
_TOPIC_ANAPHORS = _words(
    "idea issue proposal plan prospect suggestion move step option measure matter "
    "question policy scheme initiative notion possibility"
)
_ANAPHOR_DETERMINERS = _words("the this that such a")
# Main-clause subjects that say nothing of their own, so the sentence supplies the topic.
_UNSPECIFIC_SUBJECTS = _words("it this that nothing everything anything none something")

_NEGATORS = _words("not n't never no nothing none nobody neither nor noone")
_NEGATIVE_DETERMINERS = _words("no neither")
_DEONTIC = _words("must should ought shall")
_FUTURE = _words("will shall 'll wo")
_FIRST_PERSON = _words("we i")
# A copula with these places a thing on or off the agenda: "not on the table".
_PLACING = _words("on off under out")
_CONDITIONS = _words("if unless should once when")
_BE_FORMS = _words("be is are was were been being 's 're am 'm")
# Verbs about whether a thing comes to be: "it will not happen", "sanctions won't work".
_REALISATION_VERBS = _words("happen occur proceed materialise materialize succeed work go come")

# Predicates that turn against what they govern ("rule out troops", "lift the sanctions").
_NEGATIVE_VERBS = _words(
    "reject oppose refuse resist exclude block veto ban scrap abandon drop halt stop end "
    "cancel suspend freeze postpone delay dismiss deny prevent avoid lift ease remove "
    "withdraw reverse cut reduce criticize criticise condemn denounce fight undermine "
    "sabotage torpedo kill bury shelve repeal abolish dismantle"
)
_NEGATIVE_WORDS = _words(
    "against without unacceptable unthinkable inconceivable impossible premature dangerous "
    "reckless irresponsible wrong mistaken counterproductive mistake error disaster catastrophe "
    "provocation folly nonsense end halt ban withdrawal removal rejection opposition "
    "suspension cancellation repeal abolition "
    # evaluations: "the reserve is a waste of money", "the deal is bad for farmers"
    "bad worse worst harmful useless ineffective unfair unreasonable costly wasteful waste "
    "damaging unnecessary pointless absurd ridiculous outrageous threat failure fiasco farce "
    "scandal burden"
)
# Predicates that side with what they govern ("we need a ceasefire", "sanctions are vital").
_POSITIVE_VERBS = _words(
    "support back favour favor endorse welcome want need require approve propose "
    "advocate urge demand seek defend champion embrace applaud praise hail"
)
_POSITIVE_WORDS = _words(
    "necessary essential vital indispensable crucial important needed right justified "
    "legitimate ready willing prepared determined support necessity priority "
    # evaluations: "a common reserve is a good idea", "the treaty is the best solution"
    "good great best better beneficial useful helpful effective sensible wise sound fair "
    "reasonable worthwhile valuable positive success solution opportunity safeguard lifeline "
    "breakthrough"
)

# Cue verbs with a sense of their own toward what they report.
_OPPOSING_CUES = _words(
    "reject deny dismiss oppose downplay criticize criticise condemn denounce slam blast "
    "decry question dispute refuse veto protest object attack warn caution"
)
_SUPPORTING_CUES = _words(
    "back support endorse welcome praise hail urge propose demand advocate defend "
    "champion favour favor recommend approve applaud"
)
# Phrasal verbs, as cues and inside the content: the particle decides the sense.
_PHRASAL = {
    ("rule", "out"): -1,
    ("call", "off"): -1,
    ("turn", "down"): -1,
    ("phase", "out"): -1,
    ("back", "away"): -1,
    ("pull", "out"): -1,
    ("argue", "against"): -1,
    ("speak", "against"): -1,
    ("vote", "against"): -1,
    ("call", "for"): 1,
    ("push", "for"): 1,
    ("press", "for"): 1,
    ("argue", "for"): 1,
    ("vote", "for"): 1,
    ("speak", "for"): 1,
}
# Warnings report a feared outcome; with a clause that takes a side, the clause decides.
_WARNING_CUES = frozenset(("warn", "caution"))

_ARGUMENT_DEPS = frozenset(("nsubj", "nsubjpass", "dobj", "attr", "expl"))
_PREDICATE_DEPS = frozenset(("acomp", "attr", "oprd", "prt"))
_MODAL_DEPS = frozenset(("aux", "auxpass"))


def _base_forms(verbs: Iterable[str]) -> dict[str, str]:
    return {form: verb for verb in verbs for form in inflections(verb)}


_NEGATIVE_FORMS = _base_forms(_NEGATIVE_VERBS)
_REALISATION_FORMS = _base_forms(_REALISATION_VERBS)
_POSITIVE_FORMS = _base_forms(_POSITIVE_VERBS)
_CUE_FORMS = _base_forms([*_OPPOSING_CUES, *_SUPPORTING_CUES])
_PHRASAL_FORMS = _base_forms({verb for verb, _ in _PHRASAL})
_CUE_SENSE = dict.fromkeys(_OPPOSING_CUES, -1) | dict.fromkeys(_SUPPORTING_CUES, 1)
_WORD = re.compile(r"[^\W\d_]+")


def term_key(word: str) -> str:
    """A crude singular of a lower-cased word: "troops" and "troop" share one key."""
    word = word.lower().replace("\u2019", "'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True, slots=True)
class IssueModel:
    """The article's main issue as a set of term keys (see ``term_key``)."""

    terms: frozenset[str]

    @classmethod
    def from_article(cls, doc: Doc, title: str) -> IssueModel:
        """The title's nouns that the article keeps using; the lead's when the title has none.

        Weight = 3 if in the title + 1 if in the lead (its first two sentences) +
        occurrences in the body; a term is kept when it weighs at least half as much as
        the heaviest one. People, places and speech nouns are never issue terms.
        """
        # A name the model tags as a person or place once is never the issue, even
        # where it misses the tag ("Trump" in "the Trump campaign").
        names = {
            term_key(t.norm_)
            for t in doc
            if t.pos_ == "PROPN" and t.ent_type_ in _NOT_ISSUE_ENTITIES
        }
        # So are the words of a longer name of an organisation ("Wells Fargo").
        names.update(
            term_key(t.norm_)
            for ent in doc.ents
            if ent.label_ in _NAMED_BODIES and len(ent) > 1
            for t in ent
            if t.pos_ == "PROPN"
        )
        title_keys = {term_key(w) for w in _WORD.findall(title)} - names
        body_start = _body_start(doc.text, title)
        counts: Counter[str] = Counter()
        lead: set[str] = set()
        lead_sentences = 0
        for sent in doc.sents:
            if sent.end_char <= body_start:
                continue
            in_lead = lead_sentences < 2
            lead_sentences += 1
            for token in sent:
                if token.idx >= body_start and _issue_noun(token, names):
                    key = term_key(token.norm_)
                    counts[key] += 1
                    if in_lead:
                        lead.add(key)
        candidates = [key for key in counts if key in title_keys]
        if not candidates:
            # No title to go by: the lead's nouns that the article repeats, if any.
            repeated = [key for key in lead if counts[key] > 1]
            candidates = repeated or list(lead)
        if not candidates:
            return cls(frozenset())
        weight = {key: 3 * (key in title_keys) + (key in lead) + counts[key] for key in candidates}
        top = max(weight.values())
        return cls(frozenset(key for key, w in weight.items() if 2 * w >= top))

    def mentioned_by(self, token: Token) -> bool:
        """Whether the token names the issue, or points back at it ("the idea")."""
        if not self.terms:
            return False
        if token.pos_ in ("NOUN", "PROPN") and term_key(token.norm_) in self.terms:
            return True
        return _topic_anaphor(token)


def stance_of(doc: Doc, att: Attribution, issue: IssueModel) -> Stance:
    """The attribution's stance toward the issue, UNCLEAR unless its words make it clear."""
    if not issue.terms:
        return Stance.UNCLEAR
    content = _content_tokens(doc, att)
    if not content:
        return Stance.UNCLEAR
    inside = {token.i for token in content}
    mentions = [token for token in content if issue.mentioned_by(token)]
    cue = _cue_token(doc, att)
    sense = _cue_sense(doc, cue) if cue is not None else 0
    scope = inside
    if sense and not mentions and cue is not None:
        # The cue's own clause may carry the issue the content leaves out: "warned of war
        # if troops were sent", or an object the content stops short of ("calls to ...").
        under = _under_cue(content, inside, cue) - inside
        mentions = [doc[i] for i in sorted(under) if issue.mentioned_by(doc[i])]
        scope = inside | under
    signs = [_polarity(mention, scope) for mention in mentions]
    content_sign = _sign(sum(signs))
    if sense and mentions:
        if _is_warning(cue) and _clausal(content, inside) and content_sign:
            return _stance(content_sign)
        return _stance(sense * (content_sign or 1))
    if mentions:
        return _stance(content_sign) if any(signs) else Stance.NEUTRAL
    if _context_mentions(doc, att, inside, issue):
        return _stance(_sign(sum(_unspecific_clause_signs(content, inside))))
    return Stance.UNCLEAR


def aggregate(stances: Iterable[Stance]) -> Stance:
    """One actor's stance from its statements' stances.

    The side most of them take; NEUTRAL when as many support as oppose, or when only
    neutral ones touch the issue; UNCLEAR when none does.
    """
    count = Counter(stances)
    supports, opposes = count[Stance.SUPPORTS], count[Stance.OPPOSES]
    if supports > opposes:
        return Stance.SUPPORTS
    if opposes > supports:
        return Stance.OPPOSES
    if supports or count[Stance.NEUTRAL]:
        return Stance.NEUTRAL
    return Stance.UNCLEAR


def _stance(sign: int) -> Stance:
    if sign > 0:
        return Stance.SUPPORTS
    if sign < 0:
        return Stance.OPPOSES
    return Stance.UNCLEAR


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _body_start(text: str, title: str) -> int:
    """Where the body begins: after the title line when the text repeats the title."""
    stripped = title.strip()
    lead_space = len(text) - len(text.lstrip())
    if stripped and text[lead_space:].startswith(stripped):
        return lead_space + len(stripped)
    return 0


def _issue_noun(token: Token, names: set[str]) -> bool:
    return (
        token.pos_ in ("NOUN", "PROPN")
        and term_key(token.norm_) not in names
        and token.is_alpha
        and len(token.text) > 2
        and token.ent_type_ not in _NOT_ISSUE_ENTITIES
        and term_key(token.norm_) not in _NOT_ISSUE_NOUNS
    )


def _topic_anaphor(token: Token) -> bool:
    """A bare "the idea", "such a move": no modifier that would make it another topic."""
    if token.pos_ != "NOUN" or token.lower_ not in _TOPIC_ANAPHORS:
        return False
    determiners = [c for c in token.children if c.dep_ in ("det", "predet", "amod")]
    others = [c for c in token.children if c.dep_ not in ("det", "predet", "amod", "punct")]
    return not others and any(c.lower_ in _ANAPHOR_DETERMINERS for c in determiners)


def _content_tokens(doc: Doc, att: Attribution) -> list[Token]:
    pieces = att.parts or [att.content]
    tokens: list[Token] = []
    for start, end in pieces:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            tokens.extend(span)
    return tokens


def _cue_token(doc: Doc, att: Attribution) -> Token | None:
    """The verb of the cue phrase ("cautioned" in "cautioned about")."""
    if att.cue is None:
        return None
    span = doc.char_span(att.cue[0], att.cue[1], alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    # "did not back": the main verb, not its auxiliary
    verbs = [t for t in span if t.pos_ == "VERB"] or [t for t in span if t.pos_ == "AUX"]
    return verbs[0] if verbs else span.root


def _cue_sense(doc: Doc, cue: Token) -> int:
    """+1 for a supporting cue verb, -1 for an opposing one, flipped when negated."""
    following = doc[cue.i + 1].lower_ if cue.i + 1 < len(doc) else ""
    sense = _phrasal(cue, {following})
    if not sense:
        sense = _CUE_SENSE.get(_CUE_FORMS.get(cue.lower_, ""), 0)
    if any(_is_negator(c) for c in cue.children if c.dep_ in ("neg", "advmod")):
        sense = -sense
    return sense


def _is_warning(cue: Token | None) -> bool:
    return cue is not None and _CUE_FORMS.get(cue.lower_) in _WARNING_CUES


def _clausal(content: list[Token], inside: set[int]) -> bool:
    """Whether the content is a clause with a subject ("that troops would ...").

    "warned against lifting the sanctions" is no clause: the warning governs the phrase.
    """
    return any(
        child.dep_ in ("nsubj", "nsubjpass", "expl")
        for root in _roots(content, inside)
        for child in root.children
    )


def _roots(content: list[Token], inside: set[int]) -> Iterator[Token]:
    for token in content:
        is_root = token.head.i == token.i or token.head.i not in inside
        if is_root and not token.is_punct and not token.is_space:
            yield token


def _under_cue(content: list[Token], inside: set[int], cue: Token) -> set[int]:
    """What the cue governs beyond the content: the rest of the content's phrase ("calls
    to lift the sanctions", however the parser attaches "to lift") and a condition on the
    cue ("warned of war if troops were sent"), not adjuncts such as "blasted X over Y".
    """
    under: set[int] = set()
    for root in _roots(content, inside):
        under.update(t.i for t in root.subtree)
    after = max(inside) + 1
    for child in cue.children:
        if child.dep_ not in ("advcl", "xcomp"):
            continue
        conditional = any(c.dep_ == "mark" and c.lower_ in _CONDITIONS for c in child.children)
        if conditional or child.left_edge.i == after:
            under.update(t.i for t in child.subtree)
    return under


def _context_mentions(doc: Doc, att: Attribution, inside: set[int], issue: IssueModel) -> bool:
    """The issue named in the sentences the statement stands in, outside its content."""
    start = min(att.content[0], att.speaker[0], *(p[0] for p in att.parts))
    end = max(att.content[1], att.speaker[1], *(p[1] for p in att.parts))
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    first, last = span[0].sent, span[-1].sent
    return any(t.i not in inside and issue.mentioned_by(t) for t in doc[first.start : last.end])


def _unspecific_clause_signs(content: list[Token], inside: set[int]) -> Iterator[int]:
    """Polarity of each main clause of the content whose subject points elsewhere ("it")."""
    for root in _roots(content, inside):
        subjects = [c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")]
        unspecific = [s for s in subjects if s.lower_ in _UNSPECIFIC_SUBJECTS]
        if unspecific and not (unspecific[0].dep_ == "nsubj" and _describes(root)):
            yield _polarity(root, inside, mention=False)


def _is_negator(token: Token) -> bool:
    return token.dep_ == "neg" or token.lower_ in _NEGATORS


def _phrasal(verb: Token, extra: set[str]) -> int:
    """The sense of a phrasal verb ("ruled out", "called for"), 0 when it is none."""
    base = _PHRASAL_FORMS.get(verb.lower_)
    if base is None:
        return 0
    particles = {c.lower_ for c in verb.children if c.dep_ in ("prt", "prep")} | extra
    for (phrasal, particle), sense in _PHRASAL.items():
        if phrasal == base and particle in particles:
            return sense
    return 0


def _predicate(token: Token) -> int:
    """+1/-1 for a word that sides with/against what it governs, 0 otherwise."""
    word = token.lower_
    if token.pos_ in ("VERB", "AUX"):
        phrasal = _phrasal(token, set())
        if phrasal:
            return phrasal
        if any(c.dep_ == "prt" and c.lower_ == "up" for c in token.children):
            return 0  # "end up", "give up": another verb
        if word in _NEGATIVE_FORMS:
            return -1
        if word in _POSITIVE_FORMS:
            return 1
        return 0
    key = term_key(word)
    if word in _NEGATIVE_WORDS or key in _NEGATIVE_WORDS:
        return -1
    if word in _POSITIVE_WORDS or key in _POSITIVE_WORDS:
        return 1
    if token.dep_ in ("attr", "oprd") and token.pos_ == "NOUN":
        # "is a good idea", "would be a costly step": the noun's adjective evaluates
        for child in token.children:
            if child.dep_ == "amod" and child.pos_ == "ADJ":
                sense = _predicate(child)
                if sense:
                    return sense
    return 0


def _polarity(start: Token, inside: set[int], *, mention: bool = True) -> int:
    """+1/-1 when what scopes over ``start`` takes a side, 0 when it only reports.

    Walks from ``start`` up to the content's root, collecting negators and predicates
    attached to each word on the way; each negative one flips the sign. A mention is
    not a predicate over itself ("the ban" is the issue, not a word against it).
    """
    if any(t.text == "?" for t in start.doc[start.i : start.sent.end]):
        return 0  # a question asks, it takes no side
    negatives: set[int] = set()
    position = False
    token = start
    while True:
        if _embedded_question(token):
            return 0
        for word in (token, *token.children):
            is_own = word is token
            if not is_own and word.dep_ not in (
                *_ARGUMENT_DEPS,
                *_PREDICATE_DEPS,
                *_MODAL_DEPS,
                "neg",
                "advmod",
                "det",
            ):
                continue
            if _is_negator(word):
                negatives.add(word.i)
                continue
            if not is_own and word.dep_ in _ARGUMENT_DEPS:
                # "there were no plans to ...", "neither side wants ...": the clause is negated
                negatives.update(
                    d.i
                    for d in word.children
                    if d.dep_ == "det" and d.lower_ in _NEGATIVE_DETERMINERS
                )
            if not is_own and word.dep_ in _MODAL_DEPS:
                position = position or word.lower_ in _DEONTIC
                continue
            if mention and word is start:
                continue
            if is_own or word.dep_ in _PREDICATE_DEPS:
                sense = _predicate(word)
                if sense < 0:
                    negatives.add(word.i)
                position = position or sense != 0
        position = position or _commitment(token)
        head = token.head
        if head.i == token.i or head.i not in inside:
            break
        if _subject_described(token, start if mention else None, head):
            break
        token = head
    if negatives:
        return -1 if len(negatives) % 2 else 1
    return 1 if position else 0


def _subject_described(token: Token, mention: Token | None, head: Token) -> bool:
    """Whether ``token`` is a subject its clause only describes or makes the agent: "the
    museum will not end poverty" says what the issue does, not whether to have it; "the
    cause of the blast was not found" is about the cause; "unions want a deal" is a
    position on the deal. The issue as a passive subject is not described: "troops will
    not be sent" is about whether to have them.
    """
    if token.dep_ == "nsubj" and head.pos_ == "VERB" and _predicate(head):
        return True  # the agent of "want", "reject": the position is on something else
    if token.dep_ == "nsubj" or (token.dep_ == "nsubjpass" and token is not mention):
        return _describes(head)
    return False


def _describes(verb: Token) -> bool:
    """Whether a clause only describes its subject, so its negation is no position on it.

    Not so when the verb or its complement takes a side ("are necessary"), a deontic
    modal makes it a demand, the verb is about whether the subject comes to be ("will not
    happen", "won't work"), or a copula places it ("not on the table").
    """
    if _predicate(verb) or verb.lower_ in _REALISATION_FORMS:
        return False
    children = list(verb.children)
    if any(c.dep_ in _MODAL_DEPS and c.lower_ in _DEONTIC for c in children):
        return False
    if any(c.dep_ in ("acomp", "attr", "oprd") and _predicate(c) for c in children):
        return False
    copula = verb.norm_.replace("\u2019", "'") in _BE_FORMS
    complements = [c for c in children if c.dep_ in ("acomp", "attr", "oprd")]
    placed = any(c.dep_ == "prep" and c.lower_ in _PLACING for c in children)
    return not (copula and not complements and placed)


def _embedded_question(token: Token) -> bool:
    """A clause asked about, not asserted: "whether sanctions should be lifted"."""
    if any(c.dep_ == "mark" and c.lower_ == "whether" for c in token.children):
        return True
    return token.dep_ == "ccomp" and any(
        c.dep_ == "mark" and c.lower_ == "if" for c in token.children
    )


def _commitment(token: Token) -> bool:
    """A first-person future ("we will send"): a pledge, so a position."""
    children = list(token.children)
    return any(c.dep_ == "aux" and c.lower_ in _FUTURE for c in children) and any(
        c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in _FIRST_PERSON for c in children
    )
