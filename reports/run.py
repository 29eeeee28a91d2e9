"""One backtested run (strategy x parameter set) as the reports see it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EVENT_COLUMNS = ["time", "strategy", "instrument", "side", "kind", "qty", "price", "amount"]
# kept when the engine gives them (after ``run`` in events.csv): why an order was cut or its leverage
# capped, and the contract of an option event (call / put, strike USD, expiry 08:00 UTC)
EVENT_DETAILS = ["reason", "option_type", "strike", "expiry", "adl_score", "symbol"]   # symbol: a basket run's coin;
# adl_score: an adl event's rank score by the venue's formula (engine/nb/adl.py)


@dataclass
class RunRecord:
    """Everything the reports need from one run; built by the CLI/API from a SimResult column.

    name: label shown to users (may contain any characters; it is escaped wherever it is rendered).
    equity: USD, tz-aware UTC DatetimeIndex (bar open times).
    events: columns EVENT_COLUMNS, ``amount`` = cash flow to the account (+ received, - paid).
    margin_ratio: maintenance margin / margin balance (1.0 = liquidation), or None.
    liq_distance: |mark - liquidation price| / mark, or None (no leveraged position).
    error: why the run failed (then equity may be None); failed runs are listed, not charted.
    spot_qty, perp_qty: BTC held (signed) at each bar's close, or None; they define the run's BTC delta
      (options excluded), its leverage and whether it holds a hedge (reports/exposure.py).
    liq_price: the perp position's liquidation price at each bar (NaN without a position), or None.
    prices: the market's mark and index closes (columns ``mark``, ``index``) on the equity's index, shared
      by every run of one call, or None.
    stats: for runs kept as summaries only (big sweeps: no equity curve), the engine's summary values
      (final_equity, liquidations, funding_pnl, fees, option_pnl, max_drawdown); such a run is ranked and
      put on the heatmap but not charted, and its worst_day/sharpe are NaN.
    cash, option_value, trace: for the Python API (``Result.cash``, ``.option_value``, ``.trace``).
    """

    name: str
    strategy: str
    params: dict = field(default_factory=dict)
    equity: pd.Series | None = None
    events: pd.DataFrame | None = None
    margin_ratio: pd.Series | None = None
    liq_distance: pd.Series | None = None
    capital: float = 100_000.0
    error: str | None = None
    stats: dict | None = None
    spot_qty: pd.Series | None = None
    perp_qty: pd.Series | None = None
    liq_price: pd.Series | None = None
    prices: pd.DataFrame | None = None
    cash: pd.Series | None = None            # free cash (USD) at each bar's close, for the API's frames
    option_value: pd.Series | None = None    # the option book marked to model (USD) at each bar's close
    trace: pd.DataFrame | None = None        # trace=True: the run's decision bars (engine/debug.py)
    coins: dict | None = None                # a basket run: series -> DataFrame (bar x coin): spot_qty,
                                             #   perp_qty, exposure (USD delta), value (USD it adds to equity)
    features: pd.DataFrame | None = None    # a basket run: named strategy features per bar (e.g. beta.ETH/BTC)
    first_liquidation: pd.Timestamp | None = None   # a basket run: when its first liquidation happened
    tipped_by: str | None = None             # ... and the coin whose move cost the most in that bar
    warnings: list = field(default_factory=list)   # lines about the run the terminal and Result.warnings show
    adl_off: dict | None = None              # ADL on: the same run with --adl off, {"mode": the run's ADL mode,
                                             #   "final_equity": USD, "max_drawdown": fraction} (reports/adl.py)
    liquidation_stories: list | None = None  # each perp liquidation explained (reports/liquidation_story.py)

    @property
    def has_equity(self) -> bool:
        return self.equity is not None and len(self.equity) > 0

    @property
    def failed(self) -> bool:
        """Failed, or produced nothing to report."""
        return self.error is not None or (not self.has_equity and not self.stats)

    def events_frame(self) -> pd.DataFrame:
        """The run's events with every contract column present (an empty frame when there are none)."""
        ev = self.events
        if ev is None or len(ev) == 0:
            return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("qty", "price", "amount") else "object")
                                 for c in EVENT_COLUMNS})
        ev = ev.copy()
        for c in EVENT_COLUMNS:
            if c not in ev.columns:
                ev[c] = self.strategy if c == "strategy" else float("nan") if c in ("qty", "price", "amount") else ""
        return ev


class SummaryRuns(Sequence):
    """The runs of a summary-mode sweep of one strategy, held by column: a label, a parameter dict and
    one row of engine statistics (``names``) per run, in sweep order.

    A ten-million-column sweep does not fit in memory as ten million ``RunRecord``s (each with its own
    stats dict, ~2 KB); as one float matrix it is ~80 bytes a run. Indexing or iterating still gives
    ``RunRecord``s (built on demand), so anything that takes a list of runs takes this too;
    ``summary_frame`` reads the columns directly.
    """

    def __init__(self, strategy: str, capital: float, labels, params):
        self.strategy, self.capital = strategy, float(capital)
        self.labels, self.params = labels, params   # the sweep's own sequences, not copies
        self.names: tuple = ()
        self.values = None   # float64 (runs, len(names)), filled chunk by chunk
        self.errors: dict = {}   # run -> why a hook's mistake stopped it (its statistics row is not a result)
        # (first bar open, last bar open) as UTC Timestamps and the bar in seconds: the window the runs covered,
        # which the page states as for runs with curves (they keep none); None when not known
        self.window: tuple | None = None

    def fill(self, positions, names, values, errors=None) -> None:
        """Put one chunk's statistics rows at its runs' ``positions``; ``errors``: {row in the chunk: text}."""
        for j, text in (errors or {}).items():
            self.errors[int(positions[j])] = text
        if self.values is None:
            self.names = tuple(names)
            self.values = np.full((len(self.labels), len(self.names)), np.nan)
        elif tuple(names) != self.names:
            raise ValueError(f"summary columns differ between chunks: {tuple(names)} vs {self.names}")
        self.values[np.asarray(positions, dtype=np.int64)] = values

    def stats(self, name: str, missing: float = np.nan) -> np.ndarray:
        """One statistic for every run (``missing`` where the engine does not give it)."""
        if name not in self.names:
            return np.full(len(self), missing)
        return self.values[:, self.names.index(name)]

    def renamed(self, labels) -> "SummaryRuns":
        """The same runs under other labels (``labels[k]`` for run k)."""
        other = SummaryRuns(self.strategy, self.capital, labels, self.params)
        other.names, other.values, other.errors, other.window = self.names, self.values, self.errors, self.window
        return other

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        error = self.errors.get(k)
        stats = dict(zip(self.names, self.values[k].tolist())) if self.values is not None and error is None else None
        return RunRecord(name=self.labels[k], strategy=self.strategy, params=self.params[k],
                         capital=self.capital, stats=stats, error=error)


class _ByLabel(Mapping):
    """label -> RunRecord of a SummaryRuns, built when asked (the last run of a repeated label wins)."""

    def __init__(self, runs: SummaryRuns):
        self.runs, self.index = runs, {label: k for k, label in enumerate(runs.labels)}

    def __getitem__(self, name):
        return self.runs[self.index[name]]

    def __iter__(self):
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def runs_by_name(runs) -> Mapping:
    """name -> RunRecord (the last of a repeated name). Summary-mode runs are not all built at once:
    ten million RunRecords would need ~11 GB."""
    if isinstance(runs, SummaryRuns):
        return _ByLabel(runs)
    return {r.name: r for r in runs}
