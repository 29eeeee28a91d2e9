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


def test_delever_cuts_under_stress_and_relevers_when_calm(hook, st):
    eq, mark = 100_000.0, 50_000.0
    high_qty, low_qty = eq * 0.9 * 20 / mark, eq * 0.9 * 5 / mark  # 36 and 9 BTC
    calm = np.array([[0.3]])
    assert hook("delever", st(equity=eq, mark=mark, peak_equity=eq), features=calm) == \
        {"TARGET_PERP": high_qty, "LEVERAGE": 20.0}
    high = dict(equity=eq, mark=mark, peak_equity=eq, perp_qty=high_qty)
    assert hook("delever", st(**high, margin_ratio=0.2), features=calm) == {}
    cut = {"TARGET_PERP": low_qty, "LEVERAGE": 5.0}
    assert hook("delever", st(**high, margin_ratio=0.6), features=calm) == cut        # margin ratio
    assert hook("delever", st(**high, margin_ratio=0.2), features=np.array([[0.9]])) == cut  # volatility
    assert hook("delever", st(**{**high, "peak_equity": eq / 0.8}), features=calm) == cut  # 20 % drawdown
    low = dict(equity=eq, mark=mark, peak_equity=eq, perp_qty=low_qty, margin_ratio=0.1)
    assert hook("delever", st(**low), features=np.array([[0.6]])) == {}  # between calm 0.5 and max 0.8
    assert hook("delever", st(**low), features=calm) == {"TARGET_PERP": high_qty, "LEVERAGE": 20.0}
    assert hook("delever", st(**low, liquidations=1), features=calm) == {}
    # still 10 % below the peak: not calm (needs < 15 % / 2), stays at 5x
    assert hook("delever", st(**{**low, "peak_equity": eq / 0.9}), features=calm) == {}
    # 5x on 90k of intended margin wants margin + upnl = 9 x 50k / 5 = 90k; with 60k in the margin, an
    # upnl of -9 x 1k and 50k of cash, the refill is 90k - 51k = 39k
    short = dict(low, perp_margin=60_000, perp_entry=51_000, cash=50_000, margin_ratio=0.05)
    assert hook("delever", st(**short), features=np.array([[0.6]])) == {"MARGIN_TOPUP": 39_000.0}


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


def test_collar_opens_both_legs_and_closes_them_to_roll(hook, st):
    first = hook("collar", st(equity=100_000, close=50_000, time_s=MIDNIGHT))
    assert first == {"TARGET_SPOT": 1.9, "OPT1_ACTION": 1.0, "OPT1_TYPE": -1.0, "OPT1_STRIKE": 0.9,
                     "OPT1_TENOR_DAYS": 30.0, "OPT1_QTY": 1.9, "OPT2_ACTION": -1.0, "OPT2_TYPE": 1.0,
                     "OPT2_STRIKE": 1.1, "OPT2_TENOR_DAYS": 30.0, "OPT2_QTY": 1.9}
    held = dict(equity=100_000, close=50_000, spot_qty=1.9, time_s=MIDNIGHT, open_legs=2)
    assert hook("collar", st(**held, next_expiry_s=MIDNIGHT + 20 * DAY)) == {}
    assert hook("collar", st(**held, next_expiry_s=MIDNIGHT + 2 * DAY)) == \
        {"OPT1_ACTION": 2.0, "OPT1_TYPE": -1.0, "OPT2_ACTION": 2.0, "OPT2_TYPE": 1.0}


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


def test_delever_losing_low_position_does_not_relever_without_calm(hook, st):
    # A 5x long of 9 BTC entered at 50k (margin posted 9 x 50k / 5 = 90k) after a fall to 43.5k:
    # equity 100k - 9 x 6.5k = 41.5k, leverage on the intended margin 9 x 43.5k / (0.9 x 41.5k) = 10.48,
    # above sqrt(20 x 5) = 10. With the drawdown rule off (max_drawdown 1) and vol 0.6 it is neither
    # stressed nor calm (calm needs vol < 0.5 and drawdown 58.5 % < 50 %): the rule keeps it in the low
    # regime, resized to 5x on its equity: 41.5k x 0.9 x 5 / 43.5k BTC. (It used to re-lever to 20x.)
    eq, mark = 100_000.0 - 9 * 6_500, 43_500.0
    losing = st(equity=eq, mark=mark, close=mark, peak_equity=100_000.0, perp_qty=9.0, perp_entry=50_000.0,
                perp_margin=90_000.0, margin_ratio=0.05, cash=10_000.0)
    got = hook("delever", losing, {"max_drawdown": 1.0}, features=np.array([[0.6]]))
    assert got == {"TARGET_PERP": pytest.approx(eq * 0.9 * 5 / mark), "LEVERAGE": 5.0}
    # the same position in the 20x regime (margin posted 9 x 50k / 20 = 22.5k) is resized at 20x
    high = st(equity=eq, mark=mark, close=mark, peak_equity=100_000.0, perp_qty=9.0, perp_entry=50_000.0,
              perp_margin=22_500.0, margin_ratio=0.05, cash=10_000.0)
    got = hook("delever", high, {"max_drawdown": 1.0}, features=np.array([[0.6]]))
    assert got == {"TARGET_PERP": pytest.approx(eq * 0.9 * 20 / mark), "LEVERAGE": 20.0}
