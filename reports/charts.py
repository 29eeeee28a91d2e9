"""Plotly figures for the comparison page, as plain dicts on one shared time axis.

Every time chart shares the crash-window highlighting and the page's single time array (``HL_T``,
milliseconds since 1970 UTC): a trace marked ``sx`` gets its x from it in the browser, so a 33-run sweep
does not repeat 2,000 timestamps per trace. y values travel as base64 float32 (plotly's typed arrays).
Curves longer than MAX_POINTS are cut into blocks on the shared axis; each point then shows its block's
worst value (lowest equity, deepest drawdown, highest margin ratio), so crashes are never thinned away.

Chart contract used by the browser tests: the equity charts hold exactly one trace per charted run (the
survivors' chart and the liquidated runs' own panel); the page records that count in ``data-run-traces``.
Every text plotly renders (names, labels, ticks, hover text) goes through ``esc`` first.
"""
from __future__ import annotations

import base64
import colorsys
import html
import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import metrics as m
from .run import RunRecord, runs_by_name

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


def esc(text) -> str:
    """Text for plotly, which renders a few HTML tags and the entities &lt; &gt; &amp; in labels."""
    return html.escape(str(text), quote=False)


def colors(n: int) -> list[str]:
    """n distinct colours: the palette, then evenly spaced hues (never a repeat, rank 1 vs rank 33)."""
    if n <= len(PALETTE):
        return PALETTE[:n]
    out = []
    for i in range(n):
        r, g, b = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.42 + 0.12 * (i % 3) / 2, 0.75)
        out.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return out


class Axis:
    """The page's one time axis: the union of the charted curves' bars, cut into blocks past MAX_POINTS."""

    def __init__(self, indexes: list[pd.DatetimeIndex]):
        full = indexes[0]
        for ix in indexes[1:]:
            if not ix.equals(full):
                full = full.union(ix)
        self.full = full
        self.step = max(1, math.ceil(len(full) / MAX_POINTS))
        self.block = np.arange(len(full)) // self.step
        self.times = full[:: self.step]

    def ms(self) -> list[int]:
        return self.times.as_unit("ms").asi8.tolist()  # the index's own unit may be s, ms or ns

    def values(self, s: pd.Series, worst: str = "min") -> np.ndarray:
        """The series on the axis; with blocks, each block's worst value ('min' or 'max', NaN-aware)."""
        v = s.astype("float64").reindex(self.full).to_numpy()
        if self.step == 1:
            return v
        frame = pd.Series(v).groupby(self.block)
        return (frame.min() if worst == "min" else frame.max()).to_numpy()


def b64(values) -> dict:
    """A float32 typed array in plotly's JSON form (4 bytes a point instead of ~18 characters)."""
    return {"dtype": "f4", "bdata": base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode()}


def line(axis: Axis, s: pd.Series, name: str, color: str, *, pct=False, worst="min", dash=None,
         meta="run", group=None, width=1.5) -> dict:
    v = axis.values(s, worst)
    return {"type": "scatter", "mode": "lines", "sx": 1, "y": b64(v), "name": esc(name), "meta": meta,
            "line": {"color": color, "width": width, **({"dash": dash} if dash else {})},
            **({"legendgroup": group} if group else {}),
            "hovertemplate": ("%{y:.2%}" if pct else "%{y:,.0f}") + f"<extra>{esc(name)}</extra>"}


def mark_identical(traces: list[dict]) -> list[str]:
    """Dash a trace whose y equals an earlier one's (else it hides under it); returns notes for the page."""
    notes, seen = [], {}
    for t in traces:
        key = t["y"]["bdata"] if isinstance(t.get("y"), dict) else None
        if key is None:
            continue
        if key in seen:
            t["line"]["dash"] = "dot"
            t["line"]["width"] = 3
            notes.append(f"{html.unescape(t['name'])} is identical to {html.unescape(seen[key])} (drawn dotted)")
        else:
            seen[key] = t["name"]
    return notes


