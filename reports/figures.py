"""The figures every output shows, each defined once: what a run paid (funding, fees, options net), its
hedge cost, whether it held a hedge and whether it was market-neutral.

The terminal table, report.html, summary.csv, ``Result.summary``, the stress tables and the tearsheets
all take these numbers from here (through ``reports/summary.run_row`` or these functions), so one run
never shows two different hedge costs.

**Sign convention (one for every cost-like figure):** USD *paid*, + = paid, - = earned or received.
The names say it: ``funding_paid_usd``, ``fees_paid_usd``, ``options_net_paid_usd``, ``hedge_cost_usd``.
(Events are not costs: their ``amount`` stays a cash flow to the account, + received.)

- ``funding_paid_usd``: funding paid minus funding received.
- ``fees_paid_usd``: trading, option and liquidation fees paid.
- ``options_net_paid_usd``: option premiums paid minus premiums received minus settlement payoffs
  (realized option cash; an option still open at the end is in equity, not here).
- ``hedge_cost_usd``: funding + fees + options net, for a run that **held a hedge** (a short perp while
  long BTC, or options); empty (NaN) for a run that held none: sizing or deleveraging reduces exposure,
  it does not hedge it, and the fees of a plain long are not the price of a hedge. A summary-only run
  (big sweeps keep no positions) cannot tell: its hedge cost is the same sum, and its ``hedge`` says
  ``unknown``.
- **market-neutral**: over the bars where the run held anything, the mean net delta (spot + perp, BTC;
  for a basket the coins' USD exposure) is within ``NEUTRAL_SHARE`` (5 %) of the mean long leg (the long
  positions alone) in size. Such a run earns carry rather than protecting a long, so a comparison of
  strategies ranks it in a group of its own. A sweep (one strategy, several parameter sets) is ranked as
  one list, its market-neutral sets flagged: a summary-only sweep keeps no positions to tell, and its
  ranking must not depend on the mode. Option deltas are not in the engine's output and are not counted.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import metrics as m
from .run import RunRecord

NEUTRAL_SHARE = 0.05   # |mean net delta| below this share of the mean long leg: market-neutral
UNKNOWN = "unknown"    # ``hedge`` of a summary-only run: its positions were not kept
NO_HEDGE = "none"

SIGN_NOTE = ("Costs are USD paid: + = paid, - = earned or received (funding_paid_usd, fees_paid_usd, "
             "options_net_paid_usd, hedge_cost_usd).")
NEUTRAL_RULE = (f"market-neutral: |mean net BTC delta| (a basket: USD exposure) below {NEUTRAL_SHARE:.0%} of the "
                "mean long leg over the bars it held a position (options excluded)")


# ---- costs ------------------------------------------------------------------------------------------------

def funding_paid(events: pd.DataFrame | None) -> float:
    return 0.0 - m.funding_pnl(events)   # 0.0 - x: the exact negation, without a -0.0 in the files


def fees_paid(events: pd.DataFrame | None) -> float:
    return m.fees(events)


def options_net_paid(events: pd.DataFrame | None) -> float:
    return 0.0 - m.option_pnl(events)


def costs_paid(funding: float | np.ndarray, fees: float | np.ndarray, options: float | np.ndarray):
    """Funding + fees + options net, each USD paid (numbers or arrays). Written fees first, as the earlier
    ``fees - funding received - option cash``, so the sum is the same to the bit."""
    return fees + funding + options


def hedge_cost(costs: float | np.ndarray, hedge: str | None):
    """``costs`` when the run held a hedge (or nobody can tell), NaN when it held none."""
    if hedge == NO_HEDGE:
        return np.full_like(costs, np.nan, dtype="float64") if isinstance(costs, np.ndarray) else math.nan
    return costs


# ---- what the run held ------------------------------------------------------------------------------------

def hedge(run: RunRecord) -> str:
    """'short perp', 'options', 'short perp + options', 'none', or 'unknown' (summary-only run)."""
    from .exposure import hedge_legs
    legs = hedge_legs(run)
    return UNKNOWN if legs is None else legs or NO_HEDGE


def neutral_ratio(run: RunRecord) -> float:
    """|mean net delta| / mean long leg over the bars where the run held anything; NaN when it never held
    anything or its positions were not kept. One coin: BTC (spot + perp); a basket: USD exposure."""
    legs = _legs(run)
    if legs is None:
        return math.nan
    net, long_leg, gross = legs
    held = gross > 0
    if not held.any():
        return math.nan
    mean_long = float(long_leg[held].mean())
    if mean_long <= 0:   # short only: its net delta is all short, never neutral
        return math.inf
    return abs(float(net[held].mean())) / mean_long


def market_neutral(run: RunRecord) -> bool:
    ratio = neutral_ratio(run)
    return math.isfinite(ratio) and ratio < NEUTRAL_SHARE


def _legs(run: RunRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(net delta, long leg, gross) at each bar, or None without positions."""
    if not run.has_equity:
        return None
    if run.coins is not None:
        coins = run.coins
        long_usd = coins.get("long_exposure")
        exposure = coins.get("exposure")
        if exposure is None:
            return None
        net = exposure.astype("float64").fillna(0.0).sum(axis=1).to_numpy()
        if long_usd is None:   # without the coins' long legs: the coins net long (a coin hedged on its own
            long_usd = exposure.clip(lower=0.0)   # perp then counts as its remainder)
        long_leg = long_usd.astype("float64").fillna(0.0).sum(axis=1).to_numpy()
        gross = exposure.astype("float64").fillna(0.0).abs().sum(axis=1).to_numpy() + long_leg
        return net, long_leg, gross
    if run.spot_qty is None and run.perp_qty is None:
        return None
    index = run.equity.index
    spot = _qty(run.spot_qty, index)
    perp = _qty(run.perp_qty, index)
    return spot + perp, np.maximum(spot, 0.0) + np.maximum(perp, 0.0), np.abs(spot) + np.abs(perp)


def _qty(s: pd.Series | None, index) -> np.ndarray:
    if s is None:
        return np.zeros(len(index))
    return s.astype("float64").fillna(0.0).to_numpy()


# ---- the ranking groups -----------------------------------------------------------------------------------

DIRECTIONAL, NEUTRAL, ALL = "directional", "market-neutral", "all"


def neutral_flag(run: RunRecord) -> bool | None:
    """market_neutral(run), or None when nobody can tell (a failed run, a summary-only run)."""
    if not run.has_equity or (run.spot_qty is None and run.perp_qty is None and run.coins is None):
        return None if run.failed or run.stats else False
    return market_neutral(run)


def ranking_group(neutral: bool | None, several_strategies: bool) -> str:
    """A comparison of strategies ranks market-neutral runs apart; one strategy's runs are one list."""
    if not several_strategies:
        return ALL
    return NEUTRAL if neutral is True else DIRECTIONAL
