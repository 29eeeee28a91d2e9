"""Explain each liquidation of a run or comparison: its margin account and what would have survived.

For every run with a perp liquidation (a run or compare, not a sweep; single-coin strategies on a linear
perp), the run's parameter set is simulated again with a trace (the kernel's state at each decision
bar gives the leverage in force and, in cross mode, the cash), its events are walked by
``reports.liquidation_account.account`` and the survival questions answered by
``runner.survival.survival``. The stories go to ``RunRecord.liquidation_stories``; the page and the
terminal print them through ``reports.liquidation_story.words``.
"""
from __future__ import annotations

from typing import Any
import contextlib
import io

import numpy as np
import pandas as pd

from hedgelab.core.errors import one_line
from hedgelab.reports.liquidation_account import account, entry_index
from hedgelab.reports.liquidation_story import LiquidationStory
from hedgelab.reports.run import RunRecord

MAX_PER_RUN = 3   # liquidations explained per run (a strategy that re-enters may have many)
NO_SURVIVAL_WITH_CALLBACKS = ("Would have survived: not computed for a strategy with event callbacks (the search "
                              "re-runs the strategy with other margins and leverages, which its callbacks would answer "
                              "differently).")


def explain_liquidations(run: Any, records: list[RunRecord]) -> None:
    """Attach ``liquidation_stories`` to each record of ``records`` that was liquidated."""
    jobs = {job.name: job for job in run.jobs if job.cls is not None}
    for record in records:
        ev = record.events
        if record.error or ev is None or not len(ev) or record.coins is not None:
            continue
        kinds = ev["kind"].astype(str)
        if not ((kinds == "liquidation") & (ev["instrument"].astype(str) == "perp")).any():
            continue
        job = jobs.get(record.strategy)
        if job is None or getattr(job.cls, "kind", "single") == "basket":
            continue
        try:
            record.liquidation_stories = stories_of(run, job, record.params, record.name)
            if not record.liquidation_stories:
                record.warnings.append(f"{record.name}: liquidation not explained (an inverse perp keeps its margin "
                                       "in BTC; the explainer walks USD margins)")
        except Exception as exc:  # noqa: BLE001 -- the run's results stand; say why it is not explained
            record.warnings.append(f"{record.name}: liquidation not explained ({one_line(exc)})")


def engine_settings(run: Any, job: Any) -> dict:
    """The simulate keywords the run used (``runner.execute.run_job``)."""
    opts = run.opts
    return {"venue": opts.venue, "margin_mode": job.margin_mode, "symbol": run.symbol, "costs": run.costs,
            "adl": run.adl}


def stories_of(run: Any, job: Any, params: dict, name: str) -> list[LiquidationStory]:
    """Each perp liquidation of the run of ``params`` (at most MAX_PER_RUN): account and survival."""
    from hedgelab.runner.survival import survival
    engine = engine_settings(run, job)
    end = pd.Timestamp(int(run.market.time_ns[-1]), tz="UTC")
    out = []
    for acc, spec, k0, b in accounts_of(run, job, params):
        if spec.callbacks is not None:   # the search wraps the hook over many columns; callbacks answer one run
            out.append(LiquidationStory(run=name, account=acc, survival=None, run_end=end,
                                        survival_note=NO_SURVIVAL_WITH_CALLBACKS))
            continue
        surv = survival(spec, run.market, engine, capital=run.opts.capital, cross=acc.mode == "cross", entry_bar=k0,
                        liq_bar=b, entry_qty=acc.side * acc.entry_qty, notional=acc.entry_qty * acc.entry_price,
                        leverage_used=acc.leverage)
        out.append(LiquidationStory(run=name, account=acc, survival=surv, run_end=end))
    return out


def accounts_of(run: Any, job: Any, params: dict, limit: int = MAX_PER_RUN) -> list[tuple]:
    """(account, the spec run, entry bar, liquidation bar) of the first ``limit`` perp liquidations of the run of
    ``params``."""
    from hedgelab.engine import simulate
    from hedgelab.engine.venues import load_venue
    engine = engine_settings(run, job)
    venue_id, market = engine["venue"], run.market
    if load_venue(venue_id, symbol=run.symbol, at=pd.Timestamp(int(market.time_ns[0]), tz="UTC")).inverse:
        return []   # inverse perps keep their margin in BTC: not explained yet
    spec = job.cls().spec(market, [dict(params)])
    with contextlib.redirect_stdout(io.StringIO()):   # event callbacks answer again: their prints were seen once
        sim = simulate(market, spec, column_errors="raise", trace=[0], capital=run.opts.capital, **engine)
    ev = sim.events[sim.events["column"] == 0].reset_index(drop=True)
    trace = sim.trace
    assert trace is not None, "simulate(trace=[0]) returns the column's trace"
    t_bars = trace["bar"].to_numpy(dtype=np.int64)
    t_lev = trace["state.leverage"].to_numpy(dtype=float)
    t_cash = trace["state.cash"].to_numpy(dtype=float)

    def after(k: int) -> float:   # the setting in force after bar k's orders: the next decision bar's state
        i = int(np.searchsorted(t_bars, k, side="right"))
        return float(t_lev[min(i, len(t_lev) - 1)])

    kinds = ev["kind"].astype(str).to_numpy()
    inst = ev["instrument"].astype(str).to_numpy()
    bars = ev["bar"].to_numpy(dtype=np.int64)
    leverage_after = {int(b): after(int(b)) for b in np.unique(bars)}
    firsts = [k for k in range(len(ev)) if kinds[k] == "liquidation" and inst[k] == "perp"
              and (k == 0 or not (bars[k - 1] == bars[k] and kinds[k - 1] == "liquidation"))]
    cross = job.margin_mode == "cross"
    out = []
    for liq in firsts[:limit]:
        b = int(bars[liq])
        t_liq = pd.Timestamp(ev["time"].iloc[liq])
        e0 = entry_index(ev, liq)
        k0 = int(bars[e0])
        row = np.flatnonzero(t_bars == k0)
        cash_before = float(t_cash[row[0]]) if len(row) else float("nan")
        at_entry = load_venue(venue_id, symbol=run.symbol, at=pd.Timestamp(ev["time"].iloc[e0]))
        at_liq = load_venue(venue_id, symbol=run.symbol, at=t_liq)
        long = ev["qty"].iloc[liq] < 0   # the liquidation sells a long
        acc = account(ev, liq, tiers_at_entry=at_entry.tiers, tiers=at_liq.tiers, rule=at_liq.liq_rule, cross=cross,
                      leverage_after=leverage_after, cash_before=cash_before, mark_open=float(market.mark_open[b]),
                      mark_extreme=float(market.mark_low[b] if long else market.mark_high[b]))
        out.append((acc, spec, k0, b))
    return out
