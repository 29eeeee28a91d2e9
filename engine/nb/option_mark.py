"""Mark one option leg to model in a kernel: forward, surface vol, Black-76 price and greeks."""
import math

from numba import njit

from hedgelab.engine.nb.black76 import black76_greeks_nb, black76_price_nb
from hedgelab.engine.nb.surface import model_vol_nb

DAY_S = 86400.0


@njit(cache=True, nogil=True)
def forward_nb(spot, basis, tenor_years):
    """Forward (USD) from the spot/index with an annualized, continuously compounded basis (decimal)."""
    return spot * math.exp(basis * max(tenor_years, 0.0))


@njit(cache=True, nogil=True)
def option_mark_nb(cfg, is_call, spot, strike, t_s, expiry_s, atm_iv, stress):
    """Model mark of one option at time ``t_s`` (epoch s) for expiry ``expiry_s`` (epoch s).

    ``cfg``: an ``OptionConfig``; ``spot``: index price (USD); ``strike`` USD; ``atm_iv``: 30-day ATM
    level (decimal); ``stress`` in [0, 1]. Returns (price_usd, delta, gamma, vega, theta, sigma,
    forward) per 1 BTC: price/greeks of Black-76 on F = spot * exp(basis * T) discounted at r
    (units as in ``black76_greeks_nb``). At or after expiry: intrinsic on the spot, zero greeks
    except delta. NaN ``atm_iv`` before expiry gives NaN price and greeks (the caller decides how to fill).
    """
    tenor_days = (expiry_s - t_s) / DAY_S
    t_years = max(tenor_days, 0.0) / 365.0
    fwd = forward_nb(spot, cfg.basis, t_years)
    disc = math.exp(-cfg.r * t_years)
    if tenor_days <= 0.0:
        sigma = 0.0
    else:
        sigma = model_vol_nb(cfg, atm_iv, tenor_days, math.log(strike / fwd), stress)
    price = black76_price_nb(fwd, strike, t_years, sigma, is_call, disc)
    delta, gamma, vega, theta = black76_greeks_nb(fwd, strike, t_years, sigma, is_call, disc)
    if tenor_days > 0.0 and not (sigma == sigma):
        return math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, fwd
    return price, delta, gamma, vega, theta, sigma, fwd
