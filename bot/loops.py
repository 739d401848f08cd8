"""The bot's event loop kept responsive: a monitor that logs every stall with what ran, and
a loop of its own in a thread for the work that must never run on the bot's loop (feed
polling and ingestion: parsing, hashing, the store's calls, the engine's results).

``LoopMonitor`` beats on the loop every ``interval``; a watchdog thread that sees no beat
for ``threshold`` takes the loop thread's stack at that moment, so the stall is logged
with the code that held the loop (``sys._current_frames``), not only its length. The
garbage collector's collections are timed too (``gc.callbacks``): one holds every thread
while it runs, so a stall it caused is logged with it, even when the loop thread itself was
idle in ``select``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

STALL_THRESHOLD = 0.1
"""Seconds: a loop that runs one thing longer than this is stalled (logged)."""

SWITCH_INTERVAL = 0.001
"""Seconds a thread may keep the interpreter while another waits for it (Python's default:
0.005). The loop thread gives the interpreter up at every socket call and waits for it
again behind the ingestion thread; at 5 ms, under load, such waits added up to stalls of
110-170 ms with the loop thread idle and the process busy (issue 12; docs/benchmarks.md)."""

_ROOT = Path(__file__).resolve().parent.parent
_OURS = tuple(str(_ROOT / name) for name in ("bot", "adapters", "briefings", "config", "tests"))


@dataclass(frozen=True, slots=True)
class Stall:
    """One stall of the loop: how long, and where the loop thread was while it lasted
    (our innermost frames, innermost first; the innermost frame of any code when none of
    ours was on the stack), how much of it the garbage collector ran (``collecting``
    seconds, its oldest ``generation`` then; -1 when none ran), and the CPU time the loop
    thread and the whole process had meanwhile (``loop_cpu``, ``process_cpu``; -1 when
    not measured). They tell the causes apart: the loop's own work (its thread busy),
    another thread holding the interpreter (the process busy, the loop thread not), or a
    machine too busy to run the process at all (neither)."""

    seconds: float
    where: str
    collecting: float = 0.0
    generation: int = -1
    loop_cpu: float = -1.0
    process_cpu: float = -1.0

    def describe(self) -> str:
        """The stall in a line: its length, what ran, any garbage collection in it and
        the CPU time the loop thread and the process had."""
        line = f"{self.seconds * 1000:.0f} ms; running: {self.where}"
        if self.generation >= 0:
            line += (
                f"; garbage collection {self.collecting * 1000:.0f} ms "
                f"(generation {self.generation})"
            )
        if self.process_cpu >= 0:
            line += (
                f"; CPU: loop thread {self.loop_cpu * 1000:.0f} ms, "
                f"process {self.process_cpu * 1000:.0f} ms"
            )
        return line


def _describe(frame: FrameType | None, depth: int = 3) -> str:
    """The frames of a stack that say what ran: ours first, innermost first."""
    ours: list[str] = []
    innermost = ""
    while frame is not None:
        code = frame.f_code
        path = Path(code.co_filename)
        if not innermost:
            innermost = f"{'/'.join(path.parts[-2:])}:{code.co_name}:{frame.f_lineno}"
        if code.co_filename.startswith(_OURS) and path.name != "loops.py":
            rel = path.relative_to(_ROOT).as_posix()
            ours.append(f"{rel}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    if ours:
        return " < ".join(ours[:depth])
    return innermost or "?"


class LoopMonitor:
    """Logs (WARNING) every stall of the running loop over ``threshold`` seconds with what
    ran, and keeps the last ones in ``stalls`` (``count`` and ``worst`` over all; ``latest``
    is the latest any beat came, under the threshold too). Every
    garbage collection in the process is timed while it watches (``collections``, and the
    longest in ``longest_collection`` with its ``longest_generation``).

    Start it on the loop it watches; ``aclose`` stops it."""

    def __init__(
        self,
        threshold: float = STALL_THRESHOLD,
        *,
        interval: float | None = None,
        keep: int = 100,
        on_caught: Callable[[], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.interval = interval if interval is not None else threshold / 4
        self.stalls: deque[Stall] = deque(maxlen=keep)
        self.count = 0
        self.worst = 0.0
        self.beats = 0
        self.latest = 0.0  # the latest any beat came, stall or not (seconds)
        self.collections = 0
        self.longest_collection = 0.0
        self.longest_generation = -1
        # (ended, seconds, generation) of the latest collections, on time.monotonic's clock
        self._collected: deque[tuple[float, float, int]] = deque(maxlen=256)
        self._collecting_since = 0.0
        self._on_caught = on_caught  # tests: told when the watchdog caught a stall
        self._last_beat = time.monotonic()
        self._caught: str | None = None
        self._loop_thread: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def start(self) -> None:
        """Watch the running loop (from a coroutine or callback on it)."""
        if self._task is not None:
            return
        self._loop_thread = threading.get_ident()
        self._last_beat = time.monotonic()
        gc.callbacks.append(self._time_collection)
        self._task = asyncio.get_running_loop().create_task(self._beat(), name="loop-monitor")
        self._watchdog = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._watchdog.start()

    async def aclose(self) -> None:
        self._stop.set()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._time_collection)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._watchdog is not None:
            await asyncio.to_thread(self._watchdog.join, 5)
            self._watchdog = None

    def _time_collection(self, phase: str, info: dict[str, int]) -> None:
        # Called by the collector, on whichever thread set it off, every thread held.
        now = time.monotonic()
        if phase == "start":
            self._collecting_since = now
            return
        seconds = now - self._collecting_since
        self._collected.append((now, seconds, info["generation"]))
        self.collections += 1
        if seconds > self.longest_collection:
            self.longest_collection = seconds
            self.longest_generation = info["generation"]

    def _collections_since(self, began: float) -> tuple[float, int]:
        """Seconds of garbage collection that ended after ``began``, and the oldest
        generation collected (-1: none)."""
        seconds, generation = 0.0, -1
        for ended, took, gen in list(self._collected):
            if ended >= began:
                seconds += took
                generation = max(generation, gen)
        return seconds, generation

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = time.monotonic()
            loop_cpu, process_cpu = time.thread_time(), time.process_time()
            before = loop.time()
            self._last_beat = time.monotonic()
            await asyncio.sleep(self.interval)
            self._last_beat = time.monotonic()  # at once: the watchdog must not see a gap
            self.beats += 1
            late = loop.time() - before - self.interval
            self.latest = max(self.latest, late)
            caught, self._caught = self._caught, None
            # A stall the watchdog caught is one even if the loop's clock, read a moment
            # later than the watchdog's, makes it a hair shorter than the threshold.
            if late > self.threshold or (caught is not None and late > self.threshold / 2):
                collecting, generation = self._collections_since(began)
                self._record(
                    Stall(
                        late,
                        caught or "?",
                        collecting,
                        generation,
                        time.thread_time() - loop_cpu,
                        time.process_time() - process_cpu,
                    )
                )

    def _record(self, stall: Stall) -> None:
        self.stalls.append(stall)
        self.count += 1
        self.worst = max(self.worst, stall.seconds)
        log.warning("event loop stalled %s", stall.describe())

    def _watch(self) -> None:
        while not self._stop.wait(self.interval / 2):
            if self._caught is not None:
                continue  # this stall is caught already
            if time.monotonic() - self._last_beat <= self.threshold + self.interval:
                continue
            frame = sys._current_frames().get(self._loop_thread or 0)
            self._caught = _describe(frame)
            del frame
            if self._on_caught is not None:
                self._on_caught()


class LoopThread:
    """An event loop of its own in a daemon thread. ``run(coro)``, awaited on another
    loop, runs ``coro`` here and gives back its result; cancelling the caller cancels it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.ident: int | None = None

    def _ensure(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            self.ident = threading.get_ident()
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop
        return loop

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        return await asyncio.wrap_future(future)

    async def aclose(self) -> None:
        """Stop the loop (what still runs on it is cancelled) and wait for the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 30)
