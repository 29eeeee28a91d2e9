"""Spec-sheet rules (../shared/specs/exchange-mechanics.md) not covered by test_engine_margin.py, reached
the way a user reaches them: ``liquidation_price`` with the shipped venue tables, and ``simulate`` on
hand-made bars. Every expected number is computed here from the spec's formula and tables."""
import numpy as np
import pytest

from hedgelab.engine import Costs, simulate
from hedgelab.engine.liquidation import liquidation_price
from hedgelab.engine.synthetic import make_market
from hedgelab.core.errors import UserError
from testkit.replay import one_order

AT = "2025-10-15"


def binance_lp(side, wallet, qty, entry, mmr, cum):
    """§1.2 one-way isolated: LP = (WB + cum - side Q EP) / (Q MMR - side Q)."""
    return (wallet + cum - side * qty * entry) / (qty * mmr - side * qty)


@pytest.mark.parametrize("side,qty,lev,mmr,cum,lo,hi", [
    # §1.1 late-2025 table. 10x long 1 BTC @ 100k: notional at LP ~90k, bracket 1 (0.40 %, cum 0)
    (1, 1.0, 10, 0.004, 0, 0, 300e3),
    (-1, 1.0, 10, 0.004, 0, 0, 300e3),
    # short 2.9 BTC (290k, bracket 1 at entry): the price rises to LP, whose notional (~318k) is in
    # bracket 2 (0.50 %, cum 300): recomputed there (§1.2 FAQ note)
    (-1, 2.9, 10, 0.005, 300, 300e3, 800e3),
    # 50 BTC at 20x (5M): bracket 4 (1 %, cum 12,000)
    (1, 50.0, 20, 0.01, 12_000, 3e6, 12e6),
])
def test_binance_late_2025_brackets(side, qty, lev, mmr, cum, lo, hi):
    entry = 100_000.0
    wallet = qty * entry / lev
    want = binance_lp(side, wallet, qty, entry, mmr, cum)
    assert lo <= qty * want < hi          # the bracket named above is the one the LP's notional is in
    res = liquidation_price("binance", side="long" if side > 0 else "short", entry=entry, qty=qty, leverage=lev,
                            at=AT)
    assert res.liquidation_price == pytest.approx(want, rel=1e-13)
    assert (res.mmr, res.maint_amount) == (mmr, cum)


def test_binance_2024_table_applies_before_sep_2025():
    # §1.1 2024 table: 50k-600k at 0.5 %, cum 50. 10x long 1 BTC @ 100k -> LP notional ~90k in tier 2
    # (the late-2025 table would put it in its first bracket at 0.4 %).
    want = binance_lp(1, 10_000.0, 1.0, 100_000.0, 0.005, 50)
    res = liquidation_price("binance", side="long", entry=100_000, qty=1, leverage=10, at="2024-10-24")
    assert res.liquidation_price == pytest.approx(want, rel=1e-13)
    assert (res.mmr, res.maint_amount) == (0.005, 50)


def test_bybit_extra_margin_and_short_mirror():
    # §2: LP_long = EP - (IM - MM)/Q - extraMargin/Q; the official example (IM 400, MM 100) with 100 USDT
    # extra margin: 20,000 - 300 - 100 = 19,600; LP_short = EP + (IM - MM)/Q = 20,300.
    res = liquidation_price("bybit", side="long", entry=20_000, qty=1, wallet=500, at=AT)
    assert res.liquidation_price == pytest.approx(19_600, abs=1e-9)
    res = liquidation_price("bybit", side="short", entry=20_000, qty=1, leverage=50, at=AT)
    assert res.liquidation_price == pytest.approx(20_300, abs=1e-9)


