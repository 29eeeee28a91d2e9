"""Options on the Python side: configuration, listing calendar, stress input, input validation.

The numba kernels live in ``engine/nb/`` (black76, surface, option_calendar, option_rules,
option_leg, option_config); this module re-exports ``OptionConfig`` (what the kernel is given) and
holds the pandas-facing helpers. Defaults follow Deribit BTC options (spec sheet §5).
"""
import math
import numbers

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import pandas as pd

from hedgelab.engine.nb.option_calendar import listed_expiries_nb, round_strike_nb, strike_step_nb
from hedgelab.engine.nb.option_config import OptCfg, OptionConfig  # noqa: F401  (re-exported)
from hedgelab.engine.nb.surface import stress_1d_nb
from hedgelab.core.errors import UserError

MAX_DECIMAL_IV = 5.0  # an IV above 500% is taken as a percentage typed by mistake (60 for 0.6)


def _epoch_s(t: Any, name: str = "time") -> float:
    try:
        ts = pd.Timestamp(t)
    except (ValueError, TypeError):
        raise UserError(f"{name}: cannot read {t!r} as a UTC time (e.g. 2025-10-31T08:00Z)") from None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.timestamp()


def listed_expiries(t: Any, cfg: OptionConfig = OptionConfig()) -> list[pd.Timestamp]:
    """Expiries (08:00 UTC, tz-aware) listed at time ``t`` under the calendar rules of ``cfg``."""
    exps = listed_expiries_nb(_epoch_s(t), cfg.n_daily, cfg.n_weekly, cfg.n_monthly, cfg.n_quarterly)
    return [pd.Timestamp(int(e), unit="s", tz="UTC") for e in exps]


def strike_step(expiry: Any, t: Any, cfg: OptionConfig = OptionConfig()) -> float:
    """Strike grid step (USD) of ``expiry`` as listed at ``t``."""
    return strike_step_nb(_epoch_s(expiry), _epoch_s(t), cfg.step_near, cfg.step_far, cfg.n_weekly)


def check_strike(strike: float, expiry: Any, t: Any, cfg: OptionConfig = OptionConfig(), *, snap: bool = False) -> float:
    """The strike if it is on the grid of ``expiry`` at ``t``; off the grid: UserError, or the
    nearest grid strike when ``snap`` (half-way rounds up)."""
    check_positive("strike", strike)
    t_s, e_s = _epoch_s(t, "at"), _epoch_s(expiry, "expiry")
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
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
        raise UserError(f"{name}: must be a positive number, got {value!r}")
    return float(value)


def check_iv(iv: float, name: str = "iv") -> float:
    """A decimal implied vol (0.6 for 60%); 60 instead of 0.6 is rejected with a hint."""
    check_positive(name, iv)
    if iv > MAX_DECIMAL_IV:
        raise UserError(f"{name}: {iv:g} looks like a percentage; give vols as decimals "
                        f"(e.g. {iv / 100:g} for {iv:g}%)")
    return float(iv)


def stress_series(close: ArrayLike, bar_seconds: float = 3600.0, cfg: OptionConfig = OptionConfig()) -> np.ndarray:
    """Per-bar stress in [0, 1] for the surface's skew and term structure, known at each bar close.

    stress_i = clip(max(dd_i / dd_scale, -ret_i / ret_scale), 0, 1), with
    dd_i = 1 - close_i / max(close over the last ``stress_dd_hours``, bar i included) and
    ret_i = close_i / close_(i - ret_hours) - 1 (0 until enough history). Only closes up to bar i
    are used (no look-ahead). NaN closes carry the last close forward (stress 0 before the first).
    The kernel ``stress_1d_nb`` does the work (also callable per simulated path inside numba).
    """
    dd_bars = max(int(round(cfg.stress_dd_hours * 3600.0 / bar_seconds)), 1)
    ret_bars = max(int(round(cfg.stress_ret_hours * 3600.0 / bar_seconds)), 1)
    return stress_1d_nb(np.ascontiguousarray(close, dtype=np.float64), dd_bars, ret_bars,
                        cfg.stress_dd_scale, cfg.stress_ret_scale)


