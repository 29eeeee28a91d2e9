"""Issue 23, debugging from where authors work: ``debug=True`` on run/compare/sweep runs the plain-Python
path strictly, so a hook's 0/0 or a read past ``params`` is a traceback at the author's line; the
compiled path's message names the ways that work."""
import textwrap
import traceback

import numpy as np
import pytest

import hedgelab
from hedgelab.engine.hook_errors import NOT_PASSED_ON, column_errors
from hedgelab.engine.nb.records import HookError, Sum

WINDOW = dict(start="2025-10-08", end="2025-10-08 05:00")   # 6 hourly bars: the plain-Python path is slow

ZERO_BY_ZERO = """
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        gap = state[State.PERP_QTY] - state[State.PERP_QTY]   # 0 on every bar
        if i >= 2:
            intent[Intent.TARGET_SPOT] = gap / gap            # 0/0 from bar 2
        else:
            intent[Intent.TARGET_SPOT] = 0.1

    class ZeroByZero(Strategy):
        name = "zero-by-zero"
        share = Param(0.5)
        decide_nb = staticmethod(decide_nb)
"""

PAST_PARAMS = """
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        intent[Intent.TARGET_PERP] = -params[3] * 0.0 - 0.01   # 2 parameters (3 with none appended)

    class PastParams(Strategy):
        name = "past-params-2"
        a = Param(0.5)
        b = Param(0.5)
        decide_nb = staticmethod(decide_nb)
"""


@pytest.fixture
def plugins(tmp_path):
    (tmp_path / "zero.py").write_text(textwrap.dedent(ZERO_BY_ZERO))
    (tmp_path / "past.py").write_text(textwrap.dedent(PAST_PARAMS))
    return tmp_path


def _last_frame(exc):
    return traceback.extract_tb(exc.__traceback__)[-1]


def test_run_debug_raises_the_hooks_0_by_0_at_the_authors_line(plugins):
    with pytest.raises(FloatingPointError) as info:
        hedgelab.run("zero-by-zero", strategies_dir=plugins, debug=True, **WINDOW)
    frame = _last_frame(info.value)
    assert frame.filename.endswith("zero.py") and frame.line == "intent[Intent.TARGET_SPOT] = gap / gap            # 0/0 from bar 2"
    # bar 2 opens at 02:00 on the 8th: the note names run, column and bar
    assert any(n.startswith("hedgelab: the hook raised in zero-by-zero (column 0) at bar 2 (opened 2025-10-08 02:00 UTC")
               for n in info.value.__notes__)
    partial = info.value.hedgelab_trace            # the decision bars 0, 1 and 2 (the one that raised)
    assert list(partial["bar"]) == [0, 1, 2]


@pytest.mark.parametrize("call", ["compare", "sweep"])
def test_compare_and_sweep_take_debug_too(plugins, call):
    with pytest.raises(FloatingPointError):
        if call == "compare":
            hedgelab.compare(["hold", "zero-by-zero"], strategies_dir=plugins, debug=True, **WINDOW)
        else:
            hedgelab.sweep("zero-by-zero", {"share": [0.4, 0.6]}, strategies_dir=plugins, debug=True, **WINDOW)


def test_without_debug_the_compiled_0_by_0_names_the_exception_not_a_missing_argument(plugins):
    result = hedgelab.run("zero-by-zero", strategies_dir=plugins, **WINDOW)
    reason = result.failures["zero-by-zero"]
    assert reason.startswith("zero-by-zero (column 0) at bar 2 (opened 2025-10-08 02:00 UTC")
    assert "the hook raised FloatingPointError: invalid value encountered" in reason
    assert "run with debug=True" not in reason


def test_the_compiled_message_names_the_ways_that_work():
    # a column the kernel stopped for a raised exception that no re-run could reproduce
    summary = np.zeros((1, Sum.N))
    summary[0, Sum.ERROR], summary[0, Sum.ERROR_BAR] = HookError.RAISED, 0
    time = hedgelab.market(**WINDOW).index
    (message, cause), = column_errors(summary, ["x"], 0, time).values()
    assert cause is None and message.endswith(NOT_PASSED_ON)
    assert "hedgelab.run(..., debug=True)" in message and "--debug" in message


def test_debug_checks_parameter_indexing(plugins):
    # compiled, params[3] of 2 parameters reads whatever memory follows; in debug it is an IndexError
    with pytest.raises(IndexError, match=r"hook indexed params\[3\]: axis 0 has 2 entries"):
        hedgelab.run("past-params-2", strategies_dir=plugins, debug=True, **WINDOW)


def test_debug_is_an_option_like_the_others(plugins):
    with pytest.raises(hedgelab.UserError, match=r"run\(\): debug"):
        hedgelab.run("hold", debug="yes", **WINDOW)
    ok = hedgelab.run("hold", config={"debug": True}, **WINDOW)   # a config key too
    assert ok.failures == {} and ok.settings["debug"] is True
    with pytest.raises(hedgelab.UserError, match=r"debug runs in this process"):
        hedgelab.sweep("zero-by-zero", {"share": [0.4]}, strategies_dir=plugins, debug=True, cluster="local",
                       **WINDOW)
