"""Quiet bars (``engine/nb/quiet.py``): the tight loop gives exactly what the full step gives.

The reference is the same run with a decision on every bar: ``replay_nb`` with a NaN feature row
changes nothing, but a decision bar always takes the full step, so no bar is quiet. Both runs must
agree to the bit: curves, summary and events, through liquidations, stops, funding, a dated tier
table switch (Binance, 2025-09-01) and the inverse venue.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.nb.quiet import calm_until_nb
from hedgelab.engine.nb.records import Mkt
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import random_walk_market
from hedgelab.engine.types import HOOK_SIG, Intent

N = 240  # hourly bars from 2025-08-25: the Binance table of 2025-09-01 starts at bar 168


def test_calm_until_names_the_next_bar_that_needs_the_full_step():
    market = np.full((2, Mkt.N, 8), np.nan)
    market[0, Mkt.FUNDING_RATE, 5] = 0.0001
    market[1, Mkt.FUNDING_RATE, 1] = 0.0
    rebalance = np.zeros(8, bool)
    rebalance[2] = True
    calm = calm_until_nb(market, rebalance, np.array([0, 6]))
    # path 0: decision at 2, settlement at 5, next table at 6; path 1: settlement at 1 (a zero rate pays nothing
    # but is still a settlement), then the same decision and table
    np.testing.assert_array_equal(calm[0], [2, 2, 2, 5, 5, 5, 6, 8])
    np.testing.assert_array_equal(calm[1], [1, 1, 2, 6, 6, 6, 6, 8])


def assert_same_records(a, b):
    """Event tables equal field by field (a structured array's == counts NaN strikes as different)."""
    assert a.dtype == b.dtype and len(a) == len(b)
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def _case(seed, vol):
    """A random path from 2025-08-25 with 8 h funding, and decisions on ~6 % of its bars: a perp target
    (long or short), a leverage and, half the time, a stop a few percent away on the losing side."""
    rng = np.random.default_rng(seed)
    market = random_walk_market(N, seed=seed, vol=vol, start="2025-08-25", bar_seconds=3600, funding_every=8,
                                funding_rate=0.0005, volume=20.0)
    feats = np.full((N, 4), np.nan)
    for i in np.flatnonzero(rng.random(N) < 0.06):
        feats[i, 0] = rng.uniform(-3, 3)
        feats[i, 2] = rng.choice([2.0, 10.0, 50.0])
        if rng.random() < 0.5:
            feats[i, 3] = market.close[i] * (1 - np.sign(feats[i, 0]) * rng.uniform(0.01, 0.05))
    return market, feats


def _both(market, feats, **kw):
    sparse = np.isfinite(feats).any(axis=1)
    every = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(N, bool), ("x",), ("r",))
    return simulate(market, every, **kw), simulate(market, every._replace(rebalance=sparse), **kw)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["binance", "bybit", "hyperliquid", "deribit"]),
       st.sampled_from(["isolated", "cross"]), st.sampled_from([0.004, 0.02, 0.05]))
def test_quiet_bars_equal_the_full_step_bit_for_bit(seed, venue, mode, vol):
    if venue == "deribit":
        mode = "isolated"  # the kernel's inverse perp is isolated only
    market, feats = _case(seed, vol)
    full, quiet = _both(market, feats, venue=venue, margin_mode=mode, costs=Costs())
    for name in ("equity", "cash", "spot_qty", "perp_qty", "margin_ratio", "liq_price", "option_value"):
        np.testing.assert_array_equal(getattr(quiet, name).to_numpy(), getattr(full, name).to_numpy(), err_msg=name)
    assert_same_records(quiet.records, full.records)
    np.testing.assert_array_equal(quiet.summary.to_numpy(), full.summary.to_numpy())
    summary_only = _both(market, feats, venue=venue, margin_mode=mode, costs=Costs(), summary_only=True)[1]
    np.testing.assert_array_equal(summary_only.summary.to_numpy(), full.summary.to_numpy())


def test_the_property_reaches_liquidations_stops_and_the_table_switch():
    # Guard against a vacuous property: its cases do liquidate, stop out and cross the 2025-09-01 table.
    seen = {"liquidations": 0, "stops": 0}
    for seed in range(12):
        market, feats = _case(seed, 0.02)
        full, quiet = _both(market, feats, venue="binance", margin_mode="isolated", costs=Costs())
        assert_same_records(quiet.records, full.records)
        seen["liquidations"] += int(quiet.summary.liquidations.iloc[0])
        seen["stops"] += int(quiet.summary.stops.iloc[0])
    assert seen["liquidations"] > 0 and seen["stops"] > 0
    switch = np.datetime64("2025-09-01", "ns").astype(np.int64)
    assert market.time_ns[0] < switch < market.time_ns[-1]


@njit(HOOK_SIG, cache=True)
def put_on_cue_nb(i, state, params, features, intent):
    """Buy a put of 1 BTC (strike fraction features[i, 0], 2-day tenor) where the feature is set."""
    if features[i, 0] == features[i, 0]:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = features[i, 0]
        intent[Intent.OPT1_TENOR_DAYS] = 2.0
        intent[Intent.OPT1_QTY] = 1.0


def test_an_option_book_keeps_its_bars_in_the_full_step():
    # While a leg is held every bar marks the book and may settle it; after its expiry the bars are
    # quiet again. Puts bought at bars 5 and 150 (2-day tenor): the book's value moves on bars with no
    # decision, and the run with a decision on every bar must match to the bit.
    market = random_walk_market(N, seed=3, vol=0.01, start="2025-10-01", bar_seconds=3600, funding_every=8,
                                funding_rate=0.0003, volume=20.0)
    feats = np.full((N, 1), np.nan)
    feats[[5, 150], 0] = [0.97, 1.0]
    every = StrategySpec(put_on_cue_nb, np.zeros((1, 1)), feats, np.ones(N, bool), ("x",), ("p",))
    full = simulate(market, every)
    quiet = simulate(market, every._replace(rebalance=np.isfinite(feats[:, 0])))
    assert (full.option_value.iloc[:, 0] != 0).sum() > 48  # the legs were held and marked
    np.testing.assert_array_equal(quiet.option_value.to_numpy(), full.option_value.to_numpy())
    np.testing.assert_array_equal(quiet.equity.to_numpy(), full.equity.to_numpy())
    assert_same_records(quiet.records, full.records)
    np.testing.assert_array_equal(quiet.summary.to_numpy(), full.summary.to_numpy())
