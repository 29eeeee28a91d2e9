"""Import user files (prices, optional index, funding and IV) into a validated dataset in the store,
for one coin or several on one grid (``plan_coins``: the first coin is the primary, every other coin
must have its bar opens; each coin's manifest entry states its own files, proxies, gaps and notes).

Rules that the manifest states for every import:
- Proxies: a prices file without mark/index columns gives ``index = traded OHLC`` and
  ``mark = index`` (zero basis). An index file (``index``: spot OHLC, say) gives the index, and the
  mark is then the traded OHLC. Real settlement marks from a funding file are still used for the
  funding payments (``funding.mark_price``).
- Funding: decimal rate per interval (or percent with ``funding_unit``); settlement stamps within 15 s of the hour are set to the
  hour (Binance stamps settlements a few ms late: 1757894400006 ms is 00:00:00.006); the interval
  is the most common spacing; settlements outside the price range are dropped.
- IV: a candle close (a column named ``*close``, e.g. DVOL OHLC ``dvol_close``, daily
  ``dvol_close``) is known at the candle's close, i.e. stamp + candle length (hourly: open + 1 h;
  daily: date + 1 day); any other IV column is a print known at its stamp. DVOL columns are in
  percent unless ``iv_unit`` says otherwise; stored IV is a decimal. If IV ends before the prices,
  ``iv_fill`` says the last value is carried forward (``align`` applies it).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hedgelab.data.align import align, align_coins, resample
from hedgelab.data.dataset import (INDEX, MARK, TRADED, Dataset, base_coin, empty_funding, empty_iv, iso,
                                   new_manifest, ns, offset_string, bar_timedelta)
from hedgelab.data.readers import ROLES, map_columns, parse_time, read_table, to_numbers
from hedgelab.data.store import BUILTIN, check_name, check_store_writable, write_dataset
from hedgelab.data.validate import (MAX_FILL_BARS, Where, check_funding, check_grid, check_iv, check_ohlc,
                                    check_number_column, check_rate_unit, check_time_order, fill_gaps,
                                    infer_step, MAX_PRICE)
from hedgelab.core.errors import UserError

MAX_PRICE_FLAG = 1e12  # --max-price above this would let float rounding into cash and P&L
MIN_BAR = pd.Timedelta(minutes=1)   # 1 ms bars were stored with the bar size '0D'; shorter bars are refused
# Venues an imported file may say it came from: the engine's venues (engine/venues.py VENUE_IDS) and OKX,
# whose perps the real files under ../shared/data include. A run picks its rules with its own --venue.
DATA_VENUES = ("binance", "bybit", "hyperliquid", "deribit", "okx")
# An exchange or ccxt symbol: a base coin of 1-15 letters/digits (the key of the tier tables,
# engine.venues.base_coin), then optional quote/settle parts (BTCUSDT, BTC/USDT:USDT, BTC-PERPETUAL,
# BTC-USDT-SWAP, 1000PEPE/USDT:USDT); at most 40 characters.
SYMBOL_RE = re.compile(r"(?=.{1,40}$)[A-Za-z0-9]{1,15}(?:[-_/:][A-Za-z0-9]{1,15}){0,3}|[A-Za-z0-9]{1,25}")
SNAP_SECONDS = 15   # settlement stamps this close to the hour are exchange latency, not a schedule


def split_overrides(cols: dict | None, frames: dict, require: bool = True) -> dict:
    """``{"funding.time": "x", "close": "y"}`` -> per-file overrides. An unprefixed role applies to
    every given file that has the role and a column of that name; it must fit at least one.

    ``require=False`` (one coin of several): an override that fits none of this coin's files is
    skipped here; ``_check_overrides`` checks that it fits some coin's file."""
    out: dict = {kind: {} for kind in frames}
    for key, column in (cols or {}).items():
        kind, _, role = key.rpartition(".")
        if kind:
            if kind not in ROLES:
                raise UserError(f"--col {key}={column}: prefix must be prices, funding, iv or index")
            if kind not in frames:
                if not require:
                    continue
                raise UserError(f"--col {key}={column}: no {kind} file was given")
            out[kind][role] = column
            continue
        fits = [k for k, f in frames.items() if role in ROLES[k] and column in f.columns]
        if not fits and require:
            known = sorted({r for k in frames for r in ROLES[k]})
            if not any(role in ROLES[k] for k in frames):
                raise UserError(f"--col {key}={column}: unknown role; roles are {', '.join(known)}")
            raise UserError(f"--col {key}={column}: no given file has a column {column!r}")
        for k in fits:
            out[k][role] = column
    return out


