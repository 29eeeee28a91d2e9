"""Auto-deleveraging (engine/nb/adl.py): each venue's rank score against hand-worked numbers, the
``worst`` and ``share`` rules on hand-built bars, and what ADL leaves alone.

Every expected number below is worked out by hand from the published formulas
(../shared/specs/adl-and-margin.md §1) and the share rule written in engine/nb/adl.py's docstring.
"""
import math

import numpy as np
import pytest
from numba import njit

from hedgelab.engine.costs import Costs
from hedgelab.engine.nb.adl import adl_fraction_nb, adl_light_nb, adl_score_of_nb, queue_position_nb
from hedgelab.engine.nb.records import AdlMode, AdlRule
from hedgelab.engine.simulate import simulate
from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.engine.venues import ADL_REF_LEVERAGE, ADL_REF_PNL, load_venue
from hedgelab.core.errors import UserError
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.testing import synthetic_market

NO_COSTS = Costs(perp_fee=0.0, spot_fee=0.0, half_spread=0.0, impact=0.0)


# ---- scores ----------------------------------------------------------------------------------------------
def test_binance_score_is_pnl_on_wallet_times_margin_ratio():
    # short 2 BTC from 100,000, isolated wallet 40,000, price now 90,000: upnl = 20,000;
    # MM 0.4 % of the 180,000 notional = 720. PnlPct = 20,000 / 40,000 = 0.5; MarginRatio = 720 / 60,000
    assert adl_score_of_nb(AdlRule.BINANCE, -2.0, 100_000.0, 90_000.0, 40_000.0, 720.0) == pytest.approx(0.5 * 0.012)
    # at a loss the PnL part is 0 (max(0, upnl)); a wallet below 1 USD counts as 1
    assert adl_score_of_nb(AdlRule.BINANCE, -2.0, 100_000.0, 110_000.0, 40_000.0, 880.0) == 0.0
    assert adl_score_of_nb(AdlRule.BINANCE, 1.0, 10.0, 11.0, 0.5, 0.044) == pytest.approx(1.0 / 1.0 * 0.044 / 1.5)


def test_bybit_score_is_pnl_pct_times_effective_leverage_and_divided_at_a_loss():
    # long 1 at 100, wallet 20 (bankruptcy 80), mark 110: PnL% = 10 / 100 = 0.1, eff. lev = 110 / (110 - 80)
    assert adl_score_of_nb(AdlRule.BYBIT, 1.0, 100.0, 110.0, 20.0, 0.0) == pytest.approx(0.1 * 110.0 / 30.0)
    # the same position at 90: PnL% = -0.1, eff. lev = 90 / 10 = 9: -0.1 / 9
    assert adl_score_of_nb(AdlRule.BYBIT, 1.0, 100.0, 90.0, 20.0, 0.0) == pytest.approx(-0.1 / 9.0)
    # a short 3 at 50 with wallet 30 (bankruptcy 60), mark 40: PnL% = 30 / 150 = 0.2, eff. lev 40 / 20 = 2
    assert adl_score_of_nb(AdlRule.BYBIT, -3.0, 50.0, 40.0, 30.0, 0.0) == pytest.approx(0.4)


def test_hyperliquid_score_is_price_move_times_notional_over_account_value():
    # long 2 at 100, wallet 50, mark 120: (120 / 100) x 240 / (50 + 40)
    assert adl_score_of_nb(AdlRule.HYPERLIQUID, 2.0, 100.0, 120.0, 50.0, 0.0) == pytest.approx(1.2 * 240.0 / 90.0)
    # short 1 at 100, wallet 100/3, mark 70: (100 / 70) x 70 / (33.33 + 30)
    assert adl_score_of_nb(AdlRule.HYPERLIQUID, -1.0, 100.0, 70.0, 100.0 / 3.0, 0.0) == pytest.approx(100.0 / (100.0 / 3.0 + 30.0))


def test_deribit_has_no_queue_and_flat_has_no_score():
    assert math.isnan(adl_score_of_nb(AdlRule.NONE, -1.0, 100.0, 70.0, 30.0, 1.0))
    assert math.isnan(adl_score_of_nb(AdlRule.HYPERLIQUID, 0.0, 100.0, 70.0, 30.0, 1.0))
    deribit = load_venue("deribit", at="2025-10-10")
    assert deribit.adl_rule == AdlRule.NONE and math.isnan(deribit.adl_reference_score)
    assert "socialized" in deribit.adl_note


