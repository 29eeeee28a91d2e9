"""The rules every TOML file a user writes is checked by (--config files, venue files).

Each file is checked as a whole before anything runs: every key typed and ranged, and a mistake
is one ``UserError`` naming the file and the key's path (``tiers[1].mmr[0]``, ``params.leverage``).
A rule is a small callable ``rule(value, path) -> None`` that raises ``Bad`` with what it expected.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
import datetime as dt
import math
import numbers
from typing import Any

from hedgelab.core.errors import UserError

# A rule checks one value at its key path (``tiers[1].mmr[0]``) and raises ``Bad`` if it breaks it.
Rule = Callable[[Any, str], None]


class Bad(Exception):
    """A value that breaks its rule; ``check_table`` turns it into the one-line UserError."""

    def __init__(self, path: str, value: object, expected: str) -> None:
        super().__init__(f"{path} = {show(value)}: {expected}")


def show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def text(value: object, path: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise Bad(path, value, "must be a non-empty string")


def flag(value: object, path: str) -> None:
    if not isinstance(value, bool):
        raise Bad(path, value, "must be true or false")


def when(value: object, path: str) -> None:
    """A TOML date/datetime or an ISO date string (``2025-10-01``)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return
        except ValueError:
            pass
    raise Bad(path, value, "must be a date such as 2025-10-01")


def number(lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False, hi_open: bool = False,
           whole: bool = False, inf_ok: bool = False) -> Rule:
    """A number in [lo, hi] (open ends when asked); ``whole``: an integer; ``inf_ok``: +inf allowed."""
    left, right = "(" if lo_open else "[", ")" if hi_open else "]"
    kind = "a whole number" if whole else "a number"
    span = f"{kind} in {left}{lo:g}, {hi:g}{right}"
    if hi == math.inf and not inf_ok:
        span = f"{kind} {'>' if lo_open else '>='} {lo:g}" if lo > -math.inf else f"a finite {kind[2:]}"

    def rule(value: Any, path: str) -> None:
        if not _is_number(value) or (whole and not isinstance(value, numbers.Integral)):
            raise Bad(path, value, f"must be {span}")
        if math.isnan(value) or (math.isinf(value) and not (inf_ok and value > 0)):
            raise Bad(path, value, f"must be {span}")
        if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
            raise Bad(path, value, f"must be {span}")
    return rule


def choice(*options: object) -> Rule:
    def rule(value: object, path: str) -> None:
        if value not in options:
            raise Bad(path, value, f"must be one of {', '.join(map(repr, options))}")
    return rule


def list_of(item: Rule, *, non_empty: bool = True) -> Rule:
    def rule(value: object, path: str) -> None:
        if not isinstance(value, list) or (non_empty and not value):
            raise Bad(path, value, "must be a non-empty list" if non_empty else "must be a list")
        for i, v in enumerate(value):
            item(v, f"{path}[{i}]")
    return rule


def finite_values(value: object, path: str) -> None:
    """Any TOML value whose numbers are finite (strategy parameters: the strategy checks the rest)."""
    if isinstance(value, dict):
        for k, v in value.items():
            finite_values(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            finite_values(v, f"{path}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise Bad(path, value, "must be a finite number")


def table(spec: Mapping[str, Rule], *, extra_keys: Collection[str] = (), required: Collection[str] = ()) -> Rule:
    """A TOML table: known keys only (``spec`` plus ``extra_keys``, checked elsewhere), each by its rule."""
    def rule(value: object, path: str) -> None:
        if not isinstance(value, dict):
            raise Bad(path, value, "must be a table")
        prefix = f"{path}." if path else ""
        known = set(spec) | set(extra_keys)
        for key, v in value.items():
            if key not in known:
                raise Bad(f"{prefix}{key}", v, f"unknown key (known: {', '.join(sorted(known))})")
            if key in spec:
                spec[key](v, f"{prefix}{key}")
        for key in required:
            if key not in value:
                raise Bad(f"{prefix}{key}", "(missing)", "required key")
    return rule


def check_table(value: object, rule: Rule, where: str) -> None:
    """Apply ``rule`` to a whole file's table; the first mistake is a UserError naming ``where``."""
    try:
        rule(value, "")
    except Bad as exc:
        raise UserError(f"{where}: {exc}") from None


def path_or(rule: Rule) -> Rule:
    """A file path (text), or the table itself checked by ``rule`` (``costs``: a file or a [costs] table)."""
    def either(value: object, path: str) -> None:
        if isinstance(value, str):
            text(value, path)
        elif isinstance(value, dict):
            rule(value, path)
        else:
            raise Bad(path, value, "must be a file path (a string) or a table")
    return either
