"""Plotly figures for the comparison page. Every time chart shares the crash-window highlighting.

Chart contract used by the browser tests: the equity chart holds exactly one trace per charted run
(liquidations are layout annotations, not traces); the page records that count in ``data-run-traces``.
"""
from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import metrics as m
from .run import RunRecord

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#843c39", "#7b4173"]
MAX_POINTS = 5000  # per trace; longer curves are thinned to keep the page light


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp
    label: str


def _utc(t) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def crash_windows(spec, runs: list[RunRecord], n_worst: int = 3) -> tuple[list[Window], str]:
    """Normalize ``spec`` to windows, with a sentence saying where they come from.

    spec items: a date (the whole UTC day), a (start, end[, label]) pair, or {start, end, label}.
    None: the ``n_worst`` worst UTC days of the benchmark (the ``hold`` run, else the first run).
    """
    if spec is None:
        ok = [r for r in runs if not r.failed and r.has_equity]
        ref = next((r for r in ok if r.strategy == "hold"), ok[0] if ok else None)
        if ref is None:
            return [], "no crash windows (no run produced equity)"
        daily = m.daily_returns(ref.equity)
        worst = daily[daily < 0].nsmallest(n_worst)
        wins = [Window(d, d + pd.Timedelta(days=1), f"worst day {r * 100:+.1f}%") for d, r in worst.items()]
        return wins, f"highlighted: the {len(wins)} worst UTC days of the {ref.strategy} run"
    wins = []
    for item in spec:
        if isinstance(item, dict):
            s, e = _utc(item["start"]), _utc(item.get("end", _utc(item["start"]) + pd.Timedelta(days=1)))
            label = str(item.get("label", s.strftime("%b %d")))
        elif isinstance(item, (tuple, list)):
            s, e = _utc(item[0]), _utc(item[1])
            label = str(item[2]) if len(item) > 2 else s.strftime("%b %d")
        else:
            s = _utc(item).normalize()
            e, label = s + pd.Timedelta(days=1), s.strftime("%b %d")
        wins.append(Window(s, e, label))
    return wins, "highlighted: the crash windows " + ", ".join(w.label for w in wins)