def layout(title: str, ytitle: str, windows: list[Window], *, yformat=None, height=360, log=False,
           legend=True) -> dict:
    shapes, notes = [], []
    for w in windows:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": w.start.isoformat(),
                       "x1": w.end.isoformat(), "y0": 0, "y1": 1, "fillcolor": "#d62728", "opacity": 0.12,
                       "line": {"width": 0}, "layer": "below"})
        notes.append({"x": w.start.isoformat(), "y": 1, "xref": "x", "yref": "paper", "text": esc(w.label),
                      "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 10, "color": "#a00"}})
    return {"title": {"text": esc(title), "x": 0.01, "font": {"size": 14}}, "height": height,
            "margin": {"l": 64, "r": 16, "t": 44, "b": 36}, "hovermode": "x", "template": None,
            "plot_bgcolor": "#fff", "paper_bgcolor": "#fff", "showlegend": legend,
            "legend": {"orientation": "h", "y": -0.12, "font": {"size": 11}},
            "xaxis": {"type": "date", "gridcolor": "#eee"},
            "yaxis": {"title": {"text": esc(ytitle)}, "gridcolor": "#eee", "zerolinecolor": "#bbb",
                      **({"tickformat": yformat} if yformat else {}), **({"type": "log"} if log else {})},
            "shapes": shapes, "annotations": notes}


def liquidations(run: RunRecord) -> pd.DataFrame:
    """The run's liquidation events (time, instrument, side, qty, price, amount), time-sorted."""
    ev = run.events_frame()
    liq = ev[ev["kind"].astype(str) == "liquidation"].copy()
    liq["time"] = pd.to_datetime(liq["time"], utc=True)
    return liq.sort_values("time")


def after_first_liquidation(run: RunRecord, s: pd.Series | None) -> pd.Series | None:
    """A margin series that stops (NaN) where no position is left, instead of reading 0 % (safe)."""
    if s is None:
        return None
    s = s.astype("float64").where(s.astype("float64") != 0)
    liq = liquidations(run)
    if len(liq) and run.perp_qty is not None:
        flat = run.perp_qty.reindex(s.index).fillna(0.0) == 0
        s = s.where(~((s.index >= liq["time"].iloc[0]) & flat))
    return s


def equity_figure(axis: Axis, runs, cols, windows, title, log=False) -> dict:
    traces = [line(axis, r.equity, r.name, c) for r, c in zip(runs, cols)]
    notes = mark_identical(traces)
    return {"data": traces, "layout": layout(title, "USD" + (" (log scale)" if log else ""), windows, log=log),
            "notes": notes}


def drawdown_figure(axis: Axis, runs, cols, windows) -> dict:
    traces = [line(axis, m.drawdown(r.equity), r.name, c, pct=True) for r, c in zip(runs, cols)]
    return {"data": traces, "layout": layout("Drawdown from peak", "drawdown", windows, yformat=".0%"),
            "notes": mark_identical(traces)}


def margin_figure(axis: Axis, runs, cols, windows) -> dict | None:
    traces = []
    for r, c in zip(runs, cols):
        s = after_first_liquidation(r, r.margin_ratio)
        if s is not None and s.notna().any():
            traces.append(line(axis, s, r.name, c, pct=True, worst="max"))
    if not traces:
        return None
    lay = layout("Margin ratio (maintenance margin / margin balance; 100% = liquidation)", "margin ratio",
                 windows, yformat=".0%")
    lay["shapes"].append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1, "y1": 1,
                          "line": {"color": "#a00", "dash": "dash", "width": 1}})
    return {"data": traces, "layout": lay, "notes": mark_identical(traces)}


def distance_figure(axis: Axis, runs, cols, windows) -> dict | None:
    traces = []
    for r, c in zip(runs, cols):
        s = after_first_liquidation(r, r.liq_distance)
        if s is not None and s.notna().any():
            traces.append(line(axis, s, r.name, c, pct=True))
    if not traces:
        return None
    return {"data": traces, "layout": layout("Distance to the liquidation price (|mark - liquidation| / mark)",
                                             "distance", windows, yformat=".0%"),
            "notes": mark_identical(traces)}


