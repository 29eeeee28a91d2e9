"""simulate(): mechanics on hand-made bars, the hook contract, chunking, paths and bad parameters.

The hooks below show how a strategy hook is compiled: ``@njit(HOOK_SIG, cache=True)``, reading the
state vector by ``State`` names and writing the intent vector by ``Intent`` names.
"""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, SimResult, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.liquidation import liquidation_price
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market, random_walk_market
from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.core.errors import UserError


@njit(HOOK_SIG, cache=True)
def hold_perp_nb(i, state, params, features, intent):
    """Hold a constant perp position params[0] (BTC) at leverage params[1]."""
    intent[Intent.LEVERAGE] = params[1]
    intent[Intent.TARGET_PERP] = params[0]


@njit(HOOK_SIG, cache=True)
def short_hedge_nb(i, state, params, features, intent):
    """Short perp notional = params[0] x equity at leverage params[1] (the benchmark's hedge)."""
    intent[Intent.LEVERAGE] = params[1]
    intent[Intent.TARGET_PERP] = -params[0] * state[State.EQUITY] / state[State.CLOSE]


def spec_of(hook, params, n, features=None, rebalance=None, names=("qty", "leverage")):
    params = np.atleast_2d(np.asarray(params, dtype=float))
    feats = np.zeros((n, 1)) if features is None else np.ascontiguousarray(features, dtype=float)
    reb = np.ones(n, bool) if rebalance is None else rebalance
    return StrategySpec(hook, params, feats, reb, names[:params.shape[1]], tuple(f"c{j}" for j in range(len(params))))


def only_first(n):
    reb = np.zeros(n, bool)
    reb[0] = True
    return reb


def flat_bars(prices, lows=None, highs=None, **kw):
    p = np.asarray(prices, dtype=float)
    lo = p if lows is None else np.asarray(lows, dtype=float)
    hi = p if highs is None else np.asarray(highs, dtype=float)
    return make_market(p, hi, lo, p, **kw)


def test_funding_paid_on_open_positions_only():
    # 1 BTC short opened at the close of bar 0 (price 100); settlements at bars 0 (before the order)
    # and 8 and 16: rate 0.001 on funding price 100 -> the short receives 0.1 twice, not at bar 0.
    n = 20
    fr = np.full(n, np.nan)
    fr[[0, 8, 16]] = 0.001
    m = flat_bars(np.full(n, 100.0), funding_rate=fr)
    res = simulate(m, spec_of(hold_perp_nb, [-1.0, 1.0], n, rebalance=only_first(n)), costs=Costs.zero(),
                   capital=1_000.0)
    ev = res.events[res.events.kind == "funding"]
    assert list(ev.bar) == [8, 16] and np.allclose(ev.amount, 0.1)
    assert res.summary.funding_pnl.iloc[0] == pytest.approx(0.2)
    assert res.equity.iloc[-1, 0] == pytest.approx(1_000.2)


def test_fees_and_slippage():
    # Buy 1 BTC perp at close 100 with 1 bp half spread, impact 0.01*(1/100)**0.5 = 0.001, fee 5 bp:
    # fill 100 * 1.0011 = 100.11, fee 0.0500550; equity marks at 100: 1,000 - 0.11 - 0.050055.
    n = 3
    m = flat_bars(np.full(n, 100.0), volume=np.full(n, 100.0))
    costs = Costs(perp_fee=0.0005, half_spread=0.0001, impact=0.01, impact_exponent=0.5)
    res = simulate(m, spec_of(hold_perp_nb, [1.0, 1.0], n, rebalance=only_first(n)), costs=costs, capital=1_000.0)
    fill = res.events[res.events.kind == "fill"].iloc[0]
    assert fill.price == pytest.approx(100.11, rel=1e-12)
    assert res.summary.fees.iloc[0] == pytest.approx(100.11 * 0.0005, rel=1e-12)
    assert res.equity.iloc[-1, 0] == pytest.approx(1_000 - 0.11 - 100.11 * 0.0005, rel=1e-12)


def _liq_setup(venue, side, lev, qty=1.0):
    entry = 100_000.0
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, leverage=lev, at="2025-10-01")
    return entry, res.liquidation_price


