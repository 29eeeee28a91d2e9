"""Decision hooks called directly with hand-built state vectors; expected intents follow each rule."""
import numpy as np
import pytest

from hedgelab.engine.types import Intent
from hedgelab.strategies import get_strategy

DAY = 86400.0
NOT_SCHEDULED = 1_760_000_400.0 + 3600.0  # 10:00 UTC: not a multiple of 24 h
MIDNIGHT = 20_000 * DAY                    # a UTC midnight


def run(name, state, overrides=None, features=None, i=0, market=None, helpers=None):
    cls = get_strategy(name)
    params = cls().spec(market, [overrides or {}]).params[0]
    return helpers.call_hook(cls.decide_nb, state, params, features, i)


def changed(intent):
    return {field: intent[getattr(Intent, field)] for field in Intent._fields[:-1]
            if not np.isnan(intent[getattr(Intent, field)])}


@pytest.fixture
def hook(market, helpers):
    return lambda name, state, overrides=None, features=None, i=0: changed(
        run(name, state, overrides, features, i, market, helpers))


@pytest.fixture
def st(helpers):
    return helpers.make_state


def test_hold_buys_all_equity_as_spot(market, helpers, st):
    spec = get_strategy("hold")().spec(market)
    intent = helpers.call_hook(spec.hook, st(equity=100_000, close=50_000, mark=50_000), spec.params[0],
                               spec.features, 0)
    assert changed(intent) == {"TARGET_SPOT": 2.0, "TARGET_PERP": 0.0}  # 100k / 50k


def test_perp_hedge_opens_spot_and_short(hook, st):
    got = hook("perp-hedge", st(equity=100_000, close=50_000, mark=50_000, time_s=NOT_SCHEDULED))
    # 95k budget = spot value S + margin 0.5 S / 3  ->  S = 95k / (7/6) = 81,428.57 USD = 1.6285714 BTC
    assert got["TARGET_SPOT"] == pytest.approx(1.6285714286)
    assert got["TARGET_PERP"] == pytest.approx(-0.8142857143)
    assert got["LEVERAGE"] == 3.0


def test_perp_hedge_rebalances_on_drift_and_schedule_only(hook, st):
    base = dict(equity=100_000, close=50_000, mark=50_000, spot_qty=2.0, perp_entry=50_000,
                perp_margin=16_666.7, margin_ratio=0.012)
    assert hook("perp-hedge", st(**base, perp_qty=-1.0, time_s=NOT_SCHEDULED)) == {}
    assert hook("perp-hedge", st(**base, perp_qty=-0.95, time_s=NOT_SCHEDULED)) == {}  # 5 % < 10 % drift
    # spot 2 BTC, ratio 0.5: the hedge target is -1 BTC
    assert hook("perp-hedge", st(**base, perp_qty=-0.8, time_s=NOT_SCHEDULED)) == \
        {"TARGET_PERP": -1.0, "LEVERAGE": 3.0}
    assert hook("perp-hedge", st(**base, perp_qty=0.0, time_s=NOT_SCHEDULED))["TARGET_PERP"] == -1.0
    assert hook("perp-hedge", st(**base, perp_qty=-0.95, time_s=MIDNIGHT)) == \
        {"TARGET_PERP": -1.0, "LEVERAGE": 3.0}
    assert hook("perp-hedge", st(**base, perp_qty=-0.95, time_s=MIDNIGHT), {"rebalance_hours": 0}) == {}


def test_perp_hedge_tops_up_margin_from_cash(hook, st):
    # short 1 BTC from 50k, mark 60k: upnl -10k; margin 50k/3 = 16,666.67 -> balance 6,666.67;
    # wanted 60k/3 = 20k -> need 13,333.33, limited by the free cash
    state = dict(equity=100_000, close=60_000, mark=60_000, spot_qty=2.0, perp_qty=-1.0, perp_entry=50_000,
                 perp_margin=50_000 / 3, margin_ratio=0.6, time_s=NOT_SCHEDULED)
    assert hook("perp-hedge", st(**state, cash=10_000)) == {"MARGIN_TOPUP": 10_000.0}
    assert hook("perp-hedge", st(**state, cash=20_000))["MARGIN_TOPUP"] == pytest.approx(13_333.3333)
    assert hook("perp-hedge", st(**state, cash=20_000), {"topup_at": 0.7}) == {}


