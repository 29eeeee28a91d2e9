"""Event callbacks for ``targets()`` strategies: ``on_fill``, ``on_liquidation``, ``on_expiry``, ``on_adl``.

A strategy that computes its targets upfront (``targets(market, params)``) may also answer events as
they happen, with short Python methods::

    def on_liquidation(self, ctx, event):
        return {"perp": 1.0, "leverage": ctx.params["leverage"] / 2}   # re-open at half the leverage

``event`` is the event's row as ``res.events`` shows it (``engine/event_calls.Event``: time, bar,
instrument, kind, qty, price, amount as cash flow to the account, reason, the option contract);
``ctx`` the column's parameters, its own ``memory`` dict, the bar, its prices and the account at the
bar's close (``engine/event_calls.Context``: equity, cash, spot_qty, perp_qty, margin_ratio,
liq_price, option_value). A callback returns None (nothing changes) or targets as ``targets()``
writes a row: a dict with any of ``spot``, ``perp`` (fractions of equity) and ``leverage`` (x).
They are executed at the event's bar's close, or the next bar's close for a fill, in place of the
fields they set of the strategy's row there; the strategy's later rows apply as written.

A strategy with its own ``decide_nb`` hook may define them too, to observe (log) events: they
return None, as the hook decides (it reads events from its state: ``State.LIQUIDATIONS``,
``ADL_BARS_AGO``, ``OPEN_LEGS``); ``on_expiry`` and option fills come only from hooks, as ``targets()``
holds no options.

Which events: ``on_fill`` the fills of spot, perp (``fill``) and options (``option_fill``);
``on_liquidation`` every ``liquidation`` (a perp taken by the venue, each step of a partial one,
or a short option bought back by the margin check); ``on_expiry`` every ``option_settlement``;
``on_adl`` every ``adl`` close. How the engine calls them and at what cost: engine/event_calls.py.
"""
from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Mapping

import numpy as np

from hedgelab.engine.event_calls import CallbackReturnError, Context, Event  # noqa: F401  (public names)

CALLBACKS = {"on_fill": ("fill", "option_fill"), "on_liquidation": ("liquidation",),
             "on_expiry": ("option_settlement",), "on_adl": ("adl",)}
FIELDS = ("spot", "perp", "leverage")


def callbacks_of(cls) -> tuple:
    """The callbacks ``cls`` defines, in ``CALLBACKS`` order."""
    return tuple(name for name in CALLBACKS if callable(getattr(cls, name, None)))


def check_class(cls) -> None:
    """A TypeError at import for callbacks the engine cannot call: on a strategy with its own numba
    hook, a basket, or a method that does not take (ctx, event)."""
    names = callbacks_of(cls)
    if not names:
        return
    who = cls.name or cls.__name__
    if getattr(cls, "kind", "single") != "single":
        raise TypeError(f"{who}: {names[0]} is for single-coin targets() strategies, not a {cls.kind}")
    from hedgelab.strategies.base import Strategy, hook_of
    from hedgelab.strategies.hooks import noop_nb, targets_nb
    if hook_of(cls) in (noop_nb, targets_nb) and \
            inspect.getattr_static(cls, "targets") is inspect.getattr_static(Strategy, "targets"):
        raise TypeError(f"{who}: {names[0]} needs targets() or a decide_nb hook: a strategy that never trades "
                        f"has no events to answer")
    for name in names:
        try:
            inspect.signature(getattr(cls, name)).bind(None, "ctx", "event")
        except TypeError:
            raise TypeError(f"{who}: {name} must take (self, ctx, event)") from None


