"""reports/figures.py: the one definition of each cost, of a hedge held and of market-neutral."""
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.reports import figures as f
from hedgelab.reports.run import RunRecord
from hedgelab.stress.survival import stats_row

IDX = pd.date_range("2025-10-01", periods=10, freq="h", tz="UTC")


def one_coin(spot, perp) -> RunRecord:
    return RunRecord("r", "s", {}, pd.Series(100_000.0, IDX), None, spot_qty=pd.Series(spot, IDX),
                     perp_qty=pd.Series(perp, IDX))


def test_costs_are_usd_paid_and_sum_bit_for_bit_like_the_old_formula():
    # events are cash flow to the account: funding +12 received -2 paid, a -5 fee, -300 premium + 450 payoff
    ev = pd.DataFrame({"kind": ["funding", "funding", "fee", "option_fill", "option_settle"],
                       "amount": [12.0, -2.0, -5.0, -300.0, 450.0]})
    assert f.funding_paid(ev) == -10.0 and f.fees_paid(ev) == 5.0 and f.options_net_paid(ev) == -150.0
    total = f.costs_paid(f.funding_paid(ev), f.fees_paid(ev), f.options_net_paid(ev))
    assert total == -155.0
    # the golden runs pin the old fee - funding received - option cash: the same bits
    rng = np.random.default_rng(0)
    for fee, funding, option in rng.normal(0, 1e4, (1000, 3)):
        assert repr(f.costs_paid(0.0 - funding, fee, 0.0 - option)) == repr(fee - funding - option)
    assert repr(f.funding_paid(None)) == "0.0"   # no -0.0 in a file


def test_hedge_cost_is_empty_exactly_when_no_hedge_is_held():
    assert math.isnan(f.hedge_cost(99.9, f.NO_HEDGE))
    assert f.hedge_cost(99.9, "short perp") == 99.9 and f.hedge_cost(99.9, f.UNKNOWN) == 99.9
    assert np.isnan(f.hedge_cost(np.array([1.0, 2.0]), f.NO_HEDGE)).all()
    assert f.hedge(one_coin(1.0, 0.0)) == "none" and f.hedge(one_coin(1.0, -0.5)) == "short perp"


@pytest.mark.parametrize("spot, perp, ratio, neutral", [
    (1.0, -1.0, 0.0, True),       # funding carry: long spot, short perp of the same size
    (1.0, -0.96, 0.04, True),     # 4 % net long: under the 5 % line
    (1.0, -0.94, 0.06, False),    # 6 %: over it
    (1.0, -0.7, 0.3, False),      # perp-hedge(hedge_ratio=0.7): 30 % net long, a hedged long
    (1.0, 0.0, 1.0, False),       # hold
    (0.0, 9.0, 1.0, False),       # a leveraged long perp
])
def test_market_neutral_is_the_mean_net_delta_against_the_long_leg(spot, perp, ratio, neutral):
    run = one_coin(spot, perp)
    assert f.neutral_ratio(run) == pytest.approx(ratio)
    assert f.market_neutral(run) is neutral
    assert f.neutral_flag(run) is neutral
    assert f.ranking_group(f.neutral_flag(run), True) == ("market-neutral" if neutral else "directional")
    assert f.ranking_group(f.neutral_flag(run), False) == "all"   # a sweep: one list, its neutral sets flagged


def test_a_run_that_flips_between_neutral_and_long_is_judged_on_its_mean():
    # half the bars flat-hedged (net 0), half long 1 BTC unhedged: mean net 0.5 against a 1 BTC long leg
    spot = np.ones(10)
    perp = np.where(np.arange(10) < 5, -1.0, 0.0)
    assert f.neutral_ratio(one_coin(spot, perp)) == pytest.approx(0.5)
    # bars holding nothing do not count
    assert f.neutral_ratio(one_coin(np.r_[np.zeros(5), np.ones(5)], np.r_[np.zeros(5), -np.ones(5)])) == 0.0


def test_a_basket_is_judged_on_usd_exposure_against_its_long_legs():
    # long 100k of ETH spot, short 98k of BTC perp: net 2k against a 100k long leg (2 %): neutral
    exposure = pd.DataFrame({"ETH": 100_000.0, "BTC": -98_000.0}, index=IDX)
    long_legs = pd.DataFrame({"ETH": 100_000.0, "BTC": 0.0}, index=IDX)
    run = RunRecord("b", "basket", {}, pd.Series(100_000.0, IDX), None,
                    coins={"exposure": exposure, "long_exposure": long_legs})
    assert f.neutral_ratio(run) == pytest.approx(0.02) and f.market_neutral(run)
    # each coin spot-long and hedged on its own perp: the net is 0 against the spot legs, not 0 / 0
    run.coins = {"exposure": pd.DataFrame({"ETH": 0.0, "SOL": 0.0}, index=IDX),
                 "long_exposure": pd.DataFrame({"ETH": 50_000.0, "SOL": 50_000.0}, index=IDX)}
    assert f.neutral_ratio(run) == 0.0


def test_stress_empties_the_hedge_cost_of_a_run_whose_replay_holds_no_hedge():
    n = 4
    args = (100_000.0, np.full(n, 90_000.0), np.full(n, -1), np.full(n, -3.0), np.full(n, 10.0), np.zeros(n),
            np.full(n, -0.1), 1.0)
    hedged, bare = stats_row(*args, hedge="short perp"), stats_row(*args, hedge="none")
    assert hedged["hedge_cost_usd_median"] == 13.0             # 10 fees + 3 funding paid
    assert hedged["funding_paid_usd_mean"] == 3.0 and hedged["options_net_paid_usd_mean"] == 0.0
    assert math.isnan(bare["hedge_cost_usd_median"]) and bare["fees_paid_usd_mean"] == 10.0
