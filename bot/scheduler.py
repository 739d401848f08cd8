"""APScheduler wiring only: a feed-polling job, and one briefing job per subscription from its
cron expression in its time zone. What the jobs do lives in the runtime and the service."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.ports import ChannelRef
from bot.schedules import cron_trigger

log = logging.getLogger(__name__)

POLL_JOB = "poll-feeds"


def briefing_job_id(channel: ChannelRef) -> str:
    return f"briefing:{channel}"


class Scheduler:
    """Owns the AsyncIOScheduler; must be started on the running event loop."""

    def __init__(
        self,
        poll: Callable[[], Awaitable[Any]],
        deliver: Callable[[ChannelRef], Awaitable[Any]],
        poll_interval: timedelta,
    ) -> None:
        self._poll = poll
        self._deliver = deliver
        self.poll_interval = poll_interval
        self.scheduler = AsyncIOScheduler(timezone="UTC")

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self, schedules: list[tuple[ChannelRef, str, str]], poll_now: bool = True) -> None:
        """Start with the polling job and a briefing job per (channel, cron, time zone)."""
        self.scheduler.add_job(
            self._poll,
            IntervalTrigger(seconds=self.poll_interval.total_seconds(), timezone="UTC"),
            id=POLL_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            replace_existing=True,
        )
        for channel, cron, timezone in schedules:
            self.schedule(channel, cron, timezone)
        self.scheduler.start()
        if poll_now:
            self.run_now(POLL_JOB)

    def schedule(self, channel: ChannelRef, cron: str | None, timezone: str) -> None:
        """Add, replace or (with ``cron`` None) remove the channel's briefing job."""
        job_id = briefing_job_id(channel)
        if cron is None:
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
            return
        self.scheduler.add_job(
            self._deliver,
            cron_trigger(cron, timezone),
            args=(channel,),
            id=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,  # a late run still counts; the slot claim prevents doubles
            replace_existing=True,
        )
        log.debug("briefing job for %s: %s (%s)", channel, cron, timezone)

    def run_now(self, job_id: str) -> None:
        """Make a job run at once (and then on its trigger again)."""
        job = self.scheduler.get_job(job_id)
        if job is not None:
            from datetime import UTC, datetime

            job.modify(next_run_time=datetime.now(UTC))

    def jobs(self) -> list[Any]:
        return list(self.scheduler.get_jobs())

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
