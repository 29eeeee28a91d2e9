"""The Oct 10 Hyperliquid ADL replayed on the embedded crisis-2025 data: a short BTC hedge opened on Oct 6
is ADL-closed in the 21:00 bar; the report states the naked window and what ADL cost against the same
run with ADL off; another venue says its data carries no ADL events."""
import pandas as pd
import pytest

import hedgelab
from hedgelab.data import load
from hedgelab.reports import adl

WINDOW = dict(start="2025-10-06", end="2025-10-20")


@pytest.fixture(scope="module")
def replay():
    on = hedgelab.run("perp-hedge", {"rehedge_bars": 24}, venue="hyperliquid", adl="worst", **WINDOW)
    off = hedgelab.run("perp-hedge", {"rehedge_bars": 24}, venue="hyperliquid", adl="off", **WINDOW)
    return on, off


def test_the_short_hedge_is_closed_in_full_in_the_21_00_bar_at_its_mark_low(replay):
    on, _ = replay
    ev = on.events
    fills = ev[(ev["kind"] == "fill") & (ev["instrument"] == "perp")]
    short_before = fills[fills["time"] <= pd.Timestamp("2025-10-10 21:00", tz="UTC")]["qty"].sum()
    assert short_before < 0                                            # hedged since Oct 6
    closed = ev[ev["kind"] == "adl"]
    assert len(closed) == 1
    row = closed.iloc[0]
    assert row["time"] == pd.Timestamp("2025-10-10 21:00", tz="UTC")
    assert row["qty"] == pytest.approx(-short_before, rel=1e-12)      # all of it (worst)
    bars = load("crisis-2025").bars
    assert row["price"] == bars.loc[pd.Timestamp("2025-10-10 21:00", tz="UTC"), "mark_low"]
    assert row["adl_score"] > 0


def test_the_report_states_the_naked_window_and_the_cost_against_adl_off(replay):
    on, off = replay
    t = adl.table(on.runs)
    assert len(t) == 1
    # rehedge_bars 24: flat through 24 bar closes after the ADL bar's, re-shorted at the 25th close
    assert t["unhedged_hours"].iloc[0] == 25.0
    assert t["final_equity_adl_off_usd"].iloc[0] == pytest.approx(off.summary["final_equity"].iloc[0], rel=1e-12)
    assert t["adl_cost_usd"].iloc[0] == pytest.approx(off.summary["final_equity"].iloc[0]
                                                      - on.summary["final_equity"].iloc[0], rel=1e-9)
    text = "\n".join(adl.lines(on.runs, "worst"))
    assert "unhedged 25 h" in text and "ADL cost vs --adl off" in text
    assert "(+ = ADL cost the account, - = it earned)" in text   # the sign is said where the figure is
    assert any("ADL --adl worst on hyperliquid BTC" in a for a in on.assumptions)


def test_the_report_page_has_the_adl_section(replay, tmp_path):
    on, _ = replay
    on.write(tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    assert "id='adl-table'" in page and "id='adl-ranking'" in page


def test_another_venue_says_its_data_carries_no_adl_events():
    res = hedgelab.run("perp-hedge", venue="binance", **WINDOW)
    assert res.events[res.events["kind"] == "adl"].empty
    said = [a for a in res.assumptions if a.startswith("ADL")]
    assert said and "no ADL events for binance" in said[0] and "hyperliquid" in said[0]
    deribit = hedgelab.run("perp-hedge", venue="deribit", **WINDOW)
    assert any("no ADL queue" in a for a in deribit.assumptions)


def test_a_symbol_run_takes_its_own_coins_events():
    # --symbol ETH runs ETH as its own dataset: the dataset's ADL events still reach it (ETH's, not BTC's)
    res = hedgelab.run("perp-hedge", venue="hyperliquid", symbol="ETH", adl="worst", **WINDOW)
    closed = res.events[res.events["kind"] == "adl"]
    assert len(closed) == 1 and closed["time"].iloc[0] == pd.Timestamp("2025-10-10 21:00", tz="UTC")
    eth = load("crisis-2025").coin("ETH").bars
    assert closed["price"].iloc[0] == eth.loc[pd.Timestamp("2025-10-10 21:00", tz="UTC"), "mark_low"]
    assert any(a.startswith("ADL --adl worst on hyperliquid ETH") and "458.0M USD" in a for a in res.assumptions)
