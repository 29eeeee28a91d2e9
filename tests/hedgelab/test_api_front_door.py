"""The notebook API: hedgelab.run / compare / sweep return Result objects with pandas frames."""
import json

import pandas as pd
import pytest

import hedgelab
from hedgelab.data import load
from hedgelab.core.errors import UserError

RANGE = {"start": "2025-10-01", "end": "2025-10-20"}


@pytest.fixture(scope="module")
def bars():
    return load("crisis-2025").bars.loc["2025-10-01":"2025-10-20"]


@pytest.fixture(scope="module")
def pair():
    return hedgelab.compare(["hold", "leveraged-long"], **RANGE)


def test_compare_frames(pair, bars):
    assert pair.failures == {}
    assert list(pair.equity.columns) == ["hold", "leveraged-long"]
    assert len(pair.equity) == len(bars) and (pair.equity.index == bars.index).all()
    # the contract columns, then the details events.csv has too (why an order was cut, an option's contract)
    assert list(pair.events.columns) == ["time", "strategy", "instrument", "side", "kind", "qty", "price",
                                         "amount", "run", "reason", "option_type", "strike", "expiry", "adl_score"]
    assert set(pair.events["strategy"]) == {"hold", "leveraged-long"}
    s = pair.summary.set_index("strategy")
    assert s.loc["hold", "final_equity"] == pytest.approx(pair.equity["hold"].iloc[-1])
    assert s.loc["leveraged-long", "liquidations"] >= 1


def test_10x_long_from_oct_1_is_liquidated_on_oct_10(pair, bars):
    # From the data alone: opened at the Oct 1 00:00 close, its bankruptcy price entry x 0.9 is above
    # the Oct 10 mark low, and no mark low before Oct 10 comes within 2 % of it (mmr is under 2 %).
    entry = bars["close"].iloc[0]
    assert bars.loc[:"2025-10-09", "mark_low"].min() > entry * (1 - 0.1 + 0.02)
    assert bars.loc["2025-10-10", "mark_low"].min() < entry * 0.9
    ev = pair.events
    liq = ev[(ev["strategy"] == "leveraged-long") & (ev["kind"] == "liquidation")]
    assert liq["time"].min().strftime("%Y-%m-%d") == "2025-10-10"


def test_crash_windows_follow_the_range(pair):
    assert [w["start"].strftime("%Y-%m-%d") for w in pair.crash_windows] == ["2025-10-10"]
    later = hedgelab.run("hold", start="2025-10-15", end="2025-10-25")
    assert later.crash_windows is None   # the report then picks the worst days itself
    assert any("ADL" in a or "auto-deleverag" in a.lower() for a in later.assumptions)


def test_write_makes_the_cli_files_and_never_overwrites(pair, tmp_path):
    out = pair.write(tmp_path / "r")
    for name in ("report.html", "summary.csv", "events.csv", "tearsheets/hold.html", "tearsheets/leveraged-long.html"):
        assert (out / name).exists(), name
    written = pd.read_csv(out / "summary.csv")
    assert list(written["strategy"]) == list(pair.summary["strategy"])
    with pytest.raises(UserError, match="not empty"):
        pair.write(out)


def test_run_with_params(bars):
    res = hedgelab.run("hold", {"fraction": 0.25}, capital=10_000, **RANGE)
    row = res.summary.iloc[0]
    assert json.loads(row["params"]) == {"fraction": 0.25}   # hold's only parameter
    # a quarter of 10,000 USD in coin: equity moves a quarter as much as the price (fees aside)
    move = bars["index_close"].iloc[-1] / bars["index_close"].iloc[0] - 1   # spot trades at the index
    assert row["total_return"] == pytest.approx(0.25 * move - row["fees_paid_usd"] / 10_000, abs=1e-4)


