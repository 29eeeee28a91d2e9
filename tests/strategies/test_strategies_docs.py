"""docs/writing-a-strategy.md: its example file is the fixture, its test passes, its commands run."""
import importlib.util
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from hedgelab.engine.types import State
from hedgelab.strategies import get_strategy
from hedgelab.strategies.testing import call_hook, make_state

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-strategy.md"


def blocks(marker):
    text = DOC.read_text()
    return re.findall(r"<!-- " + marker + r"[^>]*-->\n```\w*\n(.*?)```", text, flags=re.S)


def test_doc_example_is_the_tested_fixture_and_short(helpers):
    (strategy,) = re.findall(r"<!-- file: my_strategies/trend_hedge.py[^>]*-->\n```python\n(.*?)```",
                             DOC.read_text(), flags=re.S)
    assert strategy == (helpers.fixtures / "trend_hedge.py").read_text()
    test_code, = re.findall(r"<!-- file: test_trend_hedge.py -->\n```python\n(.*?)```", DOC.read_text(), re.S)
    commands, = blocks("command")
    assert len((strategy + test_code + commands).strip().splitlines()) < 40


def test_doc_test_passes(tmp_path, monkeypatch, helpers):
    text = DOC.read_text()
    test_code, = re.findall(r"<!-- file: test_trend_hedge.py -->\n```python\n(.*?)```", text, re.S)
    (tmp_path / "my_strategies").mkdir()
    (tmp_path / "my_strategies" / "trend_hedge.py").write_text((helpers.fixtures / "trend_hedge.py").read_text())
    (tmp_path / "test_trend_hedge.py").write_text(test_code)
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("doc_test_trend_hedge", tmp_path / "test_trend_hedge.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.test_hedged_only_below_the_moving_average()


def test_doc_hook_example_follows_its_rule(tmp_path, helpers):
    code, = blocks("hook example")
    (tmp_path / "liq_guard.py").write_text(code)
    cls = get_strategy("liq-guard", strategies_dir=tmp_path)
    spec = cls().spec(helpers.make_market([1.0, 1.0]))
    params = spec.params[0]   # leverage 10, notional 2, 5 %
    assert spec.memory_names == ("opened",)   # M = M: the trace names MEM0 state.mem.opened
    # first call: opens notional 2 x equity at the mark, 10x, and remembers it
    state = make_state(equity=1000.0, mark=100.0)
    assert call_hook(cls.decide_nb, state, params) == {"LEVERAGE": 10.0, "TARGET_PERP": 20.0}
    assert state[State.MEM0] == 1.0
    # then: 4 % from liquidation (< 5 %): top up 20 BTC * (96 - 100 * 0.95) = 20 USD; at 6 % nothing
    state[State.PERP_QTY], state[State.LIQ_PRICE] = 20.0, 96.0
    assert call_hook(cls.decide_nb, state, params) == {"MARGIN_TOPUP": pytest.approx(20.0)}
    state[State.LIQ_PRICE] = 94.0
    assert call_hook(cls.decide_nb, state, params) == {}


def _doc_example_and_test(tmp_path, monkeypatch, what: str, stem: str):
    """The guide's "<what> example" saved as my_strategies/<stem>.py and its "<what> test" as
    test_<stem>.py in ``tmp_path`` (the current folder), the test module imported."""
    code, = blocks(f"{what} example")
    test_code, = blocks(f"{what} test")
    (tmp_path / "my_strategies").mkdir()
    (tmp_path / "my_strategies" / f"{stem}.py").write_text(code)
    (tmp_path / f"test_{stem}.py").write_text(test_code)
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location(f"doc_test_{stem}", tmp_path / f"test_{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doc_callbacks_test_passes(tmp_path, monkeypatch, capsys):
    _doc_example_and_test(tmp_path, monkeypatch, "callbacks", "relever").test_relevered_after_the_liquidation()
    # the example's print: one line for the one liquidation, at bar 3's open (10:00 + 3 h), flat then
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and printed[0].startswith("10-09 12:00 -") and " BTC, -" in printed[0]


def test_the_callbacks_example_run_by_the_api_is_answered_once_and_its_liquidation_explained(tmp_path, capsys):
    # a plugin author's walk-through: under run, the explainer's re-run printed the callback's lines a
    # second time, then failed ("liquidation not explained (IndexError ...)")
    import hedgelab
    from hedgelab.reports.liquidation_story import lines
    code, = blocks("callbacks example")
    (tmp_path / "relever.py").write_text(code)
    res = hedgelab.run("relever", strategies_dir=tmp_path)
    printed = capsys.readouterr().out.splitlines()
    assert [ln[:12] for ln in printed] == ["11-08 15:00 "]         # one liquidation, one answer, printed once
    text = "\n".join(lines(res.runs))
    assert "relever: liquidated in the bar opening 2025-11-08 15:00 UTC" in text
    assert "Would have survived: not computed for a strategy with event callbacks" in text
    assert not [w for w in res.runs[0].warnings if "not explained" in w]


def test_doc_hook_test_passes(tmp_path, monkeypatch):
    _doc_example_and_test(tmp_path, monkeypatch, "hook", "liq_guard").test_the_guard_keeps_the_long_alive()


def test_doc_install_line_has_pytest_and_the_extra_exists():
    line, = blocks("install")
    assert '"hedgelab[test]"' in line
    pyproject = (DOC.parents[1] / "pyproject.toml").read_text()
    test_extra = pyproject.split("test = [", 1)[1].split("]", 1)[0]
    assert '"pytest' in test_extra


def test_doc_default_grid_sentence_holds(helpers):
    import hedgelab
    cls = get_strategy("perp-hedge")
    res = hedgelab.sweep("perp-hedge", start="2025-10-08", end="2025-10-09", summary_only=True)
    assert len(res.summary) == np.prod([len(v) for v in cls.default_grid().values()])


def test_doc_commands_run(tmp_path, monkeypatch, helpers):
    """The `run` line through the CLI (report included); the `compare` line's strategies through the
    API without writing its report (report writing is tested by the reports area, and is slow)."""
    import hedgelab
    from hedgelab.cli import main

    (tmp_path / "my_strategies").mkdir()
    (tmp_path / "my_strategies" / "trend_hedge.py").write_text((helpers.fixtures / "trend_hedge.py").read_text())
    monkeypatch.chdir(tmp_path)
    run_line, compare_line = blocks("command")[0].strip().splitlines()
    window = ["--start", "2025-10-08", "--end", "2025-10-12"]
    try:
        code = main(shlex.split(run_line)[1:] + window + ["--quiet", "--out", "out"])
    except SystemExit as exc:
        code = exc.code
    assert code in (0, None)
    assert "trend-hedge" in (tmp_path / "out" / "summary.csv").read_text()
    argv = shlex.split(compare_line)
    assert argv[:2] == ["hedgelab", "compare"] and argv[-2] == "--strategies-dir"
    result = hedgelab.compare(argv[2:-2], strategies_dir=argv[-1], start=window[1], end=window[3])
    assert result.failures == {}
    assert set(result.summary["strategy"]) == {"hold", "perp-hedge", "trend-hedge"}


def _fmt(value):
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


def test_builtin_defaults_table_matches_the_code():
    from hedgelab.strategies import BUILTINS

    rows = dict(re.findall(r"^\| `([\w-]+)` \| .*? \| (.*?) \|$", DOC.read_text(), flags=re.M))
    assert list(rows) == list(BUILTINS)
    for name, text in rows.items():
        cls = get_strategy(name)
        assert text == ", ".join(f"{k}={_fmt(p.default)}" for k, p in cls.params().items()), name


def test_builtin_docstrings_state_every_default():
    import sys

    from hedgelab.strategies import BUILTINS

    for name in BUILTINS:
        cls = get_strategy(name)
        doc = sys.modules[cls.__module__].__doc__
        stated = doc[doc.index("Parameters (defaults):"):].replace("\n", " ")
        pairs = dict(re.findall(r"\b([a-z_]+) (-?[\d.]+|true|false)\b", stated))
        for key, param in cls.params().items():
            assert key in pairs, f"{name}: {key} missing from the module docstring"
            value = pairs[key]
            expected = param.default
            if isinstance(expected, bool):
                assert value == str(expected).lower(), (name, key)
            else:
                assert float(value) == expected, (name, key)


def test_doc_market_example_runs_and_its_table_names_every_field(capsys):
    from hedgelab.data.arrays import MarketArrays
    code, = blocks("market example")
    exec(compile(code, "market-example", "exec"), {})
    assert "close" in capsys.readouterr().out
    table, = re.findall(r"<!-- market fields -->\n(.*?)\n\n", DOC.read_text(), flags=re.S)
    documented = {name for cell in re.findall(r"^\| (.*?) \|", table, flags=re.M)
                  for name in re.findall(r"`(\w+)`", cell)}
    assert documented == set(MarketArrays._fields)


def test_doc_names_every_helper_hook():
    import hedgelab.strategies.hooks as hooks
    helpers = {n for n, f in vars(hooks).items() if n.endswith("_nb") and getattr(f, "__module__", "") == hooks.__name__}
    assert helpers == {"topup_nb", "scheduled_nb", "spot_once_nb", "topup_above_nb", "adl_waiting_nb", "targets_nb",
                       "noop_nb", "order_option_nb", "close_leg_nb", "roll_leg_nb"}
    rows = re.findall(r"^\| `(\w+)[`(]", DOC.read_text().split("## Helper hooks", 1)[1], flags=re.M)
    assert helpers <= set(rows)


def test_doc_helpers_example_and_its_test_pass(tmp_path, monkeypatch):
    _doc_example_and_test(tmp_path, monkeypatch, "helpers", "daily_hedge").test_daily_hedge_uses_the_helpers()
    # and it runs: spot bought at once, the short perp at half of it
    import hedgelab
    res = hedgelab.run("daily-hedge", strategies_dir="my_strategies", start="2025-10-08", end="2025-10-09")
    assert res.failures == {}
    spot, perp = res.runs[0].spot_qty.iloc[0], res.runs[0].perp_qty.iloc[0]
    assert spot > 0 and perp == pytest.approx(-0.5 * spot)


def test_doc_options_example_and_its_test_pass(tmp_path, monkeypatch):
    _doc_example_and_test(tmp_path, monkeypatch, "options", "put_spread").test_the_spread_opens_rolls_and_closes_by_leg()
    # and it runs on the bundled data: both legs opened at the first decision, a put bought by delta below
    # the index and the 80,000 USD put sold
    import hedgelab
    res = hedgelab.run("put-spread", strategies_dir="my_strategies", start="2025-10-08", end="2025-10-10")
    assert res.failures == {}
    fills = res.runs[0].events.query("kind == 'option_fill'")
    first = fills[fills.time == fills.time.min()]
    assert list(first.option_type) == ["put", "put"] and list(np.sign(first.qty)) == [1.0, -1.0]
    assert first.strike.iloc[1] == 80_000.0 and first.strike.iloc[0] > 80_000.0
