"""Run every benchmark (bench/bench_*.py) at its full default size, one after another.

Each runs in a process of its own (``python -m bench.<name>``) so its peak memory is its own.

    .venv/bin/python -m bench              # all of them
    .venv/bin/python -m bench poll stance  # bench_poll and bench_stance only
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    """The benchmark names ("poll", "stance", ...) found beside this file."""
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = available()
    chosen = [name.removeprefix("bench_") for name in argv] or names
    unknown = [name for name in chosen if name not in names]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; there are: {', '.join(names)}")
        return 2
    failed: list[str] = []
    for name in chosen:
        print(f"== bench_{name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.bench_{name}"], cwd=HERE.parent)
        print(f"== bench_{name}: exit {code}, {time.perf_counter() - started:.0f} s\n", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
