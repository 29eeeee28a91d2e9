"""Leverage changes in isolated mode: the margin follows the position held after the bar's orders.

The hook holds params[0] BTC at params[1]x on bar 0 and params[2] BTC at params[3]x from bar 1 on
(orders at the close, zero costs, mark = close). Expected margins come from the rule
"isolated margin = |qty after the orders| * mark / leverage, topped up from cash as far as cash
goes" and the liquidation price from Binance's rule (maintenance margin at the liquidation price):
for a long in a tier of rate m and amount cum, wallet + q (LP - entry) = q LP m - cum, i.e.
LP = (q entry - wallet - cum) / (q (1 - m)).
"""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.engine.nb.records import Tier
from hedgelab.engine.venues import load_venue


@njit(HOOK_SIG, cache=True)
def cut_at_bar_one_nb(i, state, params, features, intent):
    """Bar 0: params[0] BTC at params[1]x; later bars: params[2] BTC at params[3]x."""
    k = 0 if i == 0 else 2
    intent[Intent.LEVERAGE] = params[k + 1]
    intent[Intent.TARGET_PERP] = params[k]


def _run(prices, params, capital):
    p = np.asarray(prices, dtype=float)
    m = make_market(p, p, p, p)
    n = len(p)
    spec = StrategySpec(cut_at_bar_one_nb, np.atleast_2d(np.asarray(params, dtype=float)), np.zeros((n, 1)),
                        np.ones(n, bool), ("q0", "lev0", "q1", "lev1"), ("c0",))
    return m, simulate(m, spec, capital=capital, costs=Costs.zero(), margin_mode="isolated")


def _binance_tier1(m):
    """(MMR, cum) of the first tier of the Binance table in force at the market's start, and its cap."""
    day = str(np.datetime64(int(m.time_ns[0]), "ns").astype("datetime64[D]"))
    t = load_venue("binance", at=day).tiers[0]
    return float(t[Tier.MMR]), float(t[Tier.CUM]), float(t[Tier.CAP])


def _long_lp(q, entry, wallet, mmr, cum):
    return (q * entry - wallet - cum) / (q * (1.0 - mmr))


def test_cut_with_reduce_margins_the_rest_at_the_new_leverage():
    # Capital 1,000. Bar 0 at 100: long 180 BTC at 20x -> margin 18,000 / 20 = 900, cash 100.
    # Bar 1 at 99: cut to 5x and reduce to 36 BTC. The reduce of 144 BTC realizes 144 * (99 - 100)
    # = -144 and releases 900 * 144 / 180 = 720: cash 100 + 720 - 144 = 676, margin 180. The rest
    # needs 36 * 99 / 5 = 712.8: 532.8 more from cash -> margin 712.8, cash 143.2.
    # (The old code sized the margin on the 180 BTC held before the reduce, put all 100 of cash in,
    # then released 800: margin 200, LP ~ 94.8, a 4 % move for a "5x" position.)
    m, res = _run([100.0, 99.0, 99.0], [180.0, 20.0, 36.0, 5.0], 1_000.0)
    mmr, cum, cap = _binance_tier1(m)
    assert 180 * 100 < cap  # 18,000 notional at most: the first tier throughout
    assert res.perp_qty.iloc[1, 0] == pytest.approx(36.0)
    assert res.cash.iloc[1, 0] == pytest.approx(143.2)
    # equity = cash + margin + upnl = 143.2 + 712.8 + 36 * (99 - 100) = 820 (= 1,000 - 180 lost)
    assert res.equity.iloc[1, 0] == pytest.approx(820.0)
    assert res.liq_price.iloc[1, 0] == pytest.approx(_long_lp(36.0, 100.0, 712.8, mmr, cum), rel=1e-9)
    moved = res.events[res.events["kind"] == "margin"]
    assert len(moved) == 1


def test_cut_with_reduce_is_bounded_by_cash():
    # Capital 1,000. Bar 0 at 100: long 200 BTC at 20x -> margin 1,000, cash 0 (LP ~ 95.4, not
    # reached at 98). Bar 1 at 98: cut to 2x and reduce to 40 BTC: realized 160 * (-2) = -320,
    # released 1,000 * 160 / 200 = 800: cash 480, margin 200. The rest wants 40 * 98 / 2 = 1,960:
    # only the 480 of cash goes in -> margin 680, cash 0.
    m, res = _run([100.0, 98.0, 98.0], [200.0, 20.0, 40.0, 2.0], 1_000.0)
    mmr, cum, cap = _binance_tier1(m)
    assert 200 * 100 < cap
    assert res.cash.iloc[1, 0] == pytest.approx(0.0, abs=1e-9)
    assert res.equity.iloc[1, 0] == pytest.approx(1_000.0 - 200 * 2.0)
    assert res.liq_price.iloc[1, 0] == pytest.approx(_long_lp(40.0, 100.0, 680.0, mmr, cum), rel=1e-9)


def test_raise_with_reduce_returns_the_surplus_to_cash():
    # Capital 10,000. Bar 0 at 100: long 50 BTC at 2x -> margin 2,500, cash 7,500. Bar 1 at 100:
    # 10x and reduce to 20 BTC: released 2,500 * 30 / 50 = 1,500 (no PnL), margin 1,000 left; the
    # rest needs 20 * 100 / 10 = 200: 800 back to cash -> margin 200, cash 7,500 + 1,500 + 800.
    m, res = _run([100.0, 100.0, 100.0], [50.0, 2.0, 20.0, 10.0], 10_000.0)
    mmr, cum, cap = _binance_tier1(m)
    assert 50 * 100 < cap
    assert res.cash.iloc[1, 0] == pytest.approx(9_800.0)
    assert res.liq_price.iloc[1, 0] == pytest.approx(_long_lp(20.0, 100.0, 200.0, mmr, cum), rel=1e-9)


def test_margin_events_carry_the_usd_moved_in_price_and_no_btc():
    # Same cut as above: 532.8 USD goes from cash into the margin (36 * 99 / 5 - 180); events.csv
    # quantities are BTC, so the row has qty 0, the USD in price, amount 0 (no cash leaves the account).
    _, cut = _run([100.0, 99.0, 99.0], [180.0, 20.0, 36.0, 5.0], 1_000.0)
    row = cut.events[cut.events["kind"] == "margin"].iloc[0]
    assert (row["qty"], row["amount"], row["side"], row["instrument"]) == (0.0, 0.0, "in", "perp")
    assert row["price"] == pytest.approx(532.8)
    # Raise with reduce (third test above): 800 USD back out of the margin to cash.
    _, up = _run([100.0, 100.0, 100.0], [50.0, 2.0, 20.0, 10.0], 10_000.0)
    row = up.events[up.events["kind"] == "margin"].iloc[0]
    assert (row["qty"], row["amount"], row["side"]) == (0.0, 0.0, "out")
    assert row["price"] == pytest.approx(-800.0)
