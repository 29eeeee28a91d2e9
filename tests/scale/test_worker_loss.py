"""A worker process killed mid-sweep: the scheduler recomputes its chunks on the other worker and the
result is bitwise equal to the in-process sweep (docs/determinism.md)."""
import os
import signal
import threading
import time

import pandas as pd

import hedgelab
from hedgelab.scale.localhost import scheduler_and_workers

WINDOW = dict(start="2025-10-01", end="2025-10-31", quiet=True)
GRID = {"hedge_ratio": [k / 19 for k in range(20)], "leverage": [2, 10]}   # 40 columns, 1 per chunk


def test_killed_worker_chunks_are_recomputed_elsewhere(tmp_path):
    expected = hedgelab.sweep("perp-hedge", GRID, summary_only=True, **WINDOW)
    env = {"NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]} if "NUMBA_CACHE_DIR" in os.environ else {}
    rows = tmp_path / "rows"
    with scheduler_and_workers(2, nanny=False, env=env) as procs:   # no nanny: the worker stays dead
        outcome = {}

        def sweep():
            try:
                outcome["result"] = hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=1,
                                                   cluster=procs.address, rows=rows, **WINDOW)
            except BaseException as exc:  # noqa: BLE001 -- re-raised in the test thread
                outcome["error"] = exc

        runner = threading.Thread(target=sweep)
        runner.start()
        deadline = time.monotonic() + 120
        while not list(rows.glob("chunk-*.parquet")) and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        done_at_kill = len(list(rows.glob("chunk-*.parquet")))
        os.kill(procs.workers[0].pid, signal.SIGKILL)
        runner.join(timeout=180)
        assert not runner.is_alive()
        assert procs.workers[0].poll() is not None          # it really died
    assert "error" not in outcome, outcome.get("error")
    assert 1 <= done_at_kill < 40                            # killed mid-sweep, not before or after
    pd.testing.assert_frame_equal(outcome["result"].summary, expected.summary, check_exact=True)
    assert len(list(rows.glob("chunk-*.parquet"))) == 40