def _check_overrides(cols: dict | None, coin_frames: list[dict]) -> None:
    """``--col`` with several coins: every override must fit some coin's file (the messages of one coin)."""
    if not cols:
        return
    union: dict = {}
    for frames in coin_frames:
        for kind, frame in frames.items():
            union.setdefault(kind, set()).update(map(str, frame.columns))
    split_overrides(cols, {k: pd.DataFrame(columns=sorted(c)) for k, c in union.items()})


def _span(step: pd.Timedelta) -> str:
    """A step as a user reads it: '1 ms', '1.5 s', '1min', '1h'."""
    if step.value % 1_000_000_000 == 0 and step.value > 0:
        return offset_string(step)
    return f"{step.value / 1e6:g} ms" if step.value < 1_000_000_000 else f"{step.value / 1e9:g} s"


def check_source(venue, symbol) -> None:
    """The venue an imported file came from (DATA_VENUES) and its symbol (an exchange or ccxt symbol
    whose base coin picks the tier table): any text was accepted and stored in the manifest."""
    if venue not in DATA_VENUES:
        raise UserError(f"--venue {venue!r}: not a venue hedgelab knows; one of {', '.join(DATA_VENUES)} (where "
                        "the data came from; a run picks its rules with its own --venue)")
    if not isinstance(symbol, str) or not SYMBOL_RE.fullmatch(symbol.strip()):
        raise UserError(f"--symbol {str(symbol)[:60]!r}: not an exchange or ccxt symbol (e.g. BTCUSDT, "
                        "BTC/USDT:USDT, BTC-PERPETUAL)")


def _src(path: Path, column: str, extra: str = "") -> str:
    return f"{path} [column {column}{', ' + extra if extra else ''}]"


def read_prices(path: Path, frame: pd.DataFrame, overrides: dict, notes: list,
                max_price: float = MAX_PRICE, fill_all: bool = False) -> tuple:
    """Bars (traded + optional mark/index OHLC + volume), step, provenance, proxies, gaps and the
    file's own bar opens (row k of the file is position k - 1: the grid check names rows by it).
    ``fill_all`` (--fill-gaps): also fill holes longer than MAX_FILL_BARS, which are refused otherwise."""
    roles = map_columns(frame, "prices", path, overrides)
    where = Where(str(path), columns=roles)
    index = parse_time(frame[roles["time"]], where, "time")
    check_time_order(index, where)
    step = infer_step(index, where)
    if step < MIN_BAR:
        raise where.error(None, "time", f"bars every {_span(step)}: bars shorter than 1 minute are not supported "
                                        "(resample them to 1 minute or longer first)")
    check_grid(index, step, where)
    bars = pd.DataFrame(index=index)
    prov = {}
    for role in (*TRADED, *MARK, *INDEX):
        if role in roles:
            bars[role] = to_numbers(frame[roles[role]], where, role)
            prov[role] = _src(path, roles[role])
    check_ohlc(bars, where, max_price=max_price)
    proxies = {}
    for prefix, series in (("mark_", MARK), ("index_", INDEX)):
        have = [c for c in series if c in bars]
        if have and len(have) < 4:
            missing = [c for c in series if c not in bars][0]
            raise where.error(None, missing, f"{prefix}open/high/low/close must all be given or none")
        if have:
            check_ohlc(bars, where, prefix, max_price)
    if "volume" in roles:
        bars["volume"] = to_numbers(frame[roles["volume"]], where, "volume")
        check_number_column(bars["volume"].to_numpy(), where, "volume", positive=False, what="volume")
        prov["volume"] = _src(path, roles["volume"])
    else:
        bars["volume"] = 0.0
        prov["volume"] = "none: the prices file has no volume column (volume = 0)"
    if "index_open" not in bars:
        for c in INDEX:
            bars[c] = bars[c.removeprefix("index_")]
        proxies["index"] = f"index = spot/traded OHLC of {path.name} (no index series)"
    if "mark_open" not in bars:
        for c in MARK:
            bars[c] = bars["index_" + c.removeprefix("mark_")]
        proxies["mark"] = "mark = index, zero basis (no mark series)"
    bars, gaps = fill_gaps(bars, step, where, max_fill=float("inf") if fill_all else MAX_FILL_BARS)
    for g in gaps:
        notes.append(f"gap of {g['missing_bars']} bar(s) after {g['after']} filled: {g['rule']}")
    bars = bars[[*TRADED, "volume", *MARK, *INDEX]].astype("float64")
    bars.index.name = "time"
    return bars, step, prov, proxies, gaps, index


