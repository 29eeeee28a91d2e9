"""Checks on market data. Every problem raises ``DataError`` with one line naming file, row, column.

Row convention (said in every message): ``row N`` is the N-th data row of the file, counted from 1,
header not counted -- the line number in a text editor minus one for a CSV with a header.

The same checks run on user files at import (rows and column names of the user's file) and on the
stored parquet files at every load (rows of the parquet file, canonical column names), so a dataset
that was edited or damaged on disk is refused just like a bad import.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgelab.data.dataset import BAR_COLUMNS, KINDS, SCHEMA_VERSION, bar_timedelta, ns
from hedgelab.core.errors import DataError, UserError

MAX_FUNDING_RATE = 0.03   # |rate| per interval above 3 % is a unit mistake, not a market (Binance caps at 2-3 %)
TYPICAL_RATE_LIMIT = 0.002  # a median |rate| above 0.2 % per 8 h (220 %/yr) is percent data; scaled to the
#                             file's interval (0.00025 per hour): the venues' rate is F8h / (8 / N) for an
#                             N-hour interval (Binance since 2025-09-18, Hyperliquid hourly at F8h / 8,
#                             ../shared/specs/exchange-mechanics.md §1.4, §3), so hourly percent data
#                             (0.00125 = the 0.00125 % hourly baseline) is 5x over it, hourly decimals 20x under
TYPICAL_RATE_HOURS = 8.0  # the interval TYPICAL_RATE_LIMIT is stated for
MAX_IV = 3.0              # decimal IV above 300 % is a percent value read as a decimal
MIN_IV = 0.05             # decimal IV below 5 % is no crypto market: BTC's 30-day DVOL stayed within 32.9-64.9 %
#                           through the Sep-Dec 2025 files (../shared/data/crisis-2025) and has not printed below
#                           ~30 % since its 2021 launch; a 0.0001 priced options at nothing
MIN_IV_PERCENT = 1.0      # an IV under 1 % written in percent is a decimal value read as percent
MIN_TYPICAL_PERCENT = 0.0005  # a median |rate| under 0.0005 % per interval, told percent, is decimal data
MAX_FILL_BARS = 6         # gaps of up to this many missing bars are filled flat; longer ones are refused
MAX_PRICE = 1e9           # USD per coin; above this a price is a unit or parsing mistake (import --max-price raises it)
MIN_PRICE = 1e-10         # USD per coin; the cheapest coins trade near 1e-8 (the lowest print of the 1,581 Binance
#                           spot markets on 2025-10-10 was 1e-8, ../shared/data/crisis-2025-alts); at 1e-300 the
#                           engine's quantities and fees underflow (a "liquidation" with equity intact, fees 7.6e-74)
# A price series is checked against its own scale (``check_price_scale``):
JUMP_FACTOR = 10.0        # a bar opens within 10x of the previous bar's close: a 24/7 market has no overnight gap.
#                           The largest open / previous close in the 27 real price files under ../shared/data is
#                           1.011 (Binance BNBUSDT 5m, Oct 10, 2025), so 10x is a unit slip or a one-bar spike
WICK_UP_FACTOR = 100.0    # a high at most 100x the bar's open/close (largest in the real files: 1.11x)
WICK_DOWN_FACTOR = 1e6    # a low at least 1e-6 of the bar's open/close: the Oct 10, 2025 spot wicks reached
#                           1/24,750 (IOTX 0.02475 -> 0.000001), so only a far larger ratio is a mistake
FIRST_TIME = pd.Timestamp("1970-01-01", tz="UTC")   # times before the epoch are not market data
LAST_TIME = pd.Timestamp("2262-04-11", tz="UTC")    # pandas' nanosecond range ends on 2262-04-11


@dataclass(frozen=True)
class Where:
    """Where a frame came from: file name, the file's data row of each frame row, column names."""

    file: str
    rows: np.ndarray | None = None             # 1-based data rows; None -> position + 1
    columns: dict = field(default_factory=dict)  # canonical column -> column name in the file

    def row(self, i: int) -> int:
        return int(self.rows[i]) if self.rows is not None else int(i) + 1

    def col(self, name: str) -> str:
        return self.columns.get(name, name)

    def error(self, i: int | None, column: str, message: str) -> DataError:
        """The one-line error; ``i`` is the frame position (None for a whole-column problem)."""
        at = "" if i is None else f", row {self.row(i)} (data rows from 1, header not counted)"
        return DataError(f"{self.file}{at}, column '{self.col(column)}': {message}")


