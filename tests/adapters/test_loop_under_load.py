"""Issue 12, acceptance 1, as counted events: the real bot (runtime, discord.py client) polls
60 feeds while 30 slash commands (ten of them 6,000 characters long) arrive over a fake
Discord gateway that runs in another process, so a blocked loop cannot hide behind it.

Every interaction gets its one initial callback, and no ingestion or storage code runs on
the bot's loop thread: every function of it the loop thread enters is counted (a profile
hook on that thread alone), and the count must be zero. Stalls are not what is asserted:
on a machine short of CPU the loop stalls wherever it stands, its own thread hops
included. How long stalls and callbacks take depends on the machine: ``make bench``
(bench/bench_loop.py) prints those figures, recorded in docs/benchmarks.md."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from types import FrameType

import pytest

from bench.bench_loop import run_scenario
from bot.loops import LoopMonitor

ROOT = Path(__file__).resolve().parents[2]
INGESTION_CODE = ("bot/ingest/", "bot/store/", "bot/extraction.py", "bot/fit.py")
HOPS = ("bot/store/store.py",)
"""The store's door: its coroutines run on the loop by design and only hand the work to
the store's threads (the work itself is in the other bot/store/ modules)."""


class IngestionOnThisThread:
    """Counts the calls into ingestion and storage code made on the thread that enters it."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._ours: dict[object, str | None] = {}

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call":
            return
        code = frame.f_code
        where = self._ours.get(code, "")
        if where == "":
            where = self._ours[code] = self._classify(code.co_filename, code.co_name)
        if where is not None:
            self.calls[where] += 1

    @staticmethod
    def _classify(filename: str, name: str) -> str | None:
        try:
            rel = Path(filename).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return None
        if rel.startswith(INGESTION_CODE) and not rel.startswith(HOPS):
            return f"{rel}:{name}"
        return None

    def start(self) -> None:
        sys.setprofile(self._profile)

    def stop(self) -> None:
        sys.setprofile(None)


async def test_the_loop_answers_every_command_while_sixty_feeds_are_ingested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_the_loop = IngestionOnThisThread()
    start_monitor = LoopMonitor.start

    def start_counting(monitor: LoopMonitor) -> None:
        # Called on the loop once the bot is built and its feeds added, when the
        # interactions and the ingestion begin: from here on, count.
        start_monitor(monitor)
        on_the_loop.start()

    monkeypatch.setattr(LoopMonitor, "start", start_counting)
    try:
        figures = await run_scenario(feeds=60, items=20, data_dir=tmp_path)
    finally:
        on_the_loop.stop()
    assert figures.feeds_polled == 60 and figures.articles_new == 60 * 20
    assert figures.sent == 30 and len(figures.latencies) == 30
    assert figures.callbacks == 30  # one initial callback each, none lost or doubled
    assert figures.beats > 0  # the monitor watched the whole time
    assert dict(on_the_loop.calls) == {}
