"""The kernel against independent implementations: vectorbt on the subset it models (spot, or a 1x
perp without funding or margin calls, same fees, no slippage) and the plain-Python reference
simulator (``engine/reference.py``) on small random cases with every mechanic switched on."""
import numpy as np
import pytest
import vectorbt as vbt

from hedgelab.engine import Costs, simulate
from hedgelab.engine.hooks import replay_nb
from hedgelab.engine.nb.records import EventKind
from hedgelab.engine.reference import ReferenceAccount, run_reference
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.synthetic import random_walk_market
from hedgelab.engine.venues import load_venue

FEE = 0.001


def random_targets(rng, n, scale, allow_short):
    targets = np.full(n, np.nan)
    hit = rng.random(n) < 0.3
    lo = -scale if allow_short else 0.0
    targets[hit] = np.round(rng.uniform(lo, scale, hit.sum()), 6)
    return targets


def replay_spec(feats):
    n = len(feats)
    return StrategySpec(replay_nb, np.zeros((1, 1)), np.ascontiguousarray(feats), np.ones(n, bool), ("x",), ("r",))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("instrument", ["spot", "perp"])
def test_vectorbt_parity(seed, instrument):
    rng = np.random.default_rng(seed)
    n = 400
    market = random_walk_market(n, seed=seed, vol=0.01, start="2025-10-01")
    targets = random_targets(rng, n, 0.4, allow_short=instrument == "perp")  # <= 40 % of capital
    feats = np.full((n, 2), np.nan)
    feats[:, 0 if instrument == "perp" else 1] = targets
    costs = Costs(perp_fee=FEE, spot_fee=FEE, half_spread=0.0, impact=0.0)
    res = simulate(market, replay_spec(feats), costs=costs, capital=100_000.0)
    pf = vbt.Portfolio.from_orders(market.close, targets, size_type="targetamount", fees=FEE,
                                   init_cash=100_000.0, freq="1min")
    ours = res.equity.iloc[:, 0].to_numpy()
    theirs = pf.value().to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    assert res.summary.fees.iloc[0] == pytest.approx(float(pf.orders.records["fees"].sum()), rel=1e-9)


def reference_case(seed, venue, cross):
    rng = np.random.default_rng(seed)
    n = 240
    market = random_walk_market(n, seed=seed + 100, vol=0.01, start="2025-10-01", bar_seconds=3600,
                                funding_every=8, funding_rate=0.002, volume=30.0)
    feats = np.full((n, 4), np.nan)
    orders = [None] * n
    for i in np.flatnonzero(rng.random(n) < 0.15):
        o = {"perp": float(np.round(rng.uniform(-3, 3), 4))}
        if rng.random() < 0.5:
            o["spot"] = float(np.round(rng.uniform(0, 2), 4))
        if rng.random() < 0.5:
            o["leverage"] = float(rng.choice([2.0, 5.0, 20.0, 60.0]))
        if rng.random() < 0.3:
            px = market.close[i]
            o["stop"] = float(px * (1 - np.sign(o["perp"]) * rng.uniform(0.01, 0.05)))
        feats[i] = [o["perp"], o.get("spot", np.nan), o.get("leverage", np.nan), o.get("stop", np.nan)]
        orders[i] = o
    return market, feats, orders


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("venue,cross", [("binance", False), ("bybit", False), ("hyperliquid", False),
                                         ("binance", True), ("hyperliquid", True)])
def test_kernel_matches_reference(seed, venue, cross):
    market, feats, orders = reference_case(seed, venue, cross)
    costs = Costs(perp_fee=0.0005, spot_fee=0.001, half_spread=0.0001, impact=0.01, impact_exponent=0.5)
    capital = 300_000.0
    res = simulate(market, replay_spec(feats), venue=venue, margin_mode="cross" if cross else "isolated",
                   costs=costs, capital=capital, at="2025-10-01")
    v = load_venue(venue, at="2025-10-01")
    acc = ReferenceAccount(tiers=v.tiers[:, :5].tolist(), rule={0: "mm_at_liq", 1: "mm_at_entry", 2: "close_at_mark"}[v.liq_rule],
                           capital=capital, perp_fee=0.0005, spot_fee=0.001, half_spread=0.0001, impact=0.01,
                           impact_exp=0.5, cross=cross, partial_above=v.partial_above,
                           partial_fraction=v.partial_fraction, backstop=v.backstop, liq_fee=v.liquidation_fee, whole_leverage=v.integer_leverage)
    equity, events = run_reference(market, orders, acc)
    np.testing.assert_allclose(res.equity.iloc[:, 0].to_numpy(), equity, rtol=1e-9)
    ours = res.records
    assert len(ours) == len(events)
    assert [(int(e["bar"]), int(e["kind"]), int(e["instrument"])) for e in ours] == [e[:3] for e in events]
    np.testing.assert_allclose(ours["qty"], [e[3] for e in events], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours["price"], [e[4] for e in events], rtol=1e-9)
    np.testing.assert_allclose(ours["amount"], [e[5] for e in events], rtol=1e-9, atol=1e-6)


def test_reference_cases_exercise_the_mechanics():
    # The random cases above are only evidence if they reach funding, stops and liquidations.
    kinds = set()
    for seed in range(3):
        for venue, cross in (("binance", False), ("hyperliquid", False)):
            market, feats, _ = reference_case(seed, venue, cross)
            res = simulate(market, replay_spec(feats), venue=venue, capital=300_000.0, at="2025-10-01")
            kinds |= set(res.records["kind"].tolist())
    assert {EventKind.FUNDING, EventKind.STOP, EventKind.LIQUIDATION, EventKind.MARGIN} <= kinds
