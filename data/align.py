"""From a ``Dataset`` to ``MarketArrays`` without look-ahead, and resampling to coarser bars.

Timing rules (docs/ARCHITECTURE.md):
- a bar is stamped at its open; its OHLC is known at its close (open + bar size);
- a funding settlement belongs to the bar whose open equals the settlement time (the position
  held into that instant pays or receives it), so ``funding_rate`` is NaN on every other bar;
- an IV print is known from its timestamp; bar i sees the last print with time <= its close.
  Example, 1h bars: the 10:00 bar closes at 11:00, so a 10:30 print is known at its close and an
  11:30 print is not (it first shows in the 11:00 bar).

A dataset of several coins (``Dataset.coins``) is aligned coin by coin with the same rules and the
same window (``align_coins``): every coin is on the primary's grid, so the arrays share ``time_ns``.
"""
from __future__ import annotations

import datetime as dt
import numpy as np
import pandas as pd

from hedgelab.data.arrays import MarketArrays
from hedgelab.data.dataset import INDEX, MARK, TRADED, Dataset, bar_timedelta, coin_entry, iso, ns, offset_string
from hedgelab.core.errors import DataError, UserError


def _as_utc(value, what: str):
    """A user time bound: strings stay strings (so '2025-11-30' means the whole day, as in
    pandas .loc), other values become UTC Timestamps (naive ones are read as UTC). A calendar date
    (a TOML config's unquoted ``end = 2025-11-30``) is read like its ISO string: the whole day."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = value.isoformat()
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UserError(f"{what} {value!r} is not a date or time (use ISO-8601, e.g. 2025-10-10)") from exc
    if ts is pd.NaT:
        raise UserError(f"{what} {value!r} is not a date or time")
    if isinstance(value, str) and ts.tzinfo is None:
        return value, ts.tz_localize("UTC")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts, ts


def slice_bars(ds: Dataset, start=None, end=None) -> pd.DataFrame:
    """Bars with open in [start, end], both inclusive as pandas ``.loc`` (a date means the whole day)."""
    bars = ds.bars
    first, last = bars.index[0], bars.index[-1]
    lo, lo_ts = _as_utc(start, "start") if start is not None else (None, None)
    hi, hi_ts = _as_utc(end, "end") if end is not None else (None, None)
    span = f"dataset {ds.name!r} has bars from {iso(first)} to {iso(last)} (bar opens)"
    if lo_ts is not None and hi_ts is not None and hi_ts < lo_ts:
        raise UserError(f"start {start} is after end {end}")
    if lo_ts is not None and lo_ts > last:
        raise UserError(f"start {start} is after the last bar; {span}")
    if hi_ts is not None and isinstance(hi, pd.Timestamp) and hi_ts < first:
        raise UserError(f"end {end} is before the first bar; {span}")
    # One bound at a time: pandas refuses a slice mixing a tz-aware Timestamp with a date string
    # (a config's datetime start with a command-line --end), each alone is fine.
    out = bars if lo is None else bars.loc[lo:]
    out = out if hi is None else out.loc[:hi]
    if out.empty:
        raise UserError(f"no bars between start {start} and end {end}; {span}")
    return out


def clipped_window(ds: Dataset, start=None, end=None) -> str | None:
    """One line when [start, end] reaches beyond the dataset's bars (the run is clipped to them, which
    is not an error but must not pass unsaid); None when the window lies within the data. Read as
    ``slice_bars`` reads it: a date for an end means the whole day, so ``end=2025-11-30`` on bars up
    to 2025-11-30 23:00 is within."""
    bars = ds.bars
    if not len(bars):
        return None
    first, last = bars.index[0], bars.index[-1]
    step = bars.index[1] - first if len(bars) > 1 else pd.Timedelta(0)
    outside = []
    if start is not None:
        lo, _ = _as_utc(start, "start")
        if len(pd.Series(0, index=pd.DatetimeIndex([first - step if step else first - pd.Timedelta(1)])).loc[lo:]):
            outside.append(f"start {start} is before its first bar")
    if end is not None:
        hi, _ = _as_utc(end, "end")
        if len(pd.Series(0, index=pd.DatetimeIndex([last + step if step else last + pd.Timedelta(1)])).loc[:hi]):
            outside.append(f"end {end} is after its last bar")
    if not outside:
        return None
    return (f"{' and '.join(outside)}: data {ds.name!r} has bars from {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC (bar opens), so the run covers only those")


def align(ds: Dataset, start=None, end=None) -> MarketArrays:
    """Numpy arrays for the kernels, bars in [start, end] (see ``slice_bars``), no look-ahead."""
    bars = slice_bars(ds, start, end)
    step = bar_timedelta(ds.manifest["bar_size"])
    t = ns(bars.index).astype("int64")
    col = {c: bars[c].to_numpy("float64", copy=True) for c in (*TRADED, "volume", *MARK, *INDEX)}

    rate = np.full(len(t), np.nan)
    price = col["mark_open"].copy()
    fund = ds.funding
    if len(fund):
        ft = ns(fund.index)
        inside = (ft >= t[0]) & (ft < t[-1] + step.value)
        pos = np.searchsorted(t, ft[inside])
        pos_ok = (pos < len(t)) & (t[np.minimum(pos, len(t) - 1)] == ft[inside])
        if not pos_ok.all():
            bad = fund.index[inside][~pos_ok][0]
            raise UserError(f"funding settlement at {iso(bad)} falls inside a {ds.manifest['bar_size']} bar, "
                            "not at a bar open; use bars no longer than the funding interval")
        rate[pos] = fund["rate"].to_numpy("float64")[inside]
        mark = fund["mark_price"].to_numpy("float64")[inside]
        known = ~np.isnan(mark)
        price[pos[known]] = mark[known]

    iv = _iv_at_close(ds, t, step)
    return MarketArrays(time_ns=t, bar_seconds=int(step.total_seconds()),
                        funding_rate=rate, funding_price=price, iv=iv, **col)


def align_coins(ds: Dataset, coins, start=None, end=None) -> dict[str, MarketArrays]:
    """``{coin: MarketArrays}`` for the named coins, in the order given, each aligned exactly as
    ``align`` aligns the primary (same timing rules, bars in the same [start, end]), all on one grid.

    ``coins``: coin names (``"BTC"``, ``"ETH"``; exchange spellings such as ``"ETHUSDT"`` are read as
    their coin, which is the key of the result) or one name. A coin the dataset does not hold is a
    UserError listing the coins it holds.
    """
    names = [coins] if isinstance(coins, str) else list(coins)
    if not names:
        raise UserError(f"no coin named; data {ds.name!r} holds {', '.join(ds.coin_names)}")
    keys = [ds.coin_key(c) for c in names]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise UserError(f"coin {', '.join(twice)} named more than once (data {ds.name!r} holds "
                        f"{', '.join(ds.coin_names)})")
    slice_bars(ds, start, end)   # a bad window is the dataset's error, said once, before any coin's
    primary = ds.primary_coin
    out: dict[str, MarketArrays] = {}
    for k in keys:
        try:
            out[k] = align(ds.coin(k), start, end)
        except UserError as exc:
            if k == primary:
                raise
            raise type(exc)(f"coin {k}: {exc}") from None
    first = keys[0]
    for k in keys[1:]:
        if not np.array_equal(out[k].time_ns, out[first].time_ns) or out[k].bar_seconds != out[first].bar_seconds:
            raise DataError(f"data {ds.name!r}: coin {k} is not on {first}'s bar grid between start {start} and "
                            f"end {end}; every coin must be on the primary's grid")
    return out


def _iv_at_close(ds: Dataset, t: np.ndarray, step: pd.Timedelta) -> np.ndarray:
    """Last IV print with time <= bar close. After the last print, carried forward only if the
    manifest states an ``iv_fill`` rule; otherwise the last print stays valid for one typical IV
    spacing and then the IV is NaN (unknown), so a missing rule is visible instead of silent."""
    out = np.full(len(t), np.nan)
    if len(ds.iv) == 0:
        return out
    it = ns(ds.iv.index)
    vals = ds.iv["atm_iv"].to_numpy("float64")
    close = t + step.value
    k = np.searchsorted(it, close, side="right") - 1
    seen = k >= 0
    out[seen] = vals[k[seen]]
    if not ds.manifest.get("iv_fill"):
        spacing = int(np.median(np.diff(it))) if len(it) > 1 else step.value
        out[close > it[-1] + spacing] = np.nan
    return out


def resample(ds: Dataset, bar_size: str) -> Dataset:
    """The dataset on coarser bars: OHLC first/max/min/last, volume summed; funding and IV as they are.

    Buckets are aligned to the epoch (1h bars open on the hour) and incomplete buckets at either
    end are dropped, so every coarse bar covers its whole length; the manifest notes both. Every
    coin of a dataset of several coins is resampled the same way (they share the grid, so they keep
    sharing it), and the manifest's ``"coins"`` entries follow.
    """
    out = _resample_one(ds, bar_size)
    if not ds.coins:
        return out
    coins = {c: _resample_one(sub, bar_size) for c, sub in ds.coins.items()}
    manifest = out.manifest
    if "coins" in manifest:
        manifest["coins"] = {c: coin_entry(sub.manifest, manifest) for c, sub in coins.items()}
    return Dataset(name=out.name, bars=out.bars, funding=out.funding, iv=out.iv, manifest=manifest, coins=coins)


def _resample_one(ds: Dataset, bar_size: str) -> Dataset:
    old = bar_timedelta(ds.manifest["bar_size"])
    new = bar_timedelta(bar_size)
    if new <= old or new.value % old.value:
        raise UserError(f"bar size {bar_size} must be a whole multiple of the dataset's "
                        f"{ds.manifest['bar_size']} and longer")
    per = new.value // old.value
    bucket = ds.bars.index.floor(new)
    agg = {"volume": "sum"}
    for prefix in ("", "mark_", "index_"):
        agg.update({f"{prefix}open": "first", f"{prefix}high": "max",
                    f"{prefix}low": "min", f"{prefix}close": "last"})
    grouped = ds.bars.groupby(bucket)
    bars = grouped.agg(agg)[list(ds.bars.columns)]
    complete = grouped.size().to_numpy() == per
    dropped = int((~complete).sum())
    bars = bars[complete]
    if bars.empty:
        raise UserError(f"dataset {ds.name!r} has no complete {bar_size} bar")
    bars.index = pd.DatetimeIndex(bars.index, name="time")
    manifest = dict(ds.manifest)
    manifest.update(bar_size=offset_string(new), start=iso(bars.index[0]), end=iso(bars.index[-1] + new))
    manifest["notes"] = list(ds.manifest.get("notes", [])) + [
        f"resampled from {ds.manifest['bar_size']} to {offset_string(new)} bars (OHLC first/max/min/last, "
        f"volume summed, buckets aligned to the epoch); {dropped} incomplete bucket(s) dropped"]
    return Dataset(name=ds.name, bars=bars, funding=ds.funding, iv=ds.iv, manifest=manifest)
