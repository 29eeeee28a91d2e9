"""``Result``: what a run, comparison or sweep produced, as pandas frames, and ``write(out_dir)``."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
import os

import numpy as np
import pandas as pd


if TYPE_CHECKING:
    from hedgelab.reports.run import RunRecord, SummaryRuns
    from hedgelab.stress.matrix import ScenarioMatrix
    from hedgelab.stress.result import StressResult


@dataclass
class Result:
    """What a run, comparison or sweep produced."""

    # RunRecord per (strategy, parameter set), in run order; a summary-mode sweep's SummaryRuns (by column)
    runs: list[RunRecord] | SummaryRuns
    failures: dict[str, str]        # strategy name -> one-line reason
    manifest: dict[str, Any]        # the dataset's manifest
    crash_windows: list[dict[str, Any]] | None = None
    assumptions: list[str] = field(default_factory=list)
    heatmap: dict[str, str] | None = None  # sweeps: {"x", "y", "metric"} for the report's heatmap
    # the settings the call resolved (data, venue, capital, costs, ...: RunOptions.record()); named so as not to
    # be taken for option contracts in an options tool
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # plugins that did not load and were not asked for
    stress: StressResult | None = None  # when the call also ran a stress test (stress=...)
    coin_prices: dict[str, pd.DataFrame] | None = None  # a basket run: per coin mark/index/close/lows on the run's bars
    scenarios: ScenarioMatrix | None = None  # a comparison's scenario matrix (runner/scenarios.py; None: off or none)

    @cached_property
    def _ranking(self) -> tuple[pd.DataFrame, np.ndarray]:
        """(the ranked summary, each row's place in ``runs``)."""
        from hedgelab.reports.summary import ranked_summary
        return ranked_summary(self.runs)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per run, ranked, indexed by the run's name: rank, run, strategy, params (JSON, as in
        summary.csv), final_equity, total_return, max_drawdown, ..., then one column per parameter
        (NaN where a run's strategy has no such parameter; ``param.<name>`` if a name is taken)."""
        from hedgelab.reports.run import SummaryRuns
        ranking, order = self._ranking
        df = ranking.copy()
        if "run" in df.columns:
            df.index = pd.Index(df["run"].astype(str), name="name")
        params = self.runs.params if isinstance(self.runs, SummaryRuns) else [r.params or {} for r in self.runs]
        params = [params[k] for k in order]
        # a sweep's sets all hold every declared parameter: the first set names them
        names = list(params[0]) if isinstance(self.runs, SummaryRuns) and params else \
            list(dict.fromkeys(k for p in params for k in p))
        for k in names:
            col = k if k not in df.columns else f"param.{k}"
            df[col] = [p.get(k, np.nan) for p in params]
        return df

    def _frame(self, attr: str) -> pd.DataFrame:
        curves = {r.name: getattr(r, attr) for r in self.runs if getattr(r, attr, None) is not None}
        return pd.DataFrame(curves)

    @property
    def position(self) -> pd.DataFrame:
        """Perp position (BTC, signed, + long) at each bar's close, one column per run."""
        return self._frame("perp_qty")

    @property
    def spot(self) -> pd.DataFrame:
        """Spot BTC held at each bar's close, one column per run."""
        return self._frame("spot_qty")

    @property
    def cash(self) -> pd.DataFrame:
        """Free cash (USD, isolated margin excluded) at each bar's close, one column per run."""
        return self._frame("cash")

    @property
    def margin(self) -> pd.DataFrame:
        """Margin ratio (maintenance margin / margin balance; 1.0 = liquidation) at each bar's close,
        one column per run with a leveraged position."""
        return self._frame("margin_ratio")

    @property
    def liq_price(self) -> pd.DataFrame:
        """The perp's liquidation price (USD; NaN without a position) at each bar's close, per run."""
        return self._frame("liq_price")

    @property
    def option_value(self) -> pd.DataFrame:
        """Mark-to-model value of the option book (USD, + long) at each bar's close, per run."""
        return self._frame("option_value")

    @property
    def trace(self) -> pd.DataFrame | None:
        """``trace=True`` runs: every decision bar's state and intent (fields ``state.*``, ``intent.*``),
        the BTC filled and that bar's events as text, one row per (run, decision bar)."""
        frames = [r.trace for r in self.runs if getattr(r, "trace", None) is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def plot(self, kind: str = "runs", *, x: str | None = None, y: str | None = None,
             metric: str | None = None) -> Any:
        """A plotly Figure for a notebook (a notebook draws it; ``fig.show()`` elsewhere).

        ``plot()``: one panel each on one time axis (bar closes, UTC): equity (USD), drawdown from the
        running peak (%), spot held (BTC), perp position (BTC, + long) and, when a run traded options, each
        option leg's quantity (BTC per contract); one colour per run; every liquidation and ADL close marked
        on the equity at its event time (``events``).
        ``plot("heatmap", x=NAME, y=NAME, metric=...)``: a sweep's summary figure (default the sweep's own
        metric, else total_return) over two parameters, runs sharing a cell averaged; x and y default to
        the sweep's heatmap axes."""
        from hedgelab.core.errors import UserError
        from hedgelab.reports import notebook
        from hedgelab.reports.run import SummaryRuns
        kinds = ("runs", "heatmap")
        if kind not in kinds:
            raise UserError(f"plot({kind!r}): no such figure; figures: {', '.join(map(repr, kinds))}")
        axes = self.heatmap or {}
        if kind == "heatmap":
            capital = float((self.settings or {}).get("capital") or 100_000.0)
            return notebook.heatmap(self.runs, self._ranking[0], x or axes.get("x"), y or axes.get("y"),
                                    metric or axes.get("metric") or "total_return", capital)
        if isinstance(self.runs, SummaryRuns) or not any(r.has_equity for r in self.runs):
            raise UserError("plot(): these runs kept no curves (a summary-mode sweep keeps figures only); "
                            "plot('heatmap', x=..., y=...) draws their figures")
        return notebook.runs_figure(list(self.runs), self._bar(), self._title())

    def _bar(self) -> pd.Timedelta:
        """The bar length: the dataset's bar_size, else the curves' smallest step."""
        size = (self.manifest or {}).get("bar_size")
        if size:
            return pd.Timedelta(pd.tseries.frequencies.to_offset(size))
        index = self.equity.index
        return pd.Series(index).diff().min() if len(index) > 1 else pd.Timedelta(0)

    def _title(self) -> str:
        mf = self.manifest or {}
        index = self.equity.index
        window = f", bars {index[0]:%Y-%m-%d %H:%M} to {index[-1]:%Y-%m-%d %H:%M} UTC" if len(index) else ""
        kind = f" ({mf['kind']})" if mf.get("kind") else ""
        n = sum(1 for r in self.runs if r.has_equity)
        return f"{n} run{'s' if n != 1 else ''} on {mf.get('name', 'the data')}{kind}{window}"

    @property
    def equity(self) -> pd.DataFrame:
        """Equity curves, one column per run label (runs kept as summaries only are left out)."""
        curves = {r.name: r.equity for r in self.runs if getattr(r, "equity", None) is not None}
        return pd.DataFrame(curves)

    @property
    def events(self) -> pd.DataFrame:
        """Every run's events, the rows and columns of events.csv (the same function writes both), in time
        order: time (UTC), strategy, instrument, side, kind, qty, price, amount (cash flow to the account,
        + received), run (label), then those the engine gave: reason, option_type, strike, expiry (an
        option's contract), symbol (a basket run's coin)."""
        from hedgelab.reports.html import events_frame
        return events_frame(list(self.runs))

    @property
    def ok(self) -> bool:
        return not self.failures

    def write(self, out_dir: str | os.PathLike[str], *, progress: bool = False, tearsheets: int | None = None) -> Path:
        """Write report.html, summary.csv, events.csv and tearsheets/ into ``out_dir`` (new or empty),
        and with a stress test also stress.csv, stress_paths.csv and stress.html (linked from the page).

        ``tearsheets``: the most tearsheets to write (best-ranked runs, plus hold); default every run
        of a run/compare, 5 for a sweep.
        """
        from hedgelab.core.outdir import check_out_dir
        from hedgelab.runner.outputs import write_outputs
        out = check_out_dir(out_dir, option="write(): out_dir")  # worded for the API, not the CLI's --out
        return write_outputs(self, out, progress=progress, tearsheets=tearsheets)

    def __repr__(self) -> str:
        return (f"Result(runs={len(self.runs)}, failures={sorted(self.failures)}, "
                f"data={self.manifest.get('name')!r})")
