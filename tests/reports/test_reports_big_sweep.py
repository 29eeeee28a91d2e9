"""A big sweep's page stays readable: its ranking lists the best RANKING_ROWS runs and says how many more
(with the liquidated among them) are only in summary.csv, a fine grid axis is binned on the heatmap (each
cell the mean of its runs, computed here independently), summary-only runs that were liquidated are
counted though their events are not kept, and their hedge cost is shown, not called "no hedge"."""
import re

import numpy as np
import pytest
import pandas as pd

from hedgelab.reports import write_report
from hedgelab.reports.charts import HEATMAP_MAX_CELLS, heatmap_figure
from hedgelab.reports.run import SummaryRuns
from hedgelab.reports.sections import RANKING_ROWS
from hedgelab.reports.summary import summary_frame

from .conftest import MANIFEST

N_X, N_Y = 300, 3          # 900 runs: more than the page's ranking rows, more x values than heatmap cells
CAPITAL = 100_000.0


def summary_only_runs() -> SummaryRuns:
    """Runs as a summary-mode sweep gives them: by column, no curves, no events. Runs with x > 0.9 were
    liquidated; final equity rises with x and y so the ranking and the cell means are known."""
    xs = [k / (N_X - 1) for k in range(N_X)]
    params = [{"ratio": x, "lev": float(y)} for x in xs for y in (2, 5, 10)[:N_Y]]
    labels = [f"s(ratio={p['ratio']:.6g},lev={p['lev']:g})" for p in params]
    runs = SummaryRuns("s", CAPITAL, labels, params)
    names = ("final_equity", "liquidations", "funding_pnl", "fees", "option_pnl", "max_drawdown")
    ratio = np.array([p["ratio"] for p in params])
    lev = np.array([p["lev"] for p in params])
    liq = (ratio > 0.9).astype(float)
    final = np.where(liq > 0, 10.0, CAPITAL * (1 + 0.1 * ratio + 0.001 * lev))
    values = np.column_stack([final, liq, -3.0 * ratio, 7.0 + lev, np.zeros(len(params)), -0.2 * (1 - ratio)])
    runs.fill(range(len(params)), names, values)
    return runs


def test_ranking_lists_the_best_runs_and_counts_the_rest(tmp_path):
    runs = summary_only_runs()
    files = write_report(runs, tmp_path, manifest=MANIFEST, progress=False, max_tearsheets=0,
                         heatmap={"x": "ratio", "y": "lev", "metric": "total_return"})
    page = files.report.read_text(encoding="utf-8")
    ranking = page[page.index("<section id='ranking'>"):]
    ranking = ranking[: ranking.index("</section>")]
    assert len(re.findall(r"<tr class='(?:ok|liq|failed)'>", ranking)) == RANKING_ROWS
    liquidated = int(sum(p["ratio"] > 0.9 for p in runs.params))
    rest = N_X * N_Y - RANKING_ROWS
    # survivors rank first, so every liquidated run is among the rest
    assert f"The {RANKING_ROWS:,} best-ranked of {N_X * N_Y:,} runs are listed" in ranking
    assert f"({liquidated:,} liquidated and 0 failed among the rest)" in ranking and rest >= liquidated
    assert len(pd.read_csv(files.summary_csv)) == N_X * N_Y
    # the liquidations section counts them instead of saying nobody was liquidated
    assert f"{liquidated:,} more runs were liquidated" in page and "No run was liquidated" not in page
    # positions are not kept, so the hedge cost is shown (fees - funding), not called "no hedge"
    best = runs.params.index(max(runs.params, key=lambda p: (p["ratio"] <= 0.9, p["ratio"], p["lev"])))
    cost = 7.0 + runs.params[best]["lev"] + 3.0 * runs.params[best]["ratio"]
    first = ranking[ranking.index("<tr class='ok'>"):]
    first = first[: first.index("</tr>")]
    assert ">no hedge</span>" not in first and f"<b>+{cost:,.0f}</b>" in first   # USD paid, signed


def test_a_fine_axis_is_binned_and_each_cell_is_its_runs_mean():
    runs = summary_only_runs()
    summary = summary_frame(runs)
    fig = heatmap_figure(runs, summary, {"x": "ratio", "y": "lev", "metric": "total_return"})
    z = np.array(fig["data"][0]["z"], dtype=float)
    assert z.shape == (N_Y, HEATMAP_MAX_CELLS)
    xs = sorted({p["ratio"] for p in runs.params})
    bins = np.array_split(np.array(xs), HEATMAP_MAX_CELLS)   # consecutive values, as even as possible
    assert fig["data"][0]["x"][0] == f"0–{bins[0][-1]:.10g}" and fig["data"][0]["x"][-1].endswith("–1")
    ret = {(p["ratio"], p["lev"]): f / CAPITAL - 1 for p, f in zip(runs.params, runs.stats("final_equity"))}
    for j, b in enumerate(bins):
        for i, lev in enumerate((2.0, 5.0, 10.0)):
            assert z[i, j] == pytest.approx(np.mean([ret[(x, lev)] for x in b]), rel=1e-12)
    assert f"ratio: {N_X:,} values in {HEATMAP_MAX_CELLS} bins" in fig["layout"]["title"]["text"]
