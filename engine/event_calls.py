"""Event callbacks (``on_fill``, ``on_liquidation``, ``on_expiry``, ``on_adl``): the compiled kernel,
replayed from each event a callback answers.

A strategy's callbacks (``spec.callbacks``, built by ``strategies/callbacks.py``) are plain Python
methods. ``settle`` runs the kernel, reads each column's events in order and calls the callback of
every event of a kind it answers with the event's record (the row ``res.events`` shows) and the
account at that bar; a callback that returns targets changes that column's targets row at the bar
the change takes effect, and the column is run again from the start. The kernel is deterministic and
causal, so the run again repeats every event before that bar bit for bit: the events already
answered are not answered twice, and the next unanswered event is read from the new run. When no
callback changes anything, the changed targets are the strategy's and the run goes on as any other.

When targets take effect: an event that happens before its bar's decision (a liquidation, a stop,
an ADL close, an option expiry; an option bought back by the close's margin check) is answered at
that bar's close, so what the callback returns is executed at that close (it replaces the fields it
sets of the strategy's own row there). A fill happens at its bar's close, after the decision: what
``on_fill`` returns is executed at the next bar's close.

The account a callback reads (``Context.equity``, ...) is the account at its bar's close: before that
close's orders for the events before the decision, after them for a fill. It is the kernel's own
record of a run over the bars up to that one (made only when the callback reads it).

Why replay rather than calling Python from inside the kernel: the hook could enter ``numba.objmode``
on event bars (it caches: measured, a cache hit in the next process), but the hook sees neither the
event records (they are in the kernel's event buffer, not in its arguments), nor a fill (which
happens after the hook), nor a liquidation on a bar that is not a decision bar; giving it those
would change the kernel, its signature or its buffers for every strategy. Replay leaves the kernel,
its disk cache and every strategy without callbacks exactly as they were (the code path is not
entered), calls the callbacks in the process that runs the column (a Dask worker too: the strategy
class is loaded there as for any run), in each column's event order, and its results are the
kernel's, so they are bitwise equal wherever they run. The price: each answer that changes the
targets costs one more kernel run of the columns that changed (a few per run for liquidations,
expiries and ADL; ``benchmarks/bench_callbacks.py`` measures it).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

from hedgelab.engine.hook_errors import HookError, where
from hedgelab.engine.kernel_inputs import KernelInputs
from hedgelab.engine.nb.records import EVENT_KIND_NAMES, OUT_NAMES, EventKind, Mkt
from hedgelab.engine.result import events_frame

# what a decision at the close makes: answered at that close, so their targets go to the next bar
AT_CLOSE = frozenset({EventKind.FILL, EventKind.OPTION_FILL})


class CallbackReturnError(Exception):
    """A callback returned something that is not targets; the message says what and what is allowed."""


class Event(NamedTuple):
    """One event as ``res.events`` shows it (money: cash flow to the account, + received, - paid)."""
    time: pd.Timestamp      # when it happened (engine/result.event_times: a fill at its bar's close, ...)
    bar: int                # the bar it happened in
    column: int             # the run's column (parameter set)
    instrument: str         # spot, perp, option
    side: str               # buy / sell (+ / - qty)
    kind: str               # fill, option_fill, liquidation, option_settlement, adl, ...
    qty: float              # signed BTC (+ bought)
    price: float            # USD
    amount: float           # USD cash flow to the account
    reason: str             # why an order was cut (empty for these kinds)
    option_type: str        # option events: call / put
    strike: float           # option events: USD
    adl_score: float        # adl events: the position's rank score
    expiry: Any             # option events: the contract's expiry (08:00 UTC)


class Context:
    """What a callback reads: the column's parameters and memory, the bar, its prices, and the account
    at the bar's close (before that close's orders; after them for a fill), each figure as the
    kernel recorded it. The account is computed when first read."""

    def __init__(self, *, column: int, label: str, params: dict, bar: int, time: pd.Timestamp,
                 takes_effect: pd.Timestamp | None, prices: dict, memory: dict, account: Callable[[], dict]):
        self.column, self.label, self.params, self.bar = column, label, params, bar
        self.time = time                  # the close of the event's bar
        self.takes_effect = takes_effect  # the close where returned targets are executed (None: after the last bar)
        self.close, self.mark, self.index = prices["close"], prices["mark"], prices["index"]
        self.memory = memory              # a dict of this column's own, kept between its callbacks
        self._account = account
        self._values: dict | None = None

    def _get(self, name: str) -> float:
        if self._values is None:
            self._values = self._account()
        return self._values[name]

    equity = property(lambda self: self._get("equity"), doc="USD at the bar's close")
    cash = property(lambda self: self._get("cash"), doc="USD, free cash (isolated margin excluded)")
    spot_qty = property(lambda self: self._get("spot_qty"), doc="BTC")
    perp_qty = property(lambda self: self._get("perp_qty"), doc="signed BTC, + long")
    margin_ratio = property(lambda self: self._get("margin_ratio"), doc="maintenance margin / margin balance")
    liq_price = property(lambda self: self._get("liq_price"), doc="USD, NaN when flat")
    option_value = property(lambda self: self._get("option_value"), doc="USD, the option book at the model")

    def __repr__(self) -> str:
        return f"Context({self.label}, column {self.column}, bar {self.bar}, {self.time:%Y-%m-%d %H:%M} UTC)"


def settle(inputs: KernelInputs, calls: Any, *, time: pd.DatetimeIndex, labels: list,
           kernel: Callable[[KernelInputs, bool], tuple], errors: dict | None, debug: bool = False) -> KernelInputs:
    """``inputs`` with every column's targets as its callbacks changed them (see the module docstring).

    ``kernel(inputs, record)`` runs the compiled kernel: (events[j, k], counts[j], out or None).
    A callback that raises or returns what is not targets: a ``HookError`` naming the run, bar, event and
    callback; with ``errors`` (a dict) the message goes there and that column is answered no more;
    ``debug``: the exception itself, with a note naming them."""
    ncols = inputs.n_columns
    bar_seconds = pd.Timedelta(seconds=int(inputs.bar_seconds))
    kinds = np.array([EVENT_KIND_NAMES.index(k) for k in calls.kinds], dtype=np.int8)
    changes: dict[int, dict[int, dict]] = {}
    done = np.zeros(ncols, dtype=np.int64)    # events of each column already answered (in record order)
    memory: list[dict] = [{} for _ in range(ncols)]
    pending = list(range(ncols))
    while pending:
        now = with_changes(inputs, calls, changes)
        sub = now._replace(params=np.ascontiguousarray(now.params[pending]),
                           path_of_column=np.ascontiguousarray(now.path_of_column[pending]), col_offset=0)
        events, counts, _ = kernel(sub, False)
        again = []
        for jj, j in enumerate(pending):
            records = events[jj, :counts[jj]].copy()
            records["column"] = j
            try:
                if _answer(j, records, kinds, done, changes, memory, now, calls, time, bar_seconds, labels, kernel):
                    again.append(j)
            except _Stopped as stop:
                if debug:
                    stop.cause.add_note(f"hedgelab: {stop.message}")
                    raise stop.cause from None
                if errors is None:
                    raise HookError(stop.message) from stop.cause
                errors[inputs.col_offset + j] = stop.message
        pending = again
    return with_changes(inputs, calls, changes)


class _Stopped(Exception):
    def __init__(self, message: str, cause: BaseException):
        super().__init__(message)
        self.message, self.cause = message, cause


def with_changes(inputs: KernelInputs, calls: Any, changes: dict) -> KernelInputs:
    params, features, rebalance = calls.arrays(changes)
    return inputs._replace(params=params, features=features, rebalance=rebalance)


def _answer(j: int, records: np.ndarray, kinds: np.ndarray, done: np.ndarray, changes: dict, memory: list,
            inputs: KernelInputs, calls: Any, time: pd.DatetimeIndex, bar_seconds: pd.Timedelta, labels: list,
            kernel: Callable) -> bool:
    """Answer column j's events after the ones already answered, in order, up to the first answer that
    changes its targets (True: run it again) or the end (False)."""
    n = len(time)
    todo = np.flatnonzero(np.isin(records["kind"], kinds))
    todo = todo[todo >= done[j]]
    if not len(todo):
        return False
    # the events to answer as res.events shows them, built once (a row of a DataFrame costs ~0.3 ms)
    frame = events_frame(records[todo], time, int(bar_seconds.total_seconds()))
    events = [Event(*row) for row in zip(*(frame[f].tolist() for f in Event._fields))]
    bars = records["bar"][todo].astype(np.int64)
    closes = np.isin(records["kind"][todo], list(AT_CLOSE))
    pos = 0
    while pos < len(todo):
        bar, at_close = int(bars[pos]), bool(closes[pos])
        end = pos + 1
        while end < len(todo) and bars[end] == bar and closes[end] == at_close:
            end += 1
        group = range(pos, end)
        target = bar + 1 if at_close else bar
        ctx = Context(column=j, label=labels[j], params=calls.params(j), bar=bar, time=time[bar] + bar_seconds,
                      takes_effect=time[target] + bar_seconds if target < n else None,
                      prices=_prices(inputs, j, bar), memory=memory[j],
                      account=functools.partial(_account, inputs, calls, changes.get(j, {}), j, bar, not at_close,
                                                kernel))
        change: dict = {}
        for q in group:
            event = events[q]
            try:
                answer = calls.respond(event, ctx)
            except Exception as exc:  # noqa: BLE001 -- the author's code: any exception is reported by name
                said = str(exc) if isinstance(exc, CallbackReturnError) else f"raised {type(exc).__name__}: {exc}"
                message = (f"{where(labels[j], j, bar, time)}: {calls.method_name(event.kind)}, called for the "
                           f"{event.kind} {event.instrument} {event.qty:+g} at {event.time:%Y-%m-%d %H:%M} UTC, {said}")
                raise _Stopped(message, exc) from exc
            change.update(answer or {})
            done[j] = todo[q] + 1
        pos = end
        if change and target < n:
            before = calls.row(j, target, changes.get(j, {}))
            merged = {**changes.get(j, {}).get(target, {}), **change}
            changes.setdefault(j, {})[target] = merged
            if calls.row(j, target, changes[j]) != before:
                return True
    return False


def _prices(inputs: KernelInputs, j: int, bar: int) -> dict:
    mk = inputs.market[inputs.path_of_column[j]]
    return {"close": float(mk[Mkt.CLOSE, bar]), "mark": float(mk[Mkt.MARK_CLOSE, bar]),
            "index": float(mk[Mkt.INDEX_CLOSE, bar])}


def _account(inputs: KernelInputs, calls: Any, changes_j: dict, j: int, bar: int, before_orders: bool,
             kernel: Callable) -> dict:
    """Column j's account at bar ``bar``'s close, as the kernel records it: a run of that column over
    the bars up to ``bar`` (the kernel is causal), without that close's orders when ``before_orders``."""
    params, features, rebalance = calls.column(j, changes_j, clear=bar if before_orders else None)
    end = bar + 1
    path = int(inputs.path_of_column[j])
    one = inputs._replace(market=np.ascontiguousarray(inputs.market[path:path + 1, :, :end]),
                          close_time_s=np.ascontiguousarray(inputs.close_time_s[:end]),
                          path_of_column=np.zeros(1, dtype=np.int64), params=params,
                          features=np.ascontiguousarray(features[:end]),
                          rebalance=np.ascontiguousarray(rebalance[:end]),
                          time_ns=np.ascontiguousarray(inputs.time_ns[:end]), col_offset=0)
    _, _, out = kernel(one, True)
    return {name: float(out[0, k, bar]) for k, name in enumerate(OUT_NAMES)}
