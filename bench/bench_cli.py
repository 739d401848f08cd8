"""Benchmark (issue 11, acceptance 4): memory of one 10 MB entry, and commands' start-up.

- Peak memory of ``newsbrief ingest --once`` polling one feed whose one entry holds 10 MB of
  text (a loopback server in this process; the real engine with its parser processes; a
  fresh SQLite database). The process tree is sampled from /proc every 50 ms: the largest
  process's peak RSS (VmHWM), and the tree's summed RSS and PSS. Goal: under 400 MB.
- Start-up: wall time of ``newsbrief feeds list`` and ``newsbrief stance`` as a user runs
  them (a new process each, a migrated database of 20 articles quoting Germany's
  chancellor: ``stance Germany`` groups them into stories, ``stance France`` finds none), median
  of ``--runs`` after one untimed run; with Python's bytecode cache, as an installed
  program has it. Goal: under 1.5 s. The command's CPU time (user + system, from
  ``getrusage``) is printed beside it: on a shared machine the wall time follows the
  others' load, the CPU time does not.

    .venv/bin/python -m bench.bench_cli [--megabytes 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_extract import TreeSampler, _child_env

ROOT = Path(__file__).resolve().parent.parent
NEWSBRIEF = str(Path(sys.executable).parent / "newsbrief")
PARAGRAPH = (
    'German Chancellor Olaf Scholz said: "We will keep the budget balanced this year." '
    "The finance ministry confirmed the plan on Monday, and the opposition said it would "
    "study the figures before the vote in parliament next week. "
)


def _env(data: Path) -> dict[str, str]:
    env = _child_env()
    env.update(
        NEWSBRIEF_DATA_DIR=str(data),
        NEWSBRIEF_ALLOW_PRIVATE_NETWORKS="true",
        NEWSBRIEF_FEED_MAX_BYTES=str(40_000_000),  # the feed of one 10 MB entry is read whole
        NEWSBRIEF_LOG_LEVEL="WARNING",
    )
    env.pop("NEWSBRIEF_DATABASE_URL", None)
    return env


def big_entry(megabytes: float) -> tuple[float, float, float, int, str]:
    """(peak RSS of the largest process, summed RSS, summed PSS) in MB, the text's length,
    and the ingest command's summary line."""
    from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

    paragraphs = int(megabytes * 1_000_000 / len(PARAGRAPH)) + 1
    text = "<p>" + "</p><p>".join([PARAGRAPH] * paragraphs) + "</p>"
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        data = Path(folder)
        # The entry's link answers 404: its text is the feed's own, all 10 MB of it.
        item = FeedItem("Ten megabytes", server.url("/gone"), content=text, guid="big")
        server.route("/big.xml", rss_feed("Big", [item]))
        env = _env(data)
        subprocess.run(
            [NEWSBRIEF, "feeds", "add", server.url("/big.xml")], env=env, check=True, cwd=ROOT
        )
        proc = subprocess.Popen(
            [NEWSBRIEF, "ingest", "--once"], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        out, _ = proc.communicate()
        sampler.stop()
        if proc.returncode != 0:
            raise SystemExit(f"ingest failed: exit {proc.returncode}")
        return (
            sampler.largest_kb / 1024,
            sampler.peak_rss_kb / 1024,
            sampler.peak_pss_kb / 1024,
            len(text),
            out.strip().splitlines()[-1],
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_up(runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall seconds and CPU seconds (user + system) of each command, ``runs`` times after
    one untimed run. On a shared machine the wall time grows with the others' load; the
    CPU time is what the command itself costs."""
    from tests.fakes.feed_server import FeedItem, FeedServer, rss_feed

    commands = {
        "feeds list": ["feeds", "list"],
        "stance Germany (20 reports: stories compared)": ["stance", "Germany"],
        "stance France (no statements)": ["stance", "France"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder, FeedServer() as server:
        data = Path(folder)
        env = _env(data)
        items = [
            FeedItem(
                f"Budget {i}",
                server.url(f"/gone/{i}"),
                content=PARAGRAPH * 4 + f"This is report {i} of the day.",
                guid=str(i),
            )
            for i in range(20)
        ]
        server.route("/feed.xml", rss_feed("Desk", items))
        subprocess.run(
            [NEWSBRIEF, "feeds", "add", server.url("/feed.xml")], env=env, check=True, cwd=ROOT
        )
        ingested = subprocess.run(
            [NEWSBRIEF, "ingest", "--once"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        germany = subprocess.run(
            [NEWSBRIEF, "stance", "Germany"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        print(
            f"start-up database: {ingested.stdout.strip().splitlines()[-1]}; stance Germany: "
            f"{germany.stdout.splitlines()[0]}, {germany.stdout.count(chr(10)) - 1} lines",
            flush=True,
        )
        for _ in range(runs + 1):
            for name, args in commands.items():
                started, used = time.perf_counter(), _children_cpu()
                subprocess.run(
                    [NEWSBRIEF, *args], env=env, check=True, cwd=ROOT, capture_output=True
                )
                times[name].append(time.perf_counter() - started)
                cpu[name].append(_children_cpu() - used)
    return {name: (times[name][1:], cpu[name][1:]) for name in commands}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    largest, rss, pss, chars, summary = big_entry(args.megabytes)
    print(
        f"one entry of {chars / 1e6:.1f} MB: largest process peak RSS {largest:.0f} MB "
        f"(goal < 400), tree peak RSS {rss:.0f} MB, PSS {pss:.0f} MB; {summary}",
        flush=True,
    )
    for name, (wall, cpu) in start_up(args.runs).items():
        print(
            f"newsbrief {name}: median {statistics.median(wall):.2f} s, max "
            f"{max(wall):.2f} s over {len(wall)} runs (goal < 1.5 s); CPU median "
            f"{statistics.median(cpu):.2f} s; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
