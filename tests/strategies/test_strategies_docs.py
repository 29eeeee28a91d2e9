"""docs/writing-a-strategy.md: its example file is the fixture, its test passes, its commands run."""
import importlib.util
import re
import shlex
from pathlib import Path

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


def test_doc_hook_example_compiles_and_follows_its_rule(tmp_path, helpers):
    code, = blocks("hook example")
    (tmp_path / "cut_half.py").write_text(code)
    cls = get_strategy("cut-half", strategies_dir=tmp_path)
    params = cls().spec(helpers.make_market([1.0, 1.0])).params[0]
    # margin ratio 0.6 > 0.5: halve a 4 BTC perp to 2; at 0.4 nothing changes
    state = make_state(perp_qty=4.0, margin_ratio=0.6)
    assert call_hook(cls.decide_nb, state, params) == {"TARGET_PERP": 2.0}
    assert call_hook(cls.decide_nb, make_state(perp_qty=4.0, margin_ratio=0.4), params) == {}
    # its memory (the same state vector at the next bar) says it has cut already: once only
    state[State.PERP_QTY] = 2.0
    assert call_hook(cls.decide_nb, state, params) == {}


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