class EventCalls:
    """A spec's callbacks (``StrategySpec.callbacks``): what ``engine/event_calls.settle`` calls.

    Holds the strategy, each column's parameters and targets block (n_bars x spot, perp, leverage),
    and rebuilds the kernel's (params, features, rebalance) with the rows the callbacks changed."""

    fields = FIELDS

    def __init__(self, strategy, sets: list, spec, blocks: list | None = None, matrix: list | None = None):
        """``blocks`` (targets() per column) and ``matrix`` (parameter rows without the feature offset): a
        targets() strategy; None: a decide_nb strategy, whose callbacks observe (they may return None only)."""
        from hedgelab.strategies.base import MAX_TARGET_FRACTION, MAX_TARGET_LEVERAGE
        self.strategy, self.sets, self.matrix, self.spec = strategy, sets, matrix, spec
        self.blocks = None if blocks is None else [_as_block(b) for b in blocks]
        self.limits = MAX_TARGET_FRACTION, MAX_TARGET_LEVERAGE
        self.method = {kind: name for name in callbacks_of(type(strategy)) for kind in CALLBACKS[name]}
        self.kinds = tuple(self.method)

    def method_name(self, kind: str) -> str:
        return f"{self.strategy.name}.{self.method[kind]}"

    def params(self, column: int) -> dict:
        return dict(self.sets[column])

    def respond(self, event, ctx) -> dict | None:
        """The callback's answer to ``event``, checked: None or {field: value} (None / NaN values left out)."""
        answer = getattr(self.strategy, self.method[event.kind])(ctx, event)
        return self._checked(answer)

    def _checked(self, answer) -> dict | None:
        if answer is None:
            return None
        if self.blocks is None:
            raise CallbackReturnError(f"returned {answer!r}, but {self.strategy.name} decides in its decide_nb hook, "
                                      f"so its callbacks only observe (return None); targets returned by a callback "
                                      f"change a targets() strategy's rows")
        if not isinstance(answer, Mapping):
            raise CallbackReturnError(f"returned {answer!r}; return None or a dict of targets "
                                      f"(spot, perp: fractions of equity; leverage: x)")
        unknown = [k for k in answer if k not in FIELDS]
        if unknown:
            raise CallbackReturnError(f"returned the key {unknown[0]!r}; the targets a callback may return are "
                                      f"{', '.join(FIELDS)}")
        out = {}
        fraction, leverage = self.limits
        for key, value in answer.items():
            if value is None:
                continue
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise CallbackReturnError(f"returned {key}={value!r}; a target is a number")
            value = float(value)
            if math.isnan(value):
                continue
            ok = (0.0 < value <= leverage) if key == "leverage" else abs(value) <= fraction
            if not ok:
                rule = (f"a leverage is in (0, {leverage:g}]" if key == "leverage" else
                        f"targets are finite fractions of equity within +/-{fraction:g}")
                raise CallbackReturnError(f"returned {key}={value!r}; {rule}")
            out[key] = value
        return out

    def block(self, column: int, changes: dict) -> np.ndarray:
        """Column ``column``'s targets with ``changes`` ({bar: {field: value}}) written in."""
        block = self.blocks[column]
        if not changes:
            return block
        block = block.copy()
        for bar, row in changes.items():
            for key, value in row.items():
                block[bar, FIELDS.index(key)] = value
        return block

    def row(self, column: int, bar: int, changes: dict) -> tuple:
        """The targets row executed at ``bar``'s close (NaN: no change), as a comparable tuple."""
        values = self.block(column, {bar: changes[bar]} if bar in changes else {})[bar]
        return tuple(None if math.isnan(v) else float(v) for v in values)

    def arrays(self, changes: dict) -> tuple:
        """(params, features, rebalance) of every column with ``changes`` ({column: {bar: {field: value}}})."""
        if self.blocks is None:   # a decide_nb strategy: nothing a callback returns changes its arrays
            return self.spec.params, self.spec.features, self.spec.rebalance
        from hedgelab.strategies.base import stack_targets
        blocks = [self.block(j, changes.get(j, {})) for j in range(len(self.blocks))]
        features, offsets, mask = stack_targets(self.strategy.name, blocks, len(blocks[0]))
        params = np.array([row + [off] for row, off in zip(self.matrix, offsets)], dtype=np.float64)
        return np.ascontiguousarray(params), features, np.ascontiguousarray(mask, dtype=bool)

    def column(self, column: int, changes: dict, clear: int | None = None) -> tuple:
        """(params (1, p), features, rebalance) of one column alone; ``clear``: a bar whose decision is left
        out (a decide_nb strategy's hook is still called there on an ADL bar, as the kernel always does)."""
        if self.blocks is None:
            rebalance = self.spec.rebalance.copy()
            if clear is not None:
                rebalance[clear] = False
            return np.ascontiguousarray(self.spec.params[column:column + 1]), self.spec.features, rebalance
        if clear is not None:
            changes = {**changes, clear: dict.fromkeys(FIELDS, math.nan)}
        block = np.ascontiguousarray(self.block(column, changes))
        params = np.array([self.matrix[column] + [0.0]], dtype=np.float64)   # its targets at feature offset 0
        return params, block, ~np.all(np.isnan(block), axis=1)


def _as_block(block) -> np.ndarray:
    block = np.asarray(block, dtype=np.float64)
    if block.shape[1] == 2:
        block = np.column_stack([block, np.full(len(block), np.nan)])
    return np.ascontiguousarray(np.where(np.isnan(block), np.nan, block))
