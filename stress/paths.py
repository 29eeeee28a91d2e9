"""Full market paths for the engine: traded, mark and index OHLC with intrabar wicks, funding, IV.

Two ways in. ``from_returns``: a generated close-to-close return path plus wicks (bootstrap, GARCH,
jumps), started from the window's first open. ``scaled``: the window's own bars multiplied by per-bar
factors for open, high, low and close (shocks, named scenarios, cascades). Either way mark and index
keep the basis of the bar they come from, the window's time stamps, volumes and funding clock are
kept, and IV and funding respond to the price through ``iv_response`` and ``funding_response``.

Calibration (crisis-2025 data, ../shared/data/crisis-2025; docs/stress.md):
- IV: hourly Deribit DVOL rises 0.78 vol points per 1 % fall and falls 0.19 per 1 % rise (regression
  on Binance spot hourly returns, Sep 1 - Nov 12 2025); on Oct 10 the 21:00 bar's -10.7 % wick took
  the DVOL close from 43.3 to 58.8 (+1.46 points per 1 % of wick) and it was back at 45.3 an hour
  later: the wick spike is short-lived (half-life ``IV_SPIKE_HALF_LIFE_H``), the close response slow.
- Funding: after Oct 10 (-9 % over three days) the mean 8h rate went from 0.0070 % (Oct 1-10) to
  0.0002 % (Oct 11-25): about -7.5e-4 per unit of 3-day log return, clipped to the venue's +-0.75 %.
"""
from __future__ import annotations

import numpy as np

from hedgelab.data.arrays import MarketArrays
from hedgelab.stress.history import INDEX_FIELDS, MARK_FIELDS, PRICE_FIELDS, basis_ratio, carried

IV_DOWN = 0.78    # vol points per 1 % fall, i.e. +0.78 (decimal IV) per -1.0 log return
IV_UP = 0.19      # vol points lost per 1 % rise
IV_HALF_LIFE_H = 48.0        # how long the close response lasts (assumption; daily corr. -0.53)
IV_SPIKE = 1.46              # extra vol points at the close per 1 % of downside wick (Oct 10)
IV_SPIKE_HALF_LIFE_H = 1.0   # 58.8 -> 45.3 in the next hour
IV_FLOOR, IV_CAP = 0.05, 3.0
FUNDING_BETA = 7.5e-4        # change in the 8h rate per unit of 3-day log return
FUNDING_WINDOW_H = 72.0
FUNDING_CAP = 0.0075


def iv_response(iv_ref, excess_ret, wick_down, bar_seconds: int) -> np.ndarray:
    """IV = reference IV + a slow response to excess close returns + a fast spike on downside wicks."""
    n = len(iv_ref)
    hours = bar_seconds / 3600.0
    keep = 0.5 ** (hours / IV_HALF_LIFE_H)
    keep_spike = 0.5 ** (hours / IV_SPIKE_HALF_LIFE_H)
    slow = np.empty(n)
    spike = np.empty(n)
    s = x = 0.0
    for i in range(n):  # a short recursion over bars; paths are a few thousand bars
        e = excess_ret[i]
        x = x * keep + (-IV_DOWN * e if e < 0 else -IV_UP * e)
        s = s * keep_spike + IV_SPIKE * max(wick_down[i], 0.0)
        slow[i], spike[i] = x, s
    return np.clip(np.asarray(iv_ref) + slow + spike, IV_FLOOR, IV_CAP)


def funding_response(base_rate, excess_ret, bar_seconds: int) -> np.ndarray:
    """Settled rates (NaN off settlement bars) moved by the trailing 3-day excess log return."""
    w = max(int(round(FUNDING_WINDOW_H * 3600.0 / bar_seconds)), 1)
    c = np.concatenate([[0.0], np.cumsum(excess_ret)])
    trail = c[1:] - c[np.maximum(np.arange(1, len(c)) - w, 0)]
    return np.clip(np.asarray(base_rate) + FUNDING_BETA * trail, -FUNDING_CAP, FUNDING_CAP)


