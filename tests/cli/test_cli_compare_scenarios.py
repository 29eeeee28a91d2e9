"""`hedgelab compare`'s scenario matrix: one truth with `hedgelab stress --method scenario NAME`, on by default,
off with --no-scenarios, the config key `scenarios = false` or `scenarios=False` in the API."""
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError
from testkit import cli as h

RUNS = ["leveraged-long", "funding-carry", "perp-hedge"]
START = "2025-09-08 00:00"       # the matrix's start: 7 days after crisis-2025's first bar
BEFORE = "2025-09-07 23:00"      # the last bar before it


def stress_row(tmp_path, capsys, name, *args):
    out = tmp_path / name
    rc, _, err = h.invoke(["stress", *args, "--paths", "1", "--out", str(out), "--quiet"], capsys)
    assert rc in (0, None), err
    table = pd.read_csv(out / "stress.csv")
    assert len(table) == 1
    return table.iloc[0]


def test_each_cell_is_what_hedgelab_stress_gives_for_the_same_start_and_path(tmp_path, capsys):
    res = hedgelab.compare(RUNS)
    m = res.scenarios
    assert m.meta["start"] == START
    horizon = dict(zip(m.scenarios["name"], m.scenarios["horizon_h"]))
    cells = m.cells.set_index(["run", "scenario"])
    # a liquidated long, a liquidated short leg and a survivor
    for run, name in [("leveraged-long", "covid-mar2020"), ("funding-carry", "squeeze-40"),
                      ("perp-hedge", "ftx-nov2022")]:
        c = cells.loc[(run, name)]
        row = stress_row(tmp_path, capsys, f"{run}-{name}", run, "--method", "scenario", name, "--at", START,
                         "--horizon", f"{horizon[name]:g}h")
        assert row["final_equity_median"] == c["end_equity_usd"]
        assert row["survival"] == c["survival"] and row["liquidated_paths"] == 1 - c["survived"]
        if c["survival"] == 0:   # the stress counts hours from its window's first bar, the matrix from the start
            assert row["ttl_median_h"] - 7 * 24 == c["liquidation_h"]
        # the equity at the start: the same window cut before it, through a shock of 0 at its last bar
        before = stress_row(tmp_path, capsys, f"{run}-{name}-before", run, "--method", "shock", "--drop", "0",
                            "--at", BEFORE, "--horizon", "168h")
        assert before["final_equity_median"] == c["start_equity_usd"]
        assert c["loss_usd"] == before["final_equity_median"] - row["final_equity_median"]
    assert {tuple(x) for x in m.cells[["run", "scenario"]].to_numpy()} == {
        (r, n) for r in RUNS for n in horizon}

    # the terminal prints the same cells after the ranking table, rows in ranking order
    out = tmp_path / "cmp"
    rc, stdout, _ = h.invoke(["compare", *RUNS, "--tearsheets", "0", "--out", str(out)], capsys)
    assert rc in (0, None)
    assert stdout.index("market-neutral: |mean net") < stdout.index("scenario matrix: SYNTHETIC") < stdout.index("data: ")
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("run ") and "squeeze-40" in line)
    assert lines[head].split() == ["run", *horizon]
    shown = {line.split()[0]: line.split()[1:] for line in lines[head + 2:head + 2 + len(RUNS)]}
    assert list(shown) == list(res.summary["run"])
    for run, words in shown.items():
        want = []
        for name in horizon:
            c = cells.loc[(run, name)]
            want += ["ok" if c["survival"] == 1 else "LIQ", f"{c['loss_usd']:,.0f}"]
        assert words == want
    page = (out / "report.html").read_text()
    assert "id='scenarios'" in page and page.index("id='ranking'") < page.index("id='scenarios'")


def test_no_scenarios_turns_the_matrix_off_on_every_interface(tmp_path, capsys):
    rc, stdout, _ = h.invoke(["compare", "hold", "--no-scenarios", "--tearsheets", "0", "--out", str(tmp_path / "a")],
                             capsys)
    assert rc in (0, None) and "scenario matrix" not in stdout and "squeeze-40" not in stdout
    assert "id='scenarios'" not in (tmp_path / "a" / "report.html").read_text()
    conf = tmp_path / "c.toml"
    conf.write_text("scenarios = false\n")
    rc, stdout, _ = h.invoke(["compare", "hold", "--config", str(conf), "--tearsheets", "0", "--out",
                              str(tmp_path / "b")], capsys)
    assert rc in (0, None) and "scenario matrix" not in stdout
    # the flag wins over the config, as every flag does
    rc, stdout, _ = h.invoke(["compare", "hold", "--config", str(conf), "--scenarios", "--tearsheets", "0", "--out",
                              str(tmp_path / "c")], capsys)
    assert rc in (0, None) and "scenario matrix: SYNTHETIC" in stdout
    assert hedgelab.compare("hold", scenarios=False).scenarios is None
    assert list(hedgelab.compare("hold").scenarios.table("survival").loc["hold"]) == [1.0] * 6
    with pytest.raises(UserError, match=r"^compare\(\): scenarios = 'no': must be true or false$"):
        hedgelab.compare("hold", scenarios="no")
    conf.write_text('scenarios = "no"\n')
    rc, _, err = h.invoke(["compare", "hold", "--config", str(conf), "--out", str(tmp_path / "d")], capsys)
    assert rc == 2 and "scenarios" in err and "Traceback" not in err
    # a single run is not a comparison: no matrix
    rc, stdout, _ = h.invoke(["run", "hold", "--tearsheets", "0", "--out", str(tmp_path / "e")], capsys)
    assert rc in (0, None) and "scenario matrix" not in stdout


def test_a_window_too_short_for_every_scenario_says_so_in_one_line(tmp_path, capsys):
    out = tmp_path / "w"
    rc, stdout, _ = h.invoke(["compare", "hold", "--start", "2025-10-01", "--end", "2025-10-07", "--tearsheets", "0",
                              "--out", str(out)], capsys)
    assert rc in (0, None)
    # oct10-2025: 7 days before it, its 23 h, 48 h after it, the bar it ends on
    need = (7 * 24 + 23 + 48 + 1) / 24
    line = next(x for x in stdout.splitlines() if x.startswith("scenario matrix:"))
    assert line.startswith("scenario matrix: not made: the window has 7.0 days of bars")
    assert f"oct10-2025 {need:.1f} days" in line and "UTC" not in line
    assert "Not made: the window has 7.0 days" in (out / "report.html").read_text()
