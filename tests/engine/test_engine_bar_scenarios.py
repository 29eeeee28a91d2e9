"""Hand-built bar scenarios, part 1: perp fills, fees, slippage, funding, leverage changes and spot.

Each scenario is a few hourly bars and a few orders (``testkit.scenarios``); every expected number is
worked out in the comments from the rules in ../shared/specs/exchange-mechanics.md and docs/mechanics.md:
orders fill at the bar's close, fee = |qty| x fill price x taker rate, slippage = half spread + impact x
(|qty| / volume)^0.5, isolated margin = |qty| x fill / leverage from cash, funding = -qty x price x rate
at the settlement bar's open, paid from the isolated margin (cross: cash).
"""
import pytest

from testkit.scenarios import bars, costs, equity, events, run

CAP = 100_000.0


# ---- fills, fees and slippage ---------------------------------------------------------------------------

def test_long_fill_at_the_close_pays_the_taker_fee_and_posts_margin():
    # 1 BTC long at 10x at bar 0's close of 100,000, taker 0.05 %: fee 50, margin 10,000 from cash.
    # Cash 100,000 - 10,000 - 50 = 89,950; equity = cash + margin + 0 PnL = 99,950.
    res = run(bars([100_000.0] * 3), {0: {"perp": 1.0, "lev": 10}}, cost=costs(perp_fee=0.0005))
    fill, fee = events(res, "fill"), events(res, "fee")
    assert (fill["qty"][0], fill["price"][0], fill["amount"][0]) == (1.0, 100_000.0, 0.0)
    assert fee["amount"][0] == pytest.approx(-50.0, abs=1e-9)
    assert res.cash.iloc[0, 0] == pytest.approx(89_950.0, abs=1e-9)
    assert equity(res).tolist() == pytest.approx([99_950.0] * 3, abs=1e-9)


def test_buy_pays_the_half_spread_and_is_marked_at_the_mark():
    # Half spread 1 bp: the buy fills at 100,000 x 1.0001 = 100,010; fee 0.05 % of 100,010 = 50.005.
    # Marked at 100,000 the position shows -10: equity 100,000 - 50.005 - 10 = 99,939.995.
    res = run(bars([100_000.0] * 2), {0: {"perp": 1.0, "lev": 10}}, cost=costs(perp_fee=0.0005, half_spread=0.0001))
    assert events(res, "fill")["price"][0] == pytest.approx(100_010.0, rel=1e-15)
    assert events(res, "fee")["amount"][0] == pytest.approx(-50.005, rel=1e-12)
    assert equity(res)[-1] == pytest.approx(99_939.995, rel=1e-13)


def test_sell_impact_grows_with_the_share_of_the_bar_volume():
    # Short 4 BTC in a bar of 100 BTC, impact 1 %: slip = 0.01 x (4 / 100)^0.5 = 0.002, so the sell fills
    # at 100,000 x (1 - 0.002) = 99,800. Marked at 100,000 the short shows -4 x 200 = -800.
    res = run(bars([100_000.0] * 2, volume=100.0), {0: {"perp": -4.0, "lev": 10}}, cost=costs(impact=0.01))
    assert events(res, "fill")["price"][0] == pytest.approx(99_800.0, rel=1e-14)
    assert equity(res)[-1] == pytest.approx(CAP - 800.0, rel=1e-13)


@pytest.mark.parametrize("venue,fee", [
    # each venue's own taker rate when Costs leaves it None (venue files, spec §1-§3): 1 BTC at 100,000
    ("binance", 50.0),       # 0.05 %
    ("bybit", 55.0),         # 0.055 %
    ("hyperliquid", 45.0),   # 0.045 %
    ("deribit", 50.0),       # 0.05 %, charged in USD (docs/mechanics.md: Deribit charges BTC)
])
def test_the_venues_taker_fee_is_charged_when_costs_leave_it_open(venue, fee):
    from hedgelab.engine import Costs
    res = run(bars([100_000.0] * 2), {0: {"perp": 1.0, "lev": 10}}, venue=venue,
              cost=Costs(perp_fee=None, spot_fee=0.0, half_spread=0.0, impact=0.0))
    assert events(res, "fee")["amount"][0] == pytest.approx(-fee, rel=1e-12)


