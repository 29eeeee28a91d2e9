"""Initial margin on orders (engine/nb/simulate.py, step 5), the cut recorded as ``order_trimmed``:
option sales are cut to the largest quantity after which cover >= the Deribit standard IM of every
short leg (spec §5), and in cross margin a perp increase is cut so that equity covers
|position| * mark / leverage plus the short-option IM. Expected values are computed here from the
spec's formulas, or by the plain-Python reference simulator."""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.nb.records import EventKind
from hedgelab.engine.nb.option_leg import option_contract_nb, option_mark_nb
from hedgelab.engine.nb.option_rules import option_quote_nb
from hedgelab.engine.options import OptionConfig, stress_series
from hedgelab.engine.reference import ReferenceAccount, run_reference
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market, random_walk_market
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.engine.venues import load_venue
from testkit.replay import replay_with_options_nb

DAY_S = 86400.0
S0 = 100_000.0
NAMES = ("spot", "perp", "lev", "kind", "strike", "sell", "buy_first", "sell_bar")


@njit(HOOK_SIG, cache=True)
def sell_option_nb(i, state, params, features, intent):
    """Bar 0: spot params[0], perp params[1] (0: none) at leverage params[2], and buy params[6] BTC
    (if > 0) of the option that is sold later. Bar params[7]: sell params[5] BTC of the kind params[3]
    at strike fraction params[4], 7 days (slot 2, after slot 1's buy when both are at bar 0)."""
    if i == 0:
        intent[Intent.LEVERAGE] = params[2]
        if params[0] > 0.0:
            intent[Intent.TARGET_SPOT] = params[0]
        if params[1] != 0.0:
            intent[Intent.TARGET_PERP] = params[1]
        if params[6] > 0.0:
            intent[Intent.OPT1_ACTION] = 1.0
            intent[Intent.OPT1_TYPE] = params[3]
            intent[Intent.OPT1_STRIKE] = params[4]
            intent[Intent.OPT1_TENOR_DAYS] = 7.0
            intent[Intent.OPT1_QTY] = params[6]
    if i == int(params[7]):
        intent[Intent.OPT2_ACTION] = -1.0
        intent[Intent.OPT2_TYPE] = params[3]
        intent[Intent.OPT2_STRIKE] = params[4]
        intent[Intent.OPT2_TENOR_DAYS] = 7.0
        intent[Intent.OPT2_QTY] = params[5]


def flat_market(n=48):
    # Hourly bars from Mon 2025-10-06 00:00, flat at 100,000 (no stress), IV 50 %.
    close = np.full(n, S0)
    return make_market(close, close, close, close, start="2025-10-06", bar_seconds=3600, iv=np.full(n, 0.5))


class Quote:
    """The contract of an order at bar i and its numbers per BTC, from the public option functions
    and the spec's margin formulas (not from the engine's margin code)."""

    def __init__(self, m, i, is_call, frac):
        cfg = OptionConfig()
        arr = cfg.to_array()
        t = m.time_ns[i] / 1e9 + 3600
        s = m.index_close[i]
        stress = stress_series(m.index_close, 3600.0, cfg)[i]
        self.expiry_s, self.strike = option_contract_nb(arr, s, t, frac, 7.0)
        mid, _, _, _, _, sigma, fwd = option_mark_nb(arr, is_call, s, self.strike, t, self.expiry_s, 0.5, stress)
        self.bid, self.ask = option_quote_nb(mid, fwd, sigma, (self.expiry_s - t) / DAY_S, cfg.spread_base,
                                             cfg.spread_vol, cfg.spread_short, cfg.spread_min_btc)
        self.mid = mid
        self.fee_bid = min(cfg.fee_rate * s, cfg.fee_cap * self.bid)   # per BTC
        self.fee_ask = min(cfg.fee_rate * s, cfg.fee_cap * self.ask)
        # Spec §5, BTC per contract, mark in BTC = mark_usd / forward; USD at the index.
        mark_btc = mid / fwd
        if is_call:
            otm = max(self.strike - s, 0.0)
            im = max(0.15 - otm / s, 0.1) + mark_btc
        else:
            otm = max(s - self.strike, 0.0)
            mm = max(0.075, 0.075 * mark_btc) + mark_btc
            im = max(max(0.15 - otm / s, 0.1) + mark_btc, mm)
        self.im = im * s
        # cover change per BTC sold: + bid - fee, and the book gains a short marked at mid
        self.slope = self.bid - self.fee_bid - self.mid


