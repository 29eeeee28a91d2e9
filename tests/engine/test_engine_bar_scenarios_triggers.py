"""Hand-built bar scenarios, part 2: liquidation at the spec's price on the bar's mark wick (and not a hair
before), what each venue leaves the account, and stop triggers.

Liquidation prices by hand from ../shared/specs/exchange-mechanics.md:
- Binance §1.2, one-way isolated/cross: LP = (WB + cum - side Q EP) / (Q MMR - side Q), bracket of the
  notional at LP (late-2025 table: bracket 1 below 300k at MMR 0.4 %, cum 0); taken at the bankruptcy
  price EP - side WB / Q, so the account loses its wallet (isolated margin, or cross: the whole cash).
- Bybit §2: LP = EP - side (IM - MM) / Q with MM on the entry value (tier 1: 0.5 %); taken at bankruptcy.
- Hyperliquid §3: LP = EP - side (margin - MM at entry) / Q / (1 - side l), l = 1 / (2 x 40) = 1.25 %;
  closed at the mark (the LP, or the open when gapped), no fee, the account keeps the rest unless equity
  is below 2/3 of MM (backstop: the vault takes everything).
- Deribit (inverse, venue file's assumption: MM 1 % of the BTC notional): with C = Q EP USD and a BTC margin
  W, LP = C (MMR + side) / (W + side C / EP), bankruptcy C / (side W + C / EP).
No costs anywhere here, so the numbers are the rules' alone.
"""
import pytest

from testkit.scenarios import bars, costs, equity, events, run

CAP = 100_000.0
L = 0.0125   # Hyperliquid BTC maintenance rate below 150M


def binance_lp(side, wallet, qty, entry, mmr=0.004, cum=0.0):
    return (wallet + cum - side * qty * entry) / (qty * mmr - side * qty)


