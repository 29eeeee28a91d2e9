"""Liquidation prices and funding against the spec sheet's worked examples, and the round-trip
identity "equity = maintenance margin at the liquidation price" per venue."""
import json
import math

import numpy as np
import pytest

from hedgelab.engine.liquidation import liquidation_price
from hedgelab.engine.nb.funding import funding_payment_nb
from hedgelab.engine.nb.margin import (equity_inverse_nb, equity_linear_nb, liq_price_linear_nb,
                                       maint_margin_nb)
from hedgelab.engine.nb.records import LiqRule
from hedgelab.engine.venues import load_venue, tier_array
from hedgelab.core.errors import UserError

AT = "2025-10-15"
# freqtrade's generic setup (spec §7.1): MMR 0.01, maintenance amount 0.01, WB = amount*open/leverage.
FT_TIERS = tier_array({"floor": [0], "mmr": [0.01], "cum": [0.0], "max_leverage": [125]}, "test")
FT_TIERS[0, 3] = 0.01


@pytest.mark.parametrize("side,lev,open_,amount,expected", [
    (-1, 5, 10, 1, 11.891089108910890),
    (-1, 3, 10, 1, 13.211221122112212),
    (-1, 5, 8, 1, 9.514851485148514),
    (-1, 5, 10, 0.6, 11.897689768976898),
    (1, 5, 10, 1, 8.070707070707071),
    (1, 5, 8, 1, 6.454545454545454),
    (1, 3, 10, 1, 6.723905723905723),
    (1, 5, 10, 0.6, 8.063973063973064),
])
def test_binance_freqtrade_vectors(side, lev, open_, amount, expected):
    wb = amount * open_ / lev
    lp, mmr, cum = liq_price_linear_nb(LiqRule.MM_AT_LIQ, side, amount, open_, wb, 0.0, 0.0, FT_TIERS)
    assert lp == pytest.approx(expected, rel=1e-14)
    assert (mmr, cum) == (0.01, 0.01)


@pytest.mark.parametrize("side,lev,expected", [
    (1, 1, 0.1), (1, 3, 6.7666666), (1, 5, 8.1), (1, 10, 9.1),
    (-1, 1, 19.9), (-1, 3, 13.233333), (-1, 5, 11.9), (-1, 10, 10.9),
])
def test_bybit_freqtrade_vectors(side, lev, expected):
    # freqtrade's Bybit rows: LP = EP * (1 -/+ 1/lev +/- MMR), MMR 0.01, no deduction, open 10.
    tiers = tier_array({"floor": [0], "mmr": [0.01], "max_leverage": [100]}, "test")
    lp, _, _ = liq_price_linear_nb(LiqRule.MM_AT_ENTRY, side, 1.0, 10.0, 10.0 / lev, 0.0, 0.0, tiers)
    assert lp == pytest.approx(expected, abs=1e-6)


def test_bybit_official_example_19700():
    # Bybit: long 1 BTC @ 20,000 at 50x, MMR 0.5 % -> IM 400, MM 100, LP 19,700.
    res = liquidation_price("bybit", side="long", entry=20_000, qty=1, leverage=50, at=AT)
    assert res.wallet == 400
    assert res.mmr == 0.005
    assert res.liquidation_price == pytest.approx(19_700, abs=1e-9)


def test_binance_cum_from_floors_example():
    # Binance's own example: level 3 cum = 250,000 * (1% - 0.5%) + 50 = 1,300.
    t = tier_array({"floor": [0, 50_000, 250_000], "mmr": [0.004, 0.005, 0.01], "max_leverage": [125, 100, 50]}, "x")
    assert t[2, 3] == pytest.approx(1_300)
    # ... and the late-2025 BTCUSDT table ships cum values that recompute (checked on load).
    v = load_venue("binance", at=AT)
    assert list(v.tiers[:, 3]) == [0, 300, 1500, 12000, 132000, 482000, 2982000, 14482000, 26482000,
                                   41482000, 121482000, 421482000]


