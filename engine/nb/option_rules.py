"""Venue rules for options as numba kernels: fees, bid/ask, short-option margin, payoff, delivery price.

Units: prices in USD per 1 BTC of underlying unless a name ends in ``_btc``; ``qty`` in BTC
(contracts of 1 BTC, sign ignored where a cost is computed). Fee and margin defaults are Deribit's
(spec sheet §5); the kernel passes the values of ``OptionConfig``.
"""
import math

from numba import njit


@njit(cache=True, nogil=True, _nrt=False)
def option_fee_nb(price_usd, underlying_usd, qty, fee_rate=0.0003, fee_cap=0.125):
    """Trading fee in USD (positive): |qty| * min(fee_rate * underlying, fee_cap * option price).

    Deribit: 0.03% of the underlying (0.0003 BTC per contract) capped at 12.5% of the option price;
    in BTC and in USD the rule is the same once both sides are converted at the same index.
    """
    return abs(qty) * min(fee_rate * underlying_usd, fee_cap * max(price_usd, 0.0))


@njit(cache=True, nogil=True, _nrt=False)
def delivery_fee_nb(payoff_usd, underlying_usd, qty, fee_rate=0.00015, fee_cap=0.125):
    """Delivery fee in USD (positive): |qty| * min(0.015% of the underlying, 12.5% of the option value).

    ``payoff_usd`` is the option's value at delivery per contract; an expiry out of the money pays 0.
    """
    return abs(qty) * min(fee_rate * underlying_usd, fee_cap * max(payoff_usd, 0.0))


@njit(cache=True, nogil=True, _nrt=False)
def option_quote_nb(mid_usd, forward, sigma, tenor_days, spread_base=0.01, spread_vol=0.02,
                    spread_short=0.5, spread_min_btc=0.0001):
    """(bid, ask) in USD around the model price ``mid_usd``.

    half spread = max(mid * (spread_base + spread_vol * sigma) * (1 + spread_short / sqrt(days)),
                      spread_min_btc * forward)
    with days floored at 1/24 (one hour): wider in high vol and near expiry, never below one
    minimum tick (``spread_min_btc``, 0.0001 BTC on Deribit) each side. The bid is floored at 0.
    """
    days = max(tenor_days, 1.0 / 24.0)
    rel = (spread_base + spread_vol * max(sigma, 0.0)) * (1.0 + spread_short / math.sqrt(days))
    half = max(mid_usd * rel, spread_min_btc * forward)
    return max(mid_usd - half, 0.0), mid_usd + half


@njit(cache=True, nogil=True, _nrt=False)
def short_margin_btc_nb(is_call, index_price, strike, mark_btc, im_otm=0.15, im_min=0.10, mm_base=0.075):
    """Deribit standard margin of one short option, in BTC per contract: (initial, maintenance).

    Call: IM = max(0.15 - OTM/S, 0.1) + mark;            MM = 0.075 + mark
    Put:  IM = max(max(0.15 - OTM/S, 0.1) + mark, MM);   MM = max(0.075, 0.075 * mark) + mark
    with S the index, OTM = max(K - S, 0) for a call and max(S - K, 0) for a put, mark in BTC.
    """
    s = index_price
    if is_call:
        otm = max(strike - s, 0.0)
        im = max(im_otm - otm / s, im_min) + mark_btc
        mm = mm_base + mark_btc
    else:
        otm = max(s - strike, 0.0)
        mm = max(mm_base, mm_base * mark_btc) + mark_btc
        im = max(max(im_otm - otm / s, im_min) + mark_btc, mm)
    return im, mm


@njit(cache=True, nogil=True, _nrt=False)
def short_margin_usd_nb(is_call, index_price, strike, mark_usd, forward, qty, im_otm=0.15, im_min=0.10,
                        mm_base=0.075):
    """(initial, maintenance) margin in USD of a short position of |qty| BTC.

    The BTC rule above with mark_btc = mark_usd / forward (the inverse price), converted to USD at
    the index. Linear (USD-settled) options use the same rule converted at the index. Long
    options need no margin (only their premium): call this for short legs only.
    """
    im, mm = short_margin_btc_nb(is_call, index_price, strike, mark_usd / forward, im_otm, im_min, mm_base)
    return abs(qty) * im * index_price, abs(qty) * mm * index_price


@njit(cache=True, nogil=True, _nrt=False)
def inverse_payoff_btc_nb(is_call, delivery_price, strike):
    """Inverse (Deribit) payoff in BTC per contract: max(S-K,0)/S for a call, max(K-S,0)/S for a put."""
    if is_call:
        return max(delivery_price - strike, 0.0) / delivery_price
    return max(strike - delivery_price, 0.0) / delivery_price


@njit(cache=True, nogil=True, _nrt=False)
def linear_payoff_usd_nb(is_call, delivery_price, strike):
    """Linear payoff in USD per 1 BTC: max(S-K,0) for a call, max(K-S,0) for a put.

    This is also the USD value of the inverse payoff converted at the delivery price, so a USD
    account books the same cash for both flavours at settlement.
    """
    if is_call:
        return max(delivery_price - strike, 0.0)
    return max(strike - delivery_price, 0.0)


@njit(cache=True, nogil=True, _nrt=False)
def delivery_price_nb(time_ns, bar_seconds, index_open, index_close, expiry_s, twap_seconds=1800.0):
    """Approximate Deribit delivery price (30-min TWAP of the index before expiry) from bars.

    ``time_ns``: bar open times (int64 ns, sorted). Rule, stated in results:
    - bars of ``twap_seconds`` (30 min) or shorter: mean of the index closes of the bars closing
      in (expiry - 30 min, expiry], e.g. 30 one-minute closes;
    - longer bars (e.g. 1h): mean of the close of the bar ending at expiry (the 07:00 bar) and the
      open of the bar starting at expiry (the 08:00 bar); the close alone if that bar is missing;
    - bars that straddle the expiry (e.g. daily bars opening at 00:00): the index interpolated
      linearly in time between the open and the close of that bar (known only at its close).
    Returns NaN when no bar ends at or contains the expiry.
    """
    n = time_ns.shape[0]
    bar_ns = int(bar_seconds) * 1_000_000_000
    e_ns = int(expiry_s) * 1_000_000_000
    # index of the bar that closes at the expiry (opens at expiry - bar)
    lo = 0
    hi = n
    target = e_ns - bar_ns
    while lo < hi:
        mid = (lo + hi) // 2
        if time_ns[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    j = lo
    if j >= n or time_ns[j] != target:
        # no bar ends at the expiry: the bar that contains it, if any (the last one opening before it)
        b = j - 1
        while b + 1 < n and time_ns[b + 1] < e_ns:
            b += 1
        if b < 0 or time_ns[b] >= e_ns or time_ns[b] + bar_ns <= e_ns:
            return math.nan
        w = (e_ns - time_ns[b]) / bar_ns
        return index_open[b] + w * (index_close[b] - index_open[b])
    if bar_seconds <= twap_seconds:
        n_bars = max(int(twap_seconds // bar_seconds), 1)
        total = 0.0
        count = 0
        for b in range(j, j - n_bars, -1):
            if b < 0:
                break
            if index_close[b] == index_close[b]:
                total += index_close[b]
                count += 1
        return total / count if count > 0 else math.nan
    close = index_close[j]
    if j + 1 < n and time_ns[j + 1] == e_ns and index_open[j + 1] == index_open[j + 1]:
        return 0.5 * (close + index_open[j + 1])
    return close
