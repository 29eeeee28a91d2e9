"""Four option order slots per decision, run in slot order: a collar rolls in one decision (close the
put, close the call, buy the new put, sell the new call) and no bar is left without a put."""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.nb.option_leg import option_contract_nb, option_mark_nb
from hedgelab.engine.nb.option_rules import option_fee_nb, option_quote_nb
from hedgelab.engine.options import OptionConfig, stress_series
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import make_market
from hedgelab.engine.types import HOOK_SIG, OPTION_SLOT_FIELDS, OPTION_SLOTS, Intent, State

DAY_S = 86400.0
QTY = 1.0
PUT0, CALL0, TENOR0 = 0.9, 1.1, 7.0
PUT1, CALL1, TENOR1 = 0.95, 1.05, 14.0


@njit(cache=True)
def _slot_nb(intent, slot, action, kind, frac, tenor, qty):
    b = Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS
    intent[b] = action
    intent[b + 1] = kind
    intent[b + 2] = frac
    intent[b + 3] = tenor
    intent[b + 4] = qty


@njit(HOOK_SIG, cache=True)
def collar_roll_nb(i, state, params, features, intent):
    """Bar 0: 1 BTC spot and a collar (long put 0.9, short call 1.1, 7 days). Bar params[0]: roll it in
    one decision with four slots (close put, close call, buy put 0.95 and sell call 1.05, 14 days).
    Probe: if after bar 0 the hook ever sees other than two open legs, it sells perp (a visible fill)."""
    if i == 0:
        intent[Intent.TARGET_SPOT] = 1.0
        _slot_nb(intent, 0, 1.0, -1.0, PUT0, TENOR0, QTY)
        _slot_nb(intent, 1, -1.0, 1.0, CALL0, TENOR0, QTY)
        return
    if state[State.OPEN_LEGS] != 2.0:
        intent[Intent.TARGET_PERP] = -0.001
    if i == int(params[0]):
        _slot_nb(intent, 0, 2.0, -1.0, np.nan, np.nan, np.nan)
        _slot_nb(intent, 1, 2.0, 1.0, np.nan, np.nan, np.nan)
        _slot_nb(intent, 2, 1.0, -1.0, PUT1, TENOR1, QTY)
        _slot_nb(intent, 3, -1.0, 1.0, CALL1, TENOR1, QTY)


def market(n=24 * 4):
    # Hourly bars from Mon 2025-10-06 00:00: 100,000 for a day, then up to 106,000 by bar 48, flat after.
    close = np.interp(np.arange(n), [0, 23, 48, n - 1], [100_000.0, 100_000.0, 106_000.0, 106_000.0])
    open_ = np.r_[close[0], close[:-1]]
    return make_market(open_, np.maximum(open_, close), np.minimum(open_, close), close, start="2025-10-06",
                       bar_seconds=3600, iv=np.full(n, 0.5))


def test_layout_has_four_contiguous_option_slots():
    assert OPTION_SLOTS == 4 and Intent.OPT4_QTY == Intent.OPT1_ACTION + OPTION_SLOTS * OPTION_SLOT_FIELDS - 1
    assert Intent.OPT3_ACTION == Intent.OPT1_ACTION + 2 * OPTION_SLOT_FIELDS
    # the strike unit and leg of each slot were appended after them (issue 23), two per slot, in slot order
    assert Intent.OPT1_STRIKE_UNIT == Intent.OPT4_QTY + 1 and Intent.OPT4_LEG == Intent.N - 1
    assert Intent.OPT3_STRIKE_UNIT == Intent.OPT1_STRIKE_UNIT + 4 and Intent.OPT3_LEG == Intent.OPT3_STRIKE_UNIT + 1


