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

import pandas as pd

from . import charts
from .run import EVENT_COLUMNS, RunRecord
from .summary import status, summary_frame

esc = html.escape
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@dataclass
class ReportFiles:
    """What write_report produced."""
    out_dir: Path
    report: Path
    summary_csv: Path
    events_csv: Path
    tearsheets: dict = field(default_factory=dict)  # run name -> Path (runs without one are absent)
    summary: pd.DataFrame | None = None
    seconds: float = 0.0


def unique_names(runs) -> list[RunRecord]:
    """Runs keyed by name below; a repeated name gets ' #2', ' #3' (the records are copied, not changed)."""
    out, seen = [], set()
    for r in runs:
        name, i = r.name, 2
        while name in seen:
            name, i = f"{r.name} #{i}", i + 1
        seen.add(name)
        out.append(r if name == r.name else dataclasses.replace(r, name=name))
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


# ---- formatting -------------------------------------------------------------------------------------------

def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _pct(x, digits=1) -> str:
    if not _finite(x):
        return "–"
    cls = "neg" if x < 0 else "pos" if x > 0 else ""
    return f'<span class="{cls}">{x * 100:+.{digits}f}%</span>'


def _usd(x, signed=False) -> str:
    if not _finite(x):
        return "–"
    if round(x) == 0:
        return "0"  # not "+0" or "-0"
    return f"{x:+,.0f}" if signed else f"{x:,.0f}"


def _num(x, fmt=".2f") -> str:
    return f"{x:{fmt}}" if _finite(x) else "–"


# ---- page sections ------------------------------------------------------------------------------------------

def _data_section(manifest: dict) -> str:
    mf = manifest or {}
    kind = str(mf.get("kind", "unknown"))
    rng = f"{mf.get('start', '?')} → {mf.get('end', '?')}"
    what = (f"<b>{esc(str(mf.get('name', 'unnamed dataset')))}</b>: {esc(str(mf.get('venue', '?')))} "
            f"{esc(str(mf.get('symbol', '?')))}, {esc(rng)} UTC, bars {esc(str(mf.get('bar_size', '?')))}")
    if kind == "reconstruction":
        anchors = mf.get("anchors") or []
        items = "".join(
            f"<li>{esc(str(a.get('fact', '')))}: <b>{esc(str(a.get('value', '')))}</b>"
            f" ({esc(str(a.get('date', '')))}; {esc(str(a.get('source', '')))})</li>" if isinstance(a, dict)
            else f"<li>{esc(str(a))}</li>" for a in anchors)
        banner = (f'<div class="banner recon"><b>Reconstruction, not recorded market data.</b> {what}. '
                  "The price path is rebuilt to match the anchors below; results show how each hedge "
                  "behaves on a crash of this shape, not what happened to a real account."
                  f"<ul>{items or '<li>no anchors listed</li>'}</ul></div>")
    else:
        label = {"real": "Recorded market data", "imported": "Imported market data"}.get(kind, f"Data kind: {kind}")
        banner = f'<div class="banner real"><b>{esc(label)}.</b> {what}.</div>'
    rows = []
    proxies = mf.get("proxies") or {}
    for k, v in proxies.items():
        rows.append(f"<dt>proxy: {esc(str(k))}</dt><dd>{esc(str(v))}</dd>")
    rows.append(f"<dt>IV fill rule</dt><dd>{esc(str(mf.get('iv_fill') or 'none (IV covers the range)'))}</dd>")
    if mf.get("funding_interval_hours"):
        rows.append(f"<dt>funding interval</dt><dd>{esc(str(mf['funding_interval_hours']))} h</dd>")
    for k, v in (mf.get("provenance") or {}).items():
        rows.append(f"<dt>source: {esc(str(k))}</dt><dd>{esc(str(v))}</dd>")
    notes = "".join(f"<li>{esc(str(n))}</li>" for n in mf.get("notes") or [])
    return (f"<h2>Data</h2>{banner}<dl>{''.join(rows)}</dl>"
            + (f"<ul class='note'>{notes}</ul>" if notes else ""))


