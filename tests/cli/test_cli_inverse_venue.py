"""Backtests on an inverse (coin-margined) venue run in isolated margin; cross is a user error."""
import pandas as pd
from click.testing import CliRunner

from hedgelab.cli import _register, cli


def _invoke(args):
    _register()
    return CliRunner().invoke(cli, args, standalone_mode=False, catch_exceptions=True)


def test_inverse_venue_runs_isolated(tmp_path):
    out = tmp_path / "out"
    res = _invoke(["run", "leveraged-long", "-p", "leverage=5", "--venue", "deribit", "--start", "2025-10-01",
                   "--end", "2025-10-15", "--out", str(out), "--tearsheets", "0", "--quiet"])
    assert res.exception is None, res.output
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "strategy"] == "leveraged-long"
    events = pd.read_csv(out / "events.csv")
    # a 5x inverse long opened Oct 1 near 114k has its liquidation price near 114k x 5/6 = 95k,
    # below the Oct 10 low of 102k (an anchor of crisis-2025): it survives the window
    assert not (events["kind"] == "liquidation").any()
    assert (events["kind"] == "funding").any()


def test_inverse_venue_refuses_cross_margin(tmp_path):
    res = _invoke(["run", "leveraged-long", "--venue", "deribit", "--margin-mode", "cross",
                   "--out", str(tmp_path / "out"), "--quiet"])
    assert "isolated margin only" in str(res.exception)
    assert not (tmp_path / "out").exists()
