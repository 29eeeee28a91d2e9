"""The summary table: one row per run, ranked, plus the short terminal version of it."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from . import figures as f
from . import metrics as m
from .run import RunRecord, SummaryRuns

# cost-like columns follow reports/figures.py: USD paid, + = paid, - = earned; rank is within the group
SUMMARY_COLUMNS = [
    "rank", "group", "run", "strategy", "params", "survived", "final_equity", "total_return", "max_drawdown",
    "worst_day", "sharpe", "cagr", "volatility", "liquidations", "hedge", "market_neutral", "funding_paid_usd",
    "fees_paid_usd", "options_net_paid_usd", "hedge_cost_usd", "error",
]
ROW_COLUMNS = [c for c in SUMMARY_COLUMNS if c not in ("rank", "group")]   # what each run gives, before ranking
TEXT_COLUMNS = ("rank", "group", "run", "strategy", "params", "hedge", "market_neutral", "error",
                "survived")   # not metrics
GROUP_ORDER = {f.DIRECTIONAL: 0, f.ALL: 0, f.NEUTRAL: 1}   # hedged longs first, carry trades apart


def params_json(params: dict) -> str:
    """Parameters as stable JSON (sorted keys; numpy scalars and other objects as plain values/strings)."""
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        return str(o)
    return json.dumps(params or {}, sort_keys=True, default=default)


def run_row(run: RunRecord) -> dict:
    row = {"run": run.name, "strategy": run.strategy, "params": params_json(run.params), "error": run.error,
           "market_neutral": f.neutral_flag(run)}
    if run.failed:
        nan = float("nan")
        row.update(survived=False, final_equity=nan, total_return=nan, max_drawdown=nan, worst_day=nan,
                   sharpe=nan, cagr=nan, volatility=nan, liquidations=m.liquidations(run.events), hedge="",
                   funding_paid_usd=nan, fees_paid_usd=nan, options_net_paid_usd=nan, hedge_cost_usd=nan)
        if row["error"] is None:
            row["error"] = "no equity produced"
        return row
    if not run.has_equity:
        return _stats_row(row, run)
    eq = run.equity
    daily = m.daily_returns(eq)
    ev = run.events
    liq = m.liquidations(ev)
    funding, fee, opt = f.funding_paid(ev), f.fees_paid(ev), f.options_net_paid(ev)
    held = f.hedge(run)
    row.update(
        survived=liq == 0,
        final_equity=float(eq.iloc[-1]),
        total_return=m.total_return(eq, run.capital),
        max_drawdown=m.max_drawdown(eq, run.capital),  # peak from the capital, as summary-only runs
        worst_day=float(daily.min()) if len(daily) else float("nan"),
        sharpe=float("nan") if m.ruined(eq, run.capital) else m.sharpe(daily),
        cagr=m.cagr(eq, run.capital),
        volatility=m.annual_volatility(daily),
        liquidations=liq,
        hedge=held,
        funding_paid_usd=funding,
        fees_paid_usd=fee,
        options_net_paid_usd=opt,
        hedge_cost_usd=f.hedge_cost(f.costs_paid(funding, fee, opt), held),
    )
    return row


def _stats_row(row: dict, run: RunRecord) -> dict:
    """A summary-only run: the engine's own numbers; what needs the curve (worst day, Sharpe) is NaN."""
    st, nan = run.stats, float("nan")

    def get(key, default=nan):
        v = st.get(key, default)
        return float(v) if v is not None else default
    liq = int(get("liquidations", 0))
    # the engine's summary is cash flow to the account (funding and option cash + received): turned to paid
    funding, fee, opt = 0.0 - get("funding_pnl", 0.0), get("fees", 0.0), 0.0 - get("option_pnl", 0.0)
    final = get("final_equity")
    row.update(survived=liq == 0, final_equity=final, total_return=final / run.capital - 1 if run.capital else nan,
               max_drawdown=get("max_drawdown"), worst_day=nan, sharpe=nan, cagr=nan, volatility=nan,
               liquidations=liq, hedge=f.UNKNOWN, funding_paid_usd=funding, fees_paid_usd=fee,
               options_net_paid_usd=opt, hedge_cost_usd=f.costs_paid(funding, fee, opt))
    return row


