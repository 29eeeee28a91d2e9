"""A strategy hook's mistakes, reported in one line naming the run, the bar and the field.

The kernel cannot raise from its parallel loop, so it stops a column whose hook wrote an unusable
intent (or whose equity stopped being finite) and records why in ``summary[j, Sum.ERROR*]``
(``engine/nb/simulate.py``, step 4); ``raise_column_errors`` turns the first one into a
``HookError``. An exception raised inside a hook reaches Python only as numba's
``SystemError: CPUDispatcher(...) returned a result with an exception set``, with the real
exception as its cause; ``locate_exception`` finds the column and bar by re-running the kernel on
fewer columns, then fewer decision bars (deterministic, so the first prefix that raises ends at
the culprit), and raises a ``HookError`` with the exception's type and message.
"""
from typing import Any, Callable, NoReturn

import numpy as np

from hedgelab.engine.nb.records import HookError as Code
from hedgelab.engine.nb.records import Sum
from hedgelab.engine.types import Intent
from hedgelab.core.errors import UserError

_WHAT = {
    Code.NOT_FINITE: "wrote a non-finite value ({value}) into intent {field}",
    Code.MISSING: "left intent {field} NaN in an option slot it uses (an option order needs its action, "
                  "type and, to buy or sell, strike, tenor and quantity)",
    Code.INVALID: "wrote an invalid value ({value}) into intent {field} (actions are +1 buy, -1 sell, 2 close a "
                  "type, 3 close leg k, 4 roll leg k; types +1 call, -1 put; strike units 0 fraction, 1 USD, 2 delta; "
                  "a close of leg k says no strike, tenor or size; quantities, leverage and tenors > 0; at most 1e12 coins, 1000x leverage, "
                  "1e15 USD, a tenor of 3650 days)",
    Code.STRIKE: "wrote a strike of {value} into intent {field}, which no listed contract can fill: a strike is a "
                 "fraction of the forward (0.9 = 10 % below it), listed between 0 and 5{usd}",
    Code.STRIKE_USD: "wrote a USD strike of {value} into intent {field}, which no listed contract is near: a strike "
                     "in USD (strike unit 1) is > 0, at least half the expiry's strike step (250 or 500 USD on the "
                     "default grid) and below 5x the forward",
    Code.DELTA: "wrote a target delta of {value} into intent {field}: a delta (strike unit 2) is in (0, 1) for a "
                "call and in (-1, 0) for a put (0.25 = a 25-delta call, -0.25 = a 25-delta put)",
    Code.LEG: "wrote leg {value} into intent {field}, which no close or roll can take: a leg is an index 0..7 of "
              "the state's legs (State.LEGS + k * StateLeg.N) whose QTY is not 0 at this decision, named by one "
              "slot only, of the slot's type if it gives one",
    Code.EQUITY: "left the account with a non-finite equity after its orders",
}


class HookError(UserError):
    """A strategy hook wrote an unusable intent or raised: one line naming run, column, bar and field."""


def where(label: str, col: int, bar: int, time: Any) -> str:
    stamp = f"{time[bar]:%Y-%m-%d %H:%M} UTC" if 0 <= bar < len(time) else "?"
    return f"{label} (column {col}) at bar {bar} (opened {stamp}, decided at its close)"


def raise_column_errors(summary: np.ndarray, labels: list, offset: int, time: Any,
                        rerun: Callable[[int], None] | None = None) -> None:
    """Raise a HookError for the first column the kernel stopped (``summary`` rows of one call)."""
    errors = column_errors(summary, labels, offset, time, rerun, most_reruns=1)
    if errors:
        j, (message, cause) = next(iter(errors.items()))
        more = f" ({len(errors) - 1} more column(s) stopped too)" if len(errors) > 1 else ""
        raise HookError(message + more) from cause


# what a compiled hook raised when its plain-Python re-run does not raise it again: the ways to see it
AT_ITS_LINE = "; to see it at its line: --debug (debug=True in Python)"
NOT_PASSED_ON = ("an exception that numba does not pass on; see it at its line with hedgelab.run(..., debug=True) "
                 "(compare, sweep too) or hedgelab run ... --debug")

RERUNS = 5   # columns whose raised exception is recovered by a plain-Python re-run (each takes a while)


def column_errors(summary: np.ndarray, labels: list, offset: int, time: Any, rerun: Callable[[int], None] | None = None,
                  most_reruns: int = RERUNS) -> dict:
    """{column in this call: (one-line message, the hook's exception or None)} for every column the
    kernel stopped, in column order.

    ``rerun(j)``: runs column j in plain Python (``engine/debug.py``), so a hook that raised raises
    again there with its own type and message (for the first ``most_reruns`` such columns)."""
    out = {}
    reruns = 0
    for jj in np.flatnonzero(summary[:, Sum.ERROR] != Code.NONE):
        j = int(jj)
        code = int(summary[j, Sum.ERROR])
        bar = int(summary[j, Sum.ERROR_BAR])
        head = where(labels[offset + j], offset + j, bar, time)
        if code == Code.RAISED:
            cause = None
            if rerun is not None and reruns < most_reruns:
                reruns += 1
                try:
                    rerun(j)
                except Exception as exc:  # noqa: BLE001 -- whatever the hook raised is the report
                    cause = exc
            message = _one_line(cause) + AT_ITS_LINE if cause is not None else NOT_PASSED_ON
            out[j] = (f"{head}: the hook raised {message}", cause)
            continue
        k = int(summary[j, Sum.ERROR_FIELD])
        field = Intent._fields[k] if 0 <= k < Intent.N else "?"
        value = summary[j, Sum.ERROR_VALUE]
        usd = (f"; {value:g} looks like USD: give it in USD (strike unit 1, strategies.hooks.STRIKE_USD) or divide "
               f"it by the forward" if 1000 <= value <= 1e9 else "")
        text = _WHAT[code].format(field=field, value=f"{value:g}", usd=usd)
        out[j] = (f"{head}: the hook {text}", None)
    return out


def locate_exception(run: Callable, ncols: int, rebalance: np.ndarray, labels: list, offset: int, time: Any,
                     first: BaseException) -> NoReturn:
    """Raise a HookError for the hook exception behind ``first`` (the kernel's SystemError).

    ``run(columns, rebalance)`` runs the kernel on those columns (indices into this call) with that
    rebalance mask and raises like the first call did."""
    def raises(cols: np.ndarray, mask: np.ndarray) -> BaseException | None:
        try:
            run(cols, mask)
        except SystemError as exc:
            return exc.__cause__ or exc
        return None

    cause = first.__cause__ or first
    lo, hi = 1, ncols  # the smallest prefix of columns that raises
    while lo < hi:
        mid = (lo + hi) // 2
        if raises(np.arange(mid), rebalance):
            hi = mid
        else:
            lo = mid + 1
    j = lo - 1
    decisions = np.flatnonzero(rebalance)
    lo, hi = 1, len(decisions)  # the smallest prefix of decision bars that raises
    while lo < hi:
        mid = (lo + hi) // 2
        mask = rebalance.copy()
        mask[decisions[mid]:] = False
        if raises(np.array([j]), mask):
            hi = mid
        else:
            lo = mid + 1
    bar = int(decisions[lo - 1]) if len(decisions) else -1
    mask = rebalance.copy()
    mask[bar + 1:] = False
    cause = raises(np.array([j]), mask) or cause
    message = _one_line(cause) + AT_ITS_LINE
    raise HookError(f"{where(labels[offset + j], offset + j, bar, time)}: the hook raised {message}") from cause


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