def test_bybit_tier_2_deduction():
    # §2 tiers: 300 BTC @ 10,000 = 3M (tier 2: MMR 1 %, deduction 2M x (1 % - 0.5 %) = 10,000).
    # IM = 3M / 50 = 60,000, MM = 30,000 - 10,000 = 20,000 -> LP = 10,000 - 40,000 / 300.
    res = liquidation_price("bybit", side="long", entry=10_000, qty=300, leverage=50, at=AT)
    assert res.liquidation_price == pytest.approx(10_000 - 40_000 / 300, rel=1e-13)
    assert (res.mmr, res.maint_amount) == (0.01, 10_000)


def hl_lp(side, price, size, isolated, mmr, deduction):
    """§3: liq = price - side * margin_available / size / (1 - l * side), margin_available = margin - MM."""
    available = isolated - (size * price * mmr - deduction)
    return price - side * available / size / (1 - mmr * side)


@pytest.mark.parametrize("side,qty,mmr,deduction", [
    # BTC 40x up to 150M: l = 1/(2*40) = 1.25 %
    (1, 1.0, 0.0125, 0.0),
    (-1, 1.0, 0.0125, 0.0),
    # 2,000 BTC @ 100k = 200M > 150M: 20x tier, MMR 2.5 %, deduction 150M x 1.25 % = 1,875,000
    (1, 2000.0, 0.025, 1_875_000.0),
])
def test_hyperliquid_current_tiers(side, qty, mmr, deduction):
    entry = 100_000.0
    want = hl_lp(side, entry, qty, qty * entry / 10, mmr, deduction)
    res = liquidation_price("hyperliquid", side="long" if side > 0 else "short", entry=entry, qty=qty,
                            leverage=10, at=AT)
    assert res.liquidation_price == pytest.approx(want, rel=1e-12)
    assert (res.mmr, res.maint_amount) == (mmr, deduction)


def test_hyperliquid_leverage_is_an_integer():
    # §3: a whole number from 1 to the asset's max. 7.5 is refused (not rounded: the user chooses 7 or 8),
    # in the calculator and as a backtest parameter; 7 is fine, and Binance takes 7.5.
    with pytest.raises(UserError, match="whole numbers.*use 7 or 8"):
        liquidation_price("hyperliquid", side="long", entry=100_000, qty=1, leverage=7.5, at=AT)
    # 7x long 1 BTC @ 100k: margin 14,285.71, MM 1.25 % at entry, LP = EP - (margin - MM) / Q / (1 - l)
    lp = liquidation_price("hyperliquid", side="long", entry=100_000, qty=1, leverage=7, at=AT).liquidation_price
    assert lp == pytest.approx(100_000 - (100_000 / 7 - 1_250) / (1 - 0.0125), rel=1e-12)
    liquidation_price("binance", side="long", entry=100_000, qty=1, leverage=7.5, at=AT)
    p = np.full(3, 100_000.0)
    base = one_order(3, 1.0, 7.0)
    swept = base._replace(params=np.array([[7.0], [7.5]]), param_names=("leverage",), labels=("7x", "7.5x"))
    with pytest.raises(UserError, match="column 1.*whole numbers"):
        simulate(make_market(p, p, p, p, start="2025-10-01"), swept, venue="hyperliquid", costs=Costs.zero(),
                 capital=100_000.0, at=AT)



def test_hyperliquid_backstop_takes_the_margin_below_two_thirds_mm():
    # §3: below 2/3 MM the vault takes the position and its margin; MM is not returned. 10x long 1 BTC
    # @ 100k (margin 10,000); the mark opens at 90,500: equity 500 < 2/3 x 1.25 % x 90,500 = 754.2 (and > 0).
    p = np.array([100_000.0, 100_000.0, 90_500.0, 90_500.0])
    assert 0 < 10_000 + (90_500 - 100_000) < 2 / 3 * 0.0125 * 90_500
    res = simulate(make_market(p, p, p, p, start="2025-10-01"), one_order(4, 1.0, 10.0), venue="hyperliquid",
                   costs=Costs.zero(), capital=50_000.0, at=AT)
    assert res.summary["liquidations"].iloc[0] == 1
    assert res.perp_qty.iloc[-1, 0] == 0
    assert res.equity.iloc[-1, 0] == pytest.approx(40_000, rel=1e-12)    # not 40,500: the 500 goes too


