"""Datasets of several coins on one UTC grid (issue 20): the Dataset's coins, the store's
NAME/coins/COIN/ folders, the built-in's coins folder, ``align_coins`` and the bad cases.

Frames come from the real Binance files in ../shared/data/crisis-2025-alts (read here, never copied
into the project): perp 1h bars are the traded and the mark price (the files have no mark series),
spot 1h the index; funding from the 8h files, each settlement stamped at its whole second (Binance's
calc times carry a few ms of compute latency: 00:00:00.005 is the 00:00 settlement). BTC is Binance
spot 1h from ../shared/data/crisis-2025 for all three price series. Expected numbers are read from
the same files by their timestamp strings, independently of the frames under test.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from testkit.alts import ALTS, BTC_SPOT, require_alts

import hedgelab.data.store as store_mod
from hedgelab.cli import main
from hedgelab.core.errors import DataError, UserError
from hedgelab.data import Dataset, align, align_coins, list_datasets, load, read_dataset, resample, write_dataset
from hedgelab.data.dataset import INDEX, MARK, TRADED, empty_funding, empty_iv, new_manifest

START, END = "2025-10-08 00:00", "2025-10-13 23:00"     # 6 days of 1h bars around Oct 10: 144 bars
N_BARS = 6 * 24


@pytest.fixture(autouse=True)
def _alts():
    require_alts()


def _read(path, time_col="open_time_utc"):
    df = pd.read_csv(path)
    df.index = pd.DatetimeIndex(pd.to_datetime(df[time_col], utc=True), name="time")
    return df


def _prices(coin):
    """(perp, spot) 1h frames of a coin; BTC: spot for both."""
    if coin == "BTC":
        spot = _read(BTC_SPOT).rename(columns={"volume_btc": "volume"})
        return spot, spot
    return _read(ALTS / f"binance_perp_{coin}USDT_1h.csv"), _read(ALTS / f"binance_spot_{coin}USDT_1h.csv")


def coin_dataset(coin, name="multi", start=START, end=END, bar_size="1h", notes=()) -> Dataset:
    """A single-coin dataset of ``coin`` with bars opening in [start, end]."""
    perp, spot = _prices(coin)
    perp, spot = perp.loc[start:end], spot.loc[start:end]
    bars = pd.DataFrame({c: perp[c].to_numpy("float64") for c in (*TRADED, "volume")},
                        index=pd.DatetimeIndex(perp.index, name="time"))
    for cols, src in ((MARK, perp), (INDEX, spot)):
        for c, base in zip(cols, TRADED):
            bars[c] = src[base].to_numpy("float64")
    path = ALTS / f"binance_perp_{coin}USDT_funding_8h.csv"
    if path.exists():
        raw = pd.read_csv(path)
        when = pd.DatetimeIndex(pd.to_datetime(raw["calc_time_utc"], utc=True), name="time").floor("1s")
        funding = pd.DataFrame({"rate": raw["funding_rate"].to_numpy("float64"), "mark_price": np.nan}, index=when)
    else:
        funding = empty_funding()
    manifest = new_manifest(name, kind="real", venue="binance", symbol=f"{coin}USDT", bars=bars, bar_size=bar_size,
                            funding_interval_hours=8 if len(funding) else None,
                            provenance={"open": f"Binance USDT-M perp {coin}USDT 1h"},
                            proxies={"mark": "mark = traded (no mark series)", "index": "index = Binance spot"},
                            notes=list(notes))
    return Dataset(name, bars, funding, empty_iv(), manifest)


def multi(others=("SOL", "ETH"), name="multi", notes=(), **coins_given) -> Dataset:
    """BTC as the primary, ``others`` as its coins (``coins_given`` replaces one by a Dataset)."""
    btc = coin_dataset("BTC", name, notes=notes)
    coins = {c: coins_given.get(c) or coin_dataset(c, name, notes=notes) for c in others}
    return Dataset(name, btc.bars, btc.funding, btc.iv, btc.manifest, coins=coins)


def _raw(path, time_col="open_time_utc"):
    """A file's rows keyed by their time string as written (independent of the parsing above)."""
    return pd.read_csv(path, dtype={time_col: str}).set_index(time_col)


