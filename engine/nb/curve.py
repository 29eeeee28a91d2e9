"""The equity curve's running figures (maximum drawdown, minimum equity) and the per-bar record."""
from numba import njit

from hedgelab.engine.nb.account import Acc, margin_ratio_nb
from hedgelab.engine.nb.records import Out


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def drawdown_step_nb(equity, peak, max_dd, dd_floor):
    """(peak, max_dd, dd_floor) after one more point of the curve.

    Max drawdown exactly as reports.metrics.max_drawdown computes it from the curve (peak from the
    capital, equity floored at 0, 1 - e/p), so summary-only rankings match full-curve ones bit for
    bit. A multiply per bar; the divide only within 1e-12 of the floor, whose slack covers rounding."""
    if equity > peak:
        peak = equity
        dd_floor = peak * (1.0 - max_dd) * (1.0 + 1e-12)
    elif equity < dd_floor and peak > 0.0:
        dd = 1.0 - max(equity, 0.0) / peak
        if dd > max_dd:
            max_dd = dd
            dd_floor = peak * (1.0 - max_dd) * (1.0 + 1e-12)
    return peak, max_dd, dd_floor


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def record_bar_nb(out, j, i, acc, cfg, tiers, mark, equity, opt_value):
    """Column j's row of the per-bar output at bar i's close (``Out.*``)."""
    out[j, Out.EQUITY, i] = equity
    out[j, Out.CASH, i] = acc[Acc.CASH]
    out[j, Out.SPOT_QTY, i] = acc[Acc.SPOT]
    out[j, Out.PERP_QTY, i] = acc[Acc.QTY]
    out[j, Out.MARGIN_RATIO, i] = margin_ratio_nb(acc, cfg, tiers, mark)
    out[j, Out.LIQ_PRICE, i] = acc[Acc.LIQ]
    out[j, Out.OPTION_VALUE, i] = opt_value