def read_index(path: Path, frame: pd.DataFrame, overrides: dict, bars: pd.DataFrame, step: pd.Timedelta,
               prov: dict, proxies: dict, notes: list, max_price: float = MAX_PRICE, fill_all: bool = False) -> pd.DataFrame:
    """``bars`` with index_open .. index_close from an index file (e.g. spot OHLC beside a perp's
    prices): the file's bars on the prices' grid, gaps filled by the prices' rule, a bar for every
    price bar (rows outside the prices' range are dropped and noted). Without a mark series the mark
    is then the traded OHLC (stated in ``proxies``), not the index."""
    roles = map_columns(frame, "index", path, overrides)
    where = Where(str(path), columns=roles)
    if "index" not in proxies:   # the prices file had index columns of its own
        raise where.error(None, "open", "the prices file already has index columns (index_open .. index_close); "
                                        "give the index in one of the two files")
    index = parse_time(frame[roles["time"]], where, "time")
    check_time_order(index, where)
    own = infer_step(index, where)
    if own != step:
        raise where.error(None, "time", f"index bars every {_span(own)}, the prices' every {_span(step)}: the index "
                                        "must be on the prices' bar grid")
    check_grid(index, step, where)
    if (ns(index)[0] - ns(bars.index)[0]) % step.value:
        raise where.error(0, "time", f"index bar at {index[0]} is not on the prices' grid (bars every "
                                     f"{_span(step)} from {bars.index[0]})")
    ohlc = pd.DataFrame({c: to_numbers(frame[roles[c]], where, c) for c in TRADED}, index=index)
    check_ohlc(ohlc, where, max_price=max_price)
    lo, hi = bars.index[0], bars.index[-1]
    keep = np.asarray((index >= lo) & (index <= hi))
    if not keep.any():
        raise where.error(None, "time", f"no index bar falls on the prices' bars ({lo} .. {hi}); the file has "
                                        f"{index[0]} .. {index[-1]}")
    inside = Where(str(path), rows=np.flatnonzero(keep) + 1, columns=roles)   # rows keep the file's numbers
    ohlc, gaps = fill_gaps(ohlc[keep], step, inside, max_fill=float("inf") if fill_all else MAX_FILL_BARS)
    for g in gaps:
        notes.append(f"index gap of {g['missing_bars']} bar(s) after {g['after']} filled: {g['rule']}")
    if ohlc.index[0] != lo or ohlc.index[-1] != hi:
        t = lo if ohlc.index[0] != lo else ohlc.index[-1] + step
        raise where.error(None, "time", f"no index bar at {t}: the index must cover every price bar "
                                        f"({lo} .. {hi}); the file has {index[0]} .. {index[-1]}")
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} index bars outside the prices ({iso(lo)} to {iso(hi)}) dropped")
    bars = bars.copy()
    for c in TRADED:
        bars["index_" + c] = ohlc[c].to_numpy("float64")
        prov["index_" + c] = _src(path, roles[c], "index file")
    del proxies["index"]
    if "mark" in proxies:
        # no mark series: the perp's own traded price, which a venue's mark follows (Binance's mark is a
        # median that includes the last price) far closer than a spot index does in a crash
        for c in TRADED:
            bars["mark_" + c] = bars[c]
        proxies["mark"] = "mark = traded OHLC (no mark series; the index is the --index file)"
    return bars


