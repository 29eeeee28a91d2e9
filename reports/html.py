"""The comparison report: report.html (one self-contained page), summary.csv, events.csv, tearsheets/.

Every file is written into a temporary folder inside ``out_dir`` and renamed into place at the end, so a
reader never sees half a report (report.html is moved last). Every user-provided string on the page goes
through ``html.escape``; plotly gets them as JSON (which cannot close a script tag), escaped for plotly's
own pseudo-HTML in names and labels (charts.py).
"""
from __future__ import annotations

import dataclasses
import html
import json
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts, exposure, sections
from . import adl as adl_report
from . import liquidation_story
from . import scenario_matrix
from .run import EVENT_COLUMNS, EVENT_DETAILS, RunRecord, SummaryRuns, runs_by_name
from .stress_section import stress_section
from .summary import summary_frame

esc = html.escape
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@dataclass
class ReportFiles:
    """What write_report produced."""
    out_dir: Path
    report: Path
    summary_csv: Path
    events_csv: Path | None   # None: a summary-mode sweep keeps no events (no file rather than a bare header)
    tearsheets: dict = field(default_factory=dict)  # run name -> Path (runs without one are absent)
    summary: pd.DataFrame | None = None
    seconds: float = 0.0


def unique_names(runs) -> list[RunRecord]:
    """Runs keyed by name below; a repeated name gets ' #2', ' #3' (the records are copied, not changed)."""
    if isinstance(runs, SummaryRuns):
        labels = unique_labels(runs.labels)
        return runs if labels == list(runs.labels) else runs.renamed(labels)
    runs = list(runs)
    names = unique_labels([r.name for r in runs])
    return [r if name == r.name else dataclasses.replace(r, name=name) for r, name in zip(runs, names)]


def unique_labels(names) -> list[str]:
    """``names`` with a repeated one made ' #2', ' #3', ..."""
    out, seen = [], set()
    for given in names:
        name, i = given, 2
        while name in seen:
            name, i = f"{given} #{i}", i + 1
        seen.add(name)
        out.append(name)
    return out


def safe_names(names: list[str]) -> list[str]:
    """File-system-safe, unique file stems for run names ('perp-hedge', 'perp-hedge-2', ...)."""
    out, seen = [], set()
    for n in names:
        stem = re.sub(r"[^a-z0-9._-]+", "-", str(n).lower()).strip("-.") or "run"
        stem, cand, i = stem[:80], stem[:80], 2
        while cand in seen:
            cand, i = f"{stem}-{i}", i + 1
        seen.add(cand)
        out.append(cand)
    return out


# ---- charts -----------------------------------------------------------------------------------------------

def _chart(fig: dict | None, key: str, caption: str = "", empty: str = "") -> str:
    """A chart placeholder plus its spec as inert JSON; the page script draws it on the shared time axis."""
    if fig is None:
        return f"<p class='note' id='{key}-none'>{esc(empty)}</p>" if empty else ""
    runs = sum(1 for t in fig["data"] if t.get("meta") == "run")
    spec = json.dumps({"data": fig["data"], "layout": fig["layout"]}, separators=(",", ":"), allow_nan=False,
                      default=_json_default).replace("</", "<\\/")
    notes = [caption] if caption else []
    notes += [esc(n) for n in fig.get("notes", [])]
    cap = f"<p class='note'>{'; '.join(notes)}.</p>" if notes else ""
    return (f"<div class='chart' id='chart-{key}' data-chart='{key}' data-run-traces='{runs}'></div>"
            f"<script type='application/json' class='chart-spec' data-for='chart-{key}'>{spec}</script>{cap}")


def _json_default(o):
    if isinstance(o, (np.floating,)):
        return float(o) if np.isfinite(o) else None
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def _clean(fig):
    """NaN is not JSON: plotly reads null as a gap (heatmap cells, liquidation prices)."""
    if fig is None:
        return None
    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return fix(fig)