def test_hyperliquid_funding_hourly_on_the_oracle_price():
    # §3: payment = size x oracle price x hourly rate (not the mark); a 1 BTC short receives when rate > 0.
    n = 5
    p = np.full(n, 100_000.0)
    rate = np.array([np.nan, 0.0001, -0.0002, 0.0000125, 0.0003])
    oracle = np.array([100_000.0, 99_000.0, 99_500.0, 101_000.0, 100_500.0])
    m = make_market(p, p, p, p, start="2025-10-01", funding_rate=rate, funding_price=oracle)
    res = simulate(m, one_order(n, -1.0, 1.0), venue="hyperliquid", costs=Costs.zero(), capital=300_000.0, at=AT)
    got = res.events[res.events["kind"] == "funding"]
    assert list(got["bar"]) == [1, 2, 3, 4]
    np.testing.assert_allclose(got["amount"].to_numpy(), (oracle * rate)[1:], rtol=1e-12)


def test_hyperliquid_funding_capped_at_4_percent_per_hour():
    # §3: at most 4 % per hour; the hourly settlements of 5 % and -6 % are paid at +-4 % of 100k.
    n = 3
    p = np.full(n, 100_000.0)
    rate = np.array([np.nan, 0.05, -0.06])
    m = make_market(p, p, p, p, start="2025-10-01", funding_rate=rate)
    res = simulate(m, one_order(n, -1.0, 1.0), venue="hyperliquid", costs=Costs.zero(), capital=300_000.0, at=AT)
    got = res.events[res.events["kind"] == "funding"]["amount"].to_numpy()
    np.testing.assert_allclose(got, [0.04 * 100_000, -0.04 * 100_000], rtol=1e-12)


def test_hyperliquid_funding_cap_scales_with_the_datas_settlement_interval():
    # 8-hourly data on Hyperliquid: a settlement 8 h after the previous one may carry up to 8 x 4 % = 32 %;
    # the first one is capped over the venue's hourly interval (4 %). Binance has no cap in its table.
    n = 10
    p = np.full(n, 100_000.0)
    rate = np.full(n, np.nan)
    rate[[1, 9]] = [0.05, 0.30]
    m = make_market(p, p, p, p, start="2025-10-01", funding_rate=rate)
    res = simulate(m, one_order(n, -1.0, 1.0), venue="hyperliquid", costs=Costs.zero(), capital=300_000.0, at=AT)
    got = res.events[res.events["kind"] == "funding"]["amount"].to_numpy()
    np.testing.assert_allclose(got, [0.04 * 100_000, 0.30 * 100_000], rtol=1e-12)
    m = make_market(p, p, p, p, start="2025-10-01", funding_rate=np.where(np.arange(n) == 1, 0.05, np.nan))
    res = simulate(m, one_order(n, -1.0, 1.0), venue="binance", costs=Costs.zero(), capital=300_000.0, at=AT)
    assert res.events[res.events["kind"] == "funding"]["amount"].tolist() == pytest.approx([0.05 * 100_000])


def test_bybit_kernel_margin_is_entry_value_over_leverage():
    # Long 1 BTC at 50x with a 0.1 % half spread: fill EP = 20,020 while the mark is 20,000.
    # IM = 20,020 / 50 = 400.4, MM = 20,020 x 0.5 % = 100.1 -> LP = 20,020 - 300.3 = 19,719.7.
    n = 3
    p = np.full(n, 20_000.0)
    m = make_market(p, p, p, p, start="2025-10-01", volume=np.full(n, 1e9))
    costs = Costs(perp_fee=0.0, spot_fee=0.0, half_spread=0.001, impact=0.0)
    res = simulate(m, one_order(n, 1.0, 50.0), venue="bybit", costs=costs, capital=10_000.0, at=AT)
    assert res.events[res.events["kind"] == "fill"]["price"].iloc[0] == pytest.approx(20_020, rel=1e-12)
    assert res.liq_price.iloc[0, 0] == pytest.approx(20_020 - (400.4 - 100.1), rel=1e-12)


