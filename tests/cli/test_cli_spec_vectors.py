"""Real Binance data of the Oct-Nov 2025 crash, imported through `hedgelab data import`, against
computations written here from the spec sheet (../shared/specs/exchange-mechanics.md) and the raw CSVs.

The funding file is the official flat file (cheneau), which has no settlement mark: the manifest says
the settlement is computed on the mark open of the settlement bar, and the mark is the spot proxy.
"""
import json

import numpy as np
import pandas as pd
import pytest

from hedgelab.data import align, load
from hedgelab.engine import Costs, simulate
from hedgelab.strategies import get_strategy

from testkit import cli as h
from testkit.replay import one_order

SPOT = "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv"
FUNDING = "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv"
_STORE = {}

# §1.1 late-2025 BTCUSDT brackets (the five lowest are all a 100k account can reach at 50x).
FLOOR = [0, 300e3, 800e3, 3e6, 12e6]
CAP = [300e3, 800e3, 3e6, 12e6, 70e6]
MMR = [0.004, 0.005, 0.0065, 0.01, 0.02]
CUM = [0, 300, 1_500, 12_000, 132_000]
TAKER = 0.0005          # Binance VIP 0 USDⓈ-M taker (README: taker fee)
HALF_SPREAD, IMPACT = 0.00005, 0.01   # mechanics.md: 0.5 bp and 1 % at a whole bar's volume, square root


@pytest.fixture
def store(shared_dir, tmp_path_factory):
    if "store" not in _STORE:
        path = tmp_path_factory.mktemp("spec-real") / "store"
        rc, _, _ = h.invoke(["data", "import", "real", "--prices", str(shared_dir / SPOT),
                             "--funding", str(shared_dir / FUNDING), "--store", str(path)])
        assert rc in (0, None)
        _STORE["store"] = path
    return _STORE["store"]


def raw_bars(shared_dir):
    bars = pd.read_csv(shared_dir / SPOT)
    bars.index = pd.to_datetime(bars["open_time_utc"], utc=True)
    return bars


def raw_funding(shared_dir):
    f = pd.read_csv(shared_dir / FUNDING)
    # calc_time_ms is a few ms past the hour; the settlement belongs to the bar opening on that hour
    f.index = pd.to_datetime(f["calc_time_ms"], unit="ms", utc=True).dt.round("h")
    return f["last_funding_rate"]


def binance_long_lp(wallet, qty, entry):
    """§1.2 isolated one-way LP, recomputed with the bracket its notional falls in."""
    for mmr, cum, lo, hi in zip(MMR, CUM, FLOOR, CAP):
        lp = (wallet + cum - qty * entry) / (qty * mmr - qty)
        if lo <= qty * lp < hi:
            return lp
    raise AssertionError("no bracket holds the liquidation notional")


def manifest_price_proxy(store):
    m = load("real", store).manifest
    assert m["provenance"]["funding.mark_price"].startswith("none: settlement computed on mark_open")
    assert m["proxies"]["mark"].startswith("mark = index") and m["proxies"]["index"].startswith("index = spot")


