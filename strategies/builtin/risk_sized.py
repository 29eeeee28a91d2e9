"""risk-sized: a perp long sized so that a stop or the liquidation loses at most a set share of capital.

With isolated margin a liquidation loses at most the margin, so the margin is ``risk_fraction`` of
equity; leverage is ``leverage`` capped so the liquidation price stays at least ``min_liq_distance``
below the entry (leverage <= 1 / (min_liq_distance + 0.005 maintenance)). With a stop
``stop_distance`` below the entry the notional is also capped at risk_fraction x equity /
stop_distance. The rest of the capital stays in cash. It closes the long if the distance to the
liquidation price shrinks below half of min_liq_distance, and re-enters when flat on UTC multiples
of ``reentry_hours``. Losses can exceed the budget by fees and gaps through the stop; under cross
margin (``--margin-mode cross``) the liquidation bound does not hold, only the stop does.

Parameters (defaults): risk_fraction 0.03, leverage 10, min_liq_distance 0.1, stop_distance 0.05
(0 = no stop), reentry_hours 24.
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.hooks import scheduled_nb

RISK, LEV, MIN_LIQ, STOP, REENTRY = range(5)
MMR_ALLOWANCE = 0.005  # maintenance margin rate assumed when capping leverage (Binance tier 1-2)


@njit(HOOK_SIG, cache=True, nogil=True)
def risk_sized_nb(i, state, params, features, intent):
    perp, mark, equity = state[State.PERP_QTY], state[State.MARK], state[State.EQUITY]
    if perp != 0.0:
        liq = state[State.LIQ_PRICE]
        if not math.isnan(liq) and (mark - liq) / mark < 0.5 * params[MIN_LIQ]:
            intent[Intent.TARGET_PERP] = 0.0
        return
    if equity <= 0.0 or not (i == 0 or scheduled_nb(state, params[REENTRY])):
        return
    lev = min(params[LEV], 1.0 / (params[MIN_LIQ] + MMR_ALLOWANCE))
    notional = params[RISK] * equity * lev
    if params[STOP] > 0.0:
        notional = min(notional, params[RISK] * equity / params[STOP])
        intent[Intent.STOP_PRICE] = state[State.CLOSE] * (1.0 - params[STOP])
    intent[Intent.TARGET_PERP] = notional / mark
    intent[Intent.LEVERAGE] = lev


class RiskSized(Strategy):
    """Leveraged long sized so a stop or liquidation loses at most risk_fraction of capital."""

    name = "risk-sized"
    label_params = ("risk_fraction",)
    risk_fraction = Param(0.03, low=0.001, high=0.5, grid=(0.02, 0.03, 0.05), doc="max loss / equity")
    leverage = Param(10.0, low=1.0, high=125.0, grid=(5.0, 10.0, 20.0), doc="wanted notional / margin")
    min_liq_distance = Param(0.1, low=0.0, high=0.99, doc="liquidation price at least this far below")
    stop_distance = Param(0.05, low=0.0, high=0.99, doc="stop this far below the entry (0 = none)")
    reentry_hours = Param(24.0, low=0.0, doc="re-enter when flat on UTC multiples of this (0 = never)")
    decide_nb = staticmethod(risk_sized_nb)
