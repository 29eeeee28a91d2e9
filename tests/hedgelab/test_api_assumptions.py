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