def read_funding(path: Path, frame: pd.DataFrame, overrides: dict, unit: str | None,
                 bars: pd.DataFrame, notes: list, max_price: float = MAX_PRICE) -> tuple:
    """Funding settlements in the price range, interval in hours, provenance."""
    roles = map_columns(frame, "funding", path, overrides)
    where = Where(str(path), columns=roles)
    index = parse_time(frame[roles["time"]], where, "time")
    hour = index.round("1h")
    near = np.abs(ns(index) - ns(hour)) <= SNAP_SECONDS * 1_000_000_000
    moved = near & (ns(index) != ns(hour))
    if moved.any():
        worst_ms = np.abs(ns(index) - ns(hour))[moved].max() / 1e6
        notes.append(f"{int(moved.sum())} funding stamps set to the exact hour (off by at most {worst_ms:g} ms)")
    index = pd.DatetimeIndex(hour.where(near, index), name="time")
    unit = unit or "decimal"
    if unit not in ("percent", "decimal"):
        raise UserError(f"--funding-unit {unit}: must be percent or decimal")
    rate = to_numbers(frame[roles["rate"]], where, "rate")
    # the interval scales the median rule (hourly percent data looks like 8-hourly decimals otherwise)
    spacing = np.diff(ns(index))
    every = float(np.median(spacing)) / 3.6e12 if len(spacing) and (spacing > 0).all() else None
    check_rate_unit(rate, where, unit, every)
    fund = pd.DataFrame({"rate": rate / 100.0 if unit == "percent" else rate}, index=index)
    prov = {"funding.rate": _src(path, roles["rate"], "decimal per interval" if unit == "decimal"
                                 else "percent per interval / 100")}
    if "mark_price" in roles:
        fund["mark_price"] = to_numbers(frame[roles["mark_price"]], where, "mark_price")
        prov["funding.mark_price"] = _src(path, roles["mark_price"], "settlement mark")
    else:
        fund["mark_price"] = np.nan
        prov["funding.mark_price"] = "none: settlement computed on mark_open of the settlement bar"
    check_funding(fund, where, mark_nan_ok="mark_price" not in roles, max_price=max_price)
    interval = infer_step(index, where) if len(index) > 1 else None
    hours = interval.total_seconds() / 3600 if interval is not None else None
    hours = int(hours) if hours is not None and float(hours).is_integer() else hours  # 8, not 8.0
    lo, hi = bars.index[0], bars.index[-1]
    keep = (fund.index >= lo) & (fund.index <= hi)
    step = bars.index[1] - bars.index[0] if len(bars) > 1 else pd.Timedelta(hours=1)
    off = np.flatnonzero(keep & ((ns(fund.index) - ns(bars.index)[0]) % step.value != 0))
    if len(off):
        raise where.error(int(off[0]), "time", f"settlement at {fund.index[off[0]]} is not at a bar open "
                                               f"(bars every {offset_string(step)} from {bars.index[0]})")
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} funding settlements outside the bars ({iso(lo)} to {iso(hi)}) dropped")
    if not keep.any():
        notes.append("no funding settlement falls on the bars' range")
    return fund[keep].astype("float64"), hours, prov


