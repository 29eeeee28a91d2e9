"""The ``Strategy`` plugin base and its ``Param`` descriptors.

A strategy is a class: parameters are ``Param`` class attributes (validated, with defaults and sweep
grids), ``prepare(market)`` precomputes features with numpy, ``rebalance`` says on which bars the
kernel calls the hook, and ``decide_nb`` is the numba hook (``hedgelab.engine.types.HOOK_SIG``).

A strategy that needs no account state needs no numba: override ``targets(market, params)`` to return
per-bar target fractions of equity (columns: spot, perp[, leverage]; NaN = no change) and the generic
hook ``targets_nb`` executes them (see strategies/hooks.py).

Feature parameters. ``prepare`` has no parameter argument: it reads the parameters it needs as
``self.<name>``, and those must be declared ``Param(..., feature=True)`` (a volatility window, say).
A run or sweep groups its parameter sets by the values of their feature parameters
(``Strategy.feature_groups``); ``spec`` takes the sets of one group, runs ``prepare`` once on an
instance holding that group's values, and the runner makes one kernel call per group and puts the
results back in the caller's column order. ``spec`` refuses sets whose feature values differ.
This was chosen over stacking each group's features side by side behind a per-column offset (what
``targets()`` strategies do with ``feature_offset``): with groups, a hook keeps reading
``features[i, 0]`` whatever the sweep, no hook needs to know about offsets, and the features of one
call stay (n_bars, k). The cost is one kernel call per distinct feature value instead of one per
sweep, which is small because feature grids are short (a handful of windows).
"""
from __future__ import annotations

import copy
import difflib
import inspect
import math
from collections import OrderedDict

import numba
import numpy as np

from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG
from hedgelab.core.errors import UserError
from hedgelab.strategies.hooks import TARGET_BLOCK, noop_nb, targets_nb

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


class Param:
    """A validated strategy parameter, declared as a class attribute.

    ``type`` is float, int, bool or str (str requires ``choices``); ``low``/``high`` are inclusive
    bounds; ``grid`` lists the values a default sweep tries. Inside the kernel every value is a float:
    bools are 0/1 and a choice is its index in ``choices``. ``feature=True`` marks a parameter that
    ``prepare`` reads (as ``self.<name>``): parameter sets that differ in it get their own features
    and their own kernel call (see the module docstring).
    """

    def __init__(self, default, *, type=float, low=None, high=None, choices=None, grid=None, doc="",
                 feature=False):
        if type not in (float, int, bool, str):
            raise TypeError(f"Param type must be float, int, bool or str, not {type!r}")
        if type is str and not choices:
            raise TypeError("a str Param needs choices (the kernel sees the choice's index)")
        self.type = type
        self.low, self.high = low, high
        self.choices = tuple(choices) if choices else None
        self.grid = tuple(grid) if grid is not None else None
        self.doc = doc
        self.feature = bool(feature)
        self.name = None
        self.default = default  # checked in __set_name__, once the name is known

    def __set_name__(self, owner, name):
        self.name = name  # the default is checked by Strategy.__init_subclass__

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return instance.values[self.name]

    def __set__(self, instance, value):
        raise AttributeError(f"parameter {self.name!r} is read-only; pass it to the constructor")

    def __repr__(self):
        return f"Param({self.default!r}, type={self.type.__name__})"

    def coerce(self, value, owner="strategy"):
        """The value converted to this parameter's type and checked, or a UserError naming it."""
        where = f"parameter {self.name!r} of {owner}"
        value = self._convert(value, where)
        if self.choices is not None and value not in self.choices:
            raise UserError(f"{where} must be one of {', '.join(map(str, self.choices))}; got {value!r}")
        if self.type in (int, float):
            if not math.isfinite(value):
                raise UserError(f"{where} must be finite, got {value!r}")
            if self.low is not None and value < self.low:
                raise UserError(f"{where} must be >= {self.low}, got {value!r}")
            if self.high is not None and value > self.high:
                raise UserError(f"{where} must be <= {self.high}, got {value!r}")
        return value

    def _convert(self, value, where):
        if self.type is bool:
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise UserError(f"{where} must be true or false, got {value!r}")
        if self.type is str:
            return str(value)
        try:
            if isinstance(value, (bool, np.bool_)):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            kind = "an integer" if self.type is int else "a number"
            raise UserError(f"{where} must be {kind}, got {value!r}") from None
        if self.type is int:
            if number != int(number):
                raise UserError(f"{where} must be an integer, got {value!r}")
            return int(number)
        return number

    def encode(self, value) -> float:
        """The float the kernel sees."""
        if self.choices is not None:
            return float(self.choices.index(value))
        return float(value)