# (venue, mode, capital, qty, leverage, entry, LP, fill price of the liquidation, equity left after it)
LIQUIDATIONS = [
    # Binance 10x long 1 BTC: WB 10,000, LP (10,000 - 100,000) / (0.004 - 1) = 90,361.45; taken at 90,000
    ("binance", "isolated", CAP, 1.0, 10.0, 100_000.0, binance_lp(1, 10_000, 1, 100_000), 90_000.0, CAP - 10_000),
    # Binance 20x short 1 BTC: WB 5,000, LP (5,000 + 100,000) / 1.004 = 104,581.67; taken at 105,000
    ("binance", "isolated", CAP, -1.0, 20.0, 100_000.0, binance_lp(-1, 5_000, 1, 100_000), 105_000.0, CAP - 5_000),
    # Binance cross 10x long 1 BTC on a 20,000 wallet: WB = the whole cash, LP (20,000 - 100,000) / -0.996
    # = 80,321.29, taken at 80,000: the wallet is gone
    ("binance", "cross", 20_000.0, 1.0, 10.0, 100_000.0, binance_lp(1, 20_000, 1, 100_000), 80_000.0, 0.0),
    # Binance 10x long 4 BTC: WB 40,000; in bracket 1 the LP would be 90,361.45, whose notional (361k) is in
    # bracket 2 (MMR 0.5 %, cum 300): LP = (40,000 + 300 - 400,000) / (4 x 0.005 - 4) = 90,377.39 (§1.2 note)
    ("binance", "isolated", CAP, 4.0, 10.0, 100_000.0, binance_lp(1, 40_000, 4, 100_000, 0.005, 300), 90_000.0,
     CAP - 40_000),
    # Bybit 25x long 1 BTC at 40,000: IM 1,600, MM 200, LP 40,000 - 1,400 = 38,600; taken at 38,400
    ("bybit", "isolated", CAP, 1.0, 25.0, 40_000.0, 38_600.0, 38_400.0, CAP - 1_600),
    # Bybit 10x short 2 BTC at 50,000: IM 10,000, MM 500, LP 50,000 + 9,500 / 2 = 54,750; taken at 55,000
    ("bybit", "isolated", CAP, -2.0, 10.0, 50_000.0, 54_750.0, 55_000.0, CAP - 10_000),
    # Bybit 50x long 300 BTC at 10,000 = 3M, tier 2 (MMR 1 %, deduction 10,000): IM 60,000, MM 20,000,
    # LP 10,000 - 40,000 / 300 = 9,866.67; taken at 10,000 - 60,000 / 300 = 9,800
    ("bybit", "isolated", CAP, 300.0, 50.0, 10_000.0, 10_000 - 40_000 / 300, 9_800.0, CAP - 60_000),
    # Bybit cross 10x long 1 BTC at 100,000 on 20,000: LP 100,000 - (20,000 - 500) = 80,500; taken at 80,000
    ("bybit", "cross", 20_000.0, 1.0, 10.0, 100_000.0, 80_500.0, 80_000.0, 0.0),
    # Hyperliquid 20x long 1 BTC at 60,000: margin 3,000, MM 750, LP 60,000 - 2,250 / 0.9875 = 57,721.52;
    # closed there, keeping 3,000 - 2,278.48 = 721.52 (= MM at LP, above 2/3 of it)
    ("hyperliquid", "isolated", CAP, 1.0, 20.0, 60_000.0, 60_000 - 2_250 / (1 - L), 60_000 - 2_250 / (1 - L),
     CAP - 2_250 / (1 - L)),
    # Hyperliquid 25x short 0.5 BTC at 80,000: margin 1,600, MM 500, LP 80,000 + 1,100 / 0.5 / 1.0125
    # = 82,172.84; closed there, keeping 1,600 - 0.5 x 2,172.84
    ("hyperliquid", "isolated", CAP, -0.5, 25.0, 80_000.0, 80_000 + 2_200 / (1 + L), 80_000 + 2_200 / (1 + L),
     CAP - 1_100 / (1 + L)),
    # Deribit inverse 10x long 1 BTC at 100,000: W = 0.1 BTC, LP 100,000 x 1.01 / 1.1 = 91,818.18, taken at
    # 100,000 / 1.1 = 90,909.09, where 0.1 BTC of margin is worth exactly the loss: the 10,000 posted is gone
    ("deribit", "isolated", CAP, 1.0, 10.0, 100_000.0, 101_000 / 1.1, 100_000 / 1.1, CAP - 10_000),
    # Deribit inverse 5x short 1 BTC: W = 0.2 BTC, LP 100,000 x (0.01 - 1) / (0.2 - 1) = 123,750, taken at
    # 100,000 / 0.8 = 125,000
    ("deribit", "isolated", CAP, -1.0, 5.0, 100_000.0, 123_750.0, 125_000.0, CAP - 20_000),
]


@pytest.mark.parametrize("venue,mode,capital,qty,lev,entry,lp,price,left", LIQUIDATIONS,
                         ids=[f"{v}-{m}-{'long' if q > 0 else 'short'}-{x:g}x" for v, m, _, q, x, *_ in LIQUIDATIONS])
def test_liquidated_at_the_spec_price_on_the_wick_and_not_a_hair_before(venue, mode, capital, qty, lev, entry, lp,
                                                                        price, left):
    # Opened at bar 0's close; bar 2's adverse mark wick stops one part in 1e9 short of the LP, bar 3's
    # touches it exactly: liquidated in bar 3, at the venue's price, leaving the account what the rule says.
    side = 1.0 if qty > 0 else -1.0
    wick = {2: lp * (1 + side * 1e-9), 3: lp}
    m = bars([entry] * 5, low=wick if side > 0 else None, high=wick if side < 0 else None)
    res = run(m, {0: {"perp": qty, "lev": lev}}, venue=venue, mode=mode, capital=capital)
    assert res.liq_price.iloc[1, 0] == pytest.approx(lp, rel=1e-12)
    liq = events(res, "liquidation")
    assert liq["bar"].tolist() == [3]
    assert liq["qty"].sum() == pytest.approx(-qty, rel=1e-12)
    assert liq["price"][0] == pytest.approx(price, rel=1e-12)
    assert res.perp_qty.iloc[3, 0] == 0.0
    assert equity(res)[-1] == pytest.approx(left, rel=1e-12, abs=1e-6)


