"""Benchmark: rolling protective puts at 1 and 2 threads, one year of one-minute bars.

Job: 525,600 bars x 64 columns (strike fractions 0.80-0.98 of the forward); each column holds
0.5 BTC spot and a 30-day put on it, bought at the ask on the listed contract nearest the request
and rolled at expiry; the option book is marked to model on every bar (Black-76 on the surface vol,
the equity, drawdown and minimum equity need it); summary mode. The market and the hook are those of
``bench_perp_hedge.py``. Timed warm (after a first call compiled): the median of several
``simulate()`` calls at each thread count set with ``numba.set_num_threads``.

    python benchmarks/bench_options.py [--runs 5] [--columns 64]

Prints throughputs (bar x columns per second) and, last, ``option path thread scaling: N.N``
(time at 1 thread / time at 2 threads, medians of the same run).
"""
import argparse
import statistics
import time

import numba
import numpy as np

from bench_perp_hedge import N_BARS, build, protective_put_nb, run_ours


def put_spec(spec, n_cols):
    strikes = np.linspace(0.8, 0.98, n_cols)
    return spec._replace(hook=protective_put_nb, params=np.column_stack([strikes, np.full(n_cols, 30.0)]),
                         labels=tuple(f"strike={k:.3f}" for k in strikes))


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--columns", type=int, default=64)
    args = ap.parse_args()
    market, spec, _, _ = build(n_cols=args.columns)
    spec = put_spec(spec, args.columns)
    work = N_BARS * args.columns
    t = time.perf_counter()
    res = run_ours(market, spec)
    print(f"first call (compile or load from cache) {time.perf_counter() - t:.2f} s; option PnL "
          f"{res.summary.option_pnl.mean():,.0f} USD/column, {len(res.records):,} events")
    medians = {}
    for threads in (1, 2):
        numba.set_num_threads(threads)
        medians[threads] = median_time(lambda: run_ours(market, spec), args.runs)
        print(f"rolling protective puts, {N_BARS:,} bars x {args.columns} columns, {threads} thread(s): "
              f"warm median {medians[threads]:.3f} s over {args.runs} runs -> "
              f"{work / medians[threads] / 1e6:.1f} M bar x columns/s")
    print(f"option path thread scaling: {medians[1] / medians[2]:.1f}")


if __name__ == "__main__":
    main()