def read_iv(path: Path, frame: pd.DataFrame, overrides: dict, unit: str | None, bars: pd.DataFrame,
            step: pd.Timedelta, notes: list) -> tuple:
    """IV prints stamped at the time they are known (decimal), provenance, iv_fill rule."""
    roles = map_columns(frame, "iv", path, overrides)
    where = Where(str(path), columns={"atm_iv": roles["iv"], "time": roles["time"]})
    column = str(roles["iv"])
    unit = unit or ("percent" if "dvol" in column.lower() else "decimal")
    if unit not in ("percent", "decimal"):
        raise UserError(f"--iv-unit {unit}: must be percent or decimal")
    index = parse_time(frame[roles["time"]], where, "time")
    check_time_order(index, where)
    values = to_numbers(frame[roles["iv"]], where, "atm_iv")
    check_iv(values, where, unit)
    if unit == "percent":
        values = values / 100.0
    candle = column.lower().endswith("close")
    if candle:
        length = infer_step(index, where)
        if length < pd.Timedelta(seconds=1) or length.value % 1_000_000_000:
            raise where.error(None, "time", f"IV candles every {_span(length)}: a candle must last a whole number "
                                            "of seconds")
        index = index + length
        timing = f"candle close, known at candle open + {offset_string(length)}"
    else:
        timing = "print, known at its timestamp"
    prov = {"iv.atm_iv": _src(path, column, f"{timing}, {unit}" + (" / 100" if unit == "percent" else ""))}
    end = bars.index[-1] + step
    iv = pd.DataFrame({"atm_iv": values}, index=pd.DatetimeIndex(index, name="time"))
    iv = iv[iv.index <= end]
    fill = None
    if len(iv) == 0:
        raise where.error(None, "time", f"no IV print is known before the bars end ({iso(end)})")
    spacing = infer_step(iv.index, where) if len(iv) > 1 else step
    if iv.index[-1] + spacing < end:
        fill = f"last known IV ({iv['atm_iv'].iloc[-1]:.4f}) carried forward after {iso(iv.index[-1])}"
    if iv.index[0] > bars.index[0] + step:
        notes.append(f"IV unknown (NaN) for bars that close before {iso(iv.index[0])}")
    return iv, prov, fill


FILE_KINDS = ("prices", "index", "funding", "iv")
DEFAULT_SYMBOL = "BTC/USDT:USDT"


@dataclass
class CoinFiles:
    """One coin of an import: its name, symbol and files; ``given`` is each file as the user gave it."""

    coin: str
    symbol: str
    files: dict = field(default_factory=dict)    # kind -> Path
    given: dict = field(default_factory=dict)    # kind -> "ETHUSDT=eth.csv" or "eth.csv" (for messages)


def _pairs(value, option: str) -> list:
    """A file option's value as [(key or None, path)]: one path (no key), a mapping {key: path} or
    (key, path) pairs, in order."""
    if value is None or (isinstance(value, str) and not value):
        return []
    if isinstance(value, (str, os.PathLike)):
        return [(None, value)]
    items = value.items() if isinstance(value, Mapping) else value
    out = []
    for item in items:
        try:
            key, path = item
        except (TypeError, ValueError):
            raise UserError(f"{option}: expected FILE, or SYMBOL=FILE pairs, got {str(item)[:60]!r}") from None
        if path is None or not str(path).strip():
            raise UserError(f"{option} {key}=: no file after '='")
        out.append((None if key is None else str(key).strip(), path))
    return out


def _coin_of(key: str, option: str, text: str) -> str:
    """The coin a key names (``ETHUSDT``, ``ETH/USDT:USDT``, ``eth`` -> ``ETH``), or a one-line error."""
    if not SYMBOL_RE.fullmatch(key):
        raise UserError(f"{option} {text}: {key[:40]!r} is not an exchange or ccxt symbol (e.g. ETHUSDT, "
                        "ETH/USDT:USDT, ETH)")
    try:
        return base_coin(key)
    except UserError as exc:
        raise UserError(f"{option} {text}: {exc}") from None


