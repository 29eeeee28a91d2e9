"""protective-put and collar through the engine's option legs on synthetic paths.

Rules: a put bought 10 % out of the money pays off in a 40 % crash, so the protected spot ends above
unhedged spot and the option P&L is positive; on a flat path the premium is lost (option P&L < 0).
A collar's short call caps a rally: it ends below unhedged spot after a 40 % rise.
"""
import numpy as np
import pytest

from hedgelab.engine import simulate
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import synthetic_market

CAPITAL = 100_000.0
N = 24 * 20  # 20 days of hourly bars: inside the first 30-day put


def run(name, close, **params):
    market = synthetic_market(close, funding_every=0, iv=0.5)
    return simulate(market, get_strategy(name)().spec(market, [params]), capital=CAPITAL)


def option_fills(res):
    return res.events[res.events["kind"].str.startswith("option")]


@pytest.mark.parametrize("name", ["protective-put", "collar"])
def test_option_strategies_open_their_legs(name):
    res = run(name, np.full(N, 100_000.0))
    fills = option_fills(res)
    assert len(fills) >= (1 if name == "protective-put" else 2)
    assert res.summary["option_pnl"].iloc[0] < 0  # flat path: the long put expires worthless or decays


def test_protective_put_pays_in_a_crash():
    crash = np.concatenate([np.full(24, 100_000.0), np.linspace(100_000.0, 60_000.0, N - 24)])
    protected, bare = run("protective-put", crash), run("hold", crash)
    assert protected.summary["option_pnl"].iloc[0] > 0
    assert protected.equity.iloc[-1, 0] > bare.equity.iloc[-1, 0]


def test_collar_gives_up_a_rally():
    rally = np.concatenate([np.full(24, 100_000.0), np.linspace(100_000.0, 140_000.0, N - 24)])
    collared, bare = run("collar", rally), run("hold", rally)
    assert collared.summary["option_pnl"].iloc[0] < 0
    assert collared.equity.iloc[-1, 0] < bare.equity.iloc[-1, 0]


def test_rolls_follow_the_rules():
    flat = np.full(24 * 60, 100_000.0)  # 60 days: at least one roll of a ~30-day leg
    fills = option_fills(run("protective-put", flat))
    fills = fills[fills["kind"] == "option_fill"]
    buys, sells = fills[fills["qty"] > 0], fills[fills["qty"] < 0]
    assert len(sells) >= 1
    # protective-put closes the old put and buys the new one in the same decision
    assert list(sells["time"]) == list(buys["time"].iloc[1:])
    assert np.allclose(buys["qty"], 0.9 * CAPITAL / 100_000.0)  # hedge_ratio x spot qty
    collar = option_fills(run("collar", flat))
    collar = collar[collar["kind"] == "option_fill"]
    opened = collar.groupby("time")["qty"].apply(lambda q: sorted(q.round(6))).tolist()
    # first bar: buy put + sell call; each roll: close both (one bar), reopen both on the next bar
    assert opened[0] == [-0.95, 0.95]
    times = sorted(collar["time"].unique())
    for closed_at, reopened_at in zip(times[1::2], times[2::2]):
        assert (reopened_at - closed_at) == np.timedelta64(1, "h")
