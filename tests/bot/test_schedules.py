"""Briefing schedules: what a user may type, and the slots a cron expression fires at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import UserInputError
from bot.schedules import latest_slot, parse_schedule, read_schedule


@pytest.mark.parametrize(
    ("given", "cron"),
    [
        ("daily 08:00", "0 8 * * *"),
        ("daily 7:30", "30 7 * * *"),
        ("weekdays 06:15", "15 6 * * mon-fri"),
        ("hourly", "0 * * * *"),
        ("*/15 * * * *", "*/15 * * * *"),
    ],
)
def test_schedules(given: str, cron: str) -> None:
    assert parse_schedule(given, "Europe/Berlin") == cron


@pytest.mark.parametrize(
    ("given", "zone"),
    [
        ("daily 25:00", "UTC"),
        ("every tuesday", "UTC"),
        ("61 * * * *", "UTC"),
        ("daily 08:00", "Mars/Olympus"),
    ],
)
def test_bad_schedules_are_user_errors(given: str, zone: str) -> None:
    with pytest.raises(UserInputError):
        parse_schedule(given, zone)


def test_latest_slot_in_the_channels_time_zone() -> None:
    now = datetime(2024, 5, 3, 7, 30, tzinfo=UTC)  # 09:30 in Berlin
    after = datetime(2024, 5, 1, tzinfo=UTC)
    assert latest_slot("0 8 * * *", "Europe/Berlin", after, now) == datetime(
        2024, 5, 3, 6, 0, tzinfo=UTC
    )
    assert latest_slot("0 8 * * *", "UTC", after, now) == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert latest_slot("0 8 * * *", "UTC", now - timedelta(minutes=5), now) is None
    # A minutely schedule after a long downtime: the last minute, found quickly.
    assert latest_slot("* * * * *", "UTC", after - timedelta(days=300), now) == now


def test_off_keeps_the_time_zone_checked() -> None:
    assert read_schedule("Off", "Europe/Berlin") == (None, "Europe/Berlin")
    with pytest.raises(UserInputError):
        read_schedule("off", "Mars/Olympus")
