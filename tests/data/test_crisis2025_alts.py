"""The crisis-2025 alt coins (ETH, SOL, XRP, DOGE, BNB): anchors, determinism, shipped files, and the
reconstruction against the real Binance files of ../shared/data/crisis-2025-alts.

Expected Oct 10 numbers are typed in from TIMELINE-alts.md (its [D] tables), not taken from
alt_anchors.py; the other anchors (window open/close, November low, window high) are typed in from
the real files and checked against them when ../shared is present. Spot facts are checked on the
index columns, perp facts on the traded columns (DOGE: perp only, plus its spot daily low as index).
The shipped files are read as parquet directly (not through the store).

Tolerances against the real data (stated here, printed with -s): each week's realized volatility
within 0.67-1.5x of the real week's, each week's mean daily range (high - low) / open within
0.6-1.6x, the correlation of hourly returns with BTC within 0.08 of the real one (reconstructed coin
vs reconstructed BTC, real coin vs real BTC spot), the share of variance a BTC-beta hedge removes
within 0.1 of the real share, the median perp/spot premium within 2 bp, ETH and SOL funding means
per regime within 0.25 bp per 8h.
"""
import json

import numpy as np
import pandas as pd
import pytest

from hedgelab.data.crisis2025 import SEED, generate, generate_all
from hedgelab.data.crisis2025.build import OUT, build
from hedgelab.data.crisis2025.generator import manifest
from testkit.alts import ALTS, BTC_SPOT, require_alts

COINS = ("ETH", "SOL", "XRP", "DOGE", "BNB")
TICK = {"ETH": 0.01, "SOL": 0.01, "XRP": 0.0001, "DOGE": 0.00001, "BNB": 0.01}
START, END = pd.Timestamp("2025-09-01", tz="UTC"), pd.Timestamp("2025-12-01", tz="UTC")
T = lambda s: pd.Timestamp(s, tz="UTC")  # noqa: E731

# TIMELINE-alts.md, "Oct 10 lows and % drop from the 2025-10-10 20:00 UTC open" and "Recovery":
# coin: (spot open 20:00, perp open 20:00, spot low, perp low, spot open 22:00, spot open Oct 11 00:00)
OCT10 = {
    "ETH": (3997.56, 3994.99, 3435.0, 3400.00, 3950.0, 3829.72),
    "SOL": (205.31, 205.16, 168.79, 141.28, 193.41, 188.43),
    "XRP": (2.6768, 2.6752, 1.2543, 1.1792, 2.3251, 2.3704),
    "DOGE": (None, 0.23173, 0.095, 0.08385, None, None),   # DOGE spot: the daily low only
    "BNB": (1235.58, 1236.53, 860.11, 823.6, 1107.31, 1102.57),
}
# the drop column of the same table (low / open 20:00 - 1), perp and spot
DROP_PERP = {"ETH": -0.1489, "SOL": -0.3114, "XRP": -0.5592, "DOGE": -0.6382, "BNB": -0.3339}
DROP_SPOT = {"ETH": -0.1407, "SOL": -0.1779, "XRP": -0.5314, "BNB": -0.3039}
# read from the real files (spot 1h; DOGE perp): Sep 1 open, Nov 30 close, November low (Nov 21),
# highest price of the window and its bar, whether the November low is the window's lowest
WINDOW = {
    "ETH": (4391.83, 2991.26, 2623.57, (4769.36, "2025-09-13 03:00"), True),
    "SOL": (200.62, 133.48, 121.66, (253.51, "2025-09-18 17:00"), True),
    "XRP": (2.7757, 2.155, 1.8209, (3.1858, "2025-09-13 10:00"), False),
    "DOGE": (0.21358, 0.1459, 0.13316, (0.30679, "2025-09-13 13:00"), False),
    "BNB": (857.66, 875.31, 790.79, (1375.11, "2025-10-13 08:00"), True),
}
SPOT_FACTS = ("ETH", "SOL", "XRP", "BNB")