def test_reference_scores_are_the_reference_position_by_each_formula():
    p, lev = ADL_REF_PNL, ADL_REF_LEVERAGE
    # a short of 1 at entry 1, price 1 - p; account value = notional / leverage; wallet = account - upnl
    price = 1.0 - p
    account = price / lev
    wallet = account - p
    hl = load_venue("hyperliquid", at="2025-10-10")
    assert hl.adl_reference_score == pytest.approx((1.0 / price) * price / account)   # = lev / (1 - p)
    bn = load_venue("binance", at="2025-10-10")
    mmr = float(bn.tiers[0, 2])
    assert bn.adl_reference_score == pytest.approx(p / wallet * (mmr * price / account))
    by = load_venue("bybit", at="2025-10-10")
    bankrupt = 1.0 + wallet       # a short of 1: wallet + (1 - P) = 0
    assert by.adl_reference_score == pytest.approx(p * price / (bankrupt - price))


# ---- the share rule -------------------------------------------------------------------------------------
def test_queue_position_and_fraction():
    assert queue_position_nb(1.0, 1.0) == 0.5
    assert queue_position_nb(-0.3, 1.0) == 0.0 and queue_position_nb(math.nan, 1.0) == 0.0
    assert queue_position_nb(math.inf, 1.0) == 1.0
    # a position at the reference score loses exactly the event's share of the side
    assert adl_fraction_nb(AdlMode.SHARE, 0.29, 0.29, 0.14) == pytest.approx(0.14)
    # three times the reference: pct 0.75, twice 0.75 x 0.14
    assert adl_fraction_nb(AdlMode.SHARE, 0.87, 0.29, 0.14) == pytest.approx(2 * 0.75 * 0.14)
    assert adl_fraction_nb(AdlMode.SHARE, 1e9, 1.0, 0.9) == 1.0        # capped at the whole position
    assert adl_fraction_nb(AdlMode.WORST, 1e-9, 1.0, 1e-6) == 1.0
    # the Binance light: 0-4 by fifths of the queue
    assert [adl_light_nb(s, 1.0) for s in (0.0, 0.2, 0.5, 1.0, 3.0, 100.0)] == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]


def test_share_rule_closes_the_events_share_of_an_even_queue():
    # positions spread evenly over pct in [0, 1): the mean fraction closed is the event's share (2 p s
    # integrates to s), with the top of the queue closed first
    ref, share = 0.3, 0.2
    pct = (np.arange(100_000) + 0.5) / 100_000
    scores = ref * pct / (1.0 - pct)      # pct = score / (score + ref)
    closed = np.array([adl_fraction_nb(AdlMode.SHARE, s, ref, share) for s in scores])
    assert closed.mean() == pytest.approx(share, rel=1e-6)
    assert np.all(np.diff(closed) >= 0.0)


# ---- the kernel on hand-built bars ----------------------------------------------------------------------
@njit(HOOK_SIG, cache=True)
def _short_once_nb(i, state, params, features, intent):
    """Short 1 BTC at 3x at the first bar's close; then write the state's ADL fields into memory."""
    if i == 0:
        intent[Intent.TARGET_PERP] = -params[0]
        intent[Intent.LEVERAGE] = 3.0
    state[State.MEM0] = state[State.ADL_BARS_AGO]
    state[State.MEM1] = state[State.ADL_QTY]
    state[State.MEM2] = i


class _ShortOnce(Strategy):
    name = "short-once"
    qty = Param(1.0, low=-10.0, high=10.0)
    decide_nb = staticmethod(_short_once_nb)

    def rebalance(self, market, param_sets):
        mask = np.zeros(len(market.close), dtype=bool)
        mask[0] = True                 # decides once: a later call can only come from the ADL
        return mask


def _crash_market(side=-1.0, share=0.1, price=np.nan):
    """Six flat hourly bars at 100; bar 3 opens at 100, its mark low is 70, it closes at 80, and carries
    an ADL event of ``side``; funding only at bar 0 (before any position)."""
    m = synthetic_market([100.0] * 3 + [80.0] * 3)
    low, opn = m.low.copy(), m.open.copy()
    low[3], opn[3] = 70.0, 100.0
    n = len(m.close)
    ev = [np.full(n, np.nan) for _ in range(3)]
    ev[0][3], ev[1][3], ev[2][3] = side, share, price
    return m._replace(low=low, mark_low=low.copy(), open=opn, mark_open=opn.copy(), adl_side=ev[0],
                      adl_share=ev[1], adl_price=ev[2])