def _ranking_section(summary: pd.DataFrame, tearsheet_links: dict, bar_size: str = "") -> str:
    bars = f"{bar_size} " if bar_size else "bar-by-bar "
    head = ("<tr><th>#</th><th class='l'>run</th><th class='l'>tearsheet</th><th class='l'>status</th>"
            "<th>final equity (USD)</th>"
            "<th>return</th>"
            f"<th title='on the {esc(bars)}equity curve; the tearsheets use daily closes'>max drawdown ({esc(bars.strip())})</th>"
            "<th>worst day</th><th>Sharpe</th>"
            "<th>funding cost</th><th>fees</th><th>options net cost</th><th>hedge cost (USD)</th>"
            "<th class='l'>params</th></tr>")
    body = []
    for _, r in summary.iterrows():
        failed = isinstance(r["error"], str)
        if failed:
            cls, tag = "failed", f"<span class='tag fail'>FAILED</span> {esc(r['error'])}"
        elif r["liquidations"] > 0:
            cls, tag = "liq", f"<span class='tag liq'>{esc(status(r))}</span>"
        else:
            cls, tag = "ok", "<span class='tag ok'>survived</span>"
        link = tearsheet_links.get(r["run"])
        link = f"<a href='{esc(link)}'>open</a>" if link else "–"
        body.append(
            f"<tr class='{cls}'><td>{r['rank']}</td><td class='l run'>{esc(str(r['run']))}</td>"
            f"<td class='l'>{link}</td><td class='l'>{tag}</td>"
            f"<td>{_usd(r['final_equity'])}</td><td>{_pct(r['total_return'])}</td><td>{_pct(r['max_drawdown'])}</td>"
            f"<td>{_pct(r['worst_day'])}</td><td>{_num(r['sharpe'])}</td>"
            f"<td>{_usd(-r['funding_pnl'], True)}</td><td>{_usd(r['fees'], True)}</td>"
            f"<td>{_usd(-r['option_pnl'], True)}</td><td><b>{_usd(r['hedge_cost'], True)}</b></td>"
            f"<td class='l params'>{esc(_params_text(r['params']))}</td></tr>")
    note = ("<p class='note'>Ranked: survivors first, then liquidated runs, then failed runs; within each, by final "
            "equity. Costs are USD, + = paid: funding cost = −funding received, options net cost = premiums paid "
            "− premiums received − settlement payoffs (realized cash; an option still open at the end is valued "
            "in equity only); hedge cost = funding + fees + options net. Daily returns are per UTC day; Sharpe "
            "uses daily returns annualized with 365 days.</p>"
            f"<p class='note' id='drawdown-resolution'>Max drawdown here and in summary.csv is measured on the "
            f"{esc(bars)}equity curve, every bar; the quantstats tearsheets measure it on daily returns (each UTC "
            "day's last bar), so a fall that recovers within a day shows here and not there.</p>")
    return (f"<h2>Ranking</h2><div class='scroll'><table id='ranking'><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>{note}")


def _params_text(params_json: str) -> str:
    """'a=1, b=x' from the JSON column (summary.csv keeps the JSON)."""
    try:
        params = json.loads(params_json)
    except (TypeError, ValueError):
        return str(params_json)
    return ", ".join(f"{k}={v}" for k, v in params.items()) if params else "(none)"


def _chart(fig, key: str, run_traces: int, caption: str = "") -> str:
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                      config={"displaylogo": False, "responsive": True})
    cap = f"<p class='note'>{caption}</p>" if caption else ""
    return (f"<section class='chart' id='{key}' data-chart='{key}' data-run-traces='{run_traces}'>"
            f"{div}{cap}</section>")


def _assumptions_section(assumptions) -> str:
    items = "".join(f"<li>{esc(str(a))}</li>" for a in assumptions or ())
    return f"<h2>Engine assumptions</h2><ul id='assumptions'>{items or '<li>none stated</li>'}</ul>"


def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def render_page(runs: list[RunRecord], summary: pd.DataFrame, *, manifest: dict, title: str,
                crash_windows=None, heatmap: dict | None = None, assumptions=(), tearsheet_links=None,
                max_curves: int = 60, files_note: str = "") -> str:
    tearsheet_links = tearsheet_links or {}
    by_name = {r.name: r for r in runs}
    ranked_ok = [by_name[n] for n in summary["run"] if not by_name[n].failed and by_name[n].has_equity]
    charted = ranked_ok if len(ranked_ok) <= max_curves else ranked_ok[: max_curves]
    colors = [charts.PALETTE[i % len(charts.PALETTE)] for i in range(len(charted))]
    windows, windows_note = charts.crash_windows(crash_windows, runs)
    mf = manifest or {}
    parts = [f"<h1>{esc(title)}</h1>",
             f"<p class='sub'>{len(runs)} runs on {esc(str(mf.get('name', 'unnamed data')))} "
             f"({esc(str(mf.get('kind', 'unknown')))}), "
             f"generated {esc(pd.Timestamp.now('UTC').strftime('%Y-%m-%d %H:%M'))} UTC"
             f"{esc(files_note)}</p>"]
    failed = summary[summary["error"].apply(lambda e: isinstance(e, str))]
    if len(failed):
        items = "".join(f"<li><b>{esc(str(r['run']))}</b>: {esc(str(r['error']))}</li>" for _, r in failed.iterrows())
        parts.append(f"<div class='banner fail' id='failed'><b>{len(failed)} run(s) failed</b> and are not charted:"
                     f"<ul>{items}</ul></div>")
    parts.append(_ranking_section(summary, tearsheet_links, str(mf.get("bar_size") or "")))
    parts.append("<h2>Charts</h2>")
    more = f"; showing the {len(charted)} best-ranked of {len(ranked_ok)} runs" if len(charted) < len(ranked_ok) else ""
    if charted:
        wnote = esc(windows_note) + more
        parts.append(_chart(charts.equity_figure(charted, colors, windows), "equity", len(charted), wnote))
        parts.append(_chart(charts.drawdown_figure(charted, colors, windows), "drawdown", len(charted)))
        for key, make, label in (("margin", charts.margin_figure, "margin ratio"),
                                 ("liq-distance", charts.liq_distance_figure, "distance to liquidation")):
            fig = make(charted, colors, windows)
            if fig is None:
                parts.append(f"<p class='note' id='{key}-none'>No run has a {label} series "
                             "(no leveraged positions).</p>")
            else:
                parts.append(_chart(fig, key, sum(1 for t in fig.data if t.meta == "run")))
    else:
        parts.append("<p class='note'>No run produced an equity curve.</p>")
    if heatmap:
        parts.append(_chart(charts.heatmap_figure(runs, summary, heatmap), "heatmap", 0,
                            "Cells where the runs were liquidated are marked ✖; a cell that holds several runs "
                            "(other parameters varied) shows their mean."))
    parts.append(_assumptions_section(assumptions))
    parts.append(_data_section(mf))
    from hedgelab import __version__
    slots = {"title": esc(title), "version": esc(__version__), "plotlyjs": _plotlyjs(), "body": "\n".join(parts)}
    template = resources.files("hedgelab.reports").joinpath("templates/report.html").read_text(encoding="utf-8")
    return _SLOT.sub(lambda mt: slots[mt.group(1)], template)


