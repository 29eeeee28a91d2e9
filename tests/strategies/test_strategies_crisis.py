"""Every built-in through the Oct 10 crash window of the embedded crisis-2025 dataset.

Expectations are the strategies' own rules, stated as inequalities that hold whatever the exact
reconstructed path: a 10x isolated long cannot survive a fall of more than 10 %, a half-hedged spot
loses less than unhedged spot, a delta-neutral carry stays near its capital, risk-sized loses at most
its budget per trade.
"""
import numpy as np
import pytest

from hedgelab.data import align, load
from hedgelab.engine import simulate
from hedgelab.strategies import BUILTINS, get_strategy

CAPITAL = 100_000.0


@pytest.fixture(scope="module")
def crash():
    market = align(load("crisis-2025"), "2025-10-09", "2025-10-11")
    results = {name: simulate(market, get_strategy(name)().spec(market), capital=CAPITAL) for name in BUILTINS}
    return market, results


def final(results, name):
    return results[name].summary["final_equity"].iloc[0]


def test_the_window_holds_a_crash(crash):
    market, _ = crash
    assert market.mark_low.min() < 0.9 * market.close[0]  # more than the 10x margin (10 %) below the entry


def test_every_builtin_runs_with_finite_equity(crash):
    _, results = crash
    for name, res in results.items():
        assert np.isfinite(res.equity.to_numpy()).all(), name
        assert res.summary["fees"].iloc[0] > 0, name  # each one trades at least once


def test_rules_hold_through_the_crash(crash):
    market, results = crash
    assert results["leveraged-long"].summary["liquidations"].iloc[0] == 1
    assert final(results, "leveraged-long") < 0.01 * CAPITAL
    hold_loss = CAPITAL - final(results, "hold")
    assert hold_loss > 0
    assert 0 < CAPITAL - final(results, "perp-hedge") < hold_loss
    assert results["perp-hedge"].summary["liquidations"].iloc[0] == 0
    assert abs(final(results, "funding-carry") / CAPITAL - 1) < 0.01
    fees = results["risk-sized"].summary["fees"].iloc[0]
    assert CAPITAL - final(results, "risk-sized") <= 0.03 * CAPITAL + fees
    assert results["delever"].summary["liquidations"].iloc[0] == 0
