"""Cross-margin liquidation prices of several positions against hand-worked numbers (Binance's formula,
adl-and-margin.md §5, with the USDⓈ-M brackets of tiers-2025/binance_usdm.csv written out here)."""
import pytest

from hedgelab.core.errors import UserError
from hedgelab.engine.cross_margin import Position, cross_liquidation_prices

AT = "2025-10-10"


def test_two_positions_each_liquidation_price_is_binances_formula_over_the_other():
    # ETH long 10 @ 4000 (mark 4000), SOL long 200 @ 200 (mark 210), wallet 20,000.
    # SOL: notional 42,000, bracket 1 (0-50k): MMR 0.5 %, cum 0 -> MM 210; uPnL 200 x 10 = 2,000.
    # ETH: notional 40,000, bracket 1 (0-300k): MMR 0.4 %, cum 0 -> MM 160; uPnL 0.
    res = cross_liquidation_prices("binance", 20_000.0, [Position("ETHUSDT", "long", 10, 4000.0),
                                                         Position("SOLUSDT", "long", 200, 200.0, mark=210.0)], at=AT)
    eth, sol = res["positions"]
    # LP_ETH = (WB - TMM + UPNL + cum - s Q EP) / (Q MMR - s Q) with the other = SOL
    assert eth["liquidation_price"] == pytest.approx((20_000 - 210 + 2_000 + 0 - 10 * 4000) / (10 * 0.004 - 10),
                                                     rel=1e-12)
    assert 10 * eth["liquidation_price"] < 300_000   # inside bracket 1, as assumed
    # LP_SOL with the other = ETH: (20,000 - 160 + 0 - 200 x 200) / (200 x 0.005 - 200)
    assert sol["liquidation_price"] == pytest.approx((20_000 - 160 - 200 * 200) / (200 * 0.005 - 200), rel=1e-12)
    assert res["margin_ratio"] == pytest.approx((160 + 210) / (20_000 + 2_000), rel=1e-12)


def test_three_positions_with_a_short_and_a_bracket_change():
    # ETH long 100 @ 4000: notional 400k is bracket 2 (300k-800k: 0.5 %, cum 300) at the mark, but its
    # liquidation price lies lower, where the notional is in bracket 1 (0.4 %, cum 0): the formula must
    # be solved with bracket 1. BTC short 0.5 @ 110,000 (mark 100,000): bracket 1, MM 200, uPnL +5,000.
    # SOL long 200 @ 200 (mark 205): MM 0.005 x 41,000 = 205, uPnL +1,000. Wallet 150,000.
    positions = [Position("ETHUSDT", "long", 100, 4000.0), Position("SOLUSDT", "long", 200, 200.0, mark=205.0),
                 Position("BTCUSDT", "short", 0.5, 110_000.0, mark=100_000.0)]
    res = cross_liquidation_prices("binance", 150_000.0, positions, at=AT)
    eth, sol, btc = res["positions"]
    tmm, upnl = 205 + 200, 1_000 + 5_000
    in_bracket_2 = (150_000 - tmm + upnl + 300 - 100 * 4000) / (100 * 0.005 - 100)
    assert in_bracket_2 * 100 < 300_000        # bracket 2's answer is outside bracket 2: rejected
    expected = (150_000 - tmm + upnl + 0 - 100 * 4000) / (100 * 0.004 - 100)
    assert eth["liquidation_price"] == pytest.approx(expected, rel=1e-12)
    assert eth["mmr_at_liquidation"] == 0.004
    assert eth["maintenance_margin"] == pytest.approx(400_000 * 0.005 - 300, rel=1e-12)   # at the mark: bracket 2
    # the BTC short: others ETH (MM 1,700, uPnL 0) and SOL (205, +1,000); s = -1
    lp_btc = (150_000 - (1_700 + 205) + 1_000 + 0 + 0.5 * 110_000) / (0.5 * 0.004 + 0.5)
    assert btc["liquidation_price"] == pytest.approx(lp_btc, rel=1e-12)
    assert sol["liquidation_price"] is None or sol["liquidation_price"] > 0


def test_a_position_that_cannot_be_liquidated_says_so():
    # a small long on a wallet that covers it at any price: no positive root
    res = cross_liquidation_prices("binance", 1_000_000.0, [Position("ETHUSDT", "long", 1, 4000.0)], at=AT)
    assert res["positions"][0]["liquidation_price"] is None


@pytest.mark.parametrize("positions, fragment", [
    ([Position("ETHUSDT", "long", 1, 4000.0), Position("ETH/USDT:USDT", "short", 1, 4000.0)], "ETH is given twice"),
    ([Position("ETHUSDT", "up", 1, 4000.0)], "side must be long or short"),
    ([Position("ETHUSDT", "long", -1, 4000.0)], "qty must be a positive number"),
    ([Position("PEPEUSDT", "long", 1, 1.0)], "no tier table for symbol"),
    ([], "at least one position"),
])
def test_bad_positions_are_one_line_errors(positions, fragment):
    with pytest.raises(UserError, match=fragment):
        cross_liquidation_prices("binance", 10_000.0, positions, at=AT)
