"""Feature parameters (``Param(feature=True)``): a sweep groups its sets by the values ``prepare`` reads.

Rules: a sweep over a feature parameter gives, column by column, what each parameter set gives when
run alone; labels and params follow the caller's order; ``spec`` refuses sets that would need
different features.
"""
import json
import textwrap

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.strategies import Param, Strategy, get_strategy

WINDOW = {"start": "2025-10-01", "end": "2025-10-20"}
# Only the volatility test may cut: drawdown and margin-ratio stress are switched off, so the
# volatility window is what separates the columns.
FIXED = {"max_drawdown": 0.99, "max_margin_ratio": 0.99, "high_leverage": 3.0, "low_leverage": 1.0,
         "calm_hours": 24.0}


def test_delever_vol_window_is_a_feature_param():
    cls = get_strategy("delever")
    assert cls.params()["vol_hours"].feature
    assert cls.feature_params() == ("vol_hours",)


def test_sweep_over_a_feature_param_equals_the_single_runs():
    # vol_hours is the second axis, so the two feature groups interleave in the caller's order
    grid = {"calm_vol": [0.3, 0.5], "vol_hours": [6, 24]}
    swept = hedgelab.sweep("delever", grid, params=FIXED, **WINDOW)
    order = [(c, v) for c in grid["calm_vol"] for v in grid["vol_hours"]]
    assert len(swept.runs) == len(order)
    finals = {}
    for run, (calm, hours) in zip(swept.runs, order):
        alone = hedgelab.run("delever", dict(FIXED, calm_vol=calm, vol_hours=hours), **WINDOW)
        expected = alone.runs[0].equity.to_numpy()
        np.testing.assert_array_equal(run.equity.to_numpy(), expected)
        got_events = run.events.drop(columns=["run"]).reset_index(drop=True)
        want_events = alone.runs[0].events.drop(columns=["run"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(got_events, want_events)
        finals[(calm, hours)] = expected[-1]
    # the window matters on this data, so a mix-up of the groups could not pass unseen
    assert finals[(0.3, 6)] != finals[(0.3, 24)]


def test_sweep_labels_and_params_follow_the_caller_order():
    grid = {"calm_vol": [0.3, 0.5], "vol_hours": [6, 24]}
    res = hedgelab.sweep("delever", grid, params=FIXED, **WINDOW)
    order = [(c, v) for c in grid["calm_vol"] for v in grid["vol_hours"]]
    defaults = get_strategy("delever").defaults()
    for run, (calm, hours) in zip(res.runs, order):
        assert run.params == dict(defaults, **FIXED, calm_vol=calm, vol_hours=float(hours))
        # label: the parameters that vary first, then the always-shown leverages and every parameter
        # that differs from its default, in declaration order
        assert run.name == (f"delever(calm_vol={calm:g},vol_hours={hours},high_leverage=3,low_leverage=1,"
                            f"max_margin_ratio=0.99,max_drawdown=0.99,calm_hours=24)")
    summary = res.summary.set_index("run")
    for run in res.runs:
        assert json.loads(summary.loc[run.name, "params"]) == run.params
        assert summary.loc[run.name, "final_equity"] == pytest.approx(run.equity.iloc[-1])


class Echo(Strategy):
    """Buys spot once: the quantity is prepare()'s feature (a feature param), capped by a plain one."""

    name = "echo"
    size = Param(1.0, low=0.0, feature=True)
    cap = Param(10.0, low=0.0)

    def prepare(self, market):
        return np.full(len(market.close), self.size)


def test_spec_prepares_with_the_groups_values_and_refuses_mixed_groups(market):
    spec = Echo().spec(market, [{"size": 2.0}, {"size": 2.0, "cap": 1.0}])
    assert (spec.features == 2.0).all()
    with pytest.raises(ValueError, match="feature_groups"):
        Echo().spec(market, [{"size": 2.0}, {"size": 3.0}])
    sets = [{"size": 2.0}, {"size": 3.0}, {"size": 2.0, "cap": 1.0}, {}]
    assert Echo.feature_groups(sets) == [[0, 2], [1], [3]]
    assert Echo.labels(sets) == ("echo(size=2,cap=10)", "echo(size=3,cap=10)", "echo(size=2,cap=1)",
                                 "echo(size=1,cap=10)")


HOOKED = textwrap.dedent('''
    """A plugin whose hook buys the quantity that prepare() computed from a feature param."""
    import numpy as np
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=False)
    def buy_nb(i, state, params, features, intent):
        if i == 0:
            intent[Intent.TARGET_SPOT] = min(features[i, 0], params[1])

    class Buyer(Strategy):
        """Buys prepare()'s quantity at the first bar."""
        name = "buyer"
        size = Param(0.1, low=0.0, feature=True)
        cap = Param(10.0, low=0.0)
        decide_nb = staticmethod(buy_nb)

        def prepare(self, market):
            return np.full(len(market.close), self.size)
''')


def test_runner_puts_each_group_back_in_the_caller_column(tmp_path):
    (tmp_path / "buyer.py").write_text(HOOKED)
    grid = {"cap": [10.0, 0.15], "size": [0.1, 0.2, 0.3]}
    res = hedgelab.sweep("buyer", grid, strategies_dir=tmp_path, start="2025-10-08", end="2025-10-09")
    order = [(c, s) for c in grid["cap"] for s in grid["size"]]
    for run, (cap, size) in zip(res.runs, order):
        fills = run.events[(run.events["kind"] == "fill") & (run.events["instrument"] == "spot")]
        assert fills["qty"].tolist() == pytest.approx([min(size, cap)])
        assert (run.params["cap"], run.params["size"]) == (cap, size)
