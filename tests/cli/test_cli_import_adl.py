"""`data import --adl FILE`: a venue's ADL events kept in the dataset and applied by runs on that venue; a
bad events file is one line naming the row and column, exit 2, and no dataset is written."""
import re

import numpy as np
import pandas as pd
import pytest

from hedgelab.data.store import read_dataset
from testkit import cli as h

HEADER = "venue,coin,start,end,side,notional_usd,open_interest_usd"


def _files(tmp_path, rows):
    t = pd.date_range("2025-10-09", periods=72, freq="h", tz="UTC")
    p = 100_000.0 + np.arange(len(t))
    prices = tmp_path / "p.csv"
    pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p, "high": p + 5, "low": p - 5, "close": p,
                  "volume": 7.0}).to_csv(prices, index=False)
    adl = tmp_path / "adl.csv"
    adl.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return prices, adl


def test_events_are_kept_and_a_run_on_their_venue_applies_them(tmp_path, capsys):
    prices, adl = _files(tmp_path, ["bybit,BTC,2025-10-10T21:16:00Z,2025-10-10T21:27:00Z,short,1e8,1e9"])
    store = tmp_path / "s"
    rc, out, err = h.invoke(["data", "import", "mine", "--prices", str(prices), "--adl", str(adl), "--store",
                             str(store), "--symbol", "BTCUSDT"], capsys)
    assert rc in (0, None), err
    (event,) = read_dataset("mine", store).manifest["adl_events"]
    assert (event["venue"], event["coin"], event["side"], event["notional_usd"]) == ("bybit", "BTC", "short", 1e8)


@pytest.mark.parametrize("row, says", [
    ("bybit,DOGE,2025-10-10T21:16:00Z,2025-10-10T21:27:00Z,short,1e8,1e9", "row 1, column coin: 'DOGE'"),
    ("bybit,BTC,2025-10-10T21:16:00Z,2025-10-10T21:27:00Z,short,-1e8,1e9", "row 1, column notional_usd"),
    ("bybit,BTC,2025-12-10T21:16:00Z,2025-12-10T21:27:00Z,short,1e8,1e9", "row 1, column start: .* outside"),
    ("bybit,BTC,2025-10-10T21:16:00Z,2025-10-10T21:27:00Z,short,3e9,1e9", "share above 1"),
])
def test_a_bad_events_file_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, row, says):
    prices, adl = _files(tmp_path, [row])
    rc, out, err = h.invoke(["data", "import", "mine", "--prices", str(prices), "--adl", str(adl), "--store",
                             str(tmp_path / "s")], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert re.search(says, err) and "adl.csv" in err
    assert not (tmp_path / "s" / "mine").exists()
