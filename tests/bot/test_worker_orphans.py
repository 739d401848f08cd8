"""Worker processes die with their parent: after SIGKILL of the bot, no engine worker is
left behind (each holds a model of ~185 MB)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def _child() -> None:
    from bot.extraction import ProcessPoolExtractor

    extractor = ProcessPoolExtractor(1)
    worker = await asyncio.get_running_loop().run_in_executor(extractor._pool, os.getpid)
    print(f"worker {worker}", flush=True)
    await asyncio.sleep(600)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"  # a zombie is gone
    except FileNotFoundError:
        return False


def test_engine_workers_die_with_their_parent_even_by_sigkill() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.test_worker_orphans"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("worker "), line
        worker = int(line.split()[1])
        assert _alive(worker)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    # The kernel signals the worker when its parent dies; wait for that event (bounded).
    deadline = time.monotonic() + 60
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), f"worker {worker} outlived its parent"


if __name__ == "__main__":
    asyncio.run(_child())