class Strategy:
    """Base class of every strategy. Subclass it, set ``name``, declare ``Param``s, give a hook.

    Class attributes: ``name`` (CLI id, e.g. "perp-hedge"), ``margin_mode`` ("isolated" or "cross",
    the mode this strategy is meant to run in), ``uses_options`` (needs the option venue),
    ``label_params`` (parameters always shown in labels), ``constraints`` (orderings between
    parameters, e.g. ``(("low_leverage", "<=", "high_leverage"),)``), ``warmup_bars`` (bars it means
    to wait for its features before its first order; a run that waits longer for NaN features or
    NaN targets gets a warning, ``strategies/waiting.py``). ``description`` is the docstring's first line.
    """

    name: str = ""
    kind: str = "single"       # "single": one coin (HOOK_SIG); "basket": several coins in one account
    margin_mode: str = "isolated"
    uses_options: bool = False
    label_params: tuple = ()
    constraints: tuple = ()    # (name, "<" | "<=", other name), checked by validate()
    warmup_bars: int = 0       # bars the strategy means to wait before its first order (strategies/waiting.py)
    P = None                   # strategies.names.param_index(...) the hook uses, checked against the params
    M = None                   # strategies.names.memory_slots(...) the hook uses: the trace names its memory by them
    decide_nb = staticmethod(noop_nb)

    def __init__(self, **overrides):
        self.values = self.validate(overrides)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        doc = (cls.__doc__ or "").strip()
        cls.description = doc.splitlines()[0].strip() if doc else ""
        for param in vars(cls).values():
            if isinstance(param, Param):
                try:
                    param.default = param.coerce(param.default, owner=cls.name or cls.__name__)
                except UserError as exc:
                    hint = ""
                    if isinstance(param.default, str) and param.type is not str:
                        hint = f"; a text parameter is declared with type=str: Param({param.default!r}, type=str, ...)"
                    raise TypeError(f"bad default: {exc}{hint}") from None
        if cls.P is not None and tuple(cls.P._fields) != tuple(cls.params()):
            raise TypeError(f"{cls.name or cls.__name__}: P = param_index{tuple(cls.P._fields)} does not follow the "
                            f"declared parameters {tuple(cls.params())}; the hook would read the wrong params[k]")
        if cls.M is not None and type(cls.M).__name__ != "MemorySlots":
            raise TypeError(f"{cls.name or cls.__name__}: M must be memory_slots(...), got {cls.M!r}")
        from hedgelab.strategies.callbacks import check_class
        check_class(cls)   # on_fill, on_liquidation, ... (strategies/callbacks.py)

    def __repr__(self):
        return self.label(self.values)

    # ---- parameters -------------------------------------------------------------------------
    @classmethod
    def params(cls) -> OrderedDict:
        """Name -> Param in declaration order, base-class parameters first."""
        # Found once per class (a sweep validates millions of sets); a copy, so callers may edit it.
        found = cls.__dict__.get("_declared")
        if found is None:
            found = OrderedDict()
            for klass in reversed(cls.__mro__):
                for key, value in vars(klass).items():
                    if isinstance(value, Param):
                        found[key] = value  # an override keeps the position of the parameter it replaces
            cls._declared = found
        return OrderedDict(found)

    @classmethod
    def defaults(cls) -> dict:
        return {k: p.default for k, p in cls.params().items()}

    @classmethod
    def validate(cls, overrides: dict | None = None) -> dict:
        """Defaults updated with ``overrides``, each converted and checked (UserError names it)."""
        declared = cls.params()
        values = {k: p.default for k, p in declared.items()}
        for key, value in (overrides or {}).items():
            if key not in declared:
                msg = f"unknown parameter {key!r} for {cls.name or cls.__name__}"
                close = difflib.get_close_matches(key, list(declared), n=1)
                if close:
                    msg += f"; did you mean {close[0]!r}?"
                elif declared:
                    msg += f" (parameters: {', '.join(declared)})"
                else:
                    msg += " (it takes no parameters)"
                raise UserError(msg)
            values[key] = declared[key].coerce(value, owner=cls.name or cls.__name__)
        cls.check(values)
        return values

    @classmethod
    def check(cls, values: dict) -> None:
        """Cross-parameter rules: ``constraints`` (a, "<" or "<=", b); override for more (UserError)."""
        for a, op, b in cls.constraints:
            ok = values[a] < values[b] if op == "<" else values[a] <= values[b]
            if not ok:
                raise UserError(f"parameter {a!r} of {cls.name} must be {op} {b!r} "
                                f"({values[a]:g} vs {values[b]:g})")

    @classmethod
    def default_grid(cls) -> dict:
        """Name -> list of values for a default sweep (parameters that declare a grid)."""
        return {k: list(p.grid) for k, p in cls.params().items() if p.grid}

    @classmethod
    def feature_params(cls) -> tuple:
        """Names of the parameters ``prepare`` reads (declared with ``feature=True``)."""
        return tuple(k for k, p in cls.params().items() if p.feature)

    @classmethod
    def feature_groups(cls, param_sets: list[dict], *, validated: bool = False) -> list[list[int]]:
        """Indices of ``param_sets`` grouped by their feature values (groups in order of first
        appearance, indices ascending): each group can share one ``spec`` and one kernel call.
        ``validated``: the sets are already ``validate``d (a big sweep validates them once)."""
        sets = param_sets if validated else [cls.validate(p) for p in param_sets]
        names = cls.feature_params()
        groups = {}
        for j, values in enumerate(sets):
            groups.setdefault(tuple(repr(values[k]) for k in names), []).append(j)
        return list(groups.values())

    @classmethod
    def labels(cls, param_sets: list[dict], *, validated: bool = False) -> tuple:
        """One label per set: first the parameters that vary across the sets (what tells the runs
        apart, so a reader sees it even where a long label wraps), then ``label_params`` and those that
        differ from their defaults, each in declaration order. Computed over all the sets, so every
        group and chunk of a sweep agrees. ``validated``: the sets are already ``validate``d."""
        sets = param_sets if validated else [cls.validate(p) for p in param_sets]
        declared = cls.params()
        varying = [k for k in declared if len({repr(v[k]) for v in sets}) > 1]
        changed = {k for k in declared for v in sets if v[k] != declared[k].default}
        return tuple(cls.label(v, shown=changed, first=varying) for v in sets)

    @classmethod
    def label(cls, values: dict, shown=(), first=()) -> str:
        """``name(k=v,...)``: the parameters ``first`` in their order, then ``label_params`` and ``shown``
        in declaration order. Never shortened: whoever shows it wraps it."""
        rest = [k for k in cls.params() if k not in first and (k in cls.label_params or k in shown)]
        inner = ",".join(f"{k}={_fmt(values[k])}" for k in [*first, *rest])
        return f"{cls.name}({inner})" if inner else cls.name

    # ---- vectorised phase -------------------------------------------------------------------
    def prepare(self, market) -> np.ndarray:
        """Features, shape (n_bars, k); row i may use only what is known at bar i's close.

        Read parameters as ``self.<name>``, and only those declared ``feature=True``: ``spec`` calls
        this on an instance holding the values of the parameter sets it was given."""
        return np.zeros((len(market.close), 1))

    def rebalance(self, market, param_sets: list[dict]) -> np.ndarray:
        """Bars on which the kernel calls the hook (shared by all columns). Default: every bar."""
        return np.ones(len(market.close), dtype=bool)

    def targets(self, market, params: dict):
        """Optional, no numba needed: per-bar target fractions of equity, shape (n_bars, 2 or 3).

        Columns: spot value / equity, signed perp notional / equity, [perp leverage]. NaN = leave
        as is. Return None (the default) when the strategy has its own ``decide_nb`` instead.
        """
        return None

    # ---- what the engine runs ---------------------------------------------------------------
    def spec(self, market, param_sets: list[dict] | None = None) -> StrategySpec:
        """Validated parameter matrix, features, rebalance mask and labels for the engine.

        The sets must share their feature values (one group of ``feature_groups``)."""
        sets = [self.validate(p) for p in (param_sets if param_sets is not None else [self.values])]
        if not sets:
            raise UserError(f"{self.name}: no parameter sets given")
        if len(self.feature_groups(sets, validated=True)) > 1:
            raise ValueError(f"{self.name}: spec() got parameter sets that differ in feature "
                             f"parameters {', '.join(self.feature_params())}; split them with "
                             f"feature_groups() (one spec per group)")
        n = len(market.close)
        names = tuple(self.params())
        declared = self.params()
        matrix = [[declared[k].encode(v[k]) for k in names] for v in sets]
        labels = self.labels(sets, validated=True)
        target_blocks = [self.targets(market, v) for v in sets]
        _check_returned(type(self), target_blocks, labels)
        if target_blocks[0] is not None:
            for block, label in zip(target_blocks, labels):
                _check_targets(label, block, market)
            features, offsets, mask = stack_targets(self.name, target_blocks, n)
            plain, matrix = matrix, [row + [off] for row, off in zip(matrix, offsets)]
            names = names + ("feature_offset",)
            hook = targets_nb
        else:
            features = as_features(self.name, self._preparing(sets[0]).prepare(market), n)
            mask = self.rebalance(market, sets)
            hook = ensure_compiled(hook_of(type(self)))
        mask = as_mask(self.name, mask, n)
        params = np.ascontiguousarray(np.array(matrix, dtype=np.float64).reshape(len(sets), len(names)))
        memory = tuple(self.M._fields) if self.M is not None else ()
        spec = StrategySpec(hook, params, features, mask, names, labels, memory)
        from hedgelab.strategies.callbacks import EventCalls, callbacks_of
        if callbacks_of(type(self)):
            blocks = (target_blocks, plain) if target_blocks[0] is not None else ()
            spec = spec._replace(callbacks=EventCalls(self, sets, spec, *blocks))
        return spec

    def _preparing(self, values: dict) -> "Strategy":
        """This strategy as ``prepare`` may see it: only its feature parameters readable (reading
        another one is a UserError naming it, so a sweep never reuses features it should not)."""
        other = copy.copy(self)
        other.values = _FeatureValues(self.name, values, self.feature_params())
        return other