def test_binance_bracket_recompute():
    # Long 3.5 BTC @ 100,000 (notional 350k: bracket 2, MMR 0.5 %, cum 300) with 70,000 margin.
    # Bracket 2 gives LP = (70,000 + 300 - 350,000) / (3.5*0.005 - 3.5) = 80,315.9..., whose notional
    # 281,105 lies in bracket 1, so Binance recomputes with MMR 0.4 %, cum 0:
    # LP = 280,000 / (3.5 * 0.996) = 80,321.2851405...
    res = liquidation_price("binance", side="long", entry=100_000, qty=3.5, wallet=70_000, at=AT)
    assert res.mmr == 0.004
    assert res.liquidation_price == pytest.approx(280_000 / 3.486, rel=1e-13)
    wrong = (70_000 + 300 - 350_000) / (3.5 * 0.005 - 3.5)
    assert abs(res.liquidation_price - wrong) > 5


def test_funding_vectors():
    # freqtrade test_calculate_funding_fees: size 10, rate 0.0001, mark 2.0 -> 0.002; short receives.
    assert funding_payment_nb(-10.0, 2.0, 0.0001) == pytest.approx(0.002, rel=1e-12)
    assert funding_payment_nb(10.0, 2.0, 0.0001) == pytest.approx(-0.002, rel=1e-12)
    # ADA/USDT short 30, hourly row (mark 2.77, rate -0.000008) -> -0.0006648 (short pays).
    assert funding_payment_nb(-30.0, 2.77, -0.000008) == pytest.approx(-0.0006648, rel=1e-12)


CASES = [(v, side, lev) for v in ("binance", "bybit", "hyperliquid") for side in ("long", "short")
         for lev in (2, 10, 25)]


@pytest.mark.parametrize("venue,side,lev", CASES)
@pytest.mark.parametrize("qty", [0.5, 40.0])
def test_equity_equals_mm_at_liq_linear_isolated(venue, side, lev, qty):
    v = load_venue(venue, at=AT)
    entry = 100_000.0
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, leverage=lev, at=AT)
    s = 1 if side == "long" else -1
    lp = res.liquidation_price
    eq = equity_linear_nb(s, qty, entry, res.wallet, lp)
    basis = entry if v.liq_rule == LiqRule.MM_AT_ENTRY else lp  # Bybit's MM is on the entry value
    assert eq == pytest.approx(maint_margin_nb(v.tiers, qty * basis), rel=1e-9)


@pytest.mark.parametrize("venue", ["binance", "bybit", "hyperliquid"])
@pytest.mark.parametrize("side", ["long", "short"])
def test_equity_equals_mm_at_liq_linear_cross(venue, side):
    # Cross: wallet 30,000 with another position holding MM 2,000 and upnl -1,500.
    v = load_venue(venue, at=AT)
    entry, qty = 100_000.0, 2.0
    res = liquidation_price(venue, side=side, entry=entry, qty=qty, wallet=30_000, other_maint=2_000,
                            other_upnl=-1_500, at=AT)
    s = 1 if side == "long" else -1
    lp = res.liquidation_price
    account_equity = 30_000 - 1_500 + s * qty * (lp - entry)
    basis = entry if v.liq_rule == LiqRule.MM_AT_ENTRY else lp
    assert account_equity == pytest.approx(2_000 + maint_margin_nb(v.tiers, qty * basis), rel=1e-9)


@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize("wallet,other_maint,other_upnl", [(0.1, 0.0, 0.0), (0.5, 0.02, -0.05)])
def test_equity_equals_mm_at_liq_inverse(side, wallet, other_maint, other_upnl):
    # Deribit inverse: equity and MM in BTC; MM = C / P * MMR with C = qty * entry USD.
    v = load_venue("deribit", at=AT)
    entry, qty = 100_000.0, 2.0
    res = liquidation_price("deribit", side=side, entry=entry, qty=qty, wallet=wallet,
                            other_maint=other_maint, other_upnl=other_upnl, at=AT)
    s = 1 if side == "long" else -1
    lp = res.liquidation_price
    eq = equity_inverse_nb(s, qty, entry, wallet - other_maint + other_upnl, lp)
    assert eq == pytest.approx(qty * entry / lp * v.tiers[0, 2], rel=1e-9)


def test_not_liquidatable_is_none():
    # A 1x long on a linear perp cannot be liquidated at a positive price.
    assert liquidation_price("binance", side="long", entry=100_000, qty=1, leverage=1, at=AT).liquidation_price is None
    # A 1x short on an inverse perp is a fully hedged BTC balance.
    assert liquidation_price("deribit", side="short", entry=100_000, qty=1, leverage=1, at=AT).liquidation_price is None


