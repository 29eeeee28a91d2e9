"""The schema of --config TOML files (and the ``config=`` dict of the Python API)."""
from __future__ import annotations

from hedgelab.core.errors import UserError
from hedgelab.core.schema import (Bad, _show, check_table, choice, finite_values, flag, list_of, number,
                                  path_or, table, text, when)
from hedgelab.engine.costs import COST_KEYS

MAX_CAPITAL = 1e12   # USD; more than any account, and well inside float precision for P&L
MAX_TEARSHEETS = 10_000


def grid_axes(value, path):
    """``[grid]``: each axis a list of values, a ``"v1,v2"`` / ``"start:stop:count"`` string or one value."""
    if not isinstance(value, dict):
        raise Bad(path, value, "must be a table of parameter = values")
    finite_values(value, path)



# the [costs] keys; Costs.validate adds the upper bounds of the fee rates
COSTS = {k: number(0) for k in COST_KEYS}

CONFIG = {
    "strategy": text, "strategies": list_of(text), "params": finite_values, "grid": grid_axes,
    "data": text, "venue": text, "margin_mode": choice("isolated", "cross"), "start": when, "end": when,
    "capital": number(0, MAX_CAPITAL, lo_open=True), "store": text, "strategies_dir": text, "out": text,
    "quiet": flag, "metric": text, "heatmap_x": text, "heatmap_y": text,
    "tearsheets": number(0, MAX_TEARSHEETS, whole=True),
    "stress": text, "stress_paths": number(1, 1_000_000, whole=True), "stress_seed": number(0, whole=True),
    "cluster": text, "costs": path_or(table(COSTS)),
}


def check_config(config, where: str, known_keys) -> None:
    """A whole --config table: keys in ``known_keys``; those with a rule here typed and ranged (the
    ``cluster`` spec itself is parsed where a sweep opens it)."""
    check_table(config, table(CONFIG, extra_keys=known_keys), where)
    for key in ("params", "grid"):
        if key in config and not isinstance(config[key], dict):
            raise UserError(f"{where}: {key} = {_show(config[key])}: must be a table")