class _FeatureValues(dict):
    """Parameter values for ``prepare``: the feature parameters only."""

    def __init__(self, owner, values, features):
        super().__init__({k: values[k] for k in features})
        self.owner, self.all = owner, set(values)

    def __missing__(self, key):
        if key in self.all:
            raise UserError(f"{self.owner}: prepare() read parameter {key!r}, which is not declared "
                            f"Param(..., feature=True); declare it so, so that parameter sets differing in "
                            f"it get their own features (a sweep would otherwise reuse the first set's)")
        raise KeyError(key)

    def get(self, key, default=None):
        return self[key] if key in self or key in self.all else default


def hook_of(cls):
    """The class's ``decide_nb`` as stored (unwrapping staticmethod; a Dispatcher also binds)."""
    hook = inspect.getattr_static(cls, "decide_nb")
    return hook.__func__ if isinstance(hook, staticmethod) else hook


def ensure_compiled(hook):
    """The hook compiled with HOOK_SIG (compiles a lazily-typed @njit hook; rejects anything else)."""
    if numba.config.DISABLE_JIT and callable(hook):
        return hook  # NUMBA_DISABLE_JIT=1 (debugging): @njit returned the plain Python function
    sigs = getattr(hook, "signatures", None)
    if sigs is None or not hasattr(hook, "compile"):
        raise TypeError("decide_nb must be a numba @njit(HOOK_SIG) function wrapped in staticmethod")
    if tuple(HOOK_SIG.args) not in [tuple(s) for s in sigs]:
        hook.compile(HOOK_SIG.args)
    return hook


