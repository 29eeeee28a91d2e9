"""``hedgelab data fetch`` of several symbols into one dataset of several coins (issue 20, Data), against
the local fake exchange (tests/support/testkit/fake_exchange.py, which lists ETHUSDT and SOLUSDT beside
BTCUSDT when a test asks it to). Expected values come from the fake's generators (``candle``,
``symbol_candle``, ``funding_times``, ``symbol_funding_rate``, ``dvol_candle``), not from the code under test.
"""
import numpy as np
import pytest

from hedgelab.core.errors import UserError
from hedgelab.data import align_coins
from hedgelab.data.fetch import FetchError, fetch
from hedgelab.data.store import list_datasets, read_dataset
from testkit.cli import invoke
from testkit.fake_exchange import (HOUR, dvol_candle, funding_times, symbol_candle, symbol_funding_mark,
                                   symbol_funding_rate)
from testkit.fetch_fixtures import Sleeps, fx, ms, no_network  # noqa: F401  (fixtures)

SYMBOLS = {"BTC": "BTC/USDT:USDT", "ETH": "ETH/USDT:USDT", "SOL": "SOL/USDT:USDT"}
IDS = {"BTC": "BTCUSDT", "ETH": "ETHUSDT", "SOL": "SOLUSDT"}


@pytest.fixture
def fx2(fx):
    fx.extra_symbols = ["ETHUSDT", "SOLUSDT"]
    return fx


def args(store, fx, *extra, name="c"):
    return ["data", "fetch", name, "--venue", "binance", "--start", "2025-09-01", "--end", "2025-09-03",
            "--store", str(store), "--api-url", fx.url, *extra]


def expected_bars(coin, start, n):
    times = ms(start) + HOUR * np.arange(n)
    return times, {k: np.array([symbol_candle(IDS[coin], "binance", k, int(t), HOUR) for t in times])
                   for k in ("trade", "mark", "index")}


