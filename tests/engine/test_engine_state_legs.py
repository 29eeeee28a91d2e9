"""The hook sees each open option leg (contract, size, greeks) and the leverage setting in State;
checked against the fills and against the option book the kernel computes separately (its delta
is the sum over legs of qty x delta)."""
import numpy as np
import pandas as pd
from numba import njit

from hedgelab.engine import simulate
from hedgelab.engine.costs import Costs
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.strategies.testing import synthetic_market

N = 6


@njit(HOOK_SIG, cache=True)
def put_and_perp_nb(i, state, params, features, intent):
    if i == 0:
        intent[Intent.OPT1_ACTION] = 1.0
        intent[Intent.OPT1_TYPE] = -1.0
        intent[Intent.OPT1_STRIKE] = 0.9
        intent[Intent.OPT1_TENOR_DAYS] = 30.0
        intent[Intent.OPT1_QTY] = 0.5
        intent[Intent.LEVERAGE] = 7.0
        intent[Intent.TARGET_PERP] = 0.2


def test_open_legs_and_leverage_in_the_state():
    spec = StrategySpec(put_and_perp_nb, np.zeros((1, 1)), np.zeros((N, 1)), np.ones(N, dtype=bool), ("x",),
                        ("put",))
    market = synthetic_market(np.linspace(100_000.0, 95_000.0, N), funding_every=0)
    res = simulate(market, spec, capital=100_000.0, costs=Costs.zero(), trace=True)
    tr = res.trace.set_index("bar")
    first, later = tr.loc[0], tr.loc[1:]
    # before the first decision: no leg, the kernel's default leverage 1
    assert first["state.leg1.qty"] == 0.0 and np.isnan(first["state.leg1.delta"])
    assert first["state.leverage"] == 1.0
    # after it: the put bought (qty from the fill), strike 10 % under the forward on the venue's grid,
    # expiry at 08:00 UTC, a put's delta in (-1, 0); leverage 7 within the first bracket's maximum
    fill = res.events[res.events["kind"] == "option_fill"].iloc[0]
    assert (later["state.leg1.qty"] == fill["qty"]).all() and (later["state.leg1.kind"] == -1.0).all()
    strike = later["state.leg1.strike"].iloc[0]
    assert 0.85 * 100_000 < strike < 0.95 * 100_000
    expiry = pd.Timestamp(int(later["state.leg1.expiry_s"].iloc[0]), unit="s", tz="UTC")
    assert (expiry.hour, expiry.minute) == (8, 0)
    assert ((later["state.leg1.delta"] > -1) & (later["state.leg1.delta"] < 0)).all()
    assert (later["state.leg1.gamma"] > 0).all() and (later["state.leg1.vega"] > 0).all()
    assert (later["state.leverage"] == 7.0).all() and (later["state.max_leverage"] >= 7.0).all()
    # accounting identity: the book's delta (computed by the kernel's book) = sum of qty x leg delta
    np.testing.assert_allclose(later["state.option_delta"], later["state.leg1.qty"] * later["state.leg1.delta"],
                               rtol=1e-12)
    assert (later["state.leg2.qty"] == 0.0).all()


def test_option_events_name_their_contract():
    spec = StrategySpec(put_and_perp_nb, np.zeros((1, 1)), np.zeros((N, 1)), np.ones(N, dtype=bool), ("x",),
                        ("put",))
    market = synthetic_market(np.linspace(100_000.0, 95_000.0, N), funding_every=0)
    res = simulate(market, spec, capital=100_000.0, costs=Costs.zero(), trace=True)
    ev = res.events
    opt = ev[ev["instrument"] == "option"]
    leg = res.trace.set_index("bar").loc[1]
    assert len(opt) >= 1 and (opt["option_type"] == "put").all()
    assert (opt["strike"] == leg["state.leg1.strike"]).all()
    assert (opt["expiry"] == pd.Timestamp(int(leg["state.leg1.expiry_s"]), unit="s", tz="UTC")).all()
    perp = ev[ev["instrument"] == "perp"]
    assert (perp["option_type"] == "").all() and perp["strike"].isna().all() and perp["expiry"].isna().all()