def test_short_closed_lower_realizes_the_gain_and_pays_two_fees():
    # Short 1 BTC at 100,000 (fee 50), bought back at bar 2's close of 95,000 (fee 47.5):
    # realized +5,000 on the closing fill; final equity 100,000 + 5,000 - 97.5 = 104,902.5.
    res = run(bars([100_000.0, 97_000.0, 95_000.0, 95_000.0]), {0: {"perp": -1.0, "lev": 10}, 2: {"perp": 0.0}},
              cost=costs(perp_fee=0.0005))
    fill = events(res, "fill")
    assert fill["qty"].tolist() == [-1.0, 1.0]
    assert fill["amount"].tolist() == pytest.approx([0.0, 5_000.0], abs=1e-9)
    assert events(res, "fee")["amount"].tolist() == pytest.approx([-50.0, -47.5], abs=1e-9)
    assert equity(res)[-1] == pytest.approx(104_902.5, abs=1e-8)
    assert res.perp_qty.iloc[-1, 0] == 0.0


def test_partial_reduce_realizes_its_share_and_releases_its_margin():
    # Long 2 BTC at 100,000 and 10x: margin 20,000. At 110,000 reduce to 0.5: 1.5 BTC sold, realized
    # 1.5 x 10,000 = 15,000, margin released 20,000 x 1.5 / 2 = 15,000; 5,000 stays behind 0.5 BTC.
    # Cash: 100,000 - 20,000 + 15,000 + 15,000 = 110,000; equity = 110,000 + 5,000 + 0.5 x 10,000 = 120,000.
    res = run(bars([100_000.0, 110_000.0, 110_000.0]), {0: {"perp": 2.0, "lev": 10}, 1: {"perp": 0.5}})
    assert events(res, "fill")["amount"].tolist() == pytest.approx([0.0, 15_000.0], abs=1e-9)
    assert res.cash.iloc[1, 0] == pytest.approx(110_000.0, abs=1e-9)
    assert equity(res)[1] == pytest.approx(120_000.0, abs=1e-9)


def test_flip_from_long_to_short_is_one_fill_of_the_whole_difference():
    # Long 1 at 100,000 (10x, LP 90,361 stays untouched), then target -1 at 95,000: one sell of 2 BTC,
    # realized -5,000 on the closed long, fee 2 x 95,000 x 0.05 % = 95; the new short's entry is 95,000.
    # Equity: 100,000 - 50 - 5,000 - 95 = 94,855.
    res = run(bars([100_000.0, 95_000.0, 95_000.0]), {0: {"perp": 1.0, "lev": 10}, 1: {"perp": -1.0}},
              cost=costs(perp_fee=0.0005))
    fill = events(res, "fill")
    assert fill["qty"].tolist() == [1.0, -2.0]
    assert fill["amount"][1] == pytest.approx(-5_000.0, abs=1e-9)
    assert events(res, "fee")["amount"][1] == pytest.approx(-95.0, abs=1e-9)
    assert res.perp_qty.iloc[-1, 0] == -1.0
    assert equity(res)[-1] == pytest.approx(94_855.0, abs=1e-8)


def test_adding_to_a_long_averages_the_entry_and_moves_the_liquidation_price():
    # 1 BTC at 100,000 then +1 at 110,000, 10x: entry (100,000 + 110,000) / 2 = 105,000, isolated margin
    # 10,000 + 11,000 = 21,000. Binance §1.2 (bracket 1, MMR 0.4 %, notional at LP < 300k):
    # LP = (21,000 - 2 x 105,000) / (2 x 0.004 - 2) = 94,879.518...
    res = run(bars([100_000.0, 110_000.0, 110_000.0]), {0: {"perp": 1.0, "lev": 10}, 1: {"perp": 2.0}})
    want = (21_000.0 - 210_000.0) / (2 * 0.004 - 2)
    assert res.liq_price.iloc[1, 0] == pytest.approx(want, rel=1e-12)
    assert equity(res)[1] == pytest.approx(CAP + 10_000.0, abs=1e-9)     # only the first BTC has gained


