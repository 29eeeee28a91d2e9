"""Inverse (coin-margined) perps in the kernel (Deribit venue, isolated): the model of nb/simulate.py.

Position q BTC at entry E (contracts of N = q*E USD); isolated margin m in BTC; PnL in BTC =
q*(P-E)/P; MM in BTC = |N|/P*MMR (Deribit: 1 %); funding in BTC = -N/P_settle*rate. Expected values
below are computed from these formulas, not from the kernel's helpers.
"""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market, random_walk_market
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.core.errors import UserError

MMR = 0.01  # engine/venues/deribit.toml


@njit(HOOK_SIG, cache=True)
def hold_nb(i, state, params, features, intent):
    intent[Intent.LEVERAGE] = params[1]
    intent[Intent.TARGET_PERP] = params[0]


def spec(params, n, first_only=True):
    params = np.atleast_2d(np.asarray(params, dtype=float))
    reb = np.zeros(n, bool)
    reb[0] = True
    if not first_only:
        reb[:] = True
    return StrategySpec(hold_nb, params, np.zeros((n, 1)), reb, ("qty", "leverage"),
                        tuple(f"c{j}" for j in range(len(params))))


def bars(prices, lows=None, highs=None, **kw):
    p = np.asarray(prices, dtype=float)
    lo = p if lows is None else np.asarray(lows, dtype=float)
    hi = p if highs is None else np.asarray(highs, dtype=float)
    return make_market(p, hi, lo, p, **kw)


def run(m, params, n, **kw):
    return simulate(m, spec(params, n, **kw.pop("first_only_kw", {})), venue="deribit", costs=Costs.zero(),
                    capital=1_000.0, **kw)


def independent_liq(q, entry, margin_btc):
    # m + q (P - E) / P = |q| E / P * MMR  ->  P = q E + |q| E MMR over (m + q)
    return (q * entry + abs(q) * entry * MMR) / (margin_btc + q)


@pytest.mark.parametrize("q", [1.0, -1.0])
def test_equity_equals_mm_at_the_kernels_liquidation_price(q):
    n = 3
    res = run(bars(np.full(n, 100.0)), [q, 10.0], n)
    lp = res.liq_price.iloc[0, 0]
    m = abs(q) / 10.0  # 10 USD posted at 100 -> 0.1 BTC
    equity_btc = m + q * (lp - 100.0) / lp
    mm_btc = abs(q) * 100.0 / lp * MMR
    assert equity_btc == pytest.approx(mm_btc, rel=1e-12)
    assert lp == pytest.approx(independent_liq(q, 100.0, m), rel=1e-12)
    assert res.equity.iloc[-1, 0] == pytest.approx(1_000.0)


def test_long_liquidated_when_mark_low_crosses_liq_price():
    q, lev, n = 1.0, 10.0, 4
    m = q / lev
    lp = independent_liq(q, 100.0, m)  # 91.818...
    lows = np.full(n, 100.0)
    lows[1] = lp * 1.001  # close, but above: no liquidation
    lows[2] = lp * 0.999
    res = run(bars(np.full(n, 100.0), lows=lows), [q, lev], n)
    liq = res.events[res.events.kind == "liquidation"]
    assert list(liq.bar) == [2]
    bankruptcy = q * 100.0 / (m + q)  # m + q (P - E) / P = 0
    assert liq.price.iloc[0] == pytest.approx(bankruptcy, rel=1e-12)
    # The loss is the posted margin: 0.1 BTC bought with 10 USD.
    assert res.equity.iloc[-1, 0] == pytest.approx(1_000.0 - 10.0, rel=1e-12)
    assert res.summary.liquidations.iloc[0] == 1


def test_short_funding_is_btc_notional_over_settlement_price():
    n = 40
    fr = np.full(n, np.nan)
    fr[[8, 16, 24, 32]] = [0.001, -0.0005, 0.002, 0.0007]
    fp = np.linspace(80.0, 130.0, n)
    q, entry = -1.0, 100.0
    res = run(bars(np.full(n, entry), funding_rate=fr, funding_price=fp), [q, 2.0], n)
    ev = res.events[res.events.kind == "funding"]
    assert list(ev.bar) == [8, 16, 24, 32]
    notional = q * entry
    btc = -notional / fp[[8, 16, 24, 32]] * fr[[8, 16, 24, 32]]  # the short receives when the rate > 0
    assert np.allclose(ev.amount, btc * fp[[8, 16, 24, 32]], rtol=1e-12)
    assert res.summary.funding_pnl.iloc[0] == pytest.approx((btc * fp[[8, 16, 24, 32]]).sum())
    # The BTC received sits in the margin and is valued at the mark (100) at the end.
    assert res.equity.iloc[-1, 0] == pytest.approx(1_000.0 + btc.sum() * 100.0, rel=1e-12)


@pytest.mark.parametrize("q", [0.004, -0.006])
def test_accounting_identity_random_path(q):
    n = 600
    mk = random_walk_market(n, seed=7, vol=0.002, funding_every=60, funding_rate=0.0003)
    res = simulate(mk, spec([q, 3.0], n), venue="deribit", capital=1_000.0)
    assert res.summary.liquidations.iloc[0] == 0
    eq = res.equity.iloc[:, 0].to_numpy()
    ev = res.events
    fill = ev[(ev.kind == "fill") & (ev.bar == 0)]
    entry = float(fill.price.iloc[0])
    mark = np.asarray(mk.mark_close)
    # The leverage set at bar 0 re-sizes the margin after the order: |N| / mark / leverage BTC.
    m = abs(q) * entry / mark[0] / 3.0
    fund = ev[ev.kind == "funding"].set_index("bar")
    rate = np.asarray(mk.funding_rate)
    fprice = np.asarray(mk.funding_price)
    expect = eq[0]
    for t in range(1, n):
        # price move: the BTC margin and the BTC PnL revalued from mark[t-1] to mark[t]
        expect += (m + q * (mark[t] - entry) / mark[t]) * mark[t] - (m + q * (mark[t - 1] - entry) / mark[t - 1]) * mark[t - 1]
        if t in fund.index:  # event cash flow: BTC funding, valued at the close mark
            btc = -q * entry / fprice[t] * rate[t]
            assert fund.amount.loc[t] == pytest.approx(btc * fprice[t], rel=1e-9)
            m += btc
            expect += btc * mark[t]
        assert eq[t] == pytest.approx(expect, rel=1e-9, abs=1e-9)
    assert set(ev.kind) <= {"fill", "fee", "funding", "margin"}


def test_inverse_cross_is_refused():
    with pytest.raises(UserError, match="isolated margin only"):
        simulate(bars(np.full(3, 100.0)), spec([1.0, 2.0], 3), venue="deribit", margin_mode="cross")