def plan_coins(prices, funding=None, iv=None, index=None, symbol: str | None = None) -> list[CoinFiles]:
    """The coins of an import and their files, the primary first, from the options as given.

    One coin: ``prices`` is a path, ``symbol`` its symbol (default BTC/USDT:USDT); ``funding``, ``iv``
    and ``index`` are paths. Several coins: ``prices`` maps each coin's symbol to its file (a mapping
    or (symbol, path) pairs, the first the primary; the symbol is stored as the coin's), and every other
    file names its coin the same way (``{"SOL": "sol_funding.csv"}``; a symbol or the bare coin).
    A coin given twice, a file for a coin without prices, or an unnamed file among several coins is
    refused in one line.
    """
    pairs = _pairs(prices, "--prices")
    if not pairs:
        raise UserError("--prices: no prices file given")
    plain = [str(p) for k, p in pairs if k is None]
    if plain and len(pairs) > 1:
        raise UserError(f"--prices {plain[0]}: with several coins name each file's symbol, e.g. --prices "
                        "ETHUSDT=eth.csv --prices SOLUSDT=sol.csv (the first is the primary)")
    coins: list[CoinFiles] = []
    if plain:
        sym = DEFAULT_SYMBOL if symbol is None else symbol
        try:
            coin = base_coin(sym)
        except UserError:   # one coin: any symbol check_source accepts, as before (a dated future, say)
            coin = sym.strip().upper()
        coins.append(CoinFiles(coin, sym, {"prices": Path(plain[0]).expanduser()}, {"prices": plain[0]}))
    else:
        if symbol is not None:
            raise UserError(f"--symbol {str(symbol)[:60]}: with --prices SYMBOL=FILE each coin's symbol is its key; "
                            "leave --symbol out")
        for key, path in pairs:
            text = f"{key}={path}"
            coin = _coin_of(key, "--prices", text)
            twice = next((c for c in coins if c.coin == coin), None)
            if twice is not None:
                raise UserError(f"--prices {text}: coin {coin} is given twice (also --prices {twice.given['prices']})")
            coins.append(CoinFiles(coin, key, {"prices": Path(path).expanduser()}, {"prices": text}))
    names = ", ".join(c.coin for c in coins)
    for kind, value in (("index", index), ("funding", funding), ("iv", iv)):
        for key, path in _pairs(value, f"--{kind}"):
            if key is None:
                if len(coins) > 1:
                    raise UserError(f"--{kind} {path}: with several coins name the file's coin, e.g. --{kind} "
                                    f"{coins[-1].coin}={Path(path).name}")
                target, text = coins[0], str(path)
            else:
                text = f"{key}={path}"
                coin = _coin_of(key, f"--{kind}", text)
                target = next((c for c in coins if c.coin == coin), None)
                if target is None:
                    raise UserError(f"--{kind} {text}: {coin} is not imported (no --prices for it; coins: {names})")
            if kind in target.files:
                raise UserError(f"--{kind} {text}: coin {target.coin} has two {kind} files (also --{kind} "
                                f"{target.given[kind]})")
            target.files[kind] = Path(path).expanduser()
            target.given[kind] = text
    return coins


def _check_on_grid(primary: Dataset, bars: pd.DataFrame, step: pd.Timedelta, raw: pd.DatetimeIndex,
                   where: Where, coin: str) -> None:
    """A coin's bars on the primary's: the same bar size and the same bar opens. Both are regular
    grids here (gaps filled), so they differ at their first bar or at their end; the error names the
    coin, its file and that row."""
    first = primary.primary_coin
    rule = "every coin must be on the primary's bar grid (same bar opens)"
    if step != primary.bar_size:
        raise where.error(None, "time", f"coin {coin}'s bars are every {_span(step)}, the primary's ({first}) every "
                                        f"{_span(primary.bar_size)}; {rule}")
    a, b = primary.bars.index, bars.index
    if b[0] != a[0]:
        raise where.error(0, "time", f"coin {coin}'s bar at {b[0]} is not the primary's ({first}) bar at {a[0]}; "
                                     f"{rule}")
    if len(b) > len(a):
        row = int(raw.searchsorted(b[len(a)]))
        raise where.error(row, "time", f"coin {coin} has a bar at {b[len(a)]}, after the primary's ({first}) last "
                                       f"bar at {a[-1]}; {rule}")
    if len(b) < len(a):
        raise where.error(len(raw) - 1, "time", f"coin {coin}'s bars end at {b[-1]}, the primary's ({first}) go on: "
                                                f"its bar at {a[len(b)]} is missing from {coin}; {rule}")