def test_a_target_equal_to_the_position_trades_nothing():
    # Target 1 BTC on bar 0, the same target again on bars 1 and 2: one fill and one fee in all.
    res = run(bars([100_000.0] * 3), {0: {"perp": 1.0, "lev": 10}, 1: {"perp": 1.0}, 2: {"perp": 1.0}},
              cost=costs(perp_fee=0.0005))
    assert len(events(res, "fill")) == 1 and len(events(res, "fee")) == 1


# ---- funding ----------------------------------------------------------------------------------------------

def test_long_pays_positive_funding_from_its_isolated_margin():
    # 1 BTC long at 10x; bar 2 opens on a settlement at 0.01 % on the 100,000 mark: pays 10, taken from the
    # isolated margin (cash untouched), so the margin is 9,990 and Binance's LP moves up to
    # (9,990 - 100,000) / (0.004 - 1) = 90,371.48...
    res = run(bars([100_000.0] * 4, funding={2: 0.0001}), {0: {"perp": 1.0, "lev": 10}})
    f = events(res, "funding")
    assert (f["bar"][0], f["qty"][0]) == (2, 1.0) and f["amount"][0] == pytest.approx(-10.0, abs=1e-9)
    assert res.cash.iloc[1, 0] == res.cash.iloc[2, 0] == pytest.approx(90_000.0, abs=1e-9)
    assert res.liq_price.iloc[2, 0] == pytest.approx((9_990.0 - 100_000.0) / (0.004 - 1.0), rel=1e-12)
    assert equity(res)[-1] == pytest.approx(CAP - 10.0, abs=1e-9)


def test_short_receives_positive_funding_on_the_settlement_mark():
    # Short 2 BTC; the settlement mark is 101,000 while the bar's mark opens at 100,000 (spec §1.4:
    # payment = size x settlement mark x rate): receives 2 x 101,000 x 0.03 % = 60.6.
    res = run(bars([100_000.0] * 3, funding={1: 0.0003}, funding_price={1: 101_000.0}),
              {0: {"perp": -2.0, "lev": 10}})
    f = events(res, "funding")
    assert f["amount"][0] == pytest.approx(60.6, rel=1e-12) and f["price"][0] == 101_000.0


def test_long_receives_negative_funding():
    # Long 0.5 BTC, rate -0.02 % on 100,000: receives 0.5 x 100,000 x 0.0002 = 10.
    res = run(bars([100_000.0] * 3, funding={1: -0.0002}), {0: {"perp": 0.5, "lev": 5}})
    assert events(res, "funding")["amount"][0] == pytest.approx(10.0, rel=1e-12)


def test_cross_funding_moves_the_cash_wallet():
    # Cross: no isolated margin; the long's 10 of funding comes out of cash (100,000 -> 99,990).
    res = run(bars([100_000.0] * 3, funding={2: 0.0001}), {0: {"perp": 1.0, "lev": 10}}, mode="cross")
    assert res.cash.iloc[1, 0] == pytest.approx(CAP, abs=1e-9)
    assert res.cash.iloc[2, 0] == pytest.approx(CAP - 10.0, abs=1e-9)


def test_no_funding_without_a_position_at_the_settlement():
    # Settlements at bars 1 and 3; the long opens at bar 1's close (after bar 1's settlement) and is closed
    # at bar 2's close (before bar 3's): neither settlement finds a position.
    res = run(bars([100_000.0] * 5, funding={1: 0.001, 3: 0.001}), {1: {"perp": 1.0, "lev": 10}, 2: {"perp": 0.0}})
    assert len(events(res, "funding")) == 0


