"""Benchmark: what the scenario matrix adds to the warm main job, measured in one run.

Job: the main job as the README runs it, ``hedgelab compare`` (every built-in on crisis-2025, report,
summary.csv, events.csv, tearsheets), each a new process writing a new folder, with the kernels already
compiled (a first, untimed run of each compiles and warms the caches). Timed two ways, interleaved so that the
machine's noise falls on both alike:
- ``with``: ``hedgelab compare`` (the scenario matrix on, the default);
- ``without``: ``hedgelab compare --no-scenarios``.

    python benchmarks/bench_scenarios.py [--runs 5]

Prints each one's median wall time and the ratio ``with / without`` (issue 22's target: at most 1.20), and
the same for the CPU time (user + system) of the process, which another job on a shared machine disturbs less.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {"with": [], "without": ["--no-scenarios"]}


def hedgelab() -> list[str]:
    """The installed command beside this Python (a venv's), else ``python -m hedgelab``."""
    exe = os.path.join(os.path.dirname(sys.executable), "hedgelab")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "hedgelab"]


def cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def once(flags: list[str], folder: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one main job."""
    out = tempfile.mkdtemp(dir=folder)
    shutil.rmtree(out)
    t, c = time.perf_counter(), cpu()
    subprocess.run([*hedgelab(), "compare", *flags, "--out", out, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds, cpu_seconds = time.perf_counter() - t, cpu() - c
    shutil.rmtree(out, ignore_errors=True)
    return seconds, cpu_seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-scenarios-")
    try:
        for flags in CASES.values():      # compile / warm
            once(flags, folder)
        wall: dict = {k: [] for k in CASES}
        used: dict = {k: [] for k in CASES}
        for _ in range(args.runs):
            for k, flags in CASES.items():
                w, c = once(flags, folder)
                wall[k].append(w)
                used[k].append(c)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for what, times in (("wall", wall), ("CPU", used)):
        med = {k: statistics.median(v) for k, v in times.items()}
        for k in CASES:
            print(f"{what} {k:>7}: median {med[k]:.2f} s over {args.runs} runs ({', '.join(f'{x:.2f}' for x in times[k])})")
        print(f"{what} ratio with / without: {med['with'] / med['without']:.3f}" + (" (target <= 1.20)" * (what == "wall")))


if __name__ == "__main__":
    main()
