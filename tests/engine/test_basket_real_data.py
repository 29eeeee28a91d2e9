"""The basket kernel on the real Oct 2025 alt-coin data (../shared/data/crisis-2025-alts; Binance
USDⓈ-M perp bars stand for the mark, a proxy of these files). The expected liquidation bars come from
an independent computation here: pandas, and the brackets read from tiers-2025/binance_usdm.csv
(not the venue file the engine reads)."""
import csv

import numpy as np
import pandas as pd
import pytest
from numba import njit
from testkit.alts import TIERS, markets, require_alts

from hedgelab.engine import Costs
from hedgelab.engine.basket import simulate_basket
from hedgelab.engine.basket_types import BASKET_HOOK_SIG, Account, Coin, CoinIntent
from hedgelab.engine.spec import StrategySpec

BASKET = {"ETH": 0.4, "SOL": 0.3, "XRP": 0.3}
START, END = "2025-10-01", "2025-10-12 23:55"
CAPITAL = 100_000.0


@njit(BASKET_HOOK_SIG, cache=True)
def long_basket_nb(i, coins, account, params, features, intent):
    """Once: perp k = weight_k (params[k]) x leverage (params[-1]) x equity / mark, cross."""
    if account[Account.MEM0] == account[Account.MEM0]:
        return
    account[Account.MEM0] = 1.0
    n = coins.shape[0]
    for k in range(n):
        intent[k, CoinIntent.LEVERAGE] = params[n]
        intent[k, CoinIntent.TARGET_PERP] = params[k] * params[n] * account[Account.EQUITY] / coins[k, Coin.MARK]


def _brackets():
    rows = list(csv.DictReader(open(TIERS / "binance_usdm.csv")))
    out = {}
    for coin in BASKET:
        r = [x for x in rows if x["symbol"] == coin + "USDT"]
        out[coin] = [(float(x["notional_floor"]), float(x["mmr"]), float(x["maint_amount"])) for x in r]
    return out


def _mm(brackets, notional):
    floor, mmr, cum = [b for b in brackets if notional >= b[0]][-1]
    return notional * mmr - cum


def _expected_liquidation_bar(mk, leverage):
    """First bar whose joint worst case (every long at its low) leaves wallet + upnl <= sum MM."""
    brackets = _brackets()
    qty = {c: BASKET[c] * leverage * CAPITAL / mk[c].close[0] for c in BASKET}
    entry = {c: mk[c].close[0] for c in BASKET}
    for i in range(1, len(mk["ETH"].close)):
        low = {c: mk[c].low[i] for c in BASKET}
        surplus = CAPITAL + sum(qty[c] * (low[c] - entry[c]) for c in BASKET)
        surplus -= sum(_mm(brackets[c], qty[c] * low[c]) for c in BASKET)
        if surplus <= 0.0:
            return i
    return None


def _run(mk, leverages):
    n = len(mk["ETH"].close)
    rebalance = np.zeros(n, dtype=bool)
    rebalance[0] = True
    params = np.array([[*BASKET.values(), lev] for lev in leverages])
    spec = StrategySpec(long_basket_nb, params, np.zeros((n, 1)), rebalance, ("w0", "w1", "w2", "lev"),
                        tuple(f"{lev:g}x" for lev in leverages))
    return simulate_basket(mk, spec, venue="binance", margin_mode="cross", costs=Costs.zero(), summary_only=True)


@pytest.fixture(scope="module")
def hourly():
    require_alts()
    return markets(list(BASKET), start=START, end=END, funding=False)


@pytest.fixture(scope="module")
def five_minutes():
    require_alts()
    return markets(list(BASKET), bar="5m", start=START, end=END, funding=False)


@pytest.mark.parametrize("leverage", [3.0, 5.0, 10.0])
def test_a_levered_basket_in_cross_margin_is_liquidated_in_the_bar_an_independent_computation_gives(hourly,
                                                                                                      leverage):
    res = _run(hourly, [leverage])
    bar = _expected_liquidation_bar(hourly, leverage)
    assert bar is not None   # every one of them is liquidated by Oct 12 on these bars
    t = pd.Timestamp(int(hourly["ETH"].time_ns[bar]), tz="UTC")
    assert res.summary["first_liquidation"].iloc[0] == t
    assert res.summary["liquidations"].iloc[0] == len(BASKET)   # the whole cross account at once
    if leverage >= 3.0:
        assert t.date() == pd.Timestamp("2025-10-10").date() or t < pd.Timestamp("2025-10-10", tz="UTC")


def test_the_3x_basket_dies_in_the_oct10_crash_hour_on_1h_and_within_it_on_5m(hourly, five_minutes):
    """On Oct 10 the lows of every major fell in the same 5-minute bar, so the joint worst case of the
    hourly bar and the 5-minute path agree: the 5m liquidation lies inside the 1h bar that liquidates."""
    h = _run(hourly, [3.0]).summary["first_liquidation"].iloc[0]
    m = _run(five_minutes, [3.0]).summary["first_liquidation"].iloc[0]
    assert h == pd.Timestamp("2025-10-10 21:00", tz="UTC")
    assert h <= m < h + pd.Timedelta(hours=1)
    assert m == pd.Timestamp(int(five_minutes["ETH"].time_ns[_expected_liquidation_bar(five_minutes, 3.0)]),
                             tz="UTC")
