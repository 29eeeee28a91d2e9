"""The stretch of bars a stress test's paths replace: its length (``--horizon``) and a time in it (``--at``)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hedgelab.core.errors import UserError


def horizon_bars(horizon, bar_seconds: int) -> int | None:
    if horizon is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*", str(horizon).lower())
    if not match:
        raise UserError(f"--horizon {horizon!r}: expected a duration such as 30d, 72h or 2w")
    hours = float(match.group(1)) * {"h": 1, "d": 24, "w": 168}[match.group(2)]
    bars = int(hours * 3600 // bar_seconds)
    if bars < 2:
        raise UserError(f"--horizon {horizon!r} is shorter than two bars")
    return bars


def window_of(market, bars: int | None):
    if bars is None or bars >= len(market.time_ns):
        if bars is not None and bars > len(market.time_ns):
            have = len(market.time_ns) * market.bar_seconds / 86400
            raise UserError(f"--horizon is longer than the data between --start and --end ({have:.1f} days)")
        return market
    return market._replace(**{f: (getattr(market, f)[:bars] if isinstance(getattr(market, f), np.ndarray)
                                  else getattr(market, f)) for f in market._fields})


def bar_at(window, at) -> int | None:
    if at is None:
        return None
    try:
        t = pd.Timestamp(at)
    except (ValueError, TypeError, OverflowError):   # pandas' DateParseError is a ValueError
        shown = repr(at) if len(repr(at)) <= 60 else repr(at)[:57] + "..."
        raise UserError(f"--at {shown}: not a date or time (use ISO-8601 UTC, e.g. '2025-10-10 21:00')") from None
    if t is pd.NaT:
        raise UserError(f"--at {at!r}: not a date or time (use ISO-8601 UTC, e.g. '2025-10-10 21:00')")
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    k = int(np.searchsorted(window.time_ns, t.value, side="right")) - 1
    if k < 0 or t.value >= window.time_ns[-1] + window.bar_seconds * 10**9:
        first = pd.Timestamp(int(window.time_ns[0]), tz="UTC")
        raise UserError(f"--at {at}: outside the stress window starting {first:%Y-%m-%d %H:%M} UTC")
    return k
