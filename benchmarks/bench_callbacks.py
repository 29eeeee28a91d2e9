"""Benchmark: what event callbacks (engine/event_calls.py) cost, measured in one run.

Job: the embedded crisis-2025 (Sep-Nov 2025, 2,184 hourly bars), Hyperliquid with ADL ``share``,
16 columns of a perp long at leverage 2, 4, .., 32 re-targeted to 1x equity every day (91 decisions), timed
interleaved so that the machine's noise falls on every case alike:
- ``plain``: the strategy without callbacks (the path every strategy without them takes);
- ``observe``: the same with an ``on_fill`` that returns None (called at every fill, ~1,450 calls);
- ``answer``: the same with an ``on_liquidation`` that re-opens at half the leverage (each answer runs
  its column again);
- ``debug`` (with ``--debug``): ``plain`` through the plain-Python path (``simulate(debug=True)``,
  engine/debug.py), the other way callbacks could have been run; timed ``--debug-runs`` times.

    python benchmarks/bench_callbacks.py [--runs 9] [--debug] [--only plain]

Measured 2026-12-07 on the shared 2-core machine (other test runs beside it), 9 runs: plain 44 ms,
observe 193 ms (4.4x), answer 1.2 s (27x: 107 answers, each a run again of the columns it changed);
``--debug`` once: 50.8 s (2,170x a plain run of 23 ms then), which is why callbacks replay the kernel
instead of running in plain Python. ``--only plain`` before (605b51a) and after the callbacks, three
alternations of 11 runs: 59.1 / 64.4 / 61.6 ms and 63.4 / 58.7 / 79.7 ms, within the machine's noise
(the path adds one attribute read per simulate call).

Prints the median seconds of each case and its ratio to ``plain``. ``--only plain`` times ``plain``
alone (to compare a checkout without callbacks, where the other cases do not exist).
"""
import argparse
import statistics
import time

import numpy as np

LEVERAGES = np.arange(2.0, 34.0, 2.0)   # whole numbers: Hyperliquid sets leverage so


def strategies():
    from hedgelab.strategies import Param, Strategy

    class Daily(Strategy):
        """A perp long at `leverage`, re-targeted to 1x equity every day."""
        name = "bench-daily"
        leverage = Param(10.0, low=1.0, high=50.0)

        def targets(self, market, params):
            out = np.full((len(market.close), 3), np.nan)
            day = 86_400 // int(market.bar_seconds)
            out[::day] = 0.0, 1.0, params["leverage"]
            return out

    class Observe(Daily):
        """Daily, counting its fills."""
        name = "bench-observe"

        def on_fill(self, ctx, event):
            ctx.memory["fills"] = ctx.memory.get("fills", 0) + 1

    class Answer(Daily):
        """Daily, re-opened at half the leverage after a liquidation."""
        name = "bench-answer"

        def on_liquidation(self, ctx, event):
            return {"perp": 1.0, "leverage": max(1.0, ctx.params["leverage"] / 2)}

    return {"plain": Daily, "observe": Observe, "answer": Answer}


def market():
    from hedgelab.data import align, load
    from hedgelab.data.adl import adl_arrays, events_for
    ds = load("crisis-2025")
    m = align(ds)
    side, share, price = adl_arrays(events_for(ds.manifest, "hyperliquid", "BTC"), m.time_ns, m.bar_seconds)
    return m._replace(adl_side=side, adl_share=share, adl_price=price)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--debug", action="store_true")
    ap.add_argument("--debug-runs", type=int, default=1)
    ap.add_argument("--only", choices=("plain",))
    args = ap.parse_args()
    from hedgelab.engine import simulate
    m = market()
    sets = [{"leverage": float(x)} for x in LEVERAGES]
    classes = strategies()
    if args.only:
        classes = {args.only: classes[args.only]}

    def job(cls, debug=False):
        return simulate(m, cls().spec(m, sets), venue="hyperliquid", adl="share", at="2025-10-10", debug=debug)

    results = {k: job(cls) for k, cls in classes.items()}     # compile / warm
    for k, res in results.items():
        kinds = res.events["kind"].value_counts()
        print(f"{k}: {int(kinds.get('fill', 0))} fills, {int(kinds.get('liquidation', 0))} liquidations, "
              f"{int(kinds.get('adl', 0))} adl closes over {len(sets)} columns x {len(m.close)} bars")
    times: dict = {k: [] for k in classes}
    for _ in range(args.runs):
        for k, cls in classes.items():
            t = time.perf_counter()
            job(cls)
            times[k].append(time.perf_counter() - t)
    if args.debug:
        times["debug"] = []
        for _ in range(args.debug_runs):
            t = time.perf_counter()
            job(classes["plain"], debug=True)
            times["debug"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:8s} median {v * 1e3:9.1f} ms over {len(times[k])} runs   ratio to plain {v / med['plain']:7.2f}")


if __name__ == "__main__":
    main()
