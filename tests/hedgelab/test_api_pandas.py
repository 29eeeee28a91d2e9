"""The notebook API, pandas-native: summary indexed by run with parameter columns, per-bar frames,
trace, raise_on_failure, plot(), sweeps over the declared grids and numpy grid values, and messages
worded for the API (issue 10)."""
import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.cli import main
from hedgelab.core.errors import UserError
from hedgelab.strategies import get_strategy

RANGE = {"start": "2025-10-08", "end": "2025-10-11"}


@pytest.fixture(scope="module")
def swept():
    return hedgelab.sweep("perp-hedge", {"hedge_ratio": np.array([0.25, 0.5])}, **RANGE)


def test_summary_is_indexed_by_run_with_one_column_per_parameter(swept):
    s = swept.summary
    assert list(s.index) == list(s["run"]) and s.index.name == "name"
    assert sorted(s["hedge_ratio"]) == [0.25, 0.5]           # numpy values arrive as plain numbers
    assert s["hedge_ratio"].dtype == np.float64
    assert "params" in s.columns                              # the JSON column stays, as in summary.csv


def test_per_bar_frames_agree_with_the_accounting_identity(swept):
    # isolated perp hedge: equity = cash + spot * index + isolated margin + upnl, so with the margin
    # unknown here we check what is exact: frames share the equity's index and runs, and the
    # position is the sum of the perp fills in events.csv.
    eq = swept.equity
    for frame in (swept.position, swept.spot, swept.cash, swept.liq_price, swept.option_value):
        assert list(frame.columns) == list(eq.columns) and frame.index.equals(eq.index)
    ev = swept.events
    for run in eq.columns:
        fills = ev[(ev["run"] == run) & (ev["instrument"] == "perp") & (ev["kind"].isin(["fill", "liquidation"]))]
        assert swept.position[run].iloc[-1] == pytest.approx(fills["qty"].sum(), abs=1e-9)
    assert (swept.option_value == 0).all().all()


def test_plot_returns_one_figure_a_notebook_draws(swept):
    # a notebook shows a dict as text: plot() gives one Figure, a panel per figure on one time axis
    # (no options traded: no option panel; tests/reports/test_reports_notebook.py has the rest)
    import plotly.graph_objects as go
    fig = swept.plot()
    assert isinstance(fig, go.Figure)
    runs = list(swept.equity.columns)
    by_panel = {}
    for t in fig.data:
        by_panel.setdefault(t.yaxis, []).append(t.name)
    assert list(by_panel.values()) == [runs, runs, runs, runs]   # equity, drawdown, spot, perp: a line per run
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["equity (USD)", "drawdown from the running peak (%)", "spot held (BTC)",
                      "perp position (BTC, + long)"]
    equity = [t for t in fig.data if t.yaxis == "y"]
    assert list(equity[0].y) == swept.equity[runs[0]].tolist()


def test_sweep_without_a_grid_sweeps_the_declared_grids():
    cls = get_strategy("perp-hedge")
    grid = cls.default_grid()
    assert grid, "perp-hedge declares grids"
    res = hedgelab.sweep("perp-hedge", summary_only=True, **RANGE)
    assert len(res.summary) == int(np.prod([len(v) for v in grid.values()]))
    for name, values in grid.items():
        assert sorted(set(res.summary[name])) == sorted(values)


def test_range_values_and_raise_on_failure():
    res = hedgelab.sweep("leveraged-long", {"leverage": range(2, 4)}, summary_only=True, **RANGE)
    assert sorted(res.summary["leverage"]) == [2, 3]
    with pytest.raises(UserError, match=r"^no-such-strategy|unknown strategy"):
        hedgelab.run("no-such-strategy", raise_on_failure=True, **RANGE)


def test_api_messages_do_not_name_cli_flags(swept, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("taken")
    with pytest.raises(UserError) as info:
        swept.write(tmp_path / "x")
    assert "--out" not in str(info.value) and "out_dir" in str(info.value)


def test_trace_records_every_decision_and_matches_the_kernel(tmp_path):
    res = hedgelab.run("perp-hedge", trace=True, **RANGE)
    tr = res.trace
    assert tr is not None and len(tr) > 0
    assert {"state.equity", "state.perp_qty", "intent.target_perp", "perp_filled", "events"} <= set(tr.columns)
    run = res.equity.columns[0]
    # the position the hook sees at its next decision is what the kernel recorded after this one
    pos = res.position[run]
    for _, b in tr.iloc[1:].iterrows():
        assert b["state.perp_qty"] == pytest.approx(pos.iloc[int(b["bar"]) - 1], abs=1e-12)
    assert tr["perp_filled"].sum() == pytest.approx(pos.iloc[-1], abs=1e-9)
    # and the CLI writes the same trace as parquet
    out = tmp_path / "trace.parquet"
    rc = _cli(["run", "perp-hedge", "--start", RANGE["start"], "--end", RANGE["end"], "--quiet",
               "--out", str(tmp_path / "r"), "--trace", str(out)])
    assert rc == 0
    written = pd.read_parquet(out)
    assert len(written) == len(tr)
    np.testing.assert_allclose(written["state.equity"], tr["state.equity"], rtol=0, atol=0)


def _cli(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code
