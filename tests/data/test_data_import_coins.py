"""``hedgelab data import`` of several coins in one call (issue 20, Data): ``--prices SYMBOL=FILE``
repeated (the first the primary), ``--funding/--iv/--index COIN=FILE``; ``data show`` and ``data list``
on the result; the bad cases, each one line, exit 2, nothing in the store.

The inputs are the real Binance files in ../shared/data/crisis-2025-alts (read where they are, never
copied into the project): USDⓈ-M perp 1h for ETH and XRP from 2025-09-13 08:00 UTC, SOL's 1h from an hour
later (a real coin off the grid), perp 5m for the whole window, ETH/SOL funding every 8 h, spot 1h. Every
expected number is read from those CSVs in this file with pandas, by timestamp, independently of the
importer.
"""
import numpy as np
import pandas as pd
import pytest
from testkit.alts import ALTS, require_alts
from testkit.cli import invoke

from hedgelab.data import align_coins, import_files, load
from hedgelab.data.store import list_datasets

PERP_1H = {c: ALTS / f"binance_perp_{c}USDT_1h.csv" for c in ("ETH", "XRP", "SOL")}
PERP_5M = {c: ALTS / f"binance_perp_{c}USDT_5m.csv" for c in ("ETH", "XRP", "SOL")}
SPOT_1H = {c: ALTS / f"binance_spot_{c}USDT_1h.csv" for c in ("ETH", "XRP", "SOL")}
FUNDING = {c: ALTS / f"binance_perp_{c}USDT_funding_8h.csv" for c in ("ETH", "SOL")}
WINDOW = ("2025-10-10 18:00", "2025-10-11 02:00")    # the crash, 1h bars: 9 bars


@pytest.fixture(autouse=True)
def _alts():
    require_alts()


def csv_bars(path) -> pd.DataFrame:
    """A bar file as the test reads it: indexed by its open_time_utc strings parsed as UTC."""
    df = pd.read_csv(path)
    df.index = pd.DatetimeIndex(pd.to_datetime(df["open_time_utc"], utc=True), name="time")
    return df


def csv_funding(path) -> pd.Series:
    """Settled rates by settlement hour (Binance's calc times are 0-15 ms past the hour)."""
    df = pd.read_csv(path)
    t = pd.DatetimeIndex(pd.to_datetime(df["calc_time_utc"], utc=True, format="ISO8601")).floor("1h")
    return pd.Series(df["funding_rate"].to_numpy(float), index=t)


def import_args(store, *extra, name="alts"):
    return ["data", "import", name, *extra, "--store", str(store)]


