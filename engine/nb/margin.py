"""Maintenance margin by tier and liquidation prices, one code path for the kernel and ``calc liq``.

Tier tables are float64 arrays ``tiers[k, Tier.*]`` sorted by notional floor, with the maintenance
amount (Binance ``cum``, Bybit/Hyperliquid ``deduction``) in column ``Tier.CUM``:

    MM(notional) = notional * MMR_k - cum_k       for floor_k <= notional < cap_k

Because ``cum`` makes MM continuous in the notional, and equity moves faster with the price than MM
does, "equity = MM" has at most one root in the price. ``liq_price_nb`` finds it by trying each
tier and keeping the one whose notional at the computed price lies inside the tier: this is
Binance's rule that a liquidation price whose notional falls in another bracket is recomputed with
that bracket (§1.2), done for every tier at once.

Rules (``LiqRule``):
- ``MM_AT_LIQ`` (Binance §1.2, Hyperliquid §3): MM evaluated at the liquidation price,
  LP = (WB - TMM1 + UPNL1 + cum - side*Q*EP) / (Q*MMR - side*Q).
- ``MM_AT_ENTRY`` (Bybit §2): MM evaluated on the entry value,
  LP = EP - side * (WB - TMM1 + UPNL1 - MM(EP)) / Q.
- ``CLOSE_AT_MARK`` (Hyperliquid): same price as ``MM_AT_LIQ``; differs only in what happens after.

Inverse (coin-margined) perps: the position is ``C = Q * EP`` USD of contracts, the wallet and the
tier notionals are in BTC, equity_btc(P) = WB + side*C*(1/EP - 1/P) and MM = C/P*MMR - cum, so
LP = C*(MMR + side) / (WB - TMM1 + UPNL1 + cum + side*C/EP).

Returned prices are NaN when the position cannot be liquidated (flat, or no positive root).
"""
import numpy as np
from numba import njit

from hedgelab.engine.nb.records import LiqRule, Tier

_EPS = 1e-12


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def tier_index_nb(tiers, notional):
    """Index of the tier whose [floor, cap) holds ``notional`` (the last tier beyond its cap).

    Floors increase (venues.py and venue_schema.py refuse a table whose floors do not; padding rows
    have an infinite floor), so the scan stops at the first floor above the notional: the same tier as
    scanning them all, in a few steps for the small positions that most decisions hold (it runs for
    every coin's margin, leverage cap and liquidation price at every decision)."""
    k = 0
    for t in range(tiers.shape[0]):
        if not notional >= tiers[t, Tier.FLOOR]:
            break
        k = t
    return k


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def maint_margin_nb(tiers, notional):
    """Maintenance margin of a position of ``notional`` (absolute, margin currency)."""
    if notional <= 0.0:
        return 0.0
    k = tier_index_nb(tiers, notional)
    return notional * tiers[k, Tier.MMR] - tiers[k, Tier.CUM]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def max_leverage_nb(tiers, notional):
    """Highest leverage the venue allows for a position of ``notional``."""
    return tiers[tier_index_nb(tiers, notional), Tier.MAX_LEV]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _in_tier(tiers, t, notional):
    lo = tiers[t, Tier.FLOOR]
    hi = tiers[t, Tier.CAP]
    if t == tiers.shape[0] - 1:
        hi = np.inf
    return notional >= lo * (1.0 - _EPS) - _EPS and notional < hi * (1.0 + _EPS)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liq_price_linear_nb(rule, side, qty, entry, wallet, other_mm, other_upnl, tiers):
    """Liquidation price of a linear (USD-margined) position; returns (price, mmr, cum).

    side: +1 long / -1 short; qty: |size| in BTC; wallet: isolated margin or cross wallet balance;
    other_mm / other_upnl: maintenance margin and unrealized PnL of the account's other positions
    (0 for isolated). NaN price when the position cannot be liquidated.
    """
    if qty <= 0.0:
        return np.nan, np.nan, np.nan
    balance = wallet - other_mm + other_upnl
    if rule == LiqRule.MM_AT_ENTRY:
        k = tier_index_nb(tiers, qty * entry)
        mmr = tiers[k, Tier.MMR]
        cum = tiers[k, Tier.CUM]
        mm = qty * entry * mmr - cum
        lp = entry - side * (balance - mm) / qty
        if lp <= 0.0:
            return np.nan, mmr, cum
        return lp, mmr, cum
    for t in range(tiers.shape[0]):
        mmr = tiers[t, Tier.MMR]
        cum = tiers[t, Tier.CUM]
        den = qty * mmr - side * qty
        if den == 0.0:
            continue
        lp = (balance + cum - side * qty * entry) / den
        if lp > 0.0 and _in_tier(tiers, t, qty * lp):
            return lp, mmr, cum
    return np.nan, np.nan, np.nan


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def liq_price_inverse_nb(side, qty, entry, wallet, other_mm, other_upnl, tiers):
    """Liquidation price of an inverse (coin-margined) position; wallet and tiers in BTC.

    ``qty`` is the position in BTC at entry (contracts value C = qty * entry USD).
    """
    if qty <= 0.0:
        return np.nan, np.nan, np.nan
    c = qty * entry
    balance = wallet - other_mm + other_upnl
    for t in range(tiers.shape[0]):
        mmr = tiers[t, Tier.MMR]
        cum = tiers[t, Tier.CUM]
        den = balance + cum + side * c / entry
        if den == 0.0:
            continue
        lp = c * (mmr + side) / den
        if lp > 0.0 and _in_tier(tiers, t, c / lp):
            return lp, mmr, cum
    return np.nan, np.nan, np.nan


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def bankruptcy_price_linear_nb(side, qty, entry, balance):
    """Price at which ``balance`` + the position's PnL is zero (NaN if never for a long at P>0)."""
    if qty <= 0.0:
        return np.nan
    bp = entry - side * balance / qty
    if bp <= 0.0:
        return np.nan
    return bp


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def bankruptcy_price_inverse_nb(side, qty, entry, balance_btc):
    """Price at which ``balance_btc`` + side*C*(1/EP - 1/P) is zero, C = qty*entry (NaN if none)."""
    if qty <= 0.0:
        return np.nan
    c = qty * entry
    den = side * balance_btc + c / entry
    if den <= 0.0:
        return np.nan
    return c / den


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def equity_linear_nb(side, qty, entry, balance, price):
    """Margin balance of a linear position at ``price``."""
    return balance + side * qty * (price - entry)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def equity_inverse_nb(side, qty, entry, balance, price):
    """Margin balance (BTC) of an inverse position of C = qty*entry USD at ``price``."""
    return balance + side * qty * entry * (1.0 / entry - 1.0 / price)