def as_features(name, features, n, what="prepare()") -> np.ndarray:
    """A strategy's features as the kernels take them: float64 (n, k>=1), C-contiguous (a 1-D array is one
    column); another shape is a ValueError naming the strategy and ``what`` returned it."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim == 1:
        features = features[:, None]
    if features.ndim != 2 or features.shape[0] != n or features.shape[1] < 1:
        raise ValueError(f"{name}: {what} returned shape {features.shape}, expected ({n}, k>=1)")
    return np.ascontiguousarray(features)


def as_mask(name, mask, n) -> np.ndarray:
    """A rebalance mask as the kernels take it: bool (n,), C-contiguous, else a ValueError naming the strategy."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"{name}: rebalance mask has shape {mask.shape}, expected ({n},)")
    return mask


_TARGET_FIELDS = ("spot", "perp", "leverage")
# What targets() may ask: spot and perp as fractions of equity within +/-1000 (a 1000x position; venues
# stop at 125x), leverage in (0, 1000] as the engine's intent check bounds it (engine/nb/intent.py).
MAX_TARGET_FRACTION = 1000.0
MAX_TARGET_LEVERAGE = 1000.0


def _targets_only(cls) -> bool:
    """The strategy trades through targets() alone: it overrides it and keeps a generic hook."""
    own = inspect.getattr_static(cls, "targets")
    return own is not inspect.getattr_static(Strategy, "targets") and hook_of(cls) in (noop_nb, targets_nb)


