"""Golden runs: pinned end-to-end runs through the Python API, compared exactly with stored expected files.

Shared by ``tests/golden/test_golden.py`` (compares) and ``tests/golden/regolden.py`` (rewrites); see
docs/golden-runs.md. A case is one call of ``hedgelab.run`` / ``compare`` / ``sweep``; what is pinned is
every summary row (every column, floats as ``repr`` so equal text means equal bits) and the count of
events per run and kind, plus the failures and the dataset's name and kind.
The summary rows are summary.csv's (``reports.summary.summary_frame``), not ``Result.summary``, whose extra
presentation columns (one per parameter) may change without any number changing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import json
import math

import hedgelab
from hedgelab.reports.summary import summary_frame

from testkit.cli import invoke

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
EXPECTED = GOLDEN / "expected"
PLUGINS = GOLDEN / "plugins"
SHARED = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "crisis-2025").resolve()

# The real Binance/Deribit files of the period, imported into a temp store through the CLI.
REAL = {"--prices": "binance_btcusdt_spot_1h_2025-09-01_2025-12-15.csv",
        "--funding": "binance_btcusdt_funding_8h_official_flatfile_2025-09_2025-12_cheneau.csv",
        "--iv": "deribit_btc_dvol_1h_ohlc_lrud.csv"}
REAL_NAME = "real-2025"
CRASH = {"start": "2025-10-01", "end": "2025-10-20"}   # around the Oct 10 crash (end inclusive)


@dataclass(frozen=True)
class Case:
    name: str                  # also the expected file's name: expected/<name>.json
    call: str                  # "run" | "compare" | "sweep"
    args: tuple = ()           # positional: strategy (run/sweep) or strategy list (compare)
    kwargs: dict = field(default_factory=dict)

    @property
    def real(self) -> bool:
        return self.kwargs.get("data") == REAL_NAME

    def describe(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"hedgelab.{self.call}({', '.join(parts)})"


def _c(name, call, *args, **kwargs):
    return Case(name, call, args, kwargs)


OPTIONS = ("protective-put", "collar")
CASES = [
    # every built-in on the embedded reconstruction, each venue
    _c("compare-binance", "compare"),
    _c("compare-bybit", "compare", venue="bybit"),
    _c("compare-hyperliquid", "compare", venue="hyperliquid"),
    _c("compare-cross-binance", "compare", margin_mode="cross"),
    _c("compare-deribit-inverse", "compare", ["hold", "perp-hedge", "leveraged-long", "funding-carry"],
       venue="deribit"),
    # single runs across venues and margin modes
    _c("leveraged-long-10x-oct", "run", "leveraged-long", start="2025-10-01"),
    _c("leveraged-long-10x-oct-bybit", "run", "leveraged-long", venue="bybit", start="2025-10-01"),
    _c("leveraged-long-10x-oct-hyperliquid", "run", "leveraged-long", venue="hyperliquid", start="2025-10-01"),
    _c("leveraged-long-cross-hyperliquid", "run", "leveraged-long", {"leverage": 5}, venue="hyperliquid",
       margin_mode="cross"),
    _c("leveraged-long-reenter", "run", "leveraged-long", {"leverage": 20, "reenter": True}, **CRASH),
    _c("leveraged-long-half-margin-cross-bybit", "run", "leveraged-long", {"leverage": 25, "margin_fraction": 0.5},
       venue="bybit", margin_mode="cross", **CRASH),
    _c("perp-hedge-full-bybit", "run", "perp-hedge", {"hedge_ratio": 1.0, "leverage": 10}, venue="bybit"),
    _c("perp-hedge-drift-only-hyperliquid", "run", "perp-hedge", {"rebalance_hours": 0, "drift": 0.05},
       venue="hyperliquid", adl="off"),
    # the embedded data carries Hyperliquid's Oct 10 ADL events: share (the default there) and worst
    _c("perp-hedge-hyperliquid-adl-worst-rehedge-24", "run", "perp-hedge", {"rehedge_bars": 24},
       venue="hyperliquid", adl="worst"),
    _c("perp-hedge-cross", "run", "perp-hedge", {"hedge_ratio": 0.8}, margin_mode="cross"),
    _c("delever-cross-bybit", "run", "delever", venue="bybit", margin_mode="cross"),
    _c("risk-sized-no-stop", "run", "risk-sized", {"stop_distance": 0.0}),
    _c("funding-carry-hyperliquid", "run", "funding-carry", venue="hyperliquid", adl="off"),
    _c("funding-carry-hyperliquid-adl-share", "run", "funding-carry", venue="hyperliquid"),
    _c("hold-small-capital", "run", "hold", capital=1_000.0),
    # options
    _c("protective-put-atm", "run", "protective-put", {"moneyness": 1.0, "tenor_days": 14}),
    _c("protective-put-deribit", "run", "protective-put", venue="deribit"),
    _c("collar-tight", "run", "collar", {"put_moneyness": 0.95, "call_moneyness": 1.05}, **CRASH),
    _c("collar-bybit-cross", "run", "collar", venue="bybit", margin_mode="cross"),
    # sweeps (small grids: the expected files stay readable)
    _c("sweep-perp-hedge", "sweep", "perp-hedge", {"hedge_ratio": "0:1:3", "leverage": "2,10"}, **CRASH),
    _c("sweep-perp-hedge-summary-only", "sweep", "perp-hedge", {"hedge_ratio": "0:1:3", "leverage": "2,10"},
       summary_only=True, **CRASH),
    _c("sweep-leveraged-long", "sweep", "leveraged-long", {"leverage": "2,5,10,20,40"}, venue="hyperliquid",
       **CRASH),
    _c("sweep-leverage-above-venue-max", "sweep", "leveraged-long", {"leverage": "10,50"}, venue="hyperliquid",
       **CRASH),
    _c("sweep-delever", "sweep", "delever", {"max_drawdown": "0.05,0.2", "high_leverage": "3,8"}),
    _c("sweep-protective-put", "sweep", "protective-put", {"moneyness": "0.8,0.95"}, **CRASH),
    # costs and configuration the way a user gives them
    _c("compare-no-costs", "compare", ["hold", "perp-hedge", "leveraged-long"], no_costs=True),
    _c("perp-hedge-costs-table", "run", "perp-hedge", costs={"perp_fee": 0.001, "half_spread": 0.0002, "impact": 0.0}),
    _c("config-dict-bybit", "compare", config={"strategies": ["hold", "delever"], "venue": "bybit", "capital": 50_000,
                                                "params": {"delever": {"high_leverage": 4}}}),
    _c("risk-sized-tight-stops-bybit", "run", "risk-sized", {"stop_distance": 0.02}, venue="bybit"),
    # plugins: one good, one failing in targets(), one failing at import
    _c("plugins-good-and-failing", "compare", ["hold", "half-hold", "boom", "broken_import"],
       strategies_dir=str(PLUGINS), **CRASH),
    # the real data of the period, imported through the CLI
    _c("real-compare", "compare", data=REAL_NAME, start="2025-09-01", end="2025-11-30 23:00"),
    _c("real-leveraged-long-oct", "run", "leveraged-long", data=REAL_NAME, start="2025-10-01",
       end="2025-11-30 23:00"),
    _c("real-perp-hedge-hyperliquid-cross", "run", "perp-hedge", data=REAL_NAME, venue="hyperliquid",
       margin_mode="cross", start="2025-09-01", end="2025-11-30 23:00"),
    _c("real-collar", "run", "collar", data=REAL_NAME, start="2025-09-01", end="2025-11-30 23:00"),
    _c("real-sweep-perp-hedge", "sweep", "perp-hedge", {"hedge_ratio": "0.5,1", "leverage": "3,20"},
       data=REAL_NAME, **CRASH),
]


def import_real(store: Path) -> None:
    """Import the real files into ``store`` with the CLI, as a user would."""
    argv = ["data", "import", REAL_NAME, "--store", str(store)]
    for option, file in REAL.items():
        argv += [option, str(SHARED / file)]
    rc, _, _ = invoke(argv)
    if rc not in (0, None):
        raise RuntimeError(f"importing the real data failed with exit code {rc}: {' '.join(argv)}")


def produce(case: Case, store: Path | None) -> dict:
    """Run ``case`` in this process and return what is pinned, as plain JSON-ready values."""
    kwargs = dict(case.kwargs, quiet=True)
    if case.real:
        kwargs["store"] = str(store)
    fn = getattr(hedgelab, case.call)
    if case.call == "sweep":
        result = fn(case.args[0], grid=case.args[1], **kwargs)
    elif case.call == "run":
        result = fn(case.args[0], case.args[1] if len(case.args) > 1 else None, **kwargs)
    else:
        result = fn(*case.args, **kwargs)
    summary = summary_frame(result.runs)   # the rows of summary.csv (Result.summary adds presentation columns)
    events = result.events
    counts = {}
    if len(events):
        for (run, kind), n in events.groupby(["run", "kind"]).size().items():
            counts.setdefault(str(run), {})[str(kind)] = int(n)
    return {
        "case": case.name,
        "call": _text(case.describe()),
        "data": {"name": result.manifest.get("name"), "kind": result.manifest.get("kind")},
        "failures": {k: _text(v) for k, v in sorted(result.failures.items())},
        "summary": [{col: _text(row[col]) for col in summary.columns} for _, row in summary.iterrows()],
        "event_counts": {run: dict(sorted(kinds.items())) for run, kinds in sorted(counts.items())},
        # summary-only runs keep no events: the engine's own summary row (n_events, stops, ...) stands in
        "engine_summary": {r.name: {k: _text(v) for k, v in sorted(r.stats.items())}
                           for r in result.runs if getattr(r, "stats", None)},
    }


def _text(value):
    """Floats as repr (exact, NaN as 'nan'); bools, ints and strings as themselves; missing as None."""
    if value is None:
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return int(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        v = float(value)
        return None if math.isnan(v) else repr(v)
    return str(value).replace(str(PLUGINS), "<plugins>")  # the same text on every machine


def expected_path(case: Case) -> Path:
    return EXPECTED / f"{case.name}.json"


def dump(record: dict) -> str:
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def differences(want: dict, got: dict, path: str = "", limit: int = 25) -> list[str]:
    """Readable differences between two records: 'path: expected X, got Y'."""
    out: list[str] = []

    def walk(a, b, where):
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                walk(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{where}.{k}" if where else str(k))
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{where}: {len(a)} rows expected, {len(b)} got")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            out.append(f"{where}: expected {a!r}, got {b!r}")
    walk(want, got, path)
    return out
