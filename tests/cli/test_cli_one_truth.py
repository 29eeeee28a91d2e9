"""One run, every output, the same figures (issue 22: hedge cost said 'no hedge' on the page, 99.9 in
summary.csv and 100 in the stress table for the same hold run).

One ``hedgelab compare --stress`` of a hedged long (perp-hedge), an option hedge (protective-put), a plain
long (hold) and a carry trade (funding-carry) over 20 days; then, run by run, the hedge cost, funding, fees
and options net, the hedge held, the group and the rank are read back from the terminal, report.html,
summary.csv, ``hedgelab.compare(...).summary`` (the API), stress.csv and each tearsheet's banner, and checked
against each other and against sums of events.csv made here (the independent computation: cost = - the
cash flow to the account of the kinds that make it).
"""
import contextlib
import io
import math
import re

import numpy as np
import pandas as pd
import pytest

import hedgelab

from testkit import cli as h

WINDOW = dict(start="2025-10-01", end="2025-10-20")
STRATEGIES = ["hold", "perp-hedge", "protective-put", "funding-carry"]
HEDGED = {"perp-hedge": "short perp", "protective-put": "options", "funding-carry": "short perp", "hold": "none"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("one-truth") / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        rc, _, _ = h.invoke(["compare", *STRATEGIES, "--start", WINDOW["start"], "--end", WINDOW["end"],
                             "--stress", "bootstrap", "--stress-paths", "8", "--out", str(out)])
    assert rc in (0, None)
    summary, events = h.read_outputs(out)
    api = hedgelab.compare(STRATEGIES, **WINDOW)
    return {"out": out, "terminal": stdout.getvalue(), "summary": summary.set_index("run"), "events": events,
            "api": api, "page": (out / "report.html").read_text(encoding="utf-8"),
            "stress": pd.read_csv(out / "stress.csv").set_index("run")}


def paid_by_events(events: pd.DataFrame, run: str) -> dict:
    """The costs of one run, summed here from events.csv (cash flow to the account, so paid = - amount)."""
    ev = events[events["run"] == run]
    kind = ev["kind"].astype(str)
    fee = (kind == "fee") | kind.str.endswith("_fee")
    funding = -ev.loc[kind == "funding", "amount"].sum()
    fees = -ev.loc[fee, "amount"].sum()
    options = -ev.loc[kind.str.startswith("option_") & ~fee, "amount"].sum()
    return {"funding_paid_usd": funding, "fees_paid_usd": fees, "options_net_paid_usd": options,
            "costs": funding + fees + options}


def test_summary_csv_costs_are_the_events_sums_and_hedge_cost_only_where_a_hedge_is_held(outputs):
    s, events = outputs["summary"], outputs["events"]
    for run, held in HEDGED.items():
        want = paid_by_events(events, run)
        row = s.loc[run]
        for col in ("funding_paid_usd", "fees_paid_usd", "options_net_paid_usd"):
            assert row[col] == pytest.approx(want[col], abs=1e-6), (run, col)
        assert row["hedge"] == held
        if held == "none":
            assert math.isnan(row["hedge_cost_usd"]) and want["fees_paid_usd"] > 0   # hold pays a fee, not a hedge
        else:
            assert row["hedge_cost_usd"] == pytest.approx(want["costs"], abs=1e-6), run


def test_the_api_gives_summary_csv_and_events_csv(outputs):
    api, s = outputs["api"], outputs["summary"]
    cols = [c for c in s.columns if c != "error"]   # None in Python, an empty cell (NaN) in the file
    got = api.summary.set_index("run")[cols]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), s[cols].reset_index(drop=True), check_dtype=False,
                                  rtol=0, atol=0)
    assert api.summary["error"].isna().all() and s["error"].isna().all()
    ev = outputs["events"]
    mine = api.events
    assert list(mine.columns) == list(ev.columns)   # reason, option_type, strike, expiry included
    assert len(mine) == len(ev) and (mine["amount"].to_numpy() == ev["amount"].to_numpy()).all()


def test_the_terminal_shows_the_summary_s_ranks_groups_and_hedge_costs(outputs):
    s, lines = outputs["summary"], outputs["terminal"].splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("market-neutral ("))
    rows = {line.split()[1]: (i, line.split()) for i, line in enumerate(lines) if line[:1].isdigit()}
    for run, row in s.iterrows():
        at, cells = rows[run]
        assert cells[0] == str(row["rank"])
        assert (at > title) == (row["group"] == "market-neutral")
        cost = "hedge" if row["hedge"] == "none" else f"{row['hedge_cost_usd']:,.0f}"
        assert cost in cells, (run, cells)
    assert s.loc["funding-carry", "group"] == "market-neutral" and s.loc["funding-carry", "rank"] == 1


def test_the_page_shows_the_summary_s_figures(outputs):
    s, page = outputs["summary"], outputs["page"]
    for run, row in s.iterrows():
        tr = re.search(rf"<td data-run='{re.escape(run)}'>(\d+)</td>(.*?)</tr>", page, re.S)
        assert tr and tr.group(1) == str(row["rank"]), run
        cells = {col: float(v) for v, col in re.findall(r"<td data-v='([^']+)' data-col='(\w+)'", tr.group(2))}
        for col in ("funding_paid_usd", "fees_paid_usd", "options_net_paid_usd"):
            assert cells[col] == row[col], (run, col)   # the exact float, not a rounding of it
        if row["hedge"] == "none":
            assert "hedge_cost_usd" not in cells and ">no hedge<" in tr.group(2)
        else:
            assert cells["hedge_cost_usd"] == row["hedge_cost_usd"]
    assert "Costs are USD paid: + = paid, - = earned" in page   # the sign convention, said on the page


def test_stress_uses_the_same_hedge_rule(outputs):
    s, st = outputs["summary"], outputs["stress"]
    for run, row in s.iterrows():
        # the stress replay is the same strategy on the same window: it holds the same hedge
        assert st.loc[run, "hedge"] == row["hedge"]
        empty = np.isnan(st.loc[run, ["hedge_cost_usd_mean", "hedge_cost_usd_median", "hedge_cost_usd_p95"]]
                         .to_numpy(dtype=float))
        assert empty.all() == (row["hedge"] == "none") and empty.any() == empty.all()
        # the replay's final equity is the backtest's, to the cent
        assert st.loc[run, "replay_final_equity"] == pytest.approx(row["final_equity"], abs=0.01)
    paths = pd.read_csv(outputs["out"] / "stress_paths.csv")
    assert paths.loc[paths["run"] == "hold", "hedge_cost_usd"].isna().all()
    assert paths.loc[paths["run"] == "perp-hedge", "hedge_cost_usd"].notna().all()


def test_each_tearsheet_banner_repeats_the_summary_row(outputs):
    s = outputs["summary"]
    for run, row in s.iterrows():
        sheet = (outputs["out"] / "tearsheets" / f"{run}.html").read_text(encoding="utf-8")
        banner = re.search(r'<p id="hedgelab-figures"[^>]*>(.*?)</p>', sheet, re.S).group(1)
        assert f"rank {row['rank']} in the {row['group']} group" in banner
        assert f"fees {row['fees_paid_usd']:+,.0f} USD" in banner
        assert ("no hedge held" in banner) == (row["hedge"] == "none")
        if row["hedge"] != "none":
            assert f"hedge cost {row['hedge_cost_usd']:+,.0f} USD" in banner
