"""What a run held and paid over time: BTC delta, leverage, hedge legs and cumulative costs.

"Has a hedge" is read from what the run did, never from its name: it bought or sold options, or it held
a short perp while long BTC elsewhere (spot, or a long perp that it shorted against later counts as a
reduction, not a hedge). Whether a run was market-neutral, and every cost figure, is defined once in
reports/figures.py.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hedgelab.engine.result import happens_at_close_named

from . import metrics as m
from .run import RunRecord


def _qty(s: pd.Series | None, index) -> pd.Series:
    if s is None:
        return pd.Series(0.0, index=index)
    return s.astype("float64").fillna(0.0)


def btc_delta(run: RunRecord) -> pd.Series | None:
    """Net BTC held at each bar: spot + perp (option deltas are not in the engine's output)."""
    if not run.has_equity or (run.spot_qty is None and run.perp_qty is None):
        return None
    return _qty(run.spot_qty, run.equity.index) + _qty(run.perp_qty, run.equity.index)


def basket_hedged(run: RunRecord) -> bool:
    """A basket run holds a hedge when a coin's perp is short while the account is net long the rest."""
    coins = run.coins or {}
    perp, exposure = coins.get("perp_qty"), coins.get("exposure")
    if perp is None or exposure is None or perp.empty:
        return False
    for coin in perp.columns:
        rest = exposure.drop(columns=[coin]).sum(axis=1)
        if ((perp[coin] < 0) & (rest > 0)).any():
            return True
    return False


def leverage(run: RunRecord) -> pd.Series | None:
    """|BTC delta| x mark / equity at each bar; NaN where equity is gone."""
    delta = btc_delta(run)
    if run.coins is not None and run.has_equity:   # a basket: gross USD exposure over equity
        gross = run.coins["exposure"].abs().sum(axis=1)
        eq = run.equity
        return (gross / eq.where(eq > 0)).rename(run.name)
    if delta is None or run.prices is None:
        return None
    eq = run.equity.astype("float64")
    return (delta.abs() * run.prices["mark"] / eq.where(eq > 0)).rename(run.name)


def _option_events(run: RunRecord) -> bool:
    ev = run.events
    return ev is not None and len(ev) > 0 and ev["kind"].astype(str).str.startswith("option_").any()


def hedge_legs(run: RunRecord) -> str | None:
    """'options', 'short perp', 'short perp + options' or '' (no hedge), from positions and events;
    None for a summary-only run of a big sweep, which keeps neither (so nobody can tell)."""
    if run.stats and run.spot_qty is None and run.perp_qty is None and run.events is None and not run.has_equity:
        return None
    legs = []
    if run.coins is not None:
        if basket_hedged(run):
            legs.append("short perp")
    elif run.spot_qty is not None and run.perp_qty is not None:
        spot, perp = _qty(run.spot_qty, run.spot_qty.index), _qty(run.perp_qty, run.perp_qty.index)
        if ((perp < 0) & (spot > 0)).any():
            legs.append("short perp")
    elif run.events is not None and len(run.events):
        # summary-only runs keep events only: a sell of the perp while long spot reads as a short hedge
        ev = run.events
        kind, inst = ev["kind"].astype(str), ev["instrument"].astype(str).str.upper()
        if ((kind == "fill") & inst.str.contains("PERP") & (ev["qty"] < 0)).any() and \
                ((kind == "fill") & ~inst.str.contains("PERP") & (ev["qty"] > 0)).any():
            legs.append("short perp")
    if _option_events(run):
        legs.append("options")
    return " + ".join(legs)


def cumulative_costs(run: RunRecord) -> pd.DataFrame | None:
    """USD paid so far (+ = paid) at each bar, by funding, fees and options net (premiums net of payoffs):
    the summary's funding_paid_usd, fees_paid_usd and options_net_paid_usd at the last bar."""
    if not run.has_equity:
        return None
    index = run.equity.index
    ev = run.events_frame()
    kind = ev["kind"].astype(str)
    t = pd.to_datetime(ev["time"], utc=True)
    # what happened at a bar's close is stamped with the next bar's open: count it in its own bar
    if len(ev) and len(index) > 1:
        step = index[1] - index[0]
        t = t.where(~happens_at_close_named(kind, ev["instrument"].astype(str)), t - step)
    fee = m.is_fee_kind(kind)
    # the same split as the summary's funding_pnl, fees and option_pnl (reports/metrics.py)
    parts = {"funding": kind == "funding", "fees": fee, "options net": kind.str.startswith("option_") & ~fee}
    out = {}
    for name, mask in parts.items():
        paid = (-pd.to_numeric(ev.loc[mask, "amount"], errors="coerce").fillna(0.0)).groupby(t[mask]).sum()
        # an event at a time between bars counts from the bar it falls in
        pos = index.searchsorted(paid.index, side="right") - 1
        per_bar = np.bincount(np.clip(pos, 0, len(index) - 1), weights=paid.to_numpy(), minlength=len(index))
        out[name] = np.cumsum(per_bar)
    return pd.DataFrame(out, index=index)


def window_stats(run: RunRecord, start, end) -> dict:
    """Return, max drawdown and worst bar of the run inside [start, end) (from the bar before the window)."""
    eq = run.equity
    inside = eq[(eq.index >= start) & (eq.index < end)]
    before = eq[eq.index < start]
    if len(inside) == 0:
        return {"return": np.nan, "max_drawdown": np.nan, "worst_bar": np.nan}
    path = pd.concat([before.iloc[-1:], inside]) if len(before) else inside
    values = path.to_numpy(dtype="float64").clip(min=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        bar = np.where(values[:-1] > 0, values[1:] / values[:-1] - 1.0, 0.0)
    return {"return": values[-1] / values[0] - 1.0 if values[0] > 0 else np.nan,
            "max_drawdown": m.max_drawdown(path), "worst_bar": float(bar.min()) if len(bar) else np.nan}
