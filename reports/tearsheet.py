"""Tearsheets, one page per run, with quantstats' metrics against the ``hold`` run, offline and fast.

quantstats' own ``reports.html`` draws a dozen matplotlib figures per page (about a second each page, 9-12 s
for the main job), fills rows and panels a three-month run cannot (3Y/5Y/10Y, six-month rolling windows),
writes names unescaped and says "Recovered" of a liquidated run. So the page is built here: the metrics
table is quantstats' (``reports.metrics``, computed for every run in one call, rows longer than the data
dropped), the charts are static SVG (reports/svg.py), and the page states its data (reconstruction or
recorded, window) like report.html does.

quantstats is daily-only in practice (monthly tables, drawdown lengths in days), so the tearsheet gets
daily returns while report.html and summary.csv measure max drawdown on every bar: a crash that recovers
within a day shows there and not here. Each tearsheet carries a note with the run's bar-resolution max
drawdown (``DRAWDOWN_NOTE_ID``).
"""
from __future__ import annotations

import contextlib
import html
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import figures
from .metrics import PERIODS_PER_YEAR, RUIN_SHARE, daily_returns, max_drawdown, ruined
from .run import RunRecord

DRAWDOWN_NOTE_ID = "hedgelab-resolution"


def bar_label(index: pd.Index) -> str:
    """'1h', '15min', '1D'... from the curve's most common step ('bar' when it has fewer than two points)."""
    if len(index) < 2:
        return "bar"
    step = pd.Series(index[1:] - index[:-1]).mode().iloc[0]
    label = pd.tseries.frequencies.to_offset(step).freqstr
    return label if label[:1].isdigit() else f"1{label}"  # pandas writes one hour as 'h'


def daily_max_drawdown(equity: pd.Series) -> float:
    """Max drawdown of the daily-close curve the tearsheet is built from, starting at the first equity value."""
    r = daily_returns(equity)
    path = pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + r.to_numpy())]))
    return max_drawdown(path)


def resolution_note(run: RunRecord) -> str:
    """The paragraph that tells a tearsheet reader which drawdown this page shows and which the report shows.

    It states the daily figure itself: quantstats leaves its Max Drawdown row blank when the drawdown
    starts on the first day (no 'start' it can find), the usual case for a run that loses on day one.
    """
    label = bar_label(run.equity.index)
    return (f'<p id="{DRAWDOWN_NOTE_ID}" style="border:1px solid #c90;background:#fff8e6;padding:6px 8px">'
            "<b>Daily returns.</b> Every figure on this page comes from daily returns (equity at each UTC "
            "day's last bar), so its max drawdown is measured on daily closes: "
            f"<b>{daily_max_drawdown(run.equity) * 100:+.1f}%</b>. report.html and summary.csv "
            f"measure max drawdown on the full {html.escape(label)} equity curve: "
            f"<b>{max_drawdown(run.equity, run.capital) * 100:+.1f}%</b> for this run. A fall that recovers "
            "within a day shows there and not here.</p>")


def plain_label(text: str) -> str:
    """A name without markup characters, for places that are not HTML-escaped (file names, chart text)."""
    return re.sub(r"[<>&\"'`]", "", str(text)).strip() or "run"


def tearsheet_returns(equity: pd.Series) -> pd.Series:
    """Daily returns with a naive (UTC) index, as quantstats expects."""
    r = daily_returns(equity)
    r.index = r.index.tz_localize(None)
    return r


@contextlib.contextmanager
def _quiet():
    """quantstats/matplotlib warn about fonts and pandas; keep the terminal readable."""
    log = logging.getLogger("matplotlib.font_manager")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def _fallback_page(title: str, reason: str) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"<p>No quantstats tearsheet for this run: {html.escape(reason)}</p></body></html>")


# Rows of quantstats' table that need more history than their label says (days); dropped when the
# run is shorter, since quantstats would fill them with the whole period's figure.
_HORIZON_DAYS = {"3M": 90, "6M": 182, "1Y": 365, "3Y (ann.)": 3 * 365, "5Y (ann.)": 5 * 365,
                 "10Y (ann.)": 10 * 365, "Best Year": 365, "Worst Year": 365, "Win Year": 365,
                 "Expected Yearly": 365, "Win Quarter": 90, "Best Month": 28, "Worst Month": 28,
                 "Win Month": 28, "Expected Monthly": 28, "Avg. Up Month": 28, "Avg. Down Month": 28,
                 "Gain/Pain (1M)": 28}


