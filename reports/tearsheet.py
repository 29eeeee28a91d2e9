"""quantstats tearsheets, one per run, against the ``hold`` run, made to open offline.

quantstats 0.0.86 renders its charts as inline SVG, but its template links a remote favicon and calls an
undefined ``save()`` on load (a console error when the page is written to a file); both are removed here.
A strategy whose daily returns are all equal (flat, e.g. all cash) breaks quantstats' regression against
a benchmark, so it gets a tearsheet without the benchmark; if quantstats still fails, a one-paragraph page
says why instead of the whole report failing.

quantstats is daily-only in practice (monthly tables, drawdown lengths in days, its ``periods_per_year``
only scales annualised figures), so the tearsheet gets daily returns while report.html and summary.csv
measure max drawdown on every bar: a crash that recovers within a day shows there and not here. Each
tearsheet therefore carries a note with the run's bar-resolution max drawdown (``DRAWDOWN_NOTE_ID``).
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

from .metrics import PERIODS_PER_YEAR, daily_returns, max_drawdown
from .run import RunRecord

_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.I)
_REMOTE_SRC = re.compile(r"<(script|img|iframe)\b[^>]*\bsrc=[\"']https?://[^>]*>(\s*</\1>)?", re.I)
_CSS_IMPORT = re.compile(r"@import\s+url\([\"']?https?://[^)]*\)\s*;?", re.I)


def make_offline(page: str) -> str:
    """Strip what would reach the network or error on load (remote link/script/img tags, CSS imports)."""
    page = _REMOTE_LINK.sub("", page)
    page = _REMOTE_SRC.sub("", page)
    page = _CSS_IMPORT.sub("", page)
    return page.replace(' onload="save()"', "")


DRAWDOWN_NOTE_ID = "hedgelab-resolution"
_AFTER_HEADER = re.compile(r"</h4>", re.I)


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
            f"<b>{max_drawdown(run.equity) * 100:+.1f}%</b> for this run. A fall that recovers within a day "
            "shows there and not here.</p>")


def with_note(page: str, note: str) -> str:
    """Put ``note`` under quantstats' header line (at the top of the body if the template changes)."""
    if _AFTER_HEADER.search(page):
        return _AFTER_HEADER.sub(lambda m: m.group(0) + note, page, count=1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + note, page, count=1, flags=re.I)


def plain_label(text: str) -> str:
    """quantstats writes titles into its HTML unescaped (and into chart text): drop markup characters."""
    return re.sub(r"[<>&\"'`]", "", str(text)).strip() or "run"


def tearsheet_returns(equity: pd.Series) -> pd.Series:
    """Daily returns with a naive (UTC) index, as quantstats expects."""
    r = daily_returns(equity)
    r.index = r.index.tz_localize(None)
    return r


@contextlib.contextmanager
def _quiet():
    """quantstats/matplotlib warn about fonts and pandas on every chart; keep the terminal readable."""
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


def write_tearsheet(run: RunRecord, benchmark: RunRecord | None, path: Path) -> str | None:
    """Write one tearsheet to ``path``; returns None, or the reason a plain fallback page was written."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import quantstats as qs

    title = plain_label(f"{run.name} ({run.strategy})")
    if run.failed or not run.has_equity:
        reason = f"the run failed: {run.error}" if run.error else "no equity curve (summary-only run)"
        path.write_text(_fallback_page(title, reason), encoding="utf-8")
        return reason
    returns = tearsheet_returns(run.equity)
    returns.name = run.name
    bench = None
    if benchmark is not None and benchmark is not run and benchmark.has_equity:
        bench = tearsheet_returns(benchmark.equity)
        bench.name = benchmark.name
    if np.nanstd(returns.to_numpy()) == 0:
        bench = None  # quantstats cannot regress a flat strategy on a benchmark
    reason = None
    try:
        with _quiet():
            qs.reports.html(returns, bench, output=str(path), periods_per_year=PERIODS_PER_YEAR,
                            title=title, strategy_title=plain_label(run.name),
                            benchmark_title=plain_label(bench.name) if bench is not None else None,
                            match_dates=True)
        page = with_note(path.read_text(encoding="utf-8"), resolution_note(run))
    except Exception as exc:  # noqa: BLE001 - a tearsheet must not sink the whole report
        reason = f"quantstats failed: {type(exc).__name__}: {exc}"
        page = _fallback_page(title, reason)
    finally:
        plt.close("all")
    path.write_text(make_offline(page), encoding="utf-8")
    return reason


def benchmark_run(runs: list[RunRecord]) -> RunRecord | None:
    """The ``hold`` run: the one named 'hold' if any, else the first of strategy 'hold' (None without one)."""
    holds = [r for r in runs if r.strategy == "hold" and not r.failed and r.has_equity]
    return next((r for r in holds if r.name == "hold"), holds[0] if holds else None)


def write_tearsheets(runs: list[RunRecord], names: list[str], out_dir: Path, progress: bool = True,
                     benchmark: RunRecord | None = None) -> dict:
    """One tearsheet per run into ``out_dir`` as ``<name>.html``, against ``benchmark`` (default: the hold run).

    Serial on purpose: a process pool would re-run a user's unguarded script (spawn) or fork a process
    holding numba/BLAS threads. Returns {file name: fallback reason or None}.
    """
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    bench = benchmark if benchmark is not None else benchmark_run(runs)
    done = {}
    for run, name in tqdm(list(zip(runs, names)), desc="tearsheets", unit="run", disable=not progress):
        done[name] = write_tearsheet(run, bench, out_dir / f"{name}.html")
    return done
