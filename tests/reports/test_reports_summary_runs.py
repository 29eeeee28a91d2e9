"""A summary-mode sweep keeps its runs by column (reports.run.SummaryRuns), not as a RunRecord each: its
ranking, read column-wise, must equal the row-by-row path of ``summary_frame`` over the RunRecords the
same object gives one at a time, and each record must carry the engine's own summary numbers."""
import numpy as np
import pandas as pd

import hedgelab
from hedgelab.engine import simulate
from hedgelab.reports.run import RunRecord, SummaryRuns
from hedgelab.reports.summary import summary_frame
from hedgelab.strategies import get_strategy

WINDOW = dict(start="2025-10-08", end="2025-10-12", quiet=True)
GRID = {"leverage": [2, 10, 50], "margin_fraction": [0.5, 1.0]}   # 10x and 50x longs die on Oct 10


def test_by_column_ranking_equals_the_row_by_row_one():
    res = hedgelab.sweep("leveraged-long", GRID, summary_only=True, chunk_size=2, **WINDOW)
    assert isinstance(res.runs, SummaryRuns) and len(res.runs) == 6
    records = list(res.runs)
    assert all(isinstance(r, RunRecord) and r.stats for r in records)
    fast = summary_frame(res.runs)
    pd.testing.assert_frame_equal(fast, summary_frame(records), check_exact=True)
    assert 0 < fast["survived"].sum() < 6, "the grid was meant to liquidate some runs, not all"


def test_records_hold_the_engines_summary():
    res = hedgelab.sweep("leveraged-long", GRID, summary_only=True, chunk_size=4, **WINDOW)
    cls = get_strategy("leveraged-long")
    market = hedgelab.data.align(hedgelab.data.load("crisis-2025"), WINDOW["start"], WINDOW["end"])
    sets = [dict(leverage=lev, margin_fraction=f) for lev in GRID["leverage"] for f in GRID["margin_fraction"]]
    sim = simulate(market, cls().spec(market, sets), margin_mode=cls.margin_mode, summary_only=True)
    engine = sim.summary.reset_index(drop=True)
    for k, record in enumerate(res.runs):
        assert record.params == cls.validate(sets[k])
        assert record.stats["final_equity"] == engine["final_equity"][k]
        assert record.stats["liquidations"] == engine["liquidations"][k]
        # the report's sign: a drawdown is a negative decimal
        assert record.stats["max_drawdown"] == -abs(engine["max_drawdown"][k])


def test_summary_params_follow_the_ranking():
    res = hedgelab.sweep("leveraged-long", GRID, summary_only=True, **WINDOW)
    s = res.summary
    for name, row in s.iterrows():
        record = next(r for r in res.runs if r.name == name)
        assert row["leverage"] == record.params["leverage"]
        assert row["margin_fraction"] == record.params["margin_fraction"]
        assert row["final_equity"] == record.stats["final_equity"]
    assert np.all(np.diff(s.loc[s["survived"], "final_equity"].to_numpy()) <= 0)


def test_repeated_labels_are_numbered_without_building_every_record():
    from hedgelab.reports.html import unique_names
    from hedgelab.reports.run import runs_by_name
    runs = SummaryRuns("s", 100_000.0, ["a", "b", "a", "a"], [{"k": 1}, {"k": 2}, {"k": 3}, {"k": 4}])
    runs.fill([0, 1, 2, 3], ("final_equity",), np.array([[1.0], [2.0], [3.0], [4.0]]))
    named = unique_names(runs)
    assert isinstance(named, SummaryRuns) and list(named.labels) == ["a", "b", "a #2", "a #3"]
    by_name = runs_by_name(named)
    assert by_name["a #3"].params == {"k": 4} and by_name["a #3"].stats == {"final_equity": 4.0}
    assert list(runs.labels) == ["a", "b", "a", "a"]   # the sweep's own labels are left as they were


def test_the_summary_mode_page_states_its_window_as_the_full_mode_page_does(tmp_path):
    # a summary-mode sweep keeps no curves; its page said the dataset's whole span with no bar size.
    # The window of the same sweep with curves is read from its equity curves (another route).
    import re
    texts = []
    for mode in (True, False):
        res = hedgelab.sweep("leveraged-long", GRID, summary_only=mode, **WINDOW)
        page = (res.write(tmp_path / f"summary-{mode}", tearsheets=0) / "report.html").read_text()
        texts.append(re.search(r"; window ([^;]*);", page).group(1))
    assert texts[0] == texts[1] == "2025-10-08 00:00 to 2025-10-12 23:00 UTC (1h bars, by bar open)"