def test_binance_clearance_fee_is_capped_not_the_whole_remaining_margin():
    # 250 BTC @ 100k at 10x (margin 2.5M): LP in bracket 5 (2 %, cum 132,000). At LP equity = MM, and the
    # clearance fee 1.25 % x notional(LP) is smaller than MM there, so the account keeps MM - fee.
    q, entry = 250.0, 100_000.0
    lp = binance_lp(1, 2.5e6, q, entry, 0.02, 132_000)
    assert 12e6 <= q * lp < 70e6
    mm = q * lp * 0.02 - 132_000
    fee = 0.0125 * q * lp
    assert mm > fee
    p = np.full(4, entry)
    lo = p.copy()
    lo[2] = lp
    res = simulate(make_market(p, p, lo, p, start="2025-10-01", volume=np.full(4, 1e9)), one_order(4, q, 10.0),
                   venue="binance", costs=Costs.zero(), capital=3e6, at=AT)
    assert res.summary["liquidations"].iloc[0] == 1
    assert res.equity.iloc[-1, 0] == pytest.approx(3e6 - 2.5e6 + (mm - fee), rel=1e-9)


def test_leverage_above_the_brackets_maximum_is_refused():
    # 100 BTC @ 100k = 10M: bracket 4 allows 50x. The kernel clamps 100x to 50x (margin 200k,
    # LP = (200,000 + 12,000 - 10M) / (100 x (1 % - 1))), while the calculator answers for a 100k margin.
    p = np.full(3, 100_000.0)
    res = simulate(make_market(p, p, p, p, start="2025-10-01", volume=np.full(3, 1e9)), one_order(3, 100.0, 100.0),
                   venue="binance", costs=Costs.zero(), capital=1e6, at=AT)
    assert res.liq_price.iloc[-1, 0] == pytest.approx(binance_lp(1, 200_000.0, 100.0, 1e5, 0.01, 12_000), rel=1e-12)
    with pytest.raises(UserError, match="maximum"):
        liquidation_price("binance", side="long", entry=100_000, qty=100, leverage=100, at=AT)


@pytest.mark.parametrize("venue,perp,lev,entry,expected", [
    # §2 Bybit's official example: long 1 BTC @ 20,000 at 50x -> 19,700
    ("bybit", 1.0, 50.0, 20_000.0, 19_700.0),
    # §1.2 short 2.9 BTC @ 100k at 10x, recomputed in bracket 2 (0.5 %, cum 300)
    ("binance", -2.9, 10.0, 100_000.0, binance_lp(-1, 29_000.0, 2.9, 100_000.0, 0.005, 300)),
    # §1.2 long 50 BTC @ 100k at 20x, bracket 4 (1 %, cum 12,000)
    ("binance", 50.0, 20.0, 100_000.0, binance_lp(1, 250_000.0, 50.0, 100_000.0, 0.01, 12_000)),
    # §3 Hyperliquid 10x short, 40x table
    ("hyperliquid", -1.0, 10.0, 100_000.0, hl_lp(-1, 100_000.0, 1.0, 10_000.0, 0.0125, 0.0)),
])
def test_kernel_liquidates_at_the_spec_price(venue, perp, lev, entry, expected):
    # Opened at bar 0's close without costs; bar 2's adverse mark extreme stops 1e-6 short of the spec
    # price, bar 3's reaches it: liquidated in bar 3 and not before, and the recorded LP is the spec's.
    s = 1.0 if perp > 0 else -1.0
    p = np.full(5, entry)
    lo, hi = p.copy(), p.copy()
    ext = lo if s > 0 else hi
    ext[2] = expected * (1 + s * 1e-6)
    ext[3] = expected
    res = simulate(make_market(p, hi, lo, p, start="2025-10-01", volume=np.full(5, 1e9)), one_order(5, perp, lev),
                   venue=venue, costs=Costs.zero(), capital=1e6, at=AT)
    assert res.liq_price.iloc[1, 0] == pytest.approx(expected, rel=1e-12)
    liq = res.events[res.events["kind"] == "liquidation"]
    assert list(liq["bar"].unique()) == [3]


