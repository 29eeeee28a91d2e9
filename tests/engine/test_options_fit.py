"""Per-expiry smile fits from IV prints: recovery, the real Deribit snapshot, no look-ahead."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from hedgelab.engine.nb.black76 import implied_vol_nb
from hedgelab.engine.nb.surface import fitted_vol_nb, surface_vol_nb
from hedgelab.engine.option_fit import fit_chain, fit_smile
from hedgelab.core.errors import DataError

K = np.linspace(-0.3, 0.2, 15)


def test_recovers_the_calm_smile_exactly():
    iv = [surface_vol_nb(0.5, 30.0, k, 0.0) for k in K]
    assert fit_smile(K, 30.0, iv) == pytest.approx((0.5, -0.05, 0.10), abs=1e-12)


def test_recovers_a_stressed_skew_up_to_the_prior_pull():
    # stress 1: true skew = -0.05 - 0.30 = -0.35; the ridge prior pulls it slightly towards -0.05
    iv = [surface_vol_nb(0.5, 30.0, k, 1.0) for k in K]
    atm, skew, curv = fit_smile(K, 30.0, iv)
    assert atm == pytest.approx(0.5, abs=2e-3) and skew == pytest.approx(-0.35, abs=0.01)
    want = surface_vol_nb(0.5, 30.0, -0.1, 1.0)
    assert fitted_vol_nb(atm, skew, curv, 0.2, 30.0, -0.1) == pytest.approx(want, abs=2e-3)


def test_two_prints_fit_only_the_level():
    # the fit's atm is the 7-day ATM level: 0.42 * (7/30)**0.05 on the calm term structure
    iv = [surface_vol_nb(0.42, 7.0, k, 0.0) for k in (-0.05, 0.03)]
    assert fit_smile([-0.05, 0.03], 7.0, iv) == pytest.approx((0.42 * (7 / 30) ** 0.05, -0.05, 0.10), abs=1e-12)
    assert all(math.isnan(v) for v in fit_smile([], 7.0, []))


def test_real_deribit_snapshot(shared_dir):
    snap = json.loads((shared_dir / "options" / "deribit_btc_3oct25_calls_snapshot_2025-09-28_pfhedge_fork.json")
                      .read_text())
    o = pd.DataFrame(snap["options"])
    # the fork's trade IVs are Black-76 with F = spot, T = 4 days, price = premium_btc * spot:
    # our implied vol reproduces them (an independent implementation) to 1e-4
    for _, row in o.iterrows():
        s = row["initial_spot"]
        assert implied_vol_nb(row["premium_btc"] * s, s, row["strike"], 4 / 365, True) == \
            pytest.approx(row["implied_volatility"], abs=1e-4)
    k = np.log(o["strike"] / o["initial_spot"])
    atm, skew, curv = fit_smile(k, 4.0, o["implied_volatility"])
    assert o["implied_volatility"].min() <= atm <= o["implied_volatility"].max()
    resid = [fitted_vol_nb(atm, skew, curv, 0.2, 4.0, kk) - v for kk, v in zip(k, o["implied_volatility"])]
    assert np.sqrt(np.mean(np.square(resid))) < 0.015   # the prints scatter by about +-0.015 themselves


def _chain(rows):
    return pd.DataFrame(rows, columns=["time", "expiry", "strike", "forward", "iv"])


def test_fit_chain_windows_have_no_look_ahead():
    e = "2025-10-31 08:00Z"
    rows = [("2025-10-10 10:30Z", e, 100_000, 100_000, 0.40),
            ("2025-10-10 11:00Z", e, 100_000, 100_000, 0.44),     # known at 11:00: still in (10:00, 11:00]
            ("2025-10-10 11:00:01Z", e, 100_000, 100_000, 0.90)]  # belongs to the window ending 12:00
    fits = fit_chain(_chain(rows))
    assert list(fits["time"]) == [pd.Timestamp("2025-10-10 11:00Z"), pd.Timestamp("2025-10-10 12:00Z")]
    # ATM prints only: atm = mean of the window's prints (m(0) = 1)
    assert fits["atm"].tolist() == pytest.approx([0.42, 0.90]) and fits["n"].tolist() == [2, 1]
    # adding later prints does not change earlier fits
    more = fit_chain(_chain(rows + [("2025-10-10 13:30Z", e, 90_000, 100_000, 0.6)]))
    pd.testing.assert_frame_equal(more.iloc[:2], fits)


def test_fit_chain_rejects_bad_input():
    with pytest.raises(DataError, match="missing column"):
        fit_chain(pd.DataFrame({"time": [], "iv": []}))
    with pytest.raises(DataError, match="column iv: 45 looks like a percentage"):
        fit_chain(_chain([("2025-10-10 10:30Z", "2025-10-31 08:00Z", 1e5, 1e5, 45.0)]))
    # prints at or after their expiry are ignored
    assert fit_chain(_chain([("2025-10-31 08:00Z", "2025-10-31 08:00Z", 1e5, 1e5, 0.5)])).empty
