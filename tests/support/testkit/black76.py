"""An independent Black-76 for tests of option orders: forward delta and price written out with math.erfc
(r = 0, as on Deribit: discount 1), the spread and fee rules of ``OptionConfig``'s documentation, and a
brute-force search of the listed strike whose delta is nearest a target. The IV surface (``model_vol_nb``)
is the model's input, used as is."""
import math

import numpy as np

from hedgelab.engine.nb.surface import model_vol_nb
from hedgelab.engine.options import OptionConfig

DAY_S = 86400.0
CFG = OptionConfig()
ARR = CFG.to_array()


def _ncdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _d1(fwd, strike, t_years, sigma):
    return (math.log(fwd / strike) + 0.5 * sigma * sigma * t_years) / (sigma * math.sqrt(t_years))


def b76_delta(is_call, fwd, strike, t_years, sigma):
    d1 = _d1(fwd, strike, t_years, sigma)
    return _ncdf(d1) if is_call else -_ncdf(-d1)


def b76_price(is_call, fwd, strike, t_years, sigma):
    d1 = _d1(fwd, strike, t_years, sigma)
    d2 = d1 - sigma * math.sqrt(t_years)
    if is_call:
        return fwd * _ncdf(d1) - strike * _ncdf(d2)
    return strike * _ncdf(-d2) - fwd * _ncdf(-d1)


def surface_sigma(iv, tenor_days, fwd, strike, stress):
    return model_vol_nb(ARR, iv, tenor_days, math.log(strike / fwd), stress)


def closest_delta_strike(is_call, target, fwd, step, tenor_days, iv, stress):
    """Every listed strike of the expiry (multiples of ``step`` below 5x the forward), the one whose delta is
    nearest ``target``: a brute-force search, no bisection."""
    t_years = tenor_days / 365.0
    best, best_gap = None, np.inf
    n = 1
    while n * step < 5.0 * fwd:
        k = n * step
        gap = abs(b76_delta(is_call, fwd, k, t_years, surface_sigma(iv, tenor_days, fwd, k, stress)) - target)
        if gap < best_gap:
            best, best_gap = k, gap
        n += 1
    return best, best_gap


def quote(is_call, qty, spot, strike, t_s, expiry_s, iv):
    """(fill price, fee) of ``qty`` at the bid / ask by the spread and fee rules (OptionConfig's docs)."""
    days = (expiry_s - t_s) / DAY_S
    sigma = surface_sigma(iv, days, spot, strike, 0.0)
    mid = b76_price(is_call, spot, strike, days / 365.0, sigma)
    half = max(mid * (CFG.spread_base + CFG.spread_vol * sigma) * (1.0 + CFG.spread_short / math.sqrt(days)),
               CFG.spread_min_btc * spot)
    price = mid + half if qty > 0 else max(mid - half, 0.0)
    return price, abs(qty) * min(CFG.fee_rate * spot, CFG.fee_cap * price)
