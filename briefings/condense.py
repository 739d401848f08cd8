"""What a bullet is made of: which statements may be one, what an editor leads with,
the cue verb to show, and words trimmed to fit (``briefings.brief`` builds the bullets).

A bullet names one person or body (two senators are two bullets), keeps the cue verb
of what they said ("denied", "warned") and holds up to a few of their statements that
say different things. Statements whose speaker the engine could not name (a pronoun
with nobody to stand for, a document with no sender) stay in ``extract`` but out of
bullets: a briefing says less rather than something wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefings.lexicon import FIRST_SECOND_PERSON, PERSONAL_PRONOUNS
from briefings.models import Kind, Stance, Statement

_CLAUSE_END = re.compile(r"[.;:!?]\s|,\s|\s[—–]\s")
# Stronger words carry a position better than mild ones: direct quotes first, then mixed.
_KIND_WEIGHT = {Kind.DIRECT: 3, Kind.MIXED: 2, Kind.INDIRECT: 1}
# Cues that turn the words into their opposite when dropped.
# A cue that says what was not said or done: "isn't saying", "did not say", "never said".
_NEGATED = re.compile(r"\bnot\b|n[’']t\b|\bnever\b")
_PRINCIPALS = frozenset(
    (
        "president", "minister", "secretary", "chancellor", "premier", "senator", "governor",
        "attorney general", "mayor", "nominee", "candidate", "leader", "king", "queen", "judge",
        "justice", "speaker", "ambassador", "general", "treasurer", "commissioner",
    )
)  # fmt: skip
_VOICES = frozenset(
    ("spokesman", "spokeswoman", "spokesperson", "aide", "adviser", "advisor", "press",
     "communications", "director", "manager", "deputy", "assistant")
)  # fmt: skip
NEGATIVE_CUES = ("deni", "deny", "reject", "dismiss", "refus", "rebuff", "disput", "rule out")
# Speakers that are things written, not people: they are shown only when nobody sent them.
# (A poll or a survey is a source in its own right: "a new poll shows".)
DOCUMENTS = frozenset(
    (
        "statement",
        "email",
        "e-mail",
        "memo",
        "memorandum",
        "letter",
        "report",
        "document",
        "documents",
        "release",
        "communique",
        "communiqué",
        "filing",
        "tweet",
        "post",
        "book",
        "article",
        "editorial",
        "it",
        "this",
        "that",
    )
)
_WORD = re.compile(r"[a-z0-9]+")


def trim(text: str, max_chars: int) -> str:
    """Cut ``text`` at the last clause boundary before ``max_chars``, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    window = text[: max_chars - 1]
    cuts = [m.start() for m in _CLAUSE_END.finditer(window) if m.start() > max_chars // 3]
    cut = cuts[-1] if cuts else window.rfind(" ")
    if cut <= 0:
        cut = max_chars - 1
    return window[:cut].rstrip(" ,;:—–") + "…"


def is_denial(cue: str) -> bool:
    """Whether a cue rejects its words ("denied", "rejected", "ruled out")."""
    low = cue.lower()
    return any(n in low for n in NEGATIVE_CUES) or bool(_NEGATED.search(low))


def named_speaker(st: Statement) -> bool:
    """Whether a bullet can name who spoke: not a bare pronoun, not empty, not a
    document standing in for its sender, not the reader or writer."""
    name = st.speaker_name.strip()
    low = name.lower()
    if not name or low in PERSONAL_PRONOUNS or low in FIRST_SECOND_PERSON:
        return False
    words = _WORD.findall(low)
    if not words:
        return False
    head = words[-1]
    return not (head in DOCUMENTS and not any(c.isupper() for c in name[1:]))


def cue_of(st: Statement) -> str:
    """The cue as written, "said" when the article used none a bullet can show
    ("according to" reads as "said")."""
    if st.cue is None:
        return "said"
    cue = " ".join(st.cue.text.split())
    if not cue or cue.lower() in ("according to", "according", ":"):
        return "said"
    return cue


def words_of(text: str) -> set[str]:
    """The words of a text, lower case, for overlap tests."""
    return set(_WORD.findall(text.lower()))


def _different(words: set[str], kept: list[set[str]]) -> bool:
    """Whether words say something other than each kept one (< 60% shared)."""
    for other in kept:
        small = min(len(words), len(other)) or 1
        if len(words & other) / small >= 0.6:
            return False
    return True


def is_headline(st: Statement, headline: set[str]) -> bool:
    """Whether the words are the headline's own: a headline may name who spoke, but it
    is the outlet's summary, not a statement."""
    words = words_of(st.words)
    return bool(words) and len(words & headline) >= 0.8 * len(words)


def _principal(role: str | None) -> bool:
    """Whether a role is an office that decides, not one that speaks for it: a
    secretary, minister or attorney general leads before a spokesman or an aide."""
    words = (role or "").lower().replace("-", " ").split()
    if not words or any(w in _VOICES for w in words):
        return False
    return words[-1] in _PRINCIPALS or " ".join(words[-2:]) in _PRINCIPALS


_POLLS = frozenset(("poll", "polls", "survey"))


def importance(statements: Sequence[Statement], headline: set[str]) -> int:
    """How much an editor would lead with one speaker's statements: named principals and
    officials, people in the headline, direct quotes and denials, then how much they
    said."""
    lead = statements[0]
    name = max((st.speaker_name for st in statements), key=len)
    # a person's name ("Ana Ruiz"), not a group's capitals ("Other E.U. leaders")
    named = sum(1 for w in name.split() if w[:1].isupper()) >= 2 and name.split()[-1][:1].isupper()
    # someone the facts know by name: a leader, a nominee, a minister of the day
    known = any(st.actor is not None and st.actor.evidence.startswith("fact:") for st in statements)
    # a state or body speaking in its own name ("China said", "the Kremlin warned") and
    # a poll's finding are what a newsletter leads with, as much as a named principal
    itself = any(
        st.actor is not None
        and st.actor.evidence.startswith(("country:", "metonym:"))
        and st.actor.evidence.split(":", 1)[1].strip().lower() in st.speaker_name.lower()
        for st in statements
    )
    poll = bool(_POLLS & words_of(name))
    surname = name.split()[-1] if name.split() else ""
    return (
        3 * bool(headline & words_of(surname))
        + 2 * named
        + 2 * known
        + 5 * itself
        + 6 * poll
        + 2 * any(st.actor is not None for st in statements)
        + (lead.role is not None)
        + 3 * any(_principal(st.role) for st in statements)
        + 2 * any(st.kind is Kind.DIRECT for st in statements)
        + 2 * any(is_denial(cue_of(st)) for st in statements)
        + min(len(statements), 3)
    )


# A bullet quotes its speaker verbatim at most this many times beside what it reports.
MAX_QUOTES = 2


def pick_statements(
    statements: Sequence[Statement], count: int, keep: Sequence[str] = ()
) -> list[Statement]:
    """Up to ``count`` statements that say different things from each other and from
    ``keep``, shown in text order: denials, sides taken and direct quotes first, then the
    earliest."""
    ranked = sorted(
        statements,
        key=lambda s: (
            -is_denial(cue_of(s)),
            -(s.stance in (Stance.SUPPORTS, Stance.OPPOSES)),
            -_KIND_WEIGHT[s.kind],
            s.content.start,
        ),
    )
    chosen: list[Statement] = []
    kept = [words_of(k) for k in keep]
    for st in ranked:
        words = words_of(st.words)
        if len(chosen) >= count or not words or not _different(words, kept):
            continue
        if st.kind is Kind.DIRECT and sum(c.kind is Kind.DIRECT for c in chosen) >= MAX_QUOTES:
            continue
        chosen.append(st)
        kept.append(words)
    return sorted(chosen, key=lambda s: s.content.start)
