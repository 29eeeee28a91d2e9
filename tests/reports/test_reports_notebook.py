"""``Result.plot()`` in a notebook (reports/notebook.py): one Figure on one time axis with equity,
drawdown, spot, perp and each option leg, liquidation and ADL marks at their events' times; and
``plot("heatmap", x=, y=)``: the summary's figures pivoted over two parameters."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError

PLUGINS = Path(__file__).parents[1] / "strategies" / "fixtures"   # put_spread.py: two option legs
CRASH = {"start": "2025-10-08", "end": "2025-10-12"}               # the Oct 10 crash
PANELS = ["equity (USD)", "drawdown from the running peak (%)", "spot held (BTC)", "perp position (BTC, + long)",
          "option legs (BTC per contract, + long)"]


@pytest.fixture(scope="module")
def compared():
    return hedgelab.compare(["leveraged-long", "perp-hedge", "put-spread"], strategies_dir=PLUGINS, quiet=True,
                            **CRASH)


@pytest.fixture(scope="module")
def swept():
    return hedgelab.sweep("perp-hedge", {"hedge_ratio": [0.25, 0.5, 1.0], "leverage": [2, 5]}, quiet=True, **CRASH)


def panel_of(fig):
    """yaxis name -> the panel's title (make_subplots titles the rows in order)."""
    return {f"y{k + 1}" if k else "y": a.text for k, a in enumerate(fig.layout.annotations)}


def test_one_figure_with_a_panel_per_instrument_on_bar_closes(compared):
    import plotly.graph_objects as go
    fig = compared.plot()
    assert isinstance(fig, go.Figure)   # a notebook draws a Figure (a dict shows as text)
    assert [a.text for a in fig.layout.annotations] == PANELS
    panels = panel_of(fig)
    lines = [t for t in fig.data if t.mode == "lines"]
    runs = list(compared.equity.columns)
    for run in runs:
        mine = [panels[t.yaxis] for t in lines if t.name == run]
        assert mine == PANELS[:4], run       # equity, drawdown, spot and perp: one line each per run
    # one time axis: the bar closes (a bar's values are known at its close), hourly bars
    closes = compared.equity.index + pd.Timedelta(hours=1)
    assert all(list(t.x) == list(closes) for t in lines)
    assert pd.Timestamp(lines[0].x[0]) == pd.Timestamp("2025-10-08 01:00", tz="UTC")
    # shared: every panel's x axis follows the bottom one (zooming one zooms all)
    assert [fig.layout[f"xaxis{k}" if k > 1 else "xaxis"].matches for k in range(1, 6)] == ["x5"] * 4 + [None]


def test_each_option_leg_is_its_own_line_with_the_quantity_of_its_fills(compared):
    fig = compared.plot()
    ev = compared.events
    fills = ev[(ev["run"] == "put-spread") & (ev["kind"] == "option_fill")]
    # every contract the spread traded, by its fills in events.csv (none expires before the window ends)
    assert fills["expiry"].min() > pd.Timestamp(CRASH["end"], tz="UTC") + pd.Timedelta(days=1)
    held = fills.groupby(["option_type", "strike", "expiry"])["qty"].sum()
    legs = {t.name: t for t in fig.data if panel_of(fig)[t.yaxis] == PANELS[4]}
    assert sorted(legs) == sorted(f"put-spread: {k} {s:,.0f} {e:%Y-%m-%d}" for k, s, e in held.index)
    assert len(legs) == 2 and sorted(np.sign(held)) == [-1.0, 1.0]   # a long and a short put: not netted
    for (k, s, e), qty in held.items():
        line = legs[f"put-spread: {k} {s:,.0f} {e:%Y-%m-%d}"]
        assert line.y[-1] == pytest.approx(qty, rel=1e-12)
        opened = fills[fills["strike"] == s]["time"].min()   # stamped at the close of the bar that bought it
        x = pd.DatetimeIndex(line.x)
        assert np.isnan(np.asarray(line.y, dtype=float)[x < opened]).all()
        assert np.isfinite(np.asarray(line.y, dtype=float)[x >= opened]).all()