def test_two_coins_on_the_1h_grid_with_funding_and_spot_index(tmp_path, capsys):
    store = tmp_path / "store"
    rc, out, err = invoke(import_args(
        store, "--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_1H['XRP']}",
        "--funding", f"ETH={FUNDING['ETH']}", "--index", f"ETH={SPOT_1H['ETH']}", "--index", f"XRP={SPOT_1H['XRP']}"),
        capsys)
    assert rc == 0, err
    eth, xrp = csv_bars(PERP_1H["ETH"]), csv_bars(PERP_1H["XRP"])
    assert out.splitlines()[0].startswith(f"imported alts: 2 coins (ETH, XRP) on {len(eth)} x 1h bars "
                                          "opening 2025-09-13T08:00:00Z .. 2025-11-30T23:00:00Z")

    ds = load("alts", store)
    assert ds.coin_names == ("ETH", "XRP")
    assert ds.manifest["symbol"] == "ETHUSDT" and ds.coins["XRP"].manifest["symbol"] == "XRPUSDT"
    assert len(ds.bars) == len(eth) == len(ds.coins["XRP"].bars) == len(xrp)
    # provenance per coin: each names its own files
    prov_eth, prov_xrp = ds.manifest["provenance"], ds.coins["XRP"].manifest["provenance"]
    assert str(PERP_1H["ETH"]) in prov_eth["close"] and str(SPOT_1H["ETH"]) in prov_eth["index_close"]
    assert str(FUNDING["ETH"]) in prov_eth["funding.rate"]
    assert str(PERP_1H["XRP"]) in prov_xrp["close"] and str(SPOT_1H["XRP"]) in prov_xrp["index_close"]
    assert "funding.rate" not in prov_xrp
    assert ds.coins["XRP"].manifest["proxies"] == {"mark": "mark = traded OHLC (no mark series; the index is the "
                                                           "--index file)"}

    arrays = align_coins(ds, ["ETH", "XRP"], *WINDOW)
    t = pd.date_range(*WINDOW, freq="1h", tz="UTC")
    assert list(arrays) == ["ETH", "XRP"] and len(t) == 9
    for coin, perp in (("ETH", eth), ("XRP", xrp)):
        a = arrays[coin]
        spot = csv_bars(SPOT_1H[coin])
        np.testing.assert_array_equal(a.time_ns, t.as_unit("ns").asi8)
        for col in ("open", "high", "low", "close", "volume"):
            np.testing.assert_array_equal(getattr(a, col), perp.loc[t, col].to_numpy(float), err_msg=f"{coin} {col}")
        for col in ("open", "high", "low", "close"):
            np.testing.assert_array_equal(getattr(a, "mark_" + col), perp.loc[t, col].to_numpy(float))
            np.testing.assert_array_equal(getattr(a, "index_" + col), spot.loc[t, col].to_numpy(float))
    # ETH's settlements at 00:00 Oct 11 (and none at the other bars); XRP has no funding file
    rates = csv_funding(FUNDING["ETH"])
    settle = t.isin(rates.index)
    assert list(t[settle]) == [pd.Timestamp("2025-10-11 00:00", tz="UTC")]
    np.testing.assert_array_equal(arrays["ETH"].funding_rate[settle], rates.loc[t[settle]].to_numpy())
    assert np.isnan(arrays["ETH"].funding_rate[~settle]).all() and np.isnan(arrays["XRP"].funding_rate).all()
    # the crash's lowest 1h low of each coin, and its bar, as the files have them
    for coin, perp in (("ETH", eth), ("XRP", xrp)):
        lows = perp.loc[t, "low"]
        assert arrays[coin].low.min() == lows.min()
        assert arrays[coin].time_ns[np.argmin(arrays[coin].low)] == lows.idxmin().value


def test_three_coins_of_5m_bars_share_the_whole_window(tmp_path):
    ds = import_files("five", {"ETHUSDT": PERP_5M["ETH"], "SOLUSDT": PERP_5M["SOL"], "XRPUSDT": PERP_5M["XRP"]},
                      funding={"SOL": FUNDING["SOL"], "ETHUSDT": FUNDING["ETH"]}, store=tmp_path / "s")
    assert ds.coin_names == ("ETH", "SOL", "XRP")
    back = load("five", tmp_path / "s")
    frames = {c: csv_bars(PERP_5M[c]) for c in ("ETH", "SOL", "XRP")}
    assert {len(f) for f in frames.values()} == {len(back.bars)}   # 26208 each (SOURCES.md)
    start, end = "2025-10-10 20:00", "2025-10-10 21:55"
    arrays = align_coins(back, ["XRP", "ETH", "SOL"], start, end)
    assert list(arrays) == ["XRP", "ETH", "SOL"]
    for coin, a in arrays.items():
        f = frames[coin].loc[start:end]
        assert len(a.time_ns) == len(f) == 24
        np.testing.assert_array_equal(a.time_ns, f.index.as_unit("ns").asi8)
        np.testing.assert_array_equal(a.low, f["low"].to_numpy(float))
        np.testing.assert_array_equal(a.close, f["close"].to_numpy(float))
        # the crash's low and its bar, from the file
        assert a.low.min() == f["low"].min()
        assert a.time_ns[np.argmin(a.low)] == f["low"].idxmin().value
    # SOL's Oct 11 00:00 settlement (-0.30 %) on the 5m grid
    sol = align_coins(back, "SOL", "2025-10-10 23:55", "2025-10-11 00:05")["SOL"]
    assert sol.funding_rate[1] == csv_funding(FUNDING["SOL"]).loc["2025-10-11 00:00"]
    assert np.isnan(sol.funding_rate[[0, 2]]).all()