def _run(market, adl, venue="hyperliquid", qty=1.0, **kw):
    spec = _ShortOnce().spec(market, [{"qty": qty}])
    return simulate(market, spec, venue=venue, costs=NO_COSTS, capital=100_000.0, adl=adl, at="2025-10-10",
                    trace=True, **kw)


def _adl_rows(res):
    return res.events[res.events["kind"] == "adl"].reset_index(drop=True)


def test_worst_closes_the_profitable_short_in_full_at_the_bars_mark_low():
    res = _run(_crash_market(), "worst")
    ev = _adl_rows(res)
    assert len(ev) == 1
    row = ev.iloc[0]
    # short 1 at 100 (3x: margin 33.33); closed at the mark low 70: realized +30, bought back +1
    assert (row["qty"], row["price"], row["amount"]) == (1.0, 70.0, pytest.approx(30.0))
    assert row["time"] == res.equity.index[3]                        # during the bar: its open stamp
    assert row["adl_score"] == pytest.approx(100.0 / (100.0 / 3.0 + 30.0))   # Hyperliquid, hand-worked above
    assert res.summary["final_equity"].iloc[0] == pytest.approx(100_030.0)
    assert res.perp_qty.iloc[3:, 0].eq(0.0).all()


def test_share_closes_the_fraction_of_the_written_rule():
    res = _run(_crash_market(share=0.1), "share")
    ev = _adl_rows(res)
    score = 100.0 / (100.0 / 3.0 + 30.0)
    ref = ADL_REF_LEVERAGE / (1.0 - ADL_REF_PNL)          # Hyperliquid's reference score
    part = 2.0 * score / (score + ref) * 0.1
    assert ev["qty"].iloc[0] == pytest.approx(part, rel=1e-12)
    assert ev["amount"].iloc[0] == pytest.approx(30.0 * part)
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(-(1.0 - part))
    # the isolated margin released pro rata: equity = capital + the rest's PnL at 80 + the realized part
    assert res.summary["final_equity"].iloc[0] == pytest.approx(100_000.0 + 30.0 * part + 20.0 * (1.0 - part))


def test_an_event_price_given_by_the_data_is_used():
    ev = _adl_rows(_run(_crash_market(price=75.0), "worst"))
    assert (ev["price"].iloc[0], ev["amount"].iloc[0]) == (75.0, pytest.approx(25.0))


def test_what_adl_leaves_alone():
    # off; an event for the longs; a short at a loss at the ADL price; a venue without a queue
    assert _adl_rows(_run(_crash_market(), "off")).empty
    assert _adl_rows(_run(_crash_market(side=1.0), "worst")).empty
    assert _adl_rows(_run(_crash_market(price=120.0), "worst")).empty
    assert _adl_rows(_run(_crash_market(), "worst", qty=-1.0)).empty        # a long is not on the closed side
    assert _adl_rows(_run(_crash_market(), "worst", venue="deribit")).empty


def test_off_is_bitwise_the_run_without_events():
    plain = synthetic_market([100.0] * 3 + [80.0] * 3)
    plain = plain._replace(low=_crash_market().low, mark_low=_crash_market().mark_low, open=_crash_market().open,
                           mark_open=_crash_market().mark_open)
    a, b = _run(_crash_market(), "off"), _run(plain, "worst")
    assert a.equity.equals(b.equity) and a.events.equals(b.events)


def test_the_hook_is_called_at_the_adl_bars_close_and_sees_it():
    res = _run(_crash_market(), "worst")
    trace = res.trace
    calls = trace["bar"].drop_duplicates().tolist()
    assert calls == [0, 3]                     # its mask says bar 0 only: bar 3 is the ADL's call
    at3 = trace[trace["bar"] == 3].iloc[0]
    assert at3["state.adl_bars_ago"] == 0.0 and at3["state.adl_qty"] == 1.0


def test_bybit_charges_its_maker_fee_on_the_adl_close():
    res = _run(_crash_market(), "worst", venue="bybit")
    fee = res.events[(res.events["kind"] == "fee") & (res.events["time"] == res.equity.index[3])]
    assert fee["amount"].iloc[0] == pytest.approx(-70.0 * load_venue("bybit", at="2025-10-10").adl_fee)


def test_bad_adl_arrays_are_refused_naming_the_bar():
    with pytest.raises(UserError, match="ADL event at bar 3"):
        _run(_crash_market(share=1.5), "worst")
    with pytest.raises(UserError, match="adl must be one of"):
        _run(_crash_market(), "sometimes")
