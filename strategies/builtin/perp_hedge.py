"""perp-hedge: spot BTC hedged with a short perp at a hedge ratio.

At the first bar it buys spot with ``(1 - reserve)`` of the capital less the perp margin, and shorts
``hedge_ratio`` x the spot quantity on the perp with margin = notional / ``leverage`` (isolated).
The short is reset to ``-hedge_ratio x spot`` every ``rebalance_hours`` (on UTC multiples of the
period; 0 = never) or when it drifts more than ``drift`` (relative) from that target (e.g. after a
liquidation of the short). Top-up rule: when the perp's margin ratio exceeds ``topup_at``, cash is
moved into the margin to bring margin + unrealised PnL back to notional / leverage (at most the
free cash; the ``reserve`` is kept for this). The margin ratio is maintenance margin / margin
balance: a 3x short on Binance's 0.4 % tier starts near 0.012, so 0.05 means about three quarters
of the margin balance is gone.

When the venue auto-deleverages the short (``--adl``), the account stays as the venue left it for
``rehedge_bars`` bars after the ADL bar's close, then the drift rule restores the short.

Parameters (defaults): hedge_ratio 0.5, leverage 3, rebalance_hours 24, drift 0.1, topup_at 0.05,
reserve 0.05, rehedge_bars 0.
"""
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.strategies.base import Param, Strategy
from hedgelab.strategies.hooks import adl_waiting_nb, scheduled_nb, topup_above_nb

RATIO, LEV, HOURS, DRIFT, TOPUP_AT, RESERVE, REHEDGE = range(7)


@njit(HOOK_SIG, cache=True, nogil=True)
def perp_hedge_nb(i, state, params, features, intent):
    if adl_waiting_nb(state, params[REHEDGE]):  # the venue ADL-closed the hedge: stay unhedged a while
        return
    ratio, lev = params[RATIO], params[LEV]
    spot, perp = state[State.SPOT_QTY], state[State.PERP_QTY]
    if spot == 0.0 and perp == 0.0:  # first decision: buy spot, open the short
        budget = state[State.EQUITY] * (1.0 - params[RESERVE])
        spot = budget / (state[State.INDEX] + ratio * state[State.CLOSE] / lev)  # spot + perp margin
        intent[Intent.TARGET_SPOT] = spot
        intent[Intent.TARGET_PERP] = -ratio * spot
        intent[Intent.LEVERAGE] = lev
        return
    target = -ratio * spot
    if scheduled_nb(state, params[HOURS]) or abs(perp - target) > params[DRIFT] * abs(target):
        intent[Intent.TARGET_PERP] = target
        intent[Intent.LEVERAGE] = lev
    else:
        topup_above_nb(state, lev, params[TOPUP_AT], intent)


class PerpHedge(Strategy):
    """Spot long hedged with a short perp at a hedge ratio, rebalanced by period or drift."""

    name = "perp-hedge"
    label_params = ("hedge_ratio",)
    hedge_ratio = Param(0.5, low=0.0, high=2.0, grid=(0.25, 0.5, 0.75, 1.0), doc="short perp / spot qty")
    leverage = Param(3.0, low=1.0, high=100.0, grid=(2.0, 3.0, 5.0), doc="perp notional / margin")
    rebalance_hours = Param(24.0, low=0.0, doc="reset the hedge every N hours (0 = only on drift)")
    drift = Param(0.1, low=0.0, doc="reset when |perp - target| > drift x |target|")
    topup_at = Param(0.05, low=0.0, high=1.0, doc="margin ratio above which cash tops up the margin")
    reserve = Param(0.05, low=0.0, high=0.9, doc="share of capital kept in cash for top-ups")
    rehedge_bars = Param(0, type=int, low=0, high=100_000,
                         doc="after the venue ADL-closes the short, bars to stay unhedged (0: re-hedge at that bar's close)")
    decide_nb = staticmethod(perp_hedge_nb)
