"""When to try a failing feed again, and when to give up on it."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

MAX_FAILURES = 10
"""Consecutive failures after which a feed is disabled (about two and a half days of retries)."""

BASE_DELAY = timedelta(minutes=5)
MAX_DELAY = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(days=7)  # a server may ask us to wait, but not forever


def next_attempt_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """Delay before the next attempt after ``failures`` consecutive failures.

    Exponential from 5 minutes, doubling, capped at 24 hours; a server's Retry-After wins
    when it asks for longer (itself capped at 7 days).
    """
    if failures <= 0:
        delay = timedelta(0)
    else:
        # 2**exponent grows fast: clamp the exponent before computing to avoid overflow.
        exponent = min(failures - 1, 20)
        delay = min(BASE_DELAY * (2**exponent), MAX_DELAY)
    if retry_after is not None and retry_after > 0:
        asked = min(timedelta(seconds=retry_after), MAX_RETRY_AFTER)
        delay = max(delay, asked)
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
