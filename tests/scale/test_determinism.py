"""docs/determinism.md: the same sweep gives bitwise-equal summary, event and equity tables in-process,
on a thread LocalCluster, on two local worker processes, on a real scheduler with two worker processes,
and at any chunk size. Expected values: the in-process run with one chunk per 256 columns (the
engine's own single-call path), compared with exact equality (NaN equals NaN)."""
from pathlib import Path

import pandas as pd
import pytest

import hedgelab
from testkit.results import assert_identical

# Oct 8-12 2025 of the embedded reconstruction: the Oct 10 crash, funding settlements, fees.
WINDOW = dict(start="2025-10-08", end="2025-10-12", quiet=True)
GRID = {"hedge_ratio": [0.0, 0.25, 0.5, 0.75, 1.0], "leverage": [2, 10]}   # 10 columns


@pytest.fixture(scope="module")
def baseline():
    result = hedgelab.sweep("perp-hedge", GRID, chunk_size=256, **WINDOW)   # one kernel call for all 10
    assert not result.failures and len(result.runs) == 10 and len(result.events) > 20
    return result


@pytest.mark.parametrize("chunk_size", [1, 3, 7, None])   # None: the automatic plan
def test_in_process_any_chunk_size(baseline, chunk_size):
    assert_identical(hedgelab.sweep("perp-hedge", GRID, chunk_size=chunk_size, **WINDOW), baseline)


def test_thread_local_cluster(baseline):
    assert_identical(hedgelab.sweep("perp-hedge", GRID, cluster="local", chunk_size=2, **WINDOW), baseline)


def test_two_local_worker_processes(baseline):
    result = hedgelab.sweep("perp-hedge", GRID, cluster="local-processes:2", chunk_size=3, **WINDOW)
    assert_identical(result, baseline)


def test_real_scheduler_and_two_worker_processes(baseline, real_cluster):
    result = hedgelab.sweep("perp-hedge", GRID, cluster=real_cluster.address, chunk_size=4, **WINDOW)
    assert_identical(result, baseline)


def test_summary_mode_on_a_scheduler_file_matches_in_process(real_cluster, tmp_path):
    grid = {"hedge_ratio": [0.0, 0.5, 1.0], "leverage": [1, 3, 10, 20]}
    here = hedgelab.sweep("perp-hedge", grid, summary_only=True, **WINDOW)
    there = hedgelab.sweep("perp-hedge", grid, summary_only=True, cluster=str(real_cluster.scheduler_file),
                           chunk_size=5, rows=tmp_path / "rows", **WINDOW)
    assert len(here.summary) == 12 and here.equity.empty
    pd.testing.assert_frame_equal(there.summary, here.summary, check_exact=True)
    # the rows streamed to parquet are the same numbers, in sweep order
    rows = pd.read_parquet(tmp_path / "rows").sort_values("position")
    by_run = here.summary.set_index("run")
    assert rows["position"].tolist() == list(range(12))
    assert rows["final_equity"].tolist() == by_run.loc[rows["run"], "final_equity"].tolist()


HALF_HOLD = (Path(__file__).parents[1] / "golden" / "plugins" / "half_hold.py").read_text()  # one copy of the plugin


def test_plugin_from_strategies_dir_runs_on_the_workers(real_cluster, tmp_path):
    (tmp_path / "half_hold.py").write_text(HALF_HOLD)
    grid = {"share": [0.2, 0.5, 0.8]}
    here = hedgelab.sweep("half-hold", grid, strategies_dir=tmp_path, **WINDOW)
    there = hedgelab.sweep("half-hold", grid, strategies_dir=tmp_path, cluster=real_cluster.address, **WINDOW)
    assert here.summary["final_equity"].nunique() == 3
    assert_identical(there, here)


def test_plugin_missing_on_a_worker_is_one_line_naming_it(real_cluster, tmp_path, monkeypatch):
    # a relative folder: found from the driver's working directory, not from the workers'
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "half_hold.py").write_text(HALF_HOLD)
    monkeypatch.chdir(tmp_path)
    result = hedgelab.sweep("half-hold", {"share": [0.2, 0.5]}, strategies_dir="plugins",
                            cluster=real_cluster.address, **WINDOW)
    reason = result.failures["half-hold"]
    assert "\n" not in reason
    assert reason.startswith("worker tcp://127.0.0.1:") and "half-hold" in reason, reason
