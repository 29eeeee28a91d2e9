"""Generic decision hooks shared by strategies (compiled once with HOOK_SIG, cached on disk).

``targets_nb`` lets a strategy without account-dependent rules skip numba: its ``targets()`` method
returns per-bar fractions of equity, stacked into the features as blocks of ``TARGET_BLOCK`` columns
(spot value / equity at the index close, signed perp notional / equity at the mark, perp
leverage; NaN = no change). The block of a
column starts at ``params[-1]`` (the ``feature_offset`` parameter that ``Strategy.spec`` appends).
"""
import math

from numba import njit

from hedgelab.engine.types import (CLOSE_LEG, HOOK_SIG, OPTION_FORM_FIELDS, OPTION_SLOT_FIELDS, ROLL_LEG,  # noqa: F401
                                   STRIKE_DELTA, STRIKE_FRACTION, STRIKE_USD, Intent, State)

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


# Option orders (engine/types.py Intent.OPTk_*): action, type and strike-unit codes, and helpers that fill
# one of the four option slots (0..3, run in slot order: a close in slot 0 frees cash for a buy in slot 1).
BUY, SELL, CLOSE_ALL = 1.0, -1.0, 2.0
CALL, PUT = 1.0, -1.0


@njit(cache=True, nogil=True)
def order_option_nb(intent, slot, action, kind, strike, tenor_days, qty, unit=STRIKE_FRACTION):
    """Buy (``BUY``) or sell (``SELL``) ``qty`` BTC of a ``CALL`` / ``PUT`` in option slot ``slot``: the
    listed expiry nearest ``tenor_days`` and the listed strike nearest ``strike`` read in ``unit``:
    ``STRIKE_FRACTION`` of the forward (0.9), ``STRIKE_USD`` (90000.0) or ``STRIKE_DELTA`` (-0.25: a
    25-delta put). ``CLOSE_ALL`` with a type closes every leg of that type (strike, tenor, qty NaN)."""
    b = Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS
    intent[b] = action
    intent[b + 1] = kind
    intent[b + 2] = strike
    intent[b + 3] = tenor_days
    intent[b + 4] = qty
    if unit != STRIKE_FRACTION:  # NaN (the fraction) keeps the slot as it always was
        intent[Intent.OPT1_STRIKE_UNIT + slot * OPTION_FORM_FIELDS] = unit


@njit(cache=True, nogil=True)
def close_leg_nb(intent, slot, k):
    """Close open leg ``k`` (the state's leg k, ``State.LEGS + k * StateLeg.N``) in full in option slot
    ``slot``: bought back if short, sold if long, at the bid / ask with the trading fee."""
    intent[Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS] = CLOSE_LEG
    intent[Intent.OPT1_LEG + slot * OPTION_FORM_FIELDS] = k


@njit(cache=True, nogil=True)
def roll_leg_nb(intent, slot, k, strike, tenor_days, unit=STRIKE_FRACTION, qty=math.nan):
    """Roll open leg ``k`` in option slot ``slot``: close it, then (once it is closed) open its type and
    side at the listed contract nearest ``strike`` (in ``unit``) and ``tenor_days``, of its size
    (``qty`` NaN) or ``qty`` BTC."""
    b = Intent.OPT1_ACTION + slot * OPTION_SLOT_FIELDS
    u = Intent.OPT1_STRIKE_UNIT + slot * OPTION_FORM_FIELDS
    intent[b] = ROLL_LEG
    intent[b + 2] = strike
    intent[b + 3] = tenor_days
    intent[b + 4] = qty
    if unit != STRIKE_FRACTION:
        intent[u] = unit
    intent[u + 1] = k