def test_hyperliquid_mmr_from_max_leverage():
    # MMR = 1 / (2 * 40) = 1.25 %; with --max-leverage 50 it is 1 %.
    assert liquidation_price("hyperliquid", side="long", entry=100_000, qty=1, leverage=10, at=AT).mmr == 0.0125
    res = liquidation_price("hyperliquid", side="long", entry=100_000, qty=1, leverage=10, at=AT, max_leverage=50)
    assert res.mmr == 0.01
    # liq = price - margin_available / size / (1 - l) with margin_available = 10,000 - 1,000 (spec §3)
    assert res.liquidation_price == pytest.approx(100_000 - 9_000 / 0.99, rel=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    ({"qty": -1}, "qty must be a positive"),
    ({"leverage": 200}, "above the binance maximum of 150"),
    ({"symbol": "PEPE"}, "no tier table for symbol 'PEPE'"),   # no table in binance.toml
    ({"at": "2019-01-01"}, "no BTC tier table valid at 2019-01-01"),
    ({"side": "up"}, "side must be"),
])
def test_bad_inputs(kwargs, match):
    args = {"side": "long", "entry": 100_000, "qty": 1, "leverage": 10, "at": AT} | kwargs
    with pytest.raises(UserError, match=match):
        liquidation_price("binance", **args)
    with pytest.raises(UserError, match="unknown venue 'ftx'"):
        liquidation_price("ftx", side="long", entry=1, qty=1, leverage=1)


def test_cli_calc_liq_json(capsys):
    from hedgelab.cli import main
    from hedgelab.cli import calc_liq  # noqa: F401  (registers the command)

    main(["calc", "liq", "--venue", "bybit", "--side", "long", "--entry", "20000", "--qty", "1",
          "--leverage", "50", "--at", AT, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["liquidation_price"] == pytest.approx(19_700) and out["mmr"] == 0.005
    main(["calc", "liq", "--side", "long", "--entry", "100000", "--qty", "1", "--wallet", "100000",
          "--at", AT, "--json"])
    assert json.loads(capsys.readouterr().out)["liquidation_price"] is None
    main(["calc", "liq", "--side", "short", "--entry", "10", "--qty", "1", "--wallet", "2", "--mmr", "0.01",
          "--maint-amount", "0.01", "--at", AT])
    text = capsys.readouterr().out
    assert "liquidation_price: 11.89108911" in text and "mmr: 0.01" in text
    with pytest.raises(SystemExit) as exc:
        main(["calc", "liq", "--venue", "nowhere", "--side", "long", "--entry", "1", "--qty", "1", "--wallet", "1"])
    assert exc.value.code == 2
    assert "unknown venue 'nowhere'" in capsys.readouterr().err


def test_user_venue_override(tmp_path):
    path = tmp_path / "myvenue.toml"
    path.write_text('base = "binance"\ntaker_fee = 0.0003\n[[tiers]]\nsymbol = "BTC"\nvalid_from = 2025-01-01\n'
                    'valid_to = 2025-12-31\nfloor = [0, 1e6]\nmmr = [0.01, 0.02]\nmax_leverage = [20, 10]\n')
    v = load_venue(str(path), at=AT)
    assert v.taker_fee == 0.0003 and v.funding_interval_hours == 8   # inherited from binance
    assert v.tiers[1, 3] == pytest.approx(1e6 * 0.01)                 # cum computed from the floors
    assert math.isinf(v.tiers[1, 1]) and v.max_leverage == 20
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "binance"\n[[tiers]]\nfloor = [0, 10]\nmmr = [0.01, 0.02]\ncum = [0, 5]\nmax_leverage = [2, 1]\n')
    with pytest.raises(UserError, match="does not recompute from the floors"):
        load_venue(str(bad))
    assert np.all(load_venue("bybit", at=AT).tiers[:, 3] == [0, 10_000])


@pytest.mark.parametrize("wallet", [0.0, -1_000.0, 0])
def test_liquidation_price_rejects_a_wallet_that_is_not_positive(wallet):
    # With nothing (or a debt) behind it, a 1 BTC long from 100,000 would get a "liquidation price"
    # at or above its entry ((q entry - wallet) / (q (1 - mmr)) >= entry): refuse, naming the parameter.
    with pytest.raises(UserError, match=r"^wallet must be a positive number"):
        liquidation_price("binance", side="long", entry=100_000, qty=1, wallet=wallet, at=AT)