@pytest.mark.parametrize("venue", ["binance", "bybit"])
@pytest.mark.parametrize("side", ["long", "short"])
def test_isolated_liquidation_loses_exactly_the_margin(venue, side):
    # 10x isolated, 1 BTC at 100,000: margin 10,000. The mark touches the liquidation price (from the
    # calculator) in bar 2's adverse extreme: the account loses the 10,000 and no more.
    entry, lp = _liq_setup(venue, side, 10)
    s = 1 if side == "long" else -1
    n = 5
    prices = np.full(n, entry)
    lows, highs = prices.copy(), prices.copy()
    (lows if s > 0 else highs)[1] = lp * (1 + s * 1e-6)   # just short of it: nothing happens
    (lows if s > 0 else highs)[2] = lp                    # touches it: liquidated
    m = flat_bars(prices, lows, highs)
    res = simulate(m, spec_of(hold_perp_nb, [s * 1.0, 10.0], n, rebalance=only_first(n)), costs=Costs.zero(),
                   capital=50_000.0, venue=venue)
    liq = res.events[res.events.kind == "liquidation"]
    assert list(liq.bar) == [2]
    assert liq.amount.iloc[0] == pytest.approx(-10_000, rel=1e-9)
    assert liq.price.iloc[0] == pytest.approx(entry - s * 10_000, rel=1e-12)  # bankruptcy price
    assert res.equity.iloc[1, 0] == pytest.approx(50_000, rel=1e-12)
    assert res.equity.iloc[-1, 0] == pytest.approx(40_000, rel=1e-12)
    assert res.perp_qty.iloc[-1, 0] == 0 and res.summary.liquidations.iloc[0] == 1


def test_gap_through_bankruptcy_caps_loss_at_margin():
    # The bar opens at 50,000, far below the 10x long's bankruptcy price of 90,000: loss = margin.
    n = 3
    prices = np.array([100_000.0, 50_000.0, 50_000.0])
    res = simulate(flat_bars(prices), spec_of(hold_perp_nb, [1.0, 10.0], n, rebalance=only_first(n)),
                   costs=Costs.zero(), capital=50_000.0)
    assert res.equity.iloc[-1, 0] == pytest.approx(40_000, rel=1e-12)


def test_hyperliquid_closes_at_mark_and_keeps_the_rest():
    # 10x long 1 BTC (notional 100k: not above the 100k partial threshold) -> closed whole at the
    # liquidation price, no fee; the account keeps margin + PnL = equity at LP = MM = 1.25 % of it.
    entry, lp = _liq_setup("hyperliquid", "long", 10)
    n = 4
    prices = np.full(n, entry)
    lows = prices.copy()
    lows[2] = lp - 1.0
    res = simulate(flat_bars(prices, lows), spec_of(hold_perp_nb, [1.0, 10.0], n, rebalance=only_first(n)),
                   costs=Costs.zero(), capital=50_000.0, venue="hyperliquid")
    liq = res.events[res.events.kind == "liquidation"]
    assert len(liq) == 1 and liq.price.iloc[0] == pytest.approx(lp)
    assert res.equity.iloc[-1, 0] == pytest.approx(40_000 + 0.0125 * lp, rel=1e-12)


def test_hyperliquid_partial_liquidation_above_100k():
    # 3 BTC at 100,000 (300k notional): the first step closes 20 % at the liquidation price; after it
    # the rest is above maintenance, so a low just below the first LP closes only that step.
    entry, lp = _liq_setup("hyperliquid", "long", 10, qty=3.0)
    n = 4
    prices = np.full(n, entry)
    lows = prices.copy()
    lows[2] = lp - 1e-6
    res = simulate(flat_bars(prices, lows), spec_of(hold_perp_nb, [3.0, 10.0], n, rebalance=only_first(n)),
                   costs=Costs.zero(), capital=100_000.0, venue="hyperliquid")
    liq = res.events[res.events.kind == "liquidation"]
    assert len(liq) == 1 and liq.qty.iloc[0] == pytest.approx(-0.6)
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(2.4)


