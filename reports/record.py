"""A ``RunRecord`` from one column of an engine ``SimResult``: what the reports need of one run."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hedgelab.reports.run import EVENT_COLUMNS, EVENT_DETAILS, RunRecord


def run_label(spec, j: int, name: str, params: dict) -> str:
    """Column j's label: the spec's own, else ``name(k=v, ...)``."""
    labels = getattr(spec, "labels", None)
    if labels is not None and j < len(labels) and labels[j]:
        return str(labels[j])
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


def _column(frame, j):
    if frame is None:
        return None
    if isinstance(frame, pd.DataFrame):
        return frame.iloc[:, j]
    return frame


def column_events(events, j: int, strategy: str, label: str):
    """Column j's events of an engine result in the report's columns (EVENT_COLUMNS, the details the engine
    gave, then ``run``); the frame as given when it is None or empty."""
    if events is None or not len(events):
        return events
    ev = events[events["column"] == j].drop(columns=["column"]).copy()
    ev["strategy"] = strategy
    ev = ev[[c for c in EVENT_COLUMNS + EVENT_DETAILS if c in ev.columns]].reset_index(drop=True)
    ev["run"] = label
    return ev


def to_record(sim, j: int, label: str, strategy: str, params: dict, market, capital: float) -> RunRecord:
    """One SimResult column -> RunRecord (events keyed by the run label in ``run``)."""
    equity = _column(getattr(sim, "equity", None), j)
    ev = column_events(getattr(sim, "events", None), j, strategy, label)
    margin_ratio = _column(getattr(sim, "margin_ratio", None), j)
    liq = _column(getattr(sim, "liq_price", None), j)
    liq_distance = None
    if liq is not None:
        mark = np.asarray(market.mark_close, dtype="float64")
        liq_distance = pd.Series(np.abs(mark - liq.to_numpy()) / mark, index=liq.index, name=label)
        if liq_distance.isna().all():
            liq_distance = None
    if margin_ratio is not None and (margin_ratio.fillna(0) == 0).all():
        margin_ratio = None
    if equity is not None:
        equity = equity.rename(label)
    record = RunRecord(name=label, strategy=strategy, params=dict(params), equity=equity, events=ev,
                       margin_ratio=margin_ratio, liq_distance=liq_distance, capital=float(capital),
                       spot_qty=_column(getattr(sim, "spot_qty", None), j),
                       perp_qty=_column(getattr(sim, "perp_qty", None), j), liq_price=liq,
                       prices=prices(market, equity.index) if equity is not None else None,
                       cash=_column(getattr(sim, "cash", None), j),
                       option_value=_column(getattr(sim, "option_value", None), j))
    trace = getattr(sim, "trace", None)
    record.trace = None if trace is None else trace[trace["column"] == j].assign(run=label).reset_index(drop=True)
    if equity is None:  # summary-only mode: the reports rank the engine's own numbers
        stats = {k: float(v) for k, v in sim.summary.iloc[j].to_dict().items()}
        stats["max_drawdown"] = 0.0 - abs(stats.get("max_drawdown", float("nan")))  # negative; +0.0 as the curve's
        record.stats = stats
    return record


def prices(market, index) -> pd.DataFrame:
    """Mark and index closes for the report's liquidation chart (same bars as the equity curve)."""
    return pd.DataFrame({"mark": np.asarray(market.mark_close, dtype="float64"),
                         "index": np.asarray(market.index_close, dtype="float64")}, index=index)


def failed_record(name: str, param_sets, capital: float, reason: str) -> RunRecord:
    """The record of a strategy none of whose runs could happen."""
    params = param_sets[0] if len(param_sets) == 1 else {}
    return RunRecord(name=name, strategy=name, params=dict(params), capital=float(capital), error=reason)


def basket_record(res, j: int, label: str, strategy: str, params: dict, capital: float) -> RunRecord:
    """One column of an engine ``BasketResult`` -> RunRecord: the account's curve, its events (with
    ``symbol``) and, per coin, positions, USD exposure and value."""
    ev = column_events(res.events, j, strategy, label)
    row = res.summary.iloc[j]
    first = row["first_liquidation"]
    record = RunRecord(name=label, strategy=strategy, params=dict(params), events=ev, capital=float(capital),
                       first_liquidation=None if pd.isna(first) else first, tipped_by=row["tipped_by"])
    if res.equity is None:   # summary mode: the reports rank the engine's own numbers
        stats = {k: float(row[k]) for k in ("final_equity", "liquidations", "funding_pnl", "fees", "max_drawdown",
                                            "min_equity", "option_pnl")}
        stats["max_drawdown"] = 0.0 - abs(stats["max_drawdown"])
        record.stats = stats
        return record
    record.equity = res.equity.iloc[:, j].rename(label)
    record.cash = res.cash.iloc[:, j]
    record.option_value = res.option_value.iloc[:, j]
    ratio = res.margin_ratio.iloc[:, j]
    record.margin_ratio = None if (ratio.fillna(0) == 0).all() else ratio
    record.coins = {name: pd.DataFrame({coin: frame.iloc[:, j] for coin, frame in by_coin.items()})
                    for name, by_coin in res.coins.items()}
    return record


def long_legs(coins: dict, markets: dict) -> pd.DataFrame | None:
    """A basket run's long positions alone in USD per coin and bar (spot x index + a long perp x mark): the
    long leg that reports/figures.market_neutral measures the net exposure against. None in summary mode."""
    spot, perp = coins.get("spot_qty"), coins.get("perp_qty")
    if spot is None or perp is None:
        return None
    out = {}
    for coin in spot.columns:
        m = markets[coin]
        out[coin] = (spot[coin].clip(lower=0.0).to_numpy() * np.asarray(m.index_close, dtype="float64")
                     + perp[coin].clip(lower=0.0).to_numpy() * np.asarray(m.mark_close, dtype="float64"))
    return pd.DataFrame(out, index=spot.index)
