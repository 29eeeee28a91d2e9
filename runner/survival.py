"""What a liquidated run would have needed to survive: found by running the strategy again, not estimated.

Two questions, each answered by re-simulating the same strategy and parameter set on the same market,
venue, costs and capital, its candidates as the columns of one kernel call:

- **more margin**: the smallest whole number of USD that, posted into the margin when the liquidated
  position was opened (isolated: a top-up at the entry bar's close; cross: a larger wallet), keeps the
  run free of liquidations from that entry to the end of the run. The strategy is shown the account
  without that money (``rescue_hook``) and its opening order is held to the quantity it opened, so it
  makes the same decisions with the same position: only the margin differs. Candidates at 1 %, 2 %,
  5 %, ... 500 % of the position's notional at entry, then bisection between the largest that failed
  and the smallest that survived, several points per kernel call, down to 1 USD: the answer survives
  and 1 USD less does not (both simulated).
- **lower leverage**: the highest whole leverage (1x, 2x, ... below the one used) that survives to the
  end of the run with the same strategy, its leverage setting capped there for the whole run (the
  same margin then carries a smaller position).

Survival is judged on the run's liquidation events of the perp from the entry bar on. When nothing up
to the largest candidate survives to the end, the same search answers the narrower question: survives
this liquidation (no liquidation from the entry up to the liquidation's bar), and says so.
The search assumes survival is monotone in the amount; the reported pair (survives / 1 USD less does
not) is checked either way.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from hedgelab.engine.types import HOOK_SIG, Intent, State
from hedgelab.reports.liquidation_story import Survival
from hedgelab.stress.run import first_liquidation_bars

RESCUE_PARAMS = 5   # appended to a strategy's params: extra USD, deposit bar, hidden USD, leverage cap, entry qty
SCALES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)   # of the notional at entry
POINTS = 8          # bisection points per kernel call

_HOOKS: dict = {}


def rescue_hook(inner: Any) -> Any:
    """``inner`` (a hook of HOOK_SIG) seen through five extra params (the last of each row):
    extra USD topped up into the isolated margin at the close of bar ``deposit bar``; ``hidden`` USD of
    the capital the strategy is not shown (before the deposit: all of it, after: the rest); a cap on
    the leverage it asks for (0: none); at the deposit bar, its perp target held to ``entry qty`` (NaN:
    not held) when it asks for more in the same direction."""
    if inner in _HOOKS:
        return _HOOKS[inner]

    @njit(HOOK_SIG, nogil=True)
    def hook(i: int, state: Any, params: Any, features: Any, intent: Any) -> None:
        n = params.shape[0] - RESCUE_PARAMS
        extra = params[n]
        dbar = params[n + 1]
        hidden = params[n + 2]
        cap = params[n + 3]
        held_qty = params[n + 4]
        held = hidden - extra if i > dbar else hidden
        state[State.EQUITY] -= held
        state[State.CASH] -= held
        state[State.PEAK_EQUITY] -= held
        state[State.CAPITAL] -= hidden
        inner(i, state, params[:n], features, intent)
        state[State.EQUITY] += held
        state[State.CASH] += held
        state[State.PEAK_EQUITY] += held
        state[State.CAPITAL] += hidden
        if i == dbar:
            t = intent[Intent.TARGET_PERP]
            if held_qty == held_qty and t == t and t * held_qty > 0.0 and abs(t) > abs(held_qty):
                intent[Intent.TARGET_PERP] = held_qty
            if extra > 0.0:
                top = intent[Intent.MARGIN_TOPUP]
                intent[Intent.MARGIN_TOPUP] = extra + (top if top == top else 0.0)
        lev = intent[Intent.LEVERAGE]
        if cap > 0.0 and lev == lev and lev > cap:
            intent[Intent.LEVERAGE] = cap

    _HOOKS[inner] = hook
    return hook


class Rescue:
    """Re-simulates one parameter set of a strategy with rescue params (``columns``)."""

    def __init__(self, spec: Any, market: Any, engine: dict, capital: float, cross: bool, entry_bar: int,
                 liq_bar: int, entry_qty: float):
        self.spec, self.market, self.engine = spec, market, dict(engine)
        self.capital, self.cross = float(capital), cross
        self.entry_bar, self.liq_bar, self.entry_qty = entry_bar, liq_bar, entry_qty
        self.hook = rescue_hook(spec.hook)
        self.runs = 0

    def _run(self, rows: list[tuple[float, float, float, float, float]], extra_capital: float) -> list[int]:
        """Each row's first perp liquidation bar at or after the entry bar (a large number: none)."""
        from hedgelab.engine import simulate
        base = np.asarray(self.spec.params, dtype=np.float64)[:1]
        params = np.ascontiguousarray(np.hstack([np.repeat(base, len(rows), axis=0),
                                                 np.asarray(rows, dtype=np.float64)]))
        spec = self.spec._replace(hook=self.hook, params=params,
                                  param_names=tuple(self.spec.param_names) + tuple(
                                      f"rescue_{k}" for k in range(RESCUE_PARAMS)),
                                  labels=tuple(f"rescue {k}" for k in range(len(rows))))
        engine = dict(self.engine, capital=self.capital + extra_capital, summary_only=False)
        sim = simulate(self.market, spec, column_errors="raise", **engine)
        self.runs += len(rows)
        records = sim.records
        first = first_liquidation_bars(records[records["bar"] >= self.entry_bar], len(rows))
        return [int(b) if b >= 0 else 1 << 62 for b in first]

    def _margin_rows(self, amounts: list[int]) -> tuple[list[list[int]], list]:
        """Kernel calls (lists of amounts) and their rows: isolated, one call (the largest amount in
        every column's capital, hidden); cross, one call per amount (the wallet is the cash)."""
        if self.cross:
            return [[a] for a in amounts], [[(0.0, self.entry_bar, a, 0.0, self.entry_qty)] for a in amounts]
        top = float(max(amounts))
        return [amounts], [[(float(a), self.entry_bar, top, 0.0, self.entry_qty) for a in amounts]]

    def first_liquidations(self, amounts: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for group, rows in zip(*self._margin_rows(amounts)):
            extra = 0.0 if not rows else max(r[2] for r in rows)
            for a, b in zip(group, self._run(rows, extra)):
                out[a] = b
        return out

    def extra_margin(self, notional: float) -> tuple[int | None, str, float]:
        """(smallest USD that survives, scope, largest amount tried)."""
        coarse = sorted({max(1, int(math.ceil(s * notional))) for s in SCALES})
        first = self.first_liquidations(coarse)
        for scope, ok in (("end", lambda b: b >= 1 << 62), ("this", lambda b: b > self.liq_bar)):
            good = [a for a in coarse if ok(first[a])]
            if not good:
                continue
            hi = min(good)
            lo = max([a for a in coarse if a < hi and not ok(first[a])], default=0)
            while hi - lo > 1:
                step = (hi - lo) / (POINTS + 1)
                pts = sorted({int(round(lo + step * k)) for k in range(1, POINTS + 1)} - {lo, hi})
                if not pts:
                    pts = [lo + (hi - lo) // 2]
                res = self.first_liquidations(pts)
                first.update(res)
                for p in pts:
                    if ok(res[p]):
                        hi = min(hi, p)
                lo = max([p for p in pts if p < hi and not ok(res[p])] + [lo])
            return hi, scope, float(coarse[-1])
        return None, "end", float(coarse[-1])

    def leverage(self, used: float) -> tuple[float | None, str]:
        """(highest whole leverage below ``used`` that survives, scope)."""
        if not math.isfinite(used):   # a cross wallet that was empty at entry: no leverage to lower
            return None, "end"
        caps = [float(c) for c in range(int(math.ceil(used)) - 1, 0, -1)]
        if not caps:
            return None, "end"
        firsts = self._run([(0.0, -1.0, 0.0, c, math.nan) for c in caps], 0.0)
        for scope, ok in (("end", lambda b: b >= 1 << 62), ("this", lambda b: b > self.liq_bar)):
            for c, b in zip(caps, firsts):
                if ok(b):
                    return c, scope
        return None, "end"


def survival(spec: Any, market: Any, engine: dict, *, capital: float, cross: bool, entry_bar: int, liq_bar: int,
             entry_qty: float, notional: float, leverage_used: float) -> Survival:
    """Both answers for the position opened at ``entry_bar`` (signed ``entry_qty`` BTC, ``notional`` USD)
    and liquidated at ``liq_bar``; ``spec``: the strategy's spec with the run's one parameter set."""
    r = Rescue(spec, market, engine, capital, cross, entry_bar, liq_bar, entry_qty)
    x, xs, tried = r.extra_margin(notional)
    lev, ls = r.leverage(leverage_used)
    return Survival(extra_margin=x, extra_margin_scope=xs, extra_margin_tried_up_to=tried, leverage=lev,
                    leverage_scope=ls, leverage_used=leverage_used, runs=r.runs)