@pytest.mark.parametrize("leverage,day", [(10, "2025-10-10"), (20, "2025-10-10"), (50, "2025-10-07")])
def test_isolated_long_from_oct6_liquidation_hour(store, shared_dir, tmp_path, leverage, day):
    # `hedgelab run leveraged-long` opens at the close of the first bar (Oct 6 00:00) with the whole
    # 100,000 as isolated margin, trimmed so the cash also pays the taker fee: q * P * (1/L + fee) = 100k,
    # filled at close * (1 + half spread + impact * sqrt(q / volume)).
    manifest_price_proxy(store)
    bars = raw_bars(shared_dir)
    rates = raw_funding(shared_dir)
    close0, vol0 = bars.loc["2025-10-06 00:00", "close"], bars.loc["2025-10-06 00:00", "volume_btc"]
    qty, fill = 1e5 * leverage / close0, close0
    for _ in range(50):
        fill = close0 * (1 + HALF_SPREAD + IMPACT * np.sqrt(qty / vol0))
        qty = 1e5 / (fill * (1 / leverage + TAKER))
    # Liquidation hour under both readings of the opening margin: q * entry / L (spec §2's IM) and
    # q * mark / L (the margin re-sized at the mark close after the order); funding paid from the margin.
    hours, lost = set(), []
    for wallet0 in (qty * fill / leverage, qty * close0 / leverage):
        wallet = wallet0
        for t, row in bars.loc["2025-10-06 01:00":].iterrows():
            if t in rates.index:
                wallet -= qty * row["open"] * rates[t]     # §1.4: longs pay notional(mark) x F
            if row["low"] <= binance_long_lp(wallet, qty, fill):
                hours.add(t)
                lost.append(wallet)
                break
    assert len(hours) == 1, hours
    expected = hours.pop()
    assert expected.strftime("%Y-%m-%d") == day
    out = tmp_path / "out"
    rc, _, err = h.invoke(["run", "leveraged-long", "-p", f"leverage={leverage}", "--data", "real",
                           "--store", str(store), "--start", "2025-10-06", "--end", "2025-11-30",
                           "--out", str(out), "--quiet", "--tearsheets", "0"])
    assert rc == 0, err
    summary, events = h.read_outputs(out)
    liq = events[events["kind"] == "liquidation"]
    assert len(liq) == 1
    assert liq["time"].iloc[0] == expected
    # isolated: the account loses what is left of its margin after the funding it paid, no more (§1.3)
    # (to 0.1 %: the fill here is recomputed from the cost rule, not read back)
    assert min(lost) * (1 - 1e-3) <= -liq["amount"].iloc[0] <= max(lost) * (1 + 1e-3)



def test_short_receives_october_funding_on_the_stated_price(store, shared_dir):
    # Short opened at the close of Sep 30 23:00, i.e. before the Oct 1 00:00 settlement, held through
    # the Oct 31 23:00 bar: it receives rate x price on each of October's 93 settlements, the price
    # being the manifest's proxy, the open of the settlement bar (§1.4; only positions open at the
    # timestamp pay or receive).
    manifest_price_proxy(store)
    market = align(load("real", store), "2025-09-30 23:00", "2025-10-31 23:00")
    n = len(market.close)
    assert n == 31 * 24 + 1
    res = simulate(market, one_order(n, -1.0, 1.0), venue="binance", at="2025-10-01", costs=Costs.zero(),
                   capital=200_000.0)
    bars = raw_bars(shared_dir)
    rates = raw_funding(shared_dir).loc["2025-10-01":"2025-10-31 23:59"]
    assert len(rates) == 93
    expected = float((rates * bars.loc[rates.index, "open"]).sum())
    assert res.summary["funding_pnl"].iloc[0] == pytest.approx(expected, rel=1e-12)
    got = res.events[res.events["kind"] == "funding"].set_index("time")["amount"]
    want = rates * bars.loc[rates.index, "open"]
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)