def test_the_trigger_is_the_mark_not_the_traded_price():
    # Binance 10x long 1 BTC (LP 90,361.45): bar 2's traded low spikes to 85,000 but its mark low is 95,000
    # -> nothing; bar 3's traded low is 99,000 but the mark low is 90,000 -> liquidated at 90,000.
    m = bars([100_000.0] * 5, low={2: 85_000.0, 3: 99_000.0}, mark={"low": {2: 95_000.0, 3: 90_000.0}})
    res = run(m, {0: {"perp": 1.0, "lev": 10}})
    assert events(res, "liquidation")["bar"].tolist() == [3]


def test_hyperliquid_gap_below_the_liquidation_price_closes_at_the_mark_open():
    # 20x long 1 BTC at 60,000 (LP 57,721.52). Bar 2 opens at 57,500, through the LP: equity there is
    # 3,000 - 2,500 = 500, above 2/3 x 1.25 % x 57,500 = 479.17, so it is closed at the open and keeps 500.
    m = bars([60_000.0, 60_000.0, 57_500.0, 57_500.0])
    res = run(m, {0: {"perp": 1.0, "lev": 20}}, venue="hyperliquid")
    liq = events(res, "liquidation")
    assert liq["price"].tolist() == [57_500.0]
    assert equity(res)[-1] == pytest.approx(CAP - 2_500.0, abs=1e-9)


def test_hyperliquid_gap_below_two_thirds_of_maintenance_goes_to_the_backstop():
    # Same position, bar 2 opens at 57,300: equity 300 < 2/3 x 1.25 % x 57,300 = 477.5: the vault takes the
    # position and its whole 3,000 margin (spec §3: the MM is not returned).
    m = bars([60_000.0, 60_000.0, 57_300.0, 57_300.0])
    res = run(m, {0: {"perp": 1.0, "lev": 20}}, venue="hyperliquid")
    assert len(events(res, "liquidation")) == 1
    assert equity(res)[-1] == pytest.approx(CAP - 3_000.0, abs=1e-9)


def test_no_funding_after_the_liquidation():
    # Binance 10x long liquidated on bar 2's wick; the settlement at bar 3 finds no position: no funding event.
    m = bars([100_000.0] * 5, low={2: 90_000.0}, funding={1: 0.0001, 3: 0.0001})
    res = run(m, {0: {"perp": 1.0, "lev": 10}})
    assert events(res, "funding")["bar"].tolist() == [1]
    assert events(res, "liquidation")["bar"].tolist() == [2]


def test_a_liquidated_isolated_long_leaves_the_rest_of_the_cash_alone():
    # 10x long 1 BTC (margin 10,000) beside 0.5 BTC spot bought at 100,000: the wick to 90,000 takes the
    # margin only; spot is worth 0.5 x 95,000 at the close. Equity = 100,000 - 50,000 - 10,000 + 47,500.
    m = bars([100_000.0, 100_000.0, 95_000.0], low={2: 90_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "spot": 0.5}})
    assert events(res, "liquidation")["bar"].tolist() == [2]
    assert equity(res)[-1] == pytest.approx(87_500.0, abs=1e-9)


# ---- stops ----------------------------------------------------------------------------------------------

def test_long_stop_fills_at_its_trigger_with_slippage_and_fee():
    # Long 1 BTC at 100,000 (10x, half spread 1 bp: entry 100,010), stop 95,000 set in the same decision.
    # Bar 2 opens at 100,000 and its mark low is 94,000: the stop-market sells at 95,000 x (1 - 1 bp) =
    # 94,990.5, fee 0.05 % of it = 47.49525; realized 94,990.5 - 100,010 = -5,019.5. LP (~90,370) is
    # not reached.
    m = bars([100_000.0, 100_000.0, 96_000.0, 96_000.0], open_={2: 100_000.0}, low={2: 94_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}}, cost=costs(perp_fee=0.0005, half_spread=0.0001))
    stop = events(res, "stop")
    assert stop["bar"].tolist() == [2] and stop["qty"][0] == -1.0
    assert stop["price"][0] == pytest.approx(94_990.5, rel=1e-14)
    assert stop["amount"][0] == pytest.approx(-5_019.5, rel=1e-12)
    assert events(res, "fee")["amount"][1] == pytest.approx(-47.49525, rel=1e-12)
    assert res.summary["stops"].iloc[0] == 1 and len(events(res, "liquidation")) == 0