def cols(coin):
    """The columns the coin's price facts live on: index (spot) for all but DOGE (perp)."""
    return ("index_open", "index_high", "index_low", "index_close") if coin in SPOT_FACTS else \
        ("open", "high", "low", "close")


@pytest.fixture(scope="module")
def gen():
    """generate_all(): BTC's frames, the manifest, {coin: (bars, funding, iv)}."""
    bars, funding, iv, manifest, coins = generate_all()
    return {"btc": (bars, funding, iv), "manifest": manifest, "coins": coins}


@pytest.fixture(scope="module")
def shipped():
    """The committed files, read as parquet: {coin: (bars, funding, iv)} and the manifest."""
    frames = {c: tuple(pd.read_parquet(OUT / "coins" / c / f"{n}.parquet") for n in ("bars", "funding", "iv"))
              for c in COINS}
    return frames, json.loads((OUT / "manifest.json").read_text())


def approx(coin, v):
    return pytest.approx(v, abs=TICK[coin] / 2)


# --- anchors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("coin", COINS)
def test_oct10_opens_lows_and_recovery(gen, coin):
    bars = gen["coins"][coin][0]
    so, po, slo, plo, r22, r00 = OCT10[coin]
    crash = bars.loc["2025-10-10 21:00"]
    assert bars.loc["2025-10-10 20:00", "open"] == approx(coin, po)
    assert crash["low"] == approx(coin, plo)                      # Binance perp 5m low, in the 21:00 bar
    assert crash["index_low"] == approx(coin, slo)                # Binance spot low (DOGE: daily low)
    if so is not None:
        assert bars.loc["2025-10-10 20:00", "index_open"] == approx(coin, so)
        assert bars.loc["2025-10-10 22:00", "index_open"] == approx(coin, r22)
        assert bars.loc["2025-10-11 00:00", "index_open"] == approx(coin, r00)
        assert crash["index_close"] == approx(coin, r22)          # open 22:00 = close of the crash bar


@pytest.mark.parametrize("coin", COINS)
def test_crash_bar_holds_the_low_of_both_series(gen, coin):
    bars = gen["coins"][coin][0]
    span = bars.loc["2025-10-10 00:00":"2025-10-11 23:00"]        # TIMELINE: lowest of Oct 10 20:00 - Oct 11
    for c in ("low", "index_low", "mark_low"):
        assert span[c].idxmin() == T("2025-10-10 21:00"), c
        assert (span[c].drop(T("2025-10-10 21:00")) > span.loc["2025-10-10 21:00", c]).all(), c
    if coin in ("XRP", "DOGE"):                                   # there, also the window's lowest price
        assert bars["low"].idxmin() == bars["index_low"].idxmin() == T("2025-10-10 21:00")


def test_crash_drops_from_the_2000_open_are_the_published_ones(gen):
    btc = gen["btc"][0]
    assert btc["index_low"].loc["2025-10-10"].idxmin() == T("2025-10-10 21:00")   # BTC's crash bar too
    for coin in COINS:
        bars = gen["coins"][coin][0]
        o = bars.loc["2025-10-10 20:00"]
        lo = bars.loc["2025-10-10 21:00"]
        assert lo["low"] / o["open"] - 1 == pytest.approx(DROP_PERP[coin], abs=6e-5), coin
        if coin in DROP_SPOT:
            assert lo["index_low"] / o["index_open"] - 1 == pytest.approx(DROP_SPOT[coin], abs=6e-5), coin
    perp = {c: DROP_PERP[c] for c in COINS}
    assert sorted(perp, key=perp.get) == ["DOGE", "XRP", "BNB", "SOL", "ETH"]


