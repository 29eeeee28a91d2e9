"""``stress.html``: one self-contained page for a stress run (plotly inlined, no network).

Figures: fan chart of equity quantiles per strategy, survival curve over time, the distribution of final
equity (one box per strategy, side by side: overlaid histograms of eight strategies hid each other), and
for sweeps a heatmap of survival probability over two parameters. Every title and the
caption say the unit, the number of paths, the method, the seed, the horizon and whether the base
data is real or a reconstruction; the table is stress.csv's main columns.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import plotly.graph_objects as go

from .figures import SIGN_NOTE

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
TABLE = (("rank_stress", "rank", "{}"), ("run", "run", "{}"), ("survival", "survival", "{:.1%}"),
         ("var95_loss", "VaR 95 % loss USD", "{:,.0f}"), ("es95_loss", "ES 95 % loss USD", "{:,.0f}"),
         ("var99_loss", "VaR 99 % loss USD", "{:,.0f}"), ("es99_loss", "ES 99 % loss USD", "{:,.0f}"),
         ("ttl_median_h", "median hours to liquidation", "{:,.0f}"),
         ("hedge_cost_usd_median", "median hedge cost (USD paid)", "{:,.0f}"), ("max_dd_median", "median max DD", "{:.1%}"),
         ("replay_final_equity", "single replay final USD", "{:,.0f}"), ("rank_replay", "replay rank", "{}"))
MAX_FANS = 12


def caption(meta: dict) -> str:
    kind = {"reconstruction": "RECONSTRUCTION (not recorded market data)", "real": "real market data",
            "imported": "imported market data"}.get(meta.get("data_kind"), str(meta.get("data_kind")))
    casc = ", with liquidation cascade" if meta.get("cascade") else ""
    return (f"{meta['paths']:,} paths, method {meta['method']}{casc}, seed {meta['seed']}, horizon "
            f"{meta['horizon_h']:,.0f} h from {meta['start']}; base data {meta['data']}: {kind}; venue {meta['venue']}")


def _fig(title: str, meta: dict, xtitle: str, ytitle: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title={"text": f"{title}<br><sup>{html.escape(caption(meta))}</sup>"}, template="plotly_white",
                      xaxis_title=xtitle, yaxis_title=ytitle, height=430, margin={"t": 90})
    return fig


def fan_figures(res) -> list:
    out = []
    for k, (run, q) in enumerate(list(res.fan.items())[:MAX_FANS]):
        color = PALETTE[k % len(PALETTE)]
        fig = _fig(f"{run}: equity quantiles over paths (USD)", res.meta, "time (UTC, bar close)", "equity (USD)")
        x = list(q.index) + list(q.index[::-1])
        for lo, hi, alpha in (("q05", "q95", 0.15), ("q25", "q75", 0.3)):
            fig.add_trace(go.Scatter(x=x, y=list(q[hi]) + list(q[lo][::-1]), fill="toself", line={"width": 0},
                                     fillcolor=_rgba(color, alpha), name=f"{lo}-{hi}", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=q.index, y=q["q50"], line={"color": color}, name="median"))
        out.append(fig)
    return out


def survival_figure(res) -> go.Figure:
    fig = _fig("Survival: share of paths with no liquidation yet", res.meta, "time (UTC, bar close)",
               "share of paths (decimal)")
    for k, run in enumerate(list(res.survival.columns)[:MAX_FANS * 2]):
        fig.add_trace(go.Scatter(x=res.survival.index, y=res.survival[run], name=run,
                                 line={"color": PALETTE[k % len(PALETTE)]}))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig


def final_equity_figure(res) -> go.Figure:
    """Final equity over paths, one horizontal box per run in the table's order (best stress rank on top)."""
    order = [str(r) for r in res.table["run"]] if len(res.table) else list(res.finals)
    shown = [(run, res.finals[run]) for run in order if run in res.finals][:MAX_FANS * 2]
    fig = _fig("Final equity over paths (USD): box = middle half of the paths, line = median, whiskers = the "
               "furthest path within 1.5 boxes, dots = paths beyond", res.meta, "final equity (USD)", "")
    for k, (run, finals) in enumerate(shown):
        fig.add_trace(go.Box(x=finals, name=run, orientation="h", boxpoints="outliers",
                             marker={"color": PALETTE[k % len(PALETTE)], "size": 3},
                             line={"color": PALETTE[k % len(PALETTE)]}, hovertemplate="%{x:,.0f} USD"))
    fig.update_layout(showlegend=False, height=max(300, 90 + 40 * len(shown)), margin={"t": 110, "l": 10})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickformat=",.0f")
    return fig


