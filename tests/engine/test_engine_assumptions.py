"""engine.assumptions(at=, end=): the venue line describes the tables in force during the run."""
import datetime as dt

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