def test_sol_spot_perp_gap_on_oct10(gen):
    """SOL's perp low was ~16 % below its spot low (141.28 vs 168.79), ETH's only ~1 % (3400 vs 3435)."""
    gap = {c: gen["coins"][c][0].loc["2025-10-10 21:00", "index_low"] /
           gen["coins"][c][0].loc["2025-10-10 21:00", "low"] - 1 for c in ("SOL", "ETH")}
    assert gap["SOL"] == pytest.approx(168.79 / 141.28 - 1, abs=1e-4)   # 19.5 % above the perp low
    assert 1 - 141.28 / 168.79 == pytest.approx(0.163, abs=1e-3)         # "about 16 %" (TIMELINE)
    assert gap["ETH"] == pytest.approx(3435.0 / 3400.0 - 1, abs=1e-5)
    # the SOL perp trades at a discount to spot for the rest of the crash hour and after
    sol = gen["coins"]["SOL"][0].loc["2025-10-10 21:00":"2025-10-11 08:00"]
    assert (sol["close"] < sol["index_close"]).all()


def test_funding_anchors(gen):
    sol = gen["coins"]["SOL"][1]["rate"]
    eth = gen["coins"]["ETH"][1]["rate"]
    assert sol.loc["2025-10-11 00:00"] == -0.00302761                 # -0.30 %, exactly as published
    assert eth.loc["2025-10-11 00:00"] == 0.0001                      # +0.01 %
    below = sol.loc["2025-10-11 00:00":"2025-10-12 08:00"]
    assert len(below) == 5 and (below < -0.001).all()                # below -0.1 % until Oct 12 08:00
    assert (sol.loc["2025-10-12 16:00":] >= -0.001).all()             # and not after


@pytest.mark.parametrize("coin", COINS)
def test_funding_grid_and_mark(gen, coin):
    bars, funding, _iv = gen["coins"][coin]
    assert len(funding) == 273 and set(funding.index.hour) == {0, 8, 16}
    assert funding.index.equals(gen["btc"][1].index)
    assert (funding["mark_price"] == bars["mark_open"].reindex(funding.index)).all()
    assert funding["rate"].abs().max() < 0.0075   # inside Binance's caps for these symbols
    assert (funding["rate"] == funding["rate"].round(8)).all()


@pytest.mark.parametrize("coin", COINS)
def test_window_open_close_november_low_and_high(gen, coin):
    bars = gen["coins"][coin][0]
    btc = gen["btc"][0]
    o, h, lo, c = cols(coin)
    first, last, nov_low, (high, high_at), window_low = WINDOW[coin]
    assert bars[o].iloc[0] == approx(coin, first)
    assert bars[c].iloc[-1] == approx(coin, last)
    nov = bars.loc["2025-11-01":]
    assert nov[lo].min() == approx(coin, nov_low)
    # on Nov 21, in the bar of BTC's reconstructed low of that day (every coin bottoms with BTC)
    btc_bar = btc["index_low"].loc["2025-11-21"].idxmin()
    assert nov[lo].idxmin() == btc_bar
    assert (nov[lo].drop(btc_bar) > nov.loc[btc_bar, lo]).all()
    if window_low:
        assert bars[lo].idxmin() == btc_bar
    assert bars[h].max() == approx(coin, high)
    assert bars[h].idxmax() == T(high_at)
    assert (bars[h].drop(T(high_at)) < high).all()


@pytest.mark.parametrize("coin", COINS)
def test_bars_are_consistent(gen, coin):
    bars = gen["coins"][coin][0]
    for p in ("", "mark_", "index_"):
        o, h, lo, c = (bars[p + k].to_numpy() for k in ("open", "high", "low", "close"))
        assert (lo <= np.minimum(o, c)).all() and (h >= np.maximum(o, c)).all() and (lo > 0).all(), p
        assert (o[1:] == c[:-1]).all(), p                       # open = previous close
        assert (np.round(bars[p + "close"] / TICK[coin]) * TICK[coin] - bars[p + "close"]).abs().max() < 1e-9
    assert (bars["volume"] > 0).all()
    assert bars.index.equals(gen["btc"][0].index)


# --- the shipped files and the manifest ----------------------------------------------------------

def test_shipped_frames_have_btcs_columns_index_and_dtypes(shipped):
    frames, _m = shipped
    btc = [pd.read_parquet(OUT / f"{n}.parquet") for n in ("bars", "funding", "iv")]
    for coin in COINS:
        for mine, ref in zip(frames[coin], btc):
            assert list(mine.columns) == list(ref.columns)
            assert mine.dtypes.equals(ref.dtypes)
            assert mine.index.name == ref.index.name == "time"
            assert mine.index.dtype == ref.index.dtype
        assert frames[coin][0].index.equals(btc[0].index)
        assert frames[coin][1].index.equals(btc[1].index)
        assert len(frames[coin][2]) == 0                          # no IV for the alts


