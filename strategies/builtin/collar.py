"""collar: spot BTC plus a long put financed by a short call.

Buys spot with ``(1 - reserve)`` of the capital, then on ``hedge_ratio`` x the spot quantity buys a
put at ``put_moneyness`` x forward and sells a call at ``call_moneyness`` x forward, both with tenor
``tenor_days``. With fewer than ``roll_days`` to expiry it rolls in one decision, using the four
option slots in order: close the put, close the call (freeing their premium and margin), buy the
new put, sell the new call, so no bar is left without a put. A pair that expires (settled at a
bar's open) is reopened at that bar's close.

The strikes can be given instead as target deltas (``put_delta`` -0.25, ``call_delta`` 0.25: a
25-delta collar; the listed strikes whose deltas are nearest), one form per leg.

Parameters (defaults): hedge_ratio 1.0, put_moneyness 0.9, call_moneyness 1.1, tenor_days 30,
roll_days 7, reserve 0.05, put_delta 0 and call_delta 0 (0: not used, the strike is the moneyness).
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.builtin.strike_forms import one_strike_form, strike_label
from hedgelab.strategies.hooks import (BUY, CALL, CLOSE_ALL, PUT, SELL, STRIKE_DELTA, STRIKE_FRACTION, order_option_nb,
                                       spot_once_nb)

RATIO, PUT_K, CALL_K, TENOR, ROLL, RESERVE, PUT_DELTA, CALL_DELTA = range(8)


@njit(cache=True, nogil=True)
def _strike_nb(fraction, delta):
    """(strike, unit) of one leg: the target delta when one is set, else the fraction of the forward."""
    if delta != 0.0:
        return delta, STRIKE_DELTA
    return fraction, STRIKE_FRACTION


@njit(HOOK_SIG, cache=True, nogil=True)
def collar_nb(i, state, params, features, intent):
    spot = spot_once_nb(state, params[RESERVE], intent)
    qty = params[RATIO] * spot
    if qty <= 0.0:
        return
    slot = 0
    if state[State.OPEN_LEGS] > 0.0:
        if state[State.NEXT_EXPIRY_S] - state[State.TIME_S] >= params[ROLL] * 86400.0:
            return
        order_option_nb(intent, 0, CLOSE_ALL, PUT, math.nan, math.nan, math.nan)
        order_option_nb(intent, 1, CLOSE_ALL, CALL, math.nan, math.nan, math.nan)
        slot = 2  # the new pair goes in the slots after the closes, which run first
    strike, unit = _strike_nb(params[PUT_K], params[PUT_DELTA])
    order_option_nb(intent, slot, BUY, PUT, strike, params[TENOR], qty, unit)
    strike, unit = _strike_nb(params[CALL_K], params[CALL_DELTA])
    order_option_nb(intent, slot + 1, SELL, CALL, strike, params[TENOR], qty, unit)


class Collar(Strategy):
    """Spot long plus a long put financed by a short call (default 0.9 / 1.1)."""

    name = "collar"
    uses_options = True
    label_params = ("put_moneyness", "call_moneyness")
    constraints = (("put_moneyness", "<", "call_moneyness"), ("roll_days", "<", "tenor_days"))
    hedge_ratio = Param(1.0, low=0.0, high=2.0, doc="option qty / spot qty")
    put_moneyness = Param(0.9, low=0.5, high=1.5, grid=(0.8, 0.85, 0.9, 0.95), doc="put strike / forward")
    call_moneyness = Param(1.1, low=0.5, high=2.0, grid=(1.05, 1.1, 1.2), doc="call strike / forward")
    tenor_days = Param(30.0, low=1.0, high=365.0, doc="wanted tenor of both legs")
    roll_days = Param(7.0, low=0.0, high=364.0, doc="close both legs when fewer days remain")
    reserve = Param(0.05, low=0.0, high=0.9, doc="share of capital kept in cash")
    put_delta = Param(0.0, low=-0.99, high=0.0, doc="target put delta instead of put_moneyness (0: not used)")
    call_delta = Param(0.0, low=0.0, high=0.99, doc="target call delta instead of call_moneyness (0: not used)")
    decide_nb = staticmethod(collar_nb)

    @classmethod
    def validate(cls, overrides=None):
        one_strike_form(cls, overrides, ("put_moneyness", "put_delta"))
        one_strike_form(cls, overrides, ("call_moneyness", "call_delta"))
        return super().validate(overrides)

    @classmethod
    def label(cls, values, shown=(), first=()):
        fraction = tuple(k for k, d in (("put_moneyness", "put_delta"), ("call_moneyness", "call_delta"))
                         if values[d] != 0.0)
        return (strike_label(cls, values, shown, first, fraction, ("put_delta", "call_delta"))
                or super().label(values, shown, first))
