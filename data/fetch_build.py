"""Turn the cached raw series of a fetch into a contract ``Dataset`` (and the option-IV table).

Rules, each stated in the manifest:
- Bars sit on the regular grid of the timeframe, from the first to the last traded bar in range.
  The gap rule is ``data import``'s (``hedgelab.data.validate.MAX_FILL_BARS``): a hole of up to that
  many bars is filled flat at the previous close with volume 0 (mark and index alike), listed in
  ``notes`` and the manifest's ``gaps``; a longer hole is a DataError naming its time range, unless
  the caller asks to fill every gap (``--fill-gaps``), which the provenance then states.
  A venue without mark/index klines gets traded OHLC as the proxy.
- Funding is stamped at the settlement time; Hyperliquid stamps a few ms after the hour, so its
  times are floored to the hour (the settlement it belongs to).
- DVOL candles are percent; ``atm_iv`` = close / 100, stamped at the candle's close (open + resolution),
  the time the value is known.
- Option trades carry ``iv`` in percent; ``option_iv`` averages it (amount-weighted, in decimals) per bar,
  expiry, strike and call/put, stamped at the bar's close.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hedgelab.data.dataset import BAR_COLUMNS, Dataset, empty_funding, empty_iv, new_manifest, offset_string
from hedgelab.data.validate import MAX_FILL_BARS
from hedgelab.core.errors import DataError

FILL_RULE = "flat bars at the previous close, volume 0"

HOUR_MS = 3_600_000
_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
_OPTION = re.compile(r"^([A-Z]+)(?:_[A-Z]+)?-(\d{1,2})([A-Z]{3})(\d{2})-([\dd.]+)-([CP])$")


def _utc(ms) -> pd.DatetimeIndex:
    idx = pd.to_datetime(np.asarray(ms, dtype="int64"), unit="ms", utc=True)
    return pd.DatetimeIndex(idx, name="time").as_unit("ns")  # the store's readers compare asi8 in ns


def _hole_runs(hole: pd.Series) -> list[tuple[int, int]]:
    """(first position, length) of every run of True in ``hole``."""
    h = np.concatenate([[False], hole.to_numpy(bool), [False]])
    edges = np.flatnonzero(np.diff(h.astype(np.int8)))
    return [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def _fill_flat(frame: pd.DataFrame, grid: pd.DatetimeIndex, label: str, notes: list,
               gaps: list | None = None, fill_all: bool = False) -> pd.DataFrame:
    """Reindex OHLC(V) to ``grid``; holes become flat bars at the previous close (volume 0).

    A hole longer than MAX_FILL_BARS is refused (as ``data import`` refuses it) unless ``fill_all``;
    every filled hole is appended to ``gaps`` in the manifest's format.
    """
    out = frame.reindex(grid)
    hole = out["close"].isna()
    if hole.any():
        runs = _hole_runs(hole)
        for a, n in runs:
            if n > MAX_FILL_BARS and not fill_all:
                raise DataError(f"{label}: gap of {n} missing bars from {grid[a]} to {grid[a + n - 1]} "
                                f"(bar opens); at most {MAX_FILL_BARS} are filled: fetch again with "
                                "--fill-gaps to fill it flat at the previous close, or choose other dates")
        prev = out["close"].ffill().bfill()  # a hole at the very start takes the first known close
        for c in ("open", "high", "low", "close"):
            out.loc[hole, c] = prev[hole]
        if "volume" in out:
            out.loc[hole, "volume"] = 0.0
        starts = grid[hole & ~hole.shift(1, fill_value=False)]
        shown = ", ".join(str(t) for t in starts[:10]) + (" ..." if len(starts) > 10 else "")
        notes.append(f"{label}: {int(hole.sum())} missing bars filled flat at the previous close "
                     f"(volume 0) in {len(starts)} gap(s) starting {shown}")
        if gaps is not None:
            gaps.extend({"after": str(grid[a - 1]) if a > 0 else "the start", "missing_bars": n,
                         "rule": f"{label}: {FILL_RULE}"} for a, n in runs)
    return out


def _widen(frame: pd.DataFrame, label: str, notes: list) -> pd.DataFrame:
    """Exchanges occasionally print an open/close a tick outside high/low: widen the range, say so."""
    o, h, lo, c = (frame[k] for k in ("open", "high", "low", "close"))
    bad = (h < np.maximum(o, c)) | (lo > np.minimum(o, c))
    if bad.any():
        frame = frame.copy()
        frame["high"] = np.maximum.reduce([h, o, c])
        frame["low"] = np.minimum.reduce([lo, o, c])
        notes.append(f"{label}: {int(bad.sum())} bars had open/close outside [low, high]; high/low widened")
    return frame


def build_bars(raw: dict, start: int, end: int, step: int, venue: str, notes: list, proxies: dict,
               provenance: dict, gaps: list | None = None, fill_gaps: bool = False) -> pd.DataFrame:
    trade = raw["trade"]
    trade = trade[(trade["ts"] >= start) & (trade["ts"] < end)]
    if trade.empty:
        hint = "; Hyperliquid serves only its most recent 5000 candles" if venue == "hyperliquid" else ""
        raise DataError(f"{venue}: no traded bars between {pd.Timestamp(start, unit='ms', tz='UTC')} and "
                        f"{pd.Timestamp(end, unit='ms', tz='UTC')} (check --symbol, --start and --end{hint})")
    grid = pd.date_range(_utc([trade["ts"].iloc[0]])[0], _utc([trade["ts"].iloc[-1]])[0],
                         freq=pd.Timedelta(step, unit="ms"), name="time").as_unit("ns")
    parts = {}
    for series in ("trade", "mark", "index"):
        frame = raw.get(series)
        if frame is None or frame.empty:
            continue
        frame = frame[(frame["ts"] >= start) & (frame["ts"] < end)]
        if frame.empty:
            continue
        frame = frame.set_index(_utc(frame["ts"].to_numpy("int64"))).drop(columns="ts").astype("float64")
        label = f"{series} klines"
        parts[series] = _widen(_fill_flat(frame, grid, label, notes, gaps, fill_gaps), label, notes)
    bars = pd.DataFrame(index=grid)
    for c in ("open", "high", "low", "close", "volume"):
        bars[c] = parts["trade"][c]
    for series, prefix in (("mark", "mark_"), ("index", "index_")):
        src = series if series in parts else "trade"
        if src == "trade":
            proxies[series] = f"{series} = traded OHLC ({venue} has no {series}-price klines)"
            provenance[f"{prefix}ohlc"] = f"proxy: traded OHLC (no {series}-price klines on {venue})"
        for c in ("open", "high", "low", "close"):
            bars[prefix + c] = parts[src][c]
    return bars[list(BAR_COLUMNS)].astype("float64")


def build_funding(frame: pd.DataFrame, start: int, end: int, venue: str) -> pd.DataFrame:
    if frame is None or frame.empty:
        return empty_funding()
    ts = frame["ts"].to_numpy("int64")
    if venue == "hyperliquid":
        ts = ts // HOUR_MS * HOUR_MS
    keep = (ts >= start) & (ts < end)
    out = pd.DataFrame({"rate": frame["rate"].to_numpy("float64")[keep],
                        "mark_price": frame["mark_price"].to_numpy("float64")[keep]}, index=_utc(ts[keep]))
    out = out[~out.index.duplicated(keep="last")].sort_index()
    out.loc[out["mark_price"] <= 0, "mark_price"] = np.nan
    return out


def build_iv(frame: pd.DataFrame | None, start: int, end: int, res_ms: int) -> pd.DataFrame:
    if frame is None or frame.empty:
        return empty_iv()
    frame = frame[(frame["ts"] >= start) & (frame["ts"] < end) & (frame["close"].astype(float) > 0)]
    out = pd.DataFrame({"atm_iv": frame["close"].to_numpy("float64") / 100.0},
                       index=_utc(frame["ts"].to_numpy("int64") + res_ms))
    return out[~out.index.duplicated(keep="last")].sort_index()


def parse_instrument(name: str):
    """``BTC-31JAN25-100000-C`` -> (expiry at 08:00 UTC, strike, "call"); None when not an option."""
    m = _OPTION.match(name)
    if not m:
        return None
    _, day, mon, yy, strike, cp = m.groups()
    expiry = pd.Timestamp(year=2000 + int(yy), month=_MONTHS[mon], day=int(day), hour=8, tz="UTC")
    return expiry, float(strike.replace("d", ".")), "call" if cp == "C" else "put"


def build_option_iv(trades: pd.DataFrame, start: int, end: int, step: int) -> pd.DataFrame:
    """IV per bar, expiry and strike from option trades (decimal IV, amount-weighted)."""
    cols = ["expiry", "strike", "option_type", "iv", "iv_last", "trades", "amount", "index_price"]
    trades = trades[(trades["ts"] >= start) & (trades["ts"] < end)]
    parsed = [parse_instrument(n) for n in trades["instrument"]]
    ok = np.array([p is not None for p in parsed], dtype=bool)
    trades, parsed = trades[ok], [p for p in parsed if p is not None]
    if trades.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}, index=_utc([]))
    df = pd.DataFrame({
        "time": _utc(trades["ts"].to_numpy("int64") // step * step + step),  # known at the bar's close
        "expiry": [p[0] for p in parsed], "strike": [p[1] for p in parsed], "option_type": [p[2] for p in parsed],
        "iv": trades["iv_pct"].to_numpy("float64") / 100.0, "amount": trades["amount"].to_numpy("float64"),
        "index_price": trades["index_price"].to_numpy("float64"),
    })
    df["w"] = df["iv"] * df["amount"]
    g = df.groupby(["time", "expiry", "strike", "option_type"], sort=True)
    out = g.agg(w=("w", "sum"), amount=("amount", "sum"), iv_last=("iv", "last"), trades=("iv", "size"),
                index_price=("index_price", "last")).reset_index()
    out["iv"] = out["w"] / out["amount"]
    return out.set_index("time")[cols]


def assemble(name: str, venue: str, symbol: str, timeframe: str, start: int, end: int, step: int,
             raw: dict, funding_default_h: float, dvol_res_ms: int | None, extra_notes: list,
             provenance: dict, fill_gaps: bool = False) -> Dataset:
    notes, proxies, gaps = list(extra_notes), {}, []
    bars = build_bars(raw, start, end, step, venue, notes, proxies, provenance, gaps, fill_gaps)
    long_gaps = [g for g in gaps if g["missing_bars"] > MAX_FILL_BARS]
    if long_gaps:  # only --fill-gaps lets these through: the provenance must say what was invented
        provenance["filled gaps"] = (
            f"--fill-gaps: {sum(g['missing_bars'] for g in long_gaps)} bars in {len(long_gaps)} gap(s) longer "
            f"than {MAX_FILL_BARS} bars filled ({FILL_RULE}), after "
            + ", ".join(str(g["after"]) for g in long_gaps[:10]) + (" ..." if len(long_gaps) > 10 else ""))
    b0, b1 = int(bars.index[0].value // 1_000_000), int(bars.index[-1].value // 1_000_000) + step
    funding = build_funding(raw.get("funding"), b0, b1, venue)
    iv = build_iv(raw.get("dvol"), b0, b1, dvol_res_ms or 0)
    if len(funding) > 1:
        hours = float(pd.Series(funding.index).diff().median() / pd.Timedelta(hours=1))
    else:
        hours = funding_default_h
    iv_fill = None
    if len(iv) and iv.index[-1] < bars.index[-1]:
        iv_fill = (f"DVOL ends at {iv.index[-1]}, before the last bar: the last print is carried "
                   "forward over the remaining bars")
    elif raw.get("dvol") is not None and len(iv) == 0:
        notes.append("no DVOL prints in range: iv is empty")
    manifest = new_manifest(name, kind="real", venue=venue, symbol=symbol, bars=bars,
                            bar_size=offset_string(pd.Timedelta(step, unit="ms")),
                            funding_interval_hours=hours, provenance=provenance, proxies=proxies,
                            iv_fill=iv_fill, notes=notes)
    manifest["gaps"] = gaps
    return Dataset(name=name, bars=bars, funding=funding, iv=iv, manifest=manifest)
