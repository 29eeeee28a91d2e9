"""The main job end to end: ``hedgelab compare`` with no arguments on the embedded crisis-2025 dataset."""
import json

import numpy as np
import pytest

from hedgelab.data import load
from hedgelab.strategies import BUILTINS

from testkit import cli as h


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    """One `hedgelab compare` run shared by the module (it is the slow part)."""
    here = tmp_path_factory.mktemp("main-job")
    out = here / "out"
    rc, _, _ = h.invoke(["compare", "--out", str(out), "--quiet"])
    summary, events = h.read_outputs(out)
    return rc, out, summary, events


@pytest.fixture(scope="module")
def crisis():
    return load("crisis-2025")


def test_main_job_succeeds_and_writes_every_file(main_job):
    rc, out, summary, events = main_job
    assert rc == 0
    h.check_files(out, summary, events)
    # one row per built-in strategy, each with its tearsheet
    assert sorted(summary["strategy"]) == sorted(BUILTINS)
    for name in BUILTINS:
        assert (out / "tearsheets" / f"{name}.html").exists(), name


def test_hold_return_is_the_price_move_less_fees(main_job, crisis):
    # hold buys spot at the first bar's close and never trades: equity at the end is
    # capital + every cash flow of its events + qty x last spot close (an identity from the data alone).
    # Spot trades at the index (spot) close, not the perp's; a market buy pays the half spread and
    # impact: a few basis points over the close, never under.
    _, _, summary, events = main_job
    row = summary.set_index("strategy").loc["hold"]
    ev = events[events["strategy"] == "hold"]
    fills = ev[ev["kind"] == "fill"]
    assert len(fills) == 1 and fills["qty"].iloc[0] > 0
    close = crisis.bars["index_close"]
    assert close.iloc[0] <= fills["price"].iloc[0] <= close.iloc[0] * 1.005
    expected_final = 100_000 + ev["amount"].sum() + fills["qty"].iloc[0] * close.iloc[-1]
    assert row["final_equity"] == pytest.approx(expected_final, rel=1e-9)
    assert row["total_return"] == pytest.approx(expected_final / 100_000 - 1, abs=1e-9)
    # and it is the price move less the fees, to first order (fees are a tenth of a percent)
    move = close.iloc[-1] / close.iloc[0] - 1
    assert row["total_return"] == pytest.approx(move - row["fees_paid_usd"] / 100_000, abs=2e-3)
    assert row["liquidations"] == 0 and 0 < row["fees_paid_usd"] < 1_000


def test_leveraged_long_10x_is_liquidated_in_the_crash(main_job, crisis):
    _, _, summary, events = main_job
    row = summary.set_index("strategy").loc["leveraged-long"]
    assert json.loads(row["params"])["leverage"] == 10
    assert row["liquidations"] >= 1
    assert row["final_equity"] < 0.1 * 100_000   # the margin is gone; what is left is the unposted 5 %
    when = h.first_liquidation(events, "leveraged-long")
    entry = crisis.bars["close"].iloc[0]
    earliest, latest = h.liquidation_bracket(crisis.bars, entry, 10)
    assert latest is not None, "the data must take the mark below the bankruptcy price"
    assert earliest <= when <= latest + np.timedelta64(1, "h")


def test_ranking_is_sorted_survivors_first(main_job):
    _, _, summary, _ = main_job
    # directional runs first, then the market-neutral ones (funding-carry), each group ranked 1, 2, 3...
    assert list(dict.fromkeys(summary["group"])) == ["directional", "market-neutral"]
    for _, ranked in summary.groupby("group", sort=False):
        assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
        survived = ranked["liquidations"] == 0
        # survivors first, then the liquidated
        assert list(survived) == sorted(survived, reverse=True)
        for part in (ranked[survived], ranked[~survived]):
            assert list(part["final_equity"]) == sorted(part["final_equity"], reverse=True)


def test_events_belong_to_known_strategies(main_job):
    _, _, summary, events = main_job
    assert set(events["strategy"]) <= set(summary["strategy"])
    assert set(events["kind"]) >= {"fill", "fee", "funding", "liquidation"}
    assert (events.loc[events["kind"] == "fee", "amount"] <= 0).all()
    # the summary's fees and funding are the sums of the event amounts, turned to USD paid (+ = paid)
    for name, ev in events.groupby("strategy"):
        row = summary.set_index("strategy").loc[name]
        assert row["fees_paid_usd"] == pytest.approx(-ev.loc[ev["kind"] == "fee", "amount"].sum(), abs=1e-6)
        assert row["funding_paid_usd"] == pytest.approx(-ev.loc[ev["kind"] == "funding", "amount"].sum(), abs=1e-6)


def test_option_hedges_trade_options_and_their_pnl_is_the_option_cash(main_job):
    # options_net_paid_usd is the option cash paid: premiums and payoffs (kinds option_*), option fees excluded
    _, _, summary, events = main_job
    s = summary.set_index("strategy")
    for name in ("protective-put", "collar"):
        ev = events[events["strategy"] == name]
        kinds = ev["kind"].astype(str)
        options = ev[kinds.str.startswith("option_") & ~kinds.str.endswith("_fee")]
        assert len(options) > 0 and set(options["instrument"]) == {"option"}, name
        assert s.loc[name, "options_net_paid_usd"] == pytest.approx(-options["amount"].sum(), abs=1e-6)
    assert s.loc["hold", "options_net_paid_usd"] == 0
