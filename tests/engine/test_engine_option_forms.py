"""Issue 23, options as traders write them: a strike in USD or as a target delta, and a close or roll of one
leg by its index. Expected numbers come from the rules (the strike grid, Black-76 written out here with
math.erfc, Deribit's spread and fee rules), never from the kernel's own output; the IV surface
(``model_vol_nb``) and the listing calendar are inputs of the rule, not what is tested."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hook_errors import HookError
from hedgelab.engine.nb.option_calendar import choose_expiry_nb, strike_step_nb
from hedgelab.engine.nb.option_forms import resolve_contract_nb
from hedgelab.engine.nb.option_leg import option_contract_nb
from hedgelab.engine.options import OptionConfig
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, STATE_LEGS, Intent, State, StateLeg
from hedgelab.strategies.hooks import (BUY, CALL, PUT, SELL, STRIKE_DELTA, STRIKE_FRACTION, STRIKE_USD,
                                       close_leg_nb, order_option_nb, roll_leg_nb)
from hedgelab.strategies.testing import synthetic_market
from testkit.black76 import b76_delta, closest_delta_strike, quote, surface_sigma

DAY_S = 86400.0
ARR = OptionConfig().to_array()
SPOT = 100_000.0


# ---- a hook that writes one option slot from its parameters ------------------------------------------------

# params: bar, action, type, strike, tenor, qty, unit, leg (NaN: the field is left NaN)
@njit(HOOK_SIG, cache=True)
def one_slot_nb(i, state, params, features, intent):
    if i != int(params[0]):
        return
    for f in range(5):
        intent[Intent.OPT1_ACTION + f] = params[1 + f]
    intent[Intent.OPT1_STRIKE_UNIT] = params[6]
    intent[Intent.OPT1_LEG] = params[7]


def run_slot(row, close=None, iv=0.5):
    market = synthetic_market(np.full(6, SPOT) if close is None else close, iv=iv, funding_every=0)
    n = len(market.close)
    spec = StrategySpec(one_slot_nb, np.array([row], dtype=float), np.zeros((n, 1)), np.ones(n, bool),
                        ("bar", "action", "type", "strike", "tenor", "qty", "unit", "leg"), ("slot",))
    return market, simulate(market, spec, capital=SPOT, costs=Costs.zero())


NAN = math.nan


def bought(res):
    fills = res.events.query("kind == 'option_fill'")
    assert len(fills) == 1
    return float(fills.strike.iloc[0]), seconds(fills.expiry.iloc[0])


def seconds(stamp):
    return stamp.timestamp()


# ---- USD strikes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("usd, listed", [
    (90_000.0, 90_000.0),   # on the grid
    (90_240.0, 90_000.0),   # nearest grid point (7-day tenor: 500 USD steps)
    (90_250.0, 90_500.0),   # half-way rounds up, as a fraction strike does
    (250.0, 500.0),         # half a step: the lowest listed strike is near enough
])
def test_a_usd_strike_buys_the_listed_contract_nearest_it(usd, listed):
    market, res = run_slot([1, BUY, PUT, usd, 7.0, 0.1, STRIKE_USD, NAN])
    close_s = market.time_ns[1] / 1e9 + market.bar_seconds
    strike, expiry_s = bought(res)
    assert strike == listed
    assert expiry_s == choose_expiry_nb(close_s, 7.0, 3, 4, 3, 3)
    assert strike_step_nb(expiry_s, close_s) == 500.0


def test_a_usd_strike_is_the_same_contract_as_the_equivalent_fraction():
    # Forward = index (basis 0): 0.9 of 100,000 is the 90,000 put, asked in USD or as a fraction.
    _, usd = run_slot([1, BUY, PUT, 90_000.0, 30.0, 0.1, STRIKE_USD, NAN])
    _, frac = run_slot([1, BUY, PUT, 0.9, 30.0, 0.1, NAN, NAN])
    _, zero = run_slot([1, BUY, PUT, 0.9, 30.0, 0.1, STRIKE_FRACTION, NAN])   # unit 0 is the fraction too
    assert bought(usd) == bought(frac) == bought(zero) and bought(usd)[0] == 90_000.0
    cols = ["kind", "qty", "price", "amount", "strike", "expiry"]
    assert usd.events[cols].equals(frac.events[cols])


@settings(max_examples=60, deadline=None)
@given(spot=st.floats(1_000.0, 500_000.0), n=st.integers(1, 400), off=st.sampled_from([-0.25, 0.0, 0.25]),
       tenor=st.floats(1.0, 200.0), basis=st.floats(-0.2, 0.2))
def test_hypothesis_usd_and_fraction_strikes_pick_one_contract(spot, n, off, tenor, basis):
    arr = OptionConfig(basis=basis).to_array()
    t_s = 1_760_000_000.0
    expiry_s = choose_expiry_nb(t_s, tenor, 3, 4, 3, 3)
    fwd = spot * math.exp(basis * (expiry_s - t_s) / DAY_S / 365.0)
    step = strike_step_nb(expiry_s, t_s)
    usd = (n + off) * step
    if not (0.0 < usd / fwd < 5.0):
        return
    got = resolve_contract_nb(arr, False, spot, t_s, usd, STRIKE_USD, tenor, 0.5, 0.0)
    assert got == (expiry_s, n * step)   # within a quarter step of n * step: that listed strike
    assert got == option_contract_nb(arr, spot, t_s, usd / fwd, tenor)


# ---- target deltas ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, target", [(PUT, -0.25), (CALL, 0.25), (PUT, -0.1), (CALL, 0.5)])
def test_a_target_delta_buys_the_listed_strike_whose_delta_is_nearest(kind, target):
    iv = 0.6
    market, res = run_slot([1, BUY, kind, target, 30.0, 0.1, STRIKE_DELTA, NAN], iv=iv)
    close_s = market.time_ns[1] / 1e9 + market.bar_seconds
    strike, expiry_s = bought(res)
    tenor_days = (expiry_s - close_s) / DAY_S
    want, _ = closest_delta_strike(kind > 0, target, SPOT, strike_step_nb(expiry_s, close_s), tenor_days, iv, 0.0)
    assert strike == want
    assert (strike < SPOT) == (kind < 0)   # a put below the forward, a call above (even at 0.5: K = F e^(sd^2/2))


def test_a_25_delta_put_at_60_vol_is_about_10_percent_out_of_the_money():
    # A rule of thumb traders use: a one-month 25-delta put sits about 0.67 sd below the forward
    # (N^-1(0.25) = -0.674, and sd = 0.6 * sqrt(30/365) ~ 0.17): K ~ F exp(-0.674 * 0.17 + sd^2 / 2) ~ 0.90 F.
    _, res = run_slot([1, BUY, PUT, -0.25, 30.0, 0.1, STRIKE_DELTA, NAN], iv=0.6)
    strike, _ = bought(res)
    assert 0.86 * SPOT <= strike <= 0.94 * SPOT


@settings(max_examples=40, deadline=None)
@given(spot=st.floats(2_000.0, 300_000.0), iv=st.floats(0.1, 2.0), stress=st.floats(0.0, 1.0),
       target=st.floats(0.03, 0.97), is_call=st.booleans(), tenor=st.floats(1.0, 120.0))
def test_hypothesis_a_delta_strike_has_the_nearest_delta_among_listed_strikes(spot, iv, stress, target, is_call,
                                                                               tenor):
    t_s = 1_760_000_000.0
    target = target if is_call else -target
    expiry_s, strike = resolve_contract_nb(ARR, is_call, spot, t_s, target, STRIKE_DELTA, tenor, iv, stress)
    assert expiry_s == choose_expiry_nb(t_s, tenor, 3, 4, 3, 3)
    step = strike_step_nb(expiry_s, t_s)
    tenor_days = (expiry_s - t_s) / DAY_S
    want, gap = closest_delta_strike(is_call, target, spot, step, tenor_days, iv, stress)
    if strike != want:   # only an exact tie in delta may pick the other one
        t_years = tenor_days / 365.0
        got_gap = abs(b76_delta(is_call, spot, strike, t_years, surface_sigma(iv, tenor_days, spot, strike, stress))
                      - target)
        assert got_gap == pytest.approx(gap, rel=1e-12, abs=1e-15)


def test_a_delta_without_iv_places_no_order_as_a_fraction_without_iv_fills_none():
    _, delta = run_slot([1, BUY, PUT, -0.25, 30.0, 0.1, STRIKE_DELTA, NAN], iv=np.nan)
    _, frac = run_slot([1, BUY, PUT, 0.9, 30.0, 0.1, NAN, NAN], iv=np.nan)
    assert len(delta.events) == len(frac.events) == 0


# ---- errors: the value and the unit expected ----------------------------------------------------------------

HEAD = "slot (column 0) at bar 1 (opened 2025-10-09 10:00 UTC, decided at its close): the hook "
USD_TAIL = ("into intent OPT1_STRIKE, which no listed contract is near: a strike in USD (strike unit 1) is > 0, at "
            "least half the expiry's strike step (250 or 500 USD on the default grid) and below 5x the forward")
DELTA_TAIL = ("into intent OPT1_STRIKE: a delta (strike unit 2) is in (0, 1) for a call and in (-1, 0) for a put "
              "(0.25 = a 25-delta call, -0.25 = a 25-delta put)")
LEG_TAIL = ("into intent OPT1_LEG, which no close or roll can take: a leg is an index 0..7 of the state's legs "
            "(State.LEGS + k * StateLeg.N) whose QTY is not 0 at this decision, named by one slot only, of the "
            "slot's type if it gives one")


@pytest.mark.parametrize("row, message", [
    ([1, BUY, PUT, -5.0, 30.0, 0.1, STRIKE_USD, NAN], "wrote a USD strike of -5 " + USD_TAIL),
    ([1, BUY, PUT, 0.0, 30.0, 0.1, STRIKE_USD, NAN], "wrote a USD strike of 0 " + USD_TAIL),
    ([1, BUY, PUT, 0.9, 7.0, 0.1, STRIKE_USD, NAN], "wrote a USD strike of 0.9 " + USD_TAIL),      # a fraction
    ([1, BUY, PUT, 249.0, 7.0, 0.1, STRIKE_USD, NAN], "wrote a USD strike of 249 " + USD_TAIL),    # < half a step
    ([1, BUY, CALL, 500_000.0, 7.0, 0.1, STRIKE_USD, NAN], "wrote a USD strike of 500000 " + USD_TAIL),  # 5x F
    ([1, BUY, PUT, 0.25, 30.0, 0.1, STRIKE_DELTA, NAN], "wrote a target delta of 0.25 " + DELTA_TAIL),   # sign
    ([1, BUY, CALL, -0.25, 30.0, 0.1, STRIKE_DELTA, NAN], "wrote a target delta of -0.25 " + DELTA_TAIL),
    ([1, SELL, PUT, -1.0, 30.0, 0.1, STRIKE_DELTA, NAN], "wrote a target delta of -1 " + DELTA_TAIL),
    ([1, BUY, CALL, 25.0, 30.0, 0.1, STRIKE_DELTA, NAN], "wrote a target delta of 25 " + DELTA_TAIL),   # percent
    ([1, 3.0, NAN, NAN, NAN, NAN, NAN, 0.0], "wrote leg 0 " + LEG_TAIL),     # no leg is open
    ([1, 3.0, NAN, NAN, NAN, NAN, NAN, 8.0], "wrote leg 8 " + LEG_TAIL),     # legs are 0..7
    ([1, 4.0, NAN, -0.25, 30.0, NAN, STRIKE_DELTA, 1.5], "wrote leg 1.5 " + LEG_TAIL),
    ([1, 3.0, NAN, NAN, NAN, NAN, NAN, NAN], "left intent OPT1_LEG NaN in an option slot it uses"),
])
def test_an_unusable_strike_or_leg_is_an_error_naming_the_value_and_unit(row, message):
    with pytest.raises(HookError) as info:
        run_slot(row)
    assert str(info.value).startswith(HEAD + message)


@pytest.mark.parametrize("row, field, value", [
    ([1, 3.0, PUT, NAN, NAN, 0.5, NAN, 0.0], "OPT1_QTY", "0.5"),        # a close of leg k closes all of it
    ([1, 3.0, PUT, 0.9, NAN, NAN, NAN, 0.0], "OPT1_STRIKE", "0.9"),
    ([1, BUY, PUT, 0.9, 30.0, 0.1, NAN, 0.0], "OPT1_LEG", "0"),          # a leg is named by close / roll only
    ([1, BUY, PUT, 0.9, 30.0, 0.1, 7.0, NAN], "OPT1_STRIKE_UNIT", "7"),  # units are 0, 1, 2
])
def test_a_slot_that_mixes_forms_is_invalid(row, field, value):
    with pytest.raises(HookError, match=rf"invalid value \({value}\) into intent {field} "):
        run_slot(row)


# ---- close and roll one leg ----------------------------------------------------------------------------------

@njit(cache=True)
def find_leg_nb(state, kind):
    for k in range(STATE_LEGS):
        b = State.LEGS + k * StateLeg.N
        if state[b + StateLeg.QTY] != 0.0 and state[b + StateLeg.KIND] == kind:
            return k
    return -1


# params: bar of the close / roll, what (0 close the put, 1 roll the put to a delta, 2 roll the call to USD),
# the roll's strike, tenor
@njit(HOOK_SIG, cache=True)
def collar_leg_nb(i, state, params, features, intent):
    """Bar 0: 1 BTC spot, a long 0.9 put and a short 1.1 call, 30 days. At bar params[0] one leg is closed
    or rolled by its index. Probe: whenever the call leg the hook saw at bar 0 changes, it sells perp."""
    if i == 0:
        intent[Intent.TARGET_SPOT] = 1.0
        order_option_nb(intent, 0, BUY, PUT, 0.9, 30.0, 1.0)
        order_option_nb(intent, 1, SELL, CALL, 1.1, 30.0, 1.0)
        return
    if i == 1:
        c = find_leg_nb(state, CALL)
        state[State.MEM0] = c
        state[State.MEM1] = state[State.LEGS + c * StateLeg.N + StateLeg.STRIKE]
        state[State.MEM2] = state[State.LEGS + c * StateLeg.N + StateLeg.EXPIRY_S]
    if i >= 1 and int(params[1]) != 2:
        b = State.LEGS + int(state[State.MEM0]) * StateLeg.N
        if state[b + StateLeg.QTY] != -1.0 or state[b + StateLeg.STRIKE] != state[State.MEM1] \
                or state[b + StateLeg.EXPIRY_S] != state[State.MEM2]:
            intent[Intent.TARGET_PERP] = -0.001
    if i == int(params[0]):
        what = int(params[1])
        if what == 0:
            close_leg_nb(intent, 0, find_leg_nb(state, PUT))
        elif what == 1:
            roll_leg_nb(intent, 0, find_leg_nb(state, PUT), params[2], params[3], STRIKE_DELTA)
        else:
            roll_leg_nb(intent, 0, find_leg_nb(state, CALL), params[2], params[3], STRIKE_USD)


def run_collar(what, strike=NAN, tenor=NAN, at=5, n=12):
    market = synthetic_market(np.full(n, SPOT), iv=0.5, funding_every=0)
    spec = StrategySpec(collar_leg_nb, np.array([[at, what, strike, tenor]], dtype=float), np.zeros((n, 1)),
                        np.ones(n, bool), ("at", "what", "strike", "tenor"), ("collar",))
    return market, simulate(market, spec, capital=200_000.0, costs=Costs.zero())


def test_closing_leg_k_sells_that_leg_at_the_bid_and_leaves_the_other_untouched():
    market, res = run_collar(0)
    ev = res.events
    close_s = market.time_ns / 1e9 + market.bar_seconds
    opened = ev[(ev.kind == "option_fill") & (ev.bar == 0)]
    put = opened[opened.option_type == "put"]
    strike, expiry_s = float(put.strike.iloc[0]), seconds(put.expiry.iloc[0])
    assert strike == 90_000.0
    at5 = ev[ev.bar == 5]
    assert list(at5.kind) == ["option_fill", "fee"]          # the put's sale and its fee, nothing on the call
    fill, fee = at5.iloc[0], at5.iloc[1]
    price, fee_usd = quote(False, -1.0, SPOT, strike, close_s[5], expiry_s, 0.5)
    assert (fill.option_type, fill.strike, seconds(fill.expiry), fill.qty) == ("put", strike, expiry_s, -1.0)
    assert fill.price == pytest.approx(price, rel=1e-12)
    assert fill.amount == pytest.approx(+1.0 * price, rel=1e-12)   # cash received for the long put sold
    assert fee.amount == pytest.approx(-fee_usd, rel=1e-12)
    assert res.cash.iloc[5, 0] - res.cash.iloc[4, 0] == pytest.approx(price - fee_usd, rel=1e-12)
    assert (ev.instrument == "perp").sum() == 0                    # the call leg never changed (the probe)
    assert (ev.kind == "option_fill").sum() == 3


def test_rolling_leg_k_closes_it_and_opens_its_side_at_the_new_request():
    market, res = run_collar(1, strike=-0.2, tenor=60.0)
    ev = res.events
    close_s = market.time_ns / 1e9 + market.bar_seconds
    fills = ev[(ev.kind == "option_fill") & (ev.bar == 5)]
    assert list(fills.option_type) == ["put", "put"] and list(fills.qty) == [-1.0, 1.0]  # old sold, new bought
    old, new = fills.iloc[0], fills.iloc[1]
    new_s = seconds(new.expiry)
    assert old.strike == 90_000.0 and new_s > seconds(old.expiry)
    assert new_s == choose_expiry_nb(close_s[5], 60.0, 3, 4, 3, 3)
    tenor_days = (new_s - close_s[5]) / DAY_S
    want, _ = closest_delta_strike(False, -0.2, SPOT, strike_step_nb(new_s, close_s[5]), tenor_days, 0.5, 0.0)
    assert new.strike == want
    price, _ = quote(False, 1.0, SPOT, want, close_s[5], new_s, 0.5)
    assert new.price == pytest.approx(price, rel=1e-12)
    assert (ev.instrument == "perp").sum() == 0   # the call leg untouched


def test_rolling_a_short_leg_sells_the_new_one():
    _, res = run_collar(2, strike=115_000.0, tenor=30.0)
    fills = res.events[(res.events.kind == "option_fill") & (res.events.bar == 5)]
    assert list(fills.option_type) == ["call", "call"] and list(fills.qty) == [1.0, -1.0]  # bought back, sold
    assert list(fills.strike) == [110_000.0, 115_000.0]


def test_a_leg_named_twice_or_of_another_type_is_an_error():
    market = synthetic_market(np.full(6, SPOT), iv=0.5, funding_every=0)

    @njit(HOOK_SIG)
    def twice_nb(i, state, params, features, intent):
        if i == 0:
            intent[Intent.TARGET_SPOT] = 1.0
            order_option_nb(intent, 0, BUY, PUT, 0.9, 30.0, 1.0)
        if i == 2:
            close_leg_nb(intent, 0, 0)
            if params[0] == 0.0:
                close_leg_nb(intent, 1, 0)
            else:
                intent[Intent.OPT1_TYPE] = CALL   # leg 0 is a put

    for p in (0.0, 1.0):
        spec = StrategySpec(twice_nb, np.array([[p]]), np.zeros((6, 1)), np.ones(6, bool), ("p",), ("twice",))
        with pytest.raises(HookError, match=r"the hook wrote leg 0 into intent OPT[12]_LEG, which no close or roll"):
            simulate(market, spec, capital=SPOT)
