"""Nothing silent: a run whose first order waited for its features' warm-up gets a warning.

A NaN target means "no change", so a hook fed a feature that is NaN for its first bars (a rolling
window filling up) orders nothing until the feature is known, and ``targets()`` rows that are NaN
at the start do the same. That wait is often a mistake (a spot purchase 24 bars late), sometimes
meant: a strategy declares the bars it means to wait as ``warmup_bars`` (a class attribute,
default 0), and a run that waits longer is named with the bar its first order came at.

The rule (``late_starts``), per run, from what the run did:

- ``targets()`` strategies: its rows are NaN (no change) from bar 0 up to bar b, and b > warmup_bars;
- hook strategies: the features are NaN up to bar L - 1 (L > 0: every feature column that is ever
  known is known from bar L), the hook was called before L, its first order (any event of the run)
  came at the first decision bar at or after L, and that bar is > warmup_bars.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hedgelab.strategies.hooks import TARGET_BLOCK, targets_nb


def _known_from(columns: np.ndarray) -> np.ndarray:
    """Per column: the first row that is not NaN (len(columns) for a column that never is)."""
    finite = ~np.isnan(columns)
    return np.where(finite.any(axis=0), finite.argmax(axis=0), len(columns))


def late_starts(spec, events: pd.DataFrame | None, warmup_bars: int, time: pd.DatetimeIndex) -> dict[int, str]:
    """{column: one line} for the runs of ``spec`` whose first order waited past ``warmup_bars`` bars
    for NaN features or targets (see the module's rule); ``events``: the engine's events (``column``, ``bar``)."""
    features = np.asarray(spec.features, dtype=np.float64)
    rebalance = np.asarray(spec.rebalance, dtype=bool)
    n = features.shape[0]
    if n == 0:
        return {}
    first_order = {}
    if events is not None and len(events):
        first_order = events.groupby("column")["bar"].min().to_dict()
    out: dict[int, str] = {}

    def stamp(bar: int) -> str:
        return f"{time[bar]:%Y-%m-%d %H:%M} UTC" if 0 <= bar < len(time) else "?"

    if spec.hook is targets_nb:
        for j, row in enumerate(np.asarray(spec.params)):
            off = int(row[-1])
            start = int(_known_from(features[:, off:off + TARGET_BLOCK]).min())
            if warmup_bars < start < n:
                out[j] = (f"{spec.labels[j]}: targets() is NaN (no change) for its first {start} bars, so its first "
                          f"order came at bar {start} ({stamp(start)}), past warmup_bars={warmup_bars}; declare "
                          f"warmup_bars = {start} on the class if that wait is meant")
        return out
    known = _known_from(features)
    ever = known < n
    if not ever.any():
        return {}
    ready = int(known[ever].max())   # L: every feature that is ever known is known from this bar
    decisions = np.flatnonzero(rebalance)
    if ready == 0 or not len(decisions) or decisions[0] >= ready:
        return {}
    after = decisions[decisions >= ready]
    if not len(after):
        return {}
    first_ready = int(after[0])
    for j in range(np.asarray(spec.params).shape[0]):
        bar = first_order.get(j)
        if bar is not None and int(bar) == first_ready and first_ready > warmup_bars:
            out[j] = (f"{spec.labels[j]}: no order before bar {first_ready} ({stamp(first_ready)}), the first decision "
                      f"with every feature known (features are NaN up to bar {ready - 1}, and a NaN target is "
                      f"\"no change\"): past warmup_bars={warmup_bars}; declare warmup_bars = {first_ready} on the "
                      f"class if that wait is meant, else fill the feature's first bars")
    return out
