"""protective-put: spot BTC plus rolling puts.

Buys spot with ``(1 - reserve)`` of the capital (the reserve pays the premiums) and a put on
``hedge_ratio`` x the spot quantity, strike ``moneyness`` x forward, tenor ``tenor_days`` (the venue's
nearest listed expiry). When the put has fewer than ``roll_days`` to expiry it is closed and a new one
bought in the same decision; a put that expires (settled at a bar's open) is replaced at that bar's
close, and so is one the venue could not fill (no IV yet).

Parameters (defaults): hedge_ratio 1.0, moneyness 0.9, tenor_days 30, roll_days 7, reserve 0.1.
"""
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.hooks import spot_once_nb

RATIO, MONEYNESS, TENOR, ROLL, RESERVE = range(5)
BUY, SELL, CLOSE_ALL, CALL, PUT = 1.0, -1.0, 2.0, 1.0, -1.0


@njit(HOOK_SIG, cache=True, nogil=True)
def protective_put_nb(i, state, params, features, intent):
    spot = spot_once_nb(state, params[RESERVE], intent)
    qty = params[RATIO] * spot
    if qty <= 0.0:
        return
    slot = Intent.OPT1_ACTION
    if state[State.OPEN_LEGS] > 0.0:
        if state[State.NEXT_EXPIRY_S] - state[State.TIME_S] >= params[ROLL] * 86400.0:
            return
        intent[slot], intent[slot + 1] = CLOSE_ALL, PUT
        slot = Intent.OPT2_ACTION
    intent[slot], intent[slot + 1], intent[slot + 2] = BUY, PUT, params[MONEYNESS]
    intent[slot + 3], intent[slot + 4] = params[TENOR], qty


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
    decide_nb = staticmethod(protective_put_nb)
