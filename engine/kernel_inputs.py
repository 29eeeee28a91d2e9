"""The simulation kernel's inputs as one named structure (``KernelInputs``), built once by ``simulate``.

The kernel takes them positionally (numba's explicit signature, ``engine/nb/simulate.SIMULATE_SIG``),
and most are float64 arrays, so two swapped arguments would compile and run. Here they are passed
by name everywhere (the chunk runs, the debug and trace runs); the flat list exists only at the one
call of ``simulate_nb``, built by ``kernel_args`` in the kernel's order, which
``tests/engine/test_kernel_inputs.py`` checks against ``simulate_nb``'s own parameter names.
The fields are named as the kernel's parameters.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class KernelInputs(NamedTuple):
    hook: Any                    # the decision hook, HOOK_SIG (guarded when it is a user's, engine/guard.py)
    market: np.ndarray           # float64 (path, Mkt.N, bar): every path's arrays (simulate.market_block)
    close_time_s: np.ndarray     # float64 (bar,): each bar's close, seconds since the epoch
    path_of_column: np.ndarray   # int64 (column,): the path column j runs on
    cfg: np.ndarray              # float64 (Cfg.N,): venue and run settings (simulate.venue_config)
    tier_sets: np.ndarray        # float64 (table, tier, Tier.N): the dated tier tables in force, padded
    tier_from_bar: np.ndarray    # int64 (table,): first bar of each table (0 for the first)
    params: np.ndarray           # float64 (column, param), C-contiguous: one row per parameter set
    features: np.ndarray         # float64 (bar, k): the strategy's features
    rebalance: np.ndarray        # bool (bar,): the bars the hook decides on
    time_ns: np.ndarray          # int64 (bar,): bar open
    bar_seconds: int             # bar length
    ocfg: np.ndarray             # float64 (OptCfg.N,): OptionConfig.to_array()
    col_offset: int = 0          # the run's column number of params[0] (a chunk of a larger run)

    @property
    def n_columns(self) -> int:
        return int(self.params.shape[0])

    def columns(self, lo: int, hi: int) -> KernelInputs:
        """Columns ``lo .. hi - 1`` as a kernel call of their own (their column numbers stay the run's)."""
        return self._replace(path_of_column=np.ascontiguousarray(self.path_of_column[lo:hi]),
                             params=np.ascontiguousarray(self.params[lo:hi]), col_offset=self.col_offset + lo)

    def column(self, j: int) -> tuple:
        """Column j's (path arrays ``market[path, Mkt.*, bar]`` -> ``[Mkt.*, bar]``, parameter row, column number)."""
        return self.market[self.path_of_column[j]], np.ascontiguousarray(self.params[j]), int(self.col_offset + j)


def kernel_args(k: KernelInputs, out: np.ndarray, summary: np.ndarray, events: np.ndarray) -> tuple:
    """``simulate_nb``'s arguments in its order: the inputs, then the arrays it writes."""
    return (k.hook, k.market, k.close_time_s, k.path_of_column, k.cfg, k.tier_sets, k.tier_from_bar, k.params,
            k.features, k.rebalance, k.time_ns, k.bar_seconds, k.ocfg, k.col_offset, out, summary, events)
