"""Statements → briefing bullets: one line per actor, most prominent first."""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefings.models import Bullet, Kind, Stance, Statement
from briefings.stance import aggregate

_CLAUSE_END = re.compile(r"[.;:!?]\s|,\s|\s[—–]\s")
# Stronger words carry a position better than mild ones: direct quotes first, then mixed.
_KIND_WEIGHT = {Kind.DIRECT: 3, Kind.MIXED: 2, Kind.INDIRECT: 1}


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


def _label(st: Statement) -> str:
    return st.actor.name if st.actor else st.speaker_name


def _score(st: Statement) -> tuple[int, int, int]:
    decided = 1 if st.stance in (Stance.SUPPORTS, Stance.OPPOSES) else 0
    return (decided, _KIND_WEIGHT[st.kind], len(st.words))


def condense(statements: Sequence[Statement], max_chars: int = 280) -> list[Bullet]:
    """One bullet per actor (or per speaker without one), most prominent first.

    Prominence is how many statements an actor has, then where it first speaks; the
    words shown are the statement that best carries the position (a clear stance, a
    direct quote, then length), trimmed at a clause boundary.
    """
    groups: dict[str, list[Statement]] = {}
    for st in statements:
        if st.speaker_name.lower() in ("he", "she", "they", "it"):
            continue
        key = st.actor.id if st.actor else st.speaker_name.lower()
        groups.setdefault(key, []).append(st)
    order = sorted(groups.values(), key=lambda g: (-len(g), g[0].content.start))
    bullets: list[Bullet] = []
    for group in order:
        stance = aggregate(s.stance for s in group)
        # the words shown take the actor's overall side when one of its statements does
        siding = [s for s in group if s.stance is stance] or group
        best = max(siding, key=_score)
        bullets.append(
            Bullet(
                label=_label(best),
                actor=best.actor,
                speaker_name=best.speaker_name,
                role=best.role,
                text=trim(best.words, max_chars),
                kind=best.kind,
                stance=stance,
                statements=len(group),
            )
        )
    return bullets