def liquidation_figure(axis: Axis, runs, cols, windows) -> dict | None:
    """BTC mark and index, each run's liquidation price over time, every liquidation marked."""
    prices = next((r.prices for r in runs if r.prices is not None), None)
    if prices is None:
        return None
    traces = [line(axis, prices["mark"], "BTC mark", "#222", meta="price", width=1.2),
              line(axis, prices["index"], "BTC index", "#999", meta="price", width=1, dash="dot")]
    for r, c in zip(runs, cols):
        if r.liq_price is not None and r.liq_price.notna().any():
            lp = r.liq_price.astype("float64").where(r.liq_price > 0)
            traces.append(line(axis, lp, f"{r.name}: liquidation price", c, worst="max", dash="dash",
                               group=esc(r.name)))
        liq = liquidations(r)
        if len(liq):
            text = [esc(f"{r.name} · leg {inst} · {side or ('long' if q < 0 else 'short')} closed · "
                        f"price {p:,.2f} · qty {abs(q):,.4f} BTC · cash {a:+,.2f} USD")
                    for inst, side, q, p, a in zip(liq["instrument"], liq["side"], liq["qty"].astype(float),
                                                   liq["price"].astype(float), liq["amount"].astype(float))]
            traces.append({"type": "scatter", "mode": "markers", "x": [t.isoformat() for t in liq["time"]],
                           "y": liq["price"].astype(float).tolist(), "name": esc(f"{r.name}: liquidated"),
                           "meta": "liquidation", "legendgroup": esc(r.name), "text": text,
                           "marker": {"symbol": "x-thin-open", "size": 14, "color": c, "line": {"width": 3, "color": c}},
                           "hovertemplate": "%{text}<extra></extra>"})
    lay = layout("BTC mark and index with each run's liquidation price; x = a liquidation", "USD", windows,
                 height=420)
    return {"data": traces, "layout": lay, "notes": []}


COST_PARTS = (("funding", "#1f77b4"), ("fees", "#ff7f0e"), ("options net", "#9467bd"))


