"""Generic decision hooks shared by strategies (compiled once with HOOK_SIG, cached on disk).

``targets_nb`` lets a strategy without account-dependent rules skip numba: its ``targets()`` method
returns per-bar fractions of equity, stacked into the features as blocks of ``TARGET_BLOCK`` columns
(spot value / equity, signed perp notional / equity, perp leverage; NaN = no change). The block of a
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
        intent[Intent.TARGET_SPOT] = spot * equity / state[State.CLOSE]
    if not math.isnan(perp):
        intent[Intent.TARGET_PERP] = perp * equity / state[State.MARK]
    if not math.isnan(leverage):
        intent[Intent.LEVERAGE] = leverage


@njit(HOOK_SIG, cache=True, nogil=True)
def noop_nb(i, state, params, features, intent):
    """Change nothing (the base class default: a strategy that never trades holds its cash)."""
    return