def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def default_title(runs, heatmap) -> str:
    if len(runs) == 1:
        return f"hedgelab: run {runs[0].name}"
    if heatmap:
        strategies = sorted({r.strategy for r in runs})
        return f"hedgelab: sweep of {', '.join(strategies)} ({len(runs)} runs)"
    return f"hedgelab: comparison of {len(runs)} runs"


def _window(runs, mf) -> str:
    from .tearsheet import bar_label
    kept = getattr(runs, "window", None) if isinstance(runs, SummaryRuns) else None
    if kept is not None:   # a summary-mode sweep keeps no curves: the window its runs covered
        first, last, seconds = kept
        return (f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC "
                f"({bar_label(pd.DatetimeIndex([first, first + pd.Timedelta(seconds=seconds)]))} bars, by bar open)")
    idx = [r.equity.index for r in runs if r.has_equity]
    if not idx:
        return f"{mf.get('start', '?')} to {mf.get('end', '?')} UTC"
    first, last = min(i[0] for i in idx), max(i[-1] for i in idx)
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC ({bar_label(idx[0])} bars, by bar open)"


def render_page(runs: list[RunRecord], summary: pd.DataFrame, *, manifest: dict, title: str | None = None,
                crash_windows=None, heatmap: dict | None = None, assumptions=(), tearsheet_links=None,
                max_curves: int = 60, files_note: str = "", events: pd.DataFrame | None = None,
                stress=None, coin_prices: dict | None = None, scenarios=None) -> str:
    tearsheet_links = tearsheet_links or {}
    title = title or default_title(runs, heatmap)
    by_name = runs_by_name(runs)
    ranked_ok = [by_name[n] for n in summary["run"] if not by_name[n].failed and by_name[n].has_equity]
    limit = min(max_curves, 10) if heatmap else max_curves
    charted = ranked_ok[:limit]
    cols = charts.colors(len(charted))
    color_of = {r.name: c for r, c in zip(charted, cols)}
    windows, windows_note = charts.crash_windows(crash_windows, runs)
    # several coins in one account (a summary-mode sweep keeps no coins: not built run by run to find out)
    baskets = not isinstance(runs, SummaryRuns) and any(getattr(r, "coins", None) is not None for r in runs)
    mf = manifest or {}
    events = events_frame(runs) if events is None else events
    window = _window(runs, mf)
    bar = str(mf.get("bar_size") or "bar")
    kind = str(mf.get("kind", "unknown"))
    parts = [f"<h1>{esc(title)}</h1>",
             f"<p class='sub'>{len(runs)} run{'s' if len(runs) != 1 else ''} on "
             f"{esc(str(mf.get('name', 'unnamed data')))} ({esc(kind)}); window {esc(window)}; "
             f"generated {esc(pd.Timestamp.now('UTC').strftime('%Y-%m-%d %H:%M'))} UTC{esc(files_note)}</p>"]
    if kind == "reconstruction":
        parts.append("<div class='banner recon'><b>Reconstruction, not recorded market data</b>: see "
                     "<a href='#data'>Data</a> for the anchored facts.</div>")
    warned = [str(a) for a in assumptions or () if str(a).startswith("WARNING")]
    if warned:  # data that does not cover the window (reports/coverage.py) is said at the top
        parts.append("<div class='banner fail' id='coverage'><b>The data does not cover the whole window</b>"
                     f"<ul>{''.join(f'<li>{esc(w)}</li>' for w in warned)}</ul></div>")
    failed = summary[summary["error"].apply(lambda e: isinstance(e, str))]
    if len(failed):
        items = "".join(f"<li><b>{esc(str(r['run']))}</b>: {esc(str(r['error']))}</li>" for _, r in failed.iterrows())
        parts.append(f"<div class='banner fail' id='failed'><b>{len(failed)} run(s) failed</b> and are not charted:"
                     f"<ul>{items}</ul></div>")
    if heatmap:
        parts.append("<section id='heatmap'><h2>Sweep heatmap</h2>"
                     + _chart(_clean(charts.heatmap_figure(runs, summary, heatmap)), "heatmap",
                              "Each cell shows its value; ✕ before it marks a cell with a liquidated run; a cell that holds "
                              "several runs (other parameters varied) shows their mean. The menu switches the metric")
                     + "</section>")
    parts.append(sections.ranking(summary, by_name, tearsheet_links, str(mf.get("bar_size") or "")))
    parts.append(scenario_matrix.section(scenarios, list(summary["run"])))  # "" without one (--no-scenarios)
    parts.append(stress_section(stress))  # "" unless a stress test ran with the backtest (--stress)
    axis = charts.Axis([r.equity.index for r in charted]) if charted else None
    more = (f"; the {len(charted)} best-ranked of {len(ranked_ok)} runs are charted (all are in the ranking)"
            if len(charted) < len(ranked_ok) else "")
    survivors = [r for r in charted if not (r.events is not None and len(charts.liquidations(r)))]
    liquidated = [r for r in charted if r not in survivors]
    eq = ["<section id='equity'><h2>Equity</h2>"]
    if charted:
        eq.append(_chart(charts.equity_figure(axis, survivors, [color_of[r.name] for r in survivors], windows,
                                              "Equity of the runs that survived (USD)"), "equity",
                         esc(windows_note + more)) if survivors else "")
        if liquidated:
            eq.append(_chart(charts.equity_figure(axis, liquidated, [color_of[r.name] for r in liquidated], windows,
                                                  "Liquidated runs, in their own panel (USD, log scale)", log=True),
                             "equity-liquidated", "Liquidated runs are drawn apart so that a -100% run does not "
                                                  "squash the others"))
        eq.append(_chart(charts.drawdown_figure(axis, charted, cols, windows), "drawdown"))
    else:
        eq.append("<p class='note'>No run produced an equity curve.</p>")
    parts.append("".join(eq) + "</section>")
    parts.append(sections.crisis_windows(charted, windows, windows_note, bar))
    parts.append("<section id='liquidations'><h2>Liquidations</h2>"
                 + (_chart(_clean(charts.liquidation_figure(axis, charted, cols, windows)), "liquidations",
                           "Dashed: each run's liquidation price while it holds a perp; X: each liquidation (hover: "
                           "run, leg, side, price, quantity, cash flow)") if charted else "")
                 + sections.liquidation_table(runs)
                 + liquidation_story.section(runs)
                 + (sections.coin_liquidations(runs, coin_prices) if baskets else "")
                 + (_chart(charts.margin_figure(axis, charted, cols, windows), "margin",
                           "The series stop where no position is left (after a liquidation) instead of reading 0%",
                           "No run has a margin ratio series (no leveraged positions).") if charted else "")
                 + (_chart(_clean(charts.distance_figure(axis, charted, cols, windows)), "liq-distance", "",
                           "No run has a distance-to-liquidation series (no leveraged positions).") if charted else "")
                 + "</section>")
    if not isinstance(runs, SummaryRuns):
        parts.append(adl_report.section(list(runs)))
    costs = {r.name: exposure.cumulative_costs(r) for r in charted}
    hedged_first = sorted(charted, key=lambda r: not exposure.hedge_legs(r))  # the menu opens on a hedge
    parts.append("<section id='costs'><h2>Costs over time</h2>"
                 + (_chart(charts.costs_figure(axis, hedged_first, costs, windows), "costs",
                           "USD paid so far by each run (menu), stacked by source; funding received or option "
                           "payoffs bring a layer below zero") if charted else "") + "</section>")
    delta = {r.name: exposure.btc_delta(r) for r in charted}
    lev = {r.name: exposure.leverage(r) for r in charted}
    parts.append("<section id='exposure'><h2>Exposure</h2>"
                 + (_scaled(axis, charted, cols, windows, delta, "delta", "BTC delta (spot + perp, BTC; options not "
                            "included)", "BTC", ",.3f") if charted else "")
                 + (_scaled(axis, charted, cols, windows, lev, "leverage", "Leverage (|BTC delta| x mark / equity)",
                            "x", ".2f") if charted else "")
                 + "</section>")
    if baskets:
        parts.append(sections.coin_attribution(charted, axis, windows, window, _chart))
        parts.append(sections.coin_basis(runs, coin_prices, axis, windows, _chart))
        parts.append(sections.hedge_betas(runs, coin_prices))
    parts.append(sections.events_table(events))
    parts.append(sections.assumptions(assumptions, events))
    parts.append(sections.data(mf, window))
    from hedgelab import __version__
    times = json.dumps(axis.ms() if axis is not None else [], separators=(",", ":"))
    slots = {"title": esc(title), "version": esc(__version__), "plotlyjs": _plotlyjs(), "body": "\n".join(parts),
             "times": times}
    template = resources.files("hedgelab.reports").joinpath("templates/report.html").read_text(encoding="utf-8")
    return _SLOT.sub(lambda mt: slots[mt.group(1)], template)


