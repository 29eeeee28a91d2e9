"""`data import --fill-gaps` fills price holes longer than 6 bars flat at the previous close (volume 0) and
says so in the provenance, like `data fetch --fill-gaps`; without the flag such a hole is refused."""
import json

import numpy as np
import pandas as pd

from hedgelab.data.store import read_dataset
from testkit import cli as h


def _prices(tmp_path):
    # 48 hourly bars with Oct 1 10:00 .. 19:00 missing: a 10-bar hole (longer than the 6 filled by default)
    t = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    p = 100_000.0 + np.arange(len(t))
    keep = ~((t >= "2025-10-01 10:00") & (t <= "2025-10-01 19:00"))
    path = tmp_path / "p.csv"
    pd.DataFrame({"time": t[keep].strftime("%Y-%m-%dT%H:%M:%SZ"), "open": p[keep], "high": p[keep] + 5,
                  "low": p[keep] - 5, "close": p[keep], "volume": 7.0}).to_csv(path, index=False)
    return path


def test_a_long_gap_is_refused_without_the_flag(tmp_path, capsys):
    rc, out, err = h.invoke(["data", "import", "holes", "--prices", str(_prices(tmp_path)),
                             "--store", str(tmp_path / "s")], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "gap of 10 missing bars" in err and "--fill-gaps" in err
    assert not (tmp_path / "s" / "holes").exists()


def test_fill_gaps_fills_it_flat_and_says_so(tmp_path, capsys):
    store = tmp_path / "s"
    rc, out, err = h.invoke(["data", "import", "holes", "--prices", str(_prices(tmp_path)), "--fill-gaps",
                             "--store", str(store)], capsys)
    assert rc in (0, None), err
    assert "48 x 1h bars" in out
    manifest = json.loads((store / "holes" / "manifest.json").read_text())
    assert "10 bars in 1 gap(s) longer than 6 bars filled" in manifest["provenance"]["filled gaps"]
    bars = read_dataset("holes", store).bars
    hole = bars.loc["2025-10-01 10:00":"2025-10-01 19:00"]
    # flat at the 09:00 close (100,009), volume 0
    assert len(hole) == 10 and (hole[["open", "high", "low", "close"]] == 100_009.0).all().all()
    assert (hole["volume"] == 0).all()