def _check_returned(cls, blocks, labels):
    """targets() returns an array for every parameter set or for none (None: the strategy's own
    decide_nb decides); a strategy with no decide_nb of its own whose targets() returns None would
    never trade and pass for a run that "survived" with 0 trades: a UserError naming it."""
    given = [b is not None for b in blocks]
    if all(given):
        return
    k = given.index(False)
    name = cls.name or cls.__name__
    if any(given):
        j = given.index(True)
        raise UserError(f"{name}: targets() returned None for {labels[k]} but an array for {labels[j]}; return "
                        f"targets for every parameter set (NaN = no change)")
    if _targets_only(cls):
        raise UserError(f"{name}: targets() returned None for {labels[k]}, and {name} has no decide_nb of its own, "
                        f"so it would never trade; return an array of shape (n_bars, 2 or 3) of target fractions "
                        f"of equity (spot, perp[, leverage]; NaN = no change)")


def _check_targets(label, block, market):
    """targets() may say NaN (no change) but never +/-inf, nor a fraction of equity beyond +/-1000 or a
    leverage outside (0, 1000]: a UserError naming the run, field and bar."""
    block = np.asarray(block, dtype=np.float64)
    if block.ndim != 2:
        return  # the shape is checked by stack_targets
    with np.errstate(invalid="ignore"):
        bad = np.isinf(block)
        bad[:, :2] |= np.abs(block[:, :2]) > MAX_TARGET_FRACTION
        if block.shape[1] > 2:
            lev = block[:, 2]
            bad[:, 2] |= (lev <= 0.0) | (lev > MAX_TARGET_LEVERAGE)
    if bad.any():
        row, k = (int(x) for x in np.argwhere(bad)[0])
        field = _TARGET_FIELDS[k] if k < len(_TARGET_FIELDS) else f"column {k}"
        stamp = np.datetime64(int(market.time_ns[row]), "ns").astype("datetime64[m]")
        rule = (f"a leverage is in (0, {MAX_TARGET_LEVERAGE:g}]" if k == 2 else
                f"targets are finite fractions of equity within +/-{MAX_TARGET_FRACTION:g}")
        raise UserError(f"{label}: targets() returned {block[row, k]:g} for {field} at bar {row} "
                        f"(opened {stamp} UTC); {rule}, NaN = no change")


def stack_targets(name, blocks, n):
    """One (n, TARGET_BLOCK) block per column side by side; identical blocks are shared."""
    unique, offsets, seen = [], [], {}
    for block in blocks:
        block = np.asarray(block, dtype=np.float64)
        if block.ndim != 2 or block.shape[0] != n or block.shape[1] not in (2, 3):
            raise ValueError(f"{name}: targets() returned shape {block.shape}, expected ({n}, 2 or 3)")
        if block.shape[1] == 2:
            block = np.column_stack([block, np.full(n, np.nan)])
        block = np.where(np.isnan(block), np.nan, block)  # one NaN bit pattern, so equal blocks hash equal
        key = block.tobytes()
        if key not in seen:
            seen[key] = float(len(unique) * TARGET_BLOCK)
            unique.append(block)
        offsets.append(seen[key])
    features = np.ascontiguousarray(np.hstack(unique))
    mask = ~np.all(np.isnan(features), axis=1)
    return features, offsets, mask


def _fmt(value):
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)
