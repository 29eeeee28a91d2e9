"""See inside a hook: run chosen columns through the kernel's own code in plain Python.

``simulate(..., debug=True)`` and ``simulate(..., trace=[columns])`` call ``simulate_column_nb.py_func``
(the kernel's column loop, uncompiled) with the hook's ``py_func``, one column at a time, so that:

- breakpoints and ``print`` work inside the hook; what it prints is tagged ``[label bar i time]``;
- ``params``, ``features``, ``state`` and ``intent`` are bounds-checked (reading or writing past
  them, or at a negative index, is an ``IndexError`` naming the array; the compiled kernel does
  not check bounds: there a read past the end returns whatever memory follows);
- every decision bar's state and intent are recorded by field name (the trace);
- ``strict=True`` (``debug=True``): numpy's floating-point errors inside the hook raise
  (``np.errstate``: a 0/0, x/0, an overflow or an invalid operation is a ``FloatingPointError`` at the
  hook's line instead of a NaN or inf with a RuntimeWarning; the compiled hook raises
  ``ZeroDivisionError`` on a division by zero and lets the rest through).

An exception raised in the column (the hook's, or an ``IndexError`` of the checks) leaves with a note
naming the run, column and bar (``exc.add_note``) and the trace of the decision bars up to and
including that bar as ``exc.hedgelab_trace``.

The helpers the loop calls are the same compiled functions the kernel inlines, so a debug or traced
column gives the kernel's numbers; ``simulate`` checks that (final equity and event count equal)
and says so if they are not.
"""
import contextlib
import io
import sys
from typing import Any, Callable

import numpy as np
import pandas as pd

from hedgelab.engine.kernel_inputs import KernelInputs
from hedgelab.engine.nb.quiet import calm_until_nb
from hedgelab.engine.nb.records import Sum, event_dt
from hedgelab.engine.types import STATE_LEGS, Intent, State, StateLeg


class _Checked(np.ndarray):
    """A view that refuses negative and out-of-range integer indices, naming the array."""

    name = "array"

    def _check(self, key: Any) -> None:
        keys = key if isinstance(key, tuple) else (key,)
        for axis, k in enumerate(keys):
            if isinstance(k, (int, np.integer)) and axis < self.ndim:
                if k < 0 or k >= self.shape[axis]:
                    raise IndexError(f"hook indexed {self.name}[{', '.join(map(str, keys))}]: axis {axis} "
                                     f"has {self.shape[axis]} entries (0..{self.shape[axis] - 1})")

    def __getitem__(self, key: Any) -> Any:
        self._check(key)
        out = super().__getitem__(key)
        return np.asarray(out) if isinstance(out, np.ndarray) else out

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check(key)
        super().__setitem__(key, value)


def checked(array: Any, name: str) -> np.ndarray:
    view = np.asarray(array).view(_Checked)
    view.name = name
    return view


class _Tagged(io.TextIOBase):
    """Prefixes each line the hook prints with the run, column and bar."""

    def __init__(self, target: Any, tag: str) -> None:
        self.target, self.tag, self.fresh = target, tag, True

    def write(self, text: str) -> int:
        for part in text.splitlines(keepends=True):
            if self.fresh:
                self.target.write(self.tag)
            self.target.write(part)
            self.fresh = part.endswith("\n")
        return len(text)


def plain_hook(hook: Any) -> Callable:
    """The user's hook as a Python function (its ``py_func``; already plain under NUMBA_DISABLE_JIT)."""
    from hedgelab.engine.guard import unguarded
    hook = unguarded(hook)
    return getattr(hook, "py_func", hook)


def _errors(strict: bool) -> Any:
    """numpy's floating-point error handling in the hook: a strict (debug) run raises on a division by
    zero, an overflow and an invalid operation (an underflow to 0 is no mistake); else as it is."""
    if strict:
        return np.errstate(divide="raise", over="raise", invalid="raise", under="ignore")
    return contextlib.nullcontext()


