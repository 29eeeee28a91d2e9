"""funding-carry: long spot, short perp of the same size (delta-neutral), collecting funding.

Opens at the first bar unless funding is already below the exit level: spot bought with
``(1 - reserve)`` of equity less the perp margin (notional / ``leverage``), perp short = -spot. It
closes both legs when the mean of the last ``funding_window`` (3) funding settlements, known at the
bar close, falls below ``exit_funding``, and reopens when it is back above ``entry_funding``.
While open, the short is reset to -spot when it drifts more than ``drift``; when the margin ratio
exceeds ``topup_at`` cash moves into the margin (the perp-hedge rule).

After an auto-deleveraging of the short (``--adl``) it waits ``rehedge_bars`` bars after the ADL
bar's close before the drift rule restores the short.

Parameters (defaults): leverage 3, exit_funding -0.0001 (per settlement), entry_funding 0.0,
drift 0.05, topup_at 0.05, reserve 0.05, rehedge_bars 0.
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.features import mean_of_last_settlements
from hedgelab.strategies.hooks import adl_waiting_nb, topup_above_nb

LEV, EXIT, ENTRY, DRIFT, TOPUP_AT, RESERVE, REHEDGE = range(7)


@njit(HOOK_SIG, cache=True, nogil=True)
def funding_carry_nb(i, state, params, features, intent):
    if adl_waiting_nb(state, params[REHEDGE]):  # the venue ADL-closed the hedge: stay unhedged a while
        return
    lev, funding = params[LEV], features[i, 0]
    spot, perp = state[State.SPOT_QTY], state[State.PERP_QTY]
    if spot == 0.0 and perp == 0.0:
        if math.isnan(funding) or funding >= params[ENTRY]:
            budget = state[State.EQUITY] * (1.0 - params[RESERVE])
            qty = budget / (state[State.INDEX] + state[State.CLOSE] / lev)  # spot + perp margin
            intent[Intent.TARGET_SPOT] = qty
            intent[Intent.TARGET_PERP] = -qty
            intent[Intent.LEVERAGE] = lev
    elif funding < params[EXIT]:
        intent[Intent.TARGET_SPOT] = 0.0
        intent[Intent.TARGET_PERP] = 0.0
    elif abs(perp + spot) > params[DRIFT] * spot:
        intent[Intent.TARGET_PERP] = -spot
        intent[Intent.LEVERAGE] = lev
    else:
        topup_above_nb(state, lev, params[TOPUP_AT], intent)


class FundingCarry(Strategy):
    """Long spot, short perp, delta-neutral: earns funding, exits when funding turns negative."""

    name = "funding-carry"
    funding_window = 3  # settlements averaged for the on/off rule
    constraints = (("exit_funding", "<=", "entry_funding"),)
    leverage = Param(3.0, low=1.0, high=50.0, grid=(2.0, 3.0, 5.0), doc="perp notional / margin")
    exit_funding = Param(-0.0001, low=-1.0, high=1.0, doc="close both legs below this mean rate")
    entry_funding = Param(0.0, low=-1.0, high=1.0, doc="reopen above this mean rate")
    drift = Param(0.05, low=0.0, doc="reset the short when |perp + spot| > drift x spot")
    topup_at = Param(0.05, low=0.0, high=1.0, doc="margin ratio above which cash tops up the margin")
    reserve = Param(0.05, low=0.0, high=0.9, doc="share of capital kept in cash for top-ups")
    rehedge_bars = Param(0, type=int, low=0, high=100_000,
                         doc="after the venue ADL-closes the short, bars to stay unhedged (0: re-hedge at that bar's close)")
    decide_nb = staticmethod(funding_carry_nb)

    def prepare(self, market):
        return mean_of_last_settlements(market.funding_rate, self.funding_window)[:, None]
