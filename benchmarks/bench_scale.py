"""Sweep throughput on Dask: columns/s in-process, `local`, `local-processes:2`, a scheduler with one and
with two worker processes, the scaling efficiency, and the peak RSS of a 1-million-column sweep.

Workload: `perp-hedge` over the embedded crisis-2025 dataset (2,184 hourly bars, hourly rebalance,
8 h funding, tiered margin), a hedge_ratio x leverage grid in summary mode (what big sweeps run).
Every figure is the median of --repeats warm runs (each backend runs once untimed first: worker
start, market loading and kernel compile are reported separately as start-up, not in columns/s).

Scaling efficiency = columns/s on 2 worker processes / (2 x columns/s on 1 worker process), each
worker one task thread and one core (NUMBA_NUM_THREADS=1), so two workers have twice the cores of one:
it measures what Dask's distribution costs, not how many cores the kernel's prange already uses (with
numba's threads split between the workers, one worker alone would take every core and two could not
do better on this machine).

Runs from any directory with hedgelab installed (regular or editable): it imports only the
installed package, and its subprocesses run with their working directory in a temp folder.

    python benchmarks/bench_scale.py [--columns 4000] [--repeats 3] [--rss-columns 1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

STRATEGY = "perp-hedge"


def grid(columns: int) -> dict:
    """hedge_ratio x leverage with ``columns`` points (an even number)."""
    half = max(1, columns // 2)
    return {"hedge_ratio": [k / max(half - 1, 1) for k in range(half)], "leverage": [2, 5]}


def timed(columns: int, repeats: int, **where) -> tuple[float, float]:
    """(median columns/s over ``repeats`` warm sweeps, seconds of the first, cold one)."""
    import hedgelab
    g = grid(columns)
    n = len(g["hedge_ratio"]) * len(g["leverage"])
    t0 = time.perf_counter()
    hedgelab.sweep(STRATEGY, g, summary_only=True, **where)
    first = time.perf_counter() - t0
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = hedgelab.sweep(STRATEGY, g, summary_only=True, **where)
        rates.append(n / (time.perf_counter() - t0))
        assert not result.failures, result.failures
    return statistics.median(rates), first


RSS_CODE = """
import json, resource, sys, tempfile, time
import hedgelab
columns = int(sys.argv[1])
window = {k: v for k, v in zip(("start", "end"), sys.argv[2:4]) if v != "-"}
half = columns // 2
grid = {"hedge_ratio": [k / (half - 1) for k in range(half)], "leverage": [2, 5]}
with tempfile.TemporaryDirectory(prefix="bench-scale-rows-") as folder:
    t0 = time.perf_counter()
    result = hedgelab.sweep("perp-hedge", grid, summary_only=True, rows=folder + "/rows", **window)
    seconds = time.perf_counter() - t0
assert not result.failures and len(result.runs) == 2 * half
t1 = time.perf_counter()
summary = result.summary
print(json.dumps({"columns": len(result.runs), "seconds": seconds, "summary_seconds": time.perf_counter() - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peak_rss(columns: int, start=None, end=None) -> dict:
    """A summary-mode sweep of ``columns`` in a fresh process (cwd outside any repository)."""
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([sys.executable, "-c", RSS_CODE, str(columns), start or "-", end or "-"], cwd=cwd,
                              capture_output=True,
                              text=True, env=dict(os.environ))
    if proc.returncode != 0:
        raise SystemExit(f"the {columns:,}-column sweep failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=int, default=4000, help="parameter sets per timed sweep")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rss-columns", type=int, default=1_000_000, help="0 skips the peak-RSS sweep")
    ap.add_argument("--rss-start", default=None, help="first day of the peak-RSS sweep (default: all data)")
    ap.add_argument("--rss-end", default=None, help="last day of the peak-RSS sweep")
    args = ap.parse_args(argv)

    from hedgelab.scale import open_cluster
    from hedgelab.scale.localhost import scheduler_and_workers
    cores = os.cpu_count()
    print(f"workload: {STRATEGY} on crisis-2025 (2,184 hourly bars), {args.columns:,} columns, summary mode; "
          f"{cores} cores; medians of {args.repeats} warm runs")
    rates = {}
    rate, first = timed(args.columns, args.repeats)
    rates["in-process"] = rate
    print(f"in-process (kernel prange on {cores} threads): {rate:,.0f} columns/s "
          f"({rate * 2184 / 1e6:.1f} M bar x col/s); first run {first:.1f} s")
    for spec in ("local", "local-processes:2"):
        t0 = time.perf_counter()
        with open_cluster(spec) as client:
            started = time.perf_counter() - t0
            rate, first = timed(args.columns, args.repeats, client=client)
        rates[spec] = rate
        print(f"{spec}: {rate:,.0f} columns/s ({rate * 2184 / 1e6:.1f} M bar x col/s); cluster start "
              f"{started:.1f} s, first run (workers load data, compile) {first:.1f} s")
    for n in (1, 2):
        t0 = time.perf_counter()
        with scheduler_and_workers(n, env={"NUMBA_NUM_THREADS": "1"}) as procs, \
                open_cluster(procs.address) as client:
            started = time.perf_counter() - t0
            rate, first = timed(args.columns, args.repeats, client=client)
        rates[f"scheduler+{n}"] = rate
        print(f"dask scheduler + {n} worker process{'es' if n > 1 else ''} (1 core each): {rate:,.0f} columns/s "
              f"({rate * 2184 / 1e6:.1f} M bar x col/s); start {started:.1f} s, first run {first:.1f} s")
    efficiency = rates["scheduler+2"] / (2 * rates["scheduler+1"])
    if args.rss_columns:
        r = peak_rss(args.rss_columns, args.rss_start, args.rss_end)
        span = f"{args.rss_start or 'start'} to {args.rss_end or 'end'}"
        at_10m = r["peak_rss_mb"] * (10_000_000 / r["columns"]) / 1024   # all of it scaled: an upper bound
        print(f"{r['columns']:,}-column summary-mode sweep ({span}), in-process, rows streamed to parquet: "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB, {r['seconds']:.0f} s (+{r['summary_seconds']:.0f} s for the "
              f"ranked summary); scaled to 10 M columns: <= {at_10m:,.1f} GB")
    print(f"scale efficiency 2 workers: {efficiency:.2f}")


if __name__ == "__main__":
    main()