def _read_coin(name: str, c: CoinFiles, frames: dict, over: dict, *, venue: str, limit: float,
               max_price, fill_gaps: bool, iv_unit, funding_unit, primary: Dataset | None) -> Dataset:
    """One coin's files -> a single-coin Dataset (its own manifest, provenance and notes), checked on
    the primary's grid when it is not the primary."""
    notes = ["times without a zone were read as UTC"]
    paths = c.files
    bars, step, prov, proxies, gaps, raw = read_prices(paths["prices"], frames["prices"], over["prices"], notes,
                                                       limit, fill_all=fill_gaps)
    if primary is not None:
        _check_on_grid(primary, bars, step, raw, Where(str(paths["prices"]),
                                                       columns=map_columns(frames["prices"], "prices", paths["prices"],
                                                                           over["prices"])), c.coin)
    long_gaps = [g for g in gaps if g["missing_bars"] > MAX_FILL_BARS]
    if long_gaps:  # only --fill-gaps lets these through: the provenance says what was invented
        prov["filled gaps"] = (f"--fill-gaps: {sum(g['missing_bars'] for g in long_gaps)} bars in {len(long_gaps)} "
                               f"gap(s) longer than {MAX_FILL_BARS} bars filled ({long_gaps[0]['rule']}), after "
                               + ", ".join(str(g["after"]) for g in long_gaps[:10])
                               + (" ..." if len(long_gaps) > 10 else ""))
    if "index" in paths:
        bars = read_index(paths["index"], frames["index"], over["index"], bars, step, prov, proxies, notes, limit,
                          fill_all=fill_gaps)
    fund, hours, fill = empty_funding(), None, None
    if "funding" in paths:
        fund, hours, fprov = read_funding(paths["funding"], frames["funding"], over["funding"], funding_unit,
                                          bars, notes, limit)
        prov.update(fprov)
    ivs = empty_iv()
    if "iv" in paths:
        ivs, iprov, fill = read_iv(paths["iv"], frames["iv"], over["iv"], iv_unit, bars, step, notes)
        prov.update(iprov)
    manifest = new_manifest(name, kind="imported", venue=venue, symbol=c.symbol, bars=bars,
                            bar_size=offset_string(step), funding_interval_hours=hours,
                            provenance=prov, proxies=proxies, iv_fill=fill, notes=notes)
    manifest["gaps"] = gaps
    if max_price is not None:
        manifest["max_price"] = limit
    return Dataset(name=name, bars=bars, funding=fund, iv=ivs, manifest=manifest)


