"""See inside a hook: run chosen columns through the kernel's own code in plain Python.

``simulate(..., debug=True)`` and ``simulate(..., trace=[columns])`` call ``simulate_column_nb.py_func``
(the kernel's column loop, uncompiled) with the hook's ``py_func``, one column at a time, so that:

- breakpoints and ``print`` work inside the hook; what it prints is tagged ``[label bar i time]``;
- ``params``, ``features``, ``state`` and ``intent`` are bounds-checked (reading or writing past
  them, or at a negative index, is an ``IndexError`` naming the array; the compiled kernel does
  not check bounds: there a read past the end returns whatever memory follows);
- every decision bar's state and intent are recorded by field name (the trace), the hook's memory
  slots by the names the strategy declared (``memory``), at the bar's close (when the hook decides and
  its orders fill);
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
               echo: bool = True, strict: bool = False,
               memory: tuple = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, pd.DataFrame]:
    """Column ``j`` of ``inputs`` through ``simulate_column_nb.py_func``: (summary row, events, out or None,
    trace). ``cap``: the event buffer's first size (grown and re-run when the column needs more).
    ``strict``: numpy floating-point errors in the hook raise (``_errors``). ``memory``: the names the
    strategy gave its memory slots (``memory_slots``), for the trace's columns."""
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
            frame = trace_frame(rows, label, col, time, inputs.bar_seconds, memory)
            exc.hedgelab_trace = with_events(frame, kept, time, inputs.bar_seconds)  # type: ignore[attr-defined]
            raise
        if summary[0, Sum.N_EVENTS] <= cap:
            break
        cap = int(summary[0, Sum.N_EVENTS])
    k = int(summary[0, Sum.N_EVENTS])
    frame = trace_frame(rows, label, col, time, inputs.bar_seconds, memory)
    return summary[0], events[0, :k].copy(), (out[0] if record else None), frame


def _out_names() -> tuple:
    from hedgelab.engine.nb.records import OUT_NAMES
    return OUT_NAMES


# in the state vector's order: the named fields before the legs, the legs, the named fields after them
_STATE_NAMES = ([f"state.{k.lower()}" for k in State._fields if k not in ("LEGS", "N") and getattr(State, k) < State.LEGS]
                + [f"state.leg{k + 1}.{f.lower()}" for k in range(STATE_LEGS) for f in StateLeg._fields[:-1]]
                + [f"state.{k.lower()}" for k in State._fields if k != "N" and getattr(State, k) > State.LEGS])
assert len(_STATE_NAMES) == State.N
_INTENT_NAMES = [f"intent.{k.lower()}" for k in Intent._fields[:-1]]


def state_names(memory: tuple = ()) -> list[str]:
    """The trace's state columns; memory slot k is ``state.mem.<name>`` when the strategy named it
    (``memory_slots``), else ``state.memk``."""
    named = {f"state.mem{k}": f"state.mem.{name}" for k, name in enumerate(memory)}
    return [named.get(c, c) for c in _STATE_NAMES]


def trace_frame(rows: list, label: str, col: int, time: pd.DatetimeIndex, bar_seconds: int,
                memory: tuple = ()) -> pd.DataFrame:
    """One row per decision bar: run, column, bar, bar_open (the bar's open time), time (its close: when
    the hook read the state and its orders filled, the time events.csv gives those fills), the state the
    hook read and the intent it wrote (NaN = no change), each field a column named ``state.<field>``
    (memory by its declared name, ``state_names``) / ``intent.<field>``."""
    names = state_names(memory)
    if not rows:
        return pd.DataFrame(columns=["run", "column", "bar", "bar_open", "time", *names, *_INTENT_NAMES])
    bars = np.array([r[0] for r in rows], dtype=np.int64)
    states = np.array([r[1][:State.N] for r in rows])
    intents = np.array([r[2][:Intent.N] for r in rows])
    frame = pd.DataFrame(np.hstack([states, intents]), columns=names + _INTENT_NAMES)
    frame.insert(0, "time", time[bars] + pd.Timedelta(seconds=int(bar_seconds)))
    frame.insert(0, "bar_open", time[bars])
    frame.insert(0, "bar", bars)
    frame.insert(0, "column", col)
    frame.insert(0, "run", label)
    return frame


def _instrument(r: Any) -> str:
    """An event's instrument; an option event's with its contract ('option put 95,000 2025-10-17')."""
    return f"option {_contract(r)}" if r.instrument == "option" and r.option_type else r.instrument


def _contract(r: Any) -> str:
    return f"{r.option_type} {r.strike:,.0f} {r.expiry:%Y-%m-%d}"


def _leg(r: Any) -> str:
    """An option fill's contract and quantity: 'put 95,000 2025-10-17 +1.2' (strike USD, expiry date)."""
    return f"{_contract(r)} {r.qty:+g}"


def with_events(frame: pd.DataFrame, records: np.ndarray, time: pd.DatetimeIndex, bar_seconds: int) -> pd.DataFrame:
    """The trace with what each decision bar did: ``events`` (that bar's events as text, e.g.
    "fill perp +1.5 @ 100,020.00 (+0.00); fee perp -75.01"; an event not at the bar's close, such as a
    funding settlement or a liquidation inside the bar, starts with its own time), the BTC filled in
    spot and perp, and ``option_filled``: each option leg filled, one per contract ("put 95,000
    2025-10-17 +1.2; put 85,000 2025-10-17 -1.2"), so a spread's legs do not net out."""
    from hedgelab.engine.result import events_frame
    ev = events_frame(records, time, bar_seconds)
    text, perp, spot, option = {}, {}, {}, {}
    for bar, rows in ev.groupby("bar"):
        close = time[bar] + pd.Timedelta(seconds=int(bar_seconds))
        text[bar] = "; ".join(
            ("" if r.time == close else f"[{r.time:%Y-%m-%d %H:%M}] ")
            + f"{r.kind} {_instrument(r)} {r.qty:+g} @ {r.price:,.2f} ({r.amount:+,.2f})"
            + (f" [{r.reason}]" if r.reason else "") for r in rows.itertuples())
        fills = rows[rows["kind"].isin(["fill", "option_fill"])]
        perp[bar] = fills.loc[fills["instrument"] == "perp", "qty"].sum()
        spot[bar] = fills.loc[fills["instrument"] == "spot", "qty"].sum()
        option[bar] = "; ".join(_leg(r) for r in fills[fills["instrument"] == "option"].itertuples())
    frame = frame.copy()
    frame["perp_filled"] = frame["bar"].map(perp).fillna(0.0)
    frame["spot_filled"] = frame["bar"].map(spot).fillna(0.0)
    frame["option_filled"] = [option.get(bar, "") for bar in frame["bar"]]
    frame["events"] = [text.get(bar, "") for bar in frame["bar"]]
    return frame
