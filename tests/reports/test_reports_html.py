"""The report files on disk: presence, CSV contracts, escaping, data statement, atomic writes, heatmap."""
import html
import re

import pandas as pd
import pytest

from hedgelab.core.errors import UserError
from hedgelab.reports import RunRecord, write_report
from hedgelab.reports.html import safe_names
from hedgelab.reports.run import EVENT_COLUMNS
from hedgelab.reports.tearsheet import write_tearsheet

from .conftest import EVIL, MANIFEST, sweep_runs, synthetic_runs


def test_files_are_written_and_no_temp_folder_is_left(report):
    out = report.out_dir
    assert {p.name for p in out.iterdir()} == {"report.html", "summary.csv", "events.csv", "tearsheets"}
    names = {p.name for p in (out / "tearsheets").iterdir()}
    # max_tearsheets=2: the two best-ranked runs plus their benchmark, hold
    assert names == {"protective-put.html", "perp-hedge.html", "hold.html"}
    page = report.report.read_text(encoding="utf-8")
    assert "href='tearsheets/perp-hedge.html'" in page and "href='tearsheets/leveraged-long.html'" not in page


def test_summary_csv_matches_the_summary(report):
    s = pd.read_csv(report.summary_csv)
    assert list(s["run"]) == list(report.summary["run"])
    assert s.set_index("run").loc["perp-hedge", "fees_paid_usd"] == pytest.approx(25.0)