def test_funding_that_drains_the_margin_brings_the_liquidation_on():
    # 10x long 1 BTC at 100,000: margin 10,000, LP (10,000 - 100,000) / -0.996 = 90,361.4. A 1 % settlement
    # at bar 2 takes 1,000 from the margin: LP (9,000 - 100,000) / -0.996 = 91,365.5, bankruptcy 91,000.
    # Bar 3's low of 91,000 lies between the two: liquidated only because of the funding, taken at 91,000,
    # so the account has lost its 10,000 margin (1,000 funding + 9,000 taken).
    close = [100_000.0, 100_000.0, 100_000.0, 95_000.0, 95_000.0]
    paid = run(bars(close, funding={2: 0.01}, low={3: 91_000.0}), {0: {"perp": 1.0, "lev": 10}})
    liq = events(paid, "liquidation")
    assert liq["bar"].tolist() == [3] and liq["price"][0] == pytest.approx(91_000.0, rel=1e-12)
    assert equity(paid)[-1] == pytest.approx(CAP - 10_000.0, abs=1e-8)
    free = run(bars(close, low={3: 91_000.0}), {0: {"perp": 1.0, "lev": 10}})
    assert len(events(free, "liquidation")) == 0 and equity(free)[-1] == pytest.approx(CAP - 5_000.0, abs=1e-8)


def test_hyperliquid_hourly_funding_accumulates():
    # Hyperliquid settles hourly on the oracle (here the mark open): a 1 BTC long pays 100,000 x rate each
    # hour: 0.00125 % x 3 hours = 3 x 1.25 = 3.75.
    res = run(bars([100_000.0] * 5, funding={1: 0.0000125, 2: 0.0000125, 3: 0.0000125}),
              {0: {"perp": 1.0, "lev": 10}}, venue="hyperliquid")
    f = events(res, "funding")
    assert f["bar"].tolist() == [1, 2, 3]
    assert f["amount"].sum() == pytest.approx(-3.75, rel=1e-12)


# ---- leverage -------------------------------------------------------------------------------------------

def test_lower_leverage_posts_more_margin_and_lowers_the_liquidation_price():
    # 2 BTC long at 5x at 100,000: margin 40,000; Binance LP = (40,000 - 200,000) / (2 x 0.004 - 2)
    # = 80,321.28 (notional at LP ~160k: bracket 1).
    res = run(bars([100_000.0] * 2), {0: {"perp": 2.0, "lev": 5}})
    assert res.cash.iloc[0, 0] == pytest.approx(60_000.0, abs=1e-9)
    assert res.liq_price.iloc[0, 0] == pytest.approx(-160_000.0 / (2 * 0.004 - 2), rel=1e-12)


def test_leverage_cut_tops_the_margin_up_at_the_mark_close():
    # Long 1 BTC at 10x (margin 10,000). Bar 1 closes at 102,000 and the leverage goes to 5 with no order:
    # margin re-sized to 1 x 102,000 / 5 = 20,400, i.e. 10,400 moved in (a `margin` event, USD in price);
    # LP = (20,400 - 100,000) / (0.004 - 1) = 79,919.68. Equity is unchanged by the move.
    res = run(bars([100_000.0, 102_000.0, 102_000.0]), {0: {"perp": 1.0, "lev": 10}, 1: {"lev": 5}})
    m = events(res, "margin")
    assert m["bar"].tolist() == [1] and m["price"][0] == pytest.approx(10_400.0, abs=1e-9)
    assert (m["qty"][0], m["amount"][0], m["side"][0]) == (0.0, 0.0, "in")
    assert res.liq_price.iloc[1, 0] == pytest.approx(-79_600.0 / -0.996, rel=1e-12)
    assert equity(res)[1] == pytest.approx(CAP + 2_000.0, abs=1e-9)


def test_leverage_raise_releases_margin_to_cash():
    # Long 1 BTC at 5x (margin 20,000), then 20x at the same 100,000: margin 5,000, 15,000 back to cash.
    res = run(bars([100_000.0] * 3), {0: {"perp": 1.0, "lev": 5}, 1: {"lev": 20}})
    m = events(res, "margin")
    assert m["price"][0] == pytest.approx(-15_000.0, abs=1e-9) and m["side"][0] == "out"
    assert res.cash.iloc[1, 0] == pytest.approx(95_000.0, abs=1e-9)


