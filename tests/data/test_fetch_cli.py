"""``hedgelab data fetch`` on the command line: summary, progress bars, --quiet, one-line errors."""
import pandas as pd
import pytest

from hedgelab.data.store import list_datasets, read_dataset
from testkit.cli import invoke as run
from testkit.fetch_fixtures import fx, no_network  # noqa: F401  (fixtures; also registers the command)


def base(store, *extra):
    return ["data", "fetch", "c", "--venue", "binance", "--start", "2025-09-01", "--end", "2025-09-03",
            "--store", str(store), *extra]


def test_fetch_prints_a_summary_and_quiet_hides_progress(fx, tmp_path, capsys):
    rc, out, err = run(base(tmp_path, "--quiet", "--api-url", fx.url), capsys)
    assert rc == 0 and err == ""
    # --end is inclusive: Sep 1, 2 and 3 are 3 days of 1h bars = 72, the last opening at 23:00 on Sep 3;
    # funding every 8 h = 3 a day = 9; one DVOL print per hour = 72
    assert out.splitlines()[0] == ("c: binance BTC/USDT:USDT 1h bars 2025-09-01T00:00:00Z .. 2025-09-03T23:00:00Z: "
                                   "72 bars, 9 funding, 72 IV prints")
    assert len(read_dataset("c", tmp_path).bars) == 72


def test_progress_bars_go_to_stderr_without_quiet(fx, tmp_path, capsys):
    rc, out, err = run(base(tmp_path, "--api-url", fx.url), capsys)
    assert rc == 0
    for label in ("binance trade", "binance mark", "binance index", "binance funding", "deribit dvol"):
        assert label in err
    assert "72/72" in err  # hours of data covered (Sep 1-3 inclusive), the bar's unit


