"""Market-order fill prices and fees.

Slippage (relative to the reference price) = half spread + impact * (|qty| / bar volume) ** exponent:
the impact grows with the order's share of the bar's volume, so a thin crisis bar costs more. A bar
with no volume counts as participation 1 (the order is the whole bar).
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def slippage_nb(qty, volume, half_spread, impact, impact_exp):
    """Relative price concession of a market order of ``qty`` (any sign) in a bar of ``volume``."""
    a = abs(qty)
    if a == 0.0:
        return 0.0
    slip = half_spread
    if impact > 0.0:
        if volume > 0.0 and np.isfinite(volume):
            slip += impact * (a / volume) ** impact_exp
        else:
            slip += impact
    return slip


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def fill_price_nb(ref_price, qty, volume, half_spread, impact, impact_exp):
    """Price a market order of signed ``qty`` fills at: buys pay up, sells receive less."""
    slip = slippage_nb(qty, volume, half_spread, impact, impact_exp)
    if qty > 0.0:
        return ref_price * (1.0 + slip)
    return ref_price * (1.0 - slip)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def fee_nb(qty, price, rate):
    """Trading fee (positive number paid) on a fill of ``qty`` at ``price``."""
    return abs(qty) * price * rate