def simulate_rows(rows, mode="isolated", capital=20_000.0):
    m = flat_market()
    n = len(m.close)
    spec = StrategySpec(sell_option_nb, np.array(rows, dtype=float), np.zeros((n, 1)), np.ones(n, bool), NAMES,
                        tuple(f"c{j}" for j in range(len(rows))))
    return m, simulate(m, spec, capital=capital, costs=Costs.zero(), margin_mode=mode)


def option_rows(ev, j, kind):
    return ev[(ev.column == j) & (ev.kind == kind) & (ev.instrument == "option")]


def test_naked_call_sale_is_cut_to_what_the_cash_margins():
    capital = 20_000.0
    # columns: sell 1 call (fits), 2.5 calls (cut), 5 calls (cut); same contract, same IM per BTC
    rows = [[0, 0, 1, 1.0, 1.1, q, 0, 0] for q in (1.0, 2.5, 5.0)]
    m, res = simulate_rows(rows, capital=capital)
    qt = Quote(m, 0, True, 1.1)
    assert qt.strike == pytest.approx(110_000) and 0.0 < qt.bid < qt.mid
    # cover(x) = capital + x * slope >= x * IM  ->  x* = capital / (IM - slope)
    x_star = capital / (qt.im - qt.slope)
    assert 1.0 < x_star < 2.5  # column 0 fits, 1 and 2 are cut
    ev = res.events
    for j, want in enumerate((1.0, 2.5, 5.0)):
        fill = option_rows(ev, j, "option_fill")
        trim = option_rows(ev, j, "order_trimmed")
        got = min(want, x_star)
        assert len(fill) == 1 and fill.qty.iloc[0] == pytest.approx(-got, rel=1e-12)
        assert fill.price.iloc[0] == pytest.approx(qt.bid, rel=1e-12)
        if want <= x_star:
            assert len(trim) == 0
            continue
        assert len(trim) == 1 and trim.bar.iloc[0] == 0
        assert trim.qty.iloc[0] == pytest.approx(-(want - x_star), rel=1e-9)
        assert trim.amount.iloc[0] == 0.0 and trim.price.iloc[0] == pytest.approx(qt.bid, rel=1e-12)
        assert trim.side.iloc[0] == "sell"
        # At the close the account's equity (cash + book) is exactly the short call's IM.
        assert res.equity.iloc[0, j] == pytest.approx(x_star * qt.im, rel=1e-9)
    assert (ev.kind == "liquidation").sum() == 0


def test_sale_is_dropped_when_nothing_fits_and_spot_covers_a_call():
    capital = 20_000.0
    # c0: all the cash in an isolated 1x long perp (its margin backs only the perp) -> no cover.
    # c1: 0.15 BTC spot and 1 call: cover = cash + spot at the index, enough for the call's IM.
    rows = [[0, capital / S0, 1, 1.0, 1.1, 1.0, 0, 0],
            [0.15, 0, 1, 1.0, 1.1, 1.0, 0, 0]]
    m, res = simulate_rows(rows, capital=capital)
    qt = Quote(m, 0, True, 1.1)
    ev = res.events
    assert res.cash.iloc[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert len(option_rows(ev, 0, "option_fill")) == 0
    trim = option_rows(ev, 0, "order_trimmed")
    assert len(trim) == 1 and trim.qty.iloc[0] == -1.0 and trim.amount.iloc[0] == 0.0
    assert capital + qt.slope >= qt.im  # c1: cover = cash left + spot = capital, so the call fits
    assert len(option_rows(ev, 1, "order_trimmed")) == 0
    assert option_rows(ev, 1, "option_fill").qty.iloc[0] == -1.0


def test_put_sale_reducing_a_long_is_not_cut_and_the_short_part_is():
    capital = 20_000.0
    # Bar 0: buy 1 put 0.9; bar 1: sell 4 of the same put -> 1 closes the long, the rest opens a short.
    m, res = simulate_rows([[0, 0, 1, -1.0, 0.9, 4.0, 1.0, 1]], capital=capital)
    q0 = Quote(m, 0, False, 0.9)
    q1 = Quote(m, 1, False, 0.9)
    assert (q0.strike, q0.expiry_s) == (q1.strike, q1.expiry_s)
    cash1 = capital - q0.ask - q0.fee_ask
    # Cover after the reduce: cash1 + the long put at mid, + 1 * slope (sold at the bid, fee, no mark).
    room = cash1 + q1.mid + q1.slope
    x_star = 1.0 + room / (q1.im - q1.slope)
    assert 1.0 < x_star < 4.0
    ev = res.events
    fill = option_rows(ev, 0, "option_fill")
    assert list(fill.bar) == [0, 1]
    assert fill.qty.iloc[1] == pytest.approx(-x_star, rel=1e-12)
    trim = option_rows(ev, 0, "order_trimmed")
    assert len(trim) == 1 and trim.qty.iloc[0] == pytest.approx(-(4.0 - x_star), rel=1e-9)
    # After the sale the account's equity is the IM of the short part.
    assert res.equity.iloc[1, 0] == pytest.approx((x_star - 1.0) * q1.im, rel=1e-9)


def test_cross_margin_counts_the_perp_initial_margin():
    capital = 20_000.0
    # Cross: a 0.5 BTC long perp at 5x needs 0.5 * 100,000 / 5 = 10,000 of the wallet; the call sale
    # gets what is left: x* = (capital - 10,000) / (IM - slope).
    m, res = simulate_rows([[0, 0.5, 5, 1.0, 1.1, 2.0, 0, 0], [0, 0, 5, 1.0, 1.1, 2.0, 0, 0]], mode="cross",
                           capital=capital)
    qt = Quote(m, 0, True, 1.1)
    ev = res.events
    x_perp = (capital - 0.5 * S0 / 5) / (qt.im - qt.slope)
    x_flat = capital / (qt.im - qt.slope)
    assert x_perp < x_flat < 2.0
    for j, x in ((0, x_perp), (1, x_flat)):
        fill = option_rows(ev, j, "option_fill")
        assert fill.qty.iloc[0] == pytest.approx(-x, rel=1e-12)
        trim = option_rows(ev, j, "order_trimmed")
        assert trim.qty.iloc[0] == pytest.approx(-(2.0 - x), rel=1e-9)
    assert res.perp_qty.iloc[0, 0] == 0.5


# ---- perp orders in cross margin -------------------------------------------------------------------

PERP_FEE = 0.0005


def replay(feats, capital, costs=None, market=None):
    m = flat_market() if market is None else market
    feats = np.ascontiguousarray(feats, dtype=float)
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(len(m.close), bool), ("x",), ("r",))
    costs = Costs(perp_fee=PERP_FEE, spot_fee=0.001, half_spread=0.0, impact=0.0) if costs is None else costs
    return m, simulate(m, spec, capital=capital, costs=costs, margin_mode="cross")