def costs_figure(axis: Axis, runs, costs: dict, windows) -> dict | None:
    """Cumulative USD paid, stacked by funding, fees and options net; a menu picks the run."""
    shown = [r for r in runs if costs.get(r.name) is not None]
    if not shown:
        return None
    traces, buttons = [], []
    for i, r in enumerate(shown):
        for part, color in COST_PARTS:
            t = line(axis, costs[r.name][part], f"{part}", color, worst="max", meta="cost")
            t.update(stackgroup="cost", visible=i == 0, hovertemplate=f"{esc(part)}: %{{y:,.0f}} USD<extra></extra>",
                     line={"color": color, "width": 0.5})
            traces.append(t)
        # mixed signs (funding received) make a stack hard to read: the net line says where it ends
        net = costs[r.name].sum(axis=1)
        t = line(axis, net, "net cost", "#000", worst="max", meta="cost", width=1.5)
        t.update(visible=i == 0, hovertemplate="net: %{y:,.0f} USD<extra></extra>")
        traces.append(t)
        per = len(COST_PARTS) + 1
        vis = [j // per == i for j in range(len(shown) * per)]
        buttons.append({"label": esc(r.name), "method": "update", "args": [{"visible": vis}]})
    lay = layout("Cumulative cost paid (USD, + = paid), stacked by source; run:", "USD paid", windows, height=400)
    lay["updatemenus"] = [{"buttons": buttons, "x": 0.62, "xanchor": "left", "y": 1.2, "yanchor": "top",
                           "direction": "down", "showactive": True}]
    lay["margin"]["t"] = 70
    return {"data": traces, "layout": lay, "notes": []}


def exposure_figure(axis: Axis, runs, cols, windows, series: dict, title: str, ytitle: str, fmt=None) -> dict | None:
    traces = [line(axis, series[r.name], r.name, c, worst="max") for r, c in zip(runs, cols)
              if series.get(r.name) is not None]
    for t in traces:
        if fmt:
            t["hovertemplate"] = f"%{{y:{fmt}}}<extra>{t['name']}</extra>"
    if not traces:
        return None
    return {"data": traces, "layout": layout(title, ytitle, windows, height=320), "notes": mark_identical(traces)}


SCALE_APART = 5.0   # a run whose peak is this many times the runs' median peak gets its own panel


def apart_by_scale(series: dict, ratio: float = SCALE_APART) -> set:
    """The runs whose largest |value| is more than ``ratio`` times the median of the runs' largest values:
    drawn in their own panel, so that one 9 BTC or 150x run does not flatten the others to a line at zero."""
    peaks = {}
    for name, s in series.items():
        v = np.abs(np.asarray(s, dtype="float64")) if s is not None else np.zeros(0)
        v = v[np.isfinite(v)]
        if v.size and v.max() > 0:
            peaks[name] = float(v.max())
    if len(peaks) < 2:
        return set()
    median = float(np.median(list(peaks.values())))
    apart = {name for name, p in peaks.items() if p > ratio * median}
    return apart if len(apart) < len(peaks) else set()


# red (bad) .. near-white (zero) .. green (good), spelled out: plotly.js knows no "RdYlGn" by name
DIVERGING = ["#a50026", "#e0603f", "#fbd3a0", "#f5f5f0", "#c2e4a0", "#5bb160", "#00683a"]
PCT_METRICS = ("total_return", "max_drawdown", "worst_day", "cagr", "volatility")
HEATMAP_METRICS = ("total_return", "max_drawdown", "hedge_cost_usd", "sharpe", "worst_day", "final_equity")
HEATMAP_MAX_CELLS = 40   # per axis; more values are binned (a cell shows the mean of its runs)
# what each summary figure is, for titles (reports/metrics.py and reports/figures.py define them)
METRIC_UNITS = {
    "final_equity": "USD at the last bar", "total_return": "% of capital", "max_drawdown": "% from the running peak",
    "worst_day": "% of equity, worst UTC day", "sharpe": "daily returns, annualized over 365 days, risk-free 0",
    "cagr": "% a year, 365 days", "volatility": "% a year, daily returns x sqrt(365)", "liquidations": "count",
    "funding_paid_usd": "USD paid, - = earned", "fees_paid_usd": "USD paid",
    "options_net_paid_usd": "USD paid, - = earned", "hedge_cost_usd": "USD paid, - = the hedge earned",
}


def tick(v) -> str:
    """A clean axis label: 0.30000000000000004 -> '0.3', 10.0 -> '10'."""
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return f"{float(v):.10g}"
    return str(v)


LIQUIDATED_MARK = "✕"


def _cell_text(z, liq, fmt: str) -> list:
    """Each cell's value as ``fmt`` (".1%", ",.0f" or ".2f") shows it, led by the mark where a run in the cell
    was liquidated (written into the text, so that the mark never covers the number)."""
    def one(v, dead):
        if not math.isfinite(v):
            return ""
        text = f"{v * 100:.1f}%" if fmt == ".1%" else f"{v:,.0f}" if fmt == ",.0f" else f"{v:.2f}"
        return f"{LIQUIDATED_MARK} {text}" if dead else text
    return [[one(float(v), bool(d)) for v, d in zip(row, dead)] for row, dead in zip(z, liq)]


def _cells(values: pd.Series) -> tuple:
    """(each value's cell index, the cells' labels, the number of values when binned else 0).

    An axis with more than HEATMAP_MAX_CELLS numeric values (a fine sweep) is cut into that many bins
    of consecutive values, each labelled by its range, so a 100,000-run sweep stays a readable grid."""
    order = lambda v: (0, float(v), "") if isinstance(v, numbers.Real) else (1, 0.0, str(v))  # noqa: E731
    distinct = sorted(values.unique(), key=order)
    numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in distinct)
    if len(distinct) <= HEATMAP_MAX_CELLS or not numeric:
        index = {v: k for k, v in enumerate(distinct)}
        return values.map(index).to_numpy(), [esc(tick(v)) for v in distinct], 0
    bins = np.array_split(np.asarray(distinct, dtype=np.float64), HEATMAP_MAX_CELLS)
    cell = np.searchsorted([b[-1] for b in bins], values.to_numpy(dtype=np.float64))
    return cell, [esc(f"{tick(b[0])}–{tick(b[-1])}") for b in bins], len(distinct)