def test_spot_plus_half_short_perp_equity_on_nov21(store, shared_dir):
    # perp-hedge without rebalancing or top-ups and without costs: at the Oct 6 00:00 close it buys
    # spot S = 95,000 / (P0 + 0.5 P0 / 3) and shorts S/2 at 3x (isolated margin S/2 * P0 / 3), then holds.
    # Equity = cash + S P_t + margin + funding received + (-S/2)(P_t - P0), mark = spot (the proxy).
    market = align(load("real", store), "2025-10-06 00:00", "2025-11-21 23:00")
    cls = get_strategy("perp-hedge")
    spec = cls().spec(market, [{"hedge_ratio": 0.5, "leverage": 3.0, "rebalance_hours": 0.0, "drift": 1e9,
                                "topup_at": 1.0, "reserve": 0.05}])
    res = simulate(market, spec, venue="binance", costs=Costs.zero(), capital=100_000.0)
    bars = raw_bars(shared_dir).loc["2025-10-06 00:00":"2025-11-21 23:00"]
    p0 = bars["close"].iloc[0]
    spot = 95_000 / (p0 + 0.5 * p0 / 3)
    short = 0.5 * spot
    margin = short * p0 / 3
    cash = 100_000 - spot * p0 - margin
    rates = raw_funding(shared_dir)
    rates = rates[(rates.index > bars.index[0]) & (rates.index <= bars.index[-1])]
    received = (rates * short * bars.loc[rates.index, "open"]).reindex(bars.index, fill_value=0.0).cumsum()
    equity = cash + spot * bars["close"] + margin + received - short * (bars["close"] - p0)
    nov21 = res.equity.loc["2025-11-21"].iloc[:, 0]
    assert len(nov21) == 24
    np.testing.assert_allclose(nov21.to_numpy(), equity.loc["2025-11-21"].to_numpy(), rtol=1e-10)
    assert res.summary["liquidations"].iloc[0] == 0
    assert res.spot_qty.iloc[-1, 0] == pytest.approx(spot, rel=1e-12)
    assert res.perp_qty.iloc[-1, 0] == pytest.approx(-short, rel=1e-12)


def calc_liq(capsys, *args):
    rc, out, err = h.invoke(["calc", "liq", *args, "--json"], capsys)
    assert rc in (0, None), err
    return json.loads(out)