@pytest.mark.parametrize("gap,kept", [
    # 50,550: below LP (50,632.9) but equity 550 > 2/3 MM (421.3): closed at the mark (the open), keeps 550
    (50_550.0, 50_550.0 - 50_000.0),
    # 50,300: equity 300 < 2/3 MM (419.2): cross -> the vault takes the position and the whole cross margin
    (50_300.0, 0.0),
])
def test_hyperliquid_cross_backstop(gap, kept):
    # §3: 10x long 1 BTC @ 100k on a 50,000 cross wallet; LP = (100,000 - 50,000) / (1 - 1.25 %)
    lp = hl_lp(1, 100_000.0, 1.0, 50_000.0, 0.0125, 0.0)
    assert gap < lp
    equity = 50_000 + gap - 100_000
    assert (equity < 2 / 3 * 0.0125 * gap) == (kept == 0.0)
    p = np.array([100_000.0, 100_000.0, gap, gap])
    res = simulate(make_market(p, p, p, p, start="2025-10-01"), one_order(4, 1.0, 10.0), venue="hyperliquid",
                   margin_mode="cross", costs=Costs.zero(), capital=50_000.0, at=AT)
    assert res.liq_price.iloc[1, 0] == pytest.approx(lp, rel=1e-12)
    assert res.summary["liquidations"].iloc[0] == 1
    assert res.equity.iloc[-1, 0] == pytest.approx(kept, abs=1e-6)


def test_the_capped_settlements_are_counted_for_the_report():
    # the two vectors above: hourly 5 % and -6 % both exceed 4 %/h; 8-hourly, only the first settlement
    # (capped over the venue's 1 h interval: 4 %) does, the 30 % one is under its 8 x 4 % = 32 %.
    from hedgelab.engine import load_venue
    from hedgelab.engine.simulate import capped_settlements
    hl, binance = load_venue("hyperliquid", at=AT), load_venue("binance", at=AT)
    hours = np.arange(10) * 3_600_000_000_000
    hourly = np.array([np.nan, 0.05, -0.06])
    assert capped_settlements(hourly, hours[:3], hl) == (2, 2, 0.06)
    eight = np.full(10, np.nan)
    eight[[1, 9]] = [0.05, 0.30]
    assert capped_settlements(eight, hours, hl) == (1, 2, 0.05)
    assert capped_settlements(eight, hours, binance) == (0, 0, 0.0)   # no cap in Binance's table


@pytest.mark.parametrize("venue, applied", [("hyperliquid", 7.0), ("binance", 7.5)])
def test_a_hooks_fractional_leverage_is_set_whole_on_a_venue_that_sets_whole_numbers(venue, applied):
    # §3: Hyperliquid sets leverage in whole numbers. A hook asking 7.5x gets 7x (the whole number below, as
    # a trader would pick it) and a leverage_capped event says so; isolated margin = 1 BTC x 100,000 / 7.
    # Binance takes 7.5x as asked: margin 100,000 / 7.5, no event.
    n = 3
    p = np.full(n, 100_000.0)
    m = make_market(p, p, p, p, start="2025-10-01")
    res = simulate(m, one_order(n, 1.0, 7.5), venue=venue, costs=Costs.zero(), capital=50_000.0, at=AT)
    capped = res.events[res.events["kind"] == "leverage_capped"]
    if applied == 7.0:
        assert list(capped["reason"]) == ["whole_number"] and list(capped["price"]) == [7.0]
    else:
        assert capped.empty
    # no fees: the cash after the fill is the deposit less the isolated margin posted
    assert 50_000.0 - res.cash.iloc[0, 0] == pytest.approx(100_000.0 / applied, rel=1e-12)
