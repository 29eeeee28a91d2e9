"""collar: spot BTC plus a long put financed by a short call.

Buys spot with ``(1 - reserve)`` of the capital, then on ``hedge_ratio`` x the spot quantity buys a
put at ``put_moneyness`` x forward and sells a call at ``call_moneyness`` x forward, both with tenor
``tenor_days``. With fewer than ``roll_days`` to expiry it rolls in one decision, using the four
option slots in order: close the put, close the call (freeing their premium and margin), buy the
new put, sell the new call, so no bar is left without a put. A pair that expires (settled at a
bar's open) is reopened at that bar's close.

Parameters (defaults): hedge_ratio 1.0, put_moneyness 0.9, call_moneyness 1.1, tenor_days 30,
roll_days 7, reserve 0.05.
"""
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.hooks import spot_once_nb

RATIO, PUT_K, CALL_K, TENOR, ROLL, RESERVE = range(6)
BUY, SELL, CLOSE_ALL, CALL, PUT = 1.0, -1.0, 2.0, 1.0, -1.0
O1, O2, O3 = Intent.OPT1_ACTION, Intent.OPT2_ACTION, Intent.OPT3_ACTION
FIELDS = Intent.OPT2_ACTION - Intent.OPT1_ACTION


@njit(HOOK_SIG, cache=True, nogil=True)
def collar_nb(i, state, params, features, intent):
    spot = spot_once_nb(state, params[RESERVE], intent)
    qty = params[RATIO] * spot
    if qty <= 0.0:
        return
    slot = O1
    if state[State.OPEN_LEGS] > 0.0:
        if state[State.NEXT_EXPIRY_S] - state[State.TIME_S] >= params[ROLL] * 86400.0:
            return
        intent[O1], intent[O1 + 1] = CLOSE_ALL, PUT
        intent[O2], intent[O2 + 1] = CLOSE_ALL, CALL
        slot = O3  # the new pair goes in the slots after the closes, which run first
    intent[slot], intent[slot + 1], intent[slot + 2] = BUY, PUT, params[PUT_K]
    intent[slot + 3], intent[slot + 4] = params[TENOR], qty
    slot += FIELDS
    intent[slot], intent[slot + 1], intent[slot + 2] = SELL, CALL, params[CALL_K]
    intent[slot + 3], intent[slot + 4] = params[TENOR], qty


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
    decide_nb = staticmethod(collar_nb)
