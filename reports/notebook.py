"""Plotly Figures for a notebook (``Result.plot``): the runs on one time axis, and a sweep's heatmap.

The page's charts (reports/charts.py) are plain dicts whose x the browser takes from the page's shared
time array; a notebook draws a ``plotly.graph_objects.Figure`` (a dict shows as text), with its own x.
So the time panels are laid out here, with the page's colours, drawdown and events, and the heatmap is
the page's ``heatmap_figure`` made a Figure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError

from . import charts
from . import metrics as m
from .run import RunRecord

LEG_KINDS = ("option_fill", "option_settlement", "liquidation")   # the option events that move a leg's quantity
MARK_KINDS = {"liquidation": ("liquidated", "x-thin-open"), "adl": ("ADL", "triangle-down-open")}


def option_legs(run: RunRecord, closes: pd.DatetimeIndex) -> dict[str, pd.Series]:
    """Each option contract the run held -> its quantity (BTC, + long) at each close in ``closes``, NaN
    where it was not held. A quantity is the sum of the contract's fills, settlements and buy-backs
    stamped at or before the close (a fill at its bar's close, an expiry at its settlement stamp)."""
    ev = run.events_frame()
    if "option_type" not in ev.columns:
        return {}
    ev = ev[(ev["instrument"].astype(str) == "option") & ev["kind"].astype(str).isin(LEG_KINDS)]
    legs = {}
    for (kind, strike, expiry), rows in ev.groupby(["option_type", "strike", "expiry"], sort=True):
        times = pd.to_datetime(rows["time"], utc=True)
        order = np.argsort(times.to_numpy(), kind="stable")
        held = np.concatenate([[0.0], np.cumsum(rows["qty"].to_numpy(dtype="float64")[order])])
        qty = held[np.searchsorted(times.to_numpy()[order], closes.to_numpy(), side="right")]
        qty[np.abs(qty) < 1e-12] = np.nan   # a leg closed or settled is no longer held
        legs[f"{kind} {strike:,.0f} {pd.Timestamp(expiry):%Y-%m-%d}"] = pd.Series(qty, index=closes)
    return legs


def runs_figure(runs: list[RunRecord], bar: pd.Timedelta, title: str):
    """Equity, drawdown and the positions per instrument (spot, perp, each option leg) of ``runs``, one
    panel each on one time axis (bar closes, UTC), one colour per run, every liquidation and ADL close
    marked on the equity at its event time."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    runs = [r for r in runs if r.has_equity]
    closes = {r.name: r.equity.index + bar for r in runs}
    legs = {r.name: option_legs(r, closes[r.name]) for r in runs}
    panels = [("equity (USD)", ",.0f"), ("drawdown from the running peak (%)", ".1%"),
              ("spot held (BTC)", ",.4f"), ("perp position (BTC, + long)", ",.4f")]
    if any(legs.values()):
        panels.append(("option legs (BTC per contract, + long)", ",.4f"))
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[t for t, _ in panels])
    for r, colour in zip(runs, charts.colors(len(runs))):
        x = closes[r.name]
        series = [r.equity, m.drawdown(r.equity), r.spot_qty, r.perp_qty]
        for row, (s, (panel, fmt)) in enumerate(zip(series, panels), start=1):
            # a basket run keeps its positions per coin (Result.coins), not here: nothing drawn, not 0
            y = s.to_numpy(dtype="float64") if s is not None else np.full(len(x), np.nan)
            fig.add_trace(go.Scatter(x=x, y=y, name=r.name, mode="lines", legendgroup=r.name, showlegend=row == 1,
                                     line={"color": colour}, meta=panel,
                                     hovertemplate=f"%{{y:{fmt}}}<extra>{charts.esc(r.name)}</extra>"), row=row, col=1)
        for contract, qty in legs[r.name].items():
            fig.add_trace(go.Scatter(x=x, y=qty.to_numpy(), name=f"{r.name}: {contract}", mode="lines",
                                     legendgroup=r.name, showlegend=False, line={"color": colour}, meta=panels[-1][0],
                                     hovertemplate=f"%{{y:,.4f}} BTC<extra>{charts.esc(r.name)}: {contract}</extra>"),
                          row=len(panels), col=1)
        _marks(fig, r, x, colour)
    for row, (panel, fmt) in enumerate(panels, start=1):
        fig.update_yaxes(title_text=panel.split(" (")[0], tickformat=fmt if fmt == ".1%" else None, row=row, col=1)
    fig.update_xaxes(title_text="time (UTC): each bar's close; marks at their event time", row=len(panels), col=1)
    fig.update_layout(height=220 * len(panels) + 120, title=title, template="plotly_white", hovermode="x unified")
    return fig


def _marks(fig, run: RunRecord, closes: pd.DatetimeIndex, colour: str) -> None:
    """Liquidations and ADL closes on the equity panel: at the event's time, on the equity line there (the
    close at or before it: a liquidation inside a bar keeps its bar's open stamp, the previous close)."""
    import plotly.graph_objects as go
    ev = run.events_frame()
    equity = run.equity.to_numpy(dtype="float64")
    for kind, (word, symbol) in MARK_KINDS.items():
        rows = ev[ev["kind"].astype(str) == kind]
        if not len(rows):
            continue
        times = pd.DatetimeIndex(pd.to_datetime(rows["time"], utc=True))
        before = np.searchsorted(closes.to_numpy(), times.to_numpy(), side="right") - 1
        y = np.where(before >= 0, equity[np.clip(before, 0, None)], run.capital)
        text = [f"{word}: {inst} {q:+,.4f} BTC at {p:,.2f}, cash {a:+,.2f} USD" for inst, q, p, a in
                zip(rows["instrument"], rows["qty"].astype(float), rows["price"].astype(float),
                    rows["amount"].astype(float))]
        fig.add_trace(go.Scatter(x=times, y=y, mode="markers", name=f"{run.name}: {word}", legendgroup=run.name,
                                 meta=kind, text=[charts.esc(t) for t in text],
                                 marker={"symbol": symbol, "size": 13, "color": colour,
                                         "line": {"width": 3, "color": colour}},
                                 hovertemplate="%{text}<extra>" + charts.esc(run.name) + "</extra>"), row=1, col=1)


def heatmap(runs, summary: pd.DataFrame, x: str | None, y: str | None, metric: str, capital: float):
    """``metric`` of ``summary`` over the parameters ``x`` (columns) and ``y`` (rows), the page's heatmap as
    a Figure (its menu shows the other metrics); a name that is not a parameter or a metric is a UserError
    naming the ones allowed."""
    import plotly.graph_objects as go
    from .summary import SUMMARY_COLUMNS, TEXT_COLUMNS
    sets = _param_sets(runs)
    params = [k for k in (sets[0] if sets else {}) if all(k in p for p in sets)]
    allowed = ", ".join(params) or "none"
    for axis, name in (("x", x), ("y", y)):
        if name is None:
            raise UserError(f"plot('heatmap'): give {axis}=NAME, a parameter of the runs: {allowed}")
        if name not in params:
            raise UserError(f"plot('heatmap', {axis}=...): {name!r} is not a parameter of every run; "
                            f"parameters: {allowed}")
    if x == y:
        raise UserError(f"plot('heatmap'): x and y are both {x!r}; give two parameters ({allowed})")
    metrics = [c for c in SUMMARY_COLUMNS if c not in TEXT_COLUMNS]
    if metric not in metrics:
        raise UserError(f"plot('heatmap', metric=...): {metric!r} is not a summary figure; metrics: "
                        f"{', '.join(metrics)}")
    spec = charts.heatmap_figure(runs, summary, {"x": x, "y": y, "metric": metric, "capital": capital})
    return go.Figure(data=spec["data"], layout=spec["layout"])


def _param_sets(runs) -> list[dict]:
    """The parameters of every run that did not fail (a failed strategy may have none)."""
    from .run import SummaryRuns
    if isinstance(runs, SummaryRuns):   # a summary-mode sweep: read by column, not run by run
        return [p for k, p in enumerate(runs.params) if k not in runs.errors]
    return [r.params or {} for r in runs if r.error is None]
