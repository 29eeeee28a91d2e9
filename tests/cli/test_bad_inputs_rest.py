"""Issue 24, the rest of the bad-input table: --trace and --out names, --timeout, grids counted
before they are built, plugins that passed as sense, stress reverse's --at and [params], the Python
API's arguments at the door, capital and costs bounds, damaged or shared sweep rows folders.

Two tables, one row per bad input, as in ``test_bad_inputs.py``: ``CASES`` runs the real CLI in this
process (exit 2, one ``error: ...`` line, no traceback, nothing written or replaced under the row's
folder); ``API_CASES`` calls ``hedgelab.run/compare/sweep/stress`` or ``Result.write`` (the exception
named, a fragment of its message, nothing written in the working folder). ``CATEGORIES`` counts the
rows per category for the issue's closing note. The tests after the tables check what is not an
error: a trace written up to the bar that stopped a run, a warning when --start/--end reach beyond
the data, no false "filled by another run" warning, two sweeps kept apart.

Bounds quoted in the fragments are the documented ones: 1 USD of capital (runner/config.py
MIN_CAPITAL), 50 million parameter sets (runner/parse.py MAX_GRID_SETS), 30 days of --timeout,
|target| <= 1e12 coins and leverage <= 1000 (engine/nb/intent.py), targets() within +/-1000 x equity
(strategies/base.py), impact <= 1 and impact_exponent <= 2 (engine/costs.py COST_BOUNDS), 255-byte
names less 40 for hedgelab's temp names (core/outdir.py).
"""
from __future__ import annotations

import collections
import json
import sys
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import hedgelab
from hedgelab.core.errors import UserError
from testkit import cli as h
from testkit.files import DIR, FIFO, Link, make_files, snapshot


@dataclass(frozen=True)
class Case:
    category: str
    argv: tuple                    # "{tmp}" is the row's own folder
    fragment: str                  # in the error line ("{tmp}" likewise)
    files: dict = field(default_factory=dict)   # name -> text | bytes | FIFO | DIR | Link(target)
    rc: int = 2


W = ("--start", "2025-10-01", "--end", "2025-10-03")     # a short window: the rows that run are quick
RUN = ("run", "hold", "--quiet", "--out", "{tmp}/o")
BIG = ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:5001", "--quiet", *W, "--out", "{tmp}/o")   # keeps rows in o-rows/
LONG = "x" * 300
PLAN = json.dumps({"sweep": "0" * 24, "market": None, "complete": False, "bounds": [[0, 0, 5001]]})

# plugins: a Python loop (the timeout's alarm stops it), hooks and targets() that write absurd values
PLUGINS = '''
import time
import numpy as np
from numba import njit
from hedgelab.strategies import Param, Strategy
from hedgelab.engine.types import HOOK_SIG, Intent


def _hook(field, value, slot=False):
    @njit(HOOK_SIG, cache=False)
    def hook(i, state, params, features, intent):
        if i >= 3:
            if slot:
                intent[Intent.OPT1_ACTION] = 1.0
                intent[Intent.OPT1_TYPE] = -1.0
                intent[Intent.OPT1_STRIKE] = 0.9
                intent[Intent.OPT1_TENOR_DAYS] = 30.0
                intent[Intent.OPT1_QTY] = 0.1
            intent[field] = value
    return hook


def _strategy(name, hook, options=False):
    return type(name, (Strategy,), {"__doc__": name, "name": name, "uses_options": options,
                                    "decide_nb": staticmethod(hook)})


HugePerp = _strategy("huge-perp", _hook(Intent.TARGET_PERP, 1e300))
HugeSpot = _strategy("huge-spot", _hook(Intent.TARGET_SPOT, -2e12))
HugeLeverage = _strategy("huge-leverage", _hook(Intent.LEVERAGE, 5000.0))
HugeStop = _strategy("huge-stop", _hook(Intent.STOP_PRICE, 1e300))
HugeTopup = _strategy("huge-topup", _hook(Intent.MARGIN_TOPUP, 1e16))
HugeQty = _strategy("huge-qty", _hook(Intent.OPT1_QTY, 1e300, slot=True), options=True)
HugeStrike = _strategy("huge-strike", _hook(Intent.OPT1_STRIKE, 2.6e151, slot=True), options=True)
HugeTenor = _strategy("huge-tenor", _hook(Intent.OPT1_TENOR_DAYS, 1e6, slot=True), options=True)


def _targets(name, fill):
    def targets(self, market, params):
        return fill(len(market.close))
    return type(name, (Strategy,), {"__doc__": name, "name": name, "targets": targets})


def _at(n, k, value, width=2):
    t = np.full((n, width), np.nan)
    t[5, k] = value
    return t


NoneTargets = _targets("none-targets", lambda n: None)
BigPerp = _targets("big-perp", lambda n: _at(n, 1, 1e300))
BigSpot = _targets("big-spot", lambda n: _at(n, 0, -5000.0))
ZeroLeverage = _targets("zero-leverage", lambda n: _at(n, 2, 0.0, 3))
BigLeverage = _targets("big-leverage", lambda n: _at(n, 2, 1e4, 3))


class SomeNone(Strategy):
    """targets() for one parameter set, None for the other"""
    name = "some-none"
    x = Param(1.0, low=0.0, high=2.0)

    def targets(self, market, params):
        return None if params["x"] > 1.0 else np.full((len(market.close), 2), np.nan)


class Loops(Strategy):
    """targets() that does not return (for 60 s, so that a failing test does not hang)"""
    name = "loops"

    def targets(self, market, params):
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pass
        return None
'''


