"""The results state the rules their numbers rest on: the venue table of the run, the option model."""
import hedgelab

RANGE = dict(start="2025-10-01", end="2025-10-03", quiet=True)


def test_option_runs_state_the_option_model_and_the_runs_tier_table():
    res = hedgelab.compare(["hold", "protective-put"], **RANGE)
    lines = res.assumptions
    # the surface and smile shape (issue 4: parameterized and documented), fills, fees, delivery, listing
    for needle in ("Option model: surface: atm(T)", "smile m(x)", "Option model: fees:",
                   "Option model: delivery price", "Option model: listing:"):
        assert any(needle in line for line in lines), needle
    # engine/venues/binance.toml: the BTC table in force in October 2025 is the one valid
    # 2025-09-01..2026-03-31 (the run's dates, not today's)
    assert any(line.startswith("Venue binance") and "2025-09-01..2026-03-31" in line for line in lines), lines[0]


def test_runs_without_options_do_not_list_the_option_model(tmp_path):
    res = hedgelab.compare(["hold"], **RANGE)
    assert not any(line.startswith("Option model") for line in res.assumptions)
    out = res.write(tmp_path / "o", tearsheets=0)
    assert "Option model" not in (out / "report.html").read_text(encoding="utf-8")


def test_capped_funding_is_stated_in_the_assumptions():
    from types import SimpleNamespace

    import numpy as np

    from hedgelab.runner.assumptions import assumptions
    from hedgelab.runner.options import RunOptions
    from hedgelab.runner.prepare import Job, Prepared
    from hedgelab.strategies.testing import synthetic_market
    market = synthetic_market(np.full(3, 100_000.0))
    market.funding_rate[:] = [np.nan, 0.05, 0.01]   # hourly: 5 % is over Hyperliquid's 4 %/h, 1 % is not
    import pandas as pd
    # no funding interval in the manifest and no IV: the coverage warnings have nothing to say here
    dataset = SimpleNamespace(manifest={}, funding=pd.DataFrame(), iv=pd.DataFrame())
    run = Prepared(RunOptions(venue="hyperliquid"), [Job("x", object, ({},))], dataset, market, "BTC", None)
    lines = assumptions(run)
    assert ("Funding capped: 1 of the data's 2 settlements exceed hyperliquid's cap of 4% per hour of the interval "
            "(largest |rate| 5.00%) and were paid at the cap.") in lines
    market.funding_rate[:] = [np.nan, 0.03, 0.01]
    lines = assumptions(run)
    assert not any(line.startswith("Funding capped") for line in lines)
