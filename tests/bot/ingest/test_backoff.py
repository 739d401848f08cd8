"""Backoff for failing feeds and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest import MAX_FAILURES, next_attempt_delay, parse_retry_after

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [
        (0, timedelta(0)),
        (1, timedelta(minutes=5)),
        (2, timedelta(minutes=10)),
        (3, timedelta(minutes=20)),
        (8, timedelta(minutes=640)),
        (9, timedelta(minutes=1280)),
        (10, timedelta(hours=24)),  # 2560 minutes would pass the cap
        (50, timedelta(hours=24)),
        (10**6, timedelta(hours=24)),
    ],
)
def test_delay_doubles_up_to_a_cap(failures: int, delay: timedelta) -> None:
    assert next_attempt_delay(failures) == delay


def test_retry_after_wins_when_longer_and_is_itself_capped() -> None:
    assert next_attempt_delay(1, retry_after=3600) == timedelta(hours=1)
    assert next_attempt_delay(5, retry_after=60) == timedelta(minutes=80)
    assert next_attempt_delay(0, retry_after=90) == timedelta(seconds=90)
    assert next_attempt_delay(1, retry_after=10**9) == timedelta(days=7)


def test_feeds_are_disabled_after_a_bounded_number_of_failures() -> None:
    assert 3 <= MAX_FAILURES <= 20
    total = sum((next_attempt_delay(n) for n in range(1, MAX_FAILURES)), timedelta())
    assert timedelta(hours=12) <= total <= timedelta(days=7)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Wed, 01 May 2024 12:30:00 GMT", 1800.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # a date in the past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds
