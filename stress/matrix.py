"""The scenario matrix: every strategy of a comparison through a small fixed set of named scenarios
(stress/scenarios.py), each applied once, deterministically, from one stated start bar; survival and
loss per cell (strategy x scenario).

A cell: the strategy runs from the window's first bar on the comparison's own data, venue, margin mode,
capital and costs; the scenario starts ``LEAD_DAYS`` later, at bar t0 (so every strategy holds its
positions and its features have a week of history); the cell ends ``AFTER_H`` hours after the scenario's
last template point (bar t_end). ``survival``: share of the starts (one) with no perp liquidation from the
window's first bar to t_end's close; ``loss_usd``: equity at the close of bar t0 - 1 (the scenario's start)
minus equity at the close of t_end, in USD (+ = lost).

One truth: a cell's path is the path of ``hedgelab stress STRATEGY --method scenario NAME --at START
--horizon Hh --paths 1`` with the same data options (the same generator at the same bar of the same
window, ADL events off as there), and its engine run is the same; ``end_equity_usd`` is that stress run's
final equity (``final_equity_median``), ``survival`` its survival.

Speed: the paths are made once and shared by every strategy; per strategy one kernel call runs every
scenario as a column on its own path (``simulate(paths=...)``), the paths being as long as the longest
cell; a strategy whose features differ by path (they see the stressed prices or funding) gets one call
per group of paths with equal features. The engine is causal, so a cell read at t_end of a longer path
equals a run that stops at t_end.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import math

import numpy as np
import pandas as pd

from hedgelab.core.errors import one_line
from hedgelab.stress.run import first_liquidation_bars
from hedgelab.stress.scenarios import OCT10_X15, SQUEEZE, Scenario

SCENARIOS = ("oct10-2025", OCT10_X15, "covid-mar2020", "ftx-nov2022", "support-80k", SQUEEZE)
LEAD_DAYS = 7.0     # days from the window's first bar to the scenario's start
AFTER_H = 48.0      # hours after the scenario's last point at which the cell is read
STARTS = 1          # starts per cell: one, at the stated bar (deterministic, no seed)
BTC_ONLY = {"support-80k": "a BTC price level (the 80-83k band)"}
CELL_COLUMNS = ("run", "strategy", "scenario", "starts", "survived", "survival", "liquidation_h",
                "start_equity_usd", "end_equity_usd", "loss_usd")


@dataclass
class ScenarioMatrix:
    """The matrix of a comparison (``Result.scenarios``)."""
    cells: pd.DataFrame       # one row per (run, scenario) that ran: CELL_COLUMNS
    scenarios: pd.DataFrame   # one row per scenario: name, facts, start, end (UTC bar opens), end_bar, horizon_h,
                              # need_days, skipped (the reason, or "")
    meta: dict                # start, lead_days, after_h, starts, data, data_kind, venue, capital, bar_size
    failures: dict = field(default_factory=dict)   # run -> why it has no cells

    def table(self, what: str) -> pd.DataFrame:
        """One value per cell as a run x scenario table (``what``: a column of ``cells``)."""
        wide = self.cells.pivot(index="run", columns="scenario", values=what)
        runs = list(dict.fromkeys(self.cells["run"]))
        names = [n for n in self.scenarios["name"] if n in wide.columns]
        return wide.reindex(index=runs, columns=names)

    def __repr__(self) -> str:
        return (f"ScenarioMatrix(runs={self.cells['run'].nunique() if len(self.cells) else 0}, "
                f"scenarios={list(self.scenarios['name'])}, start={self.meta.get('start')!r})")


@dataclass(frozen=True)
class Row:
    """One run of the comparison: its strategy class, parameter set and margin mode."""
    run: str
    strategy: str
    cls: type
    params: dict
    margin_mode: str


def bars_of(hours: float, bar_seconds: int) -> int:
    return int(np.ceil(hours * 3600.0 / bar_seconds - 1e-9))


def plan(window, coin: str) -> pd.DataFrame:
    """Per scenario: the start bar, the end bar (``AFTER_H`` after its last point), its horizon in bars, or
    why it is skipped (the window too short; a BTC price level on another coin)."""
    bs = int(window.bar_seconds)
    n = len(window.close)
    t0 = bars_of(LEAD_DAYS * 24, bs)
    rows = []
    for name in SCENARIOS:
        sc = Scenario(name)
        end = t0 + bars_of(sc.last_hour, bs) + bars_of(AFTER_H, bs)
        skipped = ""
        if name in BTC_ONLY and coin != "BTC":
            skipped = f"{BTC_ONLY[name]}; this run trades {coin}"
        elif end >= n:   # rounded up and down: 264 h against 265 h must not read "11.0 ... the window has 11.0"
            skipped = (f"needs {math.ceil((end + 1) * bs / 8640) / 10:.1f} days of bars ({LEAD_DAYS:g} days before "
                       f"it, {AFTER_H:g} h after it), the window has {math.floor(n * bs / 8640) / 10:.1f}")
        rows.append({"name": name, "facts": sc.facts, "t0": t0, "end_bar": end, "bars": end + 1,
                     "horizon_h": (end + 1) * bs / 3600.0, "need_days": math.ceil((end + 1) * bs / 8640) / 10,
                     "skipped": skipped})
    return pd.DataFrame(rows)


def scenario_matrix(rows: list[Row], window, *, venue: str, capital: float, costs=None, symbol: str = "BTC",
                    coin: str = "BTC", data: str = "", data_kind: str = "", check=lambda: None) -> ScenarioMatrix:
    """Every run of ``rows`` through every scenario of ``SCENARIOS`` on ``window`` (the comparison's aligned
    market); ``check()`` runs between strategies (the run's time limit)."""
    from hedgelab.stress.seeds import rng_for
    bare = window._replace(adl_side=None, adl_share=None, adl_price=None)   # as a stress test's paths
    table = plan(bare, coin)
    bs = int(bare.bar_seconds)
    time = pd.DatetimeIndex(np.asarray(bare.time_ns).view("datetime64[ns]")).tz_localize("UTC")
    t0 = int(table["t0"].iloc[0])
    step = pd.Timedelta(seconds=bs)   # bar opens past the window's end are said all the same
    table["start"] = f"{time[0] + t0 * step:%Y-%m-%d %H:%M}"
    table["end"] = [f"{time[0] + int(e) * step:%Y-%m-%d %H:%M}" for e in table["end_bar"]]
    todo = table[table["skipped"] == ""]
    meta = {"start": table["start"].iloc[0], "t0": t0, "lead_days": LEAD_DAYS, "after_h": AFTER_H,
            "window_days": len(time) * bs / 86400,
            "starts": STARTS, "data": data, "data_kind": data_kind, "venue": venue, "capital": float(capital),
            "bar_seconds": bs, "first_bar": f"{time[0]:%Y-%m-%d %H:%M}"}
    cells, failures = [], {}
    if len(todo):
        from hedgelab.stress.window import window_of
        span = window_of(bare, int(todo["bars"].max()))
        # rng: unused, the start is given (the stress test's path k draws one all the same)
        paths = [Scenario(name, at=t0).path(span, rng_for(0, 0)) for name in todo["name"]]
        ends = todo["end_bar"].to_numpy()
        for row in rows:
            check()
            try:
                with one_thread():
                    equity, first = run_paths(row, paths, venue=venue, capital=capital, costs=costs, symbol=symbol)
            except Exception as exc:  # noqa: BLE001 -- one broken strategy must not stop the matrix
                failures[row.run] = one_line(exc)
                continue
            for k, name in enumerate(todo["name"]):
                cells.append(cell(row, name, equity[:, k], int(first[k]), t0, int(ends[k]), bs))
    return ScenarioMatrix(pd.DataFrame(cells, columns=list(CELL_COLUMNS)), table.drop(columns=["t0"]), meta, failures)


def cell(row: Row, name: str, equity: np.ndarray, first_liq: int, t0: int, end: int, bar_seconds: int) -> dict:
    liquidated = 0 <= first_liq <= end
    start_eq, end_eq = float(equity[t0 - 1]), float(equity[end])
    if not (np.isfinite(start_eq) and np.isfinite(end_eq)):
        raise FloatingPointError(f"non-finite equity in the scenario matrix: {row.run}, {name}")
    survived = STARTS - int(liquidated)
    return {"run": row.run, "strategy": row.strategy, "scenario": name, "starts": STARTS, "survived": survived,
            "survival": survived / STARTS,
            # liquidated by the close of that bar, counted from the scenario's start (t0's open)
            "liquidation_h": (first_liq + 1 - t0) * bar_seconds / 3600.0 if liquidated else float("nan"),
            "start_equity_usd": start_eq, "end_equity_usd": end_eq, "loss_usd": start_eq - end_eq}


@contextmanager
def one_thread() -> Iterator[None]:
    """The kernel's parallel loop over columns on this thread alone: a matrix call holds a few columns of a few
    hundred bars (~5 ms of work), and waking numba's thread pool for it cost ~30-40 ms a call on a busy
    2-core machine (measured: hold, 554 bars, 1 or 6 columns). Columns are independent: the same bits."""
    import numba
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def run_paths(row: Row, paths: list, *, venue: str, capital: float, costs, symbol: str):
    """(equity per bar x path, first perp liquidation bar per path (-1: none)) of one run on every path:
    one kernel call per group of paths on which the strategy's features and rebalance bars are equal."""
    from hedgelab.engine import simulate
    strategy = row.cls()
    specs = [strategy.spec(p, [row.params]) for p in paths]
    equity = np.empty((len(paths[0].close), len(paths)))
    first = np.full(len(paths), -1, dtype=np.int64)
    for group in equal_specs(specs):
        spec = specs[group[0]]
        many = spec._replace(params=np.repeat(spec.params, len(group), axis=0), labels=tuple(spec.labels) * len(group))
        sim = simulate(paths[group[0]], many, paths=[paths[k] for k in group[1:]],
                       path_of_column=np.arange(len(group)), venue=venue, margin_mode=row.margin_mode,
                       capital=capital, costs=costs, symbol=symbol)
        equity[:, group] = sim.equity.to_numpy()
        first[group] = first_liquidation_bars(sim.records, len(group))
    return equity, first


def equal_specs(specs) -> list[list[int]]:
    """Indices of ``specs`` grouped by equal features and rebalance bars (groups in order of first appearance)."""
    groups: list[list[int]] = []
    for k, s in enumerate(specs):
        for g in groups:
            ref = specs[g[0]]
            if np.array_equal(ref.rebalance, s.rebalance) and np.array_equal(ref.features, s.features, equal_nan=True):
                g.append(k)
                break
        else:
            groups.append([k])
    return groups
