"""Vectorised feature helpers for ``Strategy.prepare`` (numpy; row i uses only data known at bar i's
close)."""
import math

import numpy as np


def realized_vol(close, window, bar_seconds):
    """Annualised (365 d) std of the last ``window`` log returns, NaN until there are ``window``."""
    r = np.diff(np.log(np.asarray(close, dtype=np.float64)), prepend=np.nan)
    out = np.full(len(r), np.nan)
    if len(r) > window:
        view = np.lib.stride_tricks.sliding_window_view(r[1:], window)
        out[window:] = view.std(axis=1, ddof=1)
    return out * math.sqrt(365 * 86400 / bar_seconds)


def mean_of_last_settlements(rate, window):
    """Per bar, the mean of the last ``window`` settled rates (a settlement is known from its bar)."""
    rate = np.asarray(rate, dtype=np.float64)
    settled = np.flatnonzero(~np.isnan(rate))
    out = np.full(len(rate), np.nan)
    if len(settled) == 0:
        return out
    csum = np.concatenate([[0.0], np.cumsum(rate[settled])])
    k = np.arange(1, len(settled) + 1)
    lo = np.maximum(k - window, 0)
    means = (csum[k] - csum[lo]) / (k - lo)
    count = np.cumsum(~np.isnan(rate))  # settlements up to and including bar i
    have = count > 0
    out[have] = means[count[have] - 1]
    return out


def rolling_beta(close, reference, window, min_bars=24):
    """Per bar, the beta of ``close``'s log returns on ``reference``'s over the last ``window`` returns
    (fewer while fewer are known, from ``min_bars``; NaN before): cov / var, known at the bar's close."""
    r = np.diff(np.log(np.asarray(close, dtype=np.float64)), prepend=np.nan)
    x = np.diff(np.log(np.asarray(reference, dtype=np.float64)), prepend=np.nan)
    r[0] = x[0] = 0.0
    csum = [np.concatenate([[0.0], np.cumsum(a)]) for a in (x, r, x * r, x * x)]
    k = np.arange(1, len(r) + 1)
    lo = np.maximum(k - window, 1)        # returns 1..k-1 (the first bar has none)
    cnt = (k - lo).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sx, sr, sxr, sxx = ((c[k] - c[lo]) for c in csum)
        cov = sxr - sx * sr / cnt
        var = sxx - sx * sx / cnt
        beta = np.where((cnt >= min_bars) & (var > 0.0), cov / var, np.nan)
    return beta
