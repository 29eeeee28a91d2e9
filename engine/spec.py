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
    memory_names: tuple = ()   # names of the hook's memory slots MEM0.. (``memory_slots``), for the trace
    callbacks: Any = None      # event callbacks (engine/event_calls.py): None for a strategy without them


def checked_arrays(spec: StrategySpec, n: int, hook_sig: str = "HOOK_SIG") -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray, tuple]:
    """(params, features, rebalance, param names) of ``spec`` as the kernels take them, for ``n`` bars;
    a malformed spec is a UserError naming the field (``hook_sig``: the signature its hook needs)."""
    from hedgelab.core.errors import UserError
    if spec.hook is None:
        raise UserError(f"spec.hook is missing: compile the hook with @njit({hook_sig}, cache=True)")
    params = np.ascontiguousarray(spec.params, dtype=np.float64)
    if params.ndim != 2 or params.shape[0] == 0:
        raise UserError(f"spec.params must be a 2-D array with one row per column, got shape {params.shape}")
    features = np.ascontiguousarray(spec.features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] != n or features.shape[1] < 1:
        raise UserError(f"spec.features must have shape ({n}, k>=1), got {features.shape}")
    rebalance = np.ascontiguousarray(spec.rebalance, dtype=np.bool_)
    if rebalance.shape != (n,):
        raise UserError(f"spec.rebalance must have shape ({n},), got {rebalance.shape}")
    names = tuple(spec.param_names)
    if len(names) != params.shape[1]:
        raise UserError(f"spec.param_names has {len(names)} names for {params.shape[1]} parameter columns")
    return params, features, rebalance, names

