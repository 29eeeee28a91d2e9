"""A hook's mistakes fail loudly: one HookError naming the run, column, bar time and intent field
(issue 10's table: inf / NaN in the intent, an exception inside the hook, a non-finite equity)."""
import numpy as np
import pandas as pd
import pytest
from numba import njit

from hedgelab.engine import simulate
from hedgelab.engine.hook_errors import HookError
from hedgelab.engine.spec import StrategySpec
from hedgelab.engine.types import HOOK_SIG, Intent
from hedgelab.core.errors import UserError
from hedgelab.strategies.testing import synthetic_market

N = 12
LABELS = ("a(x=0)", "b(x=0)", "c(x=1)", "d(x=0)")


@njit(HOOK_SIG, cache=True)
def inf_at_seven_nb(i, state, params, features, intent):
    intent[Intent.TARGET_PERP] = 0.1 if i < 7 else np.inf


@njit(HOOK_SIG, cache=True)
def half_option_slot_nb(i, state, params, features, intent):
    intent[Intent.OPT1_ACTION] = 1.0   # buy ...
    intent[Intent.OPT1_TYPE] = -1.0    # ... a put, but no strike, tenor or quantity


@njit(HOOK_SIG, cache=True)
def raises_in_column_c_nb(i, state, params, features, intent):
    if i == 5 and params[0] == 1.0:
        raise ValueError("hedge ratio out of range")
    intent[Intent.TARGET_PERP] = 0.1


@njit(HOOK_SIG, cache=True)
def divides_by_zero_nb(i, state, params, features, intent):
    intent[Intent.TARGET_PERP] = 1.0 / (i - 3)  # bar 3: ZeroDivisionError (numba's python error model)


def spec(hook, x=(0.0, 0.0, 1.0, 0.0)):
    params = np.array(x, dtype=np.float64)[:, None]
    return StrategySpec(hook, params, np.zeros((N, 1)), np.ones(N, dtype=bool), ("x",), LABELS[:len(x)])


@pytest.fixture(scope="module")
def market():
    return synthetic_market(np.linspace(100.0, 110.0, N))


def test_inf_in_the_intent_names_run_bar_time_and_field(market):
    with pytest.raises(HookError) as info:
        simulate(market, spec(inf_at_seven_nb))
    msg = str(info.value)
    # synthetic_market starts 2025-10-09 09:00 UTC with hourly bars: bar 7 opens at 16:00
    assert msg.startswith("a(x=0) (column 0) at bar 7 (opened 2025-10-09 16:00 UTC")
    assert "non-finite value (inf) into intent TARGET_PERP" in msg
    assert "\n" not in msg
    assert isinstance(info.value, UserError)


def test_a_partly_filled_option_slot_is_an_error(market):
    with pytest.raises(HookError, match=r"at bar 0 .*intent OPT1_STRIKE NaN in an option slot"):
        simulate(market, spec(half_option_slot_nb, x=(0.0,)))


def test_an_exception_in_a_hook_on_any_thread_is_reported_with_type_message_column_and_bar(market):
    # column c (the third of four) runs on the parallel loop's worker thread on 2 cores, where numba
    # loses the exception: the guard makes the kernel stop the column, Python re-raises it.
    with pytest.raises(HookError) as info:
        simulate(market, spec(raises_in_column_c_nb))
    msg = str(info.value)
    assert msg.startswith("c(x=1) (column 2) at bar 5 (opened 2025-10-09 14:00 UTC")
    assert msg.endswith("the hook raised ValueError: hedge ratio out of range; to see it at its line: --debug "
                        "(debug=True in Python)")
    assert isinstance(info.value.__cause__, ValueError)


def test_zero_division_in_a_hook(market):
    with pytest.raises(HookError, match=r"\(column 0\) at bar 3 .*ZeroDivisionError"):
        simulate(market, spec(divides_by_zero_nb, x=(0.0,)))


def test_the_other_columns_are_not_hidden_by_a_good_first_column(market):
    # only column c raises: columns a, b, d alone run fine and give the same numbers as without c
    ok = simulate(market, spec(raises_in_column_c_nb, x=(0.0, 0.0, 0.0)))
    assert np.isfinite(ok.summary["final_equity"]).all()


def test_debug_mode_raises_the_hooks_own_exception_with_its_traceback(market):
    with pytest.raises(ValueError, match="hedge ratio out of range"):
        simulate(market, spec(raises_in_column_c_nb), debug=True)


def test_a_column_stopped_for_a_non_finite_equity_is_an_error_not_a_survivor():
    # what the kernel leaves in the summary when the equity after a decision is not finite
    import pandas as pd
    from hedgelab.engine.hook_errors import raise_column_errors
    from hedgelab.engine.nb.records import HookError as Code
    from hedgelab.engine.nb.records import Sum
    summary = np.zeros((2, Sum.N))
    summary[1, [Sum.ERROR, Sum.ERROR_BAR, Sum.ERROR_FIELD]] = Code.EQUITY, 2, -1
    time = pd.date_range("2025-10-10", periods=4, freq="h", tz="UTC")
    with pytest.raises(HookError, match=r"^b \(column 1\) at bar 2 \(opened 2025-10-10 02:00 UTC, decided at its "
                                        r"close\): the hook left the account with a non-finite equity"):
        raise_column_errors(summary, ["a", "b"], 0, time)


def test_an_infinite_funding_rate_is_refused_before_it_makes_the_equity_infinite():
    m = synthetic_market(np.full(N, 100.0))
    m.funding_rate[3] = np.inf
    with pytest.raises(UserError, match="funding_rate is infinite at bar 3"):
        simulate(m, spec(inf_at_seven_nb, x=(0.0,)))


def test_keep_stops_only_the_broken_column_and_the_others_are_unchanged(market):
    # columns are independent accounts: a, b, d with c stopped give what a, b, d give alone
    kept = simulate(market, spec(raises_in_column_c_nb), column_errors="keep")
    assert list(kept.errors) == [2]
    assert kept.errors[2].startswith("c(x=1) (column 2) at bar 5 (opened 2025-10-09 14:00 UTC")
    assert kept.errors[2].endswith("the hook raised ValueError: hedge ratio out of range; to see it at its line: --debug "
                        "(debug=True in Python)")
    alone = simulate(market, StrategySpec(raises_in_column_c_nb, np.zeros((3, 1)), np.zeros((N, 1)),
                                          np.ones(N, dtype=bool), ("x",), ("a(x=0)", "b(x=0)", "d(x=0)")))
    pd.testing.assert_frame_equal(kept.summary.iloc[[0, 1, 3]].reset_index(drop=True),
                                  alone.summary.reset_index(drop=True), check_exact=True)
    pd.testing.assert_frame_equal(kept.equity.iloc[:, [0, 1, 3]], alone.equity, check_exact=True,
                                  check_names=False, check_column_type=False)


def test_keep_names_every_stopped_column(market):
    kept = simulate(market, spec(inf_at_seven_nb, x=(0.0, 1.0)), column_errors="keep", summary_only=True)
    assert sorted(kept.errors) == [0, 1]
    assert all("at bar 7 (opened 2025-10-09 16:00 UTC" in m and "non-finite value (inf) into intent TARGET_PERP" in m
               for m in kept.errors.values())
    with pytest.raises(UserError, match="column_errors must be 'raise' or 'keep'"):
        simulate(market, spec(inf_at_seven_nb), column_errors="skip")