def perp_rows(ev, kind):
    return ev[(ev.kind == kind) & (ev.instrument == "perp")]


def test_cross_perp_increase_is_cut_to_what_equity_margins():
    capital = 20_000.0
    n = len(flat_market().close)
    feats = np.full((n, 3), np.nan)
    feats[0] = [1.0, 0.1, 2.0]   # bar 0: 0.1 BTC spot, then a 1 BTC long at 2x
    feats[5] = [-1.0, np.nan, np.nan]  # bar 5: flip to 1 BTC short: the reduce is free, the short is cut
    m, res = replay(feats, capital)
    ev = res.events
    # Bar 0: equity after the spot buy = capital - its fee; the perp adds y with fee y*S*f and needs
    # y*S/L: y* = equity / (S/L + S*f) (no slippage, fill = mark = S).
    eq0 = capital - 0.1 * S0 * 0.001
    y0 = eq0 / (S0 / 2.0 + S0 * PERP_FEE)
    assert y0 < 1.0
    fills = perp_rows(ev, "fill")
    trims = perp_rows(ev, "order_trimmed")
    assert fills.bar.iloc[0] == 0 and fills.qty.iloc[0] == pytest.approx(y0, rel=1e-12)
    assert trims.bar.iloc[0] == 0 and trims.qty.iloc[0] == pytest.approx(1.0 - y0, rel=1e-9)
    assert trims.amount.iloc[0] == 0.0 and trims.price.iloc[0] == S0 and trims.side.iloc[0] == "buy"
    # At the close equity = IM of the position exactly (the mark equals the fill).
    assert res.equity.iloc[0, 0] == pytest.approx(y0 * S0 / 2.0, rel=1e-9)
    # Bar 5: closing y0 costs y0*S*f; the short of z needs z*S/L + z*S*f out of what is left.
    eq5 = y0 * S0 / 2.0 - y0 * S0 * PERP_FEE
    z = eq5 / (S0 / 2.0 + S0 * PERP_FEE)
    assert fills.bar.iloc[1] == 5 and fills.qty.iloc[1] == pytest.approx(-(y0 + z), rel=1e-12)
    assert trims.bar.iloc[1] == 5 and trims.qty.iloc[1] == pytest.approx(-(1.0 - z), rel=1e-9)
    assert res.perp_qty.iloc[5, 0] == pytest.approx(-z, rel=1e-12)