def summary_frame(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per run, ranked: survivors first, then liquidated, then failed; within each by final equity."""
    return ranked_summary(runs)[0]


def ranked_summary(runs) -> tuple[pd.DataFrame, np.ndarray]:
    """(``summary_frame(runs)``, each of its rows' place in ``runs``).

    Order: in a comparison of strategies, directional runs, then market-neutral ones (reports/figures.py;
    one strategy's runs, a sweep, are one group ``all``); within each group survivors, then liquidated, then
    failed runs, each by final equity. ``rank`` counts 1, 2, 3... within its group."""
    if isinstance(runs, SummaryRuns):
        df = _summary_columns(runs)
    else:
        df = pd.DataFrame([run_row(r) for r in runs], columns=ROW_COLUMNS)
    if len(df) == 0:
        return pd.DataFrame(columns=SUMMARY_COLUMNS), np.zeros(0, dtype=np.int64)
    df["liquidations"] = df["liquidations"].astype("int64")
    df["survived"] = df["survived"].astype(bool)
    status = np.where(df["error"].notna(), 2, np.where(df["survived"], 0, 1))
    several = df["strategy"].nunique() > 1
    df.insert(0, "group", [f.ranking_group(n, several) for n in df["market_neutral"]])
    kind = df["group"].map(GROUP_ORDER).to_numpy()
    order = np.lexsort((-df["final_equity"].fillna(-np.inf).to_numpy(), status, kind))
    df = df.iloc[order].reset_index(drop=True)
    df.insert(0, "rank", df.groupby("group", sort=False).cumcount().to_numpy() + 1)
    return df, order


def _summary_columns(runs: SummaryRuns) -> pd.DataFrame:
    """``run_row`` of every run of a summary-mode sweep at once (the same numbers as ``_stats_row``)."""
    nan = np.full(len(runs), np.nan)
    failed = np.zeros(len(runs), dtype=bool)
    failed[list(runs.errors)] = True
    error = np.full(len(runs), None, dtype=object)
    error[list(runs.errors)] = list(runs.errors.values())
    # a stopped run's numbers are not results: NaN, and no liquidation counted (as run_row's failed rows)
    liq = np.where(failed, 0, runs.stats("liquidations", 0.0)).astype(np.int64)
    # cash flow to the account in the engine's summary; paid here (the same 0.0 - x as _stats_row: no -0.0)
    funding, fee, opt = (np.where(failed, np.nan, 0.0 - runs.stats(k, 0.0) if paid else runs.stats(k, 0.0))
                         for k, paid in (("funding_pnl", True), ("fees", False), ("option_pnl", True)))
    final = np.where(failed, np.nan, runs.stats("final_equity"))
    return pd.DataFrame({
        "market_neutral": None, "run": list(runs.labels), "strategy": runs.strategy,
        "params": [params_json(p) for p in runs.params],
        "survived": (liq == 0) & ~failed, "final_equity": final,
        "total_return": final / runs.capital - 1 if runs.capital else nan,
        "max_drawdown": np.where(failed, np.nan, runs.stats("max_drawdown")), "worst_day": nan, "sharpe": nan, "cagr": nan,
        "volatility": nan, "liquidations": liq, "hedge": np.where(failed, "", f.UNKNOWN), "funding_paid_usd": funding,
        "fees_paid_usd": fee, "options_net_paid_usd": opt, "hedge_cost_usd": f.costs_paid(funding, fee, opt),
        "error": error}, columns=ROW_COLUMNS)


def liquidated_and_failed(summary: pd.DataFrame) -> tuple[int, int]:
    """How many rows of a summary were liquidated, and how many failed (the counts of rows not shown)."""
    return int((summary["liquidations"] > 0).sum()), int(summary["error"].apply(lambda e: isinstance(e, str)).sum())


def status(row) -> str:
    """'ok', 'LIQUIDATED ×n' or 'FAILED: reason' for one summary row."""
    if isinstance(row["error"], str):
        return f"FAILED: {row['error']}"
    if row["liquidations"] > 0:
        return f"LIQUIDATED ×{row['liquidations']}"
    return "survived"


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x * 100:+.1f}%"


def _usd(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:,.0f}"


def text_table(summary: pd.DataFrame, limit: int | None = None,
               survival: dict | None = None) -> str:
    """The ranking for the terminal: the page's groups and ranks, one line per run, liquidations and
    failures flagged; the hedge cost as summary.csv has it ('no hedge' where it is empty because the run
    held none).

    limit: show only the best-ranked ``limit`` runs (a sweep's thousand lines help nobody), plus a count
    of the rest and of the liquidated/failed among them. survival: run -> share of stress paths with no
    liquidation, a last column (a stress test ran with the backtest).
    """
    shown = summary if limit is None else summary.head(limit)
    head = ["#", "run", "final USD", "return", "max DD", "worst day", "hedge cost", "status"]
    if survival is not None:
        head.append("survival")
    rows: list[list[str] | str] = []   # a str is a group's title line
    group = None
    for _, r in shown.iterrows():
        if r["group"] != group:
            group = r["group"]
            if group == f.NEUTRAL:
                rows.append("market-neutral (ranked apart: carry, not a hedged long)")
        flag = " (market-neutral)" if group == f.ALL and r["market_neutral"] is True else ""
        name = str(r["run"])   # never cut: the parameters that tell the runs apart come first in it
        cost = "no hedge" if r["hedge"] == f.NO_HEDGE else _usd(r["hedge_cost_usd"])
        line = [str(r["rank"]), name, _usd(r["final_equity"]), _pct(r["total_return"]),
                _pct(r["max_drawdown"]), _pct(r["worst_day"]), cost, status(r) + flag]
        if survival is not None:
            odds = survival.get(str(r["run"]))
            line.append(f"{odds:.1%}" if odds is not None else "n/a")
        rows.append(line)
    lines = [row for row in rows if isinstance(row, list)]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(head)]
    left = {1, 7}

    def fmt(cells):
        cols = (c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(cols).rstrip()

    out = [fmt(head), fmt(["-" * w for w in widths])]
    out += [row if isinstance(row, str) else fmt(row) for row in rows]
    rest = summary.iloc[len(shown):]
    if len(rest):
        liquidated, failed = liquidated_and_failed(rest)
        out.append(f"... {len(rest)} more runs ({liquidated} liquidated, {failed} failed): see summary.csv")
    out.append("hedge cost: USD paid for the hedge (funding + fees + options net; - = the hedge earned), for runs "
               "that held one")
    if (shown["market_neutral"] == True).any():   # noqa: E712 -- True, not None (unknown)
        out.append(f.NEUTRAL_RULE)
    if (shown["hedge"] == f.UNKNOWN).any():
        out.append("summary-only runs keep no positions: hedge and market-neutrality unknown, hedge cost = "
                   "funding + fees + options net")
    return "\n".join(out)
