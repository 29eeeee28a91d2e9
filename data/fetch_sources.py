"""The series a fetch downloads, one ``Source`` each, with the paging rule of its venue.

A source turns "give me rows from ``cursor`` on, before ``end``" into one ccxt call (or a few, where
the venue pages backward inside a window) and answers ``(rows, next_cursor)``: every row has
cursor <= ts < next_cursor, and the range [cursor, next_cursor) is then fully covered. That contract
is what makes the raw cache (data/fetch_cache.py) resumable page by page.

Paging rules (ccxt 4.5.90, /work/shared/specs/exchange-api-samples.md):
- Binance klines/mark/index and Bybit klines: ``fetch_ohlcv(since, limit=1000, until)`` answers the first
  1000 bars from ``since``; windows of 1000 bars, or on from the last row when a page is full.
- Hyperliquid candleSnapshot: no server limit parameter, at most 5000 candles: windows of 5000 bars.
- Binance fundingRate: first ``limit`` rows from startTime (limit 1000).
- Bybit funding/history: the *newest* ``limit`` (200) rows up to endTime: windows of 200 intervals,
  paged backward inside a window if it is ever full.
- Hyperliquid fundingHistory: first 500 rows from startTime: windows of 500 hours.
- Deribit DVOL: newest page first, ``continuation`` is the next ``end_timestamp`` (backward).
- Deribit option trades: ``sorting=asc``, ``count=1000``, ``has_more``; a full page restarts at its last
  millisecond (those trades are dropped from the page and fetched again) so ties are never split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

HOUR_MS = 3_600_000

# DVOL resolutions Deribit accepts (seconds as strings, or "1D"), largest first.
DVOL_RESOLUTIONS = (("1D", 86_400_000), ("43200", 43_200_000), ("3600", HOUR_MS), ("60", 60_000), ("1", 1000))


@dataclass
class Source:
    key: str                        # cache folder name, e.g. "binanceusdm-BTCUSDT-1h-mark"
    series: str                     # trade | mark | index | funding | dvol | options
    columns: list[str]              # row layout after ts
    page: Callable[[int, int], tuple[list, int]]
    unique: str = "ts"


def _windowed(call, window: int, cap: int, newest_first: bool = False, after_last: int = 1):
    """Pages over windows of ``window`` ms; ``call(since, until_inclusive)`` returns rows sorted by ts.

    A full page (``cap`` rows) may not reach the window's end: the next page starts ``after_last`` ms
    after its last row (one bar for candles, 1 ms for irregular times).
    """
    def page(cursor: int, end: int):
        w_end = min(end, cursor + window)
        rows = [r for r in call(cursor, w_end - 1) if cursor <= r[0] < w_end]
        if newest_first:
            # the server kept the newest ``cap`` rows: walk back until the window is complete
            out = rows
            while len(rows) >= cap:
                older = out[0][0] - 1
                rows = [r for r in call(cursor, older) if cursor <= r[0] <= older]
                out = rows + out
            return sorted({r[0]: r for r in out}.values()), w_end
        if len(rows) >= cap:
            return rows, rows[-1][0] + after_last
        return rows, w_end
    return page


def _clean(v):
    return float(v) if v not in (None, "") else float("nan")


def candle_source(ex, retry, venue: str, symbol: str, timeframe: str, series: str) -> Source:
    """Traded, mark or index klines of one perp through ``fetch_ohlcv`` (``params.price``)."""
    step = ex.parse_timeframe(timeframe) * 1000
    hyper = ex.id == "hyperliquid"
    limit = 5000 if hyper else 1000
    params = {} if series == "trade" else {"price": series}

    def call(since, until):
        if hyper:  # ccxt sends since as startTime and until as endTime; the server has no limit
            rows = retry(ex.fetch_ohlcv, symbol, timeframe, since, None, {"until": until})
        else:
            rows = retry(ex.fetch_ohlcv, symbol, timeframe, since, limit, {**params, "until": until})
        if series == "trade":
            return [(int(r[0]), *(_clean(x) for x in r[1:6])) for r in rows]
        return [(int(r[0]), *(_clean(x) for x in r[1:5])) for r in rows]

    cols = ["open", "high", "low", "close"] + (["volume"] if series == "trade" else [])
    market = ex.market(symbol)
    return Source(f"{ex.id}-{market['id']}-{timeframe}-{series}", series, cols,
                  _windowed(call, limit * step, limit, after_last=step))


def funding_interval_ms(ex, symbol: str) -> int:
    """The venue's settlement step: Bybit says it per market, Hyperliquid settles hourly, else 8h."""
    if ex.id == "hyperliquid":
        return HOUR_MS
    minutes = (ex.market(symbol).get("info") or {}).get("fundingInterval")
    try:
        return int(minutes) * 60_000 if minutes else 8 * HOUR_MS
    except (TypeError, ValueError):
        return 8 * HOUR_MS


