"""Options on the Python side: configuration, listing calendar, stress input, input validation.

The numba kernels live in ``engine/nb/`` (black76, surface, option_calendar, option_rules,
option_mark); this module holds what the kernel is given (``OptionConfig``) and the pandas-facing
helpers. Defaults follow Deribit BTC options (spec sheet §5).
"""
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from hedgelab.engine.nb.option_calendar import listed_expiries_nb, round_strike_nb, strike_step_nb
from hedgelab.errors import UserError

MAX_DECIMAL_IV = 5.0  # an IV above 500% is taken as a percentage typed by mistake (60 for 0.6)


class OptionConfig(NamedTuple):
    """Option venue and model settings, all floats so a kernel can take the tuple as is."""
    inverse: float = 1.0            # 1: Deribit inverse (BTC-settled); 0: linear USD(C)-settled
    r: float = 0.0                  # discount rate (annual, continuous); ~0 for Deribit inverse
    basis: float = 0.0              # forward basis over the index (annual, continuous): F = S e^(basis T)
    fee_rate: float = 0.0003        # trading fee, fraction of the underlying per contract
    fee_cap: float = 0.125          # ... capped at this fraction of the option price
    delivery_fee_rate: float = 0.00015  # delivery fee, fraction of the underlying
    delivery_fee_cap: float = 0.125     # ... capped at this fraction of the option value
    spread_base: float = 0.01       # half spread as a fraction of the model price, at zero vol
    spread_vol: float = 0.02        # ... plus this times sigma
    spread_short: float = 0.5       # ... times (1 + spread_short / sqrt(days to expiry))
    spread_min_btc: float = 0.0001  # minimum half spread in BTC (one Deribit tick)
    im_otm: float = 0.15            # short-option initial margin: max(im_otm - OTM/S, im_min) + mark
    im_min: float = 0.10
    mm_base: float = 0.075          # short-option maintenance margin base (BTC per contract)
    atm_scale: float = 1.0          # 30-day ATM vol = atm_iv * atm_scale (DVOL -> ATM)
    term_slope: float = 0.05        # ATM term structure power law (T/30d)^slope in calm markets
    term_stress: float = -0.15      # ... slope change at stress 1 (inverts the curve in a sell-off)
    t_min_days: float = 1.0         # tenors below this use this tenor's vol
    skew: float = -0.05             # smile slope in x = ln(K/F)/sqrt(T) in calm markets
    skew_stress: float = -0.30      # ... added at stress 1 (put skew steepens)
    curv: float = 0.10              # smile curvature (wing slope of the hyperbola)
    smooth: float = 0.20            # width of the smile's rounded bottom in x
    m_floor: float = 0.5            # smallest smile multiplier of the ATM vol
    vol_floor: float = 0.05         # surface vol clip (decimal)
    vol_cap: float = 3.0
    n_daily: float = 3.0            # listed expiries: next n dailies, weeklies, monthlies, quarterlies
    n_weekly: float = 4.0
    n_monthly: float = 3.0
    n_quarterly: float = 3.0
    step_near: float = 500.0        # strike step (USD) up to the last listed weekly
    step_far: float = 1000.0        # strike step beyond
    twap_seconds: float = 1800.0    # delivery price window before 08:00 UTC
    stress_dd_hours: float = 168.0  # stress: drawdown from the running max over this window ...
    stress_dd_scale: float = 0.20   # ... divided by this (a 20% drawdown is full stress)
    stress_ret_hours: float = 24.0  # stress: fall over this window ...
    stress_ret_scale: float = 0.10  # ... divided by this (a 10% fall is full stress)


def _epoch_s(t) -> float:
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.timestamp()


def listed_expiries(t, cfg: OptionConfig = OptionConfig()) -> list[pd.Timestamp]:
    """Expiries (08:00 UTC, tz-aware) listed at time ``t`` under the calendar rules of ``cfg``."""
    exps = listed_expiries_nb(_epoch_s(t), cfg.n_daily, cfg.n_weekly, cfg.n_monthly, cfg.n_quarterly)
    return [pd.Timestamp(int(e), unit="s", tz="UTC") for e in exps]


def strike_step(expiry, t, cfg: OptionConfig = OptionConfig()) -> float:
    """Strike grid step (USD) of ``expiry`` as listed at ``t``."""
    return strike_step_nb(_epoch_s(expiry), _epoch_s(t), cfg.step_near, cfg.step_far, cfg.n_weekly)


def check_strike(strike: float, expiry, t, cfg: OptionConfig = OptionConfig(), *, snap: bool = False) -> float:
    """The strike if it is on the grid of ``expiry`` at ``t``; off the grid: UserError, or the
    nearest grid strike when ``snap`` (half-way rounds up)."""
    check_positive("strike", strike)
    t_s, e_s = _epoch_s(t), _epoch_s(expiry)
    if e_s <= t_s:
        raise UserError(f"expiry: {pd.Timestamp(expiry)} is not after the valuation time {pd.Timestamp(t)}")
    snapped = round_strike_nb(strike, e_s, t_s, cfg.step_near, cfg.step_far, cfg.n_weekly)
    if abs(snapped - strike) > 1e-9 and not snap:
        step = strike_step_nb(e_s, t_s, cfg.step_near, cfg.step_far, cfg.n_weekly)
        raise UserError(f"strike: {strike:g} is off the {step:g} USD grid of this expiry "
                        f"(nearest listed strike {snapped:g})")
    return snapped


def check_positive(name: str, value: float) -> float:
    """``value`` if finite and > 0, else a UserError naming the parameter."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise UserError(f"{name}: must be a positive number, got {value!r}")
    return float(value)


def check_iv(iv: float, name: str = "iv") -> float:
    """A decimal implied vol (0.6 for 60%); 60 instead of 0.6 is rejected with a hint."""
    check_positive(name, iv)
    if iv > MAX_DECIMAL_IV:
        raise UserError(f"{name}: {iv:g} looks like a percentage; give vols as decimals "
                        f"(e.g. {iv / 100:g} for {iv:g}%)")
    return float(iv)


def stress_series(close, bar_seconds: float = 3600.0, cfg: OptionConfig = OptionConfig()) -> np.ndarray:
    """Per-bar stress in [0, 1] for the surface's skew and term structure, known at each bar close.

    stress_i = clip(max(dd_i / dd_scale, -ret_i / ret_scale), 0, 1), with
    dd_i = 1 - close_i / max(close over the last ``stress_dd_hours``, bar i included) and
    ret_i = close_i / close_(i - ret_hours) - 1 (0 until enough history). Only closes up to bar i
    are used (no look-ahead). NaN closes carry the last stress forward (0 at the start).
    """
    c = np.asarray(close, dtype=float)
    s = pd.Series(c).ffill()
    dd_bars = max(int(round(cfg.stress_dd_hours * 3600.0 / bar_seconds)), 1)
    ret_bars = max(int(round(cfg.stress_ret_hours * 3600.0 / bar_seconds)), 1)
    peak = s.rolling(dd_bars, min_periods=1).max()
    dd = (1.0 - s / peak).fillna(0.0)
    ret = (s / s.shift(ret_bars) - 1.0).fillna(0.0)
    stress = np.maximum(dd / cfg.stress_dd_scale, -ret / cfg.stress_ret_scale)
    return np.clip(stress.to_numpy(), 0.0, 1.0)
