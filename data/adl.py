"""A dataset's auto-deleveraging (ADL) events: what a venue closed, when, on which side.

The account cannot see a venue's ADL queue, so the data carries the venue's events (the manifest's
``adl_events``, one dict each) and the engine decides what each does to the account
(``engine/nb/adl.py``). An event:

- ``venue`` (the events of one venue apply only to runs on it), ``coin`` (a coin the dataset holds);
- ``start``, ``end``: ISO UTC times of the ADL window (the bar holding ``start`` takes the event);
- ``side``: the side whose profitable positions were closed, ``long`` or ``short`` (in a crash the
  longs are liquidated and the profitable shorts are ADL-closed);
- ``notional_usd`` (> 0) closed, and ``open_interest_usd`` of that side before the event, with
  ``open_interest_source`` (a measurement or a stated assumption): their ratio, at most 1, is the
  share of the side the venue closed;
- ``price`` (optional): the measured average ADL price; absent, the engine applies the venue's rule;
- ``source``: where the numbers come from.

A user's file (``hedgelab data import --adl FILE``) is a CSV with these columns (``price`` and the
sources optional); every mistake is one line naming the file, row and column.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from hedgelab.core.errors import DataError
from hedgelab.core.reading import read_text

SIDES = {"long": 1.0, "short": -1.0}
COLUMNS = ("venue", "coin", "start", "end", "side", "notional_usd", "open_interest_usd")
OPTIONAL = ("price", "open_interest_source", "source")


def check_events(events: Iterable[dict], where: str, *, coins: Iterable[str] | None = None,
                 start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> list[dict]:
    """The events checked and normalised (floats, ISO times); a mistake is a DataError naming
    ``where``, the row and the field. ``coins``: the dataset's coins; ``start``/``end``: the first and
    the last bar's open (an event must fall in a bar of the data)."""
    known = None if coins is None else set(coins)
    out = []
    for row, ev in enumerate(events, 1):
        at = f"{where}, row {row}"
        missing = [c for c in COLUMNS if ev.get(c) in (None, "")]
        if missing:
            raise DataError(f"{at}: missing {', '.join(missing)} (ADL event columns: {', '.join(COLUMNS)})")
        coin = str(ev["coin"]).strip().upper()
        if known is not None and coin not in known:
            raise DataError(f"{at}, column coin: {coin!r} is not a coin of this dataset ({', '.join(sorted(known))})")
        side = str(ev["side"]).strip().lower()
        if side not in SIDES:
            raise DataError(f"{at}, column side: {ev['side']!r} must be 'long' or 'short' (the side that was closed)")
        t0, t1 = _time(ev["start"], f"{at}, column start"), _time(ev["end"], f"{at}, column end")
        if t1 < t0:
            raise DataError(f"{at}, column end: {ev['end']} is before start {ev['start']}")
        if start is not None and end is not None and not start <= t0 <= end:
            raise DataError(f"{at}, column start: {ev['start']} is outside the data ({start} to {end})")
        notional = _number(ev["notional_usd"], f"{at}, column notional_usd")
        oi = _number(ev["open_interest_usd"], f"{at}, column open_interest_usd")
        if notional > oi:
            raise DataError(f"{at}: notional_usd {notional:g} is above open_interest_usd {oi:g} (a share above 1 "
                            "of the side's open interest)")
        clean = {"venue": str(ev["venue"]).strip().lower(), "coin": coin, "start": t0.isoformat(),
                 "end": t1.isoformat(), "side": side, "notional_usd": notional, "open_interest_usd": oi}
        if ev.get("price") not in (None, ""):
            clean["price"] = _number(ev["price"], f"{at}, column price")
        for key in ("open_interest_source", "source"):
            if ev.get(key):
                clean[key] = str(ev[key])
        out.append(clean)
    return out


def read_events_file(path: str | Path, **check: Any) -> list[dict]:
    """A user's ADL events CSV (module docstring), checked as ``check_events``."""
    text = read_text(Path(path), "ADL events file", max_bytes=16 * 2**20)
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if unknown or any(c not in header for c in COLUMNS):
        raise DataError(f"ADL events file {path}: columns must be {', '.join(COLUMNS)} (optional: "
                        f"{', '.join(OPTIONAL)}); got {', '.join(header) or 'none'}")
    rows = list(reader)
    if not rows:
        raise DataError(f"ADL events file {path}: no events")
    return check_events(rows, f"ADL events file {path}", **check)


def events_for(manifest: dict, venue: str, coin: str) -> list[dict]:
    """The dataset's ADL events of one venue and coin."""
    return [e for e in manifest.get("adl_events", []) if e["venue"] == venue and e["coin"] == coin]


def venues_with_events(manifest: dict) -> list[str]:
    return sorted({e["venue"] for e in manifest.get("adl_events", [])})


def adl_arrays(events: list[dict], time_ns: np.ndarray, bar_seconds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bar (side, share, price) of ``events`` (one venue and coin), NaN where none: an event goes to
    the bar holding its start; two events of one side in a bar add their shares (at most 1) and take
    the first price given; two sides in one bar are refused (the data cannot order them)."""
    n = len(time_ns)
    side, share, price = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for ev in events:
        t = pd.Timestamp(ev["start"]).value
        i = int(np.searchsorted(time_ns, t, side="right")) - 1
        if i < 0 or t >= time_ns[-1] + bar_seconds * 10**9:
            continue  # outside this run's window
        s = SIDES[ev["side"]]
        if side[i] == side[i] and side[i] != s:
            raise DataError(f"ADL events: longs and shorts closed in the same bar ({ev['start']}, {ev['coin']})")
        side[i] = s
        share[i] = min(1.0, (0.0 if share[i] != share[i] else share[i]) + ev["notional_usd"] / ev["open_interest_usd"])
        if price[i] != price[i] and "price" in ev:
            price[i] = ev["price"]
    return side, share, price


def _time(value: Any, where: str) -> pd.Timestamp:
    try:
        t = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        raise DataError(f"{where}: {value!r} is not an ISO time (e.g. 2025-10-10T21:16:04Z)") from None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _number(value: Any, where: str) -> float:
    try:
        x = float(value)
    except (ValueError, TypeError):
        raise DataError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(x) or x <= 0:
        raise DataError(f"{where}: {value!r} must be a positive finite number")
    return x
