"""What a strategy hands to the engine: one hook, a parameter matrix and precomputed features; the
margin modes the engine simulates."""
from typing import Any, NamedTuple

import numpy as np

MARGIN_MODES = ("isolated", "cross")   # simulate(margin_mode=...); a Strategy's margin_mode


class StrategySpec(NamedTuple):
    hook: Any                  # numba function compiled with hedgelab.engine.types.HOOK_SIG
    params: np.ndarray         # float64 (n_columns, n_params), C-contiguous: one row per parameter set
    features: np.ndarray       # float64 (n_bars, k), C-contiguous, k >= 1; row i known at bar i's close
    rebalance: np.ndarray      # bool (n_bars,): bars on which the kernel calls the hook
    param_names: tuple         # names of the params columns, in order
    labels: tuple              # one label per column, e.g. "perp-hedge(hedge_ratio=0.5)"
