"""Issue 23, nothing silent: a run that waits for NaN features or NaN targets past ``warmup_bars`` is
warned about; duplicate names and load failures reach ``hedgelab.strategies()``; ``run NAME`` of a
plugin that did not load names its error."""
import textwrap

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError
from hedgelab.engine import simulate
from hedgelab.strategies import Param, Strategy, get_strategy
from hedgelab.strategies.testing import synthetic_market
from hedgelab.strategies.waiting import late_starts

WARMUP_HOOK = """
    import numpy as np
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        # spot worth `share` of equity, scaled by a feature that is NaN for its first 4 bars
        intent[Intent.TARGET_SPOT] = params[0] * features[i, 0] * state[State.EQUITY] / state[State.INDEX]

    class Warm(Strategy):
        name = "{name}"
        share = Param(0.5)
        warmup_bars = {warmup}
        decide_nb = staticmethod(decide_nb)

        def prepare(self, market):
            out = np.ones((len(market.close), 1))
            out[:4] = np.nan
            return out
"""


def _plugin(tmp_path, name, warmup):
    (tmp_path / f"{name.replace('-', '_')}.py").write_text(textwrap.dedent(WARMUP_HOOK.format(name=name,
                                                                                               warmup=warmup)))


def test_a_hook_waiting_for_a_nan_feature_is_warned_about(tmp_path):
    _plugin(tmp_path, "warm", 0)
    _plugin(tmp_path, "warm-declared", 4)
    result = hedgelab.compare(["warm", "warm-declared"], strategies_dir=tmp_path, start="2025-10-08",
                              end="2025-10-08 11:00")
    # the feature is NaN on bars 0-3, so the first order is at bar 4 (04:00), past warmup_bars=0
    assert [w for w in result.warnings if w.startswith("warm:")] == [
        'warm: no order before bar 4 (2025-10-08 04:00 UTC), the first decision with every feature known '
        '(features are NaN up to bar 3, and a NaN target is "no change"): past warmup_bars=0; declare '
        'warmup_bars = 4 on the class if that wait is meant, else fill the feature\'s first bars']
    assert not [w for w in result.warnings if w.startswith("warm-declared")]   # it declared the 4 bars
    first = result.events.groupby("run")["time"].min()
    assert first["warm"] == pd.Timestamp("2025-10-08 05:00", tz="UTC")          # the fill at bar 4's close


class NanTargets(Strategy):
    """targets() NaN for the first 3 rows."""
    name = "nan-targets"
    share = Param(0.5)

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[3] = params["share"], 0.0, 1.0
        return out


def test_targets_nan_from_the_start_is_warned_about():
    market = synthetic_market(np.full(8, 100.0))
    spec = NanTargets().spec(market)
    sim = simulate(market, spec, capital=1000.0)
    late = late_starts(spec, sim.events, 0, sim.equity.index)
    assert late == {0: "nan-targets: targets() is NaN (no change) for its first 3 bars, so its first order came at "
                       "bar 3 (2025-10-09 12:00 UTC), past warmup_bars=0; declare warmup_bars = 3 on the class if "
                       "that wait is meant"}
    assert late_starts(spec, sim.events, 3, sim.equity.index) == {}


def test_no_warning_when_the_hook_orders_before_the_features_are_known(helpers):
    market = synthetic_market(np.full(8, 100.0))
    spec = get_strategy("perp-hedge")().spec(market)
    sim = simulate(market, spec, capital=1000.0)
    assert late_starts(spec, sim.events, 0, sim.equity.index) == {}


@pytest.mark.parametrize("warmup", [-1, 1.5, True])
def test_warmup_bars_must_be_a_whole_number(tmp_path, warmup):
    _plugin(tmp_path, "bad-warm", warmup)
    with pytest.raises(UserError, match=r"failed to load .*warmup_bars must be a whole number of bars >= 0"):
        get_strategy("bad-warm", strategies_dir=tmp_path)


TWIN = """
    from hedgelab.strategies import Param, Strategy

    class Twin(Strategy):
        name = "twin"
        share = Param(0.5)

        def targets(self, market, params):
            import numpy as np
            return np.full((len(market.close), 3), 0.0)
"""


def test_duplicates_and_load_failures_reach_the_api(tmp_path):
    (tmp_path / "a.py").write_text(textwrap.dedent(TWIN))
    (tmp_path / "b.py").write_text(textwrap.dedent(TWIN))
    (tmp_path / "broken.py").write_text("import no_such_module_here\n")
    found = hedgelab.strategies(tmp_path)
    assert "twin" in found.strategies and str(found.sources["twin"]).endswith("a.py")
    by_name = {(f.name, f.source.rsplit("/", 1)[-1]): f.reason for f in found.failures}
    assert by_name[("twin", "b.py")].startswith("name 'twin' is already taken by ")
    assert by_name[("broken", "broken.py")] == "ModuleNotFoundError: No module named 'no_such_module_here'"
    assert "hold" in hedgelab.strategies().strategies   # no folder: the built-ins (and entry points)


def test_run_of_a_plugin_that_did_not_load_names_its_error(tmp_path):
    # a syntax error: the file cannot be read for its names by parsing, so its name = "..." lines are read
    (tmp_path / "my_strat.py").write_text('from hedgelab.strategies import Strategy\n\nclass S(Strategy):\n'
                                          '    name = "my-strat"\n    def oops(:\n')
    with pytest.raises(UserError, match=r"^strategy 'my-strat' failed to load from .*my_strat.py: SyntaxError"):
        get_strategy("my-strat", strategies_dir=tmp_path)
    # a file whose names cannot be read at all: an unknown name still says what did not load
    (tmp_path / "my_strat.py").write_text("x = (\n")
    with pytest.raises(UserError, match=r"^unknown strategy 'my-strat'.*; a plugin did not load and may define it: "
                                        r"my_strat \(.*my_strat.py\): SyntaxError"):
        get_strategy("my-strat", strategies_dir=tmp_path)
