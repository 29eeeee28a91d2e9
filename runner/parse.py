"""User text to values, shared by the CLI and the Python API: ``name=value`` parameters and sweep grids.

Everything here turns user text into plain Python values or raises ``UserError`` with one line that
names the offending option, key or value, before anything runs or touches the disk.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sized
import math
from typing import Any, TypeGuard

from hedgelab.core.errors import UserError

# Most parameter sets of one sweep (or stress grid), counted before any is built. Every set is a dict of
# ~1.2 KB while it runs (README: 10 million took 11.7 GB), so 50 million is already past most machines;
# a count of 100,000,000,000 is a typo, refused before it fills the memory.
MAX_GRID_SETS = 50_000_000


def parse_value(text: str) -> bool | int | float | str:
    """``"10"`` -> 10, ``"0.5"`` -> 0.5, ``"true"`` -> True, anything else stays a string.

    The strategy's own parameter validation does the final type check; this only spares the user quotes.
    """
    text = text.strip()
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        raise UserError(f"value {text!r} is not a finite number")
    return value


def split_assignment(text: str, option: str) -> tuple[str, str]:
    """``"name=value"`` -> ("name", "value"); anything else is a UserError naming the option."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise UserError(f"{option} {text!r}: expected name=value")
    return name, value


def parse_params(items: Iterable[str] | None, option: str = "-p") -> dict[str, Any]:
    """Repeated ``-p name=value`` -> {name: value}; a name given twice is an error."""
    params: dict[str, Any] = {}
    for item in items or ():
        name, value = split_assignment(item, option)
        if name in params:
            raise UserError(f"{option} {name!r} given twice")
        params[name] = parse_value(value)
    return params


def parse_strategy_params(items: Iterable[str] | None, option: str = "-p") -> dict[str, dict[str, Any]]:
    """Repeated ``-p STRATEGY.name=value`` (compare) -> {strategy: {name: value}}; a parameter name has no
    dot, so the last dot of the left side ends the strategy's name."""
    per: dict[str, dict[str, Any]] = {}
    for item in items or ():
        key, value = split_assignment(item, option)
        strategy, dot, name = key.rpartition(".")
        if not dot or not strategy or not name:
            raise UserError(f"{option} {item!r}: compare runs several strategies; name the one this is for: "
                            f"{option} STRATEGY.{key}={value} (e.g. {option} perp-hedge.hedge_ratio=0.3)")
        if name in per.get(strategy, {}):
            raise UserError(f"{option} {strategy}.{name} given twice")
        per.setdefault(strategy, {})[name] = parse_value(value)
    return per


def parse_grid_values(name: str, spec: object) -> list[Any]:
    """One grid axis: a list, ``"v1,v2,..."`` or ``"start:stop:count"`` (count points, both ends included)."""
    values: list[Any]
    if isinstance(spec, (list, tuple)):
        values = list(spec)
    elif isinstance(spec, str) and ":" in spec:
        values = _linspace(name, spec)
    elif isinstance(spec, str):
        values = [parse_value(v) for v in spec.split(",") if v.strip()]
    else:
        values = [spec]
    if not values:
        raise UserError(f"grid {name!r}: no values")
    if len(set(map(repr, values))) != len(values):
        raise UserError(f"grid {name!r}: repeated values {values}")
    return values


def _is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _linspace(name: str, spec: str) -> list[Any]:
    parts = spec.split(":")
    if len(parts) != 3:
        raise UserError(f"grid {name}={spec!r}: expected start:stop:count")
    start, stop, count = (parse_value(p) for p in parts)
    if not (_is_number(start) and _is_number(stop)):
        raise UserError(f"grid {name}={spec!r}: start and stop must be numbers")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise UserError(f"grid {name}={spec!r}: count must be a whole number >= 1")
    if count > MAX_GRID_SETS:
        raise UserError(f"grid {name}={spec!r}: {count:,} values; a sweep takes at most {MAX_GRID_SETS:,} "
                        f"parameter sets")
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    values = [start + k * step for k in range(count - 1)] + [stop]
    # Integer ends on an integer step stay integers (leverage=2:20:10 -> 2, 4, ..., 20).
    if isinstance(start, int) and isinstance(stop, int) and float(step).is_integer():
        return [int(round(v)) for v in values]
    return [float(v) for v in values]


def check_grid_size(axes: Mapping[str, Sized], what: str = "grid") -> int:
    """The number of parameter sets of the grid ``axes`` (the product of their lengths), refused above
    MAX_GRID_SETS before any set is built."""
    count = 1
    for values in axes.values():
        count *= len(values)
        if count > MAX_GRID_SETS:
            if len(axes) == 1:
                name = next(iter(axes))
                raise UserError(f"{what} {name!r}: {count:,} values; a sweep takes at most {MAX_GRID_SETS:,} "
                                f"parameter sets")
            sizes = " x ".join(f"{len(v):,}" for v in axes.values())
            raise UserError(f"{what}: {sizes} = {math.prod(len(v) for v in axes.values()):,} parameter sets; "
                            f"a sweep takes at most {MAX_GRID_SETS:,}")
    return count


def parse_grid(items: Iterable[str] | None, option: str = "-g") -> dict[str, list[Any]]:
    """Repeated ``-g name=spec`` -> {name: [values]} in the order given."""
    grid: dict[str, list[Any]] = {}
    for item in items or ():
        name, spec = split_assignment(item, option)
        if name in grid:
            raise UserError(f"{option} {name!r} given twice")
        grid[name] = parse_grid_values(name, spec)
    check_grid_size(grid)
    return grid
