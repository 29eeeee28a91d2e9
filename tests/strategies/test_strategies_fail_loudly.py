"""Issue 10's table of silent mistakes, each now loud: targets() inf, prepare() reading a parameter
not declared feature=True, a file that fails to compile, reads past params, NUMBA_DISABLE_JIT,
print in a hook, and a broken hook strategy failing alone in a comparison."""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine import simulate
from hedgelab.core.errors import UserError
from hedgelab.strategies import Param, Strategy, get_strategy
from hedgelab.strategies.testing import call_hook, make_state, synthetic_market

REPO = Path(__file__).parents[2]


def write(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text))


class InfTargets(Strategy):
    """Asks for an infinite perp position on bar 3."""
    name = "inf-targets"
    share = Param(0.5)

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[0] = 0.0, 0.0, 1.0
        out[3, 1] = -np.inf
        return out


def test_targets_returning_inf_is_an_error_naming_run_field_and_bar():
    market = synthetic_market(np.full(6, 100.0))
    with pytest.raises(UserError, match=r"^inf-targets: targets\(\) returned -inf for perp at bar 3 "
                                        r"\(opened 2025-10-09T12:00 UTC\)"):
        InfTargets().spec(market)


class ReadsTooMuch(Strategy):
    """prepare() reads a window it did not declare feature=True."""
    name = "reads-too-much"
    window = Param(4, type=int)            # not feature=True
    smooth = Param(2, type=int, feature=True)

    def prepare(self, market):
        return np.full((len(market.close), 1), float(self.smooth + self.window))


def test_prepare_may_read_only_feature_parameters():
    market = synthetic_market(np.full(6, 100.0))
    with pytest.raises(UserError, match=r"prepare\(\) read parameter 'window', which is not declared "
                                        r"Param\(\.\.\., feature=True\)"):
        ReadsTooMuch().spec(market, [{"window": 4}, {"window": 8}])


TYPING_ERROR = """
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        intent[Intent.TARGET_PERP] = state[State.NOT_A_FIELD]

    class Typo(Strategy):
        name = "typo-hedge"
        decide_nb = staticmethod(decide_nb)
"""

WRONG_SIGNATURE = """
    from numba import njit, float64, int64, void
    from hedgelab.strategies import Strategy

    @njit(void(int64, float64[::1]), cache=True)
    def decide_nb(i, state):
        pass

    class Wrong(Strategy):
        name = "wrong-sig"
        decide_nb = staticmethod(decide_nb)
"""


def test_a_file_that_fails_to_compile_is_reported_by_strategy_name_with_the_compiler_message(tmp_path):
    write(tmp_path, "typo.py", TYPING_ERROR)
    write(tmp_path, "wrong.py", WRONG_SIGNATURE)
    with pytest.raises(UserError) as info:
        get_strategy("typo-hedge", strategies_dir=tmp_path)
    msg = str(info.value)
    assert "unknown strategy" not in msg
    assert msg.startswith("strategy 'typo-hedge' failed to load from ") and "typo.py" in msg
    assert "TypingError" in msg and "NOT_A_FIELD" in msg and "Failed in nopython" not in msg
    with pytest.raises(UserError, match=r"strategy 'wrong-sig' failed to load from .*wrong.py: .*"):
        get_strategy("wrong-sig", strategies_dir=tmp_path)


def test_a_typing_error_names_the_types_the_hook_used_and_the_line(tmp_path):
    # numba says "found for signature:" then the call's types on the next line; both reach the one line
    write(tmp_path, "adds_text.py", """
        from numba import njit
        from hedgelab.engine.types import HOOK_SIG, Intent
        from hedgelab.strategies import Param, Strategy

        @njit(HOOK_SIG, cache=True)
        def decide_nb(i, state, params, features, intent):
            intent[Intent.TARGET_SPOT] = params[0] + "x"

        class AddsText(Strategy):
            name = "adds-text"
            a = Param(0.5)
            decide_nb = staticmethod(decide_nb)
    """)
    with pytest.raises(UserError) as info:
        get_strategy("adds-text", strategies_dir=tmp_path)
    msg = str(info.value)
    assert "found for add(float64, " in msg and "***" not in msg
    assert re.search(r'\(File ".*adds_text.py", line 8\)', msg)


HOOK_PLUGIN = """
    import numpy as np
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        print("equity", state[State.EQUITY])
        intent[Intent.TARGET_PERP] = {target}

    class Loud(Strategy):
        name = "{name}"
        share = Param(0.5)
        decide_nb = staticmethod(decide_nb)
"""


def test_a_hook_writing_inf_fails_its_strategy_alone_in_a_comparison(tmp_path):
    import hedgelab

    write(tmp_path, "inf_hook.py", HOOK_PLUGIN.format(target="np.inf if i >= 2 else -0.1", name="inf-hook"))
    result = hedgelab.compare(["hold", "inf-hook"], strategies_dir=tmp_path, start="2025-10-08", end="2025-10-09")
    assert set(result.failures) == {"inf-hook"}
    reason = result.failures["inf-hook"]
    # the first two decisions (bars 0 and 1) are fine; bar 2 opens 2025-10-08 02:00 UTC
    assert reason.startswith("inf-hook (column 0) at bar 2 (opened 2025-10-08 02:00 UTC")
    assert reason.endswith("non-finite value (inf) into intent TARGET_PERP")
    ok = result.summary[result.summary["error"].isna()]
    assert list(ok["strategy"]) == ["hold"]