def test_leveraged_long_opens_once_and_stays_out_after_liquidation(hook, st):
    # margin = all of the 100k at 10x = 1M notional = 20 BTC at 50k
    assert hook("leveraged-long", st(equity=100_000, mark=50_000)) == {"TARGET_PERP": 20.0, "LEVERAGE": 10.0}
    assert hook("leveraged-long", st(equity=100_000, mark=50_000, perp_qty=20.0)) == {}
    dead = st(equity=5_000, mark=45_000, liquidations=1)
    assert hook("leveraged-long", dead) == {}
    # with reenter: 5k x 10 / 45k
    assert hook("leveraged-long", dead, {"reenter": True})["TARGET_PERP"] == pytest.approx(50_000 / 45_000)


def test_funding_carry_opens_exits_and_reenters(hook, st):
    flat = st(equity=100_000, close=50_000, mark=50_000)
    # qty x 50k x (1 + 1/3) = 95k  ->  qty = 1.425 BTC on both legs
    assert hook("funding-carry", flat, features=np.array([[np.nan]])) == \
        {"TARGET_SPOT": pytest.approx(1.425), "TARGET_PERP": pytest.approx(-1.425), "LEVERAGE": 3.0}
    assert hook("funding-carry", flat, features=np.array([[-0.00005]])) == {}  # below entry 0.0
    held = st(equity=100_000, close=50_000, mark=50_000, spot_qty=1.4, perp_qty=-1.4, margin_ratio=0.1)
    assert hook("funding-carry", held, features=np.array([[0.0]])) == {}
    assert hook("funding-carry", held, features=np.array([[-0.0002]])) == {"TARGET_SPOT": 0.0, "TARGET_PERP": 0.0}
    drifted = st(equity=100_000, close=50_000, mark=50_000, spot_qty=1.4, perp_qty=-1.2)
    assert hook("funding-carry", drifted, features=np.array([[0.0]])) == {"TARGET_PERP": -1.4, "LEVERAGE": 3.0}


DELEVER_EQ, DELEVER_MARK = 100_000.0, 50_000.0
# defaults: margin 30 % of equity at 5x (high) or 2x (low): 3 BTC or 1.2 BTC at 50k
HIGH_QTY, LOW_QTY = DELEVER_EQ * 0.3 * 5 / DELEVER_MARK, DELEVER_EQ * 0.3 * 2 / DELEVER_MARK
T0 = 1_760_000_400.0


def delever_call(state, vol, market, helpers):
    cls = get_strategy("delever")
    params = cls().spec(market, [{}]).params[0]
    return changed(helpers.call_hook(cls.decide_nb, state, params, np.array([[vol]]), 0))


def test_delever_opens_low_and_relevers_only_after_72_hours_of_calm(market, helpers, st):
    from hedgelab.engine.types import State
    state = st(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, peak_equity=DELEVER_EQ, time_s=T0)
    # first decision: memory is NaN, so it opens in the low regime even though everything is calm
    assert delever_call(state, 0.3, market, helpers) == {"TARGET_PERP": LOW_QTY, "LEVERAGE": 2.0}
    assert state[State.MEM0] == 0.0 and state[State.MEM1] == T0 and state[State.MEM2] == DELEVER_EQ
    state[State.PERP_QTY] = LOW_QTY  # filled; the same vector (its memory) goes to the next bars
    state[State.TIME_S] = T0 + 71 * 3600
    assert delever_call(state, 0.3, market, helpers) == {}
    state[State.TIME_S] = T0 + 72 * 3600
    assert delever_call(state, 0.3, market, helpers) == {"TARGET_PERP": HIGH_QTY, "LEVERAGE": 5.0}
    assert state[State.MEM0] == 1.0


def test_delever_calm_must_be_uninterrupted(market, helpers, st):
    from hedgelab.engine.types import State
    state = st(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, peak_equity=DELEVER_EQ,
               perp_qty=LOW_QTY, time_s=T0, mem0=0.0)
    assert delever_call(state, 0.3, market, helpers) == {}
    state[State.TIME_S] = T0 + 48 * 3600
    assert delever_call(state, 0.6, market, helpers) == {}  # 0.6: not calm (>= 0.5), not stress (<= 0.8)
    assert np.isnan(state[State.MEM1])
    for hours, expected in ((49, {}), (72, {}), (49 + 71, {}),
                            (49 + 72, {"TARGET_PERP": HIGH_QTY, "LEVERAGE": 5.0})):
        state[State.TIME_S] = T0 + hours * 3600
        assert delever_call(state, 0.3, market, helpers) == expected, hours


