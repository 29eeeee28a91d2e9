"""Shared helpers for the CLI tests (imported by path: tests run with --import-mode=importlib)."""
import json

import numpy as np
import pandas as pd

from hedgelab.cli import main

SUMMARY_REQUIRED = ["strategy", "params", "final_equity", "total_return", "max_drawdown", "liquidations",
                    "funding_paid_usd", "fees_paid_usd", "options_net_paid_usd", "hedge_cost_usd", "worst_day", "sharpe"]
EVENT_COLUMNS = ["time", "strategy", "instrument", "side", "kind", "qty", "price", "amount"]


def invoke(argv, capsys=None):
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    if capsys is None:
        return rc, "", ""
    out = capsys.readouterr()
    return rc, out.out, out.err


def read_outputs(out):
    summary = pd.read_csv(out / "summary.csv")
    events = pd.read_csv(out / "events.csv")
    events["time"] = pd.to_datetime(events["time"], utc=True, format="ISO8601")
    return summary, events


def check_files(out, summary, events):
    """The contract of the output folder, independent of the numbers."""
    assert (out / "report.html").stat().st_size > 1000
    assert list(events.columns)[:8] == EVENT_COLUMNS   # the reports add the run label after them
    for col in SUMMARY_REQUIRED:
        assert col in summary.columns, col
    for p in summary["params"]:
        assert isinstance(json.loads(p), dict)
    ok = summary["error"].isna() if "error" in summary.columns else np.ones(len(summary), bool)
    assert (summary.loc[ok, "max_drawdown"] <= 0).all()
    assert (summary.loc[ok, "fees_paid_usd"] >= 0).all()
    assert not any(p.name.endswith(".tmp") or p.name.startswith(".") for p in out.parent.iterdir()
                   if p.name.startswith(f".{out.name}"))


def first_liquidation(events, strategy):
    liq = events[(events["strategy"] == strategy) & (events["kind"] == "liquidation")]
    return None if liq.empty else liq["time"].min()


def liquidation_bracket(bars: pd.DataFrame, entry: float, leverage: float, max_mmr: float = 0.02):
    """When an isolated long at ``leverage`` opened at ``entry`` must be liquidated, from the data alone.

    Its liquidation price lies between the bankruptcy price entry x (1 - 1/L) (margin all gone) and
    entry x (1 - 1/L + mmr) for a maintenance rate mmr <= max_mmr (2 %: above any BTC tier used at this
    size). So the liquidation bar is no earlier than the first bar whose mark low reaches the upper bound
    and no later than the first whose mark low reaches the bankruptcy price.
    """
    low = bars["mark_low"] if "mark_low" in bars.columns else bars["low"]
    bankrupt = entry * (1 - 1 / leverage)
    upper = entry * (1 - 1 / leverage + max_mmr)
    earliest = low.index[low.to_numpy() <= upper]
    latest = low.index[low.to_numpy() <= bankrupt]
    return (earliest[0] if len(earliest) else None), (latest[0] if len(latest) else None)