def _table(out: str) -> dict:
    """data show's coverage rows: coin -> its fields."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("coins:"))
    rows = {}
    for line in lines[head + 2:]:
        if not line.startswith("           ") or line.startswith("            "):
            break
        f = line.split()
        rows[f[0]] = f
    return rows


def test_show_lists_each_coins_coverage_and_list_counts_the_coins(tmp_path, capsys):
    store = tmp_path / "store"
    rc, _, err = invoke(import_args(store, "--prices", f"ETHUSDT={PERP_1H['ETH']}",
                                    "--prices", f"XRPUSDT={PERP_1H['XRP']}", "--funding", f"ETH={FUNDING['ETH']}"),
                        capsys)
    assert rc == 0, err
    rc, out, err = invoke(["data", "show", "alts", "--store", str(store)], capsys)
    assert rc == 0, err
    rows = _table(out)
    assert list(rows) == ["ETH", "XRP"]
    rates = csv_funding(FUNDING["ETH"])
    for coin in ("ETH", "XRP"):
        bars = csv_bars(PERP_1H[coin])
        first, last = bars.index[0], bars.index[-1]
        f = rows[coin]
        assert f[1] == f"{coin}USDT"
        assert f[2] == f"{first:%Y-%m-%dT%H:%M:%SZ}" and f[3] == f"{last:%Y-%m-%dT%H:%M:%SZ}"
        assert int(f[4]) == len(bars)
        assert f[5:7] == ["0", "(0)"]                        # the files have no gaps (SOURCES.md)
        if coin == "ETH":
            present = rates[(rates.index >= first) & (rates.index <= last)]
            due = pd.date_range(first.ceil("8h"), last, freq="8h")
            assert int(f[7]) == len(present) and int(f[8]) == len(due.difference(present.index))
        else:
            assert f[7:9] == ["0", "n/a"]
        assert int(f[9]) == 0                                # no IV file
    assert "coin XRP: binance XRPUSDT, imported" in out
    rc, out, err = invoke(["data", "list", "--store", str(store)], capsys)
    assert rc == 0, err
    line = next(x for x in out.splitlines() if x.startswith("alts "))
    assert line.endswith("2 coins (ETH, XRP)")


def test_the_one_coin_form_is_unchanged(tmp_path, capsys):
    store = tmp_path / "store"
    rc, out, err = invoke(import_args(store, "--prices", str(PERP_1H["ETH"]), "--funding", str(FUNDING["ETH"]),
                                      "--symbol", "ETHUSDT", name="one"), capsys)
    assert rc == 0, err
    assert out.startswith(f"imported one: {len(csv_bars(PERP_1H['ETH']))} x 1h bars")
    ds = load("one", store)
    assert ds.coin_names == ("ETH",) and "coins" not in ds.manifest
    assert (store / "one" / "coins").exists() is False
    rc, out, err = invoke(["data", "list", "--store", str(store)], capsys)
    assert next(x for x in out.splitlines() if x.startswith("one ")).endswith("1 coin (ETH)")


def _first_time(path) -> pd.Timestamp:
    return csv_bars(path).index[0]


BAD = {
    "a coin twice": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"ETH={PERP_1H['XRP']}"],
        lambda tmp: f"error: --prices ETH={PERP_1H['XRP']}: coin ETH is given twice (also --prices "
                    f"ETHUSDT={PERP_1H['ETH']})"),
    "a coin off the grid": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"SOLUSDT={PERP_1H['SOL']}"],
        lambda tmp: f"error: {PERP_1H['SOL']}, row 1 (data rows from 1, header not counted), column 'open_time_utc': "
                    f"coin SOL's bar at {_first_time(PERP_1H['SOL'])} is not the primary's (ETH) bar at "
                    f"{_first_time(PERP_1H['ETH'])}; every coin must be on the primary's bar grid (same bar opens)"),
    "a coin of another bar size": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_5M['XRP']}"],
        lambda tmp: f"error: {PERP_5M['XRP']}, column 'open_time_utc': coin XRP's bars are every 5min, the primary's "
                    "(ETH) every 1h; every coin must be on the primary's bar grid (same bar opens)"),
    "a missing file": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={tmp / 'xrp.csv'}"],
        lambda tmp: f"error: XRP prices file {tmp / 'xrp.csv'}: file not found"),
    "a funding file for a coin not imported": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_1H['XRP']}",
                     "--funding", f"SOL={FUNDING['SOL']}"],
        lambda tmp: f"error: --funding SOL={FUNDING['SOL']}: SOL is not imported (no --prices for it; coins: ETH, XRP)"),
    "a funding file without its coin among several": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_1H['XRP']}",
                     "--funding", str(FUNDING["ETH"])],
        lambda tmp: f"error: --funding {FUNDING['ETH']}: with several coins name the file's coin, e.g. --funding "
                    f"XRP={FUNDING['ETH'].name}"),
    "two funding files for one coin": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_1H['XRP']}",
                     "--funding", f"ETH={FUNDING['ETH']}", "--funding", f"ETHUSDT={FUNDING['SOL']}"],
        lambda tmp: f"error: --funding ETHUSDT={FUNDING['SOL']}: coin ETH has two funding files (also --funding "
                    f"ETH={FUNDING['ETH']})"),
    "a prices file without its symbol among several": (
        lambda tmp: ["--prices", str(PERP_1H["ETH"]), "--prices", f"XRPUSDT={PERP_1H['XRP']}"],
        lambda tmp: f"error: --prices {PERP_1H['ETH']}: with several coins name each file's symbol, e.g. --prices "
                    "ETHUSDT=eth.csv --prices SOLUSDT=sol.csv (the first is the primary)"),
    "--symbol with symbols as keys": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--symbol", "ETHUSDT"],
        lambda tmp: "error: --symbol ETHUSDT: with --prices SYMBOL=FILE each coin's symbol is its key; leave "
                    "--symbol out"),
    "an index that misses the first price bar": (
        lambda tmp: ["--prices", f"ETHUSDT={PERP_1H['ETH']}", "--prices", f"XRPUSDT={PERP_1H['XRP']}",
                     "--index", f"XRP={PERP_1H['SOL']}"],
        lambda tmp: f"error: {PERP_1H['SOL']}, column 'open_time_utc': no index bar at {_first_time(PERP_1H['ETH'])}: "
                    f"the index must cover every price bar ({_first_time(PERP_1H['ETH'])} .. "
                    f"{csv_bars(PERP_1H['ETH']).index[-1]}); the file has {_first_time(PERP_1H['SOL'])} .. "
                    f"{csv_bars(PERP_1H['SOL']).index[-1]}"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_imports_say_one_line_exit_2_and_write_nothing(tmp_path, capsys, case):
    args, message = BAD[case]
    store = tmp_path / "store"
    store.mkdir()
    (store / "keep").mkdir()   # an unrelated folder: the store is otherwise untouched
    rc, out, err = invoke(import_args(store, *args(tmp_path)), capsys)
    assert rc == 2
    assert err.splitlines() == [message(tmp_path)]
    assert sorted(p.name for p in store.iterdir()) == ["keep"] and list_datasets(store) == []


def test_a_failed_replace_keeps_the_previous_dataset_whole(tmp_path, capsys):
    store = tmp_path / "store"
    rc, _, err = invoke(import_args(store, "--prices", f"ETHUSDT={PERP_1H['ETH']}",
                                    "--prices", f"XRPUSDT={PERP_1H['XRP']}"), capsys)
    assert rc == 0, err
    rc, _, err = invoke(import_args(store, "--prices", f"ETHUSDT={PERP_1H['ETH']}",
                                    "--prices", f"SOLUSDT={PERP_1H['SOL']}"), capsys)
    assert rc == 2 and len(err.splitlines()) == 1
    assert load("alts", store).coin_names == ("ETH", "XRP")
    assert sorted(p.name for p in store.iterdir()) == ["alts"]
