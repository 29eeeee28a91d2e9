"""Funding settlement (spec §1.4, §2, §3): payment = qty * funding price * rate, longs pay when rate > 0."""
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def funding_payment_nb(qty, price, rate):
    """Cash flow to the account (+ received) of a signed position ``qty`` at one settlement.

    ``price`` is the settlement mark (Binance/Bybit) or the oracle price (Hyperliquid); only positions
    open at the settlement timestamp pay, which the caller ensures by settling before any order.
    """
    return -qty * price * rate
