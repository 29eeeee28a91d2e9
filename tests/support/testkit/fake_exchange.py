"""A local stand-in for the exchanges' public REST APIs, so the real ccxt parsing and paging run offline.

One HTTP server on 127.0.0.1 (ephemeral port) answers the endpoints ccxt 4.5.90 calls for Binance USDⓈ-M,
Bybit v5 linear, Hyperliquid and Deribit, in each exchange's own JSON shape and paging rules
(/work/shared/specs/exchange-api-samples.md). The paths of the four venues do not overlap, so a single base
URL serves them all. Values come from the deterministic generators below (``candle``, ``funding_rate``,
``dvol_candle``, ``option_trades``), which tests use as the independent source of truth.

The server logs every request (``requests``) and can inject faults (``add_fault``): an HTTP status once or
several times, or a dropped connection, on requests whose path/body contain a substring.
"""
from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from testkit.fake_exchange_meta import (
    BINANCE_EXCHANGE_INFO,
    BYBIT_BTCUSDT,
    DERIBIT_CURRENCIES,
    DERIBIT_INSTRUMENTS,
    HL_META_AND_CTXS,
    HL_SPOT_CTX,
    HL_SPOT_META,
)

HOUR = 3_600_000
STEPS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": HOUR, "4h": 4 * HOUR, "1d": 24 * HOUR}
BYBIT_INTERVALS = {"1": "1m", "5": "5m", "15": "15m", "60": "1h", "240": "4h", "D": "1d"}
FUNDING_MS = {"binance": 8 * HOUR, "bybit": 8 * HOUR, "hyperliquid": HOUR}
LISTED_MS = 1_577_836_800_000  # 2020-01-01: nothing exists before, like a listing date
OPTION_TRADE_STEP = 420_000  # one option trade every 7 minutes, and a second one in the same ms every 5th


# ---------------------------------------------------------------- deterministic generators (the truth)