@pytest.mark.parametrize("stress", ["margin ratio", "volatility", "drawdown"])
def test_delever_cuts_on_each_stress(stress, market, helpers, st):
    from hedgelab.engine.types import State
    high = dict(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, perp_qty=HIGH_QTY,
                margin_ratio=0.02, mem0=1.0, mem2=DELEVER_EQ, time_s=T0)
    vol = 0.6
    if stress == "margin ratio":
        high["margin_ratio"] = 0.31
    elif stress == "volatility":
        vol = 0.81
    else:
        high["mem2"] = DELEVER_EQ / 0.89  # 11 % below the peak since the last cut
    state = st(**high)
    assert delever_call(state, vol, market, helpers) == {"TARGET_PERP": LOW_QTY, "LEVERAGE": 2.0}
    assert state[State.MEM0] == 0.0
    assert state[State.MEM2] == DELEVER_EQ  # the drawdown restarts at the cut


def test_delever_drawdown_is_from_the_peak_since_the_last_cut(market, helpers, st):
    from hedgelab.engine.types import State
    # 50 % below the all-time peak, but only 9 % below the peak since the last cut: no stress
    state = st(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, perp_qty=HIGH_QTY, margin_ratio=0.02,
               peak_equity=2 * DELEVER_EQ, mem0=1.0, mem2=DELEVER_EQ / 0.91, time_s=T0)
    assert delever_call(state, 0.6, market, helpers) == {}
    assert state[State.MEM0] == 1.0 and state[State.MEM2] == DELEVER_EQ / 0.91
    # a new high raises the remembered peak
    state[State.EQUITY] = 120_000.0
    delever_call(state, 0.6, market, helpers)
    assert state[State.MEM2] == 120_000.0


def test_delever_regime_comes_from_memory_not_from_the_position(market, helpers, st):
    # the same 3 BTC position with vol 0.6 (neither calm nor stressed): kept if the regime is high,
    # resized to the low regime's 1.2 BTC if the remembered regime is low
    same = dict(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, perp_qty=HIGH_QTY, margin_ratio=0.02,
                mem2=DELEVER_EQ, time_s=T0)
    assert delever_call(st(**same, mem0=1.0), 0.6, market, helpers) == {}
    assert delever_call(st(**same, mem0=0.0), 0.6, market, helpers) == {"TARGET_PERP": LOW_QTY, "LEVERAGE": 2.0}


def test_delever_refills_margin_and_stays_out_after_liquidation(market, helpers, st):
    # low regime, 1.2 BTC entered at 51k, mark 50k: wants margin + upnl = 1.2 x 50k / 2 = 30k; margin 20k
    # and upnl -1.2k leave 18.8k, so 11.2k comes from the 50k of cash (more than 10 % of 30k short)
    state = dict(equity=DELEVER_EQ, mark=DELEVER_MARK, close=DELEVER_MARK, perp_qty=LOW_QTY, perp_entry=51_000.0,
                 perp_margin=20_000.0, cash=50_000.0, margin_ratio=0.05, mem0=0.0, mem2=DELEVER_EQ, time_s=T0)
    assert delever_call(st(**state), 0.6, market, helpers) == {"MARGIN_TOPUP": pytest.approx(11_200.0)}
    assert delever_call(st(**{**state, "perp_margin": 28_500.0}), 0.6, market, helpers) == {}  # 27.3k: 2.7k < 3k short
    assert delever_call(st(**state, liquidations=1), 0.3, market, helpers) == {}


def test_risk_sized_bounds_the_loss(hook, st):
    flat = st(equity=100_000, close=50_000, mark=50_000, time_s=NOT_SCHEDULED)
    # leverage capped at 1 / (0.10 + 0.005) = 9.5238; margin = 3 % x 100k = 3k -> notional 28,571.43;
    # the 5 % stop allows 3k / 0.05 = 60k, so the liquidation bound decides: 0.5714 BTC
    got = hook("risk-sized", flat)
    assert got == {"TARGET_PERP": pytest.approx(28_571.428571 / 50_000), "LEVERAGE": pytest.approx(1 / 0.105),
                   "STOP_PRICE": 47_500.0}
    # a 20 % stop: 3k / 0.2 = 15k notional = 0.3 BTC
    assert hook("risk-sized", flat, {"stop_distance": 0.2})["TARGET_PERP"] == pytest.approx(0.3)
    assert "STOP_PRICE" not in hook("risk-sized", flat, {"stop_distance": 0.0})
    assert hook("risk-sized", flat, i=5) == {}  # flat, not the first bar, not a re-entry time
    held = dict(equity=100_000, mark=50_000, perp_qty=0.5, time_s=NOT_SCHEDULED)
    assert hook("risk-sized", st(**held, liq_price=45_000)) == {}               # 10 % away
    assert hook("risk-sized", st(**held, liq_price=48_000)) == {"TARGET_PERP": 0.0}  # 4 % < 5 %


