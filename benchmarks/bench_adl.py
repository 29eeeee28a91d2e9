"""Benchmark: what auto-deleveraging costs the kernel, measured in one run.

Job: bench_perp_hedge's sweep (one year of one-minute bars x 64 short-hedge ratios, hourly decisions,
8 h funding, Binance tiers, summary mode), timed three ways, interleaved so that the machine's noise
falls on all three alike:
- ``plain``: a market without ADL events (as before ADL existed);
- ``off``: the same market carrying one ADL event a day for the shorts, run with ``adl="off"``;
- ``share``: that market with ``adl="share"`` (each event closes part of every column's short, whose
  hook re-opens it at the next decision).

    python benchmarks/bench_adl.py [--runs 9]

Prints the median seconds of each, their throughput (bar x columns per second) and the ratios
``off / plain`` and ``share / plain`` (issue 21's targets: at most 1.03 and 1.10).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_perp_hedge as base  # noqa: E402  (the same job, defined once)


def with_daily_events(market, share=0.1):
    """The market with an ADL event for the shorts at the first bar of every day."""
    n = len(market.close)
    side, frac = np.full(n, np.nan), np.full(n, np.nan)
    day = 86_400 // int(market.bar_seconds)
    side[day::day], frac[day::day] = -1.0, share
    return market._replace(adl_side=side, adl_share=frac, adl_price=np.full(n, np.nan))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    from hedgelab.engine import Costs, simulate
    market, spec, _, _ = base.build()
    events = with_daily_events(market)

    def job(m, adl):
        return simulate(m, spec, venue="binance", costs=Costs(perp_fee=base.FEE), summary_only=True,
                        capital=100_000.0, adl=adl)

    cases = {"plain": (market, "off"), "off": (events, "off"), "share": (events, "share")}
    results = {k: job(*v) for k, v in cases.items()}       # compile / warm
    from hedgelab.engine.nb.records import EventKind
    adl_closes = int((results["share"].records["kind"] == EventKind.ADL).sum())
    times: dict = {k: [] for k in cases}
    for _ in range(args.runs):
        for k, v in cases.items():
            t = time.perf_counter()
            job(*v)
            times[k].append(time.perf_counter() - t)
    work = base.N_BARS * base.N_COLS
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in cases:
        print(f"{k:>6}: median {med[k]:.3f} s over {args.runs} runs, {work / med[k] / 1e6:,.0f} M bar x columns/s")
    print(f"ADL closes in the share run: {adl_closes:,} ({adl_closes // base.N_COLS} per column)")
    same = np.array_equal(results["plain"].summary.to_numpy(), results["off"].summary.to_numpy())
    print(f"off equals plain bit for bit: {same}")
    print(f"ratio off / plain: {med['off'] / med['plain']:.3f} (target <= 1.03)")
    print(f"ratio share / plain: {med['share'] / med['plain']:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
