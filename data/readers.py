"""Reading user CSV/parquet files: column roles and time parsing, with errors naming row and column.

Time columns accept
- ISO-8601 strings: ``2025-10-10 21:00``, ``2025-10-10T21:00:00Z``, ``...+00:00``, ``... UTC``, or a
  date ``2025-10-10``. Strings without a zone are read as UTC (exchange exports usually are, and
  the column names say so: ``open_time_utc``). A non-UTC offset, or zoned and unzoned rows mixed in
  one column, is refused: hedgelab works in UTC and will not guess a conversion.
- epoch numbers, unit chosen by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17
  microseconds, else nanoseconds (1e11 s is the year 5138; 1e11 ms is 1973). Rows must share a unit.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from hedgelab.data.validate import FIRST_TIME, LAST_TIME, Where, check_time_range
from hedgelab.core.errors import DataError, UserError

# Files above this size are refused before reading (a CSV takes ~10x its size in memory while
# parsed as text): one year of 1-minute bars with mark and index columns is ~100 MB.
MAX_INPUT_BYTES = 500_000_000

# Candidate names per role, in order of preference (names are compared lower-cased, spaces -> '_').
TIME_NAMES = ("time", "timestamp", "open_time", "open_time_ms", "timestamp_ms", "calc_time_ms",
              "funding_time_ms", "fundingtime", "ts_ms", "ts", "datetime", "date", "open_time_utc",
              "calc_time_utc", "calc_time", "funding_time_utc", "funding_time", "datetime_utc",
              "date_utc", "time_utc")
PRICE_ROLES = {
    "time": TIME_NAMES,
    "open": ("open", "o"), "high": ("high", "h"), "low": ("low", "l"), "close": ("close", "c"),
    "volume": ("volume", "volume_btc", "vol", "volume_base", "base_volume", "v"),
    **{f"{p}_{k}": (f"{p}_{k}", f"{p}{k}") for p in ("mark", "index")
       for k in ("open", "high", "low", "close")},
}
PRICE_REQUIRED = ("time", "open", "high", "low", "close")
FUNDING_ROLES = {
    "time": TIME_NAMES,
    "rate": ("rate", "funding_rate", "last_funding_rate", "fundingrate", "funding_rate_decimal",
             "lastfundingrate", "funding"),
    "mark_price": ("mark_price", "markprice", "mark"),
}
IV_ROLES = {
    "time": TIME_NAMES,
    "iv": ("iv", "atm_iv", "dvol", "dvol_close", "iv_close", "implied_volatility", "mark_iv", "close"),
}
# An index file (``data import --index``: e.g. the spot OHLC beside a perp's prices) has the time and
# OHLC roles of a prices file; its OHLC become the dataset's index_open .. index_close.
INDEX_ROLES = {role: PRICE_ROLES[role] for role in ("time", "open", "high", "low", "close")}
ROLES = {"prices": PRICE_ROLES, "funding": FUNDING_ROLES, "iv": IV_ROLES, "index": INDEX_ROLES}
REQUIRED = {"prices": PRICE_REQUIRED, "funding": ("time", "rate"), "iv": ("time", "iv"), "index": PRICE_REQUIRED}


def show(value, limit: int = 60) -> str:
    """A cell as the message quotes it: its repr, cut to ``limit`` characters (a 300,000-character
    cell is named, not printed)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 3]}... ({len(str(value)):,} characters)"


def _columns(frame: pd.DataFrame, limit: int = 200) -> str:
    text = ", ".join(map(str, frame.columns))
    return text if len(text) <= limit else f"{text[:limit - 3]}... ({len(frame.columns)} columns)"


def _norm(name) -> str:
    return str(name).strip().lstrip("\ufeff").lower().replace(" ", "_")


def read_table(path, what: str = "") -> pd.DataFrame:
    """A CSV (everything as text, so bad cells can be reported) or a parquet file.

    Only a regular file is read (a FIFO, a device or a folder is refused before it could block or run
    on forever, ``hedgelab.core.reading``), and only up to MAX_INPUT_BYTES, checked before reading.
    ``what`` ("prices file") starts the messages about the file itself.
    """
    from hedgelab.core.reading import open_regular
    path = Path(path)
    head = f"{what} {path}" if what else str(path)
    fh = open_regular(path, what)
    try:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_INPUT_BYTES:
            raise DataError(f"{head}: {size / 1e6:,.0f} MB is above the import limit of "
                            f"{MAX_INPUT_BYTES / 1e6:,.0f} MB; split the file by date or resample it first")
        suffix = path.suffix.lower()
        try:
            if suffix in (".parquet", ".pq"):
                frame = pd.read_parquet(fh)
                if not isinstance(frame.index, pd.RangeIndex):
                    frame = frame.reset_index()
            else:
                # keep_default_na=False + skip_blank_lines=False: row numbers stay those of the file and
                # an empty or odd cell leaves its column as text, which ``to_numbers`` reports by row.
                frame = pd.read_csv(fh, keep_default_na=False, skip_blank_lines=False, low_memory=False,
                                    skipinitialspace=True, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, pa_errors()) as exc:
            first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{head}: cannot read as {'parquet' if suffix in ('.parquet', '.pq') else 'CSV'} "
                            f"({first[:200]})") from None
    finally:
        fh.close()
    if frame.empty:
        raise DataError(f"{head}: no data rows")
    return frame


def pa_errors() -> type:
    """pyarrow's base error (an unreadable parquet file raises it, not a ValueError)."""
    try:
        import pyarrow
        return pyarrow.ArrowException
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return ValueError