def test_protective_put_buys_and_rolls(hook, st):
    first = hook("protective-put", st(equity=100_000, close=50_000, time_s=MIDNIGHT))
    # 90 % of capital in spot: 1.8 BTC, one 0.9-moneyness 30-day put on 1.8 BTC
    assert first == {"TARGET_SPOT": 1.8, "OPT1_ACTION": 1.0, "OPT1_TYPE": -1.0, "OPT1_STRIKE": 0.9,
                     "OPT1_TENOR_DAYS": 30.0, "OPT1_QTY": 1.8}
    held = dict(equity=100_000, close=50_000, spot_qty=1.8, time_s=MIDNIGHT)
    assert hook("protective-put", st(**held, open_legs=1, next_expiry_s=MIDNIGHT + 10 * DAY)) == {}
    rolled = hook("protective-put", st(**held, open_legs=1, next_expiry_s=MIDNIGHT + 3 * DAY))
    assert rolled == {"OPT1_ACTION": 2.0, "OPT1_TYPE": -1.0, "OPT2_ACTION": 1.0, "OPT2_TYPE": -1.0,
                      "OPT2_STRIKE": 0.9, "OPT2_TENOR_DAYS": 30.0, "OPT2_QTY": 1.8}
    assert hook("protective-put", st(**held, open_legs=0))["OPT1_ACTION"] == 1.0  # after an expiry


def test_collar_opens_both_legs_and_rolls_them_in_one_decision(hook, st):
    first = hook("collar", st(equity=100_000, close=50_000, time_s=MIDNIGHT))
    assert first == {"TARGET_SPOT": 1.9, "OPT1_ACTION": 1.0, "OPT1_TYPE": -1.0, "OPT1_STRIKE": 0.9,
                     "OPT1_TENOR_DAYS": 30.0, "OPT1_QTY": 1.9, "OPT2_ACTION": -1.0, "OPT2_TYPE": 1.0,
                     "OPT2_STRIKE": 1.1, "OPT2_TENOR_DAYS": 30.0, "OPT2_QTY": 1.9}
    held = dict(equity=100_000, close=50_000, spot_qty=1.9, time_s=MIDNIGHT, open_legs=2)
    assert hook("collar", st(**held, next_expiry_s=MIDNIGHT + 20 * DAY)) == {}
    # closes in slots 1-2 (they run first), the new pair in slots 3-4
    assert hook("collar", st(**held, next_expiry_s=MIDNIGHT + 2 * DAY)) == \
        {"OPT1_ACTION": 2.0, "OPT1_TYPE": -1.0, "OPT2_ACTION": 2.0, "OPT2_TYPE": 1.0,
         "OPT3_ACTION": 1.0, "OPT3_TYPE": -1.0, "OPT3_STRIKE": 0.9, "OPT3_TENOR_DAYS": 30.0, "OPT3_QTY": 1.9,
         "OPT4_ACTION": -1.0, "OPT4_TYPE": 1.0, "OPT4_STRIKE": 1.1, "OPT4_TENOR_DAYS": 30.0, "OPT4_QTY": 1.9}


def test_targets_nb_reads_its_own_block(helpers, st):
    from hedgelab.strategies import targets_nb

    # two blocks: column A at offset 0 (all NaN = no change), column B at offset 3
    features = np.array([[np.nan, np.nan, np.nan, 0.5, -0.25, 4.0]])
    state = st(equity=80_000, close=40_000, index=40_100, mark=39_900)
    assert changed(helpers.call_hook(targets_nb, state, [0.0], features)) == {}
    got = changed(helpers.call_hook(targets_nb, state, [7.0, 3.0], features))  # offset is the last param
    # spot 0.5 x 80k at the index 40,100; perp -0.25 x 80k at the mark 39,900
    assert got == {"TARGET_SPOT": pytest.approx(40_000 / 40_100), "TARGET_PERP": pytest.approx(-20_000 / 39_900),
                   "LEVERAGE": 4.0}
    assert changed(helpers.call_hook(targets_nb, st(equity=0.0, close=1.0, mark=1.0), [3.0], features)) == {}


def test_testing_helpers_name_the_intent_fields():
    from hedgelab.strategies.testing import call_hook, make_state
    from hedgelab.strategies.builtin.perp_hedge import perp_hedge_nb

    params = get_strategy("perp-hedge")().spec(__import__("hedgelab.strategies.testing", fromlist=["x"])
                                               .synthetic_market([1.0])).params[0]
    state = make_state(equity=1.0, close=1.0, mark=1.0, spot_qty=2.0, perp_qty=-0.5, time_s=NOT_SCHEDULED)
    assert call_hook(perp_hedge_nb, state, params) == {"TARGET_PERP": -1.0, "LEVERAGE": 3.0}
