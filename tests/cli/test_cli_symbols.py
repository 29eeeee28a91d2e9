"""Exchange and ccxt symbols pick the base coin's tier table; leverage above a bracket's maximum is refused.

Expected prices from exchange-mechanics.md: §1.2 Binance one-way isolated LP = (WB + cum - s Q EP) /
(Q MMR - s Q); §3 Hyperliquid liq = price - s x margin_available / size / (1 - l s), l = 1 / (2 max lev).
"""
import json

import pytest

from testkit import cli as h

AT = "2025-10-15"


def calc_liq(capsys, *args):
    rc, out, err = h.invoke(["calc", "liq", *args, "--json"], capsys)
    return rc, (json.loads(out) if rc in (0, None) else None), err


def binance_lp(side, wallet, qty, entry, mmr, cum):
    return (wallet + cum - side * qty * entry) / (qty * mmr - side * qty)


def hl_lp(side, price, size, isolated, l_rate):
    available = isolated - size * price * l_rate
    return price - side * available / size / (1 - l_rate * side)


@pytest.mark.parametrize("symbol", ["BTC", "BTCUSDT", "btcusdt", "BTC/USDT:USDT", "BTC-PERPETUAL", "BTC-USDT-SWAP"])
def test_binance_takes_every_spelling_of_btc(capsys, symbol):
    # 10x long 1 BTC @ 100k: WB 10,000, bracket 1 (0.4 %, cum 0)
    rc, out, err = calc_liq(capsys, "--venue", "binance", "--side", "long", "--entry", "100000", "--qty", "1",
                            "--leverage", "10", "--symbol", symbol, "--at", AT)
    assert rc in (0, None), err
    assert out["liquidation_price"] == pytest.approx(binance_lp(1, 10_000, 1, 100_000, 0.004, 0), rel=1e-12)


@pytest.mark.parametrize("symbol, l_rate", [("ETH/USDC:USDC", 1 / 50), ("ETHUSDC", 1 / 50), ("ETH", 1 / 50),
                                            ("SOL/USDC:USDC", 1 / 40), ("SOL", 1 / 40)])
def test_hyperliquid_eth_and_sol_tables(capsys, symbol, l_rate):
    # §3: ETH 25x (l = 2 %), SOL 20x (l = 2.5 %) below 100M / 70M; a 5x long of 10 coins @ 200
    rc, out, err = calc_liq(capsys, "--venue", "hyperliquid", "--side", "long", "--entry", "200", "--qty", "10",
                            "--leverage", "5", "--symbol", symbol, "--at", AT)
    assert rc in (0, None), err
    assert out["liquidation_price"] == pytest.approx(hl_lp(1, 200.0, 10.0, 400.0, l_rate), rel=1e-12)


def test_hyperliquid_needs_no_table_when_the_max_leverage_is_given(capsys):
    # DOGE has no table; --max-leverage 10 gives l = 5 %
    rc, out, err = calc_liq(capsys, "--venue", "hyperliquid", "--side", "short", "--entry", "0.2", "--qty", "1000",
                            "--leverage", "4", "--symbol", "DOGE/USDC:USDC", "--max-leverage", "10", "--at", AT)
    assert rc in (0, None), err
    assert out["liquidation_price"] == pytest.approx(hl_lp(-1, 0.2, 1000.0, 50.0, 0.05), rel=1e-12)


def test_binance_still_refuses_a_symbol_it_has_no_table_for(capsys):
    rc, _, err = calc_liq(capsys, "--venue", "binance", "--side", "long", "--entry", "0.2", "--qty", "1000",
                          "--leverage", "4", "--symbol", "PEPEUSDT", "--max-leverage", "10", "--at", AT)
    assert rc == 2 and "PEPEUSDT" in err and "Traceback" not in err   # binance.toml has no PEPE table


@pytest.mark.parametrize("qty, leverage, ok", [
    # §1.1 late-2025: 80.98 BTC @ 100k = 8.1M is in bracket 4 (3M-12M, 50x); 1 BTC is in bracket 1 (150x)
    (80.98, 100, False), (80.98, 50, True), (1.0, 100, True), (1.0, 151, False),
])
def test_leverage_above_the_brackets_maximum_is_an_error(capsys, qty, leverage, ok):
    rc, _, err = calc_liq(capsys, "--venue", "binance", "--side", "long", "--entry", "100000", "--qty", str(qty),
                          "--leverage", str(leverage), "--at", AT)
    if ok:
        assert rc in (0, None), err
    else:
        assert rc == 2 and "maximum" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