def _u(*key) -> float:
    """A uniform number in [0, 1) fixed by the key."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _level(venue: str, kind: str, t: int) -> float:
    base = 60_000 + 8_000 * math.sin(2 * math.pi * t / (30 * 24 * HOUR)) + 400 * (_u(venue, "p", t) - 0.5)
    offset = {"trade": 0.0, "mark": 3.0, "index": -4.0}[kind]
    return round(base + offset, 1)


def candle(venue: str, kind: str, t: int, step: int) -> tuple[float, float, float, float, float]:
    """(open, high, low, close, volume) of the bar opening at ``t`` (kind: trade, mark or index)."""
    o, c = _level(venue, kind, t), _level(venue, kind, t + step)
    h = round(max(o, c) + round(50 * _u(venue, kind, "h", t), 1), 1)
    low = round(min(o, c) - round(50 * _u(venue, kind, "l", t), 1), 1)
    v = round(100 + 1000 * _u(venue, "v", t), 3) if kind == "trade" else 0.0
    return o, h, low, c, v


def funding_times(venue: str, start: int, end: int) -> list[int]:
    """Settlement times in [start, end] (Hyperliquid stamps a few ms after the hour)."""
    step = FUNDING_MS[venue]
    first = max(LISTED_MS, -(-start // step) * step)
    jitter = (lambda s: int(97 * _u("hl-ms", s))) if venue == "hyperliquid" else (lambda s: 0)
    out = []
    for s in range(first - step, end + 1, step):
        t = s + jitter(s)
        if start <= t <= end and s >= LISTED_MS:
            out.append(t)
    return out


def funding_rate(venue: str, t: int) -> float:
    return round(0.0001 + 0.0003 * (_u(venue, "f", t) - 0.4), 8)


def funding_mark(venue: str, t: int) -> float:
    return round(_level(venue, "mark", t) + 0.12345678, 8)


def dvol_candle(t: int, res_ms: int) -> tuple[float, float, float, float]:
    o = round(45 + 20 * _u("dvol", t), 2)
    c = round(45 + 20 * _u("dvol", t + res_ms), 2)
    return o, round(max(o, c) + 0.5, 2), round(min(o, c) - 0.5, 2), c


_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


def _expiry_name(t: int) -> tuple[str, int]:
    """The Friday 08:00 UTC at least 3 days after ``t``, as Deribit spells it (e.g. 31JAN25)."""
    import datetime as dt

    d = dt.datetime.fromtimestamp(t / 1000, dt.timezone.utc).date() + dt.timedelta(days=3)
    d += dt.timedelta(days=(4 - d.weekday()) % 7)
    exp = dt.datetime(d.year, d.month, d.day, 8, tzinfo=dt.timezone.utc)
    return f"{d.day}{_MONTHS[d.month - 1]}{d.year % 100:02d}", int(exp.timestamp() * 1000)


def option_trades(start: int, end: int) -> list[dict]:
    """All option trades with start <= timestamp <= end, ascending by (timestamp, trade_id)."""
    out = []
    first = max(LISTED_MS, start)
    k0 = -(-(first - 123) // OPTION_TRADE_STEP)
    k = k0
    while k * OPTION_TRADE_STEP + 123 <= end:
        t = k * OPTION_TRADE_STEP + 123
        for j in range(2 if k % 5 == 0 else 1):
            index = _level("deribit", "index", t)
            strike = int(round(index / 1000.0)) * 1000 + 1000 * (int(4 * _u("ok", k, j)) - 2)
            cp = "C" if _u("cp", k, j) < 0.5 else "P"
            expiry, _ = _expiry_name(t)
            iv = round(40 + 30 * _u("iv", k, j), 2)
            out.append({
                "trade_seq": k * 2 + j, "trade_id": str(100_000_000 + k * 2 + j), "timestamp": t,
                "tick_direction": k % 4, "price": round(0.001 + 0.05 * _u("px", k, j), 4),
                "mark_price": round(0.001 + 0.05 * _u("px", k, j), 8), "iv": iv,
                "instrument_name": f"BTC-{expiry}-{strike}-{cp}", "index_price": index,
                "direction": "buy" if j == 0 else "sell", "amount": round(0.1 * (1 + int(20 * _u("amt", k, j))), 1),
                "contracts": round(0.1 * (1 + int(20 * _u("amt", k, j))), 1),
            })
        k += 1
    return out


# Symbols the fake can list beside BTCUSDT (Binance only; a test opts in with ``fx.extra_symbols``):
# symbol -> (base coin, price scale). Their prices are a path of their own (another key, another period),
# scaled to the coin's price level, so one coin's bars can never pass for another's.
EXTRA_SYMBOLS = {"ETHUSDT": ("ETH", 0.04), "SOLUSDT": ("SOL", 0.0025)}


def _symbol_level(symbol: str, venue: str, kind: str, t: int) -> float:
    scale = EXTRA_SYMBOLS[symbol][1]
    base = 60_000 + 9_000 * math.sin(2 * math.pi * t / (21 * 24 * HOUR)) + 600 * (_u(venue, symbol, "p", t) - 0.5)
    offset = {"trade": 0.0, "mark": 5.0, "index": -7.0}[kind]
    return round(scale * (base + offset), 4)


def symbol_candle(symbol: str, venue: str, kind: str, t: int, step: int) -> tuple[float, float, float, float, float]:
    """``candle`` of any listed symbol: BTCUSDT's is ``candle`` itself, an extra symbol's its own path."""
    if symbol in (None, "BTCUSDT"):
        return candle(venue, kind, t, step)
    scale = EXTRA_SYMBOLS[symbol][1]
    o, c = _symbol_level(symbol, venue, kind, t), _symbol_level(symbol, venue, kind, t + step)
    h = round(max(o, c) + round(scale * 60 * _u(venue, symbol, kind, "h", t), 4), 4)
    low = round(min(o, c) - round(scale * 60 * _u(venue, symbol, kind, "l", t), 4), 4)
    v = round((100 + 1000 * _u(venue, symbol, "v", t)) / scale, 3) if kind == "trade" else 0.0
    return o, h, low, c, v


def symbol_funding_rate(symbol: str, venue: str, t: int) -> float:
    if symbol in (None, "BTCUSDT"):
        return funding_rate(venue, t)
    return round(0.0001 + 0.0004 * (_u(venue, symbol, "f", t) - 0.5), 8)


def symbol_funding_mark(symbol: str, venue: str, t: int) -> float:
    if symbol in (None, "BTCUSDT"):
        return funding_mark(venue, t)
    return round(_symbol_level(symbol, venue, "mark", t) + 0.001234, 8)


def _binance_info(extra) -> dict:
    """Binance's exchangeInfo with the extra symbols listed after BTCUSDT (a copy of its entry)."""
    if not extra:
        return BINANCE_EXCHANGE_INFO
    btc = BINANCE_EXCHANGE_INFO["symbols"][0]
    more = []
    for symbol in extra:
        coin = EXTRA_SYMBOLS[symbol][0]
        entry = json.loads(json.dumps(btc))
        entry.update(symbol=symbol, pair=symbol, baseAsset=coin, underlyingSubType=["Layer-1"])
        entry["filters"][0] = {"filterType": "PRICE_FILTER", "minPrice": "0.0100", "maxPrice": "100000",
                               "tickSize": "0.0001"}
        more.append(entry)
    return {**BINANCE_EXCHANGE_INFO, "symbols": [btc, *more]}


