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
    per_bar = collar.groupby("time")["qty"].apply(lambda q: sorted(q.round(6))).tolist()
    # first bar: buy put + sell call; each roll, in one bar: close both, open the new pair
    assert per_bar[0] == [-0.95, 0.95]
    assert len(per_bar) >= 2 and all(q == [-0.95, -0.95, 0.95, 0.95] for q in per_bar[1:])


class _Probe:
    """A strategy's hook wrapped so that it writes State.OPEN_LEGS, as seen at each bar's close before
    the bar's orders (the legs held through the bar), into column 0 of its own features (test only:
    the features array is the one place a hook can leave a per-bar number for the test to read)."""

    @staticmethod
    def run(name, close, **params):
        from numba import njit

        from hedgelab.engine.types import HOOK_SIG, State
        from hedgelab.strategies.base import hook_of

        cls = get_strategy(name)
        inner = hook_of(cls)

        @njit(HOOK_SIG)
        def probe_nb(i, state, params, features, intent):
            features[i, 0] = state[State.OPEN_LEGS]
            inner(i, state, params, features, intent)

        probe = type("Probe", (cls,), {"name": name + "-probe", "decide_nb": staticmethod(probe_nb),
                                       "prepare": lambda self, m: np.full((len(m.close), 1), np.nan)})
        market = synthetic_market(close, funding_every=0, iv=0.5)
        spec = probe().spec(market, [params])
        res = simulate(market, spec, capital=CAPITAL)
        return res, spec.features[:, 0]


@pytest.mark.parametrize("name, legs", [("protective-put", 1), ("collar", 2)])
@pytest.mark.parametrize("path", ["flat", "falling"])
def test_no_bar_without_the_hedge_after_the_first_purchase(name, legs, path):
    n = 24 * 75  # 75 days: at least two rolls of a ~30-day leg rolled 7 days before expiry
    close = np.full(n, 100_000.0) if path == "flat" else np.linspace(100_000.0, 70_000.0, n)
    res, held = _Probe.run(name, close)
    fills = option_fills(res)
    fills = fills[fills["kind"] == "option_fill"]
    assert fills["time"].nunique() >= 3  # the first purchase and at least two rolls
    # bar 0 buys at its close; from bar 1 on every bar is held through with the whole hedge (one put;
    # collar: the put and its call, which it only ever opens and closes as a pair)
    assert held[0] == 0
    assert (held[1:] == legs).all(), np.flatnonzero(held[1:] != legs)[:5] + 1
