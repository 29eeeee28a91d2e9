"""protective-put and collar take their strikes as traders write them (issue 23): a target delta or a USD
strike instead of a fraction of the forward, one form per leg; the default runs are the goldens'."""
import numpy as np
import pytest

from hedgelab.core.errors import UserError
from hedgelab.engine import simulate
from hedgelab.engine.nb.option_calendar import strike_step_nb
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import synthetic_market
from testkit.black76 import closest_delta_strike

CAPITAL = 100_000.0
SPOT = 100_000.0


def run(name, n=24 * 10, **params):
    market = synthetic_market(np.full(n, SPOT), funding_every=0, iv=0.5)
    return market, simulate(market, get_strategy(name)().spec(market, [params]), capital=CAPITAL)


def first_fills(res):
    fills = res.events[res.events.kind == "option_fill"]
    return fills[fills.bar == fills.bar.min()]


def test_a_usd_strike_put_is_the_put_of_the_equivalent_moneyness():
    # Forward = 100,000 (flat index, basis 0): strike_usd 90,000 and moneyness 0.9 buy the same put.
    _, usd = run("protective-put", strike_usd=90_000.0)
    _, frac = run("protective-put", moneyness=0.9)
    assert list(first_fills(usd).strike) == [90_000.0]
    assert usd.events.equals(frac.events) and usd.equity.values.tobytes() == frac.equity.values.tobytes()


def test_a_delta_put_buys_the_listed_strike_of_nearest_delta():
    market, res = run("protective-put", put_delta=-0.25)
    put = first_fills(res).iloc[0]
    close_s = market.time_ns[put.bar] / 1e9 + market.bar_seconds
    expiry_s = put.expiry.timestamp()
    want, _ = closest_delta_strike(False, -0.25, SPOT, strike_step_nb(expiry_s, close_s),
                                   (expiry_s - close_s) / 86400.0, 0.5, 0.0)
    assert put.option_type == "put" and put.strike == want < SPOT


def test_a_25_delta_collar_buys_and_sells_the_strikes_of_nearest_delta():
    market, res = run("collar", put_delta=-0.25, call_delta=0.25)
    fills = first_fills(res)
    assert list(fills.option_type) == ["put", "call"] and list(np.sign(fills.qty)) == [1.0, -1.0]
    for (_, f), is_call, target in zip(fills.iterrows(), (False, True), (-0.25, 0.25)):
        close_s = market.time_ns[f.bar] / 1e9 + market.bar_seconds
        expiry_s = f.expiry.timestamp()
        want, _ = closest_delta_strike(is_call, target, SPOT, strike_step_nb(expiry_s, close_s),
                                       (expiry_s - close_s) / 86400.0, 0.5, 0.0)
        assert f.strike == want


@pytest.mark.parametrize("name, params, message", [
    ("protective-put", {"moneyness": 0.8, "put_delta": -0.25},
     "parameters 'moneyness' and 'put_delta' of protective-put give the same strike two ways; give one of "
     "moneyness, put_delta, strike_usd (moneyness: a fraction of the forward; the others: a target delta or USD)"),
    ("protective-put", {"put_delta": -0.25, "strike_usd": 90_000},
     "parameters 'put_delta' and 'strike_usd' of protective-put give the same strike two ways; give one of "
     "moneyness, put_delta, strike_usd (moneyness: a fraction of the forward; the others: a target delta or USD)"),
    ("collar", {"call_moneyness": 1.2, "call_delta": 0.25},
     "parameters 'call_moneyness' and 'call_delta' of collar give the same strike two ways; give one of "
     "call_moneyness, call_delta (call_moneyness: a fraction of the forward; the others: a target delta or USD)"),
])
def test_two_strike_forms_for_one_leg_are_refused(name, params, message):
    with pytest.raises(UserError) as info:
        get_strategy(name).validate(params)
    assert str(info.value) == message


def test_a_delta_of_the_wrong_sign_is_refused_by_the_parameter_bounds():
    with pytest.raises(UserError, match=r"parameter 'put_delta' of protective-put must be <= 0.0, got 0.25"):
        get_strategy("protective-put").validate({"put_delta": 0.25})


def test_labels_show_the_strike_form_in_use():
    pp, collar = get_strategy("protective-put"), get_strategy("collar")
    assert pp.labels([{"put_delta": -0.25}]) == ("protective-put(put_delta=-0.25)",)
    assert pp.labels([{"strike_usd": 90_000}]) == ("protective-put(strike_usd=90000)",)
    assert pp.labels([{}]) == ("protective-put(moneyness=0.9)",)   # the default form, as before
    assert collar.labels([{"put_delta": -0.25, "call_delta": 0.25}]) == ("collar(put_delta=-0.25,call_delta=0.25)",)
    assert collar.labels([{"put_delta": -0.25}]) == ("collar(call_moneyness=1.1,put_delta=-0.25)",)


def test_a_sweep_over_another_parameter_shows_it_first_beside_the_strike_form_in_use():
    # the labels rule (varying parameters first, never cut) holds for the built-ins' own strike labels
    from hedgelab.strategies import get_strategy
    labels = get_strategy("collar").labels([{"put_delta": -0.25, "tenor_days": 14.0},
                                            {"put_delta": -0.25, "tenor_days": 30.0}])
    assert [lb.split(",")[0] for lb in labels] == ["collar(tenor_days=14", "collar(tenor_days=30"]
    assert all("put_delta=-0.25" in lb and "put_moneyness" not in lb for lb in labels)
