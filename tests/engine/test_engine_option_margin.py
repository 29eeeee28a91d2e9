"""Short options carry Deribit standard maintenance margin and are liquidated (bought back at the
ask) when the account's cover falls below it (engine/nb/simulate.py, step 3b)."""

import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.nb.option_leg import option_contract_nb, option_mark_nb
from hedgelab.engine.nb.option_rules import option_fee_nb, option_quote_nb
from hedgelab.engine.options import OptionConfig, stress_series
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market
from hedgelab.engine.types import HOOK_SIG, Intent
from testkit.replay import replay_positions, replay_with_options_nb


DAY_S = 86400.0


@njit(HOOK_SIG, cache=True)
def short_call_once_nb(i, state, params, features, intent):
    """Bar 0: hold params[3] BTC spot, sell params[2] BTC of a call at strike fraction params[0],
    tenor params[1] days, and (params[4] > 0) buy the same qty of a put at fraction params[4]."""
    if i == 0:
        intent[Intent.TARGET_SPOT] = params[3]
        intent[Intent.OPT1_ACTION] = -1.0
        intent[Intent.OPT1_TYPE] = 1.0
        intent[Intent.OPT1_STRIKE] = params[0]
        intent[Intent.OPT1_TENOR_DAYS] = params[1]
        intent[Intent.OPT1_QTY] = params[2]
        if params[4] > 0.0:
            intent[Intent.OPT2_ACTION] = 1.0
            intent[Intent.OPT2_TYPE] = -1.0
            intent[Intent.OPT2_STRIKE] = params[4]
            intent[Intent.OPT2_TENOR_DAYS] = params[1]
            intent[Intent.OPT2_QTY] = params[2]


def rally_market(n=24 * 4):
    # Hourly bars from Mon 2025-10-06 00:00: 100,000 for a day, then +30% in a straight line over two days.
    close = np.interp(np.arange(n), [0, 23, 71, n - 1], [100_000.0, 100_000.0, 130_000.0, 130_000.0])
    open_ = np.r_[close[0], close[:-1]]
    return make_market(open_, np.maximum(open_, close), np.minimum(open_, close), close, start="2025-10-06",
                       bar_seconds=3600, iv=np.full(n, 0.5))


def run(capital, spot, put_frac):
    m = rally_market()
    n = len(m.close)
    spec = StrategySpec(short_call_once_nb, np.array([[1.1, 7.0, 1.0, spot, put_frac]]), np.zeros((n, 1)),
                        np.ones(n, bool), ("strike", "tenor", "qty", "spot", "put"), ("c",))
    return m, simulate(m, spec, capital=capital, costs=Costs.zero())


def test_naked_short_call_is_liquidated_in_a_rally_where_the_margin_rule_says():
    # 11,000 clears the sale's initial margin (max(0.15 - 10,000/100,000, 0.1) + mark ~ 0.103 BTC x
    # 100,000, spec §5), so the whole call is sold; the maintenance margin then catches up in the rally.
    capital = 11_000.0
    m, res = run(capital, 0.0, 0.0)
    cfg = OptionConfig()
    arr = cfg.to_array()
    close_s = m.time_ns / 1e9 + 3600
    stress = stress_series(m.index_close, 3600.0, cfg)
    expiry_s, strike = option_contract_nb(arr, m.index_close[0], close_s[0], 1.1, 7.0)
    assert strike == pytest.approx(110_000)

    def quote(i):
        s = m.index_close[i]
        mid, _, _, _, _, sigma, fwd = option_mark_nb(arr, True, s, strike, close_s[i], expiry_s, 0.5, stress[i])
        bid, ask = option_quote_nb(mid, fwd, sigma, (expiry_s - close_s[i]) / DAY_S, cfg.spread_base,
                                   cfg.spread_vol, cfg.spread_short, cfg.spread_min_btc)
        return s, mid, fwd, bid, ask

    # Bar 0: sold 1 call at the bid, less the fee 1 * min(0.0003 * S, 0.125 * bid).
    s0, _, _, bid0, _ = quote(0)
    cash = capital + bid0 - min(0.0003 * s0, 0.125 * bid0)
    # Deribit MM of a short call, per BTC: 0.075 + mark/F (BTC), times the index for USD.
    # Cover = cash + option book (-mark); the first close where cover < MM is the liquidation bar.
    expected_bar = None
    for i in range(1, len(m.close)):
        s, mid, fwd, _, _ = quote(i)
        mm = (0.075 + mid / fwd) * s
        if cash - mid < mm:
            expected_bar = i
            break
    assert expected_bar is not None and 24 < expected_bar < 71  # inside the rally
    ev = res.events
    liq = ev[ev.kind == "liquidation"]
    assert len(liq) == 1 and liq.instrument.iloc[0] == "option"
    assert int(liq.bar.iloc[0]) == expected_bar
    s, mid, fwd, _, ask = quote(expected_bar)
    assert liq.qty.iloc[0] == 1.0 and liq.price.iloc[0] == pytest.approx(ask, rel=1e-12)
    assert liq.amount.iloc[0] == pytest.approx(-ask, rel=1e-12)
    assert res.summary.liquidations.iloc[0] == 1
    # Before: equity = cash - mark; after: cash less the buy-back at the ask and its fee, flat from then on.
    before = res.equity.iloc[expected_bar - 1, 0]
    assert before == pytest.approx(cash - quote(expected_bar - 1)[1], rel=1e-12)
    after = cash - ask - option_fee_nb(ask, s, 1.0, cfg.fee_rate, cfg.fee_cap)
    assert res.equity.iloc[expected_bar, 0] == pytest.approx(after, rel=1e-12)
    assert np.allclose(res.equity.iloc[expected_bar:, 0], after, rtol=1e-12)
    assert (res.option_value.iloc[expected_bar:, 0] == 0.0).all()
    assert res.summary.option_pnl.iloc[0] == pytest.approx(after - capital, rel=1e-9)


