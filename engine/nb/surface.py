"""Parametric implied-vol surface sigma(t, expiry, strike) anchored on a 30-day ATM level (e.g. DVOL).

Shape (all vols decimal, tenors in calendar days, k = ln(K/F)):

    atm(T)    = atm_iv * atm_scale * (max(T, t_min_days) / 30) ** (term_slope + term_stress * stress)
    x         = k / sqrt(T_years)                       # log-moneyness per sqrt(year): a delta-like distance
    m(x)      = 1 + s * x + curv * (sqrt(x**2 + smooth**2) - smooth)
    s         = skew + skew_stress * stress             # skew < 0: puts (x < 0) above ATM
    sigma     = clip(atm(T) * max(m(x), m_floor), vol_floor, vol_cap)

- ``atm_iv`` is the 30-day ATM level the data provides (DVOL/100). DVOL is a variance-swap style index,
  a little above ATM vol when the smile is convex; ``atm_scale`` (default 1.0) can take that out.
- Term structure: a power law in tenor around 30 days. ``term_slope`` > 0 is the calm, upward sloping
  curve; ``term_stress`` < 0 flattens then inverts it under stress (short-dated vol jumps most in a
  sell-off). Tenors below ``t_min_days`` use the ``t_min_days`` level (no blow-up near expiry).
- Smile: at the money m = 1 and the surface returns the ATM level exactly. The hyperbola term is a
  smooth V (SVI-like: linear wings, curvature ``curv / smooth`` at the money). Wing slopes in x are
  ``curv - s`` on the put side and ``curv + s`` on the call side.
- ``stress`` in [0, 1] comes from recent market drawdown/returns (``hedgelab.engine.options.stress_series``),
  known at each bar close; put skew steepens (s more negative) as the market falls.
- ``m_floor`` and the vol clip keep the call wing positive and the deep wings finite. The default cap
  (10) never binds on listed strikes: a binding cap puts a concave kink in call prices (negative
  density); the floor kink on the call wing is convex and harmless. With the defaults, call prices
  are convex in strike and total variance rises with tenor (tests check both on a grid).
"""
import math

import numpy as np
from numba import njit

from hedgelab.engine.nb.option_config import OptCfg


@njit(cache=True, nogil=True)
def atm_term_vol_nb(atm_iv, tenor_days, stress, term_slope, term_stress, t_min_days, atm_scale=1.0):
    """ATM vol (decimal) at ``tenor_days`` from the 30-day ATM level ``atm_iv`` (decimal)."""
    t = max(tenor_days, t_min_days)
    return atm_iv * atm_scale * (t / 30.0) ** (term_slope + term_stress * stress)


@njit(cache=True, nogil=True)
def smile_mult_nb(x, stress, skew, skew_stress, curv, smooth, m_floor):
    """Smile multiplier m(x) of the ATM vol, x = ln(K/F)/sqrt(T_years); m(0) = 1."""
    s = skew + skew_stress * stress
    m = 1.0 + s * x + curv * (math.sqrt(x * x + smooth * smooth) - smooth)
    return max(m, m_floor)


@njit(cache=True, nogil=True)
def surface_vol_nb(atm_iv, tenor_days, log_moneyness, stress,
                   term_slope=0.05, term_stress=-0.15, t_min_days=1.0,
                   skew=-0.05, skew_stress=-0.30, curv=0.10, smooth=0.20, m_floor=0.5,
                   vol_floor=0.05, vol_cap=10.0, atm_scale=1.0):
    """Vol (decimal) for an option ``tenor_days`` calendar days out at ln(K/F) = ``log_moneyness``.

    ``atm_iv``: 30-day ATM level (decimal, e.g. DVOL/100); ``stress`` in [0, 1]. NaN ``atm_iv`` gives NaN.
    Defaults as in ``hedgelab.engine.options.OptionConfig`` (see the module docstring for the shape).
    """
    if not (atm_iv > 0.0):
        return math.nan
    st = min(max(stress, 0.0), 1.0) if stress == stress else 0.0
    atm = atm_term_vol_nb(atm_iv, tenor_days, st, term_slope, term_stress, t_min_days, atm_scale)
    t_years = max(tenor_days, t_min_days) / 365.0
    x = log_moneyness / math.sqrt(t_years)
    vol = atm * smile_mult_nb(x, st, skew, skew_stress, curv, smooth, m_floor)
    return min(max(vol, vol_floor), vol_cap)


@njit(cache=True, nogil=True)
def model_vol_nb(cfg, atm_iv, tenor_days, log_moneyness, stress):
    """``surface_vol_nb`` with its parameters read from ``cfg``: an ``OptionConfig`` or its
    ``to_array()`` (float64, indexed by ``OptCfg``)."""
    return surface_vol_nb(atm_iv, tenor_days, log_moneyness, stress,
                          cfg[OptCfg.TERM_SLOPE], cfg[OptCfg.TERM_STRESS], cfg[OptCfg.T_MIN_DAYS],
                          cfg[OptCfg.SKEW], cfg[OptCfg.SKEW_STRESS], cfg[OptCfg.CURV], cfg[OptCfg.SMOOTH],
                          cfg[OptCfg.M_FLOOR], cfg[OptCfg.VOL_FLOOR], cfg[OptCfg.VOL_CAP], cfg[OptCfg.ATM_SCALE])


@njit(cache=True, nogil=True)
def fitted_vol_nb(atm, skew, curv, smooth, tenor_days, log_moneyness, t_min_days=1.0, m_floor=0.5,
                  vol_floor=0.05, vol_cap=10.0):
    """Vol from a per-expiry fit (``hedgelab.engine.option_fit``): the smile above with stress 0."""
    x = log_moneyness / math.sqrt(max(tenor_days, t_min_days) / 365.0)
    vol = atm * smile_mult_nb(x, 0.0, skew, 0.0, curv, smooth, m_floor)
    return min(max(vol, vol_floor), vol_cap)


@njit(cache=True, nogil=True)
def stress_1d_nb(close, dd_bars, ret_bars, dd_scale, ret_scale):
    """Per-bar stress in [0, 1] from closes known at each bar close (no look-ahead).

    stress_i = clip(max(dd_i / dd_scale, -ret_i / ret_scale), 0, 1), dd_i = 1 - c_i / max(c over the
    last ``dd_bars`` bars, i included), ret_i = c_i / c_(i - ret_bars) - 1 (0 before ``ret_bars`` bars).
    NaN closes carry the last valid close forward. O(n): the running max uses a monotonic queue.
    """
    n = close.shape[0]
    out = np.zeros(n)
    c = np.empty(n)
    last = np.nan
    for i in range(n):
        if close[i] == close[i]:
            last = close[i]
        c[i] = last
    q = np.empty(n, dtype=np.int64)  # indices of a decreasing run of closes inside the window
    head = 0
    tail = 0
    for i in range(n):
        if not (c[i] == c[i]):
            continue
        while tail > head and c[q[tail - 1]] <= c[i]:
            tail -= 1
        q[tail] = i
        tail += 1
        while q[head] <= i - dd_bars:
            head += 1
        dd = 1.0 - c[i] / c[q[head]]
        ret = 0.0
        if i >= ret_bars and c[i - ret_bars] == c[i - ret_bars]:
            ret = c[i] / c[i - ret_bars] - 1.0
        out[i] = min(max(max(dd / dd_scale, -ret / ret_scale), 0.0), 1.0)
    return out
