"""Briefing schedules: what a user may type ("daily 08:00", "weekdays 7:30", a cron
expression), checked once, and the slots a cron expression fires at in a time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserInputError
from bot.fit import one_line

OFF = ("off", "none", "never")

_SCHEDULE_WORDS = re.compile(
    r"^(?P<when>daily|weekdays|weekends|hourly)(?:\s+(?:at\s+)?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?)?$"
)


def parse_schedule(schedule: str, timezone: str) -> str:
    """A cron expression from "daily 08:00", "weekdays 7:30", "hourly" or a 5-field cron;
    raises ``UserInputError`` on anything else or an unknown time zone."""
    from apscheduler.triggers.cron import CronTrigger

    zone = parse_timezone(timezone)
    text = " ".join(schedule.strip().lower().split())
    words = _SCHEDULE_WORDS.match(text)
    if words:
        hour = int(words["h"] or 0)
        minute = int(words["m"] or 0)
        if hour > 23 or minute > 59:
            raise UserInputError(f"{one_line(schedule, 60)!r} is not a time of day")
        days = {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}
        if words["when"] == "hourly":
            cron = f"{minute if words['h'] is None else 0} * * * *"
        else:
            cron = f"{minute} {hour} * * {days[words['when']]}"
    else:
        cron = text
    if len(cron.split()) != 5:
        raise UserInputError(
            f"{one_line(schedule, 60)!r} is not a schedule: "
            'use a cron expression ("0 8 * * *") or "daily 08:00"'
        )
    try:
        CronTrigger.from_crontab(cron, timezone=zone)
    except ValueError as exc:
        raise UserInputError(
            f"{one_line(schedule, 60)!r} is not a valid cron expression: {exc}"
        ) from None
    return cron


def read_schedule(schedule: str, timezone: str) -> tuple[str | None, str]:
    """What a user typed as (cron or None for "off", time zone), both checked; raises
    ``UserInputError`` on a malformed schedule or an unknown time zone."""
    if schedule.strip().lower() in OFF:
        parse_timezone(timezone)
        return None, timezone
    return parse_schedule(schedule, timezone), timezone.strip() or "UTC"


def parse_timezone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise UserInputError(
            f"unknown time zone {one_line(timezone, 60)!r} (e.g. Europe/Berlin)"
        ) from None


def cron_trigger(cron: str, timezone: str) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))


def latest_slot(cron: str, timezone: str, after: datetime, now: datetime) -> datetime | None:
    """The last time the schedule fired in (``after``, ``now``], or None. Looks back through
    widening windows so a minutely schedule after long downtime costs few steps."""
    trigger = cron_trigger(cron, timezone)
    for window in (timedelta(hours=2), timedelta(days=2), timedelta(days=32), timedelta(days=367)):
        start = max(after, now - window)
        slot: datetime | None = None
        fire = trigger.get_next_fire_time(None, start + timedelta(microseconds=1))
        while fire is not None and fire <= now:
            slot = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        if slot is not None:
            return slot.astimezone(UTC)
        if start == after:
            return None
    return None


def next_slot(cron: str, timezone: str, now: datetime) -> datetime | None:
    fire = cron_trigger(cron, timezone).get_next_fire_time(None, now)
    return fire.astimezone(UTC) if fire is not None else None
