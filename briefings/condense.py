"""Statements → briefing bullets, one per actor. (Being written: API is stable.)"""

from __future__ import annotations

from collections.abc import Sequence

from briefings.models import Bullet, Statement


def condense(statements: Sequence[Statement], max_chars: int = 280) -> list[Bullet]:
    """One bullet per actor, most prominent first, words trimmed at a clause boundary."""
    return []