def test_collar_covered_by_spot_is_not_liquidated_in_the_same_rally():
    # Spot is collateral for the (coin-margined) options: cover = cash + spot * S - call + put, which
    # rises with S; at 130,000: about 10,000 + 130,000 - 20,000 against MM ~ 0.075 * 130,000 + 20,000.
    m, res = run(110_000.0, 1.0, 0.9)
    assert (res.events.kind == "liquidation").sum() == 0
    assert res.summary.liquidations.iloc[0] == 0
    assert res.spot_qty.iloc[-1, 0] == 1.0 and res.option_value.iloc[-1, 0] < -15_000  # the short call is held


def test_the_same_short_call_with_enough_cash_is_not_liquidated():
    # 100,000 of cash covers MM ~ 0.075 * 130,000 + ~20,000 mark at the top of the rally.
    _, res = run(100_000.0, 0.0, 0.0)
    assert res.summary.liquidations.iloc[0] == 0


# features[i] = perp target, spot target, option action, type, strike fraction, tenor, qty
option_stream_nb = replay_with_options_nb


@pytest.mark.parametrize("mode", ["isolated", "cross"])
@pytest.mark.parametrize("seed", [3, 11])
def test_accounting_identity_through_option_liquidations(seed, mode):
    # A small account that keeps selling options (and trades some perp/spot) on a volatile path, so
    # option liquidations happen; the identity of test_engine_properties must still hold every bar:
    # equity = capital + sum of event cash flows + spot * index + perp upnl + option book.
    from hedgelab.engine.synthetic import random_walk_market
    capital = 3_000.0
    n = 24 * 10
    rng = np.random.default_rng(seed)
    m = random_walk_market(n, seed=seed, vol=0.02, start="2025-10-06", bar_seconds=3600, funding_every=8,
                           funding_rate=0.0005, volume=20.0)
    feats = np.full((n, 7), np.nan)
    for i in np.flatnonzero(rng.random(n) < 0.15):
        feats[i, 0] = rng.uniform(-0.02, 0.02)
        feats[i, 2] = rng.choice([-1.0, -1.0, 1.0])
        feats[i, 3] = rng.choice([1.0, -1.0])
        feats[i, 4] = rng.uniform(0.95, 1.05)
        feats[i, 5] = rng.choice([3.0, 7.0])
        feats[i, 6] = rng.uniform(0.05, 0.3)
    spec = StrategySpec(option_stream_nb, np.zeros((1, 1)), feats, np.ones(n, bool), ("x",), ("r",))
    res = simulate(m, spec, margin_mode=mode, capital=capital, costs=Costs())
    rec = res.records
    option_liqs = res.events[(res.events.kind == "liquidation") & (res.events.instrument == "option")]
    assert len(option_liqs) > 0  # the case reaches the rule
    assert (option_liqs.qty > 0).all()  # only short legs are bought back
    flows = np.zeros(n)
    np.add.at(flows, rec["bar"], rec["amount"])
    perp = res.perp_qty.iloc[:, 0].to_numpy()
    # perp upnl rebuilt from the perp events: average entry of the open position
    qty, entry = replay_positions(rec, n)
    np.testing.assert_allclose(qty, perp, rtol=0, atol=1e-9)
    rebuilt = (capital + np.cumsum(flows) + res.spot_qty.iloc[:, 0].to_numpy() * m.index_close
               + perp * (m.mark_close - entry) + res.option_value.iloc[:, 0].to_numpy())
    np.testing.assert_allclose(res.equity.iloc[:, 0].to_numpy(), rebuilt, rtol=1e-9, atol=1e-6 * capital)
    assert res.summary.liquidations.iloc[0] == (res.events.kind == "liquidation").sum()