def test_events_csv_has_the_contract_columns_and_every_run(report):
    ev = pd.read_csv(report.events_csv)
    assert list(ev.columns[: len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    # conftest events: hold 1, leveraged-long 2, perp-hedge 3, protective-put 3; the others none
    assert ev.groupby("run").size().to_dict() == {"hold": 1, "leveraged-long": 2, "perp-hedge": 3, "protective-put": 3}
    assert set(ev.loc[ev["run"] == "perp-hedge", "strategy"]) == {"perp-hedge"}  # filled in from the run
    assert ev["time"].iloc[0] == "2025-10-01T00:00:00Z"  # first bar of the synthetic runs, UTC
    assert ev.loc[ev["kind"] == "funding", "amount"].sum() == pytest.approx(10.0)


def test_user_strings_are_escaped(report):
    page = report.report.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert html.escape(EVIL) in page                        # the ranking table shows it literally
    assert "Crash &lt;test&gt; &amp; co" in page            # title
    assert "test &lt;b&gt;anchor&lt;/b&gt;" in page         # manifest anchor source
    assert "no module named &lt;foo&gt;" in page            # failure reason
    assert "liquidation at mark &lt;= bankruptcy" in page  # assumption
    assert "late &lt;dip&gt;" not in page or "late <dip>" not in page


def test_page_states_its_data_and_is_self_contained(report):
    page = report.report.read_text(encoding="utf-8")
    assert "Reconstruction, not recorded market data" in page
    assert "crash low" in page and "binance" in page and "BTCUSDT" in page
    assert "last print carried forward" in page                 # iv_fill rule
    assert "mark = traded close &lt;proxy&gt;" in page           # proxies
    assert page.count("class='chart-spec'") >= 4                 # equity, drawdown, margin, distance, ...
    # nothing is fetched: no <script src>, <link href> or CSS url() pointing anywhere
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert 'data-run-traces=\'5\'' in page                       # five runs with equity on the equity chart


def test_real_data_is_labelled_as_recorded(tmp_path):
    runs = synthetic_runs(days=3)[:1]
    write_report(runs, tmp_path, manifest={**MANIFEST, "kind": "real", "anchors": []}, progress=False,
                 max_tearsheets=0)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Recorded market data" in page and "Reconstruction" not in page


def test_worst_days_are_highlighted_without_crash_windows(tmp_path):
    runs = synthetic_runs(days=20)[:2]
    write_report(runs, tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    # the synthetic crash (-15% on Oct 10) is the worst day of the hold run
    assert "worst UTC days of the hold run" in page
    assert re.search(r"worst day -1[4-9]\.\d%", page)


def test_tearsheet_is_offline_and_uses_365_days(report):
    page = report.tearsheets["perp-hedge"].read_text(encoding="utf-8")
    assert "Periods/Year: 365" in page
    assert "Benchmark: HOLD" in page
    assert 'onload="save()"' not in page
    assert not re.search(r"<(script|img|link)[^>]+(src|href)=[\"']https?:", page)


def test_a_flat_run_gets_a_tearsheet(tmp_path):
    runs = synthetic_runs(days=10)
    flat = RunRecord("cash", "cash", {}, pd.Series(100_000.0, runs[0].equity.index), None)
    assert write_tearsheet(flat, runs[0], tmp_path / "cash.html") is None
    assert "Periods/Year: 365" in (tmp_path / "cash.html").read_text(encoding="utf-8")


def test_a_failed_write_leaves_the_previous_report_untouched(tmp_path, monkeypatch):
    (tmp_path / "report.html").write_text("old")
    import hedgelab.reports.html as rh

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(rh, "render_page", boom)
    with pytest.raises(RuntimeError):
        write_report(synthetic_runs(days=2)[:2], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert (tmp_path / "report.html").read_text() == "old"


def test_sweep_heatmap_marks_the_liquidated_cell(tmp_path):
    write_report(sweep_runs(), tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                 heatmap={"x": "lev", "y": "ratio", "metric": "total_return"})
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "id='heatmap'" in page
    from hedgelab.reports.charts import heatmap_figure
    from hedgelab.reports.summary import summary_frame
    runs = sweep_runs()
    fig = heatmap_figure(runs, summary_frame(runs), {"x": "lev", "y": "ratio", "metric": "total_return"})
    text = fig["data"][0]["text"]
    cells = {(y, x): text[i][j] for i, y in enumerate(fig["data"][0]["y"]) for j, x in enumerate(fig["data"][0]["x"])}
    # the only liquidated run is lev=10, ratio=0.25: its cell alone carries the mark, before its value
    assert [k for k, t in cells.items() if t.startswith("✕ ")] == [("0.25", "10")]
    assert "✕ = liquidated" in fig["layout"]["title"]["text"]
    assert "\\u2715 = liquidated" in page or "✕ = liquidated" in page   # the chart's JSON on the page


@pytest.mark.parametrize("spec, word", [({"x": "lev", "y": "nope"}, "nope"),
                                        ({"x": "lev", "y": "ratio", "metric": "colour"}, "colour")])
def test_bad_heatmap_is_a_user_error_and_writes_nothing(tmp_path, spec, word):
    with pytest.raises(UserError, match=word):
        write_report(sweep_runs(), tmp_path, manifest=MANIFEST, progress=False, heatmap=spec)
    assert list(tmp_path.iterdir()) == []


def test_safe_names_are_unique_file_stems():
    assert safe_names(["perp-hedge", "Perp Hedge", "../../etc", EVIL]) == [
        "perp-hedge", "perp-hedge-2", "etc", "script-alert-1-script-x"]


def test_repeated_run_names_are_kept_apart(tmp_path):
    a, b = synthetic_runs(days=2)[:2]
    b = RunRecord("hold", "leveraged-long", {"leverage": 3}, b.equity, b.events)
    files = write_report([a, b], tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0)
    assert sorted(files.summary["run"]) == ["hold", "hold #2"]
    assert sorted(pd.read_csv(files.events_csv)["run"].unique()) == ["hold", "hold #2"]


def test_sweep_with_summary_only_runs_and_a_failed_strategy(tmp_path):
    runs = [RunRecord(r.name, r.strategy, r.params, stats={"final_equity": float(r.equity.iloc[-1]),
                                                           "liquidations": 0 if r.events is None else 1})
            for r in sweep_runs()]
    runs.append(RunRecord("other", "other", {}, error="ValueError: bad"))  # no params: left off the heatmap
    files = write_report(runs, tmp_path, manifest=MANIFEST, progress=False,
                         heatmap={"x": "lev", "y": "ratio", "metric": "total_return"})
    page = files.report.read_text(encoding="utf-8")
    assert "id='heatmap'" in page and "No run produced an equity curve" in page
    assert not (tmp_path / "tearsheets").exists() or not any((tmp_path / "tearsheets").iterdir())
    assert files.summary["survived"].sum() == 5 and files.summary["run"].iloc[-1] == "other"


def test_big_comparisons_chart_only_the_best_ranked_curves(tmp_path):
    runs = synthetic_runs(days=2)[:4]   # hold, leveraged-long (liquidated: ranked last), perp-hedge, put
    files = write_report(runs, tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0, max_curves=2)
    page = files.report.read_text(encoding="utf-8")
    assert "data-run-traces='2'" in page and "the 2 best-ranked of 4 runs are charted" in page


def test_heatmap_axes_are_in_numeric_order():
    import numpy as np

    from hedgelab.reports.charts import heatmap_figure
    from hedgelab.reports.summary import summary_frame
    runs = sweep_runs()
    for r in runs:   # parameters as numpy scalars, as a grid built with numpy gives them
        r.params = {"lev": np.int64(r.params["lev"]), "ratio": np.float64(r.params["ratio"])}
    fig = heatmap_figure(runs, summary_frame(runs), {"x": "lev", "y": "ratio", "metric": "total_return"})
    assert fig["data"][0]["x"] == ["2", "5", "10"] and fig["data"][0]["y"] == ["0.25", "0.5"]
    assert fig["layout"]["xaxis"]["categoryarray"] == ["2", "5", "10"]


@pytest.mark.parametrize("runs", [[], [RunRecord("a", "a", {}, error="boom"), RunRecord("b", "b", {}, error="bang")]],
                         ids=["no-runs", "all-failed"])
def test_a_report_without_any_curve_is_still_written(tmp_path, runs):
    files = write_report(runs, tmp_path, manifest=MANIFEST, progress=False)
    page = files.report.read_text(encoding="utf-8")
    assert "No run produced an equity curve" in page
    assert len(pd.read_csv(files.summary_csv)) == len(runs)
    assert list(pd.read_csv(files.events_csv).columns) == EVENT_COLUMNS + ["run"]


def test_long_curves_share_one_thinned_axis_and_keep_their_crash():
    from hedgelab.reports.charts import MAX_POINTS, Axis
    idx = pd.date_range("2025-09-01", periods=131_040, freq="min", tz="UTC")   # 91 days of 1-minute bars
    eq = pd.Series(100_000.0, idx)
    eq.iloc[77_777] = 1_234.0                                                   # a one-minute wick
    axis = Axis([idx, idx])
    thin = axis.values(eq)
    # one point per block of `step` bars on the shared axis, each the block's lowest value
    assert len(thin) == len(axis.times) <= MAX_POINTS and axis.step == 27
    assert thin.min() == 1_234.0 and axis.times[0] == idx[0]
    assert axis.ms()[1] - axis.ms()[0] == 27 * 60_000


def test_a_quantstats_failure_gives_a_plain_page_not_a_crash(tmp_path, monkeypatch):
    import quantstats

    def broken(*a, **k):
        raise ZeroDivisionError("float division by zero")
    monkeypatch.setattr(quantstats.reports, "metrics", broken)
    runs = synthetic_runs(days=3)
    reason = write_tearsheet(runs[2], runs[0], tmp_path / "t.html")
    assert reason == "quantstats failed: ZeroDivisionError: float division by zero"
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "No quantstats tearsheet for this run" in page and "float division by zero" in page


def _daily(closes, first):
    """An hourly curve whose first bar is ``first`` and whose UTC days close at ``closes``."""
    idx = pd.date_range("2025-10-01", periods=24 * len(closes), freq="h", tz="UTC")
    eq = pd.Series(sum(([c] * 24 for c in closes), []), idx, dtype="float64")
    eq.iloc[0] = first  # quantstats drops leading zero returns: make the first day move
    return eq


def test_report_and_tearsheet_say_which_drawdown_they_show(tmp_path):
    eq = _daily([100_000, 100_000, 90_000, 95_000], first=99_000)
    eq.iloc[24 + 6: 24 + 18] = 60_000.0  # a 40% fall inside day 2, over by its close
    dip = RunRecord("dip", "dip", {}, eq, None)
    hold = RunRecord("hold", "hold", {}, _daily([100_000, 95_000, 97_000, 98_000], first=99_000), None)
    files = write_report([hold, dip], tmp_path, manifest=MANIFEST, progress=False)
    # bar by bar: 60k / 100k - 1 = -40%; at the daily closes (100k, 100k, 90k, 95k): 90k / 100k - 1 = -10%
    assert files.summary.set_index("run").loc["dip", "max_drawdown"] == pytest.approx(-0.40)
    page = files.report.read_text(encoding="utf-8")
    assert "max drawdown (1h)" in page
    note = re.search(r"<p class='note' id='drawdown-resolution'>(.*?)</p>", page).group(1)
    assert "1h equity curve" in note and "daily returns" in note and "summary.csv" in note
    sheet = files.tearsheets["dip"].read_text(encoding="utf-8")
    tnote = re.search(r'<p id="hedgelab-resolution"[^>]*>(.*?)</p>', sheet).group(1)
    assert "daily closes: <b>-10.0%</b>" in tnote and "full 1h equity curve: <b>-40.0%</b>" in tnote
    # quantstats' own figure on the same page is the daily one (its row: benchmark, then strategy)
    row = re.search(r"<td>Max Drawdown</td>((?:\s*<td>[^<]*</td>)+)", sheet).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[-1] == "-10.0%"


@pytest.mark.parametrize("venue, dataset_hours, venue_words, data_words", [
    # exchange-mechanics.md: Hyperliquid pays hourly (§3), Binance settles every 8 h (§1)
    ("hyperliquid", 8, "hyperliquid pays hourly", "this dataset's funding is 8-hourly: settled every 8 h at the 8 h rate"),
    ("binance", 1, "binance pays 8-hourly", "this dataset's funding is hourly: settled every 1 h at the 1 h rate"),
])
def test_assumptions_say_when_the_datasets_funding_interval_is_not_the_venues(tmp_path, venue, dataset_hours,
                                                                               venue_words, data_words):
    from hedgelab.engine import assumptions
    lines = assumptions(venue, at="2025-10-01", dataset_funding_hours=dataset_hours)
    files = write_report(synthetic_runs(days=2)[:1], tmp_path, manifest=dict(MANIFEST, venue=venue,
                         funding_interval_hours=dataset_hours), assumptions=lines, progress=False, max_tearsheets=0)
    page = html.unescape(files.report.read_text(encoding="utf-8"))
    shown = re.search(r"<section id='assumptions'><h2>[^<]*</h2><ul>(.*?)</ul>", page, re.S).group(1)
    line = next(li for li in re.findall(r"<li>(.*?)</li>", shown) if li.startswith("Funding interval:"))
    assert venue_words in line and data_words in line


@pytest.mark.parametrize("venue, hours", [("hyperliquid", 1), ("binance", 8), ("binance", None)])
def test_no_funding_interval_line_when_the_dataset_matches_the_venue_or_is_unknown(venue, hours):
    from hedgelab.engine import assumptions
    assert not any(a.startswith("Funding interval:")
                   for a in assumptions(venue, at="2025-10-01", dataset_funding_hours=hours))


def test_every_engine_event_kind_reaches_events_csv_and_only_its_own_metric(tmp_path):
    """Kinds are not listed in the reports: each of the engine's kinds (order_trimmed included) is written
    to events.csv as is, and a zero-amount kind moves no money metric."""
    from hedgelab.engine.nb.records import EVENT_KIND_NAMES
    run = synthetic_runs(days=2)[0]
    idx = run.equity.index
    ev = pd.DataFrame([dict(time=idx[i], strategy="", instrument="BTCUSDT-PERP", side="", kind=k, qty=0.0,
                            price=float("nan"), amount=0.0) for i, k in enumerate(EVENT_KIND_NAMES)])
    ev.loc[ev["kind"] == "fee", "amount"] = -7.0
    files = write_report([RunRecord("r", "hold", {}, run.equity, ev)], tmp_path, manifest=MANIFEST,
                         progress=False, max_tearsheets=0)
    written = pd.read_csv(files.events_csv)
    assert list(written["kind"]) == list(EVENT_KIND_NAMES)
    row = files.summary.iloc[0]
    # one liquidation row, fees 7 paid, no funding or option cash
    assert row["liquidations"] == 1 and row["fees_paid_usd"] == pytest.approx(7.0)
    assert row["funding_paid_usd"] == 0 and row["options_net_paid_usd"] == 0


def test_tearsheet_states_the_daily_drawdown_when_quantstats_leaves_it_blank(tmp_path):
    # a fall from the very first day: quantstats 0.0.86 finds no drawdown start and prints its row empty
    eq = _daily([95_000, 90_000, 93_000], first=100_000)
    run = RunRecord("down", "down", {}, eq, None)
    write_tearsheet(run, None, tmp_path / "d.html")
    sheet = (tmp_path / "d.html").read_text(encoding="utf-8")
    tnote = re.search(r'<p id="hedgelab-resolution"[^>]*>(.*?)</p>', sheet).group(1)
    # daily closes from the first value 100k: 95k, 90k, 93k -> worst 90k / 100k - 1 = -10%
    assert "daily closes: <b>-10.0%</b>" in tnote
