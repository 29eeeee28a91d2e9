"""leveraged-long: a perp long at a chosen leverage and no spot (what the crash punished).

At the first bar it posts ``margin_fraction`` of the equity as isolated margin and opens a long of
notional = margin x ``leverage``; it never rebalances. After a liquidation it stays flat unless
``reenter`` is true (then it reopens the same way with what is left on the next bar).

Parameters (defaults): leverage 10 (isolated, the class's margin_mode), margin_fraction 1.0 (the
engine trims the order so that cash also pays the opening fee), reenter false.
"""
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy

LEV, MARGIN_FRACTION, REENTER = range(3)


@njit(HOOK_SIG, cache=True, nogil=True)
def leveraged_long_nb(i, state, params, features, intent):
    if state[State.PERP_QTY] != 0.0 or state[State.EQUITY] <= 0.0:
        return
    if state[State.LIQUIDATIONS] > 0.0 and params[REENTER] == 0.0:
        return
    margin = state[State.EQUITY] * params[MARGIN_FRACTION]
    intent[Intent.TARGET_PERP] = margin * params[LEV] / state[State.MARK]
    intent[Intent.LEVERAGE] = params[LEV]


class LeveragedLong(Strategy):
    """A perp long at fixed leverage (default 10x isolated), no hedge."""

    name = "leveraged-long"
    margin_mode = "isolated"
    label_params = ("leverage",)
    leverage = Param(10.0, low=1.0, high=125.0, grid=(2.0, 3.0, 5.0, 10.0, 20.0), doc="notional / margin")
    margin_fraction = Param(1.0, low=0.01, high=1.0, doc="share of equity posted as margin")
    reenter = Param(False, type=bool, doc="reopen after a liquidation with what is left")
    decide_nb = staticmethod(leveraged_long_nb)
