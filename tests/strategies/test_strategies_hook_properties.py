"""Invariants of the hooks over random account states (hypothesis, modest example counts)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgelab.engine.types import State
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import call_hook, make_state, synthetic_market

MARKET = synthetic_market([1.0])
price = st.floats(1_000.0, 200_000.0)
money = st.floats(0.0, 1e6)


def params_of(name, **overrides):
    return get_strategy(name)().spec(MARKET, [overrides]).params[0]


@settings(max_examples=60, deadline=None)
@given(ratio=st.floats(0.0, 2.0), spot=st.floats(0.01, 50.0), perp=st.floats(-100.0, 0.0), mark=price,
       cash=money, margin=money, mr=st.floats(0.0, 1.0), hour=st.integers(0, 23))
def test_perp_hedge_only_targets_the_hedge_and_tops_up_within_cash(ratio, spot, perp, mark, cash, margin, mr, hour):
    state = make_state(equity=1e5, close=mark, mark=mark, spot_qty=spot, perp_qty=perp, perp_entry=mark * 0.9,
                       perp_margin=margin, cash=cash, margin_ratio=mr, time_s=1_760_000_400 + 3600 * hour)
    got = call_hook(get_strategy("perp-hedge").decide_nb, state, params_of("perp-hedge", hedge_ratio=ratio))
    assert set(got) <= {"TARGET_PERP", "LEVERAGE", "MARGIN_TOPUP"}
    if "TARGET_PERP" in got:
        assert got["TARGET_PERP"] == -ratio * spot and got["LEVERAGE"] == 3.0
    if "MARGIN_TOPUP" in got:
        assert 0.0 < got["MARGIN_TOPUP"] <= cash


@settings(max_examples=60, deadline=None)
@given(risk=st.floats(0.001, 0.2), lev=st.floats(1.0, 125.0), min_liq=st.floats(0.0, 0.5),
       stop=st.floats(0.0, 0.5), equity=st.floats(1_000.0, 1e7), mark=price)
def test_risk_sized_entry_respects_its_loss_budget(risk, lev, min_liq, stop, equity, mark):
    p = params_of("risk-sized", risk_fraction=risk, leverage=lev, min_liq_distance=min_liq, stop_distance=stop)
    got = call_hook(get_strategy("risk-sized").decide_nb, make_state(equity=equity, close=mark, mark=mark), p)
    notional = got["TARGET_PERP"] * mark
    # the margin (what an isolated liquidation can take) is within the budget ...
    assert notional / got["LEVERAGE"] <= risk * equity * (1 + 1e-9)
    # ... the leverage keeps the liquidation at least min_liq away (1/lev - MMR >= min_liq) ...
    assert 1.0 / got["LEVERAGE"] - 0.005 >= min_liq - 1e-9
    # ... and so is the loss at the stop
    if stop > 0:
        assert notional * stop <= risk * equity * (1 + 1e-9)
        assert got["STOP_PRICE"] == mark * (1 - stop)


@settings(max_examples=60, deadline=None)
@given(perp=st.floats(0.0, 100.0), mr=st.floats(0.0, 1.0), peak=st.floats(1.0, 3.0), vol=st.floats(0.0, 2.0),
       regime=st.sampled_from([np.nan, 0.0, 1.0]), calm_hours_ago=st.floats(0.0, 200.0))
def test_delever_only_ever_targets_its_two_leverages(perp, mr, peak, vol, regime, calm_hours_ago):
    equity, mark, now = 1e5, 50_000.0, 1_760_000_400.0
    state = make_state(equity=equity, mark=mark, perp_qty=perp, margin_ratio=mr, mem2=equity * peak,
                       perp_margin=perp * mark / 10, cash=1e4, perp_entry=mark, time_s=now, mem0=regime,
                       mem1=now - calm_hours_ago * 3600)
    got = call_hook(get_strategy("delever").decide_nb, state, params_of("delever"), np.array([[vol]]))
    stressed = mr > 0.3 or 1 - 1 / peak > 0.1 or vol > 0.8
    if "LEVERAGE" in got:
        assert got["LEVERAGE"] in (2.0, 5.0)
        assert np.isclose(got["TARGET_PERP"], equity * 0.3 * got["LEVERAGE"] / mark)
        if stressed or regime != 1.0:  # from low (or no regime yet) it takes 72 h of calm to re-lever
            assert got["LEVERAGE"] == 2.0 or (not stressed and calm_hours_ago >= 72)
    # the remembered regime is what the hook now targets
    assert state[State.MEM0] == (1.0 if got.get("LEVERAGE", 5.0 if regime == 1.0 else 2.0) == 5.0 else 0.0)