def test_collar_rolls_in_one_decision_with_four_orders():
    roll = 60
    m = market()
    n = len(m.close)
    capital = 200_000.0
    spec = StrategySpec(collar_roll_nb, np.array([[float(roll)]]), np.zeros((n, 1)), np.ones(n, bool),
                        ("roll",), ("collar",))
    res = simulate(m, spec, capital=capital, costs=Costs.zero())
    ev = res.events
    cfg = OptionConfig()
    arr = cfg.to_array()
    close_s = m.time_ns / 1e9 + 3600
    stress = stress_series(m.index_close, 3600.0, cfg)

    def fill(i, is_call, strike, expiry_s, qty):
        """Independent fill: the model mid, quoted with the configured spread; fee on |qty|."""
        s = m.index_close[i]
        mid, _, _, _, _, sigma, fwd = option_mark_nb(arr, is_call, s, strike, close_s[i], expiry_s, 0.5, stress[i])
        bid, ask = option_quote_nb(mid, fwd, sigma, (expiry_s - close_s[i]) / DAY_S, cfg.spread_base,
                                   cfg.spread_vol, cfg.spread_short, cfg.spread_min_btc)
        price = ask if qty > 0 else bid
        return price, option_fee_nb(price, s, abs(qty), cfg.fee_rate, cfg.fee_cap), mid

    exp0, kp0 = option_contract_nb(arr, m.index_close[0], close_s[0], PUT0, TENOR0)
    exp0c, kc0 = option_contract_nb(arr, m.index_close[0], close_s[0], CALL0, TENOR0)
    exp1, kp1 = option_contract_nb(arr, m.index_close[roll], close_s[roll], PUT1, TENOR1)
    exp1c, kc1 = option_contract_nb(arr, m.index_close[roll], close_s[roll], CALL1, TENOR1)
    assert exp0 == exp0c and exp1 == exp1c and exp1 > exp0 > close_s[-1]  # no expiry inside the run
    assert (kp0, kc0) != (kp1, kc1)

    # The four fills of the roll bar, in slot order, at the independent prices and fees.
    orders = [(False, kp0, exp0, -QTY), (True, kc0, exp0, +QTY), (False, kp1, exp1, +QTY), (True, kc1, exp1, -QTY)]
    fills = ev[(ev.kind == "option_fill") & (ev.bar == roll)]
    fees = ev[(ev.kind == "fee") & (ev.instrument == "option") & (ev.bar == roll)]
    assert len(fills) == 4 and len(fees) == 4
    flow = 0.0
    for k, (is_call, strike, expiry_s, qty) in enumerate(orders):
        price, fee, _ = fill(roll, is_call, strike, expiry_s, qty)
        assert fills.qty.iloc[k] == qty
        assert fills.price.iloc[k] == pytest.approx(price, rel=1e-12)
        assert fills.amount.iloc[k] == pytest.approx(-qty * price, rel=1e-12)
        assert fees.amount.iloc[k] == pytest.approx(-fee, rel=1e-12)
        flow += -qty * price - fee
    # Cash before the roll: capital - spot - opening collar (premiums and fees); after: + the roll's flow.
    cash0 = capital - m.index_close[0] * 1.0
    for is_call, strike, qty in ((False, kp0, QTY), (True, kc0, -QTY)):
        price, fee, _ = fill(0, is_call, strike, exp0, qty)
        cash0 += -qty * price - fee
    assert res.cash.iloc[roll - 1, 0] == pytest.approx(cash0, rel=1e-12)
    assert res.cash.iloc[roll, 0] == pytest.approx(cash0 + flow, rel=1e-12)

    # Exactly one put and one call are open at every close, the new ones from the roll bar on: the
    # book's value is the old collar's model value before the roll, the new collar's from it on.
    for i in range(n):
        (kp, kc, e) = (kp0, kc0, exp0) if i < roll else (kp1, kc1, exp1)
        _, _, put_mid = fill(i, False, kp, e, 1.0)
        _, _, call_mid = fill(i, True, kc, e, 1.0)
        assert res.option_value.iloc[i, 0] == pytest.approx(put_mid - call_mid, rel=1e-9, abs=1e-6)
    # The hook saw two open legs on every later bar (no probe fill), and nothing was liquidated.
    assert (ev.instrument == "perp").sum() == 0
    assert (ev.kind == "liquidation").sum() == 0
    assert (ev.kind == "option_fill").sum() == 6