def preload() -> None:
    """Import quantstats in a background thread (it takes seconds: matplotlib, seaborn, scipy) while the
    engine's kernels, which release the GIL, run; the tearsheets then find it imported."""
    import sys
    import threading
    if "quantstats" in sys.modules:
        return

    def load():
        with contextlib.suppress(Exception):  # a failure shows (and is handled) at the real import
            import quantstats  # noqa: F401
    threading.Thread(target=load, name="hedgelab-preload-quantstats", daemon=True).start()


def quantstats_metrics(returns: pd.DataFrame, bench: pd.Series | None) -> pd.DataFrame:
    """quantstats' full metrics table (formatted strings) for every column of ``returns`` in one call.

    The first column is the benchmark when one is given. Rows the period cannot fill are dropped.
    """
    import quantstats as qs
    with _quiet():
        table = qs.reports.metrics(returns if returns.shape[1] > 1 else returns.iloc[:, 0], bench,
                                   rf=0.0, display=False, mode="full", sep=True, internal="True",
                                   compounded=True, periods_per_year=PERIODS_PER_YEAR, prepare_returns=False,
                                   benchmark_title=bench.name if bench is not None else None,
                                   match_dates=True)
    days = (returns.index[-1] - returns.index[0]).days + 1 if len(returns) else 0
    keep = [not (str(k) in _HORIZON_DAYS and _HORIZON_DAYS[str(k)] > days) for k in table.index]
    table = table[keep]
    # quantstats writes 'CAGR﹪' with a small percent sign many fonts lack
    table.index = [str(k).replace("\ufe6a", "").strip() for k in table.index]
    return table


# quantstats' "Risk of Ruin" is a coin-flip formula on the daily win rate: it said 0.0 % for a run liquidated to
# 80 USD. Left out; the liquidation banner and the stress test's survival answer that question.
DROPPED_ROWS = ("Risk of Ruin",)
# ratios of the mean of returns to their spread: meaningless for a run that lost everything (summary.csv's
# Sharpe is NaN for it too, reports/metrics.py), shown as RUINED_CELL for such a run
RUIN_UNDEFINED = ("Sharpe", "Prob. Sharpe Ratio", "Smart Sharpe", "Sortino", "Smart Sortino", "Sortino/√2",
                  "Smart Sortino/√2", "Omega", "Kelly Criterion")
RUINED_CELL = "n/a (ruined)"


