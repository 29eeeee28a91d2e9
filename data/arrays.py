"""``MarketArrays``: the numpy view of a dataset that the numba kernels consume.

Exactly the fields of docs/ARCHITECTURE.md. All arrays have one entry per bar (length n) and are
float64 unless noted; ``time_ns`` is int64 (bar open, ns since epoch) and ``bar_seconds`` an int.
"""
from typing import NamedTuple

import numpy as np


class MarketArrays(NamedTuple):
    time_ns: np.ndarray        # int64, bar open time in ns since the epoch (UTC)
    bar_seconds: int           # bar length in seconds
    open: np.ndarray           # traded (perp) price OHLC
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray         # base-coin volume
    mark_open: np.ndarray
    mark_high: np.ndarray
    mark_low: np.ndarray
    mark_close: np.ndarray
    index_open: np.ndarray
    index_high: np.ndarray
    index_low: np.ndarray
    index_close: np.ndarray
    funding_rate: np.ndarray   # rate settled at this bar's open (decimal per interval); NaN if none
    funding_price: np.ndarray  # settlement mark where known, else mark_open (never NaN)
    iv: np.ndarray             # ATM IV (decimal) known at this bar's close; NaN before the first print
    # The venue's auto-deleveraging events (data/adl.py), None when the data carries none: in this bar
    # the venue closed ``adl_share`` of the open interest of side ``adl_side``'s (+1 long, -1 short)
    # profitable positions, at ``adl_price`` when known (NaN: the venue's rule). NaN: no event.
    adl_side: np.ndarray | None = None
    adl_share: np.ndarray | None = None
    adl_price: np.ndarray | None = None
