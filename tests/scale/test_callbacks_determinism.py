"""Event callbacks (engine/event_calls.py) run where their column runs: a sweep of a plugin whose
on_liquidation re-opens the long at half the leverage gives bitwise-equal tables in-process in one
kernel call, one column per chunk, on a thread cluster and on two local worker processes."""
import pytest

import hedgelab
from testkit.results import assert_identical

PLUGIN = '''
"""A long opened once at `leverage`; re-opened at half of it after each liquidation."""
import numpy as np
from hedgelab.strategies import Param, Strategy


class Relever(Strategy):
    """Leveraged long, re-opened at half the leverage after a liquidation."""
    name = "relever"
    leverage = Param(10.0, low=1.0, high=50.0)

    def targets(self, market, params):
        out = np.full((len(market.close), 3), np.nan)
        out[0] = 0.0, 1.0, params["leverage"]
        return out

    def on_liquidation(self, ctx, event):
        ctx.memory["lev"] = ctx.memory.get("lev", ctx.params["leverage"]) / 2
        return {"perp": 1.0, "leverage": max(1.0, ctx.memory["lev"])}
'''
WINDOW = dict(start="2025-10-08", end="2025-10-12", quiet=True)
GRID = {"leverage": [3.0, 10.0, 20.0, 40.0]}


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugins")
    (folder / "relever.py").write_text(PLUGIN)
    return folder


@pytest.fixture(scope="module")
def baseline(plugin_dir):
    result = hedgelab.sweep("relever", GRID, chunk_size=256, strategies_dir=plugin_dir, **WINDOW)
    assert not result.failures and len(result.runs) == 4
    liquidations = result.events[result.events["kind"] == "liquidation"]
    assert liquidations["run"].nunique() >= 2   # the crash liquidates the levered runs: callbacks answered
    assert (result.events["kind"] == "fill").sum() > 4   # and re-opened them (one opening fill per run before)
    return result


@pytest.mark.parametrize("cluster", [None, "local", "local-processes:2"])
def test_callbacks_are_bitwise_equal_wherever_they_run(baseline, plugin_dir, cluster):
    result = hedgelab.sweep("relever", GRID, chunk_size=1, cluster=cluster, strategies_dir=plugin_dir, **WINDOW)
    assert_identical(result, baseline)
