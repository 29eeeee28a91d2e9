"""`hedgelab stress` and `hedgelab.stress(...)` end to end on the embedded data: files, columns,
captions, the sweep heatmap and bad input (one line, exit 2, nothing written)."""
import json

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.stress.survival import COLUMNS

from testkit import cli as h


def test_cli_writes_table_and_page(tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, err = h.invoke(["stress", "hold", "leveraged-long", "--paths", "4", "--seed", "3",
                                "--horizon", "4d", "--start", "2025-10-08", "--out", str(out)], capsys)
    assert rc in (0, None), err
    table = pd.read_csv(out / "stress.csv")
    assert list(table.columns[1:len(COLUMNS) + 1]) == list(COLUMNS)
    assert set(table["run"]) == {"hold", "leveraged-long"}
    hold = table.set_index("run").loc["hold"]
    assert hold["survival"] == 1.0 and hold["liquidated_paths"] == 0   # 1x spot cannot be liquidated
    paths = pd.read_csv(out / "stress_paths.csv")
    assert len(paths) == 8
    lev = paths[paths["run"] == "leveraged-long"]
    # survival = share of paths without a liquidation hour; VaR/ES from the per-path losses
    row = table.set_index("run").loc["leveraged-long"]
    assert row["survival"] == lev["liquidation_hour"].isna().mean()
    loss = 100_000 - lev["final_equity"].to_numpy()
    assert row["var95_loss"] == np.quantile(loss, 0.95)
    page = (out / "stress.html").read_text()
    for text in ("4 paths", "seed 3", "bootstrap", "RECONSTRUCTION", "horizon 96 h", "(USD)"):
        assert text in page, text
    assert "survival" in stdout and "report:" in stdout


def test_api_sweep_heatmap_and_same_seed(tmp_path):
    kw = dict(method="shock", paths=3, seed=2, horizon="3d", start="2025-10-08", grid={"leverage": "5,20",
              "margin_fraction": "0.5,1"})
    a = hedgelab.stress("leveraged-long", **kw)
    b = hedgelab.stress("leveraged-long", **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert len(a.table) == 4 and a.heatmap == {"x": "leverage", "y": "margin_fraction"}
    out = a.write(tmp_path / "sweep")
    assert "Survival probability over leverage and margin_fraction" in (out / "stress.html").read_text()
    sets = a.table["params"].map(json.loads)
    # a -10.7 % wick kills 20x (d* = 4.6 %) on every path and never 5x (d* = 19.7 %) on this window
    surv = {(p["leverage"], p["margin_fraction"]): s for p, s in zip(sets, a.table["survival"])}
    assert surv[(20.0, 1.0)] == 0.0 and surv[(5.0, 1.0)] == 1.0
    # the curves agree with the per-path table: survival at the last close, the fan's median and
    # the liquidation hours
    for _, row in a.table.iterrows():
        mine = a.per_path[a.per_path["run"] == row["run"]]
        assert a.survival[row["run"]].iloc[-1] == row["survival"]
        assert a.fan[row["run"]]["q50"].iloc[-1] == pytest.approx(np.median(mine["final_equity"]), rel=1e-6)
        hours = mine["liquidation_hour"].dropna()
        if len(hours):
            assert row["ttl_median_h"] == np.median(hours)


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    for args in (["--paths", "0"], ["--method", "scenario", "nowhere"], ["--horizon", "banana"],
                 ["--method", "scenario", "support-80k", "--margin", "2"], ["--seed", "-1"]):
        out = tmp_path / "x"
        rc, _, err = h.invoke(["stress", "hold", *args, "--out", str(out)], capsys)
        assert rc == 2, args
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        assert not out.exists()


def test_a_failing_strategy_is_named_and_the_others_written(tmp_path, capsys):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text(
        "from hedgelab.strategies import Strategy\n\n"
        "class Broken(Strategy):\n    \"\"\"Raises in prepare.\"\"\"\n    name = 'broken-stress'\n\n"
        "    def prepare(self, market):\n        raise RuntimeError('boom')\n")
    out = tmp_path / "out"
    rc, _, err = h.invoke(["stress", "hold", "broken-stress", "--strategies-dir", str(plugins), "--paths", "2",
                           "--horizon", "2d", "--out", str(out), "--quiet"], capsys)
    assert rc == 1
    assert "failed: broken-stress: path 0: RuntimeError: boom" in err
    assert list(pd.read_csv(out / "stress.csv")["run"]) == ["hold"]


SCENARIO_NAMES = ("oct10-2025", "covid-mar2020", "china-may2021", "ftx-nov2022", "yen-aug2024", "oct10-2025-x1.5",
                  "squeeze-40", "support-80k")
SHORT = ["--paths", "2", "--seed", "1", "--horizon", "20d", "--start", "2025-11-01"]


@pytest.mark.parametrize("form", [["--method", "scenario", "support-80k"], ["--scenario", "support-80k"],
                                  ["--method=scenario", "support-80k"],
                                  ["--scenario", "support-80k", "--method", "scenario"]])
def test_the_documented_scenario_forms_run_the_named_scenario(tmp_path, capsys, form):
    # issue 22 item 6: `--method scenario support-80k` read the name as a strategy, `--scenario NAME`
    # alone was refused
    out = tmp_path / "out"
    rc, stdout, err = h.invoke(["stress", "leveraged-long", *form, *SHORT, "--out", str(out)], capsys)
    assert rc in (0, None), err
    table = pd.read_csv(out / "stress.csv")
    assert list(table["run"]) == ["leveraged-long"]
    assert "scenario support-80k" in stdout


def test_the_name_right_after_method_scenario_is_the_scenario_not_a_strategy(tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, err = h.invoke(["stress", "--method", "scenario", "oct10-2025", "hold", *SHORT, "--out", str(out)], capsys)
    assert rc in (0, None), err
    assert list(pd.read_csv(out / "stress.csv")["run"]) == ["hold"]


@pytest.mark.parametrize("args, wanted", [
    (["--method", "scenario", "covid"], "error: unknown scenario 'covid': one of " + ", ".join(SCENARIO_NAMES)),
    (["--scenario", "covid"], "error: unknown scenario 'covid': one of " + ", ".join(SCENARIO_NAMES)),
    (["--method", "scenario"], "error: --method scenario needs a NAME right after it (or --scenario NAME): one of "
     + ", ".join(SCENARIO_NAMES)),
    (["--method", "garch", "--scenario", "covid-mar2020"],
     "error: --scenario covid-mar2020 goes with --method scenario, not --method garch")])
def test_a_bad_scenario_lists_the_scenarios(tmp_path, capsys, args, wanted):
    out = tmp_path / "out"
    rc, _, err = h.invoke(["stress", "leveraged-long", *args, *SHORT, "--out", str(out)], capsys)
    assert rc == 2 and err.strip() == wanted
    assert not out.exists()


CLIPPED = ("start 2024-01-01 is before its first bar and end 2026-05-01 is after its last bar: data 'crisis-2025' "
           "has bars from 2025-09-01 00:00 to 2025-11-30 23:00 UTC (bar opens), so the run covers only those")


def test_a_window_beyond_the_data_is_said_by_stress_and_reverse_too(tmp_path, capsys):
    # issue 22 item 8: --start 2024-01-01 --end 2026-05-01 was clamped to the data without a word
    # (a backtest said it; the stress commands did not)
    wide = ["--start", "2024-01-01", "--end", "2026-05-01"]
    rc, _, err = h.invoke(["stress", "hold", "--paths", "2", "--horizon", "5d", *wide, "-q",
                           "--out", str(tmp_path / "o")], capsys)
    assert rc in (0, None) and err == f"warning: {CLIPPED}\n"
    rc, out, err = h.invoke(["stress", "reverse", "hold", "--at", "2025-10-05 12:00", *wide, "--json"], capsys)
    assert rc in (0, None) and err == f"warning: {CLIPPED}\n"
    rc, out, err = h.invoke(["stress", "reverse", "hold", "--at", "2025-10-05 12:00", "--json"], capsys)
    assert rc in (0, None) and err == ""   # inside the data: no word
