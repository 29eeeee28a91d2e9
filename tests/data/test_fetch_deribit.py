"""Deribit through ccxt's implicit API: DVOL (get_volatility_index_data) and option trades -> IV table.

Expected values come from the fake server's generators (``dvol_candle``, ``option_trades``), the
independent source of what the server sent.
"""
import math
from collections import defaultdict

import ccxt
import numpy as np
import pandas as pd

from hedgelab.data.fetch import fetch, point_at
from testkit.fake_exchange import _expiry_name, dvol_candle, option_trades
from testkit.fetch_fixtures import HOUR, fx, ms, no_network  # noqa: F401  (fixtures)


def test_dvol_is_close_over_100_known_at_candle_close_and_follows_continuation(fx, tmp_path):
    fx.dvol_page = 300  # force backward paging through `continuation` inside each 1000-candle window
    start, end = "2025-09-01", "2025-10-18"  # Sep 1 to Oct 18 inclusive: 30 + 18 = 48 days = 1152 hourly candles
    ds = fetch("dv", "binance", start=start, end=end, timeframe="1h", store=tmp_path, quiet=True,
               api_urls=fx.url)
    opens = ms(start) + HOUR * np.arange(1152)
    # DVOL is percent: atm_iv = close / 100, stamped when the candle closes (open + 1 h)
    assert list(ds.iv.index.asi8 // 1_000_000) == list(opens + HOUR)
    np.testing.assert_allclose(ds.iv["atm_iv"].to_numpy(), [dvol_candle(int(t), HOUR)[3] / 100 for t in opens],
                               rtol=0, atol=1e-12)
    assert ds.manifest["iv_fill"] is None  # DVOL covers every bar
    calls = fx.calls("get_volatility_index_data")
    # windows of 1000 candles: the first holds 1000 -> pages of 300, 300, 300, 100 (4 requests);
    # the second holds 152 -> 1 request
    assert len(calls) == 5
    assert all(c["query"]["resolution"] == "3600" and c["query"]["currency"] == "BTC" for c in calls)
    # each continuation request asks strictly older data than the page before
    first_window = [int(c["query"]["end_timestamp"]) for c in calls[:4]]
    assert first_window == sorted(first_window, reverse=True) and len(set(first_window)) == 4


def test_no_dvol_leaves_iv_empty_and_asks_deribit_nothing(fx, tmp_path):
    ds = fetch("nd", "bybit", start="2025-09-01", end="2025-09-03", dvol=False, store=tmp_path, quiet=True,
               api_urls=fx.url)
    assert len(ds.iv) == 0
    assert fx.calls("/api/v2/public/") == []


def test_option_trades_become_iv_per_bar_expiry_and_strike(fx, tmp_path):
    fx.trade_page = 50  # several has_more pages, with two trades sharing a millisecond every 5th trade
    start, end = "2025-09-01", "2025-09-01"  # --end inclusive: the whole of Sep 1
    fetch("op", "binance", start=start, end=end, dvol=False, options=True, store=tmp_path, quiet=True,
          api_urls=fx.url)
    served = option_trades(ms(start), ms("2025-09-02") - 1)
    # the cache holds every served trade exactly once (ties at a page edge are neither lost nor doubled)
    cached = pd.concat([pd.read_parquet(p) for p in (tmp_path / ".fetch" / "op").glob(
        "deribit-BTC-option-trades/*.parquet")])
    assert sorted(cached["trade_id"]) == sorted(t["trade_id"] for t in served)
    assert len(fx.calls("get_last_trades_by_currency_and_time")) >= math.ceil(len(served) / 50)
    assert all(c["query"]["kind"] == "option" and c["query"]["sorting"] == "asc"
               for c in fx.calls("get_last_trades_by_currency_and_time"))

    # independent aggregation from the generator: amount-weighted IV (decimal) per bar close, expiry, strike, type
    groups = defaultdict(lambda: [0.0, 0.0, 0])
    for t in served:
        _, _, strike, cp = t["instrument_name"].split("-")
        key = (t["timestamp"] // HOUR * HOUR + HOUR, _expiry_name(t["timestamp"])[1], float(strike),
               "call" if cp == "C" else "put")
        g = groups[key]
        g[0] += t["iv"] / 100 * t["amount"]
        g[1] += t["amount"]
        g[2] += 1
    table = pd.read_parquet(tmp_path / "op" / "option_iv.parquet")
    got = {(int(i.value // 1_000_000), int(r.expiry.value // 1_000_000), r.strike, r.option_type):
           (r.iv, r.amount, r.trades) for i, r in zip(table.index, table.itertuples())}
    assert set(got) == set(groups)
    for key, (w, amount, n) in groups.items():
        iv, got_amount, got_n = got[key]
        assert math.isclose(iv, w / amount, rel_tol=1e-12) and math.isclose(got_amount, amount) and got_n == n


def test_fake_deribit_markets_load_in_ccxt(fx):
    """The fake answers the two calls ccxt's deribit load_markets makes (get_currencies, get_instruments)."""
    ex = ccxt.deribit({"enableRateLimit": False})
    point_at(ex, fx.url)
    ex.load_markets()
    assert {"BTC/USD:BTC", "BTC/USD:BTC-250131-100000-C"} <= set(ex.markets)
    assert [r["path"] for r in fx.requests] == ["/api/v2/public/get_currencies", "/api/v2/public/get_instruments"]
