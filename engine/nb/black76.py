"""Black-76 on the forward: prices, greeks and implied volatility as numba kernels.

Units (everywhere in this module):
- ``forward``, ``strike``: USD per BTC. ``tenor_years``: year fraction on a 365-day year.
- ``sigma``: annualized decimal vol (0.6, not 60). ``is_call``: True for a call, False for a put.
- ``discount``: discount factor exp(-r T) applied to the payoff (1.0 for Deribit, r ~ 0).
- Prices are USD per 1 BTC of underlying. The Deribit inverse price in BTC is ``price_usd / forward``.

At tenor <= 0 or sigma <= 0 the price is the discounted intrinsic value on the forward and the greeks
are those of that intrinsic value (delta 0 or discount, gamma/vega/theta 0).
"""
import math

import numpy as np
from numba import njit

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
IV_LO = 1e-4   # implied-vol search bracket (decimal vol)
IV_HI = 10.0


@njit(cache=True, nogil=True)
def norm_cdf_nb(x):
    """Standard normal CDF, accurate in both tails (erfc avoids cancellation)."""
    return 0.5 * math.erfc(-x / _SQRT2)


@njit(cache=True, nogil=True)
def norm_pdf_nb(x):
    """Standard normal density."""
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True, nogil=True)
def black76_price_nb(forward, strike, tenor_years, sigma, is_call, discount=1.0):
    """Black-76 price in USD of a European option on the forward (per 1 BTC of underlying)."""
    sd = sigma * math.sqrt(tenor_years) if tenor_years > 0.0 and sigma > 0.0 else 0.0
    if sd <= 0.0 or strike <= 0.0:
        intrinsic = forward - strike if is_call else strike - forward
        return discount * max(intrinsic, 0.0)
    d1 = math.log(forward / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    if is_call:
        return discount * (forward * norm_cdf_nb(d1) - strike * norm_cdf_nb(d2))
    return discount * (strike * norm_cdf_nb(-d2) - forward * norm_cdf_nb(-d1))


@njit(cache=True, nogil=True)
def black76_price_delta_nb(forward, strike, tenor_years, sigma, is_call, discount=1.0):
    """(price, delta) as ``black76_price_nb`` and ``black76_greeks_nb`` give them, to the bit, from one
    d1 and two erfc (what an account marks every bar; the other greeks cost three more erfc)."""
    sd = sigma * math.sqrt(tenor_years) if tenor_years > 0.0 and sigma > 0.0 else 0.0
    if sd <= 0.0 or strike <= 0.0:
        if is_call:
            return discount * max(forward - strike, 0.0), discount if forward > strike else 0.0
        return discount * max(strike - forward, 0.0), -discount if forward < strike else 0.0
    d1 = math.log(forward / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    if is_call:
        n1 = norm_cdf_nb(d1)
        return discount * (forward * n1 - strike * norm_cdf_nb(d2)), discount * n1
    n1 = norm_cdf_nb(-d1)
    return discount * (strike * norm_cdf_nb(-d2) - forward * n1), -discount * n1


@njit(cache=True, nogil=True)
def black76_greeks_nb(forward, strike, tenor_years, sigma, is_call, discount=1.0):
    """Greeks of the USD price: (delta, gamma, vega, theta).

    - delta: dV/dF (forward delta, dimensionless; includes the discount factor)
    - gamma: d2V/dF2 per USD of forward
    - vega: USD per 0.01 of vol (one vol point)
    - theta: USD per calendar day, -dV/dT / 365 holding the forward fixed; with discount = exp(-rT)
      the rate is recovered as r = -ln(discount)/T, so theta includes the r*V carry term.
    """
    sd = sigma * math.sqrt(tenor_years) if tenor_years > 0.0 and sigma > 0.0 else 0.0
    if sd <= 0.0 or strike <= 0.0:
        itm = forward > strike if is_call else forward < strike
        delta = 0.0
        if itm:
            delta = discount if is_call else -discount
        return delta, 0.0, 0.0, 0.0
    sqrt_t = math.sqrt(tenor_years)
    d1 = math.log(forward / strike) / sd + 0.5 * sd
    pdf = norm_pdf_nb(d1)
    if is_call:
        delta = discount * norm_cdf_nb(d1)
    else:
        delta = -discount * norm_cdf_nb(-d1)
    gamma = discount * pdf / (forward * sd)
    vega = discount * forward * pdf * sqrt_t * 0.01
    r = -math.log(discount) / tenor_years if discount > 0.0 else 0.0
    price = black76_price_nb(forward, strike, tenor_years, sigma, is_call, discount)
    dv_dt = discount * forward * pdf * sigma / (2.0 * sqrt_t) - r * price
    theta = -dv_dt / 365.0
    return delta, gamma, vega, theta


@njit(cache=True, nogil=True)
def implied_vol_nb(price, forward, strike, tenor_years, is_call, discount=1.0):
    """Implied vol (decimal) from a USD price: Newton steps kept inside a shrinking bisection bracket.

    Returns NaN when no vol in [1e-4, 10] reproduces the price (price below intrinsic, above the
    no-arbitrage bound, non-positive tenor) or when the price has no readable time value (below
    1e-13 of the strike above the price at vol 1e-4). Converges to ~1e-13 relative in price.
    """
    if not (tenor_years > 0.0) or not (forward > 0.0) or not (strike > 0.0) or not (price >= 0.0):
        return np.nan
    lo = IV_LO
    hi = IV_HI
    p_lo = black76_price_nb(forward, strike, tenor_years, lo, is_call, discount)
    p_hi = black76_price_nb(forward, strike, tenor_years, hi, is_call, discount)
    if price < p_lo - 1e-12 * forward or price > p_hi + 1e-12 * forward:
        return np.nan
    tol = 1e-13 * max(forward, strike)
    if p_hi - p_lo <= tol or price - p_lo <= tol:
        return np.nan  # no time value to read a vol from (e.g. far OTM, tiny tenor)
    # start near the Brenner-Subrahmanyam ATM approximation, clipped into the bracket
    x = price / (discount * forward) * math.sqrt(2.0 * math.pi / tenor_years)
    x = min(max(x, 0.05), 3.0)
    for _ in range(200):
        p = black76_price_nb(forward, strike, tenor_years, x, is_call, discount)
        diff = p - price
        if abs(diff) <= 1e-15 * max(forward, strike):
            return x
        if diff > 0.0:
            hi = x
        else:
            lo = x
        sd = x * math.sqrt(tenor_years)
        d1 = math.log(forward / strike) / sd + 0.5 * sd
        vega = discount * forward * norm_pdf_nb(d1) * math.sqrt(tenor_years)
        step_ok = False
        if vega > 0.0:
            x_new = x - diff / vega
            if lo < x_new < hi:
                if abs(x_new - x) <= 1e-15 * x:
                    return x_new
                x = x_new
                step_ok = True
        if not step_ok:
            x = 0.5 * (lo + hi)
        if hi - lo < 1e-15:
            return x
    return x


@njit(cache=True, nogil=True)
def price_btc_nb(price_usd, forward):
    """Deribit inverse price in BTC per contract: the Black-76 USD price divided by the forward."""
    return price_usd / forward


@njit(cache=True, nogil=True)
def price_usd_from_btc_nb(price_btc, forward):
    """USD price from a BTC (inverse) quote: price_btc * forward."""
    return price_btc * forward


@njit(cache=True, nogil=True)
def inverse_delta_btc_nb(delta_usd, price_usd, forward):
    """Delta in BTC of the BTC-denominated value of an inverse option: d(V/F)/dF * F = delta - V/F.

    This is the hedge ratio for an account that counts its equity in BTC; a USD account holding
    the same option uses the ordinary Black-76 delta.
    """
    return delta_usd - price_usd / forward


@njit(cache=True, nogil=True)
def black76_price_vec_nb(forward, strike, tenor_years, sigma, is_call, discount):
    """Element-wise price over equal-length float64 arrays (is_call: >0 call, <=0 put)."""
    n = forward.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = black76_price_nb(forward[i], strike[i], tenor_years[i], sigma[i],
                                  is_call[i] > 0.0, discount[i])
    return out


@njit(cache=True, nogil=True)
def black76_greeks_vec_nb(forward, strike, tenor_years, sigma, is_call, discount):
    """Element-wise greeks; returns an (n, 4) array of delta, gamma, vega, theta (units as above)."""
    n = forward.shape[0]
    out = np.empty((n, 4))
    for i in range(n):
        d, g, v, t = black76_greeks_nb(forward[i], strike[i], tenor_years[i], sigma[i],
                                       is_call[i] > 0.0, discount[i])
        out[i, 0] = d
        out[i, 1] = g
        out[i, 2] = v
        out[i, 3] = t
    return out


@njit(cache=True, nogil=True)
def implied_vol_vec_nb(price, forward, strike, tenor_years, is_call, discount):
    """Element-wise implied vol over equal-length float64 arrays (NaN where no vol fits)."""
    n = price.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = implied_vol_nb(price[i], forward[i], strike[i], tenor_years[i],
                                is_call[i] > 0.0, discount[i])
    return out