def heatmap_figure(runs: list[RunRecord], summary: pd.DataFrame, spec: dict) -> dict:
    """``spec['metric']`` over params ``spec['x']`` x ``spec['y']`` with a menu for other metrics.

    Runs sharing a cell (other parameters vary) are averaged; a cell is liquidated if any of them was.
    Colours are diverging and centred on zero; every cell shows its value.
    """
    x, y, metric = spec["x"], spec["y"], spec.get("metric", "total_return")
    by_name = runs_by_name(runs)
    params = [by_name[n].params or {} for n in summary["run"]]
    metrics = [metric] + [k for k in HEATMAP_METRICS if k != metric and k in summary.columns]
    keep = np.array([x in p and y in p for p in params], dtype=bool)  # a failed strategy has no parameters
    kept = [p for p, ok in zip(params, keep) if ok]
    df = pd.DataFrame({"x": [p[x] for p in kept], "y": [p[y] for p in kept],
                       "liq": (summary["liquidations"].to_numpy()[keep] > 0).astype(int),
                       **{k: summary[k].to_numpy()[keep] for k in metrics}})
    (df["x"], xl, x_binned), (df["y"], yl, y_binned) = _cells(df["x"]), _cells(df["y"])
    xs, ys = range(len(xl)), range(len(yl))
    liq = df.pivot_table(index="y", columns="x", values="liq", aggfunc="max").reindex(index=ys, columns=xs)
    liq = liq.fillna(0).to_numpy() > 0
    traces, buttons = [], []
    binned = [f"{name}: {n:,} values in {HEATMAP_MAX_CELLS} bins" for name, n in ((x, x_binned), (y, y_binned)) if n]

    def title(k):
        unit = f" ({METRIC_UNITS[k]})" if k in METRIC_UNITS else ""
        return f"{k}{unit} over {x} x {y} ({LIQUIDATED_MARK} = liquidated" + "".join(f"; {b}" for b in binned) + ")"
    for i, k in enumerate(metrics):
        z = df.pivot_table(index="y", columns="x", values=k, aggfunc="mean").reindex(index=ys, columns=xs)
        z = z.to_numpy(dtype="float64")
        pct = k in PCT_METRICS
        fmt = ".1%" if pct else ",.0f" if k in ("hedge_cost_usd", "final_equity") else ".2f"
        # a cost is bad when positive: flip the colours so green is always good
        scale = DIVERGING[::-1] if k == "hedge_cost_usd" else DIVERGING
        scale = [[i / (len(scale) - 1), c] for i, c in enumerate(scale)]
        finite = np.abs(z[np.isfinite(z)])
        centre = 0.0 if k != "final_equity" else float(spec.get("capital", 100_000.0))
        span = float(np.max(np.abs(z[np.isfinite(z)] - centre))) if finite.size else 1.0
        status = np.where(liq, "LIQUIDATED", "survived")
        traces.append({"type": "heatmap", "z": z.tolist(), "x": xl, "y": yl, "colorscale": scale,
                       "zmid": centre, "zmin": centre - span, "zmax": centre + span, "visible": i == 0,
                       "customdata": status.tolist(), "text": _cell_text(z, liq, fmt), "texttemplate": "%{text}",
                       "textfont": {"size": 11}, "name": esc(k),
                       "colorbar": {"title": {"text": esc(k)}, **({"tickformat": ".0%"} if pct else {})},
                       "hovertemplate": f"{esc(x)}=%{{x}}<br>{esc(y)}=%{{y}}<br>{esc(k)}=%{{z:{fmt}}}"
                                        "<br>%{customdata}<extra></extra>"})
        vis = [j == i for j in range(len(metrics))]
        buttons.append({"label": esc(k), "method": "update", "args": [{"visible": vis},
                                                                      {"title.text": esc(title(k))}]})
    lay = {"title": {"text": esc(title(metric)), "x": 0.01},
           "height": max(360, 60 + 34 * len(ys)), "margin": {"l": 80, "r": 20, "t": 70, "b": 50},
           "xaxis": {"title": {"text": esc(x)}, "type": "category", "categoryorder": "array", "categoryarray": xl},
           "yaxis": {"title": {"text": esc(y)}, "type": "category", "categoryorder": "array", "categoryarray": yl},
           "updatemenus": [{"buttons": buttons, "x": 1, "xanchor": "right", "y": 1.2, "yanchor": "top",
                            "direction": "down", "showactive": True}],
           "plot_bgcolor": "#fff"}
    return {"data": traces, "layout": lay, "notes": []}