def test_liquidations_are_marked_at_their_event_times_on_the_equity(compared):
    fig = compared.plot()
    ev = compared.events
    liq = ev[ev["kind"] == "liquidation"]
    assert set(liq["run"]) == {"leveraged-long"}   # the 10x long does not survive the crash
    marks = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in marks] == ["leveraged-long: liquidated"] and marks[0].yaxis == "y"
    assert list(pd.DatetimeIndex(marks[0].x)) == list(liq["time"])
    # on the equity line: the close at or before the event (a liquidation keeps its bar's open stamp)
    equity = compared.equity["leveraged-long"]
    for t, y in zip(liq["time"], marks[0].y):
        assert y == equity[equity.index + pd.Timedelta(hours=1) <= t].iloc[-1]


def test_adl_closes_are_marked_too():
    res = hedgelab.run("perp-hedge", venue="hyperliquid", adl="worst", quiet=True, **CRASH)
    adl = res.events[res.events["kind"] == "adl"]
    assert len(adl) >= 1   # the embedded data carries Hyperliquid's Oct 10 ADL events
    marks = [t for t in res.plot().data if t.mode == "markers" and t.meta == "adl"]
    assert len(marks) == 1 and list(pd.DatetimeIndex(marks[0].x)) == list(adl["time"])


def test_heatmap_is_the_summary_pivoted_with_its_unit(swept):
    import plotly.graph_objects as go
    s = swept.summary
    for metric, unit in (("total_return", "% of capital"), ("hedge_cost_usd", "USD paid")):
        fig = swept.plot("heatmap", x="hedge_ratio", y="leverage", metric=metric)
        assert isinstance(fig, go.Figure)
        shown = next(t for t in fig.data if t.visible)
        expected = s.pivot(index="leverage", columns="hedge_ratio", values=metric).sort_index().sort_index(axis=1)
        assert list(shown.x) == ["0.25", "0.5", "1"] and list(shown.y) == ["2", "5"]
        assert np.array(shown.z, dtype=float) == pytest.approx(expected.to_numpy(), rel=1e-12)
        assert fig.layout.title.text.startswith(f"{metric} ({unit}")
    # the axes swapped: the transpose
    fig = swept.plot("heatmap", x="leverage", y="hedge_ratio")
    expected = s.pivot(index="hedge_ratio", columns="leverage", values="total_return").sort_index().sort_index(axis=1)
    assert np.array(fig.data[0].z, dtype=float) == pytest.approx(expected.to_numpy(), rel=1e-12)


def test_bad_names_are_errors_naming_the_allowed_ones(swept):
    with pytest.raises(UserError, match=r"'lev' is not a parameter .*parameters: hedge_ratio, leverage,"):
        swept.plot("heatmap", x="hedge_ratio", y="lev")
    with pytest.raises(UserError, match=r"'return' is not a summary figure; metrics: final_equity, total_return"):
        swept.plot("heatmap", x="hedge_ratio", y="leverage", metric="return")
    with pytest.raises(UserError, match=r"figures: 'runs', 'heatmap'"):
        swept.plot("surface")
    with pytest.raises(UserError, match=r"give y=NAME"):
        hedgelab.run("perp-hedge", quiet=True, **CRASH).plot("heatmap", x="hedge_ratio")


def test_a_summary_mode_sweep_has_its_heatmap_on_the_sweeps_axes_and_no_curves():
    res = hedgelab.sweep("perp-hedge", {"hedge_ratio": [0.25, 0.5], "leverage": [2, 5]}, summary_only=True,
                         quiet=True, **CRASH)
    fig = res.plot("heatmap")   # x and y: the sweep's own axes, in grid order
    expected = res.summary.pivot(index="leverage", columns="hedge_ratio", values="total_return")
    assert np.array(fig.data[0].z, dtype=float) == pytest.approx(expected.sort_index().sort_index(axis=1).to_numpy(),
                                                                  rel=1e-12)
    with pytest.raises(UserError, match=r"kept no curves.*plot\('heatmap'"):
        res.plot()
