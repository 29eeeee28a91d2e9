"""Each liquidation explained: a worked example computed by hand from Binance's tier table and funding rule
(../shared/specs/exchange-mechanics.md §1.1-1.4), the margin identity over random paths, and the
'would have survived' figures checked by running the strategy again by other means.

Worked example (hourly bars, no fees or slippage, capital 10,000 USD, leveraged-long at 10x isolated):
- bar 0 closes at 100,000: the long opens 10,000 x 10 / 100,000 = 1 BTC with 10,000 USD of margin;
- funding of +0.1 % at the opens of bars 8, 16 and 24 on a 100,000 mark: a long pays 1 x 100,000 x 0.001
  = 100 USD each, 300 USD from the isolated margin (wallet 9,700);
- tier 1 of BTCUSDT (notional below 300k): MMR 0.4 %, cum 0. Liquidation price
  LP = (WB + cum - Q x EP) / (Q x MMR - Q) = (9,700 - 100,000) / (0.004 - 1) = 90,662.65
  (at entry, with 10,000: 90,361.45); bankruptcy price 100,000 - 9,700 = 90,300;
- bar 30 opens at 95,000 and its mark low is 85,050: triggered at LP; the margin balance there is
  9,700 + (LP - 100,000) = 0.004 x LP = 362.65 (the maintenance margin);
- then the price stays at 92,000 to the end (bar 39).
More margin X survives to the end iff LP(9,700 + X) < 85,050, i.e. 100,000 - 9,700 - X < 0.996 x 85,050
= 84,709.8: X > 5,590.2, so 5,591 USD. Leverage L (same 10,000 margin, L/10 BTC, funding 30 L):
LP = (10,030 L - 10,000) / (0.0996 L) < 85,050 iff L < 6.414: 6x survives, 7x does not.
"""
from pathlib import Path
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit

from hedgelab.engine import simulate
from hedgelab.engine.costs import Costs
from hedgelab.engine.synthetic import make_market, random_walk_market
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.reports.liquidation_story import LiquidationStory, lines, words
from hedgelab.runner.liquidations import accounts_of, stories_of
from hedgelab.strategies import get_strategy
from hedgelab.strategies.base import Strategy


def _market():
    n = 40
    close = np.full(n, 100_000.0)
    close[30:] = 92_000.0
    open_ = close.copy()
    open_[30] = 95_000.0
    high = np.maximum(open_, close)
    low = np.minimum(open_, close)
    low[30] = 85_050.0
    rate = np.full(n, np.nan)
    rate[[8, 16, 24]] = 0.001
    return make_market(open_, high, low, close, start="2025-09-01", funding_rate=rate)


def _run(market, strategy="leveraged-long", mode="isolated", capital=10_000.0, costs=None):
    cls = get_strategy(strategy)
    run = SimpleNamespace(opts=SimpleNamespace(venue="binance", capital=capital), symbol="BTC",
                          costs=Costs.zero() if costs is None else costs, adl="off", market=market)
    return run, SimpleNamespace(cls=cls, margin_mode=mode, name=strategy)