def _scaled(axis, runs, cols, windows, series: dict, key: str, title: str, unit: str, fmt: str) -> str:
    """An exposure chart; runs on a scale far above the others' (charts.apart_by_scale) in a second panel."""
    apart = charts.apart_by_scale(series)
    pairs = list(zip(runs, cols))
    common = [(r, c) for r, c in pairs if r.name not in apart]
    out = _chart(charts.exposure_figure(axis, [r for r, _ in common], [c for _, c in common], windows, series,
                                        title, unit, fmt), key)
    if apart:
        big = [(r, c) for r, c in pairs if r.name in apart]
        names = ", ".join(r.name for r, _ in big)
        out += _chart(charts.exposure_figure(axis, [r for r, _ in big], [c for _, c in big], windows, series,
                                             f"{title}: on their own scale", unit, fmt), f"{key}-apart",
                      esc(f"{names}: more than {charts.SCALE_APART:g} times the other runs' largest value, drawn "
                          "apart so that the others stay readable"))
    return out


def events_frame(runs: list[RunRecord]) -> pd.DataFrame:
    """Every run's events (contract columns, then ``run``), in time order; runs without events add nothing."""
    frames = []
    for r in runs:
        if r.events is None or len(r.events) == 0:
            continue
        full = r.events_frame()
        ev = full[EVENT_COLUMNS + [c for c in EVENT_DETAILS if c in full.columns]].copy()
        ev["strategy"] = ev["strategy"].where(ev["strategy"].notna() & (ev["strategy"] != ""), r.strategy)
        ev["run"] = r.name
        frames.append(ev)
    if not frames:
        return pd.DataFrame(columns=EVENT_COLUMNS + ["run"])
    out = pd.concat(frames, ignore_index=True)
    out = out[EVENT_COLUMNS + ["run"] + [c for c in EVENT_DETAILS if c in out.columns]]
    out["time"] = pd.to_datetime(out["time"], utc=True)
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def _check_heatmap(heatmap, runs):
    if not heatmap:
        return
    for axis in ("x", "y"):
        if axis not in heatmap:
            raise _user_error(f"heatmap: missing '{axis}' (the parameter on that axis)")
        # a failed strategy may have no parameters: it is left off the heatmap, not an error
        missing = [r.name for r in runs if r.error is None and heatmap[axis] not in (r.params or {})]
        if missing:
            raise _user_error(f"heatmap {axis}={heatmap[axis]!r}: not a parameter of run {missing[0]!r}")
    metric = heatmap.get("metric", "total_return")
    from .summary import SUMMARY_COLUMNS, TEXT_COLUMNS
    if metric not in SUMMARY_COLUMNS or metric in TEXT_COLUMNS:
        raise _user_error(f"heatmap metric={metric!r}: not a numeric summary column")