# ---- basket runs (several coins in one account) ------------------------------------------------------------

def coin_colors(coins) -> dict:
    """One colour per coin, the same in every basket chart and run."""
    return dict(zip(coins, colors(len(coins))))


def coin_exposure_figure(axis: Axis, runs, windows, window_text: str) -> dict | None:
    """Each basket run's USD exposure per coin over time, stacked (longs above zero, shorts below) with the
    net line; a menu picks the run."""
    shown = [r for r in runs if getattr(r, "coins", None) is not None and r.has_equity]
    if not shown:
        return None
    coins = list(dict.fromkeys(str(c) for r in shown for c in r.coins["exposure"].columns))
    color = coin_colors(coins)
    traces, owner, buttons = [], [], []
    for i, r in enumerate(shown):
        exposure = r.coins["exposure"].astype("float64").fillna(0.0)
        for coin in exposure.columns:
            s = exposure[coin]
            for side, part, worst in (("long", s.clip(lower=0.0), "max"), ("short", s.clip(upper=0.0), "min")):
                if not (part != 0).any():
                    continue
                t = line(axis, part, f"{coin} {side}", color[str(coin)], worst=worst, meta="coin")
                t.update(stackgroup=side, visible=i == 0, line={"color": color[str(coin)], "width": 0.5},
                         hovertemplate=f"{esc(coin)} {side}: %{{y:,.0f}} USD<extra></extra>")
                traces.append(t)
                owner.append(i)
        net = line(axis, exposure.sum(axis=1), "net exposure", "#000", worst="min", meta="coin", width=1.5)
        net.update(visible=i == 0, hovertemplate="net: %{y:,.0f} USD<extra></extra>")
        traces.append(net)
        owner.append(i)
    for i, r in enumerate(shown):
        buttons.append({"label": esc(r.name), "method": "update", "args": [{"visible": [o == i for o in owner]}]})
    lay = layout("", "USD", windows, height=420)
    lay["title"]["text"] = (esc("Exposure per coin (USD), stacked: longs above 0, shorts below; run (menu):")
                            + "<br>" + esc(window_text))   # two lines: room for the menu on a narrow page
    lay["updatemenus"] = [{"buttons": buttons, "x": 1, "xanchor": "right", "y": 1.25, "yanchor": "top",
                           "direction": "down", "showactive": True}]
    lay["margin"]["t"] = 90
    return {"data": traces, "layout": lay, "notes": []}


BASIS_LINES = (("mark", "mark close", None, 1.5), ("traded", "traded close", "dash", 1.2), ("low", "lows", "dot", 1.2))


def basis_figure(axis: Axis, basis, windows) -> dict | None:
    """Each held coin's perp / index - 1 over the window around Oct 10: the mark close (solid), the traded close
    where it is not the mark (dashed) and the bar's lows where given (dotted)."""
    if basis is None or not basis.series:
        return None
    color = coin_colors(list(basis.series))
    traces = []
    for coin, found in basis.series.items():
        for key, label, dash, width in BASIS_LINES:
            s = found.get(key)
            if s is None or not s.notna().any():
                continue
            t = line(axis, s, f"{coin} {label}", color[coin], pct=True, worst="min", dash=dash, meta="basis",
                     width=width)
            t["hovertemplate"] = f"%{{y:.2%}}<extra>{esc(coin)} {label}: perp / index - 1</extra>"
            traces.append(t)
    if not traces:
        return None
    lay = layout("", "perp / index - 1", windows, yformat=".1%", height=400)
    lay["title"]["text"] = (esc("Perp vs index (spot) per coin: perp / index - 1 per bar") + "<br>"
                            + esc(f"{basis.start:%Y-%m-%d %H:%M} to {basis.end:%Y-%m-%d %H:%M} UTC "
                                  "(bars by their open)"))
    lay["margin"]["t"] = 70
    lay["xaxis"]["range"] = [basis.start.isoformat(), basis.end.isoformat()]
    return {"data": traces, "layout": lay, "notes": []}
