"""Each generator's paths against the real data it is calibrated on (Binance BTCUSDT spot 1h and
Deribit DVOL, Sep 1 - Dec 15 2025), within the tolerances stated per test.

The data's own statistics are computed here from the raw series: hourly volatility, the rate of
hourly moves beyond 4 sd, the lag-1 autocorrelation of |r|, and the DVOL response to falling hours
(regression of the DVOL change on the hourly return over hours with r < 0; about 0.78 points per 1 %).
"""
import numpy as np
import pytest

from hedgelab.stress.bootstrap import Bootstrap
from hedgelab.stress.garch import Garch
from hedgelab.stress.history import History
from hedgelab.stress.jump import Jump
from hedgelab.stress.paths import IV_DOWN
from hedgelab.stress.seeds import rng_for

PATHS, HOURS = 12, 720   # 12 paths of 30 days: about 8,600 hours, as many as the data
IV_TOL = 0.35            # IV response: within 0.35 vol points per 1 % of the data's 0.78 (jump bars' wicks add a spike)


def stats(closes_list, ivs_list, lows_list=None, opens_list=None, sd_ref=None):
    r = np.concatenate([np.diff(np.log(c)) for c in closes_list])
    div = np.concatenate([np.diff(iv) for iv in ivs_list])
    sd = sd_ref if sd_ref is not None else r.std()
    a = np.abs(r)
    out = {"vol": r.std(), "tails_per_year": np.mean(np.abs(r - r.mean()) > 4 * sd) * 8760,
           "acf_abs": np.corrcoef(a[:-1], a[1:])[0, 1]}
    down = (r < 0) & np.isfinite(div)      # hours with two real IV prints
    out["iv_slope"] = np.polyfit(r[down], div[down], 1)[0]   # decimal IV per unit return (0.78 = 0.78 pt / 1 %)
    return out


@pytest.fixture
def data(real):
    bars, market = real
    h = History.of(market)
    ref = stats([market.close], [market.iv])            # IV statistics over the hours with DVOL prints
    ref_all = ref
    return market, h, ref, ref_all


def window(market, hours=HOURS):
    return market._replace(**{f: getattr(market, f)[:hours] for f in market._fields
                              if isinstance(getattr(market, f), np.ndarray)})


def generate(gen, market, seed=5):
    w = window(market)
    return [gen.path(w, rng_for(seed, k)) for k in range(PATHS)]


def test_data_calibration_facts(data):
    # the facts the generators are calibrated to (scale-and-stress-notes B), from the raw data
    _, h, ref, ref_all = data
    assert ref["iv_slope"] == pytest.approx(-IV_DOWN, abs=0.05)
    assert 0.35 < ref_all["vol"] * np.sqrt(8760) < 0.5
    assert 40 < ref_all["tails_per_year"] < 90


def test_bootstrap_keeps_volatility_tails_clustering_and_iv_response(data):
    market, h, ref, _ = data
    ref_all = ref
    boot = Bootstrap.fit(h)
    assert 60 < boot.block < 110                      # Politis-White on |r|: 82 h (notes B.2)
    paths = generate(boot, market)
    s = stats([p.close for p in paths], [p.iv for p in paths], sd_ref=ref_all["vol"])
    assert s["vol"] == pytest.approx(ref_all["vol"], rel=0.20)
    assert 0.4 * ref_all["tails_per_year"] < s["tails_per_year"] < 2.5 * ref_all["tails_per_year"]
    assert s["acf_abs"] == pytest.approx(ref_all["acf_abs"], abs=0.12)
    assert s["iv_slope"] == pytest.approx(ref["iv_slope"], abs=IV_TOL)
    assert all(np.mean(p.low < np.minimum(p.open, p.close)) > 0.9 for p in paths)   # wicks


def test_garch_fit_and_paths(data):
    market, h, ref, _ = data
    ref_all = ref
    g = Garch.fit(h)
    assert 0.9 < g.persistence < 1.05 and 2.5 < g.nu < 5.0   # notes B.3: persistence ~1, nu ~3.3
    paths = generate(g, market)
    s = stats([p.close for p in paths], [p.iv for p in paths], sd_ref=ref_all["vol"])
    assert 0.5 * ref_all["vol"] < s["vol"] < 2.0 * ref_all["vol"]
    assert s["acf_abs"] > 0.05                           # volatility clusters
    assert s["tails_per_year"] > 0.4 * ref_all["tails_per_year"]   # Student-t residuals keep the tails
    assert s["iv_slope"] == pytest.approx(ref["iv_slope"], abs=IV_TOL)
    assert all(np.mean(p.low < np.minimum(p.open, p.close)) > 0.9 for p in paths)


def test_jump_rate_and_sizes(data):
    market, h, ref, _ = data
    ref_all = ref
    j = Jump.fit(h)
    assert 40 < j.per_year < 90 and j.mu_j < 0           # notes B.4: ~45-65 a year at 4 sd, mostly down
    paths = generate(j, market)
    s = stats([p.close for p in paths], [p.iv for p in paths], sd_ref=ref_all["vol"])
    assert s["vol"] == pytest.approx(ref_all["vol"], rel=0.2)
    assert 0.4 * ref_all["tails_per_year"] < s["tails_per_year"] < 2.5 * ref_all["tails_per_year"]
    assert s["iv_slope"] == pytest.approx(ref["iv_slope"], abs=IV_TOL)
    assert all(np.mean(p.low < np.minimum(p.open, p.close)) > 0.9 for p in paths)