def test_long_stop_gapped_through_fills_at_the_open():
    # Bar 2 opens at 93,000, below the 95,000 stop: filled at the traded open, realized -7,000.
    m = bars([100_000.0, 100_000.0, 93_000.0, 93_000.0], low={2: 92_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}})
    stop = events(res, "stop")
    assert stop["price"].tolist() == [93_000.0] and stop["amount"][0] == pytest.approx(-7_000.0, abs=1e-9)


def test_short_stop_triggers_when_the_high_touches_it_and_not_before():
    # Short 1 BTC at 100,000 (10x, LP ~109,562), stop 105,000: bar 2's high 104,999.99 does not trigger;
    # bar 3's high of exactly 105,000 does, bought back at 105,000 (-5,000).
    m = bars([100_000.0] * 5, high={2: 104_999.99, 3: 105_000.0})
    res = run(m, {0: {"perp": -1.0, "lev": 10, "stop": 105_000.0}})
    stop = events(res, "stop")
    assert stop["bar"].tolist() == [3] and stop["price"][0] == 105_000.0
    assert equity(res)[-1] == pytest.approx(CAP - 5_000.0, abs=1e-9)


def test_a_stop_beyond_the_liquidation_price_is_never_reached():
    # Long 10x (LP 90,361.45) with its stop at 85,000: bar 2's wick to 80,000 liquidates at 90,000 first.
    m = bars([100_000.0, 100_000.0, 95_000.0], low={2: 80_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 85_000.0}})
    assert len(events(res, "stop")) == 0
    assert events(res, "liquidation")["price"].tolist() == [90_000.0]


def test_a_stop_above_the_liquidation_price_fills_first_on_a_wick_through_both():
    # Stop 95,000 above LP 90,361; bar 2 opens at 100,000 and wicks to 85,000: on the way down the stop is
    # reached first, so it fills at 95,000 and there is no liquidation.
    m = bars([100_000.0, 100_000.0, 95_000.0], open_={2: 100_000.0}, low={2: 85_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}})
    assert events(res, "stop")["price"].tolist() == [95_000.0]
    assert len(events(res, "liquidation")) == 0


def test_a_mark_opening_through_the_liquidation_price_liquidates_even_with_a_stop():
    # Bar 2's mark opens at 89,000, below LP 90,361 (and below the 95,000 stop): liquidated at the bankruptcy
    # price 90,000, no stop fill.
    m = bars([100_000.0, 100_000.0, 89_000.0, 89_000.0])
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}})
    assert len(events(res, "stop")) == 0 and events(res, "liquidation")["price"].tolist() == [90_000.0]


def test_a_filled_stop_is_gone_when_a_new_position_opens():
    # The stop fills on bar 2 (low 94,000); a new long opens at bar 3 with no stop; bar 4's low of 94,000
    # reaches the old stop level again and nothing happens.
    m = bars([100_000.0] * 6, low={2: 94_000.0, 4: 94_000.0})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}, 3: {"perp": 1.0}})
    assert events(res, "stop")["bar"].tolist() == [2]
    assert res.perp_qty.iloc[-1, 0] == 1.0


def test_a_stop_set_while_flat_is_not_kept():
    # A stop asked at bar 0 with no position is dropped; the long opened at bar 1 has none, so bar 3's low
    # of 94,000 triggers nothing.
    m = bars([100_000.0] * 5, low={3: 94_000.0})
    res = run(m, {0: {"stop": 95_000.0}, 1: {"perp": 1.0, "lev": 10}})
    assert len(events(res, "stop")) == 0 and res.perp_qty.iloc[-1, 0] == 1.0


def test_the_stop_looks_at_the_mark_low():
    # Traded low 94,000 but mark low 96,000: the 95,000 stop is not triggered.
    m = bars([100_000.0] * 4, low={2: 94_000.0}, mark={"low": {2: 96_000.0}})
    res = run(m, {0: {"perp": 1.0, "lev": 10, "stop": 95_000.0}})
    assert len(events(res, "stop")) == 0
