"""Parsing of -p / -g / --config and the user-error path (exit 2, one line, nothing written)."""
import os
from pathlib import Path
import subprocess
import sys

import pytest

from hedgelab.runner import config, parse
from hedgelab.core.errors import UserError
from testkit.cli import invoke


# ---- values ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("10", 10), ("-3", -3), ("0.5", 0.5), ("1e-4", 1e-4), ("true", True), ("False", False),
    ("isolated", "isolated"), (" 2 ", 2),
])
def test_parse_value_types(text, expected):
    value = parse.parse_value(text)
    assert value == expected and type(value) is type(expected)


def test_parse_value_refuses_nan():
    with pytest.raises(UserError, match="finite"):
        parse.parse_value("nan")


def test_parse_params_collects_names():
    assert parse.parse_params(["leverage=10", "mode = cross"]) == {"leverage": 10, "mode": "cross"}


@pytest.mark.parametrize("bad", ["leverage", "=3", "leverage=", "x"])
def test_parse_params_needs_name_and_value(bad):
    with pytest.raises(UserError, match="expected name=value"):
        parse.parse_params([bad])


def test_parse_params_twice_is_an_error():
    with pytest.raises(UserError, match="given twice"):
        parse.parse_params(["a=1", "a=2"])


# ---- grids -------------------------------------------------------------------------------------

def test_grid_list():
    assert parse.parse_grid(["hedge_ratio=0.25,0.5,1"]) == {"hedge_ratio": [0.25, 0.5, 1]}


def test_grid_linspace_integers_stay_integers():
    # 2..20 in 10 points: step (20-2)/9 = 2 -> 2, 4, ..., 20
    assert parse.parse_grid(["leverage=2:20:10"]) == {"leverage": list(range(2, 21, 2))}


def test_grid_linspace_floats_include_both_ends():
    # 0..1 in 5 points: step 0.25
    values = parse.parse_grid(["hedge_ratio=0:1:5"])["hedge_ratio"]
    assert values == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert all(isinstance(v, float) for v in values)


@pytest.mark.parametrize("bad, message", [
    ("x=1:2", "start:stop:count"), ("x=1:2:0", "count"), ("x=1:2:2.5", "count"),
    ("x=a:2:3", "numbers"), ("x=1,1", "repeated"), ("x=,", "no values"),
])
def test_grid_bad_specs(bad, message):
    with pytest.raises(UserError, match=message):
        parse.parse_grid([bad])


# ---- config ------------------------------------------------------------------------------------

