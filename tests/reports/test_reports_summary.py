"""Summary table: columns, signs, ranking, and the terminal table's flags."""
import json
import math

import pytest

from hedgelab.reports.summary import summary_frame, text_table

REQUIRED = ["rank", "group", "strategy", "params", "final_equity", "total_return", "max_drawdown", "liquidations",
            "hedge", "funding_paid_usd", "fees_paid_usd", "options_net_paid_usd", "worst_day", "sharpe", "survived",
            "hedge_cost_usd", "error"]


def test_summary_has_the_contract_columns(runs):
    s = summary_frame(runs)
    assert set(REQUIRED) <= set(s.columns)
    assert len(s) == len(runs)
    # no market-neutral run among them: one group, ranked 1..n
    assert set(s["group"]) == {"directional"} and s["rank"].tolist() == list(range(1, len(runs) + 1))


def test_summary_signs_and_values(runs):
    s = summary_frame(runs).set_index("run")
    # every cost-like column is USD paid (+ paid, - earned), the events cash flow to the account (+ received)
    hedge = s.loc["perp-hedge"]
    assert hedge["funding_paid_usd"] == pytest.approx(-10.0)   # +12 received, -2 paid (conftest): 10 earned
    assert hedge["fees_paid_usd"] == pytest.approx(25.0)       # one -25 fee event, paid
    assert hedge["hedge_cost_usd"] == pytest.approx(15.0)      # 25 fees - 10 funding received
    assert hedge["hedge"] == "short perp"
    put = s.loc["protective-put"]
    assert put["options_net_paid_usd"] == pytest.approx(-3_000.0)   # 2,000 premium paid - 5,000 settlement
    assert put["fees_paid_usd"] == pytest.approx(3.0)
    assert put["hedge_cost_usd"] == pytest.approx(-2_997.0)  # the put paid off more than it and its fee cost
    # hold holds no hedge: its fee is in fees_paid_usd, and its hedge cost is empty in every output
    assert s.loc["hold"]["hedge"] == "none" and math.isnan(s.loc["hold"]["hedge_cost_usd"])
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
    assert row["hedge_cost_usd"] == pytest.approx(-25.0)       # 15 fees - 40 funding received
    assert row["funding_paid_usd"] == pytest.approx(-40.0)      # received, so - in a paid column
    # no positions kept to tell; a sweep of one strategy is one ranking group whatever its mode
    assert row["hedge"] == "unknown" and row["market_neutral"] is None and row["group"] == "all"
    assert row["max_drawdown"] == -0.2 and math.isnan(row["sharpe"])


def test_text_table_limit_counts_the_rest(runs):
    text = text_table(summary_frame(runs), limit=3)
    # six runs, three shown; the ranking puts leveraged-long (liquidated) and broken (failed) among the rest
    assert len(text.splitlines()) == 2 + 3 + 1 + 1   # head, rows, the rest, the hedge cost's definition
    assert text.splitlines()[-2] == "... 3 more runs (1 liquidated, 1 failed): see summary.csv"


def test_text_table_shows_hedge_cost_only_for_hedged_runs_and_ranks_market_neutral_ones_apart(runs):
    # As on the page: hold and leveraged-long hold no hedge (no short perp against a long, no options);
    # perp-hedge (1 BTC spot, -0.5 perp) and protective-put (option fills) do. A carry run long 1 BTC spot
    # and short 1 BTC perp has a mean net delta of 0 against a 1 BTC long leg: market-neutral (under 5 %).
    from hedgelab.reports import RunRecord
    hedge = next(r for r in runs if r.name == "perp-hedge")
    carry = RunRecord("carry", "carry", {}, hedge.equity.rename("carry"), hedge.events,
                      spot_qty=hedge.spot_qty, perp_qty=-hedge.spot_qty, prices=hedge.prices)
    runs = runs + [carry]
    summary = summary_frame(runs)
    text = text_table(summary)
    lines = text.splitlines()
    rows = {line.split()[1]: line for line in lines[2:] if line[:1].isdigit()}
    assert "no hedge" in rows["hold"] and "no hedge" in rows["leveraged-long"]
    assert "no hedge" not in rows["perp-hedge"] and "no hedge" not in rows["protective-put"]
    # carry is in its own group, under its title, ranked 1 there; the directional runs count 1..5 without it
    title = lines.index("market-neutral (ranked apart: carry, not a hedged long)")
    assert rows["carry"] == lines[title + 1] and rows["carry"].split()[0] == "1"
    assert [int(line.split()[0]) for line in lines[2:title]] == [1, 2, 3, 4, 5, 6]
    assert lines[-1].startswith("market-neutral: |mean net BTC delta| (a basket: USD exposure) below 5%")
    assert summary.set_index("run").loc["carry", "group"] == "market-neutral"


def test_the_terminal_shows_the_hedge_cost_summary_csv_has(runs):
    summary = summary_frame(runs)
    lines = [line for line in text_table(summary).splitlines()[2:] if line[:1].isdigit()]
    assert len(lines) == len(summary)   # one line per row, in the summary's order
    for line, (_, r) in zip(lines, summary.iterrows()):
        if r["hedge"] == "none":
            assert "no hedge" in line and math.isnan(r["hedge_cost_usd"])
        elif not isinstance(r["error"], str):
            assert f" {r['hedge_cost_usd']:,.0f} " in line


def test_a_sweep_is_one_ranking_whatever_its_mode_with_its_neutral_sets_flagged(runs):
    # one strategy's runs (a sweep) are ranked as one list, 1..n: a summary-only sweep keeps no positions to
    # group them, and a sweep's ranking must not depend on the mode; the fully hedged set is flagged instead
    from hedgelab.reports import RunRecord
    hedge = next(r for r in runs if r.name == "perp-hedge")
    sets = [RunRecord(f"perp-hedge(h={h})", "perp-hedge", {"h": h}, hedge.equity * (1 + h / 100), hedge.events,
                      spot_qty=hedge.spot_qty, perp_qty=-h * hedge.spot_qty, prices=hedge.prices) for h in (0.5, 1.0)]
    s = summary_frame(sets)
    assert list(s["group"]) == ["all", "all"] and list(s["rank"]) == [1, 2]
    assert list(s["market_neutral"]) == [True, False]   # h=1: flat; h=0.5: half long
    text = text_table(s)
    assert "survived (market-neutral)" in text.splitlines()[2] and "market-neutral" not in text.splitlines()[3]