@pytest.mark.parametrize("side,lev,open_,amount,expected", [
    ("short", 5, 10, 1, 11.891089108910890), ("short", 3, 10, 1, 13.211221122112212),
    ("short", 5, 8, 1, 9.514851485148514), ("short", 5, 10, 0.6, 11.897689768976898),
    ("long", 5, 10, 1, 8.070707070707071), ("long", 5, 8, 1, 6.454545454545454),
    ("long", 3, 10, 1, 6.723905723905723), ("long", 5, 10, 0.6, 8.063973063973064),
])
def test_calc_liq_freqtrade_binance_vectors(capsys, side, lev, open_, amount, expected):
    # §7.1: MMR 0.01, cum 0.01, WB = amount x open / leverage
    out = calc_liq(capsys, "--side", side, "--entry", str(open_), "--qty", str(amount),
                   "--wallet", repr(amount * open_ / lev), "--mmr", "0.01", "--maint-amount", "0.01", "--at", "2025-10-15")
    assert out["liquidation_price"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("side,lev,open_,amount,expected", [
    ("short", 5, 10, 1, 11.87413417771621), ("short", 5, 10, 2, 11.87413417771621),
    ("short", 3, 10, 1, 13.193482419684678), ("short", 5, 8, 1, 9.499307342172967),
    ("long", 5, 10, 1, 8.085708510208207), ("long", 3, 10, 1, 6.738090425173506),
])
def test_calc_liq_freqtrade_gate_okx_vectors(capsys, side, lev, open_, amount, expected):
    # §4/§7.1 Gate/OKX: LP = (EP -/+ WB/Q) / (1 -/+ (MMR + taker)), MMR 0.01, taker 0.0006. That is §1.2
    # with cum 0 and MMR' = MMR + taker, so Binance's rule with --mmr 0.0106 --maint-amount 0 reaches it.
    out = calc_liq(capsys, "--side", side, "--entry", str(open_), "--qty", str(amount),
                   "--wallet", repr(amount * open_ / lev), "--mmr", "0.0106", "--maint-amount", "0", "--at", "2025-10-15")
    assert out["liquidation_price"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("side,lev,expected", [
    ("long", 1, 0.1), ("long", 3, 6.7666666), ("long", 5, 8.1), ("long", 10, 9.1),
    ("short", 1, 19.9), ("short", 3, 13.233333), ("short", 5, 11.9), ("short", 10, 10.9),
])
def test_calc_liq_freqtrade_bybit_vectors(capsys, side, lev, expected):
    # §7.1 Bybit rows, open 10: LP = EP (1 -/+ 1/lev +/- MMR) with MMR 0.01 and no deduction
    out = calc_liq(capsys, "--venue", "bybit", "--side", side, "--entry", "10", "--qty", "1",
                   "--leverage", str(lev), "--mmr", "0.01", "--maint-amount", "0", "--at", "2025-10-15")
    assert out["liquidation_price"] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("args,expected", [
    # §1.1 late-2025 bracket 1 (0.4 %, cum 0): (10,000 - 100,000) / (0.004 - 1)
    (["--side", "long", "--leverage", "10", "--at", "2025-10-15"], (10_000 - 100_000) / (0.004 - 1)),
    # §1.1 2024 table, tier 2 (0.5 %, cum 50)
    (["--side", "long", "--leverage", "10", "--at", "2024-10-24"], (10_000 + 50 - 100_000) / (0.005 - 1)),
    # §3 Hyperliquid 40x: l = 1.25 %, margin_available = 10,000 - 1,250
    (["--venue", "hyperliquid", "--side", "long", "--leverage", "10", "--at", "2025-10-15"],
     100_000 - 8_750 / (1 - 0.0125)),
    # §3 with the historical 50x: l = 1 %, short: 100,000 + 9,000 / (1 + 0.01)
    (["--venue", "hyperliquid", "--side", "short", "--leverage", "10", "--max-leverage", "50", "--at", "2025-10-15"],
     100_000 + 9_000 / 1.01),
])
def test_calc_liq_venue_tables(capsys, args, expected):
    out = calc_liq(capsys, "--entry", "100000", "--qty", "1", *args)
    assert out["liquidation_price"] == pytest.approx(expected, rel=1e-12)


def test_eth_dataset_uses_the_eth_tiers(tmp_path, capsys):
    # ETH flat at 4,000 with one wick to 3,660. A 10x isolated long opened at ~4,000.4 (cost rule) has
    # LP = (q E - WB) / (q (1 - MMR)) with WB = q E / 10 or q x mark / 10 (either reading):
    # under ETH's 2 % it lies above 3,660 (liquidated), under BTC's 1.25 % below it.
    def lp(entry, wb_price, mmr):
        return (entry - wb_price / 10) / (1 - mmr)
    for entry in (4000.0, 4001.0):
        for wb_price in (4000.0, entry):
            assert lp(entry, wb_price, 0.02) > 3_665 and lp(entry, wb_price, 0.0125) < 3_655
    t = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    p = np.full(48, 4_000.0)
    low = p.copy()
    low[20] = 3_660.0
    csv = tmp_path / "eth.csv"
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p, "high": p, "low": low, "close": p,
                  "volume": 1e7}).to_csv(csv, index=False)
    store, out = tmp_path / "store", tmp_path / "out"
    rc, _, err = h.invoke(["data", "import", "eth", "--prices", str(csv), "--venue", "hyperliquid",
                           "--symbol", "ETH/USDC:USDC", "--store", str(store)], capsys)
    assert rc in (0, None), err
    rc, _, err = h.invoke(["run", "leveraged-long", "-p", "leverage=10", "--venue", "hyperliquid", "--data", "eth",
                           "--store", str(store), "--out", str(out), "--quiet", "--tearsheets", "0"], capsys)
    assert rc == 0, err
    _, events = h.read_outputs(out)
    assert h.first_liquidation(events, "leveraged-long") == t[20]


