"""Basket runs through the runner, the API and the CLI on the embedded crisis-2025 coins."""
import numpy as np
import pytest

import hedgelab
from hedgelab.cli import main
from hedgelab.core.errors import UserError
from hedgelab.data import align_coins, load

BASKET = {"BTC": 0.3, "ETH": 0.4, "SOL": 0.3}
WINDOW = {"start": "2025-10-01", "end": "2025-10-20"}


def test_a_spot_basket_held_without_costs_ends_at_its_coins_final_prices():
    res = hedgelab.run("basket-hold", basket="BTC=0.3,ETH=0.4,SOL=0.3", no_costs=True, **WINDOW)
    markets = align_coins(load("crisis-2025"), list(BASKET), **WINDOW)
    qty = {c: w * 100_000.0 / markets[c].index_close[0] for c, w in BASKET.items()}
    expected = sum(qty[c] * markets[c].index_close[-1] for c in BASKET)
    assert res.equity.iloc[-1, 0] == pytest.approx(expected, rel=1e-12)
    assert set(res.events["symbol"]) == set(BASKET)


def test_a_levered_cross_basket_is_liquidated_whole_and_names_the_coin_that_tipped_it():
    res = hedgelab.run("basket-hold", {"via": "perp", "leverage": 10.0}, basket=BASKET, margin_mode="cross",
                       **WINDOW)
    run = res.runs[0]
    liq = res.events[res.events["kind"] == "liquidation"]
    assert set(liq["symbol"]) == set(BASKET)                        # every position closed at once
    assert liq["time"].nunique() == 1 and run.first_liquidation is not None
    assert run.tipped_by in BASKET
    # the coin that tipped it lost the most from its bar's open to its liquidation price
    markets = align_coins(load("crisis-2025"), list(BASKET), **WINDOW)
    bar = int(np.searchsorted(markets["BTC"].time_ns, run.first_liquidation.value))
    loss = {c: -float(liq.loc[liq["symbol"] == c, "qty"].iloc[0]) * (markets[c].mark_open[bar]
                                                                    - float(liq.loc[liq["symbol"] == c, "price"].iloc[0]))
            for c in BASKET}
    assert run.tipped_by == max(loss, key=loss.get)


@pytest.mark.parametrize("argv, fragment", [
    (["compare", "basket-hold", "hold", "--basket", "BTC=0.5,ETH=0.5"], "compare them in separate runs"),
    (["run", "basket-hold"], "basket-hold is a basket strategy: give its coins and weights"),
    (["run", "hold", "--basket", "BTC=0.5,ETH=0.5"], "hold runs on one coin"),
    (["run", "basket-hold", "--basket", "BTC=0.5,PEPE=0.5"], "data 'crisis-2025' has no PEPE"),
    (["run", "basket-hold", "--basket", "BTC=0.5,ETH=0.4"], "weights must sum to 1"),
    (["run", "basket-hold", "--basket", "BTC=0.5,ETH=0.5", "--venue", "bybit"], "no tier table for symbol 'ETH'"),
])
def test_bad_basket_runs_are_one_line_errors_and_write_nothing(tmp_path, capsys, argv, fragment):
    out = tmp_path / "o"
    with pytest.raises(SystemExit) as info:
        main([*argv, "--out", str(out), "--quiet"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
    assert not out.exists()


def test_the_api_refuses_a_basket_for_one_coin_strategies():
    with pytest.raises(UserError, match="hold runs on one coin"):
        hedgelab.compare(["hold"], basket=BASKET)


def test_a_one_coin_strategy_runs_unchanged_on_any_coin_of_the_dataset():
    res = hedgelab.run("hold", symbol="SOL", no_costs=True, **WINDOW)
    sol = align_coins(load("crisis-2025"), ["SOL"], **WINDOW)["SOL"]
    assert res.equity.iloc[-1, 0] == pytest.approx(100_000.0 * sol.index_close[-1] / sol.index_close[0], rel=1e-12)
    assert res.manifest["symbol"] == "SOLUSDT"
    with pytest.raises(UserError, match="--symbol picks the coin of a one-coin run"):
        hedgelab.run("basket-hold", symbol="SOL", basket=BASKET)


def test_a_basket_coin_without_funding_is_refused(tmp_path, capsys):
    """A dataset whose XRP has bars but no funding file: a basket holding XRP is refused in one line."""
    from testkit.alts import require_alts

    from hedgelab.data.importer import import_files
    alts = require_alts()
    store = tmp_path / "store"
    import_files("ex", {"ETHUSDT": alts / "binance_perp_ETHUSDT_1h.csv", "XRPUSDT": alts / "binance_perp_XRPUSDT_1h.csv"},
                 funding={"ETH": alts / "binance_perp_ETHUSDT_funding_8h.csv"}, store=store)
    with pytest.raises(SystemExit) as info:
        main(["run", "basket-hold", "--basket", "ETH=0.5,XRP=0.5", "--data", "ex", "--store", str(store),
              "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "XRP has no funding settlement" in err and "--funding XRP=FILE" in err
    assert not (tmp_path / "o").exists()