def test_hyperliquid_leverage_above_40x_is_capped_with_an_event():
    # Spec §3: BTC at most 40x below 150M notional. Asked 50x: capped at 40 (a leverage_capped event whose
    # price is the cap), margin 1 x 100,000 / 40 = 2,500.
    res = run(bars([100_000.0] * 2), {0: {"perp": 1.0, "lev": 50}}, venue="hyperliquid")
    capped = events(res, "leverage_capped")
    assert len(capped) == 1 and capped["price"][0] == 40.0
    assert res.cash.iloc[0, 0] == pytest.approx(CAP - 2_500.0, abs=1e-9)


# ---- spot -------------------------------------------------------------------------------------------------

def test_spot_buy_pays_price_and_fee_in_full():
    # 0.5 BTC spot at the 100,000 close with a 0.1 % spot fee: fill amount -50,000, fee -50; equity 99,950.
    res = run(bars([100_000.0] * 2), {0: {"spot": 0.5}}, cost=costs(spot_fee=0.001))
    assert events(res, "fill")["amount"][0] == pytest.approx(-50_000.0, abs=1e-9)
    assert events(res, "fee")["amount"][0] == pytest.approx(-50.0, abs=1e-9)
    assert equity(res)[-1] == pytest.approx(99_950.0, abs=1e-9)


def test_spot_partial_sale_receives_its_value_less_the_fee():
    # Bought 0.5 BTC at 100,000 (fee 50); sold 0.25 at 110,000: +27,500, fee 27.5. Cash 100,000 - 50,050
    # + 27,500 - 27.5 = 77,422.5; equity = 77,422.5 + 0.25 x 110,000 = 104,922.5.
    res = run(bars([100_000.0, 110_000.0, 110_000.0]), {0: {"spot": 0.5}, 1: {"spot": 0.25}},
              cost=costs(spot_fee=0.001))
    fill = events(res, "fill")
    assert fill["qty"].tolist() == [0.5, -0.25]
    assert fill["amount"][1] == pytest.approx(27_500.0, abs=1e-9)
    assert res.cash.iloc[1, 0] == pytest.approx(77_422.5, abs=1e-8)
    assert equity(res)[-1] == pytest.approx(104_922.5, abs=1e-8)


def test_spot_cannot_go_short():
    # A spot target of -1 is read as 0 (spot is fully paid, never borrowed): nothing trades.
    res = run(bars([100_000.0] * 2), {0: {"spot": -1.0}})
    assert len(res.events) == 0 and res.spot_qty.iloc[-1, 0] == 0.0


def test_spot_buy_pays_the_half_spread_on_the_index():
    # Spot fills on the index close (here 99,000 while the perp trades at 100,000), half spread 2 bp:
    # 99,000 x 1.0002 = 99,019.8; equity at the same index = 100,000 - 19.8.
    res = run(bars([100_000.0] * 2, index={0: 99_000.0, 1: 99_000.0}), {0: {"spot": 1.0}},
              cost=costs(half_spread=0.0002))
    assert events(res, "fill")["price"][0] == pytest.approx(99_019.8, rel=1e-14)
    assert equity(res)[-1] == pytest.approx(CAP - 19.8, rel=1e-12)


def test_spot_and_a_short_perp_hedge_cancel_the_price_move():
    # 0.5 BTC spot and a 0.5 BTC short perp (5x), no costs: a fall from 100,000 to 80,000 loses 10,000 on
    # the spot and gains 10,000 on the short, so equity stays at 100,000 on every bar.
    res = run(bars([100_000.0, 90_000.0, 80_000.0]), {0: {"spot": 0.5, "perp": -0.5, "lev": 5}})
    assert equity(res).tolist() == pytest.approx([CAP] * 3, abs=1e-9)