def funding_source(ex, retry, symbol: str) -> Source:
    """Settled funding rates through ``fetch_funding_rate_history`` (Binance also gives the settlement mark)."""
    interval = funding_interval_ms(ex, symbol)
    if ex.id == "bybit":
        # 199 intervals: a window then holds at most 199 settlements, so a full page (200) means the
        # market settles more often than it says, and the window is paged backward
        limit, window, newest_first = 200, 199 * interval, True
    elif ex.id == "hyperliquid":
        limit, window, newest_first = 500, 500 * HOUR_MS, False
    else:
        limit, window, newest_first = 1000, 1000 * interval, False

    def call(since, until):
        lim = None if ex.id == "hyperliquid" else limit
        rows = retry(ex.fetch_funding_rate_history, symbol, since, lim, {"until": until})
        out = [(int(r["timestamp"]), _clean(r["fundingRate"]), _clean((r.get("info") or {}).get("markPrice")))
               for r in rows]
        return sorted(out)

    market = ex.market(symbol)
    return Source(f"{ex.id}-{market['id']}-funding", "funding", ["rate", "mark_price"],
                  _windowed(call, window, limit, newest_first))


def dvol_resolution(bar_ms: int) -> tuple[str, int]:
    """The coarsest DVOL resolution that is not coarser than the bar."""
    for name, ms in DVOL_RESOLUTIONS:
        if ms <= bar_ms:
            return name, ms
    return DVOL_RESOLUTIONS[-1]


def dvol_source(deribit, retry, currency: str, bar_ms: int) -> Source:
    """Deribit's DVOL candles (percent) through the implicit ``public/get_volatility_index_data``."""
    resolution, res_ms = dvol_resolution(bar_ms)

    def page(cursor: int, end: int):
        w_end = min(end, cursor + 1000 * res_ms)
        got, end_ts = {}, w_end - 1
        while end_ts >= cursor:
            reply = retry(deribit.public_get_get_volatility_index_data,
                          {"currency": currency, "start_timestamp": cursor, "end_timestamp": end_ts,
                           "resolution": resolution})
            result = reply.get("result") or {}
            data = [r for r in result.get("data") or [] if cursor <= int(r[0]) < w_end]
            for r in data:
                got[int(r[0])] = (int(r[0]), *(float(x) for x in r[1:5]))
            cont = result.get("continuation")
            if cont is None or not data:
                break
            end_ts = min(int(cont), min(int(r[0]) for r in data) - 1)  # always strictly older
        return [got[t] for t in sorted(got)], w_end

    return Source(f"deribit-{currency}-dvol-{resolution}", "dvol", ["open", "high", "low", "close"], page)


OPTION_COLUMNS = ["trade_id", "instrument", "iv_pct", "price", "mark_price", "index_price", "amount", "direction"]


def option_trades_source(deribit, retry, currency: str) -> Source:
    """Deribit option trades by currency and time (``iv`` in percent) through the implicit API."""
    count = 1000

    def page(cursor: int, end: int):
        reply = retry(deribit.public_get_get_last_trades_by_currency_and_time,
                      {"currency": currency, "kind": "option", "start_timestamp": cursor,
                       "end_timestamp": end - 1, "count": count, "sorting": "asc"})
        result = reply.get("result") or {}
        trades = [t for t in result.get("trades") or [] if cursor <= int(t["timestamp"]) < end]
        rows = [(int(t["timestamp"]), str(t["trade_id"]), t["instrument_name"], _clean(t.get("iv")),
                 _clean(t.get("price")), _clean(t.get("mark_price")), _clean(t.get("index_price")),
                 _clean(t.get("amount")), t.get("direction")) for t in trades]
        if not result.get("has_more") or not rows:
            return rows, end
        last = rows[-1][0]
        if last == cursor:  # a whole page in one millisecond: keep it and move on (cannot split further)
            return rows, cursor + 1
        return [r for r in rows if r[0] < last], last

    return Source(f"deribit-{currency}-option-trades", "options", OPTION_COLUMNS, page, unique="trade_id")