def map_columns(frame: pd.DataFrame, kind: str, path, overrides: dict | None = None) -> dict:
    """role -> column name in ``frame``; ``overrides`` (role -> column) win over detection."""
    roles = ROLES[kind]
    by_norm = {}
    for c in frame.columns:
        by_norm.setdefault(_norm(c), c)
    found = {}
    for role, names in roles.items():
        for n in names:
            if n in by_norm and by_norm[n] not in found.values():
                found[role] = by_norm[n]
                break
    for role, column in (overrides or {}).items():
        if role not in roles:
            raise UserError(f"--col {role}={column}: unknown role for a {kind} file; roles are "
                            f"{', '.join(roles)}")
        if column not in frame.columns:
            raise UserError(f"--col {role}={column}: {path} has no column {column!r} "
                            f"(columns: {_columns(frame)})")
        found[role] = column
    for role in REQUIRED[kind]:
        if role not in found:
            raise DataError(f"{path}, column for {role!r}: not found among "
                            f"{_columns(frame)}; name it with --col {role}=COLUMN")
    return found


def to_numbers(series: pd.Series, where: Where, column: str) -> np.ndarray:
    """Floats; a cell that is not a number names its row (empty cells become NaN, checked later)."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy("float64", na_value=np.nan)
    text = series.astype(str).str.strip()
    out = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy("float64")
    bad = np.isnan(out) & (text != "").to_numpy() & ~text.str.lower().isin(["nan", "null", "none"]).to_numpy()
    hits = np.flatnonzero(bad)
    if len(hits):
        i = int(hits[0])
        raise where.error(i, column, f"{show(series.iloc[i])} is not a number")
    return out


_EPOCH_UNITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (np.inf, "ns"))


def _epoch_unit(v: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([b for b, _ in _EPOCH_UNITS[:-1]]), np.abs(v), side="right")


def parse_epoch(values: np.ndarray, where: Where, column: str) -> pd.DatetimeIndex:
    """Epoch numbers -> UTC index; the unit comes from the magnitude and must be the same for all rows."""
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        raise where.error(int(missing[0]), column, "missing time")
    units = _epoch_unit(values)
    first = units[0]
    odd = np.flatnonzero(units != first)
    if len(odd):
        i = int(odd[0])
        raise where.error(i, column, f"epoch {values[i]:.0f} is in {_EPOCH_UNITS[units[i]][1]} but row "
                                     f"{where.row(0)} is in {_EPOCH_UNITS[first][1]}; use one unit")
    unit = _EPOCH_UNITS[first][1]
    per_ns = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]
    i = next(iter(np.flatnonzero((values * per_ns < FIRST_TIME.value) | (values * per_ns >= LAST_TIME.value))), None)
    if i is not None:  # before the cast, which would overflow or raise OutOfBoundsDatetime
        raise where.error(int(i), column, f"epoch {values[i]:.0f} ({unit}) is outside the supported range "
                                          f"{FIRST_TIME:%Y-%m-%d} .. {LAST_TIME:%Y-%m-%d}")
    return pd.DatetimeIndex(pd.to_datetime(values.astype("int64"), unit=unit, utc=True), name="time")


def parse_time(series: pd.Series, where: Where, column: str) -> pd.DatetimeIndex:
    """A time column (text, numbers or datetimes) -> tz-aware UTC DatetimeIndex named 'time'."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        tz = getattr(series.dtype, "tz", None)
        if tz is not None and str(tz) not in ("UTC", "utc", "Etc/UTC", "UTC+00:00"):
            raise where.error(None, column, f"timestamps are in time zone {tz}, not UTC")
        idx = pd.DatetimeIndex(series)
        nat = np.flatnonzero(idx.isna())
        if len(nat):
            raise where.error(int(nat[0]), column, "missing time")
        idx = (idx.tz_localize("UTC") if tz is None else idx).rename("time")
        check_time_range(idx, where, column)
        return idx
    if pd.api.types.is_numeric_dtype(series.dtype):
        return parse_epoch(series.to_numpy("float64"), where, column)
    text = series.astype(str).str.strip()
    empty = np.flatnonzero((text == "").to_numpy())
    if len(empty):
        raise where.error(int(empty[0]), column, "missing time")
    if text.str.fullmatch(r"\d+(\.\d+)?").all():
        return parse_epoch(text.astype("float64").to_numpy(), where, column)
    zone = text.str.extract(r"(Z|\s*UTC|[+-]\d\d:?\d\d)$", expand=False)
    has_zone = zone.notna().to_numpy()
    mixed = np.flatnonzero(has_zone != has_zone[0])
    if len(mixed):
        i = int(mixed[0])
        raise where.error(i, column, f"time {show(text.iloc[i])} {'has' if has_zone[i] else 'has no'} time zone "
                                     f"but row {where.row(0)} {'has' if has_zone[0] else 'has no'}; "
                                     "mixed time zones")
    offset = zone.fillna("").str.strip().str.replace(":", "")
    non_utc = np.flatnonzero(~offset.isin(["", "Z", "UTC", "+0000", "-0000"]).to_numpy())
    if len(non_utc):
        i = int(non_utc[0])
        raise where.error(i, column, f"time {show(text.iloc[i])} has offset {zone.iloc[i].strip()}, not UTC; "
                                     "convert the times to UTC")
    bare = text.str.replace(r"(Z|\s*UTC|[+-]\d\d:?\d\d)$", "", regex=True)
    parsed = pd.to_datetime(bare, format="ISO8601", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = int(bad[0])
        raise where.error(i, column, f"{show(text.iloc[i])} is not an ISO-8601 time or an epoch number")
    idx = pd.DatetimeIndex(parsed, name="time").tz_localize("UTC")
    check_time_range(idx, where, column)
    return idx