def from_returns(window: MarketArrays, log_ret, wick_down, wick_up, *, src=None, history=None,
                 iv=None, funding_rate=None) -> MarketArrays:
    """A path from close-to-close log returns (bar i: open_i = close_{i-1}) and wick sizes (log).

    ``src``: the history bar each bar was drawn from (its basis is used); None = the window's own.
    ``iv``/``funding_rate``: given, or the window's first IV / rates moved by ``iv_response`` /
    ``funding_response`` on the path's returns.
    """
    log_ret = np.asarray(log_ret, dtype=np.float64)
    open0 = float(window.open[0])
    close = open0 * np.exp(np.cumsum(log_ret))
    open_ = np.concatenate([[open0], close[:-1]])
    low = np.minimum(open_, close) * np.exp(-np.asarray(wick_down))
    high = np.maximum(open_, close) * np.exp(np.asarray(wick_up))
    traded = (open_, high, low, close)
    if src is None:
        mark_r, index_r = basis_ratio(window, MARK_FIELDS), basis_ratio(window, INDEX_FIELDS)
    else:
        mark_r, index_r = history.mark_ratio[:, src], history.index_ratio[:, src]
    bs = int(window.bar_seconds)
    if iv is None:
        iv = iv_response(np.full(len(close), carried_iv(window)[0]), log_ret, wick_down, bs)
    if funding_rate is None:
        funding_rate = funding_response(window.funding_rate, log_ret, bs)
    return _market(window, traded, mark_r, index_r, iv, funding_rate)


def scaled(window: MarketArrays, m_open, m_high, m_low, m_close, *, iv=None, funding_rate=None) -> MarketArrays:
    """The window's bars times per-bar factors (traded, mark and index alike), OHLC kept consistent.

    IV and funding respond to the excess close return and the excess downside wick over the window's own.
    """
    f = [np.asarray(x, dtype=np.float64) for x in (m_open, m_high, m_low, m_close)]
    fields = {}
    for names in (PRICE_FIELDS, MARK_FIELDS, INDEX_FIELDS):
        vals = [np.asarray(getattr(window, n), dtype=np.float64) * k for n, k in zip(names, f)]
        o, h, l, c = vals
        fields.update(zip(names, (o, np.maximum.reduce([h, o, c]), np.minimum.reduce([l, o, c]), c)))
    bs = int(window.bar_seconds)
    excess = np.zeros(len(f[3]))
    excess[0] = np.log(f[3][0])
    excess[1:] = np.diff(np.log(f[3]))
    base_wick = np.log(np.minimum(window.open, window.close) / window.low).clip(0)
    wick = np.log(np.minimum(fields["open"], fields["close"]) / fields["low"]).clip(0)
    if iv is None:
        iv = iv_response(carried_iv(window), excess, np.maximum(wick - base_wick, 0.0), bs)
    if funding_rate is None:
        funding_rate = funding_response(window.funding_rate, excess, bs)
    return window._replace(**fields, iv=np.asarray(iv, dtype=np.float64),
                           funding_rate=np.asarray(funding_rate, dtype=np.float64),
                           funding_price=np.full(len(f[3]), np.nan))


def carried_iv(window: MarketArrays) -> np.ndarray:
    """The window's IV with gaps carried forward (the first print before it; 0.5 without any)."""
    iv = carried(window.iv)
    ok = np.isfinite(iv)
    return np.where(ok, iv, iv[ok][0] if ok.any() else 0.5)


def _market(window, traded, mark_r, index_r, iv, funding_rate) -> MarketArrays:
    fields = dict(zip(PRICE_FIELDS, traded))
    for names, ratio in ((MARK_FIELDS, mark_r), (INDEX_FIELDS, index_r)):
        o, h, l, c = (t * r for t, r in zip(traded, ratio))
        fields.update(zip(names, (o, np.maximum.reduce([h, o, c]), np.minimum.reduce([l, o, c]), c)))
    n = len(traded[3])
    return window._replace(**fields, iv=np.asarray(iv, dtype=np.float64),
                           funding_rate=np.asarray(funding_rate, dtype=np.float64),
                           funding_price=np.full(n, np.nan))
