"""Issue 23: ``--debug`` on run/compare/sweep (a hook's exception is a traceback at the author's line,
exit 1, no report), ``--trace FILE`` keeping what it has up to the failing bar and saying where, and
``compare -p STRATEGY.NAME=VALUE``."""
import importlib.util
import textwrap
from pathlib import Path

import pandas as pd
import pytest

_kit = importlib.util.spec_from_file_location("cli_kit", Path(__file__).parents[1] / "support" / "testkit" / "cli.py")
kit = importlib.util.module_from_spec(_kit)
_kit.loader.exec_module(kit)

WINDOW = ["--start", "2025-10-08", "--end", "2025-10-08 05:00", "--quiet"]

ZERO_BY_ZERO = """
    from numba import njit
    from hedgelab.engine.types import HOOK_SIG, Intent, State
    from hedgelab.strategies import Param, Strategy

    @njit(HOOK_SIG, cache=True)
    def decide_nb(i, state, params, features, intent):
        gap = state[State.PERP_QTY] - state[State.PERP_QTY]
        intent[Intent.TARGET_SPOT] = gap / gap if i >= 2 else 0.1

    class ZeroByZero(Strategy):
        name = "zero-by-zero"
        share = Param(0.5)
        decide_nb = staticmethod(decide_nb)
"""


@pytest.fixture
def plugins(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "zero.py").write_text(textwrap.dedent(ZERO_BY_ZERO))
    return tmp_path / "plugins"


def test_debug_prints_the_traceback_at_the_authors_line_and_writes_the_trace_up_to_that_bar(tmp_path, plugins, capsys):
    out, trace = tmp_path / "out", tmp_path / "t.parquet"
    rc, stdout, stderr = kit.invoke(["run", "zero-by-zero", "--strategies-dir", str(plugins), "--debug",
                                     "--trace", str(trace), "--out", str(out), *WINDOW], capsys)
    assert rc == 1
    assert "Traceback (most recent call last)" in stderr and "FloatingPointError" in stderr
    assert "gap / gap if i >= 2 else 0.1" in stderr            # the author's line
    assert "zero-by-zero (column 0) at bar 2 (opened 2025-10-08 02:00 UTC" in stderr
    assert list(pd.read_parquet(trace)["bar"]) == [0, 1, 2]    # decisions 0, 1 and the one that raised
    assert f"trace: {trace} (3 decision bars of zero-by-zero, up to bar 2 (opened 2025-10-08 02:00 UTC)" in stderr
    assert not out.exists()                                     # no report


def test_trace_without_debug_keeps_the_bars_up_to_the_failing_one_and_says_where(tmp_path, plugins, capsys):
    trace = tmp_path / "t.parquet"
    rc, stdout, stderr = kit.invoke(["run", "zero-by-zero", "--strategies-dir", str(plugins),
                                     "--trace", str(trace), "--out", str(tmp_path / "out"), *WINDOW], capsys)
    assert rc == 1
    assert list(pd.read_parquet(trace)["bar"]) == [0, 1, 2]
    assert "trace: zero-by-zero stopped: its trace ends at bar 2 (opened 2025-10-08 02:00 UTC)" in stdout
    assert "failed: zero-by-zero: zero-by-zero (column 0) at bar 2" in stderr


def test_debug_is_a_flag_of_compare_and_sweep(tmp_path, plugins, capsys):
    for argv in (["compare", "hold", "zero-by-zero"], ["sweep", "zero-by-zero", "-g", "share=0.4,0.6"]):
        rc, _, stderr = kit.invoke([*argv, "--strategies-dir", str(plugins), "--debug",
                                    "--out", str(tmp_path / argv[0]), *WINDOW], capsys)
        assert rc == 1 and "FloatingPointError" in stderr and not (tmp_path / argv[0]).exists()


def test_compare_takes_per_strategy_parameters(tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, stderr = kit.invoke(["compare", "hold", "perp-hedge", "-p", "perp-hedge.hedge_ratio=0.3",
                                "-p", "hold.fraction=0.5", "--out", str(out), *WINDOW], capsys)
    assert rc == 0, stderr
    summary = pd.read_csv(out / "summary.csv").set_index("strategy")
    assert '"hedge_ratio": 0.3' in summary.loc["perp-hedge", "params"]
    assert '"fraction": 0.5' in summary.loc["hold", "params"]


@pytest.mark.parametrize("flag, message", [
    ("hedge_ratio=0.3", "-p 'hedge_ratio=0.3': compare runs several strategies; name the one this is for: "
                        "-p STRATEGY.hedge_ratio=0.3 (e.g. -p perp-hedge.hedge_ratio=0.3)"),
    ("collar.hedge_ratio=0.3", "params given for collar, which is not being compared"),
])
def test_compare_p_mistakes_are_one_line_exit_2(tmp_path, capsys, flag, message):
    rc, _, stderr = kit.invoke(["compare", "hold", "perp-hedge", "-p", flag, "--out", str(tmp_path / "o"), *WINDOW],
                               capsys)
    assert rc == 2 and stderr.strip() == f"error: {message}"
    assert not (tmp_path / "o").exists()