def events_frame(runs: list[RunRecord]) -> pd.DataFrame:
    """Every run's events (contract columns, then ``run``), in time order; runs without events add nothing."""
    frames = []
    for r in runs:
        if r.events is None or len(r.events) == 0:
            continue
        ev = r.events_frame()[EVENT_COLUMNS].copy()
        ev["strategy"] = ev["strategy"].where(ev["strategy"].notna() & (ev["strategy"] != ""), r.strategy)
        ev["run"] = r.name
        frames.append(ev)
    if not frames:
        return pd.DataFrame(columns=EVENT_COLUMNS + ["run"])
    out = pd.concat(frames, ignore_index=True)
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
    from .summary import SUMMARY_COLUMNS
    if metric not in SUMMARY_COLUMNS or metric in ("rank", "run", "strategy", "params", "error"):
        raise _user_error(f"heatmap metric={metric!r}: not a numeric summary column")


def _user_error(msg):
    from hedgelab.errors import UserError
    return UserError(msg)


def write_report(runs: list[RunRecord], out_dir, *, manifest: dict, title: str = "hedgelab: hedge comparison",
                 crash_windows=None, heatmap: dict | None = None, assumptions=(), progress: bool = True,
                 max_tearsheets: int | None = 30, max_curves: int = 60) -> ReportFiles:
    """Write report.html, summary.csv, events.csv and tearsheets/<run>.html into ``out_dir`` atomically.

    max_tearsheets: tearsheets take seconds each, so only the best-ranked runs (and ``hold``, their
    benchmark) get one; None = every run, 0 = none.
    max_curves: the most runs drawn on the time charts (sweeps rely on the heatmap).
    """
    t0 = time.perf_counter()
    runs = unique_names(runs)
    _check_heatmap(heatmap, runs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summary_frame(runs)
    stems = dict(zip([r.name for r in runs], safe_names([r.name for r in runs])))
    by_name = {r.name: r for r in runs}
    ranked = [by_name[n] for n in summary["run"] if not by_name[n].failed and by_name[n].has_equity]
    chosen = ranked if max_tearsheets is None else ranked[:max_tearsheets]
    from .tearsheet import benchmark_run, write_tearsheets
    bench = benchmark_run(runs)
    if chosen and bench is not None and all(r is not bench for r in chosen):
        chosen.append(bench)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        write_tearsheets(chosen, [stems[r.name] for r in chosen], tmp / "tearsheets", progress=progress,
                         benchmark=bench, manifest=manifest)
        links = {r.name: f"tearsheets/{stems[r.name]}.html" for r in chosen}
        # The page and the csv files take seconds on a comparison (minutes on a big sweep): a bar too.
        from tqdm.auto import tqdm
        with tqdm(total=3, desc="report", unit="file", disable=not progress, leave=False) as bar:
            bar.set_postfix_str("summary.csv")
            summary.to_csv(tmp / "summary.csv", index=False)
            bar.update()
            bar.set_postfix_str("events.csv")
            events_frame(runs).to_csv(tmp / "events.csv", index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
            bar.update()
            bar.set_postfix_str("report.html")
            note = "" if len(chosen) == len(runs) else f"; tearsheets for the {len(chosen)} best-ranked runs"
            page = render_page(runs, summary, manifest=manifest, title=title, crash_windows=crash_windows,
                               heatmap=heatmap, assumptions=assumptions, tearsheet_links=links,
                               max_curves=max_curves, files_note=note)
            (tmp / "report.html").write_text(page, encoding="utf-8")
            bar.update()
        (out / "tearsheets").mkdir(exist_ok=True)
        for f in sorted((tmp / "tearsheets").iterdir()):
            os.replace(f, out / "tearsheets" / f.name)
        for name in ("summary.csv", "events.csv", "report.html"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ReportFiles(out, out / "report.html", out / "summary.csv", out / "events.csv",
                       {n: out / link for n, link in links.items()}, summary, time.perf_counter() - t0)