def _thin(s: pd.Series) -> pd.Series:
    if len(s) <= MAX_POINTS:
        return s
    step = math.ceil(len(s) / MAX_POINTS)
    keep = np.zeros(len(s), dtype=bool)
    keep[::step] = True
    keep[-1] = True
    # keep each block's minimum too, so crashes are not thinned away
    pos = s.reset_index(drop=True).groupby(np.arange(len(s)) // step).idxmin().to_numpy()
    keep[pos] = True
    return s[keep]


def _layout(fig: go.Figure, title: str, ytitle: str, windows: list[Window], yformat: str | None = None):
    for w in windows:
        fig.add_vrect(x0=w.start, x1=w.end, fillcolor="#d62728", opacity=0.12, line_width=0,
                      annotation_text=html.escape(w.label, quote=False), annotation_position="top left",
                      annotation_font_size=10, annotation_font_color="#a00")
    fig.update_layout(title=dict(text=title, x=0.01), height=420, margin=dict(l=60, r=20, t=50, b=40),
                      hovermode="x unified", legend=dict(orientation="h", y=-0.15), template="plotly_white")
    fig.update_yaxes(title_text=ytitle, tickformat=yformat)
    return fig


def _line(series: pd.Series, name: str, color: str, pct: bool = False) -> go.Scatter:
    s = _thin(series.astype("float64"))
    # plotly renders a few HTML tags and the entities &lt; &gt; &amp; (not &quot;) in names: escape those
    return go.Scatter(x=s.index, y=s.to_numpy(), name=html.escape(name, quote=False), mode="lines", meta="run",
                      line=dict(color=color, width=1.5),
                      hovertemplate="%{y:.2%}" if pct else "%{y:,.0f}")


def equity_figure(runs: list[RunRecord], colors: list[str], windows: list[Window]) -> go.Figure:
    fig = go.Figure()
    for run, color in zip(runs, colors):
        fig.add_trace(_line(run.equity, run.name, color))
        ev = run.events
        if ev is None or len(ev) == 0:
            continue
        liq = ev[ev["kind"].astype(str) == "liquidation"]
        for t in pd.to_datetime(liq["time"], utc=True):
            pos = run.equity.index.get_indexer([t], method="pad")[0]
            y = float(run.equity.iloc[max(pos, 0)])
            fig.add_annotation(x=t, y=y, text="✖", showarrow=False, font=dict(color=color, size=16),
                               hovertext=f"liquidation: {t:%Y-%m-%d %H:%M} UTC")
    fig = _layout(fig, "Equity (USD); ✖ = liquidation", "USD", windows)
    return fig


def drawdown_figure(runs, colors, windows) -> go.Figure:
    fig = go.Figure([_line(m.drawdown(r.equity), r.name, c, pct=True) for r, c in zip(runs, colors)])
    return _layout(fig, "Drawdown from peak", "drawdown", windows, ".0%")


def margin_figure(runs, colors, windows) -> go.Figure | None:
    pairs = [(r, c) for r, c in zip(runs, colors) if r.margin_ratio is not None and len(r.margin_ratio)]
    if not pairs:
        return None
    fig = go.Figure([_line(r.margin_ratio, r.name, c, pct=True) for r, c in pairs])
    fig.add_hline(y=1.0, line_dash="dash", line_color="#a00", annotation_text="liquidation (ratio 1.0)")
    return _layout(fig, "Margin ratio (maintenance margin / margin balance; 1.0 = liquidation)",
                   "margin ratio", windows, ".0%")


def liq_distance_figure(runs, colors, windows) -> go.Figure | None:
    pairs = [(r, c) for r, c in zip(runs, colors) if r.liq_distance is not None and len(r.liq_distance)]
    if not pairs:
        return None
    fig = go.Figure([_line(r.liq_distance, r.name, c, pct=True) for r, c in pairs])
    return _layout(fig, "Distance to liquidation price (|mark − liq| / mark)", "distance", windows, ".0%")


def heatmap_figure(runs: list[RunRecord], summary: pd.DataFrame, spec: dict) -> go.Figure:
    """``spec['metric']`` over params ``spec['x']`` × ``spec['y']``; liquidated cells are marked ✖.

    Runs sharing a cell (other parameters vary) are averaged; a cell is liquidated if any of them was.
    """
    x, y, metric = spec["x"], spec["y"], spec.get("metric", "total_return")
    by_name = {r.name: r for r in runs}
    rows = []
    for _, row in summary.iterrows():
        p = by_name[row["run"]].params or {}
        if x not in p or y not in p:
            continue  # a failed strategy without parameters
        rows.append({"x": p[x], "y": p[y], "v": row[metric], "liq": int(row["liquidations"] > 0)})
    df = pd.DataFrame(rows, columns=["x", "y", "v", "liq"])
    # numbers in numeric order (numpy scalars included), then anything else as text
    order = lambda v: (0, float(v), "") if isinstance(v, numbers.Real) else (1, 0.0, str(v))  # noqa: E731
    xs, ys = sorted(df["x"].unique(), key=order), sorted(df["y"].unique(), key=order)
    z = df.pivot_table(index="y", columns="x", values="v", aggfunc="mean").reindex(index=ys, columns=xs)
    liq = df.pivot_table(index="y", columns="x", values="liq", aggfunc="max").reindex(index=ys, columns=xs)
    liq = liq.fillna(0).to_numpy() > 0
    xl, yl = [str(v) for v in xs], [str(v) for v in ys]
    pct = metric in ("total_return", "max_drawdown", "worst_day", "cagr", "volatility")
    fig = go.Figure(go.Heatmap(z=z.to_numpy(dtype="float64"), x=xl, y=yl, colorscale="RdYlGn",
                               colorbar=dict(title=metric, tickformat=".0%" if pct else None),
                               hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:{'.2%' if pct else ',.3f'}}}"
                                             "<extra></extra>"))
    cells = [(xl[j], yl[i]) for i in range(len(ys)) for j in range(len(xs)) if liq[i, j]]
    if cells:
        fig.add_trace(go.Scatter(x=[c[0] for c in cells], y=[c[1] for c in cells], mode="markers",
                                 name="liquidated", marker=dict(symbol="x", size=12, color="black"),
                                 hovertemplate="liquidated<extra></extra>"))
    ex, ey = html.escape(str(x), quote=False), html.escape(str(y), quote=False)
    fig.update_layout(title=dict(text=f"{metric} over {ex} × {ey} (✖ = liquidated)", x=0.01), height=480,
                      template="plotly_white", xaxis_title=ex, yaxis_title=ey, xaxis_type="category",
                      yaxis_type="category", margin=dict(l=60, r=20, t=50, b=50))
    fig.update_xaxes(categoryorder="array", categoryarray=xl)
    fig.update_yaxes(categoryorder="array", categoryarray=yl)
    return fig