def assert_coin(ds, coin, start, n):
    times, exp = expected_bars(coin, start, n)
    one = ds.coin(coin)
    assert one.manifest["symbol"] == SYMBOLS[coin]
    assert list(one.bars.index.asi8 // 1_000_000) == list(times)
    np.testing.assert_array_equal(one.bars[["open", "high", "low", "close", "volume"]].to_numpy(), exp["trade"])
    np.testing.assert_array_equal(one.bars[["mark_open", "mark_high", "mark_low", "mark_close"]].to_numpy(),
                                  exp["mark"][:, :4])
    np.testing.assert_array_equal(one.bars[["index_open", "index_high", "index_low", "index_close"]].to_numpy(),
                                  exp["index"][:, :4])
    settle = funding_times("binance", int(times[0]), int(times[-1]) + HOUR - 1)
    assert list(one.funding.index.asi8 // 1_000_000) == settle
    np.testing.assert_array_equal(one.funding["rate"].to_numpy(),
                                  [symbol_funding_rate(IDS[coin], "binance", t) for t in settle])
    np.testing.assert_array_equal(one.funding["mark_price"].to_numpy(),
                                  [symbol_funding_mark(IDS[coin], "binance", t) for t in settle])


def test_two_symbols_are_fetched_into_one_dataset_on_one_grid(fx2, tmp_path, capsys):
    rc, out, err = invoke(args(tmp_path, fx2, "--symbol", SYMBOLS["BTC"], "--symbol", SYMBOLS["ETH"], "--quiet"), capsys)
    assert rc == 0, err
    # Sep 1..3 inclusive: 72 hourly bars; funding every 8 h: 9; DVOL (BTC and ETH have one): one print an hour
    assert out.splitlines()[:2] == [
        "c: binance BTC/USDT:USDT 1h bars 2025-09-01T00:00:00Z .. 2025-09-03T23:00:00Z: 72 bars, 9 funding, 72 IV prints",
        "  and ETH: ETH/USDT:USDT: 72 bars, 9 funding, 72 IV prints"]
    ds = read_dataset("c", tmp_path)
    assert ds.coin_names == ("BTC", "ETH")
    assert_coin(ds, "BTC", "2025-09-01", 72)
    assert_coin(ds, "ETH", "2025-09-01", 72)
    # ETH's bars are ETH's own: its own klines were asked for, and its prices are nowhere near BTC's
    for path in ("/fapi/v1/klines", "/fapi/v1/markPriceKlines"):
        assert {r["query"]["symbol"] for r in fx2.calls(path)} == {"BTCUSDT", "ETHUSDT"}
    assert {r["query"]["pair"] for r in fx2.calls("/fapi/v1/indexPriceKlines")} == {"BTCUSDT", "ETHUSDT"}
    assert ds.coins["ETH"].bars["close"].max() < ds.bars["close"].min() / 10
    # DVOL per currency: ETH's IV from Deribit's ETH index, stamped at the candle close
    assert {r["query"]["currency"] for r in fx2.calls("get_volatility_index_data")} == {"BTC", "ETH"}
    iv = ds.coins["ETH"].iv
    opens = ms("2025-09-01") + HOUR * np.arange(72)
    assert list(iv.index.asi8 // 1_000_000) == list(opens + HOUR)
    np.testing.assert_allclose(iv["atm_iv"].to_numpy(), [dvol_candle(int(t), HOUR)[3] / 100 for t in opens])
    # per-coin provenance names the coin's own symbol
    assert "ETH/USDT:USDT" in ds.coins["ETH"].manifest["provenance"]["open high low close volume"]
    arrays = align_coins(ds, ["BTC", "ETH"])
    np.testing.assert_array_equal(arrays["BTC"].time_ns, arrays["ETH"].time_ns)


def test_a_comma_list_and_a_coin_without_dvol(fx2, tmp_path, capsys):
    rc, out, err = invoke(args(tmp_path, fx2, "--symbol", f"{SYMBOLS['ETH']},{SYMBOLS['SOL']}", "--quiet"), capsys)
    assert rc == 0, err
    ds = read_dataset("c", tmp_path)
    assert ds.coin_names == ("ETH", "SOL") and ds.manifest["symbol"] == SYMBOLS["ETH"]
    assert_coin(ds, "SOL", "2025-09-01", 72)
    assert len(ds.coins["SOL"].iv) == 0
    assert "Deribit publishes no DVOL for SOL: iv is empty" in ds.coins["SOL"].manifest["notes"]
    assert {r["query"]["currency"] for r in fx2.calls("get_volatility_index_data")} == {"ETH"}


def test_progress_bars_name_each_coin(fx2, tmp_path, capsys):
    rc, out, err = invoke(args(tmp_path, fx2, "--symbol", f"{SYMBOLS['BTC']},{SYMBOLS['ETH']}", "--no-dvol"), capsys)
    assert rc == 0
    for label in ("binance BTC trade", "binance ETH trade", "binance ETH mark", "binance ETH index",
                  "binance ETH funding"):
        assert label in err
    assert "72/72" in err


def test_show_after_a_fetch_lists_each_coins_coverage(fx2, tmp_path, capsys):
    rc, _, err = invoke(args(tmp_path, fx2, "--symbol", ",".join(SYMBOLS.values()), "--quiet"), capsys)
    assert rc == 0, err
    rc, out, err = invoke(["data", "show", "c", "--store", str(tmp_path)], capsys)
    assert rc == 0, err
    rows = {}
    for line in out.splitlines():
        f = line.split()
        if f and f[0] in SYMBOLS and len(f) == 10:
            rows[f[0]] = f
    # 72 bars from Sep 1 00:00 to Sep 3 23:00; 9 settlements due and present; DVOL for BTC and ETH only
    n_settle = len(funding_times("binance", ms("2025-09-01"), ms("2025-09-04") - 1))
    for coin, iv in (("BTC", 72), ("ETH", 72), ("SOL", 0)):
        assert rows[coin] == [coin, SYMBOLS[coin], "2025-09-01T00:00:00Z", "2025-09-03T23:00:00Z", "72", "0", "(0)",
                              str(n_settle), "0", str(iv)]
    rc, out, err = invoke(["data", "list", "--store", str(tmp_path)], capsys)
    assert next(x for x in out.splitlines() if x.startswith("c ")).endswith("3 coins (BTC, ETH, SOL)")


def test_an_interrupted_fetch_of_two_coins_resumes_where_it_stopped(fx2, tmp_path):
    # Sep 1 .. Nov 29 inclusive = 90 days = 2160 bars: 3 pages of 1000 per kline series and symbol. BTC's
    # series are fetched first; then every ETH request after ETH's first traded page drops the connection.
    fx2.add_fault("symbol=ETHUSDT", kind="drop", times=-1, after=1)
    kw = dict(symbol=[SYMBOLS["BTC"], SYMBOLS["ETH"]], start="2025-09-01", end="2025-11-29", store=tmp_path,
              quiet=True, api_urls=fx2.url, dvol=False)
    with pytest.raises(FetchError, match="run the same command again to resume"):
        fetch("r", "binance", retries=1, backoff=0.5, sleep=Sleeps(), **kw)
    assert list_datasets(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == [".fetch"]
    traded = [r["query"]["symbol"] for r in fx2.calls("/fapi/v1/klines")]
    assert traded == ["BTCUSDT"] * 3 + ["ETHUSDT"] * (1 + 2)   # ETH: one good page, then 1 try + 1 retry
    fx2.clear()
    ds = fetch("r", "binance", **kw)
    # BTC's series were complete: not asked again; ETH's traded klines resume after their first page
    assert {r["query"]["symbol"] for r in fx2.calls("/fapi/v1/klines")} == {"ETHUSDT"}
    assert [int(r["query"]["startTime"]) for r in fx2.calls("/fapi/v1/klines")] == \
        [ms("2025-09-01") + 1000 * HOUR, ms("2025-09-01") + 2000 * HOUR]
    assert_coin(ds, "BTC", "2025-09-01", 2160)
    assert_coin(ds, "ETH", "2025-09-01", 2160)


def test_an_update_fetches_the_coins_held_and_can_add_one(fx2, tmp_path):
    fetch("u", "binance", symbol=SYMBOLS["BTC"], start="2025-09-01", end="2025-09-02", store=tmp_path, quiet=True,
          api_urls=fx2.url, dvol=False)
    # add ETH: fetched over the dataset's whole range, BTC only for the new day
    fx2.clear()
    ds = fetch("u", "binance", symbol=[SYMBOLS["BTC"], SYMBOLS["ETH"]], end="2025-09-03", store=tmp_path, quiet=True,
               api_urls=fx2.url, dvol=False)
    starts = {(r["query"]["symbol"], int(r["query"]["startTime"])) for r in fx2.calls("/fapi/v1/klines")}
    assert starts == {("BTCUSDT", ms("2025-09-03")), ("ETHUSDT", ms("2025-09-01"))}
    assert_coin(ds, "BTC", "2025-09-01", 72)
    assert_coin(ds, "ETH", "2025-09-01", 72)
    # no --symbol: the coins held, only the new range
    fx2.clear()
    ds = fetch("u", "binance", end="2025-09-04", store=tmp_path, quiet=True, api_urls=fx2.url, dvol=False)
    assert ds.coin_names == ("BTC", "ETH")
    assert {(r["query"]["symbol"], int(r["query"]["startTime"])) for r in fx2.calls("/fapi/v1/klines")} == \
        {("BTCUSDT", ms("2025-09-04")), ("ETHUSDT", ms("2025-09-04"))}
    # leaving a held coin out is refused: the update would drop its data
    with pytest.raises(UserError, match=r"dataset 'u' holds BTC/USDT:USDT, ETH/USDT:USDT; --symbol BTC/USDT:USDT "
                                        r"leaves out ETH/USDT:USDT"):
        fetch("u", "binance", symbol=SYMBOLS["BTC"], end="2025-09-04", store=tmp_path, quiet=True, api_urls=fx2.url)


def test_a_coin_listed_later_is_off_the_grid(fx2, tmp_path, capsys):
    fx2.listed["SOLUSDT"] = ms("2025-09-01 10:00")
    rc, out, err = invoke(args(tmp_path, fx2, "--symbol", f"{SYMBOLS['BTC']},{SYMBOLS['SOL']}", "--quiet"), capsys)
    assert rc == 2
    assert err.splitlines() == [
        "error: --symbol SOL/USDT:USDT: its first bar opens at 2025-09-01T10:00:00Z, the primary's (BTC/USDT:USDT) "
        "at 2025-09-01T00:00:00Z; every coin must be on the primary's bar grid: fetch from --start "
        "2025-09-01T10:00:00Z so that every coin has bars"]
    assert list_datasets(tmp_path) == []
    # from the --start it names, the same symbols are one dataset
    rc, out, err = invoke(["data", "fetch", "c", "--venue", "binance", "--start", "2025-09-01T10:00:00Z", "--end",
                           "2025-09-03", "--store", str(tmp_path), "--api-url", fx2.url, "--quiet",
                           "--symbol", f"{SYMBOLS['BTC']},{SYMBOLS['SOL']}"], capsys)
    assert rc == 0, err
    assert_coin(read_dataset("c", tmp_path), "SOL", "2025-09-01 10:00", 62)


@pytest.mark.parametrize("symbols, message", [
    ([SYMBOLS["ETH"], SYMBOLS["ETH"]], "error: --symbol ETH/USDT:USDT: coin ETH is given twice (also --symbol "
                                       "ETH/USDT:USDT)"),
    ([f"{SYMBOLS['BTC']},BTC/USDC:USDC"], "error: --symbol BTC/USDC:USDC: coin BTC is given twice (also --symbol "
                                          "BTC/USDT:USDT)"),
    ([SYMBOLS["BTC"], "DOGE/USDT:USDT"], "error: --symbol 'DOGE/USDT:USDT' is not a perpetual on binance (e.g. "
                                         "BTC/USDT:USDT, ETH/USDT:USDT, SOL/USDT:USDT)"),
])
def test_bad_symbols_one_line_exit_2_nothing_written(fx2, tmp_path, capsys, symbols, message):
    argv = args(tmp_path, fx2, "--quiet")
    for s in symbols:
        argv += ["--symbol", s]
    rc, out, err = invoke(argv, capsys)
    assert rc == 2
    assert err.splitlines() == [message]
    assert list_datasets(tmp_path) == [] and not (tmp_path / ".fetch").exists()
    assert not fx2.calls("klines")   # refused before any download