def heatmap_figure(res) -> go.Figure | None:
    if not res.heatmap:
        return None
    x, y = res.heatmap["x"], res.heatmap["y"]
    t = res.table.copy()
    params = t["params"].map(json.loads)
    t[x], t[y] = params.map(lambda p: p[x]), params.map(lambda p: p[y])
    grid = t.pivot_table(index=y, columns=x, values="survival", aggfunc="mean")
    fig = _fig(f"Survival probability over {x} and {y} (decimal)", res.meta, x, y)
    fig.add_trace(go.Heatmap(z=grid.to_numpy(), x=[str(v) for v in grid.columns], y=[str(v) for v in grid.index],
                             zmin=0, zmax=1, colorscale="RdYlGn", colorbar={"title": "survival"}))
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _table(res) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in TABLE)
    rows = []
    for _, r in res.table.iterrows():
        cells = []
        for key, _, fmt in TABLE:
            v = r.get(key)
            try:
                none = key.startswith("hedge_cost") and r.get("hedge") == "none"   # as the backtest's page says
                text = "no hedge" if none else "n/a" if v is None or v != v else fmt.format(v)
            except (TypeError, ValueError):
                text = str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class='scroll'><table id='stress-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def write_stress_page(res, path: Path) -> Path:
    from plotly.offline import get_plotlyjs
    figs = [survival_figure(res), final_equity_figure(res), heatmap_figure(res), *fan_figures(res)]
    # responsive: a figure follows the page's width instead of plotly's 700 px default
    divs = [f.to_html(full_html=False, include_plotlyjs=False, div_id=f"stress-{k}", config={"responsive": True},
                      default_width="100%")
            for k, f in enumerate(figs) if f is not None]
    m = res.meta
    notes = "".join(f"<li>{html.escape(f'{k}: {v}')}</li>" for k, v in res.failures.items())
    # the table fits 800 px (headers wrap, numbers do not); anything wider scrolls inside its box, never the page
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>hedgelab stress test</title>
<script>{get_plotlyjs()}</script>
<style>body{{font-family:sans-serif;margin:16px;max-width:1400px}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 5px;text-align:right;white-space:nowrap}}
th{{white-space:normal;vertical-align:bottom;font-weight:600;background:#f3f3f3}}
.scroll{{overflow-x:auto;max-width:100%}} p{{max-width:100%;overflow-wrap:anywhere}}
@media (max-width:900px){{body{{margin:8px}} td,th{{padding:2px 3px;font-size:12px}}}}</style></head><body>
<h1>Stress test: survival odds per strategy</h1>
<p>{html.escape(caption(m))}</p><p>Model: {html.escape(m['description'])}</p>
<p>Loss = capital {m['capital']:,.0f} USD minus final equity (USD); VaR and ES are over paths.
{html.escape(SIGN_NOTE)} Hedge cost = funding + fees + options net, as in the backtest report: shown only for
runs whose single replay held a hedge (a short perp against a long, or options). Rank: survival, then ES 95 %;
the single replay runs the same strategies once on the unmodified window, and its rank is by final equity,
all runs together (the backtest report ranks market-neutral runs in a group apart).</p>
{_table(res)}
{'<h2>Failed</h2><ul>' + notes + '</ul>' if notes else ''}
{''.join(divs)}
</body></html>"""
    Path(path).write_text(body, encoding="utf-8")
    return Path(path)