def test_cross_perp_reduce_is_never_cut_and_isolated_is_unchanged():
    capital = 20_000.0
    n = len(flat_market().close)
    feats = np.full((n, 3), np.nan)
    feats[0] = [0.3, np.nan, 2.0]  # fits: 0.3 * 50,000 = 15,000 < 20,000
    feats[3] = [0.1, np.nan, np.nan]
    _, res = replay(feats, capital)
    assert (res.events.kind == "order_trimmed").sum() == 0
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(0.1)


def test_cross_perp_counts_short_option_initial_margin():
    capital = 30_000.0
    m = flat_market()
    n = len(m.close)
    # bar 0: sell 1 call 1.1 (7 days); bar 1: a 1 BTC long perp at the default 1x leverage
    feats = np.full((n, 7), np.nan)
    feats[0, 2:] = [-1.0, 1.0, 1.1, 7.0, 1.0]
    feats[1, 0] = 1.0
    spec = StrategySpec(replay_with_options_nb, np.zeros((1, 1)), feats, np.ones(n, bool), ("x",), ("r",))
    costs = Costs(perp_fee=PERP_FEE, spot_fee=0.001, half_spread=0.0, impact=0.0)
    res = simulate(m, spec, capital=capital, costs=costs, margin_mode="cross")
    q0, q1 = Quote(m, 0, True, 1.1), Quote(m, 1, True, 1.1)
    assert capital + q0.slope >= q0.im  # the call is sold whole
    cash = capital + q0.bid - q0.fee_bid
    # Bar 1: equity = cash - call mark; less the call's IM; the perp adds y needing y*S/1 + y*S*f.
    y = (cash - q1.mid - q1.im) / (S0 + S0 * PERP_FEE)
    assert 0.0 < y < 1.0
    ev = res.events
    assert perp_rows(ev, "fill").qty.iloc[0] == pytest.approx(y, rel=1e-9)
    assert perp_rows(ev, "order_trimmed").qty.iloc[0] == pytest.approx(1.0 - y, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("venue", ["binance", "hyperliquid"])
def test_cross_trims_match_the_reference(seed, venue):
    rng = np.random.default_rng(seed)
    n = 240
    market = random_walk_market(n, seed=seed + 200, vol=0.01, start="2025-10-01", bar_seconds=3600,
                                funding_every=8, funding_rate=0.002, volume=30.0)
    feats = np.full((n, 3), np.nan)
    orders = [None] * n
    for i in np.flatnonzero(rng.random(n) < 0.15):
        o = {"perp": float(np.round(rng.uniform(-3, 3), 4))}
        if rng.random() < 0.5:
            o["spot"] = float(np.round(rng.uniform(0, 0.5), 4))
        if rng.random() < 0.5:
            o["leverage"] = float(rng.choice([2.0, 5.0, 20.0]))
        feats[i] = [o["perp"], o.get("spot", np.nan), o.get("leverage", np.nan)]
        orders[i] = o
    costs = Costs(perp_fee=0.0005, spot_fee=0.001, half_spread=0.0001, impact=0.01, impact_exponent=0.5)
    capital = 60_000.0  # a 3 BTC order at 1-2x does not fit: trims happen
    spec = StrategySpec(replay_nb, np.zeros((1, 1)), feats, np.ones(n, bool), ("x",), ("r",))
    res = simulate(market, spec, venue=venue, margin_mode="cross", costs=costs, capital=capital, at="2025-10-01")
    v = load_venue(venue, at="2025-10-01")
    acc = ReferenceAccount(tiers=v.tiers[:, :5].tolist(),
                           rule={0: "mm_at_liq", 1: "mm_at_entry", 2: "close_at_mark"}[v.liq_rule],
                           capital=capital, perp_fee=0.0005, spot_fee=0.001, half_spread=0.0001, impact=0.01,
                           impact_exp=0.5, cross=True, partial_above=v.partial_above,
                           partial_fraction=v.partial_fraction, backstop=v.backstop,
                           whole_leverage=v.integer_leverage)
    equity, events = run_reference(market, orders, acc)
    ours = res.records
    assert (ours["kind"] == EventKind.ORDER_TRIMMED).sum() >= 3
    np.testing.assert_allclose(res.equity.iloc[:, 0].to_numpy(), equity, rtol=1e-9)
    assert [(int(e["bar"]), int(e["kind"]), int(e["instrument"])) for e in ours] == [e[:3] for e in events]
    np.testing.assert_allclose(ours["qty"], [e[3] for e in events], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours["price"], [e[4] for e in events], rtol=1e-9)
    np.testing.assert_allclose(ours["amount"], [e[5] for e in events], rtol=1e-9, atol=1e-6)
