"""Broken plugins (exit 1, the rest written), `hedgelab strategies`, a 2-parameter sweep, --config merging."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgelab.data import load

from testkit import cli as h

# A short slice around the Oct 10 crash keeps these runs quick (the end date is inclusive).
RANGE = ["--start", "2025-10-01", "--end", "2025-10-20"]

GOOD = (Path(__file__).parents[1] / "golden" / "plugins" / "half_hold.py").read_text()   # one copy of the plugin
BROKEN_IMPORT = "import numpy as np\nraise ImportError('needs the moon module')\n"
BOOM = '''
import numpy as np
from hedgelab.strategies import Strategy

class Boom(Strategy):
    """Fails when it sees the market."""
    name = "boom"

    def targets(self, market, params):
        raise ValueError("boom at prepare")
'''


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugins")
    (folder / "good.py").write_text(GOOD)
    (folder / "broken_import.py").write_text(BROKEN_IMPORT)
    (folder / "boom.py").write_text(BOOM)
    return folder


def test_broken_plugins_exit_1_and_the_rest_is_written(plugins, tmp_path, capsys):
    out = tmp_path / "out"
    rc, stdout, err = h.invoke(["compare", "hold", "half-hold", "broken_import", "boom", "--strategies-dir",
                                str(plugins), "--out", str(out), "--quiet", *RANGE], capsys)
    assert rc == 1
    failed = [line for line in err.splitlines() if line.startswith("failed: ")]
    assert any("broken_import" in line and "needs the moon module" in line for line in failed), err
    assert any("boom" in line and "boom at prepare" in line for line in failed), err
    assert "Traceback" not in err
    summary, events = h.read_outputs(out)
    h.check_files(out, summary, events)
    ok = summary[summary["error"].isna()]
    assert sorted(ok["strategy"]) == ["half-hold", "hold"]
    assert set(summary.loc[summary["error"].notna(), "strategy"]) == {"broken_import", "boom"}
    # half-hold holds half of hold's coin: its gain is half of hold's, up to the fee difference
    s = summary.set_index("strategy")
    assert s.loc["half-hold", "total_return"] == pytest.approx(s.loc["hold", "total_return"] / 2, abs=1e-3)


def test_strategies_lists_parameters_and_load_failures(plugins, capsys):
    rc, out, err = h.invoke(["strategies", "--strategies-dir", str(plugins)], capsys)
    assert rc == 1
    assert "half-hold" in out and "share=0.5 (float, [0, 1])" in out
    assert "leveraged-long" in out and "leverage=10" in out
    assert "Half the capital in spot" in out
    assert "broken_import" in err and "needs the moon module" in err


def test_strategies_without_plugins_exits_0(capsys):
    rc, out, err = h.invoke(["strategies"], capsys)
    assert rc == 0, err
    from hedgelab.strategies import BUILTINS
    for name in BUILTINS:
        assert f"\n{name}  [" in "\n" + out


@pytest.fixture(scope="module")
def sweep_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "out"
    rc, _, _ = h.invoke(["sweep", "leveraged-long", "-g", "leverage=2,5,10,20", "-g", "margin_fraction=0.5:0.9:2",
                         "--heatmap-x", "leverage", "--heatmap-y", "margin_fraction", "--quiet",
                         "--out", str(out), *RANGE])
    return rc, out, *h.read_outputs(out)


def test_sweep_runs_the_whole_grid(sweep_job):
    rc, out, summary, events = sweep_job
    assert rc == 0
    h.check_files(out, summary, events)
    points = {(p["leverage"], p["margin_fraction"]) for p in map(json.loads, summary["params"])}
    assert points == {(lev, mf) for lev in (2, 5, 10, 20) for mf in (0.5, 0.9)}
    assert "heatmap" in (out / "report.html").read_text()


def test_sweep_liquidations_follow_leverage(sweep_job):
    _, _, summary, _ = sweep_job
    # Entry at the Oct 1 00:00 close; from the data alone: 2x cannot be liquidated in this range
    # (its bankruptcy price is half the entry), 10x and 20x must be (the Oct 10 low is below
    # their bankruptcy prices entry x 0.9 and entry x 0.95).
    bars = load("crisis-2025").bars.loc["2025-10-01":"2025-10-20"]
    entry = bars["close"].iloc[0]
    low = bars["mark_low"].min()
    assert low > entry * 0.5 and low < entry * 0.9
    rows = [(json.loads(p)["leverage"], liq) for p, liq in zip(summary["params"], summary["liquidations"])]
    for lev, liq in rows:
        if lev == 2:
            assert liq == 0
        if lev >= 10:
            assert liq >= 1
    # and a higher leverage is never safer (same entry, closer liquidation price)
    by_lev = pd.DataFrame(rows, columns=["lev", "liq"]).groupby("lev")["liq"].min()
    assert np.all(np.diff((by_lev > 0).astype(int).to_numpy()) >= 0)


def test_config_file_with_flags_winning(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('strategy = "hold"\ncapital = 50000\nstart = "2025-10-01"\nend = "2025-10-20"\n'
                      '[params]\nfraction = 0.5\n')
    out = tmp_path / "out"
    rc, _, err = h.invoke(["run", "--config", str(config), "--capital", "20000", "--out", str(out), "--quiet"],
                          capsys)
    assert rc == 0, err
    summary, _ = h.read_outputs(out)
    row = summary.iloc[0]
    assert row["strategy"] == "hold" and json.loads(row["params"])["fraction"] == 0.5
    # the flag's 20,000 USD won over the file's 50,000: half of it in coin, half in cash
    bars = load("crisis-2025").bars.loc["2025-10-01":"2025-10-20"]
    move = bars["index_close"].iloc[-1] / bars["index_close"].iloc[0] - 1   # spot trades at the index
    assert row["final_equity"] == pytest.approx(20_000 * (1 + 0.5 * move) - row["fees_paid_usd"], rel=1e-3)


def test_a_plugin_with_a_taken_name_is_named_not_dropped(tmp_path, capsys):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "mine.py").write_text(GOOD.replace('name = "half-hold"', 'name = "hold"'))
    out = tmp_path / "out"
    rc, _, err = h.invoke(["compare", "hold", "--strategies-dir", str(folder), "--out", str(out), "--quiet",
                           "--tearsheets", "0", *RANGE], capsys)
    assert rc == 0   # it was not asked for: the built-in hold ran, the plugin is a warning
    assert any(line.startswith("warning: hold (") and "mine.py" in line and "taken" in line
               for line in err.splitlines()), err