def test_cli_perp_hedge_with_costs_final_equity_on_nov21(store, shared_dir, tmp_path, capsys):
    # `hedgelab run perp-hedge` at hedge ratio 0.5 with the default costs, never rebalanced or topped up,
    # from the Oct 6 00:00 close to the Nov 21 23:00 close. By hand: spot S = 95,000 / (P0 + 0.5 P0 / 3)
    # bought at P0 (1 + 0.5 bp + 1 % sqrt(S / volume)) with the 0.1 % spot fee; S/2 shorted at
    # P0 (1 - 0.5 bp - 1 % sqrt(S/2 / volume)) with the 0.05 % taker fee; margin moves are internal, so
    # equity = 100k - S fill_s - fees + S P_T + (S/2)(fill_p - P_T) + funding received (rate x open).
    out = tmp_path / "out"
    rc, _, err = h.invoke(["run", "perp-hedge", "-p", "hedge_ratio=0.5", "-p", "leverage=3", "-p", "rebalance_hours=0",
                           "-p", "drift=1000", "-p", "topup_at=1", "-p", "reserve=0.05", "--data", "real",
                           "--store", str(store), "--start", "2025-10-06", "--end", "2025-11-21", "--out", str(out),
                           "--quiet", "--tearsheets", "0"], capsys)
    assert rc == 0, err
    summary, events = h.read_outputs(out)
    bars = raw_bars(shared_dir).loc["2025-10-06 00:00":"2025-11-21 23:00"]
    p0, vol0, pt = bars["close"].iloc[0], bars["volume_btc"].iloc[0], bars["close"].iloc[-1]
    spot = 95_000 / (p0 + 0.5 * p0 / 3)
    short = 0.5 * spot
    fill_s = p0 * (1 + HALF_SPREAD + IMPACT * np.sqrt(spot / vol0))
    fill_p = p0 * (1 - HALF_SPREAD - IMPACT * np.sqrt(short / vol0))
    fees = spot * fill_s * 0.001 + short * fill_p * TAKER
    rates = raw_funding(shared_dir)
    rates = rates[(rates.index > bars.index[0]) & (rates.index <= bars.index[-1])]
    funding = float((rates * short * bars.loc[rates.index, "open"]).sum())
    expected = 100_000 - spot * fill_s - fees + spot * pt + short * (fill_p - pt) + funding
    row = summary.iloc[0]
    assert row["liquidations"] == 0
    assert row["fees_paid_usd"] == pytest.approx(fees, rel=1e-9)
    assert row["funding_paid_usd"] == pytest.approx(-funding, rel=1e-9)   # the short received it: - paid
    assert row["final_equity"] == pytest.approx(expected, rel=1e-9)


def test_short_receives_october_funding_on_the_settlement_mark(shared_dir, tmp_path):
    # With the btspacec file (fundingRate endpoint, with markPrice) the settlement is on that mark (§1.4),
    # not on the bar's open: October's 93 settlements pay rate x markPrice each to a 1 BTC short.
    marked = "binance_btcusdt_funding_8h_markprice_btspacec.csv"
    store = tmp_path / "store"
    rc, _, _ = h.invoke(["data", "import", "marked", "--prices", str(shared_dir / SPOT),
                         "--funding", str(shared_dir / marked), "--store", str(store)])
    assert rc in (0, None)
    raw = pd.read_csv(shared_dir / marked)
    raw.index = pd.to_datetime(raw["funding_time_ms"], unit="ms", utc=True).dt.round("h")
    raw = raw.loc["2025-10-01":"2025-10-31 23:59"]
    assert len(raw) == 93
    market = align(load("marked", store), "2025-09-30 23:00", "2025-10-31 23:00")
    res = simulate(market, one_order(len(market.close), -1.0, 1.0), venue="binance", at="2025-10-01",
                   costs=Costs.zero(), capital=200_000.0)
    want = raw["funding_rate"] * raw["mark_price"]
    got = res.events[res.events["kind"] == "funding"].set_index("time")["amount"]
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    # the mark differs from the bar open, so the proxy would not give the same total
    bars = raw_bars(shared_dir)
    assert abs(float((raw["funding_rate"] * bars.loc[raw.index, "open"]).sum()) - want.sum()) > 1e-6