@pytest.mark.parametrize("mode", ["isolated", "cross"])
def test_the_worked_example_by_hand(mode):
    """Cross margin gives the same figures here: the wallet is the cash, 10,000 USD, all of it backing the
    one position (no fees, no spot), and the initial-margin check cuts a capped leverage's order as the
    isolated margin does."""
    run, job = _run(_market(), mode=mode)
    (story,) = stories_of(run, job, {}, "leveraged-long")
    a, s = story.account, story.survival
    lp = (9_700 - 100_000) / (0.004 - 1)
    assert a.entry_qty == pytest.approx(1.0) and a.entry_price == pytest.approx(100_000)
    assert a.mode == mode and a.leverage == pytest.approx(10) and a.margin_at_entry == pytest.approx(10_000)
    assert a.liq_price_at_entry == pytest.approx((10_000 - 100_000) / (0.004 - 1))
    assert a.parts["funding"] == pytest.approx(-300)
    assert a.parts["fees"] == 0 and a.parts["margin moved"] == 0 and a.parts["trades"] == 0
    assert a.liq_price == pytest.approx(lp) and a.trigger_price == pytest.approx(lp) and not a.gapped
    assert a.parts["mark move"] == pytest.approx(lp - 100_000)
    assert a.balance_at_trigger == pytest.approx(0.004 * lp) and a.mm_at_trigger == pytest.approx(0.004 * lp)
    assert a.bankruptcy_price == pytest.approx(90_300) and a.taken_at == pytest.approx(90_300)
    assert a.returned == pytest.approx(0, abs=1e-6) and a.venue_kept == pytest.approx(0.004 * lp)
    assert a.mark_open == 95_000 and a.mark_extreme == 85_050
    assert a.liq_time == pd.Timestamp("2025-09-02 06:00", tz="UTC")
    assert s.extra_margin == 5_591 and s.extra_margin_scope == "end"
    assert s.leverage == 6 and s.leverage_scope == "end"
    text = "\n".join(words(story))
    for said in ("funding -300.00", "90,662.65", "90,361.45", "90,300.00", "5,591 USD more margin",
                 "(5,590 USD more is still liquidated)", "at 6x leverage instead of 10x", "7x is liquidated",
                 "the venue kept the 362.65 USD", "to the end of the run (2025-09-02 15:00 UTC)"):
        assert said in text, said


# ---- the survival figures, checked by running the same position by other means ----------------------------

@njit(HOOK_SIG, cache=True)
def _open_and_top_up_nb(i, state, params, features, intent):
    """At the first bar: a long of params[0] BTC at params[1]x, then params[2] USD moved into its margin."""
    if i == 0:
        intent[Intent.TARGET_PERP] = params[0]
        intent[Intent.LEVERAGE] = params[1]
        intent[Intent.MARGIN_TOPUP] = params[2]


class _Deposit(Strategy):
    name = "test-deposit"
    margin_mode = "isolated"
    decide_nb = staticmethod(_open_and_top_up_nb)


def _liquidated_with(market, qty, lev, topup, capital, costs):
    spec = _Deposit().spec(market, [{}])._replace(params=np.array([[qty, lev, topup]]),
                                                  param_names=("qty", "lev", "topup"))
    sim = simulate(market, spec, capital=capital + topup, costs=costs)
    return int((sim.events["kind"] == "liquidation").sum()) > 0, sim


def test_the_worked_example_survives_with_the_amount_found_and_not_with_a_dollar_less():
    market, costs = _market(), Costs.zero()
    assert _liquidated_with(market, 1.0, 10.0, 5_591.0, 10_000.0, costs)[0] is False
    assert _liquidated_with(market, 1.0, 10.0, 5_590.0, 10_000.0, costs)[0] is True


def test_the_main_jobs_leveraged_long_survives_with_the_amount_found_and_not_with_a_dollar_less(shared_dir):
    from hedgelab.data import align, load
    market = align(load("crisis-2025"))
    run, job = _run(market, capital=100_000.0, costs=Costs())
    (story,) = stories_of(run, job, {}, "leveraged-long")
    a, x = story.account, story.survival.extra_margin
    assert story.survival.extra_margin_scope == "end" and x > 0
    # what a user read off events.csv and the page (issue 22): the bankruptcy price in the events row, the
    # liquidation price then, the bar's mark low and the funding drained; the README says the same
    assert round(a.taken_at, 2) == 98_411.29 and round(a.liq_price) == 98_891 and round(a.mark_extreme) == 98_062
    assert round(-a.parts["funding"]) == 9_048 and a.liq_time == pd.Timestamp("2025-11-08 15:00", tz="UTC")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    said = readme[readme.index("`leveraged-long` opens at 10x"):][:600]
    for figure in (f"{a.liq_price_at_entry:,.0f}", "9,048 USD", f"{a.liq_price:,.0f}", f"{a.mark_extreme:,.0f}",
                   f"{a.taken_at:,.0f}"):
        assert figure in said, figure
    # and its block "as printed" is what the explainer prints
    start = readme.index("```text\nleveraged-long: liquidated") + len("```text\n")
    assert readme[start:readme.index("```", start)].splitlines() == lines([SimpleNamespace(liquidation_stories=[story])])[:-1]
    # the same position at the same leverage, opened by a plain hook with the top-up, the capital raised by it
    ok, sim = _liquidated_with(market, a.entry_qty, a.leverage, float(x), 100_000.0, Costs())
    fills = sim.events[sim.events["kind"] == "fill"]
    assert fills["qty"].iloc[0] == pytest.approx(a.entry_qty) and fills["price"].iloc[0] == pytest.approx(a.entry_price)
    assert ok is False
    assert _liquidated_with(market, a.entry_qty, a.leverage, float(x - 1), 100_000.0, Costs())[0] is True
    # the leverage: the strategy's own parameter, run through the engine as any run
    lev = story.survival.leverage
    for value, liquidated in ((lev, False), (lev + 1, True)):
        spec = job.cls().spec(market, [{"leverage": value}])
        sim = simulate(market, spec, capital=100_000.0, costs=Costs())
        assert (int(sim.summary["liquidations"].iloc[0]) > 0) is liquidated, value


