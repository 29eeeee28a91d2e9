"""Strategy.spec(): the matrix, features, mask and labels the engine receives."""
import numpy as np
import pytest

from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG
from hedgelab.core.errors import UserError
from hedgelab.strategies import BUILTINS, Param, Strategy, get_strategy, targets_nb


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_builds_a_valid_spec(name, market):
    cls = get_strategy(name)
    grid = cls.default_grid()
    every = [{}] + [{k: x} for k, values in grid.items() for x in values]  # every grid value validates
    groups = cls.feature_groups(every)  # sets differing in a feature parameter need their own spec
    assert sorted(k for g in groups for k in g) == list(range(len(every)))
    sets = [every[k] for k in groups[0]]
    spec = cls().spec(market, sets)
    for group in groups[1:]:
        assert cls().spec(market, [every[k] for k in group]).params.shape[0] == len(group)
    assert isinstance(spec, StrategySpec)
    n = len(market.close)
    assert spec.params.dtype == np.float64 and spec.params.flags.c_contiguous
    assert spec.params.shape == (len(sets), len(spec.param_names))
    assert spec.features.dtype == np.float64 and spec.features.flags.c_contiguous
    assert spec.features.shape[0] == n and spec.features.shape[1] >= 1
    assert spec.rebalance.dtype == np.bool_ and spec.rebalance.shape == (n,)
    assert len(spec.labels) == len(sets) and all(label.startswith(name) for label in spec.labels)
    assert tuple(HOOK_SIG.args) in [tuple(s) for s in spec.hook.signatures]


def test_perp_hedge_matrix_and_labels(market):
    spec = get_strategy("perp-hedge")().spec(market, [{"hedge_ratio": 0.5}, {"hedge_ratio": "1", "leverage": 5}])
    assert spec.param_names == ("hedge_ratio", "leverage", "rebalance_hours", "drift", "topup_at", "reserve",
                                "rehedge_bars")
    # rows = declared defaults with the overrides applied, in declaration order
    np.testing.assert_array_equal(spec.params, [[0.5, 3, 24, 0.1, 0.05, 0.05, 0], [1.0, 5, 24, 0.1, 0.05, 0.05, 0]])
    assert spec.labels == ("perp-hedge(hedge_ratio=0.5,leverage=3)", "perp-hedge(hedge_ratio=1,leverage=5)")
    assert get_strategy("perp-hedge")().spec(market).labels == ("perp-hedge(hedge_ratio=0.5)",)
    assert spec.rebalance.all()  # every bar: drift and top-up checks


def test_bools_and_choices_are_encoded_as_floats(market):
    class Choosy(Strategy):
        """Choices and flags."""
        name = "choosy"
        side = Param("short", type=str, choices=("long", "short"))
        flag = Param(True, type=bool)

    spec = Choosy().spec(market, [{}, {"side": "long", "flag": "false"}])
    np.testing.assert_array_equal(spec.params, [[1.0, 1.0], [0.0, 0.0]])
    assert spec.labels == ("choosy(side=short,flag=true)", "choosy(side=long,flag=false)")


def test_invalid_parameter_sets_are_rejected_before_anything_runs(market):
    with pytest.raises(UserError, match="did you mean 'hedge_ratio'"):
        get_strategy("perp-hedge")().spec(market, [{"hedge_ratoi": 1}])
    with pytest.raises(UserError, match="no parameter sets"):
        get_strategy("hold")().spec(market, [])


def test_bad_prepare_shapes_are_named(market):
    class Short(Strategy):
        """Wrong feature length."""
        name = "short-features"

        def prepare(self, m):
            return np.zeros(3)

    with pytest.raises(ValueError, match=r"short-features: prepare\(\) returned shape \(3, 1\)"):
        Short().spec(market)


def test_default_strategy_is_a_one_column_zero_feature_noop(market, helpers):
    class Idle(Strategy):
        """Does nothing."""
        name = "idle"

    spec = Idle().spec(market)
    assert spec.features.shape == (len(market.close), 1) and not spec.features.any()
    assert spec.params.shape == (1, 0)
    intent = helpers.call_hook(spec.hook, helpers.make_state(equity=1.0, close=1.0), spec.params[0])
    assert np.isnan(intent).all()


def test_targets_strategies_share_identical_blocks(market):
    spec = get_strategy("hold")().spec(market, [{}, {"fraction": 0.5}, {"fraction": 1.0}])
    assert spec.hook is targets_nb
    assert spec.param_names == ("fraction", "feature_offset")
    # two distinct blocks of 3 columns; the third set reuses the first block
    assert spec.features.shape == (len(market.close), 6)
    np.testing.assert_array_equal(spec.params[:, 1], [0.0, 3.0, 0.0])
    np.testing.assert_array_equal(spec.features[0], [1.0, 0.0, np.nan, 0.5, 0.0, np.nan])
    assert np.isnan(spec.features[1:]).all()
    np.testing.assert_array_equal(spec.rebalance, np.arange(len(market.close)) == 0)


def test_feature_helpers(helpers):
    import pandas as pd

    from hedgelab.strategies.features import mean_of_last_settlements, realized_vol

    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    vol = realized_vol(close, 24, 3600)
    # independent: pandas rolling std of log returns, annualised with 365 days of hourly bars
    ref = np.log(pd.Series(close)).diff().rolling(24).std() * np.sqrt(365 * 24)
    np.testing.assert_allclose(vol, ref.to_numpy(), equal_nan=True)
    rate = np.array([np.nan, 0.1, np.nan, 0.2, 0.3, np.nan, 0.6])
    # mean of the last 2 settled rates known at each bar: -, .1, .1, .15, .25, .25, .45
    np.testing.assert_allclose(mean_of_last_settlements(rate, 2), [np.nan, .1, .1, .15, .25, .25, .45])
