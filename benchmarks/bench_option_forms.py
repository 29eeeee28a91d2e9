"""Benchmark: the options benchmark's job with its strike as a fraction of the forward, in USD and as a
target delta (issue 23), in one process on one market.

Job: ``bench_options.py``'s (one year of one-minute bars, a 30-day put on 0.5 BTC spot rolled at expiry,
marked on every bar), ``--columns`` columns, strikes 0.80-0.98 of the forward, the same strikes in USD at
the first bar's index, and target deltas -0.10 to -0.45. Timed warm at one thread: the median of
``--runs`` calls each, in rotation (fraction, USD, delta, fraction, ...) so that a load on the machine
falls on all three alike. A put is bought only when none is held (12 times a year), so the forms cost
little next to marking the book on every bar: the ratios say how little.

    python benchmarks/bench_option_forms.py [--runs 5] [--columns 16]

Prints each form's median and, last, ``usd / fraction: R.RR, delta / fraction: R.RR``.
"""
import argparse
import statistics
import time

import numba
import numpy as np
from numba import njit

from bench_perp_hedge import build, protective_put_nb, run_ours
from hedgelab.engine.types import HOOK_SIG, Intent, State


@njit(HOOK_SIG, cache=True)
def put_in_unit_nb(i, state, params, features, intent):
    """bench_perp_hedge.protective_put_nb with its strike params[0] in the unit params[2]."""
    if state[State.SPOT_QTY] == 0.0:
        intent[Intent.TARGET_SPOT] = 0.5
    if state[State.OPEN_LEGS] == 0.0:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = params[0]
        intent[Intent.OPT1_TENOR_DAYS] = params[1]
        intent[Intent.OPT1_QTY] = 0.5
        intent[Intent.OPT1_STRIKE_UNIT] = params[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--columns", type=int, default=16)
    args = ap.parse_args()
    market, spec, _, _ = build(n_cols=args.columns)
    n = args.columns
    fractions = np.linspace(0.8, 0.98, n)
    tenor = np.full(n, 30.0)
    specs = {
        "fraction": spec._replace(hook=protective_put_nb, params=np.column_stack([fractions, tenor])),
        "usd": spec._replace(hook=put_in_unit_nb, params=np.column_stack(
            [fractions * market.index_close[0], tenor, np.full(n, 1.0)])),
        "delta": spec._replace(hook=put_in_unit_nb, params=np.column_stack(
            [np.linspace(-0.10, -0.45, n), tenor, np.full(n, 2.0)])),
    }
    specs = {k: s._replace(labels=tuple(f"{k}{j}" for j in range(n)),
                           param_names=("strike", "tenor", "unit")[:s.params.shape[1]]) for k, s in specs.items()}
    numba.set_num_threads(1)
    for name, s in specs.items():
        res = run_ours(market, s)   # compiled (or loaded) and warm
        print(f"{name}: option PnL {res.summary.option_pnl.mean():,.0f} USD/column, {len(res.records):,} events")
    times = {k: [] for k in specs}
    for _ in range(args.runs):
        for name, s in specs.items():
            t = time.perf_counter()
            run_ours(market, s)
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, m in med.items():
        print(f"{name}: warm median {m:.3f} s over {args.runs} runs, 1 thread, {n} columns")
    print(f"usd / fraction: {med['usd'] / med['fraction']:.2f}, delta / fraction: {med['delta'] / med['fraction']:.2f}")


if __name__ == "__main__":
    main()
