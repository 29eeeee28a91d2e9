"""Reverse stress: the closed form for an isolated linear long, `calc reverse` against `calc liq`,
and the strategy search (bisection through the engine) against the liquidation price of the
position it holds.

Closed form (scale-and-stress-notes B.8): an isolated linear long at leverage L with maintenance
rate m is liquidated after a fall of d* = (1/L - m) / (1 - m) from its entry: 9.6 % at 10x, m = 0.4 %
(Binance's first BTCUSDT bracket, exchange-mechanics.md §1.1).
"""
import json

import numpy as np
import pytest

from hedgelab.strategies import get_strategy
from hedgelab.stress.reverse import reverse_stress
from hedgelab.stress.run import Entry

from testkit import cli as h

M = 0.004
TAKER, HALF_SPREAD, IMPACT = 0.0005, 0.00005, 0.01   # Binance VIP 0 taker; engine default costs (mechanics.md)


def calc(args, capsys):
    rc, out, err = h.invoke(args + ["--json"], capsys)
    assert rc in (0, None), err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("lev", [5, 10, 20])
def test_calc_reverse_closed_form(lev, capsys):
    res = calc(["calc", "reverse", "--venue", "binance", "--side", "long", "--entry", "100000", "--qty", "0.1",
                "--leverage", str(lev), "--at", "2025-10-10"], capsys)
    assert res["drop"] == pytest.approx((1 / lev - M) / (1 - M), rel=1e-12)


@pytest.mark.parametrize("side,extra", [("long", ["--wallet", "2500"]), ("short", ["--leverage", "25"])])
def test_calc_reverse_matches_calc_liq(side, extra, capsys):
    base = ["--venue", "binance", "--side", side, "--entry", "95000", "--qty", "0.4", *extra, "--at", "2025-10-10"]
    lp = calc(["calc", "liq", *base], capsys)["liquidation_price"]
    drop = calc(["calc", "reverse", *base], capsys)["drop"]
    assert drop == pytest.approx(1 - lp / 95000 if side == "long" else lp / 95000 - 1, rel=1e-12)
    if side == "short":  # isolated linear short: rise of (1/L - m) / (1 + m)
        assert drop == pytest.approx((1 / 25 - M) / (1 + M), rel=1e-12)


@pytest.mark.parametrize("lev", [5, 10])
def test_strategy_reverse_finds_the_position_liquidation_price(lev, capsys, flat):
    market = flat()
    cls = get_strategy("leveraged-long")
    entry = Entry("leveraged-long", cls, (cls.validate({"leverage": lev}),), ("leveraged-long",), "isolated")
    capital = 20_000.0   # notional <= 200k: Binance's first bracket, m = 0.4 %, where the closed form holds
    res = reverse_stress(entry, market, 3, venue="binance", capital=capital)
    # the position: q * fill * (1/L + fee) = capital at fill = 100k (1 + half spread + impact sqrt(q / volume))
    q = capital * lev / 1e5
    for _ in range(50):
        fill = 1e5 * (1 + HALF_SPREAD + IMPACT * np.sqrt(q / 1e12))
        q = capital / (fill * (1 / lev + TAKER))
    lps = []
    for wallet in (q * fill / lev, q * 1e5 / lev):   # margin at the entry or re-sized at the mark close
        lps.append(calc(["calc", "liq", "--venue", "binance", "--side", "long", "--entry", repr(float(fill)), "--qty", repr(float(q)),
                         "--wallet", repr(float(wallet)), "--at", "2025-10-06"], capsys)["liquidation_price"])
    assert min(lps) - 1e-3 <= res.trough_price <= max(lps) + 1e-3
    assert res.drop == pytest.approx((1 / lev - M) / (1 - M), abs=2e-4)   # entry ~ reference: 0.5 bp apart
    # a long alone: no rally liquidates it, so the drop is the answer
    assert res.rally is None and res.direction == "down" and res.move == -res.drop


@pytest.mark.parametrize("lev", [2, 5, 10])
def test_strategy_reverse_finds_the_rally_that_liquidates_a_short_hedge(lev, flat):
    # issue 22 item 5: a spot long hedged by an isolated short perp cannot be liquidated by a drop (the
    # short gains, the spot is not on margin); its risk is the rally that reaches the short's
    # liquidation price. Isolated linear short (Binance): LP = (WB + Q EP) / (Q (1 + m)), with the
    # margin WB = Q EP / L at the entry (or Q x mark / L if re-sized at the close), so
    # LP = EP (1 + 1/L) / (1 + m): a rise of (1/L - m) / (1 + m) from the entry.
    market = flat()
    cls = get_strategy("perp-hedge")
    params = cls.validate({"hedge_ratio": 1.0, "leverage": lev, "rebalance_hours": 0, "drift": 10.0,
                           "topup_at": 1.0})
    entry = Entry("perp-hedge", cls, (params,), ("perp-hedge",), "isolated")
    capital = 20_000.0   # the short's notional stays in Binance's first bracket, m = 0.4 %
    res = reverse_stress(entry, market, 3, venue="binance", capital=capital)
    assert res.drop is None and res.direction == "up" and res.move == res.rally
    ep = 1e5 * (1 - HALF_SPREAD)   # a sell fills below the mark by the half spread (impact ~1e-7 here)
    lps = [(margin_per_btc + ep) / (1 + M) for margin_per_btc in (ep / lev, 1e5 / lev)]
    assert min(lps) - 1.0 <= res.peak_price <= max(lps) + 1.0
    assert res.rally == pytest.approx((1 / lev - M) / (1 + M), abs=2e-4)


def test_reverse_max_loss_on_spot_hold(flat):
    # hold is 1x spot: losing 20 % of equity takes a 20 % fall of the close (from the previous close)
    market = flat()
    cls = get_strategy("hold")
    entry = Entry("hold", cls, (cls.validate({}),), ("hold",), "isolated")
    res = reverse_stress(entry, market, 3, capital=1e5, max_loss=0.2)
    assert res.drop == pytest.approx(0.2, abs=1e-6)
    assert reverse_stress(entry, market, 3, capital=1e5).drop is None   # spot cannot be liquidated


def test_cli_reverse_of_the_hedge_at_the_oct10_crash_answers_with_the_rally(capsys):
    # issue 22 item 5: the command answered "no drop up to 99 % breaches liquidation" for perp-hedge,
    # whose short perp is liquidated by a rally; both directions are now in the answer, the smaller first
    res = calc(["stress", "reverse", "perp-hedge", "--at", "2025-10-10 21:00"], capsys)
    assert res["drop"] is None and res["trough_price"] is None
    assert res["direction"] == "up" and res["move"] == res["rally"] > 0
    assert res["peak_price"] == pytest.approx(res["reference_price"] * (1 + res["rally"]), rel=1e-12)
    rc, out, err = h.invoke(["stress", "reverse", "perp-hedge", "--at", "2025-10-10 21:00"], capsys)
    assert rc in (0, None), err
    assert out.startswith(f"perp-hedge: a rally of {res['rally']:.2%} (mark ") and "no drop up to 99%" in out
