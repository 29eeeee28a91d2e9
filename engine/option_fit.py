"""Per-expiry smile fits from option-chain or trade IVs, without look-ahead.

Each fit uses the surface's smile shape with the stress terms off (``hedgelab.engine.nb.surface``):

    iv(x) = atm * (1 + skew * x + curv * (sqrt(x**2 + smooth**2) - smooth)),  x = ln(K/F) / sqrt(T_years)

solved by least squares in (atm, atm*skew, atm*curv) with a ridge penalty ``prior_weight`` pulling
skew and curv towards the config's calm values (a few noisy prints over a narrow strike range
cannot pin down a curvature). With fewer than 3 prints, or prints spanning less than ``min_x_span``
in x, only ``atm`` is fitted and skew/curv keep the calm values. A fit is stamped at the end of its
window and uses only prints known by then.
"""
import math

import numpy as np
from numpy.typing import ArrayLike
import pandas as pd

from hedgelab.engine.nb.option_config import OptionConfig
from hedgelab.core.errors import DataError

CHAIN_COLUMNS = ("time", "expiry", "strike", "forward", "iv")


def fit_smile(log_moneyness: ArrayLike, tenor_days: float, iv: ArrayLike, cfg: OptionConfig = OptionConfig(),
              min_x_span: float = 0.05, prior_weight: float = 0.05) -> tuple[float, float, float]:
    """(atm, skew, curv) of one expiry from IV prints at ln(K/F) = ``log_moneyness`` (arrays)."""
    k = np.asarray(log_moneyness, dtype=float)
    v = np.asarray(iv, dtype=float)
    ok = np.isfinite(k) & np.isfinite(v) & (v > 0)
    k, v = k[ok], v[ok]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    x = k / math.sqrt(max(tenor_days, cfg.t_min_days) / 365.0)
    h = np.sqrt(x * x + cfg.smooth ** 2) - cfg.smooth
    # atm only, with the calm smile: iv = atm * m(x)  ->  atm = sum(v m) / sum(m^2)
    m = 1.0 + cfg.skew * x + cfg.curv * h
    atm0 = float(np.sum(v * m) / np.sum(m * m))
    if len(v) >= 3 and np.ptp(x) >= min_x_span:
        w = math.sqrt(prior_weight)
        a = np.vstack([np.column_stack([np.ones_like(x), x, h]), [[0.0, w, 0.0], [0.0, 0.0, w]]])
        y = np.r_[v, w * atm0 * cfg.skew, w * atm0 * cfg.curv]
        (atm, b, c), *_ = np.linalg.lstsq(a, y, rcond=None)
        if atm > 0:
            return float(atm), float(b / atm), float(c / atm)
    return atm0, cfg.skew, cfg.curv


def fit_chain(chain: pd.DataFrame, window: str = "1h", cfg: OptionConfig = OptionConfig()) -> pd.DataFrame:
    """Smile fits per expiry and window from a chain of IV prints.

    ``chain`` columns: ``time`` (when the print is known, UTC), ``expiry`` (UTC), ``strike``,
    ``forward`` (USD; the underlying future or index if no future), ``iv`` (decimal). Returns one row
    per (window end, expiry) with prints: ``time`` (window end: the fit is known from then on),
    ``expiry``, ``atm``, ``skew``, ``curv``, ``n`` (prints used). Prints at or after the expiry are dropped.
    """
    missing = [c for c in CHAIN_COLUMNS if c not in chain.columns]
    if missing:
        raise DataError(f"option chain: missing column(s) {', '.join(missing)}")
    df = chain.loc[:, list(CHAIN_COLUMNS)].copy()
    df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    df["expiry"] = pd.to_datetime(df["expiry"], utc=True, format="ISO8601")
    bad_iv = df.index[df["iv"] > 5.0]
    if len(bad_iv):
        raise DataError(f"option chain: row {bad_iv[0]}, column iv: {df.loc[bad_iv[0], 'iv']:g} looks like a "
                        "percentage; IVs are decimals")
    df = df[df["time"] < df["expiry"]]
    step = pd.Timedelta(window)
    # a print at time t belongs to the window (end - step, end]: known by the window end
    df["end"] = (df["time"] - pd.Timedelta(1, "ns")).dt.floor(step) + step
    rows = []
    for (end, expiry), g in df.groupby(["end", "expiry"], sort=True):
        days = (expiry - end).total_seconds() / 86400.0
        if days <= 0:
            continue
        atm, skew, curv = fit_smile(np.log(g["strike"] / g["forward"]), days, g["iv"], cfg)
        rows.append((end, expiry, atm, skew, curv, len(g)))
    return pd.DataFrame(rows, columns=["time", "expiry", "atm", "skew", "curv", "n"])