# ---- the identity over random paths ------------------------------------------------------------------------

def _check(acc, ev_price):
    total = acc.margin_at_entry + sum(acc.parts.values())
    assert total == pytest.approx(acc.balance_at_trigger, rel=1e-9, abs=1e-6)
    if not acc.gapped:   # the liquidation condition: the margin balance is the maintenance margin there
        assert acc.balance_at_trigger == pytest.approx(acc.mm_at_trigger, rel=1e-7, abs=1e-6)
    # the walk's wallet gives the price the kernel took the position at (no rest: the fee exceeds the MM)
    assert acc.bankruptcy_price == pytest.approx(ev_price, rel=1e-9)
    text = " ".join(words(LiquidationStory(run="r", account=acc, survival=None, run_end=acc.liq_time)))
    assert not re.search(r"\bnan\b|\binf", text.lower())   # non-finite figures are never words


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), leverage=st.floats(5.0, 60.0), vol=st.floats(0.004, 0.02),
       mode=st.sampled_from(["isolated", "cross"]), rate=st.floats(-0.002, 0.004))
def test_the_parts_add_up_over_random_paths(seed, leverage, vol, mode, rate):
    market = random_walk_market(600, seed=seed, vol=vol, bar_seconds=3600, funding_every=8, funding_rate=rate,
                                volume=1e4)
    run, job = _run(market, mode=mode, capital=100_000.0, costs=Costs())
    for acc, _, _, _ in accounts_of(run, job, {"leverage": leverage, "reenter": True}):
        _check(acc, acc.taken_at)


TRADERS = {"delever": {"high_leverage": 50.0, "low_leverage": 20.0, "margin_fraction": 0.5},
           "risk-sized": {"leverage": 100.0, "min_liq_distance": 0.0, "stop_distance": 0.0, "risk_fraction": 0.5},
           "perp-hedge": {"hedge_ratio": 1.0}}


@pytest.mark.parametrize("strategy, mode", [(s, m) for s in TRADERS for m in ("isolated", "cross")])
def test_the_parts_add_up_for_strategies_that_trade_and_top_up(strategy, mode):
    """Strategies that resize, top up the margin, change leverage, hold spot: every liquidation's walk adds up
    (liquidated on most of these violent paths: 3 % hourly moves)."""
    seen = 0
    for seed in range(3):
        market = random_walk_market(1500, seed=seed, vol=0.03, bar_seconds=3600, funding_every=8,
                                    funding_rate=0.0005, volume=1e4)
        run, job = _run(market, strategy=strategy, mode=mode, capital=100_000.0, costs=Costs())
        for acc, _, _, _ in accounts_of(run, job, TRADERS[strategy], limit=20):
            _check(acc, acc.taken_at)
            seen += 1
    assert seen > 0


def test_the_terminal_prints_the_words_of_each_story():
    run, job = _run(_market())
    stories = stories_of(run, job, {}, "leveraged-long")
    record = SimpleNamespace(liquidation_stories=stories)
    printed = lines([record])
    assert printed[0] == words(stories[0])[0] and [x.strip() for x in printed[1:-1]] == words(stories[0])[1:]
