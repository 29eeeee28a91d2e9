"""--config TOML files (and the ``config=`` dict of the Python API): read, and checked as a whole by
one schema, every key typed and ranged, a mistake one ``UserError`` naming the file and the key's path."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from hedgelab.core.errors import UserError
from hedgelab.core.schema import (Bad, Rule, show, check_table, choice, finite_values, flag, list_of, number,
                                  path_or, table, text, when)
from hedgelab.engine.costs import COST_BOUNDS
from hedgelab.engine.spec import MARGIN_MODES

MAX_CAPITAL = 1e12   # USD; more than any account, and well inside float precision for P&L
MIN_CAPITAL = 1.0    # USD; below a dollar no order clears the exchanges' minimums, and 1e-300 buys nothing
MAX_TEARSHEETS = 10_000
MAX_TIMEOUT = 30 * 86_400   # seconds (--timeout): 30 days, longer than any sweep the README measures

# Keys a --config TOML file may hold; each mirrors a CLI option of the same name (dashes -> underscores).
CONFIG_KEYS = frozenset({
    "strategy", "strategies", "params", "grid", "data", "venue", "margin_mode", "start", "end",
    "capital", "store", "strategies_dir", "out", "quiet", "metric", "heatmap_x", "heatmap_y", "tearsheets",
    "cluster",  # where sweeps run (hedgelab.scale.parse_spec checks it)
    "costs", "no_costs",  # [costs] table or a file path (engine.costs.read_costs checks it)
    "stress", "stress_paths", "stress_seed",  # a stress test with the backtest (runner.options.StressSpec)
    "basket",  # coins and weights of a basket run: "BTC=0.3,ETH=0.7" or a table (strategies.basket.parse_basket)
    "symbol",  # the coin a one-coin run trades in a dataset of several coins
    "timeout",  # seconds a whole run may take (runner.execute.time_limit)
    "adl",  # what the venue's auto-deleveraging events do: off, worst or share (engine/nb/adl.py)
    "debug",  # plain-Python runs, strict: a hook's exception is raised at its line (runner.options.RunOptions)
    "scenarios",  # compare: the scenario matrix (default true; runner/scenarios.py)
})


def grid_axes(value: object, path: str) -> None:
    """``[grid]``: each axis a list of values, a ``"v1,v2"`` / ``"start:stop:count"`` string or one value."""
    if not isinstance(value, dict):
        raise Bad(path, value, "must be a table of parameter = values")
    finite_values(value, path)



def _cost(key: str) -> Rule:
    """A [costs] key: a number >= its lowest, at most its highest (engine/costs.py COST_BOUNDS says why),
    as Costs.validate checks it, so that a config file's mistake is named with the file."""
    lo, hi, why = COST_BOUNDS[key]
    at_least = number(lo)
    rate = key in ("perp_fee", "spot_fee", "half_spread")   # decimal rates: below hi

    def rule(value: Any, path: str) -> None:
        at_least(value, path)
        if value > hi or (rate and value == hi):
            raise Bad(path, value, f"must be {'below' if rate else 'at most'} {hi:g} ({why})")
    return rule


COSTS: dict[str, Rule] = {k: _cost(k) for k in COST_BOUNDS}

def _capital(value: Any, path: str) -> None:
    """USD per run: a number in (0, MAX_CAPITAL], and at least MIN_CAPITAL."""
    number(0, MAX_CAPITAL, lo_open=True)(value, path)
    if value < MIN_CAPITAL:
        raise Bad(path, value, f"must be at least {MIN_CAPITAL:g} USD (less buys nothing and reports 0 %)")


CONFIG: dict[str, Rule] = {
    "strategy": text, "strategies": list_of(text), "params": finite_values, "grid": grid_axes,
    "data": text, "venue": text, "margin_mode": choice(*MARGIN_MODES), "start": when, "end": when,
    "capital": _capital, "timeout": number(0, MAX_TIMEOUT, lo_open=True), "store": text, "strategies_dir": text, "out": text,
    "quiet": flag, "no_costs": flag, "metric": text, "heatmap_x": text, "heatmap_y": text,
    "tearsheets": number(0, MAX_TEARSHEETS, whole=True),
    "stress": text, "stress_paths": number(1, 1_000_000, whole=True), "stress_seed": number(0, whole=True),
    "cluster": text, "costs": path_or(table(COSTS)), "basket": path_or(finite_values), "symbol": text,
    "adl": choice("off", "worst", "share"), "debug": flag, "scenarios": flag,
}


def check_config(config: dict[str, Any], where: str, known_keys: Collection[str]) -> None:
    """A whole --config table: keys in ``known_keys``; those with a rule here typed and ranged (the
    ``cluster`` spec itself is parsed where a sweep opens it)."""
    check_table(config, table(CONFIG, extra_keys=known_keys), where)
    for key in ("params", "grid"):
        if key in config and not isinstance(config[key], dict):
            raise UserError(f"{where}: {key} = {show(config[key])}: must be a table")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML config (a regular UTF-8 file of at most 1 MB, nested at most 32 levels: core/reading);
    unknown keys are a UserError naming the key and the file."""
    from hedgelab.core.reading import read_toml
    config = read_toml(path, "config file")
    check_config_keys(config, f"config file {Path(path)}")
    return config


def check_config_keys(config: dict[str, Any], where: str = "config") -> None:
    for key in config:
        if key not in CONFIG_KEYS:
            known = ", ".join(sorted(CONFIG_KEYS))
            raise UserError(f"{where}: unknown key {key!r} (known keys: {known})")
    for key in ("params", "grid"):
        if key in config and not isinstance(config[key], dict):
            raise UserError(f"{where}: {key!r} must be a table")
    check_config(config, where, CONFIG_KEYS)  # every value typed and ranged, with its key's path