def test_debug_mode_tags_print_with_run_column_and_bar(tmp_path, capsys):
    write(tmp_path, "loud.py", HOOK_PLUGIN.format(target="-0.1", name="loud"))
    cls = get_strategy("loud", strategies_dir=tmp_path)
    market = synthetic_market(np.full(3, 100.0))
    simulate(market, cls().spec(market), debug=True, capital=1000.0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[loud col 0 bar 0 2025-10-09 09:00] equity 1000.0"
    assert [line.split("] ")[0].split(" bar ")[1] for line in lines] == ["0 2025-10-09 09:00",
                                                                         "1 2025-10-09 10:00",
                                                                         "2 2025-10-09 11:00"]


OUT_OF_BOUNDS = """
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        intent[Intent.TARGET_PERP] = params[3]   # there is one parameter (and the kernel reads garbage)

    class Past(Strategy):
        name = "past-params"
        share = Param(0.5)
        decide_nb = staticmethod(decide_nb)
"""


def test_reading_past_params_is_an_index_error_in_the_testing_helper_and_debug_mode(tmp_path):
    write(tmp_path, "past.py", OUT_OF_BOUNDS)
    cls = get_strategy("past-params", strategies_dir=tmp_path)
    market = synthetic_market(np.full(3, 100.0))
    spec = cls().spec(market)
    with pytest.raises(IndexError, match=r"hook indexed params\[3\]: axis 0 has 1 entries"):
        call_hook(spec.hook, make_state(equity=1000.0, close=100.0), spec.params[0])
    with pytest.raises(IndexError, match=r"params\[3\]"):
        simulate(market, spec, debug=True)


def test_numba_disable_jit_runs_hook_strategies_for_debugging(tmp_path):
    write(tmp_path, "loud.py", HOOK_PLUGIN.format(target="-0.1", name="loud"))
    script = textwrap.dedent(f"""
        import numpy as np
        from hedgelab.engine import simulate
        from hedgelab.strategies import get_strategy
        from hedgelab.strategies.testing import synthetic_market
        cls = get_strategy("loud", strategies_dir={str(tmp_path)!r})
        m = synthetic_market(np.full(4, 100.0))
        r = simulate(m, cls().spec(m), capital=1000.0)
        print("perp", r.perp_qty.iloc[-1, 0])
    """)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "perp -0.1"


@pytest.mark.parametrize("summary_only", [False, True], ids=["curves", "summary-only"])
def test_a_hook_mistake_in_one_parameter_set_stops_that_run_alone(tmp_path, summary_only):
    import hedgelab

    write(tmp_path, "inf_hook.py", HOOK_PLUGIN.format(target="np.inf if params[0] > 0.7 and i >= 2 else -params[0]",
                                                      name="some-inf"))
    window = dict(start="2025-10-08", end="2025-10-09", strategies_dir=tmp_path, summary_only=summary_only)
    # one column per chunk: each kernel call's own column 0 and label must become the sweep's
    swept = hedgelab.sweep("some-inf", {"share": [0.2, 0.8, 0.5]}, rows=tmp_path / "rows", chunk_size=1, **window)
    # the first two decisions (bars 0 and 1) are fine; bar 2 opens 2025-10-08 02:00 UTC
    assert swept.failures["some-inf"] == (
        "1 of 3 runs stopped; the first: some-inf(share=0.8) (column 1) at bar 2 (opened 2025-10-08 02:00 UTC, "
        "decided at its close): the hook wrote a non-finite value (inf) into intent TARGET_PERP")
    s = swept.summary
    assert sorted(s.loc[s["error"].isna(), "share"]) == [0.2, 0.5]
    assert s.loc["some-inf(share=0.8)", "error"].endswith("into intent TARGET_PERP")
    assert not s.loc["some-inf(share=0.8)", "survived"] and np.isnan(s.loc["some-inf(share=0.8)", "final_equity"])
    # the good runs are what they are without the broken one beside them
    alone = hedgelab.sweep("some-inf", {"share": [0.2, 0.5]}, **window)
    for name in ("some-inf(share=0.2)", "some-inf(share=0.5)"):
        assert s.loc[name, "final_equity"] == alone.summary.loc[name, "final_equity"]
    if summary_only:   # the stopped run's reason is kept in the rows folder and comes back on --resume
        again = hedgelab.sweep("some-inf", {"share": [0.2, 0.8, 0.5]}, rows=tmp_path / "rows", resume=True,
                               chunk_size=1, **window)
        pd.testing.assert_frame_equal(again.summary, s, check_exact=True)
        assert again.failures == swept.failures
