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
