"""Option settings handed to the kernels: ``OptionConfig`` (NamedTuple of floats) and its index enum.

Kernels read a setting as ``cfg[OptCfg.SKEW]``; that works on the NamedTuple itself and on the
float64 array ``OptionConfig().to_array()`` (same order), so a kernel compiled with an explicit
signature can take ``float64[::1]``. Defaults follow Deribit BTC options (spec sheet §5).
"""
from collections import namedtuple
from typing import NamedTuple

import numpy as np


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
    vol_cap: float = 10.0           # never binds on listed strikes (a binding cap is a concave kink)
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


    def to_array(self) -> np.ndarray:
        """The settings as a float64 array in field order (index it with ``OptCfg``)."""
        return np.array(self, dtype=np.float64)


# OptCfg.SKEW == index of ``skew`` in OptionConfig; a NamedTuple instance is a compile-time constant in numba.
OptCfgT = namedtuple("OptCfgT", [f.upper() for f in OptionConfig._fields] + ["N"])
OptCfg = OptCfgT(*range(len(OptionConfig._fields) + 1))
