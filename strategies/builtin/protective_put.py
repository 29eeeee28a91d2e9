"""protective-put: spot BTC plus rolling puts.

Buys spot with ``(1 - reserve)`` of the capital (the reserve pays the premiums) and a put on
``hedge_ratio`` x the spot quantity, strike ``moneyness`` x forward, tenor ``tenor_days`` (the venue's
nearest listed expiry). The strike can be given instead as a target delta (``put_delta``, e.g. -0.25:
the listed strike whose delta is nearest) or in USD (``strike_usd``, e.g. 90000): one form per run. When the put has fewer than ``roll_days`` to expiry it is closed and a new one
bought in the same decision; a put that expires (settled at a bar's open) is replaced at that bar's
close, and so is one the venue could not fill (no IV yet).

Parameters (defaults): hedge_ratio 1.0, moneyness 0.9, tenor_days 30, roll_days 7, reserve 0.1,
put_delta 0 and strike_usd 0 (0: not used, the strike is ``moneyness``).
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.builtin.strike_forms import one_strike_form, strike_label
from hedgelab.strategies.hooks import (BUY, CLOSE_ALL, PUT, STRIKE_DELTA, STRIKE_FRACTION, STRIKE_USD, order_option_nb,
                                       spot_once_nb)

RATIO, MONEYNESS, TENOR, ROLL, RESERVE, DELTA, USD = range(7)


@njit(HOOK_SIG, cache=True, nogil=True)
def protective_put_nb(i, state, params, features, intent):
    spot = spot_once_nb(state, params[RESERVE], intent)
    qty = params[RATIO] * spot
    if qty <= 0.0:
        return
    slot = 0
    if state[State.OPEN_LEGS] > 0.0:
        if state[State.NEXT_EXPIRY_S] - state[State.TIME_S] >= params[ROLL] * 86400.0:
            return
        order_option_nb(intent, 0, CLOSE_ALL, PUT, math.nan, math.nan, math.nan)
        slot = 1
    strike, unit = params[MONEYNESS], STRIKE_FRACTION
    if params[DELTA] != 0.0:
        strike, unit = params[DELTA], STRIKE_DELTA
    elif params[USD] != 0.0:
        strike, unit = params[USD], STRIKE_USD
    order_option_nb(intent, slot, BUY, PUT, strike, params[TENOR], qty, unit)


class ProtectivePut(Strategy):
    """Spot long plus rolling out-of-the-money puts."""

    name = "protective-put"
    uses_options = True
    label_params = ("moneyness",)
    constraints = (("roll_days", "<", "tenor_days"),)
    hedge_ratio = Param(1.0, low=0.0, high=2.0, grid=(0.5, 1.0), doc="put qty / spot qty")
    moneyness = Param(0.9, low=0.5, high=1.5, grid=(0.8, 0.85, 0.9, 0.95, 1.0), doc="strike / forward")
    tenor_days = Param(30.0, low=1.0, high=365.0, grid=(14.0, 30.0, 60.0), doc="wanted tenor")
    roll_days = Param(7.0, low=0.0, high=364.0, doc="roll when fewer days than this remain")
    reserve = Param(0.1, low=0.0, high=0.9, doc="share of capital kept in cash for premiums")
    put_delta = Param(0.0, low=-0.99, high=0.0, doc="target put delta instead of moneyness, e.g. -0.25 (0: not used)")
    strike_usd = Param(0.0, low=0.0, high=1e9, doc="put strike in USD instead of moneyness (0: not used)")
    decide_nb = staticmethod(protective_put_nb)

    @classmethod
    def validate(cls, overrides=None):
        one_strike_form(cls, overrides, ("moneyness", "put_delta", "strike_usd"))
        return super().validate(overrides)

    @classmethod
    def label(cls, values, shown=(), first=()):
        return (strike_label(cls, values, shown, first, ("moneyness",), ("put_delta", "strike_usd"))
                or super().label(values, shown, first))
