"""engine.assumptions(at=, end=): the venue line describes the tables in force during the run."""
import datetime as dt
import tomllib

import numpy as np
import pandas as pd

from hedgelab.engine import assumptions

# Binance's bundled BTC tables (engine/venues/binance.toml): 2024-01-01..2025-08-31, 2025-09-01..2026-03-31.


def _venue_line(**kw):
    line = assumptions("binance", "isolated", **kw)[0]
    assert line.startswith("Venue binance:")
    return line


def test_run_start_picks_the_table_in_force_then():
    # a 2025-03 run is under the 2024 table whatever today is
    for at in ("2025-03-01", dt.date(2025, 3, 1), pd.Timestamp("2025-03-01 05:00", tz="UTC"),
               np.datetime64("2025-03-01T05:00"), int(pd.Timestamp("2025-03-01", tz="UTC").value)):
        line = _venue_line(at=at)
        assert "2024-01-01..2025-08-31" in line and "no table" not in line, at


def test_run_over_a_table_switch_names_both_tables():
    line = _venue_line(at="2025-08-01", end="2025-10-31")
    assert "valid 2024-01-01..2025-08-31, then valid 2025-09-01..2026-03-31" in line


def test_date_no_table_covers_keeps_the_venue_line_with_a_note():
    line = _venue_line(at="2023-06-01")
    assert "2024-01-01..2025-08-31" in line  # the nearest table (starts after the date)
    assert "no table is valid at 2023-06-01" in line
    line = _venue_line(at="2027-01-01")
    assert "2025-09-01..2026-03-31" in line and "no table is valid at 2027-01-01" in line


def test_unknown_venue_still_gives_a_line():
    assert assumptions("no-such-venue", at="2025-01-01")[0] == "Venue no-such-venue: rules from its venue file."


# ---- the venue line is written from the venue's file, not from a copy of its numbers ----------------

def _rules(venue):
    from hedgelab.engine.venues import VENUE_DIR
    return tomllib.loads((VENUE_DIR / f"{venue}.toml").read_text())


def _pct(x):
    return f"{x * 100:g}%"


def test_the_built_in_venues_are_described_with_their_files_numbers():
    hl = _rules("hyperliquid")
    line = assumptions("hyperliquid", at="2025-10-01")[0]
    assert (f"partial {_pct(hl['partial_liquidation_fraction'])} steps above "
            f"{hl['partial_liquidation_above'] / 1e3:g}k notional") in line
    assert f"+-{_pct(hl['funding_cap_per_hour'])} per hour" in line
    assert f"funding every {hl['funding_interval_hours']:g} h" in line and f"taker fee {hl['taker_fee']:g}" in line
    assert "backstop" in line and "whole numbers" in line
    bn = _rules("binance")
    line = assumptions("binance", at="2025-10-01")[0]
    assert f"clearance fee of {_pct(bn['liquidation_fee'])} of the notional" in line
    assert "partial" not in line and "whole numbers" not in line and "clamped" not in line


def test_a_user_venue_with_other_partial_liquidation_numbers_is_described_with_them(tmp_path):
    above, fraction, backstop, cap = 250_000.0, 0.5, 0.5, 0.0125
    path = tmp_path / "slowvault.toml"
    path.write_text(f'base = "hyperliquid"\nid = "slowvault"\npartial_liquidation_above = {above}\n'
                    f"partial_liquidation_fraction = {fraction}\nbackstop_mm_fraction = {backstop}\n"
                    f"funding_cap_per_hour = {cap}\n")
    line = assumptions(str(path), at="2025-10-01")[0]
    assert line.startswith("Venue slowvault:")
    assert f"partial {_pct(fraction)} steps above {above / 1e3:g}k notional" in line
    assert f"below {_pct(backstop)} of the maintenance margin" in line
    assert f"+-{_pct(cap)} per hour" in line
    built_in = _rules("hyperliquid")
    assert f"{built_in['partial_liquidation_above'] / 1e3:g}k notional" not in line


def test_a_close_at_mark_venue_without_partial_steps_says_none(tmp_path):
    path = tmp_path / "whole.toml"
    path.write_text('base = "hyperliquid"\npartial_liquidation_above = 1e308\nbackstop_mm_fraction = 0.0\n'
                    "partial_liquidation_fraction = 1.0\n")
    line = assumptions(str(path), at="2025-10-01")[0]
    assert "closed at the mark with no fee, the account keeps the rest;" in line
    assert "partial" not in line and "backstop" not in line


def test_a_user_clearance_fee_is_stated_with_its_number(tmp_path):
    path = tmp_path / "dearer.toml"
    path.write_text('base = "binance"\nliquidation_fee = 0.02\n')
    assert "clearance fee of 2% of the notional" in assumptions(str(path), at="2025-10-01")[0]
    path.write_text('base = "bybit"\nliquidation_fee = 0.01\n')  # the same rule on a venue sized at entry
    line = assumptions(str(path), at="2025-10-01")[0]
    assert "maintenance margin on the entry value" in line and "clearance fee of 1% of the notional" in line
