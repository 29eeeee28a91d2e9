"""Quiet bars: the stretches where only the marks move, run in a tight loop.

Between two bars that need the kernel's full step (a funding settlement, a decision, the next dated
tier table) and while no option is held, a bar changes nothing in the account unless its mark
extreme reaches the stop or the liquidation price: the step reduces to that test and the equity
curve. ``calm_until_nb`` finds those stretches once per path, for every column on it;
``quiet_bars_nb`` runs one with the account's values held in registers. It does the full step's
arithmetic in the same order, so the results are bitwise equal to running every bar in full (on
the perp-hedge benchmark, most bars are quiet; the loop over them is the kernel's base cost).
"""
import numpy as np
from numba import njit, prange

from hedgelab.engine.nb.account import Acc, equity_of_nb, perp_value_of_nb
from hedgelab.engine.nb.curve import drawdown_step_nb, record_bar_nb
from hedgelab.engine.nb.liquidation import trigger_reached_nb
from hedgelab.engine.nb.records import Cfg, Mkt


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def calm_until_nb(market, rebalance, tier_from_bar):
    """``calm[p, i]``: the first bar >= i of path p that needs the full step (a funding settlement, a
    decision, an ADL event or the start of a dated tier table), or the number of bars when none does."""
    n_paths, n = market.shape[0], market.shape[2]
    busy = rebalance.copy()
    for e in range(1, tier_from_bar.shape[0]):
        if tier_from_bar[e] < n:
            busy[tier_from_bar[e]] = True
    calm = np.empty((n_paths, n), dtype=np.int64)
    for p in prange(n_paths):
        nxt = n
        for i in range(n - 1, -1, -1):
            rate = market[p, Mkt.FUNDING_RATE, i]
            adl = market[p, Mkt.ADL_SIDE, i]
            if busy[i] or rate == rate or adl == adl:
                nxt = i
            calm[p, i] = nxt
    return calm


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def quiet_bars_nb(acc, cfg, tiers, mk, i, end, opt_value, equity, peak, max_dd, dd_floor, min_eq, record, out, j):
    """Bars i .. end - 1 (quiet: see the module docstring), up to the first whose mark extreme reaches
    a trigger, which is left to the full step. Returns (the first bar not run, equity, peak, max_dd,
    dd_floor, min_eq), the curve's running figures as the full step keeps them."""
    cash = acc[Acc.CASH]
    spot = acc[Acc.SPOT]
    q = acc[Acc.QTY]
    entry = acc[Acc.ENTRY]
    margin = acc[Acc.MARGIN]
    liq_price = acc[Acc.LIQ]
    stop = acc[Acc.STOP]
    inverse = cfg[Cfg.INVERSE] != 0.0
    for k in range(i, end):
        if q != 0.0 and trigger_reached_nb(q, liq_price, stop, mk, k):
            return k, equity, peak, max_dd, dd_floor, min_eq
        mark = mk[Mkt.MARK_CLOSE, k]
        equity = equity_of_nb(cash, spot, mk[Mkt.INDEX_CLOSE, k], perp_value_of_nb(inverse, margin, q, entry, mark),
                              opt_value)
        peak, max_dd, dd_floor = drawdown_step_nb(equity, peak, max_dd, dd_floor)
        if equity < min_eq:
            min_eq = equity
        if record:
            record_bar_nb(out, j, k, acc, cfg, tiers, mark, equity, opt_value)
    return end, equity, peak, max_dd, dd_floor, min_eq