def run_column(inputs: KernelInputs, j: int, *, record: bool, cap: int, label: str, time: pd.DatetimeIndex,
               echo: bool = True, strict: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.DataFrame]:
    """Column ``j`` of ``inputs`` through ``simulate_column_nb.py_func``: (summary row, events, out or None,
    trace). ``cap``: the event buffer's first size (grown and re-run when the column needs more).
    ``strict``: numpy floating-point errors in the hook raise (``_errors``)."""
    from hedgelab.engine.warmup import load_kernel
    kernel = load_kernel()
    column_scratch_nb, simulate_column_nb = kernel.column_scratch_nb, kernel.simulate_column_nb

    py_hook = plain_hook(inputs.hook)
    mk, params_j, col = inputs.column(j)
    n = mk.shape[1]
    rows = []
    checked_params = checked(params_j, "params")
    checked_features = checked(inputs.features, "features")

    in_hook = [-1]   # the bar whose hook call is running (-1: none)

    def traced_hook(i: int, state: np.ndarray, params: np.ndarray, feats: np.ndarray, intent: np.ndarray) -> None:
        stamp = f"{time[i]:%Y-%m-%d %H:%M}"
        tag = f"[{label} col {col} bar {i} {stamp}] "
        out = _Tagged(sys.stdout, tag) if echo else io.StringIO()
        in_hook[0] = i
        try:
            with contextlib.redirect_stdout(out), _errors(strict):
                py_hook(i, checked(state, "state"), checked_params, checked_features,
                        checked(intent[:Intent.N], "intent"))
        finally:   # the bar that raised is in the trace too, with the intent as far as the hook wrote it
            rows.append((i, state.copy(), intent.copy()))
        in_hook[0] = -1

    out = np.empty((1, len(_out_names()), n if record else 0))
    summary = np.zeros((1, Sum.N))
    calm = calm_until_nb(mk[None], inputs.rebalance, inputs.tier_from_bar)[0]
    while True:
        events = np.zeros((1, cap), dtype=event_dt)
        rows.clear()
        acc, state, intent, legs = column_scratch_nb()
        # by name: the plain function takes keywords, so no order can be mixed up here
        try:
            simulate_column_nb.py_func(
                hook=traced_hook, mk=mk, close_time_s=inputs.close_time_s, time_ns=inputs.time_ns,
                bar_seconds=inputs.bar_seconds, cfg=inputs.cfg.copy(), ocfg=inputs.ocfg.copy(),
                tiers=inputs.tier_sets[0].copy(), tier_sets=inputs.tier_sets, tier_from_bar=inputs.tier_from_bar,
                params_j=params_j.copy(), features=inputs.features, rebalance=inputs.rebalance, calm=calm, j=0,
                col=col, out=out, summary=summary, events=events, acc=acc, state=state, intent=intent, legs=legs)
        except Exception as exc:
            from hedgelab.engine.hook_errors import where
            bar = in_hook[0] if in_hook[0] >= 0 else (rows[-1][0] if rows else -1)
            what = "the hook raised" if in_hook[0] >= 0 else "the run stopped"
            exc.add_note(f"hedgelab: {what} in {where(label, col, bar, time)}")
            from hedgelab.engine.nb.account import Acc
            kept = events[0, :min(int(acc[Acc.NEV]), cap)].copy()
            exc.hedgelab_trace = with_events(trace_frame(rows, label, col, time), kept, time)  # type: ignore[attr-defined]
            raise
        if summary[0, Sum.N_EVENTS] <= cap:
            break
        cap = int(summary[0, Sum.N_EVENTS])
    k = int(summary[0, Sum.N_EVENTS])
    return summary[0], events[0, :k].copy(), (out[0] if record else None), trace_frame(rows, label, col, time)


def _out_names() -> tuple:
    from hedgelab.engine.nb.records import OUT_NAMES
    return OUT_NAMES


# in the state vector's order: the named fields before the legs, the legs, the named fields after them
_STATE_NAMES = ([f"state.{k.lower()}" for k in State._fields if k not in ("LEGS", "N") and getattr(State, k) < State.LEGS]
                + [f"state.leg{k + 1}.{f.lower()}" for k in range(STATE_LEGS) for f in StateLeg._fields[:-1]]
                + [f"state.{k.lower()}" for k in State._fields if k != "N" and getattr(State, k) > State.LEGS])
assert len(_STATE_NAMES) == State.N
_INTENT_NAMES = [f"intent.{k.lower()}" for k in Intent._fields[:-1]]


def trace_frame(rows: list, label: str, col: int, time: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per decision bar: run, column, bar, time (bar open), the state the hook read and the
    intent it wrote (NaN = no change), each field a column named ``state.<field>`` / ``intent.<field>``."""
    if not rows:
        return pd.DataFrame(columns=["run", "column", "bar", "time", *_STATE_NAMES, *_INTENT_NAMES])
    bars = np.array([r[0] for r in rows], dtype=np.int64)
    states = np.array([r[1][:State.N] for r in rows])
    intents = np.array([r[2][:Intent.N] for r in rows])
    frame = pd.DataFrame(np.hstack([states, intents]), columns=_STATE_NAMES + _INTENT_NAMES)
    frame.insert(0, "time", time[bars])
    frame.insert(0, "bar", bars)
    frame.insert(0, "column", col)
    frame.insert(0, "run", label)
    return frame


def with_events(frame: pd.DataFrame, records: np.ndarray, time: pd.DatetimeIndex) -> pd.DataFrame:
    """The trace with what each decision did: ``events`` (that bar's events as text, e.g.
    "fill perp +1.5 @ 100,020.00 (+0.00); fee perp -75.01") and the BTC filled per instrument."""
    from hedgelab.engine.result import events_frame
    ev = events_frame(records, time)
    text, perp, spot, option = {}, {}, {}, {}
    for bar, rows in ev.groupby("bar"):
        text[bar] = "; ".join(
            f"{r.kind} {r.instrument} {r.qty:+g} @ {r.price:,.2f} ({r.amount:+,.2f})"
            + (f" [{r.reason}]" if r.reason else "") for r in rows.itertuples())
        fills = rows[rows["kind"].isin(["fill", "option_fill"])]
        perp[bar] = fills.loc[fills["instrument"] == "perp", "qty"].sum()
        spot[bar] = fills.loc[fills["instrument"] == "spot", "qty"].sum()
        option[bar] = fills.loc[fills["instrument"] == "option", "qty"].sum()
    frame = frame.copy()
    frame["perp_filled"] = frame["bar"].map(perp).fillna(0.0)
    frame["spot_filled"] = frame["bar"].map(spot).fillna(0.0)
    frame["option_filled"] = frame["bar"].map(option).fillna(0.0)
    frame["events"] = [text.get(bar, "") for bar in frame["bar"]]
    return frame