def validate_option_config(cfg: OptionConfig) -> OptionConfig:
    """``cfg`` if every setting is usable, else a UserError naming the setting."""
    for name, v in zip(cfg._fields, cfg):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise UserError(f"options.{name}: must be a finite number, got {v!r}")
    if cfg.inverse not in (0.0, 1.0):
        raise UserError(f"options.inverse: 1 (inverse, BTC-settled) or 0 (linear), got {cfg.inverse!r}")
    for name in ("fee_rate", "delivery_fee_rate"):
        if not 0.0 <= getattr(cfg, name) < 0.01:
            raise UserError(f"options.{name}: a decimal fraction of the underlying (0.0003 = 0.03%), "
                            f"got {getattr(cfg, name)!r}")
    for name in ("fee_cap", "delivery_fee_cap"):
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise UserError(f"options.{name}: a fraction of the option price in [0, 1], got {getattr(cfg, name)!r}")
    for name in ("spread_base", "spread_vol", "spread_short", "spread_min_btc", "im_otm", "im_min", "mm_base",
                 "t_min_days", "smooth", "m_floor", "curv"):
        if getattr(cfg, name) < 0.0:
            raise UserError(f"options.{name}: must be >= 0, got {getattr(cfg, name)!r}")
    for name in ("atm_scale", "vol_floor", "step_near", "step_far", "twap_seconds", "stress_dd_hours",
                 "stress_dd_scale", "stress_ret_hours", "stress_ret_scale"):
        if getattr(cfg, name) <= 0.0:
            raise UserError(f"options.{name}: must be > 0, got {getattr(cfg, name)!r}")
    if cfg.vol_floor >= cfg.vol_cap:
        raise UserError(f"options.vol_floor: {cfg.vol_floor!r} must be below vol_cap {cfg.vol_cap!r}")
    for name in ("n_daily", "n_weekly", "n_monthly", "n_quarterly"):
        v = getattr(cfg, name)
        if v < 0 or v != int(v) or v > 12:
            raise UserError(f"options.{name}: a whole number of listed expiries in 0..12, got {v!r}")
    if cfg.n_daily + cfg.n_weekly + cfg.n_monthly + cfg.n_quarterly < 1:
        raise UserError("options.n_daily: at least one expiry must be listed")
    return cfg


def describe_options(cfg: OptionConfig = OptionConfig(), bar_seconds: float = 3600.0) -> list[str]:
    """The option model's rules as one-line notes, for results and reports."""
    if bar_seconds <= cfg.twap_seconds:
        delivery = (f"delivery price = mean of the index closes of the {int(cfg.twap_seconds // bar_seconds)} "
                    f"bars closing in the {cfg.twap_seconds / 60:g} min before 08:00 UTC (Deribit: 30-min TWAP)")
    elif 28_800 % int(bar_seconds) == 0:
        delivery = ("delivery price = mean of the index close of the bar ending at 08:00 UTC and the open of the "
                    "08:00 bar (approximates Deribit's 30-min TWAP from bars longer than 30 min)")
    else:
        delivery = ("delivery price = index interpolated linearly between the open and close of the bar "
                    "containing 08:00 UTC (bars not aligned to 08:00; a rough stand-in for the 30-min TWAP)")
    flavour = "inverse (BTC-settled, Deribit)" if cfg.inverse else "linear (USD-settled)"
    return [
        f"options: European, {flavour}; Black-76 on F = index * exp({cfg.basis:g} T), discount r = {cfg.r:g}",
        f"surface: atm(T) = ATM30 * {cfg.atm_scale:g} * (T/30d)^({cfg.term_slope:g} {cfg.term_stress:+g} stress); "
        f"smile m(x) = 1 + ({cfg.skew:g} {cfg.skew_stress:+g} stress) x + {cfg.curv:g} (sqrt(x^2 + "
        f"{cfg.smooth:g}^2) - {cfg.smooth:g}), x = ln(K/F)/sqrt(T); "
        f"vol clipped to [{cfg.vol_floor:g}, {cfg.vol_cap:g}]",
        f"stress = clip(max(drawdown over {cfg.stress_dd_hours:g} h / {cfg.stress_dd_scale:g}, "
        f"-return over {cfg.stress_ret_hours:g} h / {cfg.stress_ret_scale:g}), 0, 1) from index closes",
        f"fills: buy at the ask, sell at the bid; half spread = mid * ({cfg.spread_base:g} + {cfg.spread_vol:g} sigma)"
        f" * (1 + {cfg.spread_short:g}/sqrt(days)), at least {cfg.spread_min_btc:g} BTC",
        f"fees: {cfg.fee_rate:.4%} of the underlying capped at {cfg.fee_cap:.1%} of the price; delivery "
        f"{cfg.delivery_fee_rate:.4%} capped at {cfg.delivery_fee_cap:.1%} of the value",
        delivery,
        f"listing: next {cfg.n_daily:g} dailies, {cfg.n_weekly:g} Friday weeklies, {cfg.n_monthly:g} monthlies, "
        f"{cfg.n_quarterly:g} quarterlies at 08:00 UTC; strikes every {cfg.step_near:g} USD up to the last "
        f"weekly, {cfg.step_far:g} beyond",
        "short options: Deribit standard margin (spec sheet §5), converted to USD at the index",
    ]