def costs_row(text, fragment, extra=()):
    return Case("costs", (*RUN, "--costs", "{tmp}/c.toml", *extra), fragment, {"c.toml": text})


def config_row(category, text, fragment, argv=RUN):
    return Case(category, (*argv, "--config", "{tmp}/c.toml"), fragment, {"c.toml": text})


def rows_row(files, fragment, extra=("--resume",)):
    return Case("rows", (*BIG, *extra), fragment, files)


PARAMS_5 = '[params]\n"leveraged-long" = 5\n'
REVERSE = ("stress", "reverse", "leveraged-long", "--at", "2025-10-10 21:00", "--quiet", "--out", "{tmp}/o")

CASES = [
    # ------------------------------------------------------------ --out names (core/outdir.py)
    Case("out", ("run", "hold", "--out", ""), "--out = '': must be a non-empty string"),
    Case("out", ("compare", "hold", "--out", ""), "--out = '': must be a non-empty string"),
    Case("out", ("run", "hold", "--out", "{tmp}/" + LONG), "is a name of 300 bytes; at most 215"),
    Case("out", ("sweep", "perp-hedge", "-g", "hedge_ratio=0,1", "--out", "{tmp}/" + LONG), "is a name of 300 bytes"),
    Case("out", ("compare", "hold", "--out", "{tmp}/" + "x" * 216), "is a name of 216 bytes; at most 215"),
    Case("out", ("run", "hold", "--out", "{tmp}/" + "y" * 260 + "/o"),
         "is a name of 260 bytes; the file system takes at most 255"),
    Case("out", ("run", "hold", "--out", "{tmp}/" + "/".join(["z" * 200] * 25)), "the path is"),
    Case("out", ("stress", "hold", "--paths", "2", "--out", "{tmp}/" + LONG), "is a name of 300 bytes"),
    Case("out", ("run", "hold", "--out", "{tmp}/.."), "names no new folder"),
    Case("out", ("run", "hold", "--out", "/"), "--out /: names no new folder"),
    Case("out", ("run", "hold", "--out", "{tmp}/dang"), "a symbolic link to {tmp}/nowhere, which does not exist",
         {"dang": Link("nowhere")}),
    Case("out", ("run", "hold", "--out", "{tmp}/lf"), "a symbolic link to the file {tmp}/f", {"f": "x", "lf": Link("f")}),
    Case("out", ("run", "hold", "--out", "{tmp}/ld"), "already exists and is not empty",
         {"d": DIR, "d/x": "x", "ld": Link("d")}),
    Case("out", ("run", "hold", "--out", "{tmp}/f"), "a file of that name exists; give a folder", {"f": "x"}),
    config_row("out", 'out = ""', "out = '': must be a non-empty string"),

    # ------------------------------------------------------------ --trace FILE (hedgelab/cli/backtest.py)
    Case("trace", (*RUN, "--trace", "{tmp}/t.parquet"), "--trace {tmp}/t.parquet: a file of that name exists; a trace "
         "is never written over a file", {"t.parquet": "precious\n"}),
    Case("trace", (*RUN, "--trace", "{tmp}/t.parquet"), "a file of that name exists", {"t.parquet": ""}),
    Case("trace", ("compare", "hold", "perp-hedge", "--quiet", "--out", "{tmp}/o", "--trace", "{tmp}/t.parquet"),
         "a file of that name exists", {"t.parquet": "precious\n"}),
    Case("trace", (*RUN, "--trace", "{tmp}/t.parquet"), "a file of that name exists",
         {"t.parquet": Link("nowhere")}),
    Case("trace", (*RUN, "--trace", "{tmp}/t.parquet"), "a file of that name exists",
         {"real.parquet": "x", "t.parquet": Link("real.parquet")}),
    Case("trace", (*RUN, "--trace", "{tmp}/o"), "--trace {tmp}/o: is the --out folder"),
    Case("trace", (*RUN, "--trace", ""), "--trace '': empty; give a file name"),
    Case("trace", (*RUN, "--trace", "{tmp}/" + LONG), "is a name of 300 bytes"),
    Case("trace", (*RUN, "--trace", "{tmp}/d"), "is a folder; give a file name", {"d": DIR}),
    Case("trace", (*RUN, "--trace", "{tmp}/"), "--trace {tmp}: is a folder"),
    Case("trace", (*RUN, "--trace", "{tmp}/f/t.parquet"), "is a file, so no folder can be made under it", {"f": "x"}),
    Case("trace", (*RUN, "--trace", "{tmp}/p"), "a file of that name exists", {"p": FIFO}),

    # ------------------------------------------------------------ --timeout (runner/execute.py time_limit)
    Case("timeout", ("compare", "hold", "perp-hedge", "--quiet", "--out", "{tmp}/o", "--timeout", "0.001"),
         "(--timeout 0.001): the run did not finish in time; nothing written"),
    Case("timeout", (*RUN, "--timeout", "0.001"), "stopped after"),
    Case("timeout", ("sweep", "perp-hedge", "-g", "hedge_ratio=0,1", "--quiet", "--out", "{tmp}/o", "--timeout", "0.001"),
         "(--timeout 0.001)"),
    Case("timeout", ("stress", "hold", "--paths", "2", "--quiet", "--out", "{tmp}/o", "--timeout", "0.001"),
         "(--timeout 0.001)"),
    Case("timeout", (*REVERSE, "--timeout", "0.001"), "(--timeout 0.001)"),
    Case("timeout", ("run", "loops", "--strategies-dir", "{tmp}/plug", "--quiet", "--out", "{tmp}/o", "--timeout", "1"),
         "(--timeout 1): the run did not finish in time", {"plug": DIR, "plug/p.py": PLUGINS}),
    config_row("timeout", "timeout = 0.001", "(--timeout 0.001)"),
    Case("timeout", (*RUN, "--timeout", "0"), "--timeout 0: expected a number of seconds in (0, 2,592,000]"),
    Case("timeout", (*RUN, "--timeout", "-5"), "--timeout -5: expected a number of seconds"),
    Case("timeout", (*RUN, "--timeout", "nan"), "--timeout nan: expected a number of seconds"),
    Case("timeout", (*RUN, "--timeout", "inf"), "--timeout inf: expected a number of seconds"),
    Case("timeout", (*RUN, "--timeout", "1e9"), "--timeout 1e+09: expected a number of seconds in (0, 2,592,000]"),
    Case("timeout", (*RUN, "--timeout", "soon"), "'soon' is not a valid float"),
    config_row("timeout", "timeout = 0", "timeout = 0: must be a number in (0, 2.592e+06]"),
    config_row("timeout", 'timeout = "5"', "timeout = '5': must be a number"),
    config_row("timeout", "timeout = -1", "timeout = -1: must be a number"),

    # ------------------------------------------------------------ grids counted before they are built (runner/parse.py)
    Case("grid", ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:100000000000", "--out", "{tmp}/o"),
         "grid hedge_ratio='0:1:100000000000': 100,000,000,000 values; a sweep takes at most 50,000,000"),
    Case("grid", ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:50000001", "--out", "{tmp}/o"), "50,000,001 values"),
    Case("grid", ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:10000", "-g", "leverage=1:10:10000", "--out", "{tmp}/o"),
         "grid: 10,000 x 10,000 = 100,000,000 parameter sets; a sweep takes at most 50,000,000"),
    Case("grid", ("sweep", "perp-hedge", "-g", "hedge_ratio=0:1:1e11", "--out", "{tmp}/o"),
         "count must be a whole number >= 1"),
    config_row("grid", '[grid]\nhedge_ratio = "0:1:100000000000"', "100,000,000,000 values",
               argv=("sweep", "perp-hedge", "--out", "{tmp}/o")),
    Case("grid", ("stress", "perp-hedge", "-g", "hedge_ratio=0:1:100000000000", "--out", "{tmp}/o"), "100,000,000,000 values"),
    Case("grid", ("stress", "perp-hedge", "-g", "hedge_ratio=0:1:10000", "-g", "leverage=1:10:10000", "--out", "{tmp}/o"),
         "100,000,000 parameter sets"),

    # ------------------------------------------------------------ stress reverse: --at and [params] (hedgelab/cli/stress.py)
    Case("stress", ("stress", "reverse", "leveraged-long", "--at", "garbage"),
         "--at 'garbage': not a date or time (use ISO-8601 UTC, e.g. '2025-10-10 21:00')"),
    Case("stress", ("stress", "reverse", "leveraged-long", "--at", "2025-13-45"), "--at '2025-13-45': not a date or time"),
    Case("stress", ("stress", "reverse", "leveraged-long", "--at", ""), "--at '': not a date or time"),
    Case("stress", ("stress", "reverse", "leveraged-long", "--at", "1e30"), "--at '1e30': not a date or time"),
    Case("stress", ("stress", "leveraged-long", "--method", "shock", "--at", "garbage", "--paths", "2", "--out", "{tmp}/o"),
         "--at 'garbage': not a date or time"),
    config_row("stress", PARAMS_5, "params.leveraged-long = 5: leveraged-long's parameters go in a table",
               argv=REVERSE),
    config_row("stress", '[params]\n"leveraged-long" = "x"', "params.leveraged-long = 'x'", argv=REVERSE),
    config_row("stress", '[params]\n"leveraged-long" = [1, 2]', "params.leveraged-long = [1, 2]", argv=REVERSE),
    config_row("stress", PARAMS_5, "params.leveraged-long = 5",
               argv=("run", "leveraged-long", "--quiet", "--out", "{tmp}/o")),
    config_row("stress", PARAMS_5, "params.leveraged-long = 5",
               argv=("sweep", "leveraged-long", "-g", "leverage=2,5", "--quiet", "--out", "{tmp}/o")),
    config_row("stress", PARAMS_5, "params.leveraged-long = 5",
               argv=("stress", "leveraged-long", "--paths", "2", "--quiet", "--out", "{tmp}/o")),

    # ------------------------------------------------------------ capital (runner/options.py check_capital)
    Case("capital", (*RUN, "--capital", "1e-300"), "capital 1e-300 must be at least 1 USD (less buys nothing and reports 0 %), at most 1e+12"),
    Case("capital", (*RUN, "--capital", "0.5"), "capital 0.5 must be at least 1 USD"),
    Case("capital", (*RUN, "--capital", "0"), "capital 0.0 must be a positive number of USD, at most 1e+12"),
    Case("capital", (*RUN, "--capital", "-100"), "capital -100.0 must be a positive number of USD"),
    Case("capital", ("stress", "hold", "--paths", "2", "--capital", "1e-300", "--out", "{tmp}/o"), "capital 1e-300"),
    Case("capital", ("sweep", "perp-hedge", "-g", "hedge_ratio=0,1", "--capital", "1e-300", "--out", "{tmp}/o"),
         "capital 1e-300"),
    config_row("capital", "capital = 0.5", "capital = 0.5: must be at least 1 USD (less buys nothing and reports 0 %)"),
    config_row("capital", "capital = 1e-300", "capital = 1e-300: must be at least 1 USD"),

    # ------------------------------------------------------------ costs (engine/costs.py COST_BOUNDS)
    costs_row("[costs]\nimpact = 1e308\nimpact_exponent = 1e308", "costs file {tmp}/c.toml: costs.impact = 1e+308: must "
              "be at most 1"),
    costs_row("[costs]\nimpact_exponent = 1e308", "costs.impact_exponent = 1e+308: must be at most 2"),
    costs_row("[costs]\nimpact = 1.5", "costs.impact = 1.5: must be at most 1"),
    costs_row("[costs]\nimpact_exponent = 2.5", "costs.impact_exponent = 2.5: must be at most 2"),
    costs_row("impact = 1e308", "costs.impact = 1e+308"),   # the keys at the top level
    costs_row("[costs]\nimpact = -1", "costs.impact must be a finite number >= 0"),
    costs_row("[costs]\nhalf_spread = 0.1", "costs.half_spread is a decimal rate"),
    config_row("costs", "[costs]\nimpact = 5", "config file {tmp}/c.toml: costs.impact = 5: must be at most 1"),
    config_row("costs", "[costs]\nimpact_exponent = 1e308", "costs.impact_exponent = 1e+308: must be at most 2"),
    config_row("costs", "[costs]\nperp_fee = 0.5", "costs.perp_fee = 0.5: must be below 0.1"),
    config_row("costs", "no_costs = true\n[costs]\nperp_fee = 0.5", "costs.perp_fee = 0.5: must be below 0.1"),
    # --no-costs: a costs file or table is still read and checked
    costs_row("[costs]\nbogus = 1", "costs file {tmp}/c.toml: unknown key 'bogus'", ("--no-costs",)),
    costs_row("[costs]\nimpact = 1e308", "costs.impact = 1e+308", ("--no-costs",)),
    costs_row(b"perp_fee = \xff\n", "costs file {tmp}/c.toml: not UTF-8 text", ("--no-costs",)),
    costs_row(FIFO, "costs file {tmp}/c.toml: is a FIFO", ("--no-costs",)),
    Case("costs", (*RUN, "--no-costs", "--costs", "{tmp}/none.toml"), "costs file {tmp}/none.toml: file not found"),

    # ------------------------------------------------------------ sweep rows folders (scale/rows.py)
    rows_row({"o-rows": DIR, "o-rows/_plan.json": "[1, 2]"}, "o-rows/_plan.json: not a sweep plan (a JSON list, "
             "not an object); delete {tmp}/o-rows to start over"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"sweep": "x", "market": null}'}, "not a sweep plan (no 'bounds')"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"bounds": [[0, 0, 5001]]}'}, "not a sweep plan (no 'sweep')"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"sweep": "x", "bounds": [[0, 5, 2]]}'},
             "bounds[0] = [0, 5, 2] is not [group, first, end] with 0 <= first < end"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"sweep": "x", "bounds": [[0, 0, 2]]}'},
             "its chunks hold 2 columns, the sweep 5,001"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"sweep": "x", "bounds": [[0, true, 5001]]}'}, "bounds[0]"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": '{"sweep": "x", "market": 5, "bounds": [[0, 0, 5001]]}'},
             "'market' is not a hash"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": "{"}, "unreadable sweep plan"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": PLAN}, "belongs to a different sweep"),
    rows_row({"o-rows": DIR, "o-rows/_plan.json": PLAN}, "holds the rows of an earlier sweep; add --resume", extra=()),
    rows_row({"o-rows": "x"}, "o-rows: a file, where a sweep keeps its rows folder"),
    rows_row({"o-rows": DIR, "o-rows/_owner": "1-0"}, "another hedgelab sweep (pid 1) is writing its rows there now"),
    rows_row({"o-rows": DIR, "o-rows/_owner": "1-0", "o-rows/_plan.json": PLAN}, "another hedgelab sweep (pid 1)",
             extra=()),
]

