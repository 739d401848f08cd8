"""Issue 12, acceptance 1, as counted events: the real bot (runtime, discord.py client) polls
60 feeds while 30 slash commands (ten of them 6,000 characters long) arrive over a fake
Discord gateway that runs in another process, so a blocked loop cannot hide behind it.

Every interaction gets its one initial callback, and no stall of the bot's loop is spent in
ingestion or storage code (the loop monitor names what held the loop). How long stalls and
callbacks take depends on the machine: ``make bench`` (bench/bench_loop.py) prints those
figures, recorded in docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

from bench.bench_loop import run_scenario

INGESTION_CODE = ("bot/ingest/", "bot/store/", "bot/extraction.py", "bot/fit.py")


async def test_the_loop_answers_every_command_while_sixty_feeds_are_ingested(
    tmp_path: Path,
) -> None:
    figures = await run_scenario(feeds=60, items=20, data_dir=tmp_path)
    assert figures.feeds_polled == 60 and figures.articles_new == 60 * 20
    assert figures.sent == 30 and len(figures.latencies) == 30
    assert figures.callbacks == 30  # one initial callback each, none lost or doubled
    assert figures.beats > 0  # the monitor watched the whole time
    ours = [stall for stall in figures.stalls if any(c in stall.where for c in INGESTION_CODE)]
    assert ours == []
