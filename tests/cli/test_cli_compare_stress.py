"""``hedgelab compare --stress``: the same strategies over generated paths, in the same output folder.

The report gets a ``stress`` section (and a link to stress.html) exactly when a stress test ran; its
numbers are stress.csv's, and stress.csv's are re-derived here from the per-path file
(stress_paths.csv). Small: 20 bootstrap paths over an 11-day window, no tearsheets.
"""
import contextlib
import io
import re

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError

from testkit import cli as h

WINDOW = ["--start", "2025-10-05", "--end", "2025-10-15"]
STRATEGIES = ["hold", "leveraged-long"]
CAPITAL = 100_000.0


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc, _, _ = h.invoke(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def stressed(tmp_path_factory):
    out = tmp_path_factory.mktemp("stress-compare") / "out"
    rc, stdout, stderr = run_cli(["compare", *STRATEGIES, *WINDOW, "--stress", "bootstrap", "--stress-paths", "20",
                                  "--stress-seed", "3", "--tearsheets", "0", "--out", str(out)])
    assert rc in (0, None), stderr
    return out, stdout


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    out = tmp_path_factory.mktemp("plain-compare") / "out"
    rc, stdout, stderr = run_cli(["compare", "hold", *WINDOW, "--tearsheets", "0", "--out", str(out)])
    assert rc in (0, None), stderr
    return out, stdout


def section_rows(page: str) -> pd.DataFrame:
    html = re.search(r"<section id='stress'>.*?</section>", page, re.S).group(0)
    table = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return pd.DataFrame(cells, columns=["rank", "run", "survival", "es95", "ttl", "replay_rank", "change"])


def test_stress_files_section_and_link_exist_when_stress_ran(stressed):
    out, _ = stressed
    for name in ("report.html", "summary.csv", "stress.csv", "stress_paths.csv", "stress.html"):
        assert (out / name).is_file(), name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<section id='stress'>") == 1
    assert "href='stress.html'" in page
    caption = re.search(r"id='stress-caption'>(.*?)</p>", page, re.S).group(1)
    # 11 days of hourly bars from Oct 5 00:00 to Oct 15 23:00: 264 h; the embedded data is a reconstruction
    for text in ("20 paths", "method bootstrap", "seed 3", "horizon 264 h", "RECONSTRUCTION"):
        assert text in caption, text


def test_no_section_no_files_without_stress(plain):
    out, stdout = plain
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "id='stress'" not in page and "stress.html" not in page
    assert not any((out / n).exists() for n in ("stress.csv", "stress_paths.csv", "stress.html"))
    # the ranking table has no survival column (the scenario matrix below it speaks of survival per scenario)
    assert "survival" not in stdout.splitlines()[0] and stdout.startswith("#  run")


def test_section_numbers_are_stress_csv(stressed):
    out, _ = stressed
    table = pd.read_csv(out / "stress.csv")
    shown = section_rows((out / "report.html").read_text(encoding="utf-8")).set_index("run")
    assert sorted(shown.index) == sorted(STRATEGIES) == sorted(table["run"])
    for _, r in table.iterrows():
        row = shown.loc[r["run"]]
        assert row["survival"] == f"{r['survival'] * 100:.1f}%"
        assert row["es95"].replace(",", "") == f"{r['es95_loss']:.0f}"
        assert int(row["rank"]) == r["rank_stress"] and int(row["replay_rank"]) == r["rank_replay"]
        assert row["ttl"] == ("none liquidated" if np.isnan(r["ttl_median_h"]) else f"{r['ttl_median_h']:,.0f} h")
        moved = r["rank_replay"] - r["rank_stress"]   # > 0: better placed under stress than in the replay
        assert row["change"] == ("same place" if moved == 0 else
                                 f"{'up' if moved > 0 else 'down'} {abs(moved)} place{'s' if abs(moved) > 1 else ''}")


def test_stress_csv_agrees_with_its_paths_and_the_replay(stressed):
    # independent re-derivation: survival = share of paths never liquidated; ES 95 % = mean of the
    # losses (capital - final equity) at or beyond their 95 % quantile
    out, _ = stressed
    table = pd.read_csv(out / "stress.csv").set_index("run")
    paths = pd.read_csv(out / "stress_paths.csv")
    summary = pd.read_csv(out / "summary.csv").set_index("run")
    for run, p in paths.groupby("run"):
        assert len(p) == 20
        assert table.loc[run, "survival"] == pytest.approx(p["liquidation_hour"].isna().mean(), abs=1e-12)
        loss = CAPITAL - p["final_equity"].to_numpy()
        var = np.quantile(loss, 0.95)
        assert table.loc[run, "es95_loss"] == pytest.approx(loss[loss >= var].mean(), rel=1e-9)
        # the stress test's single replay is the backtest of the same window, venue and costs
        assert table.loc[run, "replay_final_equity"] == pytest.approx(summary.loc[run, "final_equity"], rel=1e-9)
    # leveraged-long at 10x dies on some bootstrap paths; hold (spot, no leverage) never can
    assert table.loc["hold", "survival"] == 1.0 and table.loc["leveraged-long", "survival"] < 1.0


def test_terminal_table_gains_a_survival_column(stressed):
    out, stdout = stressed
    table = pd.read_csv(out / "stress.csv").set_index("run")
    lines = stdout.splitlines()
    assert lines[0].split()[-1] == "survival"
    for run in STRATEGIES:
        line = next(line for line in lines if line.split()[1:2] == [run])
        assert line.split()[-1] == f"{table.loc[run, 'survival']:.1%}"


@pytest.mark.parametrize("argv, message", [
    (["--stress", "nope"], "--stress 'nope'"),
    (["--stress", "scenario:atlantis"], "--stress 'scenario:atlantis'"),
    (["--stress", "scenario"], "--stress 'scenario'"),
    (["--stress", "bootstrap", "--stress-paths", "0"], "--stress-paths"),
    (["--stress", "bootstrap", "--stress-seed", "-1"], "--stress-seed"),
    (["--stress-paths", "20"], "--stress-paths/--stress-seed go with --stress"),
])
def test_bad_stress_value_is_one_line_exit_2_nothing_written(tmp_path, argv, message):
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(["compare", "hold", *WINDOW, *argv, "--out", str(out)])
    assert rc == 2
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and message in stderr
    assert "Traceback" not in stderr and not out.exists() and list(tmp_path.iterdir()) == []


def test_config_keys_and_their_checks(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('stress = "bootstrap"\nstress_paths = 0\n')
    rc, _, stderr = run_cli(["compare", "hold", *WINDOW, "--config", str(bad), "--out", str(tmp_path / "o")])
    assert rc == 2 and "stress_paths" in stderr and not (tmp_path / "o").exists()


def test_api_compare_stress_kwarg_and_write(tmp_path):
    with pytest.raises(UserError, match=r"compare\(\): stress 'gauss'"):
        hedgelab.compare(["hold"], start="2025-10-05", end="2025-10-06", stress={"method": "gauss"})
    res = hedgelab.compare(["leveraged-long"], start="2025-10-05", end="2025-10-08",
                           stress=dict(method="scenario:oct10-2025", paths=4, seed=1))
    assert list(res.stress.table["run"]) == ["leveraged-long"] and res.stress.meta["paths"] == 4
    assert res.stress.meta["method"] == "scenario oct10-2025"
    out = res.write(tmp_path / "out")
    assert pd.read_csv(out / "stress.csv")["survival"].iloc[0] == res.stress.table["survival"].iloc[0]
    assert "<section id='stress'>" in (out / "report.html").read_text(encoding="utf-8")
    assert hedgelab.compare(["hold"], start="2025-10-05", end="2025-10-06").stress is None


def test_run_takes_the_stress_keys_from_its_config(tmp_path):
    conf = tmp_path / "job.toml"
    conf.write_text('strategy = "leveraged-long"\nstress = "jump"\nstress_paths = 3\nstress_seed = 5\n'
                    '[params]\nleverage = 3\n')
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(["run", "--config", str(conf), "--start", "2025-10-05", "--end", "2025-10-07",
                                  "--tearsheets", "0", "--out", str(out)])
    assert rc in (0, None), stderr
    table = pd.read_csv(out / "stress.csv")
    assert list(table["run"]) == ["leveraged-long"]
    assert (table["method"].iloc[0], table["paths"].iloc[0], table["seed"].iloc[0]) == ("jump", 3, 5)
    assert '"leverage": 3' in table["params"].iloc[0]   # the run's own parameters, not the defaults
    assert "survival" in stdout.splitlines()[0]