def _user_error(msg):
    from hedgelab.core.errors import UserError
    return UserError(msg)


def write_report(runs: list[RunRecord], out_dir, *, manifest: dict, title: str | None = None,
                 crash_windows=None, heatmap: dict | None = None, assumptions=(), progress: bool = True,
                 max_tearsheets: int | None = 30, max_curves: int = 60, stress=None,
                 coin_prices: dict | None = None, scenarios=None) -> ReportFiles:
    """Write report.html, summary.csv, events.csv and tearsheets/<run>.html into ``out_dir`` atomically.

    max_tearsheets: tearsheets take seconds each, so only the best-ranked runs (and ``hold``, their
    benchmark) get one; None = every run, 0 = none.
    max_curves: the most runs drawn on the time charts (sweeps rely on the heatmap).
    stress: a StressResult run with the backtest: the page gets its section (its files are the caller's).
    coin_prices: basket runs only, {coin: DataFrame with ``mark`` and ``index`` closes (and optionally
      ``close``, the perp's traded close) on the runs' bars}: the page then shows the basis per coin
      around 2025-10-10 (reports/basket.py) and each coin's previous close in a liquidation.
    scenarios: a comparison's ScenarioMatrix: the page gets its section after the ranking.
    """
    t0 = time.perf_counter()
    runs = unique_names(runs)
    _check_heatmap(heatmap, runs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_frame(runs)
    stems = dict(zip([r.name for r in runs], safe_names([r.name for r in runs])))
    by_name = runs_by_name(runs)
    ranked = [by_name[n] for n in summary["run"] if not by_name[n].failed and by_name[n].has_equity]
    chosen = ranked if max_tearsheets is None else ranked[:max_tearsheets]
    from .tearsheet import benchmark_run, write_tearsheets
    bench = benchmark_run(runs)
    if chosen and bench is not None and all(r is not bench for r in chosen):
        chosen.append(bench)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        if chosen:   # none chosen (--tearsheets 0, a summary-mode sweep): no bar, no empty tearsheets/
            write_tearsheets(chosen, [stems[r.name] for r in chosen], tmp / "tearsheets", progress=progress,
                             benchmark=bench, manifest=manifest, summary=summary)
        keeps_events = not isinstance(runs, SummaryRuns)
        links = {r.name: f"tearsheets/{stems[r.name]}.html" for r in chosen}
        # The page and the csv files take seconds on a comparison (minutes on a big sweep): a bar too.
        from tqdm.auto import tqdm
        with tqdm(total=3, desc="report", unit="file", disable=not progress, leave=False) as bar:
            bar.set_postfix_str("summary.csv")
            summary.to_csv(tmp / "summary.csv", index=False)
            bar.update()
            bar.set_postfix_str("events.csv")
            events = events_frame(runs)
            if keeps_events:
                events.to_csv(tmp / "events.csv", index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
            bar.update()
            bar.set_postfix_str("report.html")
            note = ("" if len(chosen) == len(runs) else f"; tearsheets for the {len(chosen)} best-ranked runs" if chosen
                    else "; no tearsheets")
            page = render_page(runs, summary, manifest=manifest, title=title, crash_windows=crash_windows,
                               heatmap=heatmap, assumptions=assumptions, tearsheet_links=links,
                               max_curves=max_curves, files_note=note, events=events, stress=stress,
                               coin_prices=coin_prices, scenarios=scenarios)
            (tmp / "report.html").write_text(page, encoding="utf-8")
            bar.update()
        if chosen:
            (out / "tearsheets").mkdir(exist_ok=True)
            for f in sorted((tmp / "tearsheets").iterdir()):
                os.replace(f, out / "tearsheets" / f.name)
        for name in ("summary.csv", "events.csv", "report.html"):
            if name != "events.csv" or keeps_events:
                os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ReportFiles(out, out / "report.html", out / "summary.csv", out / "events.csv" if keeps_events else None,
                       {n: out / link for n, link in links.items()}, summary, time.perf_counter() - t0)
