"""Summary table: columns, signs, ranking, and the terminal table's flags."""
import json
import math

import pytest

from hedgelab.reports.summary import summary_frame, text_table

REQUIRED = ["strategy", "params", "final_equity", "total_return", "max_drawdown", "liquidations", "funding_pnl",
            "fees", "option_pnl", "worst_day", "sharpe", "survived", "hedge_cost", "error"]


def test_summary_has_the_contract_columns(runs):
    s = summary_frame(runs)
    assert set(REQUIRED) <= set(s.columns)
    assert len(s) == len(runs)
    assert s["rank"].tolist() == list(range(1, len(runs) + 1))


def test_summary_signs_and_values(runs):
    s = summary_frame(runs).set_index("run")
    hedge = s.loc["perp-hedge"]
    assert hedge["funding_pnl"] == pytest.approx(10.0)   # +12 received, -2 paid (conftest)
    assert hedge["fees"] == pytest.approx(25.0)          # one -25 fee event, reported as a positive cost
    assert hedge["hedge_cost"] == pytest.approx(15.0)    # 25 fees - 10 funding received
    put = s.loc["protective-put"]
    assert put["option_pnl"] == pytest.approx(3_000.0)   # -2,000 premium + 5,000 settlement
    assert put["fees"] == pytest.approx(3.0)
    assert put["hedge_cost"] == pytest.approx(-2_997.0)  # the put paid off more than it and its fee cost
    assert json.loads(put["params"]) == {"moneyness": 0.9}
    hold = runs[0]
    assert s.loc["hold"]["final_equity"] == pytest.approx(hold.equity.iloc[-1])
    assert s.loc["hold"]["total_return"] == pytest.approx(hold.equity.iloc[-1] / 100_000 - 1)
    for col in ("max_drawdown", "worst_day"):
        assert (s[col].dropna() <= 0).all()


def test_liquidated_and_failed_runs(runs):
    s = summary_frame(runs).set_index("run")
    lev = s.loc["leveraged-long"]
    assert lev["liquidations"] == 1 and not lev["survived"]
    assert lev["max_drawdown"] == pytest.approx(-1.0)   # equity set to 0 at the liquidation
    assert lev["total_return"] == pytest.approx(-1.0)
    broken = s.loc["broken"]
    assert not broken["survived"] and "no module" in broken["error"] and math.isnan(broken["final_equity"])


def test_ranking_survivors_then_liquidated_then_failed(runs):
    s = summary_frame(runs)
    assert s["run"].iloc[-1] == "broken"
    assert s["run"].iloc[-2] == "leveraged-long"
    survivors = s[s["survived"]]
    assert survivors["final_equity"].is_monotonic_decreasing
    assert survivors["rank"].max() < s.set_index("run").loc["leveraged-long", "rank"]


def test_text_table_flags_liquidations_and_failures(runs):
    text = text_table(summary_frame(runs))
    lines = {line.split()[1]: line for line in text.splitlines()[2:]}
    assert "LIQUIDATED ×1" in lines["leveraged-long"]
    assert "FAILED: ImportError" in lines["broken"]
    assert "survived" in lines["perp-hedge"]


def test_empty_summary():
    s = summary_frame([])
    assert len(s) == 0 and set(REQUIRED) <= set(s.columns)


def test_summary_only_runs_use_the_engine_stats(runs):
    from hedgelab.reports import RunRecord
    stats = {"final_equity": 90_000.0, "liquidations": 0, "funding_pnl": 40.0, "fees": 15.0, "option_pnl": 0.0,
             "max_drawdown": -0.2}
    row = summary_frame([RunRecord("s", "perp-hedge", {"hedge_ratio": 0.3}, stats=stats)]).iloc[0]
    assert row["survived"] and not isinstance(row["error"], str)
    assert row["total_return"] == pytest.approx(-0.1)          # 90,000 / 100,000 capital - 1
    assert row["hedge_cost"] == pytest.approx(-25.0)           # 15 fees - 40 funding received
    assert row["max_drawdown"] == -0.2 and math.isnan(row["sharpe"])


def test_text_table_limit_counts_the_rest(runs):
    text = text_table(summary_frame(runs), limit=3)
    # six runs, three shown; the ranking puts leveraged-long (liquidated) and broken (failed) among the rest
    assert len(text.splitlines()) == 2 + 3 + 1
    assert text.splitlines()[-1] == "... 3 more runs (1 liquidated, 1 failed): see summary.csv"


def test_text_table_shows_hedge_cost_only_for_hedged_runs_and_flags_market_neutral_ones(runs):
    # As on the page: hold and leveraged-long hold no hedge (no short perp against a long, no options);
    # perp-hedge (1 BTC spot, -0.5 perp) and protective-put (option fills) do. A carry run long 1 BTC spot
    # and short 1 BTC perp has net delta 0 against 2 BTC gross: market-neutral (exposure.NEUTRAL_NET_TO_GROSS).
    from hedgelab.reports import RunRecord
    hedge = next(r for r in runs if r.name == "perp-hedge")
    carry = RunRecord("carry", "carry", {}, hedge.equity.rename("carry"), hedge.events,
                      spot_qty=hedge.spot_qty, perp_qty=-hedge.spot_qty, prices=hedge.prices)
    runs = runs + [carry]
    text = text_table(summary_frame(runs), runs={r.name: r for r in runs})
    lines = {line.split()[1]: line for line in text.splitlines()[2:] if line[:1].isdigit()}
    assert "no hedge" in lines["hold"] and "no hedge" in lines["leveraged-long"]
    assert "no hedge" not in lines["perp-hedge"] and "no hedge" not in lines["protective-put"]
    assert "(market-neutral)" in lines["carry"] and "(market-neutral)" not in lines["perp-hedge"]
    assert text.splitlines()[-1].startswith("market-neutral: ")
