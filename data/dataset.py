"""The ``Dataset`` bundle (docs/ARCHITECTURE.md, "Data contract") and its manifest helpers.

A dataset is one venue/symbol on a regular UTC bar grid: traded, mark and index OHLC in ``bars``,
settled funding in ``funding`` and implied-volatility prints in ``iv``, plus a JSON ``manifest``
that says where every column came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import re

import pandas as pd

from hedgelab.core.errors import UserError

SCHEMA_VERSION = 1

TRADED = ("open", "high", "low", "close")
MARK = ("mark_open", "mark_high", "mark_low", "mark_close")
INDEX = ("index_open", "index_high", "index_low", "index_close")
BAR_COLUMNS = (*TRADED, "volume", *MARK, *INDEX)
FUNDING_COLUMNS = ("rate", "mark_price")
IV_COLUMNS = ("atm_iv",)
KINDS = ("real", "reconstruction", "imported")

# Dataset names become directory names in the store: keep them portable.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, eq=False)
class Dataset:
    """One named market-data bundle; frames follow the contract, ``manifest`` is a JSON dict.

    ``eq=False`` because DataFrames have no single truth value; compare frames explicitly.
    """

    name: str
    bars: pd.DataFrame
    funding: pd.DataFrame
    iv: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    @property
    def bar_size(self) -> pd.Timedelta:
        """The bar step as a Timedelta (from the manifest's pandas offset string)."""
        return bar_timedelta(self.manifest["bar_size"])

    def __repr__(self) -> str:  # the default repr would print three whole frames
        m = self.manifest
        return (f"Dataset({self.name!r}, kind={m.get('kind')!r}, bar_size={m.get('bar_size')!r}, "
                f"bars={len(self.bars)}, funding={len(self.funding)}, iv={len(self.iv)})")


def bar_timedelta(bar_size: str) -> pd.Timedelta:
    """``"1h"`` -> Timedelta(1h); the offset must be a fixed length (no month or business bars)."""
    if isinstance(bar_size, str):  # pandas 3 wants "D" for days; accept the common "1d" too
        bar_size = re.sub(r"(?<=\d)d$", "D", bar_size.strip())
    try:
        step = pd.Timedelta(bar_size)  # a fixed length; parses "1h", "1min", "1D"
    except (ValueError, TypeError):
        try:
            step = pd.Timedelta(pd.tseries.frequencies.to_offset(bar_size))
        except (ValueError, TypeError):
            step = None
    if step is not None and step > pd.Timedelta(0):
        return step
    raise UserError(f"bar size {bar_size!r} is not a fixed length such as '1min', '1h' or '1d'")


def offset_string(step: pd.Timedelta) -> str:
    """Timedelta -> short pandas offset string: 1h, 8h, 1min, 5min, 1D, 30s."""
    seconds = int(step.total_seconds())
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise ValueError(f"bar step {step} is not a whole number of seconds")


def iso(ts: pd.Timestamp) -> str:
    """UTC timestamp as ISO-8601 with a trailing Z (the manifest's time format)."""
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def new_manifest(name: str, *, kind: str, venue: str, symbol: str, bars: pd.DataFrame,
                 bar_size: str, funding_interval_hours: float | None, provenance: dict,
                 proxies: dict, iv_fill: str | None = None, notes: list | None = None,
                 anchors: list | None = None) -> dict:
    """A manifest with every contract key. ``end`` is the close of the last bar (exclusive end)."""
    step = bar_timedelta(bar_size)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "kind": kind,
        "venue": venue,
        "symbol": symbol,
        "bar_size": bar_size,
        "start": iso(bars.index[0]),
        "end": iso(bars.index[-1] + step),
        "funding_interval_hours": funding_interval_hours,
        "provenance": provenance,
        "proxies": proxies,
        "iv_fill": iv_fill,
        "notes": list(notes or []),
    }
    if anchors is not None:
        manifest["anchors"] = anchors
    return manifest


def empty_funding() -> pd.DataFrame:
    """Funding frame with no settlements (the contract's columns and index)."""
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in FUNDING_COLUMNS},
                        index=pd.DatetimeIndex([], tz="UTC", name="time"))


def empty_iv() -> pd.DataFrame:
    """IV frame with no prints."""
    return pd.DataFrame({"atm_iv": pd.Series(dtype="float64")},
                        index=pd.DatetimeIndex([], tz="UTC", name="time"))


def ns(index: pd.DatetimeIndex):
    """Int64 nanoseconds since the epoch, whatever the index's unit (pandas 3 defaults to us)."""
    return index.as_unit("ns").asi8