def _stamp(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _equal_arrays(a, b):
    for field in a._fields:
        x, y = getattr(a, field), getattr(b, field)
        if x is None or y is None:   # optional fields (the ADL events): absent in both
            assert x is None and y is None, field
            continue
        assert np.array_equal(x, y, equal_nan=True), field


# --- the Dataset and the store --------------------------------------------------------------------

def test_round_trip_keeps_every_coin_in_the_manifests_order(store):
    ds = multi()
    path = write_dataset(ds, store)
    files = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    assert files == ["bars.parquet", "coins/ETH/bars.parquet", "coins/ETH/funding.parquet", "coins/ETH/iv.parquet",
                     "coins/SOL/bars.parquet", "coins/SOL/funding.parquet", "coins/SOL/iv.parquet",
                     "funding.parquet", "iv.parquet", "manifest.json"]
    on_disk = json.loads((path / "manifest.json").read_text())
    # the primary's manifest as a single-coin dataset writes it, plus "coins" in the order given
    assert {k: v for k, v in on_disk.items() if k != "coins"} == json.loads(json.dumps(ds.manifest))
    assert list(on_disk["coins"]) == ["SOL", "ETH"]
    assert on_disk["coins"]["SOL"]["symbol"] == "SOLUSDT" and on_disk["coins"]["SOL"]["venue"] == "binance"
    assert all("coins" not in e and "schema_version" not in e and "name" not in e for e in on_disk["coins"].values())

    back = load("multi", store)
    assert back.coin_names == ("BTC", "SOL", "ETH")
    assert back.coin("BTC") is back and back.coin("btcusdt") is back
    assert back.coin("SOL") is back.coins["SOL"] and back.coin("SOL/USDT:USDT") is back.coins["SOL"]
    for coin in ("BTC", "SOL", "ETH"):
        got, want = back.coin(coin), (ds if coin == "BTC" else ds.coins[coin])
        for part in ("bars", "funding", "iv"):
            pd.testing.assert_frame_equal(getattr(got, part), getattr(want, part), check_index_type=False,
                                          check_freq=False)
        assert got.name == "multi" and len(got.bars) == N_BARS
    assert back.coins["ETH"].manifest == json.loads(json.dumps(ds.coins["ETH"].manifest))
    assert "coins" not in back.coins["ETH"].manifest and back.coins["ETH"].coins == {}
    assert back.coins["ETH"].coin_names == ("ETH",)
    assert list(back.manifest["coins"]) == ["SOL", "ETH"]          # the primary's manifest as on disk
    # written again from what was read: the same files
    write_dataset(back, store)
    assert json.loads((path / "manifest.json").read_text()) == on_disk


def test_a_single_coin_dataset_is_written_and_read_as_before(store, dataset_factory):
    path = write_dataset(dataset_factory(), store)
    assert sorted(p.name for p in path.iterdir()) == ["bars.parquet", "funding.parquet", "iv.parquet",
                                                      "manifest.json"]
    back = load("tiny", store)
    assert "coins" not in back.manifest and back.coins == {} and back.coin_names == ("BTC",)


def test_the_builtin_is_one_coin_plus_its_coins_folder_if_any():
    ds = load("crisis-2025")
    assert ds.coin_names[0] == "BTC" and ds.manifest["symbol"] == "BTCUSDT"
    folder = store_mod.BUILTIN_DIR / "crisis-2025" / "coins"
    present = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    assert sorted(ds.coins) == present


def test_the_builtin_loads_a_coins_folder_when_present(tmp_path, monkeypatch):
    """A copy of the built-in's primary files with one coin added (ETH-like prices: BTC / 30; only the
    loader is under test) loads with it; without the folder it is the single coin it was."""
    src = store_mod.BUILTIN_DIR / "crisis-2025"
    home = tmp_path / "builtin" / "crisis-2025"
    home.mkdir(parents=True)
    for f in ("bars.parquet", "funding.parquet", "iv.parquet"):
        shutil.copy(src / f, home / f)
    manifest = json.loads((src / "manifest.json").read_text())
    manifest.pop("coins", None)
    (home / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(store_mod, "BUILTIN_DIR", tmp_path / "builtin")
    alone = load("crisis-2025")
    assert alone.coin_names == ("BTC",) and alone.coins == {}

    (home / "coins" / "ETH").mkdir(parents=True)
    eth_bars = alone.bars / 30.0
    eth_bars["volume"] = alone.bars["volume"] * 30.0
    eth_bars.to_parquet(home / "coins" / "ETH" / "bars.parquet")
    alone.funding.to_parquet(home / "coins" / "ETH" / "funding.parquet")
    empty_iv().to_parquet(home / "coins" / "ETH" / "iv.parquet")
    manifest["coins"] = {"ETH": {k: manifest[k] for k in ("kind", "venue", "bar_size", "funding_interval_hours")}
                         | {"symbol": "ETHUSDT", "provenance": {}, "proxies": {}, "iv_fill": None, "notes": []}}
    (home / "manifest.json").write_text(json.dumps(manifest))
    ds = load("crisis-2025")
    assert ds.coin_names == ("BTC", "ETH")
    pd.testing.assert_frame_equal(ds.bars, alone.bars)
    assert ds.coins["ETH"].bars["close"].iloc[0] == alone.bars["close"].iloc[0] / 30.0
    markets = align_coins(ds, ["ETH", "BTC"], "2025-10-10", "2025-10-10")
    assert np.array_equal(markets["ETH"].close, alone.bars.loc["2025-10-10", "close"].to_numpy() / 30.0)


# --- align_coins ----------------------------------------------------------------------------------

@pytest.fixture
def stored(store):
    ds = multi()
    sol = ds.coins["SOL"]
    funding = sol.funding.copy()
    funding.loc[pd.Timestamp("2025-10-11 00:00", tz="UTC"), "mark_price"] = 185.0   # a settlement mark given
    sol = Dataset(sol.name, sol.bars, funding, sol.iv, sol.manifest)
    write_dataset(multi(SOL=sol), store)
    return load("multi", store)


@pytest.mark.parametrize("start,end,last,settlements", [
    # (window, its last bar's open, the window's bars that open on a settlement: every 8 h from 00:00)
    ("2025-10-10", "2025-10-11 05:00", "2025-10-11 05:00", [0, 8, 16, 24]),   # Oct 11 00:00: the 25th bar's
    ("2025-10-10", "2025-10-10", "2025-10-10 23:00", [0, 8, 16]),             # a date is the whole day
    ("2025-10-10 01:00", "2025-10-10 23:00", "2025-10-10 23:00", [7, 15]),     # Oct 10 00:00 is before it
])
def test_align_coins_matches_the_files_on_one_grid(stored, start, end, last, settlements):
    markets = align_coins(stored, ["SOL", "ETH", "BTC"], start, end)
    assert list(markets) == ["SOL", "ETH", "BTC"]
    grid = pd.date_range(pd.Timestamp(start, tz="UTC"), pd.Timestamp(last, tz="UTC"), freq="1h")
    stamps = [_stamp(t) for t in grid]
    btc = pd.read_csv(BTC_SPOT, dtype={"open_time_utc": str})
    btc.index = btc["open_time_utc"].str.replace(" ", "T") + "Z"
    for coin, market in markets.items():
        assert np.array_equal(market.time_ns, grid.as_unit("ns").asi8) and market.bar_seconds == 3600
        perp = btc if coin == "BTC" else _raw(ALTS / f"binance_perp_{coin}USDT_1h.csv")
        spot = btc if coin == "BTC" else _raw(ALTS / f"binance_spot_{coin}USDT_1h.csv")
        for k in ("open", "high", "low", "close"):
            assert np.array_equal(getattr(market, k), perp.loc[stamps, k].to_numpy(float)), (coin, k)
            assert np.array_equal(getattr(market, f"mark_{k}"), perp.loc[stamps, k].to_numpy(float)), (coin, k)
            assert np.array_equal(getattr(market, f"index_{k}"), spot.loc[stamps, k].to_numpy(float)), (coin, k)
        assert np.isnan(market.iv).all()                      # no IV for these coins
        # each coin aligned exactly as align aligns a dataset (the primary: the dataset itself)
        _equal_arrays(market, align(stored if coin == "BTC" else stored.coins[coin], start, end))
        if coin == "BTC":
            assert np.isnan(market.funding_rate).all()        # the BTC spot stand-in has no funding
            continue
        raw = pd.read_csv(ALTS / f"binance_perp_{coin}USDT_funding_8h.csv", dtype={"calc_time_utc": str})
        rate_at = {s[:13]: r for s, r in zip(raw["calc_time_utc"], raw["funding_rate"])}   # "2025-10-11T00" -> rate
        want = np.full(len(grid), np.nan)
        for i in settlements:
            want[i] = rate_at[stamps[i][:13]]
        assert np.array_equal(market.funding_rate, want, equal_nan=True), coin
        price = perp.loc[stamps, "open"].to_numpy(float, copy=True)   # no settlement mark: the bar's mark open
        if coin == "SOL" and 24 in settlements:
            price[24] = 185.0                                 # the one settlement mark given
        assert np.array_equal(market.funding_price, price), coin
    if 24 in settlements:   # TIMELINE-alts.md [D]: SOL's Oct 11 00:00 settlement, -0.30 %
        assert markets["SOL"].funding_rate[24] == pytest.approx(-0.0030, abs=0.00005)


def test_align_of_the_primary_is_unchanged_by_its_coins(stored):
    alone = Dataset(stored.name, stored.bars, stored.funding, stored.iv,
                    {k: v for k, v in stored.manifest.items() if k != "coins"})
    _equal_arrays(align(stored, "2025-10-09", "2025-10-12"), align(alone, "2025-10-09", "2025-10-12"))
    _equal_arrays(align_coins(stored, "BTC", "2025-10-09", "2025-10-12")["BTC"], align(alone, "2025-10-09", "2025-10-12"))


def test_unknown_coins_name_the_coins_held(stored):
    message = "data 'multi' has no XRP (coins: BTC, SOL, ETH)"
    with pytest.raises(UserError) as exc:
        stored.coin("XRP")
    assert str(exc.value) == message
    with pytest.raises(UserError) as exc:
        align_coins(stored, ["ETH", "XRPUSDT"])
    assert str(exc.value) == message
    with pytest.raises(UserError, match="no coin named; data 'multi' holds BTC, SOL, ETH"):
        align_coins(stored, [])
    with pytest.raises(UserError, match="coin ETH named more than once"):
        align_coins(stored, ["ETH", "ethusdt"])
    with pytest.raises(UserError, match="start 2025-12-01 is after the last bar"):   # the window, said once
        align_coins(stored, ["SOL", "ETH"], start="2025-12-01")


def test_resample_keeps_the_coins_on_one_grid(stored, store):
    coarse = resample(stored, "2h")
    assert coarse.coin_names == ("BTC", "SOL", "ETH")
    assert coarse.manifest["coins"]["ETH"]["bar_size"] == "2h" and coarse.coins["ETH"].manifest["bar_size"] == "2h"
    markets = align_coins(coarse, ["ETH", "BTC"])
    assert len(markets["ETH"].close) == N_BARS // 2
    eth = _raw(ALTS / "binance_perp_ETHUSDT_1h.csv")
    grid = pd.date_range(START, END, freq="1h", tz="UTC")
    pairs = [(grid[2 * i], grid[2 * i + 1]) for i in range(N_BARS // 2)]
    assert np.array_equal(markets["ETH"].close, [eth.loc[_stamp(b), "close"] for _, b in pairs])
    assert np.array_equal(markets["ETH"].high, [max(eth.loc[_stamp(a), "high"], eth.loc[_stamp(b), "high"])
                                                for a, b in pairs])
    write_dataset(Dataset("coarse", coarse.bars, coarse.funding, coarse.iv, {**coarse.manifest, "name": "coarse"},
                          coins=coarse.coins), store)
    assert load("coarse", store).coin_names == ("BTC", "SOL", "ETH")


# --- bad cases ------------------------------------------------------------------------------------

def _nothing_written(store):
    assert not store.exists() or sorted(os.listdir(store)) == []


def test_the_real_files_first_bars_differ_and_the_save_says_where(store):
    """ETH's and BTC's Binance 1h files have a bar at 2025-09-13 08:00 UTC, SOL's perp file starts an
    hour later: the same number of bars from each file's first bar is not one grid."""
    start = pd.Timestamp("2025-09-13 08:00", tz="UTC")
    first_sol = _read(ALTS / "binance_perp_SOLUSDT_1h.csv").index[0]
    assert first_sol == start + pd.Timedelta("1h")
    sol = coin_dataset("SOL", start=first_sol, end=first_sol + pd.Timedelta("9h"))
    btc = coin_dataset("BTC", start=start, end=start + pd.Timedelta("9h"))
    ds = Dataset("multi", btc.bars, btc.funding, btc.iv, btc.manifest, coins={"SOL": sol})
    with pytest.raises(DataError) as exc:
        write_dataset(ds, store)
    assert str(exc.value) == ("multi/coins/SOL/bars.parquet, row 1 (data rows from 1, header not counted), "
                              "column 'time': coin SOL's bar at 2025-09-13 09:00:00+00:00 is not the primary's "
                              "(BTC) bar at 2025-09-13 08:00:00+00:00; every coin must be on the primary's bar "
                              "grid (same bar opens)")
    _nothing_written(store)


def test_a_coin_on_other_bars_is_refused_at_save(store):
    short = coin_dataset("ETH", end="2025-10-13 22:00")
    with pytest.raises(DataError, match=r"multi/coins/ETH/bars.parquet, column 'time': coin ETH's bars end at "
                                        r"2025-10-13 22:00:00\+00:00, .*its bar at 2025-10-13 23:00:00\+00:00 is "
                                        "missing from ETH"):
        write_dataset(multi(ETH=short), store)
    hourly = coin_dataset("ETH")
    two = resample(hourly, "2h")
    with pytest.raises(DataError, match=r"multi/manifest.json, column 'coins.ETH.bar_size': bar size '2h' is not "
                                        r"the primary's \(BTC\) '1h'"):
        write_dataset(multi(ETH=two), store)
    _nothing_written(store)


def test_a_coin_off_the_grid_on_disk_is_refused_at_load(store, capsys, tmp_path):
    path = write_dataset(multi(), store)
    bars = pd.read_parquet(path / "coins" / "ETH" / "bars.parquet")
    bars.iloc[:-1].to_parquet(path / "coins" / "ETH" / "bars.parquet")     # the last bar gone
    with pytest.raises(DataError, match=rf"{path}/coins/ETH/bars.parquet, column 'time': coin ETH's bars end at "
                                        r"2025-10-13 22:00:00\+00:00, .* 2025-10-13 23:00:00\+00:00 is missing"):
        load("multi", store)
    # the CLI: one line, exit 2, nothing written
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["run", "hold", "--data", "multi", "--store", str(store), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and len(err.splitlines()) == 1 and "coins/ETH/bars.parquet" in err
    assert not out.exists()


def _edit_manifest(path, edit):
    m = json.loads((path / "manifest.json").read_text())
    edit(m)
    (path / "manifest.json").write_text(json.dumps(m))


@pytest.mark.parametrize("damage,message", [
    (lambda p: shutil.rmtree(p / "coins" / "SOL"),
     r"coins/SOL: folder missing; manifest.json's \"coins\" names SOL"),
    (lambda p: shutil.copytree(p / "coins" / "SOL", p / "coins" / "DOGE"),
     r"coins/DOGE: coin folder DOGE is not named in manifest.json's \"coins\" \(named: SOL, ETH\)"),
    (lambda p: (p / "coins" / "ETH" / "iv.parquet").unlink(),
     r"coins/ETH/iv.parquet: file missing; coin ETH of the dataset is incomplete"),
    (lambda p: _edit_manifest(p, lambda m: m.pop("coins")),
     r"coins/ETH: coin folder ETH is not named in manifest.json's \"coins\" \(named: none\)"),
    (lambda p: _edit_manifest(p, lambda m: m["coins"].update(BTC=m["coins"]["ETH"] | {"symbol": "BTCUSDT"})),
     r"coins/BTC: folder missing"),
    (lambda p: (shutil.copytree(p / "coins" / "ETH", p / "coins" / "BTC"),
                _edit_manifest(p, lambda m: m["coins"].update(BTC=m["coins"]["ETH"] | {"symbol": "BTCUSDT"}))),
     r"manifest.json, column 'coins.BTC': BTC is the primary coin \(symbol 'BTCUSDT'\)"),
    (lambda p: _edit_manifest(p, lambda m: m["coins"]["ETH"].update(symbol="SOLUSDT")),
     r"manifest.json, column 'coins.ETH.symbol': symbol 'SOLUSDT' is a SOL symbol, not ETH's"),
    (lambda p: _edit_manifest(p, lambda m: m["coins"]["ETH"].pop("symbol")),
     r"manifest.json, column 'coins.ETH.symbol': missing manifest key"),
    (lambda p: _edit_manifest(p, lambda m: m["coins"]["ETH"].pop("kind")),
     r"manifest.json, column 'coins.ETH.kind': missing manifest key"),
    (lambda p: _edit_manifest(p, lambda m: m["coins"]["ETH"].update(coins={})),
     r"manifest.json, column 'coins.ETH.coins': a coin's entry cannot hold coins"),
    (lambda p: _edit_manifest(p, lambda m: m.update(coins=["ETH", "SOL"])),
     r"manifest.json, column 'coins': must be an object"),
    (lambda p: (os.replace(p / "coins" / "ETH", p / "coins" / "eth"),
                _edit_manifest(p, lambda m: m.update(coins={"SOL": m["coins"]["SOL"], "eth": m["coins"]["ETH"]}))),
     r"manifest.json, column 'coins.eth': a coin's name is its base coin in upper case"),
])
def test_damaged_coins_are_one_line_data_errors(store, damage, message):
    path = write_dataset(multi(), store)
    damage(path)
    with pytest.raises(DataError, match=message) as exc:
        read_dataset("multi", store)
    assert "\n" not in str(exc.value)


def test_a_manifest_naming_coins_the_dataset_lacks_is_not_written(store):
    write_dataset(multi(notes=["v1"]), store)
    old = load("multi", store)
    primary_only = Dataset("multi", old.bars, old.funding, old.iv, {**old.manifest, "notes": ["v2"]})
    with pytest.raises(UserError, match="the manifest's \"coins\" names SOL, ETH but the dataset holds none"):
        write_dataset(primary_only, store)
    assert load("multi", store).manifest["notes"] == ["v1"] and sorted(os.listdir(store)) == ["multi"]


def test_a_coin_is_a_single_coin_dataset():
    eth = coin_dataset("ETH")
    with pytest.raises(UserError, match="coin name 'eth' must be a base coin in upper case"):
        Dataset("multi", eth.bars, eth.funding, eth.iv, eth.manifest, coins={"eth": eth})
    nested = Dataset("multi", eth.bars, eth.funding, eth.iv, eth.manifest, coins={"SOL": coin_dataset("SOL")})
    with pytest.raises(UserError, match="coin ETH holds coins of its own"):
        Dataset("multi", eth.bars, eth.funding, eth.iv, eth.manifest, coins={"ETH": nested})


# --- crash safety -----------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import os, sys
    from hedgelab.data.dataset import Dataset
    from hedgelab.data.store import read_dataset, write_dataset
    store, k = sys.argv[1], int(sys.argv[2])
    old = read_dataset("multi", store)
    coins = {c: Dataset(d.name, d.bars, d.funding, d.iv, {**d.manifest, "notes": ["v2"]}) for c, d in old.coins.items()}
    new = Dataset("multi", old.bars, old.funding, old.iv, {**old.manifest, "notes": ["v2"]}, coins=coins)
    calls = []
    def killed_at_k(name, fn):
        def step(*args, **kwargs):
            calls.append(name)
            if len(calls) == k:
                os._exit(137)
            return fn(*args, **kwargs)
        return step
    for name in ("mkdir", "fsync", "replace", "rename", "unlink", "rmdir"):
        setattr(os, name, killed_at_k(name, getattr(os, name)))
    write_dataset(new, store)
    print(" ".join(calls))
""")


def _after_a_kill_at(k, template, store):
    """The version (v1, v2) the next store operation finds after the child died at step k."""
    shutil.copytree(template, store)
    child = subprocess.run([sys.executable, "-c", CHILD, str(store), str(k)], capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == (0 if k == 0 else 137), child.stderr
    assert list_datasets(store) == ["multi"], (k, sorted(os.listdir(store)))
    ds = read_dataset("multi", store)
    versions = {ds.manifest["notes"][0], ds.coins["ETH"].manifest["notes"][0],
                json.loads((store / "multi" / "manifest.json").read_text())["coins"]["ETH"]["notes"][0]}
    assert len(versions) == 1, (k, versions)                         # primary and coin of one version
    assert sorted(os.listdir(store)) == ["multi"], (k, sorted(os.listdir(store)))   # nothing hidden left
    steps = child.stdout.split()
    shutil.rmtree(store)
    return versions.pop(), steps


def test_a_replacing_write_killed_between_its_steps_keeps_one_whole_dataset(tmp_path):
    """As tests/data/test_data_store_crash.py does for a single coin at every step: a child replacing
    a two-coin dataset dies (os._exit, no cleanup) on its k-th file-system call, here at the steps
    that matter for the coins: while the temp copy is made, right before the first rename, between
    the two renames, right after the second and at the last step of the old copy's removal. After
    each, the next store operation finds one complete copy under NAME/, the primary and its coin of
    the same version, and nothing hidden."""
    template = tmp_path / "template"
    write_dataset(multi(others=("ETH",), notes=["v1"]), template)
    version, steps = _after_a_kill_at(0, template, tmp_path / "store-0")
    assert version == "v2"
    # the 7 files and the coin's 2 folders fsync'ed before the renames, the store's after them;
    # the old copy's 7 files and 3 folders removed last
    assert steps.count("replace") == 2 and steps.count("fsync") == 10, steps
    assert steps.count("unlink") == 7 and steps.count("rmdir") == 4, steps   # 1 rmdir: the writability probe
    first, second = [i + 1 for i, s in enumerate(steps) if s == "replace"]    # 1-based step numbers
    assert second == first + 1 and steps[:first - 1].count("fsync") == 9
    coin_made = steps.index("fsync") + 1                                      # every file of the copy written
    kills = {1: "v1", coin_made: "v1", first: "v1", second: "v1", second + 1: "v2", len(steps): "v2"}
    outcomes = {k: _after_a_kill_at(k, template, tmp_path / f"store-{k}")[0] for k in kills}
    assert outcomes == kills


def test_an_old_copy_missing_a_coins_file_is_not_restored(tmp_path):
    """``recover``'s rule for a dead process's previous copy (restored only when complete) counts the
    coins' files too."""
    store = tmp_path / "store"
    write_dataset(multi(others=("ETH",)), store)
    dead = "999999999-1"                                              # no such pid
    os.replace(store / "multi", store / f".multi.old-{dead}")
    assert list_datasets(store) == ["multi"]                           # complete: put back
    (store / "multi" / "coins" / "ETH" / "funding.parquet").unlink()
    os.replace(store / "multi", store / f".multi.old-{dead}")
    assert list_datasets(store) == [] and os.listdir(store) == []      # incomplete: never restored


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETH/USDT:USDT", "SOL-PERPETUAL", "XRP-USDT-SWAP", "doge", " BNBUSDC ",
                                    "1000PEPEUSDT", "ETH-PERP", "BTCUSD_PERP", "USDT", "BTC/USD", "???", "A" * 20])
def test_the_data_layers_coin_rule_is_the_engines(symbol):
    """data.dataset.base_coin repeats engine.venues.base_coin (the data layer may not import the engine)."""
    from hedgelab.data.dataset import base_coin as data_rule
    from hedgelab.engine.venues import base_coin as engine_rule

    def outcome(rule):
        try:
            return rule(symbol)
        except UserError as exc:
            return ("UserError", str(exc))
    assert outcome(data_rule) == outcome(engine_rule)