def test_api_url_from_the_environment(fx, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HEDGELAB_CCXT_URLS", f"binanceusdm={fx.url},deribit={fx.url}")
    rc, out, err = run(base(tmp_path, "--quiet", "--no-dvol"), capsys)
    assert rc == 0, err
    assert fx.calls("/fapi/v1/exchangeInfo") and not fx.calls("/api/v2/public/")


def test_hyperliquid_summary_states_the_proxies(fx, tmp_path, capsys):
    rc, out, err = run(["data", "fetch", "h", "--venue", "hyperliquid", "--start", "2025-09-01", "--end",
                        "2025-09-02", "--store", str(tmp_path), "--quiet", "--no-dvol", "--api-url", fx.url], capsys)
    assert rc == 0, err
    assert "BTC/USDC:USDC" in out
    assert "proxy mark: mark = traded OHLC (hyperliquid has no mark-price klines)" in out
    assert "proxy index: index = traded OHLC (hyperliquid has no index-price klines)" in out


@pytest.mark.parametrize("args, message", [
    (["--venue", "kraken", "--start", "2025-09-01"],
     "error: --venue 'kraken' is not supported; choose one of binance, bybit, hyperliquid"),
    (["--venue", "binance", "--start", "2025-09-03", "--end", "2025-09-01"],
     "error: --start 2025-09-03 is after --end 2025-09-01 (--end is the last bar, inclusive)"),
    (["--venue", "binance", "--start", "2025-09-01T12:00Z", "--end", "2025-09-01T11:00Z"],
     "error: --start 2025-09-01T12:00Z is after --end 2025-09-01T11:00Z (--end is the last bar, inclusive)"),
    (["--venue", "binance", "--start", "yesterday-ish"],
     "error: --start 'yesterday-ish' is not a date or time (use ISO-8601, e.g. 2025-09-01 or 2025-09-01T12:00Z)"),
    (["--venue", "binance", "--start", "2025-09-01", "--timeframe", "7x"],
     "error: --timeframe '7x' is not a bar size such as 1m, 5m, 1h or 1d"),
    (["--venue", "binance", "--end", "2025-09-03"], "error: --start is required for a new dataset"),
    (["--venue", "binance", "--start", "2025-09-01", "--api-url", "nonsense"],
     "error: --api-url: 'nonsense' is not a base URL such as http://127.0.0.1:8000"),
])
def test_bad_arguments_exit_2_with_one_line(no_network, tmp_path, capsys, args, message):
    rc, out, err = run(["data", "fetch", "bad", "--store", str(tmp_path), *args], capsys)
    assert rc == 2
    assert err.splitlines() == [message]
    assert list_datasets(tmp_path) == [] and not (tmp_path / ".fetch").exists()


def test_unknown_symbol_exits_2_naming_the_venue_perps(fx, tmp_path, capsys):
    rc, out, err = run(base(tmp_path, "--symbol", "DOGE/USDT:USDT", "--api-url", fx.url), capsys)
    assert rc == 2
    assert err.splitlines() == ["error: --symbol 'DOGE/USDT:USDT' is not a perpetual on binance "
                                "(e.g. BTC/USDT:USDT)"]
    assert list_datasets(tmp_path) == []


def test_fetch_is_listed_under_data_and_the_test_url_option_is_hidden(capsys):
    rc, out, err = run(["data", "fetch", "--help"], capsys)
    assert rc == 0
    for option in ("--venue", "--symbol", "--start", "--end", "--timeframe", "--dvol / --no-dvol",
                   "--options / --no-options", "--store", "--quiet"):
        assert option in out
    assert "--api-url" not in out
    assert "inclusive" in " ".join(out.split())  # --end's help says the last bar is included
    from hedgelab.data.validate import MAX_FILL_BARS
    assert "--fill-gaps" in out and f"longer than {MAX_FILL_BARS} bars" in " ".join(out.split())


def test_wrong_quote_on_hyperliquid_suggests_its_own_perp(fx, tmp_path, capsys):
    rc, out, err = run(["data", "fetch", "h", "--venue", "hyperliquid", "--symbol", "BTC/USDT:USDT", "--start",
                        "2025-09-01", "--store", str(tmp_path), "--api-url", fx.url], capsys)
    assert rc == 2
    assert err.splitlines() == ["error: --symbol 'BTC/USDT:USDT' is not a perpetual on hyperliquid "
                                "(e.g. BTC/USDC:USDC)"]


def test_range_with_no_candles_exits_2_and_writes_nothing(fx, tmp_path, capsys):
    # the fake lists nothing before 2020-01-01 (fake_exchange.LISTED_MS)
    rc, out, err = run(["data", "fetch", "old", "--venue", "bybit", "--start", "2019-01-01", "--end", "2019-01-03",
                        "--store", str(tmp_path), "--quiet", "--no-dvol", "--api-url", fx.url], capsys)
    assert rc == 2
    # --end 2019-01-03 takes the whole of Jan 3: the range ends (exclusive) at Jan 4 00:00
    assert err.splitlines() == ["error: bybit: no traded bars between 2019-01-01 00:00:00+00:00 and "
                                "2019-01-04 00:00:00+00:00 (check --symbol, --start and --end)"]
    assert list_datasets(tmp_path) == []


def test_short_q_is_quiet_as_in_the_backtest_commands(fx, tmp_path, capsys):
    rc, out, err = run(base(tmp_path, "-q", "--no-dvol", "--api-url", fx.url), capsys)
    assert rc == 0 and err == ""


@pytest.mark.parametrize("end, bars, last", [
    ("2025-09-01", 24, "2025-09-01T23:00:00Z"),          # a date: the whole day, 24 1h bars
    ("2025-09-01T05:00Z", 6, "2025-09-01T05:00:00Z"),    # an instant: the bar open at it is the last (00..05)
    ("2025-09-01T05:30", 6, "2025-09-01T05:00:00Z"),     # inside a bar: that bar, as run's --end takes it
])
def test_end_is_the_last_bar_inclusive_like_run(fx, tmp_path, capsys, end, bars, last):
    rc, out, err = run(["data", "fetch", "e", "--venue", "binance", "--start", "2025-09-01", "--end", end,
                        "--store", str(tmp_path), "--quiet", "--no-dvol", "--api-url", fx.url], capsys)
    assert rc == 0, err
    ds = read_dataset("e", tmp_path)
    assert len(ds.bars) == bars and ds.bars.index[-1] == pd.Timestamp(last)
    # run/compare/sweep slice with the same --end and keep every fetched bar
    from hedgelab.data.align import slice_bars
    assert len(slice_bars(ds, "2025-09-01", end)) == bars