CATEGORIES = collections.Counter(c.category for c in CASES)



@pytest.fixture(autouse=True)
def _no_bytecode(monkeypatch):
    """A plugin imported from the row's folder must not leave __pycache__ there."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}-{i}" for i, c in enumerate(CASES)])
def test_bad_input(tmp_path, capsys, monkeypatch, case):
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "home"))
    make_files(tmp_path, {k: v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v for k, v in case.files.items()})
    before = snapshot(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    rc, out, err = h.invoke(argv, capsys)
    assert rc == case.rc, (rc, out, err)
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert case.fragment.replace("{tmp}", str(tmp_path)) in err, err
    assert snapshot(tmp_path) == before, "a refused command wrote or replaced a file"


# ================================================================ the Python API at the door

@dataclass(frozen=True)
class Api:
    category: str
    call: object                   # ctx -> the call (ctx: plug folder, a Result, the row's folder)
    fragment: str
    exc: type = UserError


SHORT = dict(start="2025-10-01", end="2025-10-03")
G = {"hedge_ratio": [0.0, 1.0]}


def plugin(name, fragment, **kw):
    return Api("plugins", lambda c: hedgelab.run(name, strategies_dir=c.plug, raise_on_failure=True, **SHORT, **kw),
               fragment)


def closed_client():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)
    client = Client(cluster)
    client.close()
    cluster.close()
    return client


API_CASES = [
    # ------------------------------------------------------------ types and values at the door (hedgelab/api.py)
    Api("api", lambda c: hedgelab.run(123), "run(): strategy=123: expected a strategy name (a str)"),
    Api("api", lambda c: hedgelab.run(["hold"]), "run(): strategy=['hold']: expected a strategy name"),
    Api("api", lambda c: hedgelab.run("hold", params=[1, 2]), "run(): params=[1, 2]: expected a dict of name -> value"),
    Api("api", lambda c: hedgelab.run("hold", params={1: 2}), "run(): params key 1: expected a parameter name (a str)"),
    Api("api", lambda c: hedgelab.run("hold", params="leverage=5"), "run(): params='leverage=5': expected a dict"),
    Api("api", lambda c: hedgelab.compare(123), "compare(): strategies=123: expected a strategy name or a list"),
    Api("api", lambda c: hedgelab.compare(["hold", 1]), "compare(): strategies=['hold', 1]"),
    Api("api", lambda c: hedgelab.compare(["hold"], params=[1]), "compare(): params=[1]: expected a dict"),
    Api("api", lambda c: hedgelab.compare(["hold"], params={"hold": 5}), "params.hold: a comparison takes one table"),
    Api("api", lambda c: hedgelab.sweep(123, grid=G), "sweep(): strategy=123: expected a strategy name"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=[1, 2]), "sweep(): grid=[1, 2]: expected a dict"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid={1: [1, 2]}), "sweep(): grid key 1: expected a parameter name"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": {"a": 1}}),
        "grid 'hedge_ratio': {'a': 1}: expected a list of values"),
    Api("api", lambda c: hedgelab.run("hold", config=123), "config=123: expected a TOML file path or a dict"),
    Api("api", lambda c: hedgelab.run("hold", config=[1]), "config=[1]: expected a TOML file path or a dict"),
    Api("api", lambda c: hedgelab.run("hold", config={"timeout": 0}), "config: timeout = 0: must be a number in (0,"),
    Api("api", lambda c: hedgelab.run("hold", strategies_dir=123), "run(): strategies_dir = 123: must be a non-empty string"),
    Api("api", lambda c: hedgelab.run("hold", strategies_dir=str(c.tmp / "none")), "no such folder"),
    Api("api", lambda c: hedgelab.run("hold", raise_on_failure="yes"), "run(): raise_on_failure='yes': expected True or False"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, chunk_size=0), "chunk_size 0: expected a whole number"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, chunk_size="a"), "chunk_size 'a'"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, chunk_size=2.5), "chunk_size 2.5"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, chunk_size=True), "chunk_size True"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, client=123),
        "sweep(): client=123: expected a dask.distributed.Client"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, client="local"),
        "client='local': expected a dask.distributed.Client (a spec such as 'local' goes in cluster=)"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, client=closed_client()), "is closed"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, rows=123), "sweep(): rows=123: expected a folder path"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, resume="yes"), "sweep(): resume='yes': expected True or False"),
    Api("api", lambda c: hedgelab.sweep("perp-hedge", grid=G, summary_only="x"), "summary_only='x': expected True or False"),
    Api("api", lambda c: hedgelab.stress(123), "stress(): strategies=123"),
    Api("api", lambda c: hedgelab.stress("hold", params=[1]), "stress(): params=[1]: expected a dict"),
    Api("api", lambda c: hedgelab.stress("hold", grid=[1]), "stress(): grid=[1]: expected a dict"),
    Api("api", lambda c: hedgelab.stress("hold", client=1), "stress(): client=1: expected a dask.distributed.Client"),
    Api("api", lambda c: hedgelab.stress("hold", chunk=0), "stress(): chunk=0: expected a whole number of paths"),
    Api("api", lambda c: hedgelab.stress("hold", cascade="yes"), "stress(): cascade='yes': expected True or False"),
    Api("api", lambda c: hedgelab.stress("hold", at=[1], method="shock"), "stress(): at=[1]: expected a date or time"),
    Api("api", lambda c: hedgelab.stress("hold", at="garbage", method="shock", paths=2), "--at 'garbage': not a date"),
    Api("api", lambda c: hedgelab.run("leveraged-long", config={"params": {"leveraged-long": 5}}),
        "params.leveraged-long = 5"),

    # ------------------------------------------------------------ Result.write (core/outdir.py, runner/outputs.py)
    Api("write", lambda c: c.result.write(123), "write(): out_dir 123: expected a folder path (a str or a pathlib.Path)"),
    Api("write", lambda c: c.result.write(None), "write(): out_dir None: expected a folder path"),
    Api("write", lambda c: c.result.write(b"out"), "write(): out_dir b'out': expected a folder path"),
    Api("write", lambda c: c.result.write(""), "write(): out_dir '': empty; give a folder name"),
    Api("write", lambda c: c.result.write(str(c.tmp / LONG)), "is a name of 300 bytes"),
    Api("write", lambda c: c.result.write(str(c.tmp / "o"), tearsheets=-1), "write(): tearsheets=-1: expected a whole"),
    Api("write", lambda c: c.result.write(str(c.tmp / "o"), progress="yes"), "write(): progress='yes': expected True"),

    # ------------------------------------------------------------ capital (runner/options.py)
    Api("capital", lambda c: hedgelab.run("hold", capital=10**400), "run(): capital 1000000000"),
    Api("capital", lambda c: hedgelab.run("hold", capital=10**400), "... must be a positive number of USD, at most 1e+12"),
    Api("capital", lambda c: hedgelab.run("hold", capital=1e-300), "capital 1e-300 must be at least 1 USD"),
    Api("capital", lambda c: hedgelab.run("hold", capital=0.99), "capital 0.99 must be at least 1 USD"),
    Api("capital", lambda c: hedgelab.run("hold", capital=float("nan")), "capital nan must be"),
    Api("capital", lambda c: hedgelab.run("hold", capital=True), "capital True is not a number"),
    Api("capital", lambda c: hedgelab.run("hold", capital=[1]), "capital [1] is not a number"),
    Api("capital", lambda c: hedgelab.run("hold", capital="lots"), "capital 'lots' is not a number"),
    Api("capital", lambda c: hedgelab.sweep("perp-hedge", grid=G, capital=1e-300), "sweep(): capital 1e-300"),

    # ------------------------------------------------------------ timeout= (runner/execute.py)
    Api("timeout", lambda c: hedgelab.run("hold", timeout=0.001), "stopped after", exc=UserError),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=0.001), "(timeout=0.001): the run did not finish in time"),
    Api("timeout", lambda c: hedgelab.compare(["hold", "perp-hedge"], timeout=0.001), "(timeout=0.001)"),
    Api("timeout", lambda c: hedgelab.sweep("perp-hedge", grid=G, timeout=0.001), "(timeout=0.001)"),
    Api("timeout", lambda c: hedgelab.stress("hold", paths=2, timeout=0.001), "(timeout=0.001)"),
    Api("timeout", lambda c: hedgelab.run("hold", config={"timeout": 0.001}), "(timeout=0.001)"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=0), "run(): timeout 0: expected a number of seconds in (0,"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=-1), "run(): timeout -1"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout="5"), "run(): timeout '5': expected a number of seconds"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=True), "run(): timeout True"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=float("inf")), "run(): timeout inf"),
    Api("timeout", lambda c: hedgelab.run("hold", timeout=10**400), "run(): timeout 1000000"),

    # ------------------------------------------------------------ grids (runner/parse.py, hedgelab/api.py)
    Api("grid", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": range(10**11)}),
        "grid 'hedge_ratio': 100,000,000,000 values; a sweep takes at most 50,000,000"),
    Api("grid", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": "0:1:100000000000"}),
        "100,000,000,000 values"),
    Api("grid", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": range(10**4), "leverage": range(1, 10**4)}),
        "grid: 10,000 x 9,999 = 99,990,000 parameter sets"),
    Api("grid", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": np.linspace(0, 1, 8000),
                                                             "leverage": np.linspace(1, 10, 8000)}),
        "8,000 x 8,000 = 64,000,000 parameter sets"),
    Api("grid", lambda c: hedgelab.sweep("perp-hedge", grid={"hedge_ratio": "0:1:100000"},
                                         params={}, config={"grid": {"leverage": "1:10:1000"}}),
        "grid: 1,000 x 100,000 = 100,000,000 parameter sets"),   # the config's axes first
    Api("grid", lambda c: hedgelab.stress("perp-hedge", grid={"hedge_ratio": range(10**11)}), "100,000,000,000 values"),

    # ------------------------------------------------------------ costs (engine/costs.py)
    Api("costs", lambda c: hedgelab.run("hold", costs={"impact": 1e308, "impact_exponent": 1e308}),
        "costs.impact = 1e+308: must be at most 1"),
    Api("costs", lambda c: hedgelab.run("hold", costs={"impact_exponent": 1e308}), "costs.impact_exponent = 1e+308"),
    Api("costs", lambda c: hedgelab.run("hold", costs={"bogus": 1}, no_costs=True), "unknown key 'bogus'"),
    Api("costs", lambda c: hedgelab.run("hold", costs={"perp_fee": 0.5}, no_costs=True), "costs.perp_fee is a decimal rate"),

    # ------------------------------------------------------------ plugins that passed as sense (strategies/base.py,
    # engine/nb/intent.py): the run fails naming the strategy, the field and the bound
    plugin("none-targets", "none-targets: targets() returned None for none-targets, and none-targets has no "
                           "decide_nb of its own, so it would never trade"),
    Api("plugins", lambda c: hedgelab.sweep("some-none", grid={"x": [0.5, 1.5]}, strategies_dir=c.plug,
                                            raise_on_failure=True, chunk_size=2, **SHORT),
        "some-none: targets() returned None for some-none(x=1.5) but an array for some-none(x=0.5)"),
    plugin("big-perp", "big-perp: targets() returned 1e+300 for perp at bar 5 (opened 2025-10-01T05:00 UTC); targets "
                       "are finite fractions of equity within +/-1000"),
    plugin("big-spot", "returned -5000 for spot at bar 5"),
    plugin("zero-leverage", "returned 0 for leverage at bar 5 (opened 2025-10-01T05:00 UTC); a leverage is in (0, 1000]"),
    plugin("big-leverage", "returned 10000 for leverage"),
    plugin("huge-perp", "huge-perp (column 0) at bar 3 (opened 2025-10-01 03:00 UTC, decided at its close): the hook "
                        "wrote an invalid value (1e+300) into intent TARGET_PERP"),
    plugin("huge-spot", "wrote an invalid value (-2e+12) into intent TARGET_SPOT"),
    plugin("huge-leverage", "wrote an invalid value (5000) into intent LEVERAGE"),
    plugin("huge-stop", "wrote an invalid value (1e+300) into intent STOP_PRICE"),
    plugin("huge-topup", "wrote an invalid value (1e+16) into intent MARGIN_TOPUP"),
    plugin("huge-qty", "wrote an invalid value (1e+300) into intent OPT1_QTY"),
    plugin("huge-strike", "wrote a strike of 2.6e+151 into intent OPT1_STRIKE, which no listed contract can fill: "
                          "a strike is a fraction of the forward (0.9 = 10 % below it), listed between 0 and 5"),
    plugin("huge-tenor", "wrote an invalid value (1e+06) into intent OPT1_TENOR_DAYS"),
]

CATEGORIES.update(c.category for c in API_CASES)


class Ctx:
    def __init__(self, tmp, plug, result):
        self.tmp, self.plug, self._result = tmp, plug, result

    @property
    def result(self):
        return self._result()


@pytest.fixture(scope="module")
def plug(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plug")
    (folder / "plugins.py").write_text(PLUGINS)
    return folder


@pytest.fixture(scope="module")
def small_result():
    made = []

    def get():
        if not made:
            made.append(hedgelab.run("hold", **SHORT))
        return made[0]
    return get


@pytest.mark.parametrize("case", API_CASES, ids=[f"{c.category}-{i}" for i, c in enumerate(API_CASES)])
def test_bad_api_input(tmp_path, monkeypatch, plug, small_result, case):
    monkeypatch.setenv("HEDGELAB_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    ctx = Ctx(tmp_path, plug, small_result)
    if case.category == "write":
        ctx.result   # made before the snapshot
    before = snapshot(tmp_path)
    with pytest.raises(case.exc) as info:
        case.call(ctx)
    message = str(info.value)
    assert "\n" not in message and case.fragment in message, message
    assert snapshot(tmp_path) == before, "a refused call wrote or replaced a file"


def test_the_tables_count_their_categories():
    """The issue's closing note reports these counts; every row has a known category."""
    assert set(CATEGORIES) <= {"out", "trace", "timeout", "grid", "stress", "capital", "costs", "rows", "api", "write",
                               "plugins"}
    assert sum(CATEGORIES.values()) == len(CASES) + len(API_CASES)