def test_shipped_files_match_the_generator(gen, shipped):
    frames, manifest = shipped
    for coin in COINS:
        for mine, ref in zip(frames[coin], gen["coins"][coin]):
            # rtol 1e-6: another platform's exp/log may move a value by one tick (see the BTC test)
            np.testing.assert_allclose(mine.to_numpy(), ref.to_numpy(), rtol=1e-6, atol=0)
            assert mine.index.equals(ref.index)
    assert manifest == json.loads(json.dumps(gen["manifest"]))


def test_manifest_coins_entries(shipped):
    _f, manifest = shipped
    assert list(manifest["coins"]) == list(COINS)
    for coin, entry in manifest["coins"].items():
        assert "coins" not in entry and "name" not in entry and "schema_version" not in entry
        assert entry["symbol"] == f"{coin}USDT" and entry["venue"] == "binance"
        assert entry["kind"] == "reconstruction" and entry["bar_size"] == "1h"
        assert (entry["start"], entry["end"]) == (manifest["start"], manifest["end"])
        assert entry["funding_interval_hours"] == 8 and entry["iv_fill"] is None
        assert any("RECONSTRUCTION" in n for n in entry["notes"])
        assert entry["generator"] == {"module": "hedgelab.data.crisis2025.alts", "seed": SEED}
        assert all(set(a) == {"fact", "value", "date", "source"} for a in entry["anchors"])
        assert all("[D" in a["source"] for a in entry["anchors"])
        assert "source" in entry["calibration"]
        assert set(entry["provenance"]) >= {"open", "volume", "mark_close", "index_low", "funding.rate"}


def test_top_level_manifest_is_btcs_unchanged():
    """Every key but "coins" and "adl_events" (the Oct 10 Hyperliquid ADL facts, data/crisis2025/adl_facts.py)
    is BTC's manifest as before the alts (generator.manifest, whose output the previous shipped manifest.json
    was byte for byte), its anchors the 20 BTC facts."""
    now = json.loads((OUT / "manifest.json").read_text())
    times = pd.read_parquet(OUT / "bars.parquet").index
    assert {k: v for k, v in now.items() if k not in ("coins", "adl_events")} == json.loads(json.dumps(manifest(times)))
    assert list(now)[:-2] == list(manifest(times)) and list(now)[-2:] == ["coins", "adl_events"]
    assert len(now["anchors"]) == 20 and now["anchors"][0]["value"] == 108246.0
    assert generate()[3] == json.loads(json.dumps(now))


# --- determinism ---------------------------------------------------------------------------------

def test_two_generations_are_bitwise_equal(gen):
    again = generate_all(SEED)
    for coin in COINS:
        for a, b in zip(gen["coins"][coin], again[4][coin]):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.to_numpy().tobytes() == b.to_numpy().tobytes()
    assert again[3] == gen["manifest"]


def test_btc_is_bitwise_the_committed_btc(gen):
    """The alts' streams leave BTC alone: generate_all's BTC is the committed parquet, bit for bit."""
    for name, frame in zip(("bars", "funding", "iv"), gen["btc"]):
        committed = pd.read_parquet(OUT / f"{name}.parquet")
        pd.testing.assert_frame_equal(frame, committed, check_exact=True, check_freq=False)  # parquet drops freq
        assert frame.to_numpy().tobytes() == committed.to_numpy().tobytes()
    for a, b in zip(generate()[:3], gen["btc"]):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_another_seed_moves_the_paths_but_not_the_facts(gen):
    other = generate_all(SEED + 1)[4]
    for coin in COINS:
        a, b = gen["coins"][coin][0], other[coin][0]
        assert not np.allclose(a["index_close"], b["index_close"])
        assert b.loc["2025-10-10 21:00", "low"] == approx(coin, OCT10[coin][3])
        assert b[cols(coin)[1]].max() == approx(coin, WINDOW[coin][3][0])
    assert other["SOL"][1]["rate"].loc["2025-10-11 00:00"] == -0.00302761


