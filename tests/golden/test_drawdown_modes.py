"""Summary-only max drawdown equals the full-curve figure bit for bit (issue 12), so a sweep's ranking never
depends on the mode.

The definition both must follow, written here once in plain Python: the peak starts at the capital, equity
is floored at 0 (a margin account loses at most its balance), the fall at a bar is e / peak - 1, and the
max drawdown is the smallest of those falls and 0.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelab.reports.record import to_record
from hedgelab.api import SUMMARY_ONLY_ABOVE
from hedgelab.data import align, load
from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import random_walk_market
from hedgelab.reports.metrics import max_drawdown
from hedgelab.reports.summary import run_row
from hedgelab.strategies.builtin.perp_hedge import PerpHedge
from testkit.replay import replay_with_options_nb

N = 60


def by_hand(equity, capital):
    peak, worst = capital, 0.0
    for e in equity:
        peak = max(peak, e)
        fall = max(e, 0.0) / peak - 1.0
        worst = min(worst, fall)
    return worst


def both_modes(market, spec, capital, **kw):
    """(full-curve summary row, summary-only summary row, equity curve) for column 0."""
    rows = []
    for summary_only in (False, True):
        sim = simulate(market, spec, capital=capital, summary_only=summary_only, **kw)
        rec = to_record(sim, 0, "r", "replay", {}, market, capital)
        rows.append(run_row(rec))
        if not summary_only:
            curve = sim.equity.iloc[:, 0].tolist()  # python floats: repr compares the bits
    return rows[0], rows[1], curve


@st.composite
def order_streams(draw):
    seed = draw(st.integers(0, 10_000))
    vol = draw(st.sampled_from([0.002, 0.01, 0.04]))
    venue = draw(st.sampled_from(["binance", "bybit", "hyperliquid"]))
    mode = draw(st.sampled_from(["isolated", "cross"]))
    capital = draw(st.sampled_from([1_000.0, 100_000.0, 3_333.33]))
    rng = np.random.default_rng(seed)
    feats = np.full((N, 3), np.nan)
    # bar 0 trades more often than not: the first bar's fee is where the two modes used to differ
    for i in np.flatnonzero((rng.random(N) < 0.2) | (np.arange(N) == 0) & (rng.random() < 0.7)):
        feats[i, 0] = rng.uniform(-6, 6) * capital / 100_000
        feats[i, 1] = rng.uniform(0, 1) * capital / 100_000 if rng.random() < 0.4 else np.nan
        feats[i, 2] = rng.choice([1.0, 5.0, 20.0, 50.0]) if rng.random() < 0.5 else np.nan
    return seed, vol, venue, mode, capital, feats


@settings(max_examples=40, deadline=None)
@given(order_streams())
def test_summary_only_max_drawdown_is_the_full_curve_figure_bit_for_bit(case):
    seed, vol, venue, mode, capital, feats = case
    market = random_walk_market(N, seed=seed, vol=vol, start="2025-10-01", bar_seconds=3600,
                                funding_every=8, funding_rate=0.001, volume=20.0)
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(N, bool), ("x",), ("r",))
    full, summary, curve = both_modes(market, spec, capital, venue=venue, margin_mode=mode, costs=Costs())
    want = by_hand(curve, capital)
    assert repr(full["max_drawdown"]) == repr(want)
    assert repr(summary["max_drawdown"]) == repr(want)   # repr: -0.0 and 0.0 would differ in summary.csv


def test_a_fee_on_the_first_bar_is_a_fall_from_the_capital():
    # 1 BTC spot at 100,000 with a 0.1 % fee on bar 0, on 200,000 capital: equity 199,900 at its close,
    # 100 below the capital (the full-curve figure used to start the peak at 199,900 and report 0).
    p = np.full(3, 100_000.0)
    market = random_walk_market(3, seed=0, vol=0.0, start="2025-10-01", bar_seconds=3600)
    feats = np.array([[0.0, 1.0, np.nan], [np.nan] * 3, [np.nan] * 3])
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(3, bool), ("x",), ("r",))
    costs = Costs(perp_fee=0.0, spot_fee=0.001, half_spread=0.0, impact=0.0)
    full, summary, curve = both_modes(market, spec, 200_000.0, costs=costs)
    np.testing.assert_array_equal(market.close, p)
    assert curve == [199_900.0] * 3
    assert full["max_drawdown"] == summary["max_drawdown"] == 199_900.0 / 200_000.0 - 1.0


def test_a_wiped_out_cross_wallet_is_a_full_loss_in_both_modes():
    # 50x long 10 BTC on 20,000 capital in cross mode, then a 30 % gap down through the bankruptcy price
    # (98,000): the wallet is taken whole, equity 0, so both modes say exactly -100 %.
    p = np.array([100_000.0, 100_000.0, 70_000.0, 70_000.0])
    market = random_walk_market(4, seed=0, vol=0.0, start="2025-10-01", bar_seconds=3600)
    market = market._replace(open=p, high=p, low=p, close=p, mark_open=p, mark_high=p, mark_low=p,
                             mark_close=p, index_open=p, index_high=p, index_low=p, index_close=p, funding_price=p)
    feats = np.full((4, 3), np.nan)
    feats[0] = [10.0, np.nan, 50.0]
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(4, bool), ("x",), ("r",))
    full, summary, curve = both_modes(market, spec, 20_000.0, costs=Costs.zero(), margin_mode="cross")
    want = by_hand(curve, 20_000.0)
    assert curve[-1] == 0.0 and want == -1.0
    assert repr(full["max_drawdown"]) == repr(summary["max_drawdown"]) == repr(want)


def test_equity_below_zero_counts_as_a_full_loss_in_both_modes():
    # A naked ATM call sold on 20,000 (its initial margin ~0.16 BTC x 100,000 fits), then the index doubles
    # in one bar: the short is bought back at ~100,000 with 20,000 of cash, so equity goes far below 0.
    # Floored at 0 (a margin account loses at most its balance) the fall is exactly -100 % in both modes.
    n = 8
    p = np.where(np.arange(n) < 4, 100_000.0, 200_000.0)
    market = random_walk_market(n, seed=0, vol=0.0, start="2025-10-06", bar_seconds=3600)
    market = market._replace(open=p, high=p, low=p, close=p, mark_open=p, mark_high=p, mark_low=p,
                             mark_close=p, index_open=p, index_high=p, index_low=p, index_close=p, funding_price=p)
    feats = np.full((n, 7), np.nan)
    feats[0, 2:] = [-1.0, 1.0, 1.0, 7.0, 1.0]      # sell 1 call, strike 1.0 x forward, 7-day tenor
    reb = np.zeros(n, bool)
    reb[0] = True
    spec = StrategySpec(replay_with_options_nb, np.zeros((1, 1)), feats, reb, ("x",), ("r",))
    full, summary, curve = both_modes(market, spec, 20_000.0, costs=Costs.zero())
    assert min(curve) < -50_000.0
    assert repr(full["max_drawdown"]) == repr(summary["max_drawdown"]) == repr(by_hand(curve, 20_000.0)) == "-1.0"


def test_a_5002_set_sweep_ranks_the_same_in_both_modes():
    # 5,002 perp-hedge parameter sets (above SUMMARY_ONLY_ABOVE, so summary-only is what a sweep of this size
    # gets by default) over two days of crisis-2025 around the Oct 10 crash, one kernel call per mode.
    market = align(load("crisis-2025"), "2025-10-10", "2025-10-11 23:00")
    sets = [PerpHedge.validate({"hedge_ratio": h, "leverage": lev})
            for h in np.linspace(0.0, 2.0, 82) for lev in np.linspace(1.0, 100.0, 61)]
    assert len(sets) > SUMMARY_ONLY_ABOVE
    spec = PerpHedge().spec(market, sets)
    quick = simulate(market, spec, summary_only=True).summary["max_drawdown"].to_numpy()
    full = simulate(market, spec).equity
    from_curves = np.array([max_drawdown(full.iloc[:, j], 100_000.0) for j in range(len(sets))])
    assert (0.0 - quick).tolist() == from_curves.tolist()
    assert from_curves.min() < -0.05          # the crash moves the numbers: not a table of zeros
    assert (np.argsort(-quick, kind="stable") == np.argsort(from_curves, kind="stable")).all()