# ================================================================ what is not an error

def test_a_trace_never_replaces_a_file_and_the_run_writes_nothing(tmp_path, capsys):
    (tmp_path / "t.parquet").write_text("precious\n")
    rc, _, err = h.invoke(["run", "hold", "--trace", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "o"), "-q"],
                          capsys)
    assert rc == 2 and "a file of that name exists" in err
    assert (tmp_path / "t.parquet").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]


def test_a_trace_inside_out_is_written_there_without_a_false_warning(tmp_path, capsys):
    out = tmp_path / "o"
    rc, stdout, err = h.invoke(["run", "hold", *W, "--trace", str(out / "t.parquet"), "--out", str(out), "-q"], capsys)
    assert rc == 0, err
    assert err == "", err   # no "filled by another run meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    assert (out / "report.html").is_file() and len(pd.read_parquet(out / "t.parquet")) >= 1
    assert f"trace: {out / 't.parquet'}" in stdout


def test_out_as_a_symlink_publishes_where_it_points_without_a_false_warning(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    rc, stdout, err = h.invoke(["run", "hold", *W, "--out", str(tmp_path / "link"), "-q"], capsys)
    assert rc == 0 and err == "", err
    assert (tmp_path / "link").is_symlink() and (tmp_path / "link" / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_stopped_run_traces_up_to_the_bar_that_stopped_it(tmp_path, plug, capsys, monkeypatch):
    """--trace of a run a hook's mistake stopped: the file holds its decision bars up to that bar (bars
    0..3: the hook writes 1e300 from bar 3), and the terminal says where it ends."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    trace = tmp_path / "t.parquet"
    rc, stdout, err = h.invoke(["run", "huge-perp", "--strategies-dir", str(plug), *W, "--trace", str(trace),
                                "--out", str(tmp_path / "o"), "-q"], capsys)
    assert rc == 1 and "failed: huge-perp" in err and "TARGET_PERP" in err
    frame = pd.read_parquet(trace)
    assert list(frame["bar"]) == [0, 1, 2, 3]
    wrote = [c for c in frame.columns if c.lower() == "intent.target_perp"]
    assert wrote and frame[wrote[0]].iloc[-1] == 1e300
    assert "trace: huge-perp stopped: its trace ends at bar 3 (opened 2025-10-01 03:00 UTC)" in stdout


def test_the_timeout_stops_a_plugin_looping_in_python(tmp_path, plug, monkeypatch):
    """The alarm interrupts Python code anywhere in the main thread: a targets() that loops is stopped
    within a second or two of the limit (elsewhere the checks between chunks are all there is)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the alarm is set from the main thread only")
    import time
    monkeypatch.chdir(tmp_path)
    began = time.monotonic()
    with pytest.raises(UserError, match=r"stopped after .* \(timeout=1\)"):
        hedgelab.run("loops", strategies_dir=plug, timeout=1, **SHORT)
    assert time.monotonic() - began < 20
    assert list(tmp_path.iterdir()) == []


def test_a_window_beyond_the_data_is_clipped_with_a_warning(tmp_path, capsys):
    res = hedgelab.run("hold", start="2025-08-01", end="2025-12-31")
    assert ("start 2025-08-01 is before its first bar and end 2025-12-31 is after its last bar: data 'crisis-2025' has "
            "bars from 2025-09-01 00:00 to 2025-11-30 23:00 UTC") in " ".join(res.warnings)
    assert res.equity.index[0] == pd.Timestamp("2025-09-01", tz="UTC")
    assert not hedgelab.run("hold", start="2025-09-01", end="2025-11-30").warnings   # the data's own range: no word
    rc, _, err = h.invoke(["run", "hold", "--end", "2026-01-01", "--out", str(tmp_path / "o"), "-q"], capsys)
    assert rc == 0 and err.startswith("warning: end 2026-01-01 is after its last bar") and err.count("\n") == 1


def _rows_sweep(tmp_path, capsys, *extra):
    return h.invoke(["sweep", "perp-hedge", "-g", "hedge_ratio=0:1:5001", *W, "-q", "--out", str(tmp_path / "o"),
                     *extra], capsys)


def test_nan_rows_read_back_by_resume_are_refused_not_counted_as_survived(tmp_path, capsys):
    rc, _, err = _rows_sweep(tmp_path, capsys)
    assert rc == 0, err
    rows = tmp_path / "o-rows"
    assert not (rows / "_owner").exists()   # a finished sweep does not hold the folder
    chunk = sorted(rows.glob("chunk-*.parquet"))[0]
    frame = pd.read_parquet(chunk)
    frame.loc[1, "final_equity"] = np.nan
    frame.to_parquet(chunk, index=False)
    (tmp_path / "o").rename(tmp_path / "done")
    rc, _, err = _rows_sweep(tmp_path, capsys, "--resume")
    assert rc == 2 and err.count("\n") == 1, err
    assert f"--resume: {chunk}: row 1 (" in err and "final_equity is nan in a run without an error; the rows folder " \
           f"is damaged: delete {rows} to start over" in err
    assert not (tmp_path / "o").exists()
    frame.drop(columns=["position"]).to_parquet(chunk, index=False)   # damaged: exit 2, not a strategy failure
    rc, _, err = _rows_sweep(tmp_path, capsys, "--resume")
    assert rc == 2 and "no column 'position'" in err and "KeyError" not in err, err


def test_a_second_sweep_on_the_same_rows_folder_is_refused_while_the_first_owns_it(tmp_path, capsys):
    """Two sweeps given one --out: the rows folder names its live owner, so the second one is refused
    (here the owner is a live process of another sweep's tag) instead of mixing its rows in; the
    owner's tag of a killed sweep is taken over."""
    import subprocess
    from hedgelab.core import tempdirs
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        rows = tmp_path / "o-rows"
        rows.mkdir()
        (rows / "_owner").write_text(tempdirs.owner_tag(sleeper.pid))
        rc, _, err = _rows_sweep(tmp_path, capsys)
        assert rc == 2 and f"another hedgelab sweep (pid {sleeper.pid}) is writing its rows there now" in err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["o-rows"]
    finally:
        sleeper.kill()
        sleeper.wait()
    rc, _, err = _rows_sweep(tmp_path, capsys)   # its owner is gone: taken over
    assert rc == 0, err
    assert not (rows / "_owner").exists() and (rows / "_plan.json").is_file()