def test_build_writes_the_coins_folders(tmp_path):
    out = build(tmp_path / "crisis-2025")
    assert sorted(p.name for p in out.iterdir()) == [
        "bars.parquet", "coins", "funding.parquet", "iv.parquet", "manifest.json"]
    assert sorted(p.name for p in (out / "coins").iterdir()) == sorted(COINS)
    for coin in COINS:
        assert sorted(p.name for p in (out / "coins" / coin).iterdir()) == [
            "bars.parquet", "funding.parquet", "iv.parquet"]
    again = build(out)   # rebuilding over an existing directory replaces it in one step
    assert again == out and not list(tmp_path.glob(".crisis-2025-*"))
    for name in ("bars", "funding", "iv"):   # BTC's files, byte for byte the shipped ones
        assert (out / f"{name}.parquet").read_bytes() == (OUT / f"{name}.parquet").read_bytes()


# --- against the real files ----------------------------------------------------------------------

def _read(path):
    df = pd.read_csv(path)
    df.index = pd.DatetimeIndex(pd.to_datetime(df["open_time_utc"], utc=True), name="time")
    df = df.rename(columns={"volume_btc": "volume"})
    return df.loc[(df.index >= START) & (df.index < END), ["open", "high", "low", "close", "volume"]].astype(float)


@pytest.fixture(scope="module")
def real():
    """{coin: real 1h bars of the series the facts are on (spot; DOGE: perp 5m summed to 1h)},
    {coin: real perp 1h from 5m}, BTC spot 1h."""
    require_alts()
    perp = {c: _read(ALTS / f"binance_perp_{c}USDT_5m.csv").resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}) for c in COINS}
    spot = {c: _read(ALTS / f"binance_spot_{c}USDT_1h.csv") if c in SPOT_FACTS else perp[c] for c in COINS}
    return spot, perp, _read(BTC_SPOT)


def _returns(first_open, close):
    return pd.Series(np.diff(np.log(np.concatenate([[first_open], close.to_numpy()]))), index=close.index)


def _weekly(x):
    return (x.index - START) // pd.Timedelta("7D")


def test_typed_in_facts_are_the_real_files(real):
    spot, perp, _btc = real
    for coin in COINS:
        first, last, nov_low, (high, high_at), window_low = WINDOW[coin]
        s = spot[coin]
        assert (s["open"].iloc[0], s["close"].iloc[-1]) == (first, last)
        assert s.loc["2025-11-01":, "low"].min() == nov_low
        assert s.loc["2025-11-21", "low"].min() == nov_low
        assert (s["high"].max(), s["high"].idxmax()) == (high, T(high_at))
        assert (s["low"].min() == nov_low) == window_low
        so, po, slo, plo, r22, r00 = OCT10[coin]
        assert perp[coin].loc["2025-10-10 20:00", "open"] == po
        assert perp[coin].loc["2025-10-10 21:00", "low"] == plo
        if so is not None:
            assert (s.loc["2025-10-10 20:00", "open"], s.loc["2025-10-10 21:00", "low"]) == (so, slo)
            assert (s.loc["2025-10-10 22:00", "open"], s.loc["2025-10-11 00:00", "open"]) == (r22, r00)


