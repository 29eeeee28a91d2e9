"""Issue 23: an option order no listed contract can fill (a USD strike where a fraction of the forward is
expected, a strike of 0 or less, a tenor of 0 days) stops its run with one line naming the value and the
unit expected, instead of a silent ``order_trimmed reason=listed_contract``."""
import numpy as np
import pytest
from numba import njit

from hedgelab.engine import simulate
from hedgelab.engine.hook_errors import HookError
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.strategies import Param, Strategy
from hedgelab.strategies.testing import synthetic_market


@njit(HOOK_SIG, cache=True)
def put_nb(i, state, params, features, intent):
    if i == 1:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = params[0]
        intent[Intent.OPT1_TENOR_DAYS] = params[1]
        intent[Intent.OPT1_QTY] = 0.1


class Put(Strategy):
    name = "put-strike"
    uses_options = True
    strike = Param(0.9)
    tenor = Param(30.0)
    decide_nb = staticmethod(put_nb)


def _run(strike, tenor=30.0):
    market = synthetic_market(np.full(6, 100_000.0))
    return simulate(market, Put().spec(market, [{"strike": strike, "tenor": tenor}]), capital=100_000.0)


def test_a_fraction_of_the_forward_fills():
    fills = _run(0.9).events.query("kind == 'option_fill'")
    assert len(fills) == 1 and fills["qty"].iloc[0] == pytest.approx(0.1)


@pytest.mark.parametrize("strike, tail", [
    (90_000.0, "listed between 0 and 5; 90000 looks like USD: give it in USD (strike unit 1, "
               "strategies.hooks.STRIKE_USD) or divide it by the forward"),
    (50.0, "listed between 0 and 5"),
    (-0.9, "listed between 0 and 5"),
])
def test_a_strike_no_contract_can_fill_is_an_error_naming_value_and_unit(strike, tail):
    with pytest.raises(HookError) as info:
        _run(strike)
    assert str(info.value) == (f"put-strike(strike={strike:g}) (column 0) at bar 1 (opened 2025-10-09 10:00 UTC, decided at its close): "
                               f"the hook wrote a strike of {strike:g} into intent OPT1_STRIKE, which no listed "
                               f"contract can fill: a strike is a fraction of the forward (0.9 = 10 % below it), "
                               f"{tail}")


def test_a_tenor_of_zero_days_is_invalid():
    with pytest.raises(HookError, match=r"invalid value \(0\) into intent OPT1_TENOR_DAYS"):
        _run(0.9, tenor=0.0)