def import_files(name: str, prices, funding=None, iv=None, cols: dict | None = None,
                 iv_unit: str | None = None, funding_unit: str | None = None, store=None,
                 venue: str = "binance",
                 symbol: str | None = None, bar_size: str | None = None, write: bool = True,
                 max_price: float | None = None, fill_gaps: bool = False, index=None, adl=None) -> Dataset:
    """Read, validate and (if ``write``) store a dataset made from user files; returns it.

    One coin: ``prices`` (and ``funding``, ``iv``, ``index``) are paths, ``symbol`` the coin's symbol
    (default BTC/USDT:USDT). Several coins on one grid: ``prices`` maps each coin's exchange or ccxt
    symbol to its file, the primary first (``{"ETHUSDT": "eth.csv", "XRPUSDT": "xrp.csv"}``, or (symbol,
    path) pairs), and ``funding``/``iv``/``index`` map a coin (or its symbol) to its file
    (``{"ETH": "eth_funding.csv"}``); every coin must have the primary's bar opens (``plan_coins``).
    Each coin's manifest entry holds its own provenance, proxies, gaps and notes.

    ``index``: an OHLC file (spot, say) read as the index price (index_open .. index_close) on the
    prices' grid; without a mark series the mark is then the traded price.
    ``cols`` maps roles to column names (``{"close": "price", "funding.time": "ts"}``) in every coin's
    files; ``bar_size`` defaults to the prices' own step, a coarser one resamples (see ``align.resample``).
    ``iv_unit`` / ``funding_unit``: "percent" or "decimal" (defaults: percent for DVOL columns,
    else decimal; funding decimal). ``max_price``: the highest plausible price (default MAX_PRICE,
    1e9 USD); a larger one is kept in the manifest so every load checks against it. ``fill_gaps``: also
    fill price gaps longer than MAX_FILL_BARS bars (flat at the previous close, volume 0), stated in the
    provenance, as ``data fetch --fill-gaps`` does. ``adl``: a CSV of the venues' auto-deleveraging
    events (``hedgelab.data.adl``), checked against the dataset's coins and window, kept in the manifest.
    """
    check_name(name)
    if symbol is not None or isinstance(prices, (str, os.PathLike)):
        check_source(venue, DEFAULT_SYMBOL if symbol is None else symbol)
    elif venue not in DATA_VENUES:
        check_source(venue, DEFAULT_SYMBOL)   # its --venue message
    if bar_size is not None and bar_timedelta(bar_size) < MIN_BAR:
        raise UserError(f"--bar-size {bar_size!r}: bars shorter than 1 minute are not supported")
    limit = MAX_PRICE if max_price is None else float(max_price)
    if not (np.isfinite(limit) and 0 < limit <= MAX_PRICE_FLAG):
        raise UserError(f"--max-price {max_price!r}: must be a positive number of USD, at most {MAX_PRICE_FLAG:g}")
    if name in BUILTIN:
        raise UserError(f"{name!r} is the built-in dataset's name; choose another name")
    coins = plan_coins(prices, funding=funding, iv=iv, index=index, symbol=symbol)
    if write:
        check_store_writable(store)  # before reading: a store that cannot take the dataset fails first
    several = len(coins) > 1
    # every file is read (and a missing or unreadable one refused) before any is processed
    frames = [{k: read_table(p, f"{c.coin + ' ' if several else ''}{k} file") for k, p in c.files.items()}
              for c in coins]
    if several:
        _check_overrides(cols, frames)
    opts = dict(venue=venue, limit=limit, max_price=max_price, fill_gaps=fill_gaps, iv_unit=iv_unit,
                funding_unit=funding_unit)
    primary = None
    others: dict = {}
    for c, f in zip(coins, frames):
        over = split_overrides(cols, f, require=not several)
        one = _read_coin(name, c, f, over, primary=primary, **opts)
        if primary is None:
            primary = one
        else:
            others[c.coin] = one
    assert primary is not None
    ds = Dataset(name=name, bars=primary.bars, funding=primary.funding, iv=primary.iv, manifest=primary.manifest,
                 coins=others)
    if bar_size is not None and bar_timedelta(bar_size) != ds.bar_size:
        ds = resample(ds, bar_size)
    align(ds)  # a settlement that is not at a bar open is refused now, before anything is written
    if ds.coins:
        align_coins(ds, list(ds.coins))
    if adl is not None:
        from hedgelab.data.adl import read_events_file
        ds.manifest["adl_events"] = read_events_file(adl, coins=ds.coin_names, start=ds.bars.index[0],
                                                     end=ds.bars.index[-1] + ds.bar_size)
    if write:
        write_dataset(ds, store)
    return ds