def test_sweep_product(tmp_path):
    res = hedgelab.sweep("leveraged-long", {"leverage": "2:10:3", "margin_fraction": [0.5, 1.0]}, **RANGE)
    points = sorted((p["leverage"], p["margin_fraction"]) for p in map(json.loads, res.summary["params"]))
    assert points == sorted((lev, mf) for lev in (2.0, 6.0, 10.0) for mf in (0.5, 1.0))
    assert res.heatmap == {"x": "leverage", "y": "margin_fraction", "metric": "total_return"}
    assert len(res.equity.columns) == 6
    out = res.write(tmp_path / "s", tearsheets=1)
    assert (out / "report.html").exists()
    assert len(list((out / "tearsheets").iterdir())) == 1   # the best-ranked run only (no hold here)


def test_config_dict_and_errors():
    with pytest.raises(UserError, match="unknown key 'levrage'"):
        hedgelab.run("hold", config={"levrage": 3})
    with pytest.raises(UserError, match="did you mean 'fraction'"):
        hedgelab.run("hold", {"fractoin": 1.0}, **RANGE)
    with pytest.raises(UserError, match="unknown strategy"):
        hedgelab.compare(["hold", "no-such-hedge"], **RANGE)
    res = hedgelab.run(config={"strategy": "hold", "params": {"fraction": 0.5}, **RANGE}, capital=5_000)
    assert json.loads(res.summary.iloc[0]["params"]) == {"fraction": 0.5}
    assert res.equity["hold"].iloc[0] == pytest.approx(5_000, rel=2e-3)


def test_a_failing_strategy_is_recorded_and_the_rest_runs(tmp_path):
    (tmp_path / "bad.py").write_text(
        "from hedgelab.strategies import Strategy\n"
        "class Bad(Strategy):\n"
        "    '''Raises.'''\n"
        "    name = 'bad'\n"
        "    def targets(self, market, params):\n"
        "        raise RuntimeError('no luck')\n")
    res = hedgelab.compare(["hold", "bad"], strategies_dir=tmp_path, **RANGE)
    assert res.failures == {"bad": "RuntimeError: no luck"}
    assert list(res.equity.columns) == ["hold"]
    assert not res.ok


def test_summary_only_sweep_matches_the_full_one(tmp_path):
    grid = {"leverage": [2, 10], "margin_fraction": [0.5]}
    full = hedgelab.sweep("leveraged-long", grid, **RANGE).summary.set_index("run")
    lean = hedgelab.sweep("leveraged-long", grid, summary_only=True, **RANGE)
    assert lean.equity.empty
    s = lean.summary.set_index("run")
    assert list(s.index) == list(full.index)   # same ranking
    for col in ("final_equity", "total_return", "max_drawdown", "liquidations", "funding_paid_usd", "fees_paid_usd"):
        assert s[col].to_numpy() == pytest.approx(full[col].to_numpy(), rel=1e-9, abs=1e-6), col
    out = lean.write(tmp_path / "lean", tearsheets=0)
    written = pd.read_csv(out / "summary.csv")
    assert written["final_equity"].to_numpy() == pytest.approx(s["final_equity"].to_numpy(), rel=1e-9)
    assert (written["max_drawdown"] <= 0).all()


def test_dir_lists_the_public_api_and_not_the_helpers():
    # the API is imported lazily: dir() once showed only PackageNotFoundError, import_module and version
    names = dir(hedgelab)
    for name in ("run", "compare", "sweep", "stress", "load", "Strategy", "Param", "UserError", "Result"):
        assert name in names, name
    assert not {"PackageNotFoundError", "import_module", "version"} & set(names)
    assert all(hasattr(hedgelab, n) for n in names)


def test_stress_shows_its_own_signature():
    # the callable package hedgelab.stress once showed (*args, **kwargs)
    import inspect

    from hedgelab.api import stress
    sig = inspect.signature(hedgelab.stress)
    assert sig == inspect.signature(stress)
    assert {"strategies", "method", "paths", "seed", "scenario"} <= set(sig.parameters)


def test_the_run_settings_are_result_settings_not_options(pair):
    # res.options was the run's configuration, easy to take for option contracts in an options tool
    assert not hasattr(pair, "options")
    assert pair.settings["data"] == "crisis-2025" and pair.settings["capital"] == 100_000.0
    assert pair.settings["start"] == RANGE["start"] and pair.settings["venue"] == "binance"