def _metrics_html(table: pd.DataFrame, column: str, bench: str | None, ruined_runs=frozenset()) -> str:
    cols = ([bench] if bench is not None and bench in table.columns and bench != column else []) + [column]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = []
    for key, row in table[cols].iterrows():
        if str(key).strip() in DROPPED_ROWS:
            continue
        cells = [RUINED_CELL if c in ruined_runs and str(key).strip() in RUIN_UNDEFINED else str(v)
                 for c, v in zip(cols, row)]
        if not str(key).strip() and not any(c.strip() for c in cells):
            rows.append(f"<tr><td colspan=\"{len(cols) + 1}\"><hr></td></tr>")
            continue
        rows.append(f"<tr><td>{html.escape(str(key))}</td>"
                    + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table class=\"metrics\"><thead><tr><th>Metric</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _monthly_html(returns: pd.Series, bench: pd.Series | None) -> str:
    """Compounded return per calendar month, only for months the data covers (partial months say so)."""
    def by_month(r):
        return (1.0 + r).groupby(r.index.to_period("M")).prod() - 1.0
    mine = by_month(returns)
    theirs = by_month(bench.reindex(returns.index).fillna(0.0)) if bench is not None else None
    first, last = returns.index[0], returns.index[-1]
    rows = []
    for period, v in mine.items():
        days = returns[returns.index.to_period("M") == period].index
        part = "" if days[0].day == 1 and days[-1].day == period.days_in_month else \
            f" ({days[0]:%d}-{days[-1]:%d} only)"
        other = f"<td>{theirs[period] * 100:+.2f}%</td>" if theirs is not None else ""
        rows.append(f"<tr><td>{period:%b %Y}{part}</td><td>{v * 100:+.2f}%</td>{other}</tr>")
    head = "<th>Benchmark</th>" if bench is not None else ""
    return (f"<h3>Monthly returns ({first:%Y-%m-%d} to {last:%Y-%m-%d})</h3><table class=\"metrics\"><thead><tr>"
            f"<th>Month</th><th>Strategy</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def drawdown_periods(returns: pd.Series, top: int = 5) -> list[dict]:
    """The worst falls of the daily-close curve: start (last peak), valley, recovery day or None, depth."""
    path = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    days = [returns.index[0] - pd.Timedelta(days=1)] + list(returns.index)
    out, peak_i, valley_i = [], 0, None
    for i in range(1, len(path)):
        if path[i] >= path[peak_i]:
            if valley_i is not None:
                out.append((peak_i, valley_i, i))
            peak_i, valley_i = i, None
        elif valley_i is None or path[i] < path[valley_i]:
            valley_i = i
    if valley_i is not None:
        out.append((peak_i, valley_i, None))
    rows = [{"start": days[p], "valley": days[v], "end": None if e is None else days[e],
             "depth": path[v] / path[p] - 1.0, "days": ((days[e] if e is not None else days[-1]) - days[p]).days}
            for p, v, e in out]
    return sorted(rows, key=lambda r: r["depth"])[:top]


def _drawdowns_html(returns: pd.Series, liquidated: bool) -> str:
    rows = []
    for d in drawdown_periods(returns):
        end = f"{d['end']:%Y-%m-%d}" if d["end"] is not None else (
            "never (liquidated)" if liquidated else "not recovered by the end of the data")
        rows.append(f"<tr><td>{d['start']:%Y-%m-%d}</td><td>{d['valley']:%Y-%m-%d}</td><td>{end}</td>"
                    f"<td>{d['depth'] * 100:+.2f}%</td><td>{d['days']}</td></tr>")
    body = "".join(rows) or "<tr><td colspan=\"5\">no drawdown at the daily closes</td></tr>"
    return ("<h3>Worst drawdowns (daily closes)</h3><table class=\"metrics\"><thead><tr><th>Peak</th>"
            "<th>Valley</th><th>Recovered</th><th>Depth</th><th>Days</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


def data_banner(manifest: dict | None, index: pd.DatetimeIndex) -> str:
    """Which data the page rests on (reconstruction or recorded) and the window the run covers."""
    mf = manifest or {}
    kind = str(mf.get("kind", "unknown"))
    label = {"reconstruction": "RECONSTRUCTION, not recorded market data", "real": "Recorded market data",
             "imported": "Imported market data"}.get(kind, f"Data kind: {kind}")
    window = f"{index[0]:%Y-%m-%d %H:%M} to {index[-1]:%Y-%m-%d %H:%M} UTC ({bar_label(index)} bars)" if len(index) else ""
    style = "#fff4e5;border:1px solid #f0a030" if kind == "reconstruction" else "#eef7ee;border:1px solid #7bb77b"
    return (f'<p class="banner" id="hedgelab-data" style="background:{style};padding:6px 8px">'
            f"<b>{html.escape(label)}</b>: {html.escape(str(mf.get('name', 'unnamed dataset')))}, "
            f"{html.escape(str(mf.get('venue', '')))} {html.escape(str(mf.get('symbol', '')))}; "
            f"window {html.escape(window)}.</p>")


_STYLE = ("body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#222}"
          "main{max-width:1100px;margin:0 auto;padding:20px}h1{font-size:22px;margin:0}h4{color:#666;"
          "font-weight:400;margin:4px 0 10px}.grid{display:grid;grid-template-columns:minmax(0,3fr) "
          "minmax(0,2fr);gap:16px}@media(max-width:900px){.grid{grid-template-columns:1fr}}"
          "table.metrics{border-collapse:collapse;font-size:12px;width:100%}table.metrics td,table.metrics th"
          "{padding:2px 6px;text-align:right;border-bottom:1px solid #f0f0f0}table.metrics td:first-child,"
          "table.metrics th:first-child{text-align:left}hr{border:0;border-top:1px solid #ccc;margin:2px 0}"
          "svg.chart{display:block;margin:0 0 10px;background:#fff}")


def figures_banner(row: pd.Series | None) -> str:
    """The run's figures as summary.csv and report.html give them (same row), so the page cannot disagree."""
    if row is None:
        return ""
    from .sections import finite

    def usd(x):
        return f"{x:+,.0f} USD" if finite(x) else "–"
    cost = "no hedge held" if row["hedge"] == figures.NO_HEDGE else f"hedge cost {usd(row['hedge_cost_usd'])}"
    group = "" if row["group"] == figures.ALL else f" in the {row['group']} group"
    return (f'<p id="hedgelab-figures" style="border:1px solid #99b;background:#f3f5fb;padding:6px 8px">'
            f"<b>As in report.html and summary.csv</b>: rank {int(row['rank'])}{html.escape(group)}; final "
            f"equity {row['final_equity']:,.0f} USD ({row['total_return'] * 100:+.1f}%); {html.escape(cost)}; "
            f"funding {usd(row['funding_paid_usd'])}, fees {usd(row['fees_paid_usd'])}, options net "
            f"{usd(row['options_net_paid_usd'])}. {html.escape(figures.SIGN_NOTE)}</p>")


def ruin_note(run: RunRecord) -> str:
    if not (run.has_equity and ruined(run.equity, run.capital)):
        return ""
    return (f'<p id="hedgelab-ruined" style="background:#fdecea;border:1px solid #e57373;padding:6px 8px">'
            f"<b>Ruined</b>: equity fell to {float(run.equity.min()):,.0f} USD, at most {RUIN_SHARE:.0%} of the "
            f"capital of {run.capital:,.0f} USD. Ratios of mean return to its spread (Sharpe, Sortino, Omega, "
            f"Kelly) say nothing of such a run and read {RUINED_CELL}; the same Sharpe is empty in summary.csv.</p>")


def render_tearsheet(run: RunRecord, returns: pd.Series, bench: pd.Series | None, table: pd.DataFrame,
                     manifest: dict | None = None, row: pd.Series | None = None,
                     ruined_runs=frozenset()) -> str:
    """The page for one run: header, data banner, drawdown note, SVG charts, metrics and tables."""
    from . import svg
    name = str(run.name)
    liq = run.events is not None and len(run.events) and (run.events["kind"].astype(str) == "liquidation")
    n_liq = int(liq.sum()) if liq is not False else 0
    sub = [] if run.strategy == run.name else [f"strategy {html.escape(str(run.strategy))}"]
    if run.params:
        sub.append(html.escape(", ".join(f"{k}={v}" for k, v in run.params.items())))
    params = ["Benchmark: " + html.escape(str(bench.name).upper())] if bench is not None else []
    params += [f"Periods/Year: {PERIODS_PER_YEAR}", "RF: 0.0%"]
    span = f"{returns.index[0]:%d %b, %Y} - {returns.index[-1]:%d %b, %Y}" if len(returns) else ""
    liq_banner = ""
    if n_liq:
        first = pd.to_datetime(run.events.loc[liq, "time"], utc=True).min()
        liq_banner = (f'<p id="hedgelab-liquidated" style="background:#fdecea;border:1px solid #e57373;'
                      f'padding:6px 8px"><b>LIQUIDATED</b> {n_liq} time(s), first at {first:%Y-%m-%d %H:%M} UTC; '
                      "the figures below include the loss.</p>")
    wealth = [(1.0 + returns).cumprod() - 1.0]
    names, colors = [name], ["#1f77b4"]
    if bench is not None:
        wealth.append((1.0 + bench.reindex(returns.index).fillna(0.0)).cumprod() - 1.0)
        names.append(str(bench.name))
        colors.append("#999999")
    dd = (1.0 + returns).cumprod()
    dd = dd / np.maximum.accumulate(np.maximum(dd.to_numpy(), 1.0)) - 1.0
    charts = (svg.chart(wealth, names, colors, "Cumulative return (daily closes)", pct=True)
              + svg.chart([dd], [name], ["#d62728"], "Drawdown from peak (daily closes)", pct=True)
              + svg.chart([returns], [name], ["#1f77b4"], "Daily returns", pct=True, bars=True))
    title = f"{name} · tearsheet · hedgelab"
    bench_name = str(bench.name) if bench is not None else None
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}"
            f"</title><style>{_STYLE}</style></head><body><main><h1>{html.escape(name)}</h1>"
            + (f"<p>{' · '.join(sub)}</p>" if sub else "")
            + f"<h4>{' &bull; '.join(params)} | {html.escape(span)}</h4>"
            + data_banner(manifest, run.equity.index) + liq_banner + ruin_note(run) + figures_banner(row)
            + resolution_note(run)
            + f"<div class=\"grid\"><div>{charts}{_monthly_html(returns, bench)}{_drawdowns_html(returns, bool(n_liq))}"
            f"</div><div><h3>Key performance metrics (quantstats)</h3>{_metrics_html(table, name, bench_name, ruined_runs)}"
            "<p style='font-size:12px;color:#666'>quantstats' Risk of Ruin is left out: a formula on the daily win "
            "rate, it said 0.0 % of a run liquidated to nothing; see the liquidations and the stress test.</p>"
            "</div></div>"
            "</main></body></html>")


def _benchmark_returns(run: RunRecord, benchmark: RunRecord | None, returns: pd.Series) -> pd.Series | None:
    if benchmark is None or benchmark is run or not benchmark.has_equity:
        return None
    if np.nanstd(returns.to_numpy()) == 0:
        return None  # quantstats cannot regress a flat strategy on a benchmark
    bench = tearsheet_returns(benchmark.equity)
    bench.name = benchmark.name
    return bench


def write_tearsheet(run: RunRecord, benchmark: RunRecord | None, path: Path, manifest: dict | None = None,
                    table: pd.DataFrame | None = None, row: pd.Series | None = None) -> str | None:
    """Write one tearsheet to ``path``; returns None, or the reason a plain fallback page was written.

    table: quantstats' metrics with a column named after the run (and the benchmark's), when they were
    computed for several runs at once; computed here otherwise.
    """
    title = f"{plain_label(run.name)} · tearsheet"
    if run.failed or not run.has_equity:
        reason = f"the run failed: {run.error}" if run.error else "no equity curve (summary-only run)"
        path.write_text(_fallback_page(title, reason), encoding="utf-8")
        return reason
    returns = tearsheet_returns(run.equity)
    returns.name = run.name
    bench = _benchmark_returns(run, benchmark, returns)
    reason = None
    try:
        if table is None or run.name not in table.columns:
            table = quantstats_metrics(returns.to_frame(), bench)
            table = table.rename(columns={table.columns[-1]: run.name})
        gone = {r.name for r in (run, benchmark) if r is not None and r.has_equity and ruined(r.equity, r.capital)}
        page = render_tearsheet(run, returns, bench, table, manifest, row, frozenset(gone))
    except Exception as exc:  # noqa: BLE001 - a tearsheet must not sink the whole report
        reason = f"quantstats failed: {type(exc).__name__}: {exc}"
        page = _fallback_page(title, reason)
    path.write_text(page, encoding="utf-8")
    return reason


def benchmark_run(runs: list[RunRecord]) -> RunRecord | None:
    """The ``hold`` run: the one named 'hold' if any, else the first of strategy 'hold' (None without one)."""
    holds = [r for r in runs if r.strategy == "hold" and not r.failed and r.has_equity]
    return next((r for r in holds if r.name == "hold"), holds[0] if holds else None)


def _shared_table(runs: list[RunRecord], bench: RunRecord | None) -> pd.DataFrame | None:
    """quantstats' metrics for every run on the benchmark's days in one call (None: compute per run)."""
    ok = [r for r in runs if not r.failed and r.has_equity and r is not bench]
    if len(ok) < 2 or bench is None:
        return None
    frame = pd.concat({r.name: tearsheet_returns(r.equity) for r in ok}, axis=1)
    b = tearsheet_returns(bench.equity)
    b.name = bench.name
    if frame.isna().any().any() or not frame.index.equals(b.index) or (frame.std() == 0).any():
        return None  # different days or a flat run: per-run tables (quantstats cannot regress those)
    try:
        return quantstats_metrics(frame, b)
    except Exception:  # noqa: BLE001 - each run then tries alone and gets its own fallback reason
        return None


def write_tearsheets(runs: list[RunRecord], names: list[str], out_dir: Path, progress: bool = True,
                     benchmark: RunRecord | None = None, manifest: dict | None = None,
                     summary: pd.DataFrame | None = None) -> dict:
    """One tearsheet per run into ``out_dir`` as ``<name>.html``, against ``benchmark`` (default: the hold run).
    ``summary``: the report's summary frame, whose row of each run the page repeats (figures_banner).

    quantstats' metrics are computed for all runs in one call; the pages themselves take milliseconds.
    Returns {file name: fallback reason or None}.
    """
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    bench = benchmark if benchmark is not None else benchmark_run(runs)
    table = _shared_table(runs, bench)
    wanted = summary[summary["run"].astype(str).isin({r.name for r in runs})] if summary is not None else None
    rows = {} if wanted is None else {str(r["run"]): r for _, r in wanted.iterrows()}   # a sweep's few, not all
    done = {}
    for run, name in tqdm(list(zip(runs, names)), desc="tearsheets", unit="run", disable=not progress):
        done[name] = write_tearsheet(run, bench, out_dir / f"{name}.html", manifest, table, rows.get(run.name))
    return done