# ---------------------------------------------------------------- faults and the request log

@dataclass
class Fault:
    match: str          # substring of "<path>?<query>" or of the POST body
    kind: str           # "status" or "drop"
    status: int = 429
    times: int = 1      # how many matching requests fail (-1: all of them)
    after: int = 0      # let this many matching requests through first


class FakeExchange:
    """Start with ``with FakeExchange() as fx:``; ``fx.url`` is the base URL for every venue."""

    def __init__(self):
        self.requests: list[dict] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._seen: dict[int, int] = {}
        self.dvol_page = 1000   # DVOL candles per page (then `continuation`); about 1000 on Deribit
        self.trade_page = 1000  # most option trades one request returns (Deribit's `count` max)
        self.bybit_funding_minutes = 480  # fundingInterval Bybit reports (the server settles every 8 h)
        self.holes: list[tuple[int, int]] = []  # [from, to) ms ranges in which no traded candle exists
        self.extra_symbols: list[str] = []      # EXTRA_SYMBOLS Binance lists beside BTCUSDT
        self.listed: dict[str, int] = {}        # symbol -> its listing time (ms; default LISTED_MS)
        handler = type("Handler", (_Handler,), {"fx": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_fault(self, match: str, kind: str = "status", status: int = 429, times: int = 1, after: int = 0):
        self.faults.append(Fault(match, kind, status, times, after))

    def clear(self):
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self._seen.clear()

    def calls(self, path_part: str, body_type: str | None = None) -> list[dict]:
        """Logged requests whose path contains ``path_part`` (and, for POST /info, of that body type)."""
        return [r for r in self.requests if path_part in r["path"]
                and (body_type is None or r["body"].get("type") == body_type)]

    def _fault_for(self, text: str) -> Fault | None:
        with self._lock:
            for i, f in enumerate(self.faults):
                if f.match in text:
                    n = self._seen.get(i, 0)
                    self._seen[i] = n + 1
                    if n >= f.after and (f.times < 0 or n < f.after + f.times):
                        return f
        return None


class _Handler(BaseHTTPRequestHandler):
    fx: FakeExchange

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._serve("GET", b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(n))

    def _serve(self, method, raw_body):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw_body) if raw_body else {}
        with self.fx._lock:
            self.fx.requests.append({"method": method, "path": parts.path, "query": query, "body": body})
        fault = self.fx._fault_for(self.path + " " + raw_body.decode())
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # no status line at all: the client sees a dropped connection
            return
        if fault is not None:
            if parts.path.startswith("/fapi/"):  # Binance explains its errors in JSON
                code = -1003 if fault.status in (418, 429) else -1121
                return self._send(fault.status, {"code": code, "msg": "injected fault"})
            return self._send(fault.status, "injected fault", "text/plain")  # a gateway's plain answer
        try:
            status, payload = _route(self.fx, method, parts.path, query, body)
        except (KeyError, AssertionError) as exc:  # a request ccxt should never send: answer, don't hang
            status, payload = 400, {"error": f"bad request: {exc}"}
        self._send(status, payload)

    def _send(self, status, payload, content_type="application/json"):
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _now() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------- routing per venue

def _route(fx, method, path, q, body):
    if path.startswith("/fapi/v1/"):
        return _binance(fx, path[len("/fapi/v1/"):], q)
    if path.startswith("/v5/market/"):
        return _bybit(fx, path[len("/v5/market/"):], q)
    if path == "/info" and method == "POST":
        return _hyperliquid(fx, body)
    if path.startswith("/api/v2/public/"):
        return _deribit(fx, path[len("/api/v2/public/"):], q)
    return 404, {"error": f"unknown path {path}"}


def _bars(start: int, end: int, step: int, holes=(), listed: int = LISTED_MS) -> list[int]:
    first = max(listed, -(-start // step) * step)
    last = min(end, _now() - step)  # only closed bars
    times = range(first, last + 1, step) if first <= last else []
    return [t for t in times if not any(a <= t < b for a, b in holes)]


def _binance_window(q, default, cap, step=None):
    limit = min(int(q.get("limit", default)), cap)
    start, end = q.get("startTime"), q.get("endTime")
    return limit, (int(start) if start else None), (int(end) if end else _now())


def _binance(fx, endpoint, q):
    if endpoint == "exchangeInfo":
        return 200, _binance_info(fx.extra_symbols)
    if endpoint in ("klines", "markPriceKlines", "indexPriceKlines"):
        kind = {"klines": "trade", "markPriceKlines": "mark", "indexPriceKlines": "index"}[endpoint]
        assert ("pair" if kind == "index" else "symbol") in q, "binance symbol/pair parameter"
        symbol = q.get("pair" if kind == "index" else "symbol")
        step = STEPS[q["interval"]]
        limit, start, end = _binance_window(q, 500, 1500)
        listed = fx.listed.get(symbol, LISTED_MS)
        times = _bars(start if start is not None else listed, end, step, fx.holes if kind == "trade" else (), listed)
        times = times[:limit] if start is not None else times[-limit:]
        rows = []
        for t in times:
            o, h, low, c, v = symbol_candle(symbol, "binance", kind, t, step)
            if kind == "trade":
                rows.append([t, f"{o:.2f}", f"{h:.2f}", f"{low:.2f}", f"{c:.2f}", f"{v:.3f}", t + step - 1,
                             f"{v * c:.5f}", 1000, f"{v / 2:.3f}", f"{v * c / 2:.5f}", "0"]
                            if symbol == "BTCUSDT" else
                            [t, f"{o:.4f}", f"{h:.4f}", f"{low:.4f}", f"{c:.4f}", f"{v:.3f}", t + step - 1,
                             f"{v * c:.5f}", 1000, f"{v / 2:.3f}", f"{v * c / 2:.5f}", "0"])
            else:
                rows.append([t, f"{o:.8f}", f"{h:.8f}", f"{low:.8f}", f"{c:.8f}", "0", t + step - 1,
                             "0", 3600, "0", "0", "0"])
        return 200, rows
    if endpoint == "fundingRate":
        symbol = q.get("symbol", "BTCUSDT")
        listed = fx.listed.get(symbol, LISTED_MS)
        limit, start, end = _binance_window(q, 100, 1000)
        times = [t for t in funding_times("binance", start if start is not None else listed, end) if t >= listed]
        times = times[:limit] if start is not None else times[-limit:]
        return 200, [{"symbol": symbol, "fundingTime": t,
                      "fundingRate": f"{symbol_funding_rate(symbol, 'binance', t):.8f}",
                      "markPrice": f"{symbol_funding_mark(symbol, 'binance', t):.8f}"} for t in times]
    return 404, {"code": -5000, "msg": "unknown endpoint"}


def _bybit_envelope(result):
    return 200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": _now()}


def _bybit(fx, endpoint, q):
    if endpoint == "instruments-info":
        listed = q.get("category") == "linear" and q.get("status") != "PreLaunch"
        return _bybit_envelope({"category": q.get("category"), "list": [dict(BYBIT_BTCUSDT, fundingInterval=fx.bybit_funding_minutes)] if listed else [],
                                "nextPageCursor": ""})
    if endpoint in ("kline", "mark-price-kline", "index-price-kline"):
        kind = {"kline": "trade", "mark-price-kline": "mark", "index-price-kline": "index"}[endpoint]
        step = STEPS[BYBIT_INTERVALS[q["interval"]]]
        limit = min(int(q.get("limit", 200)), 1000)
        end = int(q.get("end", _now()))
        if "start" in q:
            times = _bars(int(q["start"]), end, step, fx.holes if kind == "trade" else ())[:limit]
        else:
            times = _bars(LISTED_MS, end, step, fx.holes if kind == "trade" else ())[-limit:]
        rows = []
        for t in reversed(times):  # Bybit lists newest first
            o, h, low, c, v = candle("bybit", kind, t, step)
            row = [str(t), f"{o}", f"{h}", f"{low}", f"{c}"]
            rows.append(row + [f"{v}", f"{v * c:.4f}"] if kind == "trade" else row)
        return _bybit_envelope({"symbol": q["symbol"], "category": "linear", "list": rows})
    if endpoint == "funding/history":
        if "startTime" in q and "endTime" not in q:
            return 200, {"retCode": 10001, "retMsg": "params error", "result": {}, "retExtInfo": {}, "time": _now()}
        limit = min(int(q.get("limit", 200)), 200)
        times = funding_times("bybit", int(q.get("startTime", LISTED_MS)), int(q.get("endTime", _now())))[-limit:]
        return _bybit_envelope({"category": "linear", "list": [
            {"symbol": q["symbol"], "fundingRate": f"{funding_rate('bybit', t)}", "fundingRateTimestamp": str(t)}
            for t in reversed(times)]})
    return 404, {"retCode": 10001, "retMsg": "unknown endpoint"}


def _hyperliquid(fx, body):
    kind = body.get("type")
    if kind == "spotMeta":
        return 200, HL_SPOT_META
    if kind == "spotMetaAndAssetCtxs":
        return 200, [HL_SPOT_META, [HL_SPOT_CTX]]
    if kind == "metaAndAssetCtxs":
        return 200, HL_META_AND_CTXS
    if kind == "perpDexs":
        return 200, [None]
    if kind == "candleSnapshot":
        req = body["req"]
        step = STEPS[req["interval"]]
        times = _bars(int(req["startTime"]), int(req.get("endTime") or _now()), step, fx.holes)[-5000:]
        out = []
        for t in times:
            o, h, low, c, v = candle("hyperliquid", "trade", t, step)
            out.append({"t": t, "T": t + step - 1, "s": req["coin"], "i": req["interval"], "o": str(o),
                        "c": str(c), "h": str(h), "l": str(low), "v": str(v), "n": 100})
        return 200, out
    if kind == "fundingHistory":
        times = funding_times("hyperliquid", int(body["startTime"]), int(body.get("endTime") or _now()))[:500]
        return 200, [{"coin": body["coin"], "fundingRate": f"{funding_rate('hyperliquid', t)}",
                      "premium": "0.0001", "time": t} for t in times]
    return 422, {"error": "Failed to deserialize the JSON body into the target type"}


DVOL_RES = {"1": 1000, "60": 60_000, "3600": HOUR, "43200": 12 * HOUR, "1D": 24 * HOUR}
def _deribit_envelope(result):
    us = _now() * 1000
    return 200, {"jsonrpc": "2.0", "result": result, "usIn": us, "usOut": us + 300, "usDiff": 300,
                 "testnet": False}


def _deribit(fx, method, q):
    if method == "get_currencies":
        return _deribit_envelope(DERIBIT_CURRENCIES)
    if method == "get_instruments":
        return _deribit_envelope(DERIBIT_INSTRUMENTS)
    if method == "get_volatility_index_data":
        res = DVOL_RES[q["resolution"]]
        start, end = int(q["start_timestamp"]), int(q["end_timestamp"])
        times = _bars(start, end, res)
        page = times[-fx.dvol_page:]  # newest page first; older ones through `continuation`
        cont = page[0] if len(times) > fx.dvol_page else None
        return _deribit_envelope({"data": [[t, *dvol_candle(t, res)] for t in page], "continuation": cont})
    if method == "get_last_trades_by_currency_and_time":
        count = min(int(q.get("count", 10)), fx.trade_page)
        trades = [t for t in option_trades(int(q["start_timestamp"]), int(q["end_timestamp"]))
                  if t["instrument_name"].startswith(q["currency"] + "-")]
        if q.get("sorting") == "desc":
            trades = trades[::-1]
        return _deribit_envelope({"trades": trades[:count], "has_more": len(trades) > count})
    return 400, {"jsonrpc": "2.0", "error": {"message": "Method not found", "code": -32601}}