@pytest.mark.parametrize("coin", COINS)
def test_weekly_volatility_and_daily_ranges_near_the_real_ones(gen, real, coin):
    bars = gen["coins"][coin][0]
    r = real[0][coin]
    o, h, lo, c = (bars[k] for k in cols(coin))
    ours = _returns(o.iloc[0], c)
    theirs = _returns(r["open"].iloc[0], r["close"])
    vol = ours.groupby(_weekly(ours)).std() / theirs.groupby(_weekly(theirs)).std()

    def daily_range(o, h, lo):
        d = pd.DataFrame({"o": o, "h": h, "l": lo}).resample("1D").agg({"o": "first", "h": "max", "l": "min"})
        x = (d["h"] - d["l"]) / d["o"]
        return x.groupby(_weekly(x)).mean()

    rng = daily_range(o, h, lo) / daily_range(r["open"], r["high"], r["low"])
    print(f"\n{coin} week vol ratio {np.round(vol.to_numpy(), 2)}\n{coin} daily range ratio {np.round(rng.to_numpy(), 2)}")
    assert len(vol) == len(rng) == 13
    assert ((vol >= 0.67) & (vol <= 1.5)).all(), vol
    assert ((rng >= 0.6) & (rng <= 1.6)).all(), rng


@pytest.mark.parametrize("coin", COINS)
def test_comoves_with_btc_like_the_real_coin(gen, real, coin):
    """Correlation with BTC's hourly returns, and what a BTC hedge at the window's beta removes."""
    bars, btc = gen["coins"][coin][0], gen["btc"][0]
    spot, _perp, real_btc = real
    o, _h, _lo, c = cols(coin)
    crash = (bars.index >= T("2025-10-10 20:00")) & (bars.index < T("2025-10-11 00:00"))

    def stats(coin_ret, btc_ret):
        a, b = coin_ret.to_numpy()[~crash], btc_ret.to_numpy()[~crash]
        beta = np.cov(a, b)[0, 1] / np.var(b, ddof=1)
        return np.corrcoef(a, b)[0, 1], beta, 1 - np.var(a - beta * b) / np.var(a)

    ours = stats(_returns(bars[o].iloc[0], bars[c]), _returns(btc["index_open"].iloc[0], btc["index_close"]))
    theirs = stats(_returns(spot[coin]["open"].iloc[0], spot[coin]["close"]),
                   _returns(real_btc["open"].iloc[0], real_btc["close"]))
    print(f"\n{coin} corr {ours[0]:.3f} (real {theirs[0]:.3f}), beta {ours[1]:.2f} ({theirs[1]:.2f}), "
          f"variance a BTC hedge removes {ours[2]:.2f} ({theirs[2]:.2f})")
    assert abs(ours[0] - theirs[0]) <= 0.08
    assert abs(ours[1] - theirs[1]) <= 0.25
    assert abs(ours[2] - theirs[2]) <= 0.1


def test_perp_premium_and_funding_levels_near_the_real_ones(gen, real):
    spot, perp, _btc = real
    calm = ~((perp["ETH"].index >= T("2025-10-10 20:00")) & (perp["ETH"].index < T("2025-10-12 00:00")))
    for coin in ("ETH", "SOL", "XRP", "BNB"):
        bars = gen["coins"][coin][0]
        ours = (bars["close"] / bars["index_close"] - 1)[calm].median()
        theirs = (perp[coin]["close"] / spot[coin]["close"] - 1)[calm].median()
        print(f"\n{coin} median perp/spot premium {ours * 1e4:+.2f} bp (real {theirs * 1e4:+.2f} bp)")
        assert abs(ours - theirs) <= 0.0002
    edges = [T(d) for d in ("2025-09-01", "2025-10-01", "2025-10-11", "2025-10-26", "2025-11-21", "2025-12-01")]
    for coin in ("ETH", "SOL"):
        f = pd.read_csv(ALTS / f"binance_perp_{coin}USDT_funding_8h.csv")
        real_rate = pd.Series(f["funding_rate"].to_numpy(float),
                              index=pd.DatetimeIndex(pd.to_datetime(f["calc_time_utc"], utc=True)).floor("1h"))
        ours = gen["coins"][coin][1]["rate"]
        assert real_rate.loc["2025-10-11 00:00"] == ours.loc["2025-10-11 00:00"]
        for a, b in zip(edges[:-1], edges[1:]):
            mine, theirs = ours[(ours.index >= a) & (ours.index < b)], real_rate[(real_rate.index >= a) & (real_rate.index < b)]
            assert abs(mine.mean() - theirs.mean()) <= 0.000025, (coin, a, mine.mean(), theirs.mean())
