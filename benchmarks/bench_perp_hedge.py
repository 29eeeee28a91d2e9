"""Benchmark: a perp-short hedge sweep, hedgelab vs vectorbt, on one year of one-minute bars.

Job: 525,600 bars x 64 hedge ratios; short perp notional = ratio x equity, re-targeted every hour;
8 h funding; tiered maintenance margin (Binance brackets) and intrabar liquidation checks on the
mark extremes; summary mode. vectorbt runs the same orders without funding or margin (which it lacks):
``Portfolio.from_orders(close, size, size_type="targetpercent", fees=...)`` with a 525,600 x 64 size
array that is NaN except on hourly rows (-ratio). Both are timed warm (median of several calls after
a first call compiled); hedgelab's cold start (empty numba cache, new process) is timed too, last, because
minutes of full load slow this kind of shared machine for a while after (it would skew the ratio).

    python benchmarks/bench_perp_hedge.py [--runs 15] [--vbt-runs 3] [--sweep-memory]

Prints throughputs (bar x columns per second) and, last, ``ratio vs vectorbt: N.N``.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State

N_BARS = 525_600
N_COLS = 64
FEE = 0.0005


@njit(HOOK_SIG, cache=True)
def short_hedge_nb(i, state, params, features, intent):
    """Short perp notional = params[0] x equity, isolated at params[1]x."""
    intent[Intent.LEVERAGE] = params[1]
    intent[Intent.TARGET_PERP] = -params[0] * state[State.EQUITY] / state[State.CLOSE]


@njit(HOOK_SIG, cache=True)
def protective_put_nb(i, state, params, features, intent):
    """Hold 0.5 BTC spot; keep a put at strike fraction params[0], tenor params[1] days, rolled at expiry."""
    if state[State.SPOT_QTY] == 0.0:
        intent[Intent.TARGET_SPOT] = 0.5
    if state[State.OPEN_LEGS] == 0.0:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = params[0]
        intent[Intent.OPT1_TENOR_DAYS] = params[1]
        intent[Intent.OPT1_QTY] = 0.5


def build(n_bars=N_BARS, n_cols=N_COLS):
    from hedgelab.engine.spec import StrategySpec
    from hedgelab.engine.synthetic import random_walk_market

    market = random_walk_market(n_bars, seed=7, vol=0.0008, bar_seconds=60, start="2025-01-01",
                                funding_every=480, funding_rate=0.0001, volume=20.0)
    ratios = np.linspace(0.05, 2.0, n_cols)
    params = np.column_stack([ratios, np.full(n_cols, 5.0)])
    rebalance = np.zeros(n_bars, bool)
    rebalance[::60] = True
    spec = StrategySpec(short_hedge_nb, params, np.zeros((n_bars, 1)), rebalance, ("ratio", "leverage"),
                        tuple(f"ratio={r:.3f}" for r in ratios))
    return market, spec, ratios, rebalance


def run_ours(market, spec):
    from hedgelab.engine import Costs, simulate
    return simulate(market, spec, venue="binance", costs=Costs(perp_fee=FEE), summary_only=True,
                    capital=100_000.0)


def timed(fn, runs):
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


COLD_SNIPPET = """
import time; t = time.perf_counter()
import numpy as np
from hedgelab.engine.synthetic import random_walk_market
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine import simulate
import bench_perp_hedge as b
m = random_walk_market(1000, bar_seconds=60, start="2025-01-01")
spec = StrategySpec(b.short_hedge_nb, np.array([[0.5, 5.0]]), np.zeros((1000, 1)), np.ones(1000, bool), ("r", "l"), ("x",))
simulate(m, spec, summary_only=True)
print(time.perf_counter() - t)
"""


def start_time(cache_dir):
    """Seconds a new process takes to import, compile (or load from ``cache_dir``) and run a tiny job.

    The process runs in the benchmark's folder with ``-P`` (no current directory on sys.path) and
    only that folder on PYTHONPATH, so it imports the installed hedgelab, never a source tree it
    happens to start in (from the repository root, ``hedgelab/`` would shadow a regular install)."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=here)
    out = subprocess.run([sys.executable, "-P", "-c", COLD_SNIPPET], env=env, cwd=here, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


SWEEP_SNIPPET = """
import numpy as np, sys
sys.path.insert(0, {here!r})
import bench_perp_hedge as b
from hedgelab.engine.spec import StrategySpec
m, spec, _, reb = b.build(n_cols=1000)
params = np.column_stack([np.linspace(0.05, 2.0, 1000), np.full(1000, 5.0)])
spec = spec._replace(params=params, labels=tuple(str(i) for i in range(1000)))
from hedgelab.engine import Costs, simulate
r = simulate(m, spec, costs=Costs(perp_fee=b.FEE), summary_only=True, chunk_size=128)
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec on Linux.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(len(r.records), int(hwm) / 1024)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--vbt-runs", type=int, default=3)
    ap.add_argument("--sweep-memory", action="store_true", help="also measure peak RSS of a 1,000-column sweep")
    args = ap.parse_args()
    work = N_BARS * N_COLS

    market, spec, ratios, rebalance = build()
    t = time.perf_counter()
    res = run_ours(market, spec)
    first = time.perf_counter() - t
    ours, res = timed(lambda: run_ours(market, spec), args.runs)
    s = res.summary
    print(f"hedgelab: first call {first:.2f} s, warm median {ours:.3f} s over {args.runs} runs -> "
          f"{work / ours / 1e6:.1f} M bar x columns/s "
          f"(liquidations {int(s.liquidations.sum())}, funding {s.funding_pnl.sum():,.0f} USD, "
          f"events {len(res.records):,})")

    import vectorbt as vbt
    import pandas as pd
    close = pd.Series(market.close)
    size = np.full((N_BARS, N_COLS), np.nan)
    size[rebalance] = -ratios
    size = pd.DataFrame(size)
    run_vbt = lambda: vbt.Portfolio.from_orders(close, size, size_type="targetpercent", fees=FEE,  # noqa: E731
                                                init_cash=100_000.0, freq="1min").final_value()
    t = time.perf_counter()
    run_vbt()
    vbt_first = time.perf_counter() - t
    theirs, final = timed(run_vbt, args.vbt_runs)
    print(f"vectorbt: first call {vbt_first:.2f} s, warm median {theirs:.3f} s over {args.vbt_runs} runs -> "
          f"{work / theirs / 1e6:.1f} M bar x columns/s")
    put_spec = spec._replace(hook=protective_put_nb,
                             params=np.column_stack([np.linspace(0.8, 0.98, N_COLS), np.full(N_COLS, 30.0)]))
    run_ours(market, put_spec)
    puts, pres = timed(lambda: run_ours(market, put_spec), max(args.runs // 3, 1))
    print(f"hedgelab rolling protective puts (64 strikes, 30-day puts marked every bar): warm median {puts:.3f} s "
          f"-> {work / puts / 1e6:.1f} M bar x columns/s (option PnL {pres.summary.option_pnl.mean():,.0f} USD/column)")
    if args.sweep_memory:
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run([sys.executable, "-P", "-c", SWEEP_SNIPPET.format(here=here)], cwd=here,
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"1,000-column sweep (summary mode, chunks of 128): {int(out[0]):,} events, peak RSS {float(out[1]):,.0f} MB")
    # Last: 30+ s of compiling at full load slows this shared machine for a while after (measured:
    # the warm median 0.19 s -> 0.31 s right after a 33 s busy loop), which must not skew the ratio.
    with tempfile.TemporaryDirectory() as cache:
        cold = start_time(cache)
        warm_start = start_time(cache)
    print(f"hedgelab start-up + compile, new process: cold (empty cache) {cold:.2f} s, warm (cached) {warm_start:.2f} s")
    print(f"ratio vs vectorbt: {theirs / ours:.1f}")


if __name__ == "__main__":
    main()