def test_stop_fills_at_trigger_or_gapped_open():
    n = 4
    feats = np.full((n, 4), np.nan)
    feats[0] = [1.0, np.nan, 2.0, 95.0]    # long 1 BTC at 2x, stop at 95
    prices = np.array([100.0, 100.0, 100.0, 100.0])
    lows = prices.copy()
    lows[2] = 94.0
    res = simulate(flat_bars(prices, lows), spec_of(replay_nb, [0.0], n, feats, only_first(n), ("x",)),
                   costs=Costs.zero(), capital=1_000.0)
    stop = res.events[res.events.kind == "stop"]
    assert list(stop.bar) == [2] and stop.price.iloc[0] == 95.0 and stop.amount.iloc[0] == pytest.approx(-5.0)
    # Gapped: bar 2 opens at 90, through the stop: filled at the open.
    opens = prices.copy()
    opens[2] = 90.0
    m = make_market(opens, prices, np.minimum(lows, opens), prices)
    res = simulate(m, spec_of(replay_nb, [0.0], n, feats, only_first(n), ("x",)), costs=Costs.zero(), capital=1_000.0)
    assert res.events[res.events.kind == "stop"].price.iloc[0] == 90.0


def test_spot_is_fully_paid_and_valued_at_index():
    n = 3
    m = make_market(*(np.full(n, 100.0),) * 4, index_close=np.array([50.0, 60.0, 70.0]))
    feats = np.full((n, 2), np.nan)
    feats[0, 1] = 10.0
    res = simulate(m, spec_of(replay_nb, [0.0], n, feats, names=("x",)), costs=Costs.zero(), capital=1_000.0)
    assert res.spot_qty.iloc[-1, 0] == 10 and res.cash.iloc[-1, 0] == pytest.approx(500)
    assert list(res.equity.iloc[:, 0]) == pytest.approx([1_000, 1_100, 1_200])
    # Buying more than the cash allows is cut to what the cash pays for.
    feats[0, 1] = 1e6
    res = simulate(m, spec_of(replay_nb, [0.0], n, feats, names=("x",)), costs=Costs.zero(), capital=1_000.0)
    assert res.spot_qty.iloc[0, 0] == pytest.approx(20.0) and res.cash.iloc[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_chunks_and_summary_mode_match_one_call():
    m = random_walk_market(3_000, seed=3, funding_every=480, vol=0.004)
    params = np.column_stack([np.linspace(0.1, 6.0, 7), np.full(7, 10.0)])
    spec = spec_of(short_hedge_nb, params, 3_000, names=("ratio", "leverage"))
    one = simulate(m, spec)
    chunked = simulate(m, spec, chunk_size=3)
    summary = simulate(m, spec, summary_only=True)
    assert chunked.summary.equals(one.summary) and summary.summary.equals(one.summary)
    assert chunked.events.equals(one.events) and summary.events.equals(one.events)
    assert chunked.equity.equals(one.equity) and summary.equity is None
    assert one.summary.liquidations.max() >= 1 and one.summary.liquidations.min() == 0
    # Separate calls over column chunks (as other processes would run them) merge into one call.
    parts = [simulate(m, spec._replace(params=params[lo:lo + 3], labels=spec.labels[lo:lo + 3])) for lo in (0, 3, 6)]
    merged = SimResult.merge(parts)
    assert merged.summary.equals(one.summary) and merged.events.equals(one.events)
    assert merged.equity.equals(one.equity)


def test_paths_each_column_names_its_path():
    a = random_walk_market(500, seed=1)
    b = random_walk_market(500, seed=2)
    spec = spec_of(hold_perp_nb, [[-1.0, 2.0], [-1.0, 2.0]], 500)
    both = simulate(a, spec, paths=[b], path_of_column=[1, 0])
    alone_b = simulate(b, spec_of(hold_perp_nb, [-1.0, 2.0], 500))
    alone_a = simulate(a, spec_of(hold_perp_nb, [-1.0, 2.0], 500))
    assert np.array_equal(both.equity.iloc[:, 0], alone_b.equity.iloc[:, 0])
    assert np.array_equal(both.equity.iloc[:, 1], alone_a.equity.iloc[:, 0])


def test_leverage_is_clamped_to_the_tier_maximum():
    # Hook asks 1,000x: Binance's first bracket allows 150x, so the margin is notional / 150.
    n = 2
    res = simulate(flat_bars(np.full(n, 100.0)), spec_of(hold_perp_nb, [1.0, 1000.0], n, names=("qty", "lev2")),
                   costs=Costs.zero(), capital=1_000.0)
    assert res.cash.iloc[0, 0] == pytest.approx(1_000 - 100 / 150)


@pytest.mark.parametrize("kwargs,match", [
    ({"venue": "ftx"}, "unknown venue 'ftx'"),
    ({"venue": "deribit", "margin_mode": "cross"}, "inverse perp"),
    ({"margin_mode": "portfolio"}, "margin_mode must be one of"),
    ({"capital": -5.0}, "capital must be a positive"),
    ({"at": "2019-06-01"}, "no BTC tier table valid at 2019-06-01"),
    ({"costs": Costs(perp_fee=-0.001)}, "costs.perp_fee must be"),
    ({"costs": Costs(half_spread=5.0)}, "costs.half_spread is a decimal"),
    ({"chunk_size": 0}, "chunk_size must be a positive"),
    ({"path_of_column": [3]}, "path_of_column must hold 1 path numbers"),
    ({"symbol": "PEPE"}, "no tier table for symbol 'PEPE'"),   # no table in binance.toml
])
def test_bad_parameters(kwargs, match):
    m = random_walk_market(10)
    with pytest.raises(UserError, match=match):
        simulate(m, spec_of(hold_perp_nb, [1.0, 2.0], 10), **kwargs)


def test_static_leverage_above_venue_maximum():
    m = random_walk_market(10)  # starts 2025-01-01: Binance's 2024 table (125x) applies, not late-2025 (150x)
    with pytest.raises(UserError, match=r"leverage=200.0 \(column 1\) is outside \(0, 125\]"):
        simulate(m, spec_of(hold_perp_nb, [[1.0, 2.0], [1.0, 200.0]], 10))
    with pytest.raises(UserError, match=r"outside \(0, 40\], the hyperliquid maximum"):
        simulate(m, spec_of(hold_perp_nb, [1.0, 45.0], 10), venue="hyperliquid", at="2025-10-01")
    # Before the (assumed) 2025-07-01 switch Hyperliquid allowed 50x on BTC.
    simulate(m, spec_of(hold_perp_nb, [1.0, 45.0], 10), venue="hyperliquid")


def test_bad_market_and_spec():
    m = random_walk_market(10)
    bad = m._replace(close=np.where(np.arange(10) == 4, np.nan, m.close))
    with pytest.raises(UserError, match="close is missing or <= 0 at bar 4"):
        simulate(bad, spec_of(hold_perp_nb, [1.0, 2.0], 10))
    with pytest.raises(UserError, match=r"spec.features must have shape \(10, k>=1\)"):
        simulate(m, spec_of(hold_perp_nb, [1.0, 2.0], 10, features=np.zeros((9, 1))))


def test_dated_tier_tables_switch_during_the_run():
    # Binance's 2024 brackets end 2025-08-31 and the late-2025 ones start 2025-09-01. A 0.6 BTC long
    # at 100,000 (60k notional, 10x: margin 6,000) sits in the 2024 bracket 2 (0.5 %, cum 50) and then
    # in the 2025 bracket 1 (0.4 %, cum 0): its liquidation price follows the calculator of each date.
    n = 8
    m = flat_bars(np.full(n, 100_000.0), start="2025-08-31 20:00")
    res = simulate(m, spec_of(hold_perp_nb, [0.6, 10.0], n, rebalance=only_first(n)), costs=Costs.zero(),
                   capital=50_000.0)
    old = liquidation_price("binance", side="long", entry=100_000, qty=0.6, wallet=6_000, at="2025-08-31")
    new = liquidation_price("binance", side="long", entry=100_000, qty=0.6, wallet=6_000, at="2025-09-01")
    assert (old.mmr, new.mmr) == (0.005, 0.004)
    lp = res.liq_price.iloc[:, 0].to_numpy()
    assert lp[:4] == pytest.approx([old.liquidation_price] * 4, rel=1e-12)   # 20:00 .. 23:00
    assert lp[4:] == pytest.approx([new.liquidation_price] * 4, rel=1e-12)   # from 00:00 Sep 1
    with pytest.raises(UserError, match="no BTC tier table valid at 2026-04-01"):
        simulate(flat_bars(np.full(n, 1.0), start="2026-03-31 20:00"), spec_of(hold_perp_nb, [0.0, 1.0], n))
