"""Generic decision hooks shared by strategies (compiled once with HOOK_SIG, cached on disk).

``targets_nb`` lets a strategy without account-dependent rules skip numba: its ``targets()`` method
returns per-bar fractions of equity, stacked into the features as blocks of ``TARGET_BLOCK`` columns
(spot value / equity at the index close, signed perp notional / equity at the mark, perp
leverage; NaN = no change). The block of a
column starts at ``params[-1]`` (the ``feature_offset`` parameter that ``Strategy.spec`` appends).
"""
import math

from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State

TARGET_BLOCK = 3


@njit(HOOK_SIG, cache=True, nogil=True)
def targets_nb(i, state, params, features, intent):
    off = int(params[params.shape[0] - 1])
    equity = state[State.EQUITY]
    if not equity > 0.0:
        return
    spot = features[i, off]
    perp = features[i, off + 1]
    leverage = features[i, off + 2]
    if not math.isnan(spot):
        intent[Intent.TARGET_SPOT] = spot * equity / state[State.INDEX]  # spot trades at the index
    if not math.isnan(perp):
        intent[Intent.TARGET_PERP] = perp * equity / state[State.MARK]
    if not math.isnan(leverage):
        intent[Intent.LEVERAGE] = leverage


@njit(HOOK_SIG, cache=True, nogil=True)
def noop_nb(i, state, params, features, intent):
    """Change nothing (the base class default: a strategy that never trades holds its cash)."""
    return


@njit(cache=True, nogil=True)
def topup_nb(state, leverage, cash_share):
    """USD to move from cash into the isolated margin so that margin + unrealised PnL is back at
    notional / leverage, limited to ``cash_share`` of the free cash (0 when nothing is needed)."""
    perp = state[State.PERP_QTY]
    if perp == 0.0:
        return 0.0
    mark = state[State.MARK]
    upnl = perp * (mark - state[State.PERP_ENTRY])
    need = abs(perp) * mark / leverage - (state[State.PERP_MARGIN] + upnl)
    return max(0.0, min(need, cash_share * state[State.CASH]))


@njit(cache=True, nogil=True)
def scheduled_nb(state, hours):
    """True on bars that close on a UTC multiple of ``hours`` (never when hours <= 0)."""
    period_s = hours * 3600.0
    return period_s > 0.0 and state[State.TIME_S] % period_s == 0.0


@njit(cache=True, nogil=True)
def spot_once_nb(state, reserve, intent):
    """Spot BTC held, buying it with ``(1 - reserve)`` of equity at the index on the first decision
    (when none is held yet): the spot leg of the spot-plus-hedge strategies."""
    spot = state[State.SPOT_QTY]
    if spot == 0.0:
        spot = state[State.EQUITY] * (1.0 - reserve) / state[State.INDEX]
        intent[Intent.TARGET_SPOT] = spot
    return spot


@njit(cache=True, nogil=True)
def topup_above_nb(state, leverage, topup_at, intent):
    """Ask for a margin top-up back to notional / leverage when the margin ratio exceeds ``topup_at``."""
    if state[State.MARGIN_RATIO] > topup_at:
        topup = topup_nb(state, leverage, 1.0)
        if topup > 0.0:
            intent[Intent.MARGIN_TOPUP] = topup


@njit(cache=True, nogil=True)
def adl_waiting_nb(state, rehedge_bars):
    """True while fewer than ``rehedge_bars`` bars have closed since the bar in which the venue last
    ADL-closed some of the perp (never before any ADL): the hedge stays as the venue left it."""
    return state[State.ADL_BARS_AGO] < rehedge_bars
