"""A wick shock equal to the real Oct 10 crash, applied to real Oct 6-10 data that stops before it,
liquidates exactly the leverages the real path did.

Real path: Binance BTCUSDT spot 1h Oct 6 00:00 - Oct 10 23:00 (the 21:00 hour fell to 102,000).
Shocked path: the same data Oct 6 00:00 - Oct 10 20:00 with a wick shock on the last bar whose low
lands on 102,000 (drop = 102,000 / that bar's low - 1). Expected set: from the spec's isolated
Binance long liquidation price (exchange-mechanics.md §1.2, brackets §1.1), funding paid from the
margin (§1.4), with zero trading costs so the entry is bar 0's close and the margin the whole 100k.
"""
import numpy as np
import pandas as pd
import pytest

from hedgelab.engine import Costs, simulate
from hedgelab.strategies import get_strategy
from hedgelab.stress.shock import Shock

LEVERAGES = [3, 5, 6, 8, 10, 20, 50]
FLOOR = [0, 300e3, 800e3, 3e6, 12e6, 70e6]
MMR = [0.004, 0.005, 0.0065, 0.01, 0.02, 0.05]
CUM = [0, 300, 1_500, 12_000, 132_000, 2_232_000]


def long_lp(wallet, qty, entry):
    for k, (mmr, cum) in enumerate(zip(MMR, CUM)):
        lp = (wallet + cum - qty * entry) / (qty * mmr - qty)
        hi = FLOOR[k + 1] if k + 1 < len(FLOOR) else np.inf
        if FLOOR[k] <= qty * lp < hi:
            return lp
    raise AssertionError("no bracket")


def expected_liquidated(bars, rates):
    close0 = bars["close"].iloc[0]
    out = set()
    for lev in LEVERAGES:
        qty, wallet = 1e5 * lev / close0, 1e5
        for t, row in bars.iloc[1:].iterrows():
            if t in rates.index and np.isfinite(rates[t]):
                wallet -= qty * row["open"] * rates[t]
            if row["low"] <= long_lp(wallet, qty, close0):
                out.add(lev)
                break
    return out


def engine_liquidated(market):
    cls = get_strategy("leveraged-long")
    spec = cls().spec(market, [cls.validate({"leverage": lev}) for lev in LEVERAGES])
    sim = simulate(market, spec, costs=Costs.zero(), summary_only=True, at="2025-10-06")
    return {lev for lev, n in zip(LEVERAGES, sim.summary["liquidations"]) if n > 0}


def test_oct10_wick_shock_liquidates_the_real_paths_leverages(real, shared_dir, cut):
    bars, market = real
    t = bars.index
    lo = int(np.searchsorted(t, pd.Timestamp("2025-10-06", tz="UTC")))
    crash = int(np.searchsorted(t, pd.Timestamp("2025-10-10 21:00", tz="UTC")))
    f = pd.read_csv(shared_dir / "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv")
    rates = pd.Series(f["last_funding_rate"].to_numpy(),
                      index=pd.to_datetime(f["calc_time_ms"], unit="ms", utc=True).dt.round("h"))
    real_bars = bars.iloc[lo:crash + 3]                       # Oct 6 00:00 .. Oct 10 23:00
    assert real_bars["low"].min() == 102_000.0
    expected = expected_liquidated(real_bars, rates)
    assert expected and set(LEVERAGES) - expected          # some die, some survive: the test can fail
    assert engine_liquidated(cut(market, lo, crash + 3)) == expected

    calm = cut(market, lo, crash)                             # Oct 6 00:00 .. Oct 10 20:00, no crash bar
    last = len(calm.close) - 1
    assert float(calm.low.min()) > 105_000                    # nothing in it reaches the crash low
    drop = 102_000.0 / float(calm.low[last]) - 1
    shocked = Shock(drop=drop, at=last, kind="wick").path(calm, np.random.default_rng(0))
    assert shocked.low[last] == pytest.approx(102_000.0, rel=1e-12)
    assert shocked.mark_low[last] == pytest.approx(102_000.0, rel=1e-12)
    assert shocked.iv[last] > calm.iv[last] + 0.10            # IV jumps with the wick (Oct 10: +15.6 points)
    without = expected_liquidated(bars.iloc[lo:crash], rates)
    assert without < expected                                 # the shock is what kills the rest
    assert engine_liquidated(shocked) == expected
