"""Benchmark: a basket hedged by a short BTC perp, four coins in one account, against the one-coin
perp-hedge job of bench_perp_hedge.py measured in the same run.

Job: 525,600 one-minute bars (one year) x 64 parameter sets x 4 coins (BTC, ETH, SOL, XRP as correlated
random walks; 8 h funding on each): ETH, SOL and XRP held as perps at 3x in one cross wallet, BTC shorted
for ``ratio`` x the basket's notional (64 ratios), every position re-targeted every hour; joint
worst-case liquidation checks on every bar; summary mode; the venue's Oct 2025 brackets for every coin
(the synthetic year starts in January, before the alt tables' dates). The one-coin job: bench_perp_hedge's 64
hourly short-hedge columns on the same length of bars.

    python benchmarks/bench_portfolio.py [--runs 7]

Prints throughputs, the cost of one bar x column (x coin) of each job in nanoseconds and, last,
``portfolio cost per coin: N.NN`` = (seconds per bar x column x coin of the basket) / (seconds per bar x
column of the one-coin job), both warm medians (wall clock) of the same run. The two jobs are timed in
turns (one-coin, basket, one-coin, ...), so a change of load on a shared machine hits both alike.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
from numba import njit

from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_perp_hedge as one  # noqa: E402  (the one-coin job, measured beside this one)

N_BARS = one.N_BARS
N_COLS = one.N_COLS
COINS = ("BTC", "ETH", "SOL", "XRP")
START = {"BTC": 100_000.0, "ETH": 4_000.0, "SOL": 200.0, "XRP": 2.5}


@njit(BASKET_HOOK_SIG, cache=True)
def basket_btc_short_nb(i, coins, account, params, features, intent):
    """Rows 1.. a long at 3x for a third of 3 x equity each; row 0 (BTC) short ratio x that notional."""
    n = coins.shape[0]
    notional = 3.0 * account[Account.EQUITY]
    for k in range(1, n):
        intent[k, CoinIntent.LEVERAGE] = 3.0
        intent[k, CoinIntent.TARGET_PERP] = notional / (n - 1) / coins[k, Coin.MARK]
    intent[0, CoinIntent.LEVERAGE] = 3.0
    intent[0, CoinIntent.TARGET_PERP] = -params[0] * notional / coins[0, Coin.MARK]


def build(n_bars=N_BARS, n_cols=N_COLS):
    from hedgelab.engine.spec import StrategySpec
    from hedgelab.engine.synthetic import random_walk_market
    rng = np.random.default_rng(11)
    common = rng.normal(0.0, 0.0006, n_bars)
    markets = {}
    for k, coin in enumerate(COINS):
        m = random_walk_market(n_bars, seed=100 + k, vol=0.0005, bar_seconds=60, start="2025-01-01",
                               funding_every=480, funding_rate=0.0001, volume=20.0)
        scale = START[coin] * np.exp(np.cumsum(common)) / m.close[0]
        m = m._replace(**{f: getattr(m, f) * scale for f in ("open", "high", "low", "close", "mark_open", "mark_high",
                                                                "mark_low", "mark_close", "index_open", "index_high",
                                                                "index_low", "index_close", "funding_price")})
        markets[coin] = m
    ratios = np.linspace(0.05, 1.0, n_cols)
    rebalance = np.zeros(n_bars, bool)
    rebalance[::60] = True
    spec = StrategySpec(basket_btc_short_nb, ratios[:, None].copy(), np.zeros((n_bars, 1)), rebalance, ("ratio",),
                        tuple(f"ratio={r:.3f}" for r in ratios))
    return markets, spec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from hedgelab.engine import Costs
    from hedgelab.engine.basket import simulate_basket

    market, spec, _, _ = one.build()
    markets, bspec = build()

    def run():
        return simulate_basket(markets, bspec, venue="binance", margin_mode="cross",
                               costs=Costs(perp_fee=one.FEE), summary_only=True, at="2025-10-01")
    one.run_ours(market, spec)
    t = time.perf_counter()
    res = run()
    first = time.perf_counter() - t
    singles, baskets = [], []
    for _ in range(args.runs):   # in turns: a change of load on the machine hits both jobs alike
        t = time.perf_counter()
        one.run_ours(market, spec)
        singles.append(time.perf_counter() - t)
        t = time.perf_counter()
        res = run()
        baskets.append(time.perf_counter() - t)
    single, basket = statistics.median(singles), statistics.median(baskets)
    per_single = single / (N_BARS * N_COLS)
    work = N_BARS * N_COLS * len(COINS)
    print(f"one coin (bench_perp_hedge's job): warm median {single:.3f} s over {args.runs} runs -> "
          f"{N_BARS * N_COLS / single / 1e6:.1f} M bar x columns/s, {per_single * 1e9:.2f} ns per bar x column")
    print(f"basket of {len(COINS)} coins in cross margin: first call {first:.2f} s, warm median {basket:.3f} s over "
          f"{args.runs} runs -> {work / basket / 1e6:.1f} M bar x column x coins/s, {basket / work * 1e9:.2f} ns per "
          f"bar x column x coin (liquidations {int(res.summary['liquidations'].sum())}, "
          f"funding {res.summary['funding_pnl'].sum():,.0f} USD, events {len(res.events):,})")
    print(f"portfolio cost per coin: {basket / work / per_single:.2f}")


if __name__ == "__main__":
    main()
