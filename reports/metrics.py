"""Pure performance metrics over an equity curve and an event log (empyrical style).

Definitions (all returns are decimals, annualization uses 365 days):
- daily returns: equity at each UTC day's last bar over the previous day's; the first day is measured from
  the first equity value. Equity is floored at 0 for returns (a margin account cannot lose more than its
  balance; losses beyond it belong to the insurance fund), and a day that starts at 0 returns 0.
- max_drawdown: the worst peak-to-trough fall of the full-resolution equity curve (floored at 0 like the
  returns, so it lies in [-1, 0]), a negative decimal; a run's peak starts at its capital, as in the
  engine's summary-only figure, which equals it bit for bit.
- sharpe: mean / sample std (ddof=1) of daily returns * sqrt(365), risk-free 0; NaN when undefined, and
  NaN for a ruined run (equity down to RUIN_SHARE of its capital or less): a ratio of mean to spread of
  returns says nothing of a run that lost everything (a 10x long liquidated to 80 USD scored -0.84, "better"
  than holding's -1.46).
- funding_pnl: sum of ``funding`` amounts (+ received).  fees: -sum of fee amounts (positive = paid);
  a fee is kind ``fee`` or any kind ending in ``_fee``.
- option_pnl: sum of ``option_*`` amounts that are not fees: premiums paid/received and settlement
  payoffs, i.e. realized option cash; an option still open at the end is not valued here (its value is in
  equity). Option fees count in ``fees``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

PERIODS_PER_YEAR = 365
RUIN_SHARE = 0.01   # equity at or below 1 % of the capital: the run is ruined


def ruined(equity: pd.Series, capital: float) -> bool:
    """Equity fell to RUIN_SHARE of ``capital`` or below at some bar."""
    return len(equity) > 0 and float(equity.min()) <= RUIN_SHARE * float(capital)


def total_return(equity: pd.Series, start_value: float | None = None) -> float:
    """Final equity over ``start_value`` (default: the first equity value) minus 1."""
    if len(equity) == 0:
        return float("nan")
    start = float(equity.iloc[0]) if start_value is None else float(start_value)
    if start == 0:
        return float("nan")
    return float(equity.iloc[-1]) / start - 1.0


def drawdown(equity: pd.Series) -> pd.Series:
    """Fall from the running peak at each bar, a decimal <= 0."""
    eq = equity.astype("float64").clip(lower=0.0)
    peak = eq.cummax()
    # before the curve has ever been positive there is no peak to fall from
    return (eq / peak - 1.0).where(peak > 0, 0.0)


def max_drawdown(equity: pd.Series, start_value: float | None = None) -> float:
    """Worst fall from the running peak, a decimal in [-1, 0]; the peak starts at ``start_value`` (the
    capital, so a fee paid on the first bar is already a fall) or, without it, at the first equity value.

    The engine's summary-only figure (``Sum.MAX_DRAWDOWN``) is computed in the kernel with the same
    operations in the same order (equity floored at 0, e / peak - 1), so the two agree bit for bit.
    """
    if len(equity) == 0:
        return float("nan")
    eq = np.maximum(equity.to_numpy(dtype="float64"), 0.0)
    if start_value is not None:
        eq = np.concatenate([[float(start_value)], eq])
    peak = np.maximum.accumulate(eq)
    # before the curve has ever been positive there is no peak to fall from
    fall = np.where(peak > 0, eq / np.where(peak > 0, peak, 1.0) - 1.0, 0.0)
    return float(min(fall.min(), 0.0))


def daily_returns(equity: pd.Series) -> pd.Series:
    """Returns per UTC calendar day (index: day start, UTC)."""
    if len(equity) == 0:
        return pd.Series(dtype="float64")
    eq = equity.astype("float64").clip(lower=0.0)
    idx = eq.index
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    else:
        idx = idx.tz_convert("UTC")
    eq = pd.Series(eq.to_numpy(), index=idx)
    closes = eq.resample("1D").last().ffill()
    prev = closes.shift(1)
    prev.iloc[0] = eq.iloc[0]
    ret = np.where(prev.to_numpy() > 0, closes.to_numpy() / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    return pd.Series(ret, index=closes.index, name="daily_return")


def worst_day(equity: pd.Series) -> float:
    r = daily_returns(equity)
    return float(r.min()) if len(r) else float("nan")


def sharpe(returns: pd.Series, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    r = returns.dropna().to_numpy(dtype="float64")
    if len(r) < 2:
        return float("nan")
    sd = r.std(ddof=1)
    if not np.isfinite(sd) or sd <= 1e-15:
        return float("nan")
    return float(r.mean() / sd * math.sqrt(periods_per_year))


def annual_volatility(returns: pd.Series, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    r = returns.dropna().to_numpy(dtype="float64")
    if len(r) < 2:
        return float("nan")
    return float(r.std(ddof=1) * math.sqrt(periods_per_year))


def cagr(equity: pd.Series, start_value: float | None = None) -> float:
    """Compound annual growth over the curve's calendar span (365-day years)."""
    if len(equity) < 2:
        return float("nan")
    years = (equity.index[-1] - equity.index[0]).total_seconds() / (365 * 86400)
    growth = 1.0 + total_return(equity, start_value)
    if years <= 0 or not np.isfinite(growth):
        return float("nan")
    if growth <= 0:
        return -1.0
    return float(growth ** (1.0 / years) - 1.0)


# ---- event-based metrics -------------------------------------------------------------------------------

def _kinds(events: pd.DataFrame | None) -> pd.Series:
    if events is None or len(events) == 0:
        return pd.Series(dtype="object")
    return events["kind"].astype(str)


def _amounts(events: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(events["amount"], errors="coerce").fillna(0.0)


def is_fee_kind(kind: pd.Series) -> pd.Series:
    return (kind == "fee") | kind.str.endswith("_fee")


def liquidations(events: pd.DataFrame | None) -> int:
    return int((_kinds(events) == "liquidation").sum())


def funding_pnl(events: pd.DataFrame | None) -> float:
    k = _kinds(events)
    return float(_amounts(events)[k == "funding"].sum()) if len(k) else 0.0


def fees(events: pd.DataFrame | None) -> float:
    k = _kinds(events)
    return float(-_amounts(events)[is_fee_kind(k)].sum()) if len(k) else 0.0


def option_pnl(events: pd.DataFrame | None) -> float:
    k = _kinds(events)
    if not len(k):
        return 0.0
    mask = k.str.startswith("option_") & ~is_fee_kind(k)
    return float(_amounts(events)[mask].sum())
