"""Synthetic runs for the report tests: small, deterministic, with every event kind the reports read."""
import fcntl
import os

import numpy as np
import pandas as pd
import pytest

from hedgelab.reports.run import RunRecord

EVIL = '<script>alert(1)</script> & "x"'
MANIFEST = {
    "schema_version": 1, "name": "synthetic-crash", "kind": "reconstruction", "venue": "binance",
    "symbol": "BTCUSDT", "bar_size": "1h", "start": "2025-10-01T00:00:00Z", "end": "2025-10-30T23:00:00Z",
    "funding_interval_hours": 8, "proxies": {"mark": "mark = traded close <proxy>"},
    "iv_fill": "last print carried forward", "notes": ["synthetic data for tests"],
    "anchors": [{"fact": "crash low", "value": 100000, "date": "2025-10-10", "source": "test <b>anchor</b>"}],
}


def synthetic_runs(days: int = 30, seed: int = 7) -> list[RunRecord]:
    """hold, a liquidated leveraged long, a perp hedge, a put buyer, a run with HTML in its name, a failure."""
    idx = pd.date_range("2025-10-01", periods=days * 24, freq="h", tz="UTC")
    rng = np.random.default_rng(seed)
    price = 120_000 * np.exp(np.cumsum(rng.normal(0, 0.003, len(idx))))
    k = min(9 * 24 + 21, len(idx) - 1)  # the crash, Oct 10 21:00 (or the last bar of a short curve)
    price[k:] *= 0.85
    move = price / price[0] - 1
    ev = lambda t, kind, amount, inst="BTCUSDT-PERP": dict(  # noqa: E731
        time=idx[t], strategy="", instrument=inst, side="", kind=kind, qty=0.0, price=np.nan, amount=amount)

    hold = RunRecord("hold", "hold", {}, pd.Series(100_000 * (1 + move), idx),
                     pd.DataFrame([ev(0, "fee", -10.0, "BTC")]))
    lev_eq = 100_000 * (1 + 10 * move)
    lev_eq[k:] = 0.0
    prices = pd.DataFrame({"mark": price, "index": price * 0.999}, idx)
    lev_qty = pd.Series(np.where(np.arange(len(idx)) < k, 10 * 100_000 / price[0], 0.0), idx)
    liq_at = dict(ev(k, "liquidation", -9_000.0), side="sell", qty=-float(lev_qty.iloc[0]), price=float(price[k]))
    lev = RunRecord("leveraged-long", "leveraged-long", {"leverage": 10, "margin_mode": "isolated"},
                    pd.Series(lev_eq, idx), pd.DataFrame([ev(0, "fee", -50.0), liq_at]),
                    margin_ratio=pd.Series(np.linspace(0.1, 1.0, len(idx)), idx),
                    liq_distance=pd.Series(np.linspace(0.1, 0.0, len(idx)), idx),
                    spot_qty=pd.Series(0.0, idx), perp_qty=lev_qty,
                    liq_price=pd.Series(np.where(lev_qty > 0, price[0] * 0.905, np.nan), idx), prices=prices)
    # long 1 BTC spot, short 0.5 BTC perp: a hedge (short perp against a long)
    hedge = RunRecord("perp-hedge", "perp-hedge", {"hedge_ratio": 0.5}, pd.Series(100_000 * (1 + 0.5 * move), idx),
                      pd.DataFrame([ev(0, "fee", -25.0), ev(8, "funding", 12.0), ev(16, "funding", -2.0)]),
                      margin_ratio=pd.Series(0.2, idx), liq_distance=pd.Series(0.6, idx),
                      spot_qty=pd.Series(1.0, idx), perp_qty=pd.Series(-0.5, idx),
                      liq_price=pd.Series(price[0] * 1.6, idx), prices=prices)
    put = RunRecord("protective-put", "protective-put", {"moneyness": 0.9},
                    pd.Series(100_000 * (1 + np.maximum(move, -0.1)), idx),
                    pd.DataFrame([ev(0, "option_fill", -2_000.0, "BTC-P"), ev(0, "fee", -3.0, "BTC-P"),
                                  ev(min(600, len(idx) - 1), "option_settlement", 5_000.0, "BTC-P")]))
    evil = RunRecord(EVIL, "hold", {"note": "<b>"}, pd.Series(100_000 * (1 + 0.9 * move), idx), None)
    failed = RunRecord("broken", "broken", {}, None, None, error="ImportError: no module named <foo>")
    return [hold, lev, hedge, put, evil, failed]


def sweep_runs():
    """A 3 x 2 grid (lev x ratio) of straight-line curves; only lev=10, ratio=0.25 is liquidated."""
    idx = pd.date_range("2025-10-01", periods=48, freq="h", tz="UTC")
    runs = []
    for lev in (2, 5, 10):
        for ratio in (0.25, 0.5):
            eq = pd.Series(np.linspace(100_000, 100_000 * (1 - 0.05 * lev * (1 - ratio)), len(idx)), idx)
            liq = lev == 10 and ratio == 0.25
            ev = pd.DataFrame([dict(time=idx[10], strategy="delever", instrument="P", side="sell",
                                    kind="liquidation", qty=-1.0, price=1.0, amount=0.0)]) if liq else None
            runs.append(RunRecord(f"delever lev={lev} ratio={ratio}", "delever", {"lev": lev, "ratio": ratio}, eq, ev))
    return runs



@pytest.fixture
def runs():
    return synthetic_runs()


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    """One full report shared by the file and browser tests.

    Tearsheets take seconds each, so only the two best-ranked runs (protective-put: losses capped at 10%,
    perp-hedge: half the move) and their hold benchmark get one. Under pytest-xdist the workers share one
    copy: the first to take the lock writes it into the session's common temp folder.
    """
    from hedgelab.reports import ReportFiles, summary_frame, write_report

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # parent: this session's, per xdist
    out = shared / "reports-shared"
    with open(shared / "reports-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.html").exists():
            write_report(synthetic_runs(), out, manifest=MANIFEST, title="Crash <test> & co",
                         crash_windows=["2025-10-10", ("2025-10-20", "2025-10-21 12:00", "late <dip>")],
                         assumptions=["liquidation at mark <= bankruptcy", "taker fee 0.05%"], progress=False,
                         max_tearsheets=2)
    by_stem = {"protective-put": "protective-put", "perp-hedge": "perp-hedge", "hold": "hold"}
    return ReportFiles(out, out / "report.html", out / "summary.csv", out / "events.csv",
                       {name: out / "tearsheets" / f"{stem}.html" for name, stem in by_stem.items()},
                       summary_frame(synthetic_runs()))