def test_config_unknown_key_names_the_key(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('data = "crisis-2025"\nleverge = 3\n')
    with pytest.raises(UserError, match="unknown key 'leverge'"):
        config.load_config(path)


def test_config_bad_toml_is_a_user_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("data = \n")
    with pytest.raises(UserError, match="c.toml"):
        config.load_config(path)


def test_config_reads_tables(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('strategy = "perp-hedge"\ncapital = 5000\n[grid]\nhedge_ratio = "0:1:3"\n')
    conf = config.load_config(path)
    assert conf == {"strategy": "perp-hedge", "capital": 5000, "grid": {"hedge_ratio": "0:1:3"}}


# ---- the CLI's user-error path -----------------------------------------------------------------

@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run in an empty folder, so a half-written default output folder would show up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_user_error(rc, out, err, here, *needles):
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]
    assert list(here.iterdir()) == [p for p in here.iterdir() if p.suffix == ".toml"]


@pytest.mark.parametrize("argv, needles", [
    (["run", "hold", "-p", "fraction=abc"], ["fraction", "number"]),
    (["run", "hold", "-p", "fraction=2"], ["fraction", "<= 1"]),
    (["run", "hold", "-p", "fractoin=0.5"], ["did you mean 'fraction'"]),
    (["run", "hold", "-p", "fraction"], ["-p", "name=value"]),
    (["run", "hlod"], ["unknown strategy 'hlod'", "did you mean 'hold'"]),
    (["run", "hold", "--capital", "-5"], ["capital"]),
    (["sweep", "hold", "-g", "fraction=1:2"], ["start:stop:count"]),
    (["sweep", "hold"], ["empty grid"]),
    (["sweep", "hold", "-g", "fraction=0,1", "--metric", "colour"], ["--metric", "colour"]),
    (["compare", "hold", "--strategies-dir", "no-such-folder"], ["no-such-folder"]),
    (["compare", "hold", "--data", "no-such-data"], ["no-such-data"]),
    (["compare", "hold", "--start", "2025-11-01", "--end", "2025-10-01"], ["start", "end"]),
    (["compare", "hold", "--venue", "no-such-venue"], ["no-such-venue"]),
])
def test_user_errors_exit_2_with_one_line(argv, needles, here, capsys):
    rc, out, err = invoke(argv, capsys)
    assert_user_error(rc, out, err, here, *needles)


def test_unknown_config_key_exits_2(here, capsys):
    (here / "c.toml").write_text('venue = "binance"\nfoo = 1\n')
    rc, out, err = invoke(["compare", "--config", "c.toml"], capsys)
    assert_user_error(rc, out, err, here, "'foo'", "c.toml")


def test_out_folder_is_never_overwritten(here, capsys):
    (here / "old").mkdir()
    (here / "old" / "report.html").write_text("keep me")
    rc, out, err = invoke(["run", "hold", "--out", "old"], capsys)
    assert rc == 2 and "not empty" in err
    assert (here / "old" / "report.html").read_text() == "keep me"


def test_real_process_exit_code_and_stderr(tmp_path):
    # The installed entry point, as a user runs it: one line on stderr, exit 2, nothing written.
    proc = subprocess.run([sys.executable, "-m", "hedgelab.cli", "run", "hold", "-p", "fraction=abc"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "fraction" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_compare_config_params_must_be_per_strategy(here, capsys):
    (here / "c.toml").write_text("[params]\nleverage = 5\n")
    rc, out, err = invoke(["compare", "hold", "--config", "c.toml"], capsys)
    assert_user_error(rc, out, err, here, "params.leverage", "one table per strategy")


def test_compare_config_params_for_a_strategy_not_compared(here, capsys):
    (here / "c.toml").write_text('strategies = ["hold"]\n[params.perp-hedge]\nhedge_ratio = 0.3\n')
    rc, out, err = invoke(["compare", "--config", "c.toml"], capsys)
    assert_user_error(rc, out, err, here, "perp-hedge", "not being compared")


def test_heatmap_axis_must_be_on_the_grid(here, capsys):
    rc, out, err = invoke(["sweep", "leveraged-long", "-g", "leverage=2,5", "-g", "margin_fraction=0.5,1",
                           "--heatmap-x", "reenter"], capsys)
    assert_user_error(rc, out, err, here, "--heatmap-x", "reenter")


def test_fixed_and_swept_parameter_clash(here, capsys):
    rc, out, err = invoke(["sweep", "leveraged-long", "-g", "leverage=2,5", "-p", "leverage=3"], capsys)
    assert_user_error(rc, out, err, here, "leverage", "both fixed and on the grid")


def test_default_output_folder_is_new_each_time(here):
    from hedgelab.cli.backtest import output_dir
    first = output_dir(None)
    assert first.parent == here and first.name.startswith("hedgelab-out-") and not first.exists()
    first.mkdir()
    second = output_dir(None)   # same second: a -2 suffix; a later second: a new stamp
    assert second != first and not second.exists()


def test_short_table_for_a_big_sweep():
    import pandas as pd
    from hedgelab.cli.backtest import short_table
    n = 40   # ranks 1..40; the last 10 liquidated, one failed
    summary = pd.DataFrame({
        "rank": range(1, n + 1), "group": "all", "market_neutral": None, "run": [f"s(x={k})" for k in range(n)],
        "final_equity": [1e5 - k for k in range(n)], "total_return": 0.0, "max_drawdown": -0.1,
        "worst_day": -0.05, "hedge": "unknown", "hedge_cost_usd": 1.0, "liquidations": [0] * 30 + [1] * 10,
        "error": [None] * 39 + ["boom"]})
    lines = short_table(summary).splitlines()
    # header, rule, 15 best rows, the count line, the hedge cost's definition, the summary-only note
    assert len(lines) == 2 + 15 + 1 + 2
    assert lines[-3].startswith("... 25 more runs (10 liquidated, 1 failed)")
    assert "s(x=14)" in lines[-4]


def test_config_folders_are_relative_to_the_config_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "c.toml").write_text('strategies_dir = "plugins"\n')
    monkeypatch.chdir(tmp_path)   # "plugins" exists neither here nor beside the file
    rc, out, err = invoke(["compare", "hold", "--config", "conf/c.toml"], capsys)
    assert rc == 2 and str(Path("conf") / "plugins") in err