def _n(x) -> str:
    """A number as the user would write it (repr of a plain float: 50.0, 1e-05)."""
    return repr(float(x))


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def check_time_order(index: pd.DatetimeIndex, where: Where, column: str = "time") -> None:
    """Timestamps strictly increasing: a duplicate or a step back names the offending row."""
    t = ns(index)
    if len(t) < 2:
        return
    d = np.diff(t)
    i = _first(d <= 0)
    if i is None:
        return
    j = i + 1
    if d[i] == 0:
        raise where.error(j, column, f"duplicate timestamp {index[j]} (same as row {where.row(i)})")
    raise where.error(j, column, f"timestamp {index[j]} is earlier than the row before ({index[i]}); "
                                 "rows must be sorted by time")


def infer_step(index: pd.DatetimeIndex, where: Where, column: str = "time") -> pd.Timedelta:
    """The bar step: the most common spacing (gaps and not-on-grid rows are reported separately)."""
    if len(index) < 2:
        raise where.error(None, column, f"need at least 2 rows to infer the bar size, got {len(index)}")
    d = np.diff(ns(index))
    values, counts = np.unique(d, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def check_grid(index: pd.DatetimeIndex, step: pd.Timedelta, where: Where, column: str = "time") -> None:
    """Every timestamp on the grid ``first + k * step`` (a 10:30 row in hourly bars is refused)."""
    off = (ns(index) - ns(index)[0]) % step.value
    i = _first(off != 0)
    if i is not None:
        raise where.error(i, column, f"timestamp {index[i]} is not on the {step} grid that starts at "
                                     f"{index[0]} (bars must be evenly spaced)")


def find_gaps(index: pd.DatetimeIndex, step: pd.Timedelta) -> list[tuple[int, int]]:
    """(frame position after the gap, number of missing bars) for every hole in the grid."""
    d = np.diff(ns(index)) // step.value
    return [(int(i) + 1, int(d[i]) - 1) for i in np.flatnonzero(d > 1)]


def fill_gaps(bars: pd.DataFrame, step: pd.Timedelta, where: Where,
              max_fill: int = MAX_FILL_BARS) -> tuple[pd.DataFrame, list[dict]]:
    """Fill holes of up to ``max_fill`` bars with flat bars at the previous close, volume 0.

    Why flat: nothing traded that we know of, and a flat bar neither invents a move nor lets a
    strategy act on a price it could not have seen. Longer holes are refused: the data is not
    good enough to backtest through silently.
    """
    gaps = find_gaps(bars.index, step)
    if not gaps:
        return bars, []
    for i, missing in gaps:
        if missing > max_fill:
            raise where.error(i, "time", f"gap of {missing} missing bars before {bars.index[i]} "
                                         f"(after {bars.index[i - 1]}); at most {max_fill} are filled "
                                         "(--fill-gaps fills longer ones)")
    full = pd.date_range(bars.index[0], bars.index[-1], freq=step, name=bars.index.name)
    out = bars.reindex(full)
    hole = out["close"].isna()
    for prefix in ("", "mark_", "index_"):  # each price series flat at its own previous close
        if f"{prefix}close" in out:
            prev_close = out[f"{prefix}close"].ffill()
            for k in ("open", "high", "low", "close"):
                out.loc[hole, f"{prefix}{k}"] = prev_close[hole]
    if "volume" in out:
        out.loc[hole, "volume"] = 0.0
    report = [{"after": str(bars.index[i - 1]), "missing_bars": m,
               "rule": "flat bars at the previous close, volume 0"} for i, m in gaps]
    return out, report


def check_time_range(index: pd.DatetimeIndex, where: Where, column: str = "time") -> None:
    """Times between 1970-01-01 and 2262-04-11 (pandas' nanosecond range), first offender named."""
    bad = (index < FIRST_TIME) | (index >= LAST_TIME)
    i = _first(np.asarray(bad))
    if i is not None:
        raise where.error(i, column, f"time {index[i]} is outside the supported range "
                                     f"{FIRST_TIME:%Y-%m-%d} .. {LAST_TIME:%Y-%m-%d}")


def check_number_column(values: np.ndarray, where: Where, column: str, *, positive: bool,
                        allow_nan: bool = False, what: str = "value", maximum: float | None = None,
                        minimum: float | None = None) -> None:
    """No NaN (unless allowed), no infinity; strictly positive (prices) or non-negative (volumes);
    at most ``maximum`` when given (prices: a 1e300 is a mistake, not a market); at least ``minimum``
    when given (prices: MIN_PRICE)."""
    v = np.asarray(values, dtype="float64")
    if not allow_nan:
        i = _first(np.isnan(v))
        if i is not None:
            raise where.error(i, column, f"missing {what} (empty or NaN)")
    i = _first(np.isinf(v))
    if i is not None:
        raise where.error(i, column, f"{what} {_n(v[i])} is not a finite number")
    if maximum is not None:
        i = _first(v > maximum)
        if i is not None:
            raise where.error(i, column, f"{what} {_n(v[i])} is above the plausible maximum {maximum:g}")
    bad = (v <= 0) if positive else (v < 0)
    i = _first(bad & ~np.isnan(v))
    if i is not None:
        sign = "positive" if positive else "zero or more"
        raise where.error(i, column, f"{what} {_n(v[i])} must be {sign}")
    if minimum is not None:
        i = _first(v < minimum)
        if i is not None:
            raise where.error(i, column, f"{what} {_n(v[i])} is below the plausible minimum {minimum:g} USD "
                                         "(a unit or parsing mistake)")


def check_ohlc(frame: pd.DataFrame, where: Where, prefix: str = "", max_price: float = MAX_PRICE) -> None:
    """OHLC of one price series: present, finite, positive, below ``max_price``, low <= open, close <= high."""
    o, h, lo, c = (frame[f"{prefix}{k}"].to_numpy("float64") for k in ("open", "high", "low", "close"))
    for name, v in zip(("open", "high", "low", "close"), (o, h, lo, c)):
        check_number_column(v, where, f"{prefix}{name}", positive=True, what="price", maximum=max_price,
                            minimum=MIN_PRICE)
    i = _first(h < lo)
    if i is not None:
        raise where.error(i, f"{prefix}high", f"high {_n(h[i])} is below low {_n(lo[i])}")
    for name, v in (("open", o), ("close", c)):
        i = _first((v < lo) | (v > h))
        if i is not None:
            raise where.error(i, f"{prefix}{name}", f"{name} {_n(v[i])} is outside the bar's range "
                                                    f"[low {_n(lo[i])}, high {_n(h[i])}]")
    check_price_scale(o, h, lo, c, where, prefix)


def check_price_scale(o, h, lo, c, where: Where, prefix: str = "") -> None:
    """Each bar against the series' own scale (the bounds and their sources are at the top):
    a wick beyond WICK_UP_FACTOR / WICK_DOWN_FACTOR of the bar's open/close, or a bar that opens more
    than JUMP_FACTOR away from the previous close (a one-bar spike, or a unit change in the file).
    The cell named is the one that left the scale: a close whose next bar opens 1000x away is the
    close's mistake when it is also 1000x from its own open; otherwise the next bar's open."""
    body_hi, body_lo = np.maximum(o, c), np.minimum(o, c)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        up, down = h / body_hi, body_lo / lo
        i = _first(up > WICK_UP_FACTOR)
        if i is not None:
            raise where.error(i, f"{prefix}high", f"high {_n(h[i])} is {up[i]:.3g}x the bar's open/close "
                                                  f"({_n(body_hi[i])}): a wick above {WICK_UP_FACTOR:g}x is a unit or "
                                                  "parsing mistake, not a market")
        i = _first(down > WICK_DOWN_FACTOR)
        if i is not None:
            raise where.error(i, f"{prefix}low", f"low {_n(lo[i])} is 1/{down[i]:.3g} of the bar's open/close "
                                                 f"({_n(body_lo[i])}): a wick below 1/{WICK_DOWN_FACTOR:g} is a unit "
                                                 "or parsing mistake, not a market")
        if len(o) < 2:
            return
        jump = np.maximum(o[1:] / c[:-1], c[:-1] / o[1:])
        own = np.maximum(c / o, o / c)
    k = _first(jump > JUMP_FACTOR)
    if k is None:
        return
    if own[k] > JUMP_FACTOR:   # the close left its own open: the close is the spike
        raise where.error(k, f"{prefix}close", f"close {_n(c[k])} is {own[k]:.3g}x away from its bar's open "
                                               f"({_n(o[k])}) and the next bar's open ({_n(o[k + 1])}): a one-bar "
                                               f"spike of more than {JUMP_FACTOR:g}x is a unit or parsing mistake")
    raise where.error(k + 1, f"{prefix}open", f"open {_n(o[k + 1])} is {jump[k]:.3g}x away from the previous bar's "
                                              f"close ({_n(c[k])}, row {where.row(k)}): bars of a 24/7 market open "
                                              f"near the last close; a jump of more than {JUMP_FACTOR:g}x is a unit "
                                              "or parsing mistake (or a one-bar spike)")


def check_funding(frame: pd.DataFrame, where: Where, *, mark_nan_ok: bool, max_price: float = MAX_PRICE) -> None:
    """Settled funding: rate present and within +-3 % per interval; settlement mark positive."""
    check_time_order(frame.index, where)
    rate = frame["rate"].to_numpy("float64")
    i = _first(np.isnan(rate))
    if i is not None:
        raise where.error(i, "rate", "missing funding rate (empty or NaN)")
    i = _first(np.abs(rate) > MAX_FUNDING_RATE)
    if i is not None:
        raise where.error(i, "rate", f"funding rate {_n(rate[i])} is outside +-{MAX_FUNDING_RATE} per "
                                     "interval; rates must be decimals (0.0001 = 0.01 %), not percent")
    if "mark_price" in frame:
        check_number_column(frame["mark_price"].to_numpy("float64"), where, "mark_price",
                            positive=True, allow_nan=mark_nan_ok, what="mark price", maximum=max_price)


def check_rate_unit(rate: np.ndarray, where: Where, unit: str, hours: float | None = None) -> None:
    """The per-row bound cannot tell the units apart, so the typical size of the rates is checked.

    Rule (median |rate| over the file, zeros included; ``hours``: the settlement interval, when known):
    - told decimal, a median above 0.2 % per 8 h (220 %/yr), scaled to the interval (0.025 % per hour),
      is percent data;
    - told percent, a median below 0.0005 % per interval is decimal data: the venues' baseline
      rates are 0.01 % per 8 h and 0.00125 % per hour (Hyperliquid), written 0.01 and 0.00125 in
      percent but 0.0001 and 0.0000125 as decimals, both far under 0.0005.
    """
    r = np.abs(np.asarray(rate, dtype="float64"))
    r = r[np.isfinite(r)]
    if not len(r):
        return
    typical = float(np.median(r))
    limit = TYPICAL_RATE_LIMIT
    if hours is not None and np.isfinite(hours) and 0 < hours < TYPICAL_RATE_HOURS:
        limit = TYPICAL_RATE_LIMIT * hours / TYPICAL_RATE_HOURS
    if unit == "decimal" and typical > limit:
        every = f"per {hours:g} h interval" if limit != TYPICAL_RATE_LIMIT else "per interval"
        scaled = f" ({TYPICAL_RATE_LIMIT} per 8 h, scaled to the interval)" if limit != TYPICAL_RATE_LIMIT else ""
        raise where.error(None, "rate", f"median |funding rate| {_n(typical)} {every} is above "
                                        f"{limit:g}{scaled} as a decimal; the file looks "
                                        "like percent: use --funding-unit percent")
    if unit == "percent" and 0 < typical < MIN_TYPICAL_PERCENT:
        raise where.error(None, "rate", f"median |funding rate| {_n(typical)} is below "
                                        f"{MIN_TYPICAL_PERCENT} per interval as percent (a baseline rate is "
                                        "0.01 % per 8 h or 0.00125 % per hour); the file looks like "
                                        "decimals: use --funding-unit decimal")


def check_iv(values: np.ndarray, where: Where, unit: str, column: str = "atm_iv") -> None:
    """IV present, positive and plausible for its unit (catches percent read as decimal and back)."""
    v = np.asarray(values, dtype="float64")
    check_number_column(v, where, column, positive=True, what="implied volatility")
    if unit == "decimal":
        i = _first(v > MAX_IV)
        if i is not None:
            raise where.error(i, column, f"implied volatility {_n(v[i])} is above {MAX_IV} as a decimal; "
                                         "the file looks like percent: use --iv-unit percent")
        i = _first(v < MIN_IV)
        if i is not None:
            raise where.error(i, column, f"implied volatility {_n(v[i])} is below {MIN_IV} as a decimal "
                                         f"({MIN_IV * 100:g} %); no crypto market quotes that (BTC's DVOL stays above 30 %)")
    else:
        i = _first(v < MIN_IV_PERCENT)
        if i is not None:
            raise where.error(i, column, f"implied volatility {_n(v[i])} is below {MIN_IV_PERCENT} as percent; "
                                         "the file looks like decimals: use --iv-unit decimal")
        i = _first(v < MIN_IV * 100)
        if i is not None:
            raise where.error(i, column, f"implied volatility {_n(v[i])} % is below {MIN_IV * 100:g} %; "
                                         "no crypto market quotes that (BTC's DVOL stays above 30 %)")
        i = _first(v > MAX_IV * 100)
        if i is not None:
            raise where.error(i, column, f"implied volatility {_n(v[i])} % is above {MAX_IV * 100:g} %; "
                                         "no market quotes that")


def check_utc_index(index: pd.Index, where: Where) -> None:
    """Stored frames: a tz-aware UTC DatetimeIndex named 'time'."""
    if not isinstance(index, pd.DatetimeIndex):
        raise where.error(None, "time", f"index must be timestamps, got {type(index).__name__}")
    if index.tz is None:
        raise where.error(None, "time", "timestamps have no time zone; they must be tz-aware UTC")
    if str(index.tz) not in ("UTC", "utc", "UTC+00:00", "Etc/UTC", "Etc/UCT", "Z"):
        raise where.error(None, "time", f"timestamps are in time zone {index.tz}, not UTC")


# Manifest keys and the JSON types they must have (None allowed where the key may be null).
_MANIFEST_TYPES = {
    "schema_version": (int,), "name": (str,), "kind": (str,), "bar_size": (str,),
    "venue": (str,), "symbol": (str,), "start": (str,), "end": (str,),
    "funding_interval_hours": (int, float, type(None)), "provenance": (dict,), "proxies": (dict,),
    "iv_fill": (str, type(None)), "notes": (list,), "gaps": (list,), "anchors": (list,),
    "max_price": (int, float),
}
_JSON_NAMES = {int: "a number", float: "a number", str: "a string", dict: "an object", list: "a list",
               type(None): "null"}


def validate_manifest(m, where: Where) -> None:
    """A manifest read from disk: a JSON object with the contract's keys, each of its type."""
    if not isinstance(m, dict):
        raise where.error(None, "(top level)", f"must be a JSON object, got {_JSON_NAMES.get(type(m), type(m).__name__)}")
    if m.get("schema_version") != SCHEMA_VERSION:
        raise where.error(None, "schema_version", f"schema version {m.get('schema_version')!r} is not "
                                                  f"{SCHEMA_VERSION}; re-import the dataset")
    for key in ("name", "kind", "bar_size"):
        if key not in m:
            raise where.error(None, key, "missing manifest key")
    for key, types in _MANIFEST_TYPES.items():
        if key in m and (not isinstance(m[key], types) or isinstance(m[key], bool)):
            want = " or ".join(dict.fromkeys(_JSON_NAMES[t] for t in types))
            raise where.error(None, key, f"must be {want}, got {_JSON_NAMES.get(type(m[key]), type(m[key]).__name__)}")
    if m["kind"] not in KINDS:
        raise where.error(None, "kind", f"{m['kind']!r} is not one of {', '.join(KINDS)}")
    hours = m.get("funding_interval_hours")
    if hours is not None and not (np.isfinite(hours) and hours > 0):
        raise where.error(None, "funding_interval_hours", f"{hours!r} must be a positive number of hours")
    if "max_price" in m and not (np.isfinite(m["max_price"]) and m["max_price"] > 0):
        raise where.error(None, "max_price", f"{m['max_price']!r} must be a positive number")
    for key in ("gaps", "anchors"):
        if any(not isinstance(item, dict) for item in m.get(key) or ()):
            raise where.error(None, key, "every entry must be a JSON object")
    try:
        bar_timedelta(m["bar_size"])
    except UserError as exc:  # its message has no file: say which file
        raise where.error(None, "bar_size", str(exc)) from None


def validate_dataset(ds, folder: str = "") -> None:
    """Check a whole dataset as stored (run at every load and before every write).

    Stored bars must sit on a gap-free grid of the manifest's bar size: gaps were filled (by a
    stated rule) or refused at import, so a hole here means the files were damaged or edited.
    """
    prefix = f"{folder.rstrip('/')}/" if folder else f"{ds.name}/"
    m = ds.manifest
    validate_manifest(m, Where(prefix + "manifest.json"))
    step = bar_timedelta(m["bar_size"])
    max_price = float(m.get("max_price", MAX_PRICE))

    bw = Where(prefix + "bars.parquet")
    check_utc_index(ds.bars.index, bw)
    missing = [c for c in BAR_COLUMNS if c not in ds.bars.columns]
    if missing:
        raise bw.error(None, missing[0], "column missing")
    check_time_range(ds.bars.index, bw)
    check_time_order(ds.bars.index, bw)
    if len(ds.bars) == 0:
        raise bw.error(None, "time", "no bars")
    d = np.diff(ns(ds.bars.index))
    i = _first(d != step.value)
    if i is not None:
        raise bw.error(i + 1, "time", f"bar at {ds.bars.index[i + 1]} does not follow {ds.bars.index[i]} "
                                      f"by the manifest's bar size {m['bar_size']}")
    for series in ("", "mark_", "index_"):
        check_ohlc(ds.bars, bw, series, max_price)
    check_number_column(ds.bars["volume"].to_numpy("float64"), bw, "volume", positive=False, what="volume")

    fw = Where(prefix + "funding.parquet")
    check_utc_index(ds.funding.index, fw)
    for c in ("rate", "mark_price"):
        if c not in ds.funding.columns:
            raise fw.error(None, c, "column missing")
    check_time_range(ds.funding.index, fw)
    check_funding(ds.funding, fw, mark_nan_ok=True, max_price=max_price)
    check_rate_unit(ds.funding["rate"].to_numpy("float64"), fw, "decimal", m.get("funding_interval_hours"))

    iw = Where(prefix + "iv.parquet")
    check_utc_index(ds.iv.index, iw)
    if "atm_iv" not in ds.iv.columns:
        raise iw.error(None, "atm_iv", "column missing")
    check_time_range(ds.iv.index, iw)
    check_time_order(ds.iv.index, iw)
    check_iv(ds.iv["atm_iv"].to_numpy("float64"), iw, "decimal")
