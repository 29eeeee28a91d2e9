"""Summary rows stream to a parquet folder chunk by chunk; --resume reads finished chunks back and
recomputes only the missing ones; a folder from another sweep is refused."""
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError
from hedgelab.scale import sweep as sweep_module

from testkit import cli as h

WINDOW = dict(start="2025-10-08", end="2025-10-12", quiet=True)
GRID = {"hedge_ratio": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], "leverage": [2, 5]}   # 12 columns, 4 chunks of 3


def counted(monkeypatch):
    calls = []
    real = sweep_module.run_chunk

    def run_chunk(job):
        calls.append(job.chunk)
        return real(job)
    monkeypatch.setattr(sweep_module, "run_chunk", run_chunk)
    return calls


def test_resume_recomputes_only_missing_chunks(tmp_path, monkeypatch):
    rows = tmp_path / "rows"
    first = hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=3, rows=rows, **WINDOW)
    parts = sorted(rows.glob("chunk-*.parquet"))
    assert [p.name for p in parts] == [f"chunk-{k:07d}.parquet" for k in range(4)]
    # a crash after chunks 0 and 2: chunks 1 and 3 never reached the disk
    parts[1].unlink()
    parts[3].unlink()
    calls = counted(monkeypatch)
    again = hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=3, rows=rows, resume=True, **WINDOW)
    assert calls == [1, 3]
    pd.testing.assert_frame_equal(again.summary, first.summary, check_exact=True)


def test_rows_of_an_earlier_sweep_need_resume(tmp_path):
    rows = tmp_path / "rows"
    hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=3, rows=rows, **WINDOW)
    with pytest.raises(UserError, match="--resume"):
        hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=3, rows=rows, **WINDOW)
    with pytest.raises(UserError, match="different sweep"):
        hedgelab.sweep("perp-hedge", dict(GRID, leverage=[2, 6]), summary_only=True, rows=rows, resume=True,
                       **WINDOW)


def test_resume_keeps_the_first_runs_chunk_plan(tmp_path, monkeypatch):
    rows = tmp_path / "rows"
    first = hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=3, rows=rows, **WINDOW)
    calls = counted(monkeypatch)
    again = hedgelab.sweep("perp-hedge", GRID, summary_only=True, chunk_size=5, rows=rows, resume=True, **WINDOW)
    assert calls == []   # every chunk of the 3-column plan was found; none recomputed
    pd.testing.assert_frame_equal(again.summary, first.summary, check_exact=True)


def test_cli_resume_needs_out(capsys):
    rc, _, err = h.invoke(["sweep", "perp-hedge", "-g", "hedge_ratio=0,1", "--resume"], capsys)
    assert rc == 2 and err.strip() == "error: --resume: give the --out of the interrupted sweep"